import pytest

from apps.accounts.roles import Role


@pytest.mark.django_db
def test_role_fixtures_have_organizations_and_roles(sales_rep, acme_contact, delta_contact):
    assert not sales_rep.is_external and sales_rep.has_role(Role.SALES_REP)
    assert acme_contact.is_customer_contact and acme_contact.has_role(Role.CUSTOMER_CONTACT)
    assert delta_contact.is_supplier_contact and delta_contact.has_role(Role.SUPPLIER_CONTACT)
    assert acme_contact.groups.filter(name="org:ACME").exists()
