from __future__ import annotations

from django.http import Http404

# Paths a customer or supplier contact may reach besides their own portal.
_EXTERNAL_COMMON = (
    "/api/",
    "/accounts/",
    "/notifications/",
    "/static/",
    "/healthz",
    "/i18n/",
    "/favicon.ico",
)


class AreaAccessMiddleware:
    """External users reach only their portal, their account pages and the API.

    Everything else answers 404 (not 403) so that internal areas do not reveal
    themselves. Views still check object visibility; this is the outer fence.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.is_external:
            path = request.path_info
            portal = (
                "/portal/"
                if user.is_customer_contact
                else "/supplier/"
                if user.is_supplier_contact
                else None
            )
            allowed = path == "/" or path.startswith(_EXTERNAL_COMMON)
            if portal is not None:
                allowed = allowed or path.startswith(portal)
            if not allowed:
                raise Http404
        return self.get_response(request)
