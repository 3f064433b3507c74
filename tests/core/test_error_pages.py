"""Our own 404 and 500 pages and the favicon, checked with DEBUG off as in production."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("boom")


# A URLconf of its own so the 500 can be provoked without touching real routes.
urlpatterns = [path("boom/", _boom)]


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


def test_unknown_page_is_our_404_for_a_visitor(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-testid="error-404"' in html and "We can't find that page" in html
    assert 'rel="icon"' in html


def test_unknown_object_is_our_404_inside_the_app(client_for, sales_rep):
    response = client_for(sales_rep).get("/sales/quotes/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-testid="error-404"' in html
    assert "Signed in as sales.rep" in html  # the normal shell, with navigation


@pytest.mark.urls("tests.core.test_error_pages")
def test_server_error_is_our_500_without_a_request_context():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert 'data-testid="error-500"' in html and "Something went wrong" in html
    assert "boom" not in html and "Traceback" not in html


def test_500_template_renders_with_no_context_at_all():
    from django.template.loader import get_template

    assert "Something went wrong" in get_template("500.html").render()


@pytest.mark.parametrize("user", [None, "sales_rep", "acme_contact"])
def test_favicon_answers_for_everyone(client_for, client, user, request):
    if user:
        client = client_for(request.getfixturevalue(user))
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/static/favicon.") and location.endswith(".ico")


def test_favicon_files_are_real_icons():
    from pathlib import Path

    from django.contrib.staticfiles import finders

    ico = Path(finders.find("favicon.ico")).read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00"  # ICO header, one image
    svg = Path(finders.find("favicon.svg")).read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "</svg>" in svg
