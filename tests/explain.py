"""EXPLAIN a queryset the way the index tests read it.

Test tables hold a few rows, so the planner would rightly read them whole (and sort a
handful of rows from any index). With sequential scans priced out, a plan that still
has one has no index that serves the query; with sorts priced out too (``no_sort``),
an ordered page must come from the index that is in that order, as it does at size.
"""

from __future__ import annotations

from django.db import connection


def explain(queryset, *, no_sort: bool = False) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        if no_sort:
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())
