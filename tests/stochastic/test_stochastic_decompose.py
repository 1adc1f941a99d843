"""The EF's scenario-by-scenario proof (optimizer.stochastic.decompose) is exact.

Unit of account (conftest): one g1 unit makes A = 31,536 Mtok per year, draws 1 kW and
takes one rack position. Capacity x units sells up to x * A Mtok.
"""

from __future__ import annotations

import logging
import random
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from optimizer.stochastic import solve
from optimizer.stochastic.ef import open_ended

from conftest import MTOK_PER_UNIT_YEAR, base, menu_two_stage_instance, run_cli

A = MTOK_PER_UNIT_YEAR
PROOF = "Lagrangian decomposition"


def menu_newsvendor(capex_per_a: float) -> dict[str, Any]:
    """One period, g1 at capex_per_a * A USD a unit, tier t lists $2 or $1 a Mtok."""
    doc = base(power_mw=1.0, rack_positions=1000)
    doc["objective"] = "profit"
    doc["hardware"][0]["capex_usd"] = capex_per_a * A
    tier = doc["tiers"][0]
    del tier["price_usd_per_mtok"]
    tier["price_menu"] = [
        {"price_usd_per_mtok": 2.0, "demand_mtok": 50 * A},
        {"price_usd_per_mtok": 1.0, "demand_mtok": 150 * A},
    ]
    return doc


# low: $2 sells 50 A, $1 sells 150 A; high: twice as much at each price.
MENU_LOW_HIGH = pd.DataFrame(
    {
        "scenario": ["low", "high"],
        "probability": [0.5, 0.5],
        "tiers[t].price_menu[0].demand_mtok": [50 * A, 100 * A],
        "tiers[t].price_menu[1].demand_mtok": [150 * A, 300 * A],
    }
)


@pytest.mark.parametrize("decompose", [True, False])
def test_menu_newsvendor_hand_optimum_when_the_rounded_lp_is_not_optimal(
    decompose: bool,
) -> None:
    # Revenue of capacity x (in units of A): low max(2 min(x,50), min(x,150)), high
    # max(2 min(x,100), min(x,300)). At capex 1.2 A a unit, expected profit is
    # 2x - 1.2x up to x = 50 (40 A), then 50 + x - 1.2x (falling), and below 0 from x = 150
    # on: buy 50, profit 40 A = 1,261,440 USD in both scenarios (each lists $2).
    # The LP relaxation mixes menu entries (concave hull: slope 1.25 > 1.2 on 50..100) and
    # buys 100, worth only 150 - 120 = 30 A: the proof fails and the EF MILP decides.
    r = solve(menu_newsvendor(1.2), MENU_LOW_HIGH, mip_gap=1e-6, ef_decompose=decompose)
    assert r.status == "optimal"
    assert r.first_stage_units() == {("g1", 1): 50}
    assert r.objective_usd == pytest.approx(40 * A, rel=1e-6)
    assert PROOF not in r.stopped_because
    if decompose:
        # LP: 0.5 (100 + 0.5 * 50) + 0.5 * 200 - 120 = 42.5 A at x = 100; the blocks'
        # first incumbent is x = 100 re-planned (30 A); the ones the Lagrangian blocks
        # suggest (x = 75: 0.5 (100 + 150) - 90 = 35 A) can only be better, never above the
        # optimum 40 A; their bound lies between 40 A and 42.5 A.
        proof = r.to_dict()["ef_block_proof"]
        assert proof["lp_bound_usd"] == pytest.approx(42.5 * A, rel=1e-9)
        assert 30 * A * (1 - 1e-9) <= proof["objective_usd"] <= 40 * A * (1 + 1e-9)
        assert 40 * A * (1 - 1e-9) <= proof["bound_usd"] <= 42.5 * A * (1 + 1e-9)


def test_an_ef_milp_left_without_a_time_limit_is_announced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The first menu newsvendor's blocks leave the gap open (above): with no time limit the
    # EF MILP that decides next may run for hours on a large program, so the run says so,
    # with the gap the blocks proved and the two ways out; with a time limit, nothing.
    with caplog.at_level(logging.WARNING, logger="optimizer.stochastic"):
        r = solve(menu_newsvendor(1.2), MENU_LOW_HIGH, mip_gap=1e-6)
    notes = [x.getMessage() for x in caplog.records if x.name == "optimizer.stochastic"]
    proof = r.to_dict()["ef_block_proof"]
    assert proof["gap"] > 1e-6
    assert len(notes) == 1, notes
    assert f"gap of {proof['gap']:.2e}, above --mip-gap 1e-06" in notes[0]
    assert "no time limit" in notes[0] and "--time-limit SECONDS" in notes[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="optimizer.stochastic"):
        solve(menu_newsvendor(1.2), MENU_LOW_HIGH, mip_gap=1e-6, time_limit=120)
    assert not [x for x in caplog.records if x.name == "optimizer.stochastic"]


@pytest.mark.parametrize(
    ("gap", "accepted"), [(1.27e-3, "0.0013"), (1.2e-3, "0.0012"), (9.37e-4, "0.00094")]
)
def test_the_gap_offered_is_the_blocks_gap_rounded_up(gap: float, accepted: str) -> None:
    message = open_ended(gap, 1e-4)
    assert f"--mip-gap {accepted} accepts" in message
    assert float(accepted) >= gap


def test_the_command_line_prints_the_notice_unless_quiet(tmp_path: Path) -> None:
    (tmp_path / "i.yaml").write_text(yaml.safe_dump(menu_newsvendor(1.2)))
    MENU_LOW_HIGH.to_csv(tmp_path / "s.csv", index=False)
    args = ["stochastic", "i.yaml", "--scenarios", "s.csv", "--mip-gap", "1e-6", "--no-write"]
    loud = run_cli(args, tmp_path)
    quiet = run_cli([*args, "--quiet"], tmp_path)
    assert loud.returncode == quiet.returncode == 0, loud.stderr + quiet.stderr
    notes = [ln for ln in loud.stderr.splitlines() if ln.startswith("note: ")]
    assert len(notes) == 1 and "the scenario blocks proved a gap of" in notes[0], loud.stderr
    assert "note:" not in quiet.stderr


# high: three times low's demand at each price, so both scenarios' menus break at x = 150.
MENU_LOW_HIGH_ALIGNED = MENU_LOW_HIGH.assign(
    **{
        "tiers[t].price_menu[0].demand_mtok": [50 * A, 150 * A],
        "tiers[t].price_menu[1].demand_mtok": [150 * A, 450 * A],
    }
)


@pytest.mark.parametrize("decompose", [True, False])
def test_menu_newsvendor_hand_optimum_proved_by_blocks(decompose: bool) -> None:
    # low: max(2 min(x,50), min(x,150)); high: max(2 min(x,150), min(x,450)). At capex
    # 0.4 A a unit the LP hull's expected slope is 2 up to 50, 0.5 * 0.5 + 0.5 * 2 = 1.25 on
    # 50..150, 0.25 beyond (< 0.4): the LP buys 150, where each hull meets its menu point
    # (low $1 x 150, high $2 x 150). So the LP bound 0.5 * 150 + 0.5 * 300 - 60 = 165 A is
    # reached by an integer plan: buy 150, 165 A = 5,203,440 USD, and the blocks prove it.
    r = solve(menu_newsvendor(0.4), MENU_LOW_HIGH_ALIGNED, mip_gap=1e-6, ef_decompose=decompose)
    assert r.status == "optimal"
    assert r.first_stage_units() == {("g1", 1): 150}
    assert r.objective_usd == pytest.approx(165 * A, rel=1e-6)
    assert (PROOF in r.stopped_because) == decompose
    if decompose:
        proof = r.to_dict()["ef_block_proof"]
        assert proof["lp_bound_usd"] == pytest.approx(165 * A, rel=1e-9)
        assert r.bound_usd == pytest.approx(165 * A, rel=1e-6)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("gap", [1e-6, 1e-3])  # at 1e-3 the blocks prove seed 2 alone
def test_blocks_and_the_ef_milp_agree_on_menu_instances(seed: int, gap: float) -> None:
    doc, table = menu_two_stage_instance(random.Random(seed))
    on = solve(doc, table, mip_gap=gap, ef_decompose=True)
    off = solve(doc, table, mip_gap=gap, ef_decompose=False)
    assert on.status == off.status == "optimal"
    assert on.objective_usd is not None and off.objective_usd is not None
    assert on.objective_usd == pytest.approx(off.objective_usd, rel=2 * gap)
    assert on.mip_gap is not None and on.mip_gap <= gap
    # Each reported bound is a bound on the other run's solution too.
    assert on.bound_usd is not None and off.bound_usd is not None
    assert on.bound_usd >= off.objective_usd * (1 - 1e-9)
    assert off.bound_usd >= on.objective_usd * (1 - 1e-9)
    assert on.first_stage_identical


@pytest.mark.parametrize(
    ("runs_in_time", "message"),
    [
        (1, "a scenario block did not find a plan in time"),  # the LP only
        (3, "a scenario block of the Lagrangian bound did not solve in time"),  # + incumbent
    ],
)
def test_blocks_out_of_time_leave_the_ef_milp_to_decide(
    monkeypatch: pytest.MonkeyPatch, runs_in_time: int, message: str
) -> None:
    # The proof's HiGHS runs get no time from the (runs_in_time + 1)-th on: the proof stops
    # with its reason, the EF MILP decides, and the hand optimum of the first menu
    # newsvendor (buy 50, 40 A) comes back all the same.
    from optimizer.stochastic import decompose

    runs = [0]

    def seconds_left(deadline: float | None) -> float | None:
        runs[0] += 1
        return None if runs[0] <= runs_in_time else 0.0

    monkeypatch.setattr(decompose, "_seconds_left", seconds_left)
    r = solve(menu_newsvendor(1.2), MENU_LOW_HIGH, mip_gap=1e-6)
    assert runs[0] == runs_in_time + 1  # the proof stopped at the first run out of time
    assert r.status == "optimal"
    assert r.first_stage_units() == {("g1", 1): 50}
    assert r.objective_usd == pytest.approx(40 * A, rel=1e-6)
    assert PROOF not in r.stopped_because
    assert r.to_dict()["ef_block_proof"]["message"] == message


def test_the_blocks_lagrangian_first_stages_averaged_by_probability_then_rounded() -> None:
    """Two blocks whose first stages (2 integers each) sit in EF columns 0-1 and 2-3, with
    probabilities 0.25 and 0.75, chose (4, 0) and (8, 2): the mean is (7, 1.5) in both
    blocks' columns; rounded (to even on .5, inside the bounds 0..6) it is (6, 2)."""
    import highspy
    import numpy as np

    from optimizer.stochastic.decompose import _mean_first_stage, _rounded, _Split

    lp = highspy.HighsLp()
    lp.num_col_ = 4
    lp.col_lower_ = np.zeros(4)
    lp.col_upper_ = np.full(4, 6.0)
    split = _Split(
        lp=lp,
        matrix=None,
        block_cols=[np.array([0, 1]), np.array([2, 3])],
        block_rows=[np.array([], dtype=int)] * 2,
        na_rows=np.array([], dtype=int),
        first_cols=np.array([0, 1, 2, 3]),
        integer=np.array([True] * 4),
        first_by_block=np.array([[0, 1], [2, 3]]),
        probabilities=np.array([0.25, 0.75]),
    )
    mean = _mean_first_stage(split, np.array([4.0, 0.0, 8.0, 2.0]))
    assert list(mean) == [7.0, 1.5, 7.0, 1.5]
    assert list(_rounded(split, mean)) == [6.0, 2.0, 6.0, 2.0]


@pytest.mark.parametrize("ef_branch", [False, True])
def test_first_stage_branching_proves_the_menu_newsvendor(ef_branch: bool) -> None:
    # The first menu newsvendor (hand optimum: buy 50, 40 A; LP 42.5 A at x = 100). Each
    # scenario's value is not concave in x (low: 0.8x up to 50, then 0.2 a unit less; high:
    # 0.8x up to 100, then -0.2), so no multipliers close the gap: branching on x does (a box
    # x <= k has its own Lagrangian bound), and the blocks prove the optimum alone. Without
    # the option (the default) the EF MILP proves it instead.
    r = solve(menu_newsvendor(1.2), MENU_LOW_HIGH, mip_gap=1e-6, ef_branch=ef_branch)
    assert r.status == "optimal"
    assert r.first_stage_units() == {("g1", 1): 50}
    assert r.objective_usd == pytest.approx(40 * A, rel=1e-6)
    assert (PROOF in r.stopped_because) == ef_branch
    if ef_branch:
        proof = r.to_dict()["ef_block_proof"]
        assert proof["lp_bound_usd"] == pytest.approx(42.5 * A, rel=1e-9)
        assert proof["objective_usd"] == pytest.approx(40 * A, rel=1e-9)
        # A bound: never below the optimum, and within the target of it.
        assert 40 * A * (1 - 1e-9) <= proof["bound_usd"] <= 40 * A * (1 + 1e-6)


def test_the_branching_variable_is_the_one_the_blocks_disagree_on_most() -> None:
    """Blocks of probability 0.25 and 0.75 chose first stages (4, 1, 7) and (8, 1, 6):
    weighted variances 0.25 * 0.75 * (8 - 4)^2 = 3, 0 and 0.25 * 0.75 * 1 = 0.1875, so the
    branch is on the first variable; with its box already a single value (lo = hi) the
    third; when the blocks agree on every variable there is nothing to split (None)."""
    import numpy as np

    from optimizer.stochastic.branch import _branching_variable
    from optimizer.stochastic.decompose import _Split

    split = _Split(
        lp=None,
        matrix=None,
        block_cols=[np.array([0, 1, 2]), np.array([3, 4, 5])],
        block_rows=[np.array([], dtype=int)] * 2,
        na_rows=np.array([], dtype=int),
        first_cols=np.arange(6),
        integer=np.array([True] * 6),
        first_by_block=np.array([[0, 1, 2], [3, 4, 5]]),
        probabilities=np.array([0.25, 0.75]),
    )
    x = np.array([4.0, 1.0, 7.0, 8.0, 1.0, 6.0])
    lo, hi = np.zeros(3), np.full(3, 10.0)
    assert _branching_variable(split, x, lo, hi) == 0
    assert _branching_variable(split, x, np.array([5.0, 0, 0]), np.array([5.0, 10, 10])) == 2
    same = np.array([4.0, 1.0, 7.0, 4.0, 1.0, 7.0])
    assert _branching_variable(split, same, lo, hi) is None


def test_the_grouped_lagrangian_of_the_bounds_benchmark_is_a_bound(tmp_path: Path) -> None:
    """benchmarks/stochastic_bounds.py's grouped bound (docs/stochastic.md quotes it), on the
    first menu newsvendor (optimum 40 A, LP 42.5 A): one group holding both scenarios is the
    EF itself (the multipliers' prices cancel over its equal first stages), so it bounds at
    the optimum; one group per scenario is the Lagrangian bound, between the two."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        from stochastic_bounds import group_lagrangian, loaded_ef
    finally:
        sys.path.pop(0)
    import numpy as np

    from optimizer.stochastic import decompose as d

    (tmp_path / "i.yaml").write_text(yaml.safe_dump(menu_newsvendor(1.2)))
    MENU_LOW_HIGH.to_csv(tmp_path / "s.csv", index=False)
    split = d._split(loaded_ef(tmp_path / "i.yaml", tmp_path / "s.csv"))
    assert split is not None
    h, _ = d._relaxation(split, None)
    y_na = np.asarray(h.getSolution().row_dual)[split.na_rows]
    b_na = np.asarray(split.lp.row_lower_)[split.na_rows]
    priced = split.matrix[split.na_rows, :].T @ y_na
    usd = 1e6  # the EF's objective is in $M
    whole = group_lagrangian(split, priced, b_na, y_na, 2, 1e-9) * usd
    alone = group_lagrangian(split, priced, b_na, y_na, 1, 1e-9) * usd
    assert whole == pytest.approx(40 * A, rel=1e-6)
    assert 40 * A * (1 - 1e-6) <= alone <= 42.5 * A * (1 + 1e-6)
