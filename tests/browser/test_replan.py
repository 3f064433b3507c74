"""The re-plan page in the browser: pat.planner starts a full re-plan, the bar reaches
100 %, the run lists the slip it recorded, and the order page offers the expedite."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.orders.models import PlanRun
from tests.factories import UserFactory
from tests.orders.conftest import *  # noqa: F403 - the order fixtures
from tests.orders.test_replan import two_orders  # noqa: F401 - used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_planner_starts_a_full_re_plan_and_sees_it_done(
    page,
    live_server,
    login,
    screenshot,
    kestrel,
    two_orders,  # noqa: F811
):
    planner = UserFactory(username="pat.planner", organization=kestrel, roles=[Role.PLANNER])
    login(planner)
    page.get_by_role("link", name="Re-plan").click()
    expect(page).to_have_url(f"{live_server.url}/manufacturing/replan/")
    expect(page.get_by_test_id("replan-current")).to_contain_text("No full re-plan has run yet")

    page.get_by_test_id("replan-start").click()

    expect(page.get_by_test_id("replan-percent")).to_have_text("100%")
    expect(page.get_by_test_id("replan-progress")).to_have_attribute("value", "100")
    run = PlanRun.objects.get(kind="full")
    assert (run.state, run.done, run.total, run.slipped, run.improved) == ("done", 2, 2, 1, 1)
    page.reload()
    slips = page.get_by_test_id("replan-slips")
    # B (promised later) gave the motor back to A (promised first): one slip, one improvement.
    expect(slips).to_contain_text(two_orders["b"].number)
    expect(slips).to_contain_text(two_orders["a"].number)
    expect(slips).to_contain_text("Nightly re-plan")
    screenshot("replan-page-done")

    page.goto(f"{live_server.url}/sales/orders/{two_orders['b'].pk}/")
    card = page.get_by_test_id("order-expedite")
    card.get_by_label("Why this order goes first (required)").fill("Customer line down")
    card.get_by_test_id("expedite-submit").click()
    expect(page.get_by_test_id("expedited-at")).to_contain_text("Expedited")
    expect(page.get_by_test_id("expedite-submit")).to_be_disabled()
    screenshot("order-expedited")
