"""Two-stage plans over scenarios (docs/model.md), checked against hand-derived optima.

Unit of account (conftest): one g1 unit makes 31,536 Mtok per year at the tier's speed,
draws 1 kW and takes one rack position.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from optimizer import fmt
from optimizer import solve as solve_one
from optimizer.instance.load import load_instance
from optimizer.planning.planner import Planner
from optimizer.solver.options import SolveOptions
from optimizer.stochastic import solve
from optimizer.stochastic.result import TwoStagePlan

from conftest import MTOK_PER_UNIT_YEAR, REPO, TOY, base, frontier, run_cli, two_unit_profit_doc

A = MTOK_PER_UNIT_YEAR


def newsvendor(capex: float) -> dict[str, Any]:
    """One period, one unit type at `capex`, $1/Mtok, demand set by the scenarios."""
    doc = base()
    doc["objective"] = "profit"
    doc["site"]["rack_positions"] = 1000
    doc["hardware"][0]["capex_usd"] = capex
    doc["tiers"][0]["demand_mtok"] = 100 * A
    return doc


DEMAND_50_150 = pd.DataFrame(
    {
        "scenario": ["low", "high"],
        "probability": [0.5, 0.5],
        "tiers[t].demand_mtok": [50 * A, 150 * A],
    }
)


def test_newsvendor_buys_the_hand_derived_count() -> None:
    # A unit earns 31,536 USD if its output sells. Unit k (1..50) sells in both scenarios,
    # unit 51..150 only in "high" (probability 1/2): expected revenue 15,768 < capex 20,000.
    # So buy 50: profit 50 * 31,536 - 50 * 20,000 = 576,800 in both scenarios.
    r = solve(newsvendor(20_000), DEMAND_50_150, mip_gap=0)
    assert r.status == "optimal"
    assert r.first_stage_units() == {("g1", 1): 50}
    assert r.objective_usd == pytest.approx(576_800, abs=1e-3)
    # Wait and see: low buys 50 (576,800), high 150 (150 * 11,536 = 1,730,400); mean 1,153,600.
    assert r.ws_usd == pytest.approx(1_153_600, abs=1e-3)
    assert r.evpi_usd == pytest.approx(576_800, abs=1e-3)
    # EV (demand 100 units) buys 100 for 2,000,000: low sells 50 units' worth (-423,200),
    # high 100 (1,153,600); EEV = 365,200, VSS = 576,800 - 365,200 = 211,600.
    assert r.ev_first_stage_units() == {("g1", 1): 100}
    assert r.eev_usd == pytest.approx(365_200, abs=1e-3)
    assert r.vss_usd == pytest.approx(211_600, abs=1e-3)
    regret = dict(zip(r.scenarios["scenario"], r.scenarios["regret_usd"], strict=True))
    assert regret == pytest.approx({"low": 0.0, "high": 1_730_400 - 576_800}, abs=1e-3)


def test_newsvendor_cheap_units_buy_for_the_high_case() -> None:
    # capex 10,000 < 15,768 (half a unit's revenue): units 51..150 pay on average, buy 150.
    # low: 1,576,800 - 1,500,000 = 76,800; high: 4,730,400 - 1,500,000 = 3,230,400.
    r = solve(newsvendor(10_000), DEMAND_50_150, mip_gap=0)
    assert r.first_stage_units() == {("g1", 1): 150}
    assert r.expected_objective_usd == pytest.approx((76_800 + 3_230_400) / 2, abs=1e-3)
    assert r.percentiles is not None and r.percentiles["worst"] == pytest.approx(76_800, abs=1e-3)


def test_cvar_risk_weight_buys_less_when_risk_averse() -> None:
    # capex 10,000: risk-neutral buys 150. With lambda = 1 and alpha = 0.5, the objective
    # is the worst scenario's profit (CVaR of the worse half = the low scenario):
    # 50 * 31,536 - 10,000 x for x >= 50, best at x = 50: 1,076,800.
    r = solve(newsvendor(10_000), DEMAND_50_150, cvar_alpha=0.5, risk_weight=1.0, mip_gap=0)
    assert r.first_stage_units() == {("g1", 1): 50}
    assert r.objective_usd == pytest.approx(1_076_800, abs=1e-2)
    assert r.cvar_usd == pytest.approx(1_076_800, abs=1e-2)


def test_one_scenario_with_probability_one_is_the_deterministic_optimum() -> None:
    table = pd.DataFrame({"scenario": ["only"], "probability": [1.0]})
    r = solve(TOY, table)
    plan = solve_one(TOY)
    # The same optimum; the two sums differ only in floating-point order (1e-15).
    assert r.objective_usd == pytest.approx(plan.objective_usd, rel=1e-12)
    assert r.objective_usd == pytest.approx(363_294_720, rel=1e-9)
    assert r.first_stage_units() == {
        (row.hardware, row.period): row.units for row in plan.buy.itertuples() if row.units
    }
    assert r.evpi_usd == pytest.approx(0, abs=1e-3) and r.vss_usd == pytest.approx(0, abs=1e-3)


def _random_instance(rng: random.Random) -> tuple[dict[str, Any], pd.DataFrame]:
    """Two periods, two unit types (different speed, capex, power), 3-4 demand scenarios."""
    doc = two_unit_profit_doc(rng, [0.05, 0.1, 0.2])
    doc["tiers"][0]["demand_mtok"] = 50 * A  # every scenario replaces it
    n = rng.randint(3, 4)
    table = pd.DataFrame(
        {
            "scenario": [f"s{i}" for i in range(n)],
            "tiers[t].demand_mtok[1]": [rng.randint(10, 80) * A for _ in range(n)],
            "tiers[t].demand_mtok[2]": [rng.randint(10, 160) * A for _ in range(n)],
        }
    )
    return doc, table


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_evpi_vss_nonnegative_first_stage_shared_and_recourse_optimal(seed: int) -> None:
    doc, table = _random_instance(random.Random(seed))
    r = solve(doc, table, mip_gap=0)
    assert r.status == "optimal"
    tol = 1e-6 * max(1.0, abs(r.objective_usd or 0))
    assert r.evpi_usd is not None and r.evpi_usd >= -tol
    assert r.vss_usd is not None and r.vss_usd >= -tol
    assert r.first_stage_identical
    # Each scenario's recourse is optimal for the reported first stage: re-solve the
    # scenario with the deterministic planner, period-1 buys fixed to the first stage.
    first = r.first_stage_units()
    for row, obj in zip(table.itertuples(index=False), r.scenarios["objective_usd"], strict=True):
        d = json.loads(json.dumps(doc))
        d["tiers"][0]["demand_mtok"] = {1: row[1], 2: row[2]}
        planner = Planner(load_instance(d), SolveOptions(marginals=False, mip_gap=0))
        assert planner.model is not None
        for h in ("g1", "g2"):
            planner.model.buy[h, 1].fix(first.get((h, 1), 0))
        plan = planner.solve()
        assert plan.objective_usd == pytest.approx(obj, rel=1e-7, abs=1e-3)


def test_second_process_gives_the_same_figures() -> None:
    # parallel=True re-plans WS/EV/EEV in a spawned process beside the EF solve.
    doc, table = _random_instance(random.Random(2))
    one = solve(doc, table, mip_gap=0, parallel=False).to_dict()
    two = solve(doc, table, mip_gap=0, parallel=True).to_dict()
    for d in (one, two):
        d.pop("timings")
    assert one == two


def test_ph_agrees_with_ef_within_its_reported_gap() -> None:
    # One process: PH alone (no cylinders), bounds from PH's trivial and post-solve
    # Lagrangian bounds, the plan the best candidate first stage re-planned per scenario.
    doc, table = _random_instance(random.Random(7))
    ef = solve(doc, table, mip_gap=0)
    ph = solve(doc, table, method="ph", ph_iterations=20, mip_gap=0)
    assert ef.objective_usd is not None and ph.objective_usd is not None
    assert ph.bound_usd is not None and ph.mip_gap is not None and ph.stopped_because
    tol = 1e-6 * abs(ef.objective_usd)
    assert ph.objective_usd <= ef.objective_usd + tol  # PH's plan is feasible, not better
    assert ph.bound_usd >= ef.objective_usd - tol  # its bound is an outer bound
    assert ef.objective_usd - ph.objective_usd <= ph.mip_gap * abs(ph.bound_usd) + tol
    b = ph.extra["bounds"]
    assert b["cylinders"] == ["PH"] and b["ranks"] == 1
    assert b["inner_usd"] == ph.objective_usd and b["outer_usd"] == ph.bound_usd
    assert "re-planned in every scenario" in b["inner_source"] and b["outer_source"]
    assert ph.mip_gap == pytest.approx((b["outer_usd"] - b["inner_usd"]) / abs(b["outer_usd"]))


def test_ph_weights_start_at_the_lp_multipliers_and_bound_the_newsvendor() -> None:
    # With W = 0 PH's first bound is the trivial one: each scenario alone, the wait-and-see
    # value (576,800 + 1,730,400) / 2 = 1,153,600. The EF's LP buys 50 units too (its
    # optimum is the integer one, 576,800), so at any LP-optimal multipliers the Lagrangian
    # bound lies between the EF optimum and the LP optimum: it is exactly 576,800.
    # By hand, W_high = -W_low = 11,536 USD a unit (a unit's margin where it sells) does it:
    # high is then indifferent to every count up to 150 (value 0), low earns 23,072 on its
    # first 50 units and loses 8,464 on the rest: 1,153,600; half of each is 576,800.
    from optimizer.stochastic.ef import ph_weights
    from optimizer.stochastic.model import ScenarioModels
    from optimizer.stochastic.scenarios import load_scenarios

    inst = load_instance(newsvendor(20_000))
    models = ScenarioModels(scenarios=load_scenarios(inst, DEMAND_50_150), first_periods=[1])
    w = ph_weights(models, threads=None)
    assert w is not None and sorted(w) == ["high", "low"]
    assert len(w["low"]) == len(w["high"]) == 1  # one first-stage purchase: g1 in period 1
    assert 0.5 * w["low"][0] + 0.5 * w["high"][0] == pytest.approx(0, abs=1e-12)
    assert w["high"][0] > 0  # high pays for the units it would buy beyond low's 50
    ph = solve(newsvendor(20_000), DEMAND_50_150, method="ph", ph_iterations=1, mip_gap=0)
    b = ph.extra["bounds"]
    assert b["w_start"] == "EF LP multipliers"
    assert ph.bound_usd == pytest.approx(576_800, abs=1e-3)
    assert "EF LP's multipliers" in b["outer_source"]
    assert ph.objective_usd == pytest.approx(576_800, abs=1e-3) and ph.mip_gap == 0
    # W from zero: after one iteration PH's bounds are no better than that here.
    zero = solve(
        newsvendor(20_000),
        DEMAND_50_150,
        method="ph",
        ph_iterations=1,
        mip_gap=0,
        ph_seed_weights=False,
    )
    assert zero.extra["bounds"]["w_start"] == "zero"
    assert zero.bound_usd is not None and zero.bound_usd >= 576_800 - 1e-3


def test_ranks_map_to_cylinders() -> None:
    from optimizer.stochastic.wheel import cylinder_count

    # hub + Lagrangian + xhatshuffle where 3 divides the ranks, else hub + Lagrangian where
    # 2 does, else PH alone; without mpi4py always PH alone.
    got = {k: cylinder_count(k, have_mpi=True) for k in (1, 2, 3, 4, 5, 6, 8, 9)}
    assert got == {1: 1, 2: 2, 3: 3, 4: 2, 5: 1, 6: 3, 8: 2, 9: 3}
    assert cylinder_count(6, have_mpi=False) == 1


@pytest.mark.parametrize(
    "ranks, cylinders",
    [
        (2, ["PH hub", "Lagrangian spoke"]),
        (3, ["PH hub", "Lagrangian spoke", "xhatshuffle spoke"]),
    ],
)
def test_mpi_ranks_run_ph_cylinders(tmp_path: Path, ranks: int, cylinders: list[str]) -> None:
    mpiexec = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which(
        "mpiexec"
    )
    assert mpiexec, "mpiexec not found: pip install 'optimizer[stochastic]' (mpich wheel)"
    doc, table = _random_instance(random.Random(7))
    (tmp_path / "i.yaml").write_text(yaml.safe_dump(doc))
    table.to_csv(tmp_path / "s.csv", index=False)
    (tmp_path / "hub.log").write_text("the user's own\n")  # a name mpi-sppy logs to
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    args = ["-n", str(ranks), sys.executable, "-m", "optimizer", "stochastic", "i.yaml"]
    args += ["--scenarios", "s.csv", "--method", "ph", "--json", "--no-write", "--mip-gap", "0"]
    args += ["--ph-iterations", "15"]
    out = subprocess.run(
        [mpiexec, *args], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]
    # --no-write leaves the folder as it was: no log files, the user's hub.log unchanged
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hub.log", "i.yaml", "s.csv"]
    assert (tmp_path / "hub.log").read_text() == "the user's own\n"
    got = json.loads(out.stdout)  # rank 0 alone prints: one JSON document
    ef = solve(doc, table, mip_gap=0)
    assert ef.objective_usd is not None
    assert got["method"] == "ph"
    b = got["bounds"]
    assert b["cylinders"] == cylinders and b["ranks"] == ranks and b["ranks_per_cylinder"] == 1
    tol = 1e-6 * abs(ef.objective_usd)
    # outer >= the two-stage optimum >= inner (a maximisation), and the plan is the inner
    assert b["outer_usd"] == got["bound_usd"] >= ef.objective_usd - tol
    assert b["inner_usd"] == got["objective_usd"] <= ef.objective_usd + tol
    assert got["gap"] == pytest.approx((b["outer_usd"] - b["inner_usd"]) / abs(b["outer_usd"]))
    assert ef.objective_usd - got["objective_usd"] <= got["gap"] * abs(got["bound_usd"]) + tol
    # PH's W start at the EF LP's multipliers, so the Lagrangian spoke's first bound is the
    # Lagrangian bound there, not the trivial one (each scenario alone: the wait-and-see
    # value, 2,909,224.73 here): on this instance it is the two-stage optimum itself.
    assert b["w_start"] == "EF LP multipliers"
    assert ef.ws_usd is not None and ef.ws_usd - ef.objective_usd > 0.05 * ef.objective_usd
    assert b["outer_source"] == "Lagrangian spoke"
    # At the LP's multipliers that bound is the two-stage optimum itself; a spoke that is
    # late for PH's first iteration (three processes on a loaded machine) bounds at W moved
    # on by rho (x - xbar) instead: 2,705,031 once in CI against the optimum 2,684,497. Either
    # way it closes most of the trivial bound's gap.
    trivial_gap = ef.ws_usd - ef.objective_usd
    assert got["bound_usd"] <= ef.objective_usd + 0.25 * trivial_gap
    assert got["stopped_because"] and got["ph_iterations"] >= 1
    if ranks == 3:
        # the xhatshuffle spoke's own evaluation of its best first stage is an inner bound too
        assert b["wheel_inner_usd"] is not None and b["wheel_inner_usd"] <= ef.objective_usd + tol


def _ship_date_doc() -> dict:
    """Two periods, one unit g2 (1 kW, $1,000) able to serve 5 A of demand."""
    doc = base()
    doc["periods"] = [1, 2]
    doc["objective"] = "profit"
    doc["hardware"] = [{"id": "g2", "gpus_per_unit": 1, "power_kw": 1, "capex_usd": 1000}]
    doc["frontiers"] = frontier("g2")
    doc["tiers"][0]["demand_mtok"] = 5 * A
    return doc


def test_ship_date_scenario_uses_the_union_index() -> None:
    # g2 is the only unit that can serve; on sale from period 1 in "early", from 2 in "late".
    # Period 1 is decided now: it cannot count on g2, so nothing is bought now. EV takes the
    # ship date of the most probable scenario ("early", 0.6) and buys g2 now, which "late"
    # cannot take: VSS is infinite and names "late".
    doc = _ship_date_doc()
    table = pd.DataFrame(
        {
            "scenario": ["early", "late"],
            "probability": [0.6, 0.4],
            "hardware[g2].available_from": [1, 2],
        }
    )
    r = solve(doc, table, mip_gap=0)
    # The re-plans split over processes (a slice of the scenarios each) give the same.
    sliced = solve(doc, table, mip_gap=0, parallel=True).to_dict()
    assert {**sliced, "timings": {}} == {**r.to_dict(), "timings": {}}
    assert r.status == "optimal"
    assert r.first_stage_units() == {}
    assert r.ev_first_stage_units() == {("g2", 1): 5}
    assert r.vss_usd == float("inf") and r.vss_infeasible == ["late"]
    # Without the units not on sale in every scenario, EV's first stage is empty: the
    # two-stage plan's own, so the finite companion VSS is exactly 0.
    assert r.extra["vss_delivered_usd"] == pytest.approx(0, abs=1e-3)
    # Both scenarios buy 5 units in period 2 and sell there: 5 * 31,536 / 1.0 - 5,000.
    assert list(r.scenarios["objective_usd"]) == pytest.approx([5 * A - 5000] * 2, abs=1e-3)


def test_a_fixed_first_stage_cannot_buy_what_is_not_on_sale() -> None:
    # PH's xhat spokes fix the first stage to a candidate, and fixing a variable overrides
    # its bounds: "late" must still refuse g2 in period 1 (g2 ships in period 2 there).
    import pyomo.environ as pyo

    from optimizer.stochastic.model import ScenarioModels
    from optimizer.stochastic.scenarios import load_scenarios
    from optimizer.stochastic.wheel import _creator

    doc = _ship_date_doc()
    table = pd.DataFrame({"scenario": ["early", "late"], "hardware[g2].available_from": [1, 2]})
    inst = load_instance(doc)
    models = ScenarioModels(scenarios=load_scenarios(inst, table), first_periods=[1])
    create = _creator(models)
    solver = pyo.SolverFactory("appsi_highs")
    for name, feasible in (("early", True), ("late", False)):
        m = create(name)
        m.buy["g2", 1].fix(5)
        res = solver.solve(m, load_solutions=False)
        ok = str(res.solver.termination_condition) == "optimal"
        assert ok == feasible, (name, res.solver.termination_condition)


def test_a_scenario_infeasible_on_its_own_is_named(tmp_path: Path) -> None:
    doc = base()
    doc["hardware"][0]["existing_units"] = 10  # 10 kW installed, whatever is bought
    (tmp_path / "i.yaml").write_text(yaml.safe_dump(doc))
    (tmp_path / "s.csv").write_text("scenario,site.power_mw\nok,1\ntiny,0.005\n")
    out = run_cli(["stochastic", "i.yaml", "--scenarios", "s.csv", "--no-write"], tmp_path)
    assert out.returncode == 1
    assert "'tiny'" in out.stderr and "power" in out.stderr and "'ok'" not in out.stderr


@pytest.mark.parametrize(
    ("csv", "needle"),
    [
        ("scenario,probability,site.power_mw\na,0.5,1\nb,0.4,2\n", "sum to 0.9"),
        ("scenario,site.nonsense\na,1\n", "nonsense"),
        ("scenario,periods\na,3\n", "periods"),
        ("scenario,hardware[g1].id\na,3\n", "hardware"),
        ("scenario,site.power_mw\na,1\na,2\n", "duplicates row 2"),
        ("scenario,hardware[g1].available_from\na,7\n", "not one of the periods"),
        ("scenario,site.power_mw[9]\na,1\n", "no period"),
        ("name,site.power_mw\na,1\n", "'scenario' column"),
    ],
)
def test_bad_scenario_files_one_line_exit_2(tmp_path: Path, csv: str, needle: str) -> None:
    (tmp_path / "i.yaml").write_text(yaml.safe_dump(base()))
    (tmp_path / "s.csv").write_text(csv)
    out = run_cli(["stochastic", "i.yaml", "--scenarios", "s.csv"], tmp_path)
    assert out.returncode == 2, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "results").exists()


def test_first_stage_must_be_leading_periods(tmp_path: Path) -> None:
    doc, table = _random_instance(random.Random(1))
    (tmp_path / "i.yaml").write_text(yaml.safe_dump(doc))
    table.to_csv(tmp_path / "s.csv", index=False)
    out = run_cli(["stochastic", "i.yaml", "--scenarios", "s.csv", "--first-stage", "2"], tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: --first-stage: 2 are not the leading periods (give 1)"
    ]


def test_cli_writes_the_result_files(tmp_path: Path) -> None:
    (tmp_path / "i.yaml").write_text(yaml.safe_dump(newsvendor(20_000)))
    DEMAND_50_150.to_csv(tmp_path / "s.csv", index=False)
    out = run_cli(
        ["stochastic", "i.yaml", "--scenarios", "s.csv", "--json", "--out", "o"], tmp_path
    )
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    written = json.loads((tmp_path / "o" / "stochastic.json").read_text())
    assert (
        printed["first_stage"]
        == written["first_stage"]
        == [{"hardware": "g1", "period": 1, "units": 50}]
    )
    for key in ("expected_objective_usd", "ws_usd", "eev_usd", "percentiles", "buy_frequency"):
        assert key in written
    names = {p.name for p in (tmp_path / "o").iterdir()}
    assert {"first_stage.csv", "scenarios.csv", "buy_frequency.csv"} <= names
    # what each scenario assumes is written beside what it gave (issue 21 item 1)
    scen = pd.read_csv(tmp_path / "o" / "scenarios.csv").set_index("scenario")
    assert scen.loc["low", "input:tiers[t].demand_mtok"] == pytest.approx(50 * A)
    assert scen.loc["high", "input:tiers[t].demand_mtok"] == pytest.approx(150 * A)
    assert {"profit_distribution.png", "first_stage_regret.png"} <= names


def test_drawn_scenarios_with_the_sweep_syntax(tmp_path: Path) -> None:
    (tmp_path / "i.yaml").write_text(yaml.safe_dump(newsvendor(20_000)))
    args = ["stochastic", "i.yaml", "--set", "tiers[t].demand_mtok=scale(x0.5,x1.5)"]
    # 8 scenarios: the command line re-plans in a second process beside the EF solve.
    args += ["--samples", "8", "--seed", "3", "--json", "--no-write"]
    first = run_cli(args, tmp_path)
    again = run_cli(args, tmp_path)
    assert first.returncode == 0, first.stderr
    a, b = json.loads(first.stdout), json.loads(again.stdout)
    assert len(a["scenarios"]) == 8 and a == {**b, "timings": a["timings"]}
    assert sum(s["probability"] for s in a["scenarios"]) == pytest.approx(1.0)


def test_scenario_inputs_moving_together_are_one_input() -> None:
    """The v2 reference's 162 scenario columns are four inputs: demand, prices, ship date, capex
    (the v2 reference and its scenario file are kept as test data in tests/data/v2-reference/).

    Every tier's menu demand moves by one level per scenario (slow/base/fast), so the 80
    demand columns order the scenarios alike and read as one input; likewise the 80 price
    columns. Row 1 of the file (demand slow, price slow, VR on time, capex low): demand
    x0.6 in 2027, price x1.21429, VR from 2026, capex x0.85.
    """
    from optimizer.stochastic.scenarios import load_scenarios

    data = REPO / "tests" / "data" / "v2-reference"
    base_inst = load_instance(data / "gtc2026-1gw.yaml")
    sc = load_scenarios(base_inst, data / "gtc2026-1gw-scenarios.csv")
    inputs = sc.inputs().set_index("scenario")
    assert list(inputs.columns) == [
        "tiers[*].price_menu[*].demand_mtok[*]:factor",
        "tiers[*].price_menu[*].price_usd_per_mtok[*]:factor",
        "hardware[vr-nvl144].available_from",
        "hardware[vr-nvl144].capex_usd:factor",
    ]
    first = inputs.loc["demand-slow_price-slow_vr-ontime_capex-low"]
    assert first.tolist() == pytest.approx([0.6, 1.21429, 2026, 0.85])


@pytest.mark.parametrize(
    ("vss", "risk_weight", "reading"),
    [
        (
            -40.6e6,
            0.3,
            "(below 0: the plan trades expected profit for its CVaR term, risk weight 0.3)",
        ),
        (-40.6e6, 0.0, "(below 0 within the plan's gap of $137.00M: no measured difference)"),
        (12e6, 0.0, ""),
        (math.inf, 0.0, ""),
    ],
)
def test_a_vss_below_zero_is_read_in_the_summary(
    vss: float, risk_weight: float, reading: str
) -> None:
    # The hedged plan is never worse in truth: a measured VSS below 0 comes from the CVaR
    # term (expected profit traded for the tail) or, risk-neutral, from the plan's gap
    # (VSS >= expected - bound, since every EEV re-plan is a feasible plan).
    plan = TwoStagePlan(
        instance_name="x",
        objective_kind="profit",
        method="ef",
        status="optimal",
        first_stage_periods=[1],
        scenario_names=["a", "b"],
        probabilities=[0.5, 0.5],
        objective_usd=100e9,
        expected_objective_usd=100e9,
        bound_usd=100e9 + 137e6,
        vss_usd=vss,
        risk_weight=risk_weight,
    )
    (line,) = [ln for ln in plan.summary().splitlines() if ln.startswith("EVPI")]
    assert line.endswith(f"VSS {fmt.usd(vss)}{' ' + reading if reading else ''}")
