from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import GET_STATE, FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps.accounts.models import Organization, PaymentTerms
from apps.catalog.models import FulfillmentMode, Part, Product
from apps.core.models import ConcurrentTransitionMixin, UUIDModel, VersionedModel
from apps.core.transitions import condition
from apps.orders.models import rules
from apps.orders.models.quote import MONEY, PERCENT, Quote, QuoteLine

QTY = {"max_digits": 12, "decimal_places": 3}


class OrderState(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    IN_DESIGN = "in_design", "In design"
    PLANNED = "planned", "Planned"
    IN_PRODUCTION = "in_production", "In production"
    READY_TO_SHIP = "ready_to_ship", "Ready to ship"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CLOSED = "closed", "Closed"
    ON_HOLD = "on_hold", "On hold"
    CANCELLED = "cancelled", "Cancelled"


ORDER_ACTIVE_STATES = frozenset(
    {
        OrderState.PENDING,
        OrderState.CONFIRMED,
        OrderState.IN_DESIGN,
        OrderState.PLANNED,
        OrderState.IN_PRODUCTION,
        OrderState.READY_TO_SHIP,
        OrderState.PARTIALLY_SHIPPED,
        OrderState.SHIPPED,
        OrderState.DELIVERED,
    }
)
ORDER_CANCELLABLE_STATES = frozenset(
    {OrderState.PENDING, OrderState.CONFIRMED, OrderState.IN_DESIGN, OrderState.PLANNED}
)
# Once production has started only a sales manager cancels, with a reason and charges.
ORDER_CANCELLABLE_IN_PRODUCTION = frozenset({OrderState.IN_PRODUCTION})
ORDER_CLOSED_STATES = frozenset({OrderState.CLOSED, OrderState.CANCELLED})
# Open orders count against the customer's credit limit.
ORDER_OPEN_STATES = frozenset(ORDER_ACTIVE_STATES | {OrderState.ON_HOLD})


class SalesOrder(ConcurrentTransitionMixin, VersionedModel, UUIDModel):
    number = models.CharField(max_length=20, unique=True, editable=False)
    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="sales_order")
    quote_revision = models.PositiveIntegerField(editable=False)
    customer = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="orders")
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders_as_contact",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_owned"
    )
    currency = models.CharField(max_length=3, editable=False)
    customer_po = models.CharField("customer PO", max_length=60, blank=True)
    # Frozen at conversion: later edits of the organization's addresses do not move an order.
    shipping_address = models.TextField(blank=True)
    billing_address = models.TextField(blank=True)
    terms = models.TextField(blank=True)
    payment_terms = models.CharField(max_length=16, editable=False)
    # Completed during `pending` (the staging step between quote and order).
    delivery_contact_name = models.CharField(max_length=150, blank=True)
    delivery_contact_phone = models.CharField(max_length=40, blank=True)
    delivery_window = models.CharField(
        max_length=100, blank=True, help_text="e.g. weekdays 7:00–15:00"
    )
    site_requirements = models.TextField(blank=True)
    installation_needed = models.BooleanField(default=False)
    internal_notes = models.TextField(blank=True)
    total = models.DecimalField(**MONEY, editable=False)
    order_revision = models.PositiveIntegerField(default=1, editable=False)
    design_approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    invoiced_amount = models.DecimalField(**MONEY, default=Decimal("0"), editable=False)
    paid_amount = models.DecimalField(**MONEY, default=Decimal("0"), editable=False)
    onboarding_done_at = models.DateTimeField(null=True, blank=True, editable=False)
    credit_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    state = FSMField(
        default=OrderState.PENDING, choices=OrderState.choices, protected=True, db_index=True
    )
    held_state = models.CharField(max_length=20, blank=True, editable=False)
    cancellation_reason = models.TextField(blank=True, editable=False)
    cancellation_charges = models.DecimalField(
        **MONEY,
        default=Decimal("0"),
        editable=False,
        help_text="Charged to the customer for work done before a cancellation in production.",
    )
    # Stored for lists (shown and sortable without reading the lines); kept right
    # by apps.orders.services.orders.order_refresh_totals.
    line_count = models.PositiveIntegerField(default=0, editable=False)
    next_forecast_date = models.DateField(null=True, blank=True, editable=False)
    last_forecast_date = models.DateField(null=True, blank=True, editable=False)
    # Lines whose forecast is after their first promise (kept by order_refresh_totals).
    at_risk_count = models.PositiveIntegerField(default=0, editable=False)
    # The earliest and latest date the customer has been told (OrderLine.customer_date):
    # what the portal's lists show and sort by, never an unreleased forecast.
    customer_next_date = models.DateField(null=True, blank=True, editable=False)
    customer_last_date = models.DateField(null=True, blank=True, editable=False)
    # Set by order_expedite: the order's lines go first in promise order, the
    # earliest expedite first, so re-plans give them supply before others.
    expedited_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "state"]),
            # The portal dashboard's open orders, soonest expected first (told dates).
            models.Index(
                fields=["customer", "customer_last_date", "number"],
                name="order_customer_told_idx",
            ),
            models.Index(fields=["-created_at", "-id"], name="order_created_idx"),
            models.Index(fields=["state", "-created_at", "-id"], name="order_state_created_idx"),
            models.Index(
                fields=["customer", "-created_at", "-id"], name="order_customer_created_idx"
            ),
            models.Index(fields=["total", "id"], name="order_total_idx"),
            models.Index(fields=["next_forecast_date", "id"], name="order_next_forecast_idx"),
        ]
        permissions = [("transition_salesorder", "Can move sales orders through their workflow")]

    def __str__(self) -> str:
        return self.number

    @property
    def payment_terms_label(self) -> str:
        try:
            return PaymentTerms(self.payment_terms).label
        except ValueError:
            return self.payment_terms

    # -- conditions ---------------------------------------------------------

    # Field → what a person calls it when it is missing, in the order shown.
    CONFIRMATION_FIELDS = {
        "shipping_address": "shipping address",
        "billing_address": "billing address",
        "customer_po": "customer PO reference",
        "delivery_contact_name": "delivery contact",
    }

    def missing_for_confirmation(self) -> list[str]:
        return [
            label
            for name, label in self.CONFIRMATION_FIELDS.items()
            if not getattr(self, name).strip()
        ]

    @condition(
        lambda order: (
            "order data is incomplete (missing: "
            + ", ".join(order.missing_for_confirmation())
            + ")"
        )
    )
    def is_data_complete(self) -> bool:
        return not self.missing_for_confirmation()

    def open_exposure(self) -> Decimal:
        """This order plus the customer's other open, unpaid orders."""
        others = (
            SalesOrder.objects.filter(customer_id=self.customer_id, state__in=ORDER_OPEN_STATES)
            .exclude(pk=self.pk)
            .aggregate(t=models.Sum(models.F("total") - models.F("paid_amount")))["t"]
        )
        return self.total + (others or Decimal("0"))

    @condition(
        "the customer's open orders would exceed its credit limit (finance can approve an override)"
    )
    def passes_credit_check(self) -> bool:
        limit = self.customer.credit_limit
        if limit is None or self.credit_override_by_id:
            return True
        return self.open_exposure() <= limit

    @condition("the order has no design-to-order lines")
    def has_design_lines(self) -> bool:
        return self.lines.filter(fulfillment_mode=FulfillmentMode.DTO).exists()

    @condition("design-to-order lines must go through design first")
    def has_no_design_lines(self) -> bool:
        return not self.has_design_lines()

    @condition("the design has not been approved by the customer")
    def is_design_approved(self) -> bool:
        return self.design_approved_at is not None

    @condition("the order is not fully invoiced, paid and onboarded")
    def is_settled(self) -> bool:
        return (
            self.invoiced_amount >= self.total
            and self.paid_amount >= self.total
            and self.onboarding_done_at is not None
        )

    # -- transitions ----------------------------------------------------------

    @transition(
        field=state,
        source=OrderState.PENDING,
        target=OrderState.CONFIRMED,
        conditions=[is_data_complete, passes_credit_check],
        permission=rules.can_confirm_order,
    )
    def confirm(self):
        pass

    @transition(
        field=state,
        source=OrderState.CONFIRMED,
        target=OrderState.IN_DESIGN,
        conditions=[has_design_lines],
        permission=rules.can_engineer,
    )
    def start_design(self):
        pass

    @transition(
        field=state,
        source=OrderState.CONFIRMED,
        target=OrderState.PLANNED,
        conditions=[has_no_design_lines],
        permission=rules.can_plan,
    )
    def plan(self):
        pass

    @transition(
        field=state,
        source=OrderState.IN_DESIGN,
        target=OrderState.PLANNED,
        conditions=[is_design_approved],
        permission=rules.can_plan,
    )
    def plan_after_design(self):
        pass

    @transition(
        field=state,
        source=OrderState.PLANNED,
        target=OrderState.IN_PRODUCTION,
        permission=rules.can_produce,
    )
    def start_production(self):
        pass

    @transition(
        field=state,
        source=OrderState.IN_PRODUCTION,
        target=OrderState.READY_TO_SHIP,
        permission=rules.can_produce,
    )
    def mark_ready_to_ship(self):
        pass

    @transition(
        field=state,
        source=[OrderState.READY_TO_SHIP, OrderState.PARTIALLY_SHIPPED],
        target=OrderState.PARTIALLY_SHIPPED,
        permission=rules.can_ship,
    )
    def ship_partially(self):
        pass

    @transition(
        field=state,
        source=[OrderState.READY_TO_SHIP, OrderState.PARTIALLY_SHIPPED],
        target=OrderState.SHIPPED,
        permission=rules.can_ship,
    )
    def ship(self):
        pass

    @transition(
        field=state,
        source=OrderState.SHIPPED,
        target=OrderState.DELIVERED,
        permission=rules.can_ship,
    )
    def deliver(self):
        pass

    @transition(
        field=state,
        source=OrderState.DELIVERED,
        target=OrderState.CLOSED,
        conditions=[is_settled],
        permission=rules.can_close,
    )
    def close(self):
        pass

    @transition(
        field=state,
        source=list(ORDER_ACTIVE_STATES),
        target=OrderState.ON_HOLD,
        permission=rules.can_hold,
    )
    def hold(self):
        self.held_state = self.state

    @transition(
        field=state,
        source=OrderState.ON_HOLD,
        target=GET_STATE(lambda self: self._release_to, states=list(ORDER_ACTIVE_STATES)),
        permission=rules.can_hold,
    )
    def release(self):
        # django-fsm computes the target after this body runs: keep it aside.
        self._release_to = self.held_state
        self.held_state = ""

    @transition(
        field=state,
        source=list(ORDER_CANCELLABLE_STATES | ORDER_CANCELLABLE_IN_PRODUCTION),
        target=OrderState.CANCELLED,
        permission=rules.can_cancel_order,
    )
    def cancel(self):
        pass


class OrderLine(UUIDModel):
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    quote_line = models.OneToOneField(
        QuoteLine, null=True, on_delete=models.SET_NULL, related_name="order_line"
    )
    position = models.PositiveIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    # Frozen copies: a later catalog change must not alter what was sold.
    product_sku = models.CharField(max_length=40)
    product_name = models.CharField(max_length=200)
    fulfillment_mode = models.CharField(max_length=3, choices=FulfillmentMode.choices)
    configuration = models.JSONField(default=dict)
    configuration_text = models.TextField(blank=True)
    quantity = models.PositiveIntegerField()
    unit_list_price = models.DecimalField(**MONEY)
    discount_percent = models.DecimalField(**PERCENT)
    unit_price = models.DecimalField(**MONEY)
    unit_cost = models.DecimalField(**MONEY)
    line_total = models.DecimalField(**MONEY)
    scope_statement = models.TextField(blank=True)
    custom_spec = models.TextField(blank=True)
    # The three dates: what the customer asked, what we first promised, what we now expect.
    requested_date = models.DateField(null=True, blank=True)
    first_promised_date = models.DateField()
    forecast_date = models.DateField()
    critical_path = models.TextField(blank=True)
    # Forecast after first promise: the line is at risk (apps.orders.forecasts keeps it).
    at_risk = models.BooleanField(default=False, editable=False)
    # The forecast the customer has been told; None means the first promise still stands.
    customer_forecast_date = models.DateField(null=True, blank=True, editable=False)
    # A new forecast the customer has not been told yet is released to them at this
    # time unless staff confirm (or correct) it first; None when nothing is pending.
    forecast_release_due = models.DateTimeField(null=True, blank=True, editable=False)
    # What the at-risk page and panels read without joining the order or the moves
    # (apps.orders.risk keeps them, with the AtRiskTally counters): the latest
    # move's cause (a SlipCause, "" before any move), whether the line is at risk
    # on an order not yet delivered/closed/cancelled, and, while it is, the order's owner
    # and customer (the page's rep and customer filters read their own partial index).
    slip_cause = models.CharField(max_length=24, blank=True, default="", editable=False)
    risk_open = models.BooleanField(default=False, editable=False)
    risk_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
    )
    risk_customer = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
    )

    class Meta:
        ordering = ["order", "position"]
        indexes = [
            # The at-risk page (apps.orders.selectors.at_risk_lines): open lines at
            # risk, soonest promise first; and a rep's own.
            models.Index(
                fields=["first_promised_date", "id"],
                condition=models.Q(risk_open=True),
                name="orderline_risk_open_idx",
            ),
            models.Index(
                fields=["risk_owner", "first_promised_date", "id"],
                condition=models.Q(risk_open=True),
                name="orderline_risk_owner_idx",
            ),
            models.Index(
                fields=["risk_customer", "first_promised_date", "id"],
                condition=models.Q(risk_open=True),
                name="orderline_risk_customer_idx",
            ),
            # The at-risk page: open lines whose forecast is after their promise.
            models.Index(
                fields=["first_promised_date", "id"],
                condition=models.Q(at_risk=True),
                name="orderline_at_risk_idx",
            ),
            # The release task: forecasts waiting to be told to the customer.
            models.Index(
                fields=["forecast_release_due"],
                condition=models.Q(forecast_release_due__isnull=False),
                name="orderline_release_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.number}/{self.position} {self.product_sku} × {self.quantity}"

    @property
    def slip_days(self) -> int:
        return (self.forecast_date - self.first_promised_date).days

    @property
    def customer_date(self):
        """The delivery date the customer sees: the last forecast released to them."""
        return self.customer_forecast_date or self.first_promised_date

    @property
    def customer_slip_days(self) -> int:
        """How far the date the customer was told is from the first promise."""
        return (self.customer_date - self.first_promised_date).days


class AtRiskTally(models.Model):
    """How many open lines at risk an owner has per cause, and how many of them
    the customer has not been told yet: the at-risk page's summary and the
    dashboards' counts, kept in the same transaction as the lines by
    apps.orders.risk (`risk_tally_recompute` rebuilds it from the lines)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    cause = models.CharField(max_length=24, blank=True)
    lines = models.IntegerField(default=0)
    not_told = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "cause"], name="atrisktally_owner_cause_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.cause or '-'}: {self.lines} ({self.not_told} not told)"


class OrderLineComponent(models.Model):
    """The configured BOM exploded at conversion: what this line needs, level by level."""

    id = models.BigAutoField(primary_key=True)
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="components")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    level = models.PositiveSmallIntegerField()
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+")
    part_number = models.CharField(max_length=40)
    part_name = models.CharField(max_length=200)
    part_kind = models.CharField(max_length=16)
    uom = models.CharField(max_length=10)
    quantity_per = models.DecimalField(**QTY)
    quantity = models.DecimalField(**QTY)
    unit_cost = models.DecimalField(**MONEY)
    from_option = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["line", "id"]

    def __str__(self) -> str:
        return f"{self.line} ← {self.quantity} × {self.part_number}"


class SlipCause(models.TextChoices):
    """Why a line's forecast moved (the internal words are in `reason`)."""

    CONVERSION = "conversion", "Re-promised at conversion"
    RECEIPT_MOVED = "receipt_moved", "Supplier receipt moved"
    RECEIPT_CANCELLED = "receipt_cancelled", "Supplier receipt cancelled"
    CAPACITY = "capacity", "Work-center capacity changed"
    CLOSURE = "closure", "Work-center closure"
    EXPEDITE = "expedite", "Another order expedited"
    CHANGE_REQUEST = "change_request", "Change request"
    REPLAN = "replan", "Nightly re-plan"
    MANUAL = "manual", "Moved by staff"


class OrderLineDateChange(models.Model):
    """A move of an order line's forecast date, with why.

    `reason` says it in internal words (suppliers, work centers); the customer
    reads `customer_text` only, and only once the move is released to them
    (`released_at`), after staff confirm it or after the configured delay.
    """

    id = models.BigAutoField(primary_key=True)
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="date_changes")
    old_date = models.DateField()
    new_date = models.DateField()
    reason = models.TextField()
    cause = models.CharField(max_length=24, choices=SlipCause.choices, default=SlipCause.MANUAL)
    customer_text = models.CharField(max_length=300, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    plan_run = models.ForeignKey(
        "orders.PlanRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="date_changes",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["line", "created_at"]
        indexes = [
            # A line's latest move and its cause (selectors.latest_slip_cause) in one
            # index-only probe: no sort of the line's moves, no heap fetch.
            models.Index(
                fields=["line", "-created_at", "-id"],
                include=["cause"],
                name="datechange_line_latest_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.line}: {self.old_date} → {self.new_date}"

    @property
    def slip_days(self) -> int:
        return (self.new_date - self.old_date).days


class PlanRunKind(models.TextChoices):
    TARGETED = "targeted", "Affected lines"
    FULL = "full", "All open lines"


class PlanRunState(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class PlanRun(models.Model):
    """One re-plan of open order lines: what started it, how far it got, what moved.

    A full run walks every open line in batches and shows its progress; only one
    full run may be running at a time (a second start is refused and says so).
    """

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=10, choices=PlanRunKind.choices)
    cause = models.CharField(max_length=24, choices=SlipCause.choices)
    cause_text = models.CharField(max_length=300, blank=True)
    state = models.CharField(
        max_length=10, choices=PlanRunState.choices, default=PlanRunState.RUNNING
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    slipped = models.PositiveIntegerField(default=0)
    improved = models.PositiveIntegerField(default=0)
    at_risk = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["-started_at", "-id"], name="planrun_started_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind="full", state="running"),
                name="one_full_replan_running",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} re-plan #{self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.done / self.total))


class SalesOrderUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(SalesOrder, on_delete=models.CASCADE)


class SalesOrderGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(SalesOrder, on_delete=models.CASCADE)
