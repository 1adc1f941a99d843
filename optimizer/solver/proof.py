"""The proof half of the certified strategy: narrowing the purchase domains before HiGHS
branches, and the options it branches with (see docs/model.md, "Solve strategy").

:func:`tighten_by_reduced_cost` solves the LP relaxation (every integer column continuous)
and, from its duals, bounds how far each purchase count can move from the LP's value in
any plan at least as good as the incumbent. The bound is recomputed here from the model's
own numbers (a Lagrangian bound), so it holds whatever duals HiGHS returned: a plan that
breaks a narrowed domain is worth less than the incumbent, and HiGHS's bound on the
narrowed model, or the incumbent, whichever is larger, bounds the model's optimum.
"""

from __future__ import annotations

from typing import Any

import highspy
import numpy as np

from optimizer.solver.rounding import matrix_entries

# HiGHS options for the final branch, measured on the 1 GW reference and on 20 sweep
# scenarios of it (HiGHS 1.16): a restart after root presolve repeats the root's cut loop
# on a model barely smaller, ~2/3 of the branch's time from any start. The other options
# depend on how close the start is to the bound. Far (a repaired plan 8e-4 below it):
# RINS finds the plans that close the gap (without it one scenario took 4,965 nodes and
# 10 s instead of 1 node and 1 s); RENS costs time and found nothing RINS did not. Close
# (the start within CLOSE_START gaps of the bound): the sub-MIP heuristics (RINS, RENS,
# root reduced cost) only re-find it, and the reference's proof takes 0.2 s instead of
# 0.6 s without them. Restored after the run.
BRANCH_OPTIONS: dict[str, Any] = {
    "mip_allow_restart": False,
    "mip_heuristic_run_rins": True,
    "mip_heuristic_run_rens": False,
}
CLOSE_OPTIONS: dict[str, Any] = {
    "mip_allow_restart": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
}
# A start within this many relative gaps of the bound counts as close.
CLOSE_START = 3.0
# Node limit of the branch from a close start (heuristics off); past it the branch runs
# again with BRANCH_OPTIONS from the best plan. Measured on 100 sweep scenarios of the
# reference: the slowest close branches (2,478 nodes, 5.4 s) were starts ~3e-5 below
# plans RINS finds at once (2.1 s with it on); the sweep 32.6 s instead of 37.9 s on 2
# workers (100 nodes; 300: the slow rows ~0.5 s slower each; heuristics always on: the
# typical row slower, 20 scenarios 0.89 s each instead of 0.53 s).
CLOSE_NODES = 100

# The relaxation (purchases continuous, a MIP in its binaries): the same restart, measured
# ~40% of its time on the reference.
RELAXATION_OPTIONS: dict[str, Any] = {"mip_allow_restart": False}
# ... and when it starts from the LP-first phase's point (binaries rounded and held,
# purchases continuous): the root reduced-cost sub-MIP only searches for a plan as good,
# ~2/3 of the relaxation's time on 20 sweep scenarios of the reference (0.33 s -> 0.10 s
# each; with no start, HiGHS needs it to find the plan that closes the MIP).
RELAXATION_STARTED_OPTIONS: dict[str, Any] = {"mip_heuristic_run_root_reduced_cost": False}

# A purchase's narrowed domain keeps this much of a unit beyond the exact limit (LP
# round-off): it never removes a plan as good as the incumbent.
ROUNDING = 1e-6
ROUND_OFF = 1e-12  # relative round-off of a reduced cost computed here


def lagrangian_bound(lp: Any, y: np.ndarray, sign: float) -> tuple[float, np.ndarray]:
    """An upper bound on ``sign`` x the objective over the box of ``lp`` (its column bounds
    and row ranges) from any row multipliers ``y``, and each column's reduced cost
    ``sign * (c - A'y)``: for every x in the box, sign * (c'x + offset) = sign * y'Ax +
    sum_j d_j x_j + sign * offset, each term at most its largest value over its range.
    Infinite when a multiplier or reduced cost meets an infinite range."""
    cost = np.asarray(lp.col_cost_, dtype=float)
    lower = np.asarray(lp.col_lower_, dtype=float)
    upper = np.asarray(lp.col_upper_, dtype=float)
    row_lower = np.asarray(lp.row_lower_, dtype=float)
    row_upper = np.asarray(lp.row_upper_, dtype=float)
    rows, cols, value = matrix_entries(lp)
    n = len(cost)
    aty = np.bincount(cols, weights=value * y[rows], minlength=n)
    size = np.abs(cost) + np.bincount(cols, weights=np.abs(value * y[rows]), minlength=n)
    d = sign * (cost - aty)
    # A reduced cost within the round-off of its own sum is 0 (else a column with an
    # infinite bound and a reduced cost of 1e-15 would make every bound infinite).
    d[np.abs(d) <= ROUND_OFF * size] = 0.0
    sy = sign * y
    total = sign * float(lp.offset_)
    for coef, lo, up in ((sy, row_lower, row_upper), (d, lower, upper)):
        # The larger of coef * lo and coef * up; a zero coefficient contributes 0 even
        # against an infinite bound.
        live = coef != 0.0
        if not np.all(np.isfinite(np.where(coef > 0, up, lo)[live])):
            return float("inf"), d
        total += float(np.sum(np.maximum(coef[live] * lo[live], coef[live] * up[live])))
    return total, d


def tighten_by_reduced_cost(
    highs: Any, cols: np.ndarray, sign: float, value: float, start: np.ndarray
) -> int:
    """Narrow the bounds of the integer columns ``cols`` to what a plan worth at least
    ``value`` (signed, larger is better) can use; ``start`` (such a plan) is kept inside.
    Solves the LP relaxation in ``highs`` and restores its integrality; returns how many
    columns were narrowed (0 when the LP does not solve or its bound is infinite)."""
    lp = highs.getLp()
    integrality = np.array(lp.integrality_)
    every = np.arange(len(integrality), dtype=np.int32)
    highs.clearSolver()
    highs.changeColsIntegrality(
        len(every), every, np.full(len(every), highspy.HighsVarType.kContinuous)
    )
    try:
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return 0
        y = np.asarray(highs.getSolution().row_dual, dtype=float)
    finally:
        highs.changeColsIntegrality(len(every), every, integrality)
        highs.clearSolver()
    bound, d = lagrangian_bound(lp, y, sign)
    if not np.isfinite(bound):
        return 0
    # Round-off in the sum: a slack a little larger than exact only keeps more plans.
    slack = bound - value + 1e-9 * max(abs(bound), abs(value), 1.0)
    if slack < 0:
        return 0  # the incumbent beats the bound: leave the proof to HiGHS
    lower = np.asarray(lp.col_lower_, dtype=float)[cols]
    upper = np.asarray(lp.col_upper_, dtype=float)[cols]
    dc = d[cols]
    new_lower, new_upper = lower.copy(), upper.copy()
    with np.errstate(divide="ignore"):
        reach = np.where(dc != 0.0, slack / np.abs(dc), np.inf)
    down = (dc < 0) & np.isfinite(lower)
    up = (dc > 0) & np.isfinite(upper)
    new_upper[down] = np.minimum(upper[down], np.floor(lower[down] + reach[down] + ROUNDING))
    new_lower[up] = np.maximum(lower[up], np.ceil(upper[up] - reach[up] - ROUNDING))
    kept = start[cols]
    new_upper = np.maximum(new_upper, np.ceil(kept - ROUNDING))
    new_lower = np.minimum(new_lower, np.floor(kept + ROUNDING))
    changed = (new_upper < upper) | (new_lower > lower)
    if changed.any():
        highs.changeColsBounds(
            int(changed.sum()), cols[changed], new_lower[changed], new_upper[changed]
        )
    return int(changed.sum())


def branch_options(close: bool) -> dict[str, Any]:
    """The options of the final branch; ``close``: its start is near the bound."""
    return dict(CLOSE_OPTIONS if close else BRANCH_OPTIONS)
