"""The result schema (optimizer/result_schema.py): the tables a Plan carries, the result JSON
built from it and read back by Plan.from_dict, its docs and its JSON Schema."""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from optimizer import solve
from optimizer.errors import InputError
from optimizer.result_schema import (
    FINANCE_TABLES,
    PLAN_TABLES,
    RESULT_FIELDS,
    result_json_schema,
    result_json_schema_text,
    tables_markdown,
)
from optimizer.results.plan import Plan

from conftest import REPO, base

PEAK_NIGHT = [{"id": "peak", "hours_share": 0.5}, {"id": "night", "hours_share": 0.5}]


def _sliced_doc() -> dict[str, Any]:
    """The micro instance (10 units of g1, each 31,536 Mtok a year at 10 tok/s/user) with a
    peak and a night of half the hours each; one tier, chat at $1/Mtok, wants 100,000 Mtok,
    all at the peak. 10 units make 157,680 Mtok at the peak, so chat sells its 100,000:
    revenue $100,000 (the revenue objective: no costs)."""
    doc = base()
    doc["time_slices"] = copy.deepcopy(PEAK_NIGHT)
    doc["tiers"][0]["demand_mtok"] = 100_000
    doc["tiers"][0]["demand_profile"] = {"peak": 1.0, "night": 0.0}
    return doc


def _infeasible_doc() -> dict[str, Any]:
    """1,200 existing g1 units of 1 kW draw 1.2 MW against a 1 MW cap: infeasible."""
    doc = base(rack_positions=2_000)
    doc["hardware"][0]["existing_units"] = 1_200
    return doc


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {
        "toy": solve(REPO / "instances" / "toy.yaml", marginals=True),
        "site": solve(REPO / "instances" / "site-2026-2030.yaml", marginals=True),
        "least-cost": solve(REPO / "instances" / "least-cost-forecast.yaml", marginals=True),
        "sliced": solve(_sliced_doc(), marginals=True),
        "infeasible": solve(_infeasible_doc()),
    }


def test_the_cases_are_the_plans_worked_out_by_hand(plans: dict[str, Plan]) -> None:
    """The toy's optimum is $363,294,720 (results/toy); the sliced micro instance earns
    $100,000 from 100,000 Mtok sold at the peak; the infeasible one has no plan."""
    assert plans["toy"].objective_usd == pytest.approx(363_294_720.0, rel=1e-9)
    sliced = plans["sliced"]
    assert sliced.objective_usd == pytest.approx(100_000.0, rel=1e-9)
    assert sliced.sold.set_index("slice")["mtok"].to_dict() == pytest.approx(
        {"peak": 100_000.0, "night": 0.0}
    )
    assert plans["infeasible"].status == "infeasible" and not plans["infeasible"].has_solution


@pytest.mark.parametrize("case", ["toy", "site", "least-cost", "sliced", "infeasible"])
def test_from_dict_reads_back_what_to_dict_wrote(plans: dict[str, Plan], case: str) -> None:
    doc = plans[case].to_dict()
    back = Plan.from_dict(json.loads(json.dumps(doc)))
    assert back.to_dict() == doc
    assert json.dumps(back.to_dict()) == json.dumps(doc)  # the same text: ints stay ints


def test_a_sliced_plan_read_back_keeps_its_per_period_tables(plans: dict[str, Plan]) -> None:
    """hours_share is in the JSON only with time slices: a plan read back weights each
    slice's units by its hours. 100,000 Mtok at the peak take 100,000 / 15,768 = 6.342
    units there (15,768 Mtok per unit in half a year), 3.171 unit-periods over the year."""
    plan = plans["sliced"]
    assert plan.to_dict()["hours_share"] == {"peak": 0.5, "night": 0.5}
    assert "hours_share" not in plans["toy"].to_dict()
    back = Plan.from_dict(plan.to_dict())
    units = back.serve_by_period()["units"].sum()
    assert units == pytest.approx(100_000 / 15_768 / 2, rel=1e-6)


def test_to_dict_writes_the_schema_keys_in_order(plans: dict[str, Plan]) -> None:
    for plan in plans.values():
        keys = list(plan.to_dict())
        expected = [f.key for f in RESULT_FIELDS if f.key in keys]
        assert keys == expected
        assert {f.key for f in RESULT_FIELDS if not f.optional} <= set(keys)


def test_every_table_of_a_plan_has_the_schema_columns(plans: dict[str, Plan]) -> None:
    for case, plan in plans.items():
        for name, table in PLAN_TABLES.items():
            df = getattr(plan, name)
            if df.empty and len(df.columns) == 0:
                continue  # not computed (marginal values of an infeasible plan)
            assert list(df.columns) == table.names(df.columns), (case, name)
        if plan.finance is not None:
            for name, table in FINANCE_TABLES.items():
                assert list(getattr(plan.finance, name).columns) == table.names(), name


def test_results_validate_against_the_shipped_json_schema(plans: dict[str, Plan]) -> None:
    shipped = (REPO / "docs" / "result.schema.json").read_text()
    assert shipped == result_json_schema_text(), (
        "docs/result.schema.json is stale: python -m optimizer.result_schema json > "
        "docs/result.schema.json"
    )
    schema = result_json_schema()
    for plan in plans.values():
        jsonschema.validate(plan.to_dict(), schema)
    broken = {**plans["toy"].to_dict(), "buy": [{"hardware": "x", "period": 2026}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_format_md_holds_the_generated_tables_and_every_key() -> None:
    text = (REPO / "docs" / "format.md").read_text()
    start = text.index("<!-- result tables: generated by python -m optimizer.result_schema -->")
    end = text.index("<!-- end of result tables -->")
    block = text[start:end].split("\n", 1)[1]
    assert block == tables_markdown(), "python -m optimizer.result_schema: paste into format.md"
    section = text[text.index("## Result JSON") : text.index("## Scenario CSVs")]
    missing = [f.key for f in RESULT_FIELDS if f"`{f.key}`" not in section]
    assert missing == []


def test_from_dict_names_each_bad_key() -> None:
    with pytest.raises(InputError) as err:
        Plan.from_dict({"status": 3, "buy": 5, "diagnosis": [{"a": 1}], "sold": []})
    assert err.value.problems == [
        "result.status: not a text",
        "result.buy: not a list of rows",
        "result.diagnosis: not a list of rows",
    ]
    with pytest.raises(InputError) as err:
        Plan.from_dict(
            {
                "status": "optimal",
                "objective_usd": "a lot",
                "buy": [{"hardware": "g1", "period": 1, "units": 2}, {"units": "many"}],
            }
        )
    assert err.value.problems == [
        "result.objective_usd: not a number ('a lot')",
        "result.buy[1].units: not a number ('many')",
    ]
    with pytest.raises(InputError, match="not a JSON object"):
        Plan.from_dict([])  # type: ignore[arg-type]


def test_a_report_is_built_from_a_saved_result_json(plans: dict[str, Plan], tmp_path: Path):
    """optimizer solve --json > FILE, then optimizer report FILE: nothing is solved, the
    headline is the saved plan's."""
    from optimizer.report.build import build_report, kind_of

    saved = tmp_path / "toy-result.json"
    saved.write_text(plans["toy"].to_json())
    assert kind_of(saved) == ("results", saved)
    rep = build_report(saved)
    assert dict(rep.headline)["status"] == "optimal"
    assert any("363.29M" in v for _, v in rep.headline)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"status": "optimal", "buy": 1, "sold": []}))
    with pytest.raises(InputError) as err:
        build_report(bad)
    assert err.value.problems == [f"{bad}: result.buy: not a list of rows"]
    # A result with no tables at all is still read as a result (its problem named), not
    # as an instance missing 'site', 'hardware', ...
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({"status": "optimal", "objective_usd": "abc"}))
    assert kind_of(bare) == ("results", bare)
    with pytest.raises(InputError) as err:
        build_report(bare)
    assert err.value.problems == [f"{bare}: result.objective_usd: not a number ('abc')"]


def test_results_import_neither_solver_nor_planning_nor_pyomo() -> None:
    """The results layer writes plans; reading a solved model is the solver layer's."""
    for path in sorted((REPO / "optimizer" / "results").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                assert not name.startswith(("optimizer.solver", "optimizer.planning", "pyomo")), (
                    f"{path.name} imports {name}"
                )


def test_the_schema_imports_nothing_of_the_package() -> None:
    """Beside the layer stack like optimizer.fmt: the solver and results layers share it."""
    tree = ast.parse((REPO / "optimizer" / "result_schema.py").read_text(encoding="utf-8"))
    modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert [m for m in modules if m and m.startswith("optimizer")] == []


def test_plan_json_of_a_results_folder_is_read_with_its_folder(
    plans: dict[str, Plan], tmp_path: Path
) -> None:
    """plan.json beside the CSVs stands for its folder: without the manifest (a write cut
    short) it is refused, as the folder is."""
    from optimizer.report.build import build_report, kind_of
    from optimizer.results.write import MANIFEST, write_plan

    folder = tmp_path / "toy"
    write_plan(plans["toy"], folder)
    assert kind_of(folder / "plan.json") == ("results", folder)
    (folder / MANIFEST).unlink()
    with pytest.raises(InputError, match="incomplete"):
        build_report(folder / "plan.json")
