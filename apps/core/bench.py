"""Hooks for `make bench` only (settings.TANDEM_BENCH; never on in production).

- /bench/bare/: the baseline view. It reads request.user, as every real page
  does, so anonymous it costs nothing and logged in it costs the session and
  the user: the fixed cost each endpoint is compared with.
- BenchMiddleware: answers the number of SQL queries in `X-Queries`; with
  `X-Bench-Explain: 1` it also EXPLAINs each SELECT of the request and names, in
  `X-Seq-Scans`, the tables of more than BIG_TABLE rows read by a sequential scan.
"""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpRequest, HttpResponse

BIG_TABLE = 10_000


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"ok {int(request.user.is_authenticated)}", content_type="text/plain")


def _seq_scans(plan: dict) -> set[str]:
    found = set()
    if plan.get("Node Type") == "Seq Scan":
        found.add(plan.get("Relation Name", "?"))
    for child in plan.get("Plans", []):
        found |= _seq_scans(child)
    return found


def _big_seq_scans(queries: list[tuple[str, tuple]]) -> list[str]:
    tables: set[str] = set()
    with connection.cursor() as cursor:
        for sql, params in queries:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            raw = cursor.fetchone()[0]
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
            tables |= _seq_scans(plan)
        if not tables:
            return []
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND reltuples > %s",
            [sorted(tables), BIG_TABLE],
        )
        return sorted(row[0] for row in cursor.fetchall())


class BenchMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries: list[tuple[str, tuple]] = []

        def count(execute, sql, params, many, context):
            queries.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = self.get_response(request)
            if hasattr(response, "render") and callable(response.render):
                response.render()
        response["X-Queries"] = str(len(queries))
        if request.headers.get("X-Bench-Explain") and connection.vendor == "postgresql":
            response["X-Seq-Scans"] = ",".join(_big_seq_scans(queries)) or "-"
        return response
