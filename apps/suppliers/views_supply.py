"""Purchasing's supply pages: expected receipts (buyers write, internal staff read)
and the stock ledger per part with every promise that holds it."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.directory import style_form
from apps.catalog import ledger_reads, supply
from apps.catalog.models import Part
from apps.core.htmx import render_page
from apps.core.lists import group_page, list_page, row_url
from apps.core.refusals import REFUSED, service_error
from apps.orders.holds import hold_links
from apps.suppliers.forms import (
    ReceiptAddForm,
    ReceiptCancelForm,
    ReceiptFilterForm,
    ReceiptKeyForm,
    ReceiptMoveForm,
    ReceiptReceiveForm,
)

RECEIPTS_TEMPLATE = "purchasing/receipts.html"
READ_ONLY_REASON = "Only purchasing records and changes expected receipts."


def _require_reader(user) -> None:
    if not ledger_reads.may_read_ledgers(user):
        raise Http404


def _key(part_id, reference: str, date) -> str:
    return f"{part_id}|{reference}|{date.isoformat()}"


def _receipts_context(
    request: HttpRequest,
    *,
    add_form: ReceiptAddForm | None = None,
    error: str = "",
    error_key: str = "",
    kept: dict | None = None,
    notice: str = "",
) -> dict:
    filters = ReceiptFilterForm(request.GET)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    search = {
        "part": wanted.get("part", "").strip(),
        "reference": wanted.get("reference", "").strip(),
    }
    # The groups are counted from the index alone; a page's slice of them is read with
    # the parts' and suppliers' columns (its SQL compiled once per page when unfiltered).
    page = group_page(
        request,
        ledger_reads.open_receipt_groups(**search),
        rows=lambda bottom, top: ledger_reads.open_receipts_page(**search, bottom=bottom, top=top),
    )
    rows = list(page.object_list)
    part_url = row_url("suppliers:part-detail")
    may_write = supply.may_manage_receipts(request.user)
    query = request.GET.urlencode()
    # The row buttons' actions, reversed once per page.
    actions = {
        f"{action}_url": reverse(f"suppliers:receipt-{action}") + (f"?{query}" if query else "")
        for action in ("move", "receive", "cancel")
    }
    today = timezone.localdate()
    kept = kept or {}
    for n, row in enumerate(rows, start=1):
        key = _key(row["part_id"], row["reference"], row["date"])
        is_error = key == error_key
        row.update(
            key=key,
            n=n,
            url=part_url(row["part_id"]),
            overdue=row["date"] < today,
            may_write=may_write,
            read_only_reason=READ_ONLY_REASON,
            is_error=is_error,
            error=str(error) if is_error else "",
            kept_new_date=str(kept.get("new_date", "")) if is_error else "",
            kept_quantity=str(kept.get("quantity", "")) if is_error else "",
            **actions,
        )
    page.object_list = rows
    return {
        "page_obj": page,
        "rows": rows,
        "filters": style_form(filters),
        "filtered": bool(wanted.get("part") or wanted.get("reference")),
        "may_write": may_write,
        "read_only_reason": READ_ONLY_REASON,
        "add_form": style_form(add_form or ReceiptAddForm()) if may_write else None,
        "query": f"?{query}" if query else "",
        "error": error,
        "error_key": error_key,
        "kept": kept,
        "notice": notice,
        "today": today,
    }


def _answer(request: HttpRequest, *, status: int = 200, **context) -> HttpResponse:
    # htmx swaps only 2xx and 422 answers (base.html): refusals travel as 422.
    if request.htmx and status >= 400:
        status = 422
    return render_page(
        request,
        RECEIPTS_TEMPLATE,
        _receipts_context(request, **context),
        partial="receipts",
        status=status,
    )


@login_required
def receipt_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    return _answer(request)


def _done(request: HttpRequest, text: str) -> HttpResponse:
    if request.htmx:
        return _answer(request, notice=text)
    messages.success(request, text)
    query = request.GET.urlencode()
    return redirect(reverse("suppliers:receipt-list") + (f"?{query}" if query else ""))


def _refuse_reader(request: HttpRequest) -> HttpResponse | None:
    """Staff who only read get the refusal in place (403; 422 to htmx)."""
    if supply.may_manage_receipts(request.user):
        return None
    return _answer(request, status=403, error=READ_ONLY_REASON)


@require_POST
@login_required
def receipt_add(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    if refused := _refuse_reader(request):
        return refused
    form = ReceiptAddForm(request.POST)
    if not form.is_valid():
        return _answer(request, status=400, add_form=form, error="Check the new receipt.")
    data = form.cleaned_data
    try:
        receipt = supply.receipt_add(
            part=data["part"],
            quantity=data["quantity"],
            date=data["date"],
            reference=data["reference"],
            supplier=data["supplier"],
            actor=request.user,
        )
    except REFUSED as exc:
        message, status, _ = service_error(exc)
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                if name in form.fields:
                    form.add_error(name, errors)
        return _answer(request, status=status, add_form=form, error=message)
    return _done(request, f"{receipt.describe()} expected {receipt.date:%b %-d, %Y}.")


def _row_action(
    form_class: type[ReceiptKeyForm], call: Callable[[dict, Part], str]
) -> Callable[[HttpRequest], HttpResponse]:
    """A row button: the receipt it names, the service it calls, the row's error in place."""

    @require_POST
    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        _require_reader(request.user)
        if refused := _refuse_reader(request):
            return refused
        form = form_class(request.POST)
        if not form.is_valid():
            key_ok = all(n not in form.errors for n in ("part", "reference", "date"))
            if not key_ok:
                raise Http404  # a tampered row key names no receipt
            message = " ".join(e for errors in form.errors.values() for e in errors)
            data = form.cleaned_data
            return _answer(
                request,
                status=400,
                error=message,
                error_key=_key(data["part"], data["reference"], data["date"]),
                kept=dict(request.POST.items()),
            )
        data = form.cleaned_data
        part = get_object_or_404(Part, pk=data["part"])
        try:
            text = call(data, part, request.user)
        except REFUSED as exc:
            message, status, _ = service_error(exc)
            return _answer(
                request,
                status=status,
                error=message,
                error_key=_key(part.pk, data["reference"], data["date"]),
                kept=dict(request.POST.items()),
            )
        return _done(request, text)

    return view


def _move(data: dict, part: Part, actor) -> str:
    moved = supply.receipt_move(
        part=part,
        reference=data["reference"],
        date=data["date"],
        new_date=data["new_date"],
        actor=actor,
    )
    return f"{moved.describe()} now due {moved.date:%b %-d, %Y}."


def _cancel(data: dict, part: Part, actor) -> str:
    quantity = supply.receipt_cancel(
        part=part,
        reference=data["reference"],
        date=data["date"],
        reason=data["reason"],
        actor=actor,
    )
    return f"{data['reference']}: {part.number} {quantity.normalize():f} {part.uom} cancelled."


def _receive(data: dict, part: Part, actor) -> str:
    quantity = supply.receipt_receive(
        part=part,
        reference=data["reference"],
        date=data["date"],
        quantity=data["quantity"],
        actor=actor,
    )
    return f"{data['reference']}: {part.number} {quantity.normalize():f} {part.uom} received."


receipt_move = _row_action(ReceiptMoveForm, _move)
receipt_cancel = _row_action(ReceiptCancelForm, _cancel)
receipt_receive = _row_action(ReceiptReceiveForm, _receive)


# -- parts and their holds -----------------------------------------------------------


@login_required
def part_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    # A NUL cannot go into a PostgreSQL string: such a search finds nothing to drop.
    q = request.GET.get("q", "").replace("\x00", "").strip()[:60]
    qs = ledger_reads.parts_with_positions()
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(name__icontains=q))
    page = list_page(request, qs)
    expected = ledger_reads.expected_by_part([p.pk for p in page.object_list])
    for part in page.object_list:
        part.expected = expected.get(part.pk, 0)
        part.position = getattr(part, "running_stock", None)
    return render_page(
        request,
        "purchasing/parts.html",
        {"page_obj": page, "q": q},
        partial="results",
    )


@login_required
def part_detail(request: HttpRequest, pk) -> HttpResponse:
    """The part's position, receipts and a page of its holds (htmx: the holds region)."""
    _require_reader(request.user)
    try:
        part = ledger_reads.part_with_position(pk)
    except Part.DoesNotExist:
        raise Http404 from None
    count, held = ledger_reads.part_holds_total(part)
    page = group_page(
        request,
        ledger_reads.part_hold_ids(part),
        rows=lambda bottom, top: ledger_reads.part_holds_page_of(part, bottom=bottom, top=top),
        count=count,
    )
    holds = ledger_reads.part_holds_rows(page.object_list)
    links = hold_links(request.user, {h["line_key"] for h in holds})
    for hold in holds:
        hold["url"] = links.get(hold["line_key"], "")
    page.object_list = holds
    # Each row as the plain values it shows, rendered once per distinct content.
    hold_rows = [
        {
            "reference": h["reference"],
            "url": h["url"],
            "firm": bool(h["firm"]),
            "kind": h["kind"],
            "booking_kind": h["booking_kind"],
            "quantity": h["quantity"],
            "date": h["date"],
            "uom": part.uom,
        }
        for h in holds
    ]
    context = {"part": part, "holds_page": page, "holds": holds, "hold_rows": hold_rows}
    if not request.htmx:
        context["ledger"] = ledger_reads.part_ledger(part)
    if page.paginator.count:
        context["held"] = held
    return render_page(request, "purchasing/part_detail.html", context, partial="holds")
