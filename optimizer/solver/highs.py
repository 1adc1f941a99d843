"""HiGHS through Pyomo's persistent appsi interface.

One :class:`HighsSession` holds one HiGHS instance for one Pyomo model: after
parameters change, :meth:`HighsSession.run` pushes only the changes and re-solves
in place. HiGHS's own output (including its start-up banner) is captured by
Pyomo and routed to a logger that writes to stderr, so stdout stays clean for
``--json``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.contrib.appsi.base import TerminationCondition as TC
from pyomo.contrib.appsi.solvers import Highs
from pyomo.contrib.appsi.solvers.highs import _MutableLinearCoefficient

from optimizer.solver.certified import certified_run, objective_scale
from optimizer.solver.loading import (
    FAST_LOAD,
    add_constraints,
    add_rows,
    fast_value,
    objective_walk,
    push_helper,
    set_objective,
)

HIGHS_LOG = logging.getLogger("optimizer.highs")
DEFAULT_MIP_GAP = 1e-4  # HiGHS's own mip_rel_gap, what a solve without --mip-gap gets

Status = str  # "optimal" | "time_limit" | "infeasible" | "unbounded" | "error"
STRATEGIES = ("certified", "milp")


class _NoInterruptWarning(logging.Filter):
    """Pyomo warns of HiGHS's "interrupt" status as unhandled; Ctrl-C is handled here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "kInterrupt" not in record.getMessage()


logging.getLogger("pyomo.contrib.appsi.solvers.highs").addFilter(_NoInterruptWarning())


class _Highs(Highs):  # type: ignore[misc]
    """Pyomo's appsi HiGHS interface, with a quieter parameter update.

    appsi pushes every mutable matrix coefficient on each update, zeros included; HiGHS
    warns on stdout for each 0 that is not already a nonzero of its matrix (a zero stays
    out of the matrix when the model is loaded), which flooded the log of every re-solve
    of a model with zero prices, shares or costs. Here a zero is pushed only where the
    matrix holds an entry to remove; everything else is as in appsi.
    """

    # optimizer.solver.loading's steps where the Pyomo release is one they were checked
    # on (loading.FAST_LOAD), else appsi's own.
    def add_constraints(self, cons: list[Any]) -> None:
        # one walk per row for appsi's two (loading.LinearWalk); else appsi's own
        if not (FAST_LOAD and add_constraints(self, cons)):
            super().add_constraints(cons)

    def _add_constraints(self, cons: list[Any]) -> None:
        if FAST_LOAD:
            add_rows(self, cons)  # appsi's, with coefficients computed by fast_value
        else:
            super()._add_constraints(cons)

    def set_objective(self, obj: Any) -> None:
        if not (FAST_LOAD and objective_walk(self, obj)):
            super().set_objective(obj)

    def _set_objective(self, obj: Any) -> None:
        if FAST_LOAD:
            set_objective(self, obj)
        else:
            super()._set_objective(obj)

    def update_params(self) -> None:
        self._sol = None
        if self._last_results_object is not None:
            self._last_results_object.solution_loader.invalidate()
        matrix: Any = None
        for helpers in self._mutable_helpers.values():
            for helper in helpers:
                if not isinstance(helper, _MutableLinearCoefficient):
                    push_helper(helper) if FAST_LOAD else helper.update()
                    continue
                coef = fast_value(helper.expr) if FAST_LOAD else pyo.value(helper.expr)
                row = helper.con_map[helper.pyomo_con]
                col = helper.var_map[helper.pyomo_var_id]
                if coef == 0:
                    if matrix is None:
                        a = self._solver_model.getLp().a_matrix_
                        rowwise = a.format_ == highspy.MatrixFormat.kRowwise
                        matrix = (np.asarray(a.start_), np.asarray(a.index_), rowwise)
                    start, index, rowwise = matrix
                    major, minor = (row, col) if rowwise else (col, row)
                    if not np.any(index[start[major] : start[major + 1]] == minor):
                        continue
                self._solver_model.changeCoeff(row, col, coef)
        for _, helper in self._mutable_bounds.values():
            helper.update()
        for helper in self._objective_helpers:
            push_helper(helper) if FAST_LOAD else helper.update()


# The thread count HiGHS was first run with in this process (HiGHS cannot change it later).
_PROCESS_THREADS: dict[str, int] = {}


def _ensure_log_handler() -> None:
    if not HIGHS_LOG.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        HIGHS_LOG.addHandler(handler)
        HIGHS_LOG.propagate = False
        HIGHS_LOG.setLevel(logging.WARNING)


@dataclass(frozen=True)
class RawOutcome:
    """What one HiGHS run gave, in model units."""

    status: Status
    has_solution: bool
    objective: float | None  # model units ($M)
    bound: float | None  # best bound, model units
    mip_gap: float | None
    seconds: float
    message: str = ""
    # How the bound was proven: "branch and bound" (HiGHS's MILP search) or "relaxation
    # bound" (the certified strategy's relaxed purchases; see optimizer.solver.certified).
    proof: str = "branch and bound"
    lp_solves: int = 0  # HiGHS runs of the certified strategy (0 for a plain MILP run)


class HighsSession:
    """A persistent HiGHS solver bound to one model.

    Every run starts from a clean solver state (no basis, no solution, no MIP data kept
    from the previous run; the model and its in-place changes stay), so a re-solve is a
    function of the model's numbers, not of what this session solved before: a sweep
    gives the same rows on any number of workers. ``reset_between_runs = False`` keeps
    HiGHS's state (and folds fixed variables into rows) instead, to measure the cost in
    ``benchmarks/sweep.py``.

    Parameters
    ----------
    time_limit:
        Seconds; None for no limit.
    mip_gap:
        Relative MIP gap; None keeps HiGHS's default (1e-4).
    threads:
        HiGHS threads; None lets HiGHS choose.
    log:
        Write HiGHS's log to stderr.
    cancel:
        An event that interrupts a run once set (through HiGHS's interrupt callbacks;
        the run ends with status ``time_limit``, keeping any incumbent).
    strategy:
        ``"certified"``: a model with integer purchases (``buy``) is solved by
        :mod:`optimizer.solver.certified` (relaxed bound, repaired plan, branching only if
        the gap is still open); ``"milp"``: HiGHS's branch and bound on the whole model.
    """

    def __init__(
        self,
        time_limit: float | None = None,
        mip_gap: float | None = None,
        threads: int | None = None,
        log: bool = False,
        cancel: threading.Event | None = None,
        strategy: str = "milp",
    ) -> None:
        _ensure_log_handler()
        self.cancel = cancel
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy: one of {', '.join(STRATEGIES)} (got {strategy!r})")
        self.strategy = strategy
        self.mip_gap = mip_gap
        self.log_enabled = bool(log)
        self._hooked: Any = None  # the highspy object the cancel callbacks are set on
        self.solver = _Highs()
        if not self.solver.available():
            raise RuntimeError("HiGHS is not available: pip install highspy")
        cfg = self.solver.config
        cfg.stream_solver = False
        # Fixed variables become bounds (lb = ub), not constants folded into the rows: folding
        # removes matrix entries and re-adds them at the end of their columns on unfix,
        # so the model HiGHS holds would depend on what was solved before.
        self.solver.update_config.treat_fixed_vars_as_params = not self.reset_between_runs
        cfg.load_solution = False
        cfg.solver_output_logger = HIGHS_LOG
        cfg.log_level = logging.INFO
        HIGHS_LOG.setLevel(logging.INFO if log else logging.WARNING)
        cfg.time_limit = time_limit
        self.time_limit = time_limit
        cfg.mip_gap = mip_gap
        # HiGHS fixes its thread pool at the first run in a process (0 = its automatic
        # choice); asking for another count later makes every run fail, so the first
        # count is kept and a different request is ignored with a warning.
        wanted = 0 if threads is None else int(threads)
        first = _PROCESS_THREADS.setdefault("n", wanted)
        if wanted != first and threads is not None:
            HIGHS_LOG.warning(
                "HiGHS already runs with threads=%s in this process; ignoring threads=%s",
                first or "auto",
                threads,
            )
        if first:
            self.solver.highs_options["threads"] = first
        self._model: pyo.ConcreteModel | None = None

    # False: keep HiGHS's state between runs and fold fixed variables into the rows, as
    # before; only for benchmarks/sweep.py to measure what the clean state costs.
    reset_between_runs = True

    @property
    def highs(self) -> Any:
        """The underlying ``highspy.Highs`` object (after the first run)."""
        return self.solver._solver_model

    def run(self, model: pyo.ConcreteModel, time_limit: float | None = None) -> RawOutcome:
        """Solve ``model`` (set up on first call, updated in place afterwards).

        ``time_limit`` (seconds) replaces the session's limit for this run only.

        Raises
        ------
        KeyboardInterrupt
            On Ctrl-C during the run (HiGHS is stopped; no half-done result is returned).
        """
        limit: float | None
        if time_limit is not None:
            limit = time_limit if self.time_limit is None else min(time_limit, self.time_limit)
        else:
            limit = self.time_limit
        self.solver.config.time_limit = limit
        # PauseGC: loading a model into HiGHS makes an object per coefficient (appsi's
        # helpers); collections set off meanwhile walk the whole model, for no garbage.
        with (
            PauseGC(),
            stdout_to_stderr(),
            _ctrl_c_stops(lambda: self.solver._solver_model) as stopped,
        ):
            self._ctrl_c = stopped  # the certified strategy stops between its HiGHS runs too
            outcome = None
            if self.strategy == "certified":
                outcome = self._run_certified(model, limit)
            if outcome is None and not stopped:
                if limit is not None:
                    self.solver.config.time_limit = max(0.0, limit - self._certified_seconds)
                outcome = self._run(model)
                if self._certified_seconds:
                    outcome = dataclasses.replace(
                        outcome, seconds=outcome.seconds + self._certified_seconds
                    )
        if stopped or outcome is None:
            raise KeyboardInterrupt
        return outcome

    _ctrl_c: list[bool] = []  # noqa: RUF012 (replaced per run, never mutated here)

    @property
    def cancelled(self) -> bool:
        """True once the cancel event (if any) is set, or Ctrl-C was pressed in this run."""
        return bool(self._ctrl_c) or (self.cancel is not None and self.cancel.is_set())

    _certified_seconds = 0.0  # time spent by a certified attempt that gave way to the MILP

    def _run_certified(self, model: pyo.ConcreteModel, limit: float | None) -> RawOutcome | None:
        """The certified strategy (None: it does not apply; run the MILP instead)."""
        start = time.perf_counter()
        self._certified_seconds = 0.0
        if self.cancel is not None:
            if model is not self.solver._model:
                self.solver.set_instance(model)
            self._hook_cancel()
        deadline = None if limit is None else time.monotonic() + limit
        gap = DEFAULT_MIP_GAP if self.mip_gap is None else self.mip_gap
        result = certified_run(self, model, gap, deadline)
        seconds = time.perf_counter() - start
        if result is None:
            self._certified_seconds = seconds
            return None
        if result.solution is not None:
            values = result.solution
            for v_id, col in self.solver._pyomo_var_to_solver_var_map.items():
                self.solver._vars[v_id][0].set_value(float(values[col]), skip_validation=True)
        sign = result.sign
        return RawOutcome(
            status=result.status,
            has_solution=result.solution is not None,
            objective=None if result.objective is None else sign * result.objective,
            bound=None if result.bound is None else sign * result.bound,
            mip_gap=result.mip_gap,
            seconds=seconds,
            proof=result.proof,
            lp_solves=result.lp_solves,
        )

    def _run(self, model: pyo.ConcreteModel) -> RawOutcome:
        start = time.perf_counter()
        if self.reset_between_runs and self._model is model and self.highs is not None:
            self.highs.clearSolver()  # forget the last basis and MIP search; keep the model
        # Load the model first (the solve below then only checks for changes) so the
        # objective's scale is known before HiGHS runs (see certified.objective_scale).
        if model is not self.solver._model:
            self.solver.set_instance(model)
        else:
            self.solver.update()
        if self.cancel is not None:
            self._hook_cancel()
        self.solver.highs_options["user_objective_scale"] = objective_scale(self.highs)
        results = self.solver.solve(model)
        self._model = model
        status, has_solution = _map_status(results.termination_condition, results)
        if status == "infeasible_or_unbounded":
            status = self._infeasible_or_unbounded(model)
            has_solution = False
        objective = bound = gap = None
        if has_solution:
            self.solver.load_vars()
            objective = float(results.best_feasible_objective)
            info = self.highs.getInfo()
            integer = any(v.is_integer() for v in model.component_data_objects(pyo.Var))
            if integer:
                bound = float(info.mip_dual_bound)
                gap = float(info.mip_gap) if math.isfinite(info.mip_gap) else None
                if status == "optimal" and gap is not None and gap > 1:
                    gap = 0.0  # HiGHS reports an undefined gap when the objective is 0
            else:
                bound, gap = objective, 0.0
        return RawOutcome(
            status=status,
            has_solution=has_solution,
            objective=objective,
            bound=bound,
            mip_gap=gap,
            seconds=time.perf_counter() - start,
        )

    def _hook_cancel(self) -> None:
        """Have HiGHS poll ``self.cancel`` in its simplex, IPM and MIP loops."""
        highs = self.highs
        if highs is None or highs is self._hooked:
            return
        event = self.cancel
        assert event is not None
        stop_when(highs, event.is_set)
        self._hooked = highs

    def _infeasible_or_unbounded(self, model: pyo.ConcreteModel) -> Status:
        """Tell infeasible from unbounded: is the model feasible with a zero objective?"""
        model.obj.deactivate()
        model._feasibility_obj = pyo.Objective(expr=0.0)
        try:
            res = self.solver.solve(model)
            feasible = res.termination_condition == TC.optimal
        finally:
            model.del_component(model._feasibility_obj)
            model.obj.activate()
        return "unbounded" if feasible else "infeasible"


def stop_when(highs: Any, stop: Callable[[], bool]) -> None:
    """Have ``highs`` (a ``highspy.Highs``) poll ``stop()`` in its simplex, IPM and MIP
    loops and end its run (as at a time limit) once it returns True."""

    def interrupt(e: Any) -> None:
        if stop():
            e.interrupt()

    highs.cbSimplexInterrupt += interrupt
    highs.cbIpmInterrupt += interrupt
    highs.cbMipInterrupt += interrupt


@contextlib.contextmanager
def _ctrl_c_stops(highs: Any) -> Iterator[list[bool]]:
    """While HiGHS runs, Ctrl-C stops it and is re-raised once it has returned.

    Left alone, a Ctrl-C during a run lands in highspy's callbacks and comes back as a
    "solve error" result, with no KeyboardInterrupt: a sweep would record it as a row and
    go on. Only in the main thread, and only where Ctrl-C has Python's usual meaning (a
    sweep worker ignores it; its driver stops it).
    """
    stopped: list[bool] = []
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield stopped
        return

    def on_ctrl_c(signum: int, frame: Any) -> None:
        stopped.append(True)
        solver = highs()
        if solver is not None:
            with contextlib.suppress(Exception):
                solver.cancelSolve()

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield stopped
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send file descriptor 1 to stderr while HiGHS runs.

    Pyomo captures HiGHS's log during the solve itself, but HiGHS also prints warnings
    from model updates ("... treated as +Infinity") straight to the C stdout, which would
    corrupt ``--json`` output. Redirecting the descriptor catches everything.
    """
    try:
        out_fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else 1
    except (AttributeError, OSError, ValueError):
        yield  # no real stdout (embedded interpreter): nothing to protect
        return
    sys.stdout.flush()
    saved = os.dup(out_fd)
    try:
        os.dup2(sys.__stderr__.fileno() if sys.__stderr__ is not None else 2, out_fd)
        yield
    finally:
        try:
            sys.stdout.flush()
        finally:
            os.dup2(saved, out_fd)
            os.close(saved)


def _map_status(tc: TC, results: Any) -> tuple[str, bool]:
    if tc == TC.optimal:
        return "optimal", True
    if tc == TC.maxTimeLimit:
        return "time_limit", results.best_feasible_objective is not None
    if tc in (TC.maxIterations, TC.objectiveLimit, TC.interrupted):
        return "time_limit", results.best_feasible_objective is not None
    if tc == TC.infeasible:
        return "infeasible", False
    if tc == TC.unbounded:
        return "unbounded", False
    if tc == TC.infeasibleOrUnbounded:
        return "infeasible_or_unbounded", False
    return "error", False
