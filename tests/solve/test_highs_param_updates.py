"""HighsSession's in-place parameter updates (optimizer.solver.highs._Highs.update_params)."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

from optimizer.solver.highs import HighsSession


def _model() -> pyo.ConcreteModel:
    """max x + y  s.t.  x + c * y <= 4,  y <= 3,  x, y >= 0  (c a mutable coefficient)."""
    m = pyo.ConcreteModel()
    m.c = pyo.Param(initialize=0.0, mutable=True)
    m.x = pyo.Var(domain=pyo.NonNegativeReals)
    m.y = pyo.Var(domain=pyo.NonNegativeReals, bounds=(0, 3))
    m.row = pyo.Constraint(expr=m.x + m.c * m.y <= 4)
    m.obj = pyo.Objective(expr=m.x + m.y, sense=pyo.maximize)
    return m


def test_zero_coefficients_are_not_pushed_and_nonzero_ones_follow(capfd):
    """c = 0: x = 4, y = 3, objective 7. c = 2: x + 2y <= 4 with y <= 3: x = 4, y = 0 gives
    4; y = 2, x = 0 gives 2; so 4. Back to c = 0: 7 again (the entry HiGHS held is removed,
    not left at 2). No "changeCoeff" warning for the zero that never was in the matrix."""
    m = _model()
    session = HighsSession()
    assert session.run(m).objective == pytest.approx(7.0)
    assert session.run(m).objective == pytest.approx(7.0)  # an update with c still 0
    m.c.set_value(2.0)
    assert session.run(m).objective == pytest.approx(4.0)
    m.c.set_value(0.0)
    assert session.run(m).objective == pytest.approx(7.0)
    out, err = capfd.readouterr()
    assert "changeCoeff" not in out + err
