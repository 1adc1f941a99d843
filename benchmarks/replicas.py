"""What the ``whole_replicas`` option costs: solve time, and how much the continuous split
overstates the objective.

With the option off (docs/model.md), ``serve[h,t,p]`` is continuous: a unit's capacity can be
split across tiers at any ratio. With ``whole_replicas: true`` each tier gets whole
replicas of the layout its frontier row uses (``units_per_replica`` units each, e.g. 4 HGX
servers for a DEP32 layout, 1/9 of an NVL72 rack for a DEP8 one). For the reference
instance and each size of the scale ladder (``benchmarks/scale.py`` synthetic instances,
with a seeded ``units_per_replica`` column added to their tables) it prints the solve time
and objective with the option off and on, and the overstatement
(continuous - whole) / whole.

    python benchmarks/replicas.py                      # reference + the default ladder
    python benchmarks/replicas.py --sizes 10x8x5x50 --time-limit 120

Figures are wall-clock on the machine that runs it (noisy on a shared machine).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer import Planner, SolveOptions, load_instance
from optimizer.instance.schema import Instance

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import synthetic  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "instances" / "gtc2026-1gw.yaml"


def solve(inst: Instance, whole: bool, time_limit: float | None) -> tuple[float, float, str, float]:
    """(objective USD, solve seconds, status, gap) with the option set to ``whole``."""
    variant = inst.with_changes(whole_replicas=whole) if whole else inst
    t0 = time.perf_counter()
    planner = Planner(
        variant,
        SolveOptions(mip_gap=1e-4, time_limit=time_limit, marginals=False, diagnose=False),
    )
    plan = planner.solve()
    seconds = time.perf_counter() - t0
    gap = plan.mip_gap if plan.mip_gap is not None else float("nan")
    return float(plan.objective_usd or 0.0), seconds, str(plan.status), float(gap)


def add_replicas(folder: Path, seed: int = 11) -> None:
    """Give the synthetic table a units_per_replica column (per hardware x model curve)."""
    csv = folder / "frontiers.csv"
    table = pd.read_csv(csv)
    rng = np.random.default_rng(seed)
    keys = table[["hardware", "model"]].drop_duplicates()
    choice = {
        (h, m): float(rng.choice([1 / 9, 0.25, 0.5, 1.0, 2.0, 4.0]))
        for h, m in keys.itertuples(index=False)
    }
    table["units_per_replica"] = [
        round(choice[(h, m)], 4) for h, m in zip(table["hardware"], table["model"], strict=True)
    ]
    table.to_csv(csv, index=False)


def row(label: str, inst: Instance, time_limit: float | None) -> str:
    cont, t_cont, s_cont, _ = solve(inst, False, time_limit)
    whole, t_whole, s_whole, gap = solve(inst, True, time_limit)
    over = (cont - whole) / abs(whole) * 100 if whole else float("nan")
    return (
        f"{label:>28} {t_cont:8.2f} {t_whole:8.2f} {cont / 1e9:12.3f} {whole / 1e9:12.3f} "
        f"{over:9.3f}%  {s_cont}/{s_whole} gap {gap:.1e}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes", nargs="*", default=["5x5x3x20", "10x8x5x50", "20x10x5x100", "30x15x8x150"]
    )
    ap.add_argument("--time-limit", type=float, default=300.0, help="per solve, seconds")
    ap.add_argument("--no-reference", action="store_true")
    args = ap.parse_args()
    print(
        f"{'instance':>28} {'cont s':>8} {'whole s':>8} {'cont $B':>12} {'whole $B':>12} "
        f"{'overstated':>10}  status"
    )
    if not args.no_reference:
        print(row("gtc2026-1gw (reference)", load_instance(REFERENCE), args.time_limit), flush=True)
    for size in args.sizes:
        n_hw, n_tiers, n_periods, n_points = (int(v) for v in size.split("x"))
        with tempfile.TemporaryDirectory() as tmp:
            path = synthetic(n_hw, n_tiers, n_periods, n_points, Path(tmp), seed=7)
            add_replicas(Path(tmp))
            print(row(size, load_instance(path), args.time_limit), flush=True)


if __name__ == "__main__":
    main()
