"""What a customer sees of a quote's revision history, and the changes between revisions.

Only customer-facing fields leave this module: lines (product, options, quantity,
unit price, line total, requested and delivery dates, scope), the quote's title,
reference, validity, dates, terms and total. Never costs, margins, discounts'
reasons, custom specs, critical paths or notes, whatever the snapshot holds.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.dateparse import parse_date, parse_datetime

from apps.orders.models import Quote, QuoteRevision, QuoteState

# A customer saw a quote in these states; a revision snapshot taken from `sent` is one
# the customer received (revisions of drafts never reached them).
CUSTOMER_SEEN_STATES = frozenset(
    {
        QuoteState.SENT,
        QuoteState.ACCEPTED,
        QuoteState.DECLINED,
        QuoteState.EXPIRED,
        QuoteState.CONVERTED,
    }
)

QUOTE_FIELDS = (
    ("title", "Title"),
    ("customer_reference", "Your reference"),
    ("valid_until", "Valid until"),
    ("requested_date", "Requested delivery"),
    ("promised_date", "Promised delivery"),
    ("terms", "Terms"),
    ("total", "Total"),
)
LINE_FIELDS = (
    ("product", "Product"),
    ("options", "Options"),
    ("quantity", "Quantity"),
    ("unit_price", "Unit price"),
    ("line_total", "Line total"),
    ("requested_date", "Requested date"),
    ("delivery", "Delivery"),
    ("scope", "Scope"),
)


@dataclass
class PublicLine:
    key: str
    position: int
    product: str
    options: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    requested_date: dt.date | None
    delivery: dt.date | None
    scope: str


@dataclass
class PublicVersion:
    revision: int
    sent_at: dt.datetime | None
    currency: str
    title: str
    customer_reference: str
    valid_until: dt.date | None
    requested_date: dt.date | None
    promised_date: dt.date | None
    terms: str
    lines: list[PublicLine]
    total: Decimal = Decimal("0")
    current: bool = False
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    kind: str  # "added", "removed", "changed"
    what: str  # "Line 2 · Pump skid" or "Quote"
    details: tuple[tuple[str, str, str], ...] = ()  # (field label, before, after)


def _day(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    return parse_date(value) if value else None


def _money(value) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal("0")


def version_from_snapshot(revision: QuoteRevision) -> PublicVersion:
    snap = revision.snapshot
    lines = [
        PublicLine(
            key=str(line.get("id") or f"pos-{line.get('position')}"),
            position=line.get("position") or 0,
            product=line.get("product_name") or line.get("product", ""),
            options=line.get("configuration_text", ""),
            quantity=line.get("quantity") or 0,
            unit_price=_money(line.get("unit_price")),
            line_total=_money(line.get("line_total")),
            requested_date=_day(line.get("requested_date")),
            delivery=_day(line.get("feasible_date")),
            scope=line.get("scope_statement", ""),
        )
        for line in snap.get("lines", [])
    ]
    sent_at = snap.get("sent_at")
    return _finish(
        PublicVersion(
            revision=revision.number,
            sent_at=parse_datetime(sent_at) if sent_at else None,
            currency=snap.get("currency", ""),
            title=snap.get("title", ""),
            customer_reference=snap.get("customer_reference", ""),
            valid_until=_day(snap.get("valid_until")),
            requested_date=_day(snap.get("requested_date")),
            promised_date=_day(snap.get("promised_date")),
            terms=snap.get("terms", ""),
            lines=lines,
        )
    )


def version_from_quote(quote: Quote, lines: Iterable) -> PublicVersion:
    """The live quote (its lines already loaded, with their products)."""
    return _finish(
        PublicVersion(
            revision=quote.revision,
            sent_at=quote.sent_at,
            currency=quote.currency,
            title=quote.title,
            customer_reference=quote.customer_reference,
            valid_until=quote.valid_until,
            requested_date=quote.requested_date,
            promised_date=quote.promised_date,
            terms=quote.terms,
            lines=[
                PublicLine(
                    key=str(line.pk),
                    position=line.position,
                    product=line.product.name,
                    options=line.configuration_text,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    line_total=line.line_total,
                    requested_date=line.requested_date,
                    delivery=line.feasible_date,
                    scope=line.scope_statement,
                )
                for line in lines
            ],
            current=True,
        )
    )


def _finish(version: PublicVersion) -> PublicVersion:
    version.lines.sort(key=lambda line: line.position)
    version.total = sum((line.line_total for line in version.lines), Decimal("0"))
    return version


def _show(value, currency: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return f"{currency} {intcomma(f'{value:.2f}')}"
    if isinstance(value, dt.date):
        return f"{value:%b} {value.day}, {value.year}"
    return str(value)


def _field_changes(old, new, fields, currency: str) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (label, _show(getattr(old, name), currency), _show(getattr(new, name), currency))
        for name, label in fields
        if getattr(old, name) != getattr(new, name)
    )


def _line_name(line: PublicLine) -> str:
    return f"Line {line.position} · {line.product}"


def diff(old: PublicVersion, new: PublicVersion) -> list[Change]:
    """What changed from `old` to `new`, in words a buyer reads: quote fields, then lines."""
    currency = new.currency
    changes = []
    quote_fields = _field_changes(old, new, QUOTE_FIELDS, currency)
    if quote_fields:
        changes.append(Change("changed", "Quote", quote_fields))
    before = {line.key: line for line in old.lines}
    after = {line.key: line for line in new.lines}
    for line in new.lines:
        previous = before.get(line.key)
        if previous is None:
            summary = (
                ("Quantity", "", str(line.quantity)),
                ("Line total", "", _show(line.line_total, currency)),
            )
            changes.append(Change("added", _line_name(line), summary))
            continue
        details = _field_changes(previous, line, LINE_FIELDS, currency)
        if details:
            changes.append(Change("changed", _line_name(line), details))
    for line in old.lines:
        if line.key not in after:
            changes.append(Change("removed", _line_name(line)))
    return changes


def customer_history(
    quote: Quote, revisions: Iterable[QuoteRevision], current: PublicVersion | None
) -> list[PublicVersion]:
    """Every version the customer received, newest first, each with its changes to the
    one before. `revisions`: the quote's snapshots (any state; only sent ones count);
    `current`: the live quote when the customer sees it, else None."""
    versions = [version_from_snapshot(r) for r in revisions if r.state == QuoteState.SENT]
    versions.sort(key=lambda v: v.revision)
    if current is not None:
        versions.append(current)
    elif versions:
        versions[-1].current = True
    for previous, version in itertools.pairwise(versions):
        version.changes = diff(previous, version)
    return list(reversed(versions))
