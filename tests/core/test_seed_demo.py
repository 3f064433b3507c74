from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.accounts.demo import DEMO_PASSWORD, USERS
from apps.accounts.models import Membership, Organization, OrganizationKind, User
from apps.catalog.models import FulfillmentMode, Product, StockEntry
from apps.core.models import Activity
from apps.orders.models import OrderState, Quote, QuoteState, SalesOrder

pytestmark = pytest.mark.django_db


def _snapshot() -> dict:
    return {
        "orgs": sorted(Organization.objects.values_list("code", "kind", "name")),
        "users": sorted(User.objects.values_list("username", "password", "email")),
        "memberships": sorted(
            Membership.objects.values_list("user__username", "organization__code")
        ),
        "groups": sorted(User.objects.values_list("username", "groups__name")),
        "activities": Activity.objects.count(),
        "quotes": sorted(Quote.objects.values_list("number", "state", "version")),
        "orders": sorted(SalesOrder.objects.values_list("number", "state", "version")),
        "products": Product.objects.count(),
        "stock": StockEntry.objects.count(),
    }


def test_seed_demo_builds_kestrel_and_is_idempotent(settings):
    settings.DEMO_MODE = True
    call_command("seed_demo", verbosity=0)
    first = _snapshot()
    call_command("seed_demo", verbosity=0)
    assert _snapshot() == first

    kinds = dict(Organization.objects.values_list("code", "kind"))
    assert kinds["KESTREL"] == OrganizationKind.INTERNAL
    assert {kinds[c] for c in ("ACME", "BOREALIS", "COBALT")} == {OrganizationKind.CUSTOMER}
    assert {kinds[c] for c in ("DELTA", "EVERGREEN", "FULCRUM")} == {OrganizationKind.SUPPLIER}
    assert User.objects.filter(username__in=[u.username for u in USERS]).count() == len(USERS)


def test_every_demo_user_has_its_role_and_organization_and_the_demo_password(settings):
    settings.DEMO_MODE = True
    call_command("seed_demo", verbosity=0)
    for spec in USERS:
        user = User.objects.get(username=spec.username)
        assert user.check_password(DEMO_PASSWORD), spec.username
        assert user.has_role(spec.role), spec.username
        assert user.organization.code == spec.org
    assert User.objects.get(username="olivia.ops").is_staff
    acme = User.objects.get(username="acme.buyer")
    assert acme.is_customer_contact and acme.groups.filter(name="org:ACME").exists()


def test_outside_demo_mode_demo_logins_get_no_usable_password(settings):
    settings.DEMO_MODE = False
    call_command("seed_demo", verbosity=0)
    assert not User.objects.get(username="sam.sales").has_usable_password()


def test_seed_demo_has_the_three_products_and_every_quote_and_order_state(settings):
    settings.DEMO_MODE = True
    call_command("seed_demo", verbosity=0)
    modes = set(Product.objects.values_list("fulfillment_mode", flat=True))
    assert modes == {FulfillmentMode.ATO, FulfillmentMode.MTO, FulfillmentMode.DTO}
    for product in Product.objects.all():
        assert product.option_groups.exists() and product.operations.exists(), product
    assert set(Quote.objects.values_list("state", flat=True)) == set(QuoteState.values)
    assert set(SalesOrder.objects.values_list("state", flat=True)) == set(OrderState.values)
