from __future__ import annotations

from django.contrib import admin

from apps.core.models import Activity, Notification


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """The audit trail: readable, never editable."""

    list_display = [
        "created_at",
        "content_type",
        "object_id",
        "actor",
        "kind",
        "verb",
        "from_state",
        "to_state",
        "audience",
    ]
    list_filter = ["kind", "audience", "content_type"]
    list_select_related = ["content_type", "actor"]
    search_fields = ["object_id", "verb", "text"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "title", "read_at"]
    list_filter = ["read_at"]
    list_select_related = ["recipient"]
    search_fields = ["title", "recipient__username"]
    raw_id_fields = ["recipient", "activity"]
