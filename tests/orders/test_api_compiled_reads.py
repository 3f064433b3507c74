"""The API's order answer and change-request list read through SQL compiled once per
process (apps.core.prepared): what they answer is read on every request (a change
through a service shows at once), only the SQL is kept, and visibility still holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models.sql.compiler import SQLCompiler

from apps.orders.services import changes as change_services
from apps.orders.services.orders import order_line_reforecast
from apps.orders.transitions import change_transition
from tests.factories import UserFactory


@pytest.fixture
def compiles(monkeypatch):
    """compiles() -> the number of querysets the ORM compiled since the last call."""
    seen = []
    as_sql = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        seen.append(self.query.model)
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)

    def count() -> list:
        models = [m.__name__ for m in seen]
        seen.clear()
        return models

    return count


def test_staff_order_answer_compiles_nothing_on_the_next_request(
    order, sales_rep, token_api, compiles
):
    api = token_api(sales_rep)
    assert api.get(f"/api/v1/orders/{order.pk}/").status_code == 200
    compiles()
    res = api.get(f"/api/v1/orders/{order.pk}/")
    assert res.status_code == 200
    # the order, its lines, their BOM and date changes: SQL compiled by the first request
    assert "SalesOrder" not in compiles()


def test_a_change_through_a_service_shows_in_the_next_order_answer(order, sales_rep, token_api):
    api = token_api(sales_rep)
    first = api.get(f"/api/v1/orders/{order.pk}/").json()
    line = order.lines.first()
    order_line_reforecast(
        line=line,
        actor=sales_rep,
        new_date=line.forecast_date + dt.timedelta(days=4),
        reason="Casting late",
    )
    res = api.patch(
        f"/api/v1/orders/{order.pk}/",
        {"customer_po": "PO-NEW-7", "version": first["version"]},
        format="json",
    )
    assert res.status_code == 200, res.content
    after = api.get(f"/api/v1/orders/{order.pk}/").json()
    assert after["customer_po"] == "PO-NEW-7"
    assert after["version"] > first["version"]
    moved = next(x for x in after["lines"] if x["id"] == str(line.pk))
    assert moved["forecast_date"] == (line.forecast_date + dt.timedelta(days=4)).isoformat()
    assert moved["date_changes"][-1]["reason"] == "Casting late"


def test_order_answer_is_not_found_for_staff_without_the_permission_and_bad_ids(
    order, kestrel, sales_rep, token_api
):
    nobody = UserFactory(username="no.role", organization=kestrel, roles=[])
    assert token_api(nobody).get(f"/api/v1/orders/{order.pk}/").status_code == 404
    api = token_api(sales_rep)
    assert api.get("/api/v1/orders/not-a-uuid/").status_code == 404
    assert api.get("/api/v1/orders/00000000-0000-0000-0000-000000000000/").status_code == 404


@pytest.fixture
def requests(order, acme_contact, sales_rep):
    """Five change requests on the order, the customer's and staff's."""
    made = []
    for i in range(5):
        made.append(
            change_services.change_request_create(
                actor=acme_contact if i % 2 == 0 else sales_rep,
                order=order,
                title=f"request {i}",
                description="d",
            )
        )
    return made


def test_change_request_list_compiles_only_its_count_and_ids(
    requests, sales_rep, token_api, compiles
):
    api = token_api(sales_rep)
    assert api.get("/api/v1/change-requests/").status_code == 200
    compiles()
    assert api.get("/api/v1/change-requests/").status_code == 200
    # the capped count and the page's ids; the rows' SQL was compiled by the first request
    assert compiles() == ["ChangeRequest", "ChangeRequest"]


@pytest.mark.parametrize("who", ["staff", "contact"])
def test_change_request_pages_are_the_visible_requests_in_order(
    requests, sales_rep, acme_contact, token_api, who
):
    api = token_api(sales_rep if who == "staff" else acme_contact)
    seen, page = [], 1
    while True:
        res = api.get(f"/api/v1/change-requests/?page_size=2&page={page}")
        assert res.status_code == 200
        seen += res.json()["results"]
        if res.json()["next"] is None:
            break
        page += 1
    assert page == (3 if who == "staff" else 2)
    whole = api.get("/api/v1/change-requests/").json()["results"]
    assert seen == whole
    # staff read every request; the customer its own and none of staff's unproposed ones
    expected = {f"request {i}" for i in range(5) if who == "staff" or i % 2 == 0}
    assert {row["title"] for row in whole} == expected
    assert len(whole) == len(expected)


def test_a_change_through_a_service_shows_in_the_next_change_request_list(
    requests, sales_rep, token_api
):
    api = token_api(sales_rep)
    before = {row["id"]: row for row in api.get("/api/v1/change-requests/").json()["results"]}
    cr = change_transition(obj=requests[1], name="start_assessment", actor=sales_rep)
    change_services.change_request_assess(
        change_request=cr,
        actor=sales_rep,
        expected_version=cr.version,
        engineering_assessment="Needs a new casting",
    )
    after = {row["id"]: row for row in api.get("/api/v1/change-requests/").json()["results"]}
    assert before[str(cr.pk)]["engineering_assessment"] == ""
    assert (before[str(cr.pk)]["state"], after[str(cr.pk)]["state"]) == ("submitted", "assessing")
    assert after[str(cr.pk)]["engineering_assessment"] == "Needs a new casting"
    assert after[str(cr.pk)]["version"] > before[str(cr.pk)]["version"]
