from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page(
    request: HttpRequest,
    template: str,
    context: dict | None = None,
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Full page on a normal request; the named partial on an htmx request.

    Boosted requests swap the whole body, so they get the full page too.
    """
    name = template
    if partial and getattr(request, "htmx", False) and not request.htmx.boosted:
        name = f"{template}#{partial}"
    response = render(request, name, context or {}, status=status)
    response["Vary"] = "HX-Request"
    return response


def hx_redirect(url: str) -> HttpResponse:
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response
