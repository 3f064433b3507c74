"""Permission-filtered reads of inquiries and opportunities, the pipeline board
and the weighted forecast.

Internal roles hold the models' view permission (sales write, the others
read); customers and suppliers hold none and get nothing: 404 everywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth

from apps.core.permissions import get_visible_or_404, visible_to
from apps.core.prepared import prepared_values
from apps.orders.models import Quote
from apps.sales.models import (
    INQUIRY_OPEN_STATES,
    OPPORTUNITY_OPEN_STATES,
    QUOTE_WON_STATES,
    Inquiry,
    InquiryState,
    Opportunity,
    OpportunityQuote,
    OpportunityState,
)


def inquiries_visible_to(user) -> QuerySet[Inquiry]:
    return visible_to(user, Inquiry.objects.all())


def inquiry_list(user) -> QuerySet[Inquiry]:
    return inquiries_visible_to(user).select_related("owner")


def inquiry_get_for_user(user, pk) -> Inquiry:
    return get_visible_or_404(
        user, Inquiry.objects.select_related("owner", "customer", "opportunity"), pk=pk
    )


def open_inquiry_counts(user) -> dict[str, int]:
    """state → count of inquiries waiting for sales (one GROUP BY on the state index)."""
    rows = (
        inquiries_visible_to(user)
        .filter(state__in=INQUIRY_OPEN_STATES)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
    )
    return {row["state"]: row["n"] for row in rows}


def opportunities_visible_to(user) -> QuerySet[Opportunity]:
    return visible_to(user, Opportunity.objects.all())


def opportunity_list(user) -> QuerySet[Opportunity]:
    return opportunities_visible_to(user).select_related("customer", "owner")


def opportunity_get_for_user(user, pk) -> Opportunity:
    return get_visible_or_404(
        user, Opportunity.objects.select_related("customer", "owner", "inquiry"), pk=pk
    )


# The quote facts an opportunity's move conditions read (Opportunity.has_quote /
# has_accepted_quote read these annotations when present, else ask the database).
QUOTE_FACTS = {"has_quote": "has_quote_link", "has_accepted_quote": "has_accepted_quote_link"}


def with_quote_facts(qs: QuerySet[Opportunity], *, state: str = "") -> QuerySet[Opportunity]:
    """Whether each opportunity has a quote, and an accepted one: the conditions of
    its moves, answered in the same query as the rows. With `state`, only the facts
    the moves out of that state read (a board column's: none for won or lost)."""
    links = OpportunityQuote.objects.filter(opportunity=OuterRef("pk"))
    facts = {
        "has_quote_link": Exists(links),
        "has_accepted_quote_link": Exists(links.filter(quote__state__in=QUOTE_WON_STATES)),
    }
    if state:
        needed = {QUOTE_FACTS.get(name) for name in move_conditions(state)}
        facts = {name: fact for name, fact in facts.items() if name in needed}
    return qs.annotate(**facts)


def attach_quote_links(opportunities) -> None:
    """A page of opportunities' quotes (`quote_link_rows`: id, number and state of each,
    newest link first) and from them the facts their moves read (`with_quote_facts`'s
    annotations): one query for the page, no subquery per row."""
    by_pk = {opportunity.pk: opportunity for opportunity in opportunities}
    for opportunity in opportunities:
        opportunity.quote_link_rows = []
    links = OpportunityQuote.objects.filter(opportunity_id__in=by_pk).values_list(
        "opportunity_id", "quote_id", "quote__number", "quote__state"
    )
    for opportunity_id, quote_id, number, state in links:
        by_pk[opportunity_id].quote_link_rows.append(
            {"id": str(quote_id), "number": number, "state": state}
        )
    for opportunity in opportunities:
        rows = opportunity.quote_link_rows
        opportunity.has_quote_link = bool(rows)
        opportunity.has_accepted_quote_link = any(r["state"] in QUOTE_WON_STATES for r in rows)


def move_conditions(state: str) -> set[str]:
    """The names of the conditions of the transitions out of `state`."""
    names = set()
    for method in Opportunity._meta.get_field("state").transitions[Opportunity].values():
        transition = method._django_fsm.get_transition(state)
        if transition is not None:
            names |= {condition.__name__ for condition in transition.conditions or ()}
    return names


def opportunity_quotes(user, opportunity: Opportunity) -> list[Quote]:
    """The opportunity's quotes the user may see, newest first."""
    from apps.orders.selectors import quotes_visible_to

    return list(
        quotes_visible_to(user)
        .filter(opportunity_link__opportunity=opportunity)
        .order_by("-created_at", "-id")
    )


# -- the pipeline board ---------------------------------------------------------------

BOARD_COLUMN_LIMIT = 20
BOARD_STAGES = (
    OpportunityState.OPEN,
    OpportunityState.QUOTING,
    OpportunityState.WON,
    OpportunityState.LOST,
)


# What a card shows and its moves read (the state, for the transitions); and its
# customer's name (`customer_name`).
BOARD_CARD_FIELDS = (
    *("number", "version", "state", "currency", "amount", "title"),
    *("probability", "expected_close_date"),
)


@dataclass
class BoardColumn:
    state: str
    label: str
    count: int
    total: Decimal
    cards: list[dict] = field(default_factory=list)  # BOARD_CARD_FIELDS, pk, customer, facts
    card_rows: list[dict] = field(default_factory=list)  # the cards' plain values (the view's)

    @property
    def hidden(self) -> int:
        return max(0, self.count - len(self.cards))


def _column_cards(qs: QuerySet[Opportunity], state: str, limit: int) -> QuerySet:
    """The column's most recently moved cards as dicts: what a card shows, its
    customer's name and the quote facts its moves read (with_quote_facts)."""
    cards = with_quote_facts(qs.filter(state=state), state=state).annotate(
        customer_name=F("customer__name")
    )
    facts = [name for name in QUOTE_FACTS.values() if name in cards.query.annotations]
    return cards.order_by("-updated_at", "-id").values(
        "pk", *BOARD_CARD_FIELDS, "customer_name", *facts
    )[:limit]


def _every_column_cards(state: str, limit: int, _slots) -> QuerySet:
    return _column_cards(Opportunity.objects.all(), state, limit)


def pipeline_board(user, *, limit: int = BOARD_COLUMN_LIMIT) -> list[BoardColumn]:
    """The stages with their counts and totals (one GROUP BY) and the most recently
    moved cards of each (one query per stage): 5 queries whatever the rows. Staff who
    see every opportunity share each column's SQL, compiled once per process
    (apps.core.prepared: the ORM built the four queries for more calls than the rest
    of the page); the others' narrowed queries are built as usual."""
    qs = opportunities_visible_to(user)
    totals = {
        row["state"]: row
        for row in qs.order_by().values("state").annotate(n=Count("pk"), total=Sum("amount"))
    }
    every = not qs.query.where  # not narrowed (and not none())
    columns = []
    for state in BOARD_STAGES:
        row = totals.get(state, {})
        if every:
            cards = prepared_values(_every_column_cards, (str(state), limit), ())
        else:
            cards = list(_column_cards(qs, state, limit))
        columns.append(
            BoardColumn(
                state=str(state),
                label=OpportunityState(state).label,
                count=row.get("n", 0),
                total=row.get("total") or Decimal("0"),
                cards=cards,
            )
        )
    return columns


# -- the weighted forecast ------------------------------------------------------------


@dataclass
class ForecastMonth:
    month: dt.date
    opportunities: int = 0
    pipeline: Decimal = Decimal("0")
    weighted_pipeline: Decimal = Decimal("0")
    inquiries: int = 0
    inquiry_value: Decimal = Decimal("0")
    weighted_inquiries: Decimal = Decimal("0")

    @property
    def weighted_total(self) -> Decimal:
        return self.weighted_pipeline + self.weighted_inquiries


def inquiry_probability() -> int:
    return settings.TANDEM_INQUIRY_FORECAST_PROBABILITY


def forecast_currencies(user) -> list[str]:
    opp = opportunities_visible_to(user).filter(state__in=OPPORTUNITY_OPEN_STATES)
    inq = inquiries_visible_to(user).filter(state=InquiryState.QUALIFIED)
    found = set(opp.order_by().values_list("currency", flat=True).distinct())
    found |= set(inq.order_by().values_list("currency", flat=True).distinct())
    return sorted(found) or ["USD"]


def weighted_forecast(user, *, currency: str) -> list[ForecastMonth]:
    """Per expected close month: open opportunities at amount × probability, and
    qualified inquiries at estimated value × the inquiry probability (a setting).

    Two GROUP BY queries whatever the number of rows; a month with nothing in it
    is not listed.
    """
    money = DecimalField(max_digits=20, decimal_places=4)
    months: dict[dt.date, ForecastMonth] = {}

    def month_of(value) -> dt.date:
        day = value.date() if isinstance(value, dt.datetime) else value
        return day.replace(day=1)

    opps = (
        opportunities_visible_to(user)
        .filter(state__in=OPPORTUNITY_OPEN_STATES, currency=currency)
        .annotate(month=TruncMonth("expected_close_date"))
        .order_by()
        .values("month")
        .annotate(
            n=Count("pk"),
            pipeline=Sum("amount"),
            weighted=Sum(ExpressionWrapper(F("amount") * F("probability"), output_field=money)),
        )
    )
    for row in opps:
        m = months.setdefault(month_of(row["month"]), ForecastMonth(month_of(row["month"])))
        m.opportunities = row["n"]
        m.pipeline = row["pipeline"] or Decimal("0")
        m.weighted_pipeline = (row["weighted"] / Decimal(100)).quantize(Decimal("0.01"))
    share = Decimal(inquiry_probability())
    inqs = (
        inquiries_visible_to(user)
        .filter(
            state=InquiryState.QUALIFIED,
            currency=currency,
            estimated_value__isnull=False,
            expected_close_date__isnull=False,
        )
        .annotate(month=TruncMonth("expected_close_date"))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"), value=Sum("estimated_value"))
    )
    for row in inqs:
        m = months.setdefault(month_of(row["month"]), ForecastMonth(month_of(row["month"])))
        m.inquiries = row["n"]
        m.inquiry_value = row["value"] or Decimal("0")
        m.weighted_inquiries = (m.inquiry_value * share / Decimal(100)).quantize(Decimal("0.01"))
    return [months[k] for k in sorted(months)]
