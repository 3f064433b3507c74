from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps.accounts.models import Organization
from apps.core.models import UUIDModel, VersionedModel
from apps.core.transitions import condition
from apps.orders.models import rules
from apps.orders.models.order import SalesOrder
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


class ChangeOrigin(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    INTERNAL = "internal", "Internal"


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
        permission=rules.can_decide_change,
    )
    def approve(self):
        pass

    @transition(
        field=state,
        source=ChangeState.PROPOSED,
        target=ChangeState.REJECTED,
        permission=rules.can_decide_change,
    )
    def reject(self):
        pass

    @transition(
        field=state,
        source=ChangeState.APPROVED,
        target=ChangeState.APPLIED,
        permission=rules.can_apply_change,
    )
    def apply(self):
        pass


class ChangeRequestUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE)


class ChangeRequestGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE)
