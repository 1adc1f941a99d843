"""The extensive form (EF) of a two-stage program, built by mpi-sppy, solved with HiGHS."""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

import pyomo.environ as pyo

from optimizer.model.data import MONEY_USD
from optimizer.solver.highs import DEFAULT_MIP_GAP, HighsSession, RawOutcome, stdout_to_stderr
from optimizer.stochastic.decompose import Certificate, LoadedEF, certify, lp_weights
from optimizer.stochastic.model import HP, ScenarioModels, first_stage_of, objective_usd
from optimizer.stochastic.result import ScenarioOutcome

# Notices to the user (the command line prints them on stderr unless --quiet).
LOG = logging.getLogger("optimizer.stochastic")

# mpi-sppy prints progress with print() and HiGHS writes to fd 1: keep stdout clean for
# --json by file descriptor (pointing sys.stdout at sys.stderr deadlocked in PH's hub).
_quiet = stdout_to_stderr


def solve_ef(
    models: ScenarioModels,
    *,
    time_limit: float | None,
    mip_gap: float | None,
    threads: int | None,
    log: bool,
    decompose: bool = True,
    branch: bool = False,
) -> dict[str, Any]:
    """mpi-sppy's ExtensiveForm of the scenario models, solved by HiGHS.

    With ``decompose`` (the default), :mod:`optimizer.stochastic.decompose` first tries to
    prove the gap block by block on the same EF (a Lagrangian bound from the EF's LP duals
    and the LP's rounded first stage re-planned per scenario); the EF MILP is solved only
    if that proof falls short, keeping the better bound and incumbent of the two. With
    ``branch`` the proof branches on the first stage before giving way to the EF MILP.
    """
    ef = build_ef(models)
    m = ef.ef
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
        cert = _certify(session, m, names, target, time_limit, branch)
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
        if time_limit is None and cert is not None and cert.gap is not None:
            LOG.warning(open_ended(cert.gap, target))
        outcome = session.run(m, time_limit=remaining)
        stopped = _ef_stop(outcome.status)
        if cert is not None:
            outcome, stopped = _merge(session, m, outcome, cert, target, stopped)

    def usd(value: float | None) -> float | None:
        """A value of the EF ($M, maximised) as the objective reports it (USD; a cost)."""
        return None if value is None else models.sign * value * MONEY_USD

    out: dict[str, Any] = {
        "status": outcome.status,
        "mip_gap": outcome.mip_gap,
        "solver_seconds": outcome.seconds,
        "bound_usd": usd(outcome.bound),
        "objective_usd": usd(outcome.objective),
        "stopped_because": stopped,
    }
    if cert is not None:
        out["decomposition"] = {
            "bound_usd": usd(cert.bound),
            "objective_usd": usd(cert.objective),
            "lp_bound_usd": usd(cert.lp_bound),
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


def open_ended(gap: float, target: float) -> str:
    """What a run without a time limit is told when the block proof leaves ``gap`` open:
    the EF MILP that decides next may not close it for hours on many scenarios (the
    reference's 27 at 1e-3: docs/stochastic.md), and the two ways to bound it."""
    digit = 10.0 ** (math.floor(math.log10(gap)) - 1)  # two significant digits, rounded up
    accept = math.ceil(gap / digit - 1e-9) * digit
    return (
        f"the scenario blocks proved a gap of {gap:.2e}, above --mip-gap {target:g}: the "
        "extensive form's MILP now decides, with no time limit (on many scenarios it can run "
        f"for hours); --time-limit SECONDS bounds it, --mip-gap {accept:.2g} accepts the "
        "blocks' plan"
    )


def build_ef(models: ScenarioModels) -> Any:
    """mpi-sppy's ExtensiveForm of the scenario models; ``.ef`` maximises its ``obj``."""
    with _quiet():
        from mpisppy.opt.ef import ExtensiveForm

        ef = ExtensiveForm(
            {"solver": "appsi_highs"},
            list(models.scenarios.names),
            models.creator,
            model_name="two_stage",
        )
    _maximised(ef.ef)
    return ef


def _maximised(m: pyo.ConcreteModel) -> None:
    """The EF's objective as ``m.obj``, maximised (mpi-sppy's keeps the scenarios' sense)."""
    (ef_obj,) = list(m.component_data_objects(pyo.Objective, active=True))
    ef_obj.deactivate()
    m.obj = pyo.Objective(expr=ef_obj.expr, sense=pyo.maximize)


def load_ef(session: HighsSession, m: pyo.ConcreteModel, names: list[str]) -> LoadedEF:
    """Load the EF ``m`` (blocks ``names``) into the session's HiGHS, as decompose reads it."""
    solver = session.solver
    solver.set_instance(m)
    first = [v for n in names for v in m.component(n)._mpisppy_node_list[0].nonant_vardata_list]
    na = [c for comp in (m._C_EF_, m._C_EF_suppl) for c in comp.values()]
    return LoadedEF(
        session.highs,
        solver._pyomo_var_to_solver_var_map,
        solver._pyomo_con_to_solver_con_map,
        m,
        names,
        first,
        na,
    )


def _certify(
    session: HighsSession,
    m: pyo.ConcreteModel,
    names: list[str],
    mip_gap: float,
    time_limit: float | None,
    branch: bool = False,
) -> Certificate:
    """Load the EF into HiGHS (the MILP run reuses it) and run the decomposition on it."""
    loaded = load_ef(session, m, names)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    return certify(loaded, mip_gap=mip_gap, deadline=deadline, first_stage_branch=branch)


def ph_weights(models: ScenarioModels, threads: int | None) -> dict[str, list[float]] | None:
    """PH's weights W from the EF's LP relaxation, per scenario in its nonant order.

    A scenario's PH subproblem (a maximisation) is ``obj_s - W_s . x_s``; the EF's LP duals
    ``y`` on the non-anticipativity rows price block s's first stage at ``(A_NA^T y)_s``
    on ``p_s * obj_s``, so ``W_s = (A_NA^T y)_s / p_s`` (their probability-weighted sum is
    0, as PH needs). With these W, PH's Lagrangian bound is the block proof's bound at the
    LP's multipliers (:mod:`optimizer.stochastic.decompose`). None if the LP did not solve.
    """
    names = list(models.scenarios.names)
    # sputils.create_EF, not ExtensiveForm: that one is an SPBase over COMM_WORLD, and this
    # runs on rank 0 alone under mpiexec (its collective calls would wait for the others).
    with _quiet():
        from mpisppy.utils import sputils

        m = sputils.create_EF(names, models.creator, EF_name="two_stage")
    _maximised(m)
    session = HighsSession(threads=threads, strategy="milp")
    weights = lp_weights(load_ef(session, m, names))
    if weights is None:
        return None
    return {n: [float(w) for w in weights[b]] for b, n in enumerate(names)}


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
