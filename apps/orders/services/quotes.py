"""Every write a user can make to a quote, its lines and its reviews."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Address, Organization, OrganizationKind
from apps.catalog.models import FulfillmentMode, Product
from apps.catalog.structure import structure_reuse
from apps.core.concurrency import lock_for_update, refuse_unknown_fields, save_versioned
from apps.core.limits import MONEY_LIMIT
from apps.core.models import ActivityKind, Audience, next_number
from apps.core.permissions import grant_org_access
from apps.core.services import activity_record, email_send_after_commit, notify
from apps.core.transitions import TransitionForbidden, TransitionNotAllowed, run_transition
from apps.orders.allocation import promises_book, quote_bookings_release, quote_line_key
from apps.orders.models import (
    QUOTE_EDITABLE_STATES,
    Department,
    Quote,
    QuoteAcceptance,
    QuoteLine,
    QuoteReview,
    QuoteRevision,
    QuoteState,
    ReviewState,
)
from apps.orders.models.rules import REVIEW_ROLES, SYSTEM, can_sell, own_quote_review_refusal
from apps.orders.pricing import (
    PricingError,
    check_currency_has_price_list,
    discount_limit,
    margin_floor,
    reprice_line,
)
from apps.orders.promise import LineRequest, PromiseEngine
from apps.orders.services.documents import quote_document_create

# Sent on commit when the customer's decision is recorded (accept / decline), so
# apps above orders (sales' opportunities) follow without orders importing them.
quote_state_changed = Signal()  # sender=Quote, quote, transition, actor

QUOTE_FIELDS = (
    "title",
    "contact",
    "currency",
    "valid_until",
    "requested_date",
    "promised_date",
    "shipping_address",
    "billing_address",
    "terms",
    "customer_reference",
    "internal_notes",
    "hold_promise",
)


def _require_seller(actor) -> None:
    if not can_sell(None, actor):
        raise PermissionDenied("Only sales may change quotes.")


def _require_editable(quote: Quote) -> None:
    if quote.state not in QUOTE_EDITABLE_STATES:
        raise TransitionNotAllowed(
            f"{quote.number} is {quote.get_state_display().lower()}; revise it to edit.",
        )


def _check_quote_fields(customer: Organization, fields: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for key in ("shipping_address", "billing_address"):
        address = fields.get(key)
        if address is not None and address.organization_id != customer.pk:
            errors[key] = ["This address belongs to another organization."]
    contact = fields.get("contact")
    if contact is not None and (
        contact.organization is None or contact.organization.pk != customer.pk
    ):
        errors["contact"] = ["The contact must belong to the customer."]
    valid_until = fields.get("valid_until")
    if valid_until is not None and valid_until < timezone.localdate():
        errors["valid_until"] = ["The validity date cannot be in the past."]
    if "currency" in fields:
        try:
            check_currency_has_price_list(fields["currency"])
        except PricingError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)


def _touch(quote: Quote, expected_version: int | None, fields: list[str]) -> None:
    save_versioned(quote, expected_version=expected_version, update_fields=fields)


def _lock(quote: Quote, expected_version: int | None) -> Quote:
    return lock_for_update(quote, expected_version=expected_version)


# -- quote -----------------------------------------------------------------


@transaction.atomic
def quote_create(
    *, actor, customer: Organization, valid_until: dt.date | None = None, **fields: Any
) -> Quote:
    _require_seller(actor)
    if customer.kind != OrganizationKind.CUSTOMER:
        raise ValidationError({"customer": ["Quotes are made for customer organizations."]})
    refuse_unknown_fields(fields, QUOTE_FIELDS)
    valid_until = valid_until or timezone.localdate() + dt.timedelta(
        days=settings.TANDEM_QUOTE_VALIDITY_DAYS
    )
    fields.setdefault("currency", customer.currency)
    fields.setdefault("hold_promise", customer.hold_quote_promises)
    fields.setdefault(
        "shipping_address",
        Address.objects.filter(organization=customer, kind="shipping", is_default=True).first(),
    )
    fields.setdefault(
        "billing_address",
        Address.objects.filter(organization=customer, kind="billing", is_default=True).first(),
    )
    _check_quote_fields(customer, {**fields, "valid_until": valid_until})
    quote = Quote.objects.create(
        number=next_number("quote", "Q"),
        customer=customer,
        owner=actor,
        created_by=actor,
        valid_until=valid_until,
        **fields,
    )
    activity_record(
        target=quote,
        actor=actor,
        verb="created",
        text=f"Quote {quote.number} created for {customer.name}",
    )
    return quote


@transaction.atomic
def quote_update(*, quote: Quote, actor, expected_version: int | None, **fields: Any) -> Quote:
    _require_seller(actor)
    quote = _lock(quote, expected_version)
    _require_editable(quote)
    refuse_unknown_fields(fields, QUOTE_FIELDS)
    _check_quote_fields(quote.customer, fields)
    currency_changed = "currency" in fields and fields["currency"] != quote.currency
    for key, value in fields.items():
        setattr(quote, key, value)
    if currency_changed:
        # Every line is priced again from the price list in the new currency (or refused).
        lines = list(quote.lines.select_related("product"))
        for line in lines:
            line.quote = quote
            try:
                reprice_line(line, currency=quote.currency)
            except ValidationError as exc:
                # The caller changed the currency: say so against that field.
                raise ValidationError(
                    {"currency": [f"Line {line.position}: {m}" for m in exc.messages]}
                ) from None
            line.save()
    _touch(quote, quote.version, list(fields))
    if {"requested_date"} & set(fields):
        quote_recalculate(quote=quote)
    return quote


# -- lines -----------------------------------------------------------------


def _build_line(line: QuoteLine, *, configuration, quantity, discount_percent, lines=None) -> None:
    # The one pricing path: price list in the quote's currency, quantity break for
    # this quantity, then the line's discount, then the rolled-up cost and margin.
    reprice_line(
        line,
        currency=line.quote.currency,
        quantity=quantity,
        configuration=configuration or {},
        discount_percent=discount_percent,
    )
    _check_quote_total(line, lines)


def _check_quote_total(line: QuoteLine, lines: list[QuoteLine] | None = None) -> None:
    # The document total goes into a money column too (the order's, once converted).
    # `lines`: the quote's lines as read under its lock (their sum, without a query).
    if lines is None:
        others = line.quote.lines.exclude(pk=line.pk).aggregate(total=Sum("line_total"))
        others = others["total"]
    else:
        others = sum((x.line_total for x in lines if x.pk != line.pk), Decimal("0"))
    if (others or 0) + line.line_total >= MONEY_LIMIT:
        raise ValidationError(
            {"quantity": [f"The quote total would reach {MONEY_LIMIT:,.0f} or more."]}
        )


@transaction.atomic
def quote_line_add(
    *,
    quote: Quote,
    actor,
    product: Product,
    quantity: int,
    configuration: dict | None = None,
    discount_percent: Decimal | int | str = 0,
    requested_date: dt.date | None = None,
    scope_statement: str = "",
    custom_spec: str = "",
    expected_version: int | None = None,
) -> QuoteLine:
    _require_seller(actor)
    quote = _lock(quote, expected_version)
    _require_editable(quote)
    if not product.is_active:
        raise ValidationError({"product": ["This product is no longer sold."]})
    last = quote.lines.order_by("-position").values_list("position", flat=True).first() or 0
    line = QuoteLine(
        quote=quote,
        product=product,
        position=last + 10,
        requested_date=requested_date,
        scope_statement=scope_statement,
        custom_spec=custom_spec,
    )
    _build_line(
        line, configuration=configuration, quantity=quantity, discount_percent=discount_percent
    )
    line.save()
    _touch(quote, quote.version, [])
    quote_repromise_changed(quote=quote, changed={line.pk})
    activity_record(
        target=quote, actor=actor, verb="line_added", text=f"Added {quantity} × {product.name}"
    )
    line.refresh_from_db()
    return line


@transaction.atomic
def quote_line_update(
    *, line: QuoteLine, actor, expected_version: int | None = None, **fields: Any
) -> QuoteLine:
    """Change a draft quote's line: price it again, re-promise what the change can
    move. Returns the line as saved (with its promise). Raises QuoteLine.DoesNotExist
    when the line is no longer on the quote (removed meanwhile)."""
    _require_seller(actor)
    quote = _lock(line.quote, expected_version)
    _require_editable(quote)
    # Every line, read once under the quote's lock: the edited one, the total the
    # quote may not pass, and what the re-promise walks (no second read of either).
    lines = list(quote.lines.select_related("product"))
    line_pk = line.pk
    line = next((x for x in lines if x.pk == line_pk), None)
    if line is None:
        raise QuoteLine.DoesNotExist("No such line on this quote.")
    for x in lines:
        x.quote = quote
    before = copy.copy(line)
    allowed = {
        "quantity",
        "configuration",
        "discount_percent",
        "requested_date",
        "scope_statement",
        "custom_spec",
    }
    refuse_unknown_fields(fields, allowed)
    for key in ("requested_date", "scope_statement", "custom_spec"):
        if key in fields:
            setattr(line, key, fields[key])
    # Pricing (the cost roll-up) and the re-promise walk the same product structures:
    # read once for this edit.
    with structure_reuse(product_ids=[x.product_id for x in lines]):
        _build_line(
            line,
            configuration=fields.get("configuration", line.configuration),
            quantity=fields.get("quantity", line.quantity),
            discount_percent=fields.get("discount_percent", line.discount_percent),
            lines=lines,
        )
        line.save()
        _touch(quote, quote.version, [])
        quote_repromise_changed(
            quote=quote,
            changed={line.pk},
            # Another configuration frees what the old one used for the lines after it.
            gone=[before] if before.configuration != line.configuration else [],
            lines=lines,
        )
    activity_record(
        target=quote,
        actor=actor,
        verb="line_changed",
        text=f"Changed line {line.position}: {line.product.name}",
    )
    return line


@transaction.atomic
def quote_line_delete(*, line: QuoteLine, actor, expected_version: int | None = None) -> None:
    _require_seller(actor)
    quote = _lock(line.quote, expected_version)
    _require_editable(quote)
    text = f"Removed line {line.position}: {line.product.name}"
    gone = copy.copy(line)
    line.delete()
    _touch(quote, quote.version, [])
    quote_repromise_changed(quote=quote, changed=set(), gone=[gone])
    activity_record(target=quote, actor=actor, verb="line_removed", text=text)


def _line_requests(quote: Quote, lines: list[QuoteLine]) -> list[LineRequest]:
    selections = _options_list(lines)
    receiving = quote.shipping_address.receiving_days if quote.shipping_address_id else None
    return [
        LineRequest(
            key=str(line.pk),
            product=line.product,
            quantity=line.quantity,
            options=options,
            requested_date=line.requested_date or quote.requested_date,
            **({"receiving_weekdays": receiving} if receiving else {}),
        )
        for line, options in zip(lines, selections, strict=True)
    ]


def _engine_run(run):
    try:
        return run()
    except ValueError as exc:
        # e.g. no free capacity within the planning horizon for this quantity: the
        # caller's input cannot be promised, which is a field error, not a crash.
        raise ValidationError({"quantity": [f"No delivery date can be promised: {exc}"]}) from None


def promise_lines(
    quote: Quote,
    lines: list[QuoteLine],
    *,
    today: dt.date | None = None,
    own_bookings=(),
    lock: bool = False,
):
    """One promise pass over `lines` in their order: earlier lines claim stock and
    capacity first. Also the builder's preview (line_preview), so both agree.
    `own_bookings`: the lines' own bookings, not in their way; `lock`: lock the ledgers."""
    requests = _line_requests(quote, lines)
    engine = PromiseEngine(
        today=today or timezone.localdate(), own_bookings=own_bookings, lock=lock
    )
    return _engine_run(lambda: engine.promise(requests))


def _holds(quote: Quote, book: bool) -> bool:
    holds = book or quote.state == QuoteState.ACCEPTED
    return holds or (quote.state == QuoteState.SENT and quote.hold_promise)


def quote_recalculate(
    *,
    quote: Quote,
    today: dt.date | None = None,
    book: bool = False,
    lines: list[QuoteLine] | None = None,
) -> Quote:
    """Re-run the promise engine on every line and store dates and explanations.

    `book`: lock the ledgers the lines use and book what their promise used
    (accepting a quote). An accepted quote's own bookings are not in its way.
    `lines`: the quote's lines as the caller holds them (saved), else read here.
    """
    # Not repriced here (the line services price a line as it changes): no price breaks.
    if lines is None:
        lines = list(quote.lines.select_related("product"))
    holds = _holds(quote, book)
    result = promise_lines(
        quote,
        lines,
        today=today,
        own_bookings=[quote_line_key(line) for line in lines] if holds else (),
        lock=book,
    )
    if book:
        promises_book(
            [
                (quote_line_key(line), f"{quote.number}/{line.position}", promise)
                for line, promise in zip(lines, result.lines, strict=True)
            ]
        )
    _promises_store(quote, lines, dict(enumerate(result.lines)))
    return quote


def quote_repromise_changed(
    *,
    quote: Quote,
    changed: set,
    gone: list[QuoteLine] = (),
    today: dt.date | None = None,
    lines: list[QuoteLine] | None = None,
) -> Quote:
    """Re-promise only what a change to `changed` lines (ids) can move (DESIGN §5).

    `gone`: the lines as they were before a removal or a change of configuration
    (unsaved copies, with their old position). The other lines keep their stored
    promise: nothing they compete for moved. Falls back to quote_recalculate while
    a line has no promise yet or the quote holds bookings. `lines`: every line of the
    quote in position order as saved, held by the caller (read under the quote's
    lock), else read here.
    """
    if lines is None:
        lines = list(quote.lines.select_related("product"))
    if _holds(quote, False) or any(
        line.feasible_date is None for line in lines if line.pk not in changed
    ):
        return quote_recalculate(quote=quote, today=today, lines=lines)
    requests = _line_requests(quote, [*lines, *gone])
    current, old = requests[: len(lines)], requests[len(lines) :]
    positions = [line.position for line in lines]
    gone_at = [
        (next((i for i, p in enumerate(positions) if p >= line.position), len(lines)), request)
        for line, request in zip(gone, old, strict=True)
    ]
    engine = PromiseEngine(today=today or timezone.localdate())
    promises = _engine_run(
        lambda: engine.promise_changed(
            current, {i for i, line in enumerate(lines) if line.pk in changed}, gone_at
        )
    )
    _promises_store(quote, lines, promises)
    return quote


def _promises_store(quote: Quote, lines: list[QuoteLine], promises: dict) -> None:
    """Store the promises of `promises` ({index: LinePromise}) on their lines, and the
    quote's date and critical path from every line's (the others' as stored)."""
    changed = []
    for i, promise in promises.items():
        line = lines[i]
        values = {
            "feasible_date": promise.feasible_date,
            "critical_path": promise.critical_path,
            "promise_explanation": promise.explanation,
            "parts_without_price": bool(promise.parts_without_supplier_price),
            "has_subcontract": bool(promise.subcontracted_parts),
        }
        # Adding the 20th line leaves the promises of the first 19 as they were:
        # only lines whose answer moved are written.
        if any(getattr(line, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(line, key, value)
            changed.append(line)
    if len(changed) == 1:
        # A quantity edit usually moves its own line only: a plain UPDATE (bulk_update's
        # CASE per column costs the ORM thousands of calls to build).
        QuoteLine.objects.filter(pk=changed[0].pk).update(
            **{key: getattr(changed[0], key) for key in PROMISE_FIELDS}
        )
    elif changed:
        QuoteLine.objects.bulk_update(changed, list(PROMISE_FIELDS))
    # The critical line: the latest date, the first such line (QuotePromise's rule).
    critical = max(lines, key=lambda line: line.feasible_date, default=None)
    feasible = critical.feasible_date if critical else None
    path = critical.critical_path if critical else ""
    # One UPDATE for the dates and the stored totals the lists show.
    total, count = _totals(lines)
    Quote.objects.filter(pk=quote.pk).update(
        feasible_date=feasible, critical_path=path, total_amount=total, line_count=count
    )
    quote.feasible_date, quote.critical_path = feasible, path
    quote.total_amount, quote.line_count = total, count


PROMISE_FIELDS = (
    "feasible_date",
    "critical_path",
    "promise_explanation",
    "parts_without_price",
    "has_subcontract",
)


def _totals(lines) -> tuple[Decimal, int]:
    return sum((line.line_total for line in lines), Decimal("0")), len(lines)


def quote_refresh_totals(*, quote: Quote) -> Quote:
    """Store the quote's total and line count, which lists show and sort by.

    Every service that adds, changes or removes quote lines calls this (or
    quote_recalculate, which stores them in the same UPDATE as the dates).
    """
    agg = QuoteLine.objects.filter(quote=quote).aggregate(total=Sum("line_total"), n=Count("pk"))
    total, count = agg["total"] or Decimal("0"), agg["n"]
    Quote.objects.filter(pk=quote.pk).update(total_amount=total, line_count=count)
    quote.total_amount, quote.line_count = total, count
    return quote


def _options_for(lines: list[QuoteLine]) -> dict:
    return {line.pk: options for line, options in zip(lines, _options_list(lines), strict=True)}


def _options_list(lines: list[QuoteLine]) -> list[list]:
    """Each line's selected options, in the lines' order (one query if any is configured)."""
    from apps.catalog.models import Option

    wanted = {
        (line.product_id, group, code)
        for line in lines
        for group, codes in line.configuration.items()
        for code in (codes if isinstance(codes, list) else [codes])
    }
    product_ids = {line.product_id for line in lines}
    by_key = {}
    if wanted:  # no line configured: no options to read
        options = Option.objects.filter(group__product_id__in=product_ids).select_related("group")
        by_key = {(o.group.product_id, o.group.code, o.code): o for o in options}
    return [
        [
            by_key[(line.product_id, g, c)]
            for g, codes in line.configuration.items()
            for c in (codes if isinstance(codes, list) else [codes])
            if (line.product_id, g, c) in by_key
        ]
        for line in lines
    ]


# -- reviews ---------------------------------------------------------------


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}"


def line_review_reasons(
    line: QuoteLine, quote: Quote, *, limit: Decimal, floor: Decimal
) -> list[tuple[str, str]]:
    """(department, why) for the reviews one line asks for; the line may be unsaved
    (the builder's preview shows what a line would ask for before it is added)."""
    out: list[tuple[str, str]] = []
    label = f"line {line.position} ({line.product.name})"
    mode = line.product.fulfillment_mode
    if mode == FulfillmentMode.DTO:
        out.append((Department.ENGINEERING, f"{label} is design-to-order"))
    if line.custom_spec.strip() or line.needs_engineering:
        out.append((Department.ENGINEERING, f"{label} has a custom specification"))
    if mode in (FulfillmentMode.MTO, FulfillmentMode.DTO):
        out.append(
            (
                Department.MANUFACTURING,
                f"{label} is {line.product.get_fulfillment_mode_display().lower()}",
            )
        )
    requested = line.requested_date or quote.requested_date
    if requested and line.feasible_date and requested < line.feasible_date:
        out.append(
            (
                Department.MANUFACTURING,
                f"{label}: requested {requested:%b %d} is before "
                f"the feasible {line.feasible_date:%b %d}",
            )
        )
    if line.parts_without_price:
        out.append((Department.PURCHASING, f"{label} uses parts without a current supplier price"))
    if line.has_subcontract:
        out.append((Department.PURCHASING, f"{label} includes subcontracted work"))
    if line.discount_percent > limit:
        out.append(
            (
                Department.PRICING,
                f"{label}: discount {_pct(line.discount_percent)} % "
                f"exceeds the {_pct(limit)} % limit",
            )
        )
    if line.margin_percent < floor:
        out.append(
            (
                Department.PRICING,
                f"{label}: margin {_pct(line.margin_percent)} % is below the {_pct(floor)} % floor",
            )
        )
    return out


def required_reviews(quote: Quote) -> dict[str, list[str]]:
    """Department → reasons, derived from the lines as DESIGN §4 says."""
    reasons: dict[str, list[str]] = {}

    def need(dept: str, why: str) -> None:
        reasons.setdefault(dept, [])
        if why not in reasons[dept]:
            reasons[dept].append(why)

    limit = discount_limit(quote.owner)
    floor = margin_floor()
    for line in quote.lines.select_related("product"):
        for dept, why in line_review_reasons(line, quote, limit=limit, floor=floor):
            need(dept, why)
    if quote.promised_date and quote.feasible_date and quote.promised_date < quote.feasible_date:
        need(
            Department.MANUFACTURING,
            f"promised {quote.promised_date:%b %d} is before "
            f"the feasible {quote.feasible_date:%b %d}",
        )
    return reasons


# Where each department's people decide (the role apps mount apps.orders.review_inbox).
REVIEW_INBOX_URLS = {
    Department.ENGINEERING: "engineering:review-inbox",
    Department.MANUFACTURING: "manufacturing:review-inbox",
    Department.PURCHASING: "suppliers:review-inbox",
    Department.PRICING: "sales:review-inbox",
}


def _add_working_days(start: dt.date, days: int) -> dt.date:
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if day.isoweekday() <= 5:
            days -= 1
    return day


def _reviewers(department: str, quote: Quote):
    """Holders of the department's role, except whoever owns or created the quote."""
    User = get_user_model()
    people = {quote.owner_id, quote.created_by_id} - {None}
    return User.objects.filter(groups__name=REVIEW_ROLES[department], is_active=True).exclude(
        pk__in=people
    )


@transaction.atomic
def quote_submit(
    *,
    quote: Quote,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    comment_audience: str | None = None,
) -> Quote:
    quote = quote_recalculate(quote=_lock(quote, expected_version))
    needed = required_reviews(quote)
    due = _add_working_days(timezone.localdate(), settings.TANDEM_REVIEW_DAYS)

    def create_reviews(locked: Quote) -> None:
        for dept, why in needed.items():
            QuoteReview.objects.create(
                quote=locked,
                department=dept,
                revision=locked.revision,
                reasons="\n".join(why),
                due_date=due,
            )

    quote = run_transition(
        obj=quote,
        name="submit",
        actor=actor,
        comment=comment,
        comment_audience=comment_audience,
        before=create_reviews,
    )
    for dept in needed:
        notify(
            recipients=_reviewers(dept, quote),
            title=f"{Department(dept).label} review requested for {quote.number}",
            body=f"{quote.customer.name}: due {due:%b %d}",
            url=reverse(REVIEW_INBOX_URLS[dept]),
        )
    if not needed:
        quote = run_transition(
            obj=quote, name="approve", actor=SYSTEM, comment="No review required."
        )
    return quote


@transaction.atomic
def quote_review_decide(
    *,
    review: QuoteReview,
    actor,
    decision: str,
    comment: str = "",
    expected_version: int | None = None,
) -> QuoteReview:
    if decision not in {"approve", "reject", "request_changes"}:
        raise ValidationError({"decision": ["Choose approve, reject or request_changes."]})
    if decision != "approve" and not comment.strip():
        raise ValidationError({"comment": ["Say why, so sales knows what to change."]})
    refusal = own_quote_review_refusal(review, actor)
    if refusal:
        raise TransitionForbidden(refusal)

    def stamp(locked: QuoteReview) -> None:
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.comment = comment

    review = run_transition(
        obj=review,
        name=decision,
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        before=stamp,
    )
    quote = review.quote
    activity_record(
        target=quote,
        actor=actor,
        verb=f"review_{review.state}",
        kind=ActivityKind.EVENT,
        text=f"{review.get_department_display()} review {review.get_state_display().lower()}"
        + (f": {comment}" if comment else ""),
    )
    url = reverse("sales:quote-detail", args=[quote.pk])
    if review.state == ReviewState.APPROVED:
        fresh = Quote.objects.get(pk=quote.pk)
        if fresh.state == QuoteState.IN_REVIEW and fresh.all_required_reviews_approved():
            run_transition(
                obj=fresh, name="approve", actor=SYSTEM, comment="All required reviews approved."
            )
            # The owner is asked to send it now; single approvals before that are timeline news.
            notify(
                recipients=[quote.owner],
                title=f"{quote.number}: all reviews approved, ready to send",
                url=url,
            )
    else:
        # Rejected or changes requested: the owner has to revise.
        notify(
            recipients=[quote.owner],
            title=f"{quote.number}: {review.get_department_display()} review "
            f"{review.get_state_display().lower()}",
            body=comment,
            url=url,
        )
    return review


# -- the rest of the workflow ----------------------------------------------


def _customer_recipients(quote: Quote) -> list[str]:
    if quote.contact and quote.contact.email:
        return [quote.contact.email]
    return [m.user.email for m in quote.customer.memberships.select_related("user") if m.user.email]


@transaction.atomic
def quote_send(
    *,
    quote: Quote,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    comment_audience: str | None = None,
) -> Quote:
    def stamp(locked: Quote) -> None:
        locked.sent_at = timezone.now()

    quote = run_transition(
        obj=quote,
        name="send",
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        audience=Audience.CUSTOMER,
        comment_audience=comment_audience,
        before=stamp,
    )
    grant_org_access(quote, quote.customer)
    if quote.hold_promise:
        # Held until decided or expired: later requests are promised around it.
        quote_recalculate(quote=quote, book=True)
    quote_promises_freeze(quote=quote)
    quote_document_create(quote=quote)
    email_send_after_commit(
        to=_customer_recipients(quote),
        template_prefix="orders/email/quote_sent",
        context={"quote": quote, "site_url": settings.SITE_URL},
        target=quote,
        audience=Audience.CUSTOMER,
    )
    return quote


def sent_promise(line: QuoteLine, quote: Quote) -> tuple[dt.date | None, bool]:
    """(the date the customer is shown for `line`, whether it is an approved expedite).

    The quote's promised date when sales gave one (a later date, or an earlier
    one manufacturing approved: the review gate in required_reviews), else the
    line's feasible date.
    """
    if quote.promised_date is None:
        return line.feasible_date, False
    expedited = line.feasible_date is not None and quote.promised_date < line.feasible_date
    return quote.promised_date, expedited


def quote_promises_freeze(*, quote: Quote) -> None:
    """Freeze each line's promise as sent: what the document and the portal show,
    and what the order promises when the customer accepts (a resend refreezes)."""
    lines = list(quote.lines.all())
    for line in lines:
        line.sent_promised_date, line.sent_expedited = sent_promise(line, quote)
    QuoteLine.objects.bulk_update(lines, ["sent_promised_date", "sent_expedited"])


def _decide(
    quote: Quote, name: str, actor, comment: str, expected_version, comment_audience
) -> Quote:
    def stamp(locked: Quote) -> None:
        locked.decided_at = timezone.now()

    quote = run_transition(
        obj=quote,
        name=name,
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        audience=Audience.CUSTOMER,
        comment_audience=comment_audience,
        before=stamp,
    )
    transaction.on_commit(
        lambda: quote_state_changed.send(sender=Quote, quote=quote, transition=name, actor=actor)
    )
    if quote.owner_id != getattr(actor, "pk", None):
        # The owner converts an acceptance or follows up a decline.
        by = " by the customer" if getattr(actor, "is_external", False) else ""
        notify(
            recipients=[quote.owner],
            title=f"{quote.number} was {quote.get_state_display().lower()}{by}",
            body=comment,
            url=reverse("sales:quote-detail", args=[quote.pk]),
        )
    return quote


@transaction.atomic
def quote_accept(
    *,
    quote: Quote,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    customer_po: str = "",
    signer_name: str = "",
    terms_accepted: bool = False,
    ip_address: str | None = None,
    comment_audience: str | None = None,
) -> Quote:
    """sent → accepted, with the acceptance record (PO, signer, terms, time, user, IP).

    The portal and the API require the PO, the signer's name and the terms from a
    customer (apps.customers.forms.AcceptForm, the API's accept input); staff recording
    an acceptance received by other means may leave them empty.
    """
    quote = _decide(quote, "accept", actor, comment, expected_version, comment_audience)
    QuoteAcceptance.objects.create(
        quote=quote,
        revision=quote.revision,
        customer_po=customer_po.strip(),
        signer_name=signer_name.strip(),
        terms_accepted=terms_accepted,
        accepted_by=actor if getattr(actor, "pk", None) else None,
        accepted_at=quote.decided_at,
        ip_address=ip_address or None,
    )
    # What the accepted promise uses is booked now, before anyone else is promised it.
    return quote_recalculate(quote=quote, book=True)


@transaction.atomic
def quote_decline(
    *,
    quote: Quote,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    comment_audience: str | None = None,
) -> Quote:
    quote = _decide(quote, "decline", actor, comment, expected_version, comment_audience)
    quote_bookings_release(quote, note=f"Released: {quote.number} declined")
    return quote


@transaction.atomic
def quote_expire(*, quote: Quote) -> Quote:
    quote = run_transition(
        obj=quote,
        name="expire",
        actor=SYSTEM,
        audience=Audience.CUSTOMER,
        comment=f"Valid until {quote.valid_until:%b %d, %Y}.",
    )
    quote_bookings_release(quote, note=f"Released: {quote.number} expired")
    return quote


def quote_snapshot(quote: Quote) -> dict:
    lines = quote.lines.select_related("product").order_by("position")
    return {
        "number": quote.number,
        "revision": quote.revision,
        "state": quote.state,
        "customer": str(quote.customer_id),
        "title": quote.title,
        "customer_reference": quote.customer_reference,
        "currency": quote.currency,
        "valid_until": quote.valid_until.isoformat(),
        "sent_at": quote.sent_at.isoformat() if quote.sent_at else None,
        "requested_date": quote.requested_date.isoformat() if quote.requested_date else None,
        "promised_date": quote.promised_date.isoformat() if quote.promised_date else None,
        "feasible_date": quote.feasible_date.isoformat() if quote.feasible_date else None,
        "terms": quote.terms,
        "contact": str(quote.contact_id) if quote.contact_id else None,
        "shipping_address": str(quote.shipping_address_id) if quote.shipping_address_id else None,
        "billing_address": str(quote.billing_address_id) if quote.billing_address_id else None,
        "lines": [
            {
                "id": str(line.pk),
                "position": line.position,
                "product": line.product.sku,
                "product_id": str(line.product_id),
                "product_name": line.product.name,
                "configuration": line.configuration,
                "configuration_text": line.configuration_text,
                "quantity": line.quantity,
                "unit_list_price": str(line.unit_list_price),
                "discount_percent": str(line.discount_percent),
                "unit_price": str(line.unit_price),
                "unit_cost": str(line.unit_cost),
                "line_total": str(line.line_total),
                "requested_date": line.requested_date.isoformat() if line.requested_date else None,
                "feasible_date": line.feasible_date.isoformat() if line.feasible_date else None,
                "scope_statement": line.scope_statement,
                "custom_spec": line.custom_spec,
            }
            for line in lines
        ],
    }


@transaction.atomic
def quote_revise(
    *,
    quote: Quote,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    comment_audience: str | None = None,
) -> Quote:
    def snapshot(locked: Quote) -> None:
        QuoteRevision.objects.create(
            quote=locked,
            number=locked.revision,
            state=locked.state,
            snapshot=quote_snapshot(locked),
            reason=comment,
            created_by=actor,
        )

    quote = run_transition(
        obj=quote,
        name="revise",
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        comment_audience=comment_audience,
        before=snapshot,
    )
    quote_bookings_release(quote, note=f"Released: {quote.number} revised")
    return quote


COPYABLE_STATES = frozenset({QuoteState.EXPIRED, QuoteState.DECLINED})


def quote_copy_refusal(quote: Quote, actor) -> str:
    """Why `actor` may not copy `quote` as a new quote now ("" when they may)."""
    if not can_sell(quote, actor):
        return "Only sales may copy a quote as a new quote."
    if quote.state not in COPYABLE_STATES:
        return (
            f"Only expired or declined quotes are copied as new quotes; {quote.number} is "
            f"{quote.get_state_display().lower()}."
        )
    return ""


@transaction.atomic
def quote_copy(*, quote: Quote, actor, comment: str = "") -> Quote:
    """Quote an expired or declined quote again: a new draft for the same customer with
    the same lines and configurations, priced from today's price list and re-promised."""
    source = Quote.objects.select_related("customer", "contact").get(pk=quote.pk)
    refusal = quote_copy_refusal(source, actor)
    if refusal:
        if not can_sell(source, actor):
            raise TransitionForbidden(refusal)
        raise TransitionNotAllowed(refusal)
    today = timezone.localdate()
    lines = list(source.lines.select_related("product").order_by("position"))
    gone = [f"line {ln.position} ({ln.product.name})" for ln in lines if not ln.product.is_active]
    if gone:
        raise ValidationError(
            {"lines": [f"No longer sold, so it cannot be quoted again: {', '.join(gone)}."]}
        )
    contact = source.contact
    if contact is not None and (
        contact.organization is None or contact.organization.pk != source.customer_id
    ):
        contact = None
    future = (
        source.requested_date if source.requested_date and source.requested_date > today else None
    )
    copy = quote_create(
        actor=actor,
        customer=source.customer,
        title=source.title,
        contact=contact,
        currency=source.currency,
        requested_date=future,
        shipping_address=source.shipping_address,
        billing_address=source.billing_address,
        terms=source.terms,
        customer_reference=source.customer_reference,
        internal_notes=source.internal_notes,
    )
    Quote.objects.filter(pk=copy.pk).update(copied_from=source)
    copy.copied_from = source
    for line in lines:
        quote_line_add(
            quote=copy,
            actor=actor,
            product=line.product,
            quantity=line.quantity,
            configuration=line.configuration,
            discount_percent=line.discount_percent,
            requested_date=line.requested_date
            if line.requested_date and line.requested_date > today
            else None,
            scope_statement=line.scope_statement,
            custom_spec=line.custom_spec,
        )
    activity_record(
        target=copy,
        actor=actor,
        verb="copied_from",
        text=f"Copied from {source.number} ({source.get_state_display().lower()}) with "
        "today's prices and dates" + (f": {comment}" if comment else ""),
    )
    activity_record(
        target=source,
        actor=actor,
        verb="copied_as",
        text=f"Copied as new quote {copy.number}",
    )
    return Quote.objects.get(pk=copy.pk)


@transaction.atomic
def quote_cancel(
    *,
    quote: Quote,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    comment_audience: str | None = None,
) -> Quote:
    was_sent = quote.state == QuoteState.SENT
    quote = run_transition(
        obj=quote,
        name="cancel",
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        audience=Audience.CUSTOMER if was_sent else Audience.INTERNAL,
        comment_audience=comment_audience,
    )
    quote_bookings_release(quote, note=f"Released: {quote.number} cancelled")
    return quote


@transaction.atomic
def quote_approve(
    *,
    quote: Quote,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    comment_audience: str | None = None,
) -> Quote:
    return run_transition(
        obj=quote,
        name="approve",
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        comment_audience=comment_audience,
    )


def quote_reviews_remind_overdue(*, now: dt.datetime | None = None) -> int:
    """Notify each reviewer group of its overdue reviews; at most one reminder a day each."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    overdue = QuoteReview.objects.filter(
        state=ReviewState.REQUESTED, due_date__lt=today, quote__state=QuoteState.IN_REVIEW
    ).select_related("quote", "quote__customer")
    reminded = 0
    for review in overdue:
        if review.reminded_at and timezone.localdate(review.reminded_at) == today:
            continue
        if review.revision != review.quote.revision:
            continue
        late = (today - review.due_date).days
        notify(
            recipients=_reviewers(review.department, review.quote),
            title=f"Overdue: {review.get_department_display()} review of {review.quote.number}",
            body=f"{review.quote.customer.name}: due {review.due_date:%b %d}, {late} day"
            f"{'s' if late != 1 else ''} late",
            url=reverse(REVIEW_INBOX_URLS[review.department]) + f"#review-{review.pk}",
        )
        QuoteReview.objects.filter(pk=review.pk).update(reminded_at=now)
        reminded += 1
    return reminded
