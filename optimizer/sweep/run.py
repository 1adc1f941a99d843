"""Run scenarios: in this process, on local worker processes, or on a Dask cluster.

Every path does the same thing per scenario: apply the scenario's changes to the
base instance, point a :class:`~optimizer.planning.planner.Planner` at it (numbers
are updated in place; a change of structure rebuilds), solve, and turn the plan
into one row. Each worker builds its model once and reuses it for every scenario
it gets. A failing scenario becomes a row with its error; the others go on.

A row is a function of its scenario alone, not of what the same worker solved
before (see :class:`~optimizer.solver.highs.HighsSession`), so the table is the
same on any number of workers. Ctrl-C stops the sweep on any number of workers and
keeps the rows already finished; so does a pool whose workers die. ``done`` rows
(from a stopped sweep) are kept and their scenarios skipped.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optimizer.errors import InputError
from optimizer.instance.load import load_instance
from optimizer.instance.schema import Instance
from optimizer.planning.planner import Planner
from optimizer.processes import stop_pool, worker_start
from optimizer.results.plan import Plan
from optimizer.solver.options import SolveOptions, with_overrides
from optimizer.sweep.spec import Factor, KeyPath, ScenarioValue, parse_key, scenario_instance

Changes = Mapping[KeyPath, ScenarioValue]
# Columns that measure time, not the plan: they differ run to run.


# A sweep runs one HiGHS thread per worker unless told otherwise: the workers are the
# parallelism. ``SolveOptions`` is the one options object of optimizer.solver.options.
SWEEP_OPTIONS = SolveOptions(threads=1)


@dataclass
class SweepResult:
    """The tidy table (one row per scenario) and how the sweep went."""

    table: pd.DataFrame
    seconds: float
    interrupted: bool = False
    rebuilds: int = 0  # models built anew in the workers (structure changed)
    solver_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------ rows
def plan_row(plan: Plan) -> dict[str, Any]:
    """The figures of one plan, flattened to one row of named columns."""
    row: dict[str, Any] = {
        "status": plan.status,
        "objective_usd": plan.objective_usd,
        "mip_gap": plan.mip_gap,
        "mip_gap_usd": plan.mip_gap_usd,
        "proof": plan.proof,
        "revenue_usd": plan.revenue_usd,
        "capex_usd": plan.capex_usd,
        "energy_usd": plan.energy_usd,
    }
    if plan.residual_value_usd:  # residual value, fixed cost: only when in play
        row["residual_value_usd"] = plan.residual_value_usd
    if plan.fixed_cost_usd:
        row["fixed_cost_usd"] = plan.fixed_cost_usd
    if plan.opex_usd:  # v3 options, likewise
        row["opex_usd"] = plan.opex_usd
    if plan.platform_cost_usd:
        row["platform_cost_usd"] = plan.platform_cost_usd
    if not plan.has_solution:
        return row
    if plan.finance is not None:  # optimizer/results/finance.py: what a finance team asks
        # NaN, not None, when there is none: the column stays numeric in every table
        f = plan.finance
        row["npv_usd"] = f.npv_usd
        row["irr"] = math.nan if f.irr is None else f.irr
        row["payback_years"] = math.nan if f.payback_years is None else f.payback_years
    if plan.price is not None and len(plan.price):  # price menus: the price chosen
        for r in plan.price.itertuples(index=False):
            row[f"price_usd_per_mtok[{r.tier},{r.period}]"] = float(r.price_usd_per_mtok)
    for tier, grp in plan.sold.groupby("tier", sort=False):
        row[f"mtok[{tier}]"] = float(grp["mtok"].sum())
        row[f"revenue_usd[{tier}]"] = float(grp["revenue_usd"].sum())
    bought = plan.buy.groupby("hardware")["units"].sum() if len(plan.buy) else {}
    for hw in plan.installed["hardware"].unique():
        row[f"units_bought[{hw}]"] = int(bought.get(hw, 0)) if len(plan.buy) else 0
    for r in plan.buy.itertuples(index=False):  # per period: how often each is bought when
        row[f"bought[{r.hardware},{r.period}]"] = int(r.units)
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
        at = (where, r.period, getattr(r, "slice", None))  # time slices: demand_slice rows
        label = ",".join(str(x) for x in at if x is not None and x == x)
        row[f"mv_{r.resource}[{label}]"] = float(r.usd_per_unit)
    return row


def scenario_fields(changes: Changes) -> dict[str, Any]:
    """The inputs of a scenario as its row records them (``KEY`` or ``KEY:factor``)."""
    fields: dict[str, Any] = {}
    for k, v in changes.items():
        if isinstance(v, Factor):
            fields[f"{k}:factor"] = float(v)
        else:
            fields[str(k)] = v if isinstance(v, str) else float(v)
    return fields


def _solve_one(
    planner: Planner, base: Instance, base_structure: object, index: int, changes: Changes
) -> dict[str, Any]:
    t0 = time.perf_counter()
    row: dict[str, Any] = {"scenario": index, **scenario_fields(changes)}
    try:
        inst = scenario_instance(base, changes)
        row["_rebuilt"] = planner.update(inst)
        plan = planner.solve()
        row.update(plan_row(plan))
        # Against the base model, not the worker's last one: the same on any worker.
        row["structure_changed"] = planner.data.structure != base_structure
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


def _encode(changes: Changes) -> list[tuple[str, ScenarioValue]]:
    return [(k.text, v) for k, v in changes.items()]


def _decode(items: Iterable[tuple[str, ScenarioValue]]) -> Changes:
    return {parse_key(k): v for k, v in items}


def _worker_planner(
    base_json: str, base_dir: str | None, options: SolveOptions
) -> tuple[Planner, Instance, object]:
    """This process's planner for the base instance, built on first use and then kept."""
    key = f"{hash(base_json)}:{options}"
    if _WORKER.get("key") != key:
        base = load_instance(json.loads(base_json), base_dir=base_dir)
        _WORKER["base"] = base
        _WORKER["planner"] = _local_planner(base, options)
        _WORKER["structure"] = _WORKER["planner"].data.structure
        _WORKER["key"] = key
    return _WORKER["planner"], _WORKER["base"], _WORKER["structure"]


def solve_task(
    base_json: str,
    base_dir: str | None,
    options: SolveOptions,
    index: int,
    changes: list[tuple[str, ScenarioValue]],
) -> dict[str, Any]:
    """One scenario in a worker process (picklable: used by the process pool and Dask)."""
    planner, base, structure = _worker_planner(base_json, base_dir, options)
    return _solve_one(planner, base, structure, index, _decode(changes))


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
    done: Sequence[dict[str, Any]] = (),
    on_row: Callable[[dict[str, Any]], None] | None = None,
    **overrides: Any,
) -> SweepResult:
    """Solve every scenario and return the tidy table.

    ``options`` (default :data:`SWEEP_OPTIONS`: one HiGHS thread per worker) and keyword
    ``overrides`` of its fields (``time_limit=5``: per scenario) apply to every scenario.

    ``workers``: 0 or 1 runs in this process; None uses one process per core.
    ``scheduler``: a Dask scheduler address (``tcp://host:8786``) or a
    ``distributed.Client``; scenarios then run on that cluster.
    ``progress(done, total)`` is called as scenarios finish; ``on_row(row)`` with each
    finished row (to journal it). ``done``: rows already finished (a resumed sweep):
    kept, and their scenarios are not solved again.
    """
    options = with_overrides(options or SWEEP_OPTIONS, overrides)
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = [dict(r) for r in done]
    finished = {int(r["scenario"]) for r in rows}
    todo = [(i, c) for i, c in enumerate(scenarios) if i not in finished]
    notes: list[str] = []
    interrupted = False
    total = len(scenarios)
    report = progress or (lambda done, total: None)

    def collect(row: dict[str, Any]) -> None:
        # Journal first, then keep: a Ctrl-C between the two leaves a row in the journal
        # that the table lacks (a resume keeps it), never a row in the table that the
        # journal lacks (a resume would solve it again and the kept row would change).
        if on_row is not None:
            on_row({k: v for k, v in row.items() if not k.startswith("_")})
        rows.append(row)
        report(len(rows), total)

    base_json = json.dumps(base.model_dump(mode="json"))
    try:
        if scheduler is not None:
            _run_dask(scheduler, _Tasks(base_json, base.base_dir, options, todo), collect)
        elif workers is not None and workers <= 1 and _threads_here_agree(options):
            _run_here(base, options, todo, collect)
        else:
            if workers is not None and workers <= 1:
                notes.append(
                    "HiGHS already runs with another thread count in this process: the rows "
                    "were solved in one worker process, as any number of workers solves them"
                )
            n = max(1, workers) if workers is not None else (os.cpu_count() or 1)
            try:
                _run_pool(n, _Tasks(base_json, base.base_dir, options, todo), collect)
            except BrokenProcessPool:
                # Workers died (killed, out of memory) or could not start (a script read
                # from stdin cannot be re-imported by spawned processes): keep what
                # finished and solve the rest in this process.
                notes.append("the worker processes stopped; finished the rest in this process")
                left = {int(r["scenario"]) for r in rows}
                _run_here(base, options, [(i, c) for i, c in todo if i not in left], collect)
    except KeyboardInterrupt:
        interrupted = True
    return SweepResult(
        table=rows_table(rows),
        seconds=time.perf_counter() - t0,
        interrupted=interrupted,
        rebuilds=sum(bool(r.get("_rebuilt")) for r in rows),
        solver_seconds=float(sum(r.get("solver_s") or 0.0 for r in rows)),
        notes=notes,
    )


def rows_table(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """The table of finished rows, in scenario order, columns in a fixed order.

    The order does not depend on which rows finished first, so the same scenarios
    give the same table on any number of workers.
    """
    ordered = sorted(
        ({k: v for k, v in r.items() if not k.startswith("_")} for r in rows),
        key=lambda r: int(r["scenario"]),
    )
    table = pd.DataFrame(ordered)
    # A row lists the units it bought; a unit another row bought and this one did not is 0
    # here, not blank, so the columns are whole numbers whichever rows finished (a resumed
    # sweep's table is then the same as one run straight through).
    if "objective_usd" in table:
        solved = table["objective_usd"].notna()
        for col in [c for c in table if c.startswith(("bought[", "units_bought["))]:
            table.loc[solved & table[col].isna(), col] = 0
            if table[col].notna().all():
                table[col] = table[col].astype("int64")
    return table


def _run_here(
    base: Instance,
    options: SolveOptions,
    todo: Sequence[tuple[int, Changes]],
    collect: Callable[[dict[str, Any]], None],
) -> None:
    if not todo:
        return
    planner = _local_planner(base, options)
    structure = planner.data.structure
    for i, changes in todo:
        collect(_solve_one(planner, base, structure, i, changes))


@dataclass(frozen=True)
class _Tasks:
    """The scenarios a pool or a Dask cluster solves: the base instance as JSON, its
    folder, the solve options and the (row, changes) pairs; :meth:`args` are one task's
    arguments of :func:`solve_task`."""

    base_json: str
    base_dir: str | None
    options: SolveOptions
    todo: Sequence[tuple[int, Changes]]

    def args(self, i: int, changes: Changes) -> tuple[Any, ...]:
        return (self.base_json, self.base_dir, self.options, i, _encode(changes))


def _threads_here_agree(options: SolveOptions) -> bool:
    """This process's HiGHS solves with the thread count the sweep asks for (or has not
    started yet, so it will). HiGHS fixes its thread pool at a process's first solve, and a
    MIP may end at another of its optimal plans with another count: a sweep solved here
    after, say, ``optimizer.solve`` (automatic threads) could differ from the same sweep on
    worker processes."""
    from optimizer.solver.highs import _PROCESS_THREADS

    wanted = 0 if options.threads is None else int(options.threads)
    return _PROCESS_THREADS.get("n", wanted) == wanted


def _run_pool(n: int, tasks: _Tasks, collect: Callable[[dict[str, Any]], None]) -> None:
    todo = tasks.todo
    if not todo:
        return
    # "spawn", not fork: a forked child inherits HiGHS's thread pool in whatever state the
    # parent's threads left it, and deadlocks on its first solve. Workers ignore Ctrl-C:
    # the driver stops them, so no worker records a half-done solve as a row.
    pool = ProcessPoolExecutor(
        max_workers=min(n, len(todo)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=worker_start,
        initargs=(os.getpid(),),
    )
    pending: set[Future[dict[str, Any]]] = set()
    try:
        pending = {pool.submit(solve_task, *tasks.args(i, c)) for i, c in todo}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            broken: BrokenProcessPool | None = None
            for fut in finished:
                try:
                    collect(fut.result())
                except BrokenProcessPool as exc:
                    broken = exc
            if broken is not None:
                raise broken
    except BaseException:
        for fut in pending:
            fut.cancel()
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _run_dask(scheduler: Any, tasks: _Tasks, collect: Callable[[dict[str, Any]], None]) -> None:
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
    futures = [client.submit(solve_task, *tasks.args(i, c), pure=False) for i, c in tasks.todo]
    try:
        for fut in as_completed(futures):
            collect(fut.result())
    except KeyboardInterrupt:
        client.cancel(futures)
        raise
    finally:
        if own:
            client.close()
