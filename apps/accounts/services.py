from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts import selectors
from apps.accounts.models import (
    Address,
    ApiToken,
    Invitation,
    Membership,
    Organization,
    OrganizationKind,
    User,
)
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


def _free_organization_code(name: str) -> str:
    base = re.sub(r"[^A-Z0-9]", "", name.upper())[:12] or "ORG"
    code, n = base, 1
    while Organization.objects.filter(code=code).exists():
        n += 1
        code = f"{base[:12]}{n}"
    return code


def organization_create(
    *, actor: User | None, name: str, kind: str, email: str = "", website: str = ""
) -> Organization:
    """A new customer or supplier with its access group and a generated code."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": ["An organization needs a name."]})
    if Organization.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": [f"An organization named “{name}” already exists."]})
    organization = Organization.objects.create(
        name=name,
        kind=kind,
        code=_free_organization_code(name),
        email=email,
        website=website,
    )
    organization_ensure_group(organization=organization)
    activity_record(
        target=organization,
        actor=actor,
        verb="created",
        text=f"{organization.get_kind_display()} {organization.name} created",
    )
    return organization


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


def _not_your_partners(organization: Organization) -> str:
    # Sales invite customers' contacts, purchasing suppliers' (roles.DIRECTORY_INVITERS).
    return f"Your role does not manage the contacts of {organization.get_kind_display().lower()}s."


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
    if not selectors.may_invite_to(invited_by, organization.kind):
        raise PermissionDenied(_not_your_partners(organization))
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


def _invitation_pk(token: str) -> str:
    try:
        return signing.loads(token, salt=_INVITATION_SALT)
    except signing.BadSignature:
        raise InvitationError("invalid", "This invitation link is not valid.") from None


def _invitation_check(invitation: Invitation | None) -> Invitation:
    if invitation is None:
        raise InvitationError("invalid", "This invitation link is not valid.")
    if invitation.accepted_at is not None:
        raise InvitationError("used", "This invitation has already been used. Please sign in.")
    if invitation.revoked_at is not None or not invitation.organization.is_active:
        raise InvitationError("revoked", "This invitation was withdrawn.")
    # Expiry is checked on the stored creation time, not on the signature's,
    # so the two cannot disagree.
    max_age = timezone.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    if timezone.now() - invitation.created_at >= max_age:
        raise InvitationError(
            "expired", "This invitation has expired. Ask your Kestrel contact for a new one."
        )
    return invitation


def invitation_from_token(token: str) -> Invitation:
    """Resolve a link to a usable invitation, or raise InvitationError saying why not."""
    pk = _invitation_pk(token)
    return _invitation_check(
        Invitation.objects.select_related("organization", "invited_by").filter(pk=pk).first()
    )


def _validate_new_login(*, username: str, password: str, invitation: Invitation) -> User:
    """The unsaved user for this invitation; ValidationError keyed by field if input is bad."""
    username = User.normalize_username(username.strip())
    user = User(
        username=username,
        email=invitation.email,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
    )
    errors: dict[str, list] = {}
    try:
        if not username:
            raise ValidationError("Choose a username.")
        User._meta.get_field("username").run_validators(username)
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("This username is taken.")
    except ValidationError as exc:
        errors["username"] = exc.messages
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    return user


def invitation_accept(*, token: str, username: str, password: str) -> User:
    pk = _invitation_pk(token)
    with transaction.atomic():
        # Lock the invitation before checking it, so that two tabs submitting the same
        # link, or a withdrawal racing the acceptance, cannot both win.
        invitation = _invitation_check(
            Invitation.objects.select_for_update(of=("self",))
            .select_related("organization")
            .filter(pk=pk)
            .first()
        )
        if User.objects.filter(email__iexact=invitation.email).exists():
            # Another invitation for the same address was accepted first.
            raise InvitationError(
                "used", "An account already uses this e-mail address. Please sign in."
            )
        user = _validate_new_login(username=username, password=password, invitation=invitation)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # Someone took the username (or the address) between the check and the insert.
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise InvitationError(
                    "used", "An account already uses this e-mail address. Please sign in."
                ) from None
            raise ValidationError({"username": "This username is taken."}) from None
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
    if not selectors.may_invite_to(actor, invitation.organization.kind):
        raise PermissionDenied(_not_your_partners(invitation.organization))
    with transaction.atomic():
        # Locked so that an acceptance in flight either finishes first or sees the withdrawal.
        locked = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
        invitation.accepted_at, invitation.revoked_at = locked.accepted_at, locked.revoked_at
        if invitation.accepted_at is not None:
            raise ValidationError("An accepted invitation cannot be withdrawn.")
        if invitation.revoked_at is not None:
            return invitation
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        activity_record(
            target=invitation.organization,
            actor=actor,
            verb="invitation_revoked",
            text=f"Withdrew the invitation for {invitation.email}",
        )
    return invitation


# --- API tokens ------------------------------------------------------------------

# A client that logs in on every run would otherwise pile up tokens; beyond this
# many, issuing a new one drops the oldest.
MAX_API_TOKENS_PER_USER = 20


def api_token_issue(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it with its key, which is never shown again."""
    if not user.is_active:
        raise PermissionDenied("An inactive account gets no API token.")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the integration using it."})
    key = ApiToken.new_key()
    now = timezone.now()
    with transaction.atomic():
        ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
        stale = ApiToken.objects.filter(user=user).order_by("-created_at")[
            MAX_API_TOKENS_PER_USER - 1 :
        ]
        ApiToken.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
        token = ApiToken.objects.create(
            user=user,
            name=name[: ApiToken._meta.get_field("name").max_length],
            key_hash=ApiToken.hash_key(key),
            prefix=key[:8],
            created_at=now,
            expires_at=now + timezone.timedelta(days=settings.API_TOKEN_TTL_DAYS),
        )
    return token, key


def api_token_revoke(*, token: ApiToken, actor: User) -> None:
    # Tokens are personal: nobody revokes someone else's here (ops use the admin).
    if token.user_id != actor.pk:
        raise PermissionDenied("You can only revoke your own tokens.")
    token.delete()


@transaction.atomic
def address_set_receiving_days(*, address: Address, weekdays, actor) -> Address:
    """The days a customer site receives deliveries; promises end on one of them."""
    if not actor.has_perm("accounts.change_address"):
        raise PermissionDenied("Your role may not change addresses.")
    days = sorted({int(d) for d in weekdays})
    if not days or not set(days) <= set(range(1, 8)):
        raise ValidationError({"weekdays": ["Choose at least one day the site receives goods."]})
    address.receiving_weekdays = ",".join(str(d) for d in days)
    address.save(update_fields=["receiving_weekdays"])
    activity_record(
        target=address.organization,
        actor=actor,
        verb="receiving_days_changed",
        text=f"{address.label or address.line1} now receives {address.receiving_days_text}",
    )
    return address


QUOTE_HOLD_ROLES = (Role.SALES_MANAGER, Role.OPS_ADMIN)


def may_set_quote_holds(user) -> bool:
    return bool(user.is_authenticated and not user.is_external and user.has_role(*QUOTE_HOLD_ROLES))


@transaction.atomic
def organization_set_quote_holds(*, organization: Organization, hold: bool, actor) -> Organization:
    """Whether new quotes for this customer hold their promise from sending until
    their validity date (DESIGN §5, Allocation): a commercial decision, so a
    sales manager's (or operations')."""
    if not may_set_quote_holds(actor):
        raise PermissionDenied("Only a sales manager changes whether quotes hold their promise.")
    if organization.kind != OrganizationKind.CUSTOMER:
        raise ValidationError({"hold": ["Only customers' quotes hold promises."]})
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if organization.hold_quote_promises == hold:
        return organization
    organization.hold_quote_promises = hold
    organization.save(update_fields=["hold_quote_promises"])
    activity_record(
        target=organization,
        actor=actor,
        verb="quote_holds_changed",
        text="New quotes hold their promise until their validity date"
        if hold
        else "New quotes hold nothing until accepted",
    )
    return organization
