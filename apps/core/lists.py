"""The one way Tandem builds a list: staff pages, portal pages and the API.

    qs = selectors.quote_list(user)                      # permission-filtered
    qs = QuoteListFilter(request.GET, queryset=qs).qs    # allow-listed filters and sorts
    page = list_page(request, qs)                        # count, ids, rows

1. The queryset carries no aggregate: what a row shows from its lines (total,
   line count, forecast dates) is stored on the document and kept right by the
   services that change the lines, so it can be sorted on an index.
2. The count stops at COUNT_CAP rows ("10,000+"): a deep list never counts
   more than that.
3. The page's ids are selected first, on indexed columns only (no joins), so a
   deep page skips index entries rather than joined rows.
4. Only those rows are loaded, by id alone (the filters ran in step 3), with the
   queryset's select_related joins and deferred columns, and `rows(qs)` may add
   per-row aggregates or prefetches: they run for 25 rows, never for every
   visible row. Without annotations their SQL is compiled once per shape.

Three queries whatever the number of rows, and the same three on page 1 and
page 400. Sort keys always end with the primary key (`stable_ordering`), so
rows with equal keys never move between pages.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Sequence
from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db.models import CharField, F, Func, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.db.models.lookups import StartsWith
from django.db.models.query import ModelIterable
from django.http import HttpRequest
from django.urls import reverse
from django.utils.hashable import make_hashable

from apps.core.prepared import shaped_objects

COUNT_CAP = 10_000
PAGE_SIZE = 25

RowsHook = Callable[[QuerySet], QuerySet]


class ListPaginator(Paginator):
    """A Paginator over a queryset that counts at most `cap` rows and loads a page by ids."""

    def __init__(
        self,
        object_list: QuerySet,
        per_page: int,
        *,
        rows: RowsHook | None = None,
        cap: int = COUNT_CAP,
        **kwargs,
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.rows = rows
        self.cap = cap

    @cached_property
    def count(self) -> int:
        # COUNT(*) over at most cap + 1 ids: bounded work on the largest list.
        counted = self.object_list.order_by().values("pk")[: self.cap + 1].count()
        return min(counted, self.cap)

    @property
    def capped(self) -> bool:
        return self.count >= self.cap

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        return self._get_page(self.load(ids), number, self)

    def load(self, ids: Sequence) -> list:
        """The rows of `ids`, in that order, with the queryset's joins and `rows` hook.

        The ids come from the permission-filtered, filtered and sorted queryset, so its
        rows are read by primary key alone (the filters are not run twice) with what
        the queryset and the hook load of a row: joins, deferred columns, annotations.
        Without annotations the SQL is compiled once per shape (`by_ids_shape`)."""
        ids = list(ids)
        if not ids:
            return []
        rows = by_ids(self.object_list, self.rows, ids)
        by_pk = {obj.pk: obj for obj in rows}
        return [by_pk[pk] for pk in ids if pk in by_pk]


def _unfiltered(qs: QuerySet) -> QuerySet | None:
    """A queryset of `qs`'s model and class that loads what `qs` loads of a row (joins,
    deferred columns) without its filters, joins for filters, ordering or slice; None
    when `qs` loads more than that (annotations, extra columns, values(), known related
    objects): such a list's rows are read through its own queryset."""
    query = qs.query
    if (
        query.annotation_select
        or query.extra_select
        or query.combinator
        or query.select_for_update
        or query._filtered_relations
        or qs._fields is not None
        or qs._iterable_class is not ModelIterable
        or qs._known_related_objects
    ):
        return None
    fresh = qs.__class__(model=qs.model, using=qs.db)
    fresh.query.select_related = copy.deepcopy(query.select_related)
    fresh.query.deferred_loading = query.deferred_loading
    if qs._prefetch_related_lookups:
        fresh = fresh.prefetch_related(*qs._prefetch_related_lookups)
    return fresh


def by_ids_shape(qs: QuerySet) -> tuple | None:
    """Everything the SQL of `qs.filter(pk__in=ids)` depends on but the ids, when `qs`
    is a plain row read (no filter, annotation, extra, distinct, slice); else None."""
    query = qs.query
    if (
        query.where
        or query.annotations
        or query.extra
        or query.extra_tables
        or query.distinct
        or query.is_sliced
        or query.group_by is not None
        or query.combinator
        or query.select_for_update
        or query._filtered_relations
        or query.alias_map
        or qs._fields is not None
        or qs._iterable_class is not ModelIterable
        or qs._known_related_objects
    ):
        return None
    return (
        "list-rows",
        qs.model,
        make_hashable(query.select_related),
        frozenset(query.deferred_loading[0]),
        query.deferred_loading[1],
        qs.db,
    )


def by_ids(object_list: QuerySet, rows: RowsHook | None, ids: list) -> list:
    """The rows of `object_list` whose pk is in `ids` (any order), through `rows`."""
    fresh = _unfiltered(object_list)
    if fresh is None:
        # Its own queryset (its filters again): what a row loads may depend on them.
        qs = object_list.filter(pk__in=ids).order_by()
        return list(rows(qs) if rows is not None else qs)
    if rows is not None:
        fresh = rows(fresh)
    prefetch = fresh._prefetch_related_lookups
    plain = fresh.prefetch_related(None) if prefetch else fresh
    shape = by_ids_shape(plain)
    if shape is None:
        loaded = list(fresh.filter(pk__in=ids).order_by())
    else:
        slots = list(dict.fromkeys(ids))
        loaded = shaped_objects(
            (*shape, len(slots)),
            lambda slots: plain.filter(pk__in=slots).order_by(),
            (),
            slots,
            plain.db,
        )
        if prefetch:
            prefetch_related_objects(loaded, *prefetch)
    return loaded


def list_page(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    per_page: int = PAGE_SIZE,
    rows: RowsHook | None = None,
) -> Page:
    """The requested page (`?page=`); a page past the end shows the last one."""
    return ListPaginator(queryset, per_page, rows=rows).get_page(request.GET.get("page"))


class GroupPaginator(Paginator):
    """A Paginator over grouped rows (`values(...).annotate(...)`) with a capped count.

    Grouped rows have no primary key, so the "ids first" step does not apply: the
    page is the grouped query with LIMIT/OFFSET, and the count stops at `cap`
    groups. Two queries whatever the number of groups.
    """

    def __init__(
        self,
        object_list: QuerySet,
        per_page: int,
        *,
        cap: int = COUNT_CAP,
        groups: QuerySet | None = None,
        rows: Callable[[int, int], Sequence] | None = None,
        count: int | None = None,
        **kw,
    ):
        super().__init__(object_list, per_page, **kw)
        self.cap = cap
        # The same groups without what only the page shows (joins, subqueries per
        # row): counting them is then a scan of an index, not of every group's join.
        self.groups = object_list if groups is None else groups
        self.rows = rows
        if count is not None:
            # Known already (read with what the page sums anyway): not counted again.
            self.__dict__["count"] = min(count, cap)

    def page(self, number) -> Page:
        """With `rows`: `rows(bottom, top)` reads the page's groups (bottom..top of
        `object_list`'s order) with what a row shows, for those rows alone: what an
        OFFSET skips is never joined."""
        if self.rows is None:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.rows(bottom, bottom + self.per_page))
        return self._get_page(rows, number, self)

    @cached_property
    def count(self) -> int:
        return min(self.groups[: self.cap + 1].count(), self.cap)

    @property
    def capped(self) -> bool:
        return self.count >= self.cap


def group_page(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    per_page: int = PAGE_SIZE,
    groups: QuerySet | None = None,
    rows: Callable[[int, int], Sequence] | None = None,
    count: int | None = None,
) -> Page:
    """The requested page (`?page=`) of grouped rows; a page past the end shows the last.

    `groups`: the same groups, one row each, cheaper to count; `rows(bottom, top)`:
    the page's rows, `bottom`..`top` of `queryset`'s order; `count`: the number of
    groups when the page knows it already (see GroupPaginator)."""
    paginator = GroupPaginator(queryset, per_page, groups=groups, rows=rows, count=count)
    return paginator.get_page(request.GET.get("page"))


def stable_ordering(ordering: Sequence[str]) -> list[str]:
    """`ordering` plus the primary key in the first key's direction.

    The list indexes are (key, id), so "-total" + "-id" reads one index backwards.
    The default order is (-created_at, -id).
    """
    keys = list(ordering)
    if not keys or any(k.lstrip("-") in ("pk", "id") for k in keys):
        return keys
    return [*keys, "-pk" if keys[0].startswith("-") else "pk"]


_PREFIXED = re.compile(r"[A-Z]{1,4}-\d*")


class NumberDigits(Func):
    """A document number's digits without their zero padding: "12" for SO-000012.

    LTRIM(SUBSTR(number, len("SO-") + 1), '0'), spelled exactly as the expression of
    the indexes of orders 0017 (order_number_digits_idx, quote_number_digits_idx), so
    that one LIKE '12%' on it reads the index. Portable: SQLite has both functions.
    """

    output_field = CharField()

    def __init__(self, field: str, prefix: str):
        # The start is a literal of the SQL (not a parameter): the planner matches it
        # against the index's expression.
        start = len(prefix) + 2
        super().__init__(F(field), template=f"LTRIM(SUBSTR(%(expressions)s, {start}), '0')")


def number_search(value: str, prefix: str, field: str = "number") -> Q | None:
    """A search for a document number fragment as a prefix of the number, or None
    when `value` is not one (search names by trigram then).

    - "Q-0001", "so-12" (this document's prefix): the number starts with it;
    - "000123" (leading zeros: the padded form): the digits start with it;
    - "12": the digits without their zero padding start with it (Q-000012,
      Q-000120…Q-000129, Q-001200…), whatever the padding width.

    Each is one LIKE 'prefix%' that a B-tree serves: the number's (varchar_pattern_ops,
    orders 0012) or, for "12", its unpadded digits' (`NumberDigits`, orders 0017), so a
    fragment never scans the table, where `icontains` on a number read every row's
    trigrams. (The unpadded digits were once nine OR'd LIKEs, one per padding width,
    each re-checked against the table: 1,111 matches of "12" at size M.)
    """
    text = value.strip().upper()
    if _PREFIXED.fullmatch(text):
        # Another prefix ("PO-45") is not this document's number: searched as text.
        return Q(**{f"{field}__startswith": text}) if text.startswith(f"{prefix}-") else None
    if not text.isdigit() or not text.isascii():
        return None
    if text.startswith("0"):
        return Q(**{f"{field}__startswith": f"{prefix}-{text}"})
    return Q(**{f"{field}__startswith": f"{prefix}-"}) & Q(
        StartsWith(NumberDigits(field, prefix), text)
    )


def sorted_from_matches(qs: QuerySet) -> QuerySet:
    """`qs` in the same order, sorted from the rows its filter matches rather than by
    walking the index of its first sort key.

    For a search the planner misplaces: a number fragment matches a few contiguous
    ranges of numbers ("12": SO-0012000…SO-0012999, SO-0001200…), old documents that
    a walk down the created_at index meets last (87,000 rows read for 25 at size M),
    while the number's prefix index finds them all in a millisecond. COALESCE(key,
    key) is the key (same order, NULLs alike) but no index's, so the planner reads the
    matches and sorts them (top-N): work that grows with the matches, not the table.
    """
    keys = list(qs.query.order_by)
    if not keys or not isinstance(keys[0], str):
        return qs
    name = keys[0].lstrip("-")
    key = Coalesce(F(name), F(name))
    keys[0] = key.desc() if keys[0].startswith("-") else key.asc()
    return qs.order_by(*keys)


_ANY_PK = uuid.UUID(int=0)


def row_url(url_name: str, **kwargs) -> Callable[[uuid.UUID], str]:
    """pk -> the URL `url_name` of a row (a UUID `pk` argument): reversed once per
    page rather than once per row and button (a board of 80 cards, 3 buttons each)."""
    url = reverse(url_name, kwargs={"pk": _ANY_PK, **kwargs})
    return lambda pk: url.replace(str(_ANY_PK), str(pk))
