"""One test per error class of docs/model.md: each ends in one line naming the key, row or file,
exit status 2, no traceback (the CLI part runs the real command)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from optimizer import InputError, load_instance, solve

from conftest import base
from conftest import run_cli as _run


def problems(doc) -> list[str]:
    with pytest.raises(InputError) as info:
        solve(doc)
    return info.value.problems


def one(doc, *needles: str) -> str:
    lines = problems(doc)
    hit = [ln for ln in lines if all(n in ln for n in needles)]
    assert hit, f"no problem mentions {needles}: {lines}"
    assert all("\n" not in ln for ln in lines)
    return hit[0]


def test_unknown_key():
    doc = base()
    doc["site"]["power_MW"] = 5
    one(doc, "site.power_MW", "unknown key")


def test_missing_required_key():
    doc = base()
    del doc["tiers"][0]["min_interactivity"]
    one(doc, "tiers[0].min_interactivity", "required")


def test_wrong_type():
    doc = base()
    doc["hardware"][0]["gpus_per_unit"] = "eight"
    one(doc, "hardware[0].gpus_per_unit")


def test_negative_quantity():
    doc = base()
    doc["hardware"][0]["capex_usd"] = -1
    one(doc, "hardware[0].capex_usd", ">= 0")


def test_nan_and_inf_rejected():
    doc = base()
    doc["tiers"][0]["price_usd_per_mtok"] = float("nan")
    doc["site"]["power_mw"] = float("inf")
    lines = problems(doc)
    assert any(ln.startswith("tiers[0].price_usd_per_mtok") for ln in lines)
    assert any(ln.startswith("site.power_mw") for ln in lines)


def test_per_period_mapping_missing_a_period():
    doc = base(power_mw={2026: 1})
    doc["periods"] = [2026, 2027]
    one(doc, "site.power_mw", "2027")


def test_unknown_hardware_id():
    doc = base()
    doc["hardware"][0]["id"] = "g9"
    one(doc, "hardware[0].id", "'g9'", "frontier")


def test_unknown_model_id():
    doc = base()
    doc["tiers"][0]["model"] = "gpt-9"
    one(doc, "tiers[0].model", "'gpt-9'")


def test_unknown_period_in_availability():
    doc = base()
    doc["hardware"][0]["available_from"] = 1999
    one(doc, "hardware[0].available_from", "1999")


def test_duplicate_ids():
    doc = base()
    doc["tiers"].append(copy.deepcopy(doc["tiers"][0]))
    one(doc, "tiers[1].id", "duplicate")


def test_missing_frontier_file(tmp_path: Path):
    doc = base()
    doc["frontiers"] = "nowhere.csv"
    with pytest.raises(InputError) as info:
        solve(load_instance(doc, base_dir=tmp_path))
    assert "nowhere.csv" in info.value.problems[0] and "not found" in info.value.problems[0]


@pytest.mark.parametrize(
    "text, needle",
    [
        (
            "hardware,model,context_tokens,interactivity\ng1,m,8192,10\n",
            "missing column(s) tok_s_per_gpu",
        ),
        (
            "hardware,model,context_tokens,interactivity,tok_s_per_gpu\ng1,m,8192,fast,10\n",
            "line 2: interactivity is not a number",
        ),
        (
            "hardware,model,context_tokens,interactivity,tok_s_per_gpu\ng1,m,8192,10,-5\n",
            "line 2: tok_s_per_gpu must be >= 0",
        ),
        ("", "empty file"),
        ("hardware,model,context_tokens,interactivity,tok_s_per_gpu\n", "has no rows"),
    ],
)
def test_malformed_frontier_file(tmp_path: Path, text: str, needle: str):
    (tmp_path / "f.csv").write_text(text)
    doc = base()
    doc["frontiers"] = "f.csv"
    with pytest.raises(InputError) as info:
        solve(load_instance(doc, base_dir=tmp_path))
    assert any(needle in p and "f.csv" in p for p in info.value.problems), info.value.problems


def test_inline_frontier_row_problem_names_the_row():
    doc = base()
    doc["frontiers"][1]["interactivity"] = -3
    one(doc, "frontiers[1].interactivity")


def test_all_problems_reported_together():
    doc = base()
    doc["site"]["pue"] = 0.5
    doc["hardware"][0]["power_kw"] = -1
    doc["tiers"][0]["utilization"] = 1.5
    lines = problems(doc)
    assert len(lines) == 3


def test_cli_bad_input_exits_2_with_one_line_per_problem(tmp_path: Path):
    doc = base()
    doc["site"]["pue"] = 0.5
    doc["tiers"][0]["model"] = "nope"
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    res = _run(["solve", "bad.json"], tmp_path)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and res.stdout == ""
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    # Every stage at once: the schema's problem and the frontier table's, in one run.
    assert len(lines) == 2 and "site.pue" in lines[0] and "tiers[0].model" in lines[1]
    assert not (tmp_path / "results").exists()


def test_cli_missing_file_and_broken_yaml(tmp_path: Path):
    res = _run(["solve", "absent.yaml"], tmp_path)
    assert res.returncode == 2 and "absent.yaml: file not found" in res.stderr
    (tmp_path / "b.yaml").write_text("name: [unclosed\n")
    res = _run(["solve", "b.yaml"], tmp_path)
    assert res.returncode == 2 and "b.yaml: not valid YAML" in res.stderr
    assert "Traceback" not in res.stderr


def test_yaml_exponent_floats_are_numbers(tmp_path: Path) -> None:
    # YAML 1.1 reads 4.0e9 and 1e-2 as text; the loader reads them as numbers (YAML 1.2).
    text = (
        "name: t\nsite: {power_mw: 1e-2, rack_positions: 4.0e1}\n"
        "hardware: [{id: g1, gpus_per_unit: 1, power_kw: 1}]\n"
        "tiers: [{id: t, model: m, context_tokens: 8192, price_usd_per_mtok: 1,"
        " min_interactivity: 10, demand_mtok: 4.0e9}]\n"
        "frontiers: [{hardware: g1, model: m, context_tokens: 8192, interactivity: 10,"
        " tok_s_per_gpu: 1e3}]\n"
    )
    (tmp_path / "e.yaml").write_text(text)
    inst = load_instance(tmp_path / "e.yaml")
    assert inst.site.power_mw == 0.01 and inst.tiers[0].demand_mtok == 4e9
    # 10 kW -> 10 units x 31,536 Mtok at $1.
    assert solve(inst).objective_usd == pytest.approx(315_360.0)


def test_one_bad_inline_row_gives_one_line() -> None:
    # Rows or paths: a bad row must not also report "must be a valid string" noise.
    doc = base()
    doc["frontiers"][0]["interactivity"] = "x"
    assert problems(doc) == ["frontiers[0].interactivity: must be a valid number (got 'x')"]
