"""One small instance per constraint family of docs/model.md, where that family binds.

Each optimum is worked out by hand in the test; see conftest for the unit g1
(1 GPU, 1 kW, 1 rack position, 31,536 Mtok/year at 10 tok/s/user).
"""

from __future__ import annotations

import pytest

from optimizer import solve

from conftest import MTOK_PER_UNIT_YEAR as A
from conftest import base, frontier, objective


def test_power_binds():
    # 10 kW facility, PUE 1.25 -> 8 kW of IT -> 8 units of g1 (land allows 10).
    doc = base(power_mw=0.010, pue=1.25)
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(8 * A * 1.0, rel=1e-9)
    assert plan.buy["units"].tolist() == [8]
    res = plan.resources.set_index("resource")
    assert bool(res.loc["power_mw", "binding"]) and not bool(res.loc["rack_positions", "binding"])


def test_land_binds():
    # 3 rack positions, power ample (1 MW): 3 units.
    assert objective(base(rack_positions=3)) == pytest.approx(3 * A, rel=1e-9)


def test_land_with_fractional_positions():
    # 4 units share one position each 0.25 -> 3 positions hold 12 units.
    doc = base(rack_positions=3)
    doc["hardware"][0]["rack_positions"] = 0.25
    assert objective(doc) == pytest.approx(12 * A, rel=1e-9)


def test_budget_binds():
    # capex 100 per unit, budget 250 per period -> 2 units (integer).
    doc = base(capex_budget_usd=250)
    doc["hardware"][0]["capex_usd"] = 100
    assert objective(doc) == pytest.approx(2 * A, rel=1e-9)


def test_supply_binds():
    # max_units 5 over the horizon, 10 positions: 5 units.
    doc = base()
    doc["hardware"][0]["max_units"] = 5
    assert objective(doc) == pytest.approx(5 * A, rel=1e-9)


def test_demand_binds():
    # Capacity for 10 units (315,360 Mtok) but only 1,000 Mtok of demand at $2.
    doc = base()
    doc["tiers"][0].update(demand_mtok=1000, price_usd_per_mtok=2.0)
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(2000.0, rel=1e-9)
    assert plan.sold["mtok"].tolist() == [pytest.approx(1000.0)]


def test_capacity_binds_with_existing_units():
    # Nothing can be bought (max_units 0); 2 existing units serve: 2 * A.
    doc = base()
    doc["hardware"][0].update(existing_units=2, max_units=0)
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(2 * A, rel=1e-9)
    assert plan.buy.empty
    assert plan.serve["units"].sum() == pytest.approx(2.0)


def test_production_uses_interpolated_speed():
    # Tier asks 55 tok/s/user: midway between (10, 1000) and (100, 500) -> 750 tok/s/GPU.
    doc = base(rack_positions=1)
    doc["tiers"][0]["min_interactivity"] = 55
    assert objective(doc) == pytest.approx(0.75 * A, rel=1e-9)


def _two_hardware(min_units: int) -> dict:
    # big: 8 GPUs at 2,000 tok/s/GPU, 10 kW -> 1,600 tok/s per kW (the better one).
    # g1: 1,000 tok/s per kW. Site: 50 kW IT, land ample.
    doc = base(power_mw=0.050, rack_positions=100)
    doc["hardware"].append(
        {
            "id": "big",
            "gpus_per_unit": 8,
            "power_kw": 10,
            "rack_positions": 1,
            "min_units": min_units,
        }
    )
    doc["frontiers"] = frontier("g1") + frontier("big", tok=2000.0)
    return doc


def test_minimum_lot_blocks_a_small_purchase():
    # Unconstrained: 5 big units (50 kW) -> 5 * 8 * 2 = 80 A. With min_units 6, big
    # does not fit (6 * 10 kW > 50 kW), so the site fills with 50 g1 -> 50 A.
    assert objective(_two_hardware(min_units=0)) == pytest.approx(80 * A, rel=1e-9)
    plan = solve(_two_hardware(min_units=6))
    assert plan.objective_usd == pytest.approx(50 * A, rel=1e-9)
    assert set(plan.buy["hardware"]) == {"g1"}


def test_minimum_lot_met_when_it_fits():
    # min_units 5 fits exactly: same optimum as without the lot.
    assert objective(_two_hardware(min_units=5)) == pytest.approx(80 * A, rel=1e-9)


def test_minimum_lot_counts_purchases_over_the_horizon():
    # Two periods, power 30 kW then 50 kW, min_units 4 on big, no lifetime limit.
    # Buying 3 then 2 (= 5 in total >= 4) is allowed: 3*16 A + 5*16 A = 128 A.
    doc = _two_hardware(min_units=4)
    doc["periods"] = [1, 2]
    doc["site"]["power_mw"] = {1: 0.030, 2: 0.050}
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx((3 + 5) * 16 * A, rel=1e-9)
    assert plan.buy.groupby("hardware")["units"].sum()["big"] == 5


def test_min_power_share_binds():
    # Free tier must hold 25% of 10 kW: paid gets 7.5 units -> 7.5 A at $1.
    doc = base(power_mw=0.010)
    doc["tiers"].append(
        {
            "id": "free",
            "model": "m",
            "context_tokens": 8192,
            "price_usd_per_mtok": 0,
            "min_interactivity": 10,
            "min_power_share": 0.25,
        }
    )
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(7.5 * A, rel=1e-9)
    shares = plan.sold.set_index("tier")["power_share"]
    assert shares["free"] == pytest.approx(0.25)


def test_max_power_share_binds():
    # Tier t ($1) capped at 40% of IT power; tier u ($0.5) takes the rest.
    # 10 units: 4 * A * 1 + 6 * A * 0.5 = 7 A.
    doc = base(power_mw=0.010)
    doc["tiers"][0]["max_power_share"] = 0.4
    doc["tiers"].append(
        {
            "id": "u",
            "model": "m",
            "context_tokens": 8192,
            "price_usd_per_mtok": 0.5,
            "min_interactivity": 10,
        }
    )
    assert objective(doc) == pytest.approx(7 * A, rel=1e-9)


def test_unusable_pair_is_not_an_error():
    # The tier needs 200 tok/s/user, above g1's fastest point (100): nothing can serve.
    doc = base()
    doc["tiers"][0]["min_interactivity"] = 200
    plan = solve(doc)
    assert plan.status == "optimal" and plan.objective_usd == 0.0
    assert plan.unusable["reason"].str.contains("speed above the table").all()
    assert plan.model_size["variables"] == 1 + 1  # buy[g1,1] and sold[t,1]; no serve variable


def test_model_grows_with_usable_triples_only():
    # 3 hardware x 2 tiers x 2 periods, but one tier is only servable by g1.
    doc = base()
    doc["periods"] = [1, 2]
    doc["hardware"] += [
        {"id": "h2", "gpus_per_unit": 1, "power_kw": 1},
        {"id": "h3", "gpus_per_unit": 1, "power_kw": 1},
    ]
    doc["tiers"].append(
        {
            "id": "x",
            "model": "other",
            "context_tokens": 8192,
            "price_usd_per_mtok": 1,
            "min_interactivity": 10,
        }
    )
    doc["frontiers"] = (
        frontier("g1") + frontier("h2") + frontier("h3") + frontier("g1", model="other")
    )
    plan = solve(doc)
    # serve: (3 for tier t + 1 for tier x) x 2 periods = 8; buy 3 x 2 = 6; sold 2 x 2 = 4.
    assert plan.model_size["variables"] == 8 + 6 + 4
    assert plan.model_size["integer_variables"] == 6
