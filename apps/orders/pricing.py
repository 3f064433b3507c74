"""Line pricing: configured price, quantity breaks, discount limits, margin floor."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from apps.accounts.roles import Role
from apps.catalog.configuration import Configuration
from apps.core.limits import MARGIN_LIMIT, MONEY_LIMIT

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LinePrice:
    unit_list_price: Decimal  # configured price after the quantity break
    break_percent: Decimal
    discount_percent: Decimal
    unit_price: Decimal
    unit_cost: Decimal
    line_total: Decimal
    margin_percent: Decimal


class PricingError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(" ".join(v) for v in errors.values()))
        self.errors = errors


def discount_limit(user) -> Decimal:
    """The largest discount `user` may give without a pricing review."""
    limits = settings.TANDEM_DISCOUNT_LIMITS
    best = Decimal("0")
    for role in (Role.SALES_REP, Role.SALES_MANAGER):
        if user is not None and user.has_role(role):
            best = max(best, Decimal(str(limits.get(role, 0))))
    return best


def margin_floor() -> Decimal:
    return Decimal(str(settings.TANDEM_MARGIN_FLOOR_PERCENT))


def quantity_break_percent(product, quantity: int) -> Decimal:
    best = Decimal("0")
    for pb in product.price_breaks.all():
        if pb.min_quantity <= quantity:
            best = max(best, pb.discount_percent)
    return best


def price_line(
    *, configuration: Configuration, quantity: int, discount_percent: Decimal
) -> LinePrice:
    errors: dict[str, list[str]] = {}
    if discount_percent < 0 or discount_percent >= HUNDRED:
        errors["discount_percent"] = ["A discount must be at least 0 % and below 100 %."]
    configured = configuration.unit_list_price
    if configured < 0:
        errors["configuration"] = ["This configuration gives a negative price."]
    if errors:
        raise PricingError(errors)
    break_pct = quantity_break_percent(configuration.product, quantity)
    unit_list = _money(configured * (HUNDRED - break_pct) / HUNDRED)
    unit_price = _money(unit_list * (HUNDRED - discount_percent) / HUNDRED)
    unit_cost = _money(configuration.unit_cost)
    total = _money(unit_price * quantity)
    margin = (
        _money((unit_price - unit_cost) / unit_price * HUNDRED) if unit_price else Decimal("-100")
    )
    _check_representable(
        unit_list=unit_list,
        unit_cost=unit_cost,
        total=total,
        margin=margin,
        discount=discount_percent,
    )
    return LinePrice(unit_list, break_pct, discount_percent, unit_price, unit_cost, total, margin)


def _check_representable(*, unit_list, unit_cost, total, margin, discount) -> None:
    """Refuse a line whose numbers its columns cannot hold (an overflow would be a 500)."""
    errors: dict[str, list[str]] = {}
    if unit_list >= MONEY_LIMIT or unit_cost >= MONEY_LIMIT:
        errors["configuration"] = ["This configuration's unit price is beyond what can be quoted."]
    elif total >= MONEY_LIMIT:
        errors["quantity"] = [
            f"The line total would reach {MONEY_LIMIT:,.0f} or more: lower the quantity."
        ]
    elif abs(margin) >= MARGIN_LIMIT:
        # A price a thousandth of the cost: the margin (−99,999 % and below)
        # has no meaning and no column to go in.
        field = "discount_percent" if discount else "configuration"
        errors[field] = ["This price is so far below the cost that its margin cannot be recorded."]
    if errors:
        raise PricingError(errors)
