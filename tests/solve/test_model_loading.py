"""optimizer.solver.loading: HiGHS gets, number for number, the model appsi would give it.

The loader reads each row in one walk (LinearWalk) and computes coefficients without
Pyomo's visitor (fast_value); these tests compare it with Pyomo's own steps on expressions
of every shape the model builds, on rows it must leave to Pyomo, and on whole models.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.appsi.solvers import Highs
from pyomo.contrib.appsi.utils.collect_vars_and_named_exprs import collect_vars_and_named_exprs
from pyomo.core.expr import MonomialTermExpression
from pyomo.repn import generate_standard_repn

from optimizer import Planner, load_instance
from optimizer.solver.highs import _Highs
from optimizer.solver.loading import LinearWalk, _Unsupported, fast_value
from optimizer.solver.options import SolveOptions


def _model() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.I = pyo.Set(initialize=[1, 2, 3])
    m.x = pyo.Var(m.I, domain=pyo.NonNegativeReals)
    m.y = pyo.Var(domain=pyo.NonNegativeIntegers)
    m.p = pyo.Param(m.I, initialize={1: 0.1, 2: 3.0, 3: 0.0}, mutable=True)
    m.q = pyo.Param(initialize=1.0 / 3.0, mutable=True)
    m.e = pyo.Expression(m.I, rule=lambda m, i: m.p[i] + m.x[i] + 2 * m.y)
    m.c = pyo.Expression(expr=m.p[1] * 7)  # a named expression without variables
    return m


def _shapes(m: pyo.ConcreteModel) -> list[object]:
    return [
        sum(m.p[i] * m.x[i] for i in m.I),  # a LinearExpression
        m.x[1] - sum(m.q * m.p[i] * m.x[i] for i in m.I),  # products of parameters
        sum(m.x[i] for i in m.I) - m.e[2],  # a named expression, negated
        m.q * (m.p[1] * m.e[1] + m.p[2] * m.e[3]) - m.p[3] * m.y,  # nested multipliers
        m.e[1] + m.e[1] - m.x[1] + 0.5 * m.y,  # one variable met several times
        m.x[1] - m.x[1] + m.y,  # terms cancelling to a zero coefficient
        m.c + m.x[2] - m.q,  # a constant named expression
        -(m.x[1] + m.p[2] * m.x[3]),
        m.y,
    ]


def _bits(v: object) -> int:
    return int(np.array([v], dtype=float).view(np.uint64)[0])


@pytest.mark.parametrize("k", range(9))
def test_walk_gives_pyomo_s_variables_and_linear_form(k: int) -> None:
    m = _model()
    expr = _shapes(m)[k]
    walk = LinearWalk(expr)
    named, variables, _, _ = collect_vars_and_named_exprs(expr)
    repn = generate_standard_repn(expr, quadratic=False, compute_values=False)
    assert [id(v) for v in walk.variables.values()] == [id(v) for v in variables]
    assert [id(e) for e in walk.named.values()] == [id(e) for e in named]
    assert [id(v) for v in walk.vars] == [id(v) for v in repn.linear_vars]
    assert [_bits(fast_value(c)) for c in walk.coefs] == [
        _bits(pyo.value(c)) for c in repn.linear_coefs
    ]
    assert _bits(fast_value(walk.constant)) == _bits(pyo.value(repn.constant))
    # a parameter change reaches the coefficients the walk kept (they are expressions)
    m.q.set_value(2.5)
    m.p[2].set_value(-4.0)
    assert [fast_value(c) for c in walk.coefs] == [pyo.value(c) for c in repn.linear_coefs]


def test_walk_leaves_to_pyomo_what_it_does_not_mirror() -> None:
    m = _model()
    m.x[1].fix(2.0)
    with pytest.raises(_Unsupported):
        LinearWalk(m.x[1] + m.y)  # a fixed variable
    with pytest.raises(_Unsupported):
        LinearWalk(m.x[2] * m.x[3])  # not linear
    with pytest.raises(_Unsupported):
        # in a sum, Pyomo's linear form skips a term of coefficient 0 (appsi still adds
        # its column)
        LinearWalk(m.e[1] + MonomialTermExpression((0, m.x[2])))


def test_fast_value_is_pyomo_s_value() -> None:
    m = _model()
    exprs = [m.q * m.p[2] / 7, -(m.p[1] * m.q) + 1e-17, m.p[3], 3, m.c, abs(m.q - 1)]
    assert [_bits(fast_value(e)) for e in exprs] == [_bits(pyo.value(e)) for e in exprs]


def _lp(highs: object) -> list[object]:
    lp = highs.getLp()  # type: ignore[attr-defined]
    a = lp.a_matrix_
    return [
        np.asarray(x).tobytes()
        for x in (
            lp.col_cost_,
            lp.col_lower_,
            lp.col_upper_,
            lp.row_lower_,
            lp.row_upper_,
            a.start_,
            a.index_,
            a.value_,
        )
    ] + [list(lp.integrality_), str(lp.sense_), lp.offset_]


@pytest.mark.parametrize("objective", [None, "revenue"])
def test_whole_model_loads_as_appsi_loads_it(objective: str | None) -> None:
    """The toy and the 1 GW reference: same matrix, bounds, costs, types, in the same
    order of columns and rows, bit for bit; the parameters appsi tracks are the same."""
    for path in ("instances/toy.yaml", "instances/gtc2026-1gw.yaml"):
        model = Planner(load_instance(path), SolveOptions(objective=objective)).model
        loaded = []
        for cls in (Highs, _Highs):
            solver = cls()
            solver.config.stream_solver = False
            solver.update_config.treat_fixed_vars_as_params = False
            solver.set_instance(model)
            helpers = [type(h).__name__ for hs in solver._mutable_helpers.values() for h in hs]
            columns = [solver._vars[v][0].name for v in solver._pyomo_var_to_solver_var_map]
            rows = [c.name for c in solver._pyomo_con_to_solver_con_map]
            named = {c.name: [e.name for e, _ in n] for c, n in solver._named_expressions.items()}
            loaded.append(
                (_lp(solver._solver_model), columns, rows, helpers, named, len(solver._params))
            )
        assert loaded[0] == loaded[1], path


def test_another_pyomo_release_loads_through_appsi(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the Pyomo release is not one the loading steps were checked on (FAST_LOAD off),
    appsi's own steps load the model and push a re-solve's numbers: the toy still solves to
    its hand value, 363,294,720 USD, and to the same figure after a change and back."""
    from optimizer.solver import highs, loading

    def refused(*_: object) -> object:
        raise AssertionError("optimizer.solver.loading used with FAST_LOAD off")

    monkeypatch.setattr(highs, "FAST_LOAD", False)
    for name in ("add_constraints", "add_rows", "objective_walk", "set_objective"):
        monkeypatch.setattr(highs, name, refused)
    monkeypatch.setattr(highs, "fast_value", refused)
    monkeypatch.setattr(highs, "push_helper", refused)
    assert loading.TESTED_PYOMO  # the releases FAST_LOAD is on for
    toy = load_instance("instances/toy.yaml")
    planner = Planner(toy, SolveOptions())
    assert planner.solve().objective_usd == pytest.approx(363_294_720, rel=1e-9)
    planner.update(toy.with_changes(site=toy.site.model_copy(update={"power_mw": 20.0})))
    assert planner.solve().objective_usd != pytest.approx(363_294_720, rel=1e-9)
    planner.update(toy)
    assert planner.solve().objective_usd == pytest.approx(363_294_720, rel=1e-9)
