"""docs/model.md v2 options: price menus, capex and existing units by period, site fixed cost,
straight-line residual value. Each on a micro-instance where it binds, with the optimum
worked out by hand in the comments.

Unit of account (conftest): one g1 unit (1 GPU, 1 kW, 1 rack position) makes
A = 31,536 Mtok per year at the tier's 10 tok/s/user.
"""

from __future__ import annotations

from typing import Any

import pytest

from optimizer import Planner, constant_elasticity_menu, load_instance, solve
from optimizer.errors import InputError
from optimizer.sweep.spec import apply, parse_key
from optimizer.verify import verify_plan

from conftest import MTOK_PER_UNIT_YEAR as A
from conftest import base, frontier

# ------------------------------------------------------------------------ price menus
MENU = [
    {"price_usd_per_mtok": 1.0, "demand_mtok": 400_000},
    {"price_usd_per_mtok": 2.0, "demand_mtok": 200_000},
    {"price_usd_per_mtok": 3.0, "demand_mtok": 120_000},
]


def _menu_doc(menu: list[dict] | dict = MENU) -> dict:
    doc = base()  # 10 rack positions -> 10 units -> capacity 10 A = 315,360 Mtok
    tier = doc["tiers"][0]
    del tier["price_usd_per_mtok"]
    tier["price_menu"] = menu
    return doc


def test_price_menu_picks_the_best_price_not_the_most_tokens():
    # Capacity 315,360 Mtok. Revenue per entry: $1 -> min(315,360, 400,000) * 1 = 315,360;
    # $2 -> 200,000 * 2 = 400,000; $3 -> 120,000 * 3 = 360,000. Best: $2, 200,000 Mtok.
    # (Without a menu, $1 and no demand cap would give 315,360: the menu binds.)
    plan = solve(_menu_doc())
    assert plan.objective_usd == pytest.approx(400_000.0, rel=1e-9)
    assert plan.sold["mtok"].sum() == pytest.approx(200_000.0, rel=1e-9)
    row = plan.price.iloc[0]
    assert (row["tier"], row["entry"], row["price_usd_per_mtok"]) == ("t", 1, 2.0)
    # Next entries with the 315,360 Mtok this tier produces: $3 earns 120,000 * 3 = 360,000,
    # $1 earns 315,360 * 1 = 315,360; the best neighbour gives up 400,000 - 360,000 = 40,000
    # against the choice (-40,000).
    assert row["higher_revenue_usd"] == pytest.approx(360_000.0)
    assert row["lower_revenue_usd"] == pytest.approx(315_360.0)
    assert row["revenue_given_up_usd"] == pytest.approx(-40_000.0)
    assert plan.to_dict()["price"] == [{"tier": "t", "period": 1, "price_usd_per_mtok": 2.0}]
    assert plan.verified


def test_price_menu_capacity_bound_prefers_the_high_price():
    # 2 rack positions -> capacity 2 A = 63,072 Mtok, below every entry's demand:
    # revenue = 63,072 * price, best at $3: 189,216.
    doc = _menu_doc()
    doc["site"]["rack_positions"] = 2
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(3 * 2 * A, rel=1e-9)
    assert plan.price.iloc[0]["price_usd_per_mtok"] == 3.0


def test_price_menu_marginal_value_is_the_chosen_price():
    # At the $2 optimum capacity is slack (315,360 > 200,000): one more Mtok of demand at
    # the chosen price sells for $2 (pick held fixed).
    plan = solve(_menu_doc())
    mv = plan.marginal_values
    row = mv[mv["resource"] == "price_menu"]
    assert len(row) == 1
    assert row.iloc[0]["usd_per_unit"] == pytest.approx(2.0, rel=1e-6)


def test_price_menu_sweep_key_path_resolves_in_place():
    # Entry 1 at $2.5: 200,000 * 2.5 = 500,000 beats $3 (360,000) and $1 (315,360).
    inst = load_instance(_menu_doc())
    planner = Planner(inst)
    first = planner.solve()
    doc = apply(
        inst.model_dump(), {parse_key("tiers[t].price_menu[1].price_usd_per_mtok"): 2.5}, [1]
    )
    rebuilt = planner.update(load_instance(doc))
    assert not rebuilt  # a number changed: same model, re-solved in place
    assert first.objective_usd == pytest.approx(400_000.0)
    assert planner.solve().objective_usd == pytest.approx(500_000.0, rel=1e-9)
    with pytest.raises(InputError, match="price_menu has 3 entries"):
        apply(inst.model_dump(), {parse_key("tiers[t].price_menu[7].demand_mtok"): 1}, [1])


def test_price_menu_per_period_demand():
    # Two periods. Period 2's $1 demand jumps to 1,000,000 (capacity 315,360 binds):
    # $1 -> 315,360, $2 -> 200,000 * 2 = 400,000 still best. Period 1 as above: 400,000.
    # Then the $3 entry's period-2 demand rises to 150,000: 450,000 > 400,000.
    menu = [dict(e) for e in MENU]
    menu[0]["demand_mtok"] = {1: 400_000, 2: 1_000_000}
    menu[2]["demand_mtok"] = {1: 120_000, 2: 150_000}
    doc = _menu_doc(menu)
    doc["periods"] = [1, 2]
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(400_000 + 450_000, rel=1e-9)
    assert list(plan.price["price_usd_per_mtok"]) == [2.0, 3.0]


def test_constant_elasticity_menu_by_hand():
    # D(X) = D0 * (X / P0) ** e with D0 = 1,000 at P0 = 10, e = -2:
    # X = 5 -> 1,000 * 0.5 ** -2 = 4,000; X = 20 -> 1,000 * 2 ** -2 = 250.
    menu = constant_elasticity_menu(10.0, 1000.0, -2.0, prices=[5, 10, 20])
    assert [e["demand_mtok"] for e in menu] == pytest.approx([4000.0, 1000.0, 250.0])
    # The same from YAML: a spec under price_menu expands when loaded (multipliers of P0).
    spec = {
        "reference_price_usd_per_mtok": 10,
        "reference_demand_mtok": {1: 1000},
        "elasticity": -2,
        "price_multipliers": [0.5, 1, 2],
    }
    tier = load_instance(_menu_doc(spec)).tiers[0]
    assert tier.price_menu is not None
    assert [e.demand_mtok[1] for e in tier.price_menu] == pytest.approx([4000, 1000, 250])


@pytest.mark.parametrize(
    "change, words",
    [
        ({"price_usd_per_mtok": 1.0}, "give either price_menu or price_usd_per_mtok"),
        ({"demand_mtok": 5.0}, "give either price_menu or price_usd_per_mtok"),
        (
            {
                "price_menu": {
                    "reference_price_usd_per_mtok": 1,
                    "reference_demand_mtok": 1,
                    "elasticity": 0.5,
                    "prices_usd_per_mtok": [1],
                }
            },
            "elasticity must be <= 0",
        ),
        (
            {"price_menu": [{"price_usd_per_mtok": 1, "demand_mtok": {7: 1}}]},
            "price_menu[0].demand_mtok",
        ),
    ],
)
def test_price_menu_errors_name_the_key(change, words):
    doc = _menu_doc()
    doc["tiers"][0].update(change)
    with pytest.raises(InputError) as err:
        load_instance(doc)
    assert words in str(err.value)


def test_verifier_catches_a_price_off_the_menu_and_oversold_demand():
    doc = _menu_doc()
    plan = solve(doc)
    plan.price.loc[0, "price_usd_per_mtok"] = 2.5
    assert "price menu" in verify_plan(doc, plan).families
    plan = solve(doc)
    plan.sold.loc[0, "mtok"] = 250_000.0  # > 200,000 at $2 (still < production 315,360)
    report = verify_plan(doc, plan)
    assert any("demand 200,000 Mtok at the chosen price 2" in p for p in report.problems)


# --------------------------------------------------------------------- capex by period
def _two_period_profit(capex) -> dict:
    doc = base()
    doc.update(periods=[1, 2], objective="profit")
    doc["hardware"][0]["capex_usd"] = capex
    return doc


def test_capex_by_period_moves_the_purchase_to_the_cheap_period():
    # A unit bought in 1 earns 2 A = 63,072 for 45,000: +18,072; bought in 2 earns
    # A = 31,536 for 10,000: +21,536. 10 positions: buy 10 in period 2 -> 215,360.
    # With v1's scalar 45,000 a period-2 unit loses money: 10 in period 1 -> 180,720.
    plan = solve(_two_period_profit({1: 45_000, 2: 10_000}))
    assert plan.objective_usd == pytest.approx(10 * (A - 10_000), rel=1e-9)
    assert plan.buy.to_dict("records") == [{"hardware": "g1", "period": 2, "units": 10}]
    assert solve(_two_period_profit(45_000)).objective_usd == pytest.approx(10 * (2 * A - 45_000))


def test_capex_by_period_in_the_budget():
    # Budget 50,000 in period 2 buys 5 units at 10,000; the other 5 positions are best
    # filled in period 1 (+18,072 each): 5 * 21,536 + 5 * 18,072 = 198,040.
    doc = _two_period_profit({1: 45_000, 2: 10_000})
    doc["site"]["capex_budget_usd"] = {1: 1e9, 2: 50_000}
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(5 * (A - 10_000) + 5 * (2 * A - 45_000), rel=1e-9)
    spend = plan.resources.query("resource == 'capex_usd' and period == 2")["used"].iloc[0]
    assert spend == pytest.approx(50_000)


def test_capex_by_period_sweep_key():
    inst = load_instance(_two_period_profit({1: 45_000, 2: 10_000}))
    planner = Planner(inst)
    doc = apply(inst.model_dump(), {parse_key("hardware[g1].capex_usd[2]"): 40_000}, [1, 2])
    assert not planner.update(load_instance(doc))
    # Now period 2 loses money (31,536 < 40,000): 10 in period 1 -> 10 * 18,072.
    assert planner.solve().objective_usd == pytest.approx(10 * (2 * A - 45_000), rel=1e-9)


# --------------------------------------------------------------- existing units by period
def _retiring_g1() -> dict[str, Any]:
    """Periods 1-2: g1 cannot be bought (max_units 0), 10 existing in period 1 and 4 in
    period 2; g2 (1 GPU, 1 kW, 500 tok/s/GPU: A/2 a unit-year) can."""
    doc = base()
    doc["periods"] = [1, 2]
    doc["hardware"][0].update(existing_units={1: 10, 2: 4}, max_units=0)
    doc["hardware"].append({"id": "g2", "gpus_per_unit": 1, "power_kw": 1})
    doc["frontiers"] = frontier("g1") + frontier("g2", tok=500.0)
    return doc


def test_existing_units_retire_and_free_land():
    # g1 cannot be bought (max_units 0); 10 existing in period 1, 4 in period 2 (6 retire).
    # g2 makes half as much (500 tok/s/GPU): A/2 per unit-year, 10 positions.
    # Period 1: 10 g1 fill the land: 10 A. Period 2: 4 g1 + 6 g2: 4 A + 3 A = 7 A.
    # Revenue 17 A = 536,112. With v1's scalar 10 the land stays full of g1: 20 A.
    doc = _retiring_g1()
    plan = solve(doc)
    assert plan.objective_usd == pytest.approx(17 * A, rel=1e-9)
    assert plan.buy.to_dict("records") == [{"hardware": "g2", "period": 2, "units": 6}]
    inst = plan.installed.set_index(["hardware", "period"])["units"]
    assert (inst[("g1", 1)], inst[("g1", 2)]) == (10, 4)


# ----------------------------------------------------------------------- site fixed cost
def _profit_with_fixed(fixed: float) -> dict:
    # As test_objectives_and_periods: per unit 15,768 - 10,000 - 438 = 5,330; 10 units.
    doc = base(power_mw=0.010, electricity_usd_per_mwh=100, fixed_cost_usd_per_year=fixed)
    doc.update(objective="profit", periods=[1, 2], discount_rate=0.1)
    doc["hardware"][0]["capex_usd"] = 10_000
    doc["tiers"][0]["utilization"] = 0.5
    return doc


def test_fixed_cost_lowers_profit_not_the_plan():
    # Two periods at 10%: per unit 15,768 * (1 + 1/1.1) - 10,000 - 438 * (1 + 1/1.1)
    # = 15,330 * 2.1 / 1.1 - 10,000 = 19,266.36...; fixed 50,000 a year costs
    # 50,000 * (1 + 1/1.1) = 95,454.54...
    per_unit = (15_768 - 438) * (1 + 1 / 1.1) - 10_000
    fixed = 50_000 * (1 + 1 / 1.1)
    free = solve(_profit_with_fixed(0))
    plan = solve(_profit_with_fixed(50_000))
    assert free.objective_usd == pytest.approx(10 * per_unit, rel=1e-9)
    assert plan.objective_usd == pytest.approx(10 * per_unit - fixed, rel=1e-9)
    assert plan.fixed_cost_usd == pytest.approx(fixed)
    assert plan.buy.equals(free.buy)
    # Revenue ignores it.
    assert solve(_profit_with_fixed(50_000), objective="revenue").objective_usd == pytest.approx(
        free.revenue_usd
    )


# --------------------------------------------------------------------- residual value
def _last_year_buy(residual: str, capex: float, rate: float = 0.0) -> dict:
    doc = base()
    doc.update(objective="profit", periods=[1, 2], discount_rate=rate, residual_value=residual)
    doc["hardware"][0].update(capex_usd=capex, lifetime_years=4, available_from=2)
    return doc


def test_residual_value_credits_unexpired_life():
    # Bought in the last of 2 one-year periods (i = 1, N = 2): life left 4 - (2 - 1) = 3 of
    # 4 years -> credit 0.75 * 100,000 = 75,000 (rate 0). Per unit 31,536 - 100,000 + 75,000
    # = 6,536 > 0: buy 10 -> 65,360. Without residual value each unit loses 68,464: buy none.
    plan = solve(_last_year_buy("straight_line", 100_000))
    assert plan.objective_usd == pytest.approx(10 * (A - 25_000), rel=1e-9)
    assert plan.residual_value_usd == pytest.approx(750_000)
    assert solve(_last_year_buy("none", 100_000)).buy.empty
    # Hardware without lifetime_years has no residual value (docs/model.md): buy none again.
    no_life = _last_year_buy("straight_line", 100_000)
    no_life["hardware"][0]["lifetime_years"] = None
    assert solve(no_life).buy.empty


def test_residual_value_is_discounted_to_the_horizon_end():
    # Rate 10%: w[1] = 1/1.1, w_end = 1/1.1**2. Per unit at capex 50,000:
    # (31,536 - 50,000) / 1.1 + 0.75 * 50,000 / 1.21 = -16,785.45 + 30,991.74 = 14,206.29.
    per_unit = (A - 50_000) / 1.1 + 0.75 * 50_000 / 1.21
    plan = solve(_last_year_buy("straight_line", 50_000, rate=0.1))
    assert plan.objective_usd == pytest.approx(10 * per_unit, rel=1e-9)
    # At capex 100,000: (31,536 - 100,000) / 1.1 + 75,000 / 1.21 = -256.5 < 0: buy none.
    assert solve(_last_year_buy("straight_line", 100_000, rate=0.1)).buy.empty


def test_verifier_recomputes_residual_and_fixed_cost():
    doc = _last_year_buy("straight_line", 100_000)
    doc["site"]["fixed_cost_usd_per_year"] = 1_000
    plan = solve(doc)  # verified inside solve
    assert plan.verified
    plan.objective_usd = (plan.objective_usd or 0) + 1_000  # as if the fixed cost were forgotten
    problems = verify_plan(doc, plan).by_family("objective")
    assert problems and "fixed cost 2,000" in problems[0]


def test_v1_toy_unchanged(toy_path=None):
    from conftest import TOY

    assert solve(TOY).objective_usd == pytest.approx(363_294_720.0, rel=1e-9)


def test_price_plot_and_report(tmp_path):
    from optimizer.plots.prices import plot_prices
    from optimizer.results.report import summary_markdown

    doc = _menu_doc()
    plan = solve(doc)
    path = plot_prices(load_instance(doc), plan, tmp_path / "prices.png")
    assert path.stat().st_size > 10_000
    assert "## Prices chosen from the menus" in summary_markdown(plan)
    with pytest.raises(ValueError, match="no tier has a price_menu"):
        plot_prices(load_instance(base()), solve(base()), tmp_path / "x.png")


def test_constant_elasticity_menu_per_period_reference():
    # P0 = {1: 10, 2: 20}, D0 = {1: 1,000, 2: 2,000}, e = -1 (spend constant), multipliers
    # 0.5 and 2: entry 0 costs {5, 10} and sells {2,000, 4,000}; entry 1 costs {20, 40} and
    # sells {500, 1,000}: X * D = P0 * D0 in every period (10,000 and 40,000).
    menu = constant_elasticity_menu({1: 10, 2: 20}, {1: 1000, 2: 2000}, -1.0, multipliers=[0.5, 2])
    assert menu[0]["price_usd_per_mtok"] == {1: 5.0, 2: 10.0}
    assert menu[0]["demand_mtok"] == pytest.approx({1: 2000.0, 2: 4000.0})
    assert menu[1]["price_usd_per_mtok"] == {1: 20.0, 2: 40.0}
    assert menu[1]["demand_mtok"] == pytest.approx({1: 500.0, 2: 1000.0})
    with pytest.raises(ValueError, match="takes price_multipliers"):
        constant_elasticity_menu({1: 10}, 1000, -1.0, prices=[5])


# ------------------------------------------------------------- compare, sensitivity, service
def test_compare_split_with_a_group_bucket():
    # Tiers a ($1) and b ($3) on one unit type, plus c ($2); 10 units. Keynote-style split
    # c = 0.5 and a+b = 0.5 together: c gets 5 units (5 A * 2), the a+b bucket 5 units, all
    # on b, the dearer (5 A * 3): 25 A. Fixing a = b = 0.25 instead gives 2.5 A + 7.5 A +
    # 10 A = 20 A. The optimum (all on b) is 30 A: uplift over the grouped split 5 A.
    from optimizer.analysis.compare import compare, split_instance

    doc = base()
    doc["tiers"] = [
        {**doc["tiers"][0], "id": tid, "price_usd_per_mtok": price}
        for tid, price in (("a", 1.0), ("b", 3.0), ("c", 2.0))
    ]
    inst = load_instance(doc)
    grouped = split_instance(inst, {"c": 0.5, "a+b": 0.5})
    assert solve(grouped).objective_usd == pytest.approx(25 * A, rel=1e-9)
    fixed = split_instance(inst, {"a": 0.25, "b": 0.25, "c": 0.5})
    assert solve(fixed).objective_usd == pytest.approx(20 * A, rel=1e-9)
    table = compare(inst, split={"c": 0.5, "a+b": 0.5}).table.set_index("plan")
    assert table.loc["split c=0.5,a+b=0.5", "optimum_uplift_usd"] == pytest.approx(5 * A)
    with pytest.raises(InputError, match="at most one bucket"):
        split_instance(inst, {"a+b": 0.5, "c+x": 0.5})
    with pytest.raises(InputError, match="more than one bucket"):
        split_instance(inst, {"a+b": 0.5, "b": 0.25, "c": 0.25})


def test_service_solves_a_menu_instance_in_process():
    from fastapi.testclient import TestClient

    from optimizer.service.app import create_app

    with TestClient(create_app(), base_url="http://127.0.0.1") as client:
        r = client.post("/solve", json=_menu_doc())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["objective_usd"] == pytest.approx(400_000.0)
    assert body["price"] == [{"tier": "t", "period": 1, "price_usd_per_mtok": 2.0}]


def test_verifier_uses_existing_units_by_period():
    # The retirement plan of test_existing_units_retire_and_free_land, with g1's period-2
    # installed count reported as v1 would (10 instead of 4): the checker flags it.
    doc = _retiring_g1()
    plan = solve(doc)
    inst = plan.installed
    inst.loc[(inst["hardware"] == "g1") & (inst["period"] == 2), "units"] = 10
    assert verify_plan(doc, plan).by_family("installed")


def test_sweep_rows_carry_the_chosen_prices():
    from optimizer.sweep.run import plan_row

    row = plan_row(solve(_menu_doc()))
    assert row["price_usd_per_mtok[t,1]"] == 2.0
