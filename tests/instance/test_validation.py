"""One validation path, every stage's errors at once, warnings a user sees, no nan."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from rich.console import Console

from optimizer import InputError, Planner, load_instance, solve
from optimizer.model.build import build_model, update_model
from optimizer.model.data import ModelData

from conftest import TOY, base, run_cli


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


def _model_data(doc: dict) -> ModelData:
    from optimizer.frontiers.coefficients import compute_coefficients
    from optimizer.frontiers.table import read_frontier_table

    inst = load_instance(doc)
    return ModelData.from_instance(
        inst, compute_coefficients(read_frontier_table(inst), inst), inst.objective
    )


def test_one_parameter_list_builds_and_updates_every_parameter() -> None:
    import pyomo.environ as pyo

    from optimizer.model.build import parameter_values

    d1 = _model_data(base(capex_budget_usd=5e5))
    d2 = _model_data(base(power_mw=3.0, rack_positions=7, capex_budget_usd=1e6))
    m = build_model(d1)
    params = {p.local_name for p in m.component_objects(pyo.Param)}
    assert params == set(parameter_values(d1))  # the list is the model's parameters
    update_model(m, d2)
    fresh = build_model(d2)
    for name in params:
        got = getattr(m, name).extract_values()
        want = getattr(fresh, name).extract_values()
        assert got == want, name


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


# ------------------------------------------------------------------------- warnings
def _unservable() -> dict:
    doc = base()
    doc["tiers"].append(
        {
            "id": "fast",
            "model": "m",
            "context_tokens": 8192,
            "price_usd_per_mtok": 5.0,
            "min_interactivity": 500,  # the table stops at 100 tok/s/user
        }
    )
    return doc


def test_a_tier_no_hardware_can_serve_is_a_warning_everywhere() -> None:
    from optimizer.results.report import render, summary_markdown

    plan = solve(_unservable())
    assert plan.status == "optimal"
    assert len(plan.warnings) == 1
    assert "tiers[1] 'fast'" in plan.warnings[0] and "no hardware can serve it" in plan.warnings[0]
    assert plan.to_dict()["warnings"] == plan.warnings
    assert "## Warnings" in summary_markdown(plan) and plan.warnings[0] in summary_markdown(plan)
    console = Console(width=400, record=True)
    console.print(render(plan))
    assert "warning: " + plan.warnings[0] in console.export_text()
    assert solve(base()).warnings == []  # and nothing when every tier is served


# ---------------------------------------------------------------------------- no nan
def test_no_nan_in_summary_console_or_compare() -> None:
    from optimizer.analysis.compare import compare
    from optimizer.cli.analysis_cmd import compare_markdown
    from optimizer.results.report import render, summary_markdown

    plan = solve(TOY)  # no capex budget: the budget rows have no cap
    assert plan.resources["cap"].isna().any()
    console = Console(width=200, record=True)
    console.print(render(plan))
    for text in (summary_markdown(plan), console.export_text()):
        # "nan" as a word: "finance" and "nanos" are not missing numbers
        assert not re.search(r"\bnan\b", text.lower())
    inst = load_instance(_unservable())
    result = compare(inst)
    md = compare_markdown(inst.name, result, None)
    assert "nan" not in md.lower()


def test_compare_names_its_default_split_for_what_it_is() -> None:
    from optimizer.analysis.compare import compare

    doc = base()
    doc["tiers"].append({**doc["tiers"][0], "id": "t2", "price_usd_per_mtok": 2.0})
    plans = list(compare(load_instance(doc)).table["plan"])
    assert "split equal shares (50% each)" in plans
    assert not any("keynote" in p for p in plans)
    given = compare(load_instance(doc), split={"t": 0.25, "t2": 0.75}).table["plan"]
    assert "split t=0.25,t2=0.75" in list(given)


def test_planner_exposes_warnings_of_the_current_instance() -> None:
    planner = Planner(load_instance(base()), marginals=False)
    assert planner.solve().warnings == []
    planner.update(load_instance(_unservable()))
    assert planner.solve().warnings  # the new tier, which nothing can serve
