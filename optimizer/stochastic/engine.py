"""Solve a two-stage program: extensive form (EF) or progressive hedging (PH), with mpi-sppy.

:func:`solve` does, in order:

1. wait and see: each scenario alone (WS_s); a scenario infeasible on its own is
   infeasible whatever the first stage, so the run stops there and names it with the
   deterministic planner's diagnosis;
2. the expected-value instance EV (docs/model.md), and EEV_s: each scenario re-planned with
   EV's first-stage purchase fixed;
3. the two-stage program: ``ef`` builds mpi-sppy's ``ExtensiveForm`` from the planner's
   scenario models and solves it with HiGHS; ``ph`` runs mpi-sppy's PH hub with bound
   spokes over the MPI ranks (:mod:`optimizer.stochastic.wheel`), re-plans candidate
   first stages in every scenario and reports the best, its bounds and their gap.

Under ``mpiexec -n K`` every rank runs this function; scenarios' re-plans are split
across ranks and gathered; every rank returns the same result (rank 0 writes files).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import pandas as pd

from optimizer.errors import InputError
from optimizer.extras import require
from optimizer.frontiers.table import read_frontier_table
from optimizer.instance.load import load_instance
from optimizer.instance.schema import Instance, PeriodLabel
from optimizer.planning.planner import Planner
from optimizer.processes import stop_pool, worker_start
from optimizer.results.plan import Plan
from optimizer.solver.options import SolveOptions
from optimizer.stochastic.ef import solve_ef as _solve_ef
from optimizer.stochastic.model import HP, ScenarioModels, first_stage_periods, replan
from optimizer.stochastic.options import StochasticOptions, stochastic_options
from optimizer.stochastic.ranks import Ranks
from optimizer.stochastic.result import ScenarioOutcome, TwoStagePlan, assemble
from optimizer.stochastic.scenarios import Scenarios, load_scenarios
from optimizer.stochastic.side import (
    SideFigures,
    Slice,
    bound_by,
    first_stage_conflict,
    left,
    merge_slices,
    outcome,
    side_figures,
)
from optimizer.stochastic.side import timed_out as _timed_out

ScenarioInput: TypeAlias = Scenarios | pd.DataFrame | str | Path | Sequence[Mapping[str, Any]]


# ------------------------------------------------------------------------- solve
def solve(
    instance: Instance | str | Path | Mapping[str, Any],
    scenarios: ScenarioInput,
    options: StochasticOptions | SolveOptions | None = None,
    **overrides: Any,
) -> TwoStagePlan:
    """One first-stage purchase for all scenarios of ``instance``; see the module doc.

    Parameters
    ----------
    scenarios:
        A scenario CSV path, a DataFrame or list of rows in that format, or
        :class:`~optimizer.stochastic.scenarios.Scenarios`.
    options:
        A :class:`~optimizer.stochastic.options.StochasticOptions` (a plain
        :class:`~optimizer.solver.options.SolveOptions` is taken as its ``solve``).
    overrides:
        Per-call changes of its fields, as the keywords this function always took:
        ``first_stage``, ``method`` (``"ef"``/``"ph"``), ``cvar_alpha``, ``risk_weight``,
        ``ph_iterations``, ``ph_rho``, ``parallel`` (EF: re-plans in spawned processes;
        call it under ``if __name__ == "__main__":``), ``ef_decompose``, and the
        :class:`SolveOptions` fields (``objective``, ``time_limit`` for the whole run,
        ``mip_gap``, ``threads``, ``log``...), which go to ``options.solve``.

    Raises
    ------
    optimizer.InputError
        Bad instance, scenarios or options (all listed), before anything is solved.
    """
    t_start = time.perf_counter()
    o = stochastic_options(options, overrides)
    first_stage, method, cvar_alpha, risk_weight = (
        o.first_stage,
        o.method,
        o.cvar_alpha,
        o.risk_weight,
    )
    objective, time_limit, mip_gap, threads, log = (
        o.solve.objective,
        o.solve.time_limit,
        o.solve.mip_gap,
        o.solve.threads,
        o.solve.log,
    )
    parallel, ef_decompose, ef_branch, ph_iterations, ph_rho = (
        o.parallel,
        o.ef_decompose,
        o.ef_branch,
        o.ph_iterations,
        o.ph_rho,
    )
    # mpi-sppy builds the scenario tree: without it, one line naming the extra, before Pyomo
    # or anything else is loaded and warns.
    require("mpisppy", "stochastic", "a two-stage plan (optimizer stochastic)")
    mono_start = time.monotonic()
    if method not in ("ef", "ph"):
        raise InputError(f"--method: {method!r} is not ef or ph")
    if cvar_alpha is not None and not 0 < cvar_alpha < 1:
        raise InputError(f"--cvar: alpha {cvar_alpha} is not in (0, 1)")
    if risk_weight is not None and not 0 <= risk_weight <= 1:
        raise InputError(f"--risk-weight: lambda {risk_weight} is not in [0, 1]")
    if risk_weight and cvar_alpha is None:
        raise InputError("--risk-weight needs --cvar ALPHA")
    base = load_instance(instance)
    sc = load_scenarios(base, scenarios)
    periods = first_stage_periods(base, first_stage)
    table = read_frontier_table(base)
    ranks = Ranks()
    if method == "ef" and ranks.size > 1:
        raise InputError(
            "--method ef solves one model in one process; under mpiexec use --method ph"
        )
    timings: dict[str, float] = {"prepare": time.perf_counter() - t_start}
    # --time-limit bounds the run's solving as a whole, not each solve: every HiGHS run
    # (re-plans, the two-stage program) gets what is left until this instant.
    deadline = None if time_limit is None else mono_start + time_limit
    opts = o.replan_options()
    planner = Planner(sc.instances[0], opts, table=table)
    solver_seconds = [0.0]

    def timed_replan(inst: Instance, fixed: Mapping[HP, int] | None) -> Plan:
        if not bound_by(planner, deadline):
            return _timed_out(inst, objective)
        plan = replan(planner, inst, fixed, periods)
        solver_seconds[0] += plan.timings.get("solve", 0.0)
        return plan

    models = ScenarioModels(
        scenarios=sc,
        first_periods=periods,
        objective=objective,
        cvar_alpha=cvar_alpha,
        risk_weight=risk_weight or 0.0,
        table=table,
    )

    def solve_ef() -> dict[str, Any]:
        return _solve_ef(
            models,
            time_limit=left(deadline),
            mip_gap=mip_gap,
            threads=threads,
            log=log,
            decompose=ef_decompose,
            branch=ef_branch,
        )

    two: dict[str, Any] | None = None
    if parallel and method == "ef" and ranks.size == 1:
        # HiGHS's MIP search runs mostly on one core: the re-plans of the wait-and-see and
        # expected-value figures run meanwhile in a second process (spawned: a fresh
        # interpreter, nothing inherited from MPI or HiGHS's threads).
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        t0 = time.perf_counter()
        k = side_workers(len(sc))
        pool = ProcessPoolExecutor(
            k,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker_start,  # ignores Ctrl-C, ends with this process
            initargs=(os.getpid(),),
        )
        try:
            budget = left(deadline)
            futures = [
                pool.submit(_side_figures_alone, sc, periods, opts, table, budget, part, k)
                for part in range(k)
            ]
            two = solve_ef()
            timings["two_stage"] = time.perf_counter() - t0
            side = merge_slices(
                [f.result() for f in futures],
                lambda i, first: outcome(timed_replan(sc.instances[i], first)),
            )
        except BaseException:
            # Ctrl-C (or an error) in the EF solve: stop the re-plans now rather than wait
            # for them (the pool's exit waited ~35 s on the reference instance).
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
        timings.update(side.timings)
        timings["side_figures_wall"] = time.perf_counter() - t0
    else:
        side = side_figures(sc, periods, timed_replan, ranks)
        timings.update(side.timings)
    solver_seconds[0] += side.solver_seconds
    ws = side.ws
    alone = [(n, o) for n, o in zip(sc.names, ws, strict=True) if not o.has_plan]
    timed_out = [n for n, o in alone if o.status == "time_limit"]
    if alone and (len(timed_out) < len(alone) or two is None):
        return _infeasible_scenarios(base, sc, periods, method, alone, timings, t_start)
    # Else the two-stage program was solved beside re-plans that ran out of time: its plan
    # stands; the wait-and-see figures (EVPI, regrets) of those scenarios are unknown.

    # 3. the two-stage program
    t0 = time.perf_counter()
    if two is not None:
        pass  # solved above, beside the re-plans
    elif method == "ef":
        two = solve_ef()
        timings["two_stage"] = time.perf_counter() - t0
    else:
        from optimizer.stochastic.wheel import solve_ph

        two = solve_ph(
            models,
            ranks,
            lambda inst, fixed: outcome(timed_replan(inst, fixed)),
            iterations=ph_iterations,
            rho=ph_rho,
            mip_gap=mip_gap,
            time_limit=left(deadline),
            threads=threads,
            seed_weights=o.ph_seed_weights,
        )
        timings["two_stage"] = time.perf_counter() - t0
    if two["status"] == "infeasible" and ranks.size == 1:  # every scenario alone is feasible
        conflict = first_stage_conflict(
            sc,
            periods,
            ws,
            lambda inst, fixed: replan(planner, inst, fixed, periods, diagnose=True),
        )
        if conflict:
            two["message"] = (
                f"{two.get('message') or 'no first stage suits every scenario'}: {conflict}"
            )
    timings["highs_two_stage"] = two.pop("solver_seconds", 0.0)
    solver_seconds[0] += timings["highs_two_stage"]
    timings["highs"] = solver_seconds[0]
    timings["total"] = time.perf_counter() - t_start
    result = assemble(
        base=base,
        scenarios=sc,
        periods=periods,
        method=method,
        objective_kind=objective or base.objective,
        two_stage=two,
        ws=ws,
        eev=side.eev,
        ev_objective_usd=side.ev_objective_usd,
        ev_first=side.ev_first,
        eev_delivered=side.eev_delivered,
        ev_deliverable_first=side.ev_deliverable_first,
        cvar_alpha=cvar_alpha,
        risk_weight=risk_weight or 0.0,
        timings=timings,
    )
    if timed_out and not result.message:
        result.message = (
            f"{len(timed_out)} scenario(s) found no plan on their own within the time limit: "
            "EVPI and their regrets are unknown (raise --time-limit)"
        )
    return result


# Re-plan processes beside the EF in parallel mode: each takes a slice of the scenarios
# (same figures whatever the count: each re-plan depends only on its scenario).
SIDE_WORKERS = 2


def side_workers(n_scenarios: int) -> int:
    """Processes re-planning the side figures: SIDE_WORKERS, at most the cores and scenarios."""
    return max(1, min(SIDE_WORKERS, os.cpu_count() or 1, n_scenarios))


def _side_figures_alone(
    sc: Scenarios,
    periods: list[PeriodLabel],
    opts: SolveOptions,
    table: pd.DataFrame,
    budget_s: float | None = None,
    part: int = 0,
    parts: int = 1,
) -> SideFigures:
    """:func:`side_figures` in a process of its own (no MPI), within ``budget_s``: the
    scenarios of slice ``part`` of ``parts`` (:class:`~optimizer.stochastic.side.Slice`)."""
    cpu = time.process_time()
    deadline = None if budget_s is None else time.monotonic() + budget_s
    planner = Planner(sc.instances[0], opts, table=table)
    seconds = [0.0]

    def timed(inst: Instance, fixed: Mapping[HP, int] | None) -> Plan:
        if not bound_by(planner, deadline):
            return _timed_out(inst, opts.objective)
        plan = replan(planner, inst, fixed, periods)
        seconds[0] += plan.timings.get("solve", 0.0)
        return plan

    share = Ranks(use_mpi=False) if parts == 1 else Slice(part, parts)
    side = side_figures(sc, periods, timed, share)
    side.solver_seconds = seconds[0]
    side.timings["side_figures_cpu"] = time.process_time() - cpu
    return side


def _infeasible_scenarios(
    base: Instance,
    sc: Scenarios,
    periods: list[PeriodLabel],
    method: str,
    alone: list[tuple[str, ScenarioOutcome]],
    timings: dict[str, float],
    t_start: float,
) -> TwoStagePlan:
    timed_out = [n for n, o in alone if o.status == "time_limit"]
    lines = [
        f"scenario {n!r} is {o.status} on its own" + (f": {o.message}" if o.message else "")
        for n, o in alone
        if o.status != "time_limit"
    ]
    if timed_out:  # not infeasible: no plan found in the time given (--time-limit)
        lines.append(
            f"{len(timed_out)} scenario(s) found no plan on their own within the time limit "
            f"({', '.join(map(repr, timed_out[:5]))}{', ...' if len(timed_out) > 5 else ''}); "
            "raise --time-limit"
        )
    timings["total"] = time.perf_counter() - t_start
    return TwoStagePlan(
        instance_name=base.name,
        objective_kind=base.objective,
        method=method,
        status="time_limit" if timed_out and len(lines) == 1 else "infeasible",
        first_stage_periods=periods,
        scenario_names=list(sc.names),
        probabilities=list(sc.probabilities),
        message="; ".join(lines),
        timings=timings,
    )
