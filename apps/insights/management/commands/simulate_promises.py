"""`manage.py simulate_promises`: the promise simulation on the current (fresh) database.

`make simulate` creates a fresh database, migrates it and runs this; see
apps/insights/simulation/ and bench/promise-simulation.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.catalog.models import Part
from apps.insights.simulation.run import simulate
from apps.insights.simulation.scenario import DEFAULT_START, Scenario


def _share(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Simulate a year of promises under the lead-time formula and Tandem; write the report."

    def add_arguments(self, parser):
        defaults = Scenario()
        parser.add_argument("--days", type=int, default=defaults.days)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--slip-share", type=_share, default=defaults.slip_share)
        parser.add_argument("--slip-days", type=int, default=defaults.slip_days)
        parser.add_argument("--capacity-loss", type=_share, default=defaults.capacity_loss)
        parser.add_argument("--requests-per-week", type=float, default=defaults.requests_per_week)
        parser.add_argument("--accept-share", type=_share, default=defaults.accept_share)
        parser.add_argument(
            "--start", type=dt.date.fromisoformat, default=DEFAULT_START, help="YYYY-MM-DD"
        )
        parser.add_argument(
            "--out", default=str(Path(settings.BASE_DIR) / "bench"), help="Report directory"
        )

    def handle(self, *args, **opts):
        if Part.objects.exists():
            raise CommandError("Run on a fresh, migrated database (make simulate creates one).")
        if not 1 <= opts["days"] <= 3 * 366 or opts["slip_days"] < 1:
            raise CommandError("--days must be 1–1098 and --slip-days at least 1.")
        from config.celery import app

        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)

        # Re-planning runs inline, as a worker would run it right away.
        app.conf.task_always_eager = True
        app.conf.task_eager_propagates = True
        settings.CELERY_TASK_ALWAYS_EAGER = True
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        scenario = Scenario(
            days=opts["days"],
            seed=opts["seed"],
            slip_share=opts["slip_share"],
            slip_days=opts["slip_days"],
            capacity_loss=opts["capacity_loss"],
            requests_per_week=opts["requests_per_week"],
            accept_share=opts["accept_share"],
            start=opts["start"],
        )
        result = simulate(scenario, out_dir=Path(opts["out"]), progress=self.stdout.write)
        for f in result["policies"]:
            self.stdout.write(
                f"{f['policy']}: kept {f['kept_first_promise']}, mean late "
                f"{f['mean_days_late']} d, p90 {f['p90_days_late']} d, quoted "
                f"{f['mean_quoted_lead_days']} d, warned {f['late_lines_warned_5_days_ahead']}, "
                f"double promises {f['double_promises']}"
            )
        self.stdout.write(self.style.SUCCESS(f"Report: {opts['out']}/promise-simulation.md"))
