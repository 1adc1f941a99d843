"""Handing a Pyomo model's rows and objective to HiGHS (appsi), without Pyomo's evaluator.

Pyomo's appsi interface reads each row with ``generate_standard_repn`` (coefficients kept
as expressions of the model's mutable parameters, so that a parameter change can be pushed
later) and then evaluates every coefficient with ``pyomo.environ.value``, which walks each
one with a general expression visitor: most of the time of loading a model (17,000
coefficients of the 50 x 20 x 10 x 200 benchmark) and of pushing each sweep row's
numbers. :func:`fast_value` computes the same number by calling each node's own operation
directly, so the matrix, bounds and costs HiGHS receives are exactly those appsi would give
it; :func:`add_rows` and :func:`set_objective` are appsi's loading steps written around it.
"""

from __future__ import annotations

from typing import Any

import highspy
import numpy as np
from pyomo.common.numeric_types import native_numeric_types, value
from pyomo.contrib.appsi.solvers.highs import (
    DegreeError,
    _MutableConstraintBounds,
    _MutableLinearCoefficient,
    _MutableObjectiveCoefficient,
    _MutableObjectiveOffset,
)
from pyomo.core.expr.numvalue import is_constant
from pyomo.core.kernel.objective import maximize, minimize
from pyomo.repn import generate_standard_repn


def fast_value(expr: Any) -> Any:
    """``pyomo.environ.value(expr)`` of a number, parameter or expression of them.

    Each expression node's ``_apply_operation`` on its arguments' values, as Pyomo's own
    evaluator does (same operations in the same order, hence the same float), without its
    visitor's per-node overhead; anything that is not an expression is left to ``value``.
    """
    if expr.__class__ in native_numeric_types:
        return expr
    if expr.is_expression_type():
        return expr._apply_operation([fast_value(arg) for arg in expr.args])
    return value(expr)


def add_rows(solver: Any, cons: list[Any]) -> None:
    """appsi's ``Highs._add_constraints``: the rows ``cons`` appended to the HiGHS model,
    a helper kept per coefficient or bound that depends on a mutable parameter."""
    solver._sol = None
    if solver._last_results_object is not None:
        solver._last_results_object.solution_loader.invalidate()
    highs = solver._solver_model
    con_map, var_map = solver._pyomo_con_to_solver_con_map, solver._pyomo_var_to_solver_var_map
    helpers = solver._mutable_helpers
    row = len(con_map)
    lower: list[float] = []
    upper: list[float] = []
    starts: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for con in cons:
        repn = generate_standard_repn(con.body, quadratic=False, compute_values=False)
        if repn.nonlinear_expr is not None:
            raise DegreeError(
                f"Highs interface does not support expressions of degree {repn.polynomial_degree()}"
            )
        starts.append(len(values))
        mine: list[Any] = []
        for coef, var in zip(repn.linear_coefs, repn.linear_vars, strict=True):
            number = fast_value(coef)
            if not is_constant(coef):
                mine.append(
                    _MutableLinearCoefficient(
                        pyomo_con=con,
                        pyomo_var_id=id(var),
                        con_map=con_map,
                        var_map=var_map,
                        expr=coef,
                        highs=highs,
                    )
                )
                if number == 0:
                    continue
            columns.append(var_map[id(var)])
            values.append(number)
        lb = con.lower - repn.constant if con.has_lb() else -highspy.kHighsInf
        ub = con.upper - repn.constant if con.has_ub() else highspy.kHighsInf
        if not is_constant(lb) or not is_constant(ub):
            mine.append(
                _MutableConstraintBounds(
                    lower_expr=lb, upper_expr=ub, pyomo_con=con, con_map=con_map, highs=highs
                )
            )
        if mine:
            helpers.setdefault(con, []).extend(mine)
        lower.append(fast_value(lb))
        upper.append(fast_value(ub))
        con_map[con] = row
        solver._solver_con_to_pyomo_con_map[row] = con
        row += 1
    highs.addRows(
        len(lower),
        np.array(lower, dtype=np.double),
        np.array(upper, dtype=np.double),
        len(values),
        np.array(starts),
        np.array(columns),
        np.array(values, dtype=np.double),
    )


def set_objective(solver: Any, obj: Any) -> None:
    """appsi's ``Highs._set_objective``: every column's cost (0 where ``obj`` has none),
    the offset and the sense; a helper per cost or offset that depends on a parameter."""
    solver._sol = None
    if solver._last_results_object is not None:
        solver._last_results_object.solution_loader.invalidate()
    highs = solver._solver_model
    var_map = solver._pyomo_var_to_solver_var_map
    n = len(var_map)
    costs = np.zeros(n, dtype=np.double)
    solver._objective_helpers = helpers = []
    if obj is None:
        sense = highspy.ObjSense.kMinimize
        highs.changeObjectiveOffset(0)
    else:
        if obj.sense == minimize:
            sense = highspy.ObjSense.kMinimize
        elif obj.sense == maximize:
            sense = highspy.ObjSense.kMaximize
        else:
            raise ValueError(f"Objective sense is not recognized: {obj.sense}")
        repn = generate_standard_repn(obj.expr, quadratic=False, compute_values=False)
        if repn.nonlinear_expr is not None:
            raise DegreeError(
                f"Highs interface does not support expressions of degree {repn.polynomial_degree()}"
            )
        for coef, var in zip(repn.linear_coefs, repn.linear_vars, strict=True):
            costs[var_map[id(var)]] = fast_value(coef)
            if not is_constant(coef):
                helpers.append(
                    _MutableObjectiveCoefficient(
                        pyomo_var_id=id(var), var_map=var_map, expr=coef, highs=highs
                    )
                )
        highs.changeObjectiveOffset(fast_value(repn.constant))
        if not is_constant(repn.constant):
            helpers.append(_MutableObjectiveOffset(expr=repn.constant, highs=highs))
    highs.changeObjectiveSense(sense)
    highs.changeColsCost(n, np.arange(n), costs)


def push_helper(helper: Any) -> None:
    """Push one appsi helper's number(s) to HiGHS (its ``update()``, with :func:`fast_value`)."""
    if isinstance(helper, _MutableObjectiveCoefficient):
        helper.highs.changeColCost(helper.var_map[helper.pyomo_var_id], fast_value(helper.expr))
    elif isinstance(helper, _MutableConstraintBounds):
        helper.highs.changeRowBounds(
            helper.con_map[helper.con],
            fast_value(helper.lower_expr),
            fast_value(helper.upper_expr),
        )
    elif isinstance(helper, _MutableObjectiveOffset):
        helper.highs.changeObjectiveOffset(fast_value(helper.expr))
    else:
        helper.update()
