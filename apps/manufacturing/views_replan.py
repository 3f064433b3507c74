"""The re-plan page: the current full run with its progress, a button to start one,
recent runs with their counts and, per run, the moves it recorded."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from apps.core.htmx import render_page
from apps.core.lists import ListPaginator
from apps.core.permissions import is_internal
from apps.core.rows import row_query
from apps.core.transitions import TransitionError
from apps.orders import replan
from apps.orders.models import PlanRun, PlanRunKind

TEMPLATE = "manufacturing/replan.html"
# Its rows with only the columns the presenter reads (apps.manufacturing.rows.move_row).
MOVE_ROW = "manufacturing/replan.html#move-row"
SLIPS_PER_PAGE = 25


def _require_replanner(user) -> None:
    if not is_internal(user):
        raise Http404
    if not replan.replan_may_start(user):
        raise PermissionDenied("Only planners, sales managers and ops admins re-plan.")


def _selected_run(request: HttpRequest, runs: list[PlanRun]) -> PlanRun | None:
    wanted = request.GET.get("run", "")
    if wanted.isascii() and wanted.isdigit() and len(wanted) <= 18:
        for run in runs:
            if run.pk == int(wanted):
                return run
        return PlanRun.objects.select_related("started_by").filter(pk=int(wanted)).first()
    return runs[0] if runs else None


def _context(request: HttpRequest, *, error: str = "") -> dict:
    running = replan.plan_run_running()
    runs = replan.plan_runs_recent()
    selected = _selected_run(request, runs)
    for run in runs:
        run.is_selected = selected is not None and run.pk == selected.pk
    slips = None
    if selected is not None:
        slips = ListPaginator(
            replan.plan_run_slips(selected), SLIPS_PER_PAGE, rows=row_query(MOVE_ROW)
        ).get_page(request.GET.get("page"))
    return {
        "running": running,
        # The bar: the run going on, else the last full run among the recent ones.
        "full": running or next((r for r in runs if r.kind == PlanRunKind.FULL), None),
        "busy": replan.plan_run_busy_sentence(running) if running else "",
        "error": error,
        "runs": runs,
        "selected": selected,
        "page_obj": slips,
    }


@login_required
def replan_page(request: HttpRequest) -> HttpResponse:
    _require_replanner(request.user)
    context = _context(request)
    if request.htmx and request.htmx.target == "replan-current":
        return render_page(request, TEMPLATE, context, partial="current")
    return render_page(request, TEMPLATE, context, partial="results")


@require_POST
@login_required
def replan_start(request: HttpRequest) -> HttpResponse:
    """Start a full re-plan now; refused in place, with who runs one and how far, when one runs."""
    _require_replanner(request.user)
    try:
        replan.plan_run_start(
            actor=request.user, text=f"Full re-plan started by {request.user.username}"
        )
    except TransitionError as exc:
        context = _context(request, error=exc.message)
        if request.htmx:  # htmx swaps 422 answers (base.html): the refusal replaces the card
            return render_page(request, TEMPLATE, context, partial="current", status=422)
        return render_page(request, TEMPLATE, context, status=exc.status)
    if request.htmx:
        return render_page(request, TEMPLATE, _context(request), partial="current")
    messages.success(request, "Full re-plan started.")
    return redirect("manufacturing:replan")
