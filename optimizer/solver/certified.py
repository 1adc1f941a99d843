"""The certified solve strategy: a relaxed bound, a repaired integer plan, branching only if needed.

See docs/model.md, "Solve strategy". In short, for a model whose purchase counts ``buy``
are general integers:

0. **LP first** (models with binaries besides purchases): the LP relaxation as the bound,
   the binaries rounded and held, then step 2; the answer if that closes the gap, else
   the model is restored and its plan goes to step 3's branch (:func:`_lp_first`;
   ``RELAXATION_AFTER_LP``: step 1 first).
1. **Bound.** Solve the model with every ``buy`` continuous; the other integer variables
   (minimum-lot flags, menu picks, replica counts, any binary added later) stay integer.
   Every integer plan is a point of this relaxation, so its optimum (or, if that is itself
   a small MIP, HiGHS's dual bound of it) bounds the true optimum from above. After step
   0 it starts from step 0's point and keeps integer the purchases that point buys a
   fractional number of, fewer than ``SMALL_PURCHASE`` units (fewer integers than the
   model: still a bound).
2. **Round and repair.** Dive: fix the fractional ``buy`` at their floors (raised to
   the minimum lot where flooring left a lot part-bought), re-solve the rest, repeat until
   every purchase is fixed. Then, largest fractional part first, raise one purchase by one
   unit and keep it if the plan stays feasible and earns more; then the same over the
   other purchases (leftover power, land and budget filled greedily); a step the last
   LP's reduced costs or fixed rows rule out costs no LP. Each step changes column bounds
   in the same HiGHS instance, so an LP re-solve starts from the last basis (dual
   simplex). If the gap is still open, a node-limited sub-MIP around the relaxation and
   the repaired plan (RENS) looks for a better plan.
3. **Certify.** If the repaired plan is within the relative gap of the bound, it is the
   answer, optimal within the gap, proven by the relaxation bound. Otherwise the
   purchases become integer again, narrowed by reduced cost to what a plan as good as
   the repaired one can use (:mod:`optimizer.solver.proof`), the repaired plan is handed
   to HiGHS as a start and HiGHS branches (no restart; sub-MIP heuristics as measured,
   see ``proof.BRANCH_OPTIONS``; a start close to the bound branches without them for
   ``proof.CLOSE_NODES`` nodes first); the bound reported is the better of the two.

The rounding and repair steps are in :mod:`optimizer.solver.rounding`. HiGHS's sub-MIP
heuristics (RINS, RENS) are off in step 1, and so are its restarts.
Everything is done in place in the persistent HiGHS instance of a
:class:`~optimizer.solver.highs.HighsSession` (bounds and integrality changed through
highspy, not Pyomo, and restored before returning), from a clean solver state, so the
answer is a function of the model's numbers: the same on any number of sweep workers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import pyomo.environ as pyo

from optimizer.solver.proof import (
    CLOSE_NODES,
    CLOSE_START,
    RELAXATION_OPTIONS,
    RELAXATION_STARTED_OPTIONS,
    branch_options,
    tighten_by_reduced_cost,
)
from optimizer.solver.rounding import (
    INTEGRAL,
    OK,
    Buys,
    Search,
    better_lot,
    dive,
    floor_plan,
    option,
    options_set,
    repair,
    run_without_sub_mips,
    set_integrality,
    set_start,
)

if TYPE_CHECKING:
    from optimizer.solver.highs import HighsSession

PROOF_RELAXATION = "relaxation bound"
PROOF_BRANCHING = "branch and bound"

# Models with binaries besides purchases try the LP relaxation first (see _lp_first);
# False: the MIP in the binaries at once, as before (benchmarks compare the two).
LP_FIRST = True
# When the LP-first plan is not within the gap of the LP bound: False (measured) hands it to
# HiGHS's branch at once; True solves the relaxation of step 1 first and repairs its plan.
# Measured on the v2.1 reference before LP-first's early stop: 0.60 s against 1.02 s of CPU;
# 20 sweep scenarios of it: 52 s against 54 s. With the early stop, an LP that cannot close
# skips the repair and goes to step 1 either way (the v2.2 reference does: 1.5 s both).
RELAXATION_AFTER_LP = False
# Step 1 keeps integer every purchase the LP-first phase's plan buys a fractional number
# of, fewer than this many units: rounding such a purchase moves it by at least 2%, and a
# few big units (a 16-rack LPX pod) are where the relaxation's bound was loose. Measured
# on 20 sweep scenarios of the reference: the repaired plan closes 1e-4 against that bound
# in 17 scenarios instead of 5, 0.44 s each instead of 0.52 s (both with the start of
# RELAXATION_STARTED_OPTIONS; 20 and 30 units: 14, 15 closed; 100: 13, slower). Fewer
# integers than the model has: its bound stays valid.
SMALL_PURCHASE = 50.0
# Step 1's MIP is closed to this share of the gap (its bound leaves the plan the rest).
# 1/3 and 1/5 measured on the 20 sweep scenarios above: fewer closed (11, 12), slower.
RELAXATION_GAP_SHARE = 0.1


def _blocks(model: pyo.ConcreteModel) -> Iterator[Any]:
    """The model and every active block inside it."""
    yield model
    yield from model.component_data_objects(pyo.Block, descend_into=True, active=True)


def buy_variables(model: pyo.ConcreteModel) -> Iterator[Any]:
    """Every ``buy`` variable of the model and of its blocks (two-stage scenarios)."""
    for block in _blocks(model):
        buy = block.component("buy")
        if isinstance(buy, pyo.Var):
            yield from buy.values()


def _adopt_variables(model: pyo.ConcreteModel) -> Iterator[Any]:
    """Every platform ``adopt`` binary of the model and of its blocks."""
    for block in _blocks(model):
        adopt = block.component("adopt")
        if isinstance(adopt, pyo.Var):
            yield from adopt.values()


def _lot_groups(
    model: pyo.ConcreteModel, pos_of: dict[int, int], col_of: dict[int, int]
) -> tuple[list[tuple[float, list[int]]], list[int]]:
    """(min_units, purchase positions) for each hardware with a minimum lot, in every block,
    and the HiGHS column of each lot's ``used`` flag (-1 where it has none)."""
    out: list[tuple[float, list[int]]] = []
    flags: list[int] = []
    for block in _blocks(model):
        lot_h = block.component("LOT_H")
        if lot_h is None or not hasattr(block, "buy_by_h"):
            continue
        for h in lot_h:
            members = [
                pos_of[id(block.buy[h, p])]
                for p in block.buy_by_h[h]
                if id(block.buy[h, p]) in pos_of
            ]
            if members:
                out.append((float(pyo.value(block.min_units[h])), members))
                flags.append(col_of.get(id(block.used[h]), -1))
    return out, flags


def objective_scale(highs: Any) -> int:
    """HiGHS's ``user_objective_scale`` for the model loaded in ``highs``: 0 when the largest
    objective coefficient is within [1e-3, 1e3] (model units: $M), else the power of two
    that brings it to about 1. HiGHS's optimality tolerances and its absolute MIP gap
    (1e-6) are absolute: an instance priced at 3e-8 USD/Mtok or with all money x 1e-9
    would otherwise be "solved" by buying nothing."""
    cost = np.abs(np.asarray(highs.getLp().col_cost_, dtype=float))
    cost = cost[cost > 0]
    if cost.size == 0:
        return 0
    largest = float(cost.max())
    if 1e-3 <= largest <= 1e3:
        return 0
    return int(max(-60, min(60, -round(math.log2(largest)))))


@dataclass
class CertifiedResult:
    """What :func:`certified_run` found (objective and bound in model units, max sense)."""

    status: str  # "optimal" | "time_limit" | "infeasible"
    objective: float | None
    bound: float | None
    mip_gap: float | None
    proof: str
    solution: np.ndarray | None
    lp_solves: int
    sign: float = 1.0  # -1 when the model minimises: objective and bound are sign * value


def certified_run(
    session: HighsSession,
    model: pyo.ConcreteModel,
    mip_gap: float,
    deadline: float | None,
) -> CertifiedResult | None:
    """Run the certified strategy on ``model`` in ``session``'s HiGHS instance.

    Returns None when the strategy does not apply (no free integer purchase) or the
    relaxation ends in a way it cannot use (unbounded, an error, out of time): the caller
    then runs the plain MILP. The HiGHS model is restored (bounds, integrality, options)
    before returning.
    """
    solver = session.solver
    if model is not solver._model:
        solver.set_instance(model)
    else:
        solver.update()
    highs = session.highs
    col_of = solver._pyomo_var_to_solver_var_map
    integrality = list(highs.getLp().integrality_)
    if not integrality:
        return None
    kint = highspy.HighsVarType.kInteger
    cols: list[int] = []
    pos_of: dict[int, int] = {}
    for v in buy_variables(model):
        col = col_of.get(id(v))
        if col is None or v.fixed or integrality[col] != kint:
            continue
        pos_of[id(v)] = len(cols)
        cols.append(col)
    lots, flags = _lot_groups(model, pos_of, col_of)
    switches = [col_of[id(v)] for v in _adopt_variables(model) if id(v) in col_of]
    for key, val in solver.highs_options.items():
        highs.setOptionValue(key, val)
    try:
        return certify_loaded(
            highs,
            cols,
            lots,
            mip_gap=mip_gap,
            deadline=deadline,
            stopped=lambda: session.cancelled,
            log=session.log_enabled,
            lp_first=LP_FIRST,
            switches=switches,
            lot_flags=flags,
        )
    finally:
        session._model = model


def general_integers(lp: Any) -> list[int]:
    """The integer columns of ``lp`` that are not binaries (unit counts)."""
    integrality = list(lp.integrality_)
    upper = np.asarray(lp.col_upper_, dtype=float)
    lower = np.asarray(lp.col_lower_, dtype=float)
    kint = highspy.HighsVarType.kInteger
    return [
        j
        for j, kind in enumerate(integrality)
        if kind == kint and (upper[j] > 1.0 or lower[j] < 0.0) and lower[j] < upper[j]
    ]


def certify_loaded(
    highs: Any,
    cols: list[int],
    lots: list[tuple[float, list[int]]] | None = None,
    *,
    mip_gap: float,
    abs_gap: float = 0.0,
    deadline: float | None,
    stopped: Callable[[], bool] = lambda: False,
    log: bool = False,
    lp_first: bool = False,
    switches: list[int] | None = None,
    lot_flags: list[int] | None = None,
) -> CertifiedResult | None:
    """The certified strategy on the model loaded in ``highs`` (a ``highspy.Highs``):
    ``cols`` are the integer columns to relax (purchases), ``lots`` the minimum-lot groups
    (min_units, positions in ``cols``). Closed when bound - objective <= mip_gap *
    |objective| + abs_gap. Bounds, integrality and the options it sets are restored."""
    lp = highs.getLp()
    integrality = list(lp.integrality_)
    if not integrality or not cols:
        return None
    kint = highspy.HighsVarType.kInteger
    all_lower = np.array(lp.col_lower_, dtype=float)
    all_upper = np.array(lp.col_upper_, dtype=float)
    c = np.array(cols, dtype=np.int32)
    chosen = set(cols)
    buys = Buys(c, all_lower[c], all_upper[c], lots or [])
    kcont = highspy.HighsVarType.kContinuous
    others_integer = any(kind != kcont for j, kind in enumerate(integrality) if j not in chosen)
    saved = {
        k: option(highs, k)
        for k in ("time_limit", "mip_rel_gap", "output_flag", "user_objective_scale")
    }
    search = Search(highs, buys, mip_gap, deadline, stopped)
    search.abs_gap = abs_gap
    search.lp_first = lp_first
    search.others = np.array(
        [j for j, kind in enumerate(integrality) if kind != kcont and j not in chosen],
        dtype=np.int32,
    )
    search.switches = np.array(switches or [], dtype=np.int32)
    search.lot_flags = list(lot_flags or [])
    search.saved_lower, search.saved_upper = all_lower, all_upper
    search.saved_integrality = np.array(integrality)
    search.binaries = np.array(
        [
            j
            for j, kind in enumerate(integrality)
            if kind == kint and all_lower[j] >= 0.0 and all_upper[j] <= 1.0 and j not in chosen
        ],
        dtype=np.int32,
    )
    highs.setOptionValue("mip_rel_gap", mip_gap)
    highs.setOptionValue("output_flag", log)
    highs.setOptionValue("user_objective_scale", objective_scale(highs))
    try:
        highs.clearSolver()
        set_integrality(highs, c, highspy.HighsVarType.kContinuous)
        result = _search(search, others_integer)
        if result is not None:
            result.sign = search.sign
        return result
    finally:
        every = np.arange(len(integrality), dtype=np.int32)
        highs.changeColsBounds(len(every), every, all_lower, all_upper)
        highs.changeColsIntegrality(len(every), every, search.saved_integrality)
        for key, val in saved.items():
            highs.setOptionValue(key, val)


def _search(s: Search, others_integer: bool) -> CertifiedResult | None:
    if others_integer and s.lp_first and len(s.binaries) == len(s.others):
        plan: list[tuple[float, float, np.ndarray]] = []
        first = _lp_first(s, plan)
        if first is not None:
            return first
        if plan and not RELAXATION_AFTER_LP:
            value, bound, start = plan[0]
            return _branch(s, bound, value, start)
    highs, b = s.highs, s.buys
    # The relaxation is a MIP only in its binaries (lots, menus): small. Closed tighter
    # than the target (RELAXATION_GAP_SHARE), so its bound leaves the plan most of the gap.
    highs.setOptionValue("mip_rel_gap", s.mip_gap * RELAXATION_GAP_SHARE)
    # Its bound is what counts (the repair below finds the plan): HiGHS's sub-MIP
    # heuristics, most of its time on the reference's binaries, are off for it.
    options = RELAXATION_OPTIONS
    kept = np.zeros(0, dtype=np.int32)
    if s.relaxation_start is not None:
        kept = _small_purchases(b.cols, s.relaxation_start)
        set_integrality(highs, kept, highspy.HighsVarType.kInteger)
        # The LP-first point, with the purchases kept integer at their floor (HiGHS
        # completes a start that is not feasible as it stands, if it can).
        start = s.relaxation_start.copy()
        start[kept] = np.floor(start[kept])
        set_start(highs, start)
        options = {**options, **RELAXATION_STARTED_OPTIONS}
    with options_set(highs, options):
        status = run_without_sub_mips(s)
    set_integrality(highs, kept, highspy.HighsVarType.kContinuous)
    if s.relaxation_start is not None and status == OK and not s.consistent():
        # As in _run_from: the start returned beside another objective; again without it.
        highs.clearSolver()
        with options_set(highs, RELAXATION_OPTIONS):
            status = run_without_sub_mips(s)
    highs.setOptionValue("mip_rel_gap", s.mip_gap)
    if status == highspy.HighsModelStatus.kInfeasible:
        # The relaxation is infeasible, so is every integer plan.
        return CertifiedResult("infeasible", None, None, None, PROOF_RELAXATION, None, 1)
    if status != OK:
        return None
    info = highs.getInfo()
    bound = s.value()
    if others_integer and math.isfinite(info.mip_dual_bound):
        bound = max(bound, s.sign * float(info.mip_dual_bound))
    full = s.solution()
    found: tuple[np.ndarray, float, np.ndarray] | None = None
    if not s.out_of_time():
        s.pin_binaries(full)
        found = dive(s, full[b.cols])
        if found is None and not s.out_of_time():
            s.unpin_binaries()
            found = floor_plan(s, full[b.cols])
    if found is None:
        return _branch(s, bound, None, None)
    best_value, best = repair(s, full[b.cols], found, bound)
    if s.closed(best_value, bound):
        return _proven(s, best_value, bound, best)
    return _branch(s, bound, best_value, best)


def _small_purchases(cols: np.ndarray, point: np.ndarray) -> np.ndarray:
    """The purchase columns of ``cols`` step 1 keeps integer: those ``point`` buys a
    fractional number of, fewer than SMALL_PURCHASE units."""
    x = point[cols]
    fractional = x - np.floor(x + INTEGRAL) > INTEGRAL
    return cols[fractional & (x < SMALL_PURCHASE)]


def _proven(s: Search, value: float, bound: float, solution: np.ndarray) -> CertifiedResult:
    return CertifiedResult(
        "optimal", value, bound, _gap(value, bound), PROOF_RELAXATION, solution, s.lp_solves
    )


def _lp_first(s: Search, plan: list[tuple[float, float, np.ndarray]]) -> CertifiedResult | None:
    """The LP relaxation (binaries continuous too) as the bound, binaries rounded and held
    for the dive and repair: one LP and the repair's, in place of a MIP in the binaries.
    Its answer when that closes the gap; None (model restored) to go on with the MIP."""
    highs, b = s.highs, s.buys
    set_integrality(highs, s.binaries, highspy.HighsVarType.kContinuous)
    try:
        if s.run() != OK:
            return None
        bound = s.value()
        full = s.solution()
        x = full[s.binaries]
        rounded = np.where(x >= 0.5 + INTEGRAL, 1.0, 0.0)
        # A switch that only permits (a platform's adopt) is on wherever the LP uses it.
        rounded[np.isin(s.binaries, s.switches) & (x > INTEGRAL)] = 1.0
        # A lot is bought if the LP buys all of it, not if it buys none; a lot the LP buys
        # in part is tried both ways below (two LPs each).
        relaxed = full[b.cols]
        open_lots: list[int] = []
        for (min_units, members), flag in zip(b.lots, s.lot_flags, strict=False):
            total = relaxed[members].sum()
            if flag < 0 or flag not in s.binaries:
                continue
            rounded[np.flatnonzero(s.binaries == flag)] = float(total > INTEGRAL)
            if INTEGRAL < total < min_units - INTEGRAL:
                open_lots.append(flag)
        full[s.binaries] = rounded
        s.pin_binaries(full)
        for flag in open_lots:
            relaxed = better_lot(s, flag)
            if relaxed is None:
                return None
        # Every plan below is a restriction of the LP with the binaries held: if that LP
        # does not close the gap, no repair can (one LP in place of the dive's and greedy's).
        if s.out_of_time() or s.run() != OK:
            return None
        if not s.closed(s.value(), bound):
            # Binaries integral, purchases continuous: a point of step 1's relaxation.
            s.relaxation_start = s.solution()
            return None
        found = dive(s, relaxed)
        if found is None:
            return None
        best_value, best = repair(s, relaxed, found, bound)
        if s.closed(best_value, bound):
            return _proven(s, best_value, bound, best)
        plan.append((best_value, bound, best))
        return None
    finally:
        s.unpin_binaries(force=True)
        highs.changeColsBounds(len(b.cols), b.cols, b.lower, b.upper)
        highs.clearSolver()


def _branch(
    s: Search, bound: float, value: float | None, start: np.ndarray | None
) -> CertifiedResult | None:
    """Purchases integer again; HiGHS branches from ``start`` (if any)."""
    highs, b = s.highs, s.buys
    n = len(b.cols)
    if s.out_of_time():
        if start is None or value is None:
            return None
        return CertifiedResult(
            "time_limit", value, bound, _gap(value, bound), PROOF_RELAXATION, start, s.lp_solves
        )
    s.unpin_binaries()
    highs.changeColsBounds(n, b.cols, b.lower, b.upper)
    set_integrality(highs, b.cols, highspy.HighsVarType.kInteger)
    highs.clearSolver()
    narrowed = 0
    if start is not None and value is not None and not s.out_of_time():
        # Purchases narrowed to what a plan as good as the start can use (optimizer.
        # solver.proof): HiGHS's own root reduced-cost fixing is slow on wide domains.
        narrowed = tighten_by_reduced_cost(highs, b.cols, s.sign, value, start)
        s.lp_solves += 1
    close = value is not None and bound - value <= CLOSE_START * (
        s.mip_gap * abs(value) + s.abs_gap
    )
    # A start close to the bound branches with HiGHS's sub-MIP heuristics off, which only
    # re-find it when it is the optimum; after CLOSE_NODES nodes without a proof the start
    # likely is not, and the branch runs again from the best plan with them on.
    phases = [branch_options(False)]
    if close:
        phases = [{**branch_options(True), "mip_max_nodes": CLOSE_NODES}, *phases]
    for options in phases:
        with options_set(highs, options):
            status = _run_from(s, start)
            if narrowed and status == highspy.HighsModelStatus.kInfeasible:
                # The start lies inside the narrowed domains, so this is round-off: branch
                # again on the model as it was.
                highs.changeColsBounds(n, b.cols, b.lower, b.upper)
                highs.clearSolver()
                narrowed = 0
                status = _run_from(s, start)
        if status == highspy.HighsModelStatus.kInfeasible:
            return CertifiedResult(
                "infeasible", None, None, None, PROOF_BRANCHING, None, s.lp_solves
            )
        info = highs.getInfo()
        if math.isfinite(info.mip_dual_bound):
            bound = min(bound, s.sign * float(info.mip_dual_bound))
        has = highs.getSolution().value_valid and status in (
            OK,
            highspy.HighsModelStatus.kTimeLimit,
            highspy.HighsModelStatus.kInterrupt,
            highspy.HighsModelStatus.kSolutionLimit,
            highspy.HighsModelStatus.kIterationLimit,
        )
        if has and (value is None or s.value() >= value):
            value, start = s.value(), s.solution()
        if value is None or start is None:
            return None
        if status != highspy.HighsModelStatus.kSolutionLimit or s.closed(value, bound):
            break
        highs.clearSolver()
    assert value is not None and start is not None  # each phase returns None otherwise
    bound = max(bound, value)
    done = status == OK or s.closed(value, bound)
    return CertifiedResult(
        "optimal" if done else "time_limit",
        value,
        bound,
        _gap(value, bound),
        PROOF_BRANCHING,
        start,
        s.lp_solves,
    )


def _run_from(s: Search, start: np.ndarray | None) -> highspy.HighsModelStatus:
    """HiGHS's branch and bound, from ``start`` if there is one."""
    highs = s.highs
    if start is not None:
        set_start(highs, start)
    status = s.run()  # with branch_options (optimizer.solver.proof)
    if start is not None and status == OK and not s.consistent():
        # HiGHS 1.16 can end a MIP solved in presolve with the start as its "solution"
        # beside the true optimum's objective: solve again without the start.
        highs.clearSolver()
        status = s.run()
    return status


def _gap(value: float, bound: float) -> float | None:
    """HiGHS's relative gap, (bound - value) / |value|; 0 when both are 0."""
    diff = max(0.0, bound - value)
    if diff <= 1e-12 * max(abs(bound), abs(value)):
        return 0.0
    if value == 0:
        return None
    return diff / abs(value)
