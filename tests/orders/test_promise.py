"""The promise-date engine on hand-computed scenarios.

Calendar: Monday 2026-11-23 is "today". The assembly work center works
Monday–Friday, 8 h a day; the product's routing is one assembly operation of
2 h setup + 6 h per unit, so one unit is exactly one working day. Inspection
is 1 working day, transit 3 calendar days.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.accounts.models import OrganizationKind
from apps.catalog.models import (
    CapacityReservation,
    FulfillmentMode,
    PartKind,
    StockEntryKind,
    WorkCenterClosure,
)
from apps.orders.promise import LineRequest, PromiseEngine
from tests.catalog.factories import (
    BOMLineFactory,
    OptionFactory,
    PartFactory,
    ProductFactory,
    RoutingOperationFactory,
    SupplierPartFactory,
    WorkCenterFactory,
    stock,
)
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)  # a Monday


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


@pytest.fixture
def assembly():
    return WorkCenterFactory(code="ASSY", name="Skid assembly", daily_capacity_hours=Decimal("8"))


@pytest.fixture
def skid(assembly):
    product = ProductFactory(sku="SKID", name="Pump skid", inspection_days=1, transit_days=3)
    motor = PartFactory(number="MTR-55", name="Motor 5.5 kW")
    frame = PartFactory(number="FRM-1", name="Skid frame")
    BOMLineFactory(product=product, component=motor)
    BOMLineFactory(product=product, component=frame)
    RoutingOperationFactory(product=product, name="Skid assembly", work_center=assembly)
    return product


@pytest.fixture
def parts(skid):
    from apps.catalog.models import Part

    return {p.number: p for p in Part.objects.all()}


@pytest.fixture
def delta():
    return OrganizationFactory(code="DELTA", name="Delta Motors", kind=OrganizationKind.SUPPLIER)


def promise(product, quantity=1, options=(), requested=None):
    engine = PromiseEngine(today=TODAY)
    result = engine.promise(
        [
            LineRequest(
                key="1",
                product=product,
                quantity=quantity,
                options=list(options),
                requested_date=requested,
            )
        ]
    )
    return result.lines[0]


def test_everything_in_stock(skid, parts):
    stock(parts["MTR-55"], 5)
    stock(parts["FRM-1"], 5)

    line = promise(skid)

    # Assembly Mon 23, inspection Tue 24, three days of transit: Fri 27.
    assert line.material_date == TODAY
    assert (line.production_start, line.production_end) == (TODAY, TODAY)
    assert line.ship_date == d(11, 24)
    assert line.feasible_date == d(11, 27)
    assert line.driver == "stock"
    assert "All components in stock" in line.critical_path


def test_shortage_covered_by_supplier_lead_time(skid, parts, delta):
    stock(parts["FRM-1"], 5)
    SupplierPartFactory(supplier=delta, part=parts["MTR-55"], lead_time_days=21)

    line = promise(skid)

    # Motor arrives Mon Dec 14, assembly that day, inspection Tue 15, delivered Fri 18.
    assert line.material_date == d(12, 14)
    assert line.feasible_date == d(12, 18)
    assert line.driver == "supplier"
    assert line.critical_path.startswith("Motor 5.5 kW: 21-day lead time from Delta Motors")


def test_reserved_stock_is_not_free(skid, parts, delta):
    stock(parts["FRM-1"], 5)
    stock(parts["MTR-55"], 2)
    stock(parts["MTR-55"], 2, kind=StockEntryKind.RESERVED, reference="SO-000001")
    SupplierPartFactory(supplier=delta, part=parts["MTR-55"], lead_time_days=21)

    assert promise(skid).driver == "supplier"


def test_shortage_covered_by_incoming_purchase_order(skid, parts, delta):
    stock(parts["FRM-1"], 5)
    SupplierPartFactory(supplier=delta, part=parts["MTR-55"], lead_time_days=21)
    stock(parts["MTR-55"], 1, kind=StockEntryKind.EXPECTED, date=d(12, 2), reference="PO-000210")

    line = promise(skid)

    # The PO lands Wed Dec 2 (earlier than 21 days): assembly Dec 2, inspection Thu 3,
    # transit ends Sun 6, the customer receives Mon Dec 7.
    assert line.material_date == d(12, 2)
    assert line.feasible_date == d(12, 7)
    assert line.driver == "receipt"
    assert "incoming purchase order due Wed Dec 2, 2026" in line.critical_path


def test_fully_loaded_work_center_pushes_the_date(skid, parts, assembly):
    stock(parts["MTR-55"], 5)
    stock(parts["FRM-1"], 5)
    day = TODAY
    while day <= d(12, 4):  # two working weeks fully booked by earlier work orders
        if day.isoweekday() <= 5:
            CapacityReservation.objects.create(
                work_center=assembly, date=day, hours=Decimal("8"), reference="WO-000001/10"
            )
        day += dt.timedelta(days=1)

    line = promise(skid)

    # First free capacity Mon Dec 7; inspection Tue 8; delivered Fri Dec 11.
    assert (line.production_start, line.production_end) == (d(12, 7), d(12, 7))
    assert line.capacity_wait_days == 10
    assert line.feasible_date == d(12, 11)
    assert line.driver == "capacity"
    assert "Skid assembly at Skid assembly: fully booked for 10 working days" in line.critical_path


def test_partly_loaded_work_center_uses_what_is_left(skid, parts, assembly):
    stock(parts["MTR-55"], 5)
    stock(parts["FRM-1"], 5)
    CapacityReservation.objects.create(
        work_center=assembly, date=TODAY, hours=Decimal("5"), reference="WO-000002/10"
    )
    # 8 h of work: 3 h left on Monday, 5 h on Tuesday; transit ends Sat 28, received Mon 30.
    line = promise(skid)
    assert line.production_end == d(11, 24)
    assert line.feasible_date == d(11, 30)


def test_dto_line_waits_for_design(assembly, parts):
    dosing = ProductFactory(
        sku="DOSE",
        name="Dosing system",
        fulfillment_mode=FulfillmentMode.DTO,
        design_days=10,
        inspection_days=1,
        transit_days=3,
    )
    RoutingOperationFactory(product=dosing, name="System build", work_center=assembly)

    line = promise(dosing)

    # 10 working days after Mon Nov 23 is Mon Dec 7; build Dec 7, inspection Dec 8, Fri Dec 11.
    assert line.design_date == d(12, 7)
    assert line.production_start == d(12, 7)
    assert line.feasible_date == d(12, 11)
    assert line.driver == "design"
    assert line.critical_path.startswith("Engineering design of Dosing system: 10 working days")


def test_non_working_days_are_skipped(skid, parts, assembly):
    stock(parts["MTR-55"], 10)
    stock(parts["FRM-1"], 10)
    WorkCenterClosure.objects.create(work_center=None, date=d(11, 26), reason="Thanksgiving")
    WorkCenterClosure.objects.create(work_center=None, date=d(11, 27), reason="Plant shutdown")

    # 5 units: 2 + 30 = 32 h = four full days. Mon, Tue, Wed, (Thu, Fri closed, weekend), Mon 30.
    line = promise(skid, quantity=5)

    assert line.production_end == d(11, 30)
    assert line.ship_date == d(12, 1)
    assert line.feasible_date == d(12, 4)


def test_work_center_with_its_own_closure(skid, parts, assembly):
    stock(parts["MTR-55"], 5)
    stock(parts["FRM-1"], 5)
    WorkCenterClosure.objects.create(work_center=assembly, date=TODAY, reason="Maintenance")

    line = promise(skid)

    # Assembly moves to Tue 24; the plant itself works, so inspection is Wed 25.
    assert line.production_end == d(11, 24)
    assert line.ship_date == d(11, 25)


def test_requested_date_earlier_than_feasible_is_flagged(skid, parts):
    stock(parts["MTR-55"], 5)
    stock(parts["FRM-1"], 5)

    early = promise(skid, requested=d(11, 25))
    fine = promise(skid, requested=d(11, 30))

    assert early.feasible_date == d(11, 27)
    assert not early.requested_is_feasible
    assert fine.requested_is_feasible


def test_part_without_supplier_price_is_reported(skid, parts):
    stock(parts["FRM-1"], 5)

    line = promise(skid)

    # The engine names the parts (plain values read with the BOM, not Part rows).
    assert [(p.pk, str(p)) for p in line.parts_without_supplier_price] == [
        (parts["MTR-55"].pk, str(parts["MTR-55"]))
    ]
    assert line.driver == "no_supplier"
    assert line.material_date == TODAY + dt.timedelta(days=30)


def test_lines_of_one_request_share_stock(skid, parts, delta):
    stock(parts["MTR-55"], 4)
    stock(parts["FRM-1"], 10)
    SupplierPartFactory(supplier=delta, part=parts["MTR-55"], lead_time_days=21)

    result = PromiseEngine(today=TODAY).promise(
        [
            LineRequest(key="a", product=skid, quantity=3),
            LineRequest(key="b", product=skid, quantity=3),
        ]
    )

    first, second = result.lines
    assert first.driver == "stock"
    assert second.driver == "supplier"
    assert result.feasible_date == second.feasible_date
    assert result.critical_path == second.critical_path


def test_option_bom_delta_and_deep_subassembly_name_the_critical_part(skid, parts, assembly):
    """An option adds a control panel made in house from a bought PCB: the PCB is named."""
    stock(parts["MTR-55"], 5)
    stock(parts["FRM-1"], 5)
    fulcrum = OrganizationFactory(
        code="FULCRUM", name="Fulcrum Electronics", kind=OrganizationKind.SUPPLIER
    )
    panel = PartFactory(number="CP-1", name="Control panel", kind=PartKind.MAKE)
    pcb = PartFactory(number="PCB-7", name="Fulcrum PCB assembly", kind=PartKind.SUBCONTRACT)
    BOMLineFactory(parent_part=panel, component=pcb)
    wiring = WorkCenterFactory(code="ELEC", name="Panel wiring")
    RoutingOperationFactory(part=panel, name="Panel wiring", work_center=wiring)
    SupplierPartFactory(supplier=fulcrum, part=pcb, lead_time_days=21)
    option = OptionFactory(group__product=skid, group__code="control", code="smart")
    BOMLineFactory(option=option, component=panel)

    line = promise(skid, options=[option])

    # PCB Dec 14, panel wiring Dec 14 (8 h), skid assembly Dec 15, inspection 16, Sat Dec 19,
    # received Mon Dec 21.
    assert line.production_end == d(12, 15)
    assert line.feasible_date == d(12, 21)
    assert line.driver == "supplier"
    assert "Fulcrum PCB assembly: 21-day lead time subcontracted to Fulcrum Electronics" in (
        line.critical_path
    )
    assert [(p.pk, str(p)) for p in line.subcontracted_parts] == [(pcb.pk, str(pcb))]
    assert "Panel wiring at Panel wiring" in line.explanation


# -- defects found after the first release (issue 9) ---------------------------


@pytest.fixture
def panel_kit(assembly):
    """A kit of one control panel, made in house (2 h + 6 h per unit on ELEC)."""
    kit = ProductFactory(sku="KIT", name="Panel kit", inspection_days=1, transit_days=3)
    panel = PartFactory(number="CP-1", name="Control panel", kind=PartKind.MAKE)
    pcb = PartFactory(number="PCB-7", name="Controller PCB")
    BOMLineFactory(parent_part=panel, component=pcb)
    BOMLineFactory(product=kit, component=panel)
    wiring = WorkCenterFactory(code="ELEC", name="Panel wiring")
    RoutingOperationFactory(part=panel, name="Panel wiring", work_center=wiring)
    RoutingOperationFactory(product=kit, name="Kit assembly", work_center=assembly)
    stock(pcb, 100)
    return kit, panel


def test_made_subassembly_stock_used_by_one_line_is_gone_for_the_next(panel_kit):
    kit, panel = panel_kit
    stock(panel, 2)

    first, second = (
        PromiseEngine(today=TODAY)
        .promise(
            [
                LineRequest(key="a", product=kit, quantity=3),
                LineRequest(key="b", product=kit, quantity=2),
            ]
        )
        .lines
    )

    # Line a: 2 panels from stock, 1 made on ELEC Mon 23 (8 h, the whole day).
    assert first.material_date == TODAY
    # Line b finds no panel left: 2 made, 14 h, Tue 24 (8 h) and Wed 25 (6 h).
    assert second.material_date == d(11, 25)
    assert "Control panel: 2 ea in stock" not in second.explanation


def test_backlog_of_reservations_takes_incoming_receipts_first(skid, parts, delta):
    stock(parts["FRM-1"], 5)
    stock(parts["MTR-55"], 2)
    stock(parts["MTR-55"], 5, kind=StockEntryKind.RESERVED, reference="SO-000001")  # free −3
    stock(parts["MTR-55"], 3, kind=StockEntryKind.EXPECTED, date=d(12, 2), reference="PO-1")
    stock(parts["MTR-55"], 1, kind=StockEntryKind.EXPECTED, date=d(12, 9), reference="PO-2")
    SupplierPartFactory(supplier=delta, part=parts["MTR-55"], lead_time_days=21)

    line = promise(skid)

    # The 3 due Dec 2 go to SO-000001's backlog; this motor is the one due Wed Dec 9.
    assert line.material_date == d(12, 9)
    assert line.driver == "receipt"


def test_backlog_larger_than_receipts_leaves_the_new_request_to_the_supplier(skid, parts, delta):
    stock(parts["FRM-1"], 5)
    stock(parts["MTR-55"], 3, kind=StockEntryKind.RESERVED, reference="SO-000001")  # free −3
    stock(parts["MTR-55"], 2, kind=StockEntryKind.EXPECTED, date=d(12, 2), reference="PO-1")
    SupplierPartFactory(supplier=delta, part=parts["MTR-55"], lead_time_days=21)

    line = promise(skid)

    assert line.material_date == d(12, 14)
    assert line.driver == "supplier"


def test_production_start_is_the_first_day_work_is_done(skid, parts, assembly):
    stock(parts["MTR-55"], 5)
    stock(parts["FRM-1"], 5)
    for day in (TODAY, d(11, 24)):
        CapacityReservation.objects.create(
            work_center=assembly, date=day, hours=Decimal("8"), reference="WO-000001/10"
        )

    line = promise(skid)

    assert (line.production_start, line.production_end) == (d(11, 25), d(11, 25))


def test_delivery_moves_to_the_next_day_the_customer_receives(skid, parts):
    stock(parts["MTR-55"], 5)
    stock(parts["FRM-1"], 5)
    engine = PromiseEngine(today=TODAY)
    weekdays_only, tue_to_thu = engine.promise(
        [
            LineRequest(key="a", product=skid, quantity=1, requested_date=None),
            LineRequest(key="b", product=skid, quantity=1, receiving_weekdays=frozenset({2, 3, 4})),
        ]
    ).lines

    # Both ship Tue 24 (line b assembles on Tue 24, inspected Wed 25): a arrives Fri 27.
    assert weekdays_only.feasible_date == d(11, 27)
    # b ships Wed 25, three days of transit end Sat 28: the dock receives again Tue Dec 1.
    assert tue_to_thu.ship_date == d(11, 25)
    assert tue_to_thu.feasible_date == d(12, 1)
    assert "receives Tue–Thu" in tue_to_thu.explanation


def test_delivery_never_lands_on_a_sunday_by_default(skid, parts, delta):
    stock(parts["FRM-1"], 5)
    stock(parts["MTR-55"], 1, kind=StockEntryKind.EXPECTED, date=d(12, 2), reference="PO-000210")

    # Ready to ship Thu Dec 3, transit ends Sun Dec 6: delivered Mon Dec 7.
    assert promise(skid).feasible_date == d(12, 7)


def test_design_specific_parts_are_bought_after_design_release(assembly, delta):
    dosing = ProductFactory(
        sku="DOSE",
        name="Dosing system",
        fulfillment_mode=FulfillmentMode.DTO,
        design_days=10,
        inspection_days=1,
        transit_days=3,
    )
    RoutingOperationFactory(product=dosing, name="System build", work_center=assembly)
    manifold = PartFactory(number="MAN-1", name="Dosing manifold", design_specific=True)
    pump = PartFactory(number="DP-1", name="Dosing pump")
    BOMLineFactory(product=dosing, component=manifold)
    BOMLineFactory(product=dosing, component=pump)
    SupplierPartFactory(supplier=delta, part=manifold, lead_time_days=14)
    SupplierPartFactory(part=pump, lead_time_days=14)

    line = promise(dosing)

    # Design done Mon Dec 7; the manifold is ordered then: Mon Dec 21. Build Dec 21,
    # inspection Tue Dec 22, delivered Fri Dec 25. The pump (ordered today) is there Dec 7.
    assert line.design_date == d(12, 7)
    assert line.material_date == d(12, 21)
    assert line.feasible_date == d(12, 25)
    assert line.driver == "supplier"
    assert "Dosing manifold: ordered after design release" in line.critical_path


def test_supplier_minimum_order_surplus_serves_the_next_line(skid, parts, delta):
    stock(parts["FRM-1"], 10)
    SupplierPartFactory(
        supplier=delta, part=parts["MTR-55"], lead_time_days=21, minimum_order_quantity=10
    )

    first, second = (
        PromiseEngine(today=TODAY)
        .promise(
            [
                LineRequest(key="a", product=skid, quantity=1),
                LineRequest(key="b", product=skid, quantity=1),
            ]
        )
        .lines
    )

    assert "ordered 10 ea (minimum order quantity), 1 ea needed" in first.explanation
    assert first.material_date == second.material_date == d(12, 14)
    # The second line takes one of the 9 surplus motors instead of a second order.
    assert "surplus" in second.explanation
    assert [a.kind for a in second.allocations if a.part_id == parts["MTR-55"].pk] == ["purchase"]


def test_supplier_closure_extends_its_lead_time(skid, parts, delta):
    from apps.catalog.models import SupplierClosure

    stock(parts["FRM-1"], 5)
    SupplierPartFactory(supplier=delta, part=parts["MTR-55"], lead_time_days=21)
    SupplierClosure.objects.create(
        supplier=delta, start_date=d(12, 7), end_date=d(12, 18), reason="Year-end shutdown"
    )

    line = promise(skid)

    # 21 days would be Mon Dec 14; the 12 closed days Dec 7–18 all fall inside: Sat Dec 26.
    assert line.material_date == d(12, 26)
    assert "Delta Motors closed 12 days" in line.critical_path


def test_explanation_lists_a_part_once_with_the_quantity_that_drives_it(skid, parts, delta):
    stock(parts["FRM-1"], 5)
    stock(parts["MTR-55"], 1)
    SupplierPartFactory(supplier=delta, part=parts["MTR-55"], lead_time_days=21)
    spare = OptionFactory(group__product=skid, group__code="spares", code="spare-motor")
    BOMLineFactory(option=spare, component=parts["MTR-55"])

    line = promise(skid, options=[spare])

    motor_steps = [s for s in line.steps if s.text.startswith("Motor 5.5 kW")]
    assert len(motor_steps) == 1
    assert "1 of 2 ea to order" in motor_steps[0].text
    assert line.material_date == d(12, 14)
