"""API conventions shared by every app: pagination and the shape of errors.

Errors answer with a JSON body that always has `detail`:
- 400 with field errors (`{"field": ["message"]}`), DRF's own shape;
- 403 `{"detail": ...}` when the caller may see the object but not act;
- 404 `{"detail": "Not found."}` for anything the caller may not see, with no
  model name or lookup in it, so existence never leaks;
- 409 `{"detail": ..., "allowed_transitions": [...]}` (TransitionConflict).
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import functools
import operator
import types
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ObjectDoesNotExist
from django.http import Http404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, relations, serializers, status
from rest_framework.fields import SkipField, is_simple_callable
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.relations import PKOnlyObject
from rest_framework.response import Response
from rest_framework.settings import ISO_8601, api_settings

from apps.core.lists import ListPaginator, stable_ordering
from apps.core.prefetch import prefetched_rows
from apps.core.prepared import prepared_objects


class Pagination(PageNumberPagination):
    """Pages of the one list pattern (apps.core.lists): capped count, ids first, then rows."""

    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = ListPaginator

    def paginate_queryset(self, queryset, request, view=None):
        # A view with `page_rows` (a builder of the page's rows from their ids, for
        # prepared_objects) loads its list's rows through SQL compiled once per shape
        # (its list only: another action's pages, such as comments, are other rows).
        page_rows = getattr(view, "page_rows", None)
        if page_rows is not None and getattr(view, "action", None) == "list":
            self.django_paginator_class = functools.partial(
                PreparedRowsPaginator, page_rows=page_rows
            )
        return super().paginate_queryset(queryset, request, view)


class PreparedRowsPaginator(ListPaginator):
    """ListPaginator whose page rows are `page_rows(ids)` (a plain model queryset of
    those ids, a function of them alone), its SQL compiled once per number of ids
    (apps.core.prepared.prepared_objects): building and compiling a row query with
    its joins and annotations was a third of a list's calls. The ids come from the
    caller's filtered, permission-narrowed queryset (`object_list`), so the rows query
    needs neither again."""

    def __init__(self, object_list, per_page, *, page_rows, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.page_rows = page_rows

    def load(self, ids):
        by_pk = {obj.pk: obj for obj in prepared_objects(self.page_rows, (), ids)}
        return [by_pk[pk] for pk in ids if pk in by_pk]


# Query parameters a list reads besides its filters (pagination; `ordering` is
# StableOrderingFilter's).
NOT_FILTERS = frozenset({"page", "page_size", "ordering"})


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend without its form when the request sends no filter.

    With no filter parameter the filterset changes nothing (every filter skips an
    empty value and none of ours is required), but building and validating its form
    was an eighth of an API list's time."""

    def filter_queryset(self, request, queryset, view):
        if NOT_FILTERS.issuperset(request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)


class StableOrderingFilter(OrderingFilter):
    """`?ordering=` from the view's allow-list, then the primary key (pages never overlap)."""

    def get_ordering(self, request, queryset, view):
        return stable_ordering(super().get_ordering(request, queryset, view) or [])


# No request of ours nests deeper than a few levels (a configuration is an
# object of lists); 32 leaves room and stops a body of ten thousand "[" long
# before the decoder recurses into a RecursionError (a 500).
MAX_JSON_DEPTH = 32


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when `value` (parsed JSON) nests containers deeper than `limit`."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with a nesting limit: too deep a body is a 400, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels."
            ) from None
        if json_depth_exceeds(data):
            raise exceptions.ParseError(
                f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels."
            )
        return data


# Serializer component name -> fields only some callers receive (internal staff
# see costs, margins and notes; customers and suppliers never do).
_ROLE_DEPENDENT_FIELDS: dict[str, set[str]] = {}


def fields_for_some_callers(full: type, reduced: type) -> None:
    """Document `full` with the fields it has over `reduced` as optional.

    The schema shows the internal serializer; a customer's answer leaves those
    fields out, and must still match it.
    """
    name = full.__name__.removesuffix("Serializer")
    extra = set(full.Meta.fields) - set(reduced.Meta.fields)
    _ROLE_DEPENDENT_FIELDS.setdefault(name, set()).update(extra)


def role_dependent_fields_optional(result, generator, request, public):
    """drf-spectacular postprocessing hook for `fields_for_some_callers`."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, fields in _ROLE_DEPENDENT_FIELDS.items():
        component = schemas.get(name)
        if component and "required" in component:
            component["required"] = [f for f in component["required"] if f not in fields]
    return result


class TransitionConflict(exceptions.APIException):
    """409: the transition is not possible from the object's current state.

    The body names the transitions that are possible now, so a client can
    recover without a second request:
    `{"detail": ..., "allowed_transitions": [...], "state": ...}`.
    """

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This transition is not possible from the current state."
    default_code = "transition_conflict"

    def __init__(
        self,
        detail: str | None = None,
        *,
        allowed_transitions: Iterable[str] = (),
        state: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail, code)
        self.allowed_transitions = sorted(allowed_transitions)
        self.state = state

    def extra_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"allowed_transitions": self.allowed_transitions}
        if self.state is not None:
            body["state"] = self.state
        return body


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: DRF's handler plus Tandem's conventions."""
    # Imported here: DRF imports this module (for Pagination) while
    # rest_framework.generics is still loading, and api_transitions needs generics.
    from apps.core.api_transitions import service_error_response

    if isinstance(exc, Http404):
        # DRF would repeat Django's message ("No Organization matches the given
        # query."), which names the model; an invisible object is just not found.
        exc = exceptions.NotFound()
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES (this module's
    # parser) when it is imported, so importing it at the top is a circular import
    # whenever this module is the first to load (DRF's pagination system check).
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    request = context.get("request")
    response = service_error_response(exc, user=getattr(request, "user", None))
    if response is not None:
        set_rollback()
        return response
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, TransitionConflict):
        response.data = {"detail": response.data["detail"], **exc.extra_body()}
    return response


class AuthenticatedUnlessDebug(BasePermission):
    """The API schema and docs: open in the demo (DEBUG on), signed-in only in production.

    Read per request, not at import, so the two modes are one code path.
    """

    def has_permission(self, request, view) -> bool:
        return bool(settings.DEBUG or (request.user and request.user.is_authenticated))


def _nested_rows_reader(field: serializers.ListSerializer):
    """A nested list: its prefetched rows (`prefetch_rows`) when there, else DRF's read
    (the related manager, whose .all() is Django's prefetch cache or a query)."""
    relation = field.source_attrs[0]

    def read(instance):
        rows = prefetched_rows(instance, relation)
        return field.get_attribute(instance) if rows is None else rows

    return read


def _decimal_show(field: serializers.DecimalField):
    """DecimalField.to_representation of a Decimal with the quantizing context made once
    (DRF copies the thread's context per value; the request's thread is the same)."""
    if (
        field.decimal_places is None
        or field.normalize_output
        or field.localize
        or not getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    ):
        return field.to_representation
    context = decimal.getcontext().copy()
    if field.max_digits is not None:
        context.prec = field.max_digits
    exponent = decimal.Decimal(".1") ** field.decimal_places
    rounding = field.rounding

    def show(value):
        if type(value) is not decimal.Decimal:
            return field.to_representation(value)
        return f"{value.quantize(exponent, rounding=rounding, context=context):f}"

    return show


def _date_show(field: serializers.DateField):
    """DateField.to_representation of a date in ISO 8601 (the API's format)."""
    if getattr(field, "format", api_settings.DATE_FORMAT) != ISO_8601:
        return field.to_representation

    def show(value):
        return value.isoformat() if type(value) is dt.date else field.to_representation(value)

    return show


def _pk_show(pk):
    return str(pk) if type(pk) is uuid.UUID else pk


def _datetime_show(field: serializers.DateTimeField):
    """DateTimeField.to_representation of an aware datetime in ISO 8601 (the API's
    format): in the current time zone, UTC written as "Z". FastReadMixin reads the
    time zone once per serializer (`_stamp_show`), not once per value."""
    if hasattr(field, "timezone") or (
        getattr(field, "format", api_settings.DATETIME_FORMAT) != ISO_8601
    ):
        return field.to_representation

    def show(value):
        return _stamp_show(timezone.get_current_timezone(), field)(value)

    show.field = field
    return show


def _stamp_show(tz, field: serializers.DateTimeField):
    def show(value):
        if type(value) is not dt.datetime or value.utcoffset() is None or not settings.USE_TZ:
            return field.to_representation(value)
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return show


def _uuid_show(field: serializers.UUIDField):
    return str if field.uuid_format == "hex_verbose" else field.to_representation


def _fast_plan(field: serializers.Field):
    """(reader, converter) of `field` for FastReadMixin.

    A primary key (DRF's PKOnlyObject path) is read as the instance's column. A plain
    attribute path is read with attrgetter, falling back to DRF's own get_attribute
    (and its rules) on None on the way, a missing related row or a callable; a nested
    list reads its prefetched rows (`prefetch_rows`); anything else ("*" sources,
    related objects) is read by DRF. Chars, integers, UUIDs, ISO dates and decimals
    convert directly, the rest through the field's to_representation."""
    if (
        isinstance(field, relations.RelatedField)
        and field.use_pk_only_optimization()
        and len(field.source_attrs) == 1
    ):
        attr = field.source_attrs[0]
        if field.pk_field is None:
            # DRF answers the pk itself; a UUID is then written as its str by the
            # JSON encoder: the same bytes without the encoder's fallback per value.
            return lambda instance: instance.serializable_value(attr), _pk_show
        return (
            lambda instance: instance.serializable_value(attr),
            lambda pk: field.to_representation(PKOnlyObject(pk)),
        )
    if isinstance(field, serializers.ListSerializer) and len(field.source_attrs) == 1:
        return _nested_rows_reader(field), field.to_representation
    if field.source == "*" or isinstance(field, relations.RelatedField):
        return field.get_attribute, field.to_representation
    getter = operator.attrgetter(field.source)

    def read(instance):
        try:
            value = getter(instance)
        except (AttributeError, ObjectDoesNotExist):
            return field.get_attribute(instance)
        if not callable(value):
            return value
        if type(value) is types.MethodType and _simple_method(value.__func__):
            return value()  # what DRF's get_attribute does with it ("owner.get_full_name")
        return field.get_attribute(instance)

    return read, _FAST_SHOW.get(type(field), _field_show)(field)


@functools.cache
def _simple_method(func) -> bool:
    """DRF's is_simple_callable of a method of `func` (a signature per row was a
    tenth of a list's serializing): the same function, the same answer."""
    return is_simple_callable(types.MethodType(func, object()))


def _field_show(field: serializers.Field):
    return field.to_representation


_FAST_SHOW = {
    serializers.CharField: lambda field: str,
    serializers.IntegerField: lambda field: int,
    serializers.DecimalField: _decimal_show,
    serializers.DateField: _date_show,
    serializers.DateTimeField: _datetime_show,
    serializers.UUIDField: _uuid_show,
}


class BuiltFieldsMixin:
    """A read serializer's fields built once per class, then copied per instance.

    DRF builds a ModelSerializer's fields from the model for every instance (every
    request); a copy is what DRF itself makes of declared fields (Field.__deepcopy__
    makes each field again from its arguments). Only for serializers whose fields do
    not depend on the instance or the context."""

    def get_fields(self):
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return copy.deepcopy(built)


# Fields whose rows read nothing but the instance: neither the serializer (its
# context, the request) nor a nested serializer. Their reader and converter are
# worked out once per serializer class and shared by every request.
_CONTEXT_FREE = frozenset(
    {
        serializers.BooleanField,
        serializers.CharField,
        serializers.ChoiceField,
        serializers.DateField,
        serializers.DateTimeField,
        serializers.DecimalField,
        serializers.EmailField,
        serializers.FloatField,
        serializers.IntegerField,
        serializers.JSONField,
        serializers.ReadOnlyField,
        serializers.UUIDField,
        relations.PrimaryKeyRelatedField,
        relations.StringRelatedField,
    }
)


def _identity(instance):
    return instance


class FastRead(BuiltFieldsMixin):
    # FastReadMixin's reading, without a docstring: a serializer that mixes it in keeps
    # the description the schema gave it (the first docstring of its classes).

    # `fast_readers`: field name -> a function of the instance giving the field's value
    # as it is answered (the same as the field's; tests/orders/test_api_fast_rows.py).
    fast_readers: dict = {}

    # The plan of the fields that read only the instance (`_CONTEXT_FREE`) is made once
    # per class, from an instance without context, and shared by every request; a
    # SerializerMethodField calls this serializer's method; any other field (a nested
    # serializer) is planned per instance from its own fields, as DRF builds them.

    @classmethod
    def _class_plan(cls) -> list[tuple]:
        plan = cls.__dict__.get("_fast_class_plan")
        if plan is None:
            plan = []
            readers = getattr(cls, "fast_readers", {})
            model = getattr(getattr(cls, "Meta", None), "model", None)
            for field in cls()._readable_fields:
                name = field.field_name
                if name in readers:
                    # The serializer's own reader gives the row's value (a list row's
                    # values in place of a related object).
                    plan.append((name, None, readers[name], _identity))
                elif type(field) in _CONTEXT_FREE:
                    plan.append((name, _column_of(model, field), *_fast_plan(field)))
                elif type(field) is serializers.SerializerMethodField:
                    plan.append((name, None, _identity, field.method_name))
                else:
                    plan.append((name, None, None, None))
            cls._fast_class_plan = plan
        return plan

    def _instance_plan(self) -> list[tuple]:
        plan = []
        fields = None
        tz = timezone.get_current_timezone()
        for name, column, read, show in self._class_plan():
            if read is None:
                if fields is None:
                    fields = self.fields
                plan.append((name, None, *_fast_plan(fields[name])))
            elif type(show) is str:
                plan.append((name, column, read, getattr(self, show)))
            elif hasattr(show, "field"):  # a datetime: the time zone read once
                plan.append((name, column, read, _stamp_show(tz, show.field)))
            else:
                plan.append((name, column, read, show))
        return plan

    def to_representation(self, instance):
        plan = self.__dict__.get("_fast_plan")
        if plan is None:
            plan = self._fast_plan = self._instance_plan()
        loaded = instance.__dict__
        row = {}
        for name, column, read, show in plan:
            # A loaded column is the value of its attribute (a deferred one is not in
            # the instance's __dict__: its reader loads it, as DRF would).
            if column is not None and column in loaded:
                value = loaded[column]
            else:
                try:
                    value = read(instance)
                except SkipField:
                    continue
            row[name] = None if value is None else show(value)
        return row


class FastReadMixin(FastRead):
    """Rows of a read serializer as DRF's Serializer.to_representation gives them, to
    the byte (tests/core/test_api_fast.py), with each field's reader and converter
    worked out once per serializer instance: a list's rows share one child serializer,
    so 25 rows (or 200 lines) pay for it once instead of once per row and field.
    For list endpoints and detail lines; write serializers keep DRF's path."""

    # (This docstring is the schema's description of serializers without their own:
    # changing it changes the OpenAPI schema.) The equality is proven by
    # tests/orders/test_api_fast_rows.py.


def _column_of(model, field: serializers.Field) -> str | None:
    """The attribute of the model's column `field` reads as it is (the id of a related
    field read by its primary key), else None."""
    if model is None or field.source == "*" or len(field.source_attrs) != 1:
        return None
    try:
        model_field = model._meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:
        return None
    if not model_field.concrete:
        return None
    if model_field.is_relation:
        related = isinstance(field, relations.RelatedField)
        return model_field.attname if related and field.use_pk_only_optimization() else None
    return None if isinstance(field, relations.RelatedField) else model_field.attname


# -- rows of plain columns ---------------------------------------------------------
#
# A document's lines as `values()` rows (apps.core.prepared: SQL compiled once per
# shape) rendered straight into their answers: no model instance, related manager or
# field object per line. The plan says, per field, which column it reads and how the
# field writes the value; it is made once per serializer class from the serializer's
# own fields, so the answer is the serializer's (tests/orders/test_api_fast_rows.py).

_COLUMN = 0  # the value of a column
_COMPUTED = 1  # a function of the row (`fast_values`)
_NESTED = 2  # a nested list, rendered by its own plan
_STAMP = "stamp"  # show: a datetime in the current time zone (read once per rendering)

# Fields that write a column's value as it is: str, int, bool and JSON values are
# their own representation (CharField's str(), IntegerField's int(), a ChoiceField's
# string key, a JSONField that is not binary).
_SAME_FIELDS = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.IntegerField,
    serializers.JSONField,
    serializers.ReadOnlyField,
)


def _column_show(field: serializers.Field, model_field) -> Any:
    """How `field` writes a value of `model_field` (None: as it is)."""
    if isinstance(field, relations.RelatedField):
        if type(field) is not relations.PrimaryKeyRelatedField or field.pk_field is not None:
            raise ImproperlyConfigured(f"{field.field_name}: only a primary key reads a column")
        return _pk_show
    if type(field) is serializers.DecimalField:
        show = _decimal_show(field)
        # A NUMERIC column's values have its scale (PostgreSQL; SQLite's converter
        # quantizes), so with the same places str() is DRF's "{:f}" of the quantized value.
        same_places = getattr(model_field, "decimal_places", None) == field.decimal_places
        return str if same_places and show is not field.to_representation else show
    if type(field) is serializers.DateField:
        return str if _date_show(field) is not field.to_representation else field.to_representation
    if type(field) is serializers.DateTimeField:
        if settings.USE_TZ and _datetime_show(field) is not field.to_representation:
            return _STAMP
        return field.to_representation
    if type(field) is serializers.UUIDField:
        return _uuid_show(field)
    if type(field) in _SAME_FIELDS and not getattr(field, "binary", False):
        return None
    return field.to_representation


class RowsPlan:
    """How a serializer's fields read a `values()` row (of the columns `columns`).

    A field reads the column of its source ("product.sku" -> "product__sku"; a
    primary-key related field its id), or the serializer's `fast_values[name]` =
    (columns, function of the row) gives the value the field then writes; a nested
    list is given by the caller, already rendered (`render_grouped`) by the child
    serializer's plan (`nested`). A field it cannot read is an error, not a guess."""

    def __init__(self, serializer_class: type) -> None:
        model = serializer_class.Meta.model
        computed = getattr(serializer_class, "fast_values", {})
        columns: list[str] = []
        fields = []
        self.nested: dict[str, RowsPlan] = {}
        for field in serializer_class()._readable_fields:
            name = field.field_name
            if name in computed:
                needs, function = computed[name]
                columns.extend(needs)
                fields.append((name, function, _COMPUTED, _column_show(field, None)))
            elif isinstance(field, serializers.ListSerializer):
                self.nested[name] = RowsPlan.of(type(field.child))
                fields.append((name, name, _NESTED, None))
            else:
                model_field = model._meta.get_field(field.source_attrs[0])
                for attr in field.source_attrs[1:]:
                    model_field = model_field.related_model._meta.get_field(attr)
                column = "__".join(field.source_attrs)
                columns.append(column)
                fields.append((name, column, _COLUMN, _column_show(field, model_field)))
        self.columns = tuple(dict.fromkeys(columns))
        self.fields = tuple(fields)

    @classmethod
    def of(cls, serializer_class: type) -> RowsPlan:
        plan = serializer_class.__dict__.get("_rows_plan")
        if plan is None:
            plan = serializer_class._rows_plan = cls(serializer_class)
        return plan

    def render(self, rows: list[dict], children: dict | None = None, key: str = "id") -> list:
        """The answers of `rows`; `children`: nested field -> {row[key]: [answers]}."""
        tz = timezone.get_current_timezone() if settings.USE_TZ else None
        out = []
        for row in rows:
            answer = {}
            for name, column, kind, show in self.fields:
                if kind == _NESTED:
                    answer[name] = children[name].get(row[key], [])
                    continue
                value = row[column] if kind == _COLUMN else column(row)
                if value is None or show is None:
                    answer[name] = value
                elif show is _STAMP:
                    text = value.astimezone(tz).isoformat()
                    answer[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
                else:
                    answer[name] = show(value)
            out.append(answer)
        return out

    def render_grouped(self, rows: list[dict], parent_column: str) -> dict:
        """{row[parent_column]: [answers]} of `rows`, in their order."""
        grouped: dict = {}
        for row, answer in zip(rows, self.render(rows), strict=True):
            grouped.setdefault(row[parent_column], []).append(answer)
        return grouped
