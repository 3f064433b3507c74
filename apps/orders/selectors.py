"""Permission-filtered reads of quotes, orders and change requests.

Internal staff with the model's view permission see every row. A customer
contact sees its organization's rows (`customer_documents`), and of quotes
only those from `sent` on. The filter is in the queryset itself, so list
endpoints and filters can never return more.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from decimal import Decimal
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, RowNumber
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.accounts.models import OrganizationKind
from apps.core.lists import number_search
from apps.core.permissions import get_visible_or_404, is_internal, sees_every, visible_to
from apps.core.prefetch import prefetch_rows
from apps.core.prepared import prepared_objects, prepared_values
from apps.orders.models import (
    QUOTE_CUSTOMER_STATES,
    AtRiskTally,
    ChangeOrigin,
    ChangeRequest,
    OrderLine,
    OrderLineComponent,
    OrderLineDateChange,
    Quote,
    QuoteDocument,
    QuoteLine,
    QuoteReview,
    QuoteRevision,
    QuoteState,
    ReviewState,
    SalesOrder,
)
from apps.orders.models.quote import MONEY
from apps.orders.pricing import margin_floor

# A quote revised after it was sent passes through these states again; the
# customer keeps seeing the last version sent to them meanwhile.
QUOTE_BEING_REVISED_STATES = frozenset(
    {QuoteState.DRAFT, QuoteState.IN_REVIEW, QuoteState.APPROVED}
)
# Why a customer cannot decide a quote being revised (portal and API).
QUOTE_BEING_REVISED_REFUSAL = (
    "Kestrel is revising this quote. You see the version last sent to you; you can "
    "decide once the new version is sent."
)


def customer_documents(user, queryset: QuerySet) -> QuerySet:
    """Staff: `visible_to` (the model's view permission). A customer contact: the
    documents of its own organization, by the indexed `customer` foreign key.

    The services grant a quote, order or change request to its customer's group
    when the customer may first see it (quote_send, the order's creation, a change
    request raised by the customer or proposed to it) and never revoke the grant,
    and a document's customer never changes. So the grants are exactly `customer =
    the contact's organization` plus the conditions the selectors below add (a
    quote in a state that only follows `sent`, a change request that is the
    customer's or was proposed), and a list reads its page from a (customer, …)
    index instead of semi-joining every grant of a large account, which grew with
    the account (bench, portal lists at size M). The grants are still written for
    object-level checks (get_visible_or_404 applies them on top).
    """
    if is_internal(user) or not (user.is_authenticated and user.is_active):
        return visible_to(user, queryset)
    org = user.organization
    if (
        org is None
        or org.group_id is None
        or not org.is_active
        or org.kind != OrganizationKind.CUSTOMER
    ):
        return queryset.none()
    return queryset.filter(customer_id=org.pk)


def quotes_visible_to(user) -> QuerySet[Quote]:
    qs = customer_documents(user, Quote.objects.all())
    if not is_internal(user):
        qs = qs.filter(state__in=QUOTE_CUSTOMER_STATES)
    return qs


def portal_quotes_visible_to(user, queryset: QuerySet[Quote] | None = None) -> QuerySet[Quote]:
    """What a customer contact sees in the portal: quotes from `sent` on, and quotes
    being revised after they were sent (shown from their last sent revision, see
    `quote_last_sent_versions`). Staff see what quotes_visible_to gives them.
    `queryset`: a page's own query of quotes (its shape), narrowed the same way."""
    qs = customer_documents(user, Quote.objects.all() if queryset is None else queryset)
    if is_internal(user):
        return qs
    # Sent before, each one: a customer state only follows `sent`, and `sent_at` stays
    # set through a revision (whose first snapshot, taken from `sent`, is what the
    # customer is shown). A column of the row rather than a subquery on revisions,
    # so the list and its count read the partial (customer, sent_at) index alone.
    return qs.filter(
        sent_at__isnull=False,
        state__in=QUOTE_CUSTOMER_STATES | QUOTE_BEING_REVISED_STATES,
    )


def _day(value) -> dt.date | None:
    return parse_date(value) if value else None


# The only fields of a snapshot a customer may see: never costs, margins or notes.
def _public_version(quote: Quote, revision: QuoteRevision) -> SimpleNamespace:
    snap = revision.snapshot
    lines = [
        SimpleNamespace(
            id=line.get("id"),
            position=line.get("position"),
            product=SimpleNamespace(
                pk=line.get("product_id"),
                sku=line.get("product", ""),
                name=line.get("product_name") or line.get("product", ""),
            ),
            configuration=line.get("configuration") or {},
            configuration_text=line.get("configuration_text", ""),
            scope_statement=line.get("scope_statement", ""),
            custom_spec=line.get("custom_spec", ""),
            quantity=line.get("quantity"),
            unit_list_price=Decimal(line.get("unit_list_price") or line["unit_price"]),
            discount_percent=Decimal(line.get("discount_percent") or "0"),
            unit_price=Decimal(line["unit_price"]),
            line_total=Decimal(line["line_total"]),
            requested_date=_day(line.get("requested_date")),
            feasible_date=_day(line.get("feasible_date")),
        )
        for line in sorted(snap.get("lines", []), key=lambda ln: ln.get("position") or 0)
    ]
    sent_at = snap.get("sent_at")
    return SimpleNamespace(
        pk=quote.pk,
        number=quote.number,
        revision=revision.number,
        state="being_revised",
        get_state_display="Being revised",
        title=snap.get("title", ""),
        customer_reference=snap.get("customer_reference", ""),
        currency=snap.get("currency", quote.currency),
        valid_until=_day(snap.get("valid_until")),
        sent_at=parse_datetime(sent_at) if sent_at else quote.sent_at,
        requested_date=_day(snap.get("requested_date")),
        promised_date=_day(snap.get("promised_date")),
        feasible_date=_day(snap.get("feasible_date")),
        # Snapshots taken before these were recorded show none rather than the draft's.
        contact_id=snap.get("contact"),
        shipping_address_id=snap.get("shipping_address"),
        billing_address_id=snap.get("billing_address"),
        terms=snap.get("terms", ""),
        owner=quote.owner,
        lines=lines,
        line_count=len(lines),
        total=sum((line.line_total for line in lines), Decimal("0")),
    )


def quote_last_sent_versions(quotes) -> dict:
    """quote pk → the customer's view of its last sent revision, for quotes being revised.

    One query whatever the number of quotes.
    """
    revised = {q.pk: q for q in quotes if q.state in QUOTE_BEING_REVISED_STATES}
    if not revised:
        return {}
    out: dict = {}
    rows = QuoteRevision.objects.filter(quote_id__in=revised, state=QuoteState.SENT).order_by(
        "quote_id", "-number"
    )
    for revision in rows:
        if revision.quote_id not in out:
            out[revision.quote_id] = _public_version(revised[revision.quote_id], revision)
    return out


# List querysets carry no aggregate: totals, line counts and forecast dates are
# stored on the document (see apps.core.lists), so a list sorts and pages on indexes.
def quote_list(user) -> QuerySet[Quote]:
    return quotes_visible_to(user).select_related("customer", "owner")


def portal_quote_list(user) -> QuerySet[Quote]:
    """The customer's list in the portal and the API: quotes being revised included."""
    return portal_quotes_visible_to(user).select_related("customer", "owner")


def quote_detail_qs(
    user, *, portal: bool = False, lines: QuerySet[QuoteLine] | None = None
) -> QuerySet[Quote]:
    """`portal`: a customer also reads quotes being revised (as their last sent revision).
    `lines`: the lines' queryset (the API's reads fewer of the product's columns)."""
    if lines is None:
        lines = QuoteLine.objects.select_related("product")
    qs = (
        (portal_quotes_visible_to(user) if portal else quotes_visible_to(user))
        .select_related(
            "customer", "owner", "contact", "shipping_address", "billing_address", "copied_from"
        )
        .prefetch_related(Prefetch("lines", queryset=lines))
    )
    return _with_reviews(user, qs)


def quote_answer_qs(user, *, portal: bool = False) -> QuerySet[Quote]:
    """The quote for the API's answer (`portal`: as quote_detail_qs), without its
    lines: the answer reads them as plain rows (apps.orders.api.serializers)."""
    qs = (portal_quotes_visible_to(user) if portal else quotes_visible_to(user)).select_related(
        "customer", "owner"
    )
    return _with_reviews(user, qs)


def _with_reviews(user, qs: QuerySet[Quote]) -> QuerySet[Quote]:
    if is_internal(user):
        qs = qs.prefetch_related(_reviews_prefetch())
    return qs


def _reviews_prefetch() -> Prefetch:
    return Prefetch("reviews", queryset=QuoteReview.objects.select_related("decided_by"))


def quote_get_for_user(user, pk) -> Quote:
    return get_visible_or_404(user, quote_detail_qs(user), pk=pk)


# Of the quote a quote was copied from, and of an order's quote, a page shows the
# number (and links to it). The state is loaded too: the FSM mixin reads it when the
# instance is built (deferred, it would be one more query).
_QUOTE_UNREAD = tuple(
    f.name for f in Quote._meta.concrete_fields if f.name not in ("id", "number", "state")
)


def quote_get_for_page(user, pk) -> Quote:
    """The quote for its staff page, which reads less than quote_detail_qs gives.

    Without its lines: the page loads the lines it shows (`document_lines_window`) and
    has the count and total of all of them with the quote (`lines_count`,
    `lines_total`). Without the addresses (not on the page) and of the quote it was
    copied from only the number: every column joined is compiled on every request.
    The query's shape is built once per process (`_quote_page_shape`).
    """
    if is_internal(user):
        quote = staff_document(user, Quote, _quote_page_query, pk)
        reviews = prepared_objects(_quote_reviews_query, (), [quote.pk])
        for review in reviews:
            review.quote = quote
        prefetched(quote, "reviews", reviews)
        return quote
    # What quotes_visible_to narrows a contact to; the reviews are staff's.
    qs = customer_documents(user, _quote_page_shape()).prefetch_related(None)
    return get_visible_or_404(user, qs.filter(state__in=QUOTE_CUSTOMER_STATES), pk=pk)


def staff_document(user, model, build, pk):
    """The document `build((pk,))` gives, for staff: who may view the model sees every
    document (`visible_to`), so the query is the same for all of them and its SQL is
    compiled once per process (`prepared_objects`: a page's document with its joins
    and subqueries cost the ORM ~5,000 calls to build and compile). 404 otherwise."""
    try:
        pk = pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk))
    except ValueError:
        raise Http404 from None
    if not sees_every(user, model):
        raise Http404
    found = prepared_objects(build, (), [pk])
    if not found:
        raise Http404
    return found[0]


def prefetched(instance, name: str, objects: list) -> None:
    """`objects` as what `instance.<name>.all()` gives, as prefetch_related leaves it
    (the related manager's queryset, its rows filled: a filter on it still queries)."""
    qs = getattr(instance, name).all()
    qs._result_cache = objects
    qs._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = qs


def _quote_page_query(slots) -> QuerySet[Quote]:
    return _quote_page_shape().prefetch_related(None).filter(pk=slots[0])


def _quote_reviews_query(slots) -> QuerySet[QuoteReview]:
    # As the page's prefetch (`_reviews_prefetch`) reads them.
    return QuoteReview.objects.select_related("decided_by").filter(quote=slots[0])


@functools.cache
def _quote_page_shape() -> QuerySet[Quote]:
    """The staff quote page's query before its visibility filter and the quote's pk:
    the same for every request, so it is built once per process (joins, deferred
    columns, four subqueries and the reviews' prefetch cost about a third as much to
    build as to compile and run: bench, staff quote detail). Never evaluated itself:
    every request filters a clone."""
    qs = (
        Quote.objects.select_related("customer", "owner", "contact", "copied_from")
        .defer(*(f"copied_from__{name}" for name in _QUOTE_UNREAD))
        .annotate(
            **lines_aggregates(QuoteLine, "quote"),
            has_change_requests=_has_change_requests("quote"),
        )
    )
    return qs.prefetch_related(_reviews_prefetch())


def quote_get_plain(user, pk) -> Quote:
    """The quote's own row (nothing joined, no lines), for a section of its page read on
    demand (`?section=`)."""
    return get_visible_or_404(user, quotes_visible_to(user), pk=pk)


def _has_change_requests(fk: str) -> Exists:
    """Whether the document has change requests: their steps' conditions and
    assessments read every line, so a page then loads them all."""
    return Exists(ChangeRequest.objects.filter(**{fk: OuterRef("pk")}))


def lines_aggregates(line_model, fk: str) -> dict:
    """`lines_count` and `lines_total` of a document's lines, as subqueries of its row
    (index probes on the lines' foreign key): a page that shows 25 of 200 lines reads
    the other 175 neither into Python nor from the stored, list-only fields."""
    lines = line_model.objects.filter(**{fk: OuterRef("pk")}).order_by().values(fk)
    money = DecimalField(**MONEY)
    return {
        "lines_count": Coalesce(Subquery(lines.annotate(n=Count("pk")).values("n")), Value(0)),
        "lines_total": Coalesce(
            Subquery(lines.annotate(t=Sum("line_total")).values("t"), output_field=money),
            Value(Decimal("0")),
            output_field=money,
        ),
    }


def document_lines_window(document, lines: QuerySet, fk: str, *, every: bool, shown: int) -> list:
    """The lines a page shows of `document` (a quote or order fetched without its
    lines; `lines` the line model's queryset, `fk` the lines' key to it): the first
    `shown`, or with `every` all of them, then prefetched as `document.lines` too
    (conditions and totals that read every line read them without a query). One
    query either way.

    `lines` may also be a builder of that queryset (a module-level function of no
    arguments): the query's SQL is then compiled once per process and shape
    (`prepared_objects`; a 25-line window's select_related query costs the ORM ~2,500
    calls to build and compile)."""
    if callable(lines):
        key = (lines, fk, None if every else shown)
        found = prepared_objects(_document_lines, key, [document.pk])
        if every:
            for line in found:
                setattr(line, fk, document)
            prefetched(document, "lines", found)
        return found
    if not every:
        return list(lines.filter(**{fk: document})[:shown])
    prefetch_related_objects([document], Prefetch("lines", queryset=lines))
    return list(document.lines.all())


def _document_lines(lines, fk: str, shown: int | None, slots) -> QuerySet:
    qs = lines().filter(**{fk: slots[0]})
    return qs if shown is None else qs[:shown]


def line_count_subquery(line_model, fk: str) -> Coalesce:
    """How many lines a document has, as an annotation of the document's row (a page
    that loads only the lines it shows still says how many there are)."""
    return Coalesce(
        Subquery(
            line_model.objects.filter(**{fk: OuterRef("pk")})
            .order_by()
            .values(fk)
            .annotate(n=Count("pk"))
            .values("n")
        ),
        Value(0),
    )


def reviews_visible_to(user) -> QuerySet[QuoteReview]:
    if not is_internal(user):
        return QuoteReview.objects.none()
    quotes = quotes_visible_to(user)
    if quotes.query.is_empty():
        return QuoteReview.objects.none()
    reviews = QuoteReview.objects.all()
    if quotes.query.where:
        # Narrowed per quote: semi-join it. Staff who may view quotes see them all,
        # and an inbox then reads only its own index (no join to every quote id).
        reviews = reviews.filter(quote__in=quotes)
    return reviews.select_related("quote", "quote__customer")


def _waiting(reviews: QuerySet[QuoteReview], department: str) -> QuerySet[QuoteReview]:
    return reviews.filter(
        department=department,
        state=ReviewState.REQUESTED,
        quote__state=QuoteState.IN_REVIEW,
        revision=F("quote__revision"),
    ).order_by("due_date", "created_at", "pk")


def review_inbox(user, department: str) -> QuerySet[QuoteReview]:
    """The reviews waiting for `department`'s people: requested on the revision the
    quote is in review at (a revised quote leaves its old requests behind), overdue
    and oldest first (review_inbox_idx)."""
    return _waiting(reviews_visible_to(user), department).select_related(
        "quote__owner", "quote__contact"
    )


def _sees_every_review(user) -> bool:
    """Whether reviews_visible_to(user) is every review (staff who may view all
    quotes): the inbox's queries are then the same SQL for all of them."""
    return sees_every(user, Quote)  # staff's quotes_visible_to is visible_to


def _inbox_counts_query(today: dt.date, departments: list) -> QuerySet:
    return (
        _waiting(QuoteReview.objects.all(), departments[0])
        .order_by()
        .values("department")
        .annotate(waiting=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
    )


def _inbox_ids_query(bottom: int, top: int, departments: list) -> QuerySet:
    return _waiting(QuoteReview.objects.all(), departments[0]).values("pk")[bottom:top]


def review_inbox_ids(user, department: str, bottom: int, top: int) -> list:
    """The ids of the reviews `bottom`..`top` of review_inbox(user, department) (a
    page; read from review_inbox_requested_idx, no joined rows skipped). For staff who
    see every review its SQL is compiled once per page (apps.core.prepared)."""
    if _sees_every_review(user):
        rows = prepared_values(_inbox_ids_query, (bottom, top), [str(department)])
        return [row["pk"] for row in rows]
    return list(review_inbox(user, department).values_list("pk", flat=True)[bottom:top])


INBOX_LINES = 5  # the lines an inbox row shows of its quote; the rest are a link


def review_inbox_lines(
    *, margins: bool = False, floor: Decimal | None = None
) -> QuerySet[QuoteLine]:
    """At most INBOX_LINES lines of each quote, in position order: the late ones (and
    with `margins`, the pricing inbox's, the below-floor ones) first when there are
    more. Each line carries `quote_line_total` (all its quote's lines), so a row says
    how many it leaves out. One query for any number of quotes and lines (a window
    per quote)."""
    flagged = Q(feasible_date__gt=Coalesce("requested_date", "quote__requested_date"))
    if margins:
        flagged |= Q(margin_percent__lt=margin_floor() if floor is None else floor)
    return (
        QuoteLine.objects.annotate(
            inbox_rank=Window(
                RowNumber(),
                partition_by=[F("quote_id")],
                order_by=[
                    Case(When(flagged, then=0), default=1).asc(),
                    F("position").asc(),
                    F("created_at").asc(),
                ],
            ),
            quote_line_total=Window(Count("pk"), partition_by=[F("quote_id")]),
        )
        .filter(inbox_rank__lte=INBOX_LINES)
        .select_related("product")
        .order_by("position", "created_at")
    )


# What an inbox card shows of its review and its quote: plain columns, no model
# instances (apps.orders.review_inbox builds the card's values from them).
REVIEW_CARD_COLUMNS = (
    "pk",
    "version",
    "due_date",
    "reasons",
    "quote_id",
    "quote__number",
    "quote__revision",
    "quote__title",
    "quote__customer__name",
    "quote__owner_id",
    "quote__created_by_id",
    "quote__owner__username",
    "quote__owner__first_name",
    "quote__owner__last_name",
    "quote__currency",
    "quote__total_amount",
    "quote__requested_date",
    "quote__promised_date",
    "quote__feasible_date",
    "quote__critical_path",
)
REVIEW_CARD_LINE_COLUMNS = (
    "quote_id",
    "position",
    "product__name",
    "product__fulfillment_mode",
    "configuration_text",
    "scope_statement",
    "custom_spec",
    "quantity",
    "line_total",
    "discount_percent",
    "margin_percent",
    "requested_date",
    "feasible_date",
    "promise_explanation",
    "quote_line_total",
)


def _cards_query(review_ids: list) -> QuerySet:
    return QuoteReview.objects.filter(pk__in=review_ids).values(*REVIEW_CARD_COLUMNS)


def review_inbox_cards(review_ids) -> list[dict]:
    """The reviews `review_ids` (read from a permission-filtered selector) as the
    columns their inbox cards show, in that order: one query with the quote, customer
    and owner joined, its SQL compiled once per number of reviews (apps.core.prepared)."""
    by_pk = {row["pk"]: row for row in prepared_values(_cards_query, (), review_ids)}
    return [by_pk[pk] for pk in review_ids if pk in by_pk]


def _card_lines_query(margins: bool, floor: Decimal, quote_ids: list) -> QuerySet:
    return (
        review_inbox_lines(margins=margins, floor=floor)
        .filter(quote_id__in=quote_ids)
        .values(*REVIEW_CARD_LINE_COLUMNS)
    )


def review_inbox_card_lines(quote_ids, *, margins: bool = False) -> dict:
    """quote id -> the lines its inbox card shows (review_inbox_lines, as dicts of
    REVIEW_CARD_LINE_COLUMNS): one query for the page's quotes, its SQL compiled once
    per number of quotes (apps.core.prepared: the ORM's compiling of the window filter
    cost more than the rest of the page)."""
    by_quote: dict = {quote_id: [] for quote_id in quote_ids}
    if by_quote:
        floor = margin_floor() if margins else None
        for line in prepared_values(_card_lines_query, (margins, floor), list(by_quote)):
            by_quote[line["quote_id"]].append(line)
    return by_quote


def review_inbox_counts(user, department: str) -> tuple[int, int]:
    """(waiting, overdue) in one query. For staff who see every review (the inbox's
    people) its SQL is compiled once per day (apps.core.prepared): the ORM's building
    of the join and its filtered counts cost more Python than the rest of the page's
    queries."""
    today = timezone.localdate()
    if _sees_every_review(user):
        rows = prepared_values(_inbox_counts_query, (today,), [str(department)])
        return (rows[0]["waiting"], rows[0]["overdue"]) if rows else (0, 0)
    counts = review_inbox(user, department).aggregate(
        waiting=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today))
    )
    return counts["waiting"], counts["overdue"]


def quote_documents_visible_to(user, quote: Quote) -> QuerySet[QuoteDocument]:
    """The PDFs of `quote` the user may download: staff every sent revision's, a
    customer contact those of a quote it may see in the portal (each was sent to it)."""
    if not is_internal(user) and not portal_quotes_visible_to(user).filter(pk=quote.pk).exists():
        return QuoteDocument.objects.none()
    return QuoteDocument.objects.filter(quote=quote).order_by("-revision")


def orders_visible_to(user, queryset: QuerySet[SalesOrder] | None = None) -> QuerySet[SalesOrder]:
    return customer_documents(user, SalesOrder.objects.all() if queryset is None else queryset)


def order_list(user) -> QuerySet[SalesOrder]:
    return orders_visible_to(user).select_related("customer", "owner", "quote")


def order_line_details(user, *, as_rows: bool = False, through: str = "") -> tuple:
    """What a line of the order shows `user` besides itself.

    The exploded BOM is internal: a customer's page and API never load it. A
    customer reads only the date changes released to them (apps.orders.services.releases).
    `as_rows`: as plain lists for the API's nested rows (apps.core.prefetch), without
    the author of a date change, which only the pages name. `through`: the path from
    the prefetched objects to the lines ("lines__" from the order)."""
    prefetch = prefetch_rows if as_rows else Prefetch
    internal = is_internal(user)
    details = order_line_detail_querysets(internal=internal)
    if internal and not as_rows:
        details["date_changes"] = details["date_changes"].select_related("changed_by")
    return tuple(prefetch(f"{through}{name}", queryset=qs) for name, qs in details.items())


def order_line_detail_querysets(*, internal: bool) -> dict[str, QuerySet]:
    """Relation of a line -> the rows of it a line shows (`order_line_details`): staff
    the exploded BOM and every date change, a customer the changes released to it."""
    # The models' orderings ("line", ...) follow the line to its order's ordering: each
    # query joined the order's lines (1M rows at M) and orders to sort by the order's
    # creation, for rows of one order; planning those joins over 200 line ids was the
    # long tail of a 200-line order's answer. The same order within each line, no join.
    changes = OrderLineDateChange.objects.order_by("line_id", "created_at")
    if internal:
        return {
            "components": OrderLineComponent.objects.order_by("line_id", "id"),
            "date_changes": changes,
        }
    return {"date_changes": changes.filter(released_at__isnull=False)}


def order_answer_qs(user) -> QuerySet[SalesOrder]:
    """The order for the API's answer, without its lines: the answer reads them as
    plain rows (apps.orders.api.serializers.order_line_answers). Of its quote the
    answer shows the number; of its contact the id. The query's shape is built once
    per process (`_order_answer_shape`)."""
    return customer_documents(user, _order_answer_shape())


def order_answer_query(slots) -> QuerySet[SalesOrder]:
    """`order_answer_qs` of staff who see every order, for the order of pk `slots[0]`:
    the API's answer reads it through `staff_document` (SQL compiled once per process:
    building and compiling it was ~5,000 calls of every order's answer)."""
    return _order_answer_shape().filter(pk=slots[0])


@functools.cache
def _order_answer_shape() -> QuerySet[SalesOrder]:
    # Never evaluated itself: every request filters a clone.
    return SalesOrder.objects.select_related("customer", "owner", "quote").defer(
        *(f"quote__{name}" for name in _QUOTE_UNREAD)
    )


def order_detail_qs(user, *, line_details: bool = True) -> QuerySet[SalesOrder]:
    """The order with its lines. `line_details`: with the lines' details as plain
    lists (`order_line_details(as_rows=True)`); a page prefetches them
    (`order_lines_detail`) for the lines it shows only. The API's answer reads the
    lines and their details as rows instead (`order_answer_qs`)."""
    # The details are the order's lookups ("lines__components"), not the lines
    # queryset's: nested in it, Django walks them again from the order after they are
    # fetched and builds a related manager per line and lookup on the way.
    details = order_line_details(user, as_rows=True, through="lines__") if line_details else ()
    return (
        orders_visible_to(user)
        .select_related("customer", "owner", "contact", "quote", "quote__acceptance__accepted_by")
        # The lines in their order's position order without joining the order again
        # (OrderLine's ordering starts with the order, whose ordering is its creation).
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("position")), *details
        )
    )


def order_get_for_user(user, pk) -> SalesOrder:
    """The order for its pages: lines without their details (`order_lines_detail`)."""
    return get_visible_or_404(user, order_detail_qs(user, line_details=False), pk=pk)


def order_get_for_page(user, pk) -> SalesOrder:
    """The order for its staff page: without its lines, which the page loads for the
    lines it shows only (`document_lines_window`); how many lines wait for their new
    date to be told to the customer comes with the order (`lines_release_pending`).
    The query's shape is built once per process (`_order_page_shape`)."""
    if is_internal(user):
        return staff_document(user, SalesOrder, _order_page_query, pk)
    return get_visible_or_404(user, customer_documents(user, _order_page_shape()), pk=pk)


def _order_page_query(slots) -> QuerySet[SalesOrder]:
    return _order_page_shape().filter(pk=slots[0])


@functools.cache
def _order_page_shape() -> QuerySet[SalesOrder]:
    """The staff order page's query before its visibility filter and the order's pk:
    the same for every request, so it is built once per process (joins, deferred
    columns and three subqueries cost about a third as much to build as to compile
    and run: bench, staff order detail). Never evaluated itself: every request
    filters a clone."""
    pending = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .annotate(told=Coalesce("customer_forecast_date", "first_promised_date"))
        .filter(release_pending_q())
        .order_by()
        .values("order")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        SalesOrder.objects.select_related(
            "customer", "owner", "contact", "quote", "quote__acceptance__accepted_by"
        )
        # Of its quote the page shows the number (and the acceptance).
        .defer(*(f"quote__{name}" for name in _QUOTE_UNREAD))
        .annotate(
            lines_count=line_count_subquery(OrderLine, "order"),
            lines_release_pending=Coalesce(Subquery(pending), Value(0)),
            has_change_requests=_has_change_requests("order"),
        )
    )


def order_get_plain(user, pk) -> SalesOrder:
    """The order's own row (nothing joined, no lines): what a section of its page read
    on demand needs besides its own query (`?section=`)."""
    return get_visible_or_404(user, orders_visible_to(user), pk=pk)


def order_line_get(order: SalesOrder, line_pk) -> OrderLine:
    """A line of `order` (fetched for the user), 404 when it is not one of its lines or
    `line_pk` is no id."""
    try:
        return OrderLine.objects.get(order=order, pk=line_pk)
    except (OrderLine.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None


def release_pending_q() -> Q:
    """`apps.orders.services.releases.line_release_pending` in SQL, on lines annotated
    with `told` (the date the customer was told: Coalesce(customer_forecast_date,
    first_promised_date); both dates are never null)."""
    return (
        Q(forecast_release_due__isnull=False)
        | Q(told__lt=F("forecast_date"))
        | Q(told__gt=F("forecast_date"))
    )


def order_lines_detail(user, lines) -> None:
    """Prefetch the details of the `lines` a page shows: one query per kind, for those
    lines only (a 200-line order's page shows 25)."""
    prefetch_related_objects(list(lines), *order_line_details(user))


def released_date_notes(lines) -> dict:
    """The date changes released to the customer of each of `lines`, oldest first, as
    (released_at, customer_text) by line id: the customer's words only, never the
    reason or cause (apps.orders.services.releases). One query, plain tuples: the
    portal page shows them for the lines it shows."""
    notes: dict = {}
    # The SQL compiled once per number of lines (apps.core.prepared).
    rows = prepared_values(_released_notes_query, (), [line.pk for line in lines])
    for row in rows:
        notes.setdefault(row["line_id"], []).append((row["released_at"], row["customer_text"]))
    return {line_id: tuple(items) for line_id, items in notes.items()}


def _released_notes_query(line_ids) -> QuerySet:
    return (
        OrderLineDateChange.objects.filter(line_id__in=line_ids, released_at__isnull=False)
        .order_by("line_id", "created_at", "id")
        .values("line_id", "released_at", "customer_text")
    )


def change_requests_visible_to(user) -> QuerySet[ChangeRequest]:
    """Staff see every request. A customer contact sees its organization's requests
    whose quote or order it may see itself, and of those raised by staff only the
    ones proposed to it: an internal request stays internal until it is proposed."""
    qs = customer_documents(user, ChangeRequest.objects.all())
    if not is_internal(user):
        qs = qs.filter(
            Q(quote__in=quotes_visible_to(user)) | Q(order__in=orders_visible_to(user)),
            Q(origin=ChangeOrigin.CUSTOMER) | Q(proposed_at__isnull=False),
        )
    return qs.select_related("quote", "order", "customer", "requested_by")


def change_request_get_for_user(user, pk) -> ChangeRequest:
    return get_visible_or_404(user, change_requests_visible_to(user), pk=pk)


# -- lines at risk (DESIGN §5: forecast after first promise) ----------------------


def at_risk_lines(user) -> QuerySet[OrderLine]:
    """Open order lines whose forecast is after their first promise, soonest promise
    first (the partial indexes orderline_risk_open_idx, orderline_risk_owner_idx;
    apps.orders.risk keeps `risk_open`, `risk_owner` and `slip_cause`). Staff only:
    a customer is told a new date only once it is released, never that a line is at risk."""
    if not is_internal(user):
        return OrderLine.objects.none()
    return OrderLine.objects.filter(risk_open=True).order_by("first_promised_date", "id")


def at_risk_tally(user) -> QuerySet[AtRiskTally]:
    """The stored counters of open lines at risk per owner and cause (staff only)."""
    return at_risk_tally_for(internal=is_internal(user))


def at_risk_tally_for(*, internal: bool) -> QuerySet[AtRiskTally]:
    """`at_risk_tally` for a reader who is (or is not) staff: a function of that alone,
    so a page may compile it once (apps.core.prepared)."""
    if not internal:
        return AtRiskTally.objects.none()
    return AtRiskTally.objects.filter(lines__gt=0)


# -- search (`q=` of the staff lists and the API) ------------------------------------

# Below this length a trigram index cannot serve `icontains`: a short number
# fragment searches the number only.
TRIGRAM_MIN = 3


def _document_search(qs: QuerySet, value: str, prefix: str, text_field: str) -> QuerySet:
    """A number fragment by prefix of the number (B-tree, apps.core.lists.number_search),
    plus `text_field` by trigram when it is long enough; anything else searches both
    number and text by trigram (`icontains` on UPPER(...) gin_trgm_ops)."""
    value = value.strip()
    if not value:
        return qs
    text = Q(**{f"{text_field}__icontains": value})
    number = number_search(value, prefix)
    if number is None:
        return qs.filter(Q(number__icontains=value) | text)
    if value[0].isdigit() and len(value) >= TRIGRAM_MIN:
        number |= text
    return qs.filter(number)


def quote_search(qs: QuerySet[Quote], value: str) -> QuerySet[Quote]:
    return _document_search(qs, value, "Q", "title")


def order_search(qs: QuerySet[SalesOrder], value: str) -> QuerySet[SalesOrder]:
    return _document_search(qs, value, "SO", "customer_po")
