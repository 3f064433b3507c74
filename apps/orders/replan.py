"""Re-planning open order lines when supply or capacity changes (DESIGN §5, issue 9).

A re-plan walks a set of open order lines in **promise order** (an expedited
order first, then the earlier first promise; ties by order creation and line
position): it releases what the set holds, then books the lines again one
after the other through the engine under lock, so an earlier promise gets the
supply before a later one. Each line's new forecast is the later of its new
feasible date and its first promise (we deliver on the promised date, never
before), moved through `line_forecast_move` with the cause and the internal
reason; nothing is told to the customer here (the release waits for staff or
the configured delay). Every run is a `PlanRun` with its counters.

Targeted runs follow the catalog's `supply_changed` / `capacity_changed`
signals and expedites; the nightly full run walks every open line in batches,
each batch its own transaction, and only one full run may run at a time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.catalog import bookings as ledger
from apps.catalog.models import CapacityReservation, RoutingOperation, StockEntry
from apps.core.prepared import prepared_objects
from apps.core.services import activity_record, notify
from apps.core.transitions import TransitionNotAllowed
from apps.orders.allocation import order_line_key, promises_book
from apps.orders.forecasts import line_forecast_move
from apps.orders.models import (
    OrderLine,
    OrderLineComponent,
    OrderState,
    PlanRun,
    PlanRunKind,
    PlanRunState,
    SalesOrder,
    SlipCause,
)
from apps.orders.promise import RECEIVING_WEEKDAYS, LineRequest, PromiseEngine
from apps.orders.risk import line_risk_refresh, risk_key, risk_tally_apply

# Lines whose material and hours are still ahead of them: once an order is ready to
# ship (or further), its goods exist and a re-plan has nothing to move. Cancelled and
# closed orders released their bookings and are never re-planned.
REPLAN_STATES = frozenset(
    {
        OrderState.PENDING,
        OrderState.CONFIRMED,
        OrderState.IN_DESIGN,
        OrderState.PLANNED,
        OrderState.IN_PRODUCTION,
        OrderState.ON_HOLD,
    }
)
# Who starts a full re-plan or expedites an order.
REPLAN_ROLES = (Role.PLANNER, Role.SALES_MANAGER, Role.OPS_ADMIN)
EXPEDITE_ROLES = (Role.PLANNER, Role.SALES_MANAGER)

BATCH_SIZE = 50
# A targeted re-plan larger than this is walked in batches like a full run.
TARGETED_MAX = 400
# A full run still "running" after this long was left by a dead worker.
STALE_AFTER = dt.timedelta(minutes=30)

PROMISE_ORDER = (
    F("order__expedited_at").asc(nulls_last=True),
    "first_promised_date",
    "order__created_at",
    "order_id",
    "position",
)


def replan_lines_qs():
    """Open order lines a re-plan may move, in promise order."""
    return OrderLine.objects.filter(order__state__in=REPLAN_STATES).order_by(*PROMISE_ORDER)


@dataclass
class BatchOutcome:
    slipped: int = 0
    improved: int = 0
    at_risk: int = 0
    failed: list[tuple[OrderLine, str]] = field(default_factory=list)
    orders: dict = field(default_factory=dict)  # order pk → SalesOrder touched


# -- choosing the lines ------------------------------------------------------


def _lines_using(part_ids, work_center_ids) -> set:
    """Ids of open lines that hold or need one of the parts or work centers."""
    part_ids, wc_ids = list(part_ids), list(work_center_ids)
    keys: set[str] = set()
    if part_ids:
        keys |= set(
            StockEntry.objects.filter(
                part_id__in=part_ids,
                booking__line_key__startswith="order-line:",
                kind__in=ledger.HELD,
            ).values_list("booking__line_key", flat=True)
        )
    if wc_ids:
        keys |= set(
            CapacityReservation.objects.filter(
                work_center_id__in=wc_ids, booking__line_key__startswith="order-line:"
            ).values_list("booking__line_key", flat=True)
        )
    need = Q(pk__in=[key.split(":", 1)[1] for key in keys])
    routed = RoutingOperation.objects.filter(work_center_id__in=wc_ids) if wc_ids else None
    if part_ids:
        need |= Q(components__part_id__in=part_ids)
    if routed is not None:
        need |= Q(product_id__in=routed.filter(product__isnull=False).values("product_id"))
        need |= Q(components__part_id__in=routed.filter(part__isnull=False).values("part_id"))
    return set(
        OrderLine.objects.filter(need, order__state__in=REPLAN_STATES).values_list("pk", flat=True)
    )


def _resources_of(line_ids) -> tuple[set, set]:
    """The parts and work centers the lines need (their exploded BOM and routings)."""
    part_ids = set(
        OrderLineComponent.objects.filter(line_id__in=line_ids).values_list("part_id", flat=True)
    )
    product_ids = OrderLine.objects.filter(pk__in=line_ids).values("product_id")
    wc_ids = set(
        RoutingOperation.objects.filter(
            Q(product_id__in=product_ids) | Q(part_id__in=part_ids)
        ).values_list("work_center_id", flat=True)
    )
    return part_ids, wc_ids


def affected_lines(*, part_ids=(), work_center_ids=()) -> list:
    """Open lines a change of these parts or work centers may move, in promise order.

    The lines holding or needing them, and every open line after the first of them
    in promise order that shares any of their parts or work centers (supply one
    frees or takes may move the others). A fixed number of queries.
    """
    direct = _lines_using(part_ids, work_center_ids)
    if not direct:
        return []
    first = replan_lines_qs().filter(pk__in=direct).values_list("first_promised_date", flat=True)[0]
    parts, wcs = _resources_of(direct)
    shared = _lines_using(parts, wcs) - direct
    later = set(
        replan_lines_qs()
        .filter(pk__in=shared)
        .filter(Q(first_promised_date__gte=first) | Q(order__expedited_at__isnull=False))
        .values_list("pk", flat=True)
    )
    return list(_with_order(replan_lines_qs().filter(pk__in=direct | later)))


def _with_order(qs):
    return qs.select_related(
        "order__owner", "order__quote__shipping_address", "product", "quote_line"
    ).prefetch_related("product__price_breaks")


# -- booking again -------------------------------------------------------------


def _requests(lines) -> list[LineRequest]:
    from apps.orders.services.quotes import _options_for

    options = _options_for(lines)
    out = []
    for line in lines:
        address = line.order.quote.shipping_address if line.order.quote_id else None
        out.append(
            LineRequest(
                key=order_line_key(line),
                product=line.product,
                quantity=line.quantity,
                options=list(options.get(line.pk, [])),
                requested_date=line.requested_date,
                receiving_weekdays=(address.receiving_days if address else None)
                or RECEIVING_WEEKDAYS,
            )
        )
    return out


def _promise(lines, today):
    """The lines' promises in their order, booked; ValueError if one cannot be promised."""
    keys = [order_line_key(line) for line in lines]
    result = PromiseEngine(today=today, own_bookings=keys, lock=True).promise(_requests(lines))
    promises_book(
        [
            (key, f"{line.order.number}/{line.position}", promise)
            for key, line, promise in zip(keys, lines, result.lines, strict=True)
        ]
    )
    return result.lines


def _move(line, promise, *, run: PlanRun, cause: str, text: str, actor, out: BatchOutcome):
    old = line.forecast_date
    if line.quote_line_id and line.quote_line.sent_expedited:
        # Manufacturing approved promising this line before the engine's date
        # (an expedite at quote time): the promise stands as the forecast.
        new = line.first_promised_date
    else:
        new = max(promise.feasible_date, line.first_promised_date)
    words = f"{text}; critical path: {promise.critical_path}" if text else promise.critical_path
    change = line_forecast_move(
        line=line, new_date=new, cause=cause, reason=words, actor=actor, plan_run=run
    )
    if line.critical_path != promise.critical_path:
        line.critical_path = promise.critical_path
        OrderLine.objects.filter(pk=line.pk).update(critical_path=line.critical_path)
    if change is not None:
        if new > old:
            out.slipped += 1
        else:
            out.improved += 1
    if line.at_risk:
        out.at_risk += 1
    out.orders[line.order_id] = line.order


def _replan_batch(lines, *, run, cause, text, actor, today) -> BatchOutcome:
    """Release what `lines` hold, then book them again in their (promise) order."""
    out = BatchOutcome()
    if not lines:
        return out
    ledger.bookings_release([order_line_key(line) for line in lines], note=f"Re-plan #{run.pk}")
    try:
        with transaction.atomic():
            promises = _promise(lines, today)
    except ValueError:
        # One of them cannot be promised at all: book one by one so the others go on.
        promises = [None] * len(lines)
        for i, line in enumerate(lines):
            try:
                with transaction.atomic():
                    promises[i] = _promise([line], today)[0]
            except ValueError as exc:
                out.failed.append((line, f"{line.order.number}/{line.position}: {exc}"))
                before = risk_key(line)
                line.at_risk = True
                line_risk_refresh(line, line.order)
                OrderLine.objects.filter(pk=line.pk).update(
                    at_risk=True,
                    risk_open=line.risk_open,
                    risk_owner=line.risk_owner_id,
                    risk_customer=line.risk_customer_id,
                )
                risk_tally_apply([before], [risk_key(line)])
                out.at_risk += 1
                out.orders[line.order_id] = line.order
    for line, promise in zip(lines, promises, strict=True):
        if promise is not None:
            _move(line, promise, run=run, cause=cause, text=text, actor=actor, out=out)
    return out


def _record(run: PlanRun, out: BatchOutcome, done: int) -> None:
    from apps.orders.services.orders import order_refresh_totals

    for order in out.orders.values():
        order_refresh_totals(order=order)
    run.done += done
    run.slipped += out.slipped
    run.improved += out.improved
    run.at_risk += out.at_risk
    if out.failed:
        run.error = "\n".join(filter(None, [run.error, *(text for _, text in out.failed)]))
        run.error = run.error[:4000]
    PlanRun.objects.filter(pk=run.pk).update(
        done=run.done,
        slipped=run.slipped,
        improved=run.improved,
        at_risk=run.at_risk,
        error=run.error,
    )


def _finish(run: PlanRun, failed_lines: dict) -> PlanRun:
    """Done: tell each affected order's rep once, with what changed."""
    run.state, run.finished_at = PlanRunState.DONE, timezone.now()
    PlanRun.objects.filter(pk=run.pk).update(state=run.state, finished_at=run.finished_at)
    by_order: dict = defaultdict(set)
    for line_id, order_id in (
        run.date_changes.filter(new_date__gt=F("old_date"), line__at_risk=True)
        .values_list("line_id", "line__order_id")
        .distinct()
    ):
        by_order[order_id].add(line_id)
    for order_id, line_ids in failed_lines.items():
        by_order[order_id] |= line_ids
    orders = SalesOrder.objects.filter(pk__in=list(by_order)).select_related("owner")
    why = run.get_cause_display().lower()
    for order in orders:
        n = len(by_order[order.pk])
        notify(
            recipients=[order.owner],
            title=f"{order.number}: {n} line{'s' if n > 1 else ''} now at risk — {why}",
            body=run.cause_text,
            url=reverse("sales:order-detail", args=[order.pk]),
        )
    return run


def _walk(run: PlanRun, ids: list, *, actor, today, batch_size: int) -> PlanRun:
    """Re-plan `ids` (in promise order) batch by batch, each its own transaction."""
    failed: dict = defaultdict(set)
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        with transaction.atomic():
            if not PlanRun.objects.filter(pk=run.pk, state=PlanRunState.RUNNING).exists():
                return run  # marked failed meanwhile (stale): stop here
            lines = list(_with_order(replan_lines_qs().filter(pk__in=chunk)))
            out = _replan_batch(
                lines, run=run, cause=run.cause, text=run.cause_text, actor=actor, today=today
            )
            _record(run, out, len(chunk))
            for line, _ in out.failed:
                failed[line.order_id].add(line.pk)
    with transaction.atomic():
        return _finish(run, failed)


# -- targeted runs -------------------------------------------------------------


@transaction.atomic
def replan_affected(
    *,
    part_ids=(),
    work_center_ids=(),
    cause: str,
    text: str = "",
    actor=None,
    today: dt.date | None = None,
) -> PlanRun | None:
    """Re-plan the open lines a change of these parts / work centers may move.

    One transaction when the set is small (all of it released, then booked in
    promise order); in batches beyond TARGETED_MAX. None when no line is affected.
    """
    lines = affected_lines(part_ids=part_ids, work_center_ids=work_center_ids)
    if not lines:
        return None
    run = PlanRun.objects.create(
        kind=PlanRunKind.TARGETED,
        cause=cause,
        cause_text=text[:300],
        total=len(lines),
        started_by=actor if getattr(actor, "pk", None) else None,
    )
    return _targeted(run, lines, actor=actor, today=today or timezone.localdate())


def _targeted(run: PlanRun, lines: list, *, actor, today) -> PlanRun:
    if len(lines) > TARGETED_MAX:
        return _walk(
            run, [line.pk for line in lines], actor=actor, today=today, batch_size=BATCH_SIZE
        )
    out = _replan_batch(
        lines, run=run, cause=run.cause, text=run.cause_text, actor=actor, today=today
    )
    _record(run, out, len(lines))
    failed: dict = defaultdict(set)
    for line, _ in out.failed:
        failed[line.order_id].add(line.pk)
    return _finish(run, failed)


# -- full runs -----------------------------------------------------------------


def _running_query(slots):
    return (
        PlanRun.objects.filter(kind=PlanRunKind.FULL, state=PlanRunState.RUNNING)
        .select_related("started_by")
        .order_by("pk")[:1]
    )


def plan_run_running() -> PlanRun | None:
    # Read on every re-plan page and its progress polls: SQL compiled once.
    rows = prepared_objects(_running_query, (), [])
    return rows[0] if rows else None


def plan_run_busy_sentence(run: PlanRun) -> str:
    who = f" by {run.started_by.username}" if run.started_by_id else ""
    when = timezone.localtime(run.started_at)
    return f"A full re-plan is already running, started {when:%H:%M}{who}, {run.percent}% done."


def plan_runs_fail_stale(*, now: dt.datetime | None = None) -> int:
    """Mark full runs left running by a dead worker as failed, so the next can start."""
    now = now or timezone.now()
    return PlanRun.objects.filter(
        kind=PlanRunKind.FULL, state=PlanRunState.RUNNING, started_at__lt=now - STALE_AFTER
    ).update(
        state=PlanRunState.FAILED,
        finished_at=now,
        error="Stopped: no progress for too long (the worker running it stopped).",
    )


def replan_may_start(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*REPLAN_ROLES))


def plan_run_start(
    *, actor=None, cause: str = SlipCause.REPLAN, text: str = "", queue: bool = True
) -> PlanRun:
    """Start a full re-plan of every open line (the task walks it); refused, with the
    sentence, while another full run is running. `actor` None: the nightly beat.
    `queue` False: the caller walks it itself (`replan_full_run`, e.g. a simulation
    on its own clock)."""
    if actor is not None and not replan_may_start(actor):
        raise PermissionDenied("Only planners, sales managers and ops admins start a re-plan.")
    plan_runs_fail_stale()
    total = replan_lines_qs().count()
    try:
        with transaction.atomic():
            run = PlanRun.objects.create(
                kind=PlanRunKind.FULL,
                cause=cause,
                cause_text=(text or "Full re-plan of every open line")[:300],
                total=total,
                started_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        running = plan_run_running()
        raise TransitionNotAllowed(
            plan_run_busy_sentence(running) if running else "A full re-plan is already running."
        ) from None
    if queue:
        from apps.orders.tasks import replan_full

        transaction.on_commit(lambda: replan_full.delay(run.pk))
    return run


def replan_full_run(
    *, run: PlanRun, today: dt.date | None = None, batch_size: int = BATCH_SIZE
) -> PlanRun:
    """Walk every open line in promise order, batch by batch (the task's body)."""
    ids = list(replan_lines_qs().values_list("pk", flat=True))
    if len(ids) != run.total:
        run.total = len(ids)
        PlanRun.objects.filter(pk=run.pk).update(total=run.total)
    try:
        return _walk(
            run, ids, actor=None, today=today or timezone.localdate(), batch_size=batch_size
        )
    except Exception as exc:
        PlanRun.objects.filter(pk=run.pk).update(
            state=PlanRunState.FAILED, finished_at=timezone.now(), error=str(exc)[:4000]
        )
        raise


# -- expedite ----------------------------------------------------------------------


def order_expedite_refusal(order: SalesOrder, actor) -> str:
    """Why `actor` may not expedite `order` now, or "" when they may."""
    if not actor.has_role(*EXPEDITE_ROLES):
        return "Only planners and sales managers expedite an order."
    if order.state not in REPLAN_STATES:
        return (
            f"{order.number} is {order.get_state_display().lower()}; there is nothing to expedite."
        )
    if order.expedited_at:
        when = timezone.localtime(order.expedited_at)
        return f"{order.number} was already expedited on {when:%b %d, %H:%M}."
    return ""


@transaction.atomic
def order_expedite(*, order: SalesOrder, actor, reason: str, today: dt.date | None = None):
    """Move `order` ahead of every other open order and re-plan: its lines are booked
    first, and the lines it displaced are re-planned with cause "expedite"."""
    reason = (reason or "").strip()
    locked = SalesOrder.objects.select_for_update().get(pk=order.pk)
    refusal = order_expedite_refusal(locked, actor)
    if refusal:
        if not actor.has_role(*EXPEDITE_ROLES):
            raise PermissionDenied(refusal)
        raise TransitionNotAllowed(refusal)
    if not reason:
        raise ValidationError({"reason": ["Say why this order goes first."]})
    locked.expedited_at = timezone.now()
    SalesOrder.objects.filter(pk=locked.pk).update(expedited_at=locked.expedited_at)
    text = f"{locked.number} expedited by {actor.username}: {reason}"[:300]
    activity_record(target=locked, actor=actor, verb="expedited", text=f"Expedited: {reason}")
    own = list(locked.lines.values_list("pk", flat=True))
    parts, wcs = _resources_of(own)
    lines = list(_with_order(replan_lines_qs().filter(pk__in=set(own) | _lines_using(parts, wcs))))
    run = PlanRun.objects.create(
        kind=PlanRunKind.TARGETED,
        cause=SlipCause.EXPEDITE,
        cause_text=text,
        total=len(lines),
        started_by=actor,
    )
    _targeted(run, lines, actor=actor, today=today or timezone.localdate())
    order.expedited_at = locked.expedited_at
    return locked


# -- the re-plan page's reads ------------------------------------------------------------

RECENT_RUNS = 10


def _recent_query(limit: int, slots):
    return PlanRun.objects.select_related("started_by").order_by("-started_at", "-id")[:limit]


def plan_runs_recent(limit: int = RECENT_RUNS) -> list[PlanRun]:
    return prepared_objects(_recent_query, (limit,), [])


def plan_run_slips(run: PlanRun):
    """The moves `run` recorded, for a paginated list (the plan_run foreign key's index)."""
    from apps.orders.models import OrderLineDateChange

    return (
        OrderLineDateChange.objects.filter(plan_run=run)
        .select_related("line__order")
        .order_by("id")
    )
