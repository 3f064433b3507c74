"""Two submissions of one invitation link at the same moment, with real transactions.

select_for_update does nothing inside a test's wrapping transaction, so this runs
with transaction=True and real threads released together by a barrier.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from apps.accounts import services
from apps.accounts.models import Invitation, Membership, User

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Pumps-and-valves-2026"


def race(*calls):
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


def test_two_tabs_accepting_one_link_create_one_account(acme, sales_rep):
    invitation = Invitation.objects.create(
        organization=acme, email="ada@acme.example", first_name="Ada", invited_by=sales_rep
    )
    token = services.invitation_token(invitation)

    results = race(
        lambda: services.invitation_accept(token=token, username="ada.one", password=PASSWORD),
        lambda: services.invitation_accept(token=token, username="ada.two", password=PASSWORD),
    )

    winners = [r for r in results if isinstance(r, User)]
    losers = [r for r in results if isinstance(r, services.InvitationError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].reason == "used"
    assert User.objects.filter(email="ada@acme.example").count() == 1
    assert Membership.objects.filter(organization=acme).count() == 1
    invitation.refresh_from_db()
    assert invitation.user == winners[0]


def test_withdrawal_racing_acceptance_leaves_one_outcome(acme, sales_rep):
    invitation = Invitation.objects.create(
        organization=acme, email="ada@acme.example", first_name="Ada", invited_by=sales_rep
    )
    token = services.invitation_token(invitation)

    results = race(
        lambda: services.invitation_accept(token=token, username="ada.acme", password=PASSWORD),
        lambda: services.invitation_revoke(
            invitation=Invitation.objects.get(pk=invitation.pk), actor=sales_rep
        ),
    )

    invitation.refresh_from_db()
    if isinstance(results[0], User):
        # Acceptance first: the withdrawal is refused and the account stands.
        assert invitation.accepted_at and not invitation.revoked_at
        assert results[1].__class__.__name__ == "ValidationError"
    else:
        assert isinstance(results[0], services.InvitationError), results
        assert invitation.revoked_at and not invitation.accepted_at
        assert not User.objects.filter(email="ada@acme.example").exists()
