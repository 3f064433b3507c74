"""Kestrel's demo catalog (DESIGN §7): three products, parts, routings, supply. Idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from django.utils import timezone

from apps.catalog.models import (
    BOMLine,
    CapacityReservation,
    ConfigurationRule,
    FulfillmentMode,
    Option,
    OptionGroup,
    Part,
    PartKind,
    Product,
    ProductPriceBreak,
    RoutingOperation,
    RuleKind,
    StockEntry,
    StockEntryKind,
    SupplierClosure,
    SupplierPart,
    SupplierPriceBreak,
    WorkCenter,
    WorkCenterClosure,
)

# code, name, daily hours, hourly rate (labour and machine, rolled into the cost of made parts)
WORK_CENTERS = [
    ("FAB", "Fabrication", "16", "85"),
    ("ASSY", "Skid assembly", "16", "70"),
    ("ELEC", "Panel wiring", "8", "75"),
    ("TEST", "Test bay", "8", "90"),
]

# number, name, kind, unit cost, on hand, (supplier code, lead days, price) or None
PARTS = [
    ("FRM-200", "PS-200 skid frame", PartKind.MAKE, "850", 6, None),
    ("STL-PLATE", "Steel plate 10 mm", PartKind.BUY, "120", 80, ("EVERGREEN", 10, "118")),
    ("SS-PLATE", "Stainless plate 10 mm", PartKind.BUY, "340", 10, ("EVERGREEN", 21, "335")),
    ("CAS-200", "PS-200 pump casing", PartKind.BUY, "1450", 4, ("EVERGREEN", 28, "1420")),
    ("IMP-200", "PS-200 impeller", PartKind.BUY, "380", 12, ("EVERGREEN", 21, "372")),
    ("MTR-055", "Motor 5.5 kW", PartKind.BUY, "780", 5, ("DELTA", 21, "765")),
    ("MTR-075", "Motor 7.5 kW", PartKind.BUY, "960", 2, ("DELTA", 21, "940")),
    ("MTR-110", "Motor 11 kW", PartKind.BUY, "1380", 0, ("DELTA", 35, "1350")),
    ("VFD-011", "Variable frequency drive 11 kW", PartKind.BUY, "1150", 3, ("DELTA", 14, "1120")),
    ("SEAL-M", "Mechanical seal kit", PartKind.BUY, "210", 20, ("EVERGREEN", 14, "205")),
    ("SEAL-D", "Double mechanical seal kit", PartKind.BUY, "520", 4, ("EVERGREEN", 21, "510")),
    ("SEAL-X", "Custom seal, engineered", PartKind.BUY, "900", 0, None),
    ("ENC-N4", "Enclosure NEMA 4, 1200 mm", PartKind.BUY, "640", 6, ("EVERGREEN", 14, "630")),
    ("ENC-N4X", "Enclosure NEMA 4X stainless", PartKind.BUY, "1280", 1, ("EVERGREEN", 28, "1260")),
    ("PLC-B", "PLC, basic I/O", PartKind.BUY, "890", 8, ("FULCRUM", 14, "870")),
    ("PLC-A", "PLC, advanced with Ethernet/IP", PartKind.BUY, "1690", 2, ("FULCRUM", 21, "1650")),
    ("HMI-07", 'HMI touch panel 7"', PartKind.BUY, "540", 5, ("FULCRUM", 14, "530")),
    ("HMI-12", 'HMI touch panel 12"', PartKind.BUY, "980", 1, ("FULCRUM", 21, "960")),
    (
        "PCB-CTL",
        "Fulcrum PCB assembly, controller",
        PartKind.SUBCONTRACT,
        "460",
        0,
        ("FULCRUM", 21, "455"),
    ),
    ("WIRE-KIT", "Cabinet wiring kit", PartKind.BUY, "150", 30, ("FULCRUM", 7, "145")),
    ("CC-SUB", "Dosing control cabinet (sub-assembly)", PartKind.MAKE, "2400", 0, None),
    ("DP-01", "Diaphragm dosing pump", PartKind.BUY, "1850", 3, ("DELTA", 28, "1820")),
    ("TNK-1000", "Chemical tank 1000 l", PartKind.BUY, "1600", 1, ("EVERGREEN", 35, "1580")),
    ("INST-PKG", "Instrumentation package", PartKind.BUY, "2200", 0, None),
]


def _product(sku, **fields) -> Product:
    product, _ = Product.objects.get_or_create(sku=sku, defaults=fields)
    return product


def _group(product, code, name, position, required=True) -> OptionGroup:
    group, _ = OptionGroup.objects.get_or_create(
        product=product,
        code=code,
        defaults={"name": name, "position": position, "is_required": required},
    )
    return group


def _option(
    group, code, name, price="0", cost="0", default=False, engineering=False, position=0
) -> Option:
    option, _ = Option.objects.get_or_create(
        group=group,
        code=code,
        defaults={
            "name": name,
            "price_delta": D(price),
            "cost_delta": D(cost),
            "is_default": default,
            "requires_engineering": engineering,
            "position": position,
        },
    )
    return option


def _bom(parts, qty="1", **parent) -> None:
    for number in parts:
        BOMLine.objects.get_or_create(
            component=parts[number] if isinstance(number, str) else number,
            defaults={"quantity": D(qty)},
            **parent,
        )


def _op(wcs, code, seq, name, setup, run, **parent) -> None:
    RoutingOperation.objects.get_or_create(
        sequence=seq,
        **parent,
        defaults={
            "name": name,
            "work_center": wcs[code],
            "setup_hours": D(setup),
            "run_hours": D(run),
        },
    )


def seed(orgs: dict) -> dict:
    wcs = {}
    for code, name, hours, rate in WORK_CENTERS:
        wcs[code], _ = WorkCenter.objects.update_or_create(
            code=code,
            defaults={"name": name, "daily_capacity_hours": D(hours), "hourly_rate": D(rate)},
        )
    year = timezone.localdate().year
    for month, day, reason in (
        (12, 24, "Christmas Eve"),
        (12, 25, "Christmas"),
        (12, 31, "New Year's Eve"),
        (1, 1, "New Year"),
    ):
        for y in (year, year + 1):
            WorkCenterClosure.objects.get_or_create(
                work_center=None, date=dt.date(y, month, day), defaults={"reason": reason}
            )

    parts: dict[str, Part] = {}
    fresh_parts = not Part.objects.filter(number="FRM-200").exists()
    for number, name, kind, cost, on_hand, supply in PARTS:
        part, created = Part.objects.get_or_create(
            number=number, defaults={"name": name, "kind": kind, "unit_cost": D(cost)}
        )
        parts[number] = part
        if created and on_hand:
            StockEntry.objects.create(
                part=part,
                kind=StockEntryKind.ON_HAND,
                quantity=D(on_hand),
                reference="Opening balance",
            )
        if supply:
            code, lead, price = supply
            sp, sp_created = SupplierPart.objects.get_or_create(
                supplier=orgs[code],
                part=part,
                defaults={
                    "lead_time_days": lead,
                    "is_preferred": True,
                    "supplier_part_number": f"{code[:3]}-{number}",
                },
            )
            if sp_created:
                SupplierPriceBreak.objects.create(
                    supplier_part=sp, min_quantity=D(1), unit_price=D(price)
                )
                SupplierPriceBreak.objects.create(
                    supplier_part=sp,
                    min_quantity=D(10),
                    unit_price=(D(price) * D("0.93")).quantize(D("0.01")),
                )
    # The dosing tank is built to each system's design: bought only after design release.
    Part.objects.filter(number="TNK-1000").update(design_specific=True)
    # Evergreen closes for its year-end shutdown; its lead times stretch over it.
    SupplierClosure.objects.get_or_create(
        supplier=orgs["EVERGREEN"],
        start_date=dt.date(year, 12, 21),
        defaults={"end_date": dt.date(year + 1, 1, 3), "reason": "Year-end shutdown"},
    )
    # Delta ships motors by the pallet: at least 4 a purchase.
    SupplierPart.objects.filter(supplier=orgs["DELTA"], part__number="MTR-110").update(
        minimum_order_quantity=D(4)
    )
    # Sub-assemblies.
    BOMLine.objects.get_or_create(
        parent_part=parts["FRM-200"], component=parts["STL-PLATE"], defaults={"quantity": D("4")}
    )
    _op(wcs, "FAB", 10, "Cut and weld frame", "1", "5", part=parts["FRM-200"])
    for number, qty in (("PLC-A", "1"), ("PCB-CTL", "2"), ("WIRE-KIT", "1"), ("ENC-N4X", "1")):
        BOMLine.objects.get_or_create(
            parent_part=parts["CC-SUB"], component=parts[number], defaults={"quantity": D(qty)}
        )
    _op(wcs, "ELEC", 10, "Wire dosing cabinet", "2", "14", part=parts["CC-SUB"])

    if fresh_parts:
        today = timezone.localdate()
        # Purchasing's open orders: the promise engine counts them by date.
        for number, qty, days, reference, supplier in (
            ("MTR-110", 4, 12, "PO-000101", "DELTA"),
            ("CAS-200", 6, 9, "PO-000102", "EVERGREEN"),
            ("PCB-CTL", 8, 18, "PO-000103", "FULCRUM"),
            ("HMI-12", 3, 11, "PO-000104", "FULCRUM"),
            ("MTR-075", 4, 16, "PO-000105", "DELTA"),
        ):
            StockEntry.objects.create(
                part=parts[number],
                kind=StockEntryKind.EXPECTED,
                quantity=D(qty),
                date=today + dt.timedelta(days=days),
                reference=reference,
                supplier=orgs[supplier],
                note=f"Expected from {orgs[supplier].name}",
            )
        # Planning's closures: fabrication stops a day for its welding robot.
        closed = today + dt.timedelta(days=8)
        while closed.isoweekday() > 5:
            closed += dt.timedelta(days=1)
        WorkCenterClosure.objects.get_or_create(
            work_center=wcs["FAB"], date=closed, defaults={"reason": "Welding robot service"}
        )
        StockEntry.objects.create(
            part=parts["MTR-055"],
            kind=StockEntryKind.RESERVED,
            quantity=D(2),
            reference="SO-000001",
        )
        # Manufacturing's planned load: assembly is busy for the next week and a half.
        day, booked = today, 0
        while booked < 8:
            day += dt.timedelta(days=1)
            if day.isoweekday() <= 5:
                CapacityReservation.objects.create(
                    work_center=wcs["ASSY"], date=day, hours=D("12"), reference="WO-000090/20"
                )
                booked += 1

    skid = _product(
        "PS-200",
        name="Kestrel PS-200 Pump Skid",
        fulfillment_mode=FulfillmentMode.ATO,
        description="Configurable centrifugal pump skid for water and process duty.",
        base_price=D("18500"),
        base_cost=D("9800"),
        inspection_days=1,
        transit_days=4,
    )
    _bom(
        {"FRM-200": parts["FRM-200"], "CAS-200": parts["CAS-200"], "IMP-200": parts["IMP-200"]},
        product=skid,
    )
    _op(wcs, "ASSY", 10, "Skid assembly", "2", "6", product=skid)
    _op(wcs, "TEST", 20, "Hydrostatic and run test", "1", "2", product=skid)
    motor = _group(skid, "motor", "Motor", 10)
    m55 = _option(motor, "5_5kw", "5.5 kW", default=True, position=1)
    m75 = _option(motor, "7_5kw", "7.5 kW", "1400", "180", position=2)
    m110 = _option(motor, "11kw", "11 kW", "3200", "600", position=3)
    for option, number in ((m55, "MTR-055"), (m75, "MTR-075"), (m110, "MTR-110")):
        BOMLine.objects.get_or_create(
            option=option, component=parts[number], defaults={"quantity": D(1)}
        )
    drive = _group(skid, "drive", "Drive", 20)
    _option(drive, "dol", "Direct on line starter", default=True, position=1)
    vfd = _option(drive, "vfd", "Variable frequency drive", "2900", "1150", position=2)
    BOMLine.objects.get_or_create(
        option=vfd, component=parts["VFD-011"], defaults={"quantity": D(1)}
    )
    seal = _group(skid, "seal", "Shaft seal", 30)
    for option, number in (
        (_option(seal, "mechanical", "Mechanical seal", default=True, position=1), "SEAL-M"),
        (_option(seal, "double", "Double mechanical seal", "950", "310", position=2), "SEAL-D"),
        (
            _option(
                seal,
                "custom",
                "Custom engineered seal",
                "2400",
                "900",
                engineering=True,
                position=3,
            ),
            "SEAL-X",
        ),
    ):
        BOMLine.objects.get_or_create(
            option=option, component=parts[number], defaults={"quantity": D(1)}
        )
    base = _group(skid, "baseplate", "Baseplate", 40)
    _option(base, "carbon", "Painted carbon steel", default=True, position=1)
    stainless = _option(base, "stainless", "Stainless steel", "3600", "1900", position=2)
    BOMLine.objects.get_or_create(
        option=stainless, component=parts["SS-PLATE"], defaults={"quantity": D(4)}
    )
    ConfigurationRule.objects.get_or_create(
        product=skid,
        kind=RuleKind.REQUIRES,
        option=m110,
        other=vfd,
        defaults={"message": "The 11 kW motor needs the variable frequency drive."},
    )
    ConfigurationRule.objects.get_or_create(
        product=skid,
        kind=RuleKind.QUANTITY,
        option=stainless,
        defaults={"max_quantity": 10, "message": "Stainless baseplates: at most 10 per order."},
    )
    ProductPriceBreak.objects.get_or_create(
        product=skid, min_quantity=5, defaults={"discount_percent": D("4")}
    )
    ProductPriceBreak.objects.get_or_create(
        product=skid, min_quantity=10, defaults={"discount_percent": D("8")}
    )

    cabinet = _product(
        "CC-400",
        name="Kestrel CC-400 Control Cabinet",
        fulfillment_mode=FulfillmentMode.MTO,
        description="Pump control cabinet built to order around a PLC and HMI.",
        base_price=D("9800"),
        base_cost=D("4100"),
        inspection_days=1,
        transit_days=4,
    )
    _bom({"WIRE-KIT": parts["WIRE-KIT"], "PCB-CTL": parts["PCB-CTL"]}, product=cabinet)
    _op(wcs, "ELEC", 10, "Panel wiring", "2", "10", product=cabinet)
    _op(wcs, "TEST", 20, "Factory acceptance test", "1", "3", product=cabinet)
    enc = _group(cabinet, "enclosure", "Enclosure", 10)
    for option, number in (
        (_option(enc, "nema4", "NEMA 4 painted", default=True, position=1), "ENC-N4"),
        (_option(enc, "nema4x", "NEMA 4X stainless", "1500", "640", position=2), "ENC-N4X"),
    ):
        BOMLine.objects.get_or_create(
            option=option, component=parts[number], defaults={"quantity": D(1)}
        )
    plc = _group(cabinet, "plc", "PLC", 20)
    basic = _option(plc, "basic", "Basic I/O", default=True, position=1)
    advanced = _option(plc, "advanced", "Advanced, Ethernet/IP", "1900", "800", position=2)
    for option, number in ((basic, "PLC-B"), (advanced, "PLC-A")):
        BOMLine.objects.get_or_create(
            option=option, component=parts[number], defaults={"quantity": D(1)}
        )
    hmi = _group(cabinet, "hmi", "HMI", 30, required=False)
    hmi7 = _option(hmi, "7in", '7" touch panel', "900", "540", position=1)
    hmi12 = _option(hmi, "12in", '12" touch panel', "1600", "980", position=2)
    for option, number in ((hmi7, "HMI-07"), (hmi12, "HMI-12")):
        BOMLine.objects.get_or_create(
            option=option, component=parts[number], defaults={"quantity": D(1)}
        )
    ConfigurationRule.objects.get_or_create(
        product=cabinet,
        kind=RuleKind.EXCLUDES,
        option=basic,
        other=hmi12,
        defaults={"message": 'The 12" HMI needs the advanced PLC.'},
    )

    dosing = _product(
        "DS-900",
        name="Kestrel DS-900 Automated Dosing System",
        fulfillment_mode=FulfillmentMode.DTO,
        description="Chemical dosing system engineered to the site's process and codes.",
        base_price=D("84000"),
        base_cost=D("51000"),
        design_days=15,
        inspection_days=2,
        transit_days=5,
        max_quantity=4,
    )
    _bom({"CC-SUB": parts["CC-SUB"], "TNK-1000": parts["TNK-1000"]}, product=dosing)
    BOMLine.objects.get_or_create(
        product=dosing, component=parts["DP-01"], defaults={"quantity": D(2)}
    )
    _op(wcs, "FAB", 10, "Skid and tank fabrication", "4", "24", product=dosing)
    _op(wcs, "ASSY", 20, "System build", "4", "32", product=dosing)
    _op(wcs, "TEST", 30, "Wet test with customer witness", "2", "8", product=dosing)
    chem = _group(dosing, "chemical", "Chemical", 10)
    _option(chem, "chlorine", "Sodium hypochlorite", default=True, position=1)
    _option(chem, "fluoride", "Fluorosilicic acid", "6500", "3100", position=2)
    custom = _option(
        chem, "custom", "Other chemical (specify)", "12000", "7000", engineering=True, position=3
    )
    BOMLine.objects.get_or_create(
        option=custom, component=parts["INST-PKG"], defaults={"quantity": D(1)}
    )
    return {"skid": skid, "cabinet": cabinet, "dosing": dosing, "parts": parts, "wcs": wcs}
