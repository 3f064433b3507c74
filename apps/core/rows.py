"""List rows rendered from plain values and memoised by those values.

A list page's row is a small template (`"sales/quote_list.html#row"`). Each row
template has a *presenter*: a function from the row's object to a dict of plain
values (str, int, Decimal, date, UUID, None…), everything the row shows, links'
pks and anything that depends on the audience included:

    @row_presenter("sales/quote_list.html#row")
    def quote_row(quote) -> dict:
        return {"pk": quote.pk, "number": quote.number, "state": quote.state, ...}

The row template sees only those values, as `row` (it is rendered with a
context that holds `row` and nothing else: no request, no page context), so its
HTML is a function of them. `render_rows` therefore memoises the HTML under the
values themselves (their `repr`, which tells Decimal("1.0") from Decimal("1.00")
and True from 1) plus the template's name and what formatting depends on (active
language, current time zone, URL prefix): a content address. A row whose
fields change gets another key; an entry is never stale, it is only evicted
(a bounded LRU per process; a deploy restarts the processes with their new
templates). Values of other types (a model, a SafeString, a lazy object) are
refused: their repr would not say everything they render. Tuples and dicts of plain
values are plain too (a card's lines, its buttons).

A row may hold a form: `{% csrf_token %}` renders a placeholder in the memoised HTML
and `render_rows` puts the page's token in its place (the token is the page's, the
same in every form of the page).

A page whose rows need more than their object (the user's refusals, the page's URLs)
builds the values itself and renders them with `render_values` (`{% memo_rows %}`).

A list's 25 rows then cost 25 presenter calls and dictionary look-ups instead of
25 template renders (a row render is ~0.5 ms: `{% url %}`, badges, number and
date formatting).
"""

from __future__ import annotations

import datetime
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Presenter = Callable[[Any], dict]

ROW_PRESENTERS: dict[str, Presenter] = {}
ROW_FIELDS: dict[str, tuple[str, ...]] = {}
ROW_CACHE_SIZE = 4096  # rows per process (~3 MB)

# Exact types only: a str subclass (SafeString) renders unescaped with the same repr.
PLAIN_TYPES = frozenset(
    {str, int, bool, type(None), Decimal, datetime.date, datetime.datetime, uuid.UUID}
)


# What `{% csrf_token %}` renders in a memoised row; `render_values` swaps in the page's.
CSRF_PLACEHOLDER = "row-csrf-token-placeholder"
CSRF_PLACEHOLDER_INPUT = (
    f'<input type="hidden" name="csrfmiddlewaretoken" value="{CSRF_PLACEHOLDER}">'
)


def is_plain(value) -> bool:
    """A value whose repr says everything a template renders of it."""
    kind = type(value)
    if kind in PLAIN_TYPES:
        return True
    if kind is tuple:
        items = value
    elif kind is dict:
        for name in value:
            if type(name) is not str:
                return False
        items = value.values()
    else:
        return False
    # Loops rather than all(genexpr): a card's lines and buttons are checked on every
    # request, and only containers recurse.
    for item in items:  # noqa: SIM110 - no generator frame per item
        if type(item) not in PLAIN_TYPES and not is_plain(item):
            return False
    return True


def row_presenter(
    template_name: str, fields: tuple[str, ...] = ()
) -> Callable[[Presenter], Presenter]:
    """Register `present(obj) -> dict of plain values` for the row template `template_name`.

    `fields`: the columns the presenter reads (`only()` names, `customer__name` for a
    joined one); `row_query(template_name)` loads the page's rows with just those.
    A joined state machine needs its state too (`quote__state`: django-fsm's
    ConcurrentTransitionMixin reads it when the row is loaded); the exact query-count
    tests catch a missing column.
    """

    def register(present: Presenter) -> Presenter:
        ROW_PRESENTERS[template_name] = present
        ROW_FIELDS[template_name] = fields
        return present

    return register


def row_query(template_name: str) -> Callable[[QuerySet], QuerySet]:
    """A `list_page(rows=...)` hook: the page's rows with only the columns their presenter
    reads, joined to only the tables it reads (no wide text, JSON or unused joins)."""
    fields = ROW_FIELDS[template_name]
    joins = sorted({name.rsplit("__", 1)[0] for name in fields if "__" in name})

    def rows(qs: QuerySet) -> QuerySet:
        return qs.select_related(None).select_related(*joins).only(*fields)

    return rows


class RowCache:
    """A bounded, thread-safe LRU of rendered rows."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._rows: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self._lock:
            html = self._rows.get(key)
            if html is not None:
                self._rows.move_to_end(key)
            return html

    def set(self, key: tuple, html: str) -> None:
        with self._lock:
            self._rows[key] = html
            self._rows.move_to_end(key)
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)


row_cache = RowCache(ROW_CACHE_SIZE)


def check_values(template_name: str, values: dict) -> dict:
    """`values`, checked to be plain."""
    for name, value in values.items():
        if type(value) not in PLAIN_TYPES and not is_plain(value):
            raise TypeError(
                f"{template_name}: row value {name!r} is a {type(value).__name__}; "
                "a row presenter returns plain values only"
            )
    return values


def row_values(template_name: str, obj, shared: dict | None = None) -> dict:
    """The presenter's values for `obj` (and the page's `shared` values every row of
    it shows, such as the document's currency), checked to be plain."""
    values = ROW_PRESENTERS[template_name](obj)
    if shared:
        values = {**values, **shared}
    return check_values(template_name, values)


def render_row(template_name: str, values: dict) -> str:
    """The row's HTML from its values alone (no request, no page context)."""
    return get_template(template_name).render({"row": values, "csrf_token": CSRF_PLACEHOLDER})


def fill_csrf(html: str, token=None, request=None) -> SafeString:
    """Memoised rows' HTML with the page's CSRF token where `{% csrf_token %}` rendered
    the placeholder (`token`: the page's own `csrf_token`, so the page's forms all carry
    one value; else the request's). A token is never cached nor shared between requests."""
    if CSRF_PLACEHOLDER in html:
        if not token or str(token) == "NOTPROVIDED":
            token = get_token(request) if request is not None else ""
        if token:
            html = html.replace(CSRF_PLACEHOLDER, escape(str(token)))
        else:
            html = html.replace(CSRF_PLACEHOLDER_INPUT, "")
    return mark_safe(html)  # noqa: S308 - autoescaped template output, token escaped


def rows_for_request(
    request, template_name: str, objects: Iterable, shared: dict | None = None, token=None
) -> SafeString:
    """`render_rows` with the page's CSRF token in the rows' forms (`fill_csrf`)."""
    return fill_csrf(render_rows(template_name, objects, shared), token, request)


def _memoised(template_name: str, rows: Iterable[dict]) -> str:
    """The rows of the plain values `rows`, each rendered once per distinct content."""
    salt = (
        template_name,
        translation.get_language(),
        timezone.get_current_timezone_name(),
        get_script_prefix(),
    )
    parts = []
    for values in rows:
        key = (salt, repr(values))
        html = row_cache.get(key)
        if html is None:
            html = render_row(template_name, values)
            row_cache.set(key, html)
        parts.append(html)
    return "".join(parts)


def render_rows(template_name: str, objects: Iterable, shared: dict | None = None) -> SafeString:
    """The rows of `objects` through the presenter of `template_name`, memoised by content.
    `shared`: values of the page every row shows too (part of each row's values and key)."""
    rows = (row_values(template_name, obj, shared) for obj in objects)
    return mark_safe(_memoised(template_name, rows))  # noqa: S308 - autoescaped template output


def render_values(template_name: str, rows: Iterable[dict], csrf_token=None) -> SafeString:
    """The rows of the plain `rows` (each a row template's values, built by the page),
    memoised by content; `{% csrf_token %}` in them gets the page's `csrf_token`."""
    html = _memoised(template_name, (check_values(template_name, v) for v in rows))
    return fill_csrf(html, csrf_token)
