"""What the bulk data set's phases share: sizes, the fixed anchor date, the row writer."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection, models

PASSWORD = "bench-password"
ANCHOR = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Size:
    customers: int
    suppliers: int
    products: int
    quotes: int
    quote_lines: int
    orders: int
    order_lines: int
    activities: int

    # The later capabilities' objects, sized from the same numbers (S a tenth of M).
    @property
    def parts(self) -> int:
        return 2 * self.products

    @property
    def work_centers(self) -> int:
        return max(4, self.products // 20)

    @property
    def plan_runs(self) -> int:
        return max(5, self.orders // 100)


M = Size(5_000, 200, 2_000, 50_000, 250_000, 100_000, 1_000_000, 2_000_000)
SIZES = {
    "XS": Size(30, 5, 20, 200, 1_000, 300, 3_000, 2_000),
    "S": Size(500, 20, 200, 5_000, 25_000, 10_000, 100_000, 200_000),
    "M": M,
    "L": Size(5_000, 200, 2_000, 50_000, 250_000, 1_000_000, 10_000_000, 2_000_000),
}


class Writer:
    """COPY rows into a table on PostgreSQL (bulk_create elsewhere), in batches."""

    def __init__(self, model, fields: list[str], batch: int = 50_000) -> None:
        self.model, self.batch = model, batch
        self.rows: list[tuple] = []
        self.total = 0
        named = {model._meta.get_field(f) for f in fields}
        # Every other column gets its model default, so a field added later
        # (NOT NULL with a default) never breaks the COPY.
        rest = [
            f
            for f in model._meta.concrete_fields
            if f not in named and not isinstance(f, models.AutoField | models.BigAutoField)
        ]
        self.fields = [*fields, *(f.name for f in rest)]
        self.defaults = tuple(
            json.dumps(f.get_default()) if isinstance(f, models.JSONField) else f.get_default()
            for f in rest
        )
        self.columns = [model._meta.get_field(f).column for f in self.fields]

    def add(self, row: tuple) -> None:
        self.rows.append(row + self.defaults)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            cols = ", ".join(f'"{c}"' for c in self.columns)
            with connection.cursor() as cursor:
                raw = cursor.cursor  # psycopg 3
                with raw.copy(f'COPY "{self.model._meta.db_table}" ({cols}) FROM STDIN') as copy:
                    for row in self.rows:
                        copy.write_row(row)
        else:
            self.model.objects.bulk_create(
                [self.model(**dict(zip(self.fields, row, strict=True))) for row in self.rows],
                batch_size=1000,
            )
        self.total += len(self.rows)
        self.rows = []
