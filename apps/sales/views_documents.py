"""Staff download of a quote's PDF (any sent revision)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from apps.orders import selectors
from apps.orders.downloads import quote_pdf_response
from apps.sales.views_common import require_staff


@require_GET
@login_required
def quote_pdf(request: HttpRequest, pk) -> HttpResponse:
    require_staff(request.user)
    quote = selectors.quote_get_for_user(request.user, pk)
    return quote_pdf_response(request, quote)
