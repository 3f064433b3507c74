"""Who may fire which transition. django-fsm calls these as permission(instance, user).

The Celery beat task acts as SYSTEM; no person can fire system-only transitions.
"""

from __future__ import annotations

from apps.accounts.roles import SALES_ROLES, Role


class _System:
    is_authenticated = True
    is_active = True
    is_external = False
    is_superuser = False
    pk = None

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()

REVIEW_ROLES = {
    "engineering": Role.ENGINEER,
    "manufacturing": Role.PLANNER,
    "purchasing": Role.BUYER,
    "pricing": Role.SALES_MANAGER,
}


def _internal_with(user, *roles) -> bool:
    if user is None or user is SYSTEM or not user.is_authenticated or not user.is_active:
        return False
    if user.is_external:
        return False
    return user.is_superuser or user.has_role(*roles)


def _contact_of(user, customer_id) -> bool:
    return bool(
        user is not None
        and user is not SYSTEM
        and user.is_authenticated
        and user.is_active
        and user.is_customer_contact
        and user.organization.pk == customer_id
    )


def is_system(instance, user) -> bool:
    return user is SYSTEM


def can_sell(instance, user) -> bool:
    return _internal_with(user, *SALES_ROLES)


def can_decide_for_customer(instance, user) -> bool:
    """The customer accepts or declines; sales may record the customer's answer."""
    return _internal_with(user, *SALES_ROLES) or _contact_of(user, instance.customer_id)


def holds_review_role(user, department: str) -> bool:
    """`user` holds the role that decides `department`'s reviews (the quote may still
    be theirs: see can_review)."""
    return _internal_with(user, REVIEW_ROLES[department])


def can_review(review, user) -> bool:
    """A holder of the department's role who neither owns nor created the quote."""
    return holds_review_role(user, review.department) and not review.quote.is_owned_or_created_by(
        user
    )


def own_review_text(department: str, number: str) -> str:
    """The refusal of a review of a quote the user owns or created."""
    from apps.orders.models.quote import Department  # quote.py imports this module

    role = Role(REVIEW_ROLES[department]).label.lower()
    label = Department(department).label.lower()
    return f"You own or created {number}: another {role} must decide its {label} review."


def own_quote_review_refusal(review, user) -> str:
    """Why `user` may not decide `review`, when the reason is that the quote is theirs."""
    if not review.quote.is_owned_or_created_by(user):
        return ""
    return own_review_text(review.department, review.quote.number)


def can_confirm_order(order, user) -> bool:
    return _internal_with(user, Role.SALES_MANAGER, Role.FINANCE)


def can_engineer(order, user) -> bool:
    return _internal_with(user, Role.ENGINEER)


def can_plan(order, user) -> bool:
    return _internal_with(user, Role.PLANNER)


def can_produce(order, user) -> bool:
    return _internal_with(user, Role.PLANNER, Role.QUALITY)


def can_ship(order, user) -> bool:
    return _internal_with(user, Role.WAREHOUSE)


def can_override_credit(order, user) -> bool:
    return _internal_with(user, Role.FINANCE)


def can_close(order, user) -> bool:
    return _internal_with(user, Role.FINANCE)


def can_hold(order, user) -> bool:
    return _internal_with(user, Role.SALES_MANAGER, Role.FINANCE, Role.PLANNER)


def can_cancel_order(order, user) -> bool:
    return _internal_with(user, Role.SALES_MANAGER)


def can_assess_change(cr, user) -> bool:
    return _internal_with(user, Role.ENGINEER, Role.PLANNER, *SALES_ROLES)


def margin_needs_manager(cr) -> bool:
    from apps.orders.pricing import margin_floor

    low = getattr(cr, "lowest_margin_percent", None)
    return low is not None and low < margin_floor()


def can_propose_change(cr, user) -> bool:
    """Sales propose; a re-priced margin below the floor needs a sales manager."""
    if cr is not None and margin_needs_manager(cr):
        return _internal_with(user, Role.SALES_MANAGER)
    return _internal_with(user, *SALES_ROLES)


def can_approve_change(cr, user) -> bool:
    """The party fixed at proposal: the customer for price or agreed-date changes,
    otherwise a sales manager. The customer never decides what was not proposed."""
    from apps.orders.models.change import ChangeDecider

    if cr.decider == ChangeDecider.CUSTOMER:
        return cr.proposed_at is not None and _contact_of(user, cr.customer_id)
    if cr.decider == ChangeDecider.SALES_MANAGER:
        return _internal_with(user, Role.SALES_MANAGER)
    return False


def can_reject_change(cr, user) -> bool:
    """The decider rejects; a sales manager may also withdraw a proposal the customer
    has not answered (rejecting changes neither price nor dates)."""
    return can_approve_change(cr, user) or _internal_with(user, Role.SALES_MANAGER)


def can_apply_change(cr, user) -> bool:
    return _internal_with(user, Role.PLANNER, *SALES_ROLES)


def can_sell_or_system(instance, user) -> bool:
    """Approval happens by itself when the last review is approved (SYSTEM), or by sales."""
    return user is SYSTEM or can_sell(instance, user)
