"""The portal quote page: the revisions the customer received and what changed between them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.orders import revisions
from apps.orders.services import quotes as quote_services

pytestmark = pytest.mark.django_db


def _line(key="a", position=1, **kw) -> revisions.PublicLine:
    fields = {
        "product": "Pump skid",
        "options": "Drive: VFD",
        "quantity": 1,
        "unit_price": Decimal("100.00"),
        "line_total": Decimal("100.00"),
        "requested_date": None,
        "delivery": dt.date(2027, 3, 1),
        "scope": "",
    }
    return revisions.PublicLine(key=key, position=position, **{**fields, **kw})


def _version(revision, lines, **kw) -> revisions.PublicVersion:
    fields = {
        "sent_at": None,
        "currency": "USD",
        "title": "Skid",
        "customer_reference": "",
        "valid_until": dt.date(2027, 1, 31),
        "requested_date": None,
        "promised_date": None,
        "terms": "",
    }
    return revisions._finish(
        revisions.PublicVersion(revision=revision, lines=lines, **{**fields, **kw})
    )


def test_diff_names_added_removed_and_changed_lines_and_quote_fields():
    old = _version(0, [_line("a"), _line("b", 2, product="Cabinet")])
    new = _version(
        1,
        [
            _line(
                "a",
                quantity=2,
                unit_price=Decimal("90.00"),
                line_total=Decimal("180.00"),
                options="Drive: DOL",
                delivery=dt.date(2027, 3, 15),
                scope="Installation included",
            ),
            _line("c", 3, product="Dosing unit", line_total=Decimal("50.00")),
        ],
        valid_until=dt.date(2027, 2, 28),
    )
    changes = revisions.diff(old, new)
    by_what = {(c.kind, c.what): c for c in changes}
    quote = by_what[("changed", "Quote")]
    assert ("Valid until", "Jan 31, 2027", "Feb 28, 2027") in quote.details
    assert ("Total", "USD 200.00", "USD 230.00") in quote.details
    line = {label: (a, b) for label, a, b in by_what[("changed", "Line 1 · Pump skid")].details}
    assert line == {
        "Options": ("Drive: VFD", "Drive: DOL"),
        "Quantity": ("1", "2"),
        "Unit price": ("USD 100.00", "USD 90.00"),
        "Line total": ("USD 100.00", "USD 180.00"),
        "Delivery": ("Mar 1, 2027", "Mar 15, 2027"),
        "Scope": ("—", "Installation included"),
    }
    assert ("added", "Line 3 · Dosing unit") in by_what
    assert ("removed", "Line 2 · Cabinet") in by_what


def test_an_unchanged_revision_has_no_changes():
    assert revisions.diff(_version(0, [_line()]), _version(1, [_line()])) == []


@pytest.fixture
def resent_quote(sent_quote, sales_rep):
    """Sent, revised (quantity 1 → 3 and a new internal note), sent again."""
    quote = quote_services.quote_revise(quote=sent_quote, actor=sales_rep, comment="More pumps")
    line = quote.lines.get()
    quote_services.quote_line_update(line=line, actor=sales_rep, quantity=3)
    quote.refresh_from_db()
    quote = quote_services.quote_update(
        quote=quote,
        actor=sales_rep,
        expected_version=quote.version,
        internal_notes="CANARY-DIFF-NOTE",
    )
    quote = quote_services.quote_submit(quote=quote, actor=sales_rep)
    return quote_services.quote_send(quote=quote, actor=sales_rep)


def test_the_portal_shows_the_revisions_and_the_diff_without_internal_fields(
    client_for, acme_contact, resent_quote
):
    html = (
        client_for(acme_contact)
        .get(reverse("customers:quote-detail", args=[resent_quote.pk]) + "?sections=all")
        .content.decode()
    )
    history = html.split('data-testid="revision-history"', 1)[1].split("</section>", 1)[0]
    assert 'data-revision="1"' in history and 'data-revision="0"' in history
    assert "Current" in history
    diff = history.split('data-testid="revision-diff"', 1)[1]
    assert "Line 1" in diff and "Quantity" in diff and "<del>1</del>" in diff
    assert "<ins>3</ins>" in diff
    for secret in ("CANARY-DIFF-NOTE", "Unit cost", "Margin", "More pumps"):
        assert secret not in history


def test_a_quote_sent_once_has_no_revision_section(client_for, acme_contact, sent_quote):
    html = (
        client_for(acme_contact)
        .get(reverse("customers:quote-detail", args=[sent_quote.pk]))
        .content.decode()
    )
    assert 'data-testid="revision-history"' not in html
