from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from apps.accounts.models import (
    ApiToken,
    Invitation,
    Membership,
    Organization,
    OrganizationKind,
    User,
)
from apps.accounts.roles import DIRECTORY_INVITERS, DIRECTORY_READERS
from apps.core.permissions import get_visible_or_404, is_internal


def organization_kinds_for(user: User) -> frozenset[str]:
    """The kinds of organization an internal user may see (DIRECTORY_READERS)."""
    if not is_internal(user):
        return frozenset()
    return frozenset(
        {OrganizationKind.INTERNAL}
        | {
            kind
            for kind, roles in DIRECTORY_READERS.items()
            if user.is_superuser or user.has_role(*roles)
        }
    )


def may_invite_to(user: User, kind: str) -> bool:
    """Whether `user` invites and withdraws portal contacts of organizations of `kind`."""
    return (
        is_internal(user)
        and user.has_perm("accounts.add_invitation")
        and (user.is_superuser or user.has_role(*DIRECTORY_INVITERS.get(kind, ())))
    )


def organizations_visible_to(user: User) -> QuerySet[Organization]:
    """Internal staff with the view permission see the kinds their role reads; a contact its own."""
    qs = Organization.objects.all()
    if not (user.is_authenticated and user.is_active):
        return qs.none()
    if is_internal(user):
        if not user.has_perm("accounts.view_organization"):
            return qs.none()
        return qs.filter(kind__in=organization_kinds_for(user))
    org = user.organization
    return qs.filter(pk=org.pk) if org is not None else qs.none()


def organization_get_for_user(user: User, pk) -> Organization:
    return get_visible_or_404(user, organizations_visible_to(user), pk=pk)


def invitation_cutoff():
    return timezone.now() - timezone.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


def pending_invitations_q(prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}accepted_at__isnull": True,
            f"{prefix}revoked_at__isnull": True,
            f"{prefix}created_at__gt": invitation_cutoff(),
        }
    )


def organizations_of_kind(user: User, kind: str) -> QuerySet[Organization]:
    """Visible organizations of `kind`, without aggregates (see `with_contact_counts`)."""
    return organizations_visible_to(user).filter(kind=kind)


def with_contact_counts(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    """`contact_count` and `open_invitations` per row: a `rows` hook, run on a page's rows only."""
    return qs.annotate(
        contact_count=Count("memberships", distinct=True),
        # Links a contact can still use: not accepted, withdrawn or expired.
        open_invitations=Count(
            "invitations", filter=pending_invitations_q("invitations__"), distinct=True
        ),
    )


def has_contacts_q() -> Q:
    """Organizations with at least one portal contact, without counting them."""
    return Q(Exists(Membership.objects.filter(organization=OuterRef("pk"))))


def customers_visible_to(user: User) -> QuerySet[Organization]:
    return organizations_of_kind(user, OrganizationKind.CUSTOMER)


def suppliers_visible_to(user: User) -> QuerySet[Organization]:
    return organizations_of_kind(user, OrganizationKind.SUPPLIER)


def contacts_of(organization: Organization) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").filter(user__is_active=True)


def invitations_of(user: User, organization: Organization) -> QuerySet[Invitation]:
    if not (is_internal(user) and user.has_perm("accounts.view_invitation")):
        return Invitation.objects.none()
    return organization.invitations.select_related("invited_by")


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    """A person's own tokens; nobody lists another's."""
    if not (user.is_authenticated and user.is_active):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("-created_at")
