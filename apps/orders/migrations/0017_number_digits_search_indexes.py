from django.db import migrations

# A number fragment without its zero padding in `q=` ("12": SO-000012, SO-001234,
# SO-120000…) is one LIKE '12%' on the number's unpadded digits
# (apps.core.lists.NumberDigits), served by these expression indexes; it was nine
# OR'd LIKEs on the number, one per padding width. The expression is spelled exactly
# as NumberDigits writes it (the planner matches the two). text_pattern_ops: a B-tree
# serves a prefix LIKE whatever the database's collation. PostgreSQL only (built
# CONCURRENTLY, orders keep being written meanwhile); SQLite (the demo) scans its
# small tables.
INDEXED = {
    "order_number_digits_idx": ("orders_salesorder", len("SO-") + 1),
    "quote_number_digits_idx": ("orders_quote", len("Q-") + 1),
}


def create_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, start) in INDEXED.items():
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" '
            f"((LTRIM(SUBSTR(\"number\", {start}), '0')) text_pattern_ops)"
        )


def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXED:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [("orders", "0016_at_risk_customer")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
