"""Step 1 of the certified strategy keeps small fractional purchases integer
(optimizer/solver/certified.py, SMALL_PURCHASE; docs/model.md, "Solve strategy").

A hand model: pods x (10 each, 3 MW), racks y (0.03 each, 0.01 MW), a fee b (binary, 1)
that opens a sale z (1 at most, z <= 2b):

    max 10x + 0.03y - b + z   s.t.  3x + 0.01y <= 7.5,  z <= 2b,  z <= 1

The LP relaxation: x = 2.5, y = 0, b = 0.5, z = 1: 25.5. Step 0 rounds b to 0 and holds
it: 25, more than 1e-4 below the LP, so step 1 runs from that point. Integer plans: two
pods and 150 racks fill the 7.5 MW (24.5); the sale earns 1 and its fee costs 1, so 24.5
is the optimum. With the pod count kept integer (2.5 pods: fewer than 50, fractional),
step 1's bound is 24.5 and the repaired plan is proven by it; with every purchase relaxed
the bound is 25 (2% above) and HiGHS has to branch.
"""

from __future__ import annotations

import highspy
import numpy as np
import pytest

from optimizer.solver import certified
from optimizer.solver.certified import PROOF_BRANCHING, PROOF_RELAXATION, certify_loaded

INF = highspy.kHighsInf


def _pods_and_racks() -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_ = 4  # x, y, b, z
    lp.num_row_ = 2  # power, sale <= 2 b
    lp.col_cost_ = np.array([10.0, 0.03, -1.0, 1.0])
    lp.col_lower_ = np.zeros(4)
    lp.col_upper_ = np.array([1000.0, 1000.0, 1.0, 1.0])
    lp.row_lower_ = np.array([-INF, -INF])
    lp.row_upper_ = np.array([7.5, 0.0])
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array([0, 1, 2, 3, 4])
    lp.a_matrix_.index_ = np.array([0, 0, 1, 1])
    lp.a_matrix_.value_ = np.array([3.0, 0.01, -2.0, 1.0])
    lp.integrality_ = [
        highspy.HighsVarType.kInteger,
        highspy.HighsVarType.kInteger,
        highspy.HighsVarType.kInteger,
        highspy.HighsVarType.kContinuous,
    ]
    h.passModel(lp)
    return h


def _certify(h: highspy.Highs) -> certified.CertifiedResult:
    result = certify_loaded(h, [0, 1], [], mip_gap=1e-4, deadline=None, lp_first=True)
    assert result is not None
    return result


def test_a_small_fractional_purchase_kept_integer_proves_the_hand_optimum():
    h = _pods_and_racks()
    result = _certify(h)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(24.5)
    assert result.bound == pytest.approx(24.5)
    assert result.proof == PROOF_RELAXATION
    assert result.solution is not None
    assert result.solution[:2] == pytest.approx([2.0, 150.0])
    # The model is as it was: purchases integer again.
    assert list(h.getLp().integrality_)[:2] == [highspy.HighsVarType.kInteger] * 2


def test_every_purchase_relaxed_leaves_the_gap_to_branching(monkeypatch):
    monkeypatch.setattr(certified, "SMALL_PURCHASE", 0.0)
    result = _certify(_pods_and_racks())
    assert result.status == "optimal"
    assert result.objective == pytest.approx(24.5)
    assert result.proof == PROOF_BRANCHING
