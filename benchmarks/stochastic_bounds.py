"""Where the two-stage reference's gap lies: the bounds the block proof can reach, and their cost.

    python benchmarks/stochastic_bounds.py                      # 27 reference scenarios
    python benchmarks/stochastic_bounds.py --group-size 0 --relaxed-seconds 0   # the quick part

On the extensive form (EF) of ``instances/gtc2026-1gw.yaml`` over its scenario file, built and
loaded as ``optimizer stochastic`` does, prints in $M (the EF's objective, maximised) and
seconds:

1. the EF's LP relaxation bound;
2. the incumbent of the block proof: the LP's first stage rounded, re-planned in every
   scenario block (one round of block MILPs, ``decompose._incumbent``);
3. the Lagrangian bound at the LP's multipliers, one block per scenario (one round of block
   MILPs, ``decompose._lagrangian``), and how far apart the blocks' own first stages are;
4. ``--group-size K``: the Lagrangian bound at the same multipliers with the scenarios in
   groups of K consecutive ones of the file, each group a small EF (its first stages kept
   equal inside it) solved by HiGHS: any grouping bounds the EF (the multipliers' prices sum
   to zero over every first-stage variable's copies), and larger groups bound tighter;
5. ``--relaxed-seconds S``: HiGHS on the EF with every unit count continuous except the
   first stage's (price-menu binaries kept), for S seconds: its dual bound also bounds the EF.

Each gap is read against the incumbent of 2. docs/stochastic.md quotes one run. The machine's
load moves the seconds, not the bounds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
INSTANCE = REPO / "instances" / "gtc2026-1gw.yaml"
SCENARIOS = REPO / "instances" / "gtc2026-1gw-scenarios.csv"


def loaded_ef(instance: Path, scenarios: Path) -> Any:
    """The EF built by mpi-sppy and loaded in HiGHS, as ``optimizer stochastic`` loads it."""
    from optimizer.frontiers.table import read_frontier_table
    from optimizer.instance.load import load_instance
    from optimizer.solver.highs import HighsSession
    from optimizer.stochastic.ef import build_ef, load_ef
    from optimizer.stochastic.model import ScenarioModels, first_stage_periods
    from optimizer.stochastic.scenarios import load_scenarios

    base = load_instance(instance)
    sc = load_scenarios(base, scenarios)
    models = ScenarioModels(
        scenarios=sc,
        first_periods=first_stage_periods(base, None),
        objective=None,
        cvar_alpha=None,
        risk_weight=0.0,
        table=read_frontier_table(base),
    )
    # Only loaded here (the blocks are solved apart): the session's options do not matter.
    return load_ef(HighsSession(), build_ef(models).ef, list(sc.names))


def group_lagrangian(
    split: Any, priced: np.ndarray, b_na: np.ndarray, y_na: np.ndarray, size: int, abs_gap: float
) -> float:
    """L(y) with the blocks in groups of ``size``: each group's MILP is its blocks' (as
    ``decompose._block`` cuts them, priced by ``priced``) plus rows keeping their first
    stages equal (x of the group's first block - x of another = 0)."""
    from optimizer.stochastic import decompose as d

    lp = split.lp
    cost = np.asarray(lp.col_cost_, dtype=float) - priced
    lower, upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    n_first = split.first_by_block.shape[1]
    blocks = list(range(len(split.block_cols)))
    bound = lp.offset_ + float(y_na @ b_na)
    for group in (blocks[i : i + size] for i in range(0, len(blocks), size)):
        cols = np.concatenate([split.block_cols[b] for b in group])
        rows = np.concatenate([split.block_rows[b] for b in group])
        sub = d._block(lp, split.matrix, cols, rows, cost[cols], lower[cols], upper[cols])
        h = d._highs(sub, 0.0, abs_gap, None)
        at = {c: i for i, c in enumerate(cols)}
        links = [
            [at[split.first_by_block[group[0], j]], at[split.first_by_block[b, j]]]
            for b in group[1:]
            for j in range(n_first)
        ]
        if links:
            k = len(links)
            zeros = np.zeros(k)
            starts = np.arange(0, 2 * k, 2, dtype=np.int32)
            h.addRows(
                k,
                zeros,
                zeros,
                2 * k,
                starts,
                np.array(links, dtype=np.int32).ravel(),
                np.tile([1.0, -1.0], k),
            )
        t0 = time.perf_counter()
        h.run()
        info = h.getInfo()
        print(
            f"    group {group[0] + 1}-{group[-1] + 1}: bound {info.mip_dual_bound:,.1f}, "
            f"{info.mip_node_count} nodes, {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        bound += info.mip_dual_bound
    return bound


def relaxed_counts(split: Any, seconds: float) -> tuple[float, float]:
    """HiGHS on the EF with every general-integer column continuous but the first stage's:
    (dual bound, incumbent) after ``seconds``."""
    import highspy

    from optimizer.solver.certified import general_integers
    from optimizer.stochastic.decompose import _copy_lp

    lp = _copy_lp(split.lp)
    integrality = list(lp.integrality_)
    first = set(split.first_cols.tolist())
    for j in general_integers(lp):
        if j not in first:
            integrality[j] = highspy.HighsVarType.kContinuous
    lp.integrality_ = integrality
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", seconds)
    h.passModel(lp)
    h.run()
    info = h.getInfo()
    return info.mip_dual_bound, info.objective_function_value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instance", type=Path, default=INSTANCE)
    ap.add_argument("--scenarios", type=Path, default=SCENARIOS)
    ap.add_argument("--mip-gap", type=float, default=1e-4, help="the target the blocks serve")
    ap.add_argument("--group-size", type=int, default=3, help="0: no grouped bound")
    ap.add_argument("--relaxed-seconds", type=float, default=120.0, help="0: not run")
    args = ap.parse_args()

    from optimizer.stochastic import decompose as d

    t0 = time.perf_counter()
    ef = loaded_ef(args.instance, args.scenarios)
    split = d._split(ef)
    assert split is not None
    blocks = len(split.block_cols)
    print(f"EF of {blocks} scenarios built and loaded: {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    h, _ = d._relaxation(split, None)
    sol = h.getSolution()
    x, y = np.asarray(sol.col_value), np.asarray(sol.row_dual)
    lp_bound = float(h.getInfo().objective_function_value)
    print(f"1. LP relaxation bound {lp_bound:,.1f} ({time.perf_counter() - t0:.1f} s)")

    abs_gap = args.mip_gap * max(d.MIN_LP_SCALE, abs(lp_bound)) / (4 * blocks)
    cert = d.Certificate(blocks=blocks)
    t0 = time.perf_counter()
    d._incumbent(split, d._rounded(split, x[split.first_cols]), abs_gap, None, cert)
    incumbent = cert.objective
    if incumbent is None:
        raise SystemExit("the rounded LP first stage has no plan in some scenario")

    def gap(bound: float) -> str:
        return f"{(bound - incumbent) / abs(bound):.2e}"

    print(
        f"2. incumbent {incumbent:,.1f} ({time.perf_counter() - t0:.1f} s, {blocks} blocks); "
        f"LP bound's gap {gap(lp_bound)}"
    )

    y_na = y[split.na_rows]
    b_na = np.asarray(split.lp.row_lower_)[split.na_rows]
    t0 = time.perf_counter()
    found = d._lagrangian(split, y_na, b_na, abs_gap, None, cert)
    if found is None:
        raise SystemExit("a Lagrangian block did not solve")
    bound, chosen = found
    firsts = chosen[split.first_by_block]
    spread = firsts.max(axis=0) - firsts.min(axis=0)
    print(
        f"3. Lagrangian bound {bound:,.1f}, gap {gap(bound)} ({time.perf_counter() - t0:.1f} s); "
        f"the blocks' first stages span up to {spread.max():,.0f} units of one purchase"
    )

    if args.group_size > 1:
        priced = split.matrix[split.na_rows, :].T @ y_na
        t0 = time.perf_counter()
        grouped = group_lagrangian(
            split,
            priced,
            b_na,
            y_na,
            args.group_size,
            args.mip_gap * abs(lp_bound) / (2 * -(-blocks // args.group_size)),
        )
        print(
            f"4. Lagrangian bound, groups of {args.group_size}: {grouped:,.1f}, gap "
            f"{gap(grouped)} ({time.perf_counter() - t0:.1f} s)"
        )
    if args.relaxed_seconds > 0:
        t0 = time.perf_counter()
        rb, ri = relaxed_counts(split, args.relaxed_seconds)
        print(
            f"5. EF with relaxed unit counts after {time.perf_counter() - t0:.0f} s: bound "
            f"{rb:,.1f}, gap {gap(rb)} (its own incumbent {ri:,.1f})"
        )


if __name__ == "__main__":
    main()
