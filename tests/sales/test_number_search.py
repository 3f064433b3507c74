"""`q=` with a number fragment: a prefix of the number, served by a B-tree.

Q-0001 / so-12 (prefixed): the number starts with it; 000123 (zero padded): the
digits start with it; 12: the digits without their padding start with it. Text
(and digits of 3 or more) still searches titles and POs by trigram.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from apps.orders import selectors
from apps.orders.models import Quote, SalesOrder
from tests.explain import explain

NUMBERS = ["Q-000012", "Q-000120", "Q-001234", "Q-0000123", "Q-123000", "Q-000500"]
TITLES = {"Q-000500": "Pump station 123", "Q-001234": "Valve skid"}


@pytest.fixture
def quotes(acme, sales_rep):
    today = timezone.localdate()
    made = Quote.objects.bulk_create(
        Quote(
            number=number,
            title=TITLES.get(number, "Bench quote"),
            customer=acme,
            owner=sales_rep,
            valid_until=today + dt.timedelta(days=30),
            total_amount=Decimal("10"),
        )
        for number in NUMBERS
    )
    order = {"customer": acme, "owner": sales_rep, "quote_revision": 0, "total": Decimal("10")}
    SalesOrder.objects.bulk_create(
        SalesOrder(
            **order,
            number=quote.number.replace("Q-", "SO-"),
            quote=quote,
            customer_po="PO-4500123" if quote.number == "Q-000500" else "",
        )
        for quote in made
    )
    return made


def _quotes(value: str) -> set[str]:
    return set(
        selectors.quote_search(Quote.objects.filter(number__in=NUMBERS), value).values_list(
            "number", flat=True
        )
    )


def _orders(value: str) -> set[str]:
    qs = SalesOrder.objects.filter(number__startswith="SO-")
    return set(selectors.order_search(qs, value).values_list("number", flat=True))


@pytest.mark.parametrize(
    ("value", "found"),
    [
        # prefixed: the number starts with it, any case
        ("Q-0001", {"Q-000120"}),
        ("q-00123", {"Q-001234"}),
        ("Q-", set(NUMBERS)),
        # zero padded: the digits start with it
        ("0001", {"Q-000120"}),
        ("000012", {"Q-000012", "Q-0000123"}),
        # no padding: the significant digits start with it, whatever the width
        ("12", {"Q-000012", "Q-000120", "Q-001234", "Q-0000123", "Q-123000"}),
        # 3 digits or more also search the title by trigram
        ("123", {"Q-001234", "Q-0000123", "Q-123000", "Q-000500"}),
        # text: number or title contains it
        ("valve", {"Q-001234"}),
        ("-0005", {"Q-000500"}),
        ("  ", set(NUMBERS)),
    ],
)
def test_quote_number_fragments(quotes, value, found):
    assert _quotes(value) == found


def test_order_number_fragments_and_po(quotes):
    assert _orders("SO-0001") == {"SO-000120"}
    assert _orders("12") == {"SO-000012", "SO-000120", "SO-001234", "SO-0000123", "SO-123000"}
    # the customer PO by trigram (3 characters or more)
    assert _orders("4500") == {"SO-000500"}
    assert _orders("po-45") == {"SO-000500"}


def test_the_staff_list_searches_by_prefix(client, sales_rep, quotes):
    client.force_login(sales_rep)
    page = client.get(reverse("sales:quote-list"), {"q": "12"}).content.decode()
    for number in ("Q-000012", "Q-000120", "Q-001234", "Q-0000123", "Q-123000"):
        assert number in page
    assert "Q-000500" not in page


@pytest.mark.parametrize("value", ["Q-0001", "000123", "12", "123", "pump"])
def test_a_number_fragment_never_scans_the_quotes(quotes, value):
    assert connection.vendor == "postgresql"
    plan = explain(selectors.quote_search(Quote.objects.all(), value).values("pk"))
    assert "Seq Scan" not in plan, plan
    if value[0].isdigit() or value.startswith("Q-"):
        assert "number" in plan, plan  # the number's B-tree (prefix) serves it


@pytest.mark.parametrize("value", ["SO-0001", "000123", "12", "4500"])
def test_a_number_fragment_never_scans_the_orders(quotes, value):
    plan = explain(selectors.order_search(SalesOrder.objects.all(), value).values("pk"))
    assert "Seq Scan" not in plan, plan


# -- the page of a number search: sorted from its matches ---------------------------


def test_a_number_search_page_is_read_from_the_matches_not_the_created_index(quotes, sales_rep):
    """The planner would walk order_created_idx and filter (the matches of "12" are old
    orders: 87,000 rows read for 25 at size M); sorted from the matches, it reads the
    number's prefix index whatever the statistics say."""
    from apps.core.lists import sorted_from_matches

    qs = selectors.order_search(SalesOrder.objects.order_by("-created_at", "-pk"), "12")
    sql, params = sorted_from_matches(qs).values("pk")[:25].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = on")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "order_created_idx" not in plan, plan
    assert "number" in plan, plan


@pytest.mark.parametrize(
    ("url", "prefix"), [("sales:order-list", "SO-"), ("sales:quote-list", "Q-")]
)
def test_the_staff_lists_keep_newest_first_for_a_number_search(
    client, sales_rep, quotes, url, prefix
):
    now = timezone.now()
    for i, number in enumerate(NUMBERS):  # Q-000012 oldest … Q-000500 newest
        model = SalesOrder if prefix == "SO-" else Quote
        model.objects.filter(number=number.replace("Q-", prefix)).update(
            created_at=now - dt.timedelta(days=len(NUMBERS) - i)
        )
    client.force_login(sales_rep)
    page = client.get(reverse(url), {"q": "12"}).content.decode()
    found = [n.replace("Q-", prefix) for n in NUMBERS[:5]]
    positions = [page.index(f">{number}<") for number in found]
    assert positions == sorted(positions, reverse=True)  # newest first
    # A sort the user chose still applies.
    page = client.get(reverse(url), {"q": "12", "ordering": "number"}).content.decode()
    positions = [page.index(f">{number}<") for number in sorted(found)]
    assert positions == sorted(positions)


def test_sorted_from_matches_keeps_the_order_and_the_rows(quotes):
    from apps.core.lists import sorted_from_matches

    for ordering in (("-created_at", "-pk"), ("number", "pk"), ("-total_amount", "-pk")):
        qs = selectors.quote_search(Quote.objects.order_by(*ordering), "12")
        assert list(sorted_from_matches(qs)) == list(qs)


# -- unpadded digits: one LIKE on the number's digits without padding (orders 0017) ---

WIDTHS = ["SO-12", "SO-0012", "SO-000012", "SO-0000000012", "SO-00000000012", "SO-120", "SO-1"]


@pytest.fixture
def order_widths(acme, sales_rep):
    """Numbers of several widths, another series' number with the same digits and an
    all-zero number."""
    numbers = [*WIDTHS, "SX-000012", "SO-000000"]
    quotes = Quote.objects.bulk_create(
        Quote(
            number=f"Q-W{i}",
            title="Widths",
            customer=acme,
            owner=sales_rep,
            valid_until=timezone.localdate(),
        )
        for i in range(len(numbers))
    )
    order = {"customer": acme, "owner": sales_rep, "quote_revision": 0, "total": Decimal("10")}
    SalesOrder.objects.bulk_create(
        SalesOrder(**order, number=n, quote=q) for n, q in zip(numbers, quotes, strict=True)
    )
    return numbers


@pytest.mark.parametrize(
    ("value", "found"),
    [
        # the significant digits start with it, whatever the width (the OR of one
        # LIKE per padding width stopped at 10 digits; the 11-digit number is found now)
        (
            "12",
            {"SO-12", "SO-0012", "SO-000012", "SO-0000000012", "SO-00000000012", "SO-120"},
        ),
        ("120", {"SO-120"}),
        (
            "1",
            {"SO-12", "SO-0012", "SO-000012", "SO-0000000012", "SO-00000000012", "SO-120", "SO-1"},
        ),
        (" 12 ", {"SO-12", "SO-0012", "SO-000012", "SO-0000000012", "SO-00000000012", "SO-120"}),
        # leading zeros: the padded form, from the first digit
        ("0012", {"SO-0012"}),
        ("000012", {"SO-000012"}),
        ("0000", {"SO-000012", "SO-0000000012", "SO-00000000012", "SO-000000"}),
        ("0", {"SO-0012", "SO-000012", "SO-0000000012", "SO-00000000012", "SO-000000"}),
        # prefixed: the number starts with it
        ("SO-12", {"SO-12", "SO-120"}),
        ("so-0000", {"SO-000012", "SO-0000000012", "SO-00000000012", "SO-000000"}),
        # another series (its own prefix or its digits) is text: the number contains it
        ("SX-0000", {"SX-000012"}),
        ("x-0", {"SX-000012"}),
        # text that is not a number: number or PO contains it
        ("12a", set()),
        ("-12", {"SO-12", "SO-120"}),
    ],
)
def test_order_number_digits_at_every_width(order_widths, value, found):
    qs = SalesOrder.objects.filter(number__in=order_widths)
    assert set(selectors.order_search(qs, value).values_list("number", flat=True)) == found


def test_a_number_of_another_series_is_not_found_by_its_digits(order_widths):
    qs = SalesOrder.objects.filter(number__in=order_widths)
    found = set(selectors.order_search(qs, "12").values_list("number", flat=True))
    assert "SX-000012" not in found


@pytest.mark.parametrize(
    ("model", "search", "table"),
    [
        (SalesOrder, selectors.order_search, "orders_salesorder"),
        (Quote, selectors.quote_search, "orders_quote"),
    ],
)
@pytest.mark.parametrize("value", ["12", "7", "123"])
def test_unpadded_digits_read_the_digits_index(quotes, model, search, table, value):
    """One range of the unpadded digits' index (orders 0017), never the table: the
    index expression and apps.core.lists.NumberDigits must stay spelled alike."""
    from apps.core.lists import sorted_from_matches

    # Statistics of the test's rows: without them the planner may guess one row and
    # take any index of the number (it did, once, on a clean clone).
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    qs = search(model.objects.order_by("-created_at", "-pk"), value)
    # The matches (no order: a tiny test table may be walked in created order instead)
    # and the page of a number search, sorted from its matches.
    for shape in (qs.order_by().values("pk"), sorted_from_matches(qs).values("pk")[:25]):
        plan = explain(shape)
        assert f"Seq Scan on {table}" not in plan, plan
        assert "Index Cond: ((ltrim(substr((number)::text," in plan, plan
