"""The scenario and its event stream, drawn once from the seed and replayed per policy.

Everything random is drawn here, before any policy runs, so both policies meet
exactly the same requests, acceptances, supplier slips and breakdowns.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

# Monday: the simulated year starts on a working day, away from the year-end closures.
DEFAULT_START = dt.date(2027, 1, 11)
# Quantity range per product (the DS-900 is a one-off engineered system).
QUANTITIES = {"PS-200": (1, 3), "CC-400": (1, 2), "DS-900": (1, 1)}
# Share of requests per product.
PRODUCT_MIX = {"PS-200": 0.55, "CC-400": 0.35, "DS-900": 0.10}
# How likely a non-default option is picked in a group, and an engineered one.
OPTION_SHARE = 0.45
ENGINEERED_SHARE = 0.15


@dataclass(frozen=True)
class Scenario:
    days: int = 365
    seed: int = 7
    requests_per_week: float = 5.0
    accept_share: float = 0.5
    slip_share: float = 0.15
    slip_days: int = 10
    # Chance, per work center and working day, of a breakdown closing it for 1–3 days.
    capacity_loss: float = 0.004
    # Suppliers announce a slip this many days (at most) before the original due date.
    slip_notice_days: int = 10
    start: dt.date = DEFAULT_START

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)

    def as_dict(self) -> dict:
        return {
            "days": self.days,
            "seed": self.seed,
            "requests_per_week": self.requests_per_week,
            "accept_share": self.accept_share,
            "slip_share": self.slip_share,
            "slip_days": self.slip_days,
            "capacity_loss": self.capacity_loss,
            "slip_notice_days": self.slip_notice_days,
            "start": self.start.isoformat(),
        }


@dataclass(frozen=True)
class Slip:
    days: int  # 0: on time
    notice: int  # days before the original due date the supplier says so


@dataclass
class Request:
    seq: int
    day: dt.date
    sku: str
    configuration: dict
    quantity: int
    accepted: bool
    customer: int
    # Per part number: how its purchase for this line slips (drawn for every part).
    slips: dict[str, Slip] = field(default_factory=dict)


@dataclass(frozen=True)
class Breakdown:
    day: dt.date
    work_center: str
    working_days: int


@dataclass
class Stream:
    scenario: Scenario
    requests: list[Request]
    breakdowns: list[Breakdown]


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _configuration(rng: random.Random, groups) -> dict:
    """groups: [(code, required, [(option code, is_default, engineered)])]."""
    out = {}
    for code, required, options in groups:
        plain = [o for o in options if not o[2] and not o[1]]
        engineered = [o for o in options if o[2]]
        default = next((o for o in options if o[1]), None)
        draw = rng.random()
        if engineered and draw < OPTION_SHARE * ENGINEERED_SHARE:
            out[code] = rng.choice(engineered)[0]
        elif plain and draw < OPTION_SHARE:
            out[code] = rng.choice(plain)[0]
        elif default:
            out[code] = default[0]
        elif not required and rng.random() < 0.5 and plain:
            out[code] = rng.choice(plain)[0]
    return out


def stream_generate(
    scenario: Scenario,
    *,
    groups: dict[str, list],
    parts: list[str],
    work_centers: list[str],
    customers: int,
    valid,
    drain_days: int = 150,
) -> Stream:
    """Draw the whole event stream. `groups`: option groups per SKU (see
    `_configuration`); `valid(sku, configuration, quantity)`: the catalog's own
    configuration check (an invalid draw is drawn again)."""
    rng = random.Random(scenario.seed)
    requests: list[Request] = []
    skus = sorted(PRODUCT_MIX)
    weights = [PRODUCT_MIX[s] for s in skus]
    day = scenario.start
    while day <= scenario.end:
        if day.isoweekday() <= 5:
            for _ in range(_poisson(rng, scenario.requests_per_week / 5)):
                sku = rng.choices(skus, weights)[0]
                low, high = QUANTITIES[sku]
                for _attempt in range(20):
                    quantity = rng.randint(low, high)
                    configuration = _configuration(rng, groups[sku])
                    if valid(sku, configuration, quantity):
                        break
                else:  # pragma: no cover - the demo catalog always has a valid draw
                    raise ValueError(f"No valid configuration drawn for {sku}")
                slips = {}
                for number in parts:
                    late = rng.random() < scenario.slip_share
                    slips[number] = Slip(
                        days=rng.randint(1, scenario.slip_days) if late else 0,
                        notice=rng.randint(0, scenario.slip_notice_days),
                    )
                requests.append(
                    Request(
                        seq=len(requests) + 1,
                        day=day,
                        sku=sku,
                        configuration=configuration,
                        quantity=quantity,
                        accepted=rng.random() < scenario.accept_share,
                        customer=rng.randrange(customers),
                        slips=slips,
                    )
                )
        day += dt.timedelta(days=1)
    breakdowns = []
    day = scenario.start
    while day <= scenario.end + dt.timedelta(days=drain_days):
        if day.isoweekday() <= 5:
            for code in work_centers:
                if rng.random() < scenario.capacity_loss:
                    breakdowns.append(Breakdown(day, code, rng.randint(1, 3)))
        day += dt.timedelta(days=1)
    return Stream(scenario=scenario, requests=requests, breakdowns=breakdowns)
