"""Exact query counts of list and detail pages at two sizes, and the proof that every
list and detail route of the access matrix has its count.

The numbers live in one table, `tests/query_counts.py` (`QUERIES`). This module
measures the routes whose count no area test measures yet (`PAGES` below: how to
build a small and a big version of what the page shows), and its meta-tests fail
when a GET route of `tests/access_matrix/registry.py` is neither counted (a row
in `QUERIES`, measured by some test that reads it) nor explicitly not a list or
detail page (`NOT_LIST_OR_DETAIL`, with the reason).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.services import api_token_issue
from apps.catalog.bookings import bookings_write
from apps.catalog.models import BookingKind, StockEntryKind
from apps.core.comments import comment_post
from apps.core.models import Activity, ActivityKind, Audience
from apps.orders.models import ChangeOrigin, ChangeRequest, Quote, QuoteLine, QuoteState
from apps.orders.services import quotes as quote_services
from apps.sales.models import Inquiry, InquiryState, Opportunity, OpportunityQuote
from tests.access_matrix.registry import ROUTES
from tests.catalog.factories import (
    OptionFactory,
    OptionGroupFactory,
    PartFactory,
    SupplierPartFactory,
    stock,
)
from tests.factories import AddressFactory, OrganizationFactory, UserFactory
from tests.orders.conftest import *  # noqa: F403  (catalog, make_quote, order, …)
from tests.query_counts import LIST_OR_DETAIL, NOT_LIST_OR_DETAIL, QUERIES, queries
from tests.sales.test_views_list_queries import _more_documents, _more_lines

TESTS = Path(__file__).resolve().parent
TODAY = timezone.localdate()
PDF = b"%PDF-1.4\n%%EOF\n"


# -- what grows ----------------------------------------------------------------------


def _timeline(obj, n: int, actor) -> None:
    """n more timeline entries on obj (every detail page shows its history)."""
    ct = ContentType.objects.get_for_model(obj)
    Activity.objects.bulk_create(
        Activity(
            content_type=ct,
            object_id=str(obj.pk),
            actor=actor,
            kind=ActivityKind.EVENT,
            verb="noted",
            text=f"Note {i}",
            audience=Audience.CUSTOMER,
        )
        for i in range(n)
    )


def _inquiry(f) -> Inquiry:
    found = Inquiry.objects.filter(number="INQ-COUNT").first()
    return found or Inquiry.objects.create(
        number="INQ-COUNT",
        source="web",
        state=InquiryState.NEW,
        contact_name="Dana",
        contact_email="dana@acme.example",
        company_name="Acme",
        subject="Skids",
        message="Two skids.",
        estimated_value=Decimal("1000"),
        owner=f("sales_rep"),
        form_token=uuid.uuid4(),
    )


def _grow_inquiry(f, n: int) -> None:
    _timeline(_inquiry(f), n, f("sales_rep"))


def _opportunity(f) -> Opportunity:
    found = Opportunity.objects.filter(number="OPP-COUNT").first()
    return found or Opportunity.objects.create(
        number="OPP-COUNT",
        title="Skids for Acme",
        customer=f("acme"),
        owner=f("sales_rep"),
        amount=Decimal("5000"),
        probability=30,
        expected_close_date=TODAY + dt.timedelta(days=30),
    )


def _grow_opportunity(f, n: int) -> None:
    """n more quotes of the opportunity (each with its order) and timeline entries."""
    opportunity = _opportunity(f)
    before = set(f("acme").quotes.values_list("pk", flat=True))
    _more_documents(n, order=f("order"), sales_rep=f("sales_rep"), acme=f("acme"))
    OpportunityQuote.objects.bulk_create(
        OpportunityQuote(opportunity=opportunity, quote=q)
        for q in f("acme").quotes.exclude(pk__in=before)
    )
    _timeline(opportunity, n, f("sales_rep"))


def _grow_customer(f, n: int) -> None:
    """n more quotes, orders and change requests of Acme, contacts, addresses, history."""
    acme = f("acme")
    _more_documents(n, order=f("order"), sales_rep=f("sales_rep"), acme=acme)
    for _ in range(n):
        UserFactory(organization=acme)
        AddressFactory(organization=acme)
    _timeline(acme, n, f("sales_rep"))


def _grow_supplier(f, n: int) -> None:
    delta = f("delta")
    f("catalog")
    for _ in range(n):
        UserFactory(organization=delta)
        AddressFactory(organization=delta)
        part = PartFactory()
        SupplierPartFactory(supplier=delta, part=part)
        due = TODAY + dt.timedelta(days=9)
        entry = stock(part, "5", kind=StockEntryKind.EXPECTED, date=due, reference="PO-9")
        entry.supplier = delta
        entry.save(update_fields=["supplier"])
    _timeline(delta, n, f("buyer"))


def _grow_part(f, n: int) -> None:
    """n more holds on the motor and n more expected receipts of it."""
    motor = f("catalog")["motor"]
    day = TODAY + dt.timedelta(days=5)
    held = {(BookingKind.STOCK, motor.pk, day): Decimal("1")}
    bookings_write([(f"order-line:{uuid.uuid4()}", f"SO-{i}/1", held, {}) for i in range(n)])
    for _ in range(n):
        reference = f"PO-{uuid.uuid4().hex[:6]}"
        entry = stock(motor, "3", kind=StockEntryKind.EXPECTED, date=day, reference=reference)
        entry.supplier = f("delta")
        entry.save(update_fields=["supplier"])


def _grow_contacts(org_fixture: str) -> Callable:
    def grow(f, n: int) -> None:
        org = f(org_fixture)
        for _ in range(n):
            UserFactory(organization=org)
            AddressFactory(organization=org)

    return grow


def _grow_tokens(f, n: int) -> None:
    for i in range(n):
        api_token_issue(user=f("sales_rep"), name=f"token {uuid.uuid4().hex[:6]} {i}")


def _grow_addresses(f, n: int) -> None:
    for _ in range(n):
        AddressFactory(organization=f("acme"))


def _grow_options(f, n: int) -> None:
    skid = f("catalog")["skid"]
    group = OptionGroupFactory(product=skid, code=f"g{uuid.uuid4().hex[:6]}", is_required=False)
    for i in range(n):
        OptionFactory(group=group, code=f"o{i}", name=f"Option {i}")


def _grow_comments(target: str, author: str) -> Callable:
    def grow(f, n: int) -> None:
        obj = f("order") if target == "order" else f("order").quote
        for i in range(n):
            comment_post(
                target=obj,
                actor=f(author),
                text=f"Comment {i}",
                audience=Audience.CUSTOMER,
                files=[SimpleUploadedFile(f"f{i}.pdf", PDF, "application/pdf")],
            )

    return grow


def _change_request(f) -> ChangeRequest:
    order = f("order")
    found = ChangeRequest.objects.filter(number="CR-COUNT").first()
    return found or ChangeRequest.objects.create(
        number="CR-COUNT",
        order=order,
        customer=order.customer,
        origin=ChangeOrigin.CUSTOMER,
        requested_by=f("acme_contact"),
        title="Later delivery",
        description="Please deliver a week later.",
        proposed_changes=[{"line": str(order.lines.first().pk), "quantity": 2}],
    )


def _grow_lines(f, n: int) -> None:
    _more_lines(n, order=f("order"))


def _grow_cr_lines(f, n: int) -> None:
    _change_request(f)
    _more_lines(n, order=f("order"))


def _draft(f):
    found = Quote.objects.filter(state=QuoteState.DRAFT, title="Counted draft").first()
    return found or f("make_quote")(title="Counted draft")


def _grow_draft(f, n: int) -> None:
    quote = _draft(f)
    line = quote.lines.first()
    fields = {x.attname: getattr(line, x.attname) for x in QuoteLine._meta.concrete_fields}
    QuoteLine.objects.bulk_create(
        QuoteLine(**{**fields, "id": uuid.uuid4(), "position": 1000 + quote.lines.count() + i})
        for i in range(n)
    )


def _sent(f) -> Quote:
    return Quote.objects.filter(title="Counted PDF").order_by("-number").first()


def _grow_sent(f, n: int) -> None:
    """A new quote sent with n + 2 lines (what the PDF shows is the sent revision);
    the PDF's URL is the newest one's."""
    rep = f("sales_rep")
    quote = f("make_quote")(title="Counted PDF")
    line = quote.lines.first()
    fields = {x.attname: getattr(line, x.attname) for x in QuoteLine._meta.concrete_fields}
    QuoteLine.objects.bulk_create(
        QuoteLine(**{**fields, "id": uuid.uuid4(), "position": 1000 + i}) for i in range(n + 1)
    )
    quote = quote_services.quote_recalculate(quote=quote)
    quote = quote_services.quote_submit(quote=quote, actor=rep)
    quote_services.quote_send(quote=quote, actor=rep)


def _grow_customers(f, n: int) -> None:
    for _ in range(n):
        OrganizationFactory(kind="customer", name=f"Acme {uuid.uuid4().hex[:8]}")


# -- the routes this module measures --------------------------------------------------


@dataclass(frozen=True)
class Page:
    url: Callable  # url(f) with f(fixture name) -> fixture value
    grow: Callable  # grow(f, n): n more of what the page shows
    small: int = 2  # what the small version has more than the fixtures
    big: int = 30  # the big version: more rows than a page (25), 200-line documents
    grows: bool = True  # the answer shows more at the big size


LINES = {"small": 1, "big": 199}  # a 2-line and a 200-line document

PAGES: dict[tuple[str, str], Page] = {
    ("sales:customer-detail", "sales_rep"): Page(
        lambda f: reverse("sales:customer-detail", args=[f("acme").pk]), _grow_customer
    ),
    ("sales:inquiry-detail", "sales_rep"): Page(
        lambda f: reverse("sales:inquiry-detail", args=[_inquiry(f).pk]), _grow_inquiry
    ),
    ("sales:opportunity-detail", "sales_rep"): Page(
        lambda f: reverse("sales:opportunity-detail", args=[_opportunity(f).pk]),
        _grow_opportunity,
    ),
    ("sales:order-comments", "sales_rep"): Page(
        lambda f: reverse("sales:order-comments", args=[f("order").pk]),
        _grow_comments("order", "sales_rep"),
    ),
    ("customers:quote-comments", "acme_contact"): Page(
        lambda f: reverse("customers:quote-comments", args=[f("order").quote.pk]),
        _grow_comments("quote", "acme_contact"),
    ),
    ("customers:order-comments", "acme_contact"): Page(
        lambda f: reverse("customers:order-comments", args=[f("order").pk]),
        _grow_comments("order", "acme_contact"),
    ),
    ("customers:organization", "acme_contact"): Page(
        lambda f: reverse("customers:organization"), _grow_contacts("acme")
    ),
    ("suppliers:supplier-detail", "buyer"): Page(
        lambda f: reverse("suppliers:supplier-detail", args=[f("delta").pk]), _grow_supplier
    ),
    ("suppliers:part-detail", "planner"): Page(
        lambda f: reverse("suppliers:part-detail", args=[f("catalog")["motor"].pk]), _grow_part
    ),
    ("suppliers:portal-dashboard", "delta_contact"): Page(
        lambda f: reverse("suppliers:portal-dashboard"), _grow_supplier
    ),
    ("suppliers:portal-organization", "delta_contact"): Page(
        lambda f: reverse("suppliers:portal-organization"), _grow_contacts("delta")
    ),
    ("accounts:account", "sales_rep"): Page(lambda f: reverse("accounts:account"), _grow_tokens),
    ("sales:quote-pdf", "sales_rep"): Page(
        lambda f: reverse("sales:quote-pdf", args=[_sent(f).pk]), _grow_sent, *LINES.values()
    ),
    ("customers:quote-pdf", "acme_contact"): Page(
        lambda f: reverse("customers:quote-pdf", args=[_sent(f).pk]), _grow_sent, *LINES.values()
    ),
    # the signed-in user: nothing of it grows; more organizations must not cost more
    ("api-me", "api:sales_rep"): Page(lambda f: reverse("api-me"), _grow_customers, grows=False),
    ("organization-detail", "api:sales_rep"): Page(
        lambda f: reverse("organization-detail", args=[f("acme").pk]), _grow_addresses
    ),
    ("organization-detail", "api:acme_contact"): Page(
        lambda f: reverse("organization-detail", args=[f("acme").pk]), _grow_addresses
    ),
    ("product-detail", "api:sales_rep"): Page(
        lambda f: reverse("product-detail", args=[f("catalog")["skid"].pk]), _grow_options
    ),
    # one row and no children: its history (which grows) is not in the API's answer
    ("inquiry-detail", "api:sales_rep"): Page(
        lambda f: reverse("inquiry-detail", args=[_inquiry(f).pk]), _grow_inquiry, grows=False
    ),
    ("opportunity-detail", "api:sales_rep"): Page(
        lambda f: reverse("opportunity-detail", args=[_opportunity(f).pk]), _grow_opportunity
    ),
    # the revisions sent before the current one (none here): 2 or 200 lines on the
    # quote cost the same; more revisions are not grown (see the module's report)
    ("quote-revisions", "api:sales_rep"): Page(
        lambda f: reverse("quote-revisions", args=[f("order").quote.pk]),
        _grow_lines,
        *LINES.values(),
        grows=False,
    ),
    ("quote-comments", "api:sales_rep"): Page(
        lambda f: reverse("quote-comments", args=[f("order").quote.pk]),
        _grow_comments("quote", "sales_rep"),
    ),
    ("sales:quote-builder", "sales_rep"): Page(
        lambda f: reverse("sales:quote-builder", args=[_draft(f).pk]),
        _grow_draft,
        *LINES.values(),
    ),
    ("sales:customer-lookup", "sales_rep"): Page(
        lambda f: reverse("sales:customer-lookup") + "?q=acme", _grow_customers
    ),
    # the request shows its proposed changes, not the order's lines: 2 or 200 of
    # them (which `apply` checks) must cost the same
    ("change-request-detail", "api:sales_rep"): Page(
        lambda f: reverse("change-request-detail", args=[_change_request(f).pk]),
        _grow_cr_lines,
        *LINES.values(),
        grows=False,
    ),
    ("change-request-detail", "api:acme_contact"): Page(
        lambda f: reverse("change-request-detail", args=[_change_request(f).pk]),
        _grow_cr_lines,
        *LINES.values(),
        grows=False,
    ),
}


def _client(request, who: str):
    if who.startswith("api:"):
        return request.getfixturevalue("token_api")(request.getfixturevalue(who[4:]))
    client = Client()
    client.force_login(request.getfixturevalue(who))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "who"), list(PAGES), ids=[f"{n}[{w}]" for n, w in PAGES])
def test_the_page_makes_the_same_exact_queries_small_and_big(
    request, django_assert_num_queries, name, who
):
    page = PAGES[(name, who)]
    request.getfixturevalue("order")  # the shared dataset: catalog, Acme, a quote, its order
    f = request.getfixturevalue
    client = _client(request, who)
    page.grow(f, page.small)
    url = page.url(f)
    assert client.get(url).status_code == 200  # warm-up: content types, session
    with django_assert_num_queries(queries(name, who)):
        small = client.get(url)
    assert small.status_code == 200
    page.grow(f, page.big - page.small)
    url = page.url(f)
    assert client.get(url).status_code == 200  # a new object (a PDF): warm it alike
    with django_assert_num_queries(queries(name, who)):
        big = client.get(url)
    assert big.status_code == 200
    if page.grows:  # the big version shows more: what grew is what the page shows
        assert len(_body(big)) > len(_body(small))


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# -- the proof of coverage ------------------------------------------------------------


def _get_routes() -> set[str]:
    return {name for name, cases in ROUTES.items() if any(c.method == "get" for c in cases)}


def test_every_list_and_detail_route_has_an_exact_query_count():
    """A GET route is counted (a row in QUERIES) or named in NOT_LIST_OR_DETAIL with
    the reason; a route whose name says list or detail can't be excused."""
    routes = _get_routes()
    missing = sorted(routes - set(QUERIES) - set(NOT_LIST_OR_DETAIL))
    excused = sorted(n for n in NOT_LIST_OR_DETAIL if LIST_OR_DETAIL.search(n))
    stale = sorted((set(QUERIES) | set(NOT_LIST_OR_DETAIL)) - routes)
    both = sorted(set(QUERIES) & set(NOT_LIST_OR_DETAIL))
    assert not missing, f"add an exact query-count row to tests/query_counts.py for {missing}"
    assert not excused, f"list and detail routes must be counted, not excused: {excused}"
    assert not stale, f"no such GET route in the access matrix: {stale}"
    assert not both, f"counted and excused at once: {both}"


def test_every_row_of_the_table_is_measured_by_a_test():
    """A count nobody measures proves nothing: each route's name is passed to
    `queries()` (or keys a table passed to it) in some test module."""
    sources = {
        path: path.read_text()
        for path in TESTS.rglob("test_*.py")
        if "from tests.query_counts import" in path.read_text()
    }
    measured_here = {name for name, _who in PAGES}
    unmeasured = [
        name
        for name in QUERIES
        if name not in measured_here
        and not any(re.search(rf"[\"']{re.escape(name)}[\"']", s) for s in sources.values())
    ]
    assert not unmeasured, f"rows of QUERIES no test reads: {unmeasured}"
    # Every audience of a row this module measures is measured here, or read with its
    # audience by another module (the part page's buyer, in its holds test).
    for name, whos in QUERIES.items():
        if name in measured_here:
            here = {w for n, w in PAGES if n == name}
            assert here <= set(whos), name
            for who in set(whos) - here:
                call = rf"queries\(\s*[\"']{re.escape(name)}[\"'],\s*[\"']{re.escape(who)}[\"']"
                assert any(re.search(call, s) for s in sources.values()), (name, who)
