"""Inquiries and opportunities: the front of the flow, before a quote exists.

An Inquiry arrives from the public form, the API or a sales rep; qualifying it
sizes the deal, and converting it opens an Opportunity for the matched (or
newly created) customer. An Opportunity gathers the quotes made for it
(OpportunityQuote, a link kept on this side so `orders` never imports `sales`)
and is won when one of them is accepted.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_fsm import FSMField, transition

from apps.accounts.models import Organization
from apps.core.models import ConcurrentTransitionMixin, UUIDModel, VersionedModel
from apps.core.transitions import condition
from apps.orders.models import Quote, QuoteState
from apps.orders.models.rules import can_sell, can_sell_or_system

MONEY = {"max_digits": 14, "decimal_places": 2}


class InquiryState(models.TextChoices):
    NEW = "new", "New"
    QUALIFYING = "qualifying", "Qualifying"
    QUALIFIED = "qualified", "Qualified"
    CONVERTED = "converted", "Converted"
    DISQUALIFIED = "disqualified", "Disqualified"
    SPAM = "spam", "Spam"


# Waiting for sales (the qualification queue and the dashboard count).
INQUIRY_OPEN_STATES = frozenset({InquiryState.NEW, InquiryState.QUALIFYING, InquiryState.QUALIFIED})
INQUIRY_CLOSED_STATES = frozenset(set(InquiryState.values) - INQUIRY_OPEN_STATES)


class InquirySource(models.TextChoices):
    WEB = "web", "Web form"
    API = "api", "API"
    MANUAL = "manual", "Manual entry"


class Inquiry(ConcurrentTransitionMixin, VersionedModel, UUIDModel):
    number = models.CharField(max_length=20, unique=True, editable=False)
    source = models.CharField(max_length=16, choices=InquirySource.choices)
    state = FSMField(
        default=InquiryState.NEW, choices=InquiryState.choices, protected=True, db_index=True
    )
    contact_name = models.CharField(max_length=200)
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=40, blank=True)
    company_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=200)
    message = models.TextField()
    # Sized while qualifying; a qualified inquiry counts in the forecast with these.
    estimated_value = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="USD")
    expected_close_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inquiries_owned",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    internal_notes = models.TextField(blank=True)
    # The customer it was matched to or created for, at conversion.
    customer = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inquiries",
        editable=False,
    )
    # The public form's one-time token: a second POST of the same form finds the
    # first inquiry instead of creating another.
    form_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # The API's Idempotency-Key (per caller) and a digest of the request it came with.
    idempotency_key = models.CharField(max_length=255, blank=True, editable=False)
    request_digest = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "inquiries"
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="inquiry_created_idx"),
            models.Index(fields=["state", "-created_at", "-id"], name="inquiry_state_created_idx"),
            models.Index(
                fields=["source", "-created_at", "-id"], name="inquiry_source_created_idx"
            ),
            models.Index(fields=["state", "expected_close_date"], name="inquiry_state_close_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="inquiry_idempotency_key_per_user",
            )
        ]

    def __str__(self) -> str:
        return self.number

    # -- conditions ---------------------------------------------------------

    @condition("the company is not named yet (edit the inquiry)")
    def has_company(self) -> bool:
        return bool(self.company_name.strip())

    @condition("it has no estimated value yet (edit the inquiry)")
    def has_estimated_value(self) -> bool:
        return self.estimated_value is not None

    @condition("it has no expected close date yet (edit the inquiry)")
    def has_expected_close_date(self) -> bool:
        return self.expected_close_date is not None

    # -- transitions (called only from apps.sales.services) -----------------

    @transition(
        field=state,
        source=InquiryState.NEW,
        target=InquiryState.QUALIFYING,
        permission=can_sell,
    )
    def start_qualifying(self):
        pass

    @transition(
        field=state,
        source=InquiryState.QUALIFYING,
        target=InquiryState.QUALIFIED,
        conditions=[has_company, has_estimated_value, has_expected_close_date],
        permission=can_sell,
    )
    def qualify(self):
        pass

    @transition(
        field=state,
        source=InquiryState.QUALIFIED,
        target=InquiryState.CONVERTED,
        conditions=[has_company],
        permission=can_sell,
    )
    def convert(self):
        pass

    @transition(
        field=state,
        source=[InquiryState.NEW, InquiryState.QUALIFYING],
        target=InquiryState.DISQUALIFIED,
        permission=can_sell,
    )
    def disqualify(self):
        pass

    @transition(
        field=state,
        source=[InquiryState.NEW, InquiryState.QUALIFYING],
        target=InquiryState.SPAM,
        permission=can_sell,
    )
    def mark_spam(self):
        pass


class OpportunityState(models.TextChoices):
    OPEN = "open", "Open"
    QUOTING = "quoting", "Quoting"
    WON = "won", "Won"
    LOST = "lost", "Lost"


# A quote in one of these states wins its opportunity.
QUOTE_WON_STATES = (QuoteState.ACCEPTED, QuoteState.CONVERTED)
OPPORTUNITY_OPEN_STATES = frozenset({OpportunityState.OPEN, OpportunityState.QUOTING})
OPPORTUNITY_CLOSED_STATES = frozenset({OpportunityState.WON, OpportunityState.LOST})


class Opportunity(ConcurrentTransitionMixin, VersionedModel, UUIDModel):
    number = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    customer = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="opportunities",
        limit_choices_to={"kind": "customer"},
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opportunities_owned"
    )
    inquiry = models.OneToOneField(
        Inquiry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opportunity",
        editable=False,
    )
    amount = models.DecimalField(
        **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="USD")
    probability = models.PositiveSmallIntegerField(
        default=20,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Chance of winning, in percent.",
    )
    expected_close_date = models.DateField()
    state = FSMField(
        default=OpportunityState.OPEN,
        choices=OpportunityState.choices,
        protected=True,
        db_index=True,
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    internal_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="opp_created_idx"),
            models.Index(fields=["state", "-created_at", "-id"], name="opp_state_created_idx"),
            models.Index(fields=["state", "-updated_at", "-id"], name="opp_state_updated_idx"),
            models.Index(fields=["customer", "-created_at", "-id"], name="opp_customer_idx"),
            models.Index(fields=["expected_close_date", "id"], name="opp_close_idx"),
            models.Index(fields=["amount", "id"], name="opp_amount_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="opportunity_probability_max_100"
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / Decimal(100)).quantize(Decimal("0.01"))

    # A list that shows buttons for many cards annotates these two facts
    # (selectors.with_quote_facts) so the conditions cost no query per card;
    # run_transition always reads a fresh row and asks the database.
    @condition("it has no quote yet (use “New quote”)")
    def has_quote(self) -> bool:
        known = self.__dict__.get("has_quote_link")
        return known if known is not None else self.quote_links.exists()

    @condition("none of its quotes is accepted")
    def has_accepted_quote(self) -> bool:
        known = self.__dict__.get("has_accepted_quote_link")
        if known is not None:
            return known
        return self.quote_links.filter(quote__state__in=QUOTE_WON_STATES).exists()

    @transition(
        field=state,
        source=OpportunityState.OPEN,
        target=OpportunityState.QUOTING,
        conditions=[has_quote],
        permission=can_sell_or_system,
    )
    def start_quoting(self):
        pass

    @transition(
        field=state,
        source=OpportunityState.QUOTING,
        target=OpportunityState.WON,
        conditions=[has_accepted_quote],
        permission=can_sell_or_system,
    )
    def win(self):
        pass

    @transition(
        field=state,
        source=[OpportunityState.OPEN, OpportunityState.QUOTING],
        target=OpportunityState.LOST,
        permission=can_sell,
    )
    def lose(self):
        pass


class OpportunityQuote(models.Model):
    """A quote made for an opportunity. One opportunity per quote."""

    id = models.BigAutoField(primary_key=True)
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="quote_links"
    )
    quote = models.OneToOneField(Quote, on_delete=models.CASCADE, related_name="opportunity_link")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.opportunity_id} ↔ {self.quote_id}"
