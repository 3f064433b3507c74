from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError

from apps.accounts import selectors, services
from apps.accounts.models import Address, ApiToken, Invitation, Membership, Organization, User
from apps.core.admin_utils import JoinedDeleteMixin


class MembershipInline(admin.StackedInline):
    model = Membership
    extra = 0
    max_num = 1
    autocomplete_fields = ["organization"]
    fields = ["organization", "job_title", "phone", "is_primary_contact"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = [
        "username",
        "get_full_name",
        "email",
        "organization_name",
        "is_active",
        "last_login",
    ]
    list_filter = ["is_active", "is_staff", "groups", "membership__organization__kind"]
    list_select_related = ["membership__organization"]
    search_fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "membership__organization__name",
    ]

    @admin.display(description="Organization", ordering="membership__organization__name")
    def organization_name(self, user: User) -> str:
        membership = getattr(user, "membership", None)
        return membership.organization.name if membership else "—"


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0
    fields = [
        "kind",
        "label",
        "line1",
        "line2",
        "city",
        "region",
        "postal_code",
        "country",
        "receiving_weekdays",
        "is_default",
    ]


class OrganizationMembershipInline(admin.TabularInline):
    """The members, with their users in the same query (a user widget per row made one
    query per member). People join an organization from their user's page."""

    model = Membership
    extra = 0
    fields = ["user", "job_title", "phone", "is_primary_contact"]
    readonly_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "organization")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(JoinedDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "payment_terms", "credit_limit", "is_active"]
    list_filter = ["kind", "is_active", "payment_terms"]
    search_fields = ["name", "code", "email"]
    readonly_fields = ["group", "created_at", "updated_at"]
    inlines = [AddressInline, OrganizationMembershipInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # External organizations share objects with their contacts through one group.
        services.organization_ensure_group(organization=obj)


class InvitationStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(s, s.capitalize()) for s in ("pending", "accepted", "revoked", "expired")]

    def queryset(self, request, queryset):
        # Mirrors Invitation.status, whose order decides which label wins.
        value = self.value()
        if value == "pending":
            return queryset.filter(selectors.pending_invitations_q())
        if value == "accepted":
            return queryset.filter(accepted_at__isnull=False)
        if value == "revoked":
            return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=False)
        if value == "expired":
            return queryset.filter(
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                created_at__lte=selectors.invitation_cutoff(),
            )
        return queryset


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "invited_by", "created_at", "status_label"]
    list_filter = [InvitationStatusFilter, "organization__kind"]
    list_select_related = ["organization", "invited_by"]
    search_fields = ["email", "first_name", "last_name", "organization__name"]
    readonly_fields = [
        "organization",
        "email",
        "first_name",
        "last_name",
        "job_title",
        "invited_by",
        "accepted_at",
        "revoked_at",
        "user",
        "created_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        # Invitations are sent from the customer and supplier pages, which e-mail the link.
        return False

    @admin.display(description="Status")
    def status_label(self, invitation: Invitation) -> str:
        return invitation.status

    @admin.action(description="Withdraw the selected invitations")
    def revoke(self, request, queryset):
        done = 0
        for invitation in queryset:
            try:
                services.invitation_revoke(invitation=invitation, actor=request.user)
            except PermissionDenied as exc:
                self.message_user(request, f"{invitation.email}: {exc}", messages.WARNING)
            except ValidationError as exc:
                reason = " ".join(exc.messages)
                self.message_user(request, f"{invitation.email}: {reason}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, f"Withdrew {done} invitation(s).", messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Ops can see who holds API tokens and revoke one (delete); keys are never shown."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "expires_at"]
    list_filter = ["expires_at"]
    search_fields = ["name", "user__username", "user__email", "prefix"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "expires_at"]
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        # A token is issued to its owner, who is the only one to see the key.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
