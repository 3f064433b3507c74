"""Every write to inquiries and opportunities: one function per action.

Transitions go through apps.core.transitions.run_transition (lock, version,
permission, conditions, audit entry); e-mails and signals are queued with
transaction.on_commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Organization, OrganizationKind
from apps.accounts.roles import SALES_ROLES
from apps.accounts.services import organization_create
from apps.core.concurrency import lock_for_update, refuse_unknown_fields, save_versioned
from apps.core.models import next_number
from apps.core.services import activity_record, email_send_after_commit
from apps.core.transitions import TransitionNotAllowed, run_transition
from apps.orders.models import Quote, QuoteState
from apps.orders.models.rules import SYSTEM, can_sell
from apps.orders.services.quotes import quote_create
from apps.sales.models import (
    INQUIRY_OPEN_STATES,
    OPPORTUNITY_OPEN_STATES,
    Inquiry,
    InquirySource,
    Opportunity,
    OpportunityQuote,
    OpportunityState,
)

INQUIRY_FIELDS = (
    "contact_name",
    "contact_email",
    "contact_phone",
    "company_name",
    "subject",
    "message",
    "estimated_value",
    "currency",
    "expected_close_date",
    "owner",
    "internal_notes",
)
OPPORTUNITY_FIELDS = (
    "title",
    "amount",
    "currency",
    "probability",
    "expected_close_date",
    "owner",
    "internal_notes",
)
# Mail providers whose domain says nothing about the company behind an address.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.net",
        "web.de",
        "mail.com",
    }
)


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used for a different request (422)."""

    status = 422

    def __init__(self, inquiry: Inquiry):
        self.inquiry = inquiry
        super().__init__(
            f"This Idempotency-Key was already used for {inquiry.number} with a different "
            "request body. Send a new key for a new inquiry, or repeat the original body."
        )


def require_seller(actor) -> None:
    if not can_sell(None, actor):
        raise PermissionDenied("Only sales may do this.")


def _check_user_is_staff(fields: dict[str, Any]) -> None:
    owner = fields.get("owner")
    if owner is not None and (owner.is_external or not owner.is_active):
        raise ValidationError({"owner": ["The owner must be an active Kestrel employee."]})


def _check_inquiry_fields(fields: dict[str, Any]) -> None:
    _check_user_is_staff(fields)
    for key in ("contact_name", "contact_email", "subject", "message"):
        if key in fields and not str(fields[key] or "").strip():
            raise ValidationError({key: ["This field may not be blank."]})


# -- inquiries: creation ----------------------------------------------------------


def sales_recipients() -> list[str]:
    User = get_user_model()
    return list(
        User.objects.filter(is_active=True, groups__name__in=SALES_ROLES)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def _announce(inquiry: Inquiry) -> None:
    """Tell the sales group (on commit, through Celery like every e-mail)."""
    email_send_after_commit(
        to=sales_recipients(),
        template_prefix="sales/email/inquiry_received",
        context={
            "inquiry": inquiry,
            "url": settings.SITE_URL + reverse("sales:inquiry-detail", args=[inquiry.pk]),
        },
        target=inquiry,
    )


def _new_inquiry(*, actor, source: str, **fields: Any) -> Inquiry:
    inquiry = Inquiry.objects.create(
        number=next_number("inquiry", "INQ"),
        source=source,
        created_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    who = f" by {actor.get_username()}" if getattr(actor, "pk", None) else ""
    activity_record(
        target=inquiry,
        actor=actor if getattr(actor, "pk", None) else None,
        verb="created",
        text=f"Inquiry {inquiry.number} received ({inquiry.get_source_display()}){who}",
    )
    _announce(inquiry)
    return inquiry


PUBLIC_FIELDS = (
    "contact_name",
    "contact_email",
    "contact_phone",
    "company_name",
    "subject",
    "message",
)


def inquiry_submit_public(*, form_token, **fields: Any) -> tuple[Inquiry, bool]:
    """The anonymous web form. A second POST of the same form (same one-time token)
    returns the first inquiry: (inquiry, created)."""
    refuse_unknown_fields(fields, PUBLIC_FIELDS)
    _check_inquiry_fields(fields)
    existing = Inquiry.objects.filter(form_token=form_token).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return _new_inquiry(
                actor=None, source=InquirySource.WEB, form_token=form_token, **fields
            ), True
    except IntegrityError:
        # Two POSTs of one form raced: the other one created it.
        existing = Inquiry.objects.filter(form_token=form_token).first()
        if existing is None:
            raise
        return existing, False


def request_digest(data: dict[str, Any]) -> str:
    """A stable digest of a request body, to tell a retry from a different request."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def inquiry_create(
    *,
    actor,
    source: str = InquirySource.MANUAL,
    idempotency_key: str = "",
    digest: str = "",
    **fields: Any,
) -> tuple[Inquiry, bool]:
    """Sales enter an inquiry by hand or a CRM posts one through the API.

    With an `idempotency_key`, a retry by the same caller returns the first
    inquiry (created False); the same key with another body is refused.
    """
    require_seller(actor)
    refuse_unknown_fields(fields, INQUIRY_FIELDS)
    _check_inquiry_fields(fields)
    if idempotency_key:
        earlier = Inquiry.objects.filter(created_by=actor, idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.request_digest != digest:
                raise IdempotencyConflict(earlier)
            return earlier, False
    try:
        with transaction.atomic():
            inquiry = _new_inquiry(
                actor=actor,
                source=source,
                idempotency_key=idempotency_key,
                request_digest=digest if idempotency_key else "",
                **fields,
            )
    except IntegrityError:
        if not idempotency_key:
            raise
        # A concurrent retry with the same key won the insert.
        earlier = Inquiry.objects.get(created_by=actor, idempotency_key=idempotency_key)
        if earlier.request_digest != digest:
            raise IdempotencyConflict(earlier) from None
        return earlier, False
    return inquiry, True


@transaction.atomic
def inquiry_update(
    *, inquiry: Inquiry, actor, expected_version: int | None = None, **fields: Any
) -> Inquiry:
    return _edit(
        inquiry,
        actor=actor,
        expected_version=expected_version,
        fields=fields,
        allowed=INQUIRY_FIELDS,
        open_states=INQUIRY_OPEN_STATES,
        check=_check_inquiry_fields,
    )


def _edit(obj, *, actor, expected_version, fields, allowed, open_states, check):
    """The one way an inquiry's or opportunity's fields change: sales only, while
    open, against the version the editor read, with the changed fields on the timeline."""
    require_seller(actor)
    refuse_unknown_fields(fields, allowed)
    obj = lock_for_update(obj, expected_version=expected_version)
    if obj.state not in open_states:
        raise TransitionNotAllowed(
            f"{obj.number} is {obj.get_state_display().lower()}; it can no longer be edited."
        )
    check(fields)
    changed = [k for k, v in fields.items() if getattr(obj, k) != v]
    for key in changed:
        setattr(obj, key, fields[key])
    if changed:
        save_versioned(obj, expected_version=obj.version, update_fields=changed)
        labels = ", ".join(type(obj)._meta.get_field(k).verbose_name for k in changed)
        activity_record(target=obj, actor=actor, verb="updated", text=f"Changed {labels}")
    return obj


# -- inquiries: workflow ----------------------------------------------------------


def organization_match(*, company_name: str, email: str) -> Organization | None:
    """The customer an inquiry comes from: same name, else same e-mail domain
    (the organization's address or one of its contacts'), case-insensitively.
    Free-mail domains never match."""
    customers = Organization.objects.filter(kind=OrganizationKind.CUSTOMER)
    name = " ".join(company_name.split())
    if name:
        found = customers.filter(name__iexact=name).first()
        if found is not None:
            return found
    domain = email.rpartition("@")[2].strip().lower()
    if not domain or domain in FREE_MAIL_DOMAINS:
        return None
    return (
        customers.filter(
            Q(email__iendswith=f"@{domain}") | Q(memberships__user__email__iendswith=f"@{domain}")
        )
        .order_by("name")
        .distinct()
        .first()
    )


def _customer_for(inquiry: Inquiry, actor) -> tuple[Organization, bool]:
    found = organization_match(company_name=inquiry.company_name, email=inquiry.contact_email)
    if found is not None:
        return found, False
    name = " ".join(inquiry.company_name.split())
    taken = Organization.objects.filter(name__iexact=name).exclude(kind=OrganizationKind.CUSTOMER)
    if taken.exists():
        raise ValidationError(
            {
                "company_name": [
                    f"“{name}” is a {taken.first().get_kind_display().lower()}, not a customer: "
                    "correct the company name on the inquiry."
                ]
            }
        )
    domain = inquiry.contact_email.rpartition("@")[2].lower()
    email = "" if domain in FREE_MAIL_DOMAINS else inquiry.contact_email
    return organization_create(
        actor=actor, name=name, kind=OrganizationKind.CUSTOMER, email=email
    ), True


def default_probability() -> int:
    return settings.TANDEM_OPPORTUNITY_DEFAULT_PROBABILITY


@transaction.atomic
def inquiry_convert(
    *, inquiry: Inquiry, actor, comment: str = "", expected_version: int | None = None
) -> Opportunity:
    """Qualified → converted: match or create the customer and open the opportunity."""
    made: dict[str, Any] = {}

    def open_opportunity(locked: Inquiry) -> None:
        customer, created = _customer_for(locked, actor)
        locked.customer = customer
        made["customer_created"] = created
        made["opportunity"] = Opportunity.objects.create(
            number=next_number("opportunity", "OPP"),
            title=locked.subject,
            customer=customer,
            owner=locked.owner or actor,
            inquiry=locked,
            amount=locked.estimated_value or Decimal("0"),
            currency=locked.currency,
            probability=default_probability(),
            expected_close_date=locked.expected_close_date or timezone.localdate(),
            internal_notes=locked.internal_notes,
        )

    inquiry = run_transition(
        obj=inquiry,
        name="convert",
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        before=open_opportunity,
    )
    opportunity = made["opportunity"]
    how = "new customer" if made["customer_created"] else "existing customer"
    activity_record(
        target=opportunity,
        actor=actor,
        verb="created",
        text=f"Opened from inquiry {inquiry.number} for {opportunity.customer.name} ({how})",
    )
    return opportunity


def inquiry_transition(
    *, inquiry: Inquiry, name: str, actor, comment: str = "", expected_version: int | None = None
):
    """Any inquiry transition; `convert` returns the new Opportunity."""
    if name == "convert":
        return inquiry_convert(
            inquiry=inquiry, actor=actor, comment=comment, expected_version=expected_version
        )
    if name == "disqualify" and not comment.strip():
        raise ValidationError({"comment": ["Say why the inquiry is disqualified."]})
    return run_transition(
        obj=inquiry, name=name, actor=actor, comment=comment, expected_version=expected_version
    )


# -- opportunities ------------------------------------------------------------------


def _check_opportunity_fields(fields: dict[str, Any]) -> None:
    _check_user_is_staff(fields)
    probability = fields.get("probability")
    if probability is not None and not 0 <= probability <= 100:
        raise ValidationError({"probability": ["A probability is between 0 and 100."]})
    amount = fields.get("amount")
    if amount is not None and amount < 0:
        raise ValidationError({"amount": ["The amount cannot be negative."]})
    if "title" in fields and not str(fields["title"] or "").strip():
        raise ValidationError({"title": ["This field may not be blank."]})


@transaction.atomic
def opportunity_create(
    *,
    actor,
    customer: Organization,
    title: str,
    expected_close_date: dt.date,
    amount: Decimal = Decimal("0"),
    **fields: Any,
) -> Opportunity:
    require_seller(actor)
    refuse_unknown_fields(fields, OPPORTUNITY_FIELDS)
    if customer.kind != OrganizationKind.CUSTOMER:
        raise ValidationError({"customer": ["Opportunities are for customer organizations."]})
    fields = {"title": title, "amount": amount, **fields}
    _check_opportunity_fields(fields)
    fields.setdefault("currency", customer.currency)
    fields.setdefault("probability", default_probability())
    fields.setdefault("owner", actor)
    opportunity = Opportunity.objects.create(
        number=next_number("opportunity", "OPP"),
        customer=customer,
        expected_close_date=expected_close_date,
        **fields,
    )
    activity_record(
        target=opportunity,
        actor=actor,
        verb="created",
        text=f"Opportunity {opportunity.number} opened for {customer.name}",
    )
    return opportunity


@transaction.atomic
def opportunity_update(
    *, opportunity: Opportunity, actor, expected_version: int | None = None, **fields: Any
) -> Opportunity:
    return _edit(
        opportunity,
        actor=actor,
        expected_version=expected_version,
        fields=fields,
        allowed=OPPORTUNITY_FIELDS,
        open_states=OPPORTUNITY_OPEN_STATES,
        check=_check_opportunity_fields,
    )


def _stamp_closed(locked: Opportunity) -> None:
    locked.closed_at = timezone.now()


def opportunity_transition(
    *,
    opportunity: Opportunity,
    name: str,
    actor,
    comment: str = "",
    expected_version: int | None = None,
) -> Opportunity:
    if name == "lose" and not comment.strip():
        raise ValidationError({"comment": ["Say why the opportunity was lost."]})
    return run_transition(
        obj=opportunity,
        name=name,
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        before=_stamp_closed if name in ("win", "lose") else None,
    )


@transaction.atomic
def opportunity_quote_create(*, opportunity: Opportunity, actor) -> Quote:
    """A draft quote for the opportunity's customer, linked to it; an open
    opportunity moves to quoting."""
    require_seller(actor)
    opportunity = lock_for_update(opportunity, expected_version=None)
    if opportunity.state not in OPPORTUNITY_OPEN_STATES:
        raise TransitionNotAllowed(
            f"{opportunity.number} is {opportunity.get_state_display().lower()}: "
            "no new quotes for it."
        )
    quote = quote_create(
        actor=actor,
        customer=opportunity.customer,
        title=opportunity.title[:200],
        currency=opportunity.currency,
    )
    OpportunityQuote.objects.create(opportunity=opportunity, quote=quote)
    activity_record(
        target=opportunity, actor=actor, verb="quote_created", text=f"Quote {quote.number} created"
    )
    if opportunity.state == OpportunityState.OPEN:
        run_transition(
            obj=opportunity,
            name="start_quoting",
            actor=actor,
            comment=f"Quote {quote.number} opened.",
        )
    return quote


def opportunity_win_for_quote(*, quote: Quote) -> Opportunity | None:
    """An accepted quote wins its opportunity (SYSTEM acts: the customer may have accepted)."""
    link = OpportunityQuote.objects.filter(quote=quote).select_related("opportunity").first()
    if link is None or quote.state not in (QuoteState.ACCEPTED, QuoteState.CONVERTED):
        return None
    opportunity = link.opportunity
    if opportunity.state != OpportunityState.QUOTING:
        return None
    return run_transition(
        obj=opportunity,
        name="win",
        actor=SYSTEM,
        comment=f"Quote {quote.number} was accepted.",
        before=_stamp_closed,
    )


def on_quote_state_changed(sender, *, quote: Quote, transition: str, actor, **kwargs) -> None:
    if transition == "accept":
        opportunity_win_for_quote(quote=Quote.objects.get(pk=quote.pk))
