from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from apps.accounts.models import Address, Organization, OrganizationKind, User
from apps.accounts.selectors import organizations_visible_to


class TokenView(ObtainAuthToken):
    """Exchange username and password for an API token.

    Throttled per client; django-axes also counts failed logins here.
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"


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


class OrganizationSerializer(serializers.ModelSerializer):
    addresses = AddressSerializer(many=True, read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "code",
            "kind",
            "email",
            "phone",
            "website",
            "currency",
            "payment_terms",
            "credit_limit",
            "is_active",
            "addresses",
        ]


class OrganizationFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=OrganizationKind.choices)
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")

    class Meta:
        model = Organization
        fields = ["kind", "is_active"]


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    ordering_fields = ["name", "code", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return organizations_visible_to(self.request.user).prefetch_related("addresses")


class MeSerializer(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "organization", "roles"]

    def get_organization(self, user) -> dict | None:
        org = user.organization
        return {"id": str(org.pk), "name": org.name, "kind": org.kind} if org else None

    def get_roles(self, user) -> list[str]:
        return sorted(r for r in user.role_names if not r.startswith("org:"))


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request):
    return Response(MeSerializer(request.user).data)
