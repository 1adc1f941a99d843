"""Rounding and repair for the certified strategy (see :mod:`optimizer.solver.certified`).

:class:`Search` holds one certified run's HiGHS instance and its purchase columns;
the functions below turn a relaxed solution into an integer plan of the model: a dive
(round down, re-solve, repeat), the floor plan, the greedy +1 repair (its steps screened by
the last LP's reduced costs and rows), a sub-MIP around the relaxation when that leaves the
gap open, and the choice of a partly bought minimum lot. Every step changes column bounds
in place and re-solves.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

INTEGRAL = 1e-6  # a relaxed value this close to an integer counts as that integer
IMPROVES = 1e-9  # relative gain a repair step must bring to be kept
FEASIBLE = 1e-9  # relative slack past a row bound that still rules a repair step out

OK = highspy.HighsModelStatus.kOptimal

# An integer plan the repair found: purchase units, value (larger is better), full solution.
Found = tuple[np.ndarray, float, np.ndarray]


# HiGHS's sub-MIP heuristics, off while the relaxation's MIP in the binaries runs.
SUB_MIPS = ("mip_heuristic_run_rins", "mip_heuristic_run_rens")
# Node limit of the repair's own sub-MIP (neighbourhood): a heuristic, so a work limit
# keeps it short and, unlike a time limit, keeps the plan a function of the model.
SUB_MIP_NODES = 200
# Half-width of the sub-MIP's box around each relaxed purchase, as a share of it (at least
# the floor and ceiling): on the v2.2 reference the optimum buys 13 GB300 racks fewer in
# 2030 than the relaxation's 1,642 (capacity bought earlier takes their place), a move no
# floor/ceiling box holds; with 1% the sub-MIP finds a plan that closes 1e-4.
SUB_MIP_WIDTH = 0.01
# How the sub-MIP may end with a plan to use (it is feasible whichever limit stopped it).
SUB_MIP_ENDS = (
    highspy.HighsModelStatus.kOptimal,
    highspy.HighsModelStatus.kObjectiveTarget,
    highspy.HighsModelStatus.kSolutionLimit,
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kInterrupt,
)


@dataclass
class Buys:
    """The purchase columns: HiGHS column, its bounds, and the minimum-lot groups."""

    cols: np.ndarray  # int32 column per purchase variable
    lower: np.ndarray
    upper: np.ndarray
    lots: list[tuple[float, list[int]]]  # (min_units, positions in ``cols``) per lot hardware


def option(highs: Any, name: str) -> Any:
    """A HiGHS option's value (some highspy versions return (status, value))."""
    value = highs.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value


@contextlib.contextmanager
def options_set(highs: Any, values: dict[str, Any]) -> Iterator[None]:
    """HiGHS options ``values`` for the duration of the block, restored after."""
    saved = {name: option(highs, name) for name in values}
    for name, val in values.items():
        highs.setOptionValue(name, val)
    try:
        yield
    finally:
        for name, val in saved.items():
            highs.setOptionValue(name, val)


def set_integrality(highs: Any, cols: np.ndarray, kind: highspy.HighsVarType) -> None:
    """Make every column of ``cols`` integer or continuous (``kind``); none: no call."""
    if len(cols):
        highs.changeColsIntegrality(len(cols), cols, np.full(len(cols), kind))


def set_start(highs: Any, x: np.ndarray) -> None:
    """Hand HiGHS the column values ``x`` as the start of its next MIP run."""
    sol = highspy.HighsSolution()
    sol.col_value = list(x)
    sol.value_valid = True
    sol.dual_valid = False
    highs.setSolution(sol)


def matrix_entries(lp: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, value) of every nonzero of ``lp``'s matrix, whichever way HiGHS
    holds it (by columns or by rows)."""
    a = lp.a_matrix_
    start = np.asarray(a.start_, dtype=np.int64)
    index = np.asarray(a.index_, dtype=np.int64)
    value = np.asarray(a.value_, dtype=float)
    major = np.repeat(np.arange(len(start) - 1), np.diff(start))
    if a.format_ == highspy.MatrixFormat.kRowwise:
        return major, index, value
    return index, major, value


@dataclass
class Search:
    """One certified run on a HiGHS instance whose model is already loaded."""

    highs: Any
    buys: Buys
    mip_gap: float
    deadline: float | None
    stopped: Callable[[], bool]
    lp_solves: int = 0
    # The model as loaded (restored after the search) and its binary columns other
    # than purchases (lot flags, menu picks, options' switches).
    saved_lower: np.ndarray = field(default_factory=lambda: np.zeros(0))
    saved_upper: np.ndarray = field(default_factory=lambda: np.zeros(0))
    saved_integrality: np.ndarray = field(default_factory=lambda: np.zeros(0))
    binaries: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    pinned: bool = False
    abs_gap: float = 0.0  # also closed when bound - objective is at most this
    # The LP-first phase (certified._lp_first): the integer columns other than purchases,
    # the binaries that only permit (platform adopt) and each lot's flag column.
    lp_first: bool = False
    others: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    switches: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    lot_flags: list[int] = field(default_factory=list)
    # A point of the relaxation (purchases continuous, binaries integral) the LP-first
    # phase found: the relaxation's MIP starts from it (certified._search).
    relaxation_start: np.ndarray | None = None

    sign: float = field(init=False)  # -1 when the model minimises: larger is better

    def __post_init__(self) -> None:
        self.sign = -1.0 if self.highs.getLp().sense_ == highspy.ObjSense.kMinimize else 1.0

    def pin_binaries(self, solution: np.ndarray) -> None:
        """Hold the binaries at ``solution``'s values (continuous, fixed): the repair steps
        are then LPs re-solved from the last basis. A restriction: every plan it finds is
        feasible for the model."""
        k = len(self.binaries)
        if k == 0:
            return
        values = np.round(solution[self.binaries])
        self.highs.changeColsBounds(k, self.binaries, values, values)
        set_integrality(self.highs, self.binaries, highspy.HighsVarType.kContinuous)
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


def run_without_sub_mips(s: Search) -> highspy.HighsModelStatus:
    """One run with HiGHS's RINS and RENS heuristics off (restored after)."""
    with options_set(s.highs, dict.fromkeys(SUB_MIPS, False)):
        return s.run()


def better_lot(s: Search, flag: int) -> np.ndarray | None:
    """Hold the lot flag column ``flag`` at whichever of 0 and 1 gives the better LP;
    the purchases of that LP (None: neither is feasible)."""
    best: tuple[float, float, np.ndarray] | None = None
    for value in (0.0, 1.0):
        s.highs.changeColBounds(flag, value, value)
        if s.out_of_time():
            return None
        if s.run() == OK and (best is None or s.value() > best[0]):
            best = (s.value(), value, s.solution())
    if best is None:
        return None
    s.highs.changeColBounds(flag, best[1], best[1])
    return best[2][s.buys.cols]


def greedy(s: Search, relaxed: np.ndarray, found: Found, bound: float) -> tuple[float, np.ndarray]:
    """Raise purchases one unit at a time from the plan ``found`` while that earns more.

    A step is tried (one LP) only if :class:`Screen` cannot rule it out from the last LP:
    a step that cannot earn more, or cannot fit, would be undone anyway."""
    b = s.buys
    frac = relaxed - np.floor(relaxed + INTEGRAL)
    units, best_value, best = found
    s.pin_binaries(best)

    # Greedy +1: purchases the relaxation left fractional first (largest fractional part
    # first), then the other purchases it uses, most units first (fills leftover capacity).
    fractional = [i for i in np.argsort(-frac, kind="stable") if frac[i] > INTEGRAL]
    used = [
        i
        for i in np.argsort(-relaxed, kind="stable")
        if relaxed[i] > INTEGRAL and frac[i] <= INTEGRAL
    ]
    # Then every other purchase (the screen rules most out without an LP).
    tried = {*fractional, *used}
    order = [*fractional, *used, *(i for i in range(len(relaxed)) if i not in tried)]
    screen: Screen | None = None
    for i in order:
        if s.closed(best_value, bound) or s.out_of_time():
            break
        trial = units[i] + 1.0
        if trial > b.upper[i]:
            continue
        if screen is None:
            s.fix(units)
            if s.run() != OK:
                break
            screen = Screen(s)
        if screen.rules_out(i, best_value):
            continue
        s.fix_one(i, trial)
        if s.run() == OK and s.value() > best_value + IMPROVES * abs(best_value):
            units[i] = trial
            best_value, best = s.value(), s.solution()
            screen.update()
        else:
            s.fix_one(i, units[i])
    return best_value, best


def repair(s: Search, relaxed: np.ndarray, found: Found, bound: float) -> tuple[float, np.ndarray]:
    """The greedy from the dive's plan ``found``; if that leaves the gap open, the
    :func:`neighbourhood` sub-MIP around it. The better plan (value, full solution)."""
    best_value, best = greedy(s, relaxed, found, bound)
    if s.closed(best_value, bound) or s.out_of_time():
        return best_value, best
    units = np.round(best[s.buys.cols])
    better = neighbourhood(s, relaxed, units, best, bound)
    if better is not None and better[0] > best_value:
        return better
    s.fix(units)
    return best_value, best


def closing_value(s: Search, bound: float) -> float:
    """The least value that closes the gap against ``bound`` (see :meth:`Search.closed`)."""
    top = bound - s.abs_gap
    return top / (1.0 + s.mip_gap) if top >= 0 else top / (1.0 - s.mip_gap)


def neighbourhood(
    s: Search, relaxed: np.ndarray, units: np.ndarray, start: np.ndarray, bound: float
) -> tuple[float, np.ndarray] | None:
    """A sub-MIP (RENS) around the relaxation and the repaired plan: every purchase
    integer between the lesser of its repaired units and its relaxed value's floor less
    :data:`SUB_MIP_WIDTH` of that value, and the greater of the units and the ceiling plus
    as much, the binaries still held, the repaired plan ``start`` as HiGHS's
    start. Stopped at the first plan that closes the gap against ``bound``, at a tenth of
    the gap or after :data:`SUB_MIP_NODES` nodes (never by a clock: the plan is a function
    of the model). A restriction of the model: any plan it finds is feasible, and the bound
    stays the relaxation's. Returns (value, solution) if it found one; purchases are left
    fixed at the plan returned (or at ``units``)."""
    b = s.buys
    n = len(b.cols)
    reach = np.ceil(SUB_MIP_WIDTH * np.abs(relaxed) - INTEGRAL)
    lower = np.floor(relaxed + INTEGRAL) - reach
    upper = np.ceil(relaxed - INTEGRAL) + reach
    lower = np.minimum(np.clip(lower, b.lower, b.upper), units)
    upper = np.maximum(np.clip(upper, b.lower, b.upper), units)
    if not np.any(upper > lower):
        return None
    highs = s.highs
    limits: dict[str, Any] = {"mip_max_nodes": SUB_MIP_NODES, "mip_rel_gap": s.mip_gap / 10}
    if option(highs, "user_objective_scale") == 0 and s.mip_gap < 1:
        # HiGHS stops once its plan is better than the target (in the model's sense).
        limits["objective_target"] = s.sign * closing_value(s, bound)
    highs.changeColsBounds(n, b.cols, lower, upper)
    set_integrality(highs, b.cols, highspy.HighsVarType.kInteger)
    found: tuple[float, np.ndarray] | None = None
    try:
        with options_set(highs, limits):
            highs.clearSolver()
            set_start(highs, start)
            status = run_without_sub_mips(s)
            if status in SUB_MIP_ENDS and highs.getSolution().value_valid and s.consistent():
                found = s.value(), s.solution()
    finally:
        set_integrality(highs, b.cols, highspy.HighsVarType.kContinuous)
        plan = units if found is None else np.round(found[1][b.cols])
        s.fix(plan)
        highs.clearSolver()
    return found


class Screen:
    """What the last LP of the repair (every purchase fixed, binaries held) says about
    raising one purchase by a unit, without solving the LP of that step.

    * **Gain.** The LP optimum as a function of a fixed purchase is concave, and the
      purchase's reduced cost is a supergradient of it: one more unit earns at most that.
      A step whose reduced cost is not above the repair's threshold is not tried.
    * **Fit.** A row whose columns are all fixed (power, land, budget, supply: only
      purchases and held binaries) keeps its activity; a step that would take it past a
      bound is infeasible.
    """

    def __init__(self, s: Search) -> None:
        self.s = s
        lp = s.highs.getLp()
        self.row_lower = np.asarray(lp.row_lower_, dtype=float)
        self.row_upper = np.asarray(lp.row_upper_, dtype=float)
        # Per purchase: its rows that are rigid (every column in them fixed) and its
        # coefficients there.
        row, col, value = matrix_entries(lp)
        lower = np.asarray(lp.col_lower_, dtype=float)
        upper = np.asarray(lp.col_upper_, dtype=float)
        rigid = np.ones(lp.num_row_, dtype=bool)
        rigid[row[lower[col] < upper[col]]] = False
        position = np.full(lp.num_col_, -1, dtype=np.int64)
        position[s.buys.cols] = np.arange(len(s.buys.cols))
        keep = rigid[row] & (position[col] >= 0)
        k = position[col[keep]]
        order = np.argsort(k, kind="stable")
        ends = np.cumsum(np.bincount(k, minlength=len(s.buys.cols)))
        rows = np.split(row[keep][order], ends[:-1])
        coefs = np.split(value[keep][order], ends[:-1])
        self.rows: list[tuple[np.ndarray, np.ndarray]] = list(zip(rows, coefs, strict=True))
        self.update()

    def update(self) -> None:
        """Read the LP just solved (call after each step kept)."""
        sol = self.s.highs.getSolution()
        self.activity = np.asarray(sol.row_value, dtype=float)
        duals = np.asarray(sol.col_dual, dtype=float)
        self.gain = self.s.sign * duals[self.s.buys.cols] if sol.dual_valid else None

    def rules_out(self, i: int, value: float) -> bool:
        """Can raising purchase ``i`` by one unit be skipped (it would be undone)?"""
        if self.gain is not None and self.gain[i] <= IMPROVES * abs(value):
            return True
        rows, coef = self.rows[i]
        if rows.size == 0:
            return False
        after = self.activity[rows] + coef
        tol = FEASIBLE * np.maximum(1.0, np.abs(after))
        return bool(
            np.any(after > self.row_upper[rows] + tol) or np.any(after < self.row_lower[rows] - tol)
        )


def dive(s: Search, relaxed: np.ndarray) -> Found | None:
    """Round down the fractional purchases, re-solve the rest, repeat until none is left.

    Each round fixes the purchases still free that the last solution left fractional at
    their floor and re-solves with the others continuous, so capacity a floor frees is
    taken by whole units of other hardware where that pays. Once every fractional value
    left is below one unit (above its lower bound), the rounds would only move a leftover
    of less than a unit from one purchase to the next (80 of the dive's 86 LPs on the
    100x40x20x200 ladder instance, for 6e-6 of its value): the last round fixes every
    purchase then; its
    solution is an integer plan (None: a round was infeasible). The greedy fills what is
    left.
    """
    b = s.buys
    n = len(b.cols)
    units = np.zeros(n)
    free = np.ones(n, dtype=bool)
    x = relaxed
    frac0 = relaxed - np.floor(relaxed + INTEGRAL)
    while True:
        if s.out_of_time():
            return None
        down = np.clip(np.floor(x + INTEGRAL), b.lower, b.upper)
        fractional = free & (x - down > INTEGRAL)
        if not np.any(fractional & (down > b.lower)):
            fractional = free.copy()
        units[fractional] = down[fractional]
        free &= ~fractional
        fill_lots(units, relaxed, frac0, b, fixed=~free)
        lower = np.where(free, b.lower, units)
        upper = np.where(free, b.upper, units)
        s.highs.changeColsBounds(n, b.cols, lower, upper)
        if s.run() != OK:
            return None
        if not free.any():
            return units, s.value(), s.solution()
        x = s.solution()[b.cols]


def floor_plan(s: Search, relaxed: np.ndarray) -> Found | None:
    """Every purchase at the floor of its relaxed value (lots raised to their minimum, or
    dropped if that does not fit), the rest re-solved with its binaries free."""
    b = s.buys
    units = np.clip(np.floor(relaxed + INTEGRAL), b.lower, b.upper)
    frac = relaxed - units
    fill_lots(units, relaxed, frac, b, fixed=np.ones(len(units), dtype=bool))
    s.fix(units)
    if s.run() == OK:
        return units, s.value(), s.solution()
    dropped = units.copy()
    for _min_units, members in b.lots:
        if units[members].sum() > np.floor(relaxed[members] + INTEGRAL).sum():
            dropped[members] = 0.0
    s.fix(dropped)
    if not s.out_of_time() and s.run() == OK:
        return dropped, s.value(), s.solution()
    return None


def fill_lots(
    units: np.ndarray, relaxed: np.ndarray, frac: np.ndarray, b: Buys, fixed: np.ndarray
) -> None:
    """Raise a lot that rounding left part-bought (0 < units < min_units) to its minimum,
    once all its purchases are ``fixed``."""
    for min_units, members in b.lots:
        if not fixed[members].all():
            continue
        total = units[members].sum()
        if total <= 0 or total >= min_units - INTEGRAL:
            continue
        order = sorted(members, key=lambda i: (-frac[i], -relaxed[i], i))
        while total < min_units - INTEGRAL:
            moved = False
            for i in order:
                if total >= min_units - INTEGRAL:
                    break
                if units[i] + 1.0 <= b.upper[i]:
                    units[i] += 1.0
                    total += 1.0
                    moved = True
            if not moved:
                break
