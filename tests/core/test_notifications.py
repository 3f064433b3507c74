from __future__ import annotations

import pytest

from apps.core.models import Notification
from apps.core.selectors import unread_notification_count
from apps.core.services import email_send_after_commit, notification_mark_read, notify

pytestmark = pytest.mark.django_db


def test_notify_creates_one_unread_notification_per_active_recipient(sales_rep, planner):
    planner.is_active = False
    planner.save()
    created = notify(recipients=[sales_rep, sales_rep, planner], title="Review due", url="/x/")
    assert len(created) == 1
    assert unread_notification_count(user=sales_rep) == 1
    assert unread_notification_count(user=planner) == 0


def test_mark_read_touches_only_own_notifications(sales_rep, planner):
    mine = notify(recipients=[sales_rep], title="Mine")[0]
    theirs = notify(recipients=[planner], title="Theirs")[0]
    assert notification_mark_read(user=sales_rep, notification_ids=[mine.pk, theirs.pk]) == 1
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert unread_notification_count(user=sales_rep) == 0


@pytest.fixture
def invitation_context(acme, sales_rep):
    from apps.accounts.models import Invitation

    invitation = Invitation(
        organization=acme, email="ada@acme.example", first_name="Ada", invited_by=sales_rep
    )
    return {
        "invitation": invitation,
        "url": "https://tandem.example/accounts/invite/abc/",
        "days": 7,
    }


def test_email_is_sent_by_celery_only_after_commit(
    acme, invitation_context, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_send_after_commit(
            to=["ada@acme.example"],
            template_prefix="accounts/email/invitation",
            context=invitation_context,
            target=acme,
        )
        assert mailoutbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@acme.example"]
    assert "https://tandem.example/accounts/invite/abc/" in mailoutbox[0].body
    html = mailoutbox[0].alternatives[0]
    assert html[1] == "text/html"


def test_email_is_dropped_when_the_transaction_rolls_back(
    invitation_context, django_capture_on_commit_callbacks, mailoutbox
):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        email_send_after_commit(
            to=["ada@acme.example"],
            template_prefix="accounts/email/invitation",
            context=invitation_context,
        )
        raise RuntimeError("rollback")
    assert callbacks == []
    assert mailoutbox == []
