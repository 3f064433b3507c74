"""`make demo` runs on SQLite, which the rest of the suite (PostgreSQL) never touches.

A query PostgreSQL accepts can fail on SQLite (an ORDER BY inside a UNION
broke every role check of the demo once), so the demo is migrated, seeded and
browsed as a few demo users in a subprocess with the demo's own settings.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

from tests.test_settings import ROOT, SETTINGS_VARIABLES

BROWSE = textwrap.dedent(
    """
    import django
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from apps.orders.models import Quote, QuoteState, SalesOrder

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    from apps.orders.risk import risk_tally_from_lines, risk_tally_stored
    # The demo's lines at risk are on the at-risk page's stored tally (SQLite upserts too).
    assert risk_tally_stored() == risk_tally_from_lines() != {}, "at-risk tally"
    sent = Quote.objects.filter(customer__code="ACME", state=QuoteState.SENT).first()
    order = SalesOrder.objects.filter(customer__code="ACME").first()
    from apps.core.models import Attachment
    shared = Attachment.objects.get(activity__audience="customer", activity__object_id=str(sent.pk))
    drafts = Quote.objects.filter(state=QuoteState.DRAFT, line_count__gt=0)
    draft = drafts.order_by("number").first()
    builder = f"/sales/quotes/{draft.pk}/builder/"
    from apps.catalog.models import Part, WorkCenter
    assy = WorkCenter.objects.get(code="ASSY")
    motor = Part.objects.get(number="MTR-110")
    pages = {
        "sam.sales": ["/", "/sales/quotes/", "/sales/orders/", "/sales/customers/",
                      f"/sales/quotes/{sent.pk}/", f"/sales/orders/{order.pk}/",
                      f"/sales/quotes/{sent.pk}/pdf/",
                      "/api/v1/quotes/", "/api/v1/orders/", "/api/v1/change-requests/",
                      f"/api/v1/quotes/{sent.pk}/comments/",
                      "/sales/inquiries/", "/sales/opportunities/", "/sales/pipeline/",
                      "/sales/forecast/", "/api/v1/inquiries/", "/api/v1/opportunities/",
                      "/sales/quotes/new/", builder, "/sales/at-risk/",
                      f"{builder}?line={draft.lines.first().pk}"],
        "maria.manager": ["/", f"/sales/orders/{order.pk}/", "/sales/reviews/", "/inquiry/",
                          "/sales/at-risk/", "/sales/at-risk/?cause=receipt_moved",
                          f"/sales/customers/{order.customer_id}/"],
        "erin.engineer": ["/", "/engineering/reviews/"],
        "pat.planner": ["/manufacturing/reviews/", "/manufacturing/replan/", "/sales/at-risk/",
                        "/manufacturing/work-centers/",
                        f"/manufacturing/work-centers/{assy.pk}/", "/purchasing/parts/",
                        f"/purchasing/parts/{motor.pk}/"],
        "bob.buyer": ["/purchasing/reviews/", "/purchasing/receipts/",
                      "/purchasing/receipts/?part=MTR", "/purchasing/parts/"],
        "acme.buyer": ["/portal/", "/portal/quotes/", "/portal/orders/",
                       f"/portal/quotes/{sent.pk}/", f"/portal/orders/{order.pk}/",
                       f"/portal/quotes/{sent.pk}/pdf/",
                       "/api/v1/quotes/", f"/files/{shared.pk}/"],
        "delta.rep": ["/supplier/"],
        "olivia.ops": ["/admin/", "/admin/orders/quote/"],
    }
    for username, urls in pages.items():
        client = Client()
        signed_in = client.post(
            "/accounts/login/", {"username": username, "password": "tandem-demo"}
        )
        assert signed_in.status_code == 302, (username, signed_in.status_code)
        for url in urls:
            response = client.get(url)
            status = response.status_code
            if url.endswith("/reviews/"):
                # Every inbox has reviews waiting in the demo.
                status = status if b'class="card mb-3 review-card' in response.content else 0
            if url.endswith("/pdf/"):
                body = b"".join(response.streaming_content) if status == 200 else b""
                status = status if body.startswith(b"%PDF-") else 0
            print("PAGE", username, url, status)
    # Token calls: the token query (token, user, organization, roles) on SQLite.
    from apps.accounts.models import User
    from apps.accounts.services import api_token_issue
    token_pages = {
        "sam.sales": ["/api/v1/me/", "/api/v1/quotes/", "/api/v1/change-requests/",
                      "/api/v1/opportunities/"],
        "acme.buyer": ["/api/v1/me/", "/api/v1/quotes/"],
    }
    for username, urls in token_pages.items():
        user = User.objects.get(username=username)
        key = api_token_issue(user=user, name="demo test")[1]
        for url in urls:
            response = Client().get(url, HTTP_AUTHORIZATION=f"Token {key}")
            status = response.status_code
            if url == "/api/v1/me/" and username == "sam.sales":
                # The roles come with the token: a sales rep has some.
                status = status if response.json()["roles"] else 0
            print("PAGE", username, "token", url, status)
    expected = sum(len(urls) for urls in [*pages.values(), *token_pages.values()])
    print("EXPECTED", expected)
    """
)


def test_the_demo_migrates_seeds_and_serves_every_role_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SQLITE_PATH=str(tmp_path / "demo.sqlite3"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    result = subprocess.run(
        [sys.executable, "-c", BROWSE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    # The demo's e-mails go to the console (stdout) too.
    expected = re.search(r"^EXPECTED (\d+)$", result.stdout, flags=re.M)
    answers = [
        line.removeprefix("PAGE ").rsplit(" ", 1)
        for line in result.stdout.splitlines()
        if line.startswith("PAGE ")
    ]
    assert len(answers) == int(expected.group(1))
    assert [page for page, status in answers if status != "200"] == []
