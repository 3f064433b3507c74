"""Quotes, orders and change requests for ops: find them, read them, move them.

Everything here is read-only: a state changes only through the services (the
admin actions below call them as the signed-in user, with the same permission
checks, conditions, version locks and audit entries as the pages and the API).
Each object shows its timeline, read-only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.concurrency import StaleObjectError
from apps.core.models import Activity
from apps.core.transitions import TransitionError
from apps.orders.models import (
    ChangeRequest,
    OrderLine,
    Quote,
    QuoteLine,
    QuoteReview,
    SalesOrder,
)
from apps.orders.transitions import change_transition, order_transition, quote_transition


class ReadOnlyMixin:
    """Every field read-only, no add or delete: writes go through the services."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class TimelineInline(ReadOnlyMixin, GenericTabularInline):
    """The object's activity timeline (immutable audit entries)."""

    model = Activity
    ct_field = "content_type"
    ct_fk_field = "object_id"
    fields = ["created_at", "actor", "verb", "from_state", "to_state", "audience", "text"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    extra = 0
    verbose_name = "timeline entry"
    verbose_name_plural = "timeline"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Activity]:
        # The inline prints each entry (its __str__ names the content type).
        return super().get_queryset(request).select_related("actor", "content_type")


def _run(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    name: str,
    fire: Callable,
) -> None:
    """Fire transition `name` on each selected object through its service; report each refusal."""
    done, refused = [], []
    for obj in queryset:
        try:
            fire(obj=obj, name=name, actor=request.user, comment="Through the admin site.")
        except (TransitionError, StaleObjectError, ValidationError, PermissionDenied) as exc:
            refused.append(f"{obj}: {getattr(exc, 'message', None) or exc}")
        else:
            done.append(str(obj))
    if done:
        modeladmin.message_user(
            request, f"{name.replace('_', ' ').capitalize()}: {', '.join(done)}.", messages.SUCCESS
        )
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)


def transition_actions(names: list[str], fire: Callable) -> list[Callable]:
    actions = []
    for name in names:

        def action(modeladmin, request, queryset, name=name):
            _run(modeladmin, request, queryset, name, fire)

        action.__name__ = f"transition_{name}"
        action.short_description = f"{name.replace('_', ' ').capitalize()} (through the workflow)"
        actions.append(action)
    return actions


class QuoteLineInline(ReadOnlyMixin, admin.TabularInline):
    model = QuoteLine
    fields = [
        "position",
        "product",
        "quantity",
        "unit_price",
        "discount_percent",
        "unit_cost",
        "margin_percent",
        "line_total",
        "feasible_date",
    ]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[QuoteLine]:
        return super().get_queryset(request).select_related("product")


class QuoteReviewInline(ReadOnlyMixin, admin.TabularInline):
    model = QuoteReview
    fields = ["department", "revision", "state", "due_date", "decided_by", "decided_at", "comment"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[QuoteReview]:
        # Each row prints the review, whose __str__ names its quote's number.
        return super().get_queryset(request).select_related("decided_by", "quote")


@admin.register(Quote)
class QuoteAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "customer", "title", "state", "revision", "owner", "valid_until"]
    list_filter = ["state", "currency", "customer"]
    list_select_related = ["customer", "owner"]
    search_fields = ["number", "title", "customer__name", "customer_reference"]
    date_hierarchy = "created_at"
    inlines = [QuoteLineInline, QuoteReviewInline, TimelineInline]
    actions = transition_actions(["submit", "send", "revise", "cancel"], quote_transition)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in self.model._meta.fields]


class OrderLineInline(ReadOnlyMixin, admin.TabularInline):
    model = OrderLine
    fields = [
        "position",
        "product_sku",
        "product_name",
        "quantity",
        "unit_price",
        "unit_cost",
        "line_total",
        "first_promised_date",
        "forecast_date",
    ]
    readonly_fields = fields
    extra = 0


@admin.register(SalesOrder)
class SalesOrderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "customer", "customer_po", "state", "total", "owner", "created_at"]
    list_filter = ["state", "customer", "installation_needed"]
    list_select_related = ["customer", "owner"]
    search_fields = ["number", "customer_po", "customer__name", "quote__number"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, TimelineInline]
    actions = transition_actions(["confirm", "hold", "release", "cancel"], order_transition)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in self.model._meta.fields]


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "order", "product_sku", "quantity", "forecast_date"]
    list_filter = ["fulfillment_mode", "order__state"]
    list_select_related = ["order"]
    search_fields = ["order__number", "product_sku", "product_name"]


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "title", "customer", "origin", "state", "quote", "order"]
    list_filter = ["state", "origin", "customer"]
    list_select_related = ["customer", "quote", "order"]
    search_fields = ["number", "title", "quote__number", "order__number", "customer__name"]
    date_hierarchy = "created_at"
    inlines = [TimelineInline]
    actions = transition_actions(["start_assessment", "reject"], change_transition)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in self.model._meta.fields]
