"""/api/v1/inquiries/ and /api/v1/opportunities/: staff only (contacts get 404).

A CRM posting an inquiry sends an `Idempotency-Key` header: a retry with the
same key and body returns the first inquiry (200, same body) and never creates
a second; the same key with another body answers 422.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.accounts.models import Organization, User
from apps.core.api import FastReadMixin
from apps.core.api_transitions import ConflictSerializer, TransitionViewSetMixin
from apps.core.limits import (
    DESCRIPTION_MAX_LENGTH,
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    NOTES_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    VERSION_MAX,
)
from apps.core.permissions import is_internal
from apps.orders.api.serializers import StatefulSerializer
from apps.sales import selectors, services
from apps.sales.models import (
    Inquiry,
    InquirySource,
    InquiryState,
    Opportunity,
    OpportunityQuote,
    OpportunityState,
)

IDEMPOTENCY_KEY_MAX_LENGTH = 255


class InternalOnly(IsAuthenticated):
    """Inquiries and opportunities are Kestrel's: a contact is told nothing exists (404)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if not is_internal(request.user):
            raise NotFound()
        return True


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, min_value=0, **kwargs
    )


def _staff_users():
    return User.objects.filter(is_active=True)


class _OwnerField(serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=_staff_users(), **kwargs)


# -- inquiries ----------------------------------------------------------------------


class InquirySerializer(FastReadMixin, StatefulSerializer):
    opportunity = serializers.SerializerMethodField()

    class Meta:
        model = Inquiry
        fields = [
            "id",
            "number",
            "source",
            "state",
            "available_transitions",
            "version",
            "contact_name",
            "contact_email",
            "contact_phone",
            "company_name",
            "subject",
            "message",
            "estimated_value",
            "currency",
            "expected_close_date",
            "owner",
            "customer",
            "opportunity",
            "internal_notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_opportunity(self, obj) -> str | None:
        opp = getattr(obj, "opportunity", None) if obj.state == InquiryState.CONVERTED else None
        return str(opp.pk) if opp else None


INQUIRY_COLUMNS = (
    *(f.name for f in Inquiry._meta.concrete_fields),
    "opportunity__id",
    "opportunity__state",
)


class InquiryWriteSerializer(serializers.Serializer):
    contact_name = serializers.CharField(max_length=200)
    contact_email = serializers.EmailField(max_length=254)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    company_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    subject = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    message = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH)
    estimated_value = _money(required=False, allow_null=True)
    currency = serializers.RegexField(r"^[A-Z]{3}$", max_length=3, required=False)
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    owner = _OwnerField(required=False, allow_null=True)
    internal_notes = serializers.CharField(
        max_length=NOTES_MAX_LENGTH, required=False, allow_blank=True
    )
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=VERSION_MAX, help_text="For PATCH: 409 if changed."
    )


class InquiryFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=InquiryState.choices)
    source = django_filters.ChoiceFilter(choices=InquirySource.choices)

    class Meta:
        model = Inquiry
        fields = ["state", "source"]


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A key of your own per inquiry (at most 255 characters). A retry with the "
    "same key and body returns the first inquiry (200) instead of creating another; "
    "the same key with a different body answers 422.",
)


class _Staff(TransitionViewSetMixin):
    permission_classes = [InternalOnly]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _answer(self, obj, code=status.HTTP_200_OK, headers=None):
        fresh = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(fresh).data, status=code, headers=headers or {})


@extend_schema_view(
    list=extend_schema(responses=InquirySerializer(many=True)),
    retrieve=extend_schema(responses=InquirySerializer),
    create=extend_schema(
        request=InquiryWriteSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            200: OpenApiResponse(InquirySerializer, description="A retry: the first inquiry"),
            201: InquirySerializer,
            400: OpenApiResponse(description="Bad input (field errors)"),
            403: OpenApiResponse(description="Only sales create inquiries"),
            422: OpenApiResponse(description="Idempotency-Key reused with another body"),
        },
    ),
    partial_update=extend_schema(
        request=InquiryWriteSerializer,
        responses={200: InquirySerializer, 409: ConflictSerializer},
    ),
)
class InquiryViewSet(
    _Staff, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Inquiries: sales create, edit and move them; other staff read."""

    serializer_class = InquirySerializer
    filterset_class = InquiryFilter
    ordering_fields = ["number", "created_at"]
    ordering = ["-created_at"]
    transition_service = staticmethod(
        lambda *, obj, **kw: services.inquiry_transition(inquiry=obj, **kw)
    )

    def get_queryset(self):
        # The owner is its id; of the opportunity a row reads the id (and the FSM mixin
        # the state).
        return (
            selectors.inquiry_list(self.request.user)
            .select_related(None)
            .select_related("opportunity")
            .only(*INQUIRY_COLUMNS)
        )

    def create(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            return Response(
                {"Idempotency-Key": [f"At most {IDEMPOTENCY_KEY_MAX_LENGTH} characters."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        data = InquiryWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("version", None)
        try:
            inquiry, created = services.inquiry_create(
                actor=request.user,
                source=InquirySource.API,
                idempotency_key=key,
                digest=services.request_digest(data.validated_data),
                **fields,
            )
        except services.IdempotencyConflict as exc:
            return Response(
                {"detail": str(exc), "inquiry": str(exc.inquiry.pk)},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return self._answer(
            inquiry, status.HTTP_201_CREATED if created else status.HTTP_200_OK, headers
        )

    def partial_update(self, request, pk=None):
        inquiry = self.get_object()
        data = InquiryWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = fields.pop("version", None)
        services.inquiry_update(
            inquiry=inquiry, actor=request.user, expected_version=version, **fields
        )
        return self._answer(inquiry)


# -- opportunities ------------------------------------------------------------------


class OpportunityQuoteSerializer(serializers.Serializer):
    """An opportunity's quote, as the opportunity shows it (read only)."""

    id = serializers.UUIDField(read_only=True)
    number = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)


class OpportunitySerializer(FastReadMixin, StatefulSerializer):
    quotes = serializers.SerializerMethodField()
    weighted_amount = serializers.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, read_only=True
    )

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "number",
            "title",
            "customer",
            "owner",
            "inquiry",
            "state",
            "available_transitions",
            "version",
            "amount",
            "currency",
            "probability",
            "weighted_amount",
            "expected_close_date",
            "closed_at",
            "quotes",
            "internal_notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpportunityQuoteSerializer(many=True))
    def get_quotes(self, obj) -> list[dict]:
        rows = obj.__dict__.get("quote_link_rows")  # a list page's (attach_quote_links)
        if rows is not None:
            return rows
        return [
            {"id": str(link.quote.pk), "number": link.quote.number, "state": link.quote.state}
            for link in obj.quote_links.all()
        ]


class OpportunityWriteSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), help_text="Create only."
    )
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    amount = _money(required=False)
    currency = serializers.RegexField(r"^[A-Z]{3}$", max_length=3, required=False)
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False)
    expected_close_date = serializers.DateField()
    owner = _OwnerField(required=False)
    internal_notes = serializers.CharField(
        max_length=NOTES_MAX_LENGTH, required=False, allow_blank=True
    )
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=VERSION_MAX, help_text="For PATCH: 409 if changed."
    )


class OpportunityFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=OpportunityState.choices)
    customer = django_filters.ModelChoiceFilter(queryset=Organization.objects.all())

    class Meta:
        model = Opportunity
        fields = ["state", "customer", "owner"]


@extend_schema_view(
    list=extend_schema(responses=OpportunitySerializer(many=True)),
    retrieve=extend_schema(responses=OpportunitySerializer),
    create=extend_schema(
        request=OpportunityWriteSerializer, responses={201: OpportunitySerializer}
    ),
    partial_update=extend_schema(
        request=OpportunityWriteSerializer,
        responses={200: OpportunitySerializer, 409: ConflictSerializer},
    ),
)
class OpportunityViewSet(
    _Staff, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Opportunities: sales create, edit and move them; other staff read."""

    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter
    ordering_fields = ["number", "created_at", "expected_close_date", "amount"]
    ordering = ["-created_at"]
    transition_service = staticmethod(
        lambda *, obj, **kw: services.opportunity_transition(opportunity=obj, **kw)
    )

    def get_queryset(self):
        if self.action == "list":
            # A row reads its customer and owner as ids; its quotes (number and state)
            # and the facts its moves read come for the page (paginate_queryset).
            return selectors.opportunity_list(self.request.user).select_related(None)
        # A row reads its customer and owner as ids, of its quotes the number and state.
        return selectors.with_quote_facts(
            selectors.opportunity_list(self.request.user).select_related(None)
        ).prefetch_related(
            # One query for the page's links with their quotes, whether any exist or not.
            Prefetch(
                "quote_links",
                queryset=OpportunityQuote.objects.select_related("quote").only(
                    "opportunity", "quote__number", "quote__state"
                ),
            )
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            selectors.attach_quote_links(page)
        return page

    def create(self, request):
        data = OpportunityWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("version", None)
        opportunity = services.opportunity_create(actor=request.user, **fields)
        return self._answer(opportunity, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        opportunity = self.get_object()
        data = OpportunityWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = fields.pop("version", None)
        if "customer" in fields:
            raise DjangoValidationError({"customer": ["The customer cannot be changed."]})
        services.opportunity_update(
            opportunity=opportunity, actor=request.user, expected_version=version, **fields
        )
        return self._answer(opportunity)
