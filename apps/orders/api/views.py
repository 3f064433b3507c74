from __future__ import annotations

import django_filters
from axes.helpers import get_client_ip_address
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from apps.accounts.models import Organization
from apps.core.api_comments import COMMENT_ACTIONS, CommentsViewSetMixin
from apps.core.api_transitions import (
    ConflictSerializer,
    ServiceErrorsMixin,
    TransitionInputSerializer,
    TransitionViewSetMixin,
)
from apps.core.permissions import is_internal
from apps.core.transitions import TransitionNotAllowed
from apps.orders import selectors
from apps.orders.api import serializers as s
from apps.orders.models import (
    ChangeRequest,
    ChangeState,
    OrderState,
    Quote,
    QuoteState,
    SalesOrder,
)
from apps.orders.replan import order_expedite
from apps.orders.services import changes as change_services
from apps.orders.services import orders as order_services
from apps.orders.services import quotes as quote_services
from apps.orders.services import releases as release_services
from apps.orders.transitions import change_transition, order_transition, quote_transition


class QuoteFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=QuoteState.choices, distinct=False)
    customer = django_filters.ModelChoiceFilter(queryset=Organization.objects.all())
    q = django_filters.CharFilter(
        method="search", label="Number (a fragment: its start) or title contains"
    )
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = Quote
        fields = ["state", "customer", "owner"]

    def search(self, qs, name, value):
        return selectors.quote_search(qs, value)


def _conflict_docs(serializer, request=TransitionInputSerializer):
    return extend_schema(
        request=request,
        responses={
            200: serializer,
            400: OpenApiResponse(description="Bad input"),
            403: OpenApiResponse(description="Not allowed for you"),
            404: OpenApiResponse(description="Not found"),
            409: ConflictSerializer,
        },
    )


@extend_schema_view(
    list=extend_schema(responses=s.QuoteListSerializer(many=True)),
    retrieve=extend_schema(responses=s.QuoteSerializer),
    create=extend_schema(request=s.QuoteWriteSerializer, responses={201: s.QuoteSerializer}),
    partial_update=extend_schema(request=s.QuoteWriteSerializer, responses=s.QuoteSerializer),
    transitions=_conflict_docs(s.QuoteSerializer, s.QuoteTransitionInputSerializer),
)
class QuoteViewSet(
    CommentsViewSetMixin,
    TransitionViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Quotes: sales create and edit drafts; customers read theirs from `sent` on."""

    filterset_class = QuoteFilter
    ordering_fields = ["number", "created_at", "valid_until", "feasible_date", "total_amount"]
    ordering = ["-created_at"]
    transition_service = staticmethod(quote_transition)
    comment_audiences = True
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    # What a customer reads and decides: quotes being revised are shown as their last
    # sent revision (as in the portal) and refuse transitions with the reason.
    PORTAL_ACTIONS = frozenset({"retrieve", "transitions", *COMMENT_ACTIONS})
    # Edits lock and re-read the quote in their service and answer a fresh read
    # (`_detail`): the quote they start from needs neither its lines nor its reviews.
    EDIT_ACTIONS = frozenset({"partial_update", "add_line", "line"})

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            qs = (
                selectors.quote_list(user)
                if is_internal(user)
                else selectors.portal_quote_list(user)
            )
            return qs.only(*s.QUOTE_LIST_COLUMNS)
        portal = self.action in self.PORTAL_ACTIONS and not is_internal(user)
        if self.action in COMMENT_ACTIONS or self.action in self.EDIT_ACTIONS:
            # The thread (and an edit) needs the quote, not its lines.
            if portal:
                return selectors.portal_quotes_visible_to(user)
            return selectors.quotes_visible_to(user)
        return selectors.quote_answer_qs(user, portal=portal)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None and not is_internal(self.request.user):
            s.attach_sent_versions(page)  # one query for the page's quotes being revised
        return page

    def run_transition_service(self, *, obj, **kwargs):
        customer = not is_internal(kwargs["actor"])
        if customer and obj.state in selectors.QUOTE_BEING_REVISED_STATES:
            raise TransitionNotAllowed(selectors.QUOTE_BEING_REVISED_REFUSAL)
        if kwargs["name"] == "accept":
            data = s.QuoteAcceptSerializer(data=self.request.data, signing=customer)
            data.is_valid(raise_exception=True)
            kwargs.pop("name")
            return quote_services.quote_accept(
                quote=obj,
                customer_po=data.validated_data["customer_po"],
                signer_name=data.validated_data["signer_name"],
                terms_accepted=data.validated_data["terms_accepted"],
                ip_address=get_client_ip_address(self.request) or None,
                **kwargs,
            )
        if kwargs["name"] == "decline":
            data = s.QuoteDeclineSerializer(data=self.request.data, signing=customer)
            data.is_valid(raise_exception=True)
            kwargs["comment"] = data.validated_data["reason"]
        return super().run_transition_service(obj=obj, **kwargs)

    def get_serializer_class(self):
        return s.quote_serializer_for(self.request.user, many_list=self.action == "list")

    def _detail(self, quote, code=status.HTTP_200_OK):
        fresh = selectors.quote_answer_qs(self.request.user).get(pk=quote.pk)
        serializer = s.quote_serializer_for(self.request.user)(
            fresh, context={"request": self.request}
        )
        return Response(serializer.data, status=code)

    def create(self, request):
        data = s.QuoteWriteSerializer(data=request.data, context={"creating": True})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("version", None)
        quote = quote_services.quote_create(actor=request.user, **fields)
        return self._detail(quote, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        quote = self.get_object()
        data = s.QuoteWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = fields.pop("version", None)
        quote = quote_services.quote_update(
            quote=quote, actor=request.user, expected_version=version, **fields
        )
        return self._detail(quote)

    # -- lines (editable while draft) ------------------------------------

    @extend_schema(request=s.QuoteLineWriteSerializer, responses={201: s.QuoteSerializer})
    @action(detail=True, methods=["post"], url_path="lines")
    def add_line(self, request, pk=None):
        quote = self.get_object()
        data = s.QuoteLineWriteSerializer(data=request.data, context={"creating": True})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = fields.pop("version", None)
        quote_services.quote_line_add(
            quote=quote, actor=request.user, expected_version=version, **fields
        )
        return self._detail(quote, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["PATCH"], request=s.QuoteLineWriteSerializer, responses=s.QuoteSerializer
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        parameters=[s.VersionQuerySerializer],
        responses=s.QuoteSerializer,
    )
    @action(detail=True, methods=["patch", "delete"], url_path=r"lines/(?P<line_id>[0-9a-f-]{36})")
    def line(self, request, pk=None, line_id=None):
        quote = self.get_object()
        line = quote.lines.filter(pk=line_id).first()
        if line is None:
            raise NotFound("No such line on this quote.")
        if request.method == "DELETE":
            query = s.VersionQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            quote_services.quote_line_delete(
                line=line,
                actor=request.user,
                expected_version=query.validated_data.get("version"),
            )
            return self._detail(quote)
        data = s.QuoteLineWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = fields.pop("version", None)
        quote_services.quote_line_update(
            line=line, actor=request.user, expected_version=version, **fields
        )
        return self._detail(quote)

    @extend_schema(
        request=TransitionInputSerializer,
        responses={
            201: s.QuoteSerializer,
            403: OpenApiResponse(description="Only sales copy quotes"),
            404: OpenApiResponse(description="Not found"),
            409: ConflictSerializer,
        },
    )
    @action(detail=True, methods=["post"])
    def copy(self, request, pk=None):
        """Copy an expired or declined quote as a new draft with today's prices and dates."""
        quote = self.get_object()
        data = TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = quote_services.quote_copy(
            quote=quote, actor=request.user, comment=data.validated_data["comment"]
        )
        return self._detail(new, status.HTTP_201_CREATED)

    @extend_schema(responses=s.QuoteRevisionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def revisions(self, request, pk=None):
        """Immutable snapshots of earlier revisions (staff only: they hold costs)."""
        quote = self.get_object()
        if not is_internal(request.user):
            raise NotFound()
        data = s.QuoteRevisionSerializer(
            quote.revisions.select_related("created_by"), many=True
        ).data
        return Response(data)

    @extend_schema(
        request=TransitionInputSerializer,
        responses={200: s.QuoteSerializer, 409: ConflictSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"reviews/(?P<review_id>[0-9a-f-]{36})/transitions/(?P<name>[a-z_]+)",
    )
    def review_transition(self, request, pk=None, review_id=None, name=None):
        quote = self.get_object()
        if not is_internal(request.user):
            raise NotFound()
        review = get_object_or_404(quote.reviews.all(), pk=review_id)
        data = TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quote_services.quote_review_decide(
            review=review,
            actor=request.user,
            decision=name,
            comment=data.validated_data["comment"],
            expected_version=data.validated_data.get("version"),
        )
        return self._detail(quote)


class OrderFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=OrderState.choices, distinct=False)
    customer = django_filters.ModelChoiceFilter(queryset=Organization.objects.all())
    q = django_filters.CharFilter(
        method="search", label="Number (a fragment: its start) or customer PO contains"
    )

    class Meta:
        model = SalesOrder
        fields = ["state", "customer", "owner"]

    def search(self, qs, name, value):
        return selectors.order_search(qs, value)


# Telling the customer a new date (apps.orders.services.releases); 409: nothing to tell.
RELEASE_RESPONSES = {
    200: s.OrderSerializer,
    400: OpenApiResponse(description="Comment too long"),
    403: OpenApiResponse(description="Not sales (sales_rep, sales_manager)"),
    404: OpenApiResponse(description="Not found (customers and suppliers too)"),
    409: ConflictSerializer,
}


@extend_schema_view(
    list=extend_schema(responses=s.OrderListSerializer(many=True)),
    retrieve=extend_schema(responses=s.OrderSerializer),
    partial_update=extend_schema(request=s.OrderWriteSerializer, responses=s.OrderSerializer),
    transitions=_conflict_docs(s.OrderSerializer),
)
class OrderViewSet(
    CommentsViewSetMixin,
    TransitionViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Sales orders, created only by converting an accepted quote."""

    filterset_class = OrderFilter
    ordering_fields = ["number", "created_at", "total"]
    ordering = ["-created_at"]
    transition_service = staticmethod(order_transition)
    comment_audiences = True
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            # A row names the order's customer and quote, not its owner.
            return (
                selectors.orders_visible_to(user)
                .select_related("customer", "quote")
                .only(*s.ORDER_LIST_COLUMNS)
            )
        if self.action in COMMENT_ACTIONS:
            return selectors.orders_visible_to(user)
        return selectors.order_answer_qs(user)

    def get_object(self):
        user = self.request.user
        if self.action != "retrieve" or not is_internal(user):
            return super().get_object()
        # Staff who see every order read the same query with another pk: its SQL is
        # compiled once per process (404 for staff without the view permission, as
        # order_answer_qs's empty queryset answers).
        order = selectors.staff_document(
            user, SalesOrder, selectors.order_answer_query, self.kwargs[self.lookup_field]
        )
        self.check_object_permissions(self.request, order)
        return order

    def get_serializer_class(self):
        if self.action == "list":
            return s.OrderListSerializer
        return s.OrderSerializer if is_internal(self.request.user) else s.OrderCustomerSerializer

    def partial_update(self, request, pk=None):
        order = self.get_object()
        data = s.OrderWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = fields.pop("version", None)
        order_services.order_update(
            order=order, actor=request.user, expected_version=version, **fields
        )
        fresh = self.get_queryset().get(pk=order.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(
        request=s.OrderCancelSerializer,
        responses={
            200: s.OrderSerializer,
            400: OpenApiResponse(description="Missing reason or charges out of bounds"),
            403: OpenApiResponse(description="Not a sales manager"),
            404: OpenApiResponse(description="Not found"),
            409: ConflictSerializer,
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel with a reason and, once in production, cancellation charges."""
        order = self.get_object()
        data = s.OrderCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        order_services.order_cancel(
            order=order,
            actor=request.user,
            reason=v["reason"],
            charges=v["charges"],
            expected_version=v.get("version"),
            comment_audience=v.get("comment_audience"),
        )
        fresh = self.get_queryset().get(pk=order.pk)
        return Response(self.get_serializer(fresh).data)

    # -- telling the customer a new date (apps.orders.services.releases) ----

    def _staff_order(self):
        order = self.get_object()
        # A customer may read its order but not act for staff (403, as DESIGN §6 says).
        if not is_internal(self.request.user):
            raise PermissionDenied("Only staff confirm a new date to the customer.")
        return order

    def _released(self, order, call):
        data = s.ForecastReleaseSerializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        call(actor=self.request.user, comment=data.validated_data["comment"])
        fresh = self.get_queryset().get(pk=order.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(request=s.ForecastReleaseSerializer, responses=RELEASE_RESPONSES)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"lines/(?P<line_id>[0-9a-f-]{36})/release-forecast",
    )
    def release_line_forecast(self, request, pk=None, line_id=None):
        """Confirm a line's new forecast to the customer (409 when nothing is waiting)."""
        order = self._staff_order()
        line = next((x for x in order.lines.all() if str(x.pk) == line_id), None)
        if line is None:
            raise NotFound("No such line on this order.")
        return self._released(
            order,
            lambda **kw: release_services.order_line_forecast_release(line=line, **kw),
        )

    @extend_schema(request=s.ForecastReleaseSerializer, responses=RELEASE_RESPONSES)
    @action(detail=True, methods=["post"], url_path="release-forecasts")
    def release_forecasts(self, request, pk=None):
        """Confirm every line's new forecast of the order to the customer at once."""
        order = self._staff_order()
        return self._released(
            order, lambda **kw: release_services.order_forecasts_release(order=order, **kw)
        )

    @extend_schema(
        request=s.OrderExpediteSerializer,
        responses={
            200: s.OrderSerializer,
            400: OpenApiResponse(description="Missing reason"),
            403: OpenApiResponse(description="Not a planner or sales manager"),
            404: OpenApiResponse(description="Not found"),
            409: ConflictSerializer,
        },
    )
    @action(detail=True, methods=["post"])
    def expedite(self, request, pk=None):
        """Move the order ahead of every other open order and re-plan the lines it displaces."""
        order = self.get_object()
        data = s.OrderExpediteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order_expedite(order=order, actor=request.user, reason=data.validated_data["reason"])
        fresh = self.get_queryset().get(pk=order.pk)
        return Response(self.get_serializer(fresh).data)


class ChangeRequestFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=ChangeState.choices, distinct=False)

    class Meta:
        model = ChangeRequest
        fields = ["state", "order", "quote", "origin"]


@extend_schema_view(
    list=extend_schema(responses=s.ChangeRequestSerializer(many=True)),
    retrieve=extend_schema(responses=s.ChangeRequestSerializer),
    create=extend_schema(
        request=s.ChangeRequestCreateSerializer, responses={201: s.ChangeRequestSerializer}
    ),
    partial_update=extend_schema(
        request=s.ChangeRequestAssessSerializer, responses=s.ChangeRequestSerializer
    ),
    transitions=extend_schema(
        request=TransitionInputSerializer,
        responses={
            200: s.ChangeRequestSerializer,
            400: OpenApiResponse(description="Bad input"),
            403: OpenApiResponse(description="Not allowed for you"),
            404: OpenApiResponse(description="Not found"),
            409: ConflictSerializer,
        },
    ),
)
class ChangeRequestViewSet(
    TransitionViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Change requests on a quote or an order, from the customer or from staff."""

    filterset_class = ChangeRequestFilter
    ordering_fields = ["number", "created_at"]
    ordering = ["-created_at"]
    transition_service = staticmethod(change_transition)
    comment_audiences = True
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation (also `check --deploy`) must not need a database:
            # the change-request selector looks up content types.
            return ChangeRequest.objects.none()
        qs = selectors.change_requests_visible_to(self.request.user)
        if self.action != "list":
            # `apply`'s work-done check reads the order's lines.
            return qs.prefetch_related("order__lines")
        # The list counts and pages the visible ids; the page's rows are
        # `s.change_request_page` (`page_rows`).
        return qs

    # A list row reads its quote's or order's number and the requester's name (not the
    # customer): the number and what `apply`'s work-done check reads of the order come
    # as values of the row (no quote or order object per row); that check's order and
    # lines are made for the page's approved rows (paginate_queryset). Its SQL is
    # compiled once per page size (apps.core.api.PreparedRowsPaginator).
    page_rows = staticmethod(s.change_request_page)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            s.attach_work_done_lines(page)
        return page

    def get_serializer_class(self):
        if is_internal(self.request.user):
            return s.ChangeRequestSerializer
        return s.ChangeRequestCustomerSerializer

    def create(self, request):
        data = s.ChangeRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = request.user
        # The target must be visible to the caller: anything else is simply not found.
        quote = order = None
        if "quote" in v:
            quote = selectors.quotes_visible_to(user).filter(pk=v["quote"]).first()
            if quote is None:
                raise NotFound("No such quote.")
        else:
            order = selectors.orders_visible_to(user).filter(pk=v["order"]).first()
            if order is None:
                raise NotFound("No such order.")
        with transaction.atomic():
            cr = change_services.change_request_create(
                actor=user,
                quote=quote,
                order=order,
                title=v["title"],
                description=v["description"],
            )
        fresh = self.get_queryset().get(pk=cr.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        cr = self.get_object()
        data = s.ChangeRequestAssessSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = fields.pop("version", None)
        change_services.change_request_assess(
            change_request=cr, actor=request.user, expected_version=version, **fields
        )
        fresh = self.get_queryset().get(pk=cr.pk)
        return Response(self.get_serializer(fresh).data)


__all__ = ["ChangeRequestViewSet", "OrderViewSet", "QuoteViewSet", "ServiceErrorsMixin"]
