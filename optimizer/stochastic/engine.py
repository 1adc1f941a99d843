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
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import pandas as pd
import pyomo.environ as pyo

from optimizer.errors import InputError
from optimizer.extras import require
from optimizer.frontiers.table import read_frontier_table
from optimizer.instance.load import load_instance
from optimizer.instance.schema import Instance, PeriodLabel
from optimizer.model.data import MONEY_USD
from optimizer.planning.planner import Planner
from optimizer.processes import stop_pool, worker_start
from optimizer.results.plan import Plan
from optimizer.solver.highs import DEFAULT_MIP_GAP, HighsSession, RawOutcome, stdout_to_stderr
from optimizer.solver.options import SolveOptions
from optimizer.stochastic.decompose import Certificate, certify
from optimizer.stochastic.model import (
    HP,
    ScenarioModels,
    first_stage_of,
    first_stage_periods,
    objective_usd,
    replan,
    sale_index,
)
from optimizer.stochastic.options import StochasticOptions, stochastic_options
from optimizer.stochastic.result import ScenarioOutcome, TwoStagePlan, assemble
from optimizer.stochastic.scenarios import Scenarios, load_scenarios

T = TypeVar("T")
ScenarioInput: TypeAlias = Scenarios | pd.DataFrame | str | Path | Sequence[Mapping[str, Any]]


# --------------------------------------------------------------------------- MPI
class _Ranks:
    """This process's rank among MPI ranks (one rank without mpi4py or mpiexec)."""

    def __init__(self, use_mpi: bool = True) -> None:
        self.comm: Any = None
        self.rank, self.size = 0, 1
        if not use_mpi:
            return
        try:
            from mpi4py import MPI
        except ImportError:
            return
        self.comm = MPI.COMM_WORLD
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()

    def share(self, n: int, work: Callable[[int], T]) -> list[T]:
        """``[work(i) for i in range(n)]``, rank r doing i = r, r + K, ..., gathered."""
        mine = {i: work(i) for i in range(self.rank, n, self.size)}
        if self.size == 1:
            return [mine[i] for i in range(n)]
        merged: dict[int, T] = {}
        for part in self.comm.allgather(mine):
            merged.update(part)
        return [merged[i] for i in range(n)]


# mpi-sppy prints progress with print() and HiGHS writes to fd 1: keep stdout clean for
# --json by file descriptor (pointing sys.stdout at sys.stderr deadlocked in PH's hub).
_quiet = stdout_to_stderr


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
        ``ph_iterations``, ``ph_rho``, ``parallel`` (EF: re-plans in a second, spawned
        process; call it under ``if __name__ == "__main__":``), ``ef_decompose``, and the
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
    if (objective or base.objective) == "cost":  # v3: the scenario models maximise
        raise InputError(
            "objective: cost (least cost to serve a forecast) is not supported by two-stage "
            "plans yet; use revenue or profit"
        )
    sc = load_scenarios(base, scenarios)
    periods = first_stage_periods(base, first_stage)
    table = read_frontier_table(base)
    ranks = _Ranks()
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
        if not _bound_by(planner, deadline):
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
            time_limit=_left(deadline),
            mip_gap=mip_gap,
            threads=threads,
            log=log,
            decompose=o.ef_decompose,
        )

    two: dict[str, Any] | None = None
    if o.parallel and method == "ef" and ranks.size == 1:
        # HiGHS's MIP search runs mostly on one core: the re-plans of the wait-and-see and
        # expected-value figures run meanwhile in a second process (spawned: a fresh
        # interpreter, nothing inherited from MPI or HiGHS's threads).
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        t0 = time.perf_counter()
        pool = ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker_start,  # ignores Ctrl-C, ends with this process
            initargs=(os.getpid(),),
        )
        try:
            future = pool.submit(_side_figures_alone, sc, periods, opts, table, _left(deadline))
            two = solve_ef()
            timings["two_stage"] = time.perf_counter() - t0
            side = future.result()
        except BaseException:
            # Ctrl-C (or an error) in the EF solve: stop the re-plans now rather than wait
            # for them (the pool's exit waited ~35 s on the reference instance).
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
        timings.update(side.timings)
        timings["side_figures_wall"] = time.perf_counter() - t0
    else:
        side = _side_figures(sc, periods, timed_replan, ranks)
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
        two = _solve_ph(
            models,
            ranks,
            timed_replan,
            iterations=o.ph_iterations,
            rho=o.ph_rho,
            mip_gap=mip_gap,
            time_limit=_left(deadline),
            threads=threads,
        )
        timings["two_stage"] = time.perf_counter() - t0
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


@dataclass
class _SideFigures:
    """Wait-and-see, expected-value and EEV re-plans (docs/model.md's EVPI and VSS)."""

    ws: list[ScenarioOutcome]
    ev_objective_usd: float | None = None
    ev_first: dict[HP, int] | None = None
    eev: list[ScenarioOutcome | None] = field(default_factory=list)
    eev_delivered: list[ScenarioOutcome] | None = None
    ev_deliverable_first: dict[HP, int] | None = None
    solver_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def _left(deadline: float | None) -> float | None:
    """Seconds left until ``deadline`` (a ``time.monotonic()`` instant), 0 at the least."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _bound_by(planner: Planner, deadline: float | None) -> bool:
    """The planner's next solve ends by ``deadline`` (its time limit: what is left);
    False when nothing is left (the re-plan is not even started)."""
    if deadline is None:
        return True
    left = _left(deadline)
    planner.options = planner.options.but(time_limit=left)
    return bool(left)


def _timed_out(inst: Instance, objective: str | None) -> Plan:
    from optimizer.results.plan import empty_plan

    return empty_plan(inst, None, objective or inst.objective, "time_limit", "time limit")


def _side_figures_alone(
    sc: Scenarios,
    periods: list[PeriodLabel],
    opts: SolveOptions,
    table: pd.DataFrame,
    budget_s: float | None = None,
) -> _SideFigures:
    """:func:`_side_figures` in a process of its own (no MPI), within ``budget_s``."""
    cpu = time.process_time()
    deadline = None if budget_s is None else time.monotonic() + budget_s
    planner = Planner(sc.instances[0], opts, table=table)
    seconds = [0.0]

    def timed(inst: Instance, fixed: Mapping[HP, int] | None) -> Plan:
        if not _bound_by(planner, deadline):
            return _timed_out(inst, opts.objective)
        plan = replan(planner, inst, fixed, periods)
        seconds[0] += plan.timings.get("solve", 0.0)
        return plan

    side = _side_figures(sc, periods, timed, _Ranks(use_mpi=False))
    side.solver_seconds = seconds[0]
    side.timings["side_figures_cpu"] = time.process_time() - cpu
    return side


def _side_figures(
    sc: Scenarios,
    periods: list[PeriodLabel],
    timed_replan: Callable[[Instance, Mapping[HP, int] | None], Plan],
    ranks: _Ranks,
) -> _SideFigures:
    """WS_s for every scenario; EV, its first stage and EEV_s (stops early if a WS fails)."""
    t0 = time.perf_counter()
    side = _SideFigures(
        ws=ranks.share(len(sc), lambda i: _outcome(timed_replan(sc.instances[i], None)))
    )
    side.timings["wait_and_see"] = time.perf_counter() - t0
    if not all(o.has_plan for o in side.ws):
        side.eev = [None] * len(sc)  # not re-planned: unknown
        return side
    t0 = time.perf_counter()
    ev_plan = timed_replan(sc.expected_value_instance(), None)
    side.eev = [None] * len(sc)
    if ev_plan.has_solution:
        side.ev_objective_usd = ev_plan.objective_usd
        ev_first = side.ev_first = _first_stage_from_plan(ev_plan, periods)
        side.eev = list(
            ranks.share(len(sc), lambda i: _outcome(timed_replan(sc.instances[i], ev_first)))
        )
        # Where EV's purchase is not on sale in a scenario (a later ship date), EEV is
        # infeasible and VSS infinite (docs/model.md). Also report EV's purchase without the
        # units that are not on sale in every scenario: one first stage for all, so its
        # expected value is a floor of SP and VSS against it is >= 0 (a finite companion).
        timed_out = any(o is not None and o.status == "time_limit" for o in side.eev)
        if not timed_out and any(o is not None and not o.has_plan for o in side.eev):
            common = set.intersection(*(sale_index(inst) for inst in sc.instances))
            kept = {hp: u for hp, u in ev_first.items() if hp in common}
            side.eev_delivered = ranks.share(
                len(sc), lambda i: _outcome(timed_replan(sc.instances[i], kept))
            )
            side.ev_deliverable_first = kept
    side.timings["expected_value"] = time.perf_counter() - t0
    return side


def _outcome(plan: Plan) -> ScenarioOutcome:
    """What the result keeps of one scenario's plan (picklable, for MPI)."""
    buys: dict[HP, int] = {}
    if plan.has_solution and len(plan.buy):
        for r in plan.buy.itertuples(index=False):
            if int(r.units):
                buys[(str(r.hardware), r.period)] = int(r.units)
    msg = plan.message
    if not msg and not plan.diagnosis.empty:
        msg = "; ".join(plan.diagnosis["message"])
    return ScenarioOutcome(
        status=plan.status,
        objective_usd=plan.objective_usd if plan.has_solution else None,
        buys=buys,
        message=msg,
    )


def _first_stage_from_plan(plan: Plan, periods: Sequence[PeriodLabel]) -> dict[HP, int]:
    out: dict[HP, int] = {}
    for r in plan.buy.itertuples(index=False):
        if r.period in periods and int(r.units):
            out[(str(r.hardware), r.period)] = int(r.units)
    return out


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


# ---------------------------------------------------------------------------- EF
def _solve_ef(
    models: ScenarioModels,
    *,
    time_limit: float | None,
    mip_gap: float | None,
    threads: int | None,
    log: bool,
    decompose: bool = True,
) -> dict[str, Any]:
    """mpi-sppy's ExtensiveForm of the scenario models, solved by HiGHS.

    With ``decompose`` (the default), :mod:`optimizer.stochastic.decompose` first tries to
    prove the gap block by block on the same EF (a Lagrangian bound from the EF's LP duals
    and the LP's rounded first stage re-planned per scenario); the EF MILP is solved only
    if that proof falls short, keeping the better bound and incumbent of the two.
    """
    with _quiet():
        from mpisppy.opt.ef import ExtensiveForm

        ef = ExtensiveForm(
            {"solver": "appsi_highs"},
            list(models.scenarios.names),
            models.creator,
            model_name="two_stage",
        )
    m = ef.ef
    (ef_obj,) = list(m.component_data_objects(pyo.Objective, active=True))
    ef_obj.deactivate()
    m.obj = pyo.Objective(expr=ef_obj.expr, sense=pyo.maximize)
    # The certified strategy (relaxed unit counts for the bound, a repaired plan, branching
    # only if needed; docs/model.md) as every planner solve: one scenario of probability 1
    # then gives the deterministic plan, not another optimum of it. The cancel event is never
    # set: with it HiGHS calls back into Python in its MIP loop, so a Ctrl-C during the EF
    # MILP stops it at once (HighsSession.run) instead of landing only when HiGHS returns.
    session = HighsSession(
        time_limit=time_limit,
        mip_gap=mip_gap,
        threads=threads,
        log=log,
        strategy="certified",
        cancel=threading.Event(),
    )
    names = list(models.scenarios.names)
    target = DEFAULT_MIP_GAP if mip_gap is None else mip_gap
    cert = None
    if decompose and len(names) > 1:
        cert = _certify(session, m, names, target, time_limit)
    if cert is not None and cert.gap is not None and cert.gap <= target:
        outcome = RawOutcome(
            status="optimal",
            has_solution=True,
            objective=cert.objective,
            bound=cert.bound,
            mip_gap=cert.gap,
            seconds=cert.highs_seconds,
        )
        _load_values(session, m, cert)
        stopped = "optimal within the MIP gap (bound: Lagrangian decomposition of the EF)"
    else:
        remaining = None
        if time_limit is not None and cert is not None:
            remaining = max(1.0, time_limit - cert.timings.get("total", 0.0))
        outcome = session.run(m, time_limit=remaining)
        stopped = _ef_stop(outcome.status)
        if cert is not None:
            outcome, stopped = _merge(session, m, outcome, cert, target, stopped)
    out: dict[str, Any] = {
        "status": outcome.status,
        "mip_gap": outcome.mip_gap,
        "solver_seconds": outcome.seconds,
        "bound_usd": None if outcome.bound is None else outcome.bound * MONEY_USD,
        "objective_usd": None if outcome.objective is None else outcome.objective * MONEY_USD,
        "stopped_because": stopped,
    }
    if cert is not None:
        out["decomposition"] = {
            "bound_usd": None if cert.bound is None else cert.bound * MONEY_USD,
            "objective_usd": None if cert.objective is None else cert.objective * MONEY_USD,
            "lp_bound_usd": None if cert.lp_bound is None else cert.lp_bound * MONEY_USD,
            "gap": cert.gap,
            "message": cert.message,
        }
    if not outcome.has_solution:
        if outcome.status == "infeasible":
            out["message"] = (
                "every scenario is feasible on its own but no first-stage purchase suits them all"
            )
        return out
    scen = dict(ef.scenarios())
    names = models.scenarios.names
    first = first_stage_of(scen[names[0]], models.first_periods)
    out["first_stage"] = first
    out["scenarios"] = [
        ScenarioOutcome(
            status=outcome.status,
            objective_usd=objective_usd(scen[n]),
            buys=_model_buys(scen[n]),
        )
        for n in names
    ]
    out["first_stage_by_scenario"] = [first_stage_of(scen[n], models.first_periods) for n in names]
    return out


def _certify(
    session: HighsSession,
    m: pyo.ConcreteModel,
    names: list[str],
    mip_gap: float,
    time_limit: float | None,
) -> Certificate:
    """Load the EF into HiGHS (the MILP run reuses it) and run the decomposition on it."""
    solver = session.solver
    solver.set_instance(m)
    first = [v for n in names for v in m.component(n)._mpisppy_node_list[0].nonant_vardata_list]
    na = [c for comp in (m._C_EF_, m._C_EF_suppl) for c in comp.values()]
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    return certify(
        session.highs,
        solver._pyomo_var_to_solver_var_map,
        solver._pyomo_con_to_solver_con_map,
        m,
        names,
        first,
        na,
        mip_gap=mip_gap,
        deadline=deadline,
    )


def _load_values(session: HighsSession, m: pyo.ConcreteModel, cert: Certificate) -> None:
    """Write the decomposition's EF solution into the model's variables."""
    assert cert.values is not None
    for v in m.component_data_objects(pyo.Var, descend_into=True):
        j = session.solver._pyomo_var_to_solver_var_map.get(id(v))
        if j is None or v.fixed:
            continue
        x = float(cert.values[j])
        v.set_value(round(x) if v.is_integer() else x, skip_validation=True)


def _merge(
    session: HighsSession,
    m: pyo.ConcreteModel,
    outcome: RawOutcome,
    cert: Certificate,
    target: float,
    stopped: str,
) -> tuple[RawOutcome, str]:
    """The EF MILP's outcome with the decomposition's bound and incumbent where better."""
    objective, bound = outcome.objective, outcome.bound
    has_solution = outcome.has_solution
    if cert.objective is not None and (objective is None or cert.objective > objective):
        _load_values(session, m, cert)
        objective, has_solution = cert.objective, True
    if cert.bound is not None and (bound is None or cert.bound < bound):
        bound = cert.bound
    if objective is None or bound is None or not has_solution:
        return outcome, stopped
    gap = max(0.0, bound - objective) / max(1.0, abs(bound))
    status = outcome.status
    if status == "time_limit" and gap <= target:
        stopped = "optimal within the MIP gap (bound: Lagrangian decomposition of the EF)"
        status = "optimal"
    return (
        RawOutcome(
            status=status,
            has_solution=True,
            objective=objective,
            bound=bound,
            mip_gap=gap,
            seconds=outcome.seconds + cert.highs_seconds,
        ),
        stopped,
    )


def _ef_stop(status: str) -> str:
    return {
        "optimal": "optimal within the MIP gap",
        "time_limit": "time limit",
        "infeasible": "infeasible",
    }.get(status, status)


def _model_buys(m: pyo.ConcreteModel) -> dict[HP, int]:
    out: dict[HP, int] = {}
    for hp in m.BUY:
        v = m.buy[hp].value
        if v is not None and round(v):
            out[hp] = int(round(v))
    return out


# ---------------------------------------------------------------------------- PH
def _solve_ph(
    models: ScenarioModels,
    ranks: _Ranks,
    evaluate: Callable[[Instance, Mapping[HP, int] | None], Plan],
    *,
    iterations: int,
    rho: float | None,
    mip_gap: float | None,
    time_limit: float | None,
    threads: int | None = None,
) -> dict[str, Any]:
    """PH with bounds from mpi-sppy's cylinders (optimizer.stochastic.wheel)."""
    from optimizer.stochastic.wheel import solve_ph

    return solve_ph(
        models,
        ranks,
        lambda inst, fixed: _outcome(evaluate(inst, fixed)),
        iterations=iterations,
        rho=rho,
        mip_gap=mip_gap,
        time_limit=time_limit,
        threads=threads,
    )
