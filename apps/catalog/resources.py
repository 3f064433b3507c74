"""CSV import of parts and supplier prices (django-import-export resources).

The admin's Import buttons and `manage.py import_catalog` use the same
resources, so both accept the same columns and report the same per-row errors.
Every widget raises ValueError with a message a buyer can act on; the library
collects those per column, and an import with any failed row saves nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models.functions import Upper
from import_export import resources, widgets
from import_export.fields import Field
from import_export.instance_loaders import CachedInstanceLoader, ModelInstanceLoader
from import_export.results import Result

from apps.accounts.models import Organization, OrganizationKind
from apps.catalog.models import Part, PartKind, SupplierPart, SupplierPriceBreak

ONE = Decimal("1")

# -- widgets -----------------------------------------------------------------


def _text(value) -> str:
    return "" if value is None else str(value).strip()


class TextWidget(widgets.CharWidget):
    def __init__(self, *, label: str = "", required: bool = False) -> None:
        super().__init__(allow_blank=True)
        self.label = label
        self.required = required

    def clean(self, value, row=None, **kwargs) -> str:
        text = _text(value)
        if self.required and not text:
            raise ValueError(f"Enter the {self.label}.")
        return text


class DecimalValueWidget(widgets.DecimalWidget):
    """A decimal that is never negative; optionally strictly positive or required."""

    def __init__(
        self,
        *,
        label: str,
        required: bool = True,
        positive: bool = False,
        default: Decimal | None = None,
    ) -> None:
        super().__init__()
        self.label = label
        self.required = required
        self.positive = positive
        self.default = default

    def clean(self, value, row=None, **kwargs) -> Decimal | None:
        text = _text(value).replace(",", "")
        if not text:
            if self.default is not None:
                return self.default
            if self.required:
                raise ValueError(f"Enter the {self.label}.")
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{self.label.capitalize()} “{text}” is not a number.") from None
        if not number.is_finite():
            raise ValueError(f"{self.label.capitalize()} “{text}” is not a number.")
        if self.positive and number <= 0:
            raise ValueError(f"{self.label.capitalize()} must be greater than 0.")
        if number < 0:
            raise ValueError(f"{self.label.capitalize()} cannot be negative.")
        return number


class WholeNumberWidget(widgets.IntegerWidget):
    def __init__(self, *, label: str) -> None:
        super().__init__()
        self.label = label

    def clean(self, value, row=None, **kwargs) -> int:
        text = _text(value)
        if not text:
            raise ValueError(f"Enter the {self.label}.")
        # ASCII digits only: "²" passes str.isdigit() but int() refuses it.
        if not (text.isascii() and text.isdigit()):
            raise ValueError(
                f"{self.label.capitalize()} “{text}” is not a whole number of 0 or more."
            )
        return int(text)


class KindWidget(widgets.Widget):
    """A part kind by value or label, any case: `buy`, `Buy`, `Subcontract`."""

    def clean(self, value, row=None, **kwargs) -> str:
        text = _text(value).lower()
        for choice in PartKind:
            if text in (choice.value, choice.label.lower()):
                return choice.value
        allowed = ", ".join(PartKind.values)
        raise ValueError(f"Kind “{_text(value)}” is not one of {allowed}.")

    def render(self, value, obj=None, **kwargs) -> str:
        return value or ""


class YesNoWidget(widgets.BooleanWidget):
    TRUTHY = {"1", "true", "yes", "y", "x"}
    FALSY = {"", "0", "false", "no", "n"}

    def clean(self, value, row=None, **kwargs) -> bool:
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if text in self.TRUTHY:
            return True
        if text in self.FALSY:
            return False
        raise ValueError(f"“{_text(value)}” is not yes or no.")


class IsoDateWidget(widgets.DateWidget):
    def clean(self, value, row=None, **kwargs) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = _text(value)
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"“{text}” is not a date; use YYYY-MM-DD.") from None


class SupplierWidget(widgets.ForeignKeyWidget):
    """An Organization by code, which must be a supplier.

    `known` (code in upper case → organization) is filled by the resource for the
    whole file before the rows are read, so a file costs one query, not one per row.
    """

    def __init__(self) -> None:
        super().__init__(Organization, field="code")
        self.known: dict[str, Organization] | None = None

    def load(self, codes) -> None:
        wanted = {_text(c).upper() for c in codes if _text(c)}
        orgs = (
            Organization.objects.annotate(code_upper=Upper("code")).filter(code_upper__in=wanted)
            if wanted
            else []
        )
        self.known = {org.code.upper(): org for org in orgs}

    def clean(self, value, row=None, **kwargs) -> Organization:
        code = _text(value)
        if not code:
            raise ValueError("Enter the supplier code.")
        if self.known is not None:
            org = self.known.get(code.upper())
        else:
            org = Organization.objects.filter(code__iexact=code).first()
        if org is None:
            raise ValueError(f"No organization has the code “{code}”.")
        if org.kind != OrganizationKind.SUPPLIER:
            raise ValueError(f"“{org.code}” is a {org.get_kind_display().lower()}, not a supplier.")
        return org


class PartNumberWidget(widgets.ForeignKeyWidget):
    """A Part by number; `known` is filled for the whole file like SupplierWidget's."""

    def __init__(self) -> None:
        super().__init__(Part, field="number")
        self.known: dict[str, Part] | None = None

    def load(self, numbers) -> None:
        wanted = {_text(n) for n in numbers if _text(n)}
        parts = Part.objects.filter(number__in=wanted) if wanted else []
        self.known = {part.number: part for part in parts}

    def clean(self, value, row=None, **kwargs) -> Part:
        number = _text(value)
        if not number:
            raise ValueError("Enter the part number.")
        if self.known is not None:
            part = self.known.get(number)
        else:
            part = Part.objects.filter(number=number).first()
        if part is None:
            raise ValueError(f"No part is numbered “{number}”; import it with the parts CSV first.")
        return part


# -- resources ---------------------------------------------------------------


class CatalogResource(resources.ModelResource):
    """Shared behaviour: required columns checked up front, row saves in a savepoint."""

    REQUIRED_COLUMNS: tuple[str, ...] = ()

    def import_data_inner(
        self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
    ):
        dataset.headers = [_text(h) for h in (dataset.headers or [])]
        missing = [c for c in self.REQUIRED_COLUMNS if c not in dataset.headers]
        if not missing:
            return super().import_data_inner(
                dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
            )
        # The library would go on importing every row after a failed
        # before_import; a file without a required column is refused as a whole.
        result = self.get_result_class()()
        result.diff_headers = self.get_diff_headers()
        result.total_rows = len(dataset)
        error = ValueError(
            f"Missing column(s): {', '.join(missing)}. "
            f"Expected columns: {', '.join(self.expected_columns())}."
        )
        self.handle_import_error(result, error, raise_errors)
        return result

    @classmethod
    def expected_columns(cls) -> list[str]:
        return [f.column_name for f in cls().get_import_fields()]

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            # A bad key column: the row is new as far as lookup goes, and the same
            # widget reports the problem against its column in import_instance.
            return None

    def save_instance(self, instance, is_create, row, **kwargs) -> None:
        # A database error must not abort the transaction for the rows after it.
        with transaction.atomic():
            super().save_instance(instance, is_create, row, **kwargs)


class PartResource(CatalogResource):
    """Parts CSV: number, name, kind, uom, unit_cost. A known number updates that part."""

    REQUIRED_COLUMNS = ("number", "name", "kind")

    number = Field(attribute="number", column_name="number", widget=TextWidget(label="number"))
    name = Field(attribute="name", column_name="name", widget=TextWidget(label="name"))
    kind = Field(attribute="kind", column_name="kind", widget=KindWidget())
    uom = Field(attribute="uom", column_name="uom", widget=TextWidget(), default="ea")
    unit_cost = Field(
        attribute="unit_cost",
        column_name="unit_cost",
        widget=DecimalValueWidget(label="unit cost", default=Decimal("0")),
    )

    class Meta:
        model = Part
        fields = ("number", "name", "kind", "uom", "unit_cost")
        import_id_fields = ("number",)
        # One query for the file's existing parts instead of one per row.
        instance_loader_class = CachedInstanceLoader
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True


class SupplierPartLoader(ModelInstanceLoader):
    """The file's existing supplier parts in one query, by (supplier, part)."""

    def __init__(self, resource: SupplierPriceResource, dataset=None) -> None:
        super().__init__(resource, dataset)
        suppliers = resource.fields["supplier"].widget.known or {}
        parts = resource.fields["part"].widget.known or {}
        existing = self.get_queryset().filter(
            supplier__in=list(suppliers.values()), part__in=list(parts.values())
        )
        self.by_key = {(sp.supplier_id, sp.part_id): sp for sp in existing}

    def get_instance(self, row):
        supplier = self.resource.fields["supplier"].clean(row)
        part = self.resource.fields["part"].clean(row)
        return self.by_key.get((supplier.pk, part.pk))


class SupplierPriceResource(CatalogResource):
    """Supplier prices CSV: one row per supplier and part.

    `unit_price` is the price for quantity 1: it creates or updates the
    supplier part's price break at min_quantity 1.
    """

    REQUIRED_COLUMNS = ("supplier_code", "part_number", "lead_time_days", "unit_price")

    supplier = Field(attribute="supplier", column_name="supplier_code", widget=SupplierWidget())
    part = Field(attribute="part", column_name="part_number", widget=PartNumberWidget())
    supplier_part_number = Field(
        attribute="supplier_part_number", column_name="supplier_part_number", widget=TextWidget()
    )
    lead_time_days = Field(
        attribute="lead_time_days",
        column_name="lead_time_days",
        widget=WholeNumberWidget(label="lead time days"),
    )
    minimum_order_quantity = Field(
        attribute="minimum_order_quantity",
        column_name="minimum_order_quantity",
        widget=DecimalValueWidget(label="minimum order quantity", positive=True, default=ONE),
    )
    is_preferred = Field(attribute="is_preferred", column_name="is_preferred", widget=YesNoWidget())
    # Not a model field: kept on the instance until after_save_instance writes the break.
    unit_price = Field(
        attribute="import_unit_price",
        column_name="unit_price",
        widget=DecimalValueWidget(label="unit price"),
    )
    valid_until = Field(attribute="valid_until", column_name="valid_until", widget=IsoDateWidget())

    class Meta:
        model = SupplierPart
        fields = (
            "supplier",
            "part",
            "supplier_part_number",
            "lead_time_days",
            "minimum_order_quantity",
            "is_preferred",
            "unit_price",
            "valid_until",
        )
        import_id_fields = ("supplier", "part")
        instance_loader_class = SupplierPartLoader
        clean_model_instances = True
        # The price lives in another table, so "unchanged" cannot be judged on the row.
        skip_unchanged = False
        use_transactions = True

    def get_queryset(self):
        return SupplierPart.objects.select_related("supplier", "part")

    def dehydrate_unit_price(self, supplier_part: SupplierPart):
        # Export (breaks prefetched by the admin): the column import reads back.
        return supplier_part.unit_price(ONE)

    def before_import(self, dataset, **kwargs) -> None:
        # Look up every supplier, part and current preferred source the file
        # names at once: the import costs the same few queries for 5 or 5,000 rows.
        self.fields["supplier"].widget.load(dataset["supplier_code"])
        self.fields["part"].widget.load(dataset["part_number"])
        parts = self.fields["part"].widget.known.values()
        self.preferred: dict = {
            sp.part_id: sp
            for sp in SupplierPart.objects.filter(
                part__in=list(parts), is_preferred=True
            ).select_related("supplier")
        }

    def import_instance(self, instance, row, **kwargs) -> None:
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if instance.is_preferred and "part" not in errors and instance.part_id:
            current = self.preferred.get(instance.part_id)
            if current is not None and current.pk == instance.pk:
                current = None
            if current is not None:
                errors.setdefault("is_preferred", []).append(
                    f"{current.supplier.code} is already the preferred supplier of "
                    f"{instance.part.number}; mark that one not preferred first."
                )
        if errors:
            raise ValidationError(errors)

    def after_save_instance(self, instance, row, **kwargs) -> None:
        # Later rows of the same file judge "already preferred" against this one.
        if instance.is_preferred:
            self.preferred[instance.part_id] = instance
        elif getattr(self.preferred.get(instance.part_id), "pk", None) == instance.pk:
            del self.preferred[instance.part_id]
        price = getattr(instance, "import_unit_price", None)
        if price is not None:
            breaks = SupplierPriceBreak.objects.filter(supplier_part=instance, min_quantity=ONE)
            if not breaks.update(unit_price=price):
                SupplierPriceBreak.objects.create(
                    supplier_part=instance, min_quantity=ONE, unit_price=price
                )


RESOURCES: dict[str, type[CatalogResource]] = {
    "parts": PartResource,
    "supplier-prices": SupplierPriceResource,
}


# -- reporting ---------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # 1 = the first data row under the header
    column: str  # "" when the error concerns the whole row or file
    message: str

    @property
    def line(self) -> int:
        """The line in the CSV file, counting the header as line 1."""
        return self.row + 1

    def __str__(self) -> str:
        where = f"Row {self.row} (line {self.line})" if self.row else "File"
        column = f" {self.column}:" if self.column else ""
        return f"{where}:{column} {self.message}"


def import_errors(resource: CatalogResource, result: Result) -> list[RowError]:
    """Every problem of an import, in row order, with the CSV column it concerns."""
    columns = {f.attribute: f.column_name for f in resource.get_import_fields()}
    out: list[RowError] = [RowError(0, "", str(e.error)) for e in result.base_errors]
    for invalid in result.invalid_rows:
        for key, messages in invalid.error_dict.items():
            column = "" if key == NON_FIELD_ERRORS else columns.get(key, key)
            out.extend(RowError(invalid.number, column, m) for m in messages)
    for error_row in result.error_rows:
        out.extend(RowError(error_row.number, "", str(e.error)) for e in error_row.errors)
    return sorted(out, key=lambda e: (e.row, e.column))
