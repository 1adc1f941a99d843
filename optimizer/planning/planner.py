"""Load -> coefficients -> build -> solve -> plan, with a model that can be re-solved in place.

:class:`Planner` is what sweeps and embedding use: it builds the model once and,
when given a changed instance, updates the model's parameters and re-solves with
the same persistent HiGHS instance, rebuilding only if the change alters the
model's structure (a pair becoming usable, a period added...).
:func:`solve` is the one-call form.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyomo.environ as pyo

from optimizer.errors import InputError
from optimizer.frontiers.coefficients import Coefficients, compute_coefficients
from optimizer.frontiers.table import read_frontier_table
from optimizer.instance.load import load_instance
from optimizer.instance.schema import Instance
from optimizer.model.build import build_model, update_model, zero_pattern
from optimizer.model.data import ModelData
from optimizer.results.plan import Plan, make_plan
from optimizer.solver.diagnose import diagnose
from optimizer.solver.extract import extract_solution
from optimizer.solver.highs import HIGHS_LOG, HighsSession
from optimizer.solver.marginals import marginal_values
from optimizer.solver.options import (
    SolveOptions,
    deprecated_keywords,
    remaining,
    with_overrides,
)
from optimizer.verify import VerificationError, verify_plan

_T = TypeVar("_T")


class Planner:
    """A built planning model bound to a persistent HiGHS solver.

    Parameters
    ----------
    instance:
        A validated :class:`Instance` (see :func:`optimizer.load_instance`).
    options:
        How to solve (:class:`~optimizer.solver.options.SolveOptions`; default
        ``SolveOptions()``): ``time_limit`` bounds each :meth:`solve` as a whole (MILP,
        check, marginal values, diagnosis). One call can differ:
        ``planner.solve(marginals=False)`` or ``planner.solve(opts.but(mip_gap=1e-6))``;
        the planner's own options stay as they are.
    table:
        A frontier table already read (skips reading files again).
    cancel:
        An event that, once set, interrupts HiGHS (the run ends as at a time limit) and
        skips the remaining post-solve steps (the HTTP service sets it when the client
        hangs up or the server stops).
    **deprecated:
        ``objective=``, ``time_limit=``, ... (the fields of ``options`` given one by one):
        deprecated, kept for one release; they warn (DeprecationWarning) and override
        ``options``.
    """

    def __init__(
        self,
        instance: Instance,
        options: SolveOptions | None = None,
        *,
        table: pd.DataFrame | None = None,
        cancel: threading.Event | None = None,
        **deprecated: Any,
    ) -> None:
        self.cancel = cancel
        legacy = deprecated_keywords("Planner", deprecated, "Planner(instance, SolveOptions(...))")
        self.options: SolveOptions = with_overrides(options, legacy)
        self.timings: dict[str, float] = {}
        self.rebuilds = 0
        self.model: pyo.ConcreteModel | None = None
        self.session: HighsSession | None = None
        self._zeros: frozenset[tuple[str, Any]] = frozenset()
        self._coef_key: object = None
        self._set_instance(instance, table)

    def _new_session(self, options: SolveOptions) -> HighsSession:
        """A HiGHS session for ``options``; its time limit comes with each run (the deadline)."""
        self._session_key = _session_key(options)
        return HighsSession(
            mip_gap=options.mip_gap,
            threads=options.threads,
            log=options.log,
            strategy=options.strategy,
            cancel=self.cancel,
        )

    # ------------------------------------------------------------------ setup
    @property
    def objective(self) -> str:
        return self.options.objective or self.instance.objective

    def _prepare(
        self, instance: Instance, table: pd.DataFrame | None
    ) -> tuple[pd.DataFrame, Coefficients, ModelData]:
        t0 = time.perf_counter()
        # Same table and same coefficient inputs (a sweep of caps or prices): reuse.
        reuse = table is not None and _coefficient_inputs(instance) == self._coef_key
        if table is None:
            table = read_frontier_table(instance)
        t1 = time.perf_counter()
        coef = self.coefficients if reuse else compute_coefficients(table, instance)
        self._coef_key = _coefficient_inputs(instance)
        data = ModelData.from_instance(instance, coef, self.options.objective or instance.objective)
        t2 = time.perf_counter()
        self.timings["read_frontiers"] = t1 - t0
        self.timings["coefficients"] = t2 - t1
        return table, coef, data

    def _set_instance(self, instance: Instance, table: pd.DataFrame | None) -> None:
        self.instance = instance
        self.table, self.coefficients, self.data = self._prepare(instance, table)
        self._build()

    def _build(self) -> None:
        t0 = time.perf_counter()
        self.model = build_model(self.data)
        self.session = self._new_session(self.options)
        self._zeros = zero_pattern(self.data)
        self.timings["build"] = time.perf_counter() - t0
        self.rebuilds += 1

    def update(self, instance: Instance, *, reuse_table: bool = True) -> bool:
        """Point the planner at a changed instance; returns True if the model was rebuilt.

        Numbers that change (caps, prices, demand, capex, speeds that keep the same
        usable pairs...) are pushed into the built model's mutable parameters; a change
        of structure rebuilds it. ``reuse_table`` keeps the frontier rows already read
        when the instance's ``frontiers`` key is unchanged.
        """
        same_source = reuse_table and instance.frontiers == self.instance.frontiers
        table = self.table if same_source else None
        self.instance = instance
        self.table, self.coefficients, data = self._prepare(instance, table)
        t0 = time.perf_counter()
        if self.model is not None and data.structure == self.data.structure:
            self.data = data
            update_model(self.model, data)
            zeros = zero_pattern(data)
            if zeros != self._zeros:
                # A coefficient crossed zero: hand HiGHS the model afresh (see zero_pattern).
                self.session = self._new_session(self.options)
                self._zeros = zeros
            self.timings["build"] = time.perf_counter() - t0
            return False
        self.data = data
        self._build()
        return True

    # ------------------------------------------------------------------ solve
    def solve(
        self,
        options: SolveOptions | None = None,
        *,
        deadline: float | None = None,
        fixed_purchases: bool = False,
        **overrides: Any,
    ) -> Plan:
        """Solve the current model and return the plan (contract units).

        ``options`` (default: the planner's) and keyword ``overrides`` of its fields
        (``planner.solve(marginals=False)``) apply to this call only; the planner keeps its
        own. ``deadline`` (a ``time.monotonic()`` instant) bounds the whole call; by default
        it is ``time_limit`` from now. HiGHS gets what is left; the check, marginal values
        and diagnosis run only in what is left after it, and a step that does not fit is
        named in ``plan.skipped``. ``fixed_purchases``: the model's ``buy`` are held fixed
        (:func:`solve_with_purchases`), so the plan is optimal for those buys only and the
        check asks no optimality of it.
        """
        assert self.model is not None and self.session is not None
        if isinstance(options, (int, float)):  # the old planner.solve(deadline)
            warnings.warn(
                "Planner.solve(deadline) is deprecated; pass solve(deadline=...)",
                DeprecationWarning,
                stacklevel=2,
            )
            options, deadline = None, float(options)
        opts = with_overrides(options or self.options, overrides)
        if opts.objective not in (None, self.options.objective):
            raise ValueError(
                "objective: fixed when the planner is built (Planner(instance, "
                "SolveOptions(objective=...))), not per solve"
            )
        if _session_key(opts) != self._session_key:
            self.session = self._new_session(opts)
        if deadline is None:
            deadline = opts.deadline()
        skipped: list[str] = []
        self.timings.pop("verify", None)
        self.timings.pop("marginals", None)
        self.timings.pop("diagnose", None)
        outcome = self.session.run(self.model, time_limit=_budget(deadline))
        self.timings["solve"] = outcome.seconds
        solution, verified, mv, diagnosis, message = None, False, None, None, ""
        if outcome.has_solution:
            t0 = time.perf_counter()
            solution = extract_solution(
                self.model, self.instance, self.coefficients, self.objective, outcome
            )
            self.timings["extract"] = time.perf_counter() - t0
            if opts.verify:
                # An independent checker (no Pyomo, its own coefficients) re-evaluates every
                # constraint and the objective; a disagreement is a bug: fail loudly.
                checked = self._step(
                    "verify",
                    "verify",
                    deadline,
                    skipped,
                    lambda: self._verify(solution, not fixed_purchases),
                )
                verified = checked is not None
            if opts.marginals:
                model, session = self.model, self.session
                got = self._step(
                    "marginals",
                    "marginal_values",
                    deadline,
                    skipped,
                    lambda: marginal_values(model, session, _budget(deadline)),
                )
                if got is not None:
                    mv, lp = got
                    if lp is None and _out_of_time(deadline):
                        skipped.append("marginal_values: deadline")
        else:
            if outcome.status == "infeasible" and opts.diagnose:
                model = self.model
                diagnosis = self._step(
                    "diagnose",
                    "diagnosis",
                    deadline,
                    skipped,
                    lambda: _diagnose_or_none(model, self.instance, deadline),
                )
                if (
                    "diagnosis: deadline" not in skipped
                    and (diagnosis is None or diagnosis.empty)
                    and _out_of_time(deadline)
                ):
                    skipped.append("diagnosis: deadline")
                if diagnosis is not None and not diagnosis.empty:
                    message = "infeasible: " + "; ".join(diagnosis["message"])
        return make_plan(
            self.instance,
            self.coefficients,
            self.objective,
            outcome.status,
            solution,
            verified=verified,
            marginal_values=mv,
            diagnosis=diagnosis,
            message=message,
            skipped=skipped,
            notes=self.data.notes,
            timings=self.timings,
            model_size=model_size(self.model),
        )

    def _step(
        self,
        key: str,
        name: str,
        deadline: float | None,
        skipped: list[str],
        work: Callable[[], _T],
    ) -> _T | None:
        """Run one step after the solve, its seconds in ``timings[key]``; when the deadline
        has passed, None and ``"<name>: deadline"`` in ``skipped``."""
        if _out_of_time(deadline):
            skipped.append(f"{name}: deadline")
            return None
        t0 = time.perf_counter()
        done = work()
        self.timings[key] = time.perf_counter() - t0
        return done

    def _verify(self, solution: Any, optimality: bool) -> bool:
        """The independent check of ``solution``; raises when it fails."""
        try:
            verify_plan(
                self.instance, solution, table=self.table, optimality=optimality
            ).raise_if_failed()
        except VerificationError as exc:
            raise _scale_error(exc, self.data.notes) from exc
        return True


# What the range checks (optimizer.model.numerics) say of a figure the solver cannot resolve.
_SCALE_NOTES = ("solver's tolerance", "below what the solver represents")


def _scale_error(exc: VerificationError, notes: list[str]) -> Exception:
    """The checker refused a plan: when the instance has figures near the solver's
    tolerances, that is the likely cause, and the user is told which and what to change
    (an :class:`InputError`, exit status 2); otherwise the refusal stands (a bug)."""
    scale = [n for n in notes if any(s in n for s in _SCALE_NOTES)]
    if not scale:
        return exc
    first = exc.problems[0] if exc.problems else "the plan"
    return InputError(
        [
            f"{note.split(':')[0]}: too small beside the instance's other figures for the "
            f"solver to resolve (the independent check refused the plan: {first}); raise it, "
            "or plan this tier in an instance of its own size"
            for note in scale
        ]
    )


def _session_key(options: SolveOptions) -> tuple[Any, ...]:
    """What a :class:`HighsSession` is built with: a call that asks otherwise gets its own."""
    return (options.mip_gap, options.threads, options.log, options.strategy)


def _diagnose_or_none(
    model: pyo.ConcreteModel, instance: Instance, deadline: float | None
) -> pd.DataFrame | None:
    """The infeasibility diagnosis, or None when it fails (it must not hide the solve's answer)."""
    try:
        return diagnose(model, instance, time_limit=None, deadline=deadline)
    except Exception as exc:
        HIGHS_LOG.warning("infeasibility diagnosis failed: %s", exc)
        return None


def _budget(deadline: float | None) -> float | None:
    """HiGHS's time limit for a run that must end by ``deadline`` (0 stops it at once)."""
    return remaining(deadline)


def _out_of_time(deadline: float | None) -> bool:
    left = remaining(deadline)
    return left is not None and left <= 0.0


def solve_with_purchases(planner: Planner, units: Mapping[tuple[str, Any], int]) -> Plan:
    """Evaluate a given purchase plan: buys fixed to ``units`` (absent = 0), the rest optimal.

    The capacity split, sales and minimum-lot flags are optimised for those purchases;
    a plan that breaks a cap comes back ``infeasible``. The model is restored after.
    """
    m = planner.model
    assert m is not None
    unknown = [k for k in units if k not in m.BUY]
    if unknown:
        raise InputError([f"purchase {h!r} in {p!r}: not on sale then" for h, p in unknown])
    for idx in m.BUY:
        m.buy[idx].fix(int(units.get(idx, 0)))
    try:
        # prices of a fixed plan are all 0; optimal for these buys only: no optimality floor
        return planner.solve(marginals=False, fixed_purchases=True)
    finally:
        for idx in m.BUY:
            m.buy[idx].unfix()


def _coefficient_inputs(inst: Instance) -> object:
    """Everything r[h,t] and a[h,t] depend on; equal keys give equal coefficients."""
    return (
        inst.period_years,
        inst.frontier_scale,
        tuple((h.id, h.gpus_per_unit, h.frontier_scale) for h in inst.hardware),
        tuple(
            (t.id, t.model, t.context_tokens, t.min_interactivity, t.max_ttft_s, t.utilization)
            for t in inst.tiers
        ),
    )


def model_size(m: pyo.ConcreteModel) -> dict[str, int]:
    """Counts of variables (by kind) and constraints actually in the model."""
    n_int = n_cont = 0
    for v in m.component_data_objects(pyo.Var, active=True):
        if v.is_integer() or v.is_binary():
            n_int += 1
        else:
            n_cont += 1
    n_con = sum(1 for _ in m.component_data_objects(pyo.Constraint, active=True))
    return {"variables": n_int + n_cont, "integer_variables": n_int, "constraints": n_con}


def solve(
    instance: Instance | str | Path | Mapping[str, Any],
    options: SolveOptions | None = None,
    **overrides: Any,
) -> Plan:
    """Solve an instance (an :class:`Instance`, a path, or a mapping) and return its :class:`Plan`.

    ``options`` (a :class:`SolveOptions`) and keyword ``overrides`` of its fields
    (``solve(path, time_limit=5)``) set how; ``time_limit`` bounds everything from loading
    the instance to the last post-solve step.

    Raises
    ------
    optimizer.InputError
        If the instance or its frontier table has problems (all listed).
    """
    opts = with_overrides(options, overrides)
    deadline = opts.deadline()
    t0 = time.perf_counter()
    inst = load_instance(instance)
    load_s = time.perf_counter() - t0
    planner = Planner(inst, opts)
    plan = planner.solve(deadline=deadline)
    return replace(plan, timings={"load": load_s, **plan.timings})
