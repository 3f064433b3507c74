"""Ops admin for the catalog: products and their options, rules, BOMs and routings;
parts with their stock position; work centers and their calendars; supplier
prices; and the two ledgers.

Changelists name their related rows through list_select_related / annotations and
inlines select what their rows print, so page cost does not grow with the rows.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV

from apps.catalog.models import (
    BOMLine,
    CapacityReservation,
    ConfigurationRule,
    Option,
    OptionGroup,
    Part,
    Product,
    ProductPriceBreak,
    RoutingOperation,
    StockEntry,
    StockEntryKind,
    SupplierClosure,
    SupplierPart,
    SupplierPriceBreak,
    WorkCenter,
    WorkCenterClosure,
)
from apps.catalog.resources import PartResource, SupplierPriceResource
from apps.core.admin_utils import JoinedDeleteMixin

ONE = Decimal("1")


def _qty(value: Decimal | None) -> str:
    """12.000 -> "12", 2.500 -> "2.5"."""
    if value is None:
        return "0"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class CachedChoicesMixin:
    """Evaluate the choices of the listed select fields once per formset.

    Django runs a select's queryset again for every inline row it renders; the
    lists here are short (a product's options, the work centers) and shared.
    """

    cached_choice_fields: tuple[str, ...] = ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name in self.cached_choice_fields:
            field.choices = list(field.choices)
        return field


class CatalogImportMixin(ImportExportMixin):
    """CSV import, all or nothing, for those who may add and change the model.

    Export writes the same columns, so ops can export, edit in a spreadsheet and
    import the file again (known rows are updated).
    """

    import_formats = [CSV]
    export_formats = [CSV]

    def has_import_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perms(
            [f"{opts.app_label}.{action}_{opts.model_name}" for action in ("add", "change")]
        )

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_import_data_kwargs(self, **kwargs) -> dict:
        data_kwargs = super().get_import_data_kwargs(**kwargs)
        if not self.is_skip_import_confirm_enabled():
            # The confirmed import re-reads the file; rows that became invalid since
            # the preview must undo the whole import, not leave half of it saved.
            data_kwargs["rollback_on_validation_errors"] = True
        return data_kwargs

    def process_result(self, result, request: HttpRequest):
        if result.has_errors() or result.has_validation_errors():
            failed = len(result.invalid_rows) + len(result.error_rows) or "Some"
            messages.error(
                request,
                f"Nothing was imported: {failed} row(s) failed since the preview. "
                "Upload the file again to see why.",
            )
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
            )
        return super().process_result(result, request)


# -- inlines -----------------------------------------------------------------


class BOMLineInline(admin.TabularInline):
    model = BOMLine
    extra = 0
    fields = ["component", "quantity"]
    autocomplete_fields = ["component"]
    verbose_name = "BOM line"
    verbose_name_plural = "bill of materials"

    def get_queryset(self, request: HttpRequest) -> QuerySet[BOMLine]:
        # The row's title (str) names its parent, whichever kind it is.
        return (
            super()
            .get_queryset(request)
            .select_related("component", "product", "option__group", "parent_part")
        )


class ProductBOMLineInline(BOMLineInline):
    fk_name = "product"


class OptionBOMLineInline(BOMLineInline):
    fk_name = "option"
    verbose_name_plural = "BOM delta (components this option adds)"


class PartBOMLineInline(BOMLineInline):
    fk_name = "parent_part"
    verbose_name_plural = "bill of materials (sub-assembly components)"


class RoutingOperationInline(CachedChoicesMixin, admin.TabularInline):
    model = RoutingOperation
    extra = 0
    fields = ["sequence", "name", "work_center", "setup_hours", "run_hours"]
    cached_choice_fields = ("work_center",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoutingOperation]:
        return super().get_queryset(request).select_related("work_center")


class ProductRoutingInline(RoutingOperationInline):
    fk_name = "product"


class PartRoutingInline(RoutingOperationInline):
    fk_name = "part"


class ProductPriceBreakInline(admin.TabularInline):
    model = ProductPriceBreak
    extra = 0
    fields = ["min_quantity", "discount_percent"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProductPriceBreak]:
        return super().get_queryset(request).select_related("product")


class OptionGroupInline(admin.TabularInline):
    model = OptionGroup
    extra = 0
    fields = ["position", "code", "name", "is_required", "allow_multiple", "options_link"]
    readonly_fields = ["options_link"]
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[OptionGroup]:
        return (
            super()
            .get_queryset(request)
            .select_related("product")
            .annotate(option_count=Count("options"))
        )

    @admin.display(description="Options")
    def options_link(self, group: OptionGroup) -> str:
        if not group.pk:
            return "Save first, then add options."
        url = reverse("admin:catalog_optiongroup_change", args=[group.pk])
        count = getattr(group, "option_count", None)
        if count is None:
            count = group.options.count()
        return format_html('<a href="{}">{} option(s): edit</a>', url, count)


class ConfigurationRuleInline(CachedChoicesMixin, admin.TabularInline):
    model = ConfigurationRule
    extra = 0
    fields = ["kind", "option", "other", "min_quantity", "max_quantity", "message"]
    cached_choice_fields = ("option", "other")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConfigurationRule]:
        return (
            super().get_queryset(request).select_related("product", "option__group", "other__group")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("option", "other"):
            # Only this product's options make sense in its rules.
            match = request.resolver_match
            product_id = match.kwargs.get("object_id") if match else None
            options = Option.objects.select_related("group")
            kwargs["queryset"] = (
                options.filter(group__product_id=product_id) if product_id else options.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0
    fields = [
        "position",
        "code",
        "name",
        "price_delta",
        "cost_delta",
        "is_default",
        "is_active",
        "requires_engineering",
        "extra_lead_days",
    ]
    show_change_link = True  # the option's page holds its BOM delta

    def get_queryset(self, request: HttpRequest) -> QuerySet[Option]:
        return super().get_queryset(request).select_related("group")


class SupplierPartInline(admin.TabularInline):
    model = SupplierPart
    extra = 0
    fields = [
        "supplier",
        "supplier_part_number",
        "lead_time_days",
        "minimum_order_quantity",
        "is_preferred",
        "currency",
        "valid_until",
    ]
    autocomplete_fields = ["supplier"]
    show_change_link = True  # price breaks are edited on the supplier part's page

    def get_queryset(self, request: HttpRequest) -> QuerySet[SupplierPart]:
        return super().get_queryset(request).select_related("supplier", "part")


class SupplierPriceBreakInline(admin.TabularInline):
    model = SupplierPriceBreak
    extra = 0
    fields = ["min_quantity", "unit_price"]


class WorkCenterClosureInline(admin.TabularInline):
    model = WorkCenterClosure
    extra = 0
    fields = ["date", "reason"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkCenterClosure]:
        return super().get_queryset(request).select_related("work_center")


# -- products ----------------------------------------------------------------


@admin.register(Product)
class ProductAdmin(JoinedDeleteMixin, admin.ModelAdmin):
    list_display = [
        "sku",
        "name",
        "fulfillment_mode",
        "base_price",
        "base_cost",
        "currency",
        "is_active",
    ]
    list_filter = ["fulfillment_mode", "is_active", "currency"]
    search_fields = ["sku", "name"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["sku", "name", "description", "fulfillment_mode", "is_active"]}),
        ("Price", {"fields": ["base_price", "base_cost", "currency"]}),
        ("Quantity", {"fields": ["min_quantity", "max_quantity"]}),
        ("Lead time", {"fields": ["design_days", "inspection_days", "transit_days"]}),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    inlines = [
        OptionGroupInline,
        ProductPriceBreakInline,
        ProductBOMLineInline,
        ProductRoutingInline,
        ConfigurationRuleInline,
    ]


@admin.register(OptionGroup)
class OptionGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "product", "is_required", "allow_multiple", "position"]
    list_filter = ["is_required", "allow_multiple", "product__fulfillment_mode"]
    list_select_related = ["product"]
    search_fields = ["code", "name", "product__sku", "product__name"]
    autocomplete_fields = ["product"]
    inlines = [OptionInline]


@admin.register(Option)
class OptionAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "group",
        "product_sku",
        "price_delta",
        "cost_delta",
        "is_default",
        "is_active",
        "requires_engineering",
    ]
    list_filter = ["is_active", "is_default", "requires_engineering"]
    list_select_related = ["group__product"]
    search_fields = ["code", "name", "group__code", "group__product__sku"]
    autocomplete_fields = ["group"]
    inlines = [OptionBOMLineInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Option]:
        return super().get_queryset(request).select_related("group__product")

    @admin.display(description="Product", ordering="group__product__sku")
    def product_sku(self, option: Option) -> str:
        return option.group.product.sku


@admin.register(ConfigurationRule)
class ConfigurationRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "product", "kind", "min_quantity", "max_quantity", "message"]
    list_filter = ["kind"]
    list_select_related = ["product", "option__group", "other__group"]
    search_fields = ["product__sku", "option__code", "other__code", "message"]
    autocomplete_fields = ["product", "option", "other"]


# -- parts -------------------------------------------------------------------


def _ledger_total(kind: str) -> Coalesce:
    return Coalesce(
        Sum("stock_entries__quantity", filter=Q(stock_entries__kind=kind)),
        Value(Decimal("0")),
        output_field=DecimalField(max_digits=14, decimal_places=3),
    )


@admin.register(Part)
class PartAdmin(CatalogImportMixin, admin.ModelAdmin):
    resource_classes = [PartResource]
    list_display = [
        "number",
        "name",
        "kind",
        "uom",
        "unit_cost",
        "on_hand",
        "reserved",
        "expected",
        "design_specific",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "design_specific", "uom"]
    search_fields = ["number", "name"]
    readonly_fields = ["stock_position", "created_at", "updated_at"]
    fields = [
        "number",
        "name",
        "kind",
        "uom",
        "unit_cost",
        "is_active",
        "design_specific",
        "stock_position",
        "created_at",
        "updated_at",
    ]
    inlines = [PartBOMLineInline, PartRoutingInline, SupplierPartInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Part]:
        qs = super().get_queryset(request)
        match = request.resolver_match
        if match and match.url_name == "catalog_part_changelist":
            # One grouped query for the page instead of three per row.
            qs = qs.annotate(
                on_hand_total=_ledger_total(StockEntryKind.ON_HAND),
                reserved_total=_ledger_total(StockEntryKind.RESERVED),
                expected_total=_ledger_total(StockEntryKind.EXPECTED),
            )
        return qs

    @admin.display(description="On hand", ordering="on_hand_total")
    def on_hand(self, part: Part) -> str:
        return _qty(getattr(part, "on_hand_total", None))

    @admin.display(description="Reserved", ordering="reserved_total")
    def reserved(self, part: Part) -> str:
        return _qty(getattr(part, "reserved_total", None))

    @admin.display(description="Expected", ordering="expected_total")
    def expected(self, part: Part) -> str:
        return _qty(getattr(part, "expected_total", None))

    @admin.display(description="On hand / reserved / expected")
    def stock_position(self, part: Part) -> str:
        if not part.pk:
            return "—"
        totals = StockEntry.objects.filter(part=part).aggregate(
            **{kind: Sum("quantity", filter=Q(kind=kind)) for kind in StockEntryKind.values}
        )
        return " / ".join(_qty(totals[kind]) for kind in StockEntryKind.values)


@admin.register(WorkCenter)
class WorkCenterAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "daily_capacity_hours", "hourly_rate", "working_weekdays"]
    search_fields = ["code", "name"]
    inlines = [WorkCenterClosureInline]


@admin.register(WorkCenterClosure)
class WorkCenterClosureAdmin(admin.ModelAdmin):
    """Also where plant-wide closures (no work center) are kept."""

    list_display = ["date", "scope", "reason"]
    list_filter = [("work_center", admin.EmptyFieldListFilter), "work_center"]
    list_select_related = ["work_center"]
    search_fields = ["reason", "work_center__code"]
    date_hierarchy = "date"

    @admin.display(description="Work center", ordering="work_center__code")
    def scope(self, closure: WorkCenterClosure) -> str:
        return str(closure.work_center) if closure.work_center else "Whole plant"


@admin.register(SupplierClosure)
class SupplierClosureAdmin(admin.ModelAdmin):
    """A supplier's holidays and shutdowns: the promise engine stretches its lead time over them."""

    list_display = ["supplier", "start_date", "end_date", "reason"]
    list_filter = ["supplier"]
    list_select_related = ["supplier"]
    search_fields = ["supplier__code", "supplier__name", "reason"]
    autocomplete_fields = ["supplier"]
    date_hierarchy = "start_date"


@admin.register(SupplierPart)
class SupplierPartAdmin(CatalogImportMixin, admin.ModelAdmin):
    resource_classes = [SupplierPriceResource]
    list_display = [
        "part",
        "supplier",
        "supplier_part_number",
        "lead_time_days",
        "minimum_order_quantity",
        "is_preferred",
        "price_for_one",
        "currency",
        "valid_until",
    ]
    list_filter = ["is_preferred", "supplier", "currency"]
    list_select_related = ["part", "supplier"]
    search_fields = [
        "part__number",
        "part__name",
        "supplier__code",
        "supplier__name",
        "supplier_part_number",
    ]
    autocomplete_fields = ["part", "supplier"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [SupplierPriceBreakInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SupplierPart]:
        return super().get_queryset(request).prefetch_related("price_breaks")

    @admin.display(description="Price for 1")
    def price_for_one(self, supplier_part: SupplierPart) -> Decimal | str:
        price = supplier_part.unit_price(ONE)
        return "—" if price is None else price


# -- ledgers -----------------------------------------------------------------


@admin.register(StockEntry)
class StockEntryAdmin(admin.ModelAdmin):
    """Append-only: a wrong entry is corrected with a counter-entry, so history stays true."""

    list_display = ["date", "part", "kind", "quantity", "reference", "note", "created_at"]
    list_filter = ["kind", "date"]
    list_select_related = ["part"]
    search_fields = ["part__number", "part__name", "reference", "note"]
    autocomplete_fields = ["part"]
    date_hierarchy = "date"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(CapacityReservation)
class CapacityReservationAdmin(admin.ModelAdmin):
    list_display = ["date", "work_center", "hours", "reference", "created_at"]
    list_filter = ["work_center", "date"]
    list_select_related = ["work_center"]
    search_fields = ["reference", "work_center__code"]
    autocomplete_fields = ["work_center"]
    date_hierarchy = "date"
