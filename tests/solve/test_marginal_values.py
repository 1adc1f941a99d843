"""Marginal values: duals of the LP with the plan's hardware choice held fixed,
checked against hand values and against finite differences of the MILP."""

from __future__ import annotations

import pytest

from optimizer import load_instance, solve

from conftest import MTOK_PER_UNIT_YEAR as A
from conftest import TOY, base


def mv(plan, resource: str, **where: object) -> float:
    t = plan.marginal_values
    t = t[t["resource"] == resource]
    for k, v in where.items():
        t = t[t[k] == v]
    assert len(t) == 1, t
    return float(t["usd_per_unit"].iloc[0])


def test_toy_power_value_matches_hand_and_finite_difference() -> None:
    # One more facility MW is 0.8 MW of IT; 80% of it serves paid at 600 tok/s per kW:
    # 640 kW * 600 * 31,536,000 / 1e6 * $3 = $36,329,472 per MW.
    plan = solve(TOY)
    assert mv(plan, "power", period=2026) == pytest.approx(36_329_472.0, rel=1e-9)
    assert mv(plan, "land", period=2026) == 0.0  # 70 of 100 positions used
    # Finite difference of the MILP: +1.5 MW = +1,200 kW IT = 10 more nvl72 exactly,
    # so the purchase choice is unchanged and the optimum moves by 1.5 x the dual.
    inst = load_instance(TOY)
    bigger = inst.with_changes(site={**inst.site.model_dump(), "power_mw": 11.5})
    gain = solve(bigger).objective_usd - plan.objective_usd
    assert gain == pytest.approx(1.5 * 36_329_472.0, rel=1e-9)


def test_land_value() -> None:
    # 3 positions bind; one more position holds one more g1: A Mtok at $1.
    plan = solve(base(rack_positions=3))
    assert mv(plan, "land", period=1) == pytest.approx(A, rel=1e-9)
    assert mv(plan, "power", period=1) == 0.0


def test_demand_value_is_the_price_when_capacity_is_spare() -> None:
    doc = base()
    doc["tiers"][0].update(demand_mtok=1000, price_usd_per_mtok=2.0)
    plan = solve(doc)
    assert mv(plan, "demand", tier="t", period=1) == pytest.approx(2.0, rel=1e-9)


def test_budget_value_and_finite_difference() -> None:
    # capex $100/unit, budget $300: each budget dollar buys 1/100 unit = A/100 USD.
    doc = base(capex_budget_usd=300)
    doc["hardware"][0]["capex_usd"] = 100
    plan = solve(doc)
    assert mv(plan, "budget", period=1) == pytest.approx(A / 100, rel=1e-9)
    doc["site"]["capex_budget_usd"] = 400  # one more whole unit
    assert solve(doc).objective_usd - plan.objective_usd == pytest.approx(A, rel=1e-9)


def test_supply_value_and_discounting() -> None:
    # max_units 5 binds; periods [1, 2] at 10%: one more unit bought in period 1 earns
    # A + A / 1.1 (no lifetime limit).
    doc = base()
    doc.update(periods=[1, 2], discount_rate=0.1)
    doc["hardware"][0]["max_units"] = 5
    plan = solve(doc)
    assert mv(plan, "supply", hardware="g1") == pytest.approx(A + A / 1.1, rel=1e-9)


def test_power_value_undiscounted_column() -> None:
    # Power binds in period 2 only (period 1 has plenty); a unit can only be bought in
    # period 2, so one more MW there is worth 1000 units * A, discounted once.
    doc = base(power_mw={1: 1.0, 2: 0.002}, rack_positions=10_000)
    doc.update(periods=[1, 2], discount_rate=0.1)
    doc["hardware"][0]["available_from"] = 2
    plan = solve(doc)
    row = plan.marginal_values
    row = row[(row["resource"] == "power") & (row["period"] == 2)].iloc[0]
    assert row["usd_per_unit"] == pytest.approx(1000 * A / 1.1, rel=1e-9)
    assert row["usd_per_unit_undiscounted"] == pytest.approx(1000 * A, rel=1e-9)


def test_marginals_leave_the_model_reusable() -> None:
    # After pricing, the model is a MILP again: re-solving gives the same optimum.
    from optimizer import Planner

    planner = Planner(load_instance(TOY))
    first = planner.solve()
    second = planner.solve()
    assert second.objective_usd == pytest.approx(first.objective_usd, rel=1e-9)
    assert second.buy["units"].sum() == first.buy["units"].sum()
    assert all(float(u).is_integer() for u in second.buy["units"])
