"""Progressive hedging with bounds: mpi-sppy's hub and spokes ("cylinders").

On integer first stages PH is a heuristic. mpi-sppy runs it as a *hub* beside *spokes*
that compute bounds while it iterates, and the hub stops as soon as the gap between the
best bounds is small enough. How the K ranks of ``mpiexec -n K`` become cylinders:

=================  ===========================================  ==========================
K                  cylinders (K / c ranks each)                 inner bound (plan reported)
=================  ===========================================  ==========================
3, 6, 9, ...       PH hub, Lagrangian spoke, xhatshuffle spoke  xhatshuffle's best first
                                                                stage (or a candidate below
                                                                if better), re-planned
2, 4, 8, ...       PH hub, Lagrangian spoke                     best candidate, re-planned
1, 5, 7, ...       PH alone on all ranks; outer bound: PH's     best candidate, re-planned
                   trivial and post-solve Lagrangian bounds
=================  ===========================================  ==========================

Within a cylinder the scenarios are split over its K / c ranks. Candidates are PH's
rounded consensus (xbar) and the scenarios' own first stages. Whatever gave the first
stage, the plan reported is that first stage re-planned in every scenario with the
deterministic planner (ranks share the re-plans), so its expected value is a true inner
bound on the two-stage optimum; the outer bound is the best (smallest: a maximisation)
the cylinders proved, and gap = (outer - inner) / |outer|.

PH's weights W start at the extensive form's LP multipliers (:mod:`.seed`), so the
Lagrangian spoke's first bound is the Lagrangian bound there, not the trivial one.

Units: mpi-sppy sees the model's objective ($M); everything returned is in USD.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyomo.environ as pyo

from optimizer.instance.schema import Instance
from optimizer.model.data import MONEY_USD
from optimizer.solver.highs import DEFAULT_MIP_GAP, stdout_to_stderr
from optimizer.stochastic.model import HP, ScenarioModels, first_stage_of
from optimizer.stochastic.result import ScenarioOutcome, risk_objective
from optimizer.stochastic.seed import lp_weights_on_ranks, seed_extension, set_weights

if TYPE_CHECKING:
    from optimizer.stochastic.ranks import Ranks

Evaluate = Callable[[Instance, Mapping[HP, int] | None], ScenarioOutcome]

CONVTHRESH = 1e-3  # PH's own stop: mean distance of the first stages from their mean
MAX_CANDIDATES = 4  # first stages re-planned in every scenario
POLL_SECONDS = 0.01  # a spoke's pause between two looks at the hub


# Keep stdout clean for --json: mpi-sppy's prints and HiGHS's own go to stderr, by file
# descriptor (not by pointing sys.stdout at sys.stderr: with that, pyomo's capture of HiGHS's
# output deadlocked in the hub). The one implementation: optimizer.solver.highs.
_quiet = stdout_to_stderr


def cylinder_count(ranks: int, have_mpi: bool) -> int:
    """Cylinders run on ``ranks`` ranks: 3 if it divides them, else 2, else 1 (PH alone)."""
    if not have_mpi:
        return 1
    for c in (3, 2):
        if ranks % c == 0:
            return c
    return 1


@dataclass
class _Run:
    """What one PH run (wheel or alone) hands to the evaluation, on every rank."""

    outer: list[tuple[float, str]]  # (bound in $M, where it came from)
    cylinders: list[str]
    iterations: int
    stopped: str
    candidates: list[tuple[dict[HP, int], str]] = field(default_factory=list)
    wheel_inner: float | None = None  # the cylinders' own best inner bound, $M
    seconds: float = 0.0
    w_start: str = "zero"  # where PH's weights W started (see solve_ph)
    seed_seconds: float = 0.0  # spent computing the starting W


def solve_ph(
    models: ScenarioModels,
    ranks: Ranks,
    evaluate: Evaluate,
    *,
    iterations: int,
    rho: float | None,
    mip_gap: float | None,
    time_limit: float | None,
    threads: int | None = None,
    seed_weights: bool = True,
) -> dict[str, Any]:
    """PH with bounds on ``ranks``; the two-stage dict :func:`assemble` reads.

    ``seed_weights``: PH's W start at the EF LP's multipliers (:mod:`.seed`), not at 0."""
    gap_goal = mip_gap if mip_gap is not None else DEFAULT_MIP_GAP
    # Subproblems a tenth tighter than the goal: the Lagrangian bound is built from their
    # MIP bounds, so a looser subproblem gap alone would keep the outer bound from closing.
    sub_gap = gap_goal / 10
    options = _ph_options(models, iterations, rho, sub_gap, time_limit, threads)
    n_cyl = cylinder_count(ranks.size, ranks.comm is not None)
    t0 = time.perf_counter()
    seed: dict[str, Any] = {}
    if seed_weights:
        with _quiet():
            weights = lp_weights_on_ranks(models, ranks, threads)
        seed = {} if weights is None else seed_extension(weights)
    seed_seconds = time.perf_counter() - t0
    if n_cyl == 1:
        run = _ph_alone(models, ranks, options, sub_gap, time_limit, seed)
    else:
        run = _wheel(models, ranks, options, n_cyl, gap_goal, seed)
    run.seconds = time.perf_counter() - t0
    run.w_start = "EF LP multipliers" if seed else "zero"
    run.seed_seconds = seed_seconds
    return _evaluate(models, ranks, evaluate, run, gap_goal)


def _ph_options(
    models: ScenarioModels,
    iterations: int,
    rho: float | None,
    sub_gap: float,
    time_limit: float | None,
    threads: int | None,
) -> dict[str, Any]:
    """PH options (mpi-sppy's names) shared by hub and spokes."""
    solver: dict[str, Any] = {"mip_rel_gap": sub_gap}
    if threads is not None:
        solver["threads"] = threads
    return {
        "solver_name": "appsi_highs",
        "PHIterLimit": iterations,
        "defaultPHrho": rho if rho is not None else default_rho(models),
        "_rho_given": rho is not None,  # else a per-variable rho (see rho_setter)
        "convthresh": CONVTHRESH,
        "verbose": False,
        "display_progress": False,
        "display_timing": False,
        "display_convergence_detail": False,
        "iter0_solver_options": dict(solver),
        "iterk_solver_options": dict(solver),
        "solver_options_layers": [{"when": "default", "options": dict(solver)}],
        # HiGHS takes no quadratic objective: PH's proximal term becomes cuts.
        "linearize_proximal_terms": True,
        "proximal_linearization_tolerance": 1e-1,
        "smoothed": 0,
        "defaultPHp": 0.0,
        "defaultPHbeta": 0.0,
        "time_limit": time_limit,
    }


# Per-variable rho (no --ph-rho given): this share of the unit's discounted price, the
# "cost-proportional" rho of Watson & Woodruff (2011), at least RHO_FLOOR ($M).
RHO_COST_SHARE = 0.1
RHO_FLOOR = 1e-6


def rho_setter(options: dict[str, Any]) -> Callable[..., list[tuple[int, float]]] | None:
    """mpi-sppy's ``rho_setter`` for PH: one rho per first-stage purchase, proportional to
    what a unit of it costs in the objective (weight[p] * capex[h,p], $M), instead of one
    rho for every hardware: a cheap unit's disagreement is then not priced like the
    dearest one's, and the W's PH hands its Lagrangian bound move off the trivial bound.
    None when the user gave ``--ph-rho`` (one rho for all, mpi-sppy's ``defaultPHrho``)."""
    if options.get("_rho_given"):
        return None

    def per_variable(scenario: pyo.ConcreteModel) -> list[tuple[int, float]]:
        out = []
        for var in scenario._mpisppy_data.nonant_indices.values():
            rho = options["defaultPHrho"]
            if var.parent_component().local_name == "buy":
                h, p = var.index()
                cost = pyo.value(scenario.weight[p] * scenario.unit_capex[h, p])
                rho = max(RHO_FLOOR, RHO_COST_SHARE * abs(cost))
            out.append((id(var), float(rho)))
        return out

    return per_variable


def default_rho(models: ScenarioModels) -> float:
    """PH's penalty per unit of disagreement, $M: a tenth of the dearest unit's capex.

    (A hundredth closed the gap faster on micro-instances but left PH far from agreement
    after 10 iterations on the 1 GW reference: convergence metric 0.67.)
    """
    capex = [h.capex_usd for h in models.scenarios.base.hardware]
    costs = [float(c) if not isinstance(c, Mapping) else max(c.values()) for c in capex]
    return max(1e-6, 0.1 * max(costs, default=1e6) / MONEY_USD)


def _creator(models: ScenarioModels) -> Callable[..., pyo.ConcreteModel]:
    """``models.creator`` with "not on sale" as a constraint, not only a bound of 0.

    The xhat spokes fix the first stage to a candidate; fixing a variable overrides its
    bounds, so a candidate buying a unit that a scenario cannot buy then (a later ship date)
    would be evaluated as if it could (seen on the reference: an "inner bound" above the
    outer one). A constraint makes that candidate infeasible in that scenario, as it is.
    """

    def create(name: str, **kwargs: Any) -> pyo.ConcreteModel:
        m = models.creator(name, **kwargs)
        off = [
            hp
            for hp in m.BUY
            if hp[1] in models.first_periods and m.buy[hp].ub is not None and m.buy[hp].ub <= 0
        ]
        if off:
            m.first_stage_not_on_sale = pyo.Constraint(off, rule=lambda m, h, p: m.buy[h, p] <= 0)
        return m

    return create


@contextlib.contextmanager
def _no_log_files() -> Iterator[None]:
    """mpi-sppy modules that open a log file in the working folder on import send it to stderr.

    ``mpisppy.cylinders.hub``, the xhat spokes and ``mpisppy.utils.xhat_eval`` call
    ``mpisppy.log.setup_logger(name, "hub.log", ...)`` at import: a FileHandler in mode "w"
    that empties a user's own ``hub.log`` in the folder mpiexec runs in and leaves empty
    files there (their level is CRITICAL: nothing else is written to them).
    """
    import mpisppy.log

    original = mpisppy.log.setup_logger

    def to_stderr(name: str, out: Any, *args: Any, **kwargs: Any) -> None:
        original(name, out if out in (sys.stdout, sys.stderr) else sys.stderr, *args, **kwargs)

    mpisppy.log.setup_logger = to_stderr
    try:
        yield
    finally:
        mpisppy.log.setup_logger = original


# -------------------------------------------------------------------- PH alone
def _ph_alone(
    models: ScenarioModels,
    ranks: Ranks,
    options: dict[str, Any],
    sub_gap: float,
    time_limit: float | None,
    seed: dict[str, Any],
) -> _Run:
    """mpi-sppy's PH object on all ranks, then its post-solve Lagrangian bound."""
    with _quiet():
        from mpisppy.opt.ph import PH

        t0 = time.perf_counter()
        ph = PH(
            options,
            list(models.scenarios.names),
            _creator(models),
            rho_setter=rho_setter(options),
            **seed,
        )
        conv, _, trivial = ph.ph_main()
        elapsed = time.perf_counter() - t0
        lagrangian = ph.post_solve_bound(solver_options={"mip_rel_gap": sub_gap})
        local = _ph_candidates(ph, models)
        at_seed = None
        if seed:  # the Lagrangian bound at the starting W too (PH's W moved away from it)
            set_weights(ph, seed["extension_kwargs"]["weights"])
            at_seed = ph.post_solve_bound(solver_options={"mip_rel_gap": sub_gap})
            # ... and the scenarios' choices there: candidates next to PH's consensus
            there = _ph_candidates(ph, models, "at the EF LP's multipliers")[1:]
            local = local[:1] + there + local[1:]
        candidates = _gathered(ranks, local)
    outer = [
        (b, s)
        for b, s in (
            (trivial, "PH trivial bound (each scenario alone)"),
            (lagrangian, "PH post-solve Lagrangian bound"),
            (at_seed, "Lagrangian bound at the EF LP's multipliers (PH's starting W)"),
        )
        if b is not None and math.isfinite(b)
    ]
    done = int(getattr(ph, "_PHIter", options["PHIterLimit"]))
    return _Run(
        outer=outer,
        cylinders=["PH"],
        iterations=done,
        stopped=_ph_stop(conv, done, options["PHIterLimit"], elapsed, time_limit),
        candidates=candidates,
    )


def _ph_stop(
    conv: float | None, done: int, limit: int, elapsed: float, time_limit: float | None
) -> str:
    c = "n/a" if conv is None else f"{conv:.2g}"
    if conv is not None and conv < CONVTHRESH:
        return f"PH converged after {done} iterations (first stages agree: {c})"
    if time_limit is not None and elapsed >= time_limit:
        return f"time limit {time_limit:g} s after {done} iterations (PH convergence {c})"
    return f"iteration limit {limit} (PH convergence {c})"


def _ph_candidates(
    ph: Any, models: ScenarioModels, when: str = ""
) -> list[tuple[dict[HP, int], str]]:
    """This rank's candidates: PH's rounded consensus, then its scenarios' first stages
    (as last solved; ``when`` says at which W if not PH's last)."""
    out: list[tuple[dict[HP, int], str]] = []
    for name, s in ph.local_scenarios.items():
        xbar: dict[HP, int] = {}
        for (ndn, i), var in s._mpisppy_data.nonant_indices.items():
            if var.parent_component().name != "buy":
                continue
            units = int(round(pyo.value(s._mpisppy_model.xbars[ndn, i])))
            if units:
                xbar[var.index()] = units
        if not out:
            out.append((xbar, "PH's rounded consensus (xbar)"))
        why = f"scenario {name}'s own first stage" + (f" {when}" if when else "")
        out.append((first_stage_of(s, models.first_periods), why))
    return out


def _gathered(
    ranks: Ranks, local: list[tuple[dict[HP, int], str]]
) -> list[tuple[dict[HP, int], str]]:
    """Every rank's candidates, in rank order, duplicates dropped."""
    parts = ranks.comm.allgather(local) if ranks.size > 1 else [local]
    out: list[tuple[dict[HP, int], str]] = []
    for part in parts:
        for cand, why in part:
            if all(cand != c for c, _ in out):
                out.append((cand, why))
    return out


# ----------------------------------------------------------------------- wheel
def _wheel(
    models: ScenarioModels,
    ranks: Ranks,
    options: dict[str, Any],
    n_cyl: int,
    gap_goal: float,
    seed: dict[str, Any],
) -> _Run:
    """PH hub + Lagrangian spoke (+ xhatshuffle spoke) through ``WheelSpinner``."""
    import copy

    with _quiet(), _no_log_files():
        from mpisppy.cylinders.hub import PHHub
        from mpisppy.cylinders.lagrangian_bounder import LagrangianOuterBound
        from mpisppy.cylinders.xhatshufflelooper_bounder import XhatShuffleInnerBound
        from mpisppy.opt.ph import PH
        from mpisppy.phbase import PHBase
        from mpisppy.spin_the_wheel import WheelSpinner
        from mpisppy.utils.xhat_eval import Xhat_Eval

    names = list(models.scenarios.names)
    creator = _creator(models)
    lagrangian = type("LagrangianOuterBound", (_Polite, LagrangianOuterBound), {})
    xhatshuffle = type("XhatShuffleInnerBound", (_Polite, XhatShuffleInnerBound), {})

    def opt_kwargs(opts: dict[str, Any], ph: bool = True) -> dict[str, Any]:
        kwargs = {
            "options": opts,
            "all_scenario_names": names,
            "scenario_creator": creator,
        }
        if ph:  # PH and PHBase take a rho_setter and the starting W; Xhat_Eval does not
            kwargs["rho_setter"] = rho_setter(opts)
            kwargs.update(seed)
        return kwargs

    hub = {
        "hub_class": PHHub,
        # The hub stops when the best bounds are within the goal (needs an inner-bound
        # spoke), or on PH's own iteration, convergence and time limits.
        "hub_kwargs": {"options": {"rel_gap": gap_goal, "abs_gap": 0.0}},
        "opt_class": PH,
        "opt_kwargs": opt_kwargs(copy.deepcopy(options)),
    }
    spoke_opts = copy.deepcopy(options)
    spoke_opts["convthresh"] = 0
    spokes: list[dict[str, Any]] = [
        {
            "spoke_class": lagrangian,
            "opt_class": PHBase,
            "opt_kwargs": opt_kwargs(copy.deepcopy(spoke_opts)),
        }
    ]
    if n_cyl == 3:
        xhat_opts = copy.deepcopy(spoke_opts)
        xhat_opts["xhat_looper_options"] = {
            "xhat_solver_options": dict(options["iterk_solver_options"]),
            "dump_prefix": "delme",
            "csvname": "looper.csv",
        }
        spokes.append(
            {
                "spoke_class": xhatshuffle,
                "opt_class": Xhat_Eval,
                "opt_kwargs": opt_kwargs(xhat_opts, ph=False),
            }
        )
    labels = ["PH hub", "Lagrangian spoke", "xhatshuffle spoke"][:n_cyl]
    t0 = time.perf_counter()
    with _quiet():
        wheel = WheelSpinner(hub, spokes)
        wheel.spin(comm_world=ranks.comm)
    elapsed = time.perf_counter() - t0
    spcomm = wheel.spcomm
    on_hub = wheel.strata_rank == 0

    # Rank 0 is the hub's first rank: it knows the bounds and who gave them.
    info: dict[str, Any] | None = None
    if ranks.rank == 0:
        ph = spcomm.opt
        _, rel_gap = spcomm.compute_gaps()
        info = {
            "outer": float(spcomm.BestOuterBound),
            "outer_by": spcomm.last_ob_idx,
            "inner": float(spcomm.BestInnerBound),
            "inner_by": spcomm.last_ib_idx,
            "iterations": int(ph._PHIter),
            "conv": ph.conv,
            "rel_gap": rel_gap,
        }
    info = ranks.comm.bcast(info, root=0)
    assert info is not None
    outer: list[tuple[float, str]] = []
    if math.isfinite(info["outer"]):
        by = info["outer_by"]
        outer.append((info["outer"], _source(labels, by, "outer")))
    stopped = _wheel_stop(info, options, elapsed, gap_goal, n_cyl)

    local: list[tuple[dict[HP, int], str]] = []
    if n_cyl == 3 and info["inner_by"] == 2 and wheel.strata_rank == 2 and wheel.cylinder_rank == 0:
        # The spoke's finalize loaded its best xhat into its scenario models.
        s = next(iter(spcomm.opt.local_scenarios.values()))
        local.append((first_stage_of(s, models.first_periods), "xhatshuffle spoke's best"))
    xhat = _gathered(ranks, local)
    cands = _gathered(ranks, _ph_candidates(spcomm.opt, models) if on_hub else [])
    inner = info["inner"] if math.isfinite(info["inner"]) else None
    return _Run(
        outer=outer,
        cylinders=labels,
        iterations=info["iterations"],
        stopped=stopped,
        candidates=xhat + [c for c in cands if all(c[0] != x for x, _ in xhat)],
        wheel_inner=inner,
    )


class _Polite:
    """Mixed into a spoke: a short sleep each time it polls the hub.

    mpi-sppy's spokes poll in a tight loop while they wait for the hub's next iterate
    (the Lagrangian spoke does nothing else meanwhile); on a machine with fewer cores than
    ranks that loop takes CPU from the hub's solves.
    """

    def got_kill_signal(self) -> bool:
        time.sleep(POLL_SECONDS)
        return bool(super().got_kill_signal())  # type: ignore[misc]


def _source(labels: list[str], idx: int | None, kind: str) -> str:
    if idx == 0:
        return "PH hub (trivial bound: each scenario alone)" if kind == "outer" else "PH hub"
    if idx is not None and 0 < idx < len(labels):
        return labels[idx]
    return "unknown cylinder"


def _wheel_stop(
    info: Mapping[str, Any],
    options: Mapping[str, Any],
    elapsed: float,
    gap_goal: float,
    n_cyl: int,
) -> str:
    done, limit, conv = info["iterations"], options["PHIterLimit"], info["conv"]
    c = "n/a" if conv is None else f"{conv:.2g}"
    if info["rel_gap"] < -1e-9:  # a cylinder's inner bound above another's outer bound
        return f"cylinders' bounds crossed after {done} PH iterations (a cylinder erred)"
    if n_cyl == 3 and info["rel_gap"] <= gap_goal and done < limit:
        return (
            f"cylinders' gap {100 * info['rel_gap']:.3g}% within {100 * gap_goal:.3g}% "
            f"after {done} PH iterations"
        )
    if conv is not None and conv < CONVTHRESH:
        return f"PH converged after {done} iterations (first stages agree: {c})"
    tl = options.get("time_limit")
    if tl is not None and elapsed >= tl:
        return f"time limit {tl:g} s after {done} PH iterations (PH convergence {c})"
    return f"iteration limit {limit} (PH convergence {c})"


# ------------------------------------------------------------------ evaluation
def _evaluate(
    models: ScenarioModels,
    ranks: Ranks,
    evaluate: Evaluate,
    run: _Run,
    gap_goal: float,
) -> dict[str, Any]:
    """Re-plan the candidates in every scenario; report the best with its bounds."""
    sc = models.scenarios
    risk = models.cvar_alpha is not None and models.risk_weight > 0
    best: tuple[float, dict[HP, int], str, list[ScenarioOutcome]] | None = None
    for cand, why in run.candidates[:MAX_CANDIDATES]:
        outs = ranks.share(len(sc), lambda i, c=cand: evaluate(sc.instances[i], c))  # type: ignore[misc]
        if not all(o.has_plan for o in outs):
            continue
        values = [models.sign * (o.objective_usd or 0.0) for o in outs]  # maximised
        if risk:
            assert models.cvar_alpha is not None
            value = risk_objective(values, sc.probabilities, models.cvar_alpha, models.risk_weight)
        else:
            value = sum(p * v for p, v in zip(sc.probabilities, values, strict=True))
        if best is None or value > best[0]:
            best = (value, cand, why, outs)
    outer_usd, outer_source = None, ""
    if run.outer:
        b, outer_source = min(run.outer)  # a maximisation: the smallest bound is the best
        outer_usd = b * MONEY_USD
    sign = models.sign  # values and bounds above are maximised: a cost is reported as such
    bounds: dict[str, Any] = {
        "outer_usd": None if outer_usd is None else sign * outer_usd,
        "outer_source": outer_source,
        "inner_usd": None,
        "inner_source": "",
        "cylinders": run.cylinders,
        "ranks": ranks.size,
        "ranks_per_cylinder": ranks.size // len(run.cylinders),
        "wheel_inner_usd": None if run.wheel_inner is None else sign * run.wheel_inner * MONEY_USD,
        "ph_seconds": run.seconds,
        "w_start": run.w_start,
        "w_start_seconds": run.seed_seconds,
    }
    out: dict[str, Any] = {
        "bound_usd": bounds["outer_usd"],
        "stopped_because": run.stopped,
        "iterations": run.iterations,
        "bounds": bounds,
    }
    if best is None:
        out.update(
            status="error",
            objective_usd=None,
            mip_gap=None,
            message="no candidate first stage from PH is feasible in every scenario; "
            "try --method ef or more --ph-iterations",
        )
        return out
    value, cand, why, outs = best
    bounds["inner_usd"] = models.sign * value
    bounds["inner_source"] = f"{why}, re-planned in every scenario"
    gap = None
    if outer_usd is not None:
        gap = max(0.0, outer_usd - value) / max(abs(outer_usd), 1e-9)
    out.update(
        status="optimal" if gap is not None and gap <= max(gap_goal, 1e-9) else "heuristic",
        objective_usd=models.sign * value,
        mip_gap=gap,
        first_stage=cand,
        scenarios=outs,
        first_stage_by_scenario=[cand] * len(sc),
    )
    return out
