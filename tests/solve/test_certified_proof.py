"""The proof half of the certified strategy (docs/model.md, "Solve strategy"): purchases
narrowed by reduced cost before HiGHS branches, checked by hand and against the MILP.

Unit g1 of conftest: 1 GPU, 1 kW, A = 31,536 Mtok per year at $1/Mtok; "big": 8 GPUs at
2,000 tok/s/GPU, 10 kW, 16 A per unit (as in test_certified).
"""

from __future__ import annotations

import random

import highspy
import numpy as np
import pytest

from optimizer import Planner, load_instance, solve
from optimizer.solver import certified
from optimizer.solver.certified import PROOF_BRANCHING
from optimizer.solver.proof import lagrangian_bound, tighten_by_reduced_cost
from optimizer.solver.rounding import option

from conftest import MTOK_PER_UNIT_YEAR as A
from conftest import base, frontier, menu_two_stage_instance

INF = highspy.kHighsInf


def _small_lp(upper: float = 10.0) -> highspy.Highs:
    """max 3x + 2y  s.t.  x + y <= 4,  x, y integer in [0, upper]."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVars(2, np.array([0.0, 0.0]), np.array([upper, upper]))
    h.changeColsCost(2, np.array([0, 1], dtype=np.int32), np.array([3.0, 2.0]))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.addRow(-INF, 4.0, 2, np.array([0, 1], dtype=np.int32), np.array([1.0, 1.0]))
    h.changeColsIntegrality(
        2, np.array([0, 1], dtype=np.int32), np.full(2, highspy.HighsVarType.kInteger)
    )
    return h


def test_lagrangian_bound_by_hand():
    """Multiplier 3 on x + y <= 4 leaves reduced costs (0, -1): bound 3 * 4 + 0 + max(-1 *
    y) = 12, the LP optimum. Multiplier 0: 3 * 10 + 2 * 10 = 50, weak but valid. A
    multiplier on a row with no upper side cannot bound anything."""
    lp = _small_lp().getLp()
    bound, d = lagrangian_bound(lp, np.array([3.0]), 1.0)
    assert bound == pytest.approx(12.0)
    assert d == pytest.approx([0.0, -1.0])
    assert lagrangian_bound(lp, np.array([0.0]), 1.0)[0] == pytest.approx(50.0)
    assert lagrangian_bound(lp, np.array([-1.0]), 1.0)[0] == float("inf")


@pytest.mark.parametrize(
    ("start", "y_max"),
    [((2.0, 2.0), 2.0), ((3.0, 1.0), 1.0), ((2.0, 1.0), 4.0), ((0.0, 0.0), 10.0)],
)
def test_narrowing_by_hand(start, y_max):
    """LP bound 12 at (4, 0); y's reduced cost is -1, so a plan worth at least the start's
    3x + 2y (10, 11, 8, 0) has y <= (12 - value) / 1 (at most 10, its bound). x is basic:
    its domain stays [0, 10]."""
    h = _small_lp()
    x = np.array(start)
    value = float(3 * x[0] + 2 * x[1])
    narrowed = tighten_by_reduced_cost(h, np.array([0, 1], dtype=np.int32), 1.0, value, x)
    lp = h.getLp()
    assert narrowed == (1 if y_max < 10 else 0)
    assert list(lp.col_lower_) == [0.0, 0.0]
    assert list(lp.col_upper_) == [10.0, y_max]
    # Integrality restored; the narrowed MILP still finds the optimum (4, 0), 12.
    assert list(lp.integrality_) == [highspy.HighsVarType.kInteger] * 2
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(12.0)


def test_narrowing_keeps_the_start_and_minimises():
    """min -3x - 2y (the same model minimised): the same narrowing. A start outside what
    the bound allows (round-off in a caller) is kept inside the domain."""
    h = _small_lp()
    h.changeColsCost(2, np.array([0, 1], dtype=np.int32), np.array([-3.0, -2.0]))
    h.changeObjectiveSense(highspy.ObjSense.kMinimize)
    cols = np.array([0, 1], dtype=np.int32)
    assert tighten_by_reduced_cost(h, cols, -1.0, 10.0, np.array([2.0, 2.0])) == 1
    assert list(h.getLp().col_upper_) == [10.0, 2.0]
    h = _small_lp()
    tighten_by_reduced_cost(h, cols, 1.0, 11.5, np.array([0.0, 3.0]))
    assert list(h.getLp().col_upper_) == [10.0, 3.0]


def _two_hardware(it_kw: float) -> dict:
    doc = base(power_mw=it_kw / 1000, rack_positions=1000)
    doc["hardware"].append({"id": "big", "gpus_per_unit": 8, "power_kw": 10, "rack_positions": 1})
    doc["frontiers"] = frontier("g1") + frontier("big", tok=2000.0)
    return doc


def _record_narrowing(monkeypatch) -> list[dict[int, tuple[float, float]]]:  # type: ignore[no-untyped-def]
    """Each narrowing's resulting (lower, upper) per purchase column."""
    seen: list[dict[int, tuple[float, float]]] = []

    def recording(highs, cols, sign, value, start):  # type: ignore[no-untyped-def]
        n = tighten_by_reduced_cost(highs, cols, sign, value, start)
        lp = highs.getLp()
        seen.append({int(j): (lp.col_lower_[j], lp.col_upper_[j]) for j in cols})
        return n

    monkeypatch.setattr(certified, "tighten_by_reduced_cost", recording)
    return seen


def test_relaxation_short_of_the_gap_is_closed_by_narrowing(monkeypatch):
    """55.5 kW: at most 5 big fit; the relaxation is 5 big + 5.5 g1 = 85.5 A against the
    integer optimum 85 A (5 big + 5 g1), 5.9e-3 apart: the relaxation cannot prove it.
    In the LP a kW is worth 1 A (g1's rate), so big's reduced cost is 16 - 10 = 6 A at its
    upper bound 5: a plan worth at least the repaired plan's 85 A has big >= 5 - 0.5 / 6,
    and big is fixed at 5 before HiGHS branches. The bound is within the gap of 85 A."""
    seen = _record_narrowing(monkeypatch)
    planner = Planner(load_instance(_two_hardware(55.5)))
    plan = planner.solve()
    assert plan.status == "optimal" and plan.verified
    assert plan.proof == PROOF_BRANCHING
    assert plan.objective_usd == pytest.approx(85 * A, rel=1e-9)
    assert 85 * A <= plan.best_bound_usd <= 85 * A * (1 + 1e-4)
    assert len(seen) == 1
    col_of = planner.session.solver._pyomo_var_to_solver_var_map  # type: ignore[union-attr]
    big = [col_of[id(v)] for k, v in planner.model.buy.items() if k[0] == "big"]
    assert [seen[0][c] for c in big] == [(5.0, 5.0)]


@pytest.mark.parametrize("seed", range(10))
def test_menu_instances_agree_with_the_milp(monkeypatch, seed):
    """Seeded price-menu instances (a binary pick per menu price: the relaxation keeps it,
    so it rarely closes and HiGHS branches): the certified plan is within 1e-4 of the
    MILP's; each bound is above the other's plan; the domains HiGHS branched on hold the
    MILP's plan (a narrowing never cuts off a plan better than the start)."""
    rng = random.Random(seed)
    doc, _ = menu_two_stage_instance(rng)
    seen = _record_narrowing(monkeypatch)
    planner = Planner(load_instance(doc))
    cert = planner.solve()
    milp = solve(doc, strategy="milp", mip_gap=1e-9)
    assert cert.status == milp.status == "optimal"
    assert cert.verified and milp.verified
    tol = 1e-4 * abs(milp.objective_usd) + 1e-3
    assert cert.objective_usd >= milp.objective_usd - tol
    assert cert.best_bound_usd >= milp.objective_usd - 1e-6 * abs(milp.objective_usd)
    assert cert.best_bound_usd - cert.objective_usd <= tol
    if not seen:
        assert cert.proof != PROOF_BRANCHING
        return
    col_of = planner.session.solver._pyomo_var_to_solver_var_map  # type: ignore[union-attr]
    units = milp.buy.set_index(["hardware", "period"])["units"]
    for (h, p), v in planner.model.buy.items():
        lower, upper = seen[-1][col_of[id(v)]]
        bought = float(units.get((h, p), 0.0))
        assert lower - 1e-6 <= bought <= upper + 1e-6, (h, p, bought, lower, upper)


def test_branch_options_are_restored(monkeypatch):
    """The final branch's HiGHS options (no restart, RENS off) are undone afterwards."""
    planner = Planner(load_instance(_two_hardware(55.5)))
    assert planner.solve().proof == PROOF_BRANCHING
    highs = planner.session.highs  # type: ignore[union-attr]
    for name, default in (
        ("mip_allow_restart", True),
        ("mip_heuristic_run_rens", True),
        ("mip_heuristic_run_rins", True),
        ("mip_heuristic_run_root_reduced_cost", True),
    ):
        got = highs.getOptionValue(name)
        assert (got[1] if isinstance(got, tuple) else got) is default, name


@pytest.mark.parametrize("seed", range(6))
def test_a_close_branch_past_its_node_limit_runs_again_and_agrees_with_the_milp(monkeypatch, seed):
    """Every start counted close and its branch stopped at the root (a node limit of 0):
    the branch runs again with the heuristics on and no node limit, from the better plan,
    and the answer is the MILP's within the gap with a bound above the MILP's plan."""
    monkeypatch.setattr(certified, "CLOSE_START", 1e9)
    monkeypatch.setattr(certified, "CLOSE_NODES", 0)
    runs: list[tuple[int, str]] = []
    original = certified._run_from

    def counting(s, start):  # type: ignore[no-untyped-def]
        status = original(s, start)
        runs.append((int(option(s.highs, "mip_max_nodes")), status.name))
        return status

    monkeypatch.setattr(certified, "_run_from", counting)
    doc, _ = menu_two_stage_instance(random.Random(seed))
    cert = Planner(load_instance(doc)).solve()
    milp = solve(doc, strategy="milp", mip_gap=1e-9)
    assert cert.status == milp.status == "optimal" and cert.verified
    tol = 1e-4 * abs(milp.objective_usd) + 1e-3
    assert cert.objective_usd >= milp.objective_usd - tol
    assert cert.best_bound_usd >= milp.objective_usd - 1e-6 * abs(milp.objective_usd)
    assert cert.best_bound_usd - cert.objective_usd <= tol
    if cert.proof == PROOF_BRANCHING:
        assert runs[0] == (0, "kSolutionLimit")  # the close phase, stopped by its limit
        assert len(runs) == 2 and runs[1][0] > 0 and runs[1][1] == "kOptimal"
    else:
        assert runs == []
