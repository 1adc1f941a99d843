"""The shipped results are what the tool writes today: regenerate them and compare.

``results/regenerate.py`` is the one command that writes them; here it writes into a
temporary folder (text files only; charts are not compared byte for byte) and every
committed text file must come back identical. Timings are not in these files (they go to
``run.json``, never committed), so a stale or hand-edited file is the only way to fail.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from conftest import REPO

TEXT_SUFFIXES = (".json", ".csv", ".md")


def _regenerate_module() -> object:
    spec = importlib.util.spec_from_file_location("regenerate", REPO / "results" / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_results_regenerate_identically(tmp_path: Path) -> None:
    regen = _regenerate_module()
    folders = regen.regenerate(tmp_path, charts=False, slow=True)  # type: ignore[attr-defined]
    compared = 0
    for folder in folders:
        shipped = REPO / "results" / folder.name
        committed = sorted(
            p for p in shipped.iterdir() if p.suffix in TEXT_SUFFIXES and p.name != "run.json"
        )
        assert committed, f"no shipped files in {shipped}"
        written = {p.name for p in folder.iterdir()}
        # Everything shipped is regenerated, and run.json (timings) is written but not shipped.
        assert {p.name for p in committed} <= written
        assert "run.json" in written
        for path in committed:
            fresh = (folder / path.name).read_text(encoding="utf-8")
            assert fresh == path.read_text(encoding="utf-8"), (
                f"results/{folder.name}/{path.name} is stale: run `python results/regenerate.py`"
            )
            compared += 1
    # toy, site and gtc plan files (5 each and a manifest), the three comparison files and
    # the two-stage result's five files (about a minute of the test's time).
    assert compared == 3 * 6 + 3 + 5


def test_run_files_are_ignored_by_git() -> None:
    import subprocess

    for path in ("results/toy/run.json", "results/frontiers/reference-2026.csv"):
        res = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, capture_output=True)
        assert res.returncode == 0, f"{path} must be ignored by git (.gitignore)"


def test_plan_files_hold_no_timings(tmp_path: Path) -> None:
    import json

    from optimizer import solve
    from optimizer.results.write import write_plan

    files = write_plan(solve(REPO / "instances" / "toy.yaml"), tmp_path)
    assert (tmp_path / "run.json") in files
    plan = json.loads((tmp_path / "plan.json").read_text())
    run = json.loads((tmp_path / "run.json").read_text())
    assert "timings_s" not in plan and run["timings_s"]["solve"] >= 0
    assert "seconds" not in (tmp_path / "summary.md").read_text()
