from __future__ import annotations

from decimal import Decimal

import pytest

from apps.catalog.configuration import ConfigurationError, configuration_validate
from tests.catalog.factories import configurable_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def skid():
    return configurable_product(sku="SKID-100", name="Pump skid", max_quantity=20)


def errors_of(product, selections, quantity=1) -> dict[str, list[str]]:
    with pytest.raises(ConfigurationError) as exc:
        configuration_validate(product=product, selections=selections, quantity=quantity)
    return exc.value.errors


def test_valid_configuration_prices_and_costs_the_chosen_options(skid):
    config = configuration_validate(
        product=skid,
        selections={"motor": "m10", "voltage": "v460", "extras": ["heater"]},
        quantity=3,
    )
    assert config.selections == {"motor": "m10", "voltage": "v460", "extras": ["heater"]}
    # 10000 base + 1500 + 200 + 300; cost 6000 + 900 + 120 + 150.
    assert config.unit_list_price == Decimal("12000.00")
    assert config.unit_cost == Decimal("7170.00")
    assert config.description == "Motor: 10 kW motor, Voltage: 460 V, Extras: Heater"
    assert config.needs_engineering is False


def test_base_configuration_prices_at_base(skid):
    config = configuration_validate(product=skid, selections={"voltage": "v230"}, quantity=1)
    assert config.unit_list_price == Decimal("10000.00")
    assert config.unit_cost == Decimal("6000.00")


def test_required_group_left_out_gets_its_default(skid):
    config = configuration_validate(product=skid, selections={"voltage": "v230"}, quantity=1)
    assert config.selections == {"motor": "m5", "voltage": "v230"}


def test_required_group_without_default_must_be_chosen(skid):
    assert errors_of(skid, {"motor": "m5"}) == {"voltage": ["Choose a voltage."]}


def test_unknown_group_is_reported_under_its_code(skid):
    errors = errors_of(skid, {"voltage": "v230", "paint": "red"})
    assert errors == {"paint": ["Pump skid has no option group “paint”."]}


def test_unknown_option_is_reported_against_its_group(skid):
    errors = errors_of(skid, {"voltage": "v999"})
    assert errors == {"voltage": ["“v999” is not an available voltage."]}


def test_inactive_option_cannot_be_chosen(skid):
    errors = errors_of(skid, {"voltage": "v575"})
    assert errors == {"voltage": ["“v575” is not an available voltage."]}


def test_two_options_in_a_single_choice_group_are_refused(skid):
    errors = errors_of(skid, {"voltage": ["v230", "v460"]})
    assert errors == {"voltage": ["Choose only one voltage."]}


def test_group_allowing_several_takes_a_list(skid):
    config = configuration_validate(
        product=skid, selections={"voltage": "v230", "extras": ["heater", "custom"]}, quantity=1
    )
    assert config.selections["extras"] == ["heater", "custom"]
    assert config.needs_engineering is True


def test_requires_rule_broken(skid):
    errors = errors_of(skid, {"motor": "m10", "voltage": "v230"})
    assert errors == {"motor": ["10 kW motor requires 460 V."]}


def test_excludes_rule_broken(skid):
    errors = errors_of(skid, {"voltage": "v230", "extras": ["heater", "coating"]})
    assert errors == {"extras": ["Epoxy coating cannot be combined with Heater."]}


def test_quantity_rule_on_an_option(skid):
    errors = errors_of(skid, {"motor": "m10", "voltage": "v460"}, quantity=6)
    assert errors == {"quantity": ["10 kW motor is available at most 5 units."]}
    # The same quantity is fine without that option.
    configuration_validate(product=skid, selections={"voltage": "v460"}, quantity=6)


def test_product_wide_quantity_rule_uses_its_message(skid):
    errors = errors_of(skid, {"voltage": "v230"}, quantity=11)
    assert errors == {"quantity": ["Skids ship at most 10 per order."]}


def test_product_min_and_max_quantity(skid):
    skid.min_quantity = 2
    skid.save()
    assert errors_of(skid, {"voltage": "v230"}, quantity=1) == {
        "quantity": ["The minimum quantity is 2."]
    }
    assert errors_of(skid, {"voltage": "v230"}, quantity=21) == {
        "quantity": ["The maximum quantity is 20."]
    }


@pytest.mark.parametrize("quantity", [0, -3, 1.5, "2", True, None])
def test_quantity_must_be_a_whole_number_of_at_least_one(skid, quantity):
    errors = errors_of(skid, {"voltage": "v230"}, quantity=quantity)
    assert errors == {"quantity": ["Quantity must be a whole number of at least 1."]}


def test_configuration_and_quantity_errors_are_reported_together(skid):
    errors = errors_of(skid, {"voltage": "nope"}, quantity=0)
    assert set(errors) == {"voltage", "quantity"}


def test_configuration_that_is_not_an_object_is_refused(skid):
    assert errors_of(skid, "motor=m5") == {
        "configuration": ["Send an object of group → option codes."]
    }
