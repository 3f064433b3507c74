from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django_fsm import FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps.accounts.models import Organization
from apps.core.models import ConcurrentTransitionMixin, UUIDModel, VersionedModel
from apps.core.prefetch import prefetched_rows
from apps.core.transitions import condition
from apps.orders.models import rules
from apps.orders.models.order import OrderState, SalesOrder
from apps.orders.models.quote import MONEY, Quote


class ChangeState(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    ASSESSING = "assessing", "Assessing"
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    APPLIED = "applied", "Applied"


CHANGE_OPEN_STATES = frozenset(
    {ChangeState.SUBMITTED, ChangeState.ASSESSING, ChangeState.PROPOSED, ChangeState.APPROVED}
)


# An order from these states on has work done that a change may not undo.
ORDER_STARTED_STATES = frozenset(
    {OrderState.IN_PRODUCTION, OrderState.READY_TO_SHIP, OrderState.PARTIALLY_SHIPPED}
)
ORDER_SHIPPED_STATES = frozenset(
    {OrderState.SHIPPED, OrderState.DELIVERED, OrderState.CLOSED, OrderState.CANCELLED}
)


def _work_state(order: SalesOrder) -> str:
    """Where the order's work is: its state, or the state it was held in."""
    return order.held_state if order.state == OrderState.ON_HOLD else order.state


class ChangeOrigin(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    INTERNAL = "internal", "Internal"


class ChangeDecider(models.TextChoices):
    """Who decides a proposal; fixed when it is proposed (DESIGN §4)."""

    CUSTOMER = "customer", "The customer"
    SALES_MANAGER = "sales_manager", "A sales manager"


class ChangeRequest(ConcurrentTransitionMixin, VersionedModel, UUIDModel):
    number = models.CharField(max_length=20, unique=True, editable=False)
    quote = models.ForeignKey(
        Quote, null=True, blank=True, on_delete=models.CASCADE, related_name="change_requests"
    )
    order = models.ForeignKey(
        SalesOrder,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="change_requests",
    )
    customer = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(max_length=10, choices=ChangeOrigin.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="change_requests"
    )
    title = models.CharField(max_length=200)
    description = models.TextField()
    # Filled while assessing.
    engineering_assessment = models.TextField(blank=True)
    manufacturing_assessment = models.TextField(blank=True)
    cost_delta = models.DecimalField(**MONEY, default=Decimal("0"))
    price_delta = models.DecimalField(**MONEY, default=Decimal("0"))
    date_delta_days = models.IntegerField(default=0)
    # The line changes to apply: [{"line": "<uuid>", "quantity": 3, "configuration": {...}}]
    proposed_changes = models.JSONField(default=list, blank=True)
    # Derived from the assessment by the service (re-pricing and re-promising
    # the changed lines); they decide who must decide and who may propose.
    line_price_delta = models.DecimalField(**MONEY, default=Decimal("0"))
    # The rolled-up cost of the re-priced lines minus their cost now (staff only).
    line_cost_delta = models.DecimalField(**MONEY, default=Decimal("0"))
    # The re-promised lines: [{"position": 10, "from": "2026-11-30", "to": "2026-12-04"}].
    line_dates = models.JSONField(default=list, blank=True, editable=False)
    # Wider than PERCENT: a re-priced line can lose far more than 999 %.
    lowest_margin_percent = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True
    )
    moves_agreed_dates = models.BooleanField(default=False)
    proposed_at = models.DateTimeField(null=True, blank=True)
    decider = models.CharField(max_length=16, choices=ChangeDecider.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    state = FSMField(
        default=ChangeState.SUBMITTED, choices=ChangeState.choices, protected=True, db_index=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="change_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(quote__isnull=False, order__isnull=True)
                    | models.Q(quote__isnull=True, order__isnull=False)
                ),
                name="change_request_on_quote_or_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def target(self):
        return self.order or self.quote

    @property
    def total_price_delta(self) -> Decimal:
        return self.line_price_delta + self.price_delta

    @property
    def date_moves(self) -> list[dict]:
        """Each re-promised line's forecast now and the date the change would give it."""
        moves = []
        for item in self.line_dates:
            old = dt.date.fromisoformat(item["from"]) if item.get("from") else None
            new = dt.date.fromisoformat(item["to"])
            days = (new - old).days if old else None
            moves.append({"position": item["position"], "old": old, "new": new, "days": days})
        return moves

    @property
    def total_cost_delta(self) -> Decimal:
        """Computed from the re-priced lines, plus what the assessment adds (staff only)."""
        return self.line_cost_delta + self.cost_delta

    @property
    def changes_price_or_agreed_dates(self) -> bool:
        return bool(self.total_price_delta or self.date_delta_days or self.moves_agreed_dates)

    @property
    def is_customer_visible(self) -> bool:
        """A customer's own request throughout; an internal one once proposed."""
        return self.origin == ChangeOrigin.CUSTOMER or self.proposed_at is not None

    def work_done_reads_lines(self) -> bool:
        """Whether work_done_conflicts reads the order's lines (its work has started)."""
        order = self.order
        return bool(
            order is not None
            and self.proposed_changes
            and _work_state(order) in ORDER_STARTED_STATES
        )

    def work_done_conflicts(self) -> list[str]:
        """Why the proposed line changes can no longer be applied to the order, if so."""
        order = self.order
        if order is None or not self.proposed_changes:
            return []
        state = _work_state(order)
        if state in ORDER_SHIPPED_STATES:
            return [f"{order.number} is {OrderState(state).label.lower()}"]
        if state not in ORDER_STARTED_STATES:
            return []
        # The list loads the page's lines as a plain list (prefetch_rows): one query,
        # no manager or queryset per order.
        rows = prefetched_rows(order, "lines")
        lines = {str(line.pk): line for line in (order.lines.all() if rows is None else rows)}
        problems = []
        for change in self.proposed_changes:
            line = lines.get(str(change.get("line")))
            if line is None:
                continue
            if "configuration" in change and change["configuration"] != line.configuration:
                problems.append(f"line {line.position} is in production (configuration)")
            if change.get("quantity") is not None and change["quantity"] < line.quantity:
                problems.append(f"line {line.position} is in production (quantity decrease)")
            if "scope_statement" in change and change["scope_statement"] != line.scope_statement:
                problems.append(f"line {line.position} is in production (scope)")
        return problems

    @condition(
        "the change conflicts with work already done (lines in production or shipped); "
        "only quantity increases can still be applied"
    )
    def fits_work_done(self) -> bool:
        return not self.work_done_conflicts()

    @condition("engineering and manufacturing assessments are both needed")
    def is_assessed(self) -> bool:
        return bool(self.engineering_assessment.strip() and self.manufacturing_assessment.strip())

    @transition(
        field=state,
        source=ChangeState.SUBMITTED,
        target=ChangeState.ASSESSING,
        permission=rules.can_assess_change,
    )
    def start_assessment(self):
        pass

    @transition(
        field=state,
        source=ChangeState.ASSESSING,
        target=ChangeState.PROPOSED,
        conditions=[is_assessed],
        permission=rules.can_propose_change,
    )
    def propose(self):
        pass

    @transition(
        field=state,
        source=ChangeState.PROPOSED,
        target=ChangeState.APPROVED,
        permission=rules.can_approve_change,
    )
    def approve(self):
        pass

    @transition(
        field=state,
        source=ChangeState.PROPOSED,
        target=ChangeState.REJECTED,
        permission=rules.can_reject_change,
    )
    def reject(self):
        pass

    @transition(
        field=state,
        source=ChangeState.APPROVED,
        target=ChangeState.APPLIED,
        conditions=[fits_work_done],
        permission=rules.can_apply_change,
    )
    def apply(self):
        pass


class ChangeRequestUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE)


class ChangeRequestGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE)
