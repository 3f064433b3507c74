from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = 0.25  # hours


def _fail(client, username, times):
    for _ in range(times):
        client.post(LOGIN, {"username": username, "password": "nope"})


def test_account_is_locked_after_repeated_failures_even_with_the_right_password(
    client, sales_rep, password
):
    _fail(client, sales_rep.username, 5)
    res = client.post(LOGIN, {"username": sales_rep.username, "password": password})
    assert res.status_code == 429
    assert b"temporarily locked" in res.content
    assert b"Try again in 15 minutes" in res.content
    assert "_auth_user_id" not in client.session


def test_fewer_failures_do_not_lock(client, sales_rep, password):
    _fail(client, sales_rep.username, 4)
    res = client.post(LOGIN, {"username": sales_rep.username, "password": password})
    assert res.status_code == 302


def test_another_username_is_not_locked(client, sales_rep, planner, password):
    _fail(client, sales_rep.username, 5)
    res = client.post(LOGIN, {"username": planner.username, "password": password})
    assert res.status_code == 302


def test_a_success_resets_the_counter(client, sales_rep, password):
    _fail(client, sales_rep.username, 4)
    assert (
        client.post(LOGIN, {"username": sales_rep.username, "password": password}).status_code
        == 302
    )
    client.post("/accounts/logout/")
    _fail(client, sales_rep.username, 4)
    res = client.post(LOGIN, {"username": sales_rep.username, "password": password})
    assert res.status_code == 302
