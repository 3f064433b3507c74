from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

INTERNAL = [
    "sales_rep",
    "sales_manager",
    "engineer",
    "planner",
    "quality",
    "buyer",
    "warehouse",
    "finance",
    "ops_admin",
]


@pytest.mark.parametrize("role", INTERNAL)
def test_every_internal_role_reads_the_catalog(request, role):
    user = request.getfixturevalue(role)
    assert user.has_perms(
        [
            "catalog.view_product",
            "catalog.view_part",
            "catalog.view_supplierpart",
            "catalog.view_stockentry",
            "catalog.view_capacityreservation",
        ]
    )


def test_engineering_maintains_products_and_bills_of_materials(engineer):
    for model in (
        "product",
        "option",
        "optiongroup",
        "configurationrule",
        "bomline",
        "routingoperation",
        "part",
    ):
        assert engineer.has_perms([f"catalog.add_{model}", f"catalog.change_{model}"]), model
    assert not engineer.has_perm("catalog.change_supplierpart")


def test_purchasing_maintains_supplier_prices(buyer):
    assert buyer.has_perms(
        [
            "catalog.add_supplierpart",
            "catalog.change_supplierpart",
            "catalog.add_supplierpricebreak",
            "catalog.change_supplierpricebreak",
        ]
    )
    assert not buyer.has_perm("catalog.change_product")


@pytest.mark.parametrize("role", ["sales_rep", "planner", "warehouse", "finance"])
def test_other_roles_only_read(request, role):
    user = request.getfixturevalue(role)
    assert not user.has_perm("catalog.change_product")
    assert not user.has_perm("catalog.change_supplierpart")
    assert not user.has_perm("catalog.add_part")


@pytest.mark.parametrize("contact", ["acme_contact", "delta_contact"])
def test_contacts_hold_no_catalog_permission(request, contact):
    user = request.getfixturevalue(contact)
    assert not user.has_perm("catalog.view_product")
    assert not user.has_perm("catalog.view_supplierpart")
