from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Invitation, Membership, Organization, OrganizationKind, User
from apps.accounts.roles import Role
from apps.core.models import Audience
from apps.core.services import activity_record, email_send_after_commit

_INVITATION_SALT = "tandem.accounts.invitation"


class InvitationError(Exception):
    """An invitation link that cannot be used; `reason` is shown to the visitor."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def organization_ensure_group(*, organization: Organization) -> Group | None:
    """External organizations get one guardian group that all their contacts join."""
    if organization.kind == OrganizationKind.INTERNAL:
        return None
    if organization.group_id is None:
        group, _ = Group.objects.get_or_create(name=f"org:{organization.code}")
        organization.group = group
        organization.save(update_fields=["group", "updated_at"])
    return organization.group


def membership_create(
    *,
    user: User,
    organization: Organization,
    job_title: str = "",
    phone: str = "",
    is_primary_contact: bool = False,
) -> Membership:
    membership = Membership.objects.create(
        user=user,
        organization=organization,
        job_title=job_title,
        phone=phone,
        is_primary_contact=is_primary_contact,
    )
    group = organization_ensure_group(organization=organization)
    if group is not None:
        role = (
            Role.CUSTOMER_CONTACT
            if organization.kind == OrganizationKind.CUSTOMER
            else Role.SUPPLIER_CONTACT
        )
        user.groups.add(group, Group.objects.get(name=role))
    user.__dict__.pop("organization", None)
    user.__dict__.pop("role_names", None)
    return membership


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(str(invitation.pk), salt=_INVITATION_SALT)


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse(
        "accounts:invitation-accept", kwargs={"token": invitation_token(invitation)}
    )


def invitation_create(
    *,
    organization: Organization,
    email: str,
    first_name: str,
    last_name: str = "",
    job_title: str = "",
    invited_by: User,
) -> Invitation:
    if not invited_by.has_perm("accounts.add_invitation") or invited_by.is_external:
        raise PermissionDenied("Only internal staff may invite contacts.")
    if not organization.is_external:
        raise ValidationError({"organization": "Only customer or supplier contacts are invited."})
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "A user with this e-mail address already exists."})
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            job_title=job_title.strip(),
            invited_by=invited_by,
        )
        activity_record(
            target=organization,
            actor=invited_by,
            verb="contact_invited",
            text=f"Invited {invitation.first_name} {invitation.last_name} <{email}>",
            audience=Audience.INTERNAL,
        )
        email_send_after_commit(
            to=[email],
            template_prefix="accounts/email/invitation",
            context={
                "invitation": invitation,
                "url": invitation_url(invitation),
                "days": settings.INVITATION_MAX_AGE_DAYS,
            },
        )
    return invitation


def invitation_from_token(token: str) -> Invitation:
    """Resolve a link to a usable invitation, or raise InvitationError saying why not."""
    max_age = timezone.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    try:
        pk = signing.loads(token, salt=_INVITATION_SALT)
    except signing.BadSignature:
        raise InvitationError("invalid", "This invitation link is not valid.") from None
    invitation = (
        Invitation.objects.select_related("organization", "invited_by").filter(pk=pk).first()
    )
    if invitation is None:
        raise InvitationError("invalid", "This invitation link is not valid.")
    if invitation.accepted_at is not None:
        raise InvitationError("used", "This invitation has already been used. Please sign in.")
    if invitation.revoked_at is not None:
        raise InvitationError("revoked", "This invitation was withdrawn.")
    # Expiry is checked on the stored creation time, not on the signature's,
    # so the two cannot disagree.
    if timezone.now() - invitation.created_at >= max_age:
        raise InvitationError(
            "expired", "This invitation has expired. Ask your Kestrel contact for a new one."
        )
    return invitation


def invitation_accept(*, token: str, username: str, password: str) -> User:
    with transaction.atomic():
        invitation = invitation_from_token(token)
        # Lock so that two tabs submitting the same link cannot both create users.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise InvitationError("used", "This invitation has already been used. Please sign in.")
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": "This username is taken."})
        user = User(
            username=username,
            email=invitation.email,
            first_name=invitation.first_name,
            last_name=invitation.last_name,
        )
        user.set_password(password)
        user.save()
        membership_create(
            user=user, organization=invitation.organization, job_title=invitation.job_title
        )
        invitation.accepted_at = timezone.now()
        invitation.user = user
        invitation.save(update_fields=["accepted_at", "user", "updated_at"])
        activity_record(
            target=invitation.organization,
            actor=user,
            verb="invitation_accepted",
            text=f"{user.get_full_name()} joined as a contact",
        )
    return user


def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    if not actor.has_perm("accounts.add_invitation") or actor.is_external:
        raise PermissionDenied("Only internal staff may withdraw invitations.")
    if invitation.accepted_at is not None:
        raise ValidationError("An accepted invitation cannot be withdrawn.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    activity_record(
        target=invitation.organization,
        actor=actor,
        verb="invitation_revoked",
        text=f"Withdrew the invitation for {invitation.email}",
    )
    return invitation
