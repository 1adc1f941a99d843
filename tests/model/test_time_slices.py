"""Option ``time_slices`` (docs/model.md "Time slices"): serving and sales per slice of every
period's hours, on micro-instances whose optimum is worked out by hand in each docstring.

Unit of account (conftest): one g1 unit (1 GPU, 1 kW, 1 rack position) makes
A = 31,536 Mtok per year at the tier's 10 tok/s/user; in a slice holding a share h of the
hours it makes h * A.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from optimizer import Plan, Planner, load_instance, solve
from optimizer.errors import InputError
from optimizer.verify import verify_plan

from conftest import MTOK_PER_UNIT_YEAR as A
from conftest import REPO, TOY, assert_least_cost_matches_scipy, base, random_v3_least_cost_doc

PEAK_NIGHT = [{"id": "peak", "hours_share": 0.5}, {"id": "night", "hours_share": 0.5}]


def _two_tier_doc() -> dict[str, Any]:
    """chat ($1/Mtok) wants all its demand at the peak, batch ($0.5) all at night."""
    doc = base()  # 10 rack positions -> at most 10 units
    doc["time_slices"] = copy.deepcopy(PEAK_NIGHT)
    t = doc["tiers"][0]
    half = 10 * 0.5 * A  # 157,680 Mtok: what 10 units make in one half of the year
    doc["tiers"] = [
        {
            **t,
            "id": "chat",
            "price_usd_per_mtok": 1.0,
            "demand_mtok": half,
            "demand_profile": {"peak": 1.0, "night": 0.0},
        },
        {
            **t,
            "id": "batch",
            "price_usd_per_mtok": 0.5,
            "demand_mtok": half,
            "demand_profile": {"peak": 0.0, "night": 1.0},
        },
    ]
    return doc


def _optimal(doc: Any, objective_usd: float) -> Plan:
    """Solve ``doc``; the plan must be optimal, checked, and worth ``objective_usd``."""
    plan = solve(doc)
    assert plan.status == "optimal" and plan.verified
    assert plan.objective_usd == pytest.approx(objective_usd, rel=1e-9)
    return plan


def _by_tier_slice(df: pd.DataFrame, column: str) -> pd.Series:
    """``column`` of a serve or sold table, indexed by (tier, slice)."""
    return df.set_index(["tier", "slice"])[column]


def test_a_unit_serves_one_tier_at_the_peak_and_another_at_night():
    """10 units, slices of half the hours each. A unit makes 0.5 A = 15,768 Mtok per slice.

    chat's 157,680 Mtok all come at the peak, batch's 157,680 all at night: the 10 units
    serve chat at the peak (157,680 Mtok at $1) and batch at night (157,680 at $0.5):
    revenue 157,680 + 78,840 = 236,520.

    Any single assignment (x units on chat, 10 - x on batch in both slices) sells chat only
    at the peak, x * 15,768 at $1, and batch only at night, (10 - x) * 15,768 at $0.5:
    at most 157,680 (x = 10). Switching tiers between slices earns 78,840 more.
    """
    plan = _optimal(_two_tier_doc(), 236_520.0)
    serve = _by_tier_slice(plan.serve, "units")
    assert serve[("chat", "peak")] == pytest.approx(10.0)
    assert serve[("batch", "night")] == pytest.approx(10.0)
    assert len(plan.serve) == 2  # nothing else serves
    sold = _by_tier_slice(plan.sold, "mtok")
    assert sold[("chat", "peak")] == pytest.approx(157_680.0)
    assert sold[("batch", "night")] == pytest.approx(157_680.0)
    assert sold[("chat", "night")] == 0.0 and sold[("batch", "peak")] == 0.0
    # Per period: 5 unit-periods each (10 units for half the hours), the slices' Mtok summed.
    by_period = plan.serve_by_period().set_index("tier")
    assert by_period.loc["chat", "units"] == pytest.approx(5.0)
    assert plan.sold_by_period().set_index("tier").loc["batch", "revenue_usd"] == pytest.approx(
        78_840.0
    )
    # The best single assignment, evaluated by the independent checker: 10 units on chat.
    single = copy.deepcopy(plan)
    single.serve = pd.DataFrame(
        [
            ("g1", "chat", 1, "peak", 10.0, 0.01, 157_680.0),
            ("g1", "chat", 1, "night", 10.0, 0.01, 157_680.0),
        ],
        columns=plan.serve.columns,
    )
    single.sold = plan.sold.assign(
        mtok=[157_680.0, 0.0, 0.0, 0.0], revenue_usd=[157_680.0, 0.0, 0.0, 0.0]
    ).drop(columns=["it_mw", "power_share"])
    single.objective_usd = single.revenue_usd = 157_680.0
    report = verify_plan(_two_tier_doc(), single, optimality=False)
    assert report.ok, report.problems
    assert report.objective_usd == pytest.approx(157_680.0)


def _peak_fleet(sliced: bool = True) -> dict[str, Any]:
    """Profit, capex $5,000 a unit, one tier at $1/Mtok with 315,360 Mtok a year (10 A);
    sliced: peak 1/4 of the hours with 80% of the demand, night 3/4 with 20%."""
    doc = base(rack_positions=100)
    doc["objective"] = "profit"
    doc["hardware"][0]["capex_usd"] = 5_000
    doc["tiers"][0]["demand_mtok"] = 10 * A
    if sliced:
        doc["time_slices"] = copy.deepcopy(PEAK_QUARTER)
        doc["tiers"][0]["demand_profile"] = {"peak": 0.8, "night": 0.2}
    return doc


def test_the_fleet_is_sized_for_the_peak():
    """Profit, capex $5,000 a unit, one tier at $1/Mtok with 315,360 Mtok a year (10 A).

    Slices: peak 1/4 of the hours with 80% of the demand (252,288 Mtok), night 3/4 with
    20% (63,072). A unit makes 0.25 A = 7,884 Mtok at the peak: the peak needs
    252,288 / 7,884 = 32 units, the night 63,072 / (0.75 A) = 2.67. Each unit up to the
    32nd adds 7,884 of revenue for 5,000 of capex, so 32 are bought:
    profit = 315,360 - 32 * 5,000 = 155,360.

    Without slices (a flat load) 10 units make the year's 315,360 Mtok:
    profit = 315,360 - 50,000 = 265,360.
    """
    flat = solve(_peak_fleet(sliced=False))
    assert flat.objective_usd == pytest.approx(265_360.0, rel=1e-9)
    assert int(flat.buy["units"].sum()) == 10

    plan = solve(_peak_fleet())
    assert plan.verified
    assert plan.objective_usd == pytest.approx(155_360.0, rel=1e-9)
    assert int(plan.buy["units"].sum()) == 32
    sold = plan.sold.set_index("slice")["mtok"]
    assert sold["peak"] == pytest.approx(252_288.0)
    assert sold["night"] == pytest.approx(63_072.0)
    # The peak's demand is the binding one: one more Mtok of it earns $1 less the capex of
    # the 1 / 7,884 unit that makes it: 1 - 5,000 / 7,884 = 0.36580...
    mv = plan.marginal_values
    peak = mv[(mv["resource"] == "demand_slice") & (mv["slice"] == "peak")]
    assert peak["usd_per_unit"].iloc[0] == pytest.approx(1 - 5_000 / 7_884, rel=1e-6)
    # The per-(tier, period) value spreads one Mtok of demand_mtok by the profile:
    # 0.8 * 0.36580 + 0.2 * 1 (night demand is short of the night's capacity) = 0.49264...
    total = mv[mv["resource"] == "demand"]["usd_per_unit"].iloc[0]
    assert total == pytest.approx(0.8 * (1 - 5_000 / 7_884) + 0.2 * 1.0, rel=1e-6)


def _same_plan(a: Any, b: Any) -> None:
    assert a.objective_usd == pytest.approx(b.objective_usd, rel=1e-9)
    buys = [p.buy.sort_values(["hardware", "period"]).reset_index(drop=True) for p in (a, b)]
    pd.testing.assert_frame_equal(buys[0], buys[1])


def test_one_slice_is_the_model_without_slices_on_the_toy():
    """The toy's optimum, 363,294,720 USD (instances/toy.yaml), with one slice of all the
    hours: same objective, same purchases, same split (one row per serve/sold row, with a
    slice column)."""
    plain = solve(TOY)
    doc = load_instance(TOY).model_dump()
    doc["time_slices"] = [{"id": "all", "hours_share": 1.0}]
    one = solve(load_instance(doc, base_dir=TOY.parent))
    assert plain.objective_usd == pytest.approx(363_294_720.0, rel=1e-9)
    _same_plan(one, plain)
    assert list(one.serve.drop(columns="slice")["units"]) == pytest.approx(
        list(plain.serve["units"])
    )
    assert list(one.sold["mtok"]) == pytest.approx(list(plain.sold["mtok"]))
    assert "slice" not in plain.serve.columns and "slice" not in plain.sold.columns
    # A result without slices keeps its JSON shape; with them, rows name their slice.
    assert "slice" not in plain.to_dict()["serve"][0]
    assert one.to_dict()["serve"][0]["slice"] == "all"
    assert "slice" not in plain.marginal_values.columns


def test_one_slice_is_the_model_without_slices_on_a_random_instance(tmp_path: Path):
    """The seeded 5 x 5 x 3 x 20 instance of benchmarks/scale.py (lifetimes, windows, lots,
    supply caps, a minimum power share), solved to a zero gap with and without one slice:
    the same objective and the same purchases."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from scale import synthetic
    finally:
        sys.path.pop(0)
    path = synthetic(5, 5, 3, 20, tmp_path)
    plain = solve(path, mip_gap=0.0)
    inst = load_instance(path)
    one = solve(inst.with_changes(time_slices=[{"id": "all", "hours_share": 1.0}]), mip_gap=0.0)
    assert plain.status == one.status == "optimal"
    _same_plan(one, plain)
    assert one.verified and plain.verified


def test_without_the_key_the_model_is_exactly_todays():
    """No time_slices key: no per-slice variable or row is built (the toy has 8 variables
    and 7 rows, as before the option existed)."""
    plain = solve(TOY)
    assert plain.model_size == {"variables": 8, "integer_variables": 2, "constraints": 7}
    planner = Planner(load_instance(TOY))
    planner.solve()
    m = planner.model
    assert len(m.SLICE) == 0 and len(m.serve_slice) == 0 and len(m.sold_slice) == 0


def test_checker_refuses_a_tampered_slice_plan():
    """The two-tier plan, tampered three ways: 12 units serving chat at the peak (10
    installed), 20,000 Mtok of chat moved from the peak to the night (its night demand is 0),
    and a serve row whose Mtok ignores the slice's hours share (10 units at the peak make
    0.5 * 10 A = 157,680 Mtok, not 315,360)."""
    doc = _two_tier_doc()
    plan = solve(doc)

    more = copy.deepcopy(plan)
    more.serve.loc[(more.serve["tier"] == "chat"), "units"] = 12.0
    more.serve = more.serve.drop(columns=["mtok", "it_mw"])
    report = verify_plan(doc, more, optimality=False)
    assert report.by_family("capacity") == [
        "capacity[g1, 1, peak]: 12 units serve tiers > 10 installed"
    ]

    moved = copy.deepcopy(plan)
    sold = moved.sold.set_index(["tier", "slice"])
    sold.loc[("chat", "peak"), "mtok"] -= 20_000
    sold.loc[("chat", "night"), "mtok"] += 20_000
    moved.sold = sold.reset_index().drop(columns=["revenue_usd", "it_mw", "power_share"])
    report = verify_plan(doc, moved, optimality=False)
    assert "demand[chat, 1, night]: 20,000 Mtok sold > demand 0 Mtok" in report.problems
    assert any(p.startswith("production[chat, 1, night]") for p in report.problems)

    wrong = copy.deepcopy(plan)
    wrong.serve.loc[wrong.serve["tier"] == "chat", "mtok"] = 315_360.0
    report = verify_plan(doc, wrong, optimality=False)
    assert report.families == {"production"}
    assert "hours_share 0.5" in report.problems[0]

    unnamed = copy.deepcopy(plan)
    unnamed.serve = unnamed.serve.drop(columns="slice")
    report = verify_plan(doc, unnamed, optimality=False)
    assert report.problems[0] == "plan[serve]: missing column(s) slice"


def test_power_shares_hold_in_every_slice():
    """free ($0) must hold at least half the installed IT power in every slice; paid ($1)
    has demand only at the peak (all 10 A of it). 10 units: at the peak 5 serve free and 5
    paid (0.5 * 5 A = 78,840 Mtok sold); at night paid has no demand. Revenue 78,840 (an
    aggregate share would let the peak use all 10 units for paid: 157,680)."""
    doc = base()
    doc["time_slices"] = copy.deepcopy(PEAK_NIGHT)
    t = doc["tiers"][0]
    doc["tiers"] = [
        {**t, "id": "free", "price_usd_per_mtok": 0.0, "min_power_share": 0.5},
        {**t, "id": "paid", "demand_mtok": 10 * A, "demand_profile": {"peak": 1.0}},
    ]
    plan = solve(doc)
    assert plan.verified
    assert plan.objective_usd == pytest.approx(78_840.0, rel=1e-9)
    free = plan.serve[plan.serve["tier"] == "free"].set_index("slice")["units"]
    assert free["peak"] == pytest.approx(5.0) and free["night"] >= 5.0 - 1e-9


def test_a_price_menu_caps_each_slice_by_its_profile():
    """One tier with a menu ($1: 300,000 Mtok, $3: 100,000 Mtok), demand all at the peak
    (half the hours). 10 units make 157,680 Mtok at the peak. $1 sells min(157,680,
    300,000) = 157,680 -> 157,680; $3 sells 100,000 -> 300,000. Best: $3, 100,000 Mtok,
    all at the peak."""
    doc = base()
    doc["time_slices"] = copy.deepcopy(PEAK_NIGHT)
    tier = doc["tiers"][0]
    del tier["price_usd_per_mtok"]
    tier["price_menu"] = [
        {"price_usd_per_mtok": 1.0, "demand_mtok": 300_000},
        {"price_usd_per_mtok": 3.0, "demand_mtok": 100_000},
    ]
    tier["demand_profile"] = {"peak": 1.0, "night": 0.0}
    plan = solve(doc)
    assert plan.verified
    assert plan.objective_usd == pytest.approx(300_000.0, rel=1e-9)
    sold = plan.sold.set_index("slice")["mtok"]
    assert sold["peak"] == pytest.approx(100_000.0) and sold["night"] == 0.0
    assert plan.price.iloc[0]["price_usd_per_mtok"] == 3.0
    assert plan.price.iloc[0]["mtok"] == pytest.approx(100_000.0)
    # One more Mtok of the chosen entry's demand sells at $3 on the peak's spare capacity
    # (its value is shared between the entry's row and the peak slice's row: their sum).
    mv = plan.marginal_values.set_index("resource")
    assert mv.loc["price_menu", "usd_per_unit"] == pytest.approx(3.0, rel=1e-9)


def test_profit_charges_energy_by_the_hours_of_each_slice():
    """Profit, electricity $100/MWh, 2 units bought free of capex serving at the peak only
    (demand all at the peak: 2 * 0.5 A = 31,536 Mtok at $1). Energy: 2 units * 1 kW for
    the peak's 4,380 h = 8.76 MWh = $876 (the night's idle units draw nothing here).
    Profit 31,536 - 876 = 30,660."""
    doc = base(rack_positions=2, electricity_usd_per_mwh=100)
    doc["objective"] = "profit"
    doc["time_slices"] = copy.deepcopy(PEAK_NIGHT)
    doc["tiers"][0]["demand_mtok"] = 10 * A
    doc["tiers"][0]["demand_profile"] = {"peak": 1.0}
    plan = solve(doc)
    assert plan.verified
    assert plan.energy_usd == pytest.approx(876.0, rel=1e-9)
    assert plan.objective_usd == pytest.approx(31_536.0 - 876.0, rel=1e-9)


def test_planner_update_resolves_new_shares_in_place():
    """The fleet-for-the-peak instance with the peak's demand share moved from 0.8 to 0.5:
    the peak (1/4 of the hours) needs 0.5 * 315,360 / 7,884 = 20 units; profit
    315,360 - 100,000 = 215,360. Numbers only: the built model is re-solved in place."""
    doc = _peak_fleet()
    planner = Planner(load_instance(doc))
    assert planner.solve().objective_usd == pytest.approx(155_360.0, rel=1e-9)
    model = planner.model
    doc["tiers"][0]["demand_profile"] = {"peak": 0.5, "night": 0.5}
    planner.update(load_instance(doc))
    plan = planner.solve()
    assert planner.model is model
    assert plan.objective_usd == pytest.approx(215_360.0, rel=1e-9)
    assert int(plan.buy["units"].sum()) == 20


# ------------------------------------------------------------------------ input checks
def _problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(InputError) as err:
        load_instance(doc)
    return err.value.problems


def test_input_checks_name_each_key():
    doc = _two_tier_doc()
    doc["time_slices"] = [
        {"id": "peak", "hours_share": 0.5},
        {"id": "peak", "hours_share": 0.4},
    ]
    doc["tiers"][0]["demand_profile"] = {"peak": 0.7, "dusk": 0.2}
    problems = _problems(doc)
    assert "time_slices[1].id: duplicate id 'peak' (also time_slices[0])" in problems
    assert "time_slices: hours_share values sum to 0.9, not 1" in problems
    assert "tiers[0].demand_profile: shares sum to 0.9, not 1" in problems
    assert any(
        p.startswith("tiers[0].demand_profile.dusk: unknown time slice 'dusk'") for p in problems
    )

    doc = _two_tier_doc()
    doc["time_slices"][0]["hours_share"] = 0.0
    assert any(p.startswith("time_slices[0].hours_share") for p in _problems(doc))
    doc = _two_tier_doc()
    doc["tiers"][1]["demand_profile"] = {"peak": -0.5, "night": 1.5}
    problems = _problems(doc)
    assert any(p.startswith("tiers[1].demand_profile.peak") for p in problems)
    assert any(p.startswith("tiers[1].demand_profile.night") for p in problems)

    doc = base()
    doc["tiers"][0]["demand_profile"] = {"peak": 1.0}
    assert _problems(doc) == [
        "tiers[0].demand_profile.peak: unknown time slice 'peak' (no time_slices are set)"
    ]


def test_a_bad_share_exits_2_with_one_line(tmp_path: Path):
    doc = _two_tier_doc()
    doc["time_slices"][1]["hours_share"] = 0.6
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    run = subprocess.run(
        [sys.executable, "-m", "optimizer.cli.main", "solve", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 2
    assert "time_slices: hours_share values sum to 1.1, not 1" in run.stderr
    assert "Traceback" not in run.stderr


# ------------------------------------------------------------------ sweeps, diagnosis
def test_sweep_key_paths_rescale_the_other_slices_and_resolve_in_place():
    """The fleet-for-the-peak instance (profit, capex $5,000, 315,360 Mtok a year).

    ``tiers[t].demand_profile[peak]=0.5``: night gets 0.5 (rescaled from 0.2); the peak
    (1/4 of the hours, 7,884 Mtok a unit) needs 157,680 / 7,884 = 20 units: profit 215,360.
    ``time_slices[peak].hours_share=0.5`` (night 0.5): with the base profile (0.8 at the
    peak: 252,288 Mtok, 15,768 a unit) 16 units: profit 315,360 - 80,000 = 235,360.
    Both change numbers only: one model, re-solved in place.
    """
    from optimizer.sweep import build_scenarios, parse_set, run_sweep

    doc = _peak_fleet()
    inst = load_instance(doc)
    scenarios = build_scenarios(
        inst,
        [
            parse_set("tiers[t].demand_profile[peak]=0.5"),
            parse_set("time_slices[peak].hours_share=0.5"),
        ],
    )
    result = run_sweep(inst, scenarios, workers=1)
    assert result.rebuilds == 0
    row = result.table.set_index("scenario").loc[0]
    assert row["status"] == "optimal"
    # Both changes at once: peak demand 157,680 Mtok at 15,768 a unit -> 10 units; the
    # night (half the hours, 157,680 Mtok) needs 10 too: profit 315,360 - 50,000 = 265,360.
    assert row["objective_usd"] == pytest.approx(265_360.0, rel=1e-9)

    one = build_scenarios(inst, [parse_set("tiers[t].demand_profile[peak]=0.5")])
    assert run_sweep(inst, one, workers=1).table["objective_usd"].iloc[0] == pytest.approx(
        215_360.0, rel=1e-9
    )
    other = build_scenarios(inst, [parse_set("time_slices[peak].hours_share=0.5")])
    assert run_sweep(inst, other, workers=1).table["objective_usd"].iloc[0] == pytest.approx(
        235_360.0, rel=1e-9
    )


def test_sweep_key_paths_name_unknown_slices():
    from optimizer.sweep import build_scenarios, parse_set

    inst = load_instance(_two_tier_doc())
    with pytest.raises(InputError) as err:
        build_scenarios(inst, [parse_set("tiers[chat].demand_profile[dusk]=0.5")])
    assert "no time slice 'dusk' (time_slices: peak, night)" in str(err.value)
    with pytest.raises(InputError) as err:
        build_scenarios(inst, [parse_set("time_slices[dusk].hours_share=0.5")])
    assert "no time_slices with id 'dusk'" in str(err.value)


def test_an_infeasible_sliced_instance_is_diagnosed():
    """1,200 existing g1 units draw 1.2 MW against a 1 MW cap: infeasible whatever the
    slices; the diagnosis asks for 1.2 MW."""
    doc = _two_tier_doc()
    doc["site"]["rack_positions"] = 2_000
    doc["hardware"][0]["existing_units"] = 1_200
    plan = solve(doc)
    assert plan.status == "infeasible"
    assert list(plan.diagnosis["family"]) == ["power"]
    assert "must rise to 1.2 MW" in plan.diagnosis["message"].iloc[0]


def test_whole_replicas_count_per_slice():
    """The two-tier instance with replicas of 4 units: each slice serves whole replicas,
    8 of the 10 units (2 replicas), chat at the peak and batch at night:
    8 * 15,768 = 126,144 Mtok each, revenue 126,144 + 63,072 = 189,216."""
    doc = _two_tier_doc()
    for row in doc["frontiers"]:
        row["units_per_replica"] = 4
    doc["whole_replicas"] = True
    plan = solve(doc)
    assert plan.verified
    assert plan.objective_usd == pytest.approx(189_216.0, rel=1e-9)
    assert sorted(plan.serve["units"]) == pytest.approx([8.0, 8.0])


def test_sensitivity_moves_each_share():
    """Sensitivity lists every slice's hours share and every non-zero profile entry (a zero
    share has nothing to scale)."""
    from optimizer.analysis.sensitivity import numeric_inputs

    keys = {str(k) for k in numeric_inputs(load_instance(_two_tier_doc()))}
    assert {"time_slices[peak].hours_share", "time_slices[night].hours_share"} <= keys
    assert {"tiers[chat].demand_profile[peak]", "tiers[batch].demand_profile[night]"} <= keys
    assert "tiers[chat].demand_profile[night]" not in keys
    assert not any(
        "slice" in k or "profile" in k for k in map(str, numeric_inputs(load_instance(TOY)))
    )


# ------------------------------------------------- time slices with the v3 options
# docs/model.md "Time slices", "Other families under slices": delivery shares and the cost
# objective's forecast hold in every slice; commitments bound the slices' sum; idle power
# is per installed unit, busy power weighted by the slices' hours.

PEAK_QUARTER = [{"id": "peak", "hours_share": 0.25}, {"id": "night", "hours_share": 0.75}]


def test_delivery_share_holds_in_every_slice():
    """The two-tier instance (chat $1 all at the peak, batch $0.5 all at night, slices of
    half the hours) with delivery_share 0.5: the 10 units bought in period 1 give
    10 - 0.5 * 10 = 5 usable units in each slice. A unit makes 0.5 A = 15,768 Mtok per slice:
    chat 5 * 15,768 = 78,840 at $1, batch 78,840 at $0.5: revenue 118,260.

    Were delivery read on the hours-weighted aggregate (0.5 * 10 + 0.5 * 0 <= 5), all 10
    units could serve chat at the peak: 157,680. The checker flags such a plan in the peak.
    """
    doc = _two_tier_doc()
    doc["hardware"][0]["delivery_share"] = 0.5
    plan = _optimal(doc, 118_260.0)
    serve = _by_tier_slice(plan.serve, "units")
    assert serve[("chat", "peak")] == pytest.approx(5.0)
    assert serve[("batch", "night")] == pytest.approx(5.0)
    sold = _by_tier_slice(plan.sold, "mtok")
    assert sold[("chat", "peak")] == pytest.approx(78_840.0)
    assert sold[("batch", "night")] == pytest.approx(78_840.0)

    # All 10 units on chat at the peak: capacity holds (10 installed), delivery does not.
    tampered = copy.deepcopy(plan)
    peak = (tampered.serve["tier"] == "chat") & (tampered.serve["slice"] == "peak")
    tampered.serve.loc[peak, "units"] = 10.0
    tampered.serve.loc[peak, "mtok"] = 157_680.0
    report = verify_plan(doc, tampered, optimality=False)
    assert "delivery" in report.families and "capacity" not in report.families
    assert report.by_family("delivery")[0].startswith("delivery[g1, 1, peak]")


def _least_cost_peak_doc() -> dict[str, Any]:
    """objective cost: one tier, forecast 10 A = 315,360 Mtok a year, 80% of it in the peak
    (a quarter of the hours); g1 at $1,000, electricity $100/MWh (876 USD per unit-year
    at full load), 100 rack positions."""
    doc = base(rack_positions=100, electricity_usd_per_mwh=100.0)
    doc["objective"] = "cost"
    doc["hardware"][0]["capex_usd"] = 1_000
    tier = doc["tiers"][0]
    del tier["price_usd_per_mtok"]
    tier["demand_mtok"] = 10 * A
    return doc


def test_least_cost_sizes_the_fleet_for_the_peak_slice():
    """Without slices 10 units make the forecast: cost 10 * 1,000 + 10 * 876 = 18,760.

    Slices: peak 1/4 of the hours with 80% of the forecast (252,288 Mtok), night 3/4 with
    20% (63,072). Each slice sells exactly its share. A unit makes 0.25 A = 7,884 Mtok at the
    peak: 252,288 / 7,884 = 32 units; the night needs 63,072 / 23,652 = 2.667 of them.
    Electricity is paid for the hours served: 0.25 * 32 + 0.75 * 2.667 = 10 unit-years,
    8,760 USD. Cost = 32 * 1,000 + 8,760 = 40,760.

    Marginal values (the plan's purchases continuous): one more Mtok at the peak costs a
    1 / 7,884 unit (0.126839 USD) and its 1 / A unit-year of power (0.027778): -0.154617 a
    Mtok; at night only the power, -0.027778. One more Mtok of the forecast, spread 80 / 20:
    0.8 * -0.154617 + 0.2 * -0.027778 = -0.129249.
    """
    doc = _least_cost_peak_doc()
    flat = solve(doc)
    assert flat.objective_usd == pytest.approx(18_760.0, rel=1e-9)

    doc["time_slices"] = copy.deepcopy(PEAK_QUARTER)
    doc["tiers"][0]["demand_profile"] = {"peak": 0.8, "night": 0.2}
    plan = _optimal(doc, 40_760.0)
    assert int(plan.buy["units"].sum()) == 32
    assert plan.energy_usd == pytest.approx(8_760.0, rel=1e-9)
    sold = plan.sold.set_index("slice")["mtok"]
    assert sold["peak"] == pytest.approx(252_288.0)
    assert sold["night"] == pytest.approx(63_072.0)
    serve = plan.serve.set_index("slice")["units"]
    assert serve["night"] == pytest.approx(63_072.0 / (0.75 * A))

    mv = plan.marginal_values
    rows = mv[mv["resource"] == "forecast_slice"].set_index("slice")["usd_per_unit"]
    peak_cost = 1_000 / (0.25 * A) + 876 / A
    assert rows["peak"] == pytest.approx(-peak_cost, rel=1e-6)
    assert rows["night"] == pytest.approx(-876 / A, rel=1e-6)
    total = mv[mv["resource"] == "forecast"]["usd_per_unit"].iloc[0]
    assert total == pytest.approx(-(0.8 * peak_cost + 0.2 * 876 / A), rel=1e-6)

    # Moving 52,288 Mtok of the peak's sales to the night keeps the period's total (the
    # forecast summed over slices) but not the peak's share: the checker names the peak.
    tampered = copy.deepcopy(plan)
    tampered.sold = tampered.sold.set_index("slice")
    tampered.sold.loc["peak", "mtok"] = 200_000.0
    tampered.sold.loc["night", "mtok"] = 115_360.0
    tampered.sold = tampered.sold.reset_index()
    report = verify_plan(doc, tampered, optimality=False)
    assert any(p.startswith("forecast[t, 1, peak]") for p in report.by_family("forecast"))


def test_least_cost_slices_a_forecast_too_big_for_the_peak():
    """The forecast above on 10 rack positions: the peak's 252,288 Mtok need 32 units, so it
    is infeasible, and the diagnosis names the peak: 10 units make 78,840 there, short by
    252,288 - 78,840 = 173,448 Mtok (the night's 63,072 fit)."""
    doc = _least_cost_peak_doc()
    doc["site"]["rack_positions"] = 10
    doc["time_slices"] = copy.deepcopy(PEAK_QUARTER)
    doc["tiers"][0]["demand_profile"] = {"peak": 0.8, "night": 0.2}
    plan = solve(doc)
    assert plan.status == "infeasible"
    diag = plan.diagnosis
    assert diag is not None
    rows = diag[diag["family"] == "forecast"]
    assert len(rows) == 1, diag
    assert "slice peak" in rows["message"].iloc[0]
    assert rows["relax_by"].iloc[0] == pytest.approx(173_448.0, rel=1e-6)


def test_commitment_bounds_the_sum_of_the_slices():
    """10 units, slices of half the hours (15,768 Mtok per unit and slice). chat ($1) wants
    157,680 Mtok, all at the peak: the whole peak's output. batch ($0.5) wants 200,000,
    a quarter at the peak (50,000) and three quarters at night (150,000), and is committed
    to 180,000 in the period.

    Night: batch sells its 150,000 (the capacity is free then). The other 30,000 of the
    commitment must come from the peak, displacing chat: chat 127,680 at $1, batch 180,000
    at $0.5: revenue 127,680 + 90,000 = 217,680 (without the commitment 157,680 + 75,000 =
    232,680). A commitment split by the profile (45,000 at the peak) would earn 210,180.
    """
    doc = _two_tier_doc()
    batch = doc["tiers"][1]
    batch["demand_mtok"] = 200_000
    batch["demand_profile"] = {"peak": 0.25, "night": 0.75}
    assert solve(doc).objective_usd == pytest.approx(232_680.0, rel=1e-9)
    batch["committed_mtok"] = 180_000
    plan = _optimal(doc, 217_680.0)
    sold = _by_tier_slice(plan.sold, "mtok")
    assert sold[("batch", "peak")] == pytest.approx(30_000.0)
    assert sold[("batch", "night")] == pytest.approx(150_000.0)
    assert sold[("chat", "peak")] == pytest.approx(127_680.0)
    by_period = plan.sold_by_period().set_index("tier")["mtok"]
    assert by_period["batch"] == pytest.approx(180_000.0)


def _idle_peak_doc() -> dict[str, Any]:
    """Profit, $100/MWh, capex 5,000 and idle power 0.5 on g1; 10 x A Mtok of demand, 80%
    in the peak quarter of the hours (PEAK_QUARTER), 20% at night."""
    doc = base(rack_positions=100, electricity_usd_per_mwh=100.0)
    doc["objective"] = "profit"
    doc["hardware"][0].update(capex_usd=5_000, idle_power_share=0.5)
    doc["tiers"][0]["demand_mtok"] = 10 * A
    doc["time_slices"] = copy.deepcopy(PEAK_QUARTER)
    doc["tiers"][0]["demand_profile"] = {"peak": 0.8, "night": 0.2}
    return doc


def test_idle_power_with_slices():
    """Profit, capex $5,000, electricity $100/MWh, idle_power_share 0.5: every installed unit
    pays 0.5 * 876 = 438 USD a year, and a unit-year of service 438 more. Demand 10 A =
    315,360 Mtok at $1, 80% in the peak quarter of the hours (252,288), 20% at night.

    The peak needs 32 units (252,288 / 7,884); the 32nd earns 7,884 for 5,000 + 438 idle +
    0.25 * 438 busy, so all 32 are bought. The night serves 63,072 / 23,652 = 2.667 units.
    Energy: idle 32 * 438 = 14,016, busy (0.25 * 32 + 0.75 * 2.667 = 10 unit-years) * 438 =
    4,380: 18,396. Profit = 315,360 - 32 * 5,000 - 18,396 = 136,964.
    """
    doc = _idle_peak_doc()
    plan = solve(doc)
    assert plan.status == "optimal" and plan.verified
    assert int(plan.buy["units"].sum()) == 32
    assert plan.energy_usd == pytest.approx(18_396.0, rel=1e-9)
    assert plan.objective_usd == pytest.approx(136_964.0, rel=1e-9)
    report = verify_plan(doc, plan)
    assert report.ok and report.objective_usd == pytest.approx(136_964.0, rel=1e-9)


def test_finance_reads_slices_as_unit_periods():
    """The finance module (optimizer.results.finance) on the sliced idle-power plan above:
    its energy is the hand-worked 18,396 USD (32 idle units, 10 unit-years serving; summing
    the slices' units unweighted would count 32 + 2.667 serving units and charge 15,184 of
    busy power), and its NPV is the objective, 136,964. On the sliced least-cost plan the
    NPV is minus the cost, -40,760."""
    doc = _idle_peak_doc()
    plan = solve(doc)
    assert plan.finance is not None
    flow = plan.finance.cash_flow
    assert float(flow["energy_usd"].sum()) == pytest.approx(18_396.0, rel=1e-9)
    assert plan.finance.npv_usd == pytest.approx(136_964.0, rel=1e-9)

    doc = _least_cost_peak_doc()
    doc["time_slices"] = copy.deepcopy(PEAK_QUARTER)
    doc["tiers"][0]["demand_profile"] = {"peak": 0.8, "night": 0.2}
    cost = solve(doc)
    assert cost.finance is not None
    assert cost.finance.npv_usd == pytest.approx(-40_760.0, rel=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_sliced_least_cost_with_v3_costs_matches_an_independent_scipy_model(seed):
    """Random 3-hardware x 2-tier x 2-period least-cost instances with 2 or 3 time slices,
    random demand profiles, opex, idle power, delivery shares and two platforms: the
    planner's optimum equals scipy's (or both are infeasible)."""
    rng = np.random.default_rng(200 + seed)
    slices = [
        [0.25, 0.75],
        [0.5, 0.5],
        [0.2, 0.3, 0.5],
    ][seed % 3]
    doc = random_v3_least_cost_doc(rng, f"rand-sliced-v3-{seed}", 150_000, slices)
    assert_least_cost_matches_scipy(doc)


def test_sliced_delivery_and_forecast_re_solve_in_place():
    """Sweeps on sliced v3 instances keep the built model (numbers are parameters).

    Delivery (the two-tier instance): delivery_share 0.5 -> 0.75 leaves 10 - 0.25 * 10 =
    7.5 units per slice: chat 7.5 * 15,768 = 118,260 at $1, batch 118,260 at $0.5:
    177,390.

    Least cost (the peak instance): the peak's profile 0.8 -> 0.5 (night rescaled to 0.5):
    the peak needs 157,680 / 7,884 = 20 units, the night 157,680 / 23,652 = 6.667; energy
    0.25 * 20 + 0.75 * 6.667 = 10 unit-years, 8,760; cost 20,000 + 8,760 = 28,760.
    """
    from optimizer.sweep.spec import apply, parse_key

    doc = _two_tier_doc()
    doc["hardware"][0]["delivery_share"] = 0.5
    inst = load_instance(doc)
    planner = Planner(inst)
    assert planner.solve().objective_usd == pytest.approx(118_260.0, rel=1e-9)
    moved = apply(inst.model_dump(), {parse_key("hardware[g1].delivery_share"): 0.75}, [1])
    assert not planner.update(load_instance(moved))  # False: not rebuilt, updated in place
    assert planner.solve().objective_usd == pytest.approx(177_390.0, rel=1e-9)

    doc = _least_cost_peak_doc()
    doc["time_slices"] = copy.deepcopy(PEAK_QUARTER)
    doc["tiers"][0]["demand_profile"] = {"peak": 0.8, "night": 0.2}
    inst = load_instance(doc)
    planner = Planner(inst)
    assert planner.solve().objective_usd == pytest.approx(40_760.0, rel=1e-9)
    moved = apply(inst.model_dump(), {parse_key("tiers[t].demand_profile[peak]"): 0.5}, [1])
    assert not planner.update(load_instance(moved))
    plan = planner.solve()
    assert plan.objective_usd == pytest.approx(28_760.0, rel=1e-9)
    assert int(plan.buy["units"].sum()) == 20
