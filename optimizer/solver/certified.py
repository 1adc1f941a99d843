"""The certified solve strategy: a relaxed bound, a repaired integer plan, branching only if needed.

See docs/model.md, "Solve strategy". In short, for a model whose purchase counts ``buy``
are general integers:

1. **Bound.** Solve the model with every ``buy`` continuous; the other integer variables
   (minimum-lot flags, menu picks, replica counts, any binary added later) stay integer.
   Every integer plan is a point of this relaxation, so its optimum (or, if that is itself
   a small MIP, HiGHS's dual bound of it) bounds the true optimum from above.
2. **Round and repair.** Fix every ``buy`` at the floor of its relaxed value (raised to
   the minimum lot where flooring left a lot part-bought) and re-solve for the rest
   (serving, sales, the other integer variables). Then, largest fractional part first,
   raise one floored purchase by one unit and keep it if the plan stays feasible and
   earns more; then the same over the other purchases the relaxation uses (leftover
   power, land and budget filled greedily). Each step changes two column bounds in the
   same HiGHS instance, so an LP re-solve starts from the last basis (dual simplex).
3. **Certify.** If the repaired plan is within the relative gap of the bound, it is the
   answer, optimal within the gap, proven by the relaxation bound. Otherwise the
   purchases become integer again, the repaired plan is handed to HiGHS as a start and
   HiGHS branches; the bound reported is the better of the two.

Everything is done in place in the persistent HiGHS instance of a
:class:`~optimizer.solver.highs.HighsSession` (bounds and integrality changed through
highspy, not Pyomo, and restored before returning), from a clean solver state, so the
answer is a function of the model's numbers: the same on any number of sweep workers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import pyomo.environ as pyo

if TYPE_CHECKING:
    from optimizer.solver.highs import HighsSession

PROOF_RELAXATION = "relaxation bound"
PROOF_BRANCHING = "branch and bound"

_INTEGRAL = 1e-6  # a relaxed value this close to an integer counts as that integer
_IMPROVES = 1e-9  # relative gain a repair step must bring to be kept

_OK = highspy.HighsModelStatus.kOptimal

# Models with binaries besides purchases try the LP relaxation first (see _lp_first);
# False: the MIP in the binaries at once, as before (benchmarks compare the two).
LP_FIRST = True


@dataclass
class _Buys:
    """The purchase columns: HiGHS column, its bounds, and the minimum-lot groups."""

    cols: np.ndarray  # int32 column per purchase variable
    lower: np.ndarray
    upper: np.ndarray
    lots: list[tuple[float, list[int]]]  # (min_units, positions in ``cols``) per lot hardware


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


def _option(highs: Any, name: str) -> Any:
    value = highs.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value


class _Search:
    """One certified run on a HiGHS instance whose model is already loaded."""

    def __init__(
        self,
        highs: Any,
        buys: _Buys,
        mip_gap: float,
        deadline: float | None,
        stopped: Callable[[], bool],
    ) -> None:
        self.highs = highs
        self.buys = buys
        self.mip_gap = mip_gap
        self.deadline = deadline
        self.stopped = stopped
        self.sign = -1.0 if highs.getLp().sense_ == highspy.ObjSense.kMinimize else 1.0
        self.lp_solves = 0
        # The model as loaded (restored after the search) and its binary columns other
        # than purchases (lot flags, menu picks, options' switches).
        self.saved_lower = np.zeros(0)
        self.saved_upper = np.zeros(0)
        self.saved_integrality = np.zeros(0)
        self.binaries = np.zeros(0, dtype=np.int32)
        self.pinned = False
        self.abs_gap = 0.0  # also closed when bound - objective is at most this
        # The LP-first phase (see _lp_first): the integer columns other than purchases,
        # the binaries that only permit (platform adopt) and each lot's flag column.
        self.lp_first = False
        self.others = np.zeros(0, dtype=np.int32)
        self.switches = np.zeros(0, dtype=np.int32)
        self.lot_flags: list[int] = []

    def pin_binaries(self, solution: np.ndarray) -> None:
        """Hold the binaries at ``solution``'s values (continuous, fixed): the repair steps
        are then LPs re-solved from the last basis. A restriction: every plan it finds is
        feasible for the model."""
        k = len(self.binaries)
        if k == 0:
            return
        values = np.round(solution[self.binaries])
        self.highs.changeColsBounds(k, self.binaries, values, values)
        self.highs.changeColsIntegrality(
            k, self.binaries, np.full(k, highspy.HighsVarType.kContinuous)
        )
        self.pinned = True

    def unpin_binaries(self, force: bool = False) -> None:
        """The binaries as loaded again (``force``: even if not pinned here)."""
        k = len(self.binaries)
        if k == 0 or not (self.pinned or force):
            return
        cols = self.binaries
        self.highs.changeColsBounds(k, cols, self.saved_lower[cols], self.saved_upper[cols])
        self.highs.changeColsIntegrality(k, cols, self.saved_integrality[cols])
        self.pinned = False

    # -- helpers -------------------------------------------------------------
    def left(self) -> float | None:
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def out_of_time(self) -> bool:
        left = self.left()
        return self.stopped() or (left is not None and left <= 0.0)

    def run(self) -> highspy.HighsModelStatus:
        left = self.left()
        self.highs.setOptionValue("time_limit", highspy.kHighsInf if left is None else left)
        self.highs.run()
        self.lp_solves += 1
        return self.highs.getModelStatus()

    def value(self) -> float:
        """The objective, signed so that larger is better."""
        return self.sign * float(self.highs.getInfo().objective_function_value)

    def closed(self, value: float, bound: float) -> bool:
        # Relative (plus abs_gap, which only the two-stage blocks set): an instance in small
        # units (all money x 1e-9) has a small objective, and no fixed absolute slack may
        # stand in for the gap.
        return bound - value <= (
            self.mip_gap * abs(value) + self.abs_gap + 1e-12 * max(abs(bound), abs(value))
        )

    def fix(self, units: np.ndarray) -> None:
        b = self.buys
        self.highs.changeColsBounds(len(b.cols), b.cols, units, units)

    def fix_one(self, i: int, units: float) -> None:
        self.highs.changeColBounds(int(self.buys.cols[i]), units, units)

    def consistent(self) -> bool:
        """Does the solution HiGHS returns have the objective it reports?"""
        lp = self.highs.getLp()
        x = np.asarray(self.highs.getSolution().col_value, dtype=float)
        own = float(np.dot(np.asarray(lp.col_cost_, dtype=float), x) + lp.offset_)
        reported = float(self.highs.getInfo().objective_function_value)
        return abs(own - reported) <= 1e-7 * max(abs(reported), abs(own), 1e-12)

    def solution(self) -> np.ndarray:
        return np.array(self.highs.getSolution().col_value, dtype=float)


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
    buys = _Buys(c, all_lower[c], all_upper[c], lots or [])
    kcont = highspy.HighsVarType.kContinuous
    others_integer = any(kind != kcont for j, kind in enumerate(integrality) if j not in chosen)
    n = len(cols)
    saved = {
        k: _option(highs, k)
        for k in ("time_limit", "mip_rel_gap", "output_flag", "user_objective_scale")
    }
    search = _Search(highs, buys, mip_gap, deadline, stopped)
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
        highs.changeColsIntegrality(n, c, np.full(n, highspy.HighsVarType.kContinuous))
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


def _search(s: _Search, others_integer: bool) -> CertifiedResult | None:
    if others_integer and s.lp_first and len(s.binaries) == len(s.others):
        first = _lp_first(s)
        if first is not None:
            return first
    highs, b = s.highs, s.buys
    # The relaxation is a MIP only in its binaries (lots, menus): small. Closed ten times
    # tighter than the target, so its bound leaves the rounded plan most of the gap.
    highs.setOptionValue("mip_rel_gap", s.mip_gap / 10)
    status = s.run()
    highs.setOptionValue("mip_rel_gap", s.mip_gap)
    if status == highspy.HighsModelStatus.kInfeasible:
        # The relaxation is infeasible, so is every integer plan.
        return CertifiedResult("infeasible", None, None, None, PROOF_RELAXATION, None, 1)
    if status != _OK:
        return None
    info = highs.getInfo()
    bound = s.value()
    if others_integer and math.isfinite(info.mip_dual_bound):
        bound = max(bound, s.sign * float(info.mip_dual_bound))
    full = s.solution()
    found: tuple[np.ndarray, float, np.ndarray] | None = None
    if not s.out_of_time():
        s.pin_binaries(full)
        found = _dive(s, full[b.cols])
        if found is None and not s.out_of_time():
            s.unpin_binaries()
            found = _floor_plan(s, full[b.cols])
    if found is None:
        return _branch(s, bound, None, None)
    best_value, best = _greedy(s, full[b.cols], found, bound)
    if s.closed(best_value, bound):
        return _proven(s, best_value, bound, best)
    return _branch(s, bound, best_value, best)


def _proven(s: _Search, value: float, bound: float, solution: np.ndarray) -> CertifiedResult:
    return CertifiedResult(
        "optimal", value, bound, _gap(value, bound), PROOF_RELAXATION, solution, s.lp_solves
    )


def _lp_first(s: _Search) -> CertifiedResult | None:
    """The LP relaxation (binaries continuous too) as the bound, binaries rounded and held
    for the dive and repair: one LP and the repair's, in place of a MIP in the binaries.
    Its answer when that closes the gap; None (model restored) to go on with the MIP."""
    highs, b = s.highs, s.buys
    k = len(s.binaries)
    highs.changeColsIntegrality(k, s.binaries, np.full(k, highspy.HighsVarType.kContinuous))
    try:
        if s.run() != _OK:
            return None
        bound = s.value()
        full = s.solution()
        x = full[s.binaries]
        rounded = np.where(x >= 0.5 + _INTEGRAL, 1.0, 0.0)
        # A switch that only permits (a platform's adopt) is on wherever the LP uses it.
        rounded[np.isin(s.binaries, s.switches) & (x > _INTEGRAL)] = 1.0
        # A lot is bought if the LP buys all of it, not if it buys none; a lot the LP buys
        # in part is tried both ways below (two LPs each).
        relaxed = full[b.cols]
        open_lots: list[int] = []
        for (min_units, members), flag in zip(b.lots, s.lot_flags, strict=False):
            total = relaxed[members].sum()
            if flag < 0 or flag not in s.binaries:
                continue
            rounded[np.flatnonzero(s.binaries == flag)] = float(total > _INTEGRAL)
            if _INTEGRAL < total < min_units - _INTEGRAL:
                open_lots.append(flag)
        full[s.binaries] = rounded
        s.pin_binaries(full)
        for flag in open_lots:
            relaxed = _better_lot(s, flag)
            if relaxed is None:
                return None
        found = None if s.out_of_time() else _dive(s, relaxed)
        if found is None:
            return None
        best_value, best = _greedy(s, relaxed, found, bound)
        return _proven(s, best_value, bound, best) if s.closed(best_value, bound) else None
    finally:
        s.unpin_binaries(force=True)
        highs.changeColsBounds(len(b.cols), b.cols, b.lower, b.upper)
        highs.clearSolver()


def _better_lot(s: _Search, flag: int) -> np.ndarray | None:
    """Hold the lot flag column ``flag`` at whichever of 0 and 1 gives the better LP;
    the purchases of that LP (None: neither is feasible)."""
    best: tuple[float, float, np.ndarray] | None = None
    for value in (0.0, 1.0):
        s.highs.changeColBounds(flag, value, value)
        if s.out_of_time():
            return None
        if s.run() == _OK and (best is None or s.value() > best[0]):
            best = (s.value(), value, s.solution())
    if best is None:
        return None
    s.highs.changeColBounds(flag, best[1], best[1])
    return best[2][s.buys.cols]


def _greedy(
    s: _Search,
    relaxed: np.ndarray,
    found: tuple[np.ndarray, float, np.ndarray],
    bound: float,
) -> tuple[float, np.ndarray]:
    """Raise purchases one unit at a time from the plan ``found`` while that earns more."""
    b = s.buys
    frac = relaxed - np.floor(relaxed + _INTEGRAL)
    units, best_value, best = found
    s.pin_binaries(best)

    # Greedy +1: purchases the relaxation left fractional first (largest fractional part
    # first), then the other purchases it uses, most units first (fills leftover capacity).
    fractional = [i for i in np.argsort(-frac, kind="stable") if frac[i] > _INTEGRAL]
    used = [
        i
        for i in np.argsort(-relaxed, kind="stable")
        if relaxed[i] > _INTEGRAL and frac[i] <= _INTEGRAL
    ]
    for i in [*fractional, *used]:
        if s.closed(best_value, bound) or s.out_of_time():
            break
        trial = units[i] + 1.0
        if trial > b.upper[i]:
            continue
        s.fix_one(i, trial)
        if s.run() == _OK and s.value() > best_value + _IMPROVES * abs(best_value):
            units[i] = trial
            best_value, best = s.value(), s.solution()
        else:
            s.fix_one(i, units[i])
    return best_value, best


def _dive(s: _Search, relaxed: np.ndarray) -> tuple[np.ndarray, float, np.ndarray] | None:
    """Round down the fractional purchases, re-solve the rest, repeat until none is left.

    Each round fixes the purchases still free that the last solution left fractional at
    their floor and re-solves with the others continuous, so capacity a floor frees is
    taken by whole units of other hardware where that pays. The last round fixes every
    purchase; its solution is an integer plan (None: a round was infeasible).
    """
    b = s.buys
    n = len(b.cols)
    units = np.zeros(n)
    free = np.ones(n, dtype=bool)
    x = relaxed
    frac0 = relaxed - np.floor(relaxed + _INTEGRAL)
    while True:
        if s.out_of_time():
            return None
        down = np.clip(np.floor(x + _INTEGRAL), b.lower, b.upper)
        fractional = free & (x - down > _INTEGRAL)
        if not fractional.any():
            fractional = free.copy()
        units[fractional] = down[fractional]
        free &= ~fractional
        _fill_lots(units, relaxed, frac0, b, fixed=~free)
        lower = np.where(free, b.lower, units)
        upper = np.where(free, b.upper, units)
        s.highs.changeColsBounds(n, b.cols, lower, upper)
        if s.run() != _OK:
            return None
        if not free.any():
            return units, s.value(), s.solution()
        x = s.solution()[b.cols]


def _floor_plan(s: _Search, relaxed: np.ndarray) -> tuple[np.ndarray, float, np.ndarray] | None:
    """Every purchase at the floor of its relaxed value (lots raised to their minimum, or
    dropped if that does not fit), the rest re-solved with its binaries free."""
    b = s.buys
    units = np.clip(np.floor(relaxed + _INTEGRAL), b.lower, b.upper)
    frac = relaxed - units
    _fill_lots(units, relaxed, frac, b, fixed=np.ones(len(units), dtype=bool))
    s.fix(units)
    if s.run() == _OK:
        return units, s.value(), s.solution()
    dropped = units.copy()
    for _min_units, members in b.lots:
        if units[members].sum() > np.floor(relaxed[members] + _INTEGRAL).sum():
            dropped[members] = 0.0
    s.fix(dropped)
    if not s.out_of_time() and s.run() == _OK:
        return dropped, s.value(), s.solution()
    return None


def _fill_lots(
    units: np.ndarray, relaxed: np.ndarray, frac: np.ndarray, b: _Buys, fixed: np.ndarray
) -> None:
    """Raise a lot that rounding left part-bought (0 < units < min_units) to its minimum,
    once all its purchases are ``fixed``."""
    for min_units, members in b.lots:
        if not fixed[members].all():
            continue
        total = units[members].sum()
        if total <= 0 or total >= min_units - _INTEGRAL:
            continue
        order = sorted(members, key=lambda i: (-frac[i], -relaxed[i], i))
        while total < min_units - _INTEGRAL:
            moved = False
            for i in order:
                if total >= min_units - _INTEGRAL:
                    break
                if units[i] + 1.0 <= b.upper[i]:
                    units[i] += 1.0
                    total += 1.0
                    moved = True
            if not moved:
                break


def _branch(
    s: _Search, bound: float, value: float | None, start: np.ndarray | None
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
    highs.changeColsIntegrality(n, b.cols, np.full(n, highspy.HighsVarType.kInteger))
    highs.clearSolver()
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        sol.dual_valid = False
        highs.setSolution(sol)
    status = s.run()
    if start is not None and status == _OK and not s.consistent():
        # HiGHS 1.16 can end a MIP solved in presolve with the start as its "solution"
        # beside the true optimum's objective: solve again without the start.
        highs.clearSolver()
        status = s.run()
    info = highs.getInfo()
    has = highs.getSolution().value_valid and status in (
        _OK,
        highspy.HighsModelStatus.kTimeLimit,
        highspy.HighsModelStatus.kInterrupt,
        highspy.HighsModelStatus.kSolutionLimit,
        highspy.HighsModelStatus.kIterationLimit,
    )
    if status == highspy.HighsModelStatus.kInfeasible:
        return CertifiedResult("infeasible", None, None, None, PROOF_BRANCHING, None, s.lp_solves)
    if math.isfinite(info.mip_dual_bound):
        bound = min(bound, s.sign * float(info.mip_dual_bound))
    if has and (value is None or s.value() >= value):
        value, start = s.value(), s.solution()
    if value is None or start is None:
        return None
    bound = max(bound, value)
    done = status == _OK or s.closed(value, bound)
    return CertifiedResult(
        "optimal" if done else "time_limit",
        value,
        bound,
        _gap(value, bound),
        PROOF_BRANCHING,
        start,
        s.lp_solves,
    )


def _gap(value: float, bound: float) -> float | None:
    """HiGHS's relative gap, (bound - value) / |value|; 0 when both are 0."""
    diff = max(0.0, bound - value)
    if diff <= 1e-12 * max(abs(bound), abs(value)):
        return 0.0
    if value == 0:
        return None
    return diff / abs(value)
