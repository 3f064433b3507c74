"""Inquiries and opportunities for ops: read-only, moved only through the services
(the actions run the same transitions as the pages, as the signed-in user)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from apps.orders.admin import ReadOnlyMixin, TimelineInline, transition_actions
from apps.sales import services
from apps.sales.models import Inquiry, Opportunity


def _inquiry_transition(*, obj, **kwargs):
    return services.inquiry_transition(inquiry=obj, **kwargs)


def _opportunity_transition(*, obj, **kwargs):
    return services.opportunity_transition(opportunity=obj, **kwargs)


@admin.register(Inquiry)
class InquiryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "company_name", "subject", "source", "state", "owner", "created_at"]
    list_filter = ["state", "source"]
    list_select_related = ["owner"]
    search_fields = ["number", "company_name", "contact_name", "contact_email", "subject"]
    date_hierarchy = "created_at"
    inlines = [TimelineInline]
    actions = transition_actions(["start_qualifying", "mark_spam"], _inquiry_transition)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in self.model._meta.fields]


@admin.register(Opportunity)
class OpportunityAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "title", "customer", "state", "amount", "probability", "owner"]
    list_filter = ["state", "currency"]
    list_select_related = ["customer", "owner"]
    search_fields = ["number", "title", "customer__name"]
    date_hierarchy = "created_at"
    inlines = [TimelineInline]
    actions = transition_actions(["lose"], _opportunity_transition)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in self.model._meta.fields]
