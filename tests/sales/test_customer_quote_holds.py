"""The per-customer option that sent quotes hold their promise (issue 9), on the
customer page: sales managers and ops switch it, others read why they cannot."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.models import Organization
from apps.core.models import Activity

pytestmark = pytest.mark.django_db


def _url(org) -> str:
    return reverse("sales:customer-quote-holds", args=[org.pk])


def test_the_customer_page_explains_the_option(client_for, sales_manager, acme):
    html = client_for(sales_manager).get(reverse("sales:customer-detail", args=[acme.pk]))
    html = html.content.decode()
    assert "Sent quotes hold nothing by default" in html
    assert (
        'id="quote-holds-switch"' in html
        and "disabled" not in html.split('id="quote-holds-switch"')[1].split(">")[0]
    )


@pytest.mark.parametrize("role", ["sales_manager", "ops_admin"])
def test_manager_switches_it_on_and_off(client_for, request, role, acme):
    client = client_for(request.getfixturevalue(role))
    response = client.post(_url(acme), {"hold": "on"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "hold their promise until their validity date" in response.content.decode()
    assert Organization.objects.get(pk=acme.pk).hold_quote_promises is True
    assert Activity.objects.filter(verb="quote_holds_changed").count() == 1
    response = client.post(_url(acme), {}, HTTP_HX_REQUEST="true")
    assert "hold nothing until accepted" in response.content.decode()
    assert Organization.objects.get(pk=acme.pk).hold_quote_promises is False


def test_a_sales_rep_sees_it_disabled_and_is_refused(client_for, sales_rep, acme):
    client = client_for(sales_rep)
    html = client.get(reverse("sales:customer-detail", args=[acme.pk])).content.decode()
    assert "Only a sales manager changes whether quotes hold their promise." in html
    response = client.post(_url(acme), {"hold": "on"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert Organization.objects.get(pk=acme.pk).hold_quote_promises is False


def test_a_plain_post_redirects_to_the_customer(client_for, sales_manager, acme):
    response = client_for(sales_manager).post(_url(acme), {"hold": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:customer-detail", args=[acme.pk])


def test_a_supplier_is_404(client_for, sales_manager, delta):
    assert client_for(sales_manager).post(_url(delta), {"hold": "on"}).status_code == 404
