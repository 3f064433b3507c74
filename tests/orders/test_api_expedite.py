"""POST /api/v1/orders/<id>/expedite/ (DESIGN §6): 200, 400, 403, 404, 409."""

from __future__ import annotations

import pytest

from apps.orders.models import PlanRun, SlipCause
from apps.orders.services.orders import order_cancel

pytestmark = pytest.mark.django_db


def _url(order) -> str:
    return f"/api/v1/orders/{order.pk}/expedite/"


def test_a_planner_expedites_and_the_order_is_re_planned(token_api, planner, order):
    response = token_api(planner).post(_url(order), {"reason": "Customer line down"})

    assert response.status_code == 200, response.content
    assert response.json()["expedited_at"]
    run = PlanRun.objects.get(cause=SlipCause.EXPEDITE)
    assert run.cause_text == f"{order.number} expedited by {planner.username}: Customer line down"


def test_expedite_answers(
    token_api, order, sales_rep, sales_manager, acme_contact, borealis_contact
):
    assert token_api(sales_manager).post(_url(order), {}).status_code == 400
    assert "reason" in token_api(sales_manager).post(_url(order), {"reason": ""}).json()
    refused = token_api(sales_rep).post(_url(order), {"reason": "please"})
    assert refused.status_code == 403
    assert "Only planners and sales managers" in refused.content.decode()
    assert token_api(acme_contact).post(_url(order), {"reason": "please"}).status_code == 403
    assert token_api(borealis_contact).post(_url(order), {"reason": "x"}).status_code == 404
    assert token_api(sales_manager).post(_url(order), {"reason": "VIP"}).status_code == 200
    again = token_api(sales_manager).post(_url(order), {"reason": "VIP"})
    assert again.status_code == 409
    assert "already expedited" in again.content.decode()


def test_a_cancelled_order_is_not_expedited(token_api, order, sales_manager, planner):
    order_cancel(order=order, actor=sales_manager, reason="Withdrawn")
    response = token_api(planner).post(_url(order), {"reason": "late"})
    assert response.status_code == 409
    assert "cancelled; there is nothing to expedite" in response.content.decode()
