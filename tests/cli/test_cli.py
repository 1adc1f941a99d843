"""The shared toy end to end, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import TOY, TOY_OPTIMUM, base
from conftest import run_cli as _run


def test_solve_json_prints_the_contract_and_nothing_else(tmp_path: Path):
    res = _run(["solve", str(TOY), "--json", "--out", str(tmp_path / "out")], tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)  # stdout is exactly one JSON document
    assert doc["status"] == "optimal" and doc["objective_usd"] == pytest.approx(
        TOY_OPTIMUM, rel=1e-9
    )
    assert doc["mip_gap"] is not None and doc["mip_gap"] <= 1e-4
    for key, cols in {
        "buy": {"hardware", "period", "units"},
        "serve": {"hardware", "tier", "period", "units"},
        "sold": {"tier", "period", "mtok"},
    }.items():
        assert doc[key] and all(set(r) == cols for r in doc[key])
    assert all(r["period"] == 2026 for r in doc["buy"])  # periods as their labels
    assert "HiGHS" not in res.stdout
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [
        "buy.csv",
        "cash_flow.csv",
        "manifest.json",
        "plan.json",
        "run.json",
        "serve.csv",
        "sold.csv",
        "summary.md",
    ]


def test_report_and_default_out_folder(tmp_path: Path):
    res = _run(["solve", str(TOY)], tmp_path)
    assert res.returncode == 0, res.stderr
    for text in ("optimal", "Hardware bought and installed", "nvl72", "Tiers", "power_mw"):
        assert text in res.stdout
    summary = (tmp_path / "results" / "toy" / "summary.md").read_text()
    assert "363.29M" in summary


def test_stdin_json(tmp_path: Path):
    res = _run(
        ["solve", "-", "--json", "--no-write"], tmp_path, stdin=json.dumps(base(rack_positions=3))
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["objective_usd"] == pytest.approx(3 * 31_536.0)


def test_infeasible_exits_1_without_traceback(tmp_path: Path):
    doc = base(power_mw=0.005)
    doc["hardware"][0]["existing_units"] = 8
    (tmp_path / "inf.json").write_text(json.dumps(doc))
    res = _run(["solve", "inf.json", "--json"], tmp_path)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    out = json.loads(res.stdout)
    assert out["status"] == "infeasible" and out["objective_usd"] is None
    assert not (tmp_path / "results").exists()


def test_objective_flag_overrides(tmp_path: Path):
    res = _run(["solve", str(TOY), "--json", "--no-write", "--objective", "profit"], tmp_path)
    doc = json.loads(res.stdout)
    # Profit: power still fills (each paid kW earns ~$56.8k against ~$29.2k of nvl72
    # capex), so revenue stays 363,294,720. With n nvl72 and k h100: 120n + 10k = 8,000 kW
    # and land n + 0.5k <= 100 give n >= 60; capex 3.5n + 0.25k = 200 + 0.5n ($M) is
    # least at n = 60, k = 80: 230M. Profit = 133,294,720.
    assert doc["objective"] == "profit"
    assert doc["objective_usd"] == pytest.approx(TOY_OPTIMUM - 230e6, rel=1e-9)
    assert {r["hardware"]: r["units"] for r in doc["buy"]} == {"nvl72": 60, "hgx-h100": 80}
