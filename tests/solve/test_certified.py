"""The certified solve strategy (docs/model.md, "Solve strategy").

Unit g1 of conftest: 1 GPU, 1 kW, one rack position, A = 31,536 Mtok per year at $1/Mtok.
"big" (as in test_constraints): 8 GPUs at 2,000 tok/s/GPU, 10 kW, so 16 A per unit and
1,600 tok/s per kW against g1's 1,000: the relaxation fills the site with big units.
"""

from __future__ import annotations

import random

import pytest

from optimizer import Planner, load_instance, solve
from optimizer.solver.certified import PROOF_BRANCHING, PROOF_RELAXATION
from optimizer.solver.options import SolveOptions

from conftest import MTOK_PER_UNIT_YEAR as A
from conftest import TOY, base, frontier, menu_two_stage_instance, two_unit_profit_doc


def _two_hardware(it_kw: float, min_units: int = 0) -> dict:
    doc = base(power_mw=it_kw / 1000, rack_positions=1000)
    big = {"id": "big", "gpus_per_unit": 8, "power_kw": 10, "rack_positions": 1}
    if min_units:
        big["min_units"] = min_units
    doc["hardware"].append(big)
    doc["frontiers"] = frontier("g1") + frontier("big", tok=2000.0)
    return doc


def _units(plan) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return plan.buy.groupby("hardware")["units"].sum().to_dict()


def test_toy_is_closed_by_the_relaxation():
    """The toy's relaxed optimum is integral (60 nvl72 + 80 hgx fill 8,000 kW exactly, an
    optimum beside the MILP's 66 + 8: the free tier's 20% may run on either), so the bound is
    met at once: 363,294,720 USD (instances/toy.yaml), proven without branching."""
    plan = solve(TOY)
    assert plan.status == "optimal" and plan.verified
    assert plan.objective_usd == pytest.approx(363_294_720.0, rel=1e-9)
    assert plan.proof == PROOF_RELAXATION
    assert plan.mip_gap == pytest.approx(0.0, abs=1e-9)
    assert plan.mip_gap_usd == pytest.approx(0.0, abs=1.0)


def test_rounding_closes_a_small_gap():
    """50.002 kW of IT: at most 5 big units fit (the derived bound on buy), the relaxation
    fills the last 2 W with 0.002 g1, bound 80.002 A; the integer optimum is 5 big units
    (80 A). Gap 2.5e-5 < 1e-4: the rounded plan is the answer, proven by the relaxation."""
    plan = solve(_two_hardware(50.002))
    assert plan.status == "optimal"
    assert plan.objective_usd == pytest.approx(80 * A, rel=1e-9)
    assert _units(plan) == {"big": 5}
    assert plan.proof == PROOF_RELAXATION
    assert plan.best_bound_usd == pytest.approx(80.002 * A, rel=1e-9)
    assert plan.mip_gap == pytest.approx(0.002 / 80, rel=1e-6)


def test_open_gap_falls_back_to_branching_and_is_exact():
    """55.5 kW of IT: at most 5 big units fit; the relaxation adds 5.5 g1, bound 85.5 A.
    The integer optimum is 5 big (80 A) plus 5 g1 (5 A) = 85 A (4 big + 15 g1 = 79 A is
    worse). A gap of 0.5/85 cannot be closed by rounding, so HiGHS branches from the
    repaired plan and proves 85 A; the reported bound is within the gap of it."""
    certified = solve(_two_hardware(55.5))
    milp = solve(_two_hardware(55.5), strategy="milp")
    for plan in (certified, milp):
        assert plan.status == "optimal" and plan.verified
        assert plan.objective_usd == pytest.approx(85 * A, rel=1e-9)
        assert _units(plan) == {"big": 5, "g1": 5}
        assert plan.proof == PROOF_BRANCHING
        assert plan.best_bound_usd <= 85 * A * (1 + 1e-4) + 1e-6


def test_minimum_lot_is_respected_by_the_repair():
    """min_units 6 on big and 65.5 kW: 6 big (96 A) + 5 g1 (5 A) = 101 A; 0 big + 65 g1 =
    65 A. The relaxation (6 big, 5.5 g1) keeps the lot; the repair must not break it."""
    plan = solve(_two_hardware(65.5, min_units=6))
    assert plan.objective_usd == pytest.approx(101 * A, rel=1e-9)
    assert _units(plan) == {"big": 6, "g1": 5}
    plan = solve(_two_hardware(55.0, min_units=6))  # 6 big need 60 kW: none, 55 g1
    assert plan.objective_usd == pytest.approx(55 * A, rel=1e-9)
    assert _units(plan) == {"g1": 55}


@pytest.mark.parametrize("seed", range(8))
def test_random_instances_agree_with_the_milp(seed):
    """Seeded two-hardware profit instances: the certified optimum and the MILP's agree
    within the relative gap 1e-4 (both are within it of the true optimum), and each
    reported bound is above the other's plan."""
    rng = random.Random(seed)
    doc = two_unit_profit_doc(rng, [0.0105, 0.0237, 0.1013, 0.5551])
    doc["hardware"][1]["min_units"] = rng.choice([0, 3, 7])
    if not doc["hardware"][1]["min_units"]:
        del doc["hardware"][1]["min_units"]
    cert = solve(doc)
    milp = solve(doc, strategy="milp")
    assert cert.status == milp.status == "optimal"
    assert cert.verified and milp.verified
    tol = 1e-4 * abs(milp.objective_usd) + 1e-3
    assert cert.objective_usd == pytest.approx(milp.objective_usd, abs=2 * tol)
    assert cert.best_bound_usd >= milp.objective_usd - tol
    assert milp.best_bound_usd >= cert.objective_usd - tol


def test_absolute_gap_is_bound_minus_objective():
    """mip_gap_usd = best_bound_usd - objective_usd (>= 0), in the JSON too, and the relative
    gap is that over the objective."""
    plan = solve(_two_hardware(50.002))
    assert plan.mip_gap_usd == pytest.approx(plan.best_bound_usd - plan.objective_usd, abs=1e-6)
    assert plan.mip_gap_usd == pytest.approx(0.002 * A, rel=1e-6)
    assert plan.mip_gap == pytest.approx(plan.mip_gap_usd / plan.objective_usd, rel=1e-6)
    doc = plan.to_dict()
    assert doc["proof"] == PROOF_RELAXATION
    assert doc["mip_gap_usd"] == pytest.approx(0.002 * A, rel=1e-6)


def test_milp_strategy_keeps_the_old_path():
    plan = solve(TOY, strategy="milp")
    assert plan.proof == PROOF_BRANCHING
    assert plan.objective_usd == pytest.approx(363_294_720.0, rel=1e-9)
    with pytest.raises(ValueError, match="strategy"):
        SolveOptions(strategy="guess")  # type: ignore[arg-type]


def test_resolve_in_place_matches_a_fresh_solve():
    """A planner updated in place (as sweeps do) gives the same plan as a fresh one."""
    planner = Planner(load_instance(_two_hardware(55.5)))
    first = planner.solve()
    assert first.objective_usd == pytest.approx(85 * A, rel=1e-9)
    changed = load_instance(_two_hardware(50.002))
    planner.update(changed)
    again = planner.solve()
    fresh = Planner(changed).solve()
    assert again.objective_usd == fresh.objective_usd == pytest.approx(80 * A, rel=1e-9)
    assert _units(again) == _units(fresh) == {"big": 5}
    assert again.proof == fresh.proof == PROOF_RELAXATION


def test_infeasible_is_reported_as_before():
    """Existing units alone exceed the power cap: no plan, in both strategies."""
    doc = base(power_mw=0.001)
    doc["hardware"][0]["existing_units"] = 5
    for strategy in ("certified", "milp"):
        plan = solve(doc, strategy=strategy)
        assert plan.status == "infeasible"
        assert not plan.has_solution


def _toy_doc() -> dict:
    import yaml

    doc = yaml.safe_load(TOY.read_text())
    doc["frontiers"] = str(TOY.parent / doc["frontiers"])
    return doc


@pytest.mark.parametrize("strategy", ["certified", "milp"])
def test_tiny_price_solves_and_verifies(strategy):
    """The toy with the paid tier at 3e-8 USD/Mtok instead of 3: the same 121,098,240 Mtok
    (instances/toy.yaml) earn 3.6329472 USD. Before the objective was scaled, HiGHS's
    absolute tolerances took 0 (buy nothing) as optimal and the checker refused it."""
    doc = _toy_doc()
    doc["tiers"][1]["price_usd_per_mtok"] = 3e-8
    plan = solve(doc, strategy=strategy)
    assert plan.status == "optimal" and plan.verified
    assert plan.objective_usd == pytest.approx(121_098_240 * 3e-8, rel=1e-6)


@pytest.mark.parametrize("strategy", ["certified", "milp"])
def test_all_money_times_1e_9_scales_the_optimum(strategy):
    """Profit objective; every price and capex x 1e-9: the optimum is the unscaled one x 1e-9
    (same plan value), solved and checked."""
    doc = _toy_doc()
    doc["objective"] = "profit"
    reference = solve(doc, strategy="milp")
    for h in doc["hardware"]:
        h["capex_usd"] *= 1e-9
    doc["tiers"][1]["price_usd_per_mtok"] *= 1e-9
    plan = solve(doc, strategy=strategy)
    assert plan.status == "optimal" and plan.verified
    assert plan.objective_usd == pytest.approx(reference.objective_usd * 1e-9, rel=2e-4)


def test_demand_below_the_solver_resolution_says_what_to_change():
    """Tiers of 0.13 and 0.38 Mtok beside units that make 1e9 Mtok each: HiGHS's MILP takes
    buying nothing as optimal (its absolute gap, 1e-6 $M, is above the 1.14e-6 $M at stake),
    the checker refuses that plan, and the error names the keys (an input error, exit
    status 2)."""
    from optimizer import InputError

    doc = _toy_doc()
    doc["tiers"][0]["demand_mtok"] = 0.13
    doc["tiers"][1]["demand_mtok"] = 0.38
    with pytest.raises(InputError) as err:
        solve(doc, strategy="milp")
    text = "\n".join(err.value.problems)
    assert "tiers[1].demand_mtok[2026]: too small" in text
    assert "raise it" in text


def test_demand_below_the_solver_resolution_is_met_by_the_certified_repair():
    """The same instance, certified: the greedy tries one more unit of every purchase its
    screen does not rule out, not only those the relaxation uses (here 5e-10 of a unit), so
    one hgx-h100 serves both tiers: 0.38 Mtok x 3 USD/Mtok = 1.14 USD (the free tier earns 0),
    the LP bound itself, checked."""
    doc = _toy_doc()
    doc["tiers"][0]["demand_mtok"] = 0.13
    doc["tiers"][1]["demand_mtok"] = 0.38
    plan = solve(doc)
    assert plan.status == "optimal" and plan.verified
    assert plan.objective_usd == pytest.approx(1.14, rel=1e-9)
    assert plan.best_bound_usd == pytest.approx(1.14, rel=1e-9)
    assert _units(plan) == {"hgx-h100": 1}


@pytest.mark.parametrize("seed", [1, 3])
def test_certified_blocks_agree_with_milp_blocks(monkeypatch, seed):
    """Two-stage menu instances (as in test_stochastic_decompose): the EF's block proof with
    the certified strategy per block and with HiGHS's MILP per block give the same optimum
    within the gap, and each reported bound is above the other's plan."""
    from optimizer.stochastic import decompose
    from optimizer.stochastic import solve as solve_two_stage

    gap = 1e-4
    doc, table = menu_two_stage_instance(random.Random(seed))
    on = solve_two_stage(doc, table, mip_gap=gap)
    monkeypatch.setattr(decompose, "CERTIFIED_BLOCKS", False)
    off = solve_two_stage(doc, table, mip_gap=gap)
    assert on.status == off.status == "optimal"
    assert on.objective_usd == pytest.approx(off.objective_usd, rel=2 * gap)
    assert on.bound_usd >= off.objective_usd * (1 - 1e-9)
    assert off.bound_usd >= on.objective_usd * (1 - 1e-9)


def test_sweep_rows_say_how_each_gap_was_proven():
    """A sweep row carries proof and mip_gap_usd, as the plan does: 50.002 kW closes by the
    relaxation (gap 0.002 A), 55.5 kW needs branching (see the tests above)."""
    from optimizer.sweep import run_sweep
    from optimizer.sweep.spec import parse_key

    inst = load_instance(_two_hardware(50.002))
    key = parse_key("site.power_mw")
    result = run_sweep(inst, [{}, {key: 0.0555}], workers=1)
    rows = result.table.set_index("scenario")
    assert rows.loc[0, "proof"] == PROOF_RELAXATION
    assert rows.loc[0, "mip_gap_usd"] == pytest.approx(0.002 * A, rel=1e-6)
    assert rows.loc[1, "proof"] == PROOF_BRANCHING
    assert rows.loc[1, "objective_usd"] == pytest.approx(85 * A, rel=1e-9)
