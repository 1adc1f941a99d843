"""The certified strategy's repair steps (optimizer/solver/rounding.py; docs/model.md, "Solve
strategy"), on a model small enough to work out by hand.

Two purchases x and y (integer unit counts, relaxed here) and a sale z (continuous):

    max 3x + 2y + z   s.t.  power 2x + y <= 5.5,  land x + 2y <= 3.5,  z <= x + y,  z <= 0.5

The relaxation's optimum is the vertex of power and land: x = 2.5, y = 0.5, bound 9 (z = 0.5).
Integer plans: (2, 0) earns 6 + 0.5 = 6.5; (1, 1) 5.5; (0, 1) 2.5; (3, 0) breaks power
(6 > 5.5), (2, 1) breaks land (4 > 3.5): 6.5 at (2, 0) is the integer optimum.
"""

from __future__ import annotations

import highspy
import numpy as np
import pytest

from optimizer.solver import rounding
from optimizer.solver.rounding import Buys, Search, dive, greedy, neighbourhood

INF = highspy.kHighsInf


def _search(minimise: bool = False) -> Search:
    """The model above; ``minimise``: the same as min -3x - 2y - z (values read the same)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_ = 3
    lp.num_row_ = 4
    lp.col_cost_ = np.array([3.0, 2.0, 1.0]) * (-1.0 if minimise else 1.0)
    lp.col_lower_ = np.array([0.0, 0.0, 0.0])
    lp.col_upper_ = np.array([10.0, 10.0, INF])
    lp.row_lower_ = np.array([-INF, -INF, -INF, -INF])
    lp.row_upper_ = np.array([5.5, 3.5, 0.0, 0.5])
    lp.sense_ = highspy.ObjSense.kMinimize if minimise else highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    # columns x, y, z; rows power, land, sale <= installed, demand
    lp.a_matrix_.start_ = np.array([0, 3, 6, 8])
    lp.a_matrix_.index_ = np.array([0, 1, 2, 0, 1, 2, 2, 3])
    lp.a_matrix_.value_ = np.array([2.0, 1.0, -1.0, 1.0, 2.0, -1.0, 1.0, 1.0])
    h.passModel(lp)
    cols = np.array([0, 1], dtype=np.int32)
    buys = Buys(cols, np.zeros(2), np.full(2, 10.0), [])
    return Search(h, buys, 1e-4, None, lambda: False)


def _relaxed(s: Search) -> np.ndarray:
    assert s.run() == rounding.OK
    assert s.value() == pytest.approx(9.0)
    return s.solution()[s.buys.cols]


def test_the_relaxation_is_the_hand_vertex():
    s = _search()
    assert _relaxed(s) == pytest.approx([2.5, 0.5])


def test_dive_floors_every_fractional_purchase_at_once():
    """Round 1 fixes both fractional purchases at their floors: (2, 0), the optimum, 6.5,
    in one LP."""
    s = _search()
    relaxed = _relaxed(s)
    before = s.lp_solves
    units, value, _ = dive(s, relaxed)
    assert list(units) == [2.0, 0.0]
    assert value == pytest.approx(6.5)
    assert s.lp_solves - before == 1


def test_dive_stops_once_every_fraction_left_is_below_a_unit():
    """From (2, 0.5): y's floor is its lower bound and x is whole, so the round fixes every
    purchase (x at 2, y at 0) in one LP, where flooring y alone and re-solving would only
    move half a unit to x (2.75, floored again to 2: a second LP, the same plan)."""
    s = _search()
    before = s.lp_solves
    units, value, _ = dive(s, np.array([2.0, 0.5]))
    assert list(units) == [2.0, 0.0]
    assert value == pytest.approx(6.5)
    assert s.lp_solves - before == 1


@pytest.mark.parametrize("screened", [True, False])
def test_greedy_screen_skips_only_steps_that_would_be_undone(monkeypatch, screened):
    """From (2, 0): x + 1 breaks power (6 > 5.5), y + 1 breaks land (4 > 3.5). Power and land
    hold only purchases, so the screen rules both out from the last LP (one LP to read it);
    unscreened, each costs an LP and is undone. The plan is the same either way."""
    if not screened:
        monkeypatch.setattr(rounding.Screen, "rules_out", lambda self, i, value: False)
    s = _search()
    relaxed = _relaxed(s)
    found = dive(s, relaxed)
    assert found is not None
    before = s.lp_solves
    value, best = greedy(s, relaxed, found, 9.0)
    assert value == pytest.approx(6.5)
    assert best[:2] == pytest.approx([2.0, 0.0])
    assert s.lp_solves - before == (1 if screened else 3)


@pytest.mark.parametrize("minimise", [False, True])
def test_greedy_screen_uses_the_reduced_cost_as_a_ceiling(monkeypatch, minimise):
    """Power 2x + y <= 7.5 instead: from (2, 0), y + 1 breaks land but x + 1 = (3, 0) fits
    (6 <= 7.5, 3 <= 3.5) and earns 3 more: its reduced cost (3, z already at its demand) is
    above the threshold, so it is tried and kept: 9.5. y + 1 is not tried (land); had the
    reduced cost's sign been read wrong, x + 1 would not be either. Either objective sense."""
    tried: list[int] = []
    rules_out = rounding.Screen.rules_out

    def spy(self: rounding.Screen, i: int, value: float) -> bool:
        out = rules_out(self, i, value)
        if not out:
            tried.append(i)
        return out

    monkeypatch.setattr(rounding.Screen, "rules_out", spy)
    s = _search(minimise)
    s.highs.changeRowBounds(0, -INF, 7.5)
    found = (np.array([2.0, 0.0]), 6.5, np.array([2.0, 0.0, 0.5]))
    s.fix(found[0])
    value, best = greedy(s, np.array([2.5, 0.5]), found, 10.0)
    assert value == pytest.approx(9.5)
    assert best[:2] == pytest.approx([3.0, 0.0])
    assert tried == [0]


def test_neighbourhood_finds_the_best_plan_in_its_box():
    """From the plan (1, 1) (5.5) and the relaxation (2.5, 0.5), the box is x in [1, 3],
    y in [0, 1]; its best plan is the optimum (2, 0), 6.5. Purchases are left fixed there,
    continuous, and the options it set are restored."""
    s = _search()
    relaxed = _relaxed(s)
    gap_before = rounding.option(s.highs, "mip_rel_gap")
    units = np.array([1.0, 1.0])
    s.fix(units)
    assert s.run() == rounding.OK and s.value() == pytest.approx(5.5)
    found = neighbourhood(s, relaxed, units, s.solution(), 9.0)
    assert found is not None
    value, solution = found
    assert value == pytest.approx(6.5)
    assert solution[:2] == pytest.approx([2.0, 0.0])
    lp = s.highs.getLp()
    assert list(lp.col_lower_[:2]) == [2.0, 0.0] and list(lp.col_upper_[:2]) == [2.0, 0.0]
    assert all(k == highspy.HighsVarType.kContinuous for k in lp.integrality_[:2])
    assert rounding.option(s.highs, "mip_rel_gap") == gap_before
    assert rounding.option(s.highs, "mip_max_nodes") == 2147483647
    assert rounding.option(s.highs, "objective_target") == -INF


@pytest.mark.parametrize("minimise", [False, True])
def test_neighbourhood_stops_at_a_plan_that_closes_the_gap(minimise):
    """With the bound at 6.5 (what the plan (2, 0) earns) the first plan HiGHS finds that
    closes the gap ends the sub-MIP: it is (2, 0), and the gap is closed (the target is
    given to HiGHS in the model's own sense)."""
    s = _search(minimise)
    relaxed = _relaxed(s)
    units = np.array([1.0, 1.0])
    s.fix(units)
    assert s.run() == rounding.OK
    found = neighbourhood(s, relaxed, units, s.solution(), 6.5)
    assert found is not None
    assert s.closed(found[0], 6.5)
    assert found[1][:2] == pytest.approx([2.0, 0.0])


def _two_purchases() -> Search:
    """max 18x + 16y s.t. 22x + 15y <= 4517.5, 8x + 34y <= 4659.5 (x, y unit counts). The
    relaxation's vertex is x = 133.28, y = 105.68 (4,090.05); the plans of its floor/ceiling
    box earn at most 4,074 (133, 105); the integer optimum is (135, 103), 4,078: two units
    from the box, inside the sub-MIP's 1% reach (ceil(1.33) = 2 units)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 2, 2
    lp.col_cost_ = np.array([18.0, 16.0])
    lp.col_lower_, lp.col_upper_ = np.zeros(2), np.full(2, 1000.0)
    lp.row_lower_, lp.row_upper_ = np.full(2, -INF), np.array([4517.5, 4659.5])
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array([0, 2, 4])
    lp.a_matrix_.index_ = np.array([0, 1, 0, 1])
    lp.a_matrix_.value_ = np.array([22.0, 8.0, 15.0, 34.0])
    h.passModel(lp)
    buys = Buys(np.array([0, 1], dtype=np.int32), np.zeros(2), np.full(2, 1000.0), [])
    return Search(h, buys, 1e-4, None, lambda: False)


@pytest.mark.parametrize(
    "width, value, plan", [(0.0, 4074.0, [133, 105]), (None, 4078.0, [135, 103])]
)
def test_neighbourhood_reaches_past_the_floor_and_ceiling(monkeypatch, width, value, plan):
    """The box reaches SUB_MIP_WIDTH of each relaxed value beyond its floor and ceiling: the
    optimum two units away is found; with no reach only the box's best (133, 105)."""
    if width is not None:
        monkeypatch.setattr(rounding, "SUB_MIP_WIDTH", width)
    s = _two_purchases()
    assert s.run() == rounding.OK and s.value() == pytest.approx(4090.0462, abs=1e-3)
    relaxed = s.solution()
    assert relaxed == pytest.approx([133.2842, 105.6831], abs=1e-3)
    units = np.floor(relaxed)
    s.fix(units)
    assert s.run() == rounding.OK and s.value() == pytest.approx(18 * 133 + 16 * 105)
    found = neighbourhood(s, relaxed, units, s.solution(), 4090.0462)
    assert found is not None
    assert found[0] == pytest.approx(value)
    assert found[1] == pytest.approx(plan)


def test_the_two_purchase_optimum_is_the_hand_value():
    """HiGHS's MILP on the model above, every unit count integer: 4,078 at (135, 103)."""
    s = _two_purchases()
    s.highs.changeColsIntegrality(
        2, np.array([0, 1], dtype=np.int32), np.full(2, highspy.HighsVarType.kInteger)
    )
    s.highs.setOptionValue("mip_rel_gap", 0.0)
    assert s.run() == rounding.OK
    assert s.value() == pytest.approx(4078.0)
    assert s.solution() == pytest.approx([135.0, 103.0])
