"""/api/v1/organizations/: staff see the directory, a contact only its own organization."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import OrganizationKind
from tests.factories import AddressFactory, OrganizationFactory, UserFactory, api_token_key
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

LIST = "/api/v1/organizations/"


def detail(org) -> str:
    return f"{LIST}{org.pk}/"


@pytest.fixture
def api():
    """A client authenticating with a token, as an integration does: the user is
    loaded on every request, so query counts include what authentication costs."""

    def _client(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_key(user)}")
        return client

    return _client


@pytest.fixture
def directory(kestrel, acme, borealis, delta, evergreen):
    acme.credit_limit = Decimal("250000.00")
    acme.internal_notes = "Slow payer; ask finance before releasing."
    acme.save()
    AddressFactory(organization=acme, label="Main plant", is_default=True)
    AddressFactory(organization=acme, label="Dock 4", kind="billing")
    return [kestrel, acme, borealis, delta, evergreen]


def names(res) -> list[str]:
    return [row["name"] for row in res.json()["results"]]


# -- who sees what -----------------------------------------------------------------


def test_internal_staff_list_every_organization(api, directory, finance):
    res = api(finance).get(LIST)
    assert res.status_code == 200
    assert res.json()["count"] == 5
    assert names(res) == sorted(o.name for o in directory)


@pytest.mark.parametrize(
    ("role", "sees", "hidden"),
    [
        ("sales_rep", {"ACME", "BOREALIS", "KESTREL"}, {"DELTA", "EVERGREEN"}),
        ("buyer", {"DELTA", "EVERGREEN", "KESTREL"}, {"ACME", "BOREALIS"}),
    ],
)
def test_sales_and_purchasing_each_see_only_their_own_partners(
    request, api, directory, role, sees, hidden
):
    client = api(request.getfixturevalue(role))
    codes = {row["code"] for row in client.get(LIST).json()["results"]}
    assert codes == sees
    for org in directory:
        status = client.get(detail(org)).status_code
        assert status == (404 if org.code in hidden else 200), org.code


def test_staff_see_the_credit_limit_but_never_internal_notes(api, directory, finance, acme):
    body = api(finance).get(detail(acme)).json()
    assert body["credit_limit"] == "250000.00"
    assert "internal_notes" not in body
    assert {a["label"] for a in body["addresses"]} == {"Main plant", "Dock 4"}


def test_an_internal_login_without_a_role_sees_nothing(api, directory, kestrel, acme):
    nobody = UserFactory(username="no.role", organization=kestrel)
    assert api(nobody).get(LIST).json()["count"] == 0
    assert api(nobody).get(detail(acme)).status_code == 404


@pytest.mark.parametrize(
    ("contact", "own"),
    [
        ("acme_contact", "ACME"),
        ("borealis_contact", "BOREALIS"),
        ("delta_contact", "DELTA"),
    ],
)
def test_a_contact_lists_only_its_own_organization(api, directory, request, contact, own):
    res = api(request.getfixturevalue(contact)).get(LIST)
    assert res.status_code == 200
    assert [row["code"] for row in res.json()["results"]] == [own]


def test_a_contact_reads_its_own_organization_without_credit_limit_or_notes(
    api, directory, acme_contact, acme
):
    res = api(acme_contact).get(detail(acme))
    assert res.status_code == 200
    body = res.json()
    assert body["code"] == "ACME"
    assert "credit_limit" not in body
    assert "internal_notes" not in body
    assert len(body["addresses"]) == 2
    listed = api(acme_contact).get(LIST).json()["results"][0]
    assert "credit_limit" not in listed
    assert "internal_notes" not in listed


@pytest.mark.parametrize("other", ["borealis", "kestrel", "delta"])
def test_another_organization_is_not_found_for_a_contact(
    api, directory, acme_contact, request, other
):
    res = api(acme_contact).get(detail(request.getfixturevalue(other)))
    assert res.status_code == 404
    # The same answer as for an id that does not exist: nothing leaks.
    assert res.json() == {"detail": "Not found."}
    assert api(acme_contact).get(f"{LIST}{uuid.uuid4()}/").json() == {"detail": "Not found."}


def test_the_other_customer_is_refused_the_first_ones_organization(
    api, directory, borealis_contact, acme
):
    assert api(borealis_contact).get(detail(acme)).status_code == 404


def test_a_malformed_id_is_not_found(api, directory, sales_rep):
    assert api(sales_rep).get(f"{LIST}not-a-uuid/").status_code == 404


def test_a_deactivated_contact_is_refused(api, directory, acme_contact):
    client = api(acme_contact)
    acme_contact.is_active = False
    acme_contact.save(update_fields=["is_active"])
    assert client.get(LIST).status_code == 401


def test_the_collection_is_read_only(api, directory, sales_manager, acme):
    client = api(sales_manager)
    assert client.post(LIST, {"name": "New", "code": "NEW"}).status_code == 405
    assert client.patch(detail(acme), {"name": "Renamed"}).status_code == 405
    assert client.delete(detail(acme)).status_code == 405


# -- filters, ordering, pagination ----------------------------------------------------


def test_filter_by_kind(api, directory, finance):
    res = api(finance).get(LIST, {"kind": OrganizationKind.SUPPLIER})
    assert names(res) == ["Delta Motors", "Evergreen Castings"]


def test_an_unknown_kind_is_a_field_error(api, directory, sales_rep):
    res = api(sales_rep).get(LIST, {"kind": "partner"})
    assert res.status_code == 400
    assert "kind" in res.json()


def test_filter_by_is_active(api, directory, sales_rep, borealis):
    borealis.is_active = False
    borealis.save(update_fields=["is_active"])
    client = api(sales_rep)
    assert names(client.get(LIST, {"is_active": "false"})) == ["Borealis Brewing"]
    assert "Borealis Brewing" not in names(client.get(LIST, {"is_active": "true"}))


def test_search_by_name_or_code(api, directory, finance):
    client = api(finance)
    assert names(client.get(LIST, {"q": "brew"})) == ["Borealis Brewing"]
    assert names(client.get(LIST, {"q": "evergreen"})) == ["Evergreen Castings"]
    assert names(client.get(LIST, {"q": "DELT"})) == ["Delta Motors"]


def test_filters_never_widen_what_a_contact_sees(api, directory, acme_contact):
    client = api(acme_contact)
    assert names(client.get(LIST, {"q": "Borealis"})) == []
    assert names(client.get(LIST, {"kind": "supplier"})) == []


def test_ordering_from_the_allow_list(api, directory, sales_rep):
    client = api(sales_rep)
    codes = [r["code"] for r in client.get(LIST, {"ordering": "-code"}).json()["results"]]
    assert codes == sorted(codes, reverse=True)
    kinds = [r["kind"] for r in client.get(LIST, {"ordering": "kind,name"}).json()["results"]]
    assert kinds == sorted(kinds)


@pytest.mark.parametrize("ordering", ["internal_notes", "-credit_limit", "group__name", "nope"])
def test_ordering_outside_the_allow_list_is_ignored(api, directory, finance, ordering):
    res = api(finance).get(LIST, {"ordering": ordering})
    assert res.status_code == 200
    assert names(res) == sorted(o.name for o in directory)


def test_pages_and_page_size(api, directory, finance):
    client = api(finance)
    first = client.get(LIST, {"page_size": 2}).json()
    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["next"] is not None
    last = client.get(LIST, {"page_size": 2, "page": 3}).json()
    assert len(last["results"]) == 1
    assert last["next"] is None


# -- query counts -----------------------------------------------------------------


@pytest.fixture
def organizations(kestrel, acme, borealis):
    """organizations(total): the three fixtures plus customers up to `total`, two addresses each."""

    def _make(total: int) -> None:
        for org in (kestrel, acme, borealis):
            AddressFactory(organization=org)
        for i in range(total - 3):
            org = OrganizationFactory(name=f"Customer {i:03}", code=f"C{i:03}")
            AddressFactory(organization=org)
            AddressFactory(organization=org, kind="billing")

    return _make


# Token lookup with its user and organization, the caller's roles and model
# permissions (one query, also telling which kinds of partner they read), count,
# page ids, page rows, addresses of the page.
STAFF_QUERIES = queries("organization-list", "api:finance")


@pytest.mark.parametrize("total", [3, 30])
def test_staff_list_queries_are_constant(
    api, organizations, finance, django_assert_num_queries, total
):
    organizations(total)
    client = api(finance)
    with django_assert_num_queries(STAFF_QUERIES):
        res = client.get(LIST)
    assert res.json()["count"] == total
    assert len(res.json()["results"]) == min(25, total)
    assert all(row["addresses"] for row in res.json()["results"])


# Token lookup with its user and organization, count, page ids, rows, addresses.
CONTACT_QUERIES = queries("organization-list", "api:acme_contact")


@pytest.mark.parametrize("total", [3, 30])
def test_contact_list_queries_are_constant(
    api, organizations, acme_contact, django_assert_num_queries, total
):
    organizations(total)
    client = api(acme_contact)
    with django_assert_num_queries(CONTACT_QUERIES):
        res = client.get(LIST)
    assert [r["code"] for r in res.json()["results"]] == ["ACME"]
