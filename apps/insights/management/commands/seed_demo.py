from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts import demo as accounts_demo


class Command(BaseCommand):
    help = "Create the Kestrel Pump & Control demo company (idempotent: safe to run again)."

    def handle(self, *args, **options):
        with transaction.atomic():
            ctx = accounts_demo.seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo company ready: {len(ctx['orgs'])} organizations, {len(ctx['users'])} users."
            )
        )
