from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.models import AddressKind, OrganizationKind
from apps.catalog.models import FulfillmentMode, PartKind
from apps.orders.services import quotes as quote_services
from tests.catalog.factories import (
    BOMLineFactory,
    OptionFactory,
    OptionGroupFactory,
    PartFactory,
    ProductFactory,
    RoutingOperationFactory,
    SupplierPartFactory,
    WorkCenterFactory,
    stock,
)
from tests.factories import AddressFactory, OrganizationFactory


@pytest.fixture
def catalog(db, delta):
    """A small Kestrel catalog: an ATO skid with options, an MTO cabinet, a DTO system."""
    assy = WorkCenterFactory(
        code="ASSY",
        name="Assembly",
        daily_capacity_hours=Decimal("16"),
        hourly_rate=Decimal("80"),
    )
    motor = PartFactory(number="MTR-55", name="Motor 5.5 kW", unit_cost=Decimal("900"))
    frame = PartFactory(number="FRM-1", name="Skid frame", unit_cost=Decimal("400"))
    vfd = PartFactory(number="VFD-1", name="Variable frequency drive", unit_cost=Decimal("700"))
    for part in (motor, frame, vfd):
        stock(part, 50)
        SupplierPartFactory(supplier=delta, part=part, lead_time_days=14, price=part.unit_cost)

    skid = ProductFactory(
        sku="SKID",
        name="Pump skid",
        fulfillment_mode=FulfillmentMode.ATO,
        base_price=Decimal("20000"),
        base_cost=Decimal("12000"),
    )
    BOMLineFactory(product=skid, component=motor)
    BOMLineFactory(product=skid, component=frame)
    RoutingOperationFactory(
        product=skid, work_center=assy, setup_hours=Decimal("1"), run_hours=Decimal("3")
    )
    drive = OptionGroupFactory(product=skid, code="drive", name="Drive")
    dol = OptionFactory(group=drive, code="dol", name="Direct on line", is_default=True)
    vfd_opt = OptionFactory(
        group=drive, code="vfd", name="VFD", price_delta=Decimal("2500"), cost_delta=Decimal("900")
    )
    BOMLineFactory(option=vfd_opt, component=vfd)
    seal = OptionGroupFactory(product=skid, code="seal", name="Seal", is_required=False)
    OptionFactory(
        group=seal,
        code="custom",
        name="Custom seal",
        requires_engineering=True,
        price_delta=Decimal("800"),
        cost_delta=Decimal("300"),
    )

    cabinet = ProductFactory(
        sku="CAB",
        name="Control cabinet",
        fulfillment_mode=FulfillmentMode.MTO,
        base_price=Decimal("8000"),
        base_cost=Decimal("5000"),
    )
    RoutingOperationFactory(product=cabinet, work_center=assy)
    dosing = ProductFactory(
        sku="DOSE",
        name="Dosing system",
        fulfillment_mode=FulfillmentMode.DTO,
        design_days=10,
        base_price=Decimal("90000"),
        base_cost=Decimal("60000"),
    )
    RoutingOperationFactory(product=dosing, work_center=assy)
    pcb = PartFactory(number="PCB-7", name="Fulcrum PCB assembly", kind=PartKind.SUBCONTRACT)
    return {
        "skid": skid,
        "cabinet": cabinet,
        "dosing": dosing,
        "dol": dol,
        "vfd": vfd_opt,
        "motor": motor,
        "pcb": pcb,
        "assy": assy,
    }


@pytest.fixture
def acme_addresses(acme):
    return {
        "shipping": AddressFactory(organization=acme, kind=AddressKind.SHIPPING, is_default=True),
        "billing": AddressFactory(organization=acme, kind=AddressKind.BILLING, is_default=True),
    }


@pytest.fixture
def make_quote(sales_rep, acme, acme_addresses, catalog):
    """make_quote(lines=[("skid", qty, {"drive": "vfd"}, discount)], **quote fields)"""

    def _make(lines=(("skid", 1, {}, 0),), owner=None, customer=None, **fields):
        owner = owner or sales_rep
        quote = quote_services.quote_create(actor=owner, customer=customer or acme, **fields)
        for key, qty, config, discount in lines:
            quote_services.quote_line_add(
                quote=quote,
                actor=owner,
                product=catalog[key],
                quantity=qty,
                configuration=config,
                discount_percent=discount,
            )
        quote.refresh_from_db()
        return quote

    return _make


@pytest.fixture
def sent_quote(make_quote, sales_rep):
    quote = make_quote()
    quote = quote_services.quote_submit(quote=quote, actor=sales_rep)
    return quote_services.quote_send(quote=quote, actor=sales_rep)


@pytest.fixture
def accepted_quote(sent_quote, acme_contact):
    return quote_services.quote_accept(quote=sent_quote, actor=acme_contact)


@pytest.fixture
def order(accepted_quote, sales_rep):
    from apps.orders.services.orders import quote_convert

    return quote_convert(quote=accepted_quote, actor=sales_rep, customer_po="ACME-PO-77")


@pytest.fixture
def in_production(order, sales_rep, sales_manager, planner):
    """The order with its data complete, confirmed, planned and in production."""
    from apps.orders.services import orders as order_services

    order = order_services.order_update(
        order=order, actor=sales_rep, expected_version=order.version, delivery_contact_name="Dock"
    )
    for name, actor in (
        ("confirm", sales_manager),
        ("plan", planner),
        ("start_production", planner),
    ):
        order = order_services.order_transition(order=order, name=name, actor=actor)
    return order


@pytest.fixture
def fulcrum(db):
    return OrganizationFactory(
        code="FULCRUM", name="Fulcrum Electronics", kind=OrganizationKind.SUPPLIER
    )


def in_days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)
