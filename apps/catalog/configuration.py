"""Validating a product configuration against its option groups and rules.

A configuration is a mapping of option-group code to the chosen option code
(or a list of codes for groups that allow several). Every problem is reported
against the group it concerns, so forms and the API can show it next to the
right field.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from apps.catalog.models import ConfigurationRule, Option, OptionGroup, Product, RuleKind
from apps.core.limits import QUANTITY_MAX
from apps.core.prepared import prepared_objects


class ConfigurationError(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class Configuration:
    product: Product
    quantity: int
    options: list[Option] = field(default_factory=list)

    @property
    def selections(self) -> dict[str, str | list[str]]:
        out: dict[str, str | list[str]] = {}
        for option in self.options:
            group = option.group
            if group.allow_multiple:
                out.setdefault(group.code, [])
                out[group.code].append(option.code)  # type: ignore[union-attr]
            else:
                out[group.code] = option.code
        return out

    @property
    def unit_list_price(self) -> Decimal:
        return self.product.base_price + sum((o.price_delta for o in self.options), Decimal("0"))

    @property
    def unit_cost(self) -> Decimal:
        """The rolled-up BOM cost of one unit in a lot of `quantity` (apps.catalog.costing)."""
        from apps.catalog.costing import rolled_up_unit_cost

        if not hasattr(self, "_unit_cost"):
            self._unit_cost = rolled_up_unit_cost(
                product=self.product, options=self.options, quantity=self.quantity
            )
        return self._unit_cost

    @property
    def needs_engineering(self) -> bool:
        return any(o.requires_engineering for o in self.options)

    @property
    def description(self) -> str:
        return ", ".join(f"{o.group.name}: {o.name}" for o in self.options)


def _as_codes(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def configuration_validate(
    *, product: Product, selections: dict | None, quantity: int
) -> Configuration:
    """Return the validated configuration or raise ConfigurationError with per-field errors."""
    errors: dict[str, list[str]] = defaultdict(list)
    selections = selections or {}
    if not isinstance(selections, dict):
        raise ConfigurationError({"configuration": ["Send an object of group → option codes."]})

    groups = {g.code: g for g in prepared_objects(_groups_query, (), [product.pk])}
    by_group: dict = defaultdict(list)
    for option in _options_of(product, groups.values()):
        by_group[option.group_id].append(option)
    for code in selections:
        if code not in groups:
            errors[code].append(f"{product.name} has no option group “{code}”.")

    chosen: list[Option] = []
    for code, group in groups.items():
        codes = _as_codes(selections.get(code))
        options = {o.code: o for o in by_group[group.pk] if o.is_active}
        if not codes:
            defaults = [o for o in options.values() if o.is_default]
            if group.is_required and not defaults:
                errors[code].append(f"Choose a {group.name.lower()}.")
            chosen.extend(defaults[:1] if not group.allow_multiple else defaults)
            continue
        if len(codes) > 1 and not group.allow_multiple:
            errors[code].append(f"Choose only one {group.name.lower()}.")
            continue
        for option_code in codes:
            if option_code not in options:
                errors[code].append(f"“{option_code}” is not an available {group.name.lower()}.")
            else:
                chosen.append(options[option_code])

    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        errors["quantity"].append("Quantity must be a whole number of at least 1.")
    else:
        if quantity < product.min_quantity:
            errors["quantity"].append(f"The minimum quantity is {product.min_quantity}.")
        if product.max_quantity and quantity > product.max_quantity:
            errors["quantity"].append(f"The maximum quantity is {product.max_quantity}.")
        elif quantity > QUANTITY_MAX:
            errors["quantity"].append(f"The maximum quantity on one line is {QUANTITY_MAX:,}.")

    if not errors:
        _check_rules(product, chosen, quantity, errors)
    if errors:
        raise ConfigurationError(dict(errors))
    return Configuration(product=product, quantity=quantity, options=chosen)


# Every line priced reads its product's groups, options and rules: their SQL compiled
# once (apps.core.prepared), the rows read each time.


def _groups_query(slots: list):
    return OptionGroup.objects.filter(product_id__in=slots)


def _options_query(slots: list):
    return Option.objects.filter(group__product_id__in=slots)


def _options_of(product, groups) -> list[Option]:
    """The product's options (every group's, in the groups' own order), each with its
    group (the instance of `groups`: what a configuration's text and selections read)."""
    by_id = {g.pk: g for g in groups}
    options = prepared_objects(_options_query, (), [product.pk]) if by_id else []
    for option in options:
        option.group = by_id[option.group_id]
    return options


def _rules_query(slots: list):
    return ConfigurationRule.objects.filter(product_id__in=slots).select_related(
        "option__group", "other__group"
    )


def _check_rules(product, chosen: list[Option], quantity: int, errors) -> None:
    chosen_ids = {o.pk for o in chosen}
    rules = prepared_objects(_rules_query, (), [product.pk])
    for rule in rules:
        applies = rule.option_id is None or rule.option_id in chosen_ids
        if not applies:
            continue
        if rule.kind == RuleKind.REQUIRES and rule.other_id not in chosen_ids:
            errors[rule.option.group.code].append(
                rule.message or f"{rule.option.name} requires {rule.other.name}."
            )
        elif rule.kind == RuleKind.EXCLUDES and rule.other_id in chosen_ids:
            errors[rule.option.group.code].append(
                rule.message or f"{rule.option.name} cannot be combined with {rule.other.name}."
            )
        elif rule.kind == RuleKind.QUANTITY:
            low, high = rule.min_quantity, rule.max_quantity
            if (low is not None and quantity < low) or (high is not None and quantity > high):
                what = rule.option.name if rule.option else product.name
                errors["quantity"].append(
                    rule.message or f"{what} is available {_quantity_bounds(low, high)} units."
                )


# -- what a configurator offers -------------------------------------------------


@dataclass(frozen=True)
class OptionChoice:
    """One option as a configurator shows it, given what else is chosen.

    `reason`: why it cannot be chosen now (an exclusion by a chosen option, or a
    quantity rule); "" when it is offered. `needs`: what choosing it requires, so
    the page can say so before the rule is broken.
    """

    option: Option
    reason: str = ""
    needs: tuple[str, ...] = ()

    @property
    def offered(self) -> bool:
        return not self.reason


def _chosen_ids(groups, selections: dict) -> dict[str, set]:
    """Per group code, the ids of the chosen active options (the defaults when none is)."""
    out: dict[str, set] = {}
    for group in groups:
        codes = set(_as_codes(selections.get(group.code)))
        options = group.options.all()
        out[group.code] = {
            o.pk for o in options if o.is_active and (o.code in codes if codes else o.is_default)
        }
    return out


def _quantity_bounds(low, high) -> str:
    if low is not None and high is not None:
        return f"between {low} and {high}"
    return f"at least {low}" if low is not None else f"at most {high}"


def option_choices(
    *, product: Product, selections: dict | None, quantity: int | None
) -> dict[str, list[OptionChoice]]:
    """Every active option of every group of `product`, offered or not, with why.

    An option is not offered when a chosen option of another group excludes it
    (or it excludes one), or when a quantity rule on it refuses `quantity`. A
    REQUIRES rule does not hide the option: the other choice can still be made,
    so the option carries `needs` and configuration_validate explains the broken
    rule next to its group until it is met.

    Reads the groups, their options and the rules through the product's
    prefetch (apps.catalog.selectors.product_with_options): no query per option.
    """
    groups = list(product.option_groups.all())
    chosen = _chosen_ids(groups, selections or {})
    rules = list(product.rules.all())
    out: dict[str, list[OptionChoice]] = {}
    for group in groups:
        others: set = set()
        for code, ids in chosen.items():
            if code != group.code or group.allow_multiple:
                others |= ids
        choices = []
        for option in group.options.all():
            if not option.is_active:
                continue
            reasons: list[str] = []
            needs: list[str] = []
            peers = others - {option.pk}
            for rule in rules:
                if rule.kind == RuleKind.EXCLUDES:
                    if rule.option_id == option.pk and rule.other_id in peers:
                        reasons.append(
                            rule.message or f"Cannot be combined with {rule.other.name}."
                        )
                    elif rule.other_id == option.pk and rule.option_id in peers:
                        reasons.append(
                            rule.message or f"{rule.option.name} cannot be combined with it."
                        )
                elif rule.kind == RuleKind.REQUIRES and rule.option_id == option.pk:
                    needs.append(rule.other.name)
                elif (
                    rule.kind == RuleKind.QUANTITY
                    and rule.option_id == option.pk
                    and isinstance(quantity, int)
                ):
                    low, high = rule.min_quantity, rule.max_quantity
                    if (low is not None and quantity < low) or (
                        high is not None and quantity > high
                    ):
                        reasons.append(
                            rule.message
                            or f"{option.name} is available {_quantity_bounds(low, high)} units."
                        )
            choices.append(OptionChoice(option, " ".join(reasons), tuple(needs)))
        out[group.code] = choices
    return out
