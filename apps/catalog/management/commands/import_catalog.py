"""`manage.py import_catalog parts|supplier-prices FILE.csv [--dry-run]`.

Uses the same resources as the admin's Import buttons. All or nothing: when any
row fails, every error is printed and nothing is saved (exit status 1).
"""

from __future__ import annotations

from pathlib import Path

import tablib
from django.core.management.base import BaseCommand, CommandError

from apps.catalog.resources import RESOURCES, import_errors


class Command(BaseCommand):
    help = "Import parts or supplier prices from a CSV file, reporting errors per row."

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=sorted(RESOURCES), help="What the file holds.")
        parser.add_argument("path", type=Path, help="CSV file with a header row (UTF-8).")
        parser.add_argument("--dry-run", action="store_true", help="Check every row, save nothing.")

    def handle(self, *args, kind: str, path: Path, dry_run: bool, **options) -> None:
        try:
            # utf-8-sig: spreadsheets often save CSV with a byte-order mark.
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            dataset = tablib.Dataset().load(text, format="csv")
        except Exception as exc:  # tablib raises several types for malformed CSV
            raise CommandError(f"{path} is not a readable CSV file: {exc}") from exc

        resource = RESOURCES[kind]()
        result = resource.import_data(
            dataset,
            dry_run=dry_run,
            use_transactions=True,
            rollback_on_validation_errors=True,
        )
        errors = import_errors(resource, result)
        if errors:
            for error in errors:
                self.stderr.write(str(error))
            failed = len({e.row for e in errors})
            raise CommandError(
                f"{failed} row(s) of {len(dataset)} failed; nothing was imported."
                if any(e.row for e in errors)
                else "The file was refused; nothing was imported."
            )

        totals = result.totals
        summary = (
            f"{totals.get('new', 0)} new, {totals.get('update', 0)} updated, "
            f"{totals.get('skip', 0)} unchanged"
        )
        if dry_run:
            self.stdout.write(f"Dry run, nothing saved: {len(dataset)} rows valid ({summary}).")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {len(dataset)} rows ({summary})."))
