"""The quote PDF download, shared by the staff page and the customer portal.

The caller fetched the quote through its own permission-filtered selector (404
when invisible); `quote_pdf_response` picks the document through
`quote_documents_visible_to`, so a contact only ever downloads what was sent to
its organization.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest

from apps.orders import selectors
from apps.orders.models import Quote
from apps.orders.services.documents import quote_document_render


def quote_pdf_response(request: HttpRequest, quote: Quote) -> FileResponse:
    """The latest sent revision's PDF, or `?revision=N`'s; 404 when there is none."""
    documents = selectors.quote_documents_visible_to(request.user, quote)
    raw = request.GET.get("revision")
    if raw is not None:
        if not raw.isdigit() or len(raw) > 6:
            raise Http404
        documents = documents.filter(revision=int(raw))
    document = documents.first()
    if document is None:
        raise Http404
    if not document.file or not document.file.storage.exists(document.file.name):
        # Sent, but the worker has not rendered it yet (or failed, or the file was
        # lost): the content is frozen, so rendering it now gives the same document.
        quote_document_render(document=document)
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.filename,
        content_type="application/pdf",
    )
