"""The one list pattern (apps.core.lists): capped count, ids first, rows by id alone
(compiled once per shape), rows hook on the page only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count, Value
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Membership, Organization
from apps.core import prepared
from apps.core.lists import ListPaginator, stable_ordering
from tests.factories import OrganizationFactory, UserFactory


@pytest.fixture
def orgs(db):
    return [
        OrganizationFactory(code=f"L{i:02d}", name=f"List {i:02d}", kind="customer")
        for i in range(7)
    ]


def _qs():
    return Organization.objects.filter(code__startswith="L").order_by("-name", "-pk")


def test_pages_keep_the_order_and_never_overlap(orgs):
    paginator = ListPaginator(_qs(), 3)
    names = [o.name for n in (1, 2, 3) for o in paginator.page(n)]
    assert names == sorted((o.name for o in orgs), reverse=True)
    assert paginator.count == 7 and paginator.num_pages == 3


def test_the_count_stops_at_the_cap(orgs):
    paginator = ListPaginator(_qs(), 2, cap=5)
    assert paginator.count == 5 and paginator.capped
    assert paginator.num_pages == 3
    assert not ListPaginator(_qs(), 2).capped


def test_a_page_costs_count_ids_and_rows_and_aggregates_only_its_rows(orgs):
    seen = []

    def rows(qs):
        seen.append(qs)
        return qs.annotate(n=Count("memberships"))

    paginator = ListPaginator(_qs(), 3, rows=rows)
    with CaptureQueriesContext(connection) as ctx:
        page = paginator.page(2)
        assert [o.n for o in page] == [0, 0, 0]
        assert paginator.count == 7
    count_sql, ids_sql, rows_sql = (q["sql"] for q in ctx.captured_queries)
    assert "COUNT(*)" in count_sql and "LIMIT 10001" in count_sql
    # The ids query selects the key only: no join, no GROUP BY, whatever rows() adds.
    assert "JOIN" not in ids_sql and "GROUP BY" not in ids_sql and "OFFSET 3" in ids_sql
    assert "GROUP BY" in rows_sql and "IN (" in rows_sql


def test_empty_list_has_one_empty_page(db):
    page = ListPaginator(Organization.objects.none().order_by("pk"), 25).get_page(3)
    assert page.number == 1 and list(page) == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["-created_at"], ["-created_at", "-pk"]),
        (["total_amount"], ["total_amount", "pk"]),
        (["number", "-pk"], ["number", "-pk"]),
        ([], []),
    ],
)
def test_stable_ordering_ends_with_the_key_in_the_first_direction(given, expected):
    assert stable_ordering(given) == expected


# --- the page's rows: by id alone, SQL compiled once per shape ----------------------


def _rows_sql(paginator, number):
    with CaptureQueriesContext(connection) as ctx:
        rows = list(paginator.page(number))
    return rows, ctx.captured_queries[-1]["sql"]


def test_rows_are_read_by_id_without_the_lists_filters(orgs):
    rows, sql = _rows_sql(ListPaginator(_qs(), 3), 1)
    assert [o.code for o in rows] == ["L06", "L05", "L04"]
    # The filter ran once, in the ids query: the rows query is the ids alone.
    assert "LIKE" not in sql.upper() and "IN (" in sql


def test_a_page_shows_only_rows_of_the_filtered_list(orgs):
    OrganizationFactory(code="X01", name="List 03a", kind="customer")  # sorts among them
    paginator = ListPaginator(_qs(), 3)
    codes = [o.code for n in (1, 2, 3) for o in paginator.page(n)]
    assert codes == [f"L{i:02d}" for i in reversed(range(7))]


def test_the_rows_sql_is_compiled_once_per_shape(orgs, monkeypatch):
    prepared.clear()
    compiled = []
    original = prepared._prepare_objects

    def counting(qs, slots):
        compiled.append(len(slots))
        return original(qs, slots)

    monkeypatch.setattr(prepared, "_prepare_objects", counting)
    paginator = ListPaginator(_qs(), 3)
    first = [o.code for o in paginator.page(1)]
    second = [o.code for o in paginator.page(2)]
    again = [o.code for o in ListPaginator(_qs(), 3).page(2)]
    assert (first, second, again) == (["L06", "L05", "L04"], ["L03", "L02", "L01"], second)
    # Pages 1 and 2 share a shape (3 ids); the last page (1 id) is another.
    assert [o.code for o in paginator.page(3)] == ["L00"]
    assert compiled == [3, 1]


def test_rows_keep_the_lists_joins_deferred_columns_and_the_hooks_prefetch(orgs):
    UserFactory(organization=orgs[0])
    qs = Membership.objects.filter(organization__code__startswith="L").select_related(
        "organization"
    )
    paginator = ListPaginator(
        qs.only("pk", "organization__name").order_by("pk"),
        5,
        rows=lambda rows: rows.prefetch_related("organization__memberships"),
    )
    with CaptureQueriesContext(connection) as ctx:
        (membership,) = paginator.page(1)
        assert membership.organization.name == orgs[0].name
        assert [m.pk for m in membership.organization.memberships.all()] == [membership.pk]
    # count, ids, rows, the prefetch: the join and the prefetch cost no query per row.
    assert len(ctx.captured_queries) == 4
    assert "user_id" in membership.get_deferred_fields()
    assert "code" in membership.organization.get_deferred_fields()


def test_the_lists_own_annotations_are_kept(orgs):
    paginator = ListPaginator(_qs().annotate(flag=Value(7)), 2)
    assert [o.flag for o in paginator.page(2)] == [7, 7]
