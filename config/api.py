"""The REST API: /api/v1/ collections, token auth, OpenAPI schema and docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from apps.accounts.api import OrganizationViewSet, TokenView, me, token_revoke
from apps.catalog.api import ProductViewSet
from apps.orders.api.views import ChangeRequestViewSet, OrderViewSet, QuoteViewSet

router = DefaultRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("products", ProductViewSet, basename="product")
router.register("quotes", QuoteViewSet, basename="quote")
router.register("orders", OrderViewSet, basename="order")
router.register("change-requests", ChangeRequestViewSet, basename="change-request")

urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/auth/token/revoke/", token_revoke, name="api-token-revoke"),
    path("v1/me/", me, name="api-me"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script from ?script, so the page
    # needs no inline script under the CSP; the UI itself comes from the sidecar.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
]
