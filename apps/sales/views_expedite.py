"""Expedite an order from its staff page (apps.orders.replan.order_expedite)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from apps.orders import selectors
from apps.orders.replan import order_expedite
from apps.sales.views_common import REFUSED, require_staff, service_error
from apps.sales.views_orders import ORDER_PAGE


class ExpediteForm(forms.Form):
    reason = forms.CharField(max_length=300, strip=True)


@require_POST
@login_required
def order_expedite_view(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    require_staff(user)
    order = selectors.order_get_for_user(user, pk)
    form = ExpediteForm(request.POST)
    if not form.is_valid():
        return ORDER_PAGE.answer(request, pk, status=400, error="Say why this order goes first.")
    try:
        order_expedite(order=order, actor=user, reason=form.cleaned_data["reason"])
    except REFUSED as exc:
        message, status, allowed = service_error(exc)
        return ORDER_PAGE.answer(request, pk, status=status, error=message, error_allowed=allowed)
    messages.success(request, f"{order.number} expedited: its lines were re-planned first.")
    return redirect("sales:order-detail", pk=order.pk)
