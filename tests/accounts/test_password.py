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
