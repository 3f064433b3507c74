"""Products API: what a client needs to build and check a valid configuration.

Internal staff also see costs (`base_cost`, each option's `cost_delta`, a
configuration's `unit_cost`); customer and supplier contacts never do.
"""

from __future__ import annotations

import re

from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apps.catalog.configuration import ConfigurationError, configuration_validate
from apps.catalog.models import (
    ConfigurationRule,
    FulfillmentMode,
    Option,
    OptionGroup,
    Product,
    ProductPriceBreak,
)
from apps.catalog.selectors import product_with_options, products_visible_to
from apps.core.api import fields_for_some_callers
from apps.core.permissions import is_internal

# -- serializers -------------------------------------------------------------

_OPTION_FIELDS = [
    "code",
    "name",
    "price_delta",
    "is_default",
    "requires_engineering",
    "extra_lead_days",
    "position",
]


class OptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Option
        fields = _OPTION_FIELDS
        read_only_fields = fields


class InternalOptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Option
        fields = [*_OPTION_FIELDS, "cost_delta"]
        read_only_fields = fields


_GROUP_FIELDS = ["code", "name", "is_required", "allow_multiple", "position", "options"]


class OptionGroupSerializer(serializers.ModelSerializer):
    options = OptionSerializer(many=True, read_only=True)

    class Meta:
        model = OptionGroup
        fields = _GROUP_FIELDS
        read_only_fields = fields


class InternalOptionGroupSerializer(serializers.ModelSerializer):
    options = InternalOptionSerializer(many=True, read_only=True)

    class Meta:
        model = OptionGroup
        fields = _GROUP_FIELDS
        read_only_fields = fields


class RuleSerializer(serializers.ModelSerializer):
    """`option` (in `option_group`) requires / excludes `other`, or bounds the quantity.

    A quantity rule with no option applies to every configuration.
    """

    option = serializers.CharField(source="option.code", allow_null=True, read_only=True)
    option_group = serializers.CharField(
        source="option.group.code", allow_null=True, read_only=True
    )
    other = serializers.CharField(source="other.code", allow_null=True, read_only=True)
    other_group = serializers.CharField(source="other.group.code", allow_null=True, read_only=True)

    class Meta:
        model = ConfigurationRule
        fields = [
            "kind",
            "option_group",
            "option",
            "other_group",
            "other",
            "min_quantity",
            "max_quantity",
            "message",
        ]
        read_only_fields = fields


class PriceBreakSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductPriceBreak
        fields = ["min_quantity", "discount_percent"]
        read_only_fields = fields


_PRODUCT_FIELDS = [
    "id",
    "sku",
    "name",
    "description",
    "fulfillment_mode",
    "base_price",
    "currency",
    "is_active",
    "min_quantity",
    "max_quantity",
    "design_days",
    "inspection_days",
    "transit_days",
    "option_groups",
    "rules",
    "price_breaks",
]


class ProductSerializer(serializers.ModelSerializer):
    option_groups = OptionGroupSerializer(many=True, read_only=True)
    rules = RuleSerializer(many=True, read_only=True)
    price_breaks = PriceBreakSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = _PRODUCT_FIELDS
        read_only_fields = fields


class InternalProductSerializer(ProductSerializer):
    option_groups = InternalOptionGroupSerializer(many=True, read_only=True)

    class Meta(ProductSerializer.Meta):
        fields = [*_PRODUCT_FIELDS, "base_cost"]
        read_only_fields = fields


# The schema documents the internal serializers; contacts never see costs.
fields_for_some_callers(InternalProductSerializer, ProductSerializer)
fields_for_some_callers(InternalOptionSerializer, OptionSerializer)


class ConfigurationInputSerializer(serializers.Serializer):
    configuration = serializers.JSONField(
        required=False,
        help_text="Option group code → option code (a list of codes where the group "
        "allows several). Required groups left out get their default option.",
    )
    quantity = serializers.JSONField(help_text="Whole number of units, at least 1.")


class ConfigurationResultSerializer(serializers.Serializer):
    selections = serializers.DictField(
        help_text="Group code → option code(s), with the defaults of groups left out filled in."
    )
    quantity = serializers.IntegerField()
    description = serializers.CharField()
    currency = serializers.CharField()
    unit_list_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    unit_cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, help_text="Internal callers only."
    )
    needs_engineering = serializers.BooleanField()


# -- views -------------------------------------------------------------------


class ProductFilter(filters.FilterSet):
    fulfillment_mode = filters.ChoiceFilter(choices=FulfillmentMode.choices)
    is_active = filters.BooleanFilter()
    q = filters.CharFilter(method="filter_q", label="SKU or name contains")

    class Meta:
        model = Product
        fields = ["fulfillment_mode", "is_active"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value))


def _configuration_errors(exc: ConfigurationError) -> dict:
    """{"configuration": {group: [...]}, "quantity": [...]}, the request's own shape."""
    errors = dict(exc.errors)
    out: dict = {}
    quantity = errors.pop("quantity", None)
    whole = errors.pop("configuration", None)  # the configuration is not an object at all
    if whole:
        out["configuration"] = whole
    elif errors:
        out["configuration"] = errors
    if quantity:
        out["quantity"] = quantity
    return out


def _quantity(value):
    # Form posts and some clients send numbers as text; anything else is judged as sent.
    # ASCII digits only: "²" and "٣" pass str.isdigit() but are no quantity.
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value.strip()):
        return int(value.strip())
    return value


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """Products with their option groups, options and rules.

    Contacts see active products only; internal staff also see inactive ones and
    costs.
    """

    filterset_class = ProductFilter
    ordering_fields = ["sku", "name", "base_price"]
    ordering = ["name", "sku"]

    def get_queryset(self):
        qs = products_visible_to(self.request.user)
        if self.action == "validate_configuration":
            return qs  # configuration_validate loads what it needs itself
        return product_with_options(qs)

    def get_serializer_class(self):
        if self.action == "validate_configuration":
            return ConfigurationInputSerializer
        if getattr(self, "swagger_fake_view", False) or is_internal(self.request.user):
            return InternalProductSerializer
        return ProductSerializer

    @extend_schema(
        request=ConfigurationInputSerializer,
        responses={
            200: ConfigurationResultSerializer,
            400: OpenApiResponse(
                description='Field errors: {"configuration": {"<group>": ["…"]}, "quantity": ["…"]}'
            ),
            404: OpenApiResponse(description="No such product visible to the caller"),
        },
    )
    @action(detail=True, methods=["post"], url_path="validate-configuration")
    def validate_configuration(self, request: Request, pk=None) -> Response:
        """Check a configuration against the product's options and rules and price it."""
        product = self.get_object()
        data = ConfigurationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            config = configuration_validate(
                product=product,
                selections=data.validated_data.get("configuration"),
                quantity=_quantity(data.validated_data["quantity"]),
            )
        except ConfigurationError as exc:
            raise ValidationError(_configuration_errors(exc)) from None
        body = {
            "selections": config.selections,
            "quantity": config.quantity,
            "description": config.description,
            "currency": product.currency,
            "unit_list_price": f"{config.unit_list_price:.2f}",
            "needs_engineering": config.needs_engineering,
        }
        if is_internal(request.user):
            body["unit_cost"] = f"{config.unit_cost:.2f}"
        return Response(body)
