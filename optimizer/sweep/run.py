"""Run scenarios: in this process, on local worker processes, or on a Dask cluster.

Every path does the same thing per scenario: apply the scenario's changes to the
base instance, point a :class:`~optimizer.solve.planner.Planner` at it (numbers
are updated in place; a change of structure rebuilds), solve, and turn the plan
into one row. Each worker builds its model once and reuses it for every scenario
it gets. A failing scenario becomes a row with its error; the others go on.
Ctrl-C stops the sweep and keeps the rows already finished.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optimizer.errors import InputError
from optimizer.instance.load import load_instance
from optimizer.instance.schema import Instance
from optimizer.results.plan import Plan
from optimizer.solve.options import SolveOptions
from optimizer.solve.planner import Planner
from optimizer.sweep.spec import Factor, KeyPath, parse_key, scenario_instance

Changes = dict[KeyPath, float]


# A sweep runs one HiGHS thread per worker unless told otherwise: the workers are the
# parallelism. ``SolveOptions`` is the one options object of optimizer.solve.options.
SWEEP_OPTIONS = SolveOptions(threads=1)


@dataclass
class SweepResult:
    """The tidy table (one row per scenario) and how the sweep went."""

    table: pd.DataFrame
    seconds: float
    interrupted: bool = False
    rebuilds: int = 0
    solver_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------ rows
def plan_row(plan: Plan) -> dict[str, Any]:
    """The figures of one plan, flattened to one row of named columns."""
    row: dict[str, Any] = {
        "status": plan.status,
        "objective_usd": plan.objective_usd,
        "mip_gap": plan.mip_gap,
        "revenue_usd": plan.revenue_usd,
        "capex_usd": plan.capex_usd,
        "energy_usd": plan.energy_usd,
    }
    if not plan.has_solution:
        return row
    for tier, grp in plan.sold.groupby("tier", sort=False):
        row[f"mtok[{tier}]"] = float(grp["mtok"].sum())
        row[f"revenue_usd[{tier}]"] = float(grp["revenue_usd"].sum())
    bought = plan.buy.groupby("hardware")["units"].sum() if len(plan.buy) else {}
    for hw in plan.installed["hardware"].unique():
        row[f"units_bought[{hw}]"] = int(bought.get(hw, 0)) if len(plan.buy) else 0
    for r in plan.resources.itertuples(index=False):
        if r.resource in ("power_mw", "rack_positions"):
            row[f"{r.resource}_used[{r.period}]"] = float(r.used)
    for r in plan.marginal_values.itertuples(index=False):
        where = (
            r.tier
            if isinstance(r.tier, str)
            else r.hardware
            if isinstance(r.hardware, str)
            else None
        )
        label = ",".join(str(x) for x in (where, r.period) if x is not None and x == x)
        row[f"mv_{r.resource}[{label}]"] = float(r.usd_per_unit)
    return row


def _solve_one(planner: Planner, base: Instance, index: int, changes: Changes) -> dict[str, Any]:
    t0 = time.perf_counter()
    row: dict[str, Any] = {"scenario": index}
    for k, v in changes.items():
        row[f"{k}:factor" if isinstance(v, Factor) else str(k)] = float(v)
    try:
        inst = scenario_instance(base, changes)
        rebuilt = planner.update(inst)
        plan = planner.solve()
        row.update(plan_row(plan))
        row["rebuilt"] = rebuilt
        row["solver_s"] = planner.timings.get("solve", 0.0) + planner.timings.get("marginals", 0.0)
        row["error"] = ""
    except InputError as exc:
        row.update(status="error", error="; ".join(exc.problems))
    except Exception as exc:  # a scenario's failure must not stop the sweep
        row.update(status="error", error=f"{type(exc).__name__}: {exc}")
        row["traceback"] = traceback.format_exc(limit=3)
    row["seconds"] = time.perf_counter() - t0
    return row


# ----------------------------------------------------------------- worker processes
_WORKER: dict[str, Any] = {}


def _encode(changes: Changes) -> list[tuple[str, float]]:
    return [(k.text, v) for k, v in changes.items()]


def _decode(items: Iterable[tuple[str, float]]) -> Changes:
    return {parse_key(k): v for k, v in items}


def _worker_planner(
    base_json: str, base_dir: str | None, options: SolveOptions
) -> tuple[Planner, Instance]:
    """This process's planner for the base instance, built on first use and then kept."""
    key = f"{hash(base_json)}:{options}"
    if _WORKER.get("key") != key:
        base = load_instance(json.loads(base_json), base_dir=base_dir)
        _WORKER["base"] = base
        _WORKER["planner"] = _local_planner(base, options)
        _WORKER["key"] = key
    return _WORKER["planner"], _WORKER["base"]


def solve_task(
    base_json: str,
    base_dir: str | None,
    options: SolveOptions,
    index: int,
    changes: list[tuple[str, float]],
) -> dict[str, Any]:
    """One scenario in a worker process (picklable: used by the process pool and Dask)."""
    planner, base = _worker_planner(base_json, base_dir, options)
    return _solve_one(planner, base, index, _decode(changes))


# --------------------------------------------------------------------------- driver
def _local_planner(base: Instance, options: SolveOptions) -> Planner:
    return Planner(base, options)


def run_sweep(
    base: Instance,
    scenarios: Sequence[Changes],
    *,
    options: SolveOptions | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Solve every scenario and return the tidy table.

    ``workers``: 0 or 1 runs in this process; None uses one process per core.
    ``scheduler``: a Dask scheduler address (``tcp://host:8786``) or a
    ``distributed.Client``; scenarios then run on that cluster.
    ``progress(done, total)`` is called as scenarios finish.
    """
    options = options or SWEEP_OPTIONS
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    interrupted = False
    total = len(scenarios)
    tick = progress or (lambda done, total: None)
    base_json = json.dumps(base.model_dump(mode="json"))
    try:
        if scheduler is not None:
            rows = _run_dask(scheduler, base_json, base.base_dir, options, scenarios, tick)
        elif workers is not None and workers <= 1:
            planner = _local_planner(base, options)
            for i, changes in enumerate(scenarios):
                rows.append(_solve_one(planner, base, i, changes))
                tick(len(rows), total)
        else:
            n = workers or os.cpu_count() or 1
            try:
                rows = _run_pool(n, base_json, base.base_dir, options, scenarios, tick)
            except BrokenProcessPool:
                # Workers could not start (e.g. a script read from stdin cannot be re-imported
                # by spawned processes): finish in this process rather than fail.
                done = {r["scenario"] for r in _PARTIAL.pop("rows", [])}
                notes.append("worker processes could not start; ran in this process")
                planner = _local_planner(base, options)
                rows = []
                for i, changes in enumerate(scenarios):
                    if i not in done:
                        rows.append(_solve_one(planner, base, i, changes))
                        tick(len(rows), total)
    except KeyboardInterrupt:
        interrupted = True
        rows = _PARTIAL.pop("rows", rows)
    table = pd.DataFrame(rows)
    if not table.empty:
        table = table.sort_values("scenario").reset_index(drop=True)
    return SweepResult(
        table=table,
        seconds=time.perf_counter() - t0,
        interrupted=interrupted,
        rebuilds=int(table["rebuilt"].fillna(False).sum()) if "rebuilt" in table else 0,
        solver_seconds=float(table["solver_s"].fillna(0).sum()) if "solver_s" in table else 0.0,
        notes=notes,
    )


_PARTIAL: dict[str, list[dict[str, Any]]] = {}


def _run_pool(
    n: int,
    base_json: str,
    base_dir: str | None,
    options: SolveOptions,
    scenarios: Sequence[Changes],
    tick: Callable[[int, int], None],
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    _PARTIAL["rows"] = rows
    # "spawn", not fork: a forked child inherits HiGHS's thread pool in whatever state the
    # parent's threads left it, and deadlocks on its first solve.
    pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
    try:
        pending: set[Future[dict[str, Any]]] = {
            pool.submit(solve_task, base_json, base_dir, options, i, _encode(c))
            for i, c in enumerate(scenarios)
        }
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                rows.append(fut.result())
            tick(len(rows), len(scenarios))
    except KeyboardInterrupt:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    _PARTIAL.pop("rows", None)
    return rows


def _run_dask(
    scheduler: Any,
    base_json: str,
    base_dir: str | None,
    options: SolveOptions,
    scenarios: Sequence[Changes],
    tick: Callable[[int, int], None],
) -> list[dict[str, Any]]:
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(
            "--scheduler needs Dask distributed: pip install 'optimizer[cluster]'"
        ) from None
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout=30) if own else scheduler
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    rows: list[dict[str, Any]] = []
    _PARTIAL["rows"] = rows
    futures = [
        client.submit(solve_task, base_json, base_dir, options, i, _encode(c), pure=False)
        for i, c in enumerate(scenarios)
    ]
    try:
        for fut in as_completed(futures):
            rows.append(fut.result())
            tick(len(rows), len(scenarios))
    except KeyboardInterrupt:
        client.cancel(futures)
        raise
    finally:
        if own:
            client.close()
    _PARTIAL.pop("rows", None)
    return rows
