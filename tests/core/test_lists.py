"""The one list pattern (apps.core.lists): capped count, ids first, rows hook on the page only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Organization
from apps.core.lists import ListPaginator, stable_ordering
from tests.factories import OrganizationFactory


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
