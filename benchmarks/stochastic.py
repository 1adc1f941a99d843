"""Two-stage plans on the 1 GW reference: extensive form at 27 and N scenarios, PH on MPI ranks.

    python benchmarks/stochastic.py                    # 27 (reference file) and 100 drawn
    python benchmarks/stochastic.py --sizes 27 --ph-ranks 0   # only the reference, no PH

Prints, per run: wall seconds end to end (the library call, wait-and-see and EEV solves
included), seconds inside HiGHS (summed over every solve), the share outside HiGHS
(model building, mpi-sppy, extraction: target < 30%), status and gap. With --ph-ranks K,
``mpiexec -n K optimizer stochastic ... --method ph`` on the largest size, against EF on
the same scenarios: wall-time ratio and PH's final gap. Figures are noisy on a shared machine;
the CPU seconds of this process (HiGHS's threads included) are the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INSTANCE = REPO / "instances" / "gtc2026-1gw.yaml"
SCENARIOS = REPO / "instances" / "gtc2026-1gw-scenarios.csv"
DRAWS = [
    "tiers[medium].demand_mtok=scale(x0.4,x1.6)",
    "tiers[high].demand_mtok=scale(x0.4,x1.6)",
    "tiers[premium].demand_mtok=scale(x0.4,x1.6)",
    "tiers[medium].price_usd_per_mtok=scale(x0.7,x1.3)",
    "hardware[vr-nvl144].capex_usd=scale(x0.85,x1.17)",
]


def scenario_file(n: int, folder: Path) -> Path:
    """The reference file for 27, else n scenarios drawn (seed 0) and written as a CSV."""
    if n == 27:
        return SCENARIOS
    from optimizer.instance.load import load_instance
    from optimizer.stochastic.scenarios import scenarios_from_sets
    from optimizer.sweep.spec import parse_set

    sc = scenarios_from_sets(load_instance(INSTANCE), [parse_set(s) for s in DRAWS], n, 0)
    path = folder / f"drawn-{n}.csv"
    sc.table().to_csv(path, index=False)
    return path


def run_ef(path: Path, gap: float) -> dict[str, float | str | None]:
    from optimizer.stochastic import solve

    t0, c0 = time.perf_counter(), time.process_time()
    r = solve(INSTANCE, path, mip_gap=gap, parallel=True)  # as the command line does
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    highs = r.timings.get("highs", 0.0)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "highs_s": highs,
        "outside_highs": (wall - highs) / wall,
        "two_stage_s": r.timings.get("two_stage", 0.0),
        "status": r.status,
        "gap": r.mip_gap,
        "objective_usd": r.objective_usd,
    }


def run_ph(path: Path, ranks: int, gap: float, iterations: int) -> dict[str, float | str | None]:
    mpiexec = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or "mpiexec"
    cmd = [mpiexec, "-n", str(ranks), sys.executable, "-m", "optimizer", "stochastic"]
    cmd += [str(INSTANCE), "--scenarios", str(path), "--method", "ph", "--json", "--no-write"]
    cmd += ["--mip-gap", str(gap), "--ph-iterations", str(iterations)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        return {"wall_s": wall, "status": "error: " + out.stderr.strip().splitlines()[-1]}
    d = json.loads(out.stdout)
    b = d.get("bounds") or {}
    return {
        "wall_s": wall,
        "status": d["status"],
        "gap": d["gap"],
        "objective_usd": d["objective_usd"],
        "bound_usd": d["bound_usd"],
        "outer_source": b.get("outer_source"),
        "inner_source": b.get("inner_source"),
        "cylinders": " + ".join(b.get("cylinders") or []),
        "ph_s": b.get("ph_seconds"),
        "iterations": d.get("ph_iterations"),
        "stopped_because": d["stopped_because"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="27,100", help="scenario counts (27 = the reference file)")
    ap.add_argument("--gap", type=float, default=1e-4)
    ap.add_argument("--ph-ranks", type=int, default=2, help="0: no PH run")
    ap.add_argument("--ph-iterations", type=int, default=10)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        ef: dict[int, dict[str, float | str | None]] = {}
        for n in sizes:
            path = scenario_file(n, Path(tmp))
            ef[n] = r = run_ef(path, args.gap)
            print(
                f"EF  {n:4d} scenarios: {r['wall_s']:7.1f} s end to end ({r['cpu_s']:.1f} s CPU), "
                f"{r['highs_s']:6.1f} s in HiGHS, outside HiGHS {100 * float(r['outside_highs'] or 0):4.1f}% "
                f"(EF solve step {r['two_stage_s']:.1f} s), {r['status']}, gap {r['gap']}",
                flush=True,
            )
        if len(sizes) > 1:
            a, b = sizes[0], sizes[-1]
            growth = float(ef[b]["wall_s"] or 0) / float(ef[a]["wall_s"] or 1)
            print(f"growth: {b} vs {a} scenarios ({b / a:.1f}x) -> {growth:.1f}x the time")
        if args.ph_ranks:
            n = sizes[-1]
            path = scenario_file(n, Path(tmp))
            ph = run_ph(path, args.ph_ranks, args.gap, args.ph_iterations)
            ratio = float(ph["wall_s"] or 0) / float(ef[n]["wall_s"] or 1)
            ef_obj = ef[n]["objective_usd"]
            true_gap = None
            if ph.get("objective_usd") is not None and isinstance(ef_obj, float):
                true_gap = (ef_obj - float(ph["objective_usd"] or 0)) / abs(ef_obj)
            print(
                f"PH  {n:4d} scenarios on {args.ph_ranks} ranks ({ph.get('cylinders')}): "
                f"{ph['wall_s']:.1f} s ({ratio:.2f}x EF's wall time; PH and cylinders "
                f"{ph.get('ph_s') or 0:.1f} s), {ph['status']}, {ph.get('iterations')} "
                f"iterations, {ph.get('stopped_because')}"
            )
            print(
                f"    outer bound {ph.get('bound_usd')} ({ph.get('outer_source')}), "
                f"inner {ph.get('objective_usd')} ({ph.get('inner_source')}): reported gap "
                f"{ph.get('gap')}; EF {ef_obj}: PH's plan is {true_gap} below it"
            )


if __name__ == "__main__":
    main()
