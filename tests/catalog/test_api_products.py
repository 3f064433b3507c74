from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.catalog.models import FulfillmentMode
from tests.catalog.factories import (
    OptionFactory,
    OptionGroupFactory,
    ProductFactory,
    configurable_product,
)
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

LIST = "/api/v1/products/"


def detail(product, suffix: str = "") -> str:
    return f"{LIST}{product.pk}/{suffix}"


@pytest.fixture
def api():
    def _client(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _client


@pytest.fixture
def token_api():
    """A client authenticating like a real integration: the user is loaded per request."""
    from tests.factories import api_token_key

    def _client(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_key(user)}")
        return client

    return _client


@pytest.fixture
def skid():
    return configurable_product(sku="SKID-100", name="Pump skid", base_price=Decimal("10000"))


@pytest.fixture
def cabinet():
    return ProductFactory(
        sku="CC-400",
        name="Control cabinet",
        fulfillment_mode=FulfillmentMode.MTO,
        base_price=Decimal("8000"),
    )


@pytest.fixture
def retired():
    return ProductFactory(sku="OLD-1", name="Retired pump", is_active=False)


def skus(res) -> list[str]:
    return [p["sku"] for p in res.json()["results"]]


# -- what each caller sees ------------------------------------------------------


def test_internal_user_sees_costs(api, sales_rep, skid):
    res = api(sales_rep).get(detail(skid))
    assert res.status_code == 200
    body = res.json()
    assert body["base_cost"] == "6000.00"
    motor = next(g for g in body["option_groups"] if g["code"] == "motor")
    m10 = next(o for o in motor["options"] if o["code"] == "m10")
    assert (m10["price_delta"], m10["cost_delta"]) == ("1500.00", "900.00")


@pytest.mark.parametrize("contact", ["acme_contact", "delta_contact"])
def test_contacts_never_see_costs(api, request, skid, contact):
    res = api(request.getfixturevalue(contact)).get(detail(skid))
    assert res.status_code == 200
    text = res.content.decode()
    assert "cost" not in text
    body = res.json()
    assert body["sku"] == "SKID-100" and body["base_price"] == "10000.00"


def test_product_lists_its_options_and_rules(api, acme_contact, skid):
    body = api(acme_contact).get(detail(skid)).json()
    assert [g["code"] for g in body["option_groups"]] == ["motor", "voltage", "extras"]
    voltage = body["option_groups"][1]
    # The inactive 575 V option is not offered.
    assert [o["code"] for o in voltage["options"]] == ["v230", "v460"]
    assert voltage["options"][0] == {
        "code": "v230",
        "name": "230 V",
        "price_delta": "0.00",
        "is_default": False,
        "requires_engineering": False,
        "extra_lead_days": 0,
        "position": 0,
    }
    rules = {(r["kind"], r["option"], r["other"]): r for r in body["rules"]}
    assert rules[("requires", "m10", "v460")]["option_group"] == "motor"
    assert rules[("excludes", "coating", "heater")]["other_group"] == "extras"
    assert rules[("quantity", "m10", None)]["max_quantity"] == 5
    assert rules[("quantity", None, None)]["message"] == "Skids ship at most 10 per order."
    for key in ("fulfillment_mode", "currency", "min_quantity", "max_quantity", "design_days"):
        assert key in body
    assert {"inspection_days", "transit_days", "description"} <= set(body)


def test_inactive_products_are_hidden_from_contacts(api, acme_contact, skid, retired):
    client = api(acme_contact)
    assert skus(client.get(LIST)) == ["SKID-100"]
    assert client.get(detail(retired)).status_code == 404
    res = client.post(detail(retired, "validate-configuration/"), {"quantity": 1}, format="json")
    assert res.status_code == 404


def test_internal_users_see_inactive_products(api, engineer, skid, retired):
    client = api(engineer)
    assert set(skus(client.get(LIST))) == {"SKID-100", "OLD-1"}
    assert skus(client.get(LIST + "?is_active=false")) == ["OLD-1"]
    assert client.get(detail(retired)).status_code == 200


def test_anonymous_is_refused(client, skid):
    assert client.get(LIST).status_code == 401
    assert client.get(detail(skid)).status_code == 401
    res = client.post(
        detail(skid, "validate-configuration/"), {"quantity": 1}, content_type="application/json"
    )
    assert res.status_code == 401


def test_products_are_read_only(api, ops_admin, skid):
    client = api(ops_admin)
    assert client.post(LIST, {"sku": "X"}, format="json").status_code == 405
    assert client.patch(detail(skid), {"name": "X"}, format="json").status_code == 405
    assert client.delete(detail(skid)).status_code == 405


# -- filters and ordering ----------------------------------------------------------


def test_filters(api, acme_contact, skid, cabinet):
    client = api(acme_contact)
    assert skus(client.get(LIST + "?fulfillment_mode=mto")) == ["CC-400"]
    assert skus(client.get(LIST + "?q=skid")) == ["SKID-100"]
    assert skus(client.get(LIST + "?q=cc-4")) == ["CC-400"]
    assert skus(client.get(LIST + "?q=nothing")) == []
    assert client.get(LIST + "?fulfillment_mode=xyz").status_code == 400


def test_ordering_allow_list(api, acme_contact, skid, cabinet):
    client = api(acme_contact)
    # Default: by name.
    assert skus(client.get(LIST)) == ["CC-400", "SKID-100"]
    assert skus(client.get(LIST + "?ordering=-base_price")) == ["SKID-100", "CC-400"]
    assert skus(client.get(LIST + "?ordering=sku")) == ["CC-400", "SKID-100"]
    assert skus(client.get(LIST + "?ordering=-name")) == ["SKID-100", "CC-400"]
    # Keys outside the allow-list are ignored: a contact cannot sort by cost to infer it.
    cabinet.base_cost = Decimal("1")
    cabinet.save()
    skid.base_cost = Decimal("99999")
    skid.save()
    assert skus(client.get(LIST + "?ordering=-base_cost")) == ["CC-400", "SKID-100"]
    assert skus(client.get(LIST + "?ordering=option_groups__options__cost_delta")) == [
        "CC-400",
        "SKID-100",
    ]


# -- validate-configuration -------------------------------------------------------


def validate(client, product, payload):
    return client.post(detail(product, "validate-configuration/"), payload, format="json")


def test_valid_configuration_is_priced(api, acme_contact, skid):
    res = validate(
        api(acme_contact),
        skid,
        {"configuration": {"motor": "m10", "voltage": "v460", "extras": ["heater"]}, "quantity": 2},
    )
    assert res.status_code == 200
    body = res.json()
    assert body["unit_list_price"] == "12000.00"
    assert body["selections"] == {"motor": "m10", "voltage": "v460", "extras": ["heater"]}
    assert body["description"] == "Motor: 10 kW motor, Voltage: 460 V, Extras: Heater"
    assert "unit_cost" not in body


def test_internal_user_gets_the_unit_cost(api, sales_rep, skid):
    res = validate(api(sales_rep), skid, {"configuration": {"voltage": "v460"}, "quantity": 1})
    assert res.status_code == 200
    body = res.json()
    # Default 5 kW motor filled in; 6000 base + 120 for 460 V.
    assert body["selections"] == {"motor": "m5", "voltage": "v460"}
    assert body["unit_cost"] == "6120.00"


def test_broken_configuration_answers_field_errors(api, acme_contact, skid):
    res = validate(
        api(acme_contact),
        skid,
        {"configuration": {"motor": "m10", "voltage": "v230", "paint": "red"}, "quantity": 1},
    )
    assert res.status_code == 400
    # Rules are checked once the choices themselves are valid; the unknown group first.
    assert res.json() == {"configuration": {"paint": ["Pump skid has no option group “paint”."]}}

    res = validate(
        api(acme_contact),
        skid,
        {"configuration": {"motor": "m10", "voltage": "v230"}, "quantity": 1},
    )
    assert res.status_code == 400
    assert res.json() == {"configuration": {"motor": ["10 kW motor requires 460 V."]}}


def test_bad_quantity_and_option_are_reported_together(api, acme_contact, skid):
    res = validate(api(acme_contact), skid, {"configuration": {"voltage": "v999"}, "quantity": 0})
    assert res.status_code == 400
    assert res.json() == {
        "configuration": {"voltage": ["“v999” is not an available voltage."]},
        "quantity": ["Quantity must be a whole number of at least 1."],
    }


@pytest.mark.parametrize("quantity", [-1, 1.5, "two", True, None])
def test_quantity_must_be_a_whole_number(api, acme_contact, skid, quantity):
    res = validate(
        api(acme_contact), skid, {"configuration": {"voltage": "v230"}, "quantity": quantity}
    )
    assert res.status_code == 400
    assert list(res.json()) == ["quantity"]


def test_quantity_rule_answers_under_quantity(api, acme_contact, skid):
    res = validate(api(acme_contact), skid, {"configuration": {"voltage": "v230"}, "quantity": 11})
    assert res.status_code == 400
    assert res.json() == {"quantity": ["Skids ship at most 10 per order."]}


def test_missing_quantity_and_non_object_configuration(api, acme_contact, skid):
    res = validate(api(acme_contact), skid, {"configuration": {"voltage": "v230"}})
    assert res.status_code == 400 and "quantity" in res.json()
    res = validate(api(acme_contact), skid, {"configuration": "motor=m5", "quantity": 1})
    assert res.status_code == 400
    assert res.json() == {"configuration": ["Send an object of group → option codes."]}


def test_unknown_product_is_404(api, acme_contact, skid):
    res = api(acme_contact).post(
        f"{LIST}00000000-0000-0000-0000-000000000000/validate-configuration/",
        {"quantity": 1},
        format="json",
    )
    assert res.status_code == 404


# -- query counts --------------------------------------------------------------------


def _products_with_options(n: int) -> None:
    for i in range(n):
        product = ProductFactory(sku=f"BULK-{i:03d}", name=f"Bulk {i:03d}")
        group = OptionGroupFactory(product=product, code="size", name="Size")
        OptionFactory(group=group, code="s", name="Small", is_default=True)
        OptionFactory(group=group, code="l", name="Large", price_delta=Decimal("100"))


@pytest.mark.parametrize("n", [3, 20])
@pytest.mark.parametrize("who", ["sales_rep", "acme_contact"])
def test_product_list_uses_a_constant_number_of_queries(
    token_api, request, who, n, django_assert_num_queries
):
    _products_with_options(n)
    client = token_api(request.getfixturevalue(who))
    # token + user, organization, count, page, option groups, their options,
    # rules (with their options' groups), price breaks.
    with django_assert_num_queries(queries("product-list", f"api:{who}")):
        res = client.get(LIST + "?page_size=50")
    assert res.status_code == 200
    assert res.json()["count"] == n
    assert all(len(p["option_groups"][0]["options"]) == 2 for p in res.json()["results"])
