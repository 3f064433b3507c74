"""Purchasing's list rows as plain values (apps.core.rows): what each row shows."""

from __future__ import annotations

from apps.core.rows import row_presenter


@row_presenter("purchasing/parts.html#row")
def part_row(part) -> dict:
    # The view sets `position` (the stored StockPosition, None for a part never
    # moved) and `expected` (the open receipts' sum for the page's parts).
    position = part.position
    return {
        "pk": part.pk,
        "number": part.number,
        "name": part.name,
        "kind_label": str(part.get_kind_display()),
        "on_hand": position.on_hand if position else None,
        "reserved": position.reserved if position else None,
        "allocated": position.allocated if position else None,
        "expected": part.expected,
    }


@row_presenter("purchasing/receipts.html#row")
def receipt_row(row: dict) -> dict:
    # The view's row (`views_supply._receipts_context`): the grouped receipt with its
    # key, link, number on the page, the page's buttons and the error it may carry.
    return {name: row[name] for name in RECEIPT_ROW}


RECEIPT_ROW = (
    *("n", "part_id", "part__number", "part__name", "part__uom", "reference", "date"),
    *("supplier_name", "quantity", "overdue", "url", "may_write", "read_only_reason"),
    *("move_url", "receive_url", "cancel_url", "is_error", "error", "kept_new_date"),
    "kept_quantity",
)
