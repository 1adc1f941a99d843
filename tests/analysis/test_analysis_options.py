"""compare, compare_instances and solve_with_purchases take SolveOptions and leave the
planners they use as they found them.

Instance: conftest's ``base()`` (see tests/solve/test_solve_options.py): 10 units of g1
bind the 10 rack positions; optimum 10 x 31,536 Mtok x $1 = $315,360, and one more rack
position is worth $31,536.
"""

from __future__ import annotations

import pytest

from optimizer import Planner, SolveOptions, load_instance
from optimizer.analysis.compare import compare, greedy_purchases
from optimizer.analysis.compare_two import compare_instances
from optimizer.planning.planner import solve_with_purchases

from conftest import MTOK_PER_UNIT_YEAR, base

OPTIMUM = 10 * MTOK_PER_UNIT_YEAR


def test_a_planner_after_a_fixed_purchase_solve_is_a_fresh_one() -> None:
    """Evaluating 4 units (buys fixed) neither keeps them fixed nor turns marginal values off."""
    inst = load_instance(base())
    planner = Planner(inst, SolveOptions(mip_gap=0))
    fixed = solve_with_purchases(planner, {("g1", 1): 4})
    assert fixed.objective_usd == pytest.approx(4 * MTOK_PER_UNIT_YEAR)
    assert fixed.marginal_values.empty
    after = planner.solve()
    fresh = Planner(inst, SolveOptions(mip_gap=0)).solve()
    assert after.objective_usd == fresh.objective_usd == pytest.approx(OPTIMUM)
    assert after.buy.to_dict("records") == fresh.buy.to_dict("records")
    assert after.marginal_values.to_dict("records") == fresh.marginal_values.to_dict("records")
    assert planner.options == SolveOptions(mip_gap=0)
    assert greedy_purchases(planner) == {("g1", 1): 10}


def test_compare_takes_options_and_overrides() -> None:
    inst = load_instance(base())
    opts = SolveOptions(mip_gap=0)
    result = compare(inst, opts, time_limit=60)
    assert opts == SolveOptions(mip_gap=0)
    table = result.table.set_index("plan")
    assert table.loc["optimal", "objective_usd"] == pytest.approx(OPTIMUM)
    assert table.loc["greedy", "objective_usd"] == pytest.approx(OPTIMUM)
    assert all(p.marginal_values.empty for p in result.plans.values())  # never priced here
    with pytest.raises(TypeError):
        compare(inst, opts, mip_gpa=0)


def test_compare_instances_solves_both_with_the_same_options() -> None:
    a = load_instance(base())
    b = load_instance({**base(), "name": "b", "site": {"power_mw": 1.0, "rack_positions": 5}})
    two = compare_instances(a, b, SolveOptions(mip_gap=0))
    pa, pb = two.plans
    assert pa.objective_usd == pytest.approx(OPTIMUM)
    assert pb.objective_usd == pytest.approx(5 * MTOK_PER_UNIT_YEAR)
    summary = two.summary.set_index("figure")
    assert summary.loc["objective_usd", "b_minus_a"] == pytest.approx(-5 * MTOK_PER_UNIT_YEAR)


def test_sensitivity_passes_overrides_to_every_solve() -> None:
    """Rack positions 10 -> 9 and 11 (delta 10%): 9 and 11 units sell, a swing of
    2 x 31,536 = $63,072; the base row is the optimum."""
    from optimizer.analysis.sensitivity import sensitivity

    result = sensitivity(load_instance(base()), 0.1, workers=1, mip_gap=0, marginals=False)
    assert result.base_objective_usd == pytest.approx(OPTIMUM)
    row = result.table.set_index("input").loc["site.rack_positions"]
    assert row["objective_low_usd"] == pytest.approx(9 * MTOK_PER_UNIT_YEAR)
    assert row["objective_high_usd"] == pytest.approx(11 * MTOK_PER_UNIT_YEAR)
    assert row["swing_usd"] == pytest.approx(2 * MTOK_PER_UNIT_YEAR)
    with pytest.raises(TypeError):
        sensitivity(load_instance(base()), 0.1, workers=1, mip_gpa=0)
