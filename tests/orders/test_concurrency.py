"""Two clients acting on the same object at the same moment, with real transactions.

select_for_update does nothing inside a test's wrapping transaction, so these
tests run with transaction=True and real threads, each with its own database
connection, released together by a barrier.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from apps.core.concurrency import StaleObjectError
from apps.core.models import Activity
from apps.core.transitions import TransitionError
from apps.orders.models import OrderState, Quote, QuoteState, SalesOrder
from apps.orders.services import quotes as q
from apps.orders.services.orders import order_transition, order_update

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls):
    """Run each call in its own thread at the same instant; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # the loser's exception is the result we check
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_two_reps_sending_the_same_quote_exactly_one_wins(make_quote, sales_rep, sales_manager):
    quote = q.quote_submit(quote=make_quote(), actor=sales_rep)
    assert quote.state == QuoteState.APPROVED

    results = race(
        lambda: q.quote_send(quote=Quote.objects.get(pk=quote.pk), actor=sales_rep),
        lambda: q.quote_send(quote=Quote.objects.get(pk=quote.pk), actor=sales_manager),
    )

    winners = [r for r in results if isinstance(r, Quote)]
    losers = [r for r in results if isinstance(r, TransitionError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].status == 409
    assert Quote.objects.get(pk=quote.pk).state == QuoteState.SENT
    assert Activity.objects.filter(object_id=str(quote.pk), verb="send").count() == 1


def test_accept_and_cancel_racing_leave_one_consistent_outcome(make_quote, sales_rep, acme_contact):
    quote = q.quote_send(quote=q.quote_submit(quote=make_quote(), actor=sales_rep), actor=sales_rep)

    results = race(
        lambda: q.quote_accept(quote=Quote.objects.get(pk=quote.pk), actor=acme_contact),
        lambda: q.quote_cancel(quote=Quote.objects.get(pk=quote.pk), actor=sales_rep),
    )

    assert sum(isinstance(r, Quote) for r in results) == 1, results
    final = Quote.objects.get(pk=quote.pk)
    assert final.state in (QuoteState.ACCEPTED, QuoteState.CANCELLED)
    transitions = Activity.objects.filter(object_id=str(quote.pk), verb__in=["accept", "cancel"])
    assert list(transitions.values_list("to_state", flat=True)) == [final.state]


def test_two_confirmations_of_one_order(order, sales_rep, sales_manager, finance):
    order = order_update(
        order=order,
        actor=sales_rep,
        expected_version=order.version,
        delivery_contact_name="Dock lead",
    )

    results = race(
        lambda: order_transition(
            order=SalesOrder.objects.get(pk=order.pk), name="confirm", actor=sales_manager
        ),
        lambda: order_transition(
            order=SalesOrder.objects.get(pk=order.pk), name="confirm", actor=finance
        ),
    )

    assert sum(isinstance(r, SalesOrder) for r in results) == 1, results
    assert SalesOrder.objects.get(pk=order.pk).state == OrderState.CONFIRMED
    assert Activity.objects.filter(object_id=str(order.pk), verb="confirm").count() == 1


def test_two_edits_from_the_same_version_one_gets_a_conflict(make_quote, sales_rep, sales_manager):
    quote = make_quote()
    version = quote.version

    results = race(
        lambda: q.quote_update(
            quote=quote, actor=sales_rep, expected_version=version, title="From Sam"
        ),
        lambda: q.quote_update(
            quote=quote, actor=sales_manager, expected_version=version, title="From Maria"
        ),
    )

    assert sum(isinstance(r, StaleObjectError) for r in results) == 1, results
    winner = next(r for r in results if isinstance(r, Quote))
    final = Quote.objects.get(pk=quote.pk)
    assert final.title == winner.title and final.version == version + 1
