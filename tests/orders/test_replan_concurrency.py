"""Two full re-plans started at the same instant (issue 9): one runs, the other says so.

Real threads, each with its own PostgreSQL connection and transaction: the
partial unique constraint `one_full_replan_running` lets only one full run be
`running`; the second insert fails and the start answers with the sentence.
"""

from __future__ import annotations

import pytest

from apps.core.transitions import TransitionNotAllowed
from apps.orders.models import PlanRun, PlanRunState
from apps.orders.replan import plan_run_start
from tests.orders.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_full_re_plans_started_at_once_run_once(planner, sales_manager, settings):
    # The run itself is not the point here: keep it queued (no worker in this test).
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from unittest import mock

    with mock.patch("apps.orders.tasks.replan_full.delay") as queued:
        results = race(
            lambda: plan_run_start(actor=planner), lambda: plan_run_start(actor=sales_manager)
        )

    started = [r for r in results if isinstance(r, PlanRun)]
    refused = [r for r in results if isinstance(r, TransitionNotAllowed)]
    assert len(started) == 1 and len(refused) == 1, results
    assert refused[0].message.startswith("A full re-plan is already running, started ")
    # No open line: the winner has nothing to walk, so it reads 100 % done.
    assert f"by {started[0].started_by.username}, 100% done." in refused[0].message
    assert PlanRun.objects.filter(kind="full", state=PlanRunState.RUNNING).count() == 1
    queued.assert_called_once_with(started[0].pk)
