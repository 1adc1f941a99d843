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
import pyomo.version as pyomo_version
from pyomo.common.numeric_types import native_numeric_types, value
from pyomo.contrib.appsi.solvers.highs import (
    DegreeError,
    _MutableConstraintBounds,
    _MutableLinearCoefficient,
    _MutableObjectiveCoefficient,
    _MutableObjectiveOffset,
)
from pyomo.core.base.expression import ExpressionData, NamedExpressionData, ScalarExpression
from pyomo.core.base.objective import ObjectiveData, ScalarObjective
from pyomo.core.base.param import ParamData, ScalarParam
from pyomo.core.base.var import ScalarVar, VarData
from pyomo.core.expr import (
    LinearExpression,
    MonomialTermExpression,
    NegationExpression,
    ProductExpression,
    SumExpression,
)
from pyomo.core.expr.numvalue import NumericConstant, is_constant
from pyomo.core.kernel.objective import maximize, minimize
from pyomo.repn import generate_standard_repn

# The Pyomo releases these steps were written against and checked on (bit for bit, tests/
# solve/test_model_loading.py): they mirror appsi's private loading steps and Pyomo's
# linear form, which another release may change. Elsewhere appsi's own steps load the model.
TESTED_PYOMO = ((6, 10),)
FAST_LOAD = tuple(pyomo_version.version_info[:2]) in TESTED_PYOMO


def fast_value(expr: Any) -> Any:
    """``pyomo.environ.value(expr)`` of a number, parameter or expression of them.

    Each expression node's ``_apply_operation`` on its arguments' values, as Pyomo's own
    evaluator does (same operations in the same order, hence the same float), without its
    visitor's per-node overhead; anything that is not an expression is left to ``value``.
    """
    cls = expr.__class__
    if cls in native_numeric_types:
        return expr
    if cls is ParamData:
        number = expr._value  # what ParamData() returns, once it has a number
        if number.__class__ in native_numeric_types:
            return number
    elif expr.is_expression_type():
        return expr._apply_operation([fast_value(arg) for arg in expr.args])
    return value(expr)


def add_constraints(solver: Any, cons: list[Any]) -> bool:
    """appsi's ``PersistentBase.add_constraints`` with one :class:`LinearWalk` per row
    (False, nothing done: a row it does not read; appsi's own steps then add them)."""
    try:
        walks = [LinearWalk(con.body) for con in cons]
    except _Unsupported:
        return False
    for con, walk in zip(cons, walks, strict=True):
        if con in solver._named_expressions:
            raise ValueError(f"constraint {con.name} has already been added")
        solver._active_constraints[con] = con.expr
        variables = list(walk.variables.values())
        if not solver._only_child_vars:
            solver._check_for_new_vars(variables)
        solver._named_expressions[con] = [(e, e.expr) for e in walk.named.values()]
        solver._vars_referenced_by_con[con] = variables
        for v in variables:
            solver._referenced_variables[id(v)][0][con] = None
    add_rows(solver, cons, walks)
    return True


def add_rows(solver: Any, cons: list[Any], walks: list[LinearWalk] | None = None) -> None:
    """appsi's ``Highs._add_constraints``: the rows ``cons`` appended to the HiGHS model,
    a helper kept per coefficient or bound that depends on a mutable parameter.
    ``walks``: the rows' linear forms already worked out (else Pyomo's, read here)."""
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
    for k, con in enumerate(cons):
        repn = _Repn(con.body) if walks is None else walks[k]
        starts.append(len(values))
        mine: list[Any] = []
        for coef, var in zip(repn.coefs, repn.vars, strict=True):
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


class _Repn:
    """Pyomo's linear form of an expression, with :class:`LinearWalk`'s attributes."""

    def __init__(self, expr: Any) -> None:
        repn = generate_standard_repn(expr, quadratic=False, compute_values=False)
        if repn.nonlinear_expr is not None:
            raise DegreeError(
                f"Highs interface does not support expressions of degree {repn.polynomial_degree()}"
            )
        self.constant, self.coefs, self.vars = repn.constant, repn.linear_coefs, repn.linear_vars


def objective_walk(solver: Any, obj: Any) -> bool:
    """appsi's ``PersistentBase.set_objective`` for a model's first objective, with one
    :class:`LinearWalk` (False, nothing done: appsi's own steps then set it)."""
    if obj is None or solver._objective is not None:
        return False
    try:
        walk = LinearWalk(obj.expr)
    except _Unsupported:
        return False
    solver._objective = obj
    solver._objective_expr = obj.expr
    solver._objective_sense = obj.sense
    variables = list(walk.variables.values())
    if not solver._only_child_vars:
        solver._check_for_new_vars(variables)
    solver._obj_named_expressions = [(e, e.expr) for e in walk.named.values()]
    solver._vars_referenced_by_obj = variables
    for v in variables:
        solver._referenced_variables[id(v)][2] = obj
    set_objective(solver, obj, walk)
    return True


def set_objective(solver: Any, obj: Any, walk: LinearWalk | None = None) -> None:
    """appsi's ``Highs._set_objective``: every column's cost (0 where ``obj`` has none),
    the offset and the sense; a helper per cost or offset that depends on a parameter.
    ``walk``: the objective's linear form already worked out (else Pyomo's, read here)."""
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
        repn = _Repn(obj.expr) if walk is None else walk
        for coef, var in zip(repn.coefs, repn.vars, strict=True):
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


class _Unsupported(Exception):
    """An expression :class:`LinearWalk` does not mirror: Pyomo's own steps read it."""


class LinearWalk:
    """One walk of a linear expression giving what appsi reads with two: the variables and
    named expressions in order of first appearance (``collect_vars_and_named_exprs``) and
    the linear form (``generate_standard_repn(..., compute_values=False)``).

    The linear form is built by the same operations on the same objects as Pyomo's
    (``multiplier * coefficient``, ``linear.get(var, 0) + coefficient``, terms kept in the
    order they are first met), so coefficients and constant are the very expressions Pyomo
    would give. Whatever it does not mirror (a fixed variable, a product of two variable
    expressions, a term Pyomo would skip as zero, ...) raises :class:`_Unsupported`.
    """

    def __init__(self, expr: Any) -> None:
        self.variables: dict[int, Any] = {}
        self.named: dict[int, Any] = {}
        if expr.__class__ in native_numeric_types or not expr.is_potentially_variable():
            raise _Unsupported  # a row without variables: leave it to Pyomo
        if expr.__class__ is LinearExpression:
            self.constant, self.linear = self._top_linear(expr)
        else:
            self.constant, self.linear = self._collect(expr, 1)
            for key in [k for k, (_, c) in self.linear.items() if _is_zero(c)]:
                del self.linear[key]

    @property
    def coefs(self) -> list[Any]:
        return [c for _, c in self.linear.values()]

    @property
    def vars(self) -> list[Any]:
        return [v for v, _ in self.linear.values()]

    def _var(self, var: Any) -> int:
        if var.fixed:
            raise _Unsupported
        key = id(var)
        if key not in self.variables:
            self.variables[key] = var
        return key

    def _term(self, linear: dict[int, list[Any]], var: Any, coef: Any) -> None:
        """``linear[var] += coef`` (a first term: ``= coef``), as Pyomo adds a term."""
        key = self._var(var)
        if key in linear:
            linear[key][1] += coef
        else:
            linear[key] = [var, coef]

    def _top_linear(self, expr: Any) -> tuple[Any, dict[int, list[Any]]]:
        """generate_standard_repn's own branch for a LinearExpression at the top."""
        constant: Any = 0
        linear: dict[int, list[Any]] = {}
        for arg in expr.args:
            if arg.__class__ is MonomialTermExpression:
                c, v = arg.args
                self._leaves(c)
                self._term(linear, v, c)
            elif arg.__class__ in native_numeric_types:
                constant += arg
            elif arg.is_variable_type():
                self._term(linear, arg, 1)
            else:
                self._leaves(arg)
                constant += arg
        return constant, {k: e for k, e in linear.items() if not _native_zero(e[1])}

    def _leaves(self, expr: Any) -> None:
        """A coefficient or constant: no variables; a named expression in it is not mirrored."""
        if expr.__class__ in native_numeric_types:
            return
        if (
            expr.is_potentially_variable()
            or expr.is_named_expression_type()
            or (expr.is_expression_type() and _has_named(expr))
        ):
            raise _Unsupported

    def _collect(self, expr: Any, mult: Any) -> tuple[Any, dict[int, list[Any]]]:
        cls = expr.__class__
        if cls is SumExpression:
            return self._sum(expr, mult)
        if cls is ProductExpression or cls is MonomialTermExpression:
            a, b = expr.args
            if a.__class__ in native_numeric_types:
                if a == 0:
                    raise _Unsupported
                return self._collect(b, mult * a)
            if cls is ProductExpression and b.__class__ in native_numeric_types:
                if b == 0:
                    raise _Unsupported
                return self._collect(a, mult * b)
            if not a.is_potentially_variable():
                self._leaves(a)
                return self._collect(b, mult * a)
            if cls is ProductExpression and not b.is_potentially_variable():
                self._leaves(b)
                return self._collect(a, mult * b)
            raise _Unsupported
        if cls is NegationExpression:
            return self._collect(expr.args[0], -1 * mult)
        if cls is LinearExpression:
            return self._linear(expr, mult)
        if cls in _NAMED:
            self.named.setdefault(id(expr), expr)
            inner = expr.expr
            if inner.__class__ in native_numeric_types or not inner.is_potentially_variable():
                self._leaves(inner)  # a constant (installed[h,p] with nothing to buy)
                return mult * inner, {}
            return self._collect(inner, mult)
        if cls in _VARS:
            return 0, {self._var(expr): [expr, mult]}
        if cls in native_numeric_types or cls in _PARAMS or not expr.is_potentially_variable():
            self._leaves(expr)
            return mult * expr, {}
        raise _Unsupported

    def _sum(self, expr: Any, mult: Any) -> tuple[Any, dict[int, list[Any]]]:
        constant: Any = 0
        linear: dict[int, list[Any]] = {}
        for arg in expr.args:
            if arg.__class__ is MonomialTermExpression:
                lhs, v = arg.args
                if lhs.__class__ in native_numeric_types:
                    if not lhs:
                        raise _Unsupported
                else:
                    self._leaves(lhs)
                self._term(linear, v, mult * lhs)
            elif arg.__class__ in native_numeric_types:
                constant += mult * arg
            elif arg.is_variable_type():
                self._term(linear, arg, mult)
            elif not arg.is_potentially_variable():
                self._leaves(arg)
                constant += mult * arg
            else:
                sub_constant, sub = self._collect(arg, mult)
                constant += sub_constant
                for key, (v, c) in sub.items():
                    if key in linear:
                        linear[key][1] = linear[key][1] + c
                    else:
                        linear[key] = [v, 0 + c]
        return constant, {k: e for k, e in linear.items() if not _native_zero(e[1])}

    def _linear(self, expr: Any, mult: Any) -> tuple[Any, dict[int, list[Any]]]:
        """standard_repn's _collect_linear: a LinearExpression inside a larger one."""
        self._leaves(expr.constant)
        constant = mult * expr.constant
        linear: dict[int, list[Any]] = {}
        for c, v in zip(expr.linear_coefs, expr.linear_vars, strict=True):
            self._leaves(c)
            self._term(linear, v, mult * c)
        return constant, {k: e for k, e in linear.items() if not _native_zero(e[1])}


# The classes standard_repn reads as named expressions, variables and parameters.
_NAMED = (ExpressionData, ScalarExpression, NamedExpressionData, ObjectiveData, ScalarObjective)
_VARS = (VarData, ScalarVar)
_PARAMS = (ParamData, ScalarParam, NumericConstant)


def _native_zero(coef: Any) -> bool:
    return coef.__class__ in native_numeric_types and not coef


def _is_zero(coef: Any) -> bool:
    """A term generate_standard_repn leaves out of its result (a coefficient known to be 0)."""
    if coef.__class__ in native_numeric_types:
        return not coef
    return bool(coef.is_constant() and value(coef) == 0)


def _has_named(expr: Any) -> bool:
    return any(
        a.__class__ not in native_numeric_types
        and (a.is_named_expression_type() or (a.is_expression_type() and _has_named(a)))
        for a in expr.args
    )
