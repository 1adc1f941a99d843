"""StochasticOptions: the two-stage knobs beside one SolveOptions, with per-call overrides."""

from __future__ import annotations

import pytest

from optimizer.solver.options import SolveOptions
from optimizer.stochastic import StochasticOptions
from optimizer.stochastic.options import stochastic_options


def test_overrides_route_solver_fields_to_solve_and_never_mutate() -> None:
    opts = StochasticOptions(method="ph", solve=SolveOptions(mip_gap=1e-3))
    changed = opts.but(mip_gap=0, time_limit=30, ph_iterations=5, first_stage=[2026, 2027])
    assert changed == StochasticOptions(
        method="ph",
        ph_iterations=5,
        first_stage=(2026, 2027),
        solve=SolveOptions(mip_gap=0, time_limit=30),
    )
    assert opts == StochasticOptions(method="ph", solve=SolveOptions(mip_gap=1e-3))
    assert changed.replan_options() == SolveOptions(mip_gap=0, time_limit=30, marginals=False)
    with pytest.raises(TypeError, match="ph_iteration"):
        opts.but(ph_iteration=5)
    with pytest.raises(ValueError, match="ph_iterations"):
        opts.but(ph_iterations=0)


def test_a_plain_solve_options_is_taken_as_the_solve_part() -> None:
    assert stochastic_options(SolveOptions(mip_gap=0), {"method": "ph"}) == StochasticOptions(
        method="ph", solve=SolveOptions(mip_gap=0)
    )
    assert stochastic_options(None, {}) == StochasticOptions()


def test_solve_with_an_options_object_gives_the_hand_derived_purchase() -> None:
    """docs/embedding.md's rack: 1,000 tok/s x 72 GPUs = 2,270,592 Mtok a year at $2 is
    $4.54M for $3M of capex. Demand is 5 racks' worth ("slow") or 10 ("fast"), half and
    half: racks 6-10 earn $4.54M half the time, $2.27M expected < $3M, so buy 5."""
    from optimizer.stochastic import solve

    rows = [
        {
            "hardware": "rack",
            "model": "m",
            "context_tokens": 8192,
            "interactivity": i,
            "tok_s_per_gpu": t,
        }
        for i, t in ((20, 1500), (50, 1000), (100, 500))
    ]
    doc = {
        "name": "rack",
        "objective": "profit",
        "site": {"power_mw": 1.2, "pue": 1.2, "rack_positions": 20},
        "hardware": [{"id": "rack", "gpus_per_unit": 72, "power_kw": 100, "capex_usd": 3e6}],
        "tiers": [
            {
                "id": "paid",
                "model": "m",
                "context_tokens": 8192,
                "price_usd_per_mtok": 2.0,
                "min_interactivity": 50,
                "demand_mtok": 1,
            }
        ],
        "frontiers": rows,
    }
    scenarios = [
        {"scenario": "slow", "probability": 0.5, "tiers[paid].demand_mtok": 5 * 2_270_592},
        {"scenario": "fast", "probability": 0.5, "tiers[paid].demand_mtok": 10 * 2_270_592},
    ]
    opts = StochasticOptions(solve=SolveOptions(mip_gap=0))
    two = solve(doc, scenarios, opts)
    assert two.first_stage_units() == {("rack", 1): 5}
    assert solve(doc, scenarios, mip_gap=0).first_stage_units() == {("rack", 1): 5}
