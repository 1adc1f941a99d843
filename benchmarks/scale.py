"""How load, coefficients, build and solve grow with the instance.

Synthetic instances of growing size (hardware x tiers x periods x frontier points
per curve), with lifetimes, availability windows, minimum lots and supply caps.
For each size it prints: usable triples, variables, constraints, and seconds for
load+frontier read, coefficients, build, solve, "after" (plan extraction, the
independent check of every constraint, marginal values), end to end, the share of
end to end spent after the solve ("post"; target: under 10% at every size), and the
MIP gap.

    python benchmarks/scale.py            # the default ladder, up to 100 x 40 x 20 x 200
    python benchmarks/scale.py --sizes 50x20x10x200 --repeat 3
    python benchmarks/scale.py --time-limit 60   # cap each solve (post-solve still runs)
    python benchmarks/scale.py --slices 3 --sizes 50x20x10x200 --repeat 5
        # option time_slices: each size and instances/gtc2026-1gw.yaml solved without
        # slices and with 3 (a synthetic diurnal profile), the solve step's wall and CPU
        # seconds side by side (median of --repeat runs, the two alternating)
    python benchmarks/scale.py --strategies --sizes 50x20x10x200 100x40x20x200

``--strategies`` prints, per size, the certified strategy end to end (load to the checked
plan) against ``--strategy milp`` and against a direct highspy MILP of the same model
(HiGHS alone, no Pyomo, no check), with the ratio certified / direct measured in the same run.

Figures are wall-clock on the machine that runs it; the sizes are seeded.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from optimizer import Instance, Planner, load_instance
from optimizer.solver.options import SolveOptions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from record import Record  # noqa: E402  (benchmarks/ is not a package)

MODELS_PER_TIER_GROUP = 4  # tiers share models: tiers / 4 distinct models
CONTEXTS = (8192, 131072)


def hardware_entry(rng: np.random.Generator, i: int, periods: list[int]) -> dict[str, Any]:
    """Seeded hardware ``hw-<i>``: 8, 72 or 256 GPUs, power, racks, capex and lifetime drawn
    to scale with them, on sale from a drawn period (also the hard instance of
    tests/service/test_service.py)."""
    gpus = int(rng.choice([8, 72, 256]))
    first = int(rng.integers(0, max(1, len(periods) - 1)))
    return {
        "id": f"hw-{i:02d}",
        "gpus_per_unit": gpus,
        "power_kw": float(round(gpus * rng.uniform(1.0, 2.2), 1)),
        "rack_positions": 1.0 if gpus >= 72 else 0.25,
        "capex_usd": float(round(gpus * rng.uniform(25_000, 60_000), -3)),
        "lifetime_years": float(rng.choice([3, 4, 5, 6])),
        "available_from": periods[first],
    }


def synthetic(
    n_hw: int, n_tiers: int, n_periods: int, n_points: int, folder: Path, seed: int = 7
) -> Path:
    """Write a seeded synthetic instance and its frontier CSV; return the instance path."""
    rng = np.random.default_rng(seed)
    periods = list(range(2026, 2026 + n_periods))
    n_models = max(1, n_tiers // MODELS_PER_TIER_GROUP)
    models = [f"model-{i}" for i in range(n_models)]

    hardware = []
    hw_ids = [f"hw-{i:02d}" for i in range(n_hw)]
    for i in range(n_hw):
        entry = hardware_entry(rng, i, periods)
        first = periods.index(entry["available_from"])
        if rng.random() < 0.5:
            entry["available_until"] = periods[min(n_periods - 1, first + int(rng.integers(2, 6)))]
        if i % 5 == 0:
            entry["min_units"] = int(rng.integers(20, 200))
        if i % 4 == 1:
            entry["max_units"] = int(rng.integers(500, 5000))
        if i % 7 == 0:
            entry["existing_units"] = int(rng.integers(0, 100))
        hardware.append(entry)

    tiers = []
    for j in range(n_tiers):
        speed = float(rng.choice([10, 20, 35, 50, 100, 200, 400]))
        price0 = float(round(0.2 + speed / 40 * rng.uniform(0.5, 2.0), 2))
        tiers.append(
            {
                "id": f"tier-{j:02d}",
                "model": models[j % n_models],
                "context_tokens": int(rng.choice([4096, 8192, 65536, 131072])),
                "price_usd_per_mtok": {
                    p: round(price0 * 0.85**k, 4) for k, p in enumerate(periods)
                },
                "min_interactivity": speed,
                "demand_mtok": {
                    p: float(round(rng.uniform(2e7, 2e9) * 1.4**k, -3))
                    for k, p in enumerate(periods)
                },
                "utilization": float(round(rng.uniform(0.5, 0.9), 2)),
                "max_ttft_s": float(rng.choice([2.0, 5.0, 30.0])),
            }
        )
    tiers[0]["price_usd_per_mtok"] = 0
    tiers[0]["min_power_share"] = 0.05

    # Frontier: per (hardware, model, context) a decreasing curve of n_points points.
    x = np.geomspace(5, 1200, n_points)
    frames = []
    for h in hw_ids:
        scale = rng.uniform(200, 20000)
        knee = rng.uniform(20, 400)
        for m in models:
            mscale = rng.uniform(0.3, 1.5)
            for c in CONTEXTS:
                cf = 1.0 if c == 8192 else rng.uniform(0.2, 0.6)
                tput = (
                    scale * mscale * cf / (1 + (x / knee) ** 2) * rng.uniform(0.97, 1.03, n_points)
                )
                ttft = 0.2 + 3.0 * (c / 131072) * rng.uniform(0.5, 1.5, n_points)
                frames.append(
                    pd.DataFrame(
                        {
                            "hardware": h,
                            "model": m,
                            "context_tokens": c,
                            "interactivity": np.round(x, 3),
                            "tok_s_per_gpu": np.round(tput, 2),
                            "ttft_s": np.round(ttft, 3),
                        }
                    )
                )
    table = pd.concat(frames, ignore_index=True)
    csv = folder / "frontiers.csv"
    table.to_csv(csv, index=False)

    power = {p: float(300 + 150 * k) for k, p in enumerate(periods)}
    doc = {
        "name": f"synthetic-{n_hw}x{n_tiers}x{n_periods}x{n_points}",
        "periods": periods,
        "discount_rate": 0.08,
        "objective": "profit",
        "site": {
            "power_mw": power,
            "pue": 1.2,
            "rack_positions": {p: 3000 + 1500 * k for k, p in enumerate(periods)},
            "capex_budget_usd": {p: 8e9 for p in periods},
            "electricity_usd_per_mwh": 60,
        },
        "hardware": hardware,
        "tiers": tiers,
        "frontiers": csv.name,
    }
    path = folder / "instance.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def diurnal(inst: Instance, n: int) -> Instance:
    """``inst`` with ``n`` time slices of equal hours and a synthetic diurnal demand profile:
    even tiers peak in slice 0 (share ∝ 1 + 0.6 cos(2πk/n)), odd tiers at the opposite
    phase with a flatter swing (∝ 1 + 0.4 cos(2πk/n + π), batch-like work at night)."""
    slices = [{"id": f"s{k}", "hours_share": 1.0 / n} for k in range(n)]
    tiers = []
    for j, tier in enumerate(inst.model_dump()["tiers"]):
        amp, phase = (0.6, 0.0) if j % 2 == 0 else (0.4, math.pi)
        w = [1 + amp * math.cos(2 * math.pi * k / n + phase) for k in range(n)]
        tiers.append({**tier, "demand_profile": {f"s{k}": w[k] / sum(w) for k in range(n)}})
    return inst.with_changes(time_slices=slices, tiers=tiers)


def no_slices(inst: Instance) -> Instance:
    """``inst`` without time slices (and its tiers without a demand profile)."""
    if not inst.time_slices:
        return inst
    tiers = [{**t, "demand_profile": None} for t in inst.model_dump()["tiers"]]
    return inst.with_changes(time_slices=None, tiers=tiers)


def solve_timed(inst: Instance, time_limit: float | None) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds, plan) of one solve at the default gap, post-solve steps
    off. Both time the planner's solve step (``planner.timings["solve"]``): loading the
    model into HiGHS (Pyomo's translation, the first solve of a planner) and every HiGHS
    run of the solve strategy; CPU is this process's (HiGHS's threads included), which a
    shared machine's load moves far less than wall-clock."""
    planner = Planner(inst, SolveOptions(mip_gap=1e-4, marginals=False, verify=False))
    session = planner.session
    assert session is not None
    session.time_limit = time_limit
    run = session.run
    cpu = [0.0]

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return run(*args, **kwargs)
        finally:
            cpu[0] = time.process_time() - start

    session.run = timed  # type: ignore[method-assign]
    plan = planner.solve()
    return planner.timings["solve"], cpu[0], plan


def run_slices(
    label: str, inst: Instance, n: int, time_limit: float | None, repeat: int = 1
) -> dict[str, float | int | str]:
    """The same instance solved without time slices and with ``n`` (see :func:`diurnal`),
    ``repeat`` times each, the two alternating so that both see the same load; the median
    of each is kept, and the ratios are of those medians."""
    one_inst, many_inst = no_slices(inst), diurnal(no_slices(inst), n)
    walls: dict[int, list[float]] = {1: [], n: []}
    cpus: dict[int, list[float]] = {1: [], n: []}
    plans: dict[int, Any] = {}
    for _ in range(repeat):
        for k, case in ((1, one_inst), (n, many_inst)):
            wall, cpu, plans[k] = solve_timed(case, time_limit)
            walls[k].append(wall)
            cpus[k].append(cpu)
    one, many = plans[1], plans[n]
    solve_1, solve_n = float(np.median(walls[1])), float(np.median(walls[n]))
    cpu_1, cpu_n = float(np.median(cpus[1])), float(np.median(cpus[n]))
    return {
        "label": label,
        "repeat": repeat,
        "vars_1": one.model_size["variables"],
        "vars_n": many.model_size["variables"],
        "cons_1": one.model_size["constraints"],
        "cons_n": many.model_size["constraints"],
        "solve_1": solve_1,
        "solve_n": solve_n,
        "ratio": solve_n / solve_1 if solve_1 > 0 else float("nan"),
        "cpu_1": cpu_1,
        "cpu_n": cpu_n,
        "cpu_ratio": cpu_n / cpu_1 if cpu_1 > 0 else float("nan"),
        "solve_1_runs": walls[1],
        "solve_n_runs": walls[n],
        "cpu_1_runs": cpus[1],
        "cpu_n_runs": cpus[n],
        "obj_1": one.objective_usd if one.objective_usd is not None else float("nan"),
        "obj_n": many.objective_usd if many.objective_usd is not None else float("nan"),
        "proof": f"{one.proof}/{many.proof}",
        "status": f"{one.status}/{many.status}",
    }


def main_slices(n: int, sizes: list[str], time_limit: float | None, repeat: int = 1) -> None:
    """Print the one-slice and n-slice solve times of each size and of the reference."""
    record = Record("scale_slices")
    rows = []
    print(
        f"time slices: {n} (equal hours, diurnal demand) against none; the solve step "
        f"(load into HiGHS + solve), median of {repeat} alternating run(s), wall and CPU s"
    )
    print(
        f"{'instance':>22} {'vars 1':>7} {'vars n':>7} {'cons 1':>6} {'cons n':>6} "
        f"{'wall 1':>7} {'wall n':>7} {'ratio':>6} {'cpu 1':>7} {'cpu n':>7} {'ratio':>6} "
        f"{'objective 1 / n':>22}  status"
    )
    jobs: list[tuple[str, Any]] = []
    folder = tempfile.TemporaryDirectory()
    for k, size in enumerate(sizes):
        n_hw, n_tiers, n_periods, n_points = (int(v) for v in size.split("x"))
        sub = Path(folder.name) / str(k)
        sub.mkdir()
        jobs.append((size, synthetic(n_hw, n_tiers, n_periods, n_points, sub)))
    ref = Path(__file__).resolve().parents[1] / "instances" / "gtc2026-1gw.yaml"
    jobs.append((ref.name, ref))
    for label, path in jobs:
        r = run_slices(label, load_instance(path), n, time_limit, repeat)
        rows.append(r)
        print(
            f"{r['label']:>22} {r['vars_1']:>7} {r['vars_n']:>7} {r['cons_1']:>6} "
            f"{r['cons_n']:>6} {r['solve_1']:>7.2f} {r['solve_n']:>7.2f} "
            f"{float(r['ratio']):>5.2f}x {r['cpu_1']:>7.2f} {r['cpu_n']:>7.2f} "
            f"{float(r['cpu_ratio']):>5.2f}x {float(r['obj_1']):>10.4g} / "
            f"{float(r['obj_n']):>9.4g}  {r['status']}",
            flush=True,
        )
    folder.cleanup()
    record.write({"slices": n, "repeat": repeat, "target_ratio": 2.0, "rows": rows})


def run(
    size: str, repeat: int, seed: int = 7, time_limit: float | None = None
) -> dict[str, float | int | str]:
    n_hw, n_tiers, n_periods, n_points = (int(v) for v in size.split("x"))
    best: dict[str, float | int | str] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        path = synthetic(n_hw, n_tiers, n_periods, n_points, Path(tmp), seed=seed)
        for _ in range(repeat):
            t0 = time.perf_counter()
            inst = load_instance(path)
            t_load = time.perf_counter() - t0
            planner = Planner(inst, SolveOptions(mip_gap=1e-4))
            deadline = None if time_limit is None else time.monotonic() + time_limit + 3600
            # The time limit caps the MILP only; the post-solve steps are what is measured.
            planner.session.time_limit = time_limit  # type: ignore[union-attr]
            plan = planner.solve(deadline=deadline)
            total = time.perf_counter() - t0
            row: dict[str, float | int | str] = {
                "size": f"{size} s{seed}",
                "triples": len(planner.data.structure.serve_index),
                "variables": plan.model_size["variables"],
                "constraints": plan.model_size["constraints"],
                "load_s": t_load + planner.timings["read_frontiers"],
                "coef_s": planner.timings["coefficients"],
                "build_s": planner.timings["build"],
                "solve_s": planner.timings["solve"],
                # after the solve: plan extraction, the independent check, marginal values
                "after_s": sum(
                    planner.timings.get(k, 0.0) for k in ("extract", "verify", "marginals")
                ),
                "total_s": total,
                "post_pct": 100.0
                * sum(planner.timings.get(k, 0.0) for k in ("extract", "verify", "marginals"))
                / total,
                "status": plan.status,
                "gap": plan.mip_gap if plan.mip_gap is not None else float("nan"),
            }
            if best is None or float(row["total_s"]) < float(best["total_s"]):
                best = row
    assert best is not None
    return best


def direct_highspy(planner: Planner, mip_gap: float, time_limit: float | None) -> float:
    """Seconds for HiGHS alone on the planner's MILP (the model copied out of Pyomo)."""
    import highspy

    session = planner.session
    assert session is not None
    session.solver.set_instance(planner.model)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(session.highs.getModel())
    h.setOptionValue("mip_rel_gap", mip_gap)
    if time_limit is not None:
        h.setOptionValue("time_limit", time_limit)
    t0 = time.perf_counter()
    h.run()
    return time.perf_counter() - t0


def strategies(size: str, seed: int, time_limit: float | None) -> dict[str, Any]:
    """Certified against milp against a direct highspy MILP, one size, one run each."""
    n_hw, n_tiers, n_periods, n_points = (int(v) for v in size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        path = synthetic(n_hw, n_tiers, n_periods, n_points, Path(tmp), seed=seed)
        rows = {}
        for strategy in ("certified", "milp"):
            t0 = time.perf_counter()
            planner = Planner(
                load_instance(path),
                SolveOptions(mip_gap=1e-4, strategy=strategy, time_limit=time_limit),
            )
            plan = planner.solve()
            rows[strategy] = (time.perf_counter() - t0, planner.timings["solve"], plan)
        direct = direct_highspy(planner, 1e-4, time_limit)
    cert_total, cert_solve, cert = rows["certified"]
    milp_total, milp_solve, milp = rows["milp"]
    print(
        f"{size} s{seed}: certified {cert_total:.2f} s end to end (solve {cert_solve:.2f} s, "
        f"{cert.status}, gap {cert.mip_gap or 0:.1e} = {cert.mip_gap_usd or 0:,.0f} USD, "
        f"{cert.proof}); milp {milp_total:.2f} s (solve {milp_solve:.2f} s, gap "
        f"{milp.mip_gap or 0:.1e}); direct highspy MILP {direct:.2f} s; "
        f"certified/direct {cert_total / direct:.2f}, certified/milp solve "
        f"{cert_solve / milp_solve:.2f}; objective certified - milp "
        f"{(cert.objective_usd or 0) - (milp.objective_usd or 0):+,.0f} USD",
        flush=True,
    )
    return {
        "size": f"{size} s{seed}",
        "certified_end_to_end_s": cert_total,
        "certified_solve_s": cert_solve,
        "certified_status": cert.status,
        "certified_gap": cert.mip_gap,
        "certified_proof": cert.proof,
        "milp_end_to_end_s": milp_total,
        "milp_solve_s": milp_solve,
        "milp_gap": milp.mip_gap,
        "direct_highspy_s": direct,
        "ratio_certified_to_direct": cert_total / direct,
        "objective_certified_minus_milp_usd": (cert.objective_usd or 0) - (milp.objective_usd or 0),
    }


def reference_strategies() -> dict[str, Any]:
    """The 1 GW reference instance, solve time of each strategy (same run).

    The solver time is the strategy's own (HiGHS runs and the certified strategy's steps)
    with the model already loaded into HiGHS; the Pyomo-to-HiGHS load, the same for both
    strategies, is printed beside it (``planner.timings["solve"]`` includes it)."""
    ref = Path(__file__).resolve().parents[1] / "instances" / "gtc2026-1gw.yaml"
    out = []
    for strategy in ("certified", "milp"):
        planner = Planner(load_instance(ref), SolveOptions(strategy=strategy))
        assert planner.session is not None and planner.model is not None
        t0 = time.perf_counter()
        planner.session.solver.set_instance(planner.model)
        load = time.perf_counter() - t0
        plan = planner.solve()
        out.append((strategy, planner.timings["solve"], plan, load))
    (_, cs, cp, load), (_, ms, mp, _) = out
    print(
        f"reference {ref.name}: certified solver time {cs:.2f} s (gap {cp.mip_gap or 0:.1e}, "
        f"{cp.proof}), milp {ms:.2f} s (gap {mp.mip_gap or 0:.1e}); ratio {cs / ms:.2f}; "
        f"loading the model into HiGHS before either {load:.2f} s",
        flush=True,
    )
    return {
        "instance": ref.name,
        "certified_solve_s": cs,
        "certified_gap": cp.mip_gap,
        "certified_proof": cp.proof,
        "milp_solve_s": ms,
        "milp_gap": mp.mip_gap,
        "load_into_highs_s": load,
        "target_solve_s": 0.5,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes",
        nargs="+",
        default=[
            "5x5x3x20",
            "10x8x5x50",
            "20x10x5x100",
            "30x15x8x150",
            "50x20x10x200",
            "100x40x20x200",
        ],
    )
    ap.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds per MILP (the post-solve steps are not capped)",
    )
    ap.add_argument(
        "--seeded-size",
        default="50x20x10x200",
        help="the size run with --seeds seeds (others: one seed)",
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest is shown")
    ap.add_argument(
        "--seeds",
        type=int,
        default=5,
        help="seeds of the largest size (solve time varies with the instance)",
    )
    ap.add_argument(
        "--slices",
        type=int,
        default=0,
        help="option time_slices: solve each size and instances/gtc2026-1gw.yaml without "
        "slices and with N (synthetic diurnal demand), and print both solve times",
    )
    ap.add_argument(
        "--strategies",
        action="store_true",
        help="certified vs milp vs a direct highspy MILP per size (one seed: 7)",
    )
    args = ap.parse_args()
    if args.slices > 0:
        main_slices(args.slices, args.sizes, args.time_limit, args.repeat)
        return
    if args.strategies:
        record = Record("scale_strategies")
        reference = reference_strategies()
        sizes = [strategies(size, 7, args.time_limit) for size in args.sizes]
        record.write(
            {"reference": reference, "sizes": sizes, "target_ratio_certified_to_direct": 0.25}
        )
        return
    record = Record("scale")
    rows = []
    head = (
        f"{'size (hw x tiers x periods x points)':>38} {'triples':>8} {'vars':>7} {'cons':>6} "
        f"{'load':>6} {'coef':>6} {'build':>6} {'solve':>6} {'after':>6} {'total':>6} "
        f"{'post':>5}  status    gap"
    )
    print(head)
    jobs: list[tuple[str, int]] = []
    for size in args.sizes:
        seeds = range(1, args.seeds + 1) if size == args.seeded_size else [7]
        jobs += [(size, seed) for seed in seeds]
    totals = []
    worst_post = 0.0
    for size, seed in jobs:
        r = run(size, args.repeat, seed, args.time_limit)
        rows.append(r)
        worst_post = max(worst_post, float(r["post_pct"]))
        if size == args.seeded_size:
            totals.append(float(r["total_s"]))
        print(
            f"{r['size']:>38} {r['triples']:>8} {r['variables']:>7} {r['constraints']:>6} "
            f"{r['load_s']:>6.2f} {r['coef_s']:>6.2f} {r['build_s']:>6.2f} {r['solve_s']:>6.2f} "
            f"{r['after_s']:>6.2f} {r['total_s']:>6.2f} {float(r['post_pct']):>4.1f}%  "
            f"{r['status']:<9} {float(r['gap']):.1e}",
            flush=True,
        )
    site = Path(__file__).resolve().parents[1] / "instances" / "site-2026-2030.yaml"
    t0 = time.perf_counter()
    inst = load_instance(site)
    planner = Planner(inst)
    plan = planner.solve()
    site_s = time.perf_counter() - t0
    print(
        f"\nreference site {site.name} (7 hardware x 5 tiers x 5 periods): {plan.status}, "
        f"gap {plan.mip_gap:.1e}, end to end {site_s:.2f} s "
        f"(solve {planner.timings['solve']:.2f} s)"
    )
    totals.sort()
    if totals:
        print(
            f"{args.seeded_size} over {len(totals)} seeds: median "
            f"{totals[len(totals) // 2]:.2f} s, worst {totals[-1]:.2f} s end to end"
        )
    print(f"post-solve share of end to end, worst size: {worst_post:.1f}% (target < 10%)")
    record.write(
        {
            "rows": rows,
            "site": {
                "instance": site.name,
                "status": plan.status,
                "gap": plan.mip_gap,
                "end_to_end_s": site_s,
            },
            "worst_post_pct": worst_post,
        }
    )


if __name__ == "__main__":
    main()
