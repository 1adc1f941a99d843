"""Two-stage plans under ``objective: cost`` (docs/stochastic.md): least expected cost
serving every scenario's forecast, checked against optima worked out by hand.

Unit of account (conftest): one g1 unit makes A = 31,536 Mtok per year at the tier's
speed; electricity is free here, so a plan's cost is its capex.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from optimizer.stochastic import solve

from conftest import MTOK_PER_UNIT_YEAR as A
from conftest import base


def forecast_doc(capex_2: float, racks: int = 10) -> dict[str, Any]:
    """objective cost over periods 1-2 (no discount): forecast 2 A in each period; a g1
    unit costs 1,000 USD in period 1 and ``capex_2`` in period 2."""
    doc = base(electricity_usd_per_mwh=0.0)
    doc["site"]["rack_positions"] = racks
    doc["objective"] = "cost"
    doc["periods"] = [1, 2]
    doc["discount_rate"] = 0.0
    tier = doc["tiers"][0]
    del tier["price_usd_per_mtok"]
    tier["demand_mtok"] = {1: 2 * A, 2: 2 * A}
    doc["hardware"][0]["capex_usd"] = {1: 1000.0, 2: capex_2}
    return doc


LOW_HIGH = pd.DataFrame(
    {
        "scenario": ["low", "high"],
        "probability": [0.5, 0.5],
        "tiers[t].demand_mtok[2]": [2 * A, 6 * A],
    }
)


@pytest.mark.parametrize("decompose", [True, False])
def test_least_expected_cost_buys_ahead_when_later_units_are_dear(decompose: bool) -> None:
    """Buying x >= 2 units now (period 1's forecast), "high" then buys 6 - x at 2,500:
    E[cost] = 1,000 x + 0.5 * 2,500 (6 - x) = 7,500 - 250 x, least at x = 6: 6,000 USD.
    Wait and see: low 2,000, high 6,000 -> WS 4,000, EVPI = 6,000 - 4,000 = 2,000 saved.
    EV (forecast 4 A in period 2) buys 4 now; EEV: low 4,000, high 4,000 + 2 * 2,500 =
    9,000 -> 6,500, VSS = 6,500 - 6,000 = 500 saved. Regrets: low 6,000 - 2,000 = 4,000,
    high 0. Costs are positive; the bound is a lower bound."""
    r = solve(forecast_doc(2500.0), LOW_HIGH, mip_gap=1e-6, ef_decompose=decompose)
    assert r.status == "optimal" and r.objective_kind == "cost"
    assert r.first_stage_units() == {("g1", 1): 6}
    assert r.objective_usd == pytest.approx(6000.0, rel=1e-6)
    assert r.expected_objective_usd == pytest.approx(6000.0, rel=1e-6)
    assert r.bound_usd is not None and r.bound_usd <= 6000.0 * (1 + 1e-9)
    assert r.ws_usd == pytest.approx(4000.0, rel=1e-6)
    assert r.evpi_usd == pytest.approx(2000.0, rel=1e-6)
    assert r.eev_usd == pytest.approx(6500.0, rel=1e-6)
    assert r.vss_usd == pytest.approx(500.0, rel=1e-6)
    regret = dict(zip(r.scenarios["scenario"], r.scenarios["regret_usd"], strict=True))
    assert regret["low"] == pytest.approx(4000.0, rel=1e-6)
    assert regret["high"] == pytest.approx(0.0, abs=1e-6)
    assert r.percentiles is not None
    assert r.percentiles["worst"] == pytest.approx(6000.0) and r.percentiles["best"] == 6000.0


def test_least_expected_cost_waits_when_later_units_are_cheap_enough() -> None:
    """At 1,500 a unit in period 2: E[cost] = 1,000 x + 0.5 * 1,500 (6 - x) = 4,500 + 250 x,
    least at the smallest x = 2: 5,000 USD; "high" buys 4 more later."""
    r = solve(forecast_doc(1500.0), LOW_HIGH, mip_gap=1e-6)
    assert r.status == "optimal"
    assert r.first_stage_units() == {("g1", 1): 2}
    assert r.objective_usd == pytest.approx(5000.0, rel=1e-6)
    buys = r.scenario_buys.set_index(["scenario", "period"])["units"]
    assert buys[("high", 2)] == 4 and ("low", 2) not in buys.index


def test_cvar_of_a_cost_is_the_mean_of_the_dearest_tail() -> None:
    """With x = 6 now both scenarios cost 6,000: CVaR_0.5 (the dearer half) is 6,000."""
    r = solve(forecast_doc(2500.0), LOW_HIGH, mip_gap=1e-6, cvar_alpha=0.5)
    assert r.cvar_usd == pytest.approx(6000.0, rel=1e-6)


def test_no_first_stage_serving_every_forecast_names_the_scenarios() -> None:
    """ "high" needs 4 units in period 1 (forecast 4 A there); "tight" has 3 rack positions.
    Each is feasible alone, but no first stage serves both: the message names the scenario
    a first stage breaks and why (the planner's diagnosis: the land cap, or the tier,
    period and shortfall of the forecast)."""
    scen = pd.DataFrame(
        {
            "scenario": ["tight", "high"],
            "probability": [0.5, 0.5],
            "tiers[t].demand_mtok[1]": [2 * A, 4 * A],
            "site.rack_positions": [3, 10],
        }
    )
    r = solve(forecast_doc(2500.0), scen, mip_gap=1e-6)
    assert r.status == "infeasible" and not r.has_solution
    assert "scenario 'tight'" in r.message and "'high'" in r.message
    assert "rack positions" in r.message or "forecast" in r.message


def test_side_figures_sliced_over_processes_match_one_process() -> None:
    """parallel=True re-plans WS/EV/EEV in slices of the scenarios (scenario i in slice
    i % k): the same figures as one process, under objective cost too."""
    one = solve(forecast_doc(2500.0), LOW_HIGH, mip_gap=1e-6).to_dict()
    two = solve(forecast_doc(2500.0), LOW_HIGH, mip_gap=1e-6, parallel=True).to_dict()
    assert {**one, "timings": {}} == {**two, "timings": {}}


def test_slices_merge_scenario_by_scenario() -> None:
    """Slice 0 of 2 re-plans scenarios 0 and 2, slice 1 scenario 1; merged, each scenario's
    figures come from its own slice, and busy times add up."""
    from optimizer.stochastic.result import ScenarioOutcome
    from optimizer.stochastic.side import SideFigures, Slice, merge_slices

    assert Slice(0, 2).share(3, lambda i: i) == [0, None, 2]
    assert Slice(1, 2).share(3, lambda i: i) == [None, 1, None]

    def out(v: float) -> ScenarioOutcome:
        return ScenarioOutcome("optimal", v)

    first = {("g1", 1): 2}
    a = SideFigures(ws=[out(1), None, out(3)], ev_first=first, eev=[out(10), None, out(30)])  # type: ignore[list-item]
    b = SideFigures(ws=[None, out(2), None], ev_first=first, eev=[None, out(20), None])  # type: ignore[list-item]
    a.timings["wait_and_see"], b.timings["wait_and_see"] = 1.0, 2.0
    m = merge_slices([a, b], lambda i, f: out(-1))
    assert [o.objective_usd for o in m.ws] == [1, 2, 3]
    assert [o.objective_usd for o in m.eev if o is not None] == [10, 20, 30]
    assert m.timings["wait_and_see"] == 3.0 and m.eev_delivered is None
    b.ev_first = {("g1", 1): 3}  # a slice that disagreed on EV: its EEV re-planned
    m = merge_slices([a, b], lambda i, f: out(-i))
    assert [o.objective_usd for o in m.eev if o is not None] == [10, -1, 30]
