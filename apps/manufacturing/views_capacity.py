"""Planning's work-center pages: daily capacity, closures, the load ahead and the
promises that hold the hours (planners write, internal staff read)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.directory import style_form
from apps.catalog import capacity, ledger_reads
from apps.catalog.ledger_reads import ZERO
from apps.catalog.models import WorkCenter, WorkCenterClosure
from apps.core.htmx import render_page
from apps.core.lists import group_page, list_page
from apps.core.refusals import REFUSED, service_error
from apps.core.rows import row_query
from apps.orders.holds import hold_links

WEEKS = 8
TEMPLATE = "manufacturing/work_center_detail.html"
READ_ONLY_REASON = "Only planning changes capacity and closures."


class CapacityForm(forms.Form):
    hours = forms.DecimalField(
        label="Hours a working day",
        max_digits=6,
        decimal_places=2,
        min_value=capacity.HOURS_MIN,
        max_value=capacity.HOURS_MAX,
    )


class ClosureForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(required=False, max_length=capacity.REASON_MAX)
    scope = forms.ChoiceField(
        choices=[("work_center", "This work center"), ("plant", "The whole plant")],
        initial="work_center",
    )


def _require_reader(user) -> None:
    if not ledger_reads.may_read_ledgers(user):
        raise Http404


@login_required
def work_center_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    today = timezone.localdate()
    end = today + dt.timedelta(weeks=WEEKS)
    page = list_page(
        request,
        WorkCenter.objects.order_by("code", "pk"),
        rows=row_query("manufacturing/work_centers.html#row"),
    )
    stats = ledger_reads.work_center_rows(page.object_list, start=today, end=end)
    for wc in page.object_list:
        wc.booked = stats[wc.pk]["booked"]
        wc.closures_ahead = stats[wc.pk]["closures"]
    return render_page(
        request, "manufacturing/work_centers.html", {"page_obj": page, "weeks": WEEKS}
    )


def _chart(load) -> list[dict]:
    weeks = ledger_reads.weekly(load)
    scale = max([Decimal("1")] + [w["capacity"] for w in weeks] + [w["booked"] for w in weeks])
    for week in weeks:
        week["capacity_pct"] = float(week["capacity"] / scale * 100)
        week["booked_pct"] = float(week["booked"] / scale * 100)
        week["over"] = week["booked"] > week["capacity"]
    return weeks


def _context(
    request: HttpRequest,
    wc: WorkCenter,
    *,
    capacity_form: CapacityForm | None = None,
    closure_form: ClosureForm | None = None,
    error: str = "",
    notice: str = "",
) -> dict:
    user = request.user
    today = timezone.localdate()
    # Start on this week's Monday so the chart's weeks are whole.
    start = today - dt.timedelta(days=today.weekday())
    end = start + dt.timedelta(weeks=WEEKS)
    # Hours per day and the closures from Monday on, one query: the chart, the
    # hours held from today and the closed days ahead all come from it.
    booked, closures = ledger_reads.work_center_window(wc, start=start, end=end)
    load = ledger_reads.load_days(wc, start=start, days=WEEKS * 7, booked=booked, closures=closures)
    # The groups are counted from the index alone; a page's slice of them is read with
    # its bookings through SQL compiled once per day and page.
    page = group_page(
        request,
        ledger_reads.work_center_hold_groups(wc, start=today, end=end),
        rows=lambda bottom, top: ledger_reads.work_center_holds_page(
            wc.pk, start=today, end=end, bottom=bottom, top=top
        ),
    )
    holds = list(page.object_list)
    links = hold_links(user, {h["booking__line_key"] for h in holds if h["booking__line_key"]})
    for hold in holds:
        hold["url"] = links.get(hold["booking__line_key"] or "", "")
    page.object_list = holds
    held = sum((h for day, h in booked.items() if day >= today), ZERO) if holds else None
    may_plan = capacity.may_plan_capacity(user)
    may_close = capacity.may_manage_closures(user)
    weeks = _chart(load)
    closures_ahead = [c for c in closures if c.date >= today]
    # The page's URLs reversed once; a closure's removal URL differs by its id only.
    remove_url = reverse(
        "manufacturing:work-center-closure-remove", kwargs={"pk": wc.pk, "closure_pk": 0}
    )
    removal = remove_url.removesuffix("/0/remove/")
    return {
        "capacity_url": reverse("manufacturing:work-center-capacity", kwargs={"pk": wc.pk}),
        "closure_add_url": reverse("manufacturing:work-center-closure-add", kwargs={"pk": wc.pk}),
        "closure_rows": [
            {
                "date": c.date,
                "own": c.work_center_id is not None,
                "code": wc.code,
                "reason": c.reason,
                "remove_url": f"{removal}/{c.pk}/remove/",
                "may_close": may_close,
                "read_only_reason": READ_ONLY_REASON,
            }
            for c in closures_ahead
        ],
        "wc": wc,
        "weeks": weeks,
        # The chart's weeks and the holds as the plain values each shows, rendered
        # once per distinct content (`{% memo_rows %}`).
        "week_rows": [
            {
                "y": n * 30,
                "start": w["start"],
                "capacity": w["capacity"],
                "booked": w["booked"],
                "over": w["over"],
                "capacity_width": "%.3f" % w["capacity_pct"],  # noqa: UP031 - stringformat:'.3f'
                "booked_width": "%.3f" % w["booked_pct"],  # noqa: UP031
            }
            for n, w in enumerate(weeks)
        ],
        "hold_rows": [
            {
                "date": h["date"],
                "reference": h["reference"],
                "url": h["url"],
                "booking__line_key": h["booking__line_key"],
                "booking__firm": h["booking__firm"],
                "hours": h["hours"],
            }
            for h in holds
        ],
        "week_count": WEEKS,
        "holds": holds,
        "holds_page": page,
        "held": held,
        "closures": closures_ahead,
        "may_plan": may_plan,
        "may_close": may_close,
        "read_only_reason": READ_ONLY_REASON,
        "capacity_form": style_form(
            capacity_form or CapacityForm(initial={"hours": wc.daily_capacity_hours})
        ),
        "closure_form": style_form(closure_form or ClosureForm()),
        "error": error,
        "notice": notice,
    }


def _answer(request: HttpRequest, wc: WorkCenter, *, status: int = 200, **kwargs) -> HttpResponse:
    if request.htmx and status >= 400:
        status = 422  # htmx swaps 2xx and 422 (base.html)
    return render_page(
        request, TEMPLATE, _context(request, wc, **kwargs), partial="capacity", status=status
    )


def _work_center(user, pk) -> WorkCenter:
    _require_reader(user)
    try:
        return ledger_reads.work_center(pk)
    except WorkCenter.DoesNotExist:
        raise Http404 from None


@login_required
def work_center_detail(request: HttpRequest, pk) -> HttpResponse:
    wc = _work_center(request.user, pk)
    if request.htmx and request.htmx.target == "holds":
        # The holds' pagination swaps their region only.
        return render_page(request, TEMPLATE, _context(request, wc), partial="holds")
    return _answer(request, wc)


def _done(request: HttpRequest, wc: WorkCenter, text: str) -> HttpResponse:
    if request.htmx:
        return _answer(request, wc, notice=text)
    messages.success(request, text)
    return redirect("manufacturing:work-center-detail", pk=wc.pk)


def _refuse_reader(request: HttpRequest, wc: WorkCenter, allowed: bool) -> HttpResponse | None:
    """Staff who only read get the refusal in place (403; 422 to htmx)."""
    return None if allowed else _answer(request, wc, status=403, error=READ_ONLY_REASON)


def _refused(request, wc, exc, form, key: str) -> HttpResponse:
    message, status, _ = service_error(exc)
    if hasattr(exc, "error_dict") and form is not None:
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    return _answer(request, wc, status=status, error=message, **{key: form})


@require_POST
@login_required
def work_center_capacity(request: HttpRequest, pk) -> HttpResponse:
    wc = _work_center(request.user, pk)
    if refused := _refuse_reader(request, wc, capacity.may_plan_capacity(request.user)):
        return refused
    form = CapacityForm(request.POST)
    if not form.is_valid():
        return _answer(
            request, wc, status=400, capacity_form=form, error="Check the daily capacity."
        )
    try:
        wc = capacity.work_center_set_capacity(
            work_center=wc, hours=form.cleaned_data["hours"], actor=request.user
        )
    except REFUSED as exc:
        return _refused(request, wc, exc, form, "capacity_form")
    hours = wc.daily_capacity_hours.normalize()
    return _done(request, wc, f"{wc.code} now has {hours:f} h a working day.")


@require_POST
@login_required
def work_center_closure_add(request: HttpRequest, pk) -> HttpResponse:
    wc = _work_center(request.user, pk)
    if refused := _refuse_reader(request, wc, capacity.may_manage_closures(request.user)):
        return refused
    form = ClosureForm(request.POST)
    if not form.is_valid():
        return _answer(request, wc, status=400, closure_form=form, error="Check the closure.")
    data = form.cleaned_data
    try:
        closure = capacity.closure_add(
            work_center=None if data["scope"] == "plant" else wc,
            date=data["date"],
            reason=data["reason"],
            actor=request.user,
        )
    except REFUSED as exc:
        return _refused(request, wc, exc, form, "closure_form")
    who = "The plant" if closure.work_center_id is None else wc.code
    return _done(request, wc, f"{who} is closed on {closure.date:%a %b %-d, %Y}.")


@require_POST
@login_required
def work_center_closure_remove(request: HttpRequest, pk, closure_pk: int) -> HttpResponse:
    wc = _work_center(request.user, pk)
    closure = _closure_of(wc, closure_pk)
    if refused := _refuse_reader(request, wc, capacity.may_manage_closures(request.user)):
        return refused
    try:
        capacity.closure_remove(closure=closure, actor=request.user)
    except REFUSED as exc:
        return _refused(request, wc, exc, None, "closure_form")
    return _done(request, wc, f"Open again on {closure.date:%a %b %-d, %Y}.")


def _closure_of(wc: WorkCenter, closure_pk: int) -> WorkCenterClosure:
    """A closure of this work center or of the whole plant; anything else is 404."""
    closure = get_object_or_404(
        WorkCenterClosure.objects.select_related("work_center"), pk=closure_pk
    )
    if closure.work_center_id not in (None, wc.pk):
        raise Http404
    return closure
