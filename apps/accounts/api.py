from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer as BaseAuthTokenSerializer
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.accounts import services
from apps.accounts.models import Address, Organization, OrganizationKind, User
from apps.accounts.selectors import organizations_visible_to
from apps.core.api import fields_for_some_callers
from apps.core.permissions import is_internal


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many failed login attempts. Try again later."
    default_code = "locked_out"


class AuthTokenSerializer(BaseAuthTokenSerializer):
    # Bounded like every API text input (a username is at most 150 characters).
    username = serializers.CharField(max_length=150, write_only=True)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )
    name = serializers.CharField(
        max_length=100,
        required=False,
        default="API login",
        write_only=True,
        help_text="A label to tell this token apart on your account page.",
    )


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    name = serializers.CharField()
    expires_at = serializers.DateTimeField()


class TokenView(APIView):
    """Exchange username and password for a new API token.

    Send it as `Authorization: Token <key>`. Every call issues a new token that
    expires after the configured lifetime; a password change or reset ends all
    of them. Throttled per client address, and failures count toward the same
    lockout as the login page (django-axes).
    """

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: IssuedTokenSerializer,
            400: OpenApiResponse(description="Missing fields, or wrong username or password"),
            429: OpenApiResponse(description="Throttled, or locked out after repeated failures"),
        },
        auth=[],
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # authenticate() got the DRF request, so axes counted the failure and
            # flagged a lockout on it, not on the Django request (whose HTML
            # lockout page the axes middleware would render instead of JSON).
            if getattr(request, "axes_locked_out", False):
                raise LockedOut()
            raise exceptions.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        token, key = services.api_token_issue(user=user, name=serializer.validated_data["name"])
        # Exchanging the password for a token is a login: like the login page,
        # it resets the failure count (AXES_RESET_ON_SUCCESS) and sets last_login.
        user_logged_in.send(sender=type(user), request=request, user=user)
        return Response(
            IssuedTokenSerializer(
                {"token": key, "name": token.name, "expires_at": token.expires_at}
            ).data
        )


class AddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = [
            "id",
            "kind",
            "label",
            "line1",
            "line2",
            "city",
            "region",
            "postal_code",
            "country",
            "is_default",
        ]


_ORGANIZATION_FIELDS = [
    "id",
    "name",
    "code",
    "kind",
    "email",
    "phone",
    "website",
    "currency",
    "payment_terms",
    "is_active",
    "addresses",
]


class ExternalOrganizationSerializer(serializers.ModelSerializer):
    """What a customer or supplier contact sees of its own organization."""

    addresses = AddressSerializer(many=True, read_only=True)
    # Blank when unknown: a URL field would document a `uri` that "" is not.
    website = serializers.CharField(read_only=True)

    class Meta:
        model = Organization
        fields = _ORGANIZATION_FIELDS
        read_only_fields = fields


class OrganizationSerializer(ExternalOrganizationSerializer):
    """Internal staff also see the credit limit. Internal notes never leave the pages."""

    class Meta(ExternalOrganizationSerializer.Meta):
        fields = [*_ORGANIZATION_FIELDS, "credit_limit"]
        read_only_fields = fields


# The schema documents the staff serializer; contacts get no credit limit.
fields_for_some_callers(OrganizationSerializer, ExternalOrganizationSerializer)


class OrganizationFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=OrganizationKind.choices)
    q = filters.CharFilter(method="filter_q", label="Name or code contains")

    class Meta:
        model = Organization
        fields = ["kind", "is_active"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


ORDERING_FIELDS = ["name", "code", "kind", "created_at"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "ordering",
                str,
                description=(
                    f"One or more of {', '.join(ORDERING_FIELDS)}, comma-separated; "
                    "prefix with - for descending. Other fields are ignored."
                ),
            )
        ]
    )
)
class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """Organizations: internal staff see all of them, a contact only its own.

    External callers do not receive `credit_limit`.
    """

    filterset_class = OrganizationFilter
    ordering_fields = ORDERING_FIELDS
    ordering = ["name"]

    def get_queryset(self):
        return organizations_visible_to(self.request.user).prefetch_related("addresses")

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False) or is_internal(self.request.user):
            return OrganizationSerializer
        return ExternalOrganizationSerializer


class OrganizationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "code", "kind"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    organization = OrganizationRefSerializer(read_only=True, allow_null=True)
    roles = serializers.SerializerMethodField()
    is_internal = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "organization",
            "roles",
            "is_internal",
        ]

    def get_roles(self, user: User) -> list[str]:
        # The per-organization guardian groups ("org:ACME") are plumbing, not roles.
        return sorted(r for r in user.role_names if not r.startswith("org:"))

    def get_is_internal(self, user: User) -> bool:
        return is_internal(user)


@extend_schema(responses=MeSerializer, tags=["auth"])
@api_view(["GET"])
def me(request):
    """The caller: profile, organization and roles."""
    return Response(MeSerializer(request.user).data)
