"""Open lines at risk, stored so the at-risk page and the dashboards never scan.

A line is *open at risk* while it is at risk (forecast after first promise) and
its order is not delivered, closed or cancelled. Three stored facts on the line
answer the page from one partial index without joining the order or the moves:
`slip_cause` (the latest move's cause), `risk_open`, and `risk_owner` and
`risk_customer` (the order's owner and customer while open at risk: the page's rep
and customer filters). `AtRiskTally` holds, per owner and cause, how
many lines are open at risk and how many of them the customer has not been told
yet (`forecast_release_due` set): the page's summary and the panels' counts.

Every path that changes one of these facts keeps the tally in the same
transaction, from the line's key before and after (`risk_key`):
- a forecast move (`apps.orders.forecasts.line_forecast_move`),
- a line marked at risk without a move (a re-plan that cannot promise it),
- a release to the customer (`apps.orders.services.releases`),
- an order's change of state or owner (`order_risk_refresh`).
`risk_tally_recompute` rebuilds everything from the lines (the migration, the
bulk seed, and the consistency tests compare it with what is stored).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery

from apps.orders.models import AtRiskTally, OrderLine, OrderLineDateChange, OrderState

# Orders whose lines no longer count as at risk.
AT_RISK_DONE_STATES = (OrderState.CLOSED, OrderState.CANCELLED, OrderState.DELIVERED)

LINE_RISK_FIELDS = ["slip_cause", "risk_open", "risk_owner", "risk_customer"]

RiskKey = tuple  # (owner id, cause, not told: bool)


def risk_key(line: OrderLine) -> RiskKey | None:
    """What the line adds to the tally: None unless it is open at risk."""
    if not line.risk_open:
        return None
    return (line.risk_owner_id, line.slip_cause, line.forecast_release_due is not None)


def line_risk_refresh(line: OrderLine, order) -> None:
    """Set the line's `risk_open`, `risk_owner` and `risk_customer` (in memory) from
    `at_risk` and its order."""
    line.risk_open = bool(line.at_risk) and order.state not in AT_RISK_DONE_STATES
    line.risk_owner_id = order.owner_id if line.risk_open else None
    line.risk_customer_id = order.customer_id if line.risk_open else None


def risk_tally_apply(before: Iterable[RiskKey | None], after: Iterable[RiskKey | None]) -> None:
    """Move the tally from the lines' keys `before` to their keys `after` (one upsert)."""
    delta: dict = defaultdict(lambda: [0, 0])
    for sign, keys in ((-1, before), (1, after)):
        for key in keys:
            if key is None:
                continue
            owner, cause, untold = key
            counts = delta[(owner, cause)]
            counts[0] += sign
            counts[1] += sign * bool(untold)
    # Sorted: two transactions touch shared counters in the same order.
    rows = [(o, c, n, u) for (o, c), (n, u) in sorted(delta.items()) if n or u]
    if not rows:
        return
    table = connection.ops.quote_name(AtRiskTally._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    sql = (
        f"INSERT INTO {table} (owner_id, cause, lines, not_told) VALUES {values} "  # noqa: S608
        f"ON CONFLICT (owner_id, cause) DO UPDATE SET lines = {table}.lines + EXCLUDED.lines, "
        f"not_told = {table}.not_told + EXCLUDED.not_told"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


def order_risk_refresh(order) -> None:
    """After `order` changed state or owner: its lines at risk follow (locked, then kept)."""
    lines = list(
        OrderLine.objects.select_for_update()
        .filter(order_id=order.pk, at_risk=True)
        .only("pk", "at_risk", "forecast_release_due", *LINE_RISK_FIELDS)
    )
    before = [risk_key(line) for line in lines]
    customers = [line.risk_customer_id for line in lines]
    for line in lines:
        line_risk_refresh(line, order)
    after = [risk_key(line) for line in lines]
    # The customer is not in the tally's key: compared on its own.
    changed = [
        line
        for line, b, a, customer in zip(lines, before, after, customers, strict=True)
        if b != a or line.risk_customer_id != customer
    ]
    if changed:
        OrderLine.objects.bulk_update(changed, ["risk_open", "risk_owner", "risk_customer"])
        risk_tally_apply(before, after)


# -- rebuilding from the lines ------------------------------------------------------


def risk_lines_fill(line_model=OrderLine, change_model=OrderLineDateChange) -> None:
    """Write every line's `slip_cause`, `risk_open`, `risk_owner` and `risk_customer` from
    its moves, `at_risk` and its order (the migrations pass their historical models:
    0015's has no `risk_customer` yet)."""
    latest = (
        change_model.objects.filter(line=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("cause")[:1]
    )
    line_model.objects.filter(pk__in=change_model.objects.values("line_id")).update(
        slip_cause=Subquery(latest)
    )
    with_customer = any(f.name == "risk_customer" for f in line_model._meta.fields)
    cleared = {"risk_customer": None} if with_customer else {}
    line_model.objects.filter(risk_open=True).update(risk_open=False, risk_owner=None, **cleared)
    # One UPDATE ... FROM join (PostgreSQL, SQLite >= 3.33): the ORM's update of a joined
    # filter is an `id IN (join)` with a subquery per line, which a freshly loaded table
    # without statistics can plan as a nested loop over every line.
    order_model = line_model._meta.get_field("order").related_model
    lines, orders = line_model._meta.db_table, order_model._meta.db_table
    done = ", ".join(["%s"] * len(AT_RISK_DONE_STATES))
    customer = ', "risk_customer_id" = o."customer_id"' if with_customer else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{lines}" SET "risk_open" = TRUE, "risk_owner_id" = o."owner_id"{customer} '  # noqa: S608 - table names from _meta
            f'FROM "{orders}" o WHERE o."id" = "{lines}"."order_id" '
            f'AND "{lines}"."at_risk" AND o."state" NOT IN ({done})',
            [str(state) for state in AT_RISK_DONE_STATES],
        )


def risk_tally_from_lines(line_model=OrderLine) -> dict:
    """{(owner id, cause): (lines, not told)} counted over the open lines at risk."""
    rows = (
        line_model.objects.filter(risk_open=True)
        .values("risk_owner", "slip_cause")
        .annotate(n=Count("pk"), untold=Count("pk", filter=Q(forecast_release_due__isnull=False)))
        .order_by()
    )
    return {(r["risk_owner"], r["slip_cause"]): (r["n"], r["untold"]) for r in rows}


def risk_tally_stored(tally_model=AtRiskTally) -> dict:
    """The stored tally in the same shape (empty counters left out)."""
    return {
        (owner, cause): (n, untold)
        for owner, cause, n, untold in tally_model.objects.values_list(
            "owner_id", "cause", "lines", "not_told"
        )
        if n or untold
    }


def risk_tally_recompute(line_model=OrderLine, tally_model=AtRiskTally) -> None:
    """Replace the stored tally with the one counted from the lines."""
    counted = risk_tally_from_lines(line_model)
    tally_model.objects.all().delete()
    tally_model.objects.bulk_create(
        tally_model(owner_id=owner, cause=cause, lines=n, not_told=untold)
        for (owner, cause), (n, untold) in counted.items()
    )
