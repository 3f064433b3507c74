"""The quote document: the PDF the customer receives with each sent revision.

`quote_document_create` runs in the send transaction: it freezes what the
document shows (`quote_document_content`, customer-visible fields only: never
costs, margins, reviews, critical paths or internal notes) and queues the
rendering on commit. `quote_document_render` turns that content into a PDF with
WeasyPrint and stores it under MEDIA_ROOT, which nothing serves: the file leaves
only through the permission-checked downloads (apps.orders.downloads).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apps.accounts.models import Address, AddressKind, Organization, OrganizationKind
from apps.orders.models import Quote, QuoteDocument

TEMPLATE = "orders/quote_document.html"


def _address(address: Address | None) -> list[str]:
    if address is None:
        return []
    return [p for p in [address.label, *address.lines] if p]


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _company() -> dict:
    company = (
        Organization.objects.filter(kind=OrganizationKind.INTERNAL, is_active=True)
        .order_by("created_at")
        .first()
    )
    if company is None:
        return {"name": "Kestrel Pump & Control", "address": []}
    address = company.addresses.filter(kind=AddressKind.BILLING).order_by("-is_default").first()
    return {
        "name": company.name,
        "address": _address(address),
        "contacts": [c for c in (company.phone, company.email, company.website) if c],
    }


def quote_document_content(quote: Quote) -> dict:
    """What the PDF of this revision shows, from customer-visible fields only.

    An allow-list: a field added to the quote later stays out of the document
    until someone decides the customer may read it.
    """
    lines = list(quote.lines.select_related("product").order_by("position", "created_at"))
    owner, contact, customer = quote.owner, quote.contact, quote.customer
    total = sum((line.line_total for line in lines), Decimal("0"))
    return {
        "company": _company(),
        "number": quote.number,
        "revision": quote.revision,
        "title": quote.title,
        "customer": {"name": customer.name, "code": customer.code},
        "contact": (contact.get_full_name() or contact.username) if contact else "",
        "customer_reference": quote.customer_reference,
        "billing_address": _address(quote.billing_address),
        "shipping_address": _address(quote.shipping_address),
        "issued": _day(timezone.localdate(quote.sent_at) if quote.sent_at else None),
        "valid_until": _day(quote.valid_until),
        "requested_date": _day(quote.requested_date),
        "promised_date": _day(quote.promised_date),
        "currency": quote.currency,
        "payment_terms": customer.get_payment_terms_display(),
        "terms": quote.terms,
        "prepared_by": {
            "name": owner.get_full_name() or owner.username,
            "email": owner.email,
        },
        "lines": [
            {
                "position": line.position,
                "product": line.product.name,
                "sku": line.product.sku,
                "configuration_text": line.configuration_text,
                "scope_statement": line.scope_statement,
                "quantity": line.quantity,
                "unit_list_price": str(line.unit_list_price),
                "discount_percent": str(line.discount_percent),
                "unit_price": str(line.unit_price),
                "line_total": str(line.line_total),
                "requested_date": _day(line.requested_date or quote.requested_date),
                # The date the customer is promised, frozen at send (quote_promises_freeze):
                # the feasible date or the quote's promised date.
                "promised_date": _day(line.sent_promised_date or line.feasible_date),
            }
            for line in lines
        ],
        "total": str(total),
    }


def quote_document_create(*, quote: Quote) -> QuoteDocument:
    """The document of the revision being sent; rendered after the commit (Celery)."""
    from apps.orders.tasks import render_quote_document

    document, created = QuoteDocument.objects.get_or_create(
        quote=quote, revision=quote.revision, defaults={"content": quote_document_content(quote)}
    )
    if created:
        transaction.on_commit(lambda: render_quote_document.delay(document.pk))
    return document


def _display(content: dict) -> dict:
    """The content with dates and amounts as objects, for the template's filters."""

    def day(value):
        return dt.date.fromisoformat(value) if value else None

    return {
        **content,
        "issued": day(content.get("issued")),
        "valid_until": day(content.get("valid_until")),
        "requested_date": day(content.get("requested_date")),
        "promised_date": day(content.get("promised_date")),
        "total": Decimal(content["total"]),
        "lines": [
            {
                **line,
                "unit_list_price": Decimal(line["unit_list_price"]),
                "discount_percent": Decimal(line["discount_percent"]),
                "unit_price": Decimal(line["unit_price"]),
                "line_total": Decimal(line["line_total"]),
                "requested_date": day(line.get("requested_date")),
                "promised_date": day(line.get("promised_date")),
            }
            for line in content["lines"]
        ],
    }


def quote_pdf(content: dict) -> bytes:
    # Imported here: WeasyPrint loads Pango and its fonts, which only the
    # rendering worker (or a download of a document not rendered yet) needs.
    from weasyprint import HTML

    html = render_to_string(TEMPLATE, {"doc": _display(content)})
    return HTML(string=html).write_pdf()


def quote_document_render(*, document: QuoteDocument) -> QuoteDocument:
    """Render (or render again) the PDF of `document` from its frozen content."""
    pdf = quote_pdf(document.content)
    old = document.file.name
    document.file.save(document.filename, ContentFile(pdf), save=False)
    document.rendered_at = timezone.now()
    document.save(update_fields=["file", "rendered_at"])
    if old and old != document.file.name:
        document.file.storage.delete(old)
    return document
