"""values() queries compiled once per process and shape, run with new values.

Building and compiling a queryset costs Python thousands of calls (the ORM resolves
every expression, join and alias again each time: ~3,000 calls for a values() of 15
columns, ~8,000 with a filter on a window function), while running the SQL and
reading its rows costs a few hundred. A query a page runs on every request with the
same shape and only other ids (the lines of the page's documents) can skip it:

    rows = prepared_values(card_lines_query, (margins, floor), quote_ids)

`build(*key, slots)` returns a `values()` queryset and is a function of its arguments
alone (no user, clock or setting read inside: pass them in `key`). Its SQL is compiled
on the first call for (build, key, number of slots, database), where each slot's value
must appear exactly once among the compiled parameters, in order (an IN list); the
next calls put their slots' values in those places. When that does not hold (a backend
that adapts the values, such as SQLite's UUIDs stored as hex), every call of that shape
runs the queryset as usual. Only SQL is kept, never rows: results are always read.

On PostgreSQL that SQL also runs as a statement prepared on the server (`run_prepared`):
it is parsed and planned once per connection, not on every request. Most shapes filter
on a document's or a row's id, where one plan suits every value; those that take an
id with skewed rows (a part's or a work center's holds, a department's inbox) are
benchmarked at their busiest, and a generic plan is the same for every value, so that
is the plan any value may get. (Every other query is planned for its own values: a
prepared statement's generic plan, estimated for an average customer, sorted all of a
large customer's 750 quotes to show 5.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import ValuesIterable

PREPARED_MAX = 256  # shapes per process (a page's queries times the slot counts it meets)

Builder = Callable[..., QuerySet]


@dataclass(frozen=True)
class Prepared:
    sql: str
    params: tuple
    positions: tuple[int, ...]  # where the slots go in params
    names: tuple[str, ...]
    converters: tuple  # ((column, (converter, ...), expression), ...)


EMPTY = Prepared("", (), (), (), ())  # the filter matches nothing (an empty IN list)
_prepared: dict[tuple, Prepared | None] = {}
_lock = threading.Lock()


def _names(qs: QuerySet) -> tuple[str, ...]:
    # As ValuesIterable names a row's columns.
    query = qs.query
    if query.selected:
        return tuple(query.selected)
    return (*query.extra_select, *query.values_select, *query.annotation_select)


def prepare(qs: QuerySet, slots: Sequence) -> Prepared | None:
    """`qs` compiled, with the places of `slots` among its parameters (None: not found
    once each and in order, so the SQL cannot be reused with other values)."""
    if qs._iterable_class is not ValuesIterable:
        raise TypeError("prepared_values() runs values() querysets")
    compiler = qs.query.get_compiler(using=qs.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return EMPTY
    positions = _positions(params, slots)
    if positions is None:
        return None
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(fields):
        return None
    return Prepared(sql, tuple(params), positions, _names(qs), _converters(compiler, fields))


def _converters(compiler, fields) -> tuple:
    return tuple(
        (i, tuple(convs), expression)
        for i, (convs, expression) in compiler.get_converters(fields).items()
    )


def prepared_values(
    build: Builder, key: tuple, slots: Sequence, using: str = DEFAULT_DB_ALIAS
) -> list[dict]:
    """The rows of `build(*key, slots)` (dicts, as `values()` gives them), its SQL
    compiled once per shape. `slots`: distinct values (an IN list; repeats are dropped)."""
    slots = list(dict.fromkeys(slots))
    prepared, rows = _fetch((build, key, len(slots), using), prepare, build, key, slots, using)
    if prepared is None:
        return rows
    names = prepared.names
    return [dict(zip(names, row, strict=True)) for row in rows]


def prepared_rows(
    build: Builder, key: tuple, slots: Sequence, using: str = DEFAULT_DB_ALIAS
) -> list[Sequence]:
    """`prepared_values` without the dicts: each row's values in the order of the
    `values()` fields, for a caller that reads thousands of rows (the promise engine's
    work center load over its horizon: ~6,000 rows for a 20-line quote at size M)."""
    slots = list(dict.fromkeys(slots))
    prepared, rows = _fetch((build, key, len(slots), using), prepare, build, key, slots, using)
    if prepared is None:
        return [tuple(row.values()) for row in rows]
    return rows


def _fetch(shape: tuple, prepare_with, build: Builder, key: tuple, slots: list, using: str):
    """(prepared, converted rows) of `build(*key, slots)` run through its SQL compiled
    once per `shape`, or (None, the queryset's results) where it cannot be compiled
    once (`prepare_with` answered None) or it matches nothing. `slots`: distinct values."""
    try:
        prepared = _prepared[shape]
    except KeyError:
        qs = build(*key, slots).using(using)
        prepared = prepare_with(qs, slots)
        with _lock:
            if len(_prepared) >= PREPARED_MAX:
                _prepared.clear()
            _prepared[shape] = prepared
        if prepared is None:
            return None, list(qs)
    if prepared is None:
        return None, list(build(*key, slots).using(using))
    if prepared is EMPTY:
        return None, []
    params = list(prepared.params)
    for position, value in zip(prepared.positions, slots, strict=True):
        params[position] = value
    connection = connections[using]
    rows = run_prepared(connection, prepared.sql, params)
    if prepared.converters:
        rows = [list(row) for row in rows]
        for row in rows:
            for i, convs, expression in prepared.converters:
                value = row[i]
                for convert in convs:
                    value = convert(value, expression, connection)
                row[i] = value
    return prepared, rows


def run_prepared(connection, sql: str, params: Sequence) -> list[tuple]:
    """The rows of `sql`, run on PostgreSQL as a statement prepared on the server
    (settings.PREPARED_STATEMENTS): psycopg binds the parameters there and prepares the
    statement on its first run on the connection; later runs skip parsing, and after
    five plans for the values PostgreSQL keeps a generic plan when it costs no more.
    For SQL whose plan need not change with its values (see the module's docstring):
    the staff order page's order, joined to its quote, acceptance, customer and users,
    took 2.6 ms to plan and 0.5 ms to run at size M. Elsewhere (SQLite, the
    setting off) it runs as any query.

    Only here: Django binds every other query on the client (its default), so each is
    planned for its own values."""
    if connection.vendor != "postgresql" or not settings.PREPARED_STATEMENTS:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw, features = connection.connection, connection.features
    # Django's cursor() (its wrappers: query counts, execute_wrapper) of a cursor that
    # binds on the server, with psycopg preparing what it runs (threshold 0). psycopg
    # keeps no query text after running a prepared statement, so Django's debug wrapper
    # (DEBUG, CaptureQueriesContext) is told the cursor binds on the server: it then
    # logs the SQL with its values (compose_sql), as it logs every other query.
    factory, threshold = raw.cursor_factory, raw.prepare_threshold
    binding = features.uses_server_side_binding
    raw.cursor_factory, raw.prepare_threshold = ServerBindingCursor, 0
    features.uses_server_side_binding = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        raw.cursor_factory, raw.prepare_threshold = factory, threshold
        features.uses_server_side_binding = binding


def clear() -> None:
    with _lock:
        _prepared.clear()


# --- model instances ------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedObjects:
    model_cls: type
    sql: str
    params: tuple
    positions: tuple[int, ...]
    init_list: tuple[str, ...]  # the model's columns, as ModelIterable builds an instance
    fields: tuple[int, int]  # where they are in a row
    populators: tuple  # select_related objects (django's RelatedPopulator), built once
    annotations: tuple[tuple[str, int], ...]
    converters: tuple  # as Prepared's


def _prepare_objects(qs: QuerySet, slots: Sequence) -> PreparedObjects | None:
    from django.db.models.query import ModelIterable, get_related_populators

    if (
        qs._iterable_class is not ModelIterable
        or qs._prefetch_related_lookups
        or qs._known_related_objects
    ):
        raise TypeError("prepared_objects() runs plain model querysets (prefetch afterwards)")
    compiler = qs.query.get_compiler(using=qs.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return EMPTY  # type: ignore[return-value]
    positions = _positions(params, slots)
    if positions is None:
        return None
    select, klass_info = compiler.select, compiler.klass_info
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    fields = [column[0] for column in select[: compiler.col_count]]
    return PreparedObjects(
        klass_info["model"],
        sql,
        tuple(params),
        positions,
        tuple(column[0].target.attname for column in select[start:end]),
        (start, end),
        tuple(get_related_populators(klass_info, select, qs.db)),
        tuple(compiler.annotation_col_map.items()),
        _converters(compiler, fields),
    )


def _positions(params: Sequence, slots: Sequence) -> tuple[int, ...] | None:
    positions = []
    start = 0
    for value in slots:
        hits = [
            i for i, param in enumerate(params) if type(param) is type(value) and param == value
        ]
        if len(hits) != 1 or hits[0] < start:
            return None
        positions.append(hits[0])
        start = hits[0] + 1
    return tuple(positions)


def prepared_objects(
    build: Builder, key: tuple, slots: Sequence, using: str = DEFAULT_DB_ALIAS
) -> list:
    """The model instances of `build(*key, slots)` (a plain model queryset, select_related
    allowed, no prefetch), its SQL compiled once per shape as in `prepared_values`; the
    instances are built as Django's ModelIterable builds them (deferred columns,
    select_related objects, annotations). `slots`: distinct values (repeats dropped)."""
    slots = list(dict.fromkeys(slots))
    return shaped_objects(("objects", build, key, len(slots), using), build, key, slots, using)


def shaped_objects(shape: tuple, build: Builder, key: tuple, slots: list, using: str) -> list:
    """`prepared_objects` under a `shape` the caller derives itself (a hashable value that
    says everything the SQL of `build(*key, slots)` depends on but the slots' values,
    their number included). `slots`: distinct values."""
    prepared, rows = _fetch(shape, _prepare_objects, build, key, slots, using)
    if prepared is None:
        return rows
    start, end = prepared.fields
    objects = []
    for row in rows:
        obj = prepared.model_cls.from_db(using, prepared.init_list, row[start:end])
        for populator in prepared.populators:
            populator.populate(row, obj)
        for name, position in prepared.annotations:
            setattr(obj, name, row[position])
        objects.append(obj)
    return objects
