"""Infeasibility diagnosis: the smallest relaxations, told in words."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optimizer import solve

from conftest import base, frontier


def test_existing_units_over_the_power_cap() -> None:
    # 8 existing 1 kW units at PUE 1 on a 5 kW site: power must rise by 3 kW.
    doc = base(power_mw=0.005)
    doc["hardware"][0]["existing_units"] = 8
    plan = solve(doc)
    assert plan.status == "infeasible"
    d = plan.diagnosis
    assert list(d["family"]) == ["power"]
    assert d.loc[0, "relax_by"] == pytest.approx(0.003)
    msg = d.loc[0, "message"]
    assert msg.startswith("power in 1: the cap of 0.005 MW must rise to 0.008 MW")
    assert "existing units alone need 0.008 MW" in msg
    assert plan.to_dict()["diagnosis"] == [msg]


def test_land_over_cap_in_one_period_only() -> None:
    # Two periods; land 10 then 6 positions; 8 existing units: period 2 short by 2.
    doc = base(rack_positions={1: 10, 2: 6})
    doc["periods"] = [1, 2]
    doc["hardware"][0]["existing_units"] = 8
    d = solve(doc).diagnosis
    assert list(zip(d["family"], d["index"], strict=True)) == [("land", 2)]
    assert d.loc[0, "relax_by"] == pytest.approx(2.0)


def test_minimum_share_no_hardware_can_serve() -> None:
    # Tier "x" must hold 20% of IT power, but only g2 serves it and g2 cannot be bought
    # (max_units 0); 4 existing g1 units make installed power positive.
    doc = base()
    doc["hardware"][0]["existing_units"] = 4
    doc["hardware"].append({"id": "g2", "gpus_per_unit": 1, "power_kw": 1, "max_units": 0})
    doc["tiers"].append(
        {
            "id": "x",
            "model": "other",
            "context_tokens": 8192,
            "price_usd_per_mtok": 0,
            "min_interactivity": 10,
            "min_power_share": 0.2,
        }
    )
    doc["frontiers"] = frontier("g1") + frontier("g2", model="other")
    plan = solve(doc)
    assert plan.status == "infeasible"
    fams = set(plan.diagnosis["family"])
    assert "power_share_lower" in fams
    msg = plan.diagnosis[plan.diagnosis["family"] == "power_share_lower"]["message"].iloc[0]
    assert "tier x in 1: min_power_share 0.2" in msg


def test_cli_prints_relaxations_with_json(tmp_path: Path) -> None:
    doc = base(power_mw=0.005)
    doc["hardware"][0]["existing_units"] = 8
    (tmp_path / "inf.json").write_text(json.dumps(doc))
    res = subprocess.run(
        [sys.executable, "-m", "optimizer", "solve", "inf.json", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 1
    out = json.loads(res.stdout)
    assert out["status"] == "infeasible" and out["diagnosis"]
    assert "relax: power in 1" in res.stderr and "Traceback" not in res.stderr
