"""Purchasing's receipts page and the parts ledger pages."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.catalog.bookings import bookings_write
from apps.catalog.models import BookingKind, StockEntryKind
from apps.catalog.selectors import expected_receipts
from apps.core.rows import CSRF_PLACEHOLDER
from tests.catalog.factories import PartFactory, stock
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

LIST = reverse("suppliers:receipt-list")
TODAY = timezone.localdate()
IN_10 = TODAY + dt.timedelta(days=10)
IN_20 = TODAY + dt.timedelta(days=20)
ROW = re.compile(r'data-receipt="([^"]+)"')


@pytest.fixture
def pcb():
    return PartFactory(number="PCB-100", name="Fulcrum PCB")


@pytest.fixture
def po(pcb, delta):
    entry = stock(pcb, "40", kind=StockEntryKind.EXPECTED, date=IN_10, reference="PO-000210")
    entry.supplier = delta
    entry.save(update_fields=["supplier"])
    return entry


def _key(po) -> dict:
    return {"part": po.part_id, "reference": po.reference, "date": po.date.isoformat()}


def test_buyer_sees_the_receipts_with_their_actions(client_for, buyer, po):
    html = client_for(buyer).get(LIST).content.decode()
    assert ROW.findall(html) == ["PO-000210 PCB-100"]
    assert "Delta Motors" in html and "Add expected receipt" in html
    assert 'name="new_date"' in html


def test_row_forms_carry_the_pages_csrf_token(buyer, po):
    """The rows are memoised without a token (apps.core.rows.CSRF_PLACEHOLDER): each page
    puts its own in every row's form, and a row's button posts with it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)
    html = client.get(LIST).content.decode()
    assert CSRF_PLACEHOLDER not in html
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    # the add form's, the row's move, receive and cancel forms' (and the page's): one token
    assert len(tokens) >= 4 and len(set(tokens)) == 1
    row_token = re.search(
        r'action="/purchasing/receipts/move/".*?name="csrfmiddlewaretoken" value="([^"]+)"',
        html,
        re.S,
    ).group(1)
    new_date = (IN_20).isoformat()
    moved = client.post(
        reverse("suppliers:receipt-move"),
        {**_key(po), "new_date": new_date, "csrfmiddlewaretoken": row_token},
    )
    assert moved.status_code == 302
    again = client.get(LIST).content.decode()
    assert f'data-date="{new_date}"' in again and CSRF_PLACEHOLDER not in again
    other = Client(enforce_csrf_checks=True)
    other.force_login(buyer)
    second = re.findall(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', other.get(LIST).content.decode()
    )
    assert len(set(second)) == 1


@pytest.mark.parametrize("role", ["planner", "sales_rep", "finance"])
def test_other_staff_read_with_the_buttons_disabled(client_for, request, role, po):
    html = client_for(request.getfixturevalue(role)).get(LIST).content.decode()
    assert ROW.findall(html) == ["PO-000210 PCB-100"]
    assert "Only purchasing records and changes expected receipts." in html
    assert 'name="new_date"' not in html and "Add expected receipt" not in html


@pytest.mark.parametrize("contact", ["acme_contact", "delta_contact"])
def test_contacts_get_404(client_for, request, contact, po):
    assert client_for(request.getfixturevalue(contact)).get(LIST).status_code == 404


def test_filters_by_part_and_reference(client_for, buyer, po, pcb):
    other = PartFactory(number="MOT-7", name="Motor")
    stock(other, "3", kind=StockEntryKind.EXPECTED, date=IN_20, reference="PO-000300")
    client = client_for(buyer)
    assert ROW.findall(client.get(LIST, {"part": "mot"}).content.decode()) == ["PO-000300 MOT-7"]
    assert ROW.findall(client.get(LIST, {"reference": "210"}).content.decode()) == [
        "PO-000210 PCB-100"
    ]
    # Earliest due first.
    assert ROW.findall(client.get(LIST).content.decode()) == [
        "PO-000210 PCB-100",
        "PO-000300 MOT-7",
    ]


@pytest.mark.parametrize("size", [2, 20])
def test_list_query_count_is_constant(client_for, buyer, django_assert_num_queries, size):
    for i in range(size):
        part = PartFactory(number=f"R-{i:03d}")
        stock(part, "5", kind=StockEntryKind.EXPECTED, date=IN_10, reference=f"PO-{i:06d}")
    client = client_for(buyer)
    client.get(LIST)
    # session, user, roles and permissions; the count of grouped rows, the page of
    # grouped rows; the add form's supplier choices (a select: one query).
    with django_assert_num_queries(queries("suppliers:receipt-list", "buyer")):
        response = client.get(LIST)
    assert len(ROW.findall(response.content.decode())) == size


def test_htmx_move_answers_the_region_with_the_new_date(client_for, buyer, po, pcb):
    response = client_for(buyer).post(
        reverse("suppliers:receipt-move"),
        {**_key(po), "new_date": IN_20.isoformat()},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="receipts"')
    assert f'data-date="{IN_20.isoformat()}"' in html
    assert "now due" in html
    assert expected_receipts([pcb.pk], from_date=TODAY)[pcb.pk] == [(IN_20, Decimal("40"))]


def test_a_plain_post_redirects_back_to_the_list(client_for, buyer, po):
    response = client_for(buyer).post(
        reverse("suppliers:receipt-move") + "?part=PCB",
        {**_key(po), "new_date": IN_20.isoformat()},
    )
    assert response.status_code == 302 and response["Location"] == LIST + "?part=PCB"


def test_move_to_the_past_is_refused_in_the_row_keeping_what_was_typed(client_for, buyer, po, pcb):
    past = (TODAY - dt.timedelta(days=2)).isoformat()
    response = client_for(buyer).post(
        reverse("suppliers:receipt-move"),
        {**_key(po), "new_date": past},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'data-testid="row-error"' in html and "Choose today or a later date." in html
    assert f'value="{past}"' in html
    assert expected_receipts([pcb.pk], from_date=TODAY)[pcb.pk] == [(IN_10, Decimal("40"))]


def test_an_unparseable_date_is_a_row_error(client_for, buyer, po):
    response = client_for(buyer).post(
        reverse("suppliers:receipt-move"), {**_key(po), "new_date": "soon"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422 and 'data-testid="row-error"' in response.content.decode()


def test_a_tampered_row_key_is_404(client_for, buyer, po):
    response = client_for(buyer).post(
        reverse("suppliers:receipt-move"),
        {**_key(po), "part": "not-a-uuid", "new_date": IN_20.isoformat()},
    )
    assert response.status_code == 404


def test_cancel_and_receive(client_for, buyer, po, pcb):
    client = client_for(buyer)
    response = client.post(
        reverse("suppliers:receipt-receive"), {**_key(po), "quantity": "15"}, HTTP_HX_REQUEST="true"
    )
    assert "PCB-100 15 ea received" in response.content.decode()
    assert pcb.running_stock.on_hand == Decimal("15")
    response = client.post(reverse("suppliers:receipt-cancel"), _key(po), HTTP_HX_REQUEST="true")
    assert "PCB-100 25 ea cancelled" in response.content.decode()
    assert pcb.pk not in expected_receipts([pcb.pk], from_date=TODAY)


def test_planner_may_not_move_a_receipt(client_for, planner, po):
    response = client_for(planner).post(
        reverse("suppliers:receipt-move"),
        {**_key(po), "new_date": IN_20.isoformat()},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Only purchasing records and changes expected receipts." in response.content.decode()


def test_add_receipt_and_its_field_errors(client_for, buyer, pcb, delta):
    client = client_for(buyer)
    url = reverse("suppliers:receipt-add")
    bad = {"part": "NOPE-1", "quantity": "-2", "date": IN_10.isoformat(), "reference": "PO-9"}
    response = client.post(url, {**bad, "supplier": delta.pk}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 422
    assert "No active part is numbered “NOPE-1”." in html
    assert "Ensure this value is greater than or equal to 0.001." in html
    assert 'value="PO-9"' in html  # nothing typed is lost
    good = {**bad, "part": "pcb-100", "quantity": "12"}
    response = client.post(url, {**good, "supplier": delta.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert expected_receipts([pcb.pk], from_date=TODAY)[pcb.pk] == [(IN_10, Decimal("12"))]
    past = {**good, "date": (TODAY - dt.timedelta(days=1)).isoformat(), "supplier": delta.pk}
    response = client.post(url, past, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "Choose today or a later date." in (
        response.content.decode()
    )


# -- parts and holds ---------------------------------------------------------------------


def test_part_ledger_shows_position_receipts_and_holds(client_for, buyer, po, pcb):
    stock(pcb, "6")
    bookings_write(
        [
            (
                "quote-line:00000000-0000-0000-0000-000000000001",
                "Q-000001/1",
                {(BookingKind.STOCK, pcb.pk, TODAY): Decimal("4")},
                {},
            ),
            (
                "order-line:00000000-0000-0000-0000-000000000002",
                "SO-000002/1",
                {(BookingKind.RECEIPT, pcb.pk, IN_10): Decimal("30")},
                {},
            ),
        ]
    )
    bookings_write(
        [
            (
                "order-line:00000000-0000-0000-0000-000000000002",
                "SO-000002/1",
                {(BookingKind.RECEIPT, pcb.pk, IN_10): Decimal("30")},
                {},
            )
        ],
        firm=True,
    )
    html = client_for(buyer).get(reverse("suppliers:part-detail", args=[pcb.pk])).content.decode()
    assert re.search(r'data-testid="on-hand">6 ea', html)
    assert re.search(r'data-testid="free">2<', html)
    assert re.search(r'data-testid="allocated">30<', html)
    assert "PO-000210" in html
    holds = re.findall(r'<tr data-hold="([^"]+)">(.*?)</tr>', html, re.S)
    assert [ref for ref, _ in holds] == ["Q-000001/1", "SO-000002/1"]
    assert "Soft" in holds[0][1] and "Stock on hand" in holds[0][1]
    assert "Firm" in holds[1][1] and "Expected receipt" in holds[1][1]


@pytest.mark.parametrize("size", [2, 20])
def test_parts_list_query_count_is_constant(client_for, planner, django_assert_num_queries, size):
    for i in range(size):
        part = PartFactory(number=f"L-{i:03d}")
        stock(part, "1")
        stock(part, "2", kind=StockEntryKind.EXPECTED, date=IN_10, reference="PO-1")
    client = client_for(planner)
    url = reverse("suppliers:part-list")
    client.get(url)
    # session, user, roles and permissions; capped count, page ids, rows with their
    # positions (one join), expected sums of the page's parts.
    with django_assert_num_queries(queries("suppliers:part-list", "planner")):
        html = client.get(url).content.decode()
    assert len(re.findall(r"<tr data-part=", html)) == size


def test_part_pages_are_404_to_contacts(client_for, acme_contact, pcb):
    client = client_for(acme_contact)
    assert client.get(reverse("suppliers:part-list")).status_code == 404
    assert client.get(reverse("suppliers:part-detail", args=[pcb.pk])).status_code == 404


def test_buyer_dashboard_counts_receipts_due_and_overdue(client_for, buyer, po):
    stock(
        PartFactory(number="LATE-1"),
        "2",
        kind=StockEntryKind.EXPECTED,
        date=TODAY - dt.timedelta(days=3),
        reference="PO-000009",
    )
    stock(
        PartFactory(number="FAR-1"),
        "2",
        kind=StockEntryKind.EXPECTED,
        date=TODAY + dt.timedelta(days=40),
        reference="PO-000099",
    )
    html = client_for(buyer).get("/").content.decode()
    panel = html.split('data-panel="receipts-due"')[1].split("</section>")[0]
    assert "1 overdue" in panel
    assert "PO-000009: LATE-1" in panel and "PO-000210: PCB-100" in panel
    assert "PO-000099" not in panel


def _holds(part, count: int) -> None:
    """`count` holds on `part`: quote lines on stock, order lines on a receipt (firm)."""
    quotes = [
        (
            f"quote-line:00000000-0000-0000-0000-{i:012d}",
            f"Q-{i:06d}/1",
            {(BookingKind.STOCK, part.pk, TODAY): Decimal("1")},
            {},
        )
        for i in range(count - count // 2)
    ]
    orders = [
        (
            f"order-line:00000000-0000-0000-0001-{i:012d}",
            f"SO-{i:06d}/1",
            {(BookingKind.RECEIPT, part.pk, IN_10): Decimal("2")},
            {},
        )
        for i in range(count // 2)
    ]
    bookings_write(quotes)
    bookings_write(orders, firm=True)


@pytest.mark.parametrize("size", [3, 30])
def test_part_holds_are_a_page_in_constant_queries(
    client_for, buyer, pcb, django_assert_num_queries, size
):
    stock(pcb, "100")
    _holds(pcb, size)
    client = client_for(buyer)
    url = reverse("suppliers:part-detail", args=[pcb.pk])
    client.get(url)
    # session, user, roles and permissions; the part with its position and the total
    # held; holds: capped count, the page; the page's quote and order lines (links, one
    # UNION); the receipts.
    with django_assert_num_queries(queries("suppliers:part-detail", "buyer")):
        html = client.get(url).content.decode()
    rows = re.findall(r'<tr data-hold="([^"]+)">', html)
    assert len(rows) == min(size, 25)
    quotes, orders = size - size // 2, size // 2
    held = quotes * 1 + orders * 2
    summary = re.search(r'data-testid="holds-summary">([^<]+)<', html).group(1)
    assert summary == f"{size} holds keep {held} ea"
    assert ('rel="next"' in html) == (size > 25)


def test_part_holds_next_page_swaps_the_holds_region(client_for, buyer, pcb):
    stock(pcb, "100")
    _holds(pcb, 30)
    url = reverse("suppliers:part-detail", args=[pcb.pk])
    client = client_for(buyer)
    first = re.findall(r'<tr data-hold="([^"]+)">', client.get(url).content.decode())
    response = client.get(f"{url}?page=2", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="holds")
    html = response.content.decode()
    assert html.lstrip().startswith(
        '<section class="card" aria-labelledby="holds-heading" id="holds"'
    )
    assert 'data-testid="on-hand"' not in html
    second = re.findall(r'<tr data-hold="([^"]+)">', html)
    assert len(second) == 5 and not set(first) & set(second)
    assert sorted(first + second) == first + second  # one order across pages
    assert "26–30 of 30" in html and 'hx-target="#holds"' in html


def test_receipts_are_counted_from_the_index_in_its_order(po, pcb):
    """The page's count groups the expected entries in stockentry_expected_idx's order:
    the sums stream from an index-only scan, with no sort and no hash of every group."""
    from django.db import connection

    from apps.catalog import ledger_reads
    from tests.explain import explain

    stock(pcb, "5", kind=StockEntryKind.EXPECTED, date=IN_20, reference="PO-000211")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashagg = off")
    plan = explain(ledger_reads.open_receipt_groups()[:10001], no_sort=True)
    assert "Index Only Scan using stockentry_expected_idx" in plan, plan
    assert "GroupAggregate" in plan and "Sort" not in plan, plan
