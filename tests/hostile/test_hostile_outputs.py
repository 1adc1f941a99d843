"""What the planner writes and reads back, under hostile or unlucky conditions (issue 20,
items 9-12 and 14): result folders, report workbooks, the sweep journal, ``--out``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hostile_helpers import error_lines

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
