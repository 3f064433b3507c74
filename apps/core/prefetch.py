"""A reverse relation prefetched as a plain list, for the API's nested rows.

Django's prefetch builds a related manager and a filtered queryset for every parent
row to hold its cache (and reading it back builds another manager): for a 200-line
order's two kinds of line details that is 800 managers and 400 querysets, most of the
order's answer time. `Prefetch(..., to_attr=...)` stores a list instead; FastReadMixin
(apps.core.api) reads a nested list from there when it is present, else through the
related manager as DRF does. Same query, same rows, same order.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.db.models.constants import LOOKUP_SEP

ROWS_SUFFIX = "_rows"


def prefetch_rows(lookup: str, queryset: QuerySet | None = None) -> Prefetch:
    """`lookup` (a reverse relation, possibly through others: "lines__components") as
    the list `<relation>_rows` on the objects at its end."""
    relation = lookup.rsplit(LOOKUP_SEP, 1)[-1]
    return Prefetch(lookup, queryset=queryset, to_attr=relation + ROWS_SUFFIX)


def prefetched_rows(instance, relation: str) -> list | None:
    """The rows `prefetch_rows(relation)` stored on `instance`, or None."""
    return instance.__dict__.get(relation + ROWS_SUFFIX)
