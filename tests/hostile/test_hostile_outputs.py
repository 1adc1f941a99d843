"""What the planner writes and reads back, under hostile or unlucky conditions (issue 20,
items 9-12 and 14): result folders, report workbooks, the sweep journal, ``--out``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hostile_helpers import error_lines

from conftest import base, frontier
from conftest import run_cli as _run


# ------------------------------------------------ 9, 10. report of a results folder
@pytest.fixture(scope="module")
def solved_starter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``optimizer init my-site.yaml && optimizer solve my-site.yaml``: the instance is
    not at instances/<name>.yaml."""
    work = tmp_path_factory.mktemp("starter")
    assert _run(["init", "my-site.yaml"], work).returncode == 0
    res = _run(["solve", "my-site.yaml", "-q"], work)
    assert res.returncode == 0, res.stderr
    return work


def _copy(solved: Path, tmp_path: Path) -> Path:
    shutil.copytree(solved, tmp_path / "w")
    return tmp_path / "w"


def test_report_of_a_folder_whose_instance_is_not_under_instances(
    solved_starter: Path, tmp_path: Path
) -> None:
    """Item 9: a KeyError traceback ('facility_mw' not in index). ``solve`` now records the
    instance file in run.json and the report reads it: the assumptions are there."""
    work = _copy(solved_starter, tmp_path)
    folder = work / "results" / "starter-100mw"
    assert json.loads((folder / "run.json").read_text())["instance_file"] == "../../my-site.yaml"
    res = _run(["report", str(folder)], work)
    assert res.returncode == 0, res.stderr
    page = (folder / "report.html").read_text()
    assert "my-site.yaml" in page  # the assumptions section names the instance file


def test_report_of_a_folder_whose_instance_is_gone(solved_starter: Path, tmp_path: Path) -> None:
    """Item 9, no instance at all: the report renders what the folder holds."""
    work = _copy(solved_starter, tmp_path)
    (work / "my-site.yaml").unlink()
    folder = work / "results" / "starter-100mw"
    res = _run(["report", str(folder)], work)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert (folder / "report.html").stat().st_size > 10_000


def test_report_refuses_a_folder_without_manifest(solved_starter: Path, tmp_path: Path) -> None:
    """Item 10: an interrupted write (no manifest.json) was rendered with no warning."""
    work = _copy(solved_starter, tmp_path)
    folder = work / "results" / "starter-100mw"
    (folder / "manifest.json").unlink()
    lines = error_lines(_run(["report", str(folder)], work), 2)
    assert lines[0] == (
        f"error: {folder}: incomplete (no manifest.json: a write was interrupted, "
        "or not a plan folder)"
    )
    assert not (folder / "report.html").exists()


def test_report_refuses_a_mix_of_two_runs(solved_starter: Path, tmp_path: Path) -> None:
    work = _copy(solved_starter, tmp_path)
    folder = work / "results" / "starter-100mw"
    buy = folder / "buy.csv"
    buy.write_text(buy.read_text() + "\n")  # another run's file
    lines = error_lines(_run(["report", str(folder)], work), 2)
    assert lines[0] == f"error: {folder}/buy.csv: not the file manifest.json lists (another run's?)"


# ---------------------------------------------------------- 11. formula injection
def _formula_instance(tmp_path: Path) -> Path:
    doc = base()
    doc["name"] = "=cmd"
    doc["hardware"][0]["id"] = "=1+2"
    doc["tiers"][0]["id"] = '=HYPERLINK("http://example.invalid","click")'
    doc["frontiers"] = frontier("=1+2")
    path = tmp_path / "i.json"
    path.write_text(json.dumps(doc))
    return path


def test_ids_that_look_like_formulas_are_text_in_the_workbook_and_csvs(tmp_path: Path) -> None:
    """Item 11: openpyxl stored ``=1+2`` as a live formula; the CSVs held it bare."""
    openpyxl = pytest.importorskip("openpyxl")
    _formula_instance(tmp_path)
    assert _run(["solve", "i.json", "-q", "--out", "out"], tmp_path).returncode == 0
    buy = (tmp_path / "out" / "buy.csv").read_text().splitlines()
    assert buy == ["hardware,period,units", "'=1+2,1,10"]  # 10 units fill the 10 positions
    sold = (tmp_path / "out" / "sold.csv").read_text()
    assert "\"'=HYPERLINK(" in sold
    res = _run(["report", "out", "--xlsx"], tmp_path)
    assert res.returncode == 0, res.stderr
    wb = openpyxl.load_workbook(tmp_path / "out" / "report.xlsx")
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    # The report read the CSVs back exactly: the ids, not the escaped cells.
    assert "=1+2" in texts and "'=1+2" not in texts


def test_csv_escaping_reads_back_exactly() -> None:
    import pandas as pd

    from optimizer.results.write import csv_text, read_csv_cells

    df = pd.DataFrame({"id": ["=1+2", "+x", "-y", "@z", "'quoted", "plain", "a=b"], "n": range(7)})
    text = csv_text(df)
    assert text.splitlines()[1:] == [
        "'=1+2,0",
        "'+x,1",
        "'-y,2",
        "'@z,3",
        "''quoted,4",
        "plain,5",
        "a=b,6",
    ]
    import io

    assert read_csv_cells(pd.read_csv(io.StringIO(text))).equals(df)


# ------------------------------------------------------------- 14. --out in the way
def test_solve_out_onto_a_file_is_bad_input_before_solving(tmp_path: Path) -> None:
    """Item 14: ``solve --out /etc/passwd`` solved, printed the plan, then exited 1."""
    (tmp_path / "i.json").write_text(json.dumps(base()))
    in_the_way = tmp_path / "passwd"
    in_the_way.write_text("root:x:0:0\n")
    res = _run(["solve", "i.json", "--out", str(in_the_way)], tmp_path)
    assert error_lines(res, 1) == [f"error: --out {in_the_way}: is a file, not a folder"]
    assert res.stdout == ""  # nothing solved, nothing printed
    res = _run(["solve", "i.json", "--out", str(in_the_way / "sub")], tmp_path)
    assert error_lines(res, 1) == [
        f"error: --out {in_the_way / 'sub'}: {in_the_way} is a file, not a folder"
    ]
    assert in_the_way.read_text() == "root:x:0:0\n"
    res = _run(["report", "i.json", "--out", str(in_the_way)], tmp_path)
    assert error_lines(res, 1) == [f"error: --out {in_the_way}: is a file, not a folder"]
    # --no-write never writes: --out is not looked at.
    assert (
        _run(["solve", "i.json", "-q", "--no-write", "--out", str(in_the_way)], tmp_path).returncode
        == 0
    )


# -------------------------------------------------------- 12. a damaged sweep journal
def test_resume_survives_a_damaged_journal_and_drops_junk_rows(tmp_path: Path) -> None:
    """Item 12: invalid UTF-8, ``null``, ``1.5e400``, a row without fields crashed
    ``--resume``; a junk row of valid shape was kept in the table.

    By hand: one g1 unit per rack position sells 31,536 Mtok at $1, so racks 2, 5, 10
    give 63,072, 157,680 and 315,360 USD."""
    import pandas as pd

    (tmp_path / "i.json").write_text(json.dumps(base()))
    cmd = ["sweep", "i.json", "--set", "site.rack_positions=2,5,10", "--seed", "1"]
    cmd += ["--workers", "1", "--out", "sw", "-q"]
    assert _run(cmd, tmp_path).returncode == 0
    folder = tmp_path / "sw"
    first = pd.read_csv(folder / "sweep.csv")
    assert list(first["objective_usd"]) == [63072.0, 157680.0, 315360.0]
    # As if stopped after two rows, one of them written over by junk.
    meta = json.loads((folder / "sweep.meta.json").read_text())
    meta["status"] = "stopped"
    (folder / "sweep.meta.json").write_text(json.dumps(meta))
    kept = {k: v for k, v in first.iloc[2].to_dict().items() if v == v}
    kept["seconds"] = 12345.0  # marks the row as read from the journal, not solved again
    junk = {"scenario": 0, "status": "optimal", "seconds": 1.0, "objective_usd": 1e99}
    junk["site.rack_positions"] = 999.0  # not scenario 0's input
    lines = [
        b"\xff\xfe not utf-8",
        b"null",
        b"1.5e400",
        b"{}",
        b'{"scenario": 1}',
        b'{"scenario": 1.5e400, "status": "optimal", "seconds": 1}',
        b'{"scenario": "x", "status": "optimal", "seconds": 1}',
        b'{"scenario": 7, "status": "optimal", "seconds": 1}',
        json.dumps(junk).encode(),
        json.dumps(kept).encode(),
        b'{"scenario": 0, "status": "opt',  # cut short
    ]
    (folder / "sweep.rows.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    res = _run([*cmd[:-1], "--resume"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert "10 line(s) are not rows of this sweep" in res.stderr
    again = pd.read_csv(folder / "sweep.csv")
    assert list(again["objective_usd"]) == [63072.0, 157680.0, 315360.0]
    assert list(again["seconds"] == 12345.0) == [False, False, True]
