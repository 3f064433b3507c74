"""Staff pages for promises at risk: the at-risk lines and telling the customer a new date.

A re-plan moves a line's forecast without telling the customer; the rep checks it
and presses "Confirm new date to customer" (on the order page or the at-risk page),
or the beat task tells the customer when the notice period ends
(apps.orders.services.releases).
"""

from __future__ import annotations

from collections import Counter

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from apps.accounts.models import User
from apps.accounts.roles import SALES_ROLES, Role
from apps.core import pages
from apps.core.htmx import render_page
from apps.core.lists import list_page
from apps.core.permissions import is_internal
from apps.core.prepared import prepared_values
from apps.core.refusals import REFUSED, service_error
from apps.core.rows import row_query, rows_for_request
from apps.orders import selectors
from apps.orders.models import SlipCause
from apps.orders.services.releases import (
    line_release_refusal,
    order_forecasts_release,
    order_line_forecast_release,
)
from apps.sales.rows import AT_RISK_ROW
from apps.sales.views_common import require_staff, transition_post
from apps.sales.views_orders import ORDER_PAGE
from apps.sales.views_quotes import CustomerFilter, ListFilterSet

LINES_PAGE = pages.region_page(ORDER_PAGE, "lines", "lines-and-timeline")

# Who opens the at-risk page: sales (their customers wait for the dates), the
# planner (whose plan moved them) and ops admins; other departments get 404.
AT_RISK_READERS = frozenset({*SALES_ROLES, Role.PLANNER, Role.OPS_ADMIN})


class ForecastReleaseForm(pages.TransitionForm):
    """ "Confirm new date to customer": an optional note to the customer, no version
    (the release re-reads the line under lock and refuses when nothing is waiting)."""

    invalid_message = "The note to the customer is too long."

    def service_kwargs(self) -> dict:
        return {"comment": self.cleaned_data["comment"].strip()}


def _told(lines) -> str:
    return ", ".join(f"line {line.position}" for line in lines)


@require_POST
@login_required
def order_line_release(request: HttpRequest, pk, line_id) -> HttpResponse:
    """Tell the customer one line's new date now (refusals answered in the lines region)."""
    user = request.user
    require_staff(user)
    order = selectors.order_get_for_user(user, pk)
    line = next((x for x in order.lines.all() if x.pk == line_id), None)
    if line is None:
        raise Http404
    return transition_post(
        request,
        LINES_PAGE,
        pk,
        call=lambda **kw: order_line_forecast_release(line=line, actor=user, **kw),
        notice=lambda result: (
            f"{order.number}: the customer was told line "
            f"{result.position}'s new date ({result.customer_date:%b %d, %Y})."
        ),
        form_class=ForecastReleaseForm,
    )


@require_POST
@login_required
def order_release_all(request: HttpRequest, pk) -> HttpResponse:
    """Tell the customer every line's new date of the order at once."""
    user = request.user
    require_staff(user)
    order = selectors.order_get_for_user(user, pk)
    return transition_post(
        request,
        LINES_PAGE,
        pk,
        call=lambda **kw: order_forecasts_release(order=order, actor=user, **kw),
        notice=lambda result: (
            f"{order.number}: the customer was told the new dates of {_told(result)}."
        ),
        form_class=ForecastReleaseForm,
    )


# --- the at-risk page -----------------------------------------------------------


def _require_reader(user) -> None:
    require_staff(user)
    if not (user.is_superuser or user.has_role(*AT_RISK_READERS)):
        raise Http404


def _reps_query(slots):
    return (
        User.objects.filter(groups__name__in=sorted(SALES_ROLES), is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
        .values("id", "first_name", "last_name", "username")
    )


def _rep_choices() -> list[tuple[str, str]]:
    """(pk, name) of the active sales people: the rep filter's options, read once and
    used both to check the chosen rep and to render the select (no second query)."""
    rows = prepared_values(_reps_query, (), [])
    # As User.get_full_name(), else the username.
    return [
        (str(row["id"]), f"{row['first_name']} {row['last_name']}".strip() or row["username"])
        for row in rows
    ]


class AtRiskFilter(ListFilterSet):
    """Every key the page accepts; anything else in the query string is ignored. Its
    bar is memoised as the order and quote lists' are (`ListFilterSet.bar_key`), with
    the reps read for this request among what it shows."""

    rep = django_filters.ChoiceFilter(
        field_name="risk_owner",
        label="Rep",
        empty_label="Any rep",
    )
    # The line's stored customer (apps.orders.risk), read from its own partial index:
    # no join of the orders, whatever the customer's size.
    customer = CustomerFilter(field_name="risk_customer")
    cause = django_filters.ChoiceFilter(
        field_name="slip_cause",
        choices=SlipCause.choices,
        label="Cause",
        empty_label="Any cause",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["rep"].choices = self.reps = _rep_choices()

    def bar_options(self) -> tuple:
        return tuple(self.reps)


def _tally_query(internal: bool, slots):
    return (
        selectors.at_risk_tally_for(internal=internal)
        .order_by("owner_id", "cause")
        .values("cause", "owner", "owner__first_name", "owner__last_name", "owner__username")
        .annotate(n=F("lines"))
    )


def _summary(user) -> dict:
    """Counts by cause and by rep over every open line at risk, from the stored
    tally (apps.orders.risk): one query over a few rows per rep, whatever the lines."""
    by_cause: Counter = Counter()
    by_rep: Counter = Counter()
    names: dict = {}
    rows = prepared_values(_tally_query, (is_internal(user),), [])
    for row in rows:
        by_cause[row["cause"]] += row["n"]
        rep = row["owner"]
        by_rep[rep] += row["n"]
        full = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
        names[rep] = full or row["owner__username"]
    labels = dict(SlipCause.choices)
    causes = [(key, str(labels.get(key, "Not recorded")), n) for key, n in by_cause.most_common()]
    reps = [(pk, names[pk], n) for pk, n in by_rep.most_common()]
    total = sum(by_cause.values())
    return {
        "total": total,
        "causes": [{"key": key, "label": label, "count": n} for key, label, n in causes],
        "reps": [{"pk": pk, "name": name, "count": n} for pk, name, n in reps],
        # Everything the summary shows (the same for every reader): the key its
        # rendered chips are memoised under (`{% memo %}`, ~30 chips a page).
        "key": (total, tuple(causes), tuple(reps)),
    }


def _with_refusal(line, user):
    """The release button's refusal for `user` (the row presenter apps.sales.rows.at_risk_row
    reads it)."""
    line.release_refusal = line_release_refusal(line, user, line.order)
    return line


@login_required
def at_risk(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_reader(user)
    base = selectors.at_risk_lines(user)
    data = request.GET.copy()
    # A rep starts on their own orders; managers and planners on everyone's. Choosing
    # "Any rep" sends rep= and keeps it.
    mine_by_default = "rep" not in data and user.has_role(Role.SALES_REP)
    if mine_by_default:
        data["rep"] = str(user.pk)
    filterset = AtRiskFilter(data, queryset=base)
    page = list_page(request, filterset.qs, rows=row_query(AT_RISK_ROW))
    for line in page.object_list:
        _with_refusal(line, user)
    form = filterset.form
    filtered = any(form.cleaned_data.get(k) for k in ("rep", "customer", "cause"))
    return render_page(
        request,
        "sales/at_risk.html",
        {
            "filter": filterset,
            "page_obj": page,
            "filtered": filtered,
            "mine_by_default": mine_by_default,
            "summary": _summary(user),
        },
        partial="results",
    )


@require_POST
@login_required
def at_risk_release(request: HttpRequest, line_id) -> HttpResponse:
    """The at-risk row's "Confirm new date to customer": answers the row itself."""
    user = request.user
    _require_reader(user)
    line = selectors.at_risk_lines(user).select_related("order__customer", "order__owner")
    line = line.filter(pk=line_id).first()
    if line is None:
        raise Http404
    form = ForecastReleaseForm(request.POST)
    notice = error = ""
    status = 200
    if not form.is_valid():
        error, status = form.invalid_message, 400
    else:
        try:
            order_line_forecast_release(line=line, actor=user, **form.service_kwargs())
        except REFUSED as exc:
            error, status, _allowed = service_error(exc)
        else:
            notice = f"Told the customer {line.order.number} line {line.position}'s new date."
    if not request.htmx:
        (messages.success if notice else messages.error)(request, notice or error)
        return redirect("sales:at-risk")
    fresh = row_query(AT_RISK_ROW)(selectors.at_risk_lines(user)).get(pk=line.pk)
    fresh.row_notice, fresh.row_error = notice, error
    # htmx swaps 2xx and 422 only (base.html): a refusal travels as 422.
    response = HttpResponse(
        rows_for_request(request, AT_RISK_ROW, [_with_refusal(fresh, user)]),
        status=422 if status >= 400 else 200,
    )
    response["Vary"] = "HX-Request"
    return response
