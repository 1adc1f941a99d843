"""optimizer.model.linear.linear_sum builds the expression Python's sum builds, term for term."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

from optimizer.model.linear import linear_sum


def _shape(e: object) -> object:
    """An expression as nested (class name, children), leaves by identity."""
    if e.__class__ in (int, float):
        return e
    if getattr(e, "is_expression_type", lambda: False)():
        return (type(e).__name__, [_shape(a) for a in e.args])  # type: ignore[attr-defined]
    return ("leaf", id(e))


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_same_expression_as_sum(n: int) -> None:
    m = pyo.ConcreteModel()
    m.I = pyo.RangeSet(n)
    m.w = pyo.Param(m.I, initialize=lambda m, i: 0.5 * i, mutable=True)
    m.c = pyo.Param(m.I, initialize=0.0, mutable=True)
    m.x = pyo.Var(m.I)
    built = linear_sum((m.w[i] * m.c[i], m.x[i]) for i in m.I)
    summed = sum(m.w[i] * m.c[i] * m.x[i] for i in m.I)
    assert _shape(built) == _shape(summed)
    if n:
        m.c[1] = 3.0
    for i in m.I:
        m.x[i].set_value(i)
    assert pyo.value(built) == pyo.value(summed)


def test_a_plain_number_coefficient_is_left_to_sum() -> None:
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2])
    built = linear_sum([(1, m.x[1]), (2.5, m.x[2])])
    assert _shape(built) == _shape(1 * m.x[1] + 2.5 * m.x[2])
