"""One simulation: seed the demo catalog, draw the stream, run both policies, report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import platform
import time
from pathlib import Path

from django.db import transaction

from apps.insights.simulation import policies
from apps.insights.simulation.clock import simulated_day
from apps.insights.simulation.plant import plant_from_db
from apps.insights.simulation.scenario import Scenario, Slip, stream_generate


def database_seed(start: dt.date) -> None:
    """The demo company's accounts and catalog (not its sample quotes and orders),
    as of the first simulated day."""
    from apps.accounts import demo as accounts_demo
    from apps.accounts.models import Organization
    from apps.catalog import demo as catalog_demo

    with simulated_day(start), transaction.atomic():
        ctx = accounts_demo.seed()
        catalog_demo.seed(ctx["orgs"])
        # Sent quotes hold nothing (the default): only acceptances book. Credit is not
        # what is simulated: no order waits for a credit override.
        Organization.objects.update(hold_quote_promises=False)
        Organization.objects.filter(kind="customer").update(credit_limit=None)


def _groups():
    from apps.catalog.models import Product

    out = {}
    for product in Product.objects.prefetch_related("option_groups__options").order_by("sku"):
        out[product.sku] = [
            (
                group.code,
                group.is_required,
                [
                    (o.code, o.is_default, o.requires_engineering)
                    for o in sorted(group.options.all(), key=lambda o: (o.position, o.code))
                    if o.is_active
                ],
            )
            for group in sorted(product.option_groups.all(), key=lambda g: (g.position, g.code))
        ]
    return out


def stream_for(scenario: Scenario):
    from apps.accounts.models import Organization, OrganizationKind
    from apps.catalog.configuration import ConfigurationError, configuration_validate
    from apps.catalog.models import Part, Product, WorkCenter

    products = {p.sku: p for p in Product.objects.all()}

    def valid(sku, configuration, quantity) -> bool:
        try:
            configuration_validate(
                product=products[sku], selections=configuration, quantity=quantity
            )
        except ConfigurationError:
            return False
        return True

    return stream_generate(
        scenario,
        groups=_groups(),
        parts=list(Part.objects.order_by("number").values_list("number", flat=True)),
        work_centers=list(WorkCenter.objects.order_by("code").values_list("code", flat=True)),
        customers=Organization.objects.filter(kind=OrganizationKind.CUSTOMER).count(),
        valid=valid,
    )


def _discussion(formula: dict, tandem: dict, causes: dict, worlds: dict) -> str:
    from apps.insights.simulation.report import TARGETS

    out = []
    kept = tandem["kept_first_promise"] or 0
    out.append(
        f"Tandem delivered {kept * 100:.1f} % of its order lines by the first promise against "
        f"{(formula['kept_first_promise'] or 0) * 100:.1f} % for the lead-time formula, with a "
        f"mean quoted lead time of {tandem['mean_quoted_lead_days']} days against "
        f"{formula['mean_quoted_lead_days']}."
    )
    if tandem["late_lines"]:
        out.append(
            f"Of Tandem's {tandem['late_lines']} late lines, {causes['slip']} used a supplier "
            "receipt that slipped (its own purchase or one it shared), "
            f"{causes['breakdown']} (without a slip) waited behind a work-center breakdown "
            f"and {causes['other']} neither (knock-on waits behind slipped work, or the plant "
            "sequencing the day differently from the engine's plan): the engine promises what the "
            "ledgers say on the day of the quote, and it cannot know a slip or a breakdown "
            "that has not happened yet. Re-planning turns those into new forecasts (warnings), "
            "not into kept first promises."
        )
    if worlds:
        calm = worlds.get("neither", {}).get("Tandem")
        no_slip = worlds.get("no supplier slips", {}).get("Tandem")
        out.append(
            f"The same Tandem promises would have been kept {no_slip * 100:.1f} % of the time "
            f"had no supplier slipped, and {calm * 100:.1f} % with neither slips nor "
            "breakdowns (the formula's: "
            f"{worlds.get('neither', {}).get('Lead-time formula', 0) * 100:.1f} %): what is "
            "left below 100 % there is the plant sequencing work differently from the engine's "
            "booked plan (it serves ready work in promise order, hour by hour, while the engine "
            "books whole days ahead at quoting time)."
        )
    if kept < TARGETS["tandem_kept"]:
        out.append(
            "What would change it: promising supplier lead times with the slip the supplier "
            "usually has (a per-supplier reliability buffer learned from receipt history), "
            "keeping a little safety stock of the long-lead parts on the critical path, or a "
            "capacity reserve (booking work centers to, say, 90 % of their hours) so a "
            "breakdown can be absorbed; each trades some quoted lead time for kept promises."
        )
    warned = tandem["late_lines_warned_5_days_ahead"]
    if warned is not None and warned < TARGETS["tandem_warned"]:
        out.append(
            f"Only {warned * 100:.1f} % of Tandem's late lines were warned ≥ 5 days ahead. "
            f"Forecast changes recorded: {tandem['extra'].get('forecast_changes', 0)}. A warning "
            "needs the re-plan to see the slip (the supplier must announce it before the "
            "due date: up to the scenario's slip notice days), the re-plan's new date to be "
            "after the promise, and the release (staff confirmation or the "
            "PROMISE_CUSTOMER_NOTICE_HOURS timer) to come ≥ 5 days before the promised date. "
            "Slips announced on the due date, breakdowns close to the promised date, and "
            "differences between the engine's plan and the plant's actual sequence leave no "
            "warning. Asking suppliers to confirm dates earlier, releasing at once, and a "
            "daily re-plan against actual progress would raise it."
        )
    if tandem.get("false_alarms_flagged"):
        out.append(
            f"The other side of warnings: {tandem['false_alarms_flagged']} of Tandem's on-time "
            f"lines were flagged at risk on the way and {tandem['false_alarms_told']} customers "
            "were told a later date that did not happen. A re-plan promises every open line "
            "again from today with its whole routing, including lines already in production "
            "(the ledgers know nothing of the hours already worked), and re-books their hours "
            "from today, so its forecasts are pessimistic for work under way; recording "
            "production progress (hours done per operation) and re-planning only the "
            "remaining work would remove most of these."
        )
    if (formula["kept_first_promise"] or 0) >= TARGETS["formula_kept_below"]:
        out.append(
            "The formula kept 70 % or more here: the scenario's load leaves enough slack that "
            "the median lead time covers most orders; a busier scenario separates the policies."
        )
    out.append(
        f"Double promises: Tandem {tandem['double_promises']}, formula "
        f"{formula['double_promises']} (bookings that over-committed a part or a work-center "
        "day). The formula does not look at stock or hours, so every quote counts on the same "
        "free stock and hours as the ones before it."
    )
    return "\n\n".join(out)


def _causes(result, materials, stream) -> dict:
    down = {(b.work_center, b.day) for b in stream.breakdowns}
    causes = {"slip": 0, "breakdown": 0, "other": 0}
    for line in result.lines:
        if not line.days_late:
            continue
        mat = materials[line.seq]
        if mat.slipped:
            causes["slip"] += 1
        elif any(line.day <= day <= line.delivered for _wc, day in down):
            causes["breakdown"] += 1
        else:
            causes["other"] += 1
    return causes


def _replanning() -> str:
    from apps.catalog.signals import capacity_changed, supply_changed

    if supply_changed.has_listeners() and capacity_changed.has_listeners():
        return "on (a receiver of the catalog's supply and capacity signals re-plans)"
    return "off (nothing listens to the catalog's supply and capacity signals in this build)"


def _release() -> str:
    from django.conf import settings

    return (
        f"on (the beat task's service once a simulated day, after "
        f"PROMISE_CUSTOMER_NOTICE_HOURS = {settings.PROMISE_CUSTOMER_NOTICE_HOURS})"
    )


def counterfactuals(plant, stream, results) -> dict:
    """Each policy's same first promises against a world without slips, without
    breakdowns, or without either: how many promises each disturbance broke."""
    on_time = [
        dataclasses.replace(r, slips={k: Slip(0, v.notice) for k, v in r.slips.items()})
        for r in stream.requests
    ]
    worlds = {
        "as simulated": (stream.requests, stream.breakdowns),
        "no supplier slips": (on_time, stream.breakdowns),
        "no breakdowns": (stream.requests, []),
        "neither": (on_time, []),
    }
    out: dict = {}
    until = stream.scenario.end + dt.timedelta(days=400)
    for world, (requests, breakdowns) in worlds.items():
        materials = plant.materials(requests)
        for result in results:
            promises = {line.seq: line.first_promise for line in result.lines}
            delivered = plant.deliveries(
                materials, {s: (promises[s], s) for s in materials}, breakdowns, until=until
            )
            kept = sum(1 for s, day in delivered.items() if day <= promises[s])
            out.setdefault(world, {})[result.name] = round(kept / len(promises), 4)
    return out


def simulate(scenario: Scenario, *, out_dir: Path | None, progress=None) -> dict:
    """Run both policies on a freshly migrated database (the caller provides it)."""
    from apps.insights.simulation.report import figures, report_write

    started = time.monotonic()
    database_seed(scenario.start)
    stream = stream_for(scenario)
    with simulated_day(scenario.start):
        plant = plant_from_db(scenario.start)
    materials = plant.materials(stream.requests)
    lead_days = policies.formula_lead_days(plant, stream, materials)
    if progress:
        progress(f"{len(stream.requests)} requests, {len(materials)} orders; formula {lead_days}")
    formula = policies.run_formula(plant, stream, materials, lead_days)
    if progress:
        progress("formula done; Tandem through the services")
    tandem = policies.run_tandem(plant, stream, materials, progress=progress)
    purchases = [p for m in materials.values() for p in m.purchases]
    meta = {
        "requests": len(stream.requests),
        "orders": len(materials),
        "purchases": len(purchases),
        "slipped": sum(1 for p in purchases if p.arrives > p.due),
        "breakdowns": len(stream.breakdowns),
        "seconds": round(time.monotonic() - started),
        "replanning": _replanning(),
        "release": _release(),
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
    }
    meta["counterfactual_kept"] = counterfactuals(plant, stream, [formula, tandem])
    f_formula, f_tandem = figures(formula), figures(tandem)
    discussion = _discussion(
        f_formula, f_tandem, _causes(tandem, materials, stream), meta["counterfactual_kept"]
    )
    result = {"scenario": scenario.as_dict(), "meta": meta, "policies": [f_formula, f_tandem]}
    if out_dir is not None:
        result = report_write(
            out_dir=out_dir,
            scenario=scenario.as_dict(),
            results=[formula, tandem],
            meta=meta,
            discussion=discussion,
        )
    result["results"] = [formula, tandem]
    return result
