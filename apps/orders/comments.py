"""Quotes and orders have comment threads (apps.core.comments): who may open them,
and where staff and customers read them."""

from __future__ import annotations

from django.urls import reverse

from apps.core.comments import ThreadKind, register_thread
from apps.core.permissions import is_internal
from apps.orders import selectors
from apps.orders.models import Quote, SalesOrder


def _urls(noun: str) -> tuple:
    def page_url(obj, user) -> str:
        area = "sales" if is_internal(user) else "customers"
        return reverse(f"{area}:{noun}-detail", args=[obj.pk])

    def thread_url(obj, user) -> str:
        area = "sales" if is_internal(user) else "customers"
        return reverse(f"{area}:{noun}-comments", args=[obj.pk])

    return page_url, thread_url


def register() -> None:
    # A customer reads the thread of every quote its portal shows, quotes being
    # revised included (they are shown as their last sent revision).
    page_url, thread_url = _urls("quote")
    register_thread(
        Quote,
        ThreadKind(
            visible=selectors.portal_quotes_visible_to, page_url=page_url, thread_url=thread_url
        ),
    )
    page_url, thread_url = _urls("order")
    register_thread(
        SalesOrder,
        ThreadKind(visible=selectors.orders_visible_to, page_url=page_url, thread_url=thread_url),
    )
