"""The REST API: /api/v1/ collections, token auth, OpenAPI schema and docs."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from apps.accounts.api import OrganizationViewSet, TokenView, me
from apps.catalog.api import ProductViewSet
from apps.core.api import AuthenticatedUnlessDebug
from apps.orders.api.views import ChangeRequestViewSet, OrderViewSet, QuoteViewSet
from apps.sales.api import InquiryViewSet, OpportunityViewSet

router = DefaultRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("products", ProductViewSet, basename="product")
router.register("quotes", QuoteViewSet, basename="quote")
router.register("orders", OrderViewSet, basename="order")
router.register("change-requests", ChangeRequestViewSet, basename="change-request")
router.register("inquiries", InquiryViewSet, basename="inquiry")
router.register("opportunities", OpportunityViewSet, basename="opportunity")


def _signed_in_unless_debug(view):
    """The docs page (and its init script) sends an anonymous visitor to sign in in production."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.DEBUG and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/me/", me, name="api-me"),
    path("v1/", include(router.urls)),
    # Anonymous: 401 in production (the schema maps the whole API), open in the demo.
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[AuthenticatedUnlessDebug]),
        name="api-schema",
    ),
    # The split view serves Swagger UI's init script from ?script, so the page
    # needs no inline script under the CSP; the UI itself comes from the sidecar.
    path(
        "docs/",
        _signed_in_unless_debug(
            SpectacularSwaggerSplitView.as_view(
                url_name="api-schema", template_name="api/swagger_ui.html"
            )
        ),
        name="api-docs",
    ),
]
