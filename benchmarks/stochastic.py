"""Two-stage plans on the 1 GW reference: extensive form at 27 and N scenarios, PH on MPI ranks.

    python benchmarks/stochastic.py                    # 27 (reference file) and 100 drawn
    python benchmarks/stochastic.py --sizes 27 --ph-ranks 0   # only the reference, no PH

Prints, per run: wall seconds end to end (the library call, wait-and-see and EEV solves
included), seconds inside HiGHS (summed over every solve, in both processes), the share
outside HiGHS (model building, mpi-sppy, extraction: target < 30%) of the busy time of the
processes (the EF step in this one, the wait-and-see/EEV re-plans in two others, a slice of
the scenarios each), status, gap, how the gap was proven (the EF's scenario blocks or the EF
MILP) and the block proof's LP bound, bound and incumbent. With --ph-ranks K,
``mpiexec -n K optimizer stochastic ... --method ph`` on the largest size, against EF on
the same scenarios: wall-time ratio and PH's final gap. Figures are noisy on a shared machine;
the CPU seconds of the processes (HiGHS's threads included) are the steadier figures.
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
# Drawn scenarios (uniform factors, seed 0): each paid tier's demand at every price of its
# menu, the medium tier's menu prices, Vera Rubin's capex (as the sweep syntax's scale()).
DEMAND_TIERS = ("medium", "high", "premium")
DEMAND_RANGE = (0.4, 1.6)
PRICE_RANGE = (0.7, 1.3)  # tiers[medium]: every menu price
VR_CAPEX_RANGE = (0.85, 1.17)


def scenario_file(n: int, folder: Path) -> Path:
    """The reference file for 27, else n scenarios drawn (seed 0) and written as a CSV."""
    if n == 27:
        return SCENARIOS
    import random

    import pandas as pd

    from optimizer.instance.load import load_instance

    base = load_instance(INSTANCE)
    entries = {t.id: len(t.price_menu or ()) for t in base.tiers}
    rng = random.Random(0)
    rows = []
    for i in range(n):
        row: dict[str, str | float] = {"scenario": f"s{i + 1}"}
        for t in DEMAND_TIERS:
            f = rng.uniform(*DEMAND_RANGE)
            for k in range(entries[t]):
                row[f"tiers[{t}].price_menu[{k}].demand_mtok"] = f"x{f:.6g}"
        f = rng.uniform(*PRICE_RANGE)
        for k in range(entries["medium"]):
            row[f"tiers[medium].price_menu[{k}].price_usd_per_mtok"] = f"x{f:.6g}"
        row["hardware[vr-nvl144].capex_usd"] = f"x{rng.uniform(*VR_CAPEX_RANGE):.6g}"
        rows.append(row)
    path = folder / f"drawn-{n}.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def run_ef(
    path: Path, gap: float, decompose: bool = True, time_limit: float | None = None
) -> dict[str, float | str | None]:
    from optimizer.stochastic import solve

    t0, c0 = time.perf_counter(), time.process_time()
    r = solve(  # parallel re-plans, as the command line does
        INSTANCE, path, mip_gap=gap, parallel=True, ef_decompose=decompose, time_limit=time_limit
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    t = r.timings
    highs = t.get("highs", 0.0)
    # Busy time of both processes: this one (preparing, the EF step) and the second one
    # (wait-and-see and EEV re-plans), each partly inside HiGHS.
    busy = t.get("prepare", 0.0) + t.get("two_stage", 0.0)
    busy += t.get("wait_and_see", 0.0) + t.get("expected_value", 0.0)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "highs_s": highs,
        "outside_highs": max(0.0, busy - highs) / busy if busy else None,
        "two_stage_s": t.get("two_stage", 0.0),
        "two_stage_highs_s": t.get("highs_two_stage", 0.0),
        "side_s": t.get("wait_and_see", 0.0) + t.get("expected_value", 0.0),
        "side_cpu_s": t.get("side_figures_cpu", 0.0),
        "status": r.status,
        "gap": r.mip_gap,
        "objective_usd": r.objective_usd,
        "proof": "blocks" if "decomposition" in r.stopped_because else "EF MILP",
        "blocks": _block_proof(r.extra.get("ef_block_proof")),
    }


def _block_proof(p: dict[str, float | str | None] | None) -> str:
    """The EF block proof's figures: LP bound, its bound and incumbent (USD), its gap."""
    if not p:
        return "no block proof"
    usd = {
        k: "n/a" if p.get(k) is None else f"{float(p[k] or 0) / 1e9:.4f}"
        for k in ("lp_bound_usd", "bound_usd", "objective_usd")
    }
    gap = "n/a" if p.get("gap") is None else f"{float(p['gap'] or 0):.2e}"
    return (
        f"block proof: LP bound {usd['lp_bound_usd']}, bound {usd['bound_usd']}, incumbent "
        f"{usd['objective_usd']} ($B), gap {gap}{'; ' + str(p['message']) if p.get('message') else ''}"
    )


def run_ph(
    path: Path, ranks: int, gap: float, iterations: int, time_limit: float | None = None
) -> dict[str, float | str | None]:
    mpiexec = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or "mpiexec"
    cmd = [mpiexec, "-n", str(ranks), sys.executable, "-m", "optimizer", "stochastic"]
    cmd += [str(INSTANCE), "--scenarios", str(path), "--method", "ph", "--json", "--no-write"]
    cmd += ["--mip-gap", str(gap), "--ph-iterations", str(iterations)]
    if time_limit is not None:
        cmd += ["--time-limit", str(time_limit)]
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
        "w_start": b.get("w_start"),
        "w_start_s": b.get("w_start_seconds"),
        "iterations": d.get("ph_iterations"),
        "stopped_because": d["stopped_because"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="27,100", help="scenario counts (27 = the reference file)")
    ap.add_argument("--gaps", default="1e-4,1e-3", help="relative MIP gaps, each size at each")
    ap.add_argument("--no-decompose", action="store_true", help="EF MILP alone (as before)")
    ap.add_argument("--time-limit", type=float, default=None, help="seconds per run")
    ap.add_argument("--ph-ranks", type=int, default=2, help="0: no PH run")
    ap.add_argument("--ph-iterations", type=int, default=10)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        gaps = [float(g) for g in args.gaps.split(",")]
        ef: dict[tuple[int, float], dict[str, float | str | None]] = {}
        for gap in gaps:
            for n in sizes:
                path = scenario_file(n, Path(tmp))
                ef[n, gap] = r = run_ef(path, gap, not args.no_decompose, args.time_limit)
                print(
                    f"EF  {n:4d} scenarios, gap {gap:g}: {r['wall_s']:7.1f} s end to end "
                    f"(CPU: {r['cpu_s']:.1f} s here, {r['side_cpu_s']:.1f} s in the re-plans' "
                    f"processes), {r['highs_s']:6.1f} s in HiGHS (all "
                    f"processes), outside HiGHS {100 * float(r['outside_highs'] or 0):4.1f}% of "
                    f"busy time; EF step {r['two_stage_s']:.1f} s ({r['two_stage_highs_s']:.1f} s "
                    f"in HiGHS), re-plans {r['side_s']:.1f} s; {r['status']}, gap {r['gap']}, "
                    f"proved by {r['proof']}; {r['blocks']}",
                    flush=True,
                )
            if len(sizes) > 1:
                a, b = sizes[0], sizes[-1]
                growth = float(ef[b, gap]["wall_s"] or 0) / float(ef[a, gap]["wall_s"] or 1)
                print(f"growth: {b} vs {a} scenarios ({b / a:.1f}x) -> {growth:.1f}x the time")
        if args.ph_ranks:
            n = sizes[-1]
            path = scenario_file(n, Path(tmp))
            ph = run_ph(path, args.ph_ranks, gaps[0], args.ph_iterations, args.time_limit)
            ratio = float(ph["wall_s"] or 0) / float(ef[n, gaps[0]]["wall_s"] or 1)
            ef_obj = ef[n, gaps[0]]["objective_usd"]
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
                f"{ph.get('gap')}; EF {ef_obj}: PH's plan is {true_gap} below it; PH's W "
                f"started at {ph.get('w_start')} ({ph.get('w_start_s') or 0:.1f} s)"
            )


if __name__ == "__main__":
    main()
