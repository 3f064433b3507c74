from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.utils.cache import add_never_cache_headers

# Paths a customer or supplier contact may reach besides their own portal.
_EXTERNAL_COMMON = (
    "/api/",
    "/accounts/",
    "/notifications/",
    "/static/",
    "/healthz",
    "/i18n/",
    "/favicon.ico",
    "/track/",  # the public order tracker: a contact may open a link shared with them
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


class NoStoreForSignedInMiddleware:
    """`Cache-Control: no-store` on every response to a signed-in user.

    Pages and API answers carry what one person may see; no browser cache,
    back button after sign-out or shared proxy should keep them. Checked after
    the view, so API calls that DRF authenticated by token count too (DRF sets
    the user on the underlying request). Static and media files are not
    personal and stay cacheable (WhiteNoise answers static files before this
    runs anyway).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.public_prefixes = tuple(
            "/" + url.lstrip("/")
            for url in (settings.STATIC_URL, settings.MEDIA_URL)
            if url and url.lstrip("/")
        )

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path_info.startswith(self.public_prefixes)
        ):
            add_never_cache_headers(response)
        return response
