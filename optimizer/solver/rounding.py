"""Rounding and repair for the certified strategy (see :mod:`optimizer.solver.certified`).

:class:`Search` holds one certified run's HiGHS instance and its purchase columns;
the functions below turn a relaxed solution into an integer plan of the model: a dive
(round down, re-solve, repeat), the floor plan, the greedy +1 repair, and the choice of a
partly bought minimum lot. Every step changes column bounds in place and re-solves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

INTEGRAL = 1e-6  # a relaxed value this close to an integer counts as that integer
IMPROVES = 1e-9  # relative gain a repair step must bring to be kept

OK = highspy.HighsModelStatus.kOptimal


# HiGHS's sub-MIP heuristics, off while the relaxation's MIP in the binaries runs.
SUB_MIPS = ("mip_heuristic_run_rins", "mip_heuristic_run_rens")


@dataclass
class Buys:
    """The purchase columns: HiGHS column, its bounds, and the minimum-lot groups."""

    cols: np.ndarray  # int32 column per purchase variable
    lower: np.ndarray
    upper: np.ndarray
    lots: list[tuple[float, list[int]]]  # (min_units, positions in ``cols``) per lot hardware


def option(highs: Any, name: str) -> Any:
    value = highs.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value


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


def run_without_sub_mips(s: Search) -> highspy.HighsModelStatus:
    """One run with HiGHS's RINS and RENS heuristics off (restored after)."""
    saved = {name: option(s.highs, name) for name in SUB_MIPS}
    for name in SUB_MIPS:
        s.highs.setOptionValue(name, False)
    try:
        return s.run()
    finally:
        for name, value in saved.items():
            s.highs.setOptionValue(name, value)


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


def greedy(
    s: Search,
    relaxed: np.ndarray,
    found: tuple[np.ndarray, float, np.ndarray],
    bound: float,
) -> tuple[float, np.ndarray]:
    """Raise purchases one unit at a time from the plan ``found`` while that earns more."""
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
    for i in [*fractional, *used]:
        if s.closed(best_value, bound) or s.out_of_time():
            break
        trial = units[i] + 1.0
        if trial > b.upper[i]:
            continue
        s.fix_one(i, trial)
        if s.run() == OK and s.value() > best_value + IMPROVES * abs(best_value):
            units[i] = trial
            best_value, best = s.value(), s.solution()
        else:
            s.fix_one(i, units[i])
    return best_value, best


def dive(s: Search, relaxed: np.ndarray) -> tuple[np.ndarray, float, np.ndarray] | None:
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
    frac0 = relaxed - np.floor(relaxed + INTEGRAL)
    while True:
        if s.out_of_time():
            return None
        down = np.clip(np.floor(x + INTEGRAL), b.lower, b.upper)
        fractional = free & (x - down > INTEGRAL)
        if not fractional.any():
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


def floor_plan(s: Search, relaxed: np.ndarray) -> tuple[np.ndarray, float, np.ndarray] | None:
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
