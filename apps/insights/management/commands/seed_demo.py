from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts import demo as accounts_demo
from apps.catalog import demo as catalog_demo
from apps.orders import demo as orders_demo
from apps.sales import demo as sales_demo


class Command(BaseCommand):
    help = "Create the Kestrel Pump & Control demo company (idempotent: safe to run again)."

    def handle(self, *args, **options):
        with transaction.atomic():
            ctx = accounts_demo.seed()
            catalog = catalog_demo.seed(ctx["orgs"])
            products = {k: catalog[k] for k in ("skid", "cabinet", "dosing")}
            ctx.update(orders_demo.seed(ctx["users"], ctx["orgs"], products))
            ctx.update(sales_demo.seed(ctx["users"], ctx["orgs"], products))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo company ready: {len(ctx['orgs'])} organizations, {len(ctx['users'])} users."
            )
        )
