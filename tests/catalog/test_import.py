from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import ManagementUtility
from django.db import connections

from apps.catalog.models import Part, PartKind, SupplierPart, SupplierPriceBreak
from apps.catalog.resources import PartResource, SupplierPriceResource, import_errors
from tests.catalog.factories import PartFactory, SupplierPartFactory

pytestmark = pytest.mark.django_db

PARTS_CSV = """number,name,kind,uom,unit_cost
MTR-5,5 kW motor,buy,ea,820.00
FRM-1,Skid frame,make,ea,1450.50
PCB-7,Controller board,Subcontract,ea,310
"""

SUPPLIER_HEADER = (
    "supplier_code,part_number,supplier_part_number,lead_time_days,"
    "minimum_order_quantity,is_preferred,unit_price,valid_until\n"
)


def run_import(resource_class, text: str, dry_run: bool = False):
    resource = resource_class()
    dataset = tablib.Dataset().load(text, format="csv")
    result = resource.import_data(
        dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
    )
    return result, [str(e) for e in import_errors(resource, result)]


# -- parts -------------------------------------------------------------------


def test_parts_csv_creates_parts():
    result, errors = run_import(PartResource, PARTS_CSV)
    assert errors == []
    assert result.totals["new"] == 3
    frame = Part.objects.get(number="FRM-1")
    assert (frame.name, frame.kind, frame.uom, frame.unit_cost) == (
        "Skid frame",
        PartKind.MAKE,
        "ea",
        Decimal("1450.50"),
    )
    # Kinds are accepted by label too, in any case.
    assert Part.objects.get(number="PCB-7").kind == PartKind.SUBCONTRACT


def test_parts_reimport_updates_by_number_and_skips_unchanged_rows():
    run_import(PartResource, PARTS_CSV)
    changed = PARTS_CSV.replace("5 kW motor,buy,ea,820.00", "5 kW motor IE3,buy,ea,845.00")
    result, errors = run_import(PartResource, changed)
    assert errors == []
    assert (result.totals["new"], result.totals["update"], result.totals["skip"]) == (0, 1, 2)
    assert Part.objects.count() == 3
    motor = Part.objects.get(number="MTR-5")
    assert (motor.name, motor.unit_cost) == ("5 kW motor IE3", Decimal("845.00"))


def test_bad_part_rows_are_reported_with_row_numbers_and_nothing_is_saved():
    existing = PartFactory(number="MTR-5", name="Old motor", unit_cost=Decimal("800"))
    text = (
        "number,name,kind,uom,unit_cost\n"
        "MTR-5,5 kW motor,buy,ea,820\n"  # row 1 is fine but must not be saved
        "BRK-1,Bracket,purchased,ea,12\n"
        "BRK-2,Bracket,buy,ea,-4\n"
        "BRK-3,Bracket,buy,ea,twelve\n"
        "BRK-4,,make,ea,1\n"
    )
    _, errors = run_import(PartResource, text)
    assert errors == [
        "Row 2 (line 3): kind: Kind “purchased” is not one of make, buy, subcontract.",
        "Row 3 (line 4): unit_cost: Unit cost cannot be negative.",
        "Row 4 (line 5): unit_cost: Unit cost “twelve” is not a number.",
        "Row 5 (line 6): name: This field cannot be blank.",
    ]
    assert Part.objects.count() == 1
    existing.refresh_from_db()
    assert (existing.name, existing.unit_cost) == ("Old motor", Decimal("800.00"))


def test_parts_csv_without_a_required_column_is_refused():
    _, errors = run_import(PartResource, "number,name,uom\nX-1,Thing,ea\n")
    assert errors == [
        "File: Missing column(s): kind. Expected columns: number, name, kind, uom, unit_cost."
    ]
    assert not Part.objects.exists()


def test_parts_dry_run_saves_nothing():
    result, errors = run_import(PartResource, PARTS_CSV, dry_run=True)
    assert errors == [] and result.totals["new"] == 3
    assert not Part.objects.exists()


# -- supplier prices ---------------------------------------------------------


def test_supplier_price_csv_creates_supplier_part_and_price_break(delta):
    PartFactory(number="MTR-5")
    text = SUPPLIER_HEADER + "DELTA,MTR-5,DM-5K-IE3,21,5,yes,790.00,2030-12-31\n"
    _, errors = run_import(SupplierPriceResource, text)
    assert errors == []
    sp = SupplierPart.objects.get(supplier=delta, part__number="MTR-5")
    assert (
        sp.supplier_part_number,
        sp.lead_time_days,
        sp.minimum_order_quantity,
        sp.is_preferred,
        sp.valid_until,
    ) == ("DM-5K-IE3", 21, Decimal("5.000"), True, dt.date(2030, 12, 31))
    assert list(sp.price_breaks.values_list("min_quantity", "unit_price")) == [
        (Decimal("1.000"), Decimal("790.00"))
    ]


def test_supplier_price_reimport_updates_the_price_for_one(delta):
    part = PartFactory(number="MTR-5")
    sp = SupplierPartFactory(supplier=delta, part=part, lead_time_days=30, price="800")
    SupplierPriceBreak.objects.create(supplier_part=sp, min_quantity=10, unit_price="750")
    text = SUPPLIER_HEADER + "delta,MTR-5,,14,,no,780,\n"
    result, errors = run_import(SupplierPriceResource, text)
    assert errors == [] and result.totals["update"] == 1
    sp.refresh_from_db()
    assert (sp.lead_time_days, sp.is_preferred, sp.minimum_order_quantity) == (
        14,
        False,
        Decimal("1.000"),
    )
    # The quantity-1 break is updated; other breaks are left alone.
    assert dict(sp.price_breaks.values_list("min_quantity", "unit_price")) == {
        Decimal("1.000"): Decimal("780.00"),
        Decimal("10.000"): Decimal("750.00"),
    }


def test_bad_supplier_price_rows_are_reported_and_nothing_is_saved(delta, acme):
    PartFactory(number="MTR-5")
    PartFactory(number="FRM-1")
    text = SUPPLIER_HEADER + (
        "DELTA,MTR-5,,21,1,yes,790,\n"  # fine, but the import is all or nothing
        "NOPE,MTR-5,,21,1,no,790,\n"
        "ACME,MTR-5,,21,1,no,790,\n"
        "DELTA,XX-9,,21,1,no,790,\n"
        "DELTA,FRM-1,,three weeks,1,no,790,\n"
        "DELTA,FRM-1,,21,1,no,-5,\n"
        "DELTA,FRM-1,,21,0,maybe,,31/12/2030\n"
    )
    _, errors = run_import(SupplierPriceResource, text)
    assert errors == [
        "Row 2 (line 3): supplier_code: No organization has the code “NOPE”.",
        "Row 3 (line 4): supplier_code: “ACME” is a customer, not a supplier.",
        "Row 4 (line 5): part_number: No part is numbered “XX-9”; "
        "import it with the parts CSV first.",
        "Row 5 (line 6): lead_time_days: Lead time days “three weeks” is not a whole number "
        "of 0 or more.",
        "Row 6 (line 7): unit_price: Unit price cannot be negative.",
        "Row 7 (line 8): is_preferred: “maybe” is not yes or no.",
        "Row 7 (line 8): minimum_order_quantity: Minimum order quantity must be greater than 0.",
        "Row 7 (line 8): unit_price: Enter the unit price.",
        "Row 7 (line 8): valid_until: “31/12/2030” is not a date; use YYYY-MM-DD.",
    ]
    assert not SupplierPart.objects.exists()
    assert not SupplierPriceBreak.objects.exists()


def test_second_preferred_supplier_for_a_part_is_refused(delta, evergreen):
    part = PartFactory(number="MTR-5")
    SupplierPartFactory(supplier=delta, part=part, is_preferred=True)
    text = SUPPLIER_HEADER + "EVERGREEN,MTR-5,,10,1,yes,700,\n"
    _, errors = run_import(SupplierPriceResource, text)
    assert errors == [
        "Row 1 (line 2): is_preferred: DELTA is already the preferred supplier of MTR-5; "
        "mark that one not preferred first."
    ]
    assert SupplierPart.objects.count() == 1


# -- management command -------------------------------------------------------


@pytest.fixture
def manage(monkeypatch):
    """Run a command as `manage.py` would and return its exit status.

    run_from_argv closes every connection when it ends, which would close the
    test's transaction; the real process exits there anyway.
    """
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args: str) -> int:
        try:
            ManagementUtility(["manage.py", *args]).execute()
        except SystemExit as exc:
            return int(exc.code or 0)
        return 0

    return run


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_command_imports_parts_and_exits_zero(tmp_path, capsys, manage):
    code = manage("import_catalog", "parts", write(tmp_path, "parts.csv", PARTS_CSV))
    out = capsys.readouterr().out
    assert code == 0
    assert "Imported 3 rows (3 new, 0 updated, 0 unchanged)." in out
    assert Part.objects.count() == 3


def test_command_dry_run_checks_without_saving(tmp_path, capsys, manage):
    code = manage("import_catalog", "parts", write(tmp_path, "parts.csv", PARTS_CSV), "--dry-run")
    assert code == 0
    assert "Dry run, nothing saved: 3 rows valid" in capsys.readouterr().out
    assert not Part.objects.exists()


def test_command_prints_row_errors_and_exits_non_zero(tmp_path, capsys, manage, delta):
    PartFactory(number="MTR-5")
    text = SUPPLIER_HEADER + "DELTA,MTR-5,,21,1,yes,790,\nACME,MTR-5,,21,1,no,x,\n"
    code = manage("import_catalog", "supplier-prices", write(tmp_path, "prices.csv", text))
    err = capsys.readouterr().err
    assert code == 1
    assert "Row 2 (line 3): supplier_code: No organization has the code “ACME”." in err
    assert "Row 2 (line 3): unit_price: Unit price “x” is not a number." in err
    assert "1 row(s) of 2 failed; nothing was imported." in err
    assert not SupplierPart.objects.exists()


def test_command_refuses_a_missing_file(tmp_path, capsys, manage):
    code = manage("import_catalog", "parts", str(tmp_path / "missing.csv"))
    assert code == 1
    assert "Cannot read" in capsys.readouterr().err


def test_command_reads_a_spreadsheet_csv_with_byte_order_mark(tmp_path, capsys, manage):
    path = tmp_path / "parts.csv"
    path.write_text(PARTS_CSV, encoding="utf-8-sig")
    assert manage("import_catalog", "parts", str(path)) == 0
    assert Part.objects.count() == 3


# -- admin import ---------------------------------------------------------------


def upload(client, url: str, text: str):
    return client.post(
        url,
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("data.csv", text.encode(), "text/csv"),
        },
    )


def test_admin_part_import_previews_then_saves_on_confirm(client, ops_admin):
    client.force_login(ops_admin)
    url = "/admin/catalog/part/import/"
    assert client.get(url).status_code == 200
    preview = upload(client, url, PARTS_CSV)
    assert preview.status_code == 200
    confirm = preview.context["confirm_form"]
    assert not Part.objects.exists()  # the preview is a dry run
    done = client.post("/admin/catalog/part/process_import/", confirm.initial)
    assert done.status_code == 302 and done.url == "/admin/catalog/part/"
    assert Part.objects.count() == 3


def test_admin_import_shows_row_errors_and_offers_no_confirm(client, ops_admin, acme):
    PartFactory(number="MTR-5")
    client.force_login(ops_admin)
    res = upload(
        client,
        "/admin/catalog/supplierpart/import/",
        SUPPLIER_HEADER + "ACME,MTR-5,,21,1,no,790,\n",
    )
    assert res.status_code == 200
    assert "confirm_form" not in res.context
    assert "“ACME” is a customer, not a supplier." in res.content.decode()
    assert not SupplierPart.objects.exists()


def test_import_is_refused_to_those_who_cannot_add_and_change(client, buyer, engineer):
    # Neither is staff: the admin sends them to its login page.
    for user in (buyer, engineer):
        client.force_login(user)
        res = client.get("/admin/catalog/part/import/")
        assert res.status_code == 302 and "/admin/login/" in res.url


def test_admin_supplier_price_import_of_several_rows(client, ops_admin, delta, evergreen):
    PartFactory(number="MTR-5")
    PartFactory(number="FRM-1")
    SupplierPartFactory(supplier=delta, part=Part.objects.get(number="FRM-1"), price="90")
    text = SUPPLIER_HEADER + (
        "DELTA,MTR-5,,21,1,yes,790,\nEVERGREEN,MTR-5,,30,1,no,760,\nDELTA,FRM-1,,7,1,yes,85,\n"
    )
    client.force_login(ops_admin)
    preview = upload(client, "/admin/catalog/supplierpart/import/", text)
    assert preview.status_code == 200
    confirm = preview.context["confirm_form"]
    done = client.post("/admin/catalog/supplierpart/process_import/", confirm.initial)
    assert done.status_code == 302
    prices = {
        (sp.supplier.code, sp.part.number): sp.unit_price(Decimal("1"))
        for sp in SupplierPart.objects.select_related("supplier", "part").prefetch_related(
            "price_breaks"
        )
    }
    assert prices == {
        ("DELTA", "MTR-5"): Decimal("790.00"),
        ("EVERGREEN", "MTR-5"): Decimal("760.00"),
        ("DELTA", "FRM-1"): Decimal("85.00"),
    }


def test_one_file_can_move_the_preferred_supplier(delta, evergreen):
    part = PartFactory(number="MTR-5")
    SupplierPartFactory(supplier=delta, part=part, is_preferred=True)
    text = SUPPLIER_HEADER + "DELTA,MTR-5,,21,1,no,790,\nEVERGREEN,MTR-5,,10,1,yes,700,\n"
    _, errors = run_import(SupplierPriceResource, text)
    assert errors == []
    assert SupplierPart.objects.get(is_preferred=True).supplier == evergreen


def test_two_preferred_suppliers_in_one_file_are_refused(delta, evergreen):
    PartFactory(number="MTR-5")
    text = SUPPLIER_HEADER + "DELTA,MTR-5,,21,1,yes,790,\nEVERGREEN,MTR-5,,10,1,yes,700,\n"
    _, errors = run_import(SupplierPriceResource, text)
    assert errors == [
        "Row 2 (line 3): is_preferred: DELTA is already the preferred supplier of MTR-5; "
        "mark that one not preferred first."
    ]
    assert not SupplierPart.objects.exists()


# -- admin export -----------------------------------------------------------------


def export(client, url: str) -> str:
    form = client.get(url).context["form"]
    # Every column ticked, as the export page offers them.
    columns = {name: "on" for name, f in form.fields.items() if f.initial is True}
    res = client.post(url, {"format": "0", "resource": "0", **columns})
    assert res.status_code == 200, res.content[:500]
    return res.content.decode("utf-8-sig")


def test_parts_export_gives_back_an_importable_file(client, ops_admin):
    run_import(PartResource, PARTS_CSV)
    client.force_login(ops_admin)
    text = export(client, "/admin/catalog/part/export/")
    lines = text.strip().splitlines()
    assert lines[0] == "number,name,kind,uom,unit_cost"
    assert "FRM-1,Skid frame,make,ea,1450.50" in lines
    Part.objects.filter(number="FRM-1").update(name="Renamed")
    _, errors = run_import(PartResource, text)
    assert errors == [] and Part.objects.get(number="FRM-1").name == "Skid frame"


def test_supplier_prices_export_carries_the_price_for_one(client, ops_admin, delta):
    part = PartFactory(number="MTR-5")
    SupplierPartFactory(supplier=delta, part=part, price="790", lead_time_days=21)
    client.force_login(ops_admin)
    lines = export(client, "/admin/catalog/supplierpart/export/").strip().splitlines()
    assert lines[0] == SUPPLIER_HEADER.strip()
    assert lines[1] == "DELTA,MTR-5,,21,1.000,1,790.00,"


def test_staff_import_needs_add_and_change_on_that_model(client, engineer):
    # Engineers maintain parts but not supplier prices (those are the buyer's).
    engineer.is_staff = True
    engineer.save(update_fields=["is_staff"])
    client.force_login(engineer)
    assert client.get("/admin/catalog/part/import/").status_code == 200
    assert client.get("/admin/catalog/supplierpart/import/").status_code == 403
