"""Finance of a plan (optimizer/results/finance.py): cash flows, NPV, IRR, payback, cost per
GPU-hour, each checked against figures worked out by hand in the docstrings.

Unit of account (conftest): one g1 unit (1 GPU, 1 kW, 1 rack position) makes
A = 31,536 Mtok per year at the tier's 10 tok/s/user; 15,768 at utilization 0.5.
"""

from __future__ import annotations

import json
import math

import pytest

from optimizer import load_instance, solve
from optimizer.errors import InputError
from optimizer.instance.menus import linear_demand_menu, logistic_demand_menu
from optimizer.results.finance import CASH_FLOW_COLUMNS, finance_of, irr, payback

from conftest import REPO, TOY, base


def _profit_with_fixed() -> dict:
    """10 g1 at 10,000 each, bought in period 1 of 2 (no lifetime: kept), utilization 0.5,
    electricity 100 USD/MWh, site fixed cost 50,000 a year, 10 % a year."""
    doc = base(power_mw=0.010, electricity_usd_per_mwh=100, fixed_cost_usd_per_year=50_000)
    doc.update(objective="profit", periods=[1, 2], discount_rate=0.1)
    doc["hardware"][0]["capex_usd"] = 10_000
    doc["tiers"][0]["utilization"] = 0.5
    return doc


def _last_year_buy() -> dict:
    """g1 on sale in period 2 only, 50,000 each, lifetime 4 years, straight-line residual."""
    doc = base()
    doc.update(objective="profit", periods=[1, 2], discount_rate=0.1)
    doc["residual_value"] = "straight_line"
    doc["hardware"][0].update(capex_usd=50_000, lifetime_years=4, available_from=2)
    return doc


def test_cash_flow_by_hand():
    """Per period (10 units): revenue 10 * 15,768 * 1 USD = 157,680; electricity
    10 * 1 kW * 0.5 * 8,760 h / 1000 * 100 USD/MWh = 4,380; fixed 50,000; capex 100,000 in
    period 1. Net: 157,680 - 100,000 - 4,380 - 50,000 = 3,300, then 103,300.
    NPV = 3,300 + 103,300 / 1.1 = 97,209.09..., the profit objective.
    IRR (capex at a period's start, the rest at its end): flows -100,000, 103,300, 103,300
    at years 0, 1, 2; x = 1 / (1 + r) solves 103,300 x^2 + 103,300 x - 100,000 = 0.
    Payback: the 100,000 paid at the start of period 1
    comes back at 103,300 a year: 100,000 / 103,300 = 0.96805 years (discounted the same:
    period 1's weight is 1)."""
    plan = solve(_profit_with_fixed())
    f = plan.finance
    assert f is not None
    cf = f.cash_flow
    assert list(cf.columns) == CASH_FLOW_COLUMNS
    assert list(cf["period"]) == [1, 2]
    assert list(cf["revenue_usd"]) == pytest.approx([157_680, 157_680])
    assert list(cf["capex_usd"]) == pytest.approx([100_000, 0])
    assert list(cf["energy_usd"]) == pytest.approx([4_380, 4_380])
    assert list(cf["fixed_usd"]) == pytest.approx([50_000, 50_000])
    assert list(cf["opex_usd"]) == [0, 0]
    assert list(cf["net_usd"]) == pytest.approx([3_300, 103_300])
    assert list(cf["cumulative_net_usd"]) == pytest.approx([3_300, 106_600])
    assert list(cf["discount_weight"]) == pytest.approx([1, 1 / 1.1])
    assert list(cf["cumulative_discounted_net_usd"]) == pytest.approx(
        [3_300, 3_300 + 103_300 / 1.1]
    )
    assert f.npv_usd == pytest.approx(3_300 + 103_300 / 1.1, rel=1e-9)
    assert f.npv_usd == pytest.approx(plan.objective_usd, rel=1e-9)
    x = (-103_300 + (103_300**2 + 4 * 103_300 * 100_000) ** 0.5) / (2 * 103_300)
    assert f.irr == pytest.approx(1 / x - 1, rel=1e-9)
    assert "irr" not in f.notes
    assert f.payback_years == pytest.approx(100_000 / 103_300)
    assert f.discounted_payback_years == pytest.approx(100_000 / 103_300)


def test_residual_row_irr_and_payback_at_the_end():
    """10 units bought in period 2 for 500,000 earn 10 * 31,536 = 315,360 there; the
    residual 0.75 * 500,000 = 375,000 comes at the end (year 2, w_end = 1 / 1.21).
    IRR (capex at the period's start, the rest at its end): -500,000 at year 1, 315,360 +
    375,000 = 690,360 at year 2: IRR = 690,360 / 500,000 - 1 = 38.072 %.
    NPV = -184,640 / 1.1 + 375,000 / 1.21 = 142,062.98..., the objective. The cumulative
    net is -184,640 until the residual arrives: payback 2 years, discounted too."""
    plan = solve(_last_year_buy())
    f = plan.finance
    assert f is not None
    cf = f.cash_flow
    assert list(cf["period"]) == [1, 2, "end"]
    assert list(cf["start_year"]) == [0, 1, 2]
    assert list(cf["net_usd"]) == pytest.approx([0, 315_360 - 500_000, 375_000])
    assert list(cf["residual_usd"]) == pytest.approx([0, 0, 375_000])
    assert cf["discount_weight"].iloc[-1] == pytest.approx(1 / 1.21)
    assert f.npv_usd == pytest.approx(-184_640 / 1.1 + 375_000 / 1.21, rel=1e-9)
    assert f.npv_usd == pytest.approx(plan.objective_usd, rel=1e-9)
    assert f.irr == pytest.approx(690_360 / 500_000 - 1, rel=1e-9)
    assert f.payback_years == pytest.approx(2.0)
    assert f.discounted_payback_years == pytest.approx(2.0)


@pytest.mark.parametrize("objective", ["profit", "revenue"])
def test_npv_is_the_profit_objective_on_the_toy(objective):
    """The toy (one period, rate 0, no costs but capex): NPV = revenue - capex =
    363,294,720 - (66 * 3.5M + 8 * 250k = 233M) = 130,294,720 under the revenue objective;
    under profit the NPV is the objective itself. Payback: 233M / 363,294,720 a year."""
    # The toy has several optima (the free tier may run on nvl72 or hgx-h100); the hand
    # figures are of the 66 + 8 one, which branch and bound finds.
    plan = solve(TOY, objective=objective, strategy="milp")
    f = plan.finance
    assert f is not None
    if objective == "profit":
        assert f.npv_usd == pytest.approx(plan.objective_usd, rel=1e-9)
    else:
        assert f.npv_usd == pytest.approx(363_294_720 - 233_000_000, rel=1e-9)
        assert f.payback_years == pytest.approx(233_000_000 / 363_294_720)
        assert "revenue" in f.notes["npv_usd"]


@pytest.mark.parametrize("name", ["site-2026-2030.yaml", "gtc2026-1gw.yaml"])
def test_npv_is_the_objective_on_the_reference_instances(name):
    """The 5-year site (profit, 8 %, existing units, capex by period) and the GTC 1 GW
    reference (price menus, residual value, site fixed cost): NPV = objective, and the
    discounted cash-flow columns add up to the plan's discounted totals."""
    plan = solve(REPO / "instances" / name)
    assert plan.finance is not None
    assert plan.finance.npv_usd == pytest.approx(plan.objective_usd, rel=1e-9)
    cf = plan.finance.cash_flow
    assert cf["revenue_usd"].mul(cf["discount_weight"]).sum() == pytest.approx(plan.revenue_usd)
    assert cf["capex_usd"].mul(cf["discount_weight"]).sum() == pytest.approx(plan.capex_usd)


def test_cost_objective_npv_is_minus_the_cost():
    """Under the ``cost`` objective revenue is not counted: NPV = -(capex + energy + fixed),
    discounted, = objective - revenue of the profit plan (97,209.09 - 157,680 * 2.1 / 1.1)."""
    plan = solve(_profit_with_fixed())
    plan.objective_kind = "cost"
    f = finance_of(load_instance(_profit_with_fixed()), plan)
    assert list(f.cash_flow["revenue_usd"]) == [0, 0]
    assert f.npv_usd == pytest.approx(plan.objective_usd - plan.revenue_usd, rel=1e-9)
    assert f.npv_usd == pytest.approx(-(100_000 + 54_380 + 54_380 / 1.1), rel=1e-9)


def test_irr_of_hand_made_streams():
    """-100, 60, 60 a year apart: 60 x^2 + 60 x - 100 = 0 with x = 1 / (1 + r):
    x = (-60 + sqrt(27,600)) / 120 = 0.884437..., r = 13.0662 %. Two-year periods: the
    same stream gives (1 + r)^2 = 1.130662, r = 6.3326 %. -100, 230, -132 has two IRRs
    (10 % and 20 %): none is reported. All positive: none."""
    x = (-60 + math.sqrt(27_600)) / 120
    rate, why = irr([-100, 60, 60])
    assert rate == pytest.approx(1 / x - 1, rel=1e-9) and why == ""
    assert rate == pytest.approx(0.130662, abs=1e-6)
    two, _ = irr([-100, 60, 60], period_years=2)
    assert two == pytest.approx(math.sqrt(1 / x) - 1, rel=1e-9)
    none, why = irr([-100, 230, -132])
    assert none is None and "10.00 %" in why and "20.00 %" in why
    assert irr([5, 6])[0] is None
    assert irr([0, 0])[0] is None


def test_payback_interpolates_inside_the_period():
    """Capex 100 at year 0, then 40 a year coming in evenly over three one-year periods:
    cumulative -60 after year 1, -20 after year 2, crossing zero half-way through year 3
    (20 / 40): 2.5 years. Never recovered: None with the shortfall."""
    years, why = payback([-100, 0, 0], [40, 40, 40], [0, 1, 2], [1, 1, 1])
    assert years == pytest.approx(2.5) and why == ""
    none, why = payback([-100, 0], [40, 40], [0, 1], [1, 1])
    assert none is None and "-20" in why
    zero, why = payback([0, 0], [5, 5], [0, 1], [1, 1])
    assert zero == 0.0 and "never negative" in why


def test_cost_per_gpu_hour_by_hand():
    """One g1 unit (1 GPU): capex 10,000 spread over the 2-year horizon (no lifetime) +
    electricity 438 a year * 2 = 10,876 over 1 GPU * 8,760 h * 2 = 17,520 GPU-hours:
    0.620776 USD per GPU-hour; over 2 * 15,768 = 31,536 Mtok: 0.344875 USD/Mtok.
    With lifetime_years 4 only 2 of the 4 years fall in the horizon: capex charged 5,000,
    (5,000 + 876) / 17,520 = 0.335388 USD per GPU-hour."""
    plan = solve(_profit_with_fixed())
    assert plan.finance is not None
    row = plan.finance.hardware_costs.set_index("hardware").loc["g1"]
    assert row["units_bought"] == 10
    assert row["gpu_hours"] == pytest.approx(10 * 17_520)
    assert row["capex_charged_usd"] == pytest.approx(100_000)
    assert row["usd_per_gpu_hour"] == pytest.approx(10_876 / 17_520)
    assert row["usd_per_mtok"] == pytest.approx(10_876 / 31_536)

    doc = _profit_with_fixed()
    doc["hardware"][0]["lifetime_years"] = 4
    f = solve(doc).finance
    assert f is not None
    row = f.hardware_costs.set_index("hardware").loc["g1"]
    assert row["capex_charged_usd"] == pytest.approx(50_000)
    assert row["usd_per_gpu_hour"] == pytest.approx(5_876 / 17_520)


def test_v3_cost_keys_by_hand():
    """opex_usd_per_year, idle_power_share and platforms (read with getattr; added to the
    hardware and instance here without the schema). One period, 10 g1 at 10,000 each,
    utilization 0.5, 100 USD/MWh: opex 10 * 1,000 = 10,000; energy 100 * 8.76 MWh/kW *
    1 kW * (0.3 * 10 + 0.7 * 0.5 * 10) = 876 * 6.5 = 5,694 (idle 0 gives 876 * 5 = 4,380,
    the objective's); platform x (on g1) 5,000 a year; platform y has no unit: free.
    Net = 157,680 - 100,000 - 10,000 - 5,694 - 5,000 = 36,986."""
    doc = base(electricity_usd_per_mwh=100)
    doc["hardware"][0]["capex_usd"] = 10_000
    doc["tiers"][0]["utilization"] = 0.5
    plan = solve(doc)
    assert plan.energy_usd == pytest.approx(4_380)
    inst = load_instance(doc)
    hw = inst.hardware[0].model_copy(
        update={"opex_usd_per_year": {1: 1_000}, "idle_power_share": 0.3, "platform": "x"}
    )
    platforms = [
        {"id": "x", "fixed_cost_usd_per_year": 5_000},
        {"id": "y", "fixed_cost_usd_per_year": 7_000},
    ]
    f = finance_of(inst.model_copy(update={"hardware": [hw], "platforms": platforms}), plan)
    row = f.cash_flow.iloc[0]
    assert row["opex_usd"] == pytest.approx(10_000)
    assert row["energy_usd"] == pytest.approx(5_694)
    assert row["fixed_usd"] == pytest.approx(5_000)
    assert row["net_usd"] == pytest.approx(36_986)
    hc = f.hardware_costs.iloc[0]
    assert hc["total_usd"] == pytest.approx(100_000 + 10_000 + 5_694)


def test_finance_in_the_json_and_result_folder(tmp_path):
    """plan.json carries finance {cash_flow, npv_usd, irr, payback_years, ...}; the folder
    has cash_flow.csv, listed in the manifest."""
    from optimizer.results.write import check_result_folder, write_plan

    plan = solve(_last_year_buy())
    doc = json.loads(plan.to_json())
    fin = doc["finance"]
    assert set(fin) >= {
        "cash_flow",
        "npv_usd",
        "irr",
        "payback_years",
        "discounted_payback_years",
        "hardware_costs",
    }
    assert [r["period"] for r in fin["cash_flow"]] == [1, 2, "end"]
    assert fin["npv_usd"] == pytest.approx(doc["objective_usd"], abs=1e-3)
    write_plan(plan, tmp_path)
    assert (tmp_path / "cash_flow.csv").read_text().startswith("period,start_year,revenue_usd")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "cash_flow.csv" in manifest["files"]
    assert check_result_folder(tmp_path) == []


def test_no_solution_no_finance(tmp_path):
    """5 units of 1 kW must be bought under a 1 kW cap: infeasible, no finance; the folder
    still gets a cash_flow.csv (its header only), so a result set is always the same files."""
    from optimizer.results.write import write_plan

    doc = base(power_mw=0.001)
    doc["hardware"][0]["existing_units"] = 5
    plan = solve(doc)
    assert not plan.has_solution
    assert plan.finance is None
    assert plan.to_dict()["finance"] is None
    write_plan(plan, tmp_path)
    assert (tmp_path / "cash_flow.csv").read_text().strip() == ",".join(CASH_FLOW_COLUMNS)


# ---------------------------------------------------------------- demand curves for menus
def _curve_doc(spec: dict) -> dict:
    """base(): 10 free units make 10 A = 315,360 Mtok a year; the tier's menu is ``spec``."""
    doc = base()
    tier = doc["tiers"][0]
    del tier["price_usd_per_mtok"]
    tier["price_menu"] = spec
    return doc


def test_linear_curve_entries_by_hand():
    """P0 = 2, D0 = 6, choke C = 8: M = 6 * 8 / (8 - 2) = 8, D(X) = 8 * (1 - X / 8):
    D(1) = 7, D(2) = 6, D(4) = 4, D(8) = 0, D(10) = 0 (past the choke). Given M = 8
    instead of C, C = 2 * 8 / (8 - 6) = 8: the same menu."""
    menu = linear_demand_menu(2.0, 6.0, choke_price=8.0, multipliers=[0.5, 1, 2, 4, 5])
    assert [e["price_usd_per_mtok"] for e in menu] == [1, 2, 4, 8, 10]
    assert [e["demand_mtok"] for e in menu] == pytest.approx([7, 6, 4, 0, 0])
    same = linear_demand_menu(2.0, 6.0, market_size=8.0, prices=[1, 2, 4, 8, 10])
    assert same == pytest.approx(menu)
    # Per period: P0 = {1: 2, 2: 4}, C = 8 -> M = {1: 8, 2: 6 * 8 / 4 = 12}; multiplier 2
    # prices {4, 8}: demand {8 * 0.5 = 4, 0}.
    per = linear_demand_menu({1: 2.0, 2: 4.0}, 6.0, choke_price=8.0, multipliers=[2])
    assert per[0]["price_usd_per_mtok"] == {1: 4.0, 2: 8.0}
    assert per[0]["demand_mtok"] == pytest.approx({1: 4.0, 2: 0.0})


def test_logistic_curve_entries_by_hand():
    """M = 10, P0 = 2, D0 = 6: (P0 - X_mid) / s = ln(10 / 6 - 1) = ln(2/3).
    Midpoint 2.5: s = -0.5 / ln(2/3), so exp((X - 2.5) / s) = (2/3) ** (2 * (2.5 - X)):
    D(1) = 10 / (1 + (2/3)^3) = 270 / 35 = 7.7143, D(2) = 6, D(3) = 10 / (1 + 3/2) = 4.
    Steepness 0.5: X_mid = 2 - 0.5 ln(2/3) = 2.2027; D(1) = 10 / (1 + exp(-2.4055)) = 9.1724."""
    menu = logistic_demand_menu(2.0, 6.0, 10.0, midpoint_price=2.5, prices=[1, 2, 3])
    assert [e["demand_mtok"] for e in menu] == pytest.approx([270 / 35, 6, 4])
    steep = logistic_demand_menu(2.0, 6.0, 10.0, steepness=0.5, prices=[1, 2])
    mid = 2 - 0.5 * math.log(2 / 3)
    assert steep[0]["demand_mtok"] == pytest.approx(10 / (1 + math.exp((1 - mid) / 0.5)))
    assert steep[0]["demand_mtok"] == pytest.approx(9.1724, abs=1e-4)
    assert steep[1]["demand_mtok"] == pytest.approx(6.0)


def test_curves_as_the_v3_reference_draft_writes_them():
    """The v3 reference (instances/gtc2026-1gw.yaml, drafted as gtc2026-1gw-v3-draft) gives choke price and
    market size together. Its high tier in 2026: P0 = 1.733, D0 = 3e9, C = 2.888, M = 7.5e9;
    the line through (P0, D0) and C has M = 3e9 * 2.888 / 1.155 = 7.5013e9 (0.02 % off, it
    agrees), menu demand / D0 at 0.5, 0.75, 1, 1.5, 2 x P0 = (C - X) / (C - P0):
    1.750, 1.375, 1, 0.250, 0. Its medium tier, logistic: P0 = 0.867, D0 = 6e9,
    M = 3.84e10, choke (1 % of M) at 2.89: a = ln(6.4 - 1) = 1.6864, s = (2.89 - 0.867) /
    (ln 99 - a) = 0.6955, X_mid = 0.867 - s a = -0.306; the draft's menu demand / D0:
    1.64, 1.29, 1, 0.58, 0.32."""
    mult = [0.5, 0.75, 1, 1.5, 2]
    high = linear_demand_menu(1.733, 3e9, choke_price=2.888, market_size=7.5e9, multipliers=mult)
    assert [e["demand_mtok"] / 3e9 for e in high] == pytest.approx(
        [(2.888 - m * 1.733) / (2.888 - 1.733) if m < 1.6 else 0.0 for m in mult]
    )
    assert [round(e["demand_mtok"] / 3e9, 3) for e in high] == [1.75, 1.375, 1.0, 0.25, 0.0]
    medium = logistic_demand_menu(0.867, 6e9, 3.84e10, choke_price=2.89, multipliers=mult)
    assert [e["demand_mtok"] / 6e9 for e in medium] == pytest.approx(
        [1.64, 1.29, 1, 0.58, 0.32], abs=0.01
    )
    s = (2.89 - 0.867) / (math.log(99) - math.log(5.4))
    assert medium[0]["demand_mtok"] == pytest.approx(
        3.84e10 / (1 + math.exp((0.4335 - (0.867 - s * math.log(5.4))) / s))
    )
    choke = logistic_demand_menu(0.867, 6e9, 3.84e10, choke_price=2.89, prices=[2.89])
    assert choke[0]["demand_mtok"] == pytest.approx(0.01 * 3.84e10)


def test_linear_curve_picks_half_the_choke_price():
    """C = 4, P0 = 1, D0 = 150,000: M = 150,000 * 4 / 3 = 200,000 Mtok, below the 315,360
    the free units make, so capacity is ample and revenue X * 200,000 * (1 - X / 4) is
    largest at X = C / 2 = 2: 200,000 USD (X = 1.5 and 2.5 both give 187,500)."""
    spec = {
        "curve": "linear",
        "reference_price_usd_per_mtok": 1.0,
        "reference_demand_mtok": 150_000,
        "choke_price_usd_per_mtok": 4.0,
        "price_multipliers": [0.5, 1, 1.5, 2, 2.5, 3, 3.5],
        "source": "made up for the test",
    }
    plan = solve(_curve_doc(spec))
    assert list(plan.price["price_usd_per_mtok"]) == [2.0]
    assert plan.objective_usd == pytest.approx(200_000, rel=1e-9)
    assert plan.sold["mtok"].sum() == pytest.approx(100_000)


def test_logistic_curve_from_yaml():
    """The YAML form expands when loaded: entries as logistic_demand_menu gives."""
    spec = {
        "curve": "logistic",
        "reference_price_usd_per_mtok": 2.0,
        "reference_demand_mtok": 6.0,
        "market_size_mtok": 10.0,
        "midpoint_price_usd_per_mtok": 2.5,
        "prices_usd_per_mtok": [1, 2, 3],
    }
    tier = load_instance(_curve_doc(spec)).tiers[0]
    assert tier.price_menu is not None
    assert [e.demand_mtok for e in tier.price_menu] == pytest.approx([270 / 35, 6, 4])


@pytest.mark.parametrize(
    "change, words",
    [
        ({"choke_price_usd_per_mtok": 0.5}, "choke_price_usd_per_mtok (0.5) must exceed"),
        ({"market_size_mtok": 3e5}, "disagrees with the line through the reference point"),
        ({"curve": "cubic"}, "price_menu.curve: 'cubic' is not one of"),
        ({"elasticity": -1}, "unknown key(s) elasticity"),
        ({"reference_demand_mtok": {7: 1.0}, "choke_price_usd_per_mtok": {8: 4.0}}, "periods"),
    ],
)
def test_curve_errors_name_the_key(change, words):
    spec = {
        "curve": "linear",
        "reference_price_usd_per_mtok": 1.0,
        "reference_demand_mtok": 150_000,
        "choke_price_usd_per_mtok": 4.0,
        "price_multipliers": [1, 2],
    }
    spec.update(change)
    with pytest.raises(InputError) as err:
        load_instance(_curve_doc(spec))
    assert words in str(err.value)
    assert "tiers[0].price_menu" in str(err.value) or "price_menu" in str(err.value)


def test_logistic_midpoint_on_the_wrong_side_is_an_error():
    """D0 = 6 of M = 10 is above half the market: the midpoint must be above P0 = 2."""
    with pytest.raises(ValueError, match="does not fit the reference point"):
        logistic_demand_menu(2.0, 6.0, 10.0, midpoint_price=1.5, prices=[1])


def test_curve_specs_validate_against_the_shipped_schema():
    """The YAML forms are in docs/instance.schema.json (editors complete them)."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "docs" / "instance.schema.json").read_text())
    linear = {
        "curve": "linear",
        "reference_price_usd_per_mtok": 2.0,
        "reference_demand_mtok": {1: 6.0},
        "choke_price_usd_per_mtok": 8.0,
        "price_multipliers": [1, 2],
        "source": "test",
    }
    doc = _curve_doc(linear)
    jsonschema.validate(json.loads(json.dumps(doc)), schema)
    doc["tiers"][0]["price_menu"] = {**linear, "curve": "logistic", "midpoint_price": 1}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(json.dumps(doc)), schema)


# ------------------------------------------------------------------- workbook and page
def test_report_finance_section_workbook_and_folder(tmp_path):
    """The report of a results folder has the finance section (chart: capex below zero,
    cumulative line ending at the cumulative net); the workbook's finance sheet holds the
    plan's own cash flow; plan.json's finance reads back unchanged."""
    import pandas as pd

    from optimizer.report.build import build_report, plan_from_folder
    from optimizer.report.html import render_html
    from optimizer.report.workbook import write_workbook
    from optimizer.results.write import write_plan

    doc = _last_year_buy()
    plan = solve(doc)
    assert plan.finance is not None
    folder = tmp_path / "micro"
    write_plan(plan, folder)
    (tmp_path / "micro.json").write_text(json.dumps(doc))
    back = plan_from_folder(folder)
    assert back.finance is not None
    assert back.finance.npv_usd == pytest.approx(plan.finance.npv_usd, abs=1e-3)
    assert back.finance.irr == pytest.approx(plan.finance.irr)

    report = build_report(folder, instance_path=tmp_path / "micro.json")
    sec = next(s for s in report.sections if s.id == "finance")
    fig = sec.charts[0].figure
    bars = {t.name: list(t.y) for t in fig.data if t.type == "bar"}
    assert bars["capex"] == pytest.approx([0, -500_000 / 1e3, 0])  # USD thousands
    assert bars["residual value"] == pytest.approx([0, 0, 375_000 / 1e3])
    line = next(t for t in fig.data if t.name == "cumulative net")
    assert line.y[-1] == pytest.approx((315_360 - 500_000 + 375_000) / 1e3)
    assert "USD thousands" in fig.layout.yaxis.title.text
    assert ("NPV", "$142.06k") in report.headline

    path = write_workbook(report, tmp_path / "r.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    cf = sheets["finance"]
    assert list(cf["period"].astype(str)) == ["1", "2", "end"]
    assert list(cf["net_usd (USD)"]) == pytest.approx([0, -184_640, 375_000])
    returns = sheets["finance_returns"].set_index("figure")
    assert returns.loc["irr", "value"] == pytest.approx(690_360 / 500_000 - 1)
    assert "finance_hardware" in sheets
    page = render_html(report)
    assert 'id="table-finance"' in page and "Finance: cash flow" in page


def test_sweep_rows_carry_npv_irr_and_payback():
    """A sweep of the fixed cost (0 and 50,000 a year) of the two-period profit instance:
    each row's npv_usd is its objective, 10 * 19,266.36... and that less 95,454.54...;
    payback: 100,000 / (157,680 - 4,380 - fixed) = 0.6523 years without the fixed cost,
    0.96805 with it. IRR: flows -100,000, a, a (a = 153,300 or 103,300; the capex at the
    start, each year's net at its end): x = 1 / (1 + r) solves a x^2 + a x - 100,000 = 0."""
    from optimizer.sweep import build_scenarios, parse_set, run_sweep

    inst = load_instance(_profit_with_fixed())
    scenarios = build_scenarios(inst, [parse_set("site.fixed_cost_usd_per_year=0,50000")])
    table = run_sweep(inst, scenarios, workers=1).table.set_index("scenario")
    per_unit = (15_768 - 438) * (1 + 1 / 1.1) - 10_000
    assert list(table["npv_usd"]) == pytest.approx(list(table["objective_usd"]), rel=1e-9)
    assert table.loc[0, "npv_usd"] == pytest.approx(10 * per_unit, rel=1e-9)
    assert table.loc[1, "npv_usd"] == pytest.approx(10 * per_unit - 50_000 * 2.1 / 1.1)
    assert list(table["payback_years"]) == pytest.approx([100_000 / 153_300, 100_000 / 103_300])
    for row, a in ((0, 153_300), (1, 103_300)):
        x = (-a + (a**2 + 4 * a * 100_000) ** 0.5) / (2 * a)
        assert table.loc[row, "irr"] == pytest.approx(1 / x - 1, rel=1e-9)
