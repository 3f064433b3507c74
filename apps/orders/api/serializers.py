from __future__ import annotations

import datetime as dt
import operator
from decimal import Decimal

from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import Address, Organization, User
from apps.catalog.models import Product
from apps.core.api import (
    BuiltFieldsMixin,
    FastRead,
    FastReadMixin,
    RowsPlan,
    fields_for_some_callers,
)
from apps.core.api_transitions import TransitionInputSerializer
from apps.core.limits import (
    ADDRESS_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    NOTES_MAX_LENGTH,
    PROPOSED_CHANGES_MAX,
    QUANTITY_MAX,
    TITLE_MAX_LENGTH,
    VERSION_MAX,
)
from apps.core.permissions import is_internal
from apps.core.prepared import prepared_values
from apps.core.transitions import available_transitions
from apps.orders import selectors
from apps.orders.models import (
    ChangeDecider,
    ChangeRequest,
    ChangeState,
    OrderLine,
    OrderLineComponent,
    OrderLineDateChange,
    Quote,
    QuoteLine,
    QuoteReview,
    QuoteRevision,
    SalesOrder,
)
from apps.orders.models.portal import CUSTOMER_PO_MAX_LENGTH, SIGNER_MAX_LENGTH


def version_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, max_value=VERSION_MAX, **kwargs)


def money_field(**kwargs) -> serializers.DecimalField:
    """A money input the MONEY columns (14 digits, 2 after the point) can hold."""
    return serializers.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )


def text_field(max_length: int, **kwargs) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, max_length=max_length, **kwargs)


class VersionQuerySerializer(serializers.Serializer):
    version = version_field(help_text="The version you last read; 409 if it changed.")


class TransitionsField(serializers.SerializerMethodField):
    """The transitions the caller may fire now (state, permission and conditions)."""

    def __init__(self, **kwargs):
        super().__init__(method_name="get_available_transitions", **kwargs)


class StatefulSerializer(serializers.ModelSerializer):
    available_transitions = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_transitions(self, obj) -> list[str]:
        return available_transitions(obj, self.context["request"].user)


class RowsListSerializer(serializers.ListSerializer):
    """A document's lines: the answers `RowsLinesMixin` read as plain rows when there,
    else DRF's (the related manager's objects)."""

    def get_attribute(self, instance):
        answers = instance.__dict__.get("lines_answers")
        return super().get_attribute(instance) if answers is None else _Answered(answers)

    def to_representation(self, data):
        return data.answers if type(data) is _Answered else super().to_representation(data)


class _Answered:
    __slots__ = ("answers",)

    def __init__(self, answers: list) -> None:
        self.answers = answers


class RowsLinesMixin:
    # A document serializer whose `lines` are read as `values()` rows, SQL compiled once
    # per shape (apps.core.prepared), and rendered by the line serializer's RowsPlan
    # (apps.core.api): no model instance, manager or field object per line, the same
    # answer (tests/orders/test_api_fast_rows.py). No docstring: the schema's
    # description of the serializers stays theirs.
    lines_reader = None  # function(document, line serializer class, internal) -> answers
    # A document serializer that mixes in FastRead too (its other fields all plain
    # columns or methods: the order's) answers the lines read here.
    fast_readers = {"lines": operator.attrgetter("lines_answers")}

    def to_representation(self, instance):
        if "lines_answers" not in instance.__dict__:
            line_serializer = type(self._declared_fields["lines"].child)
            internal = is_internal(self.context["request"].user)
            instance.lines_answers = type(self).lines_reader(instance, line_serializer, internal)
        return super().to_representation(instance)


def _document_lines_query(model, parent: str, ordering: tuple, columns: tuple, slots):
    return model.objects.filter(**{f"{parent}__in": slots}).order_by(*ordering).values(*columns)


def _line_details_query(internal: bool, name: str, columns: tuple, slots):
    qs = selectors.order_line_detail_querysets(internal=internal)[name]
    return qs.filter(line__order_id__in=slots).values(*columns, "line_id")


def order_line_answers(order, line_serializer, internal: bool) -> list[dict]:
    """The order's lines as `line_serializer` answers them, with their details (the
    date changes, and for staff the BOM: selectors.order_line_detail_querysets): one
    query each, whatever the number of lines."""
    plan = RowsPlan.of(line_serializer)
    rows = prepared_values(
        _document_lines_query, (OrderLine, "order_id", ("position",), plan.columns), [order.pk]
    )
    children = {
        name: child.render_grouped(
            prepared_values(_line_details_query, (internal, name, child.columns), [order.pk]),
            "line_id",
        )
        for name, child in plan.nested.items()
    }
    return plan.render(rows, children)


def quote_line_answers(quote, line_serializer, internal: bool) -> list[dict]:
    """The quote's lines as `line_serializer` answers them, in one query (the product's
    SKU and name joined), and their total (Quote.total) for `LinesTotalField`."""
    plan = RowsPlan.of(line_serializer)
    rows = prepared_values(
        _document_lines_query,
        (QuoteLine, "quote_id", ("position", "created_at"), (*plan.columns, "line_total")),
        [quote.pk],
    )
    quote.lines_total = sum((row["line_total"] for row in rows), Decimal("0"))
    quote.lines_read = len(rows)
    return plan.render(rows)


class LinesTotalField(serializers.DecimalField):
    """Quote.total (the sum of the lines' totals), from the lines read as rows when
    they were (`quote_line_answers`): the property would load every line again."""

    def get_attribute(self, instance):
        known = instance.__dict__.get("lines_total")
        return super().get_attribute(instance) if known is None else known


# -- quotes ------------------------------------------------------------------

QUOTE_LINE_PUBLIC = [
    "id",
    "position",
    "product",
    "product_sku",
    "product_name",
    "configuration",
    "configuration_text",
    "quantity",
    "unit_list_price",
    "discount_percent",
    "unit_price",
    "line_total",
    "requested_date",
    "feasible_date",
    # The date the customer was shown for the line when the quote was sent: what an
    # acceptance agrees to and the order's first promise (the feasible date may move).
    "sent_promised_date",
    "scope_statement",
    "custom_spec",
]
QUOTE_LINE_INTERNAL = [
    *QUOTE_LINE_PUBLIC,
    "unit_cost",
    "margin_percent",
    "critical_path",
    "promise_explanation",
]


class QuoteLineSerializer(FastReadMixin, serializers.ModelSerializer):
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = QuoteLine
        fields = QUOTE_LINE_INTERNAL
        read_only_fields = fields
        list_serializer_class = RowsListSerializer


def quote_lines_read() -> QuerySet[QuoteLine]:
    """A quote's lines as the API reads them: of the product its SKU and name, and
    without the timestamps no answer shows (four datetimes parsed per line, with the
    product's columns a fifth of a 200-line quote's answer)."""
    product_unread = [
        f"product__{f.name}"
        for f in Product._meta.concrete_fields
        if f.name not in ("id", "sku", "name")
    ]
    return QuoteLine.objects.select_related("product").defer(
        "created_at", "updated_at", *product_unread
    )


class QuoteLineCustomerSerializer(QuoteLineSerializer):
    class Meta(QuoteLineSerializer.Meta):
        fields = QUOTE_LINE_PUBLIC
        read_only_fields = fields


class QuoteLineWriteSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False)
    configuration = serializers.DictField(required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=QUANTITY_MAX, required=False)
    discount_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("99.99"),
        required=False,
    )
    requested_date = serializers.DateField(required=False, allow_null=True)
    scope_statement = text_field(NOTES_MAX_LENGTH)
    custom_spec = text_field(NOTES_MAX_LENGTH)
    version = version_field(help_text="The quote version you last read.")

    def validate(self, attrs):
        if self.context.get("creating"):
            missing = [f for f in ("product", "quantity") if f not in attrs]
            if missing:
                raise serializers.ValidationError({f: ["This field is required."] for f in missing})
        elif "product" in attrs:
            raise serializers.ValidationError(
                {"product": ["The product of a line cannot change; add a new line."]}
            )
        return attrs


class QuoteRevisionSerializer(serializers.ModelSerializer):
    created_by = serializers.StringRelatedField()

    class Meta:
        model = QuoteRevision
        fields = ["number", "state", "reason", "created_by", "created_at", "snapshot"]
        read_only_fields = fields


class QuoteReviewSerializer(StatefulSerializer):
    decided_by = serializers.StringRelatedField()

    class Meta:
        model = QuoteReview
        fields = [
            "id",
            "department",
            "revision",
            "reasons",
            "due_date",
            "state",
            "decided_by",
            "decided_at",
            "comment",
            "version",
            "available_transitions",
        ]
        read_only_fields = fields


QUOTE_PUBLIC = [
    "id",
    "number",
    "customer",
    "customer_name",
    "contact",
    "title",
    "currency",
    "valid_until",
    "requested_date",
    "feasible_date",
    "promised_date",
    "shipping_address",
    "billing_address",
    "terms",
    "customer_reference",
    "revision",
    "state",
    "version",
    "total",
    "sent_at",
    "created_at",
    "updated_at",
]


class QuoteListSerializer(FastReadMixin, serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    owner_name = serializers.CharField(source="owner.get_full_name", read_only=True)
    total = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, source="total_amount"
    )
    line_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "owner_name",
            "title",
            "state",
            "currency",
            "total",
            "line_count",
            "valid_until",
            "feasible_date",
            "revision",
            "version",
            "created_at",
        ]
        read_only_fields = fields


# The columns a list row reads, for the list's `.only()`: a quote row shows 15 of the
# quote's columns and two of its customer's and owner's, whose rows are as wide again.
# The state comes for the FSM mixin (it reads it when the instance is built); sent_at
# and the owner for a customer's quotes being revised (`_public_version`). A column a
# row reads that is not here is a query per row: the exact query counts fail.
QUOTE_LIST_COLUMNS = (
    *(
        f
        for f in QuoteListSerializer.Meta.fields
        if f not in ("customer_name", "owner_name", "total")
    ),
    "total_amount",
    "sent_at",
    "customer__name",
    "owner",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
)


BEING_REVISED_HELP = (
    "True while Kestrel revises a quote it sent: the answer is the last revision sent to "
    "you (state `sent`), and it cannot be decided until the new revision is sent."
)


def _sent_version(quote):
    """The customer's view of the last sent revision of a quote being revised, else None.

    The list attaches it for the whole page in one query (`attach_sent_versions`).
    """
    if quote.state not in selectors.QUOTE_BEING_REVISED_STATES:
        return None
    if not hasattr(quote, "sent_version"):
        quote.sent_version = selectors.quote_last_sent_versions([quote]).get(quote.pk)
    return quote.sent_version


def attach_sent_versions(quotes) -> None:
    versions = selectors.quote_last_sent_versions(quotes)
    for quote in quotes:
        quote.sent_version = versions.get(quote.pk)


def _as_sent(data: dict, version) -> dict:
    """Overlay the sent revision's customer-facing fields: nothing of the draft shows."""
    for field in ("title", "customer_reference", "currency", "terms", "revision"):
        if field in data:
            data[field] = getattr(version, field)
    for field in ("valid_until", "requested_date", "promised_date", "feasible_date"):
        if field in data:
            value = getattr(version, field)
            data[field] = value.isoformat() if value else None
    for field in ("contact", "shipping_address", "billing_address"):
        if field in data:
            data[field] = getattr(version, f"{field}_id")
    if "sent_at" in data:
        data["sent_at"] = serializers.DateTimeField().to_representation(version.sent_at)
    data["state"] = "sent"
    data["total"] = serializers.DecimalField(max_digits=14, decimal_places=2).to_representation(
        version.total
    )
    if "line_count" in data:
        data["line_count"] = version.line_count
    data["being_revised"] = True
    return data


class QuoteCustomerListSerializer(QuoteListSerializer):
    being_revised = serializers.SerializerMethodField(help_text=BEING_REVISED_HELP)

    class Meta(QuoteListSerializer.Meta):
        fields = [
            *(f for f in QuoteListSerializer.Meta.fields if f != "owner_name"),
            "being_revised",
        ]
        read_only_fields = fields

    def get_being_revised(self, quote) -> bool:
        return False

    def to_representation(self, quote):
        data = super().to_representation(quote)
        version = _sent_version(quote)
        return _as_sent(data, version) if version else data


class QuoteSerializer(RowsLinesMixin, BuiltFieldsMixin, StatefulSerializer):
    lines_reader = staticmethod(quote_line_answers)

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    owner = serializers.StringRelatedField()
    total = LinesTotalField(max_digits=14, decimal_places=2, read_only=True)
    lines = QuoteLineSerializer(many=True, read_only=True)
    reviews = serializers.SerializerMethodField()

    class Meta:
        model = Quote
        fields = [
            *QUOTE_PUBLIC,
            "owner",
            "critical_path",
            "internal_notes",
            "hold_promise",
            "copied_from",
            "lines",
            "reviews",
            "available_transitions",
        ]
        read_only_fields = fields

    @extend_schema_field(QuoteReviewSerializer(many=True))
    def get_reviews(self, quote) -> list:
        reviews = [r for r in quote.reviews.all() if r.revision == quote.revision]
        return QuoteReviewSerializer(reviews, many=True, context=self.context).data


class QuoteCustomerSerializer(RowsLinesMixin, BuiltFieldsMixin, StatefulSerializer):
    lines_reader = staticmethod(quote_line_answers)

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    total = LinesTotalField(max_digits=14, decimal_places=2, read_only=True)
    lines = QuoteLineCustomerSerializer(many=True, read_only=True)
    being_revised = serializers.SerializerMethodField(help_text=BEING_REVISED_HELP)

    class Meta:
        model = Quote
        fields = [*QUOTE_PUBLIC, "lines", "available_transitions", "being_revised"]
        read_only_fields = fields

    def get_being_revised(self, quote) -> bool:
        return False

    def to_representation(self, quote):
        version = _sent_version(quote)
        if version is None:
            return super().to_representation(quote)
        # Neither the draft's lines nor its transitions: the sent snapshot's public fields.
        data = {
            name: field.to_representation(field.get_attribute(quote))
            for name, field in self.fields.items()
            if name not in ("lines", "available_transitions", "being_revised", "total")
        }
        data["total"] = None
        data["available_transitions"] = []
        data["lines"] = _sent_lines(version.lines)
        return _as_sent(data, version)


def _sent_lines(lines) -> list[dict]:
    # Snapshots taken before product ids were recorded name the product by SKU.
    missing = {line.product.sku for line in lines if not line.product.pk}
    ids = dict(Product.objects.filter(sku__in=missing).values_list("sku", "pk")) if missing else {}
    money = serializers.DecimalField(max_digits=14, decimal_places=2)
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    return [
        {
            "id": line.id,
            "position": line.position,
            "product": str(line.product.pk or ids.get(line.product.sku, "")) or None,
            "product_sku": line.product.sku,
            "product_name": line.product.name,
            "configuration": line.configuration,
            "configuration_text": line.configuration_text,
            "quantity": line.quantity,
            "unit_list_price": money.to_representation(line.unit_list_price),
            "discount_percent": percent.to_representation(line.discount_percent),
            "unit_price": money.to_representation(line.unit_price),
            "line_total": money.to_representation(line.line_total),
            "requested_date": line.requested_date.isoformat() if line.requested_date else None,
            "feasible_date": line.feasible_date.isoformat() if line.feasible_date else None,
            "sent_promised_date": (
                sent.isoformat() if (sent := getattr(line, "sent_promised_date", None)) else None
            ),
            "scope_statement": line.scope_statement,
            "custom_spec": line.custom_spec,
        }
        for line in lines
    ]


class QuoteWriteSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.filter(kind="customer"), required=False
    )
    contact = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    title = text_field(TITLE_MAX_LENGTH)
    currency = serializers.RegexField(r"^[A-Z]{3}$", max_length=3, required=False)
    valid_until = serializers.DateField(required=False)
    requested_date = serializers.DateField(required=False, allow_null=True)
    promised_date = serializers.DateField(required=False, allow_null=True)
    shipping_address = serializers.PrimaryKeyRelatedField(
        queryset=Address.objects.all(), required=False, allow_null=True
    )
    billing_address = serializers.PrimaryKeyRelatedField(
        queryset=Address.objects.all(), required=False, allow_null=True
    )
    terms = text_field(NOTES_MAX_LENGTH)
    customer_reference = text_field(60)
    internal_notes = text_field(NOTES_MAX_LENGTH)
    hold_promise = serializers.BooleanField(required=False)
    version = version_field()

    def validate(self, attrs):
        if self.context.get("creating") and "customer" not in attrs:
            raise serializers.ValidationError({"customer": ["This field is required."]})
        if not self.context.get("creating") and "customer" in attrs:
            raise serializers.ValidationError(
                {"customer": ["The customer of a quote cannot change."]}
            )
        return attrs


def quote_serializer_for(user, *, many_list: bool = False):
    if is_internal(user):
        return QuoteListSerializer if many_list else QuoteSerializer
    return QuoteCustomerListSerializer if many_list else QuoteCustomerSerializer


# -- orders ------------------------------------------------------------------


class DateChangeSerializer(FastReadMixin, serializers.ModelSerializer):
    class Meta:
        model = OrderLineDateChange
        fields = [
            "old_date",
            "new_date",
            "cause",
            "reason",
            "customer_text",
            "released_at",
            "created_at",
        ]
        read_only_fields = fields


class DateChangeCustomerSerializer(DateChangeSerializer):
    """A change released to the customer (the selector prefetches no other), in their words."""

    class Meta(DateChangeSerializer.Meta):
        fields = ["old_date", "new_date", "customer_text", "released_at"]
        read_only_fields = fields


class ComponentSerializer(FastReadMixin, serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = OrderLineComponent
        fields = [
            "id",
            "parent",
            "level",
            "part_number",
            "part_name",
            "part_kind",
            "uom",
            "quantity_per",
            "quantity",
            "unit_cost",
            "from_option",
        ]
        read_only_fields = fields


ORDER_LINE_PUBLIC = [
    "id",
    "position",
    "product_sku",
    "product_name",
    "fulfillment_mode",
    "configuration",
    "configuration_text",
    "quantity",
    "unit_price",
    "line_total",
    "scope_statement",
    "custom_spec",
    "requested_date",
    "first_promised_date",
    "customer_date",
]


def _customer_date(row) -> dt.date:
    # OrderLine.customer_date of a values() row (RowsPlan)
    return row["customer_forecast_date"] or row["first_promised_date"]


class OrderLineSerializer(FastReadMixin, serializers.ModelSerializer):
    date_changes = DateChangeSerializer(many=True, read_only=True)
    components = ComponentSerializer(many=True, read_only=True)
    slip_days = serializers.IntegerField(read_only=True)
    customer_date = serializers.DateField(read_only=True)

    # The properties of OrderLine as functions of a values() row (RowsPlan).
    fast_values = {
        "customer_date": (("customer_forecast_date", "first_promised_date"), _customer_date),
        "slip_days": (
            ("forecast_date", "first_promised_date"),
            lambda row: (row["forecast_date"] - row["first_promised_date"]).days,
        ),
    }

    class Meta:
        model = OrderLine
        fields = [
            *ORDER_LINE_PUBLIC,
            "forecast_date",
            "slip_days",
            "at_risk",
            "forecast_release_due",
            "unit_list_price",
            "discount_percent",
            "unit_cost",
            "critical_path",
            "date_changes",
            "components",
        ]
        read_only_fields = fields
        list_serializer_class = RowsListSerializer


class OrderLineCustomerSerializer(FastReadMixin, serializers.ModelSerializer):
    """The customer's line: the date released to them (customer_date), never the forecast."""

    date_changes = DateChangeCustomerSerializer(many=True, read_only=True)
    customer_date = serializers.DateField(read_only=True)
    slip_days = serializers.IntegerField(
        source="customer_slip_days",
        read_only=True,
        help_text="Days between the date the customer was told and the first promise.",
    )

    fast_values = {
        "customer_date": OrderLineSerializer.fast_values["customer_date"],
        "slip_days": (
            ("customer_forecast_date", "first_promised_date"),
            lambda row: (_customer_date(row) - row["first_promised_date"]).days,
        ),
    }

    class Meta:
        model = OrderLine
        fields = [*ORDER_LINE_PUBLIC, "slip_days", "date_changes"]
        read_only_fields = fields
        list_serializer_class = RowsListSerializer


ORDER_PUBLIC = [
    "id",
    "number",
    "quote",
    "quote_number",
    "quote_revision",
    "customer",
    "customer_name",
    "contact",
    "currency",
    "customer_po",
    "shipping_address",
    "billing_address",
    "terms",
    "payment_terms",
    "delivery_contact_name",
    "delivery_contact_phone",
    "delivery_window",
    "site_requirements",
    "installation_needed",
    "total",
    "order_revision",
    "state",
    "cancellation_charges",
    "version",
    "created_at",
    "updated_at",
]


class OrderListSerializer(FastReadMixin, serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    quote_number = serializers.CharField(source="quote.number", read_only=True)
    line_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = SalesOrder
        fields = [
            "id",
            "number",
            "quote_number",
            "customer",
            "customer_name",
            "customer_po",
            "state",
            "currency",
            "total",
            "line_count",
            "version",
            "created_at",
        ]
        read_only_fields = fields


# An order row: its columns, its customer's name and its quote's number (and state,
# for the quote's FSM mixin). See QUOTE_LIST_COLUMNS.
ORDER_LIST_COLUMNS = (
    *(f for f in OrderListSerializer.Meta.fields if f not in ("customer_name", "quote_number")),
    "customer__name",
    "quote__number",
    "quote__state",
)


# The order's answers read their own fields as FastRead plans them (no copy of the
# serializer's fields per request), the lines as RowsLinesMixin reads them.
class OrderSerializer(RowsLinesMixin, FastRead, StatefulSerializer):
    lines_reader = staticmethod(order_line_answers)

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    quote_number = serializers.CharField(source="quote.number", read_only=True)
    owner = serializers.StringRelatedField()
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = SalesOrder
        fields = [
            *ORDER_PUBLIC,
            "owner",
            "at_risk_count",
            "internal_notes",
            "cancellation_reason",
            "held_state",
            "invoiced_amount",
            "paid_amount",
            "expedited_at",
            "lines",
            "available_transitions",
        ]
        read_only_fields = fields


class OrderCustomerSerializer(RowsLinesMixin, FastRead, StatefulSerializer):
    lines_reader = staticmethod(order_line_answers)

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    quote_number = serializers.CharField(source="quote.number", read_only=True)
    lines = OrderLineCustomerSerializer(many=True, read_only=True)

    class Meta:
        model = SalesOrder
        fields = [*ORDER_PUBLIC, "lines", "available_transitions"]
        read_only_fields = fields


class OrderWriteSerializer(serializers.Serializer):
    customer_po = text_field(60)
    shipping_address = text_field(ADDRESS_MAX_LENGTH)
    billing_address = text_field(ADDRESS_MAX_LENGTH)
    delivery_contact_name = text_field(150)
    delivery_contact_phone = text_field(40)
    delivery_window = text_field(100)
    site_requirements = text_field(NOTES_MAX_LENGTH)
    installation_needed = serializers.BooleanField(required=False)
    internal_notes = text_field(NOTES_MAX_LENGTH)
    terms = text_field(NOTES_MAX_LENGTH)
    version = version_field()


# -- change requests ---------------------------------------------------------

CR_PUBLIC = [
    "id",
    "number",
    "quote",
    "order",
    "target_number",
    "customer",
    "origin",
    "requested_by",
    "title",
    "description",
    "price_delta",
    "date_delta_days",
    "proposed_changes",
    "line_price_delta",
    "proposed_at",
    "decider",
    "state",
    "version",
    "decided_at",
    "applied_at",
    "created_at",
]


class ChangeRequestSerializer(FastReadMixin, StatefulSerializer):
    requested_by = serializers.StringRelatedField()
    target_number = serializers.SerializerMethodField()
    # Blank until proposed: a read-only model field would document the enum alone.
    decider = serializers.ChoiceField(
        choices=ChangeDecider.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = ChangeRequest
        fields = [
            *CR_PUBLIC,
            "engineering_assessment",
            "manufacturing_assessment",
            "cost_delta",
            "line_cost_delta",
            "lowest_margin_percent",
            "moves_agreed_dates",
            "available_transitions",
        ]
        read_only_fields = fields

    fast_readers = {"requested_by": lambda cr: _requester_name(cr)}

    def get_target_number(self, cr) -> str:
        known = cr.__dict__.get("target_number_value")  # a list row's (change_request_rows)
        return known if known is not None else cr.target.number


# A change request row: all of its own columns. See QUOTE_LIST_COLUMNS. The customer
# is its id (the decider check reads only that).
CR_LIST_COLUMNS = tuple(f.name for f in ChangeRequest._meta.concrete_fields)
# The requester's name as values of the row: annotation -> the user's field.
CR_REQUESTER_VALUES = {
    "requester_username_value": "username",
    "requester_first_name_value": "first_name",
    "requester_last_name_value": "last_name",
}


def _requester_name(cr) -> str:
    """str(cr.requested_by), from a list row's values when there (change_request_rows)."""
    values = cr.__dict__
    if "requester_username_value" not in values:
        return str(cr.requested_by)
    return User.name_from(
        values["requester_username_value"],
        values["requester_first_name_value"],
        values["requester_last_name_value"],
    )


# Of its order, what `apply`'s work-done check reads (ChangeRequest.work_done_conflicts),
# as values of the row: annotation -> the order's field.
CR_ORDER_VALUES = {
    "order_number_value": "number",
    "order_state_value": "state",
    "order_held_state_value": "held_state",
}
# What `apply`'s work-done check reads of an order's lines (ChangeRequest.work_done_conflicts).
CR_ORDER_LINE_COLUMNS = ("order", "position", "configuration", "quantity", "scope_statement")


def change_request_rows(qs: QuerySet[ChangeRequest]) -> QuerySet[ChangeRequest]:
    """A list's change requests: their columns, the number of their quote or order
    (`target_number_value`), the order's values of CR_ORDER_VALUES and the requester's
    of CR_REQUESTER_VALUES (no related object per row)."""
    return (
        qs.select_related(None)
        .only(*CR_LIST_COLUMNS)
        .annotate(
            target_number_value=Coalesce("order__number", "quote__number"),
            **{name: F(f"order__{field}") for name, field in CR_ORDER_VALUES.items()},
            **{name: F(f"requested_by__{field}") for name, field in CR_REQUESTER_VALUES.items()},
        )
    )


def change_request_page(slots) -> QuerySet[ChangeRequest]:
    """The rows of a list page of change requests of ids `slots` (`change_request_rows`),
    for the list's PreparedRowsPaginator (apps.core.api): the ids come from the caller's
    visible requests, the rows need no visibility filter again."""
    return change_request_rows(ChangeRequest.objects.filter(pk__in=slots))


def attach_work_done_lines(requests) -> None:
    """What `apply`'s work-done check reads, for a page of `change_request_rows`.

    Only `apply` reads it (ChangeRequest.fits_work_done, offered from `approved`): the
    order (number, state and held state, made from the row's values as `.only()` would
    load it) and, for an order whose work has started, its lines, in one query for the
    page (none when no request of the page is such), as the plain list
    `prefetch_rows` leaves (`lines_rows`), which the check reads."""
    orders: dict = {}
    started: dict = {}
    for cr in requests:
        if cr.state != ChangeState.APPROVED or cr.order_id is None:
            continue
        if not ChangeRequest.order.is_cached(cr):
            order = orders.get(cr.order_id)
            if order is None:
                values = {"id": cr.order_id}
                values.update((field, getattr(cr, name)) for name, field in CR_ORDER_VALUES.items())
                names = [f.attname for f in SalesOrder._meta.concrete_fields if f.attname in values]
                order = SalesOrder.from_db(cr._state.db, names, [values[n] for n in names])
                orders[cr.order_id] = order
            cr.order = order
        if cr.work_done_reads_lines():
            started[cr.order_id] = cr.order
    if not started:
        return
    for order in started.values():
        order.lines_rows = []
    for line in OrderLine.objects.filter(order_id__in=started).only(*CR_ORDER_LINE_COLUMNS):
        started[line.order_id].lines_rows.append(line)


class ChangeRequestCustomerSerializer(ChangeRequestSerializer):
    class Meta(ChangeRequestSerializer.Meta):
        fields = [*CR_PUBLIC, "available_transitions"]
        read_only_fields = fields


class ChangeRequestCreateSerializer(serializers.Serializer):
    quote = serializers.UUIDField(required=False)
    order = serializers.UUIDField(required=False)
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    # The portal's change-request form takes the same length.
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH)

    def validate(self, attrs):
        if ("quote" in attrs) == ("order" in attrs):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give exactly one of quote or order."]}
            )
        return attrs


class QuoteAcceptSerializer(TransitionInputSerializer):
    """Accepting a quote: a customer signs with its PO, its typed name and the terms
    (all required from a customer; staff recording an acceptance may leave them out)."""

    customer_po = serializers.CharField(
        max_length=CUSTOMER_PO_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    signer_name = serializers.CharField(
        max_length=SIGNER_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    terms_accepted = serializers.BooleanField(required=False, default=False)

    def __init__(self, *args, signing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.signing = signing

    def validate(self, data):
        if self.signing:
            errors = {}
            if not data["customer_po"].strip():
                errors["customer_po"] = ["Enter your purchase order number."]
            if not data["signer_name"].strip():
                errors["signer_name"] = ["Type your full name to sign."]
            if not data["terms_accepted"]:
                errors["terms_accepted"] = ["Accept the terms to accept the quote."]
            if errors:
                raise serializers.ValidationError(errors)
        return data


class QuoteTransitionInputSerializer(QuoteAcceptSerializer):
    """What a quote transition reads (documentation): `accept` takes customer_po,
    signer_name and terms_accepted, all required from a customer (400 with field
    errors); `decline` takes a reason, required from a customer (or the comment)."""

    reason = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class QuoteDeclineSerializer(TransitionInputSerializer):
    """Declining a quote: a customer says why (`reason`, or the comment)."""

    reason = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )

    def __init__(self, *args, signing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.signing = signing

    def validate(self, data):
        data["reason"] = data["reason"].strip() or data["comment"].strip()
        if self.signing and not data["reason"]:
            raise serializers.ValidationError({"reason": ["Tell Kestrel why you decline."]})
        return data


class ChangeRequestAssessSerializer(serializers.Serializer):
    engineering_assessment = text_field(NOTES_MAX_LENGTH)
    manufacturing_assessment = text_field(NOTES_MAX_LENGTH)
    cost_delta = money_field(required=False)
    price_delta = money_field(required=False)
    date_delta_days = serializers.IntegerField(required=False, min_value=-365, max_value=365)
    proposed_changes = serializers.ListField(
        child=serializers.DictField(), required=False, max_length=PROPOSED_CHANGES_MAX
    )
    version = version_field()


# The schema documents the internal serializers; customers get fewer fields.
fields_for_some_callers(QuoteListSerializer, QuoteCustomerListSerializer)
fields_for_some_callers(QuoteSerializer, QuoteCustomerSerializer)
fields_for_some_callers(QuoteLineSerializer, QuoteLineCustomerSerializer)
fields_for_some_callers(OrderSerializer, OrderCustomerSerializer)
fields_for_some_callers(OrderLineSerializer, OrderLineCustomerSerializer)
fields_for_some_callers(DateChangeSerializer, DateChangeCustomerSerializer)
fields_for_some_callers(ChangeRequestSerializer, ChangeRequestCustomerSerializer)


class ForecastReleaseSerializer(serializers.Serializer):
    comment = text_field(
        COMMENT_MAX_LENGTH,
        default="",
        help_text="A note to the customer, added to the timeline entry and the e-mail.",
    )


class OrderExpediteSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300,
        trim_whitespace=True,
        help_text="Why this order goes ahead of the others (internal).",
    )


class OrderCancelSerializer(serializers.Serializer):
    reason = text_field(
        4000,
        default="",
        help_text="Required once the order is in production. Internal unless "
        "comment_audience is customer.",
    )
    comment_audience = serializers.ChoiceField(
        choices=[("internal", "Internal only"), ("customer", "Customer-visible")],
        required=False,
        help_text="Who reads the reason on the order's timeline: internal (the default) or "
        "the customer too. The charges are always shown to the customer.",
    )
    charges = money_field(
        min_value=Decimal("0"),
        default=Decimal("0"),
        help_text="Cancellation charges (in production only), at most the order total.",
    )
    version = version_field(help_text="The order version you last read; 409 if it changed.")
