"""Line pricing: configured price, quantity breaks, discount limits, margin floor.

A product's price list is its base price, option prices and quantity breaks,
all in the product's `currency`: a quote or order in another currency cannot
use it (no conversion is guessed). The cost is the rolled-up BOM cost of
apps.catalog.costing. `reprice_line` is the one way a quote line or an order
line gets its price from the list, whatever changed (quantity, configuration).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from apps.accounts.roles import Role
from apps.catalog.configuration import Configuration, ConfigurationError, configuration_validate
from apps.catalog.costing import CostingError
from apps.catalog.models import Product
from apps.core.errors import FieldErrors
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
    try:
        cost = configuration.unit_cost
    except CostingError as exc:
        raise PricingError({"configuration": [str(exc)]}) from None
    break_pct = quantity_break_percent(configuration.product, quantity)
    unit_list = _money(configured * (HUNDRED - break_pct) / HUNDRED)
    unit_price = _money(unit_list * (HUNDRED - discount_percent) / HUNDRED)
    unit_cost = _money(cost)
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


# -- price lists and their currency ------------------------------------------


def price_list_currencies() -> list[str]:
    """Currencies in which some active product has a price list."""
    return sorted(
        set(Product.objects.filter(is_active=True).values_list("currency", flat=True).distinct())
    )


def check_currency_has_price_list(currency: str) -> None:
    """Refuse a quote currency in which nothing can be priced."""
    available = price_list_currencies()
    if currency not in available:
        raise PricingError(
            {
                "currency": [
                    f"There is no price list in {currency}; quotes can be made in "
                    f"{', '.join(available) or 'no currency yet'}."
                ]
            }
        )


def check_product_currency(product: Product, currency: str) -> None:
    if product.currency != currency:
        raise PricingError(
            {
                "product": [
                    f"{product.name} has a price list in {product.currency} only; "
                    f"it cannot be priced in {currency}."
                ]
            }
        )


def _configuration_field_errors(exc: ConfigurationError) -> FieldErrors:
    errors: dict = {}
    rest = dict(exc.errors)
    quantity_errors = rest.pop("quantity", None)
    if rest:
        errors["configuration"] = rest
    if quantity_errors:
        errors["quantity"] = quantity_errors
    return FieldErrors(errors)


def price_from_list(
    *,
    product: Product,
    selections: dict | None,
    quantity: int,
    discount_percent: Decimal | int | str,
    currency: str,
) -> tuple[Configuration, LinePrice]:
    """Validate the configuration and price it from the price list in `currency`.

    Raises FieldErrors (a ValidationError) with per-field messages.
    """
    try:
        check_product_currency(product, currency)
        config = configuration_validate(product=product, selections=selections, quantity=quantity)
        return config, price_line(
            configuration=config, quantity=quantity, discount_percent=Decimal(discount_percent)
        )
    except ConfigurationError as exc:
        raise _configuration_field_errors(exc) from None
    except PricingError as exc:
        raise FieldErrors(exc.errors) from None


def reprice_line(
    line,
    *,
    currency: str,
    quantity: int | None = None,
    configuration: dict | None = None,
    discount_percent: Decimal | int | str | None = None,
) -> LinePrice:
    """(Re)price a QuoteLine or OrderLine from the price list, in place (not saved).

    The quantity-break price for the (new) quantity, then the line's discount,
    then the rolled-up cost and margin. Arguments left out keep the line's value.
    """
    quantity = line.quantity if quantity is None else quantity
    selections = line.configuration if configuration is None else configuration
    discount = line.discount_percent if discount_percent is None else discount_percent
    config, price = price_from_list(
        product=line.product,
        selections=selections,
        quantity=quantity,
        discount_percent=discount,
        currency=currency,
    )
    line.configuration = config.selections
    line.configuration_text = config.description
    line.quantity = quantity
    line.discount_percent = price.discount_percent
    line.unit_list_price = price.unit_list_price
    line.unit_price = price.unit_price
    line.unit_cost = price.unit_cost
    line.line_total = price.line_total
    if hasattr(line, "margin_percent"):
        line.margin_percent = price.margin_percent
    if hasattr(line, "needs_engineering"):
        line.needs_engineering = config.needs_engineering
    return price
