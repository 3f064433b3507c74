"""The sales customer directory: list, filters, detail, invitations."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from apps.accounts.models import Invitation, OrganizationKind
from apps.core.models import Activity
from tests.factories import AddressFactory, OrganizationFactory
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

LIST = "/sales/customers/"
ROW = re.compile(r'<tr data-org="([^"]+)">')


def _codes(response) -> list[str]:
    return ROW.findall(response.content.decode())


def _detail(org) -> str:
    return f"/sales/customers/{org.pk}/"


@pytest.fixture
def customers(db):
    return [
        OrganizationFactory(code=f"C{i:03d}", name=f"Customer {i:03d}", kind="customer")
        for i in range(30)
    ]


# --- list ------------------------------------------------------------------------


def test_sales_home_redirects_to_the_customer_list(client_for, sales_rep):
    response = client_for(sales_rep).get("/sales/")
    assert response.status_code == 302
    assert response["Location"] == LIST


def test_list_shows_customers_and_never_suppliers(client_for, sales_rep, acme, borealis, delta):
    response = client_for(sales_rep).get(LIST)
    assert response.status_code == 200
    assert _codes(response) == ["ACME", "BOREALIS"]
    assert "Delta Motors" not in response.content.decode()


def test_columns_show_terms_credit_contacts_and_pending_invitations(
    client_for, sales_rep, acme, acme_contact
):
    acme.credit_limit = 750000
    acme.payment_terms = "net45"
    acme.save()
    Invitation.objects.create(
        organization=acme, email="new@acme.example", first_name="New", invited_by=sales_rep
    )
    html = client_for(sales_rep).get(LIST).content.decode()
    row = html.split('<tr data-org="ACME">', 1)[1].split("</tr>", 1)[0]
    assert "Net 45 days" in row
    assert "USD 750,000" in row
    assert re.search(r'<td class="text-end">1</td>', row)  # one contact
    assert '<span class="badge text-bg-info">1</span>' in row  # one pending invitation


def test_search_matches_name_and_code(client_for, sales_rep, acme, borealis):
    client = client_for(sales_rep)
    assert _codes(client.get(LIST, {"q": "brew"})) == ["BOREALIS"]
    assert _codes(client.get(LIST, {"q": "acm"})) == ["ACME"]
    empty = client.get(LIST, {"q": "zzz"}).content.decode()
    assert "No customers match these filters" in empty
    assert 'href="/sales/customers/"' in empty  # clear filters


def test_status_and_contact_filters(client_for, sales_rep, acme, borealis, acme_contact):
    borealis.is_active = False
    borealis.save()
    client = client_for(sales_rep)
    assert _codes(client.get(LIST, {"is_active": "true"})) == ["ACME"]
    assert _codes(client.get(LIST, {"is_active": "false"})) == ["BOREALIS"]
    assert _codes(client.get(LIST, {"has_contacts": "true"})) == ["ACME"]
    assert _codes(client.get(LIST, {"has_contacts": "false"})) == ["BOREALIS"]


def test_ordering_from_the_allow_list(client_for, sales_rep, acme, borealis):
    client = client_for(sales_rep)
    assert _codes(client.get(LIST, {"ordering": "-name"})) == ["BOREALIS", "ACME"]
    assert _codes(client.get(LIST, {"ordering": "code"})) == ["ACME", "BOREALIS"]


def test_ordering_outside_the_allow_list_is_ignored(client_for, sales_rep, acme, borealis):
    response = client_for(sales_rep).get(LIST, {"ordering": "-internal_notes"})
    assert response.status_code == 200
    assert _codes(response) == ["ACME", "BOREALIS"]


@pytest.mark.parametrize(
    "query",
    [
        {"is_active": "maybe"},
        {"has_contacts": "\x00"},
        {"ordering": "credit_limit"},
        {"page": "abc"},
        {"page": "9999"},
        {"q": "x" * 500},
        {"unknown": "1"},
    ],
)
def test_bad_filter_values_give_a_clean_page(client_for, sales_rep, acme, query):
    response = client_for(sales_rep).get(LIST, query)
    assert response.status_code == 200
    assert "<html" in response.content.decode()


def test_unknown_filter_value_is_reported_not_applied(client_for, sales_rep, acme, borealis):
    html = client_for(sales_rep).get(LIST, {"is_active": "maybe"}).content.decode()
    assert "Some filters were not understood" in html
    assert ROW.findall(html) == ["ACME", "BOREALIS"]


def test_paginates_25_per_page_and_keeps_filters(client_for, sales_rep, customers):
    client = client_for(sales_rep)
    first = client.get(LIST, {"q": "Customer"})
    assert len(_codes(first)) == 25
    html = first.content.decode()
    assert "1–25 of 30" in html
    assert 'href="?q=Customer&amp;page=2"' in html
    second = client.get(LIST, {"q": "Customer", "page": 2})
    assert _codes(second) == [f"C{i:03d}" for i in range(25, 30)]
    assert "26–30 of 30" in second.content.decode()


def test_htmx_search_returns_only_the_results_partial(client_for, sales_rep, acme, borealis):
    response = client_for(sales_rep).get(LIST, {"q": "acme"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="directory-results"')
    assert "<html" not in html and 'aria-label="Main navigation"' not in html
    assert ROW.findall(html) == ["ACME"]


def test_empty_directory_shows_an_empty_state(client_for, sales_rep):
    html = client_for(sales_rep).get(LIST).content.decode()
    assert "No customers yet" in html


@pytest.mark.parametrize("size", [5, 30])
def test_list_query_count_is_constant(client_for, sales_rep, django_assert_num_queries, size):
    for i in range(size):
        org = OrganizationFactory(code=f"Q{i:03d}", name=f"Query {i:03d}", kind="customer")
        Invitation.objects.create(
            organization=org, email=f"p{i}@q.example", first_name="P", invited_by=sales_rep
        )
    client = client_for(sales_rep)
    client.get(LIST)  # warm process-wide caches (content types) so only the page counts
    # session, user with organization, roles and permissions (one query), then
    # the fast list pattern: capped count, the page's ids, the page's rows with
    # their contact and invitation counts; the unread badge is cached.
    with django_assert_num_queries(queries("sales:customer-list", "sales_rep")) as captured:
        response = client.get(LIST)
    assert len(_codes(response)) == min(size, 25)
    # Only the page's rows are aggregated: one GROUP BY, restricted to their ids.
    grouped = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"]]
    assert len(grouped) == 1 and " IN (" in grouped[0]


# --- detail ----------------------------------------------------------------------


def test_detail_shows_the_customer_for_sales(client_for, sales_rep, acme, acme_contact):
    acme.internal_notes = "Pays late in December."
    acme.credit_limit = 750000
    acme.save()
    AddressFactory(organization=acme, line1="88 Reservoir Way", city="Springfield")
    acme_contact.last_login = timezone.now()
    acme_contact.save()
    response = client_for(sales_rep).get(_detail(acme))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="h3 mb-0">Acme Water Utility</h1>' in html
    assert "88 Reservoir Way" in html
    assert acme_contact.email in html
    assert "Pays late in December." in html
    assert "USD 750,000" in html
    assert 'id="id_invite-first_name"' in html  # the invite form
    assert 'id="org-timeline"' in html


def test_detail_of_a_supplier_is_not_found_under_sales(client_for, sales_rep, delta):
    assert client_for(sales_rep).get(_detail(delta)).status_code == 404


def test_detail_of_an_unknown_id_is_not_found(client_for, sales_rep):
    response = client_for(sales_rep).get(f"{LIST}00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404


@pytest.mark.parametrize("contact", ["acme_contact", "borealis_contact"])
def test_customer_contacts_cannot_open_customer_pages(request, client_for, acme, contact):
    client = client_for(request.getfixturevalue(contact))
    assert client.get(_detail(acme)).status_code == 404


def test_detail_lists_invitations_with_status_and_inviter(client_for, sales_rep, acme):
    pending = Invitation.objects.create(
        organization=acme, email="p@acme.example", first_name="Pia", invited_by=sales_rep
    )
    Invitation.objects.create(
        organization=acme,
        email="r@acme.example",
        first_name="Rex",
        invited_by=sales_rep,
        revoked_at=timezone.now(),
    )
    expired = Invitation.objects.create(
        organization=acme, email="e@acme.example", first_name="Eve", invited_by=sales_rep
    )
    Invitation.objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=30)
    )
    html = client_for(sales_rep).get(_detail(acme)).content.decode()
    table = html.split('data-testid="invitations"', 1)[1].split("</table>", 1)[0]
    assert 'data-state="pending"' in table
    assert 'data-state="revoked"' in table
    assert 'data-state="expired"' in table
    assert str(sales_rep) in table
    # Only the pending one can be withdrawn.
    assert table.count(">Withdraw</button>") == 1
    assert f"/invitations/{pending.pk}/withdraw/" in table


def test_detail_shows_the_timeline(client_for, sales_rep, acme):
    from apps.core.services import activity_record

    activity_record(target=acme, actor=sales_rep, verb="note", text="Met at the trade fair")
    html = client_for(sales_rep).get(_detail(acme)).content.decode()
    assert "Met at the trade fair" in html


# --- invitations -------------------------------------------------------------------


def _invite(client, org, htmx=False, **data):
    payload = {f"invite-{k}": v for k, v in data.items()}
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(f"{_detail(org)}invite/", payload, **extra)


def test_invite_creates_invitation_and_emails_after_commit(
    client_for, sales_rep, acme, django_capture_on_commit_callbacks, mailoutbox
):
    client = client_for(sales_rep)
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(
            client, acme, first_name="Ada", last_name="Lovelace", email="Ada@Acme.example"
        )
    assert response.status_code == 302
    assert response["Location"] == _detail(acme)
    invitation = Invitation.objects.get()
    assert (invitation.organization, invitation.email) == (acme, "ada@acme.example")
    assert invitation.invited_by == sales_rep
    assert [m.to for m in mailoutbox] == [["ada@acme.example"]]
    assert Activity.objects.filter(verb="contact_invited", object_id=str(acme.pk)).exists()
    page = client.get(_detail(acme)).content.decode()
    assert "Invitation sent to ada@acme.example." in page


def test_htmx_invite_returns_the_invitations_partial_and_timeline(
    client_for, sales_rep, acme, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(
            client_for(sales_rep), acme, htmx=True, first_name="Ada", email="ada@acme.example"
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card mb-4" id="invitations"')
    assert "<html" not in html
    assert "ada@acme.example" in html
    assert '<div id="org-timeline" hx-swap-oob="true">' in html
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_invalid_invite_shows_inline_errors_and_creates_nothing(
    client_for, sales_rep, acme, mailoutbox, htmx
):
    response = _invite(client_for(sales_rep), acme, htmx=htmx, first_name="", email="not-an-email")
    assert response.status_code == 422
    html = response.content.decode()
    assert ("<html" in html) is not htmx
    assert 'id="id_invite-email-errors"' in html
    assert "Enter a valid email address." in html
    assert 'aria-invalid="true"' in html
    assert "This field is required." in html
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_invite_for_an_existing_user_is_refused_inline(client_for, sales_rep, acme, acme_contact):
    response = _invite(
        client_for(sales_rep), acme, htmx=True, first_name="A", email=acme_contact.email.upper()
    )
    assert response.status_code == 422
    assert "already exists" in response.content.decode()
    assert not Invitation.objects.exists()


def test_user_without_add_invitation_sees_no_form_and_cannot_post(client_for, engineer, acme):
    client = client_for(engineer)
    html = client.get(_detail(acme)).content.decode()
    assert "Invite a contact" not in html
    assert 'id="invitations"' not in html
    response = _invite(client, acme, first_name="Ada", email="ada@acme.example")
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_finance_reads_the_directory_but_cannot_invite(client_for, finance, acme):
    client = client_for(finance)
    assert client.get(LIST).status_code == 200
    assert "Invite a contact" not in client.get(_detail(acme)).content.decode()
    assert _invite(client, acme, first_name="A", email="a@acme.example").status_code == 403


def test_get_on_invite_is_not_allowed(client_for, sales_rep, acme):
    assert client_for(sales_rep).get(f"{_detail(acme)}invite/").status_code == 405


# --- withdraw -------------------------------------------------------------------


@pytest.fixture
def pending(acme, sales_rep):
    return Invitation.objects.create(
        organization=acme, email="p@acme.example", first_name="Pia", invited_by=sales_rep
    )


def _withdraw_url(org, invitation) -> str:
    return f"{_detail(org)}invitations/{invitation.pk}/withdraw/"


def test_withdraw_revokes_a_pending_invitation(client_for, sales_manager, acme, pending):
    response = client_for(sales_manager).post(_withdraw_url(acme, pending), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.revoked_at is not None
    html = response.content.decode()
    assert "Invitation for p@acme.example withdrawn." in html
    assert 'data-state="revoked"' in html
    assert Activity.objects.filter(verb="invitation_revoked").count() == 1


def test_withdraw_of_an_accepted_invitation_changes_nothing(client_for, sales_rep, acme, pending):
    Invitation.objects.filter(pk=pending.pk).update(accepted_at=timezone.now())
    response = client_for(sales_rep).post(_withdraw_url(acme, pending))
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.revoked_at is None


def test_withdraw_through_another_customers_url_is_not_found(
    client_for, sales_rep, borealis, pending
):
    response = client_for(sales_rep).post(_withdraw_url(borealis, pending))
    assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.revoked_at is None


def test_withdraw_needs_add_invitation(client_for, engineer, acme, pending):
    assert client_for(engineer).post(_withdraw_url(acme, pending)).status_code == 403
    pending.refresh_from_db()
    assert pending.revoked_at is None


def test_contact_cannot_withdraw(client_for, acme_contact, acme, pending):
    assert client_for(acme_contact).post(_withdraw_url(acme, pending)).status_code == 404
    pending.refresh_from_db()
    assert pending.revoked_at is None


def test_kind_is_customer_for_every_listed_row(client_for, sales_rep, customers, delta):
    codes = _codes(client_for(sales_rep).get(LIST, {"page": 2}))
    from apps.accounts.models import Organization

    kinds = set(Organization.objects.filter(code__in=codes).values_list("kind", flat=True))
    assert kinds == {OrganizationKind.CUSTOMER}


# --- receiving days of a shipping site (issue 9: delivery on a day the site receives) ---


def _receiving_url(org, address) -> str:
    return f"/sales/customers/{org.pk}/addresses/{address.pk}/receiving/"


def test_a_rep_sets_the_days_a_site_receives(client_for, sales_rep, acme):
    site = AddressFactory(organization=acme, kind="shipping", label="Dock 4")
    prefix = f"a{site.pk.hex[:8]}"
    client = client_for(sales_rep)
    assert "Receives Mon, Tue, Wed, Thu, Fri" in client.get(_detail(acme)).content.decode()

    response = client.post(
        _receiving_url(acme, site), {f"{prefix}-weekdays": ["2", "4"]}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "Receives Tue, Thu" in response.content.decode()
    site.refresh_from_db()
    assert site.receiving_weekdays == "2,4"
    assert Activity.objects.filter(verb="receiving_days_changed", object_id=str(acme.pk)).exists()


def test_no_receiving_day_is_a_form_error(client_for, sales_rep, acme):
    site = AddressFactory(organization=acme, kind="shipping")
    response = client_for(sales_rep).post(_receiving_url(acme, site), {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Choose at least one day the site receives goods." in response.content.decode()
    site.refresh_from_db()
    assert site.receiving_weekdays == "1,2,3,4,5"


def test_who_may_change_receiving_days(client_for, planner, buyer, sales_rep, acme, borealis):
    site = AddressFactory(organization=acme, kind="shipping")
    data = {f"a{site.pk.hex[:8]}-weekdays": ["1"]}
    # A planner reads the directory but may not change it; purchasing does not see customers.
    assert client_for(planner).post(_receiving_url(acme, site), data).status_code == 403
    assert client_for(buyer).post(_receiving_url(acme, site), data).status_code == 404
    # Another customer's site under acme's URL is not found.
    assert client_for(sales_rep).post(_receiving_url(borealis, site), data).status_code == 404
    assert client_for(planner).get(_detail(acme)).content.decode().count("receiving-form") == 0
    site.refresh_from_db()
    assert site.receiving_weekdays == "1,2,3,4,5"
