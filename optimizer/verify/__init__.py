"""An independent checker of plans against the model of ``docs/model.md``.

:func:`verify_plan` re-evaluates every constraint of docs/model.md and the objective from a
plan's ``buy``, ``serve`` and ``sold`` tables, with nothing but the instance, the frontier
rows and plain Python/numpy. It shares no code with the model on purpose: it does not use
Pyomo, :mod:`optimizer.model`, :mod:`optimizer.solver`, :mod:`optimizer.planning` or
:mod:`optimizer.frontiers.coefficients`. The coefficients r[h,t] and a[h,t] are recomputed
here from the frontier rows (docs/model.md steps 1-5), the installed units from the purchases and
lifetimes, the discount weights from the rate. A bug in the model, its data preparation or the
plan read-back then shows up as a violated check rather than as a wrong number nobody sees.

Each problem is one line that starts with the constraint family as docs/model.md names it and
its index, e.g. ``power[2027]: 1,012.3 MW used > cap 1,000 MW``. Families: capacity,
production, demand, power, land, budget, supply, minimum lot, power share, usable pairs
(serving with a pair the frontier table cannot serve), availability and integrality (of
``buy``), installed (lifetime / installed consistency), objective, and plan (a malformed
table: unknown ids, missing columns, non-finite or negative numbers, duplicated rows).
With the option ``time_slices`` the plan's ``serve`` and ``sold`` rows name their slice and
capacity, production, demand, power share, price menu, delivery and the cost objective's
forecast are checked in every slice (the index then ends with the slice id); energy weighs
each slice's units by its hours share, and commitments bound the slices' sum.

>>> from optimizer import solve
>>> from optimizer.verify import verify_plan
>>> plan = solve("instances/toy.yaml")                      # doctest: +SKIP
>>> verify_plan("instances/toy.yaml", plan).raise_if_failed()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.frontiers.table import read_frontier_table
from optimizer.instance.load import load_instance
from optimizer.instance.schema import Instance
from optimizer.verify.checker import _Checker
from optimizer.verify.coefficients import recompute_coefficients
from optimizer.verify.report import (
    FAMILIES,
    SOLUTION_STATUSES,
    PairCoefficient,
    Problem,
    VerificationError,
    VerificationReport,
)

__all__ = [
    "FAMILIES",
    "PairCoefficient",
    "Problem",
    "VerificationError",
    "VerificationReport",
    "recompute_coefficients",
    "verify_plan",
]


def verify_plan(
    instance: Instance | str | Path | Mapping[str, Any],
    plan: Any,
    table: pd.DataFrame | None = None,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-6,
    optimality: bool = True,
) -> VerificationReport:
    """Check a plan against every constraint of docs/model.md and recompute its objective.

    Parameters
    ----------
    instance:
        The instance the plan was solved for (an :class:`Instance`, a path or a mapping).
    plan:
        A :class:`~optimizer.results.plan.Plan` (or anything with its ``buy``, ``serve``,
        ``sold``, ``installed`` tables, ``status``, ``objective_usd``, ``objective_kind``).
    table:
        The frontier rows; read from the instance when not given.
    optimality:
        Also fail an "optimal" plan that a one-step greedy addition beats (family
        ``unused value``). False for plans optimal only under extra restrictions (a
        purchase plan held fixed).
    rel_tol, abs_tol:
        A check fails when it is broken by more than ``abs_tol + rel_tol * max(|lhs|,
        |rhs|)`` in its own unit (units, Mtok, MW, rack positions, USD).

    A plan without a solution (status other than optimal / time_limit, or no objective)
    has nothing to check: the report is ok with a note saying so.
    """
    inst = load_instance(instance)
    status = str(getattr(plan, "status", "unknown"))
    kind = getattr(plan, "objective_kind", None)
    if kind not in ("revenue", "profit", "cost"):
        kind = inst.objective
    reported = getattr(plan, "objective_usd", None)
    report = VerificationReport(
        status=status,
        objective_kind=str(kind),
        reported_objective_usd=None if reported is None else float(reported),
    )
    if status not in SOLUTION_STATUSES:
        report.notes.append(f"status {status}: no solution, nothing checked")
        return report
    if reported is None and status == "time_limit":
        report.notes.append("time limit without an incumbent: nothing checked")
        return report

    if table is None:
        table = read_frontier_table(inst)
    coef = recompute_coefficients(inst, table)
    report.coefficients = coef
    checker = _Checker(inst, plan, coef, rel_tol, abs_tol)
    checker.objective_kind = report.objective_kind
    checker.optimality = optimality
    checker.run(report)
    report.items = checker.items
    report.notes += checker.notes_out
    if status == "time_limit":
        report.notes.append("time limit: feasibility checked, optimality not claimed")
    return report
