from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_password_change_needs_the_old_password(client, sales_rep, password):
    client.force_login(sales_rep)
    res = client.post(
        "/accounts/password/change/",
        {
            "old_password": "wrong",
            "new_password1": "Valves-and-pumps-2026",
            "new_password2": "Valves-and-pumps-2026",
        },
    )
    assert res.status_code == 200 and b"is-invalid" in res.content
    res = client.post(
        "/accounts/password/change/",
        {
            "old_password": password,
            "new_password1": "Valves-and-pumps-2026",
            "new_password2": "Valves-and-pumps-2026",
        },
    )
    assert res.status_code == 302
    sales_rep.refresh_from_db()
    assert sales_rep.check_password("Valves-and-pumps-2026")


def test_reset_mails_a_working_link_through_celery_after_commit(
    client, sales_rep, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://tandem.example"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        res = client.post("/accounts/password/reset/", {"email": sales_rep.email})
        assert mailoutbox == []
    assert res.status_code == 302 and len(callbacks) == 1
    callbacks[0]()
    assert mailoutbox[0].to == [sales_rep.email]
    link = re.search(r"https://tandem\.example(/accounts/password/reset/\S+/)", mailoutbox[0].body)
    assert link, mailoutbox[0].body
    res = client.get(link.group(1), follow=True)
    assert res.status_code == 200 and b"new_password1" in res.content
    res = client.post(
        res.redirect_chain[-1][0],
        {"new_password1": "Valves-and-pumps-2026", "new_password2": "Valves-and-pumps-2026"},
    )
    assert res.status_code == 302
    sales_rep.refresh_from_db()
    assert sales_rep.check_password("Valves-and-pumps-2026")


def test_unknown_address_sends_nothing_but_looks_the_same(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        res = client.post("/accounts/password/reset/", {"email": "nobody@nowhere.example"})
    assert res.status_code == 302 and res.url == "/accounts/password/reset/sent/"
    assert mailoutbox == []


def test_invalid_reset_link_says_so(client):
    res = client.get("/accounts/password/reset/MQ/bad-token/")
    assert res.status_code == 200 and b"invalid" in res.content


# -- throttling ------------------------------------------------------------------------


RESET_URL = "/accounts/password/reset/"


def _request_reset(client, email: str, ip: str = "203.0.113.7"):
    return client.post(RESET_URL, {"email": email}, REMOTE_ADDR=ip)


@pytest.fixture
def limits(settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 5
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 20


def test_an_address_gets_five_mails_an_hour_and_then_the_same_page_but_no_mail(
    client, sales_rep, limits, mailoutbox, django_capture_on_commit_callbacks
):
    for n in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            res = _request_reset(client, sales_rep.email, ip=f"203.0.113.{n}")
        assert res.status_code == 302 and res.url == "/accounts/password/reset/sent/"
    assert len(mailoutbox) == 5
    # From another client too, and spelled differently: still the same address.
    with django_capture_on_commit_callbacks(execute=True):
        res = _request_reset(client, sales_rep.email.upper(), ip="198.51.100.1")
    assert res.status_code == 302 and res.url == "/accounts/password/reset/sent/"
    assert len(mailoutbox) == 5


def test_the_address_limit_does_not_reveal_whether_the_address_exists(
    client, sales_rep, limits, mailoutbox
):
    # Past the limit an unknown and a known address answer alike.
    for _ in range(6):
        unknown = _request_reset(client, "nobody@nowhere.example")
        known = _request_reset(client, sales_rep.email)
    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)


def test_another_address_is_not_held_back_by_the_first(
    client, sales_rep, planner, limits, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            _request_reset(client, sales_rep.email)
        _request_reset(client, planner.email)
    assert [m.to for m in mailoutbox].count([planner.email]) == 1


def test_a_client_asking_too_often_is_told_to_try_later(
    client, sales_rep, limits, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(20):
            assert _request_reset(client, f"someone{n}@example.com").status_code == 302
        res = _request_reset(client, sales_rep.email)
    assert res.status_code == 429
    assert int(res["Retry-After"]) == 3600
    assert "Too many password reset requests" in res.content.decode()
    assert mailoutbox == []
    # Another client is unaffected.
    with django_capture_on_commit_callbacks(execute=True):
        assert _request_reset(client, sales_rep.email, ip="198.51.100.9").status_code == 302
    assert [m.to for m in mailoutbox] == [[sales_rep.email]]


def test_the_limits_are_settings(client, sales_rep, settings, mailoutbox):
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 1
    assert _request_reset(client, sales_rep.email).status_code == 302
    assert _request_reset(client, sales_rep.email).status_code == 429


def test_the_window_ends_after_an_hour(
    client, sales_rep, limits, mailoutbox, django_capture_on_commit_callbacks
):
    from django.core.cache import caches

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            _request_reset(client, sales_rep.email)
    assert len(mailoutbox) == 5
    # An hour later the counters are gone (the window is the cache entry's timeout).
    caches["ratelimit"].clear()
    with django_capture_on_commit_callbacks(execute=True):
        _request_reset(client, sales_rep.email)
    assert len(mailoutbox) == 6
