"""docs/model.md v3 options: objective cost (least cost to serve a forecast), committed
volume, opex, idle power, delivery within the period, platforms, cooling classes and price
moves between periods. Each on a micro-instance where it binds, the optimum worked out by
hand in the docstring, solved through ``optimizer.solve`` so the independent checker runs.

Unit of account (conftest): one g1 unit (1 GPU, 1 kW, 1 rack position) makes
A = 31,536 Mtok per year at the tier's 10 tok/s/user; one kW for a year is 8.76 MWh.
"""

from __future__ import annotations

import copy
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optimizer import Planner, load_instance, solve
from optimizer.errors import InputError
from optimizer.sweep.spec import apply, parse_key
from optimizer.verify import verify_plan

from conftest import MTOK_PER_UNIT_YEAR as A
from conftest import (
    REPO,
    assert_least_cost_matches_scipy,
    base,
    frontier,
    random_fleet,
    random_v3_least_cost_doc,
)


def _forecast_doc(demand: Any = 100_000, capex: float = 1000.0, elec: float = 100.0) -> dict:
    """objective cost, one tier with a forecast and no price, g1 at ``capex`` USD."""
    doc = base(electricity_usd_per_mwh=elec)
    doc["objective"] = "cost"
    tier = doc["tiers"][0]
    del tier["price_usd_per_mtok"]
    tier["demand_mtok"] = demand
    doc["hardware"][0]["capex_usd"] = capex
    return doc


def _problems(doc: dict, **kw: Any) -> list[str]:
    with pytest.raises(InputError) as info:
        solve(doc, **kw)
    return info.value.problems


# ------------------------------------------------------------------ objective cost
def test_cost_objective_buys_the_fewest_units_that_serve_the_forecast():
    """Forecast 100,000 Mtok = 3.171 A: 4 whole units (3 make only 94,608).

    cost = capex 4 * 1,000 + electricity of the 3.171 units serving
    (100,000 / 31,536 * 8.76 MWh * 100 USD = 2,777.78) = 6,777.78 USD, a positive number;
    everything forecast is sold, nothing more.
    """
    plan = solve(_forecast_doc())
    assert plan.status == "optimal" and plan.objective_kind == "cost"
    assert plan.objective_usd == pytest.approx(4000 + 100_000 / A * 876, rel=1e-9)
    assert plan.objective_usd > 0 and plan.mip_gap is not None and plan.mip_gap <= 1e-4
    assert list(plan.buy["units"]) == [4]
    assert plan.sold["mtok"].sum() == pytest.approx(100_000, rel=1e-9)
    assert plan.verified
    report = verify_plan(_forecast_doc(), plan)
    assert report.ok and report.objective_usd == pytest.approx(plan.objective_usd)


def test_cost_objective_marginal_cost_of_a_mtok():
    """With buy continuous (the marginal LP) one Mtok costs capex 1,000 / A + electricity
    8.76 * 100 / A = 1,876 / 31,536 = 0.05949 USD: the forecast row is worth minus that."""
    plan = solve(_forecast_doc())
    mv = plan.marginal_values
    row = mv[mv["resource"] == "forecast"]
    assert len(row) == 1
    assert row.iloc[0]["usd_per_unit"] == pytest.approx(-1876 / A, rel=1e-6)


def test_cost_objective_ignores_prices_and_accepts_the_override():
    """A priced revenue instance solved with objective='cost' serves its demand at least
    cost: the same 4 units and 6,777.78 USD as above (the 1 USD/Mtok price is ignored)."""
    doc = base(electricity_usd_per_mwh=100.0)
    doc["tiers"][0]["demand_mtok"] = 100_000
    doc["hardware"][0]["capex_usd"] = 1000
    plan = solve(doc, objective="cost")
    assert plan.objective_kind == "cost"
    assert plan.objective_usd == pytest.approx(4000 + 100_000 / A * 876, rel=1e-9)


def test_cost_objective_charges_fixed_costs_and_credits_residual_value():
    """Two 1-year periods, forecast 100,000 in each, g1 lasts 3 years, capex 1,000,
    electricity 0, straight-line residual: 4 units bought in period 1 serve both periods;
    2 of 3 years are used, so 1/3 of 4,000 is credited back: 4,000 - 1,333.33; plus site
    fixed cost 500 per year * 2 = 1,000. Cost 3,666.67."""
    doc = _forecast_doc(elec=0.0)
    doc["periods"] = [1, 2]
    doc["residual_value"] = "straight_line"
    doc["site"]["fixed_cost_usd_per_year"] = 500
    doc["hardware"][0]["lifetime_years"] = 3
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(4000 - 4000 / 3 + 1000, rel=1e-9)
    assert plan.buy.to_dict("records") == [{"hardware": "g1", "period": 1, "units": 4}]


def test_cost_objective_infeasible_forecast_names_tier_period_and_shortfall():
    """10 rack positions make 10 A = 315,360 Mtok; a forecast of 400,000 is short by
    84,640 Mtok (relaxing the forecast is the smallest relative change)."""
    plan = solve(_forecast_doc(demand=400_000))
    assert plan.status == "infeasible"
    rows = plan.diagnosis
    row = rows[rows["family"] == "forecast"].iloc[0]
    assert row["relax_by"] == pytest.approx(400_000 - 10 * A, rel=1e-6)
    assert "tier t in 1" in row["message"] and "short by 84,640 Mtok" in row["message"]


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda d: d["tiers"][0].pop("demand_mtok"), ["tiers[0].demand_mtok", "forecast"]),
        (
            lambda d: d["tiers"][0].update(
                demand_mtok=None,
                price_menu=[{"price_usd_per_mtok": 1, "demand_mtok": 10}],
            ),
            ["tiers[0].price_menu", "objective cost"],
        ),
    ],
)
def test_cost_objective_input_errors(change, words):
    doc = _forecast_doc()
    change(doc)
    lines = _problems(doc)
    assert any(all(w in ln for w in words) for ln in lines), lines


def test_cost_override_on_a_tier_without_demand_is_refused():
    lines = _problems(base(), objective="cost")
    assert lines == [
        "tiers[0].demand_mtok: objective cost needs the forecast to serve (Mtok per period)"
    ]


def test_cli_objective_cost_and_exit_2(tmp_path: Path):
    doc = base(electricity_usd_per_mwh=100.0)
    doc["tiers"][0]["demand_mtok"] = 100_000
    doc["hardware"][0]["capex_usd"] = 1000
    (tmp_path / "f.json").write_text(json.dumps(doc))
    run = [sys.executable, "-m", "optimizer.cli.main", "solve", "f.json", "--no-write"]
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    res = subprocess.run(
        [*run, "--objective", "cost", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["objective"] == "cost"
    assert out["objective_usd"] == pytest.approx(4000 + 100_000 / A * 876, rel=1e-6)
    del doc["tiers"][0]["demand_mtok"]
    (tmp_path / "f.json").write_text(json.dumps(doc))
    res = subprocess.run(
        [*run, "--objective", "cost"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "tiers[0].demand_mtok" in res.stderr


# ------------------------------------------------------------------ committed volume
def _two_tiers() -> dict:
    """t at 1 USD/Mtok, u at 0.5 on the same hardware; 10 units make 315,360 Mtok."""
    doc = base()
    u = dict(doc["tiers"][0], id="u", price_usd_per_mtok=0.5)
    doc["tiers"].append(u)
    return doc


def test_committed_volume_sells_the_cheap_contract_first():
    """Revenue: without a commitment all 315,360 Mtok go to t (315,360 USD). With
    u committed to 100,000 Mtok: 100,000 * 0.5 + 215,360 * 1 = 265,360 USD."""
    doc = _two_tiers()
    assert solve(doc).objective_usd == pytest.approx(10 * A, rel=1e-9)
    doc["tiers"][1]["committed_mtok"] = 100_000
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(50_000 + 10 * A - 100_000, rel=1e-9)
    sold = dict(zip(plan.sold["tier"], plan.sold["mtok"], strict=True))
    assert sold["u"] == pytest.approx(100_000, rel=1e-9)
    assert plan.verified


def test_committed_volume_by_period_and_its_sweep_key():
    """Two periods; u committed {1: 0, 2: 100,000}: period 1 earns 315,360, period 2
    265,360 (as above). The key path tiers[u].committed_mtok[2] moves period 2 to 200,000:
    200,000 * 0.5 + 115,360 = 215,360."""
    doc = _two_tiers()
    doc["periods"] = [1, 2]
    doc["tiers"][1]["committed_mtok"] = {1: 0, 2: 100_000}
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(10 * A + 50_000 + 10 * A - 100_000, rel=1e-9)
    inst = load_instance(doc)
    moved = apply(inst.model_dump(), {parse_key("tiers[u].committed_mtok[2]"): 200_000}, [1, 2])
    plan = solve(moved)
    assert plan.objective_usd == pytest.approx(10 * A + 100_000 + 10 * A - 200_000, rel=1e-9)


def test_verifier_catches_an_unmet_commitment():
    doc = _two_tiers()
    doc["tiers"][1]["committed_mtok"] = 100_000
    plan = solve(doc)
    plan.sold.loc[plan.sold["tier"] == "u", "mtok"] = 50_000.0
    report = verify_plan(doc, plan)
    assert "committed" in report.families


# ------------------------------------------------------------------ opex
def _profit_doc(**hw: Any) -> dict:
    doc = base()
    doc["objective"] = "profit"
    doc["hardware"][0].update(hw)
    return doc


def test_opex_makes_units_unprofitable():
    """A unit earns A = 31,536 USD a year (capex 0). Opex 30,000: each of the 10 units
    nets 1,536 -> profit 15,360. Opex 40,000: each would lose 8,464 -> buy none, 0.
    Revenue ignores opex: 315,360 either way."""
    plan = solve(_profit_doc(opex_usd_per_year=30_000))
    assert plan.objective_usd == pytest.approx(10 * (A - 30_000), rel=1e-9)
    assert plan.opex_usd == pytest.approx(300_000, rel=1e-9)
    plan = solve(_profit_doc(opex_usd_per_year=40_000))
    assert plan.objective_usd == pytest.approx(0.0, abs=1e-6) and plan.buy.empty
    doc = _profit_doc(opex_usd_per_year=40_000)
    doc["objective"] = "revenue"
    assert solve(doc).objective_usd == pytest.approx(10 * A, rel=1e-9)


def test_opex_sweeps_in_place():
    """hardware[g1].opex_usd_per_year 30,000 -> 20,000: the same model re-solved,
    profit 10 * (31,536 - 20,000) = 115,360."""
    inst = load_instance(_profit_doc(opex_usd_per_year=30_000))
    planner = Planner(inst)
    planner.solve()
    doc = apply(inst.model_dump(), {parse_key("hardware[g1].opex_usd_per_year"): 20_000}, [1])
    assert not planner.update(load_instance(doc))
    assert planner.solve().objective_usd == pytest.approx(10 * (A - 20_000), rel=1e-9)


# ------------------------------------------------------------------ idle power
def test_idle_power_charges_installed_units():
    """Profit, demand 100,000 Mtok (3.171 units' worth), capex 0, 100 USD/MWh: a unit at
    full load costs 876 USD a year. Idle share 0.5: every installed unit pays 438, the
    serving ones 438 more per serving unit. Buy 4 (not 10: idle units cost):
    100,000 - 4 * 438 - 3.171 * 438 = 96,859.11 USD."""
    doc = _profit_doc(idle_power_share=0.5)
    doc["site"]["electricity_usd_per_mwh"] = 100.0
    doc["tiers"][0]["demand_mtok"] = 100_000
    plan = solve(doc)
    serving = 100_000 / A
    assert plan.objective_usd == pytest.approx(100_000 - 4 * 438 - serving * 438, rel=1e-9)
    assert list(plan.buy["units"]) == [4]
    assert plan.energy_usd == pytest.approx(4 * 438 + serving * 438, rel=1e-9)
    assert plan.verified


# ------------------------------------------------------------------ delivery
def test_delivery_share_halves_the_first_period():
    """Revenue, 2 periods, 10 units bought in period 1 (free) with delivery_share 0.5:
    period 1 serves 10 - 0.5 * 10 = 5 units (157,680), period 2 all 10 (315,360)."""
    doc = base()
    doc["periods"] = [1, 2]
    doc["hardware"][0]["delivery_share"] = 0.5
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(15 * A, rel=1e-9)
    assert plan.verified
    # Per period: only period 2's deliveries are late; period 1's buys serve fully.
    doc["hardware"][0]["delivery_share"] = {1: 1.0, 2: 0.5}
    assert solve(doc).objective_usd == pytest.approx(20 * A, rel=1e-9)


def test_verifier_catches_service_before_delivery():
    doc = base()
    doc["hardware"][0]["delivery_share"] = 0.5
    plan = solve(doc)
    plan.serve["units"] = 10.0  # all 10 units serving, though only 5 arrived in time
    plan.serve["mtok"] = 10 * A
    assert "delivery" in verify_plan(doc, plan).families


# ------------------------------------------------------------------ platforms
def _platform_doc(**site: Any) -> dict:
    """Profit; g1 (A per unit) on platform cuda (100,000 USD a year), g2 (0.9 A per unit)
    on rocm (50,000 USD a year); capex 0, 10 rack positions."""
    doc = base(**site)
    doc["objective"] = "profit"
    doc["platforms"] = [
        {"id": "cuda", "fixed_cost_usd_per_year": 100_000},
        {"id": "rocm", "fixed_cost_usd_per_year": 50_000},
    ]
    doc["hardware"][0]["platform"] = "cuda"
    doc["hardware"].append(
        {"id": "g2", "gpus_per_unit": 1, "power_kw": 1, "rack_positions": 1, "platform": "rocm"}
    )
    doc["frontiers"] = frontier("g1") + frontier("g2", tok=900.0)
    return doc


def test_platform_fixed_cost_picks_one_platform():
    """g1 only: 315,360 - 100,000 = 215,360. g2 only: 283,824 - 50,000 = 233,824. Both:
    pays 150,000 for at most 315,360: worse. Optimum: 10 g2, 233,824."""
    plan = solve(_platform_doc())
    assert plan.objective_usd == pytest.approx(9 * A - 50_000, rel=1e-9)
    assert plan.buy.to_dict("records") == [{"hardware": "g2", "period": 1, "units": 10}]
    assert plan.platform_cost_usd == pytest.approx(50_000)
    assert plan.verified


def test_existing_units_force_their_platform():
    """2 existing g1 force cuda (100,000). Then 8 more g1: 10 A - 100,000 = 215,360;
    8 g2 instead: 2 A + 7.2 A - 150,000 = 140,131.2. Optimum 215,360."""
    doc = _platform_doc()
    doc["hardware"][0]["existing_units"] = 2
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(10 * A - 100_000, rel=1e-9)
    assert plan.platform_cost_usd == pytest.approx(100_000)


def test_platform_cost_too_high_buys_nothing():
    """rocm at 300,000 and cuda at 400,000 a year exceed what 10 units earn: profit 0."""
    doc = _platform_doc()
    doc["platforms"][0]["fixed_cost_usd_per_year"] = 400_000
    doc["platforms"][1]["fixed_cost_usd_per_year"] = 300_000
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(0.0, abs=1e-6) and plan.buy.empty


# ------------------------------------------------------------------ cooling
def test_cooling_classes_split_the_hall():
    """Revenue; 10 positions, of which 4 air and 10 liquid; g1 (A) needs air, g2 (0.9 A)
    liquid: 4 g1 + 6 g2 = 4 A + 5.4 A = 296,438.4 (without classes: 10 g1 = 315,360)."""
    doc = base(cooling={"air": 4, "liquid": 10})
    doc["hardware"][0]["cooling"] = "air"
    doc["hardware"].append(
        {"id": "g2", "gpus_per_unit": 1, "power_kw": 1, "rack_positions": 1, "cooling": "liquid"}
    )
    doc["frontiers"] = frontier("g1") + frontier("g2", tok=900.0)
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(4 * A + 6 * 0.9 * A, rel=1e-9)
    units = dict(zip(plan.buy["hardware"], plan.buy["units"], strict=True))
    assert units == {"g1": 4, "g2": 6}
    assert plan.verified


# ------------------------------------------------------------------ price moves
def _price_move_menu() -> dict[str, Any]:
    """Periods 1-2, tier t's menu: $1: 400,000, $2: 200,000, $3: 120,000 then 150,000."""
    doc = base()
    doc["periods"] = [1, 2]
    tier = doc["tiers"][0]
    del tier["price_usd_per_mtok"]
    tier["price_menu"] = [
        {"price_usd_per_mtok": 1.0, "demand_mtok": 400_000},
        {"price_usd_per_mtok": 2.0, "demand_mtok": 200_000},
        {"price_usd_per_mtok": 3.0, "demand_mtok": {1: 120_000, 2: 150_000}},
    ]
    return doc


def test_max_price_change_holds_consecutive_prices_together():
    """Menu by period (capacity 315,360 Mtok): period 1 $1: 400,000, $2: 200,000,
    $3: 120,000 (best $2: 400,000); period 2 $3 sells 150,000 (450,000, best).
    Free: $2 then $3 = 850,000. With max_price_change 0.25 a $2 -> $3 move (50%) is out:
    $2, $2 = 800,000; $3, $3 = 360,000 + 450,000 = 810,000 (best); $1, $1 = 630,720."""
    doc = _price_move_menu()
    tier = doc["tiers"][0]
    assert solve(doc).objective_usd == pytest.approx(850_000, rel=1e-9)
    tier["max_price_change"] = 0.25
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(810_000, rel=1e-9)
    assert list(plan.price["price_usd_per_mtok"]) == [3.0, 3.0]
    assert plan.verified


# ------------------------------------------------------------------ input checks
@pytest.mark.parametrize(
    "change, needle",
    [
        (
            lambda d: (
                d["tiers"].append(dict(d["tiers"][0], id="u", min_power_share=0.7)),
                d["tiers"][0].update(min_power_share=0.5),
            ),
            "tiers[].min_power_share: the floors sum to 1.2",
        ),
        (
            lambda d: d["tiers"][0].update(demand_mtok=10, committed_mtok=20),
            "tiers[0].committed_mtok[1]: 20 Mtok committed exceeds demand_mtok 10",
        ),
        (lambda d: d["hardware"][0].update(platform="tpu"), "hardware[0].platform: 'tpu'"),
        (lambda d: d["hardware"][0].update(idle_power_share=1.5), "hardware[0].idle_power_share"),
        (lambda d: d["hardware"][0].update(delivery_share=0), "hardware[0].delivery_share"),
        (lambda d: d["hardware"][0].update(delivery_share=1.5), "hardware[0].delivery_share"),
        (lambda d: d["hardware"][0].update(cooling="liquid"), "hardware[0].cooling: 'liquid'"),
        (
            lambda d: d["tiers"][0].update(max_price_change=0.1),
            "tiers[0].max_price_change: applies to a price_menu tier only",
        ),
    ],
)
def test_v3_input_errors_name_the_key(change, needle):
    doc = base()
    change(doc)
    lines = _problems(doc)
    assert any(needle in ln for ln in lines), lines
    assert all("\n" not in ln for ln in lines)


def test_all_v3_problems_reported_at_once(tmp_path: Path):
    doc = base()
    doc["hardware"][0].update(platform="tpu", cooling="air")
    doc["tiers"][0].update(demand_mtok=10, committed_mtok=20)
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    res = subprocess.run(
        [sys.executable, "-m", "optimizer.cli.main", "solve", "bad.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 3, lines


# ------------------------------------------------------------------ off by default
def test_defaults_keep_the_v2_model():
    """Every v3 key at its default builds no v3 row and no adopt variable."""
    from optimizer.frontiers.coefficients import compute_coefficients
    from optimizer.frontiers.table import read_frontier_table
    from optimizer.model.build import build_model
    from optimizer.model.data import ModelData

    inst = load_instance(_profit_doc())
    data = ModelData.from_instance(inst, compute_coefficients(read_frontier_table(inst), inst))
    m = build_model(data)
    for name in ("forecast", "committed", "delivery", "platform", "cooling", "price_move"):
        assert len(getattr(m, name)) == 0, name
    assert len(m.adopt) == 0
    assert not hasattr(m, "opex_cost") and not hasattr(m, "idle_energy_cost")


# ------------------------------------------------------------------ Mélange's question
def _melange_doc() -> dict:
    """Two request buckets (tiers S and L), two GPU types. Per unit and year:
    a (1,000 USD) makes 1 A of S or 0.25 A of L; b (1,500 USD) makes 1 A of either.
    Forecast 1.5 A of each."""
    doc = base(power_mw=10.0, rack_positions=100)
    doc["objective"] = "cost"
    doc["hardware"] = [
        {"id": "a", "gpus_per_unit": 1, "power_kw": 1, "capex_usd": 1000},
        {"id": "b", "gpus_per_unit": 1, "power_kw": 1, "capex_usd": 1500},
    ]
    tier = {"context_tokens": 8192, "min_interactivity": 10, "demand_mtok": 1.5 * A}
    doc["tiers"] = [dict(tier, id="S", model="ms"), dict(tier, id="L", model="ml")]
    doc["frontiers"] = (
        frontier("a", "ms")
        + frontier("a", "ml", tok=250.0)
        + frontier("b", "ms")
        + frontier("b", "ml")
    )
    return doc


def test_melange_splitting_a_bucket_beats_assigning_it_whole():
    """Least-cost fleet for the request mix (Mélange's ILP, arXiv:2404.14527).

    Each bucket whole on one type: S on a (2 a = 2,000) + L on b (2 b = 3,000) = 5,000;
    both on b: 3 A on b = 3 b = 4,500 (the best whole assignment); L on a needs 6 a.
    Split: 2 b serve L's 1.5 A and 0.5 A of S; 1 a serves S's other 1 A:
    3,000 + 1,000 = 4,000. By count of b: 0 b -> 8 a (8,000); 1 b -> 1,500 + 4 a
    (5,500); 2 b -> 3,000 + 1 a (4,000); 3 b -> 4,500. Optimum 4,000, S split a/b.
    """
    plan = solve(_melange_doc())
    assert plan.objective_usd == pytest.approx(4000.0, rel=1e-9)
    units = dict(zip(plan.buy["hardware"], plan.buy["units"], strict=True))
    assert units == {"a": 1, "b": 2}
    s_on = set(plan.serve.loc[plan.serve["tier"] == "S", "hardware"])
    assert s_on == {"a", "b"}  # bucket S is split across the two GPU types
    # Forcing S whole onto b (a cannot serve S) gives the best whole assignment, 4,500.
    doc = _melange_doc()
    doc["frontiers"] = [
        r for r in doc["frontiers"] if not (r["hardware"], r["model"]) == ("a", "ms")
    ]
    assert solve(doc).objective_usd == pytest.approx(4500.0, rel=1e-9)


# ------------------------------------------------------------------ against scipy
def _scipy_least_cost(doc: dict) -> float | None:
    """The same least-cost problem written independently for scipy.optimize.milp:
    min sum_h capex_h * n_h + sum_{h,t} e_h * x_ht  s.t.  sum_t x_ht <= n_h,
    sum_h a_ht x_ht >= d_t, sum_h kw_h n_h <= power, sum_h n_h <= land, n integer."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    hws, tiers = doc["hardware"], doc["tiers"]
    H, T = len(hws), len(tiers)
    tok = {(r["hardware"], r["model"]): r["tok_s_per_gpu"] for r in doc["frontiers"]}
    elec = doc["site"]["electricity_usd_per_mwh"]
    nvar = H + H * T  # n_h then x_ht

    def x(h: int, t: int) -> int:
        return H + h * T + t

    c = np.zeros(nvar)
    rows, lo, hi = [], [], []
    for h, hw in enumerate(hws):
        c[h] = hw["capex_usd"]
        row = np.zeros(nvar)
        row[h] = -1
        for t in range(T):
            c[x(h, t)] = elec * hw["power_kw"] * 8.76
            row[x(h, t)] = 1
        rows.append(row)
        lo.append(-np.inf)
        hi.append(0.0)
    for t, tier in enumerate(tiers):
        row = np.zeros(nvar)
        for h, hw in enumerate(hws):
            rate = tok.get((hw["id"], tier["model"]), 0.0)
            row[x(h, t)] = rate * hw["gpus_per_unit"] * 31.536
        rows.append(row)
        lo.append(tier["demand_mtok"])
        hi.append(np.inf)
    for cap, per in (
        (doc["site"]["power_mw"] * 1000, "power_kw"),
        (doc["site"]["rack_positions"], None),
    ):
        row = np.zeros(nvar)
        for h, hw in enumerate(hws):
            row[h] = hw[per] if per else 1.0
        rows.append(row)
        lo.append(-np.inf)
        hi.append(cap)
    res = milp(
        c,
        constraints=LinearConstraint(np.array(rows), lo, hi),
        integrality=np.array([1] * H + [0] * (H * T)),
        bounds=Bounds(0, np.inf),
        options={"mip_rel_gap": 1e-9},
    )
    return float(res.fun) if res.status == 0 else None


@pytest.mark.parametrize("seed", range(6))
def test_least_cost_matches_an_independent_scipy_model(seed):
    """Random 3-hardware x 3-tier least-cost instances: optimum equals scipy's."""
    rng = np.random.default_rng(seed)
    models = ["m0", "m1", "m2"]
    hws, rows = random_fleet(rng, models, v3=False)
    tiers = [
        {
            "id": f"t{i}",
            "model": m,
            "context_tokens": 8192,
            "min_interactivity": 10,
            "demand_mtok": float(rng.integers(10_000, 400_000)),
        }
        for i, m in enumerate(models)
    ]
    doc = {
        "name": f"rand{seed}",
        "objective": "cost",
        "site": {"power_mw": 1.0, "rack_positions": 60, "electricity_usd_per_mwh": 80.0},
        "hardware": hws,
        "tiers": tiers,
        "frontiers": rows,
    }
    expected = _scipy_least_cost(copy.deepcopy(doc))
    plan = solve(doc)
    if expected is None:
        assert plan.status == "infeasible"
    else:
        assert plan.status == "optimal"
        assert plan.objective_usd == pytest.approx(expected, rel=1e-6)


def test_least_cost_matches_brute_force_enumeration():
    """Two hardware, one tier: enumerate every (n_a, n_b) on the 10-position hall and take
    the cheapest that makes the forecast (capex only); the planner's optimum agrees."""
    doc = _forecast_doc(demand=150_000, elec=0.0)
    doc["hardware"][0]["capex_usd"] = 1000
    doc["hardware"].append(
        {"id": "g2", "gpus_per_unit": 2, "power_kw": 1, "rack_positions": 1, "capex_usd": 1700}
    )
    doc["frontiers"] = frontier("g1") + frontier("g2")
    best = min(
        1000 * na + 1700 * nb
        for na, nb in itertools.product(range(11), range(11))
        if na + nb <= 10 and (na + 2 * nb) * A >= 150_000
    )
    assert solve(doc).objective_usd == pytest.approx(best, rel=1e-9)


# ------------------------------------------------------------------ more checks
def test_shipped_least_cost_example_serves_its_forecast():
    """instances/least-cost-forecast.yaml: every tier's forecast sold exactly, a positive
    cost that is capex + electricity + opex - residual (no fixed costs), checked."""
    path = REPO / "instances" / "least-cost-forecast.yaml"
    plan = solve(path)
    assert plan.status == "optimal" and plan.verified and plan.objective_usd > 0
    inst = load_instance(path)
    for tier in inst.tiers:
        got = plan.sold.loc[plan.sold["tier"] == tier.id, "mtok"].tolist()
        assert got == pytest.approx(inst.per_period_values(tier.demand_mtok), rel=1e-9)
    parts = plan.capex_usd + plan.energy_usd + plan.opex_usd - plan.residual_value_usd
    assert plan.objective_usd == pytest.approx(parts, rel=1e-9)


def test_verifier_catches_unserved_forecast_and_cooling_overflow():
    doc = _forecast_doc()
    plan = solve(doc)
    plan.sold["mtok"] = 50_000.0
    assert "forecast" in verify_plan(doc, plan).families
    doc = base(cooling={"air": 4})
    doc["hardware"][0]["cooling"] = "air"
    plan = solve(doc)
    assert list(plan.buy["units"]) == [4]
    plan.buy["units"] = 6
    plan.installed["units"] = 6.0
    assert "cooling" in verify_plan(doc, plan).families


def test_verifier_recomputes_platform_and_opex_costs():
    """A plan that misreports its objective by the platform cost is caught."""
    doc = _platform_doc()
    plan = solve(doc)
    plan.objective_usd += 50_000
    report = verify_plan(doc, plan)
    assert "objective" in report.families
    assert report.objective_usd == pytest.approx(9 * A - 50_000, rel=1e-9)


def test_platform_and_cooling_key_paths_sweep():
    """platforms[rocm].fixed_cost_usd_per_year 50,000 -> 250,000: g2 only now nets
    283,824 - 250,000 = 33,824 < g1 only 215,360: the plan moves to g1.
    site.cooling.air 4 -> 7: 7 A + 3 * 0.9 A = 305,899.2."""
    inst = load_instance(_platform_doc())
    doc = apply(
        inst.model_dump(), {parse_key("platforms[rocm].fixed_cost_usd_per_year"): 250_000}, [1]
    )
    assert solve(doc).objective_usd == pytest.approx(10 * A - 100_000, rel=1e-9)
    cool = base(cooling={"air": 4, "liquid": 10})
    cool["hardware"][0]["cooling"] = "air"
    cool["hardware"].append(
        {"id": "g2", "gpus_per_unit": 1, "power_kw": 1, "rack_positions": 1, "cooling": "liquid"}
    )
    cool["frontiers"] = frontier("g1") + frontier("g2", tok=900.0)
    moved = apply(load_instance(cool).model_dump(), {parse_key("site.cooling.air"): 7}, [1])
    assert solve(moved).objective_usd == pytest.approx(7 * A + 3 * 0.9 * A, rel=1e-9)


def test_committed_key_path_on_a_tier_without_one():
    """tiers[u].committed_mtok[2] on an instance that sets none: the other period is 0.
    Period 1: 315,360; period 2: 200,000 * 0.5 + 115,360 = 215,360."""
    doc = _two_tiers()
    doc["periods"] = [1, 2]
    inst = load_instance(doc)
    moved = apply(inst.model_dump(), {parse_key("tiers[u].committed_mtok[2]"): 200_000}, [1, 2])
    assert moved["tiers"][1]["committed_mtok"] == {1: 0.0, 2: 200_000.0}
    assert solve(moved).objective_usd == pytest.approx(10 * A + 100_000 + 10 * A - 200_000)


def test_platform_marginal_values_price_land_not_the_big_m():
    """10 g2 fill the 10 positions (rocm adopted). With adopt held at 1 one more position
    holds one more g2 making 0.9 A = 28,382.4 USD (the platform rows, big-Ms, are lifted)."""
    plan = solve(_platform_doc())
    mv = plan.marginal_values
    land = mv[mv["resource"] == "land"].iloc[0]["usd_per_unit"]
    assert land == pytest.approx(0.9 * A, rel=1e-6)


def test_compare_under_objective_cost_reports_the_cost_saved():
    """Mélange's instance: only a: S needs 2 a, L needs 6 a -> 8 a = 8,000 USD, the optimum
    (4,000) saves 4,000 against it; only b: 3 b = 4,500, saves 500."""
    from optimizer.analysis.compare import compare

    result = compare(load_instance(_melange_doc()))
    table = result.table.set_index("plan")
    assert table.loc["optimal", "objective_usd"] == pytest.approx(4000)
    assert table.loc["only a", "optimum_uplift_usd"] == pytest.approx(4000)
    assert table.loc["only b", "optimum_uplift_usd"] == pytest.approx(500)


def test_two_stage_plans_take_objective_cost():
    """One scenario of probability 1 is the deterministic least cost: 4 units, 6,777.78 USD
    (test_cost_objective_buys_the_fewest_units_that_serve_the_forecast); a cost, positive.
    More in tests/stochastic/test_two_stage_cost.py."""
    from optimizer.stochastic import solve as solve_two_stage

    r = solve_two_stage(_forecast_doc(), [{"scenario": "a", "probability": 1.0}], mip_gap=1e-6)
    assert r.status == "optimal" and r.objective_kind == "cost"
    assert r.objective_usd == pytest.approx(4000 + 100_000 / A * 876, rel=1e-6)
    assert r.first_stage_units() == {("g1", 1): 4}


@pytest.mark.parametrize("seed", range(6))
def test_least_cost_with_v3_costs_matches_an_independent_scipy_model(seed):
    """Random 3-hardware x 2-tier x 2-period least-cost instances with opex, idle power,
    delivery shares and two platforms: the planner's optimum equals scipy's."""
    rng = np.random.default_rng(100 + seed)
    doc = random_v3_least_cost_doc(rng, f"rand-v3-{seed}", 300_000)
    assert_least_cost_matches_scipy(doc)


def test_committed_and_cooling_marginal_values_by_hand():
    """Committed: one more Mtok promised to u (0.5 USD) displaces one Mtok of t (1 USD):
    worth -0.5 USD per Mtok. Cooling: one more air position, land held at 10, swaps a g2
    (0.9 A) for a g1 (A): worth 0.1 A = 3,153.6 USD."""
    doc = _two_tiers()
    doc["tiers"][1]["committed_mtok"] = 100_000
    mv = solve(doc).marginal_values
    row = mv[mv["resource"] == "committed"]
    assert row.iloc[0]["tier"] == "u"
    assert row.iloc[0]["usd_per_unit"] == pytest.approx(-0.5, rel=1e-6)
    cool = base(cooling={"air": 4, "liquid": 10})
    cool["hardware"][0]["cooling"] = "air"
    cool["hardware"].append(
        {"id": "g2", "gpus_per_unit": 1, "power_kw": 1, "rack_positions": 1, "cooling": "liquid"}
    )
    cool["frontiers"] = frontier("g1") + frontier("g2", tok=900.0)
    mv = solve(cool).marginal_values
    air = mv[mv["resource"] == "cooling_air"]
    assert air.iloc[0]["usd_per_unit"] == pytest.approx(0.1 * A, rel=1e-6)


def test_v3_reference_keys_load():
    """instances/gtc2026-1gw.yaml (v3) writes issue 17's keys to spec and loads as it is:
    three platforms, 6,000 liquid positions, free as committed tokens, three time slices,
    and the 16-rack pod on the LPX platform."""
    path = REPO / "instances" / "gtc2026-1gw.yaml"
    inst = load_instance(path)
    assert {p.id for p in inst.platforms} == {"nvidia-gpu", "amd-gpu", "groq-lpx"}
    assert inst.site.cooling is not None and inst.site.cooling.liquid == 6000
    assert any(t.committed_mtok is not None for t in inst.tiers)
    assert [s.id for s in inst.time_slices or []] == ["peak", "day", "night"]
    pod = next(h for h in inst.hardware if h.id == "vr-lpx16-pod")
    assert pod.platform == "groq-lpx" and pod.cooling == "liquid"


def test_max_price_change_sweeps_in_place():
    """The menu of test_max_price_change_holds_consecutive_prices_together at a 25% limit
    (810,000), then tiers[t].max_price_change = 0.6: the $2 -> $3 move (50%) is allowed
    again, 850,000, in the same model (far[t,p,k,k2] is a parameter)."""
    doc = _price_move_menu()
    tier = doc["tiers"][0]
    tier["max_price_change"] = 0.25
    inst = load_instance(doc)
    planner = Planner(inst)
    assert planner.solve().objective_usd == pytest.approx(810_000, rel=1e-9)
    moved = apply(inst.model_dump(), {parse_key("tiers[t].max_price_change"): 0.6}, [1, 2])
    assert not planner.update(load_instance(moved))
    assert planner.solve().objective_usd == pytest.approx(850_000, rel=1e-9)


def test_finance_npv_equals_the_objective_with_v3_costs():
    """The finance module (optimizer.results.finance) reads the v3 keys on its own: on a
    profit plan with opex, idle power, a late delivery and platforms its NPV is the
    objective; on a least-cost plan it is minus the cost."""
    doc = _platform_doc(electricity_usd_per_mwh=100.0)
    doc["periods"] = [1, 2]
    doc["discount_rate"] = 0.1
    for h in doc["hardware"]:
        h.update(opex_usd_per_year=5_000, idle_power_share=0.3, capex_usd=20_000)
    doc["hardware"][1]["delivery_share"] = {1: 0.5, 2: 1.0}
    plan = solve(doc)
    assert plan.verified and plan.finance is not None
    assert plan.finance.npv_usd == pytest.approx(plan.objective_usd, rel=1e-9)
    cost = solve(_melange_doc())
    assert cost.finance is not None
    assert cost.finance.npv_usd == pytest.approx(-cost.objective_usd, rel=1e-9)
