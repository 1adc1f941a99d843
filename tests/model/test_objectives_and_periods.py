"""Profit objective, several periods with lifetimes, availability and discounting,
existing units, and the statuses with no plan. Optima worked out by hand."""

from __future__ import annotations

import pytest

from optimizer import Planner, load_instance, solve

from conftest import MTOK_PER_UNIT_YEAR as A
from conftest import base, frontier, objective


def _profit_doc(capex: float) -> dict:
    # 10 kW IT (PUE 1); utilization 0.5 -> a = 0.5 A = 15,768 Mtok per unit-year at $1.
    # Electricity: 1 kW * 0.5 * 8,760 h = 4.38 MWh per unit at $100 = $438.
    doc = base(power_mw=0.010, electricity_usd_per_mwh=100)
    doc["objective"] = "profit"
    doc["hardware"][0]["capex_usd"] = capex
    doc["tiers"][0]["utilization"] = 0.5
    return doc


def test_profit_buys_when_each_unit_pays():
    # Per unit: 15,768 - 10,000 - 438 = 5,330; all 10 units -> 53,300.
    plan = solve(_profit_doc(10_000))
    assert plan.objective_usd == pytest.approx(53_300.0, rel=1e-9)
    assert plan.revenue_usd == pytest.approx(157_680.0)
    assert plan.capex_usd == pytest.approx(100_000.0)
    assert plan.energy_usd == pytest.approx(4_380.0)


def test_profit_buys_nothing_when_units_lose_money():
    # 15,768 - 16,000 - 438 < 0: the best plan is to buy nothing.
    plan = solve(_profit_doc(16_000))
    assert plan.objective_usd == pytest.approx(0.0, abs=1e-6)
    assert plan.buy.empty


def test_objective_override_from_options():
    # The same instance maximising revenue buys all 10 units regardless of capex.
    assert objective(_profit_doc(16_000), objective="revenue") == pytest.approx(157_680.0)


def test_lifetimes_availability_and_discounting():
    # g1 (A/unit-year) sold only in 2026, lives 2 years; g2 (2A) from 2027, no limit.
    # 10 positions. With x g1 in 2026 and y g2 in 2027 (y <= 10 - x), revenue is
    # x + (x + 2y)/1.1 + 20/1.21 (in A) = x (1 - 1/1.1) + 20/1.1 + 20/1.21 at y = 10 - x,
    # rising in x: buy 10 g1 in 2026, 10 g2 in 2028 when g1 has retired.
    doc = base(rack_positions=10)
    doc.update(periods=[2026, 2027, 2028], discount_rate=0.1)
    doc["hardware"] = [
        {
            "id": "g1",
            "gpus_per_unit": 1,
            "power_kw": 1,
            "available_until": 2026,
            "lifetime_years": 2,
        },
        {"id": "g2", "gpus_per_unit": 1, "power_kw": 1, "available_from": 2027},
    ]
    doc["frontiers"] = frontier("g1") + frontier("g2", tok=2000.0)
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(A * (10 + 10 / 1.1 + 20 / 1.21), rel=1e-9)
    bought = {(r.hardware, r.period): r.units for r in plan.buy.itertuples()}
    assert bought == {("g1", 2026): 10, ("g2", 2028): 10}
    inst = plan.installed.set_index(["hardware", "period"])["units"]
    assert inst[("g1", 2027)] == 10 and inst[("g1", 2028)] == 0


def test_period_years_scales_output_and_discount():
    # Two 2-year periods, one position: 2A in each, the second discounted by 1.1^-2.
    doc = base(rack_positions=1)
    doc.update(periods=["a", "b"], period_years=2, discount_rate=0.1)
    assert objective(doc) == pytest.approx(2 * A + 2 * A / 1.21, rel=1e-9)


def test_lifetime_rounds_up_to_whole_periods():
    # lifetime 3 years over 2-year periods lasts ceil(1.5) = 2 periods: a unit bought in
    # period 1 of 3 still serves in period 2, so with availability only in period 1
    # and one position, revenue is 2A + 2A, and nothing in period 3.
    doc = base(rack_positions=1)
    doc.update(periods=[1, 2, 3], period_years=2)
    doc["hardware"][0].update(lifetime_years=3, available_until=1)
    assert objective(doc) == pytest.approx(4 * A, rel=1e-9)


def test_per_period_caps_and_prices():
    # Power 3 kW then 5 kW; price $1 then $2; no discount: 3A + 5 * 2A = 13A.
    doc = base(power_mw={1: 0.003, 2: 0.005})
    doc["periods"] = [1, 2]
    doc["tiers"][0]["price_usd_per_mtok"] = {1: 1.0, 2: 2.0}
    assert objective(doc) == pytest.approx(13 * A, rel=1e-9)


def test_existing_units_take_room_and_cost_nothing():
    # 4 existing + 6 bought fill 10 positions; profit = 10A - 6 * 10,000.
    doc = base()
    doc["objective"] = "profit"
    doc["hardware"][0].update(existing_units=4, capex_usd=10_000)
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(10 * A - 60_000, rel=1e-9)
    assert plan.buy["units"].tolist() == [6]


def test_infeasible_when_existing_units_exceed_power():
    doc = base(power_mw=0.005)
    doc["hardware"][0]["existing_units"] = 8
    plan = solve(doc)
    assert plan.status == "infeasible"
    assert plan.objective_usd is None and not plan.ok


def test_unbounded_when_nothing_limits_units():
    doc = base()
    doc["hardware"][0].update(power_kw=0, rack_positions=0)
    plan = solve(doc)
    assert plan.status == "unbounded" and plan.objective_usd is None


def test_planner_updates_in_place_and_matches_a_fresh_solve():
    inst = load_instance(base(power_mw=0.005))
    planner = Planner(inst)
    assert planner.solve().objective_usd == pytest.approx(5 * A)
    changed = inst.with_changes(site={**inst.site.model_dump(), "power_mw": 0.007})
    rebuilt = planner.update(changed)
    assert not rebuilt  # only a number changed
    assert planner.solve().objective_usd == pytest.approx(7 * A)
    assert solve(changed).objective_usd == pytest.approx(7 * A)
    # A change of structure (the tier's speed now above the table) rebuilds.
    tier = {**inst.tiers[0].model_dump(), "min_interactivity": 500}
    assert planner.update(changed.with_changes(tiers=[tier]))
    assert planner.solve().objective_usd == pytest.approx(0.0)


def test_time_limit_without_incumbent_is_reported_not_raised() -> None:
    # A zero time limit stops HiGHS before any plan: status time_limit, no objective.
    plan = solve(base(), time_limit=0.0)
    assert plan.status == "time_limit"
    assert plan.objective_usd is None and not plan.ok
