"""In-place re-solves against rebuilding, on 200 scenarios of the reference instance.

Both ways run sequentially in one process on the same scenarios (power, prices and
capex drawn with a fixed seed). "rebuild" builds a fresh model and HiGHS instance per
scenario (the frontier table is read once for both, so the comparison is of the
model work); "in place" keeps one model and changes its parameters. Prints the
seconds of each, the ratio in-place / rebuild (target <= 0.4), and the share of
in-place time spent outside HiGHS (target <= 30%).

In place runs twice: with a clean HiGHS state per run (the default, which makes a row
a function of its scenario alone) and with HiGHS's state kept from the previous run
(as before); it prints what the clean state costs and how many rows of each way are
identical, to the last bit, to the rebuild's (a fresh model per scenario).

    python benchmarks/sweep.py [--instance PATH] [--scenarios 200] [--marginals] [--workers 2]
    python benchmarks/sweep.py --strategies --scenarios 50   # certified vs milp, in place

Then the same scenarios go through the sweep engine as ``optimizer sweep`` runs them
(``--workers`` processes, default 2, one HiGHS thread each, each starting from the base
instance): wall seconds per scenario from the call, process start-up included (target
< 0.2 s), and the largest objective difference from the rebuild's (within the MIP gap:
another thread count can end at another plan within it).

``--strategies`` runs the same scenarios in place with ``--strategy certified`` (the
default) and ``--strategy milp`` in one process and prints ms per scenario of each, their
ratio and the largest relative objective difference (both are within the MIP gap).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from optimizer import Planner, load_instance
from optimizer.solver.highs import HighsSession
from optimizer.solver.options import SolveOptions
from optimizer.sweep import build_scenarios, parse_set, run_sweep, scenario_instance

sys.path.insert(0, str(Path(__file__).resolve().parent))
from record import Record  # noqa: E402  (benchmarks/ is not a package)

ROOT = Path(__file__).resolve().parents[1]


def default_instance() -> Path:
    for name in ("gtc2026-1gw.yaml", "site-2026-2030.yaml"):
        if (ROOT / "instances" / name).is_file():
            return ROOT / "instances" / name
    raise SystemExit("no reference instance found")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--instance", type=Path, default=None)
    ap.add_argument("--scenarios", type=int, default=200)
    ap.add_argument("--marginals", action="store_true", help="also price resources per scenario")
    ap.add_argument(
        "--workers", type=int, default=2, help="worker processes of the sweep engine's run"
    )
    ap.add_argument(
        "--strategies", action="store_true", help="certified vs milp, in place (see above)"
    )
    args = ap.parse_args()
    record = Record("sweep_strategies" if args.strategies else "sweep")
    path = args.instance or default_instance()
    base = load_instance(path)
    # The last tier with a fixed price (a tier with a price menu has none to scale).
    first_tier = next(t.id for t in reversed(base.tiers) if t.price_usd_per_mtok is not None)
    first_hw = base.hardware[-1].id
    sets = [
        parse_set("site.power_mw=scale(x0.7,x1.3)"),
        parse_set(f"tiers[{first_tier}].price_usd_per_mtok=scale(x0.5,x1.5)"),
        parse_set(f"hardware[{first_hw}].capex_usd=scale(x0.8,x1.2)"),
    ]
    scenarios = build_scenarios(base, sets, samples=args.scenarios, seed=2026)
    instances = [scenario_instance(base, s) for s in scenarios]

    warm = Planner(base, SolveOptions(marginals=args.marginals))
    table = warm.table
    if args.strategies:
        record.write(strategies(base, table, instances, args.marginals, path.name))
        return

    t0 = time.perf_counter()
    rebuild_obj = []
    for inst in instances:
        p = Planner(inst, SolveOptions(marginals=args.marginals), table=table)
        rebuild_obj.append(p.solve().objective_usd)
    rebuild_s = time.perf_counter() - t0

    def in_place(clean: bool) -> tuple[float, float, list[float | None], int]:
        HighsSession.reset_between_runs = clean
        try:
            planner = Planner(base, SolveOptions(marginals=args.marginals), table=table)
            planner.solve()
            t0 = time.perf_counter()
            highs_s = 0.0
            objs: list[float | None] = []
            rebuilt = 0
            for inst in instances:
                rebuilt += planner.update(inst)
                plan = planner.solve()
                highs_s += planner.timings["solve"] + planner.timings.get("marginals", 0.0)
                objs.append(plan.objective_usd)
            return time.perf_counter() - t0, highs_s, objs, rebuilt
        finally:
            HighsSession.reset_between_runs = True

    inplace_s, highs_s, inplace_obj, rebuilt = in_place(clean=True)
    # The sweep as `optimizer sweep` runs it: the engine, one process per worker (spawned,
    # each loading the base model), one HiGHS thread each; wall time from the call.
    t0 = time.perf_counter()
    engine = run_sweep(base, scenarios, workers=args.workers, marginals=args.marginals)
    engine_s = time.perf_counter() - t0
    engine_obj = list(engine.table.sort_values("scenario")["objective_usd"])
    engine_worst = largest_difference(engine_obj, rebuild_obj)
    kept_s, _, kept_obj, _ = in_place(clean=False)
    same_clean = sum(a == b for a, b in zip(inplace_obj, rebuild_obj, strict=True))
    same_kept = sum(a == b for a, b in zip(kept_obj, rebuild_obj, strict=True))
    worst = largest_difference(inplace_obj, rebuild_obj)

    n = len(instances)
    print(f"instance {path.name}, {n} scenarios, marginals {'on' if args.marginals else 'off'}")
    print(f"rebuild   {rebuild_s:7.2f} s  ({1000 * rebuild_s / n:6.1f} ms/scenario)")
    print(
        f"in place  {inplace_s:7.2f} s  ({1000 * inplace_s / n:6.1f} ms/scenario), {rebuilt} rebuilt"
    )
    print(f"ratio in-place / rebuild: {inplace_s / rebuild_s:.2f}  (target <= 0.4)")
    print(
        f"sweep engine, {args.workers} workers {engine_s:7.2f} s  "
        f"({1000 * engine_s / n:6.1f} ms/scenario, worker start-up included; target < 200); "
        f"largest relative objective difference from the rebuild's {engine_worst:.1e}"
    )
    print(
        f"share of in-place time outside HiGHS: {100 * (1 - highs_s / inplace_s):.0f}%  (target <= 30%)"
    )
    print(f"largest relative objective difference between the two ways: {worst:.1e}")
    print(
        f"in place, HiGHS state kept between runs {kept_s:7.2f} s "
        f"({1000 * kept_s / n:6.1f} ms/scenario): the clean state costs "
        f"{100 * (inplace_s / kept_s - 1):+.0f}%"
    )
    print(
        f"objectives identical to the rebuild's: clean state {same_clean}/{n}, "
        f"state kept {same_kept}/{n}"
    )
    record.write(
        {
            "instance": path.name,
            "scenarios": n,
            "marginals": args.marginals,
            "in_place_s_per_scenario": inplace_s / n,
            "workers": args.workers,
            "engine_s_per_scenario": engine_s / n,
            "engine_largest_relative_objective_difference": engine_worst,
            "rebuild_s_per_scenario": rebuild_s / n,
            "outside_highs_share": 1 - highs_s / inplace_s,
            "state_kept_s_per_scenario": kept_s / n,
            "largest_relative_objective_difference": worst,
            "identical_clean": same_clean,
            "identical_kept": same_kept,
            "rebuilt": rebuilt,
        }
    )


def largest_difference(got: list[Any], ref: list[Any]) -> float:
    """The largest |a - b| / max(1, |b|) over the scenarios both solved (no objective:
    None or NaN)."""
    return max(
        (
            abs(a - b) / max(1.0, abs(b))
            for a, b in zip(got, ref, strict=True)
            if a is not None and b is not None and a == a and b == b
        ),
        default=0.0,
    )


def strategies(base, table, instances, marginals: bool, name: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The sweep in place under each strategy (one process, same scenarios)."""
    out = {}
    for strategy in ("certified", "milp"):
        planner = Planner(base, SolveOptions(marginals=marginals, strategy=strategy), table=table)
        planner.solve()
        t0 = time.perf_counter()
        objs = []
        solver_s = 0.0
        for inst in instances:
            planner.update(inst)
            plan = planner.solve()
            solver_s += planner.timings["solve"]
            objs.append(plan.objective_usd)
        out[strategy] = (time.perf_counter() - t0, solver_s, objs)
    n = len(instances)
    (cs, csol, cobj), (ms, msol, mobj) = out["certified"], out["milp"]
    worst = largest_difference(cobj, mobj)
    print(f"instance {name}, {n} scenarios in place, marginals {'on' if marginals else 'off'}")
    print(f"certified {1000 * cs / n:7.1f} ms/scenario (HiGHS {1000 * csol / n:7.1f} ms)")
    print(f"milp      {1000 * ms / n:7.1f} ms/scenario (HiGHS {1000 * msol / n:7.1f} ms)")
    print(
        f"ratio certified / milp: {cs / ms:.2f}; largest relative objective difference {worst:.1e}"
    )
    return {
        "instance": name,
        "scenarios": n,
        "certified_s_per_scenario": cs / n,
        "milp_s_per_scenario": ms / n,
        "largest_relative_objective_difference": worst,
    }


if __name__ == "__main__":
    main()
