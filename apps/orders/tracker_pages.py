"""The tracker-link section of the staff and the portal order pages.

Both pages list the order's links and create and revoke them through the same
services (apps.orders.services.trackers); each app mounts the two views below on
its own DetailPage, so the section behaves the same on both sides.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from apps.core.pages import DetailPage, TransitionForm, transition_post
from apps.orders.models import OrderTrackerLink, SalesOrder
from apps.orders.services import trackers

TEMPLATE = "orders/partials/tracker_links.html"


class TrackerLinkForm(TransitionForm):
    days = forms.TypedChoiceField(
        label="Valid for",
        coerce=int,
        choices=[(d, f"{d} days") for d in trackers.EXPIRY_CHOICES],
        initial=trackers.DEFAULT_DAYS,
    )

    invalid_message = "Choose how long the link stays valid."

    def service_kwargs(self) -> dict[str, Any]:
        return {"days": self.cleaned_data["days"]}


def tracker_section(
    order: SalesOrder, user, *, error: str = "", notice: str = "", url: str = ""
) -> dict:
    """The section's context: the order's links, newest first, and whether `user` may share."""
    return {
        "links": list(order.tracker_links.select_related("created_by", "revoked_by")),
        "refusal": trackers.tracker_refusal(order, user),
        "form": TrackerLinkForm(),
        "error": error,
        "notice": notice,
        "url": url,
    }


def _url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("tracker:order", args=[token]))


def tracker_create(request: HttpRequest, page: DetailPage, order: SalesOrder) -> HttpResponse:
    def notice(result) -> str:
        link, token = result
        return (
            f"Tracker link created, valid until {link.expires_at:%b %d, %Y}. Copy it now: "
            f"it is not shown again. {_url(request, token)}"
        )

    return transition_post(
        request,
        page,
        order.pk,
        call=lambda days: trackers.tracker_link_create(order=order, actor=request.user, days=days),
        notice=notice,
        form_class=TrackerLinkForm,
        success_context=lambda result: {"tracker_url": _url(request, result[1])},
    )


def tracker_revoke(
    request: HttpRequest, page: DetailPage, order: SalesOrder, link_id: int
) -> HttpResponse:
    link = get_object_or_404(OrderTrackerLink, pk=link_id, order=order)
    return transition_post(
        request,
        page,
        order.pk,
        call=lambda **kw: trackers.tracker_link_revoke(link=link, actor=request.user),
        notice=lambda result: "Tracker link revoked: it no longer opens.",
    )
