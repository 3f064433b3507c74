from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from apps.core.transitions import TransitionError
from apps.orders.models import Quote, QuoteState

log = logging.getLogger(__name__)


@shared_task
def expire_quotes() -> int:
    """Beat task: sent quotes whose validity date has passed become expired."""
    from apps.orders.services.quotes import quote_expire

    expired = 0
    due = Quote.objects.filter(state=QuoteState.SENT, valid_until__lt=timezone.localdate())
    for quote in due.iterator():
        try:
            quote_expire(quote=quote)
        except TransitionError as exc:  # accepted or revised meanwhile: nothing to do
            log.info("Not expiring %s: %s", quote.number, exc)
        else:
            expired += 1
    return expired


@shared_task
def remind_overdue_reviews() -> int:
    """Beat task: remind the reviewing group of reviews past their due date, once a day."""
    from apps.orders.services.quotes import quote_reviews_remind_overdue

    return quote_reviews_remind_overdue()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def render_quote_document(document_id: int) -> bool:
    """Render the PDF of a sent revision (queued by quote_send on commit)."""
    from apps.orders.models import QuoteDocument
    from apps.orders.services.documents import quote_document_render

    document = QuoteDocument.objects.filter(pk=document_id).first()
    if document is None:  # the quote was deleted meanwhile
        return False
    quote_document_render(document=document)
    return True


@shared_task
def release_due_forecasts() -> int:
    """Beat task: tell customers the new dates nobody confirmed within the notice period."""
    from apps.orders.services.releases import forecasts_release_due

    return forecasts_release_due()


@shared_task
def replan_affected(
    part_ids: list[str], work_center_ids: list[str], cause: str, text: str = ""
) -> int | None:
    """Re-plan the open lines a supply or capacity change may move (a targeted PlanRun)."""
    from apps.orders.replan import replan_affected as run_replan

    run = run_replan(part_ids=part_ids, work_center_ids=work_center_ids, cause=cause, text=text)
    return run.pk if run else None


@shared_task
def replan_full(run_id: int) -> int:
    """Walk a started full re-plan (plan_run_start queues it) batch by batch."""
    from apps.orders.models import PlanRun, PlanRunState
    from apps.orders.replan import replan_full_run

    run = PlanRun.objects.filter(pk=run_id, state=PlanRunState.RUNNING).first()
    if run is None:  # failed as stale meanwhile
        return 0
    return replan_full_run(run=run).done


@shared_task
def replan_nightly() -> int | None:
    """Beat task: the nightly full re-plan; if one is already running, say so and stop."""
    from apps.orders.replan import plan_run_start

    try:
        run = plan_run_start(actor=None)
    except TransitionError as exc:
        log.info("Nightly re-plan not started: %s", exc)
        return None
    return run.pk
