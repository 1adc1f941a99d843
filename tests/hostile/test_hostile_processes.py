"""Killed and interrupted runs; time limits that must bound a run (issue 20, items 13,
17, 18). These start the real command line and watch its processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import base

LINUX_PROC = Path("/proc/self/stat").exists()


def _session_members(sid: int) -> list[int]:
    """Live processes of session ``sid`` (field 6 of /proc/PID/stat), zombies excluded."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            members.append(int(entry.name))
    return members


@pytest.mark.skipif(not LINUX_PROC, reason="reads /proc to find the run's processes")
def test_kill_9_of_a_sweep_driver_leaves_no_worker_or_resource_tracker(tmp_path: Path) -> None:
    """Item 13: after kill -9 of ``optimizer sweep --workers 2`` both workers (waiting on
    the pool's pipes, whose ends they hold themselves) and the resource tracker ran on.
    The run gets its own session, so everything it started is found by session id."""
    (tmp_path / "i.json").write_text(json.dumps(base()))
    cmd = [sys.executable, "-m", "optimizer", "sweep", "i.json", "--workers", "2", "-q"]
    cmd += ["--set", "site.power_mw=0.001:1:0.001", "--seed", "1", "--out", "sw"]
    driver = subprocess.Popen(
        cmd, cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    journal = tmp_path / "sw" / "sweep.rows.jsonl"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and driver.poll() is None:
            if journal.exists() and journal.read_text().count("\n") >= 2:
                break  # the workers are up and solving
            time.sleep(0.2)
        assert driver.poll() is None, driver.stderr.read() if driver.stderr else ""
        assert len(_session_members(driver.pid)) >= 4  # driver, 2 workers, tracker
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=30)
        deadline = time.monotonic() + 30
        left = _session_members(driver.pid)
        while left and time.monotonic() < deadline:
            time.sleep(0.25)
            left = _session_members(driver.pid)
        assert left == []
    finally:
        for pid in _session_members(driver.pid):  # clean up after a failure
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if driver.poll() is None:
            driver.kill()


# ------------------------------------------- 13, 17. the two-stage solver's run bounds
def _newsvendor() -> tuple[dict, object]:
    """One period, one g1 unit at $20,000, $1/Mtok, demand 50 or 150 units' worth."""
    import pandas as pd

    from conftest import MTOK_PER_UNIT_YEAR as A

    doc = base()
    doc["objective"] = "profit"
    doc["site"]["rack_positions"] = 1000
    doc["hardware"][0]["capex_usd"] = 20_000
    doc["tiers"][0]["demand_mtok"] = 100 * A
    table = pd.DataFrame(
        {
            "scenario": ["low", "high"],
            "probability": [0.5, 0.5],
            "tiers[t].demand_mtok": [50 * A, 150 * A],
        }
    )
    return doc, table


def test_stochastic_time_limit_bounds_the_run_not_each_solve(monkeypatch) -> None:
    """Item 17: ``--time-limit 2`` gave every one of the ~80 re-plans 2 s (90 s of wall
    time). Now each solve gets what is left of one budget: the limits handed to HiGHS
    never grow and fall below the budget (recorded, not timed)."""
    from optimizer.planning.planner import Planner
    from optimizer.stochastic import engine

    limits: list[float | None] = []
    real_solve = Planner.solve

    def recording_solve(self: Planner, *args, **kw):  # type: ignore[no-untyped-def]
        limits.append(self.options.time_limit)
        return real_solve(self, *args, **kw)

    ef_limits: list[float | None] = []
    real_ef = engine._solve_ef

    def recording_ef(models, **kw):  # type: ignore[no-untyped-def]
        ef_limits.append(kw["time_limit"])
        return real_ef(models, **kw)

    monkeypatch.setattr(Planner, "solve", recording_solve)
    monkeypatch.setattr(engine, "_solve_ef", recording_ef)
    doc, table = _newsvendor()
    r = engine.solve(doc, table, mip_gap=0, time_limit=600)
    assert r.status == "optimal"
    assert r.objective_usd == pytest.approx(576_800, abs=1e-3)  # as without a limit
    # 2 wait-and-see, 1 expected-value, 2 EEV re-plans, then the EF
    assert len(limits) == 5 and len(ef_limits) == 1
    assert all(x is not None and 0 < x < 600 for x in limits + ef_limits)
    assert limits == sorted(limits, reverse=True) and ef_limits[0] <= limits[-1]


def test_stochastic_summary_prints_the_gap_beside_the_stop_reason() -> None:
    """Item 17: "stopped: time limit" with the 17.9% gap only in --json."""
    from optimizer.stochastic.result import TwoStagePlan

    r = TwoStagePlan(
        instance_name="x",
        objective_kind="profit",
        method="ef",
        status="time_limit",
        first_stage_periods=[1],
        scenario_names=["a"],
        probabilities=[1.0],
    )
    r.expected_objective_usd = 148.4e9
    r.objective_usd = 148.4e9
    r.mip_gap = 0.179
    r.stopped_because = "time limit"
    assert "stopped: time limit (gap 17.9%)" in r.summary().splitlines()


def test_ctrl_c_in_the_two_stage_solve_stops_the_replan_process(monkeypatch) -> None:
    """Item 13: Ctrl-C during the EF solve waited for the re-plan process (~35 s on the
    reference): the pool's exit joined it. Now the pool is stopped at once: its process
    is gone when the KeyboardInterrupt leaves solve()."""
    from optimizer.stochastic import engine

    stopped: list[list[bool]] = []
    real_stop = engine.stop_pool

    def gone(p) -> bool:  # type: ignore[no-untyped-def]
        # Exited, or reaped by someone else in this process (its exit code then unknown
        # to this handle: a pid that no longer exists is gone all the same).
        if p.exitcode is not None:
            return True
        try:
            os.kill(p.pid, 0)
        except ProcessLookupError:
            return True
        return False

    def recording_stop(pool):  # type: ignore[no-untyped-def]
        procs = list((getattr(pool, "_processes", None) or {}).values())
        real_stop(pool)
        stopped.append([gone(p) for p in procs])

    def interrupted_ef(models, **kw):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "stop_pool", recording_stop)
    monkeypatch.setattr(engine, "_solve_ef", interrupted_ef)
    doc, table = _newsvendor()
    with pytest.raises(KeyboardInterrupt):
        engine.solve(doc, table, mip_gap=0, parallel=True)
    assert len(stopped) == 1 and stopped[0] and all(stopped[0])


def test_stochastic_time_limit_zero_says_no_plan_within_the_limit(tmp_path: Path) -> None:
    """With nothing left of the budget no re-plan starts, and the answer says so: not
    "infeasible" (exit 1, the reason on stderr)."""
    from conftest import run_cli

    doc, table = _newsvendor()
    (tmp_path / "nv.json").write_text(json.dumps(doc))
    table.to_csv(tmp_path / "nv.csv", index=False)
    res = run_cli(
        ["stochastic", "nv.json", "--scenarios", "nv.csv", "--time-limit", "0", "--no-write"],
        tmp_path,
    )
    assert res.returncode == 1, res.stderr
    assert (
        "no plan: time_limit: 2 scenario(s) found no plan on their own within the time "
        "limit ('low', 'high'); raise --time-limit"
    ) in res.stderr
    assert "infeasible" not in res.stderr


# ----------------------------------------------- 18. the diagnosis within the time cap
def test_the_diagnosis_gets_only_what_is_left_of_the_time_limit(monkeypatch) -> None:
    """Item 18: the diagnosis's HiGHS limit was worked out before the elastic copy was
    built (seconds on a large model), so the run overshot --time-limit by that much. The
    copy is made slow here (0.3 s); HiGHS must get at most what is left after it.

    By hand: 20 existing g1 units need 20 rack positions; the site has 10, so the
    diagnosis is "+10" positions."""
    import pyomo.environ as pyo

    from optimizer.planning.planner import Planner
    from optimizer.solver import diagnose as diag

    limits: list[float | None] = []

    class RecordingSession(diag.HighsSession):  # type: ignore[misc,name-defined]
        def __init__(self, *args, **kw):  # type: ignore[no-untyped-def]
            limits.append(kw.get("time_limit"))
            super().__init__(*args, **kw)

    real_clone = pyo.ConcreteModel.clone

    def slow_clone(self, *args, **kw):  # type: ignore[no-untyped-def]
        time.sleep(0.3)
        return real_clone(self, *args, **kw)

    monkeypatch.setattr(diag, "HighsSession", RecordingSession)
    monkeypatch.setattr(pyo.ConcreteModel, "clone", slow_clone)
    doc = base()
    doc["hardware"][0]["existing_units"] = 20
    import optimizer

    plan = Planner(optimizer.load_instance(doc), optimizer.SolveOptions(time_limit=600)).solve()
    assert plan.status == "infeasible"
    assert list(plan.diagnosis["relax_by"]) == [pytest.approx(10.0)]
    assert len(limits) == 1 and limits[0] is not None
    assert limits[0] <= 600 - 0.3


def test_no_diagnosis_is_started_after_the_deadline() -> None:
    import optimizer
    from optimizer.planning.planner import Planner
    from optimizer.solver.diagnose import diagnose

    doc = base()
    doc["hardware"][0]["existing_units"] = 20
    planner = Planner(optimizer.load_instance(doc))
    assert planner.solve().status == "infeasible"
    late = diagnose(planner.model, planner.instance, deadline=time.monotonic() - 1.0)
    assert late.empty
    assert not diagnose(planner.model, planner.instance, deadline=time.monotonic() + 600).empty


def test_ctrl_c_stops_a_decomposition_block_solve_in_highs() -> None:
    """Item 13: the two-stage proof's block solves ran ``h.run()`` with no Python
    callback, so a Ctrl-C waited for the block's MILP (up to its limit). Now HiGHS is
    interrupted: the status says so (not "time limit": the MILP below runs to its 20 s
    limit, 2% from optimal, when left alone) and the KeyboardInterrupt follows."""
    import threading

    import highspy
    import numpy as np

    from optimizer.stochastic.decompose import _interruptible_run

    n, m = 400, 20  # a random multi-knapsack HiGHS does not close in 20 s
    rng = np.random.default_rng(0)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = rng.integers(1, 100, n).astype(float)
    lp.col_lower_, lp.col_upper_ = np.zeros(n), np.full(n, 10.0)
    lp.row_lower_, lp.row_upper_ = np.full(m, -highspy.kHighsInf), np.full(m, 1000.0)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.arange(0, m * n + 1, n)
    lp.a_matrix_.index_ = np.tile(np.arange(n), m)
    lp.a_matrix_.value_ = rng.integers(1, 100, (m, n)).astype(float).ravel()
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    lp.sense_ = highspy.ObjSense.kMaximize
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("time_limit", 20.0)
    h.passModel(lp)
    # Python's usual Ctrl-C, whatever a test run before in this process left (a pool
    # worker's start-up, run in-process by another test, ignores SIGINT).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            _interruptible_run(h)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert h.getModelStatus() == highspy.HighsModelStatus.kInterrupt


def test_a_two_stage_plan_stands_when_only_wait_and_see_replans_ran_out_of_time(
    monkeypatch,
) -> None:
    """Item 17: under one budget, the re-plans beside the extensive form may run out of
    time. The two-stage plan is still the answer (the newsvendor's hand-derived 50 units,
    576,800 USD); only the figures that need those re-plans (WS, EVPI, that scenario's
    regret) are unknown, and the message says why. The re-plan process runs in-process
    here so that one scenario's wait-and-see re-plan can be made to time out."""
    import concurrent.futures
    import math

    from optimizer.stochastic import engine

    from conftest import MTOK_PER_UNIT_YEAR as A

    class InlinePool:
        def __init__(self, *args, **kw):  # type: ignore[no-untyped-def]
            pass

        def submit(self, fn, *args):  # type: ignore[no-untyped-def]
            future: concurrent.futures.Future = concurrent.futures.Future()
            future.set_result(fn(*args))
            return future

        def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
            pass

    real_replan = engine.replan

    def replan_high_alone_times_out(planner, inst, fixed, periods):  # type: ignore[no-untyped-def]
        if fixed is None and inst.tiers[0].demand_mtok > 100 * A:  # "high", wait and see
            return engine._timed_out(inst, None)
        return real_replan(planner, inst, fixed, periods)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", InlinePool)
    monkeypatch.setattr(engine, "replan", replan_high_alone_times_out)
    doc, table = _newsvendor()
    r = engine.solve(doc, table, mip_gap=0, parallel=True)
    assert r.status == "optimal"
    assert r.first_stage_units() == {("g1", 1): 50}
    assert r.objective_usd == pytest.approx(576_800, abs=1e-3)
    assert r.ws_usd is None and r.evpi_usd is None
    regret = dict(zip(r.scenarios["scenario"], r.scenarios["regret_usd"], strict=True))
    assert regret["low"] == pytest.approx(0.0, abs=1e-3)
    assert regret["high"] is None or math.isnan(regret["high"])
    assert r.message.startswith("1 scenario(s) found no plan on their own within the time limit")
