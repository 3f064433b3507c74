"""Planning's list rows as plain values (apps.core.rows): what each row shows."""

from __future__ import annotations

from apps.core.rows import row_presenter


@row_presenter("manufacturing/replan.html#run-row")
def run_row(run) -> dict:
    # The view marks the run the page shows the moves of (`is_selected`).
    return {
        "pk": run.pk,
        "selected": getattr(run, "is_selected", False),
        "started_at": run.started_at,
        "started_by": run.started_by.username if run.started_by_id else None,
        "kind_label": str(run.get_kind_display()),
        "cause_label": str(run.get_cause_display()),
        "cause_text": run.cause_text,
        "state": str(run.state),
        "state_label": str(run.get_state_display()),
        "percent": run.percent,
        "done": run.done,
        "total": run.total,
        "slipped": run.slipped,
        "improved": run.improved,
        "at_risk": run.at_risk,
    }


@row_presenter(
    "manufacturing/replan.html#move-row",
    fields=(
        *("line__order__number", "line__order__state", "line__position", "line__product_name"),
        *("old_date", "new_date", "cause", "reason"),
    ),
)
def move_row(change) -> dict:
    line = change.line
    return {
        "order_pk": line.order_id,
        "order_number": line.order.number,
        "position": line.position,
        "product_name": line.product_name,
        "old_date": change.old_date,
        "new_date": change.new_date,
        "cause_label": str(change.get_cause_display()),
        "reason": change.reason,
    }


@row_presenter(
    "manufacturing/work_centers.html#row",
    fields=("code", "name", "daily_capacity_hours", "working_weekdays"),
)
def work_center_row(wc) -> dict:
    # The view sets `booked` (hours held over the page's weeks, the stored load) and
    # `closures_ahead` (its closed days and the plant's over those weeks).
    return {
        "pk": wc.pk,
        "code": wc.code,
        "name": wc.name,
        "daily_capacity_hours": wc.daily_capacity_hours,
        "working_weekdays": wc.working_weekdays,
        "booked": wc.booked,
        "closures_ahead": wc.closures_ahead,
    }
