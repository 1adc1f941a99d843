"""Baselines (compare) and one-at-a-time sensitivity, against hand-worked values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from optimizer import InputError, load_instance
from optimizer.analysis.compare import compare, split_instance
from optimizer.analysis.sensitivity import numeric_inputs, sensitivity

from conftest import MTOK_PER_UNIT_YEAR as A
from conftest import TOY, base

# Revenue per kW-year of IT serving the toy's paid tier on nvl72: 600 tok/s/kW x 31.536e6 s
# / 1e6 x $3 = $56,764.8; on hgx-h100: 120 tok/s/kW -> $11,352.96.
PAID_NVL72_PER_KW = 600 * 31.536 * 3
PAID_H100_PER_KW = 120 * 31.536 * 3


def test_compare_toy_baselines() -> None:
    result = compare(load_instance(TOY))
    t = result.table.set_index("plan")
    assert t.loc["optimal", "objective_usd"] == pytest.approx(363_294_720.0, rel=1e-9)
    # Equal shares, 2 tiers: paid holds exactly 50% of 8,000 kW IT -> 4,000 kW on nvl72.
    assert t.loc["split equal shares (50% each)", "objective_usd"] == pytest.approx(
        4000 * PAID_NVL72_PER_KW, rel=1e-9
    )
    # nvl72 only: 66 racks = 7,920 kW; paid gets 80% of it.
    assert t.loc["only nvl72", "objective_usd"] == pytest.approx(
        0.8 * 7920 * PAID_NVL72_PER_KW, rel=1e-9
    )
    # h100 only: land binds at 200 servers (0.5 positions each) = 2,000 kW; paid 80%.
    assert t.loc["only hgx-h100", "objective_usd"] == pytest.approx(
        0.8 * 2000 * PAID_H100_PER_KW, rel=1e-9
    )
    # The greedy rule buys nvl72 only (best Mtok per MW for both tiers).
    assert t.loc["greedy", "objective_usd"] == pytest.approx(t.loc["only nvl72", "objective_usd"])
    assert (t["optimum_uplift_usd"] >= -1e-6).all()  # nothing beats the optimum
    assert set(result.by_tier["tier"]) == {"free", "paid", "idle", "total"}


def test_split_must_name_every_tier_and_add_to_one() -> None:
    inst = load_instance(TOY)
    with pytest.raises(InputError, match="add up to 1"):
        split_instance(inst, {"free": 0.3, "paid": 0.3})
    with pytest.raises(InputError, match="unknown tier"):
        split_instance(inst, {"free": 0.5, "pad": 0.5})
    custom = split_instance(inst, {"free": 0.25, "paid": 0.75})
    assert [t.min_power_share for t in custom.tiers] == [0.25, 0.75]


def test_sensitivity_moves_each_input_one_at_a_time() -> None:
    # 20 kW of power but 10 positions: land binds. Price $1, utilization 1.
    doc = base(power_mw=0.020, rack_positions=10)
    inst = load_instance(doc)
    keys = {k.text for k in numeric_inputs(inst)}
    assert {"site.power_mw", "site.rack_positions", "tiers[t].price_usd_per_mtok"} <= keys
    result = sensitivity(inst, 0.1, workers=1)
    t = result.table.set_index("input")
    assert result.base_objective_usd == pytest.approx(10 * A)
    # Land +/-10%: 9 or 11 units. Price +/-10%: 10 units at $0.9 or $1.1. Power: slack.
    assert t.loc["site.rack_positions", "objective_low_usd"] == pytest.approx(9 * A)
    assert t.loc["site.rack_positions", "objective_high_usd"] == pytest.approx(11 * A)
    assert t.loc["tiers[t].price_usd_per_mtok", "swing_usd"] == pytest.approx(2 * A)
    assert t.loc["site.power_mw", "swing_usd"] == pytest.approx(0.0, abs=1e-6)
    # Utilization 1.1 is invalid: recorded, not raised.
    assert t.loc["tiers[t].utilization", "status_high"] == "error"
    assert "utilization" in t.loc["tiers[t].utilization", "error"]
    assert list(result.table["swing_usd"]) == sorted(result.table["swing_usd"], reverse=True)


def test_cli_compare_writes_tables(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "optimizer", "compare", str(TOY), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert "greedy" in res.stdout and (tmp_path / "compare.csv").is_file()
    bad = subprocess.run(
        [sys.executable, "-m", "optimizer", "compare", str(TOY), "--split", "free=0.5,paid=x"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "--split" in bad.stderr and "Traceback" not in bad.stderr


def test_tier_costs_toy_by_hand() -> None:
    # Toy, one period, no lifetime: capex counts in full. 53 1/3 of 66 nvl72 serve paid:
    # 53.333 x 3.5M = 186.67M; free gets the other 12.667 nvl72 + 8 h100 = 44.33M + 2M.
    # Shell at 1M USD per MW-year on the 10 MW cap: 10M, split by IT power 80/20.
    from optimizer import solve
    from optimizer.analysis.costs import tier_costs

    inst = load_instance(TOY)
    # The toy has several optima (the free tier may run on nvl72 or hgx-h100); this hand
    # calculation is of the 66 + 8 one, which branch and bound finds.
    plan = solve(inst, strategy="milp")
    costs = tier_costs(plan, inst, shell_usd_per_mw_year=1e6).set_index("tier")
    assert costs.loc["paid", "hardware_usd"] == pytest.approx(3.5e6 * 160 / 3, rel=1e-9)
    assert costs.loc["free", "hardware_usd"] == pytest.approx(3.5e6 * 38 / 3 + 2e6, rel=1e-9)
    assert costs.loc["paid", "shell_usd"] == pytest.approx(8e6, rel=1e-9)
    assert costs.loc["total", "cost_usd"] == pytest.approx(233e6 + 10e6, rel=1e-9)
    assert costs.loc["paid", "cost_usd_per_mtok"] == pytest.approx(
        (3.5e6 * 160 / 3 + 8e6) / 121_098_240, rel=1e-9
    )


def test_uplift_over_a_losing_baseline_is_not_a_percentage() -> None:
    """A baseline with objective <= 0 has no uplift percentage (was "+5060.3%" on -$3.41B)."""
    from optimizer.cli.analysis_cmd import _uplift

    assert _uplift(5060.3, -3.41e9) == "n/a"
    assert _uplift(None, 0.0) == "n/a"
    assert _uplift(10.768, 152.6e9) == "+10.8%"


def test_sensitivity_moves_a_price_menu_as_a_whole() -> None:
    """A menu tier's prices and its demand are inputs too (issue 21 item 4: they were left out).

    10 units (land binds) make 10 A Mtok. Menu: $1 for up to 100 A, or $3 for up to 12 A.
    The plan lists $3 and sells 10 A: 30 A. Every price x0.9 / x1.1: 27 A / 33 A (swing 6 A).
    Every demand x0.9 / x1.1: 10.8 A / 13.2 A, both above the 10 A made: 30 A either way.
    """
    doc = base(power_mw=0.020, rack_positions=10)
    tier = doc["tiers"][0]
    del tier["price_usd_per_mtok"]
    tier["price_menu"] = [
        {"price_usd_per_mtok": 1.0, "demand_mtok": 100 * A},
        {"price_usd_per_mtok": 3.0, "demand_mtok": 12 * A},
    ]
    result = sensitivity(load_instance(doc), 0.1, workers=1)
    t = result.table.set_index("input")
    assert result.base_objective_usd == pytest.approx(30 * A)
    prices = "tiers[t].price_menu[*].price_usd_per_mtok"
    assert t.loc[prices, "objective_low_usd"] == pytest.approx(27 * A)
    assert t.loc[prices, "objective_high_usd"] == pytest.approx(33 * A)
    assert t.loc[prices, "base_value"] == pytest.approx(1.0)  # the middle entry's, (2-1)//2 = 0
    demand = "tiers[t].price_menu[*].demand_mtok"
    assert t.loc[demand, "swing_usd"] == pytest.approx(0.0, abs=1e-3)


def test_compare_names_its_default_split_for_what_it_is() -> None:
    doc = base()
    doc["tiers"].append({**doc["tiers"][0], "id": "t2", "price_usd_per_mtok": 2.0})
    plans = list(compare(load_instance(doc)).table["plan"])
    assert "split equal shares (50% each)" in plans
    assert not any("keynote" in p for p in plans)
    given = compare(load_instance(doc), split={"t": 0.25, "t2": 0.75}).table["plan"]
    assert "split t=0.25,t2=0.75" in list(given)
