"""The customer portal: a contact's own organization, quotes and orders.

Every page first checks that the visitor is a contact of an active customer
organization (anyone else gets 404), then reads through the orders selectors,
which only return what that organization was granted. Writes go through the
orders services, so the portal, the staff pages and the API never disagree.
Templates show customer-facing fields only: never unit costs, margins,
critical paths, reviews or internal notes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts import directory
from apps.accounts.models import OrganizationKind
from apps.core.htmx import render_page
from apps.core.lists import list_page
from apps.core.pages import (
    ALL_SECTIONS,
    LINES_SHOWN,
    DetailPage,
    LineWindow,
    all_lines_asked,
    detail_partial,
    lazy_sections,
    line_window,
    region_page,
    transition_post,
)
from apps.core.permissions import get_visible_or_404
from apps.core.prepared import prepared_values
from apps.core.rows import row_query
from apps.core.transitions import available_transitions, transition_options
from apps.core.views_comments import thread_view
from apps.customers.forms import AcceptForm, ChangeRequestForm, DecisionForm, DeclineForm
from apps.orders import revisions, selectors, tracker_pages
from apps.orders.downloads import quote_pdf_response
from apps.orders.models import (
    ORDER_CLOSED_STATES,
    ChangeDecider,
    ChangeRequest,
    ChangeState,
    OrderLine,
    OrderState,
    Quote,
    QuoteLine,
    QuoteRevision,
    QuoteState,
    SalesOrder,
)
from apps.orders.services import changes as change_services
from apps.orders.services import quotes as quote_services

DASHBOARD_LIMIT = 5

PORTAL = directory.Portal(
    kind=OrganizationKind.CUSTOMER,
    title="Customer portal",
    dashboard_url="customers:dashboard",
    organization_url="customers:organization",
    dashboard_template="customers/dashboard.html",
)

# The customer's decisions on a sent quote; the URL names one of these or gets 404.
DECISIONS = {"accept": quote_services.quote_accept, "decline": quote_services.quote_decline}

# The signed acceptance's fields the pages show (customers/partials/acceptance.html).
ACCEPTANCE_FIELDS = ("accepted_at", "signer_name", "customer_po", "terms_accepted", "revision")

# What a customer sees of the order workflow. In-design counts as confirmed,
# a partial shipment as ready, a closed order as delivered.
ORDER_STEPS = (
    (OrderState.PENDING, "Pending"),
    (OrderState.CONFIRMED, "Confirmed"),
    (OrderState.PLANNED, "Planned"),
    (OrderState.IN_PRODUCTION, "In production"),
    (OrderState.READY_TO_SHIP, "Ready"),
    (OrderState.SHIPPED, "Shipped"),
    (OrderState.DELIVERED, "Delivered"),
)
_STEP_OF = {state: i for i, (state, _label) in enumerate(ORDER_STEPS)} | {
    OrderState.IN_DESIGN: 1,
    OrderState.PARTIALLY_SHIPPED: 4,
    OrderState.CLOSED: len(ORDER_STEPS),
}


def _require_contact(user) -> None:
    # Staff, supplier contacts and contacts of inactive organizations get 404 on
    # every portal page, so the portal's objects never reveal themselves.
    if not (user.is_authenticated and user.is_active and user.is_external):
        raise Http404
    org = user.organization
    if org is None or org.kind != OrganizationKind.CUSTOMER or not org.is_active:
        raise Http404


def _portal_quotes(user) -> QuerySet[Quote]:
    # Total and line count are stored on the quote (apps.core.lists): no aggregate here.
    return selectors.portal_quote_list(user)


def _show_sent_versions(quotes: list[Quote]) -> None:
    """Rows of quotes being revised show their last sent revision, never the draft.

    Display-only attributes on unsaved instances: the live lines' totals and the
    new validity are the draft's, which the customer has not been sent.
    """
    versions = selectors.quote_last_sent_versions(quotes)
    for quote in quotes:
        version = versions.get(quote.pk)
        if version is None:
            continue
        quote.being_revised = True
        quote.title = version.title
        quote.sent_at = version.sent_at
        quote.valid_until = version.valid_until
        quote.line_count = version.line_count
        quote.total_amount = version.total


# --- dashboard and organization ------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_contact(user)
    # Quotes waiting for the customer's answer; pending orders wait for staff.
    action_items = list(
        selectors.quote_list(user)
        .filter(state=QuoteState.SENT)
        .order_by("valid_until", "number")[:DASHBOARD_LIMIT]
    )
    open_orders = list(
        selectors.order_list(user)
        .exclude(state__in=ORDER_CLOSED_STATES)
        .order_by("customer_last_date", "number")[:DASHBOARD_LIMIT]
    )
    # Change proposals only the customer can decide.
    change_decisions = list(
        selectors.change_requests_visible_to(user)
        .filter(state=ChangeState.PROPOSED, decider=ChangeDecider.CUSTOMER)
        .order_by("proposed_at")[:DASHBOARD_LIMIT]
    )
    return directory.portal_dashboard(
        request,
        PORTAL,
        extra_context={
            "action_items": action_items,
            "change_decisions": change_decisions,
            "open_orders": open_orders,
        },
    )


@login_required
def organization(request: HttpRequest) -> HttpResponse:
    return directory.portal_organization(request, PORTAL)


# --- quotes ----------------------------------------------------------------------

QUOTE_TABS = {
    "awaiting": ("Awaiting your decision", {"state": QuoteState.SENT}),
    "all": ("All quotes", {}),
}


@login_required
def quote_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_contact(user)
    tab = request.GET.get("state", "all")
    if tab not in QUOTE_TABS:
        tab = "all"
    qs = _portal_quotes(user).filter(**QUOTE_TABS[tab][1])
    page = list_page(
        request, qs.order_by("-sent_at", "-number"), rows=row_query("customers/quote_list.html#row")
    )
    _show_sent_versions(page.object_list)
    return render_page(
        request,
        "customers/quote_list.html",
        {
            "page_obj": page,
            "tab": tab,
            "tabs": [(key, label) for key, (label, _f) in QUOTE_TABS.items()],
        },
        partial="results",
    )


def _quote_header(quote, subtitle: str) -> dict:
    """The portal quote's heading; the PDF of the last sent revision once there is one."""
    return {
        "heading": f"Quote {quote.number}",
        "subtitle": subtitle,
        "pdf_url": reverse("customers:quote-pdf", args=[quote.pk]) if quote.sent_at else "",
        "pdf_label": "Download PDF",
    }


def _quote_context(
    request: HttpRequest,
    quote: Quote,
    *,
    error: str = "",
    error_allowed: list[str] | None = None,
    notice: str = "",
    accept_form: AcceptForm | None = None,
    decline_form: DeclineForm | None = None,
    change_form: ChangeRequestForm | None = None,
    change_notice: str = "",
    change_error: str = "",
) -> dict:
    if quote.state in selectors.QUOTE_BEING_REVISED_STATES:
        return _revised_quote_context(request, quote, error=error, change_error=change_error)
    # The customer's decisions, each enabled or disabled with the sentence that says why.
    options = {o.name: o for o in transition_options(quote, request.user) if o.permitted}
    window = _quote_lines_window(request, quote)
    context = {
        "quote": quote,
        "header": _quote_header(quote, quote.title),
        "timeline_of": quote,
        "quote_total": quote.lines_sum,
        "lines": window.shown,
        "line_window": window,
        "decisions": {name: options[name] for name in DECISIONS if name in options},
        "accept_form": accept_form or AcceptForm(initial={"version": quote.version}),
        "decline_form": decline_form or DeclineForm(initial={"version": quote.version}),
        # Selected with the quote (_portal_quote): no query.
        "acceptance": getattr(quote, "acceptance", None),
        "is_past_validity": quote.state == QuoteState.SENT and quote.is_past_validity(),
        "error": error,
        "notice": notice,
        "can_request_change": quote.state in (QuoteState.SENT, QuoteState.ACCEPTED),
    }
    # A line's "Request a change" link (?change_line=) comes for the form: in the page.
    if lazy_sections(request) and "change_line" not in request.GET:
        return (
            context
            | _lazy_context("quote", quote, QUOTE_SECTIONS)
            # The revisions card shows once the customer received a revision before this one.
            | {"has_revisions": quote.sent_revisions}
        )
    return (
        context
        | _quote_revisions_context(request, quote)
        | _quote_changes_context(
            request,
            quote,
            change_form=change_form,
            change_notice=change_notice,
            change_error=change_error,
        )
    )


def _quote_revisions_context(request: HttpRequest, quote: Quote) -> dict:
    # The live quote is the newest version the customer compares with the sent ones.
    lines = _portal_quote_lines().filter(quote=quote).order_by("position")
    current = revisions.version_from_quote(quote, lines)
    return {"history": revisions.customer_history(quote, quote.revisions.all(), current)}


def _quote_changes_context(
    request: HttpRequest,
    quote: Quote,
    *,
    change_form: ChangeRequestForm | None = None,
    change_notice: str = "",
    change_error: str = "",
) -> dict:
    lines = quote.lines.order_by("position").values_list("position", "product__name")
    return {
        "change_requests": _change_requests(request.user, quote=quote),
        "can_request_change": quote.state in (QuoteState.SENT, QuoteState.ACCEPTED),
        "change_form": _change_form(request, list(lines), "quote", change_form),
        "change_notice": change_notice,
        "change_error": change_error,
    }


def _quote_lines(lines) -> list[tuple[int, str]]:
    return [(line.position, line.product.name) for line in lines]


def _change_form(
    request: HttpRequest, lines, noun: str, form: ChangeRequestForm | None = None
) -> ChangeRequestForm:
    """The change-request form; `?change_line=<position>` (a line's link) preselects the line."""
    if form is None:
        initial = {"line": request.GET.get("change_line", "")[:5]}
        form = ChangeRequestForm(prefix="change", lines=lines, noun=noun, initial=initial)
    directory.style_form(form)
    if "line" in form.fields:
        widget = form.fields["line"].widget
        widget.attrs["class"] = widget.attrs["class"].replace("form-control", "form-select")
    return form


def _revised_quote_context(
    request: HttpRequest, quote: Quote, *, error: str = "", change_error: str = ""
) -> dict:
    """The last sent revision of a quote Kestrel is revising, without decisions.

    Built from the immutable snapshot's customer-facing fields only
    (selectors.quote_last_sent_versions): costs, margins and notes never leave it.
    """
    shown = selectors.quote_last_sent_versions([quote])[quote.pk]
    window = line_window(request, shown.lines)
    return {
        "history": revisions.customer_history(quote, quote.revisions.all(), None),
        "quote": shown,
        "quote_total": shown.total,
        "header": _quote_header(quote, shown.title),
        "timeline_of": quote,
        "being_revised": True,
        "lines": window.shown,
        "line_window": window,
        "decisions": {},
        "is_past_validity": False,
        "error": error,
        "notice": "",
        "change_requests": list(
            selectors.change_requests_visible_to(request.user)
            .filter(quote=quote)
            .order_by("-created_at")
        ),
        "can_request_change": False,
        "change_form": _change_form(request, _quote_lines(shown.lines), "quote"),
        "change_notice": "",
        "change_error": change_error,
    }


REVISING = selectors.QUOTE_BEING_REVISED_REFUSAL


# What the portal reads of every line (the rows, the live version the history compares
# with the sent ones, the change form's line choices): building a 200-line quote's lines
# with every column of line and product was half of the page (bench).
PORTAL_LINE_FIELDS = (
    *("quote_id", "position", "configuration_text", "scope_statement", "quantity"),
    *("unit_price", "line_total", "requested_date", "feasible_date", "sent_promised_date"),
    "product__name",
)


def _portal_quote(user, pk) -> Quote:
    """The quote with its lines and their products, in one query (a 200-line quote made
    200 more, bench), for the services the buttons call and the PDF."""
    qs = (
        selectors.portal_quotes_visible_to(user)
        .select_related("owner", "acceptance")
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.select_related("product")))
    )
    return get_visible_or_404(user, qs, pk=pk)


def _portal_quote_lines():
    # Only the lines' columns the page reads.
    return QuoteLine.objects.select_related("product").only(*PORTAL_LINE_FIELDS)


def _portal_quote_page(user, pk) -> Quote:
    """The quote for its portal page: how many lines it has and whether the customer
    received a revision before, with the row (the lines come with `_quote_lines_window`)."""
    qs = selectors.portal_quotes_visible_to(user, _portal_quote_page_shape())
    return get_visible_or_404(user, qs, pk=pk)


@functools.cache
def _portal_quote_page_shape() -> QuerySet[Quote]:
    """The portal quote page's query before its visibility filter and the quote's pk:
    the same for every request, so it is built once per process (as the staff pages'
    `_quote_page_shape`; its joins and three subqueries were a tenth of the page, bench).
    Never evaluated itself: every request filters a clone."""
    sent_before = QuoteRevision.objects.filter(quote=OuterRef("pk"), state=QuoteState.SENT)
    return Quote.objects.select_related("owner", "acceptance").annotate(
        lines_total=selectors.line_count_subquery(QuoteLine, "quote"),
        # The sum of its lines (Quote.total) in SQL: the page loads 25 of them.
        lines_sum=Coalesce(
            Subquery(
                QuoteLine.objects.filter(quote=OuterRef("pk"))
                .order_by()
                .values("quote")
                .annotate(sum=Sum("line_total"))
                .values("sum")
            ),
            Value(Decimal("0")),
        ),
        sent_revisions=Exists(sent_before),
    )


def _quote_lines_window(request: HttpRequest, quote: Quote) -> LineWindow:
    """The lines the page shows, in one query (a 200-line quote's other lines are read
    by "Show all" only, which prefetches them as `quote.lines` too)."""
    if all_lines_asked(request):
        lines = _portal_quote_lines().order_by("position")
        shown = selectors.document_lines_window(
            quote, lines, "quote", every=True, shown=LINES_SHOWN
        )
    else:
        shown = _quote_window_rows(quote.pk)
    return LineWindow(shown=shown, total=quote.lines_total)


# The first LINES_SHOWN lines of a document, as `values()` whose SQL is compiled once per
# process (apps.core.prepared): building and compiling the window's query was a sixth
# of a portal detail page (bench). The rows become the model's instances (`from_db`, as
# the ORM makes them), so the presenters and properties read them as before.
def _quote_window_query(slots) -> QuerySet:
    fields = [name for name in PORTAL_LINE_FIELDS if name != "product__name"]
    return (
        QuoteLine.objects.filter(quote_id__in=slots)
        .order_by("position")
        .values("id", "product_id", *fields, "product__name")[:LINES_SHOWN]
    )


def _order_window_query(slots) -> QuerySet:
    return (
        OrderLine.objects.filter(order_id__in=slots)
        .order_by("position")
        .values("id", *PORTAL_ORDER_LINE_FIELDS)[:LINES_SHOWN]
    )


def _quote_window_rows(quote_pk) -> list[SimpleNamespace]:
    """The quote's first lines as what their row presenter (customers.rows.quote_line_row)
    reads: the line's columns and `product.name`; nothing else reads them."""
    lines = []
    for row in prepared_values(_quote_window_query, (), [quote_pk]):
        product = SimpleNamespace(name=row.pop("product__name"))
        lines.append(SimpleNamespace(**row, product=product))
    return lines


def _order_window_lines(order_pk) -> list[OrderLine]:
    """The order's first lines as OrderLine instances with the columns the page reads
    (the row reads the lines' date properties)."""
    lines = []
    for row in prepared_values(_order_window_query, (), [order_pk]):
        # from_db reads the values in the order of the model's fields.
        names = [f.attname for f in OrderLine._meta.concrete_fields if f.attname in row]
        lines.append(OrderLine.from_db(DEFAULT_DB_ALIAS, names, [row[name] for name in names]))
    return lines


QUOTE_PAGE = DetailPage(
    template="customers/quote_detail.html",
    get=_portal_quote_page,
    context=_quote_context,
    url_name="customers:quote-detail",
    partial="decision-and-timeline",
)


@login_required
def quote_detail(request: HttpRequest, pk) -> HttpResponse:
    _require_contact(request.user)
    quote = _portal_quote_page(request.user, pk)
    return render_page(
        request,
        QUOTE_PAGE.template,
        _quote_context(request, quote),
        partial=detail_partial(request, "decision"),
    )


@require_GET
@login_required
def quote_pdf(request: HttpRequest, pk) -> HttpResponse:
    """The PDF sent with the quote's latest (or ?revision=N) sent revision."""
    _require_contact(request.user)
    return quote_pdf_response(request, _portal_quote(request.user, pk))


@login_required
def quote_comments(request: HttpRequest, pk) -> HttpResponse:
    """The quote's thread as the customer reads it (customer-visible comments only)."""
    _require_contact(request.user)
    qs = selectors.portal_quotes_visible_to(request.user)
    return thread_view(request, get_visible_or_404(request.user, qs, pk=pk))


@require_POST
@login_required
def quote_transition(request: HttpRequest, pk, name: str) -> HttpResponse:
    user = request.user
    _require_contact(user)
    quote = _portal_quote(user, pk)
    service = DECISIONS.get(name)
    if service is None:
        raise Http404
    if quote.state in selectors.QUOTE_BEING_REVISED_STATES:
        return QUOTE_PAGE.answer(request, pk, status=409, error=REVISING)
    if name == "accept":
        # The acceptance record keeps where it was signed from, with the time and user.
        ip = get_client_ip_address(request) or None
        return transition_post(
            request,
            QUOTE_PAGE,
            pk,
            call=lambda **kw: service(quote=quote, actor=user, ip_address=ip, **kw),
            notice=lambda result: f"You accepted {quote.number}.",
            form_class=AcceptForm,
            form_key="accept_form",
        )
    return transition_post(
        request,
        QUOTE_PAGE,
        pk,
        call=lambda **kw: service(quote=quote, actor=user, **kw),
        notice=lambda result: f"You declined {quote.number}.",
        form_class=DeclineForm,
        form_key="decline_form",
    )


@require_POST
@login_required
def quote_change_request(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    _require_contact(user)
    quote = selectors.quote_get_for_user(user, pk)
    return _change_request(
        request,
        target=quote,
        template="customers/quote_detail.html",
        # The page's own fetch (its line count, whether revisions were sent).
        context_for=lambda request, quote, **kw: _quote_context(
            request, _portal_quote_page(request.user, quote.pk), **kw
        ),
    )


# --- orders ----------------------------------------------------------------------

ORDER_TABS = {
    "open": ("Open orders", {"exclude": True}),
    "all": ("All orders", {}),
}


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_contact(user)
    tab = request.GET.get("state", "all")
    if tab not in ORDER_TABS:
        tab = "all"
    qs = selectors.order_list(user)
    if tab == "open":
        qs = qs.exclude(state__in=ORDER_CLOSED_STATES)
    page = list_page(
        request, qs.order_by("-created_at", "-pk"), rows=row_query("customers/order_list.html#row")
    )
    return render_page(
        request,
        "customers/order_list.html",
        {
            "page_obj": page,
            "tab": tab,
            "tabs": [(key, label) for key, (label, _f) in ORDER_TABS.items()],
        },
        partial="results",
    )


@dataclass(frozen=True)
class Step:
    label: str
    status: str  # "done", "current" or "todo"


def order_progress(order: SalesOrder) -> list[Step]:
    """The order's place along the customer-facing steps; empty when cancelled."""
    state = order.held_state if order.state == OrderState.ON_HOLD else order.state
    if state not in _STEP_OF:
        return []
    at = _STEP_OF[state]
    return [
        Step(label, "done" if i < at else "current" if i == at else "todo")
        for i, (_state, label) in enumerate(ORDER_STEPS)
    ]


@dataclass(frozen=True)
class LineDates:
    line: object
    # The date changes released to the customer, in customer words (customer_text):
    # never the internal reason or cause, never a forecast staff have not released.
    notes: tuple


def _order_context(
    request: HttpRequest,
    order: SalesOrder,
    *,
    change_form: ChangeRequestForm | None = None,
    change_notice: str = "",
    change_error: str = "",
    tracker_error: str = "",
    tracker_notice: str = "",
    tracker_url: str = "",
) -> dict:
    steps = order_progress(order)
    window = _order_lines_window(request, order)
    # Released date changes only, in the customer's words: never the internal reason.
    notes = selectors.released_date_notes(window.shown)
    context = {
        "order": order,
        "header": {
            "heading": f"Order {order.number}",
            "subtitle": f"Your PO {order.customer_po}" if order.customer_po else "",
        },
        "lines": [LineDates(line=line, notes=notes.get(line.pk, ())) for line in window.shown],
        "line_window": window,
        "steps": steps,
        "step_count": len(steps),
        "steps_done": sum(1 for s in steps if s.status == "done"),
        # The quote's signed acceptance (selected with the order: no query).
        "acceptance": getattr(order.quote, "acceptance", None),
    }
    if lazy_sections(request):
        return context | _lazy_context("order", order, ORDER_SECTIONS)
    return (
        context
        | _order_changes_context(
            request,
            order,
            change_form=change_form,
            change_notice=change_notice,
            change_error=change_error,
        )
        | _order_trackers_context(
            request,
            order,
            tracker_error=tracker_error,
            tracker_notice=tracker_notice,
            tracker_url=tracker_url,
        )
        | _history_context(order)
    )


def _order_changes_context(
    request: HttpRequest,
    order: SalesOrder,
    *,
    change_form: ChangeRequestForm | None = None,
    change_notice: str = "",
    change_error: str = "",
) -> dict:
    return {
        "change_requests": _change_requests(request.user, order=order),
        "can_request_change": order.state not in ORDER_CLOSED_STATES,
        "change_form": _change_form(request, _order_lines(order), "order", change_form),
        "change_notice": change_notice,
        "change_error": change_error,
    }


def _order_trackers_context(
    request: HttpRequest,
    order: SalesOrder,
    *,
    tracker_error: str = "",
    tracker_notice: str = "",
    tracker_url: str = "",
) -> dict:
    return {
        "trackers": tracker_pages.tracker_section(
            order, request.user, error=tracker_error, notice=tracker_notice
        ),
        "tracker_url": tracker_url,
    }


def _history_context(document) -> dict:
    return {"history_of": document}


def _order_lines(order: SalesOrder) -> list[tuple[int, str]]:
    # The change form's choices: every line's position and name, not whole lines.
    return list(order.lines.order_by("position").values_list("position", "product_name"))


# What the portal order page reads of the order, its quote and acceptance, and of each
# line it shows (customers.rows.order_line_row): a whole order with five joined tables
# and every line's every column was a quarter of the page (bench).
PORTAL_ORDER_FIELDS = (
    *("number", "state", "held_state", "customer_id", "customer_po", "currency", "total"),
    *("created_at", "delivery_window", "shipping_address", "quote_revision"),
    # The quote's state: django-fsm's ConcurrentTransitionMixin reads it on load.
    *("quote__number", "quote__state"),
    *(f"quote__acceptance__{name}" for name in ACCEPTANCE_FIELDS),
)
PORTAL_ORDER_LINE_FIELDS = (
    *("order_id", "position", "product_name", "configuration_text", "scope_statement"),
    *("quantity", "line_total", "requested_date", "first_promised_date"),
    "customer_forecast_date",
)


def _portal_order(user, pk) -> SalesOrder:
    """The order for the portal page: the columns it shows, and how many lines it has
    (the lines themselves come with `_order_lines_window`)."""
    return get_visible_or_404(user, selectors.orders_visible_to(user, _portal_order_shape()), pk=pk)


@functools.cache
def _portal_order_shape() -> QuerySet[SalesOrder]:
    """The portal order page's query before its visibility filter and the order's pk,
    built once per process (never evaluated itself: every request filters a clone)."""
    return (
        SalesOrder.objects.select_related("quote__acceptance")
        .only(*PORTAL_ORDER_FIELDS)
        .annotate(lines_total=selectors.line_count_subquery(OrderLine, "order"))
    )


def _order_lines_window(request: HttpRequest, order: SalesOrder) -> LineWindow:
    """The lines the page shows (the first LINES_SHOWN, or every one with `?lines=all`)
    in one query, without the lines it does not show."""
    if all_lines_asked(request):
        lines = OrderLine.objects.only(*PORTAL_ORDER_LINE_FIELDS).order_by("position")
        shown = selectors.document_lines_window(
            order, lines, "order", every=True, shown=LINES_SHOWN
        )
    else:
        shown = _order_window_lines(order.pk)
    return LineWindow(shown=shown, total=order.lines_total)


ORDER_PAGE = DetailPage(
    template="customers/order_detail.html",
    get=_portal_order,
    context=_order_context,
    url_name="customers:order-detail",
    partial="changes-and-timeline",
)


@login_required
def order_comments(request: HttpRequest, pk) -> HttpResponse:
    _require_contact(request.user)
    qs = selectors.orders_visible_to(request.user)
    return thread_view(request, get_visible_or_404(request.user, qs, pk=pk))


@login_required
def order_detail(request: HttpRequest, pk) -> HttpResponse:
    _require_contact(request.user)
    order = _portal_order(request.user, pk)
    return render_page(
        request,
        ORDER_PAGE.template,
        _order_context(request, order),
        partial=detail_partial(request, None),
    )


@require_POST
@login_required
def order_change_request(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    _require_contact(user)
    order = selectors.order_get_for_user(user, pk)
    return _change_request(
        request,
        target=order,
        template="customers/order_detail.html",
        # The page's own fetch (the columns it shows, its line count).
        context_for=lambda request, order, **kw: _order_context(
            request, _portal_order(request.user, order.pk), **kw
        ),
    )


# --- sections read when revealed ------------------------------------------------
#
# Below the lines, a page's change requests, share links and history are read on
# demand, as its comment thread is (apps.core.pages.lazy_sections): the page holds each
# card's heading and htmx GETs the card from `<page>/sections/<name>/` when it is
# scrolled into view, with the page's own permission check. `?sections=all` renders
# them in the page (the link a browser without JavaScript follows), and so does a
# button's answer. Together they were about half of the page (bench).


def _lazy_context(kind: str, document, names) -> dict:
    page_url = reverse(f"customers:{kind}-detail", args=[document.pk])
    return {
        "lazy_sections": True,
        # customers:<kind>-section, one reverse for the page
        "sections": {name: f"{page_url}sections/{name}/" for name in names},
        "inline_url": f"{page_url}?sections={ALL_SECTIONS}",
    }


QUOTE_SECTIONS = {
    "changes": _quote_changes_context,
    "revisions": _quote_revisions_context,
    "history": lambda request, quote: _history_context(quote),
}


@require_GET
@login_required
def quote_section(request: HttpRequest, pk, name: str) -> HttpResponse:
    _require_contact(request.user)
    build = QUOTE_SECTIONS.get(name)
    if build is None:
        raise Http404
    qs = selectors.portal_quotes_visible_to(request.user)
    quote = get_visible_or_404(request.user, qs, pk=pk)
    if quote.state in selectors.QUOTE_BEING_REVISED_STATES:
        # Shown from its last sent revision (the page renders these sections itself).
        context = _revised_quote_context(request, quote)
    else:
        context = {"quote": quote, "timeline_of": quote, **build(request, quote)}
    return render(request, f"{QUOTE_PAGE.template}#{name}", context)


ORDER_SECTIONS = {
    "changes": _order_changes_context,
    "trackers": _order_trackers_context,
    "history": lambda request, order: _history_context(order),
}


@require_GET
@login_required
def order_section(request: HttpRequest, pk, name: str) -> HttpResponse:
    _require_contact(request.user)
    build = ORDER_SECTIONS.get(name)
    if build is None:
        raise Http404
    # The order row alone: a section reads its own rows (requests, links, entries).
    order = get_visible_or_404(request.user, selectors.orders_visible_to(request.user), pk=pk)
    context = {"order": order, **build(request, order)}
    return render(request, f"{ORDER_PAGE.template}#{name}", context)


# --- change requests (quotes and orders alike) ------------------------------------

# The customer's answers to a proposal put to it; the URL names one of these or gets 404.
CHANGE_DECISIONS = {"approve": "approved", "reject": "declined"}


def _change_requests(user, **target) -> list[ChangeRequest]:
    """The customer's own requests and those proposed to it, each with the decisions
    it may take now (only on proposals that need the customer's approval)."""
    ((kind, document),) = target.items()
    crs = list(
        selectors.change_requests_visible_to(user)
        .filter(**target)
        # A request is on a quote or on an order, never both: the page's document is
        # not joined again (compiling its columns cost more than the rest), it is set.
        .select_related(None)
        .select_related("customer", "requested_by")
        .order_by("-created_at")
    )
    for cr in crs:
        setattr(cr, kind, document)
        cr.decisions = [n for n in available_transitions(cr, user) if n in CHANGE_DECISIONS]
    return crs


TRACKER_PAGE = region_page(ORDER_PAGE, "tracker", "trackers-and-timeline")


@require_POST
@login_required
def order_tracker_create(request: HttpRequest, pk) -> HttpResponse:
    _require_contact(request.user)
    order = selectors.order_get_for_user(request.user, pk)
    return tracker_pages.tracker_create(request, TRACKER_PAGE, order)


@require_POST
@login_required
def order_tracker_revoke(request: HttpRequest, pk, link_id: int) -> HttpResponse:
    _require_contact(request.user)
    order = selectors.order_get_for_user(request.user, pk)
    return tracker_pages.tracker_revoke(request, TRACKER_PAGE, order, link_id)


CHANGE_PAGES = {
    "quote": region_page(QUOTE_PAGE, "change", "changes-and-timeline"),
    "order": region_page(ORDER_PAGE, "change", "changes-and-timeline"),
}


@require_POST
@login_required
def change_request_transition(request: HttpRequest, pk, name: str) -> HttpResponse:
    user = request.user
    _require_contact(user)
    cr = selectors.change_request_get_for_user(user, pk)
    if name not in CHANGE_DECISIONS:
        raise Http404
    # Not proposed to you, decided meanwhile, or Kestrel's to decide: said in the region.
    return transition_post(
        request,
        CHANGE_PAGES["order" if cr.order_id is not None else "quote"],
        cr.target.pk,
        call=lambda **kw: change_services.change_request_transition(
            change_request=cr, name=name, actor=user, **kw
        ),
        notice=lambda result: f"You {CHANGE_DECISIONS[name]} change {cr.number}.",
        form_class=DecisionForm,
    )


def _change_request(
    request: HttpRequest, *, target: Quote | SalesOrder, template: str, context_for
) -> HttpResponse:
    kind = "quote" if isinstance(target, Quote) else "order"
    if kind == "quote":
        lines = _quote_lines(target.lines.select_related("product"))
    else:
        lines = _order_lines(target)
    form = ChangeRequestForm(request.POST, prefix="change", lines=lines, noun=kind)
    if form.is_valid():
        try:
            cr = change_services.change_request_create(
                actor=request.user, **{kind: target}, **form.service_kwargs()
            )
        except ValidationError as exc:
            # e.g. the order was closed meanwhile: shown with the form, never a 500.
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            notice = f"Change request {cr.number} was sent to Kestrel."
            if not request.htmx:
                messages.success(request, notice)
                return redirect(f"customers:{kind}-detail", pk=target.pk)
            return render_page(
                request,
                template,
                context_for(request, target, change_notice=notice),
                partial="changes-and-timeline",
            )
    # 422 carries the form with its errors (full page, or the region for htmx).
    return render_page(
        request,
        template,
        context_for(request, target, change_form=form),
        partial="changes-and-timeline",
        status=422,
    )
