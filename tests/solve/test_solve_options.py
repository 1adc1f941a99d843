"""One options object: SolveOptions, per-call overrides, and the deprecated keywords.

The instance is conftest's ``base()``: one hardware g1 (1 GPU, 1 kW, one rack position,
no capex), one tier at $1/Mtok served at 1,000 tok/s per GPU, 10 rack positions, 1 MW.
By hand: racks bind at 10 units; each unit sells 1,000 tok/s x 31,536,000 s = 31,536 Mtok
a year at $1, so the optimum is 10 x 31,536 = $315,360 and one more rack position is worth
$31,536 (power, 1,000 units' worth, does not bind: $0).
"""

from __future__ import annotations

import warnings

import pytest

from optimizer import Planner, SolveOptions, load_instance, solve
from optimizer.solver.options import with_overrides

from conftest import MTOK_PER_UNIT_YEAR, base

OPTIMUM = 10 * MTOK_PER_UNIT_YEAR * 1.0  # $315,360


def _land_value(plan: object) -> float:
    mv = plan.marginal_values  # type: ignore[attr-defined]
    return float(mv.loc[mv["resource"] == "land", "usd_per_unit"].iloc[0])


def test_but_and_overrides_copy_and_never_change_the_original() -> None:
    opts = SolveOptions(time_limit=30, mip_gap=1e-6)
    quick = opts.but(marginals=False)
    assert quick == SolveOptions(time_limit=30, mip_gap=1e-6, marginals=False)
    assert opts.marginals is True  # frozen: the original is untouched
    assert with_overrides(opts, {"time_limit": 5}) == opts.but(time_limit=5)
    assert with_overrides(None, {}) == SolveOptions()
    assert with_overrides(opts, {}) is opts
    with pytest.raises(TypeError, match="time_limt"):
        with_overrides(opts, {"time_limt": 5})
    with pytest.raises(ValueError, match="mip_gap"):
        opts.but(mip_gap=-1)


def test_planner_solve_overrides_one_call_only() -> None:
    """marginals=False for one call: no prices then, and the planner's next solve has them."""
    planner = Planner(load_instance(base()), SolveOptions(mip_gap=0))
    before = planner.options
    once = planner.solve(marginals=False)
    assert once.objective_usd == pytest.approx(OPTIMUM)
    assert once.marginal_values.empty
    assert planner.options == before
    again = planner.solve()
    assert again.objective_usd == pytest.approx(OPTIMUM)
    assert _land_value(again) == pytest.approx(MTOK_PER_UNIT_YEAR)
    # A session option asked for one call (here the strategy) gives the same optimum.
    assert planner.solve(strategy="milp").objective_usd == pytest.approx(OPTIMUM)
    assert planner.solve(planner.options.but(verify=False)).verified is False
    assert planner.solve().verified is True


def test_the_objective_is_fixed_when_the_planner_is_built() -> None:
    planner = Planner(load_instance(base()))
    with pytest.raises(ValueError, match="objective"):
        planner.solve(objective="profit")


def test_solve_takes_options_and_keyword_overrides_without_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        a = solve(base(), SolveOptions(marginals=False), mip_gap=0)
        b = solve(base(), mip_gap=0, marginals=False)
    assert a.objective_usd == b.objective_usd == pytest.approx(OPTIMUM)
    assert a.marginal_values.empty and b.marginal_values.empty


def test_old_planner_keywords_warn_and_still_work() -> None:
    inst = load_instance(base())
    with pytest.warns(DeprecationWarning, match=r"Planner\(marginals=.*SolveOptions"):
        planner = Planner(inst, marginals=False, mip_gap=0)
    assert planner.options == SolveOptions(marginals=False, mip_gap=0)
    plan = planner.solve()
    assert plan.objective_usd == pytest.approx(OPTIMUM) and plan.marginal_values.empty
    with pytest.warns(DeprecationWarning, match="deadline"):
        old = planner.solve(10**12)  # the deadline, positionally, as before
    assert old.objective_usd == pytest.approx(OPTIMUM)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        Planner(inst, SolveOptions(marginals=False))  # the new form: no warning
