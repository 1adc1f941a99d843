"""Never a wrong "optimal" (issue 9, item 11), and the options object (issue 8, item 8.8)."""

from __future__ import annotations

import copy
import importlib
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import optimizer
from optimizer import InputError, Planner, SolveOptions, load_instance
from optimizer.verify import verify_plan

from conftest import REPO, TOY_OPTIMUM, base


def toy() -> dict[str, Any]:
    doc = yaml.safe_load((REPO / "instances" / "toy.yaml").read_text())
    doc["frontiers"] = str(REPO / "instances" / "toy_frontiers.csv")
    return doc


# ----------------------------------------------------------------- out of range
def test_toy_machines_on_a_huge_site_are_refused_naming_the_keys() -> None:
    # 0.001 kW machines, no racks, a 3e6 MW site: 2.4e12 units fit; HiGHS said
    # "optimal, objective 0, nothing bought" and the checker passed.
    doc = toy()
    for h in doc["hardware"]:
        h["power_kw"], h["rack_positions"] = 0.001, 0
    doc["site"]["power_mw"] = 3e6
    with pytest.raises(InputError) as err:
        optimizer.solve(doc)
    problems = err.value.problems
    assert any(p.startswith("hardware[0]") and "power_kw" in p for p in problems), problems
    assert all("site.power_mw" in p for p in problems)


def test_a_tier_utilization_of_1e_8_is_refused_naming_the_key() -> None:
    # a = tok/s * gpus * 1e-8 * 31,536,000 / 1e6 Mtok per unit: below HiGHS's 1e-9 once
    # in model units (Tok = 1e6 Mtok), so HiGHS dropped it and the objective was 0.
    doc = toy()
    for t in doc["tiers"]:
        t["utilization"] = 1e-8
    with pytest.raises(InputError) as err:
        optimizer.solve(doc)
    assert any(p.startswith("tiers[1].utilization:") for p in err.value.problems)


def test_sane_extremes_still_solve() -> None:
    # A 3e6 MW site with ordinary machines is fine: power is not what binds (land is).
    doc = toy()
    doc["site"]["power_mw"] = 3e6
    plan = optimizer.solve(doc)
    assert plan.status == "optimal" and plan.objective_usd > TOY_OPTIMUM


# ------------------------------------------------------------ the checker's floor
def _zero_plan(plan: optimizer.Plan) -> optimizer.Plan:
    zero = copy.copy(plan)
    zero.buy = plan.buy.iloc[0:0]
    zero.serve = plan.serve.iloc[0:0]
    zero.sold = plan.sold.assign(mtok=0.0, revenue_usd=0.0, power_share=0.0)
    zero.installed = plan.installed.assign(units=0)
    zero.objective_usd = zero.best_bound_usd = zero.revenue_usd = 0.0
    zero.capex_usd = zero.energy_usd = 0.0
    return zero


def test_the_checker_fails_a_zero_plan_claimed_optimal() -> None:
    plan = optimizer.solve(REPO / "instances" / "toy.yaml", marginals=False)
    zero = _zero_plan(plan)
    report = verify_plan(REPO / "instances" / "toy.yaml", zero)
    # Feasible (nothing is broken), but buying one more unit earns money: not optimal.
    assert report.families == {"unused value"}, report.problems
    # The true optimum passes: no one-unit step beats its bound.
    assert verify_plan(REPO / "instances" / "toy.yaml", plan).ok


def test_the_floor_respects_power_shares_and_lots() -> None:
    # A micro instance whose only tier needs min_power_share 1 and a lot of 3 units:
    # the step buys the whole lot and serves that tier.
    doc = base(power_mw=1.0)
    doc["hardware"][0]["min_units"] = 3
    doc["tiers"][0]["min_power_share"] = 1.0
    plan = optimizer.solve(doc, marginals=False)
    assert plan.status == "optimal"
    assert verify_plan(doc, plan).ok
    report = verify_plan(doc, _zero_plan(plan))
    assert report.by_family("unused value"), report.problems
    assert "buy 3 g1" in report.by_family("unused value")[0]


def test_a_time_limited_plan_is_not_held_to_the_floor() -> None:
    plan = optimizer.solve(REPO / "instances" / "toy.yaml", marginals=False)
    zero = _zero_plan(plan)
    zero.status = "time_limit"
    assert verify_plan(REPO / "instances" / "toy.yaml", zero).ok


# ------------------------------------------------------------------ SolveOptions
def test_solve_options_are_one_object_for_every_entry_point() -> None:
    inst = load_instance(REPO / "instances" / "toy.yaml")
    opts = SolveOptions(objective="revenue", mip_gap=1e-6, marginals=False)
    a = Planner(inst, opts).solve()
    b = optimizer.solve(inst, opts)
    c = Planner(inst, opts.but(objective=None)).solve()  # the instance's own objective
    for plan in (a, b, c):
        assert plan.objective_usd == pytest.approx(TOY_OPTIMUM, rel=1e-9)
        assert plan.marginal_values.empty
    with pytest.raises(ValueError, match="time_limit"):
        SolveOptions(time_limit=float("inf"))
    with pytest.raises(ValueError, match="objective"):
        SolveOptions(objective="loss")  # type: ignore[arg-type]


def test_the_time_limit_bounds_the_whole_solve_and_says_what_was_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A deadline that passes during the MILP skips the check and the marginal values,
    and says so (before: each step had the full limit again)."""
    planner_mod = importlib.import_module("optimizer.planning.planner")

    inst = load_instance(REPO / "instances" / "toy.yaml")
    planner = Planner(inst, SolveOptions(time_limit=0.5))
    real_extract = planner_mod.extract_solution

    def slow_extract(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.6)  # the deadline passes after the MILP
        return real_extract(*args, **kwargs)

    monkeypatch.setattr(planner_mod, "extract_solution", slow_extract)
    plan = planner.solve()
    assert plan.skipped == ["verify: deadline", "marginal_values: deadline"]
    assert not plan.verified and plan.marginal_values.empty
    assert plan.to_dict()["skipped"] == plan.skipped
    monkeypatch.setattr(planner_mod, "extract_solution", real_extract)
    plan = planner.solve()  # a fresh deadline per solve
    assert plan.skipped == [] and plan.verified and not plan.marginal_values.empty


def test_the_marginal_lp_reuses_the_solved_model_and_restores_it(tmp_path: Path) -> None:
    inst = load_instance(REPO / "instances" / "toy.yaml")
    planner = Planner(inst)
    first = planner.solve()
    second = planner.solve()  # the MILP again, after the LP changed the HiGHS model
    assert second.objective_usd == pytest.approx(first.objective_usd, rel=1e-9)
    assert second.buy.equals(first.buy)
    pd.testing.assert_frame_equal(first.marginal_values, second.marginal_values)
    power = first.marginal_values.set_index("resource").loc["power"]
    assert float(power["usd_per_unit"]) > 0
