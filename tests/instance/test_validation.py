"""One validation path: loading's cross-checks on every change, every stage's errors at once."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from optimizer import InputError, load_instance

from conftest import base, run_cli


# ------------------------------------------------------------------ one validation path
def test_with_changes_runs_the_cross_checks_of_loading() -> None:
    inst = load_instance(base())
    with pytest.raises(InputError) as info:
        inst.with_changes(hardware=[*inst.hardware, inst.hardware[0]])
    assert info.value.problems == ["hardware[1].id: duplicate id 'g1' (also hardware[0])"]
    with pytest.raises(InputError, match=r"site\.power_mw: must be >= 0"):
        inst.with_changes(site={**inst.site.model_dump(), "power_mw": -1})
    ok = inst.with_changes(site={**inst.site.model_dump(), "power_mw": 2})
    assert ok.site.power_mw == 2 and ok.base_dir == inst.base_dir


# ------------------------------------------------------------- every stage's errors at once
def _bad_doc() -> dict:
    doc = base()
    doc["tiers"][0]["min_interactivity"] = 0  # schema
    doc["hardware"].append(copy.deepcopy(doc["hardware"][0]))  # cross-check: duplicate id
    doc["frontiers"] = "missing-table.csv"  # frontier files
    return doc


def test_schema_cross_check_and_frontier_problems_come_together(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_instance(_bad_doc(), base_dir=tmp_path)
    text = "\n".join(info.value.problems)
    assert "tiers[0].min_interactivity: must be > 0" in text
    assert "hardware[1].id: duplicate id 'g1'" in text
    assert "missing-table.csv" in text and "not found" in text
    assert len(info.value.problems) == 3


def test_cli_prints_every_stage_in_one_run(tmp_path: Path) -> None:
    import yaml

    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(_bad_doc()))
    res = run_cli(["solve", "bad.yaml", "--no-write"], tmp_path)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("error: ") for line in lines), res.stderr


def test_a_refused_required_key_does_not_invent_later_problems() -> None:
    doc = base()
    del doc["tiers"][0]["id"]
    doc["hardware"].append(copy.deepcopy(doc["hardware"][0]))
    with pytest.raises(InputError) as info:
        load_instance(doc)
    assert info.value.problems == [
        "tiers[0].id: required key is missing",
        "hardware[1].id: duplicate id 'g1' (also hardware[0])",
    ]
