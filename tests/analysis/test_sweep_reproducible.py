"""Reproducible sweeps: the same rows on any number of workers, a record of how they were
made, every bad input before solving, and a sweep that can be stopped and resumed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from optimizer import InputError, load_instance
from optimizer.sweep import build_scenarios, parse_set, run_sweep
from optimizer.sweep import run as sweep_run

from conftest import REPO, TOY, base, frontier, run_cli

META_NAME = "sweep.meta.json"  # optimizer.sweep.record's names, written out: what users read
JOURNAL_NAME = "sweep.rows.jsonl"
TIMING_COLUMNS = ("seconds", "solver_s")

SITE = REPO / "instances" / "site-2026-2030.yaml"
# A real MILP (the 200 MW site): on the old code, the rows of these six scenarios
# depended on what the same worker had solved before (3 of 6 differed between one
# and two workers, in the last digits of objective, gap, Mtok and marginal values).
SITE_SETS = ["site.power_mw=scale(x0.7,x1.3)", "tiers[r1-fast].price_usd_per_mtok=scale(x0.5,x1.5)"]


def _plan_columns(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in TIMING_COLUMNS if c in table])


def test_same_seed_same_rows_on_one_and_two_workers_twice() -> None:
    inst = load_instance(SITE)
    scenarios = build_scenarios(inst, [parse_set(s) for s in SITE_SETS], samples=6, seed=11)
    tables = [_plan_columns(run_sweep(inst, scenarios, workers=w).table) for w in (1, 2, 1, 2)]
    assert (tables[0]["status"] == "optimal").all()
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], other, check_exact=True)


def test_a_coefficient_crossing_zero_leaves_the_solver_model_as_a_fresh_build() -> None:
    # HiGHS drops a matrix entry set to 0 and re-adds it at the end of its column; the
    # planner hands HiGHS a fresh copy when that happens, so the model it solves is the
    # one a fresh build gives (on the old code the column order differed).
    from optimizer import Planner, SolveOptions

    inst = load_instance(TOY)
    hw = [h.model_dump() for h in inst.hardware]
    hw[0]["rack_positions"] = 0.0
    zeroed = inst.with_changes(hardware=hw)
    planner = Planner(inst, SolveOptions(marginals=False))
    planner.solve()
    assert planner.update(zeroed) is False  # in place
    planner.solve()
    assert planner.update(inst) is False
    planner.solve()
    fresh = Planner(inst, SolveOptions(marginals=False))
    fresh.solve()
    a, b = planner.session.highs.getLp(), fresh.session.highs.getLp()
    assert list(a.a_matrix_.index_) == list(b.a_matrix_.index_)
    assert list(a.a_matrix_.value_) == list(b.a_matrix_.value_)


def _two_period_doc() -> dict:
    doc = base()
    doc["periods"] = [2027, 2028]
    doc["hardware"].append(
        {"id": "g2", "gpus_per_unit": 1, "power_kw": 1, "rack_positions": 1, "capex_usd": 0}
    )
    doc["frontiers"] = frontier("g1") + frontier("g2", tok=2000.0)
    return doc


def test_period_label_keys_take_period_labels() -> None:
    # g2 makes twice g1's tokens (2,000 tok/s/GPU = 63,072 Mtok per unit-year). Land
    # holds 10 units (10 rack positions; power allows 1,000). On sale from 2027: 10 g2 in
    # both periods, 2 * 10 * 63,072 = 1,261,440 USD at $1/Mtok. From 2028: 2027 can
    # only have g1 (10 * 31,536) and 2028 then holds 10 units of one kind, either the
    # same g1 (bought for life) or g2 bought then: 315,360 + 315,360 = 630,720 either way.
    inst = load_instance(_two_period_doc())
    scenarios = build_scenarios(inst, [parse_set("hardware[g2].available_from=2027,2028")])
    assert [list(s.values()) for s in scenarios] == [[2027], [2028]]  # periods, not 2027.0
    table = run_sweep(inst, scenarios, workers=1).table.set_index("scenario")
    assert list(table["status"]) == ["optimal", "optimal"]
    assert list(table["hardware[g2].available_from"]) == [2027, 2028]
    assert table.loc[0, "objective_usd"] == pytest.approx(2 * 10 * 63_072.0)
    assert table.loc[1, "objective_usd"] == pytest.approx(2 * 10 * 31_536.0)


def test_every_bad_key_and_value_is_reported_at_once() -> None:
    inst = load_instance(_two_period_doc())
    sets = [
        parse_set("site.powr=1,2"),
        parse_set("site.power_mw=-1,2"),
        parse_set("hardware[g2].available_from=2027,2031"),
        parse_set("tiers[t].min_interactivity=uniform(0,5)"),
    ]
    with pytest.raises(InputError) as info:
        build_scenarios(inst, sets, samples=3, seed=1)
    text = "\n".join(info.value.problems)
    assert "no key 'powr'" in text
    assert "site.power_mw=-1" in text and "must be >= 0" in text
    assert "'2031' is not one of periods" in text
    assert "min_interactivity=0" in text  # the lower end of the draws is refused
    assert len(info.value.problems) == 4


def test_cli_reports_problems_of_every_input_together(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    res = run_cli(
        [
            "sweep",
            str(TOY),
            "--set",
            "site.powr=1",
            "--set",
            "site.power_mw=oops",
            "--out",
            "afile",
        ],
        tmp_path,
    )
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert any("'oops' is not a number" in line for line in lines)
    assert any("no key 'powr'" in line for line in lines)
    assert any("--out afile: is a file, not a folder" in line for line in lines)
    assert "Traceback" not in res.stderr


def test_out_that_is_a_file_is_refused_before_solving(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("keep me")
    t0 = time.perf_counter()
    res = run_cli(["sweep", str(TOY), "--set", "site.power_mw=8,9", "--out", "afile"], tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == ["error: --out afile: is a file, not a folder"]
    assert (tmp_path / "afile").read_text() == "keep me"
    # Below a file too (cannot be created): refused, nothing solved.
    res = run_cli(["sweep", str(TOY), "--set", "site.power_mw=8", "--out", "afile/sub"], tmp_path)
    assert res.returncode == 2 and "afile is a file" in res.stderr
    assert time.perf_counter() - t0 < 60


def test_meta_records_seed_command_and_version_and_the_seed_repeats_the_sweep(
    tmp_path: Path,
) -> None:
    args = ["sweep", str(TOY), "--set", "site.power_mw=uniform(8,12)", "--samples", "3"]
    res = run_cli([*args, "--workers", "1", "--out", "a", "-q"], tmp_path)
    assert res.returncode == 0, res.stderr
    meta = json.loads((tmp_path / "a" / META_NAME).read_text())
    assert meta["seed_drawn"] is True and isinstance(meta["seed"], int)
    assert meta["command"].startswith("optimizer sweep ") and "--samples 3" in meta["command"]
    assert meta["optimizer_version"] and meta["status"] == "complete"
    assert not (tmp_path / "a" / JOURNAL_NAME).exists()
    res = run_cli(
        [*args, "--seed", str(meta["seed"]), "--workers", "1", "--out", "b", "-q"], tmp_path
    )
    assert res.returncode == 0, res.stderr
    again = json.loads((tmp_path / "b" / META_NAME).read_text())
    assert again["seed_drawn"] is False and again["fingerprint"] == meta["fingerprint"]
    ta = _plan_columns(pd.read_csv(tmp_path / "a" / "sweep.csv"))
    tb = _plan_columns(pd.read_csv(tmp_path / "b" / "sweep.csv"))
    pd.testing.assert_frame_equal(ta, tb, check_exact=True)


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_keeps_finished_rows_exits_130_and_resume_finishes(
    tmp_path: Path, workers: int
) -> None:
    args = [
        sys.executable,
        "-m",
        "optimizer",
        "sweep",
        str(SITE),
        "--set",
        "site.power_mw=100:160:1",  # 61 rows: many still to solve at the Ctrl-C
        "--seed",
        "5",
        "--workers",
        str(workers),
        "--out",
        "out",
        "-q",
    ]
    # Python's usual Ctrl-C in the child, as from a terminal: a child starts with SIGINT
    # ignored if the test process ignores it (an ignored signal stays so across exec).
    proc = subprocess.Popen(
        args,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    journal = tmp_path / "out" / JOURNAL_NAME
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and len(journal.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    kept = pd.read_csv(tmp_path / "out" / "sweep.csv")
    meta = json.loads((tmp_path / "out" / META_NAME).read_text())
    assert meta["status"] == "stopped" and 2 <= len(kept) < 61
    assert (kept["status"] == "optimal").all()  # no half-done solve recorded as a row

    res = run_cli([*args[3:], "--resume"], tmp_path)
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(tmp_path / "out" / "sweep.csv")
    assert list(table["scenario"]) == list(range(61))
    assert json.loads((tmp_path / "out" / META_NAME).read_text())["status"] == "complete"
    # The finished rows were kept as they were, not solved again.
    merged = table.set_index("scenario").loc[kept["scenario"]].reset_index()
    pd.testing.assert_frame_equal(merged[kept.columns], kept, check_exact=True)
    # A different sweep in the same folder is not "resumed".
    other = run_cli([*args[3:-1], "--set", "site.pue=1.1", "--resume"], tmp_path)
    assert other.returncode == 2 and "holds a different sweep" in other.stderr


def test_a_broken_pool_keeps_the_rows_already_finished(monkeypatch) -> None:
    from concurrent.futures.process import BrokenProcessPool

    inst = load_instance(base())
    scenarios = build_scenarios(inst, [parse_set("site.power_mw=0.2,0.4,0.6,0.8")])
    solved_here: list[int] = []
    original = sweep_run._solve_one

    def pool(n, tasks, collect):  # two rows, then it breaks
        for i, _ in tasks.todo[:2]:
            collect({"scenario": i, "status": "optimal", "objective_usd": -1.0})
        raise BrokenProcessPool("a worker died")

    def here(planner, base_inst, structure, index, changes):
        solved_here.append(index)
        return original(planner, base_inst, structure, index, changes)

    monkeypatch.setattr(sweep_run, "_run_pool", pool)
    monkeypatch.setattr(sweep_run, "_solve_one", here)
    result = run_sweep(inst, scenarios, workers=2)
    assert list(result.table["scenario"]) == [0, 1, 2, 3]
    assert list(result.table["objective_usd"][:2]) == [-1.0, -1.0]  # kept, not re-solved
    assert solved_here == [2, 3]
    assert result.notes


def test_a_ctrl_c_while_journaling_never_leaves_a_table_row_the_journal_lacks() -> None:
    # The table written on Ctrl-C must hold only journaled rows: a row the journal lacks
    # would be solved again on --resume, and the kept row would change under the user.
    inst = load_instance(base())
    scenarios = build_scenarios(inst, [parse_set("site.power_mw=0.2,0.4,0.6")])
    journaled: list[int] = []

    def on_row(row: dict) -> None:
        if len(journaled) == 1:
            raise KeyboardInterrupt  # Ctrl-C lands while the second row is journaled
        journaled.append(int(row["scenario"]))

    result = run_sweep(inst, scenarios, workers=1, on_row=on_row)
    assert result.interrupted
    assert list(result.table["scenario"]) == journaled == [0]


def test_a_journal_line_cut_short_does_not_swallow_the_next_row(tmp_path: Path) -> None:
    from optimizer.sweep.record import Journal

    journal = Journal(tmp_path)
    journal.start()
    journal.append({"scenario": 0, "objective_usd": 1.5})
    with journal.path.open("a", encoding="utf-8") as fh:
        fh.write('{"scenario": 1, "objective')  # a process killed mid-line
    journal.append({"scenario": 2, "objective_usd": 2.5})
    assert [r["scenario"] for r in journal.read()] == [0, 2]


def test_one_worker_in_a_process_whose_highs_runs_other_threads_solves_in_a_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HiGHS fixes its thread pool at a process's first solve, and a MIP may end at another of
    its optimal plans with another count: a one-worker sweep in a process whose HiGHS already
    runs with automatic threads (say, after ``optimizer.solve``) is solved in one worker
    process (threads=1), so its rows are those of any number of workers, and it says so."""
    from optimizer.solver import highs

    inst = load_instance(base())
    scenarios = build_scenarios(inst, [parse_set("site.power_mw=0.2,0.6")])
    monkeypatch.setitem(highs._PROCESS_THREADS, "n", 0)  # as after a solve with threads=None
    here = run_sweep(inst, scenarios, workers=1)
    assert any("one worker process" in n for n in here.notes)
    two = run_sweep(inst, scenarios, workers=2)
    pd.testing.assert_frame_equal(
        _plan_columns(here.table), _plan_columns(two.table), check_exact=True
    )


def test_a_unit_one_row_did_not_buy_is_zero_in_that_row_not_blank() -> None:
    """Rows list what they bought: in the table a unit that only another row bought is 0 for
    a solved row (whole numbers whichever rows finished first, so a resumed sweep's CSV reads
    back as the straight run's) and stays blank for a row with no plan."""
    rows = [
        {"scenario": 1, "status": "optimal", "objective_usd": 5.0, "bought[a,2026]": 3},
        {"scenario": 0, "status": "optimal", "objective_usd": 4.0, "units_bought[b]": 2},
        {"scenario": 2, "status": "infeasible", "objective_usd": None},
    ]
    table = sweep_run.rows_table(rows)
    assert list(table["scenario"]) == [0, 1, 2]
    assert table["bought[a,2026]"].tolist()[:2] == [0, 3]
    assert table["units_bought[b]"].tolist()[:2] == [2, 0]
    assert table.loc[2, ["bought[a,2026]", "units_bought[b]"]].isna().all()
    solved = sweep_run.rows_table(rows[:2])
    assert solved["bought[a,2026]"].dtype == "int64" and solved["units_bought[b]"].dtype == "int64"
