"""The short version of `make simulate` (apps/insights/simulation): Tandem never
promises the same stock or hours twice, the formula does, and one seed gives one
result."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest

from apps.insights.simulation import policies
from apps.insights.simulation.clock import simulated_day
from apps.insights.simulation.ledger_check import (
    ledger_overcommitments,
    overcommitments,
    worsened,
)
from apps.insights.simulation.plant import plant_from_db
from apps.insights.simulation.report import figures
from apps.insights.simulation.run import database_seed, simulate, stream_for
from apps.insights.simulation.scenario import Request, Scenario, Slip, Stream
from apps.orders.models import OrderState, SalesOrder

D = Decimal
MON = dt.date(2027, 1, 11)
SHORT = Scenario(days=30, seed=11, requests_per_week=6, slip_share=0.3, capacity_loss=0.02)


def _cap(hours):
    return lambda wc, day: D(hours)


def test_overcommitments_by_date_and_by_day():
    day1, day2 = dt.date(2027, 2, 1), dt.date(2027, 2, 8)
    fine = overcommitments(
        on_hand={"P": D(2)},
        receipts={"P": [(day2, D(3))]},
        holds=[("P", None, D(2)), ("P", day2, D(3))],
        capacity=_cap(8),
        hours={("W", day1): D(8)},
    )
    assert fine == {}
    # Three units promised on Feb 1 when only two are there until Feb 8.
    early = overcommitments(
        on_hand={"P": D(2)},
        receipts={"P": [(day2, D(3))]},
        holds=[("P", day1, D(3))],
        capacity=_cap(8),
        hours={("W", day1): D(9.5)},
    )
    assert early == {("part", "P"): D(1), ("hours", "W", day1): D("1.5")}
    assert worsened({}, early)
    assert not worsened(early, early)
    assert worsened(early, {**early, ("part", "P"): D(2)})
    assert not worsened(early, {})


@pytest.mark.django_db
def test_same_seed_same_stream_reality_and_formula_figures():
    database_seed(SHORT.start)
    first, again = stream_for(SHORT), stream_for(SHORT)
    assert first.requests == again.requests and first.breakdowns == again.breakdowns
    assert len(first.requests) >= 10
    other = stream_for(dataclasses.replace(SHORT, seed=12))
    assert [r.configuration for r in other.requests] != [r.configuration for r in first.requests]

    with simulated_day(SHORT.start):
        plant = plant_from_db(SHORT.start)
    runs = []
    for stream in (first, again):
        materials = plant.materials(stream.requests)
        lead = policies.formula_lead_days(plant, stream, materials)
        runs.append(figures(policies.run_formula(plant, stream, materials, lead)))
    assert runs[0] == runs[1]
    assert runs[0]["order_lines"] == sum(1 for r in first.requests if r.accepted)


def _request(seq, **kw):
    no_slip = Slip(days=0, notice=0)
    parts = ["MTR-075", "CAS-200", "IMP-200", "FRM-200", "STL-PLATE", "SEAL-M"]
    return Request(
        seq=seq,
        day=MON,
        sku="PS-200",
        configuration={
            "motor": "7_5kw",
            "drive": "dol",
            "seal": "mechanical",
            "baseplate": "carbon",
        },
        quantity=2,
        accepted=True,
        customer=0,
        slips=dict.fromkeys(parts, no_slip),
        **kw,
    )


@pytest.mark.django_db(transaction=True)
def test_formula_promises_the_last_motors_twice_tandem_books_them_once():
    """Two skids with the 7.5 kW motor on one day: two motors are in stock, none on order."""
    from apps.catalog.models import StockEntry, StockEntryKind

    database_seed(MON)
    # The demo's open purchase order for 7.5 kW motors would serve the second skid.
    StockEntry.objects.filter(part__number="MTR-075", kind=StockEntryKind.EXPECTED).delete()
    scenario = dataclasses.replace(Scenario(days=1, seed=1), start=MON)
    stream = Stream(scenario, [_request(1), _request(2)], breakdowns=[])
    with simulated_day(MON):
        plant = plant_from_db(MON)
    materials = plant.materials(stream.requests)
    # The plant itself gives the two motors to the first order; the second buys.
    assert materials[1].purchases == [] or all(p.part != "MTR-075" for p in materials[1].purchases)
    assert any(p.part == "MTR-075" for p in materials[2].purchases)

    formula = policies.run_formula(plant, stream, materials, {"PS-200": 30})
    assert formula.double_promises == 1
    assert {line.first_promise for line in formula.lines} == {MON + dt.timedelta(days=30)}

    tandem = policies.run_tandem(plant, stream, materials)
    assert tandem.double_promises == 0
    assert tandem.extra["checks"] == 4  # after each acceptance and each conversion
    first, second = tandem.lines
    # The second customer waits for the 21-day motor purchase, the first does not.
    assert second.first_promise > first.first_promise
    assert second.first_promise >= MON + dt.timedelta(days=21)
    assert ledger_overcommitments(MON) == {}
    # Both were delivered by the promise: nothing slipped, nothing broke down.
    assert [line.days_late for line in tandem.lines] == [0, 0]


@pytest.mark.django_db(transaction=True)
def test_short_simulation_tandem_never_promises_twice(tmp_path):
    result = simulate(SHORT, out_dir=tmp_path)
    formula, tandem = result["policies"]
    assert tandem["policy"] == "Tandem" and formula["policy"] == "Lead-time formula"
    assert tandem["double_promises"] == 0
    assert tandem["extra"]["checks"] == 2 * tandem["order_lines"]
    assert formula["double_promises"] > 0
    assert tandem["order_lines"] == formula["order_lines"] >= 5
    for f in (formula, tandem):
        assert 0 <= f["kept_first_promise"] <= 1
        assert f["p90_days_late"] >= 0 and f["mean_quoted_lead_days"] > 0
    # Every line is delivered, and a late line is late against its first promise.
    for policy in result["results"]:
        for line in policy.lines:
            assert line.delivered > line.day
            assert line.days_late == max(0, (line.delivered - line.first_promise).days)
    # The orders went through the plant as the floor did: confirmed, planned, made, shipped.
    states = set(SalesOrder.objects.values_list("state", flat=True))
    assert states == {OrderState.DELIVERED}
    assert SalesOrder.objects.count() == tandem["order_lines"]
    data = json.loads((tmp_path / "promise-simulation.json").read_text())
    assert data["policies"][1]["double_promises"] == 0
    report = (tmp_path / "promise-simulation.md").read_text()
    assert "| Delivered by the first promise |" in report
    assert "promise-simulation.svg" in report
    assert (tmp_path / "promise-simulation.svg").read_text().startswith("<svg")
