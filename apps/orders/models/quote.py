from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_fsm import FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps.accounts.models import Address, Organization
from apps.catalog.models import Product
from apps.core.models import ConcurrentTransitionMixin, UUIDModel, VersionedModel
from apps.core.transitions import condition
from apps.orders.models import rules

MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}


class QuoteState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    CONVERTED = "converted", "Converted"
    CANCELLED = "cancelled", "Cancelled"


# States a customer contact may see (never drafts or internal review).
QUOTE_CUSTOMER_STATES = frozenset(
    {
        QuoteState.SENT,
        QuoteState.ACCEPTED,
        QuoteState.DECLINED,
        QuoteState.EXPIRED,
        QuoteState.CONVERTED,
    }
)
QUOTE_OPEN_STATES = frozenset(
    {
        QuoteState.DRAFT,
        QuoteState.IN_REVIEW,
        QuoteState.APPROVED,
        QuoteState.SENT,
        QuoteState.ACCEPTED,
    }
)
QUOTE_CLOSED_STATES = frozenset(set(QuoteState.values) - QUOTE_OPEN_STATES)
QUOTE_EDITABLE_STATES = frozenset({QuoteState.DRAFT})


class Quote(ConcurrentTransitionMixin, VersionedModel, UUIDModel):
    number = models.CharField(max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="quotes",
        limit_choices_to={"kind": "customer"},
    )
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quotes_as_contact",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quotes_owned"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    copied_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="copies",
        editable=False,
        help_text="The expired or declined quote this one was copied from.",
    )
    title = models.CharField(max_length=200, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    valid_until = models.DateField()
    requested_date = models.DateField(null=True, blank=True)
    feasible_date = models.DateField(null=True, blank=True, editable=False)
    promised_date = models.DateField(null=True, blank=True)
    critical_path = models.TextField(blank=True, editable=False)
    shipping_address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    billing_address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    terms = models.TextField(blank=True, help_text="Commercial terms shown to the customer.")
    customer_reference = models.CharField(max_length=60, blank=True)
    internal_notes = models.TextField(blank=True)
    hold_promise = models.BooleanField(
        "hold the promise while sent",
        default=False,
        help_text="Book the stock and capacity of the sent quote's promise until it is "
        "decided or expires (its validity date); otherwise a sent quote holds nothing.",
    )
    revision = models.PositiveIntegerField(default=0, editable=False)
    state = FSMField(
        default=QuoteState.DRAFT, choices=QuoteState.choices, protected=True, db_index=True
    )
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Stored so a list can show and sort by them without touching the lines;
    # kept right by apps.orders.services.quotes.quote_refresh_totals.
    total_amount = models.DecimalField(**MONEY, default=Decimal("0"), editable=False)
    line_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A customer's quotes in a state by validity: the portal dashboard's
            # "waiting for your decision" (also serves customer + state filters).
            models.Index(
                fields=["customer", "state", "valid_until", "number"],
                name="quote_customer_state_valid_idx",
            ),
            # The portal's quote list: a customer's sent quotes, last sent first; with
            # the state included, its capped count reads the index alone.
            models.Index(
                fields=["customer", "-sent_at", "-number"],
                include=["state"],
                condition=models.Q(sent_at__isnull=False),
                name="quote_customer_sent_idx",
            ),
            # The list's default order and the sorts and filters the desks use,
            # each ending with the id the list adds so pages never overlap.
            models.Index(fields=["-created_at", "-id"], name="quote_created_idx"),
            models.Index(fields=["state", "-created_at", "-id"], name="quote_state_created_idx"),
            models.Index(
                fields=["customer", "-created_at", "-id"], name="quote_customer_created_idx"
            ),
            models.Index(fields=["total_amount", "id"], name="quote_total_idx"),
            models.Index(fields=["valid_until", "id"], name="quote_valid_until_idx"),
            # The quotes in review with their revision: the review inboxes join their
            # open reviews to it, from the index only (the few in review, not all).
            models.Index(
                fields=["id"],
                include=["revision"],
                condition=models.Q(state=QuoteState.IN_REVIEW),
                name="quote_in_review_idx",
            ),
        ]
        permissions = [
            ("transition_quote", "Can move quotes through their workflow"),
            ("approve_pricing", "Can approve discounts and margins beyond the limits"),
        ]

    def __str__(self) -> str:
        return self.number

    # -- derived ------------------------------------------------------------

    @property
    def total(self) -> Decimal:
        return sum((line.line_total for line in self.lines.all()), Decimal("0"))

    def is_owned_or_created_by(self, user) -> bool:
        pk = getattr(user, "pk", None)
        return pk is not None and pk in (self.owner_id, self.created_by_id)

    def reviews_for_current_revision(self):
        return self.reviews.filter(revision=self.revision)

    @condition("every required review must be approved")
    def all_required_reviews_approved(self) -> bool:
        return not self.reviews_for_current_revision().exclude(state=ReviewState.APPROVED).exists()

    @condition("the quote has no lines")
    def has_lines(self) -> bool:
        # The API's answer has just read the lines as rows (apps.orders.api.serializers
        # quote_line_answers): their number, not another query.
        read = self.__dict__.get("lines_read")
        return self.lines.exists() if read is None else read > 0

    @condition("the quote's validity date has passed")
    def is_not_expired(self) -> bool:
        from django.utils import timezone

        return self.valid_until >= timezone.localdate()

    @condition("the quote is still valid")
    def is_past_validity(self) -> bool:
        return not self.is_not_expired()

    # -- transitions (called only from apps.orders.services.quotes) ---------

    @transition(
        field=state,
        source=QuoteState.DRAFT,
        target=QuoteState.IN_REVIEW,
        conditions=[has_lines],
        permission=rules.can_sell,
    )
    def submit(self):
        pass

    @transition(
        field=state,
        source=QuoteState.IN_REVIEW,
        target=QuoteState.APPROVED,
        conditions=[all_required_reviews_approved],
        permission=rules.can_sell_or_system,
    )
    def approve(self):
        pass

    @transition(
        field=state,
        source=QuoteState.APPROVED,
        target=QuoteState.SENT,
        conditions=[is_not_expired],
        permission=rules.can_sell,
    )
    def send(self):
        pass

    @transition(
        field=state,
        source=QuoteState.SENT,
        target=QuoteState.ACCEPTED,
        conditions=[is_not_expired],
        permission=rules.can_decide_for_customer,
    )
    def accept(self):
        pass

    @transition(
        field=state,
        source=QuoteState.SENT,
        target=QuoteState.DECLINED,
        permission=rules.can_decide_for_customer,
    )
    def decline(self):
        pass

    @transition(
        field=state,
        source=QuoteState.SENT,
        target=QuoteState.EXPIRED,
        conditions=[is_past_validity],
        permission=rules.is_system,
    )
    def expire(self):
        pass

    @transition(
        field=state,
        source=[QuoteState.IN_REVIEW, QuoteState.APPROVED, QuoteState.SENT],
        target=QuoteState.DRAFT,
        permission=rules.can_sell,
    )
    def revise(self):
        self.revision += 1

    @transition(
        field=state,
        source=[QuoteState.DRAFT, QuoteState.IN_REVIEW, QuoteState.APPROVED, QuoteState.SENT],
        target=QuoteState.CANCELLED,
        permission=rules.can_sell,
    )
    def cancel(self):
        pass

    @transition(
        field=state,
        source=QuoteState.ACCEPTED,
        target=QuoteState.CONVERTED,
        permission=rules.can_sell,
    )
    def convert(self):
        pass


class QuoteLine(UUIDModel):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=10)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    configuration = models.JSONField(default=dict, blank=True)
    configuration_text = models.TextField(blank=True, editable=False)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_list_price = models.DecimalField(**MONEY, editable=False)
    discount_percent = models.DecimalField(
        **PERCENT,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    unit_price = models.DecimalField(**MONEY, editable=False)
    unit_cost = models.DecimalField(**MONEY, editable=False)
    line_total = models.DecimalField(**MONEY, editable=False)
    margin_percent = models.DecimalField(max_digits=7, decimal_places=2, editable=False)
    requested_date = models.DateField(null=True, blank=True)
    feasible_date = models.DateField(null=True, blank=True, editable=False)
    # The date the customer was shown for this line when the quote was sent (the
    # feasible date, or the quote's promised date): frozen, it becomes the order
    # line's first promise even if the feasible date moves before conversion.
    sent_promised_date = models.DateField(null=True, blank=True, editable=False)
    # The sent promise is earlier than the feasible date at send: an expedite
    # manufacturing approved (the quote's review gate); conversion keeps it as
    # promise and forecast instead of recording a slip.
    sent_expedited = models.BooleanField(default=False, editable=False)
    critical_path = models.TextField(blank=True, editable=False)
    promise_explanation = models.TextField(blank=True, editable=False)
    scope_statement = models.TextField(
        blank=True, help_text="Customer-visible: what is and is not included, acceptance, services."
    )
    custom_spec = models.TextField(
        blank=True, help_text="Custom requirements: engineering must review the quote."
    )
    needs_engineering = models.BooleanField(default=False, editable=False)
    parts_without_price = models.BooleanField(default=False, editable=False)
    has_subcontract = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["quote", "position", "created_at"]

    def __str__(self) -> str:
        return f"{self.quote.number}/{self.position} {self.product.sku} × {self.quantity}"


class QuoteRevision(models.Model):
    """An immutable snapshot of a quote and its lines, taken when it is revised."""

    id = models.BigAutoField(primary_key=True)
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=16)
    snapshot = models.JSONField()
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["quote", "number"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "number"], name="one_snapshot_per_revision")
        ]

    def __str__(self) -> str:
        return f"{self.quote.number} rev {self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Quote revisions are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Quote revisions are immutable.")


class Department(models.TextChoices):
    ENGINEERING = "engineering", "Engineering"
    MANUFACTURING = "manufacturing", "Manufacturing"
    PURCHASING = "purchasing", "Purchasing"
    PRICING = "pricing", "Pricing"


class ReviewState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class QuoteReview(ConcurrentTransitionMixin, VersionedModel, UUIDModel):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="reviews")
    department = models.CharField(max_length=16, choices=Department.choices)
    revision = models.PositiveIntegerField()
    reasons = models.TextField(help_text="Why this review is required.")
    due_date = models.DateField()
    state = FSMField(default=ReviewState.REQUESTED, choices=ReviewState.choices, protected=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["quote", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["quote", "department", "revision"], name="one_review_per_dept_revision"
            )
        ]
        indexes = [
            # A department's inbox: its open reviews, overdue and oldest first. Partial
            # (requested only: decided reviews pile up and never show) and covering the
            # quote and revision, so the inbox's counts read the index only.
            models.Index(
                fields=["department", "due_date", "created_at", "id"],
                include=["quote", "revision"],
                condition=models.Q(state=ReviewState.REQUESTED),
                name="review_inbox_requested_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quote.number} {self.department} review (rev {self.revision})"

    @condition("the quote is no longer in review")
    def quote_in_review(self) -> bool:
        return self.quote.state == QuoteState.IN_REVIEW and self.quote.revision == self.revision

    @transition(
        field=state,
        source=ReviewState.REQUESTED,
        target=ReviewState.APPROVED,
        conditions=[quote_in_review],
        permission=rules.can_review,
    )
    def approve(self):
        pass

    @transition(
        field=state,
        source=ReviewState.REQUESTED,
        target=ReviewState.REJECTED,
        conditions=[quote_in_review],
        permission=rules.can_review,
    )
    def reject(self):
        pass

    @transition(
        field=state,
        source=ReviewState.REQUESTED,
        target=ReviewState.CHANGES_REQUESTED,
        conditions=[quote_in_review],
        permission=rules.can_review,
    )
    def request_changes(self):
        pass


def quote_document_path(document: QuoteDocument, filename: str) -> str:
    # Under MEDIA_ROOT, which nothing serves: the file leaves only through the
    # permission-checked download views.
    return f"quote-documents/{document.quote_id}/{filename}"


class QuoteDocument(models.Model):
    """The PDF sent to the customer with one revision of a quote.

    `content` is what the document shows, frozen when the revision was sent and
    built from customer-visible fields only (apps.orders.services.documents), so
    the PDF can be rendered (again) later without ever reading costs or notes.
    """

    id = models.BigAutoField(primary_key=True)
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="documents")
    revision = models.PositiveIntegerField()
    content = models.JSONField()
    file = models.FileField(upload_to=quote_document_path, blank=True, max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["quote", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "revision"], name="one_document_per_revision")
        ]

    def __str__(self) -> str:
        return f"{self.quote_id} rev {self.revision} PDF"

    @property
    def filename(self) -> str:
        return f"{self.content.get('number', 'quote')}-rev{self.revision}.pdf"


class QuoteUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Quote, on_delete=models.CASCADE)


class QuoteGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Quote, on_delete=models.CASCADE)
