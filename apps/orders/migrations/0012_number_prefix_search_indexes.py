from django.db import migrations

# A number fragment in `q=` is searched as a prefix (LIKE 'Q-0001%',
# apps.core.lists.number_search). A B-tree serves a prefix LIKE only under the "C"
# collation or with the pattern operator class: these indexes make it independent of
# the database's collation. PostgreSQL only; SQLite (the demo) needs none.
INDEXED = {"orders_quote": "quote_number_prefix_idx", "orders_salesorder": "order_number_prefix_idx"}


def _indexes(apps, schema_editor, *, drop: bool = False) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name in INDEXED.items():
        if drop:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
        else:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("number" varchar_pattern_ops)'
            )


def create_indexes(apps, schema_editor) -> None:
    _indexes(apps, schema_editor)


def drop_indexes(apps, schema_editor) -> None:
    _indexes(apps, schema_editor, drop=True)


class Migration(migrations.Migration):
    dependencies = [("orders", "0011_merge_customer_dates_and_expedite")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
