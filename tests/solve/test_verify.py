"""The independent checker (optimizer/verify/): it accepts every solved plan and rejects
tampered copies, naming the broken constraint family and its index."""

from __future__ import annotations

import copy
import re
from typing import Any

import pandas as pd
import pytest

from optimizer import Plan, compute_coefficients, load_instance, read_frontier_table, solve
from optimizer.verify import (
    FAMILIES,
    VerificationError,
    VerificationReport,
    recompute_coefficients,
    verify_plan,
)

from conftest import REPO, TOY, base, frontier

SITE = REPO / "instances" / "site-2026-2030.yaml"
GTC = REPO / "instances" / "gtc2026-1gw.yaml"
Solved = dict[str, tuple[Any, Plan]]
PROBLEM_LINE = re.compile(r"^(?P<family>[a-z ]+)(\[(?P<index>[^\]]*)\])?: \S")


@pytest.fixture(scope="module")
def solved() -> Solved:
    """The three shipped instances, each loaded and solved once for the module."""
    out = {}
    for key, path in (("toy", TOY), ("site", SITE), ("gtc", GTC)):
        inst = load_instance(path)
        out[key] = (inst, solve(inst))
    return out


def tampered(plan: Plan) -> Plan:
    return copy.deepcopy(plan)


def check_lines(report: VerificationReport) -> None:
    for line in report.problems:
        assert "\n" not in line
        m = PROBLEM_LINE.match(line)
        assert m and m["family"] in FAMILIES, line


def rejects(
    inst: Any, plan: Plan, family: str, index: str | None = None, *needles: str
) -> VerificationReport:
    """The checker reports a problem of ``family`` (at ``index``) mentioning ``needles``."""
    report = verify_plan(inst, plan)
    check_lines(report)
    assert not report.ok
    prefix = family if index is None else f"{family}[{index}]"
    hits = [p for p in report.problems if p.startswith(prefix) and all(n in p for n in needles)]
    assert hits, f"no {prefix!r} problem with {needles} in {report.problems}"
    with pytest.raises(VerificationError) as info:
        report.raise_if_failed()
    assert isinstance(info.value, AssertionError)
    assert all(p in str(info.value) for p in report.problems)
    return report


def _plus_row(df: pd.DataFrame, **row: Any) -> pd.DataFrame:
    """``df`` with one more row (a tampered plan's extra purchase or serving)."""
    return pd.concat([df, pd.DataFrame([row])], ignore_index=True)


def _row(df: pd.DataFrame, **match: Any) -> Any:
    mask = pd.Series(True, index=df.index)
    for k, v in match.items():
        mask &= df[k] == v
    idx = df.index[mask]
    assert len(idx) == 1, (match, df)
    return idx[0]


# ------------------------------------------------------------------ accepts solved plans
@pytest.mark.parametrize("key", ["toy", "site", "gtc"])
def test_accepts_the_shipped_instances(solved: Solved, key: str) -> None:
    inst, plan = solved[key]
    assert plan.status == "optimal"
    report = verify_plan(inst, plan)
    assert report.ok, report.problems
    assert report.objective_usd == pytest.approx(plan.objective_usd, rel=1e-9)
    report.raise_if_failed()  # no exception


def test_toy_recomputed_objective_is_the_contract_optimum(solved: Solved) -> None:
    inst, plan = solved["toy"]
    assert verify_plan(inst, plan).objective_usd == pytest.approx(363_294_720.0, rel=1e-9)


@pytest.mark.parametrize("key", ["toy", "site", "gtc"])
def test_coefficients_agree_with_the_package(solved: Solved, key: str) -> None:
    # Two implementations of docs/model.md steps 1-5, written apart, on real tables.
    inst, _ = solved[key]
    table = read_frontier_table(inst)
    theirs = compute_coefficients(table, inst).pairs
    mine = recompute_coefficients(inst, table)
    assert len(mine) == len(theirs) == len(inst.hardware) * len(inst.tiers)
    for rec in theirs.itertuples():
        c = mine[(rec.hardware, rec.tier)]
        assert c.usable == bool(rec.usable), (rec, c)
        if c.usable:
            assert c.r == pytest.approx(rec.r_tok_s_per_gpu, rel=1e-12)
            assert c.a == pytest.approx(rec.a_mtok_per_unit_period, rel=1e-12)


def _micro_docs() -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    docs["base"] = base()
    docs["power"] = base(power_mw=0.010, pue=1.25)
    docs["land"] = base(rack_positions=3)
    d = base(capex_budget_usd=250)
    d["hardware"][0]["capex_usd"] = 100
    docs["budget"] = d
    d = base()
    d["hardware"][0]["max_units"] = 5
    docs["supply"] = d
    d = base()
    d["tiers"][0].update(demand_mtok=1000, price_usd_per_mtok=2.0)
    docs["demand"] = d
    d = base(rack_positions=10)
    d.update(periods=[2026, 2027, 2028], discount_rate=0.1, objective="profit")
    d["site"]["electricity_usd_per_mwh"] = {2026: 50, 2027: 60, 2028: 70}
    d["hardware"] = [
        {
            "id": "g1",
            "gpus_per_unit": 1,
            "power_kw": 1,
            "capex_usd": 5000,
            "lifetime_years": 2,
            "available_until": 2026,
            "existing_units": 2,
        },
        {
            "id": "g2",
            "gpus_per_unit": 2,
            "power_kw": 3,
            "capex_usd": 20000,
            "available_from": 2027,
            "min_units": 3,
        },
    ]
    d["frontiers"] = frontier("g1") + frontier("g2", tok=1500.0)
    docs["periods"] = d
    d = base(power_mw=0.02)
    d["tiers"] = [
        {
            "id": "free",
            "model": "m",
            "context_tokens": 8192,
            "price_usd_per_mtok": 0,
            "min_interactivity": 40,
            "min_power_share": 0.25,
        },
        {
            "id": "paid",
            "model": "m",
            "context_tokens": 4096,
            "price_usd_per_mtok": 2,
            "min_interactivity": 60,
            "max_power_share": 0.6,
            "utilization": 0.5,
        },
        {
            "id": "fast",
            "model": "m",
            "context_tokens": 8192,
            "price_usd_per_mtok": 9,
            "min_interactivity": 500,
        },  # above the table: unusable
    ]
    docs["shares"] = d
    d = base(rack_positions=4)
    d["hardware"][0]["min_units"] = 6  # the lot does not fit: buy none
    docs["lot-too-big"] = d
    return docs


MICRO = _micro_docs()


@pytest.mark.parametrize("name", sorted(MICRO))
def test_accepts_micro_plans(name: str) -> None:
    inst = load_instance(MICRO[name])
    plan = solve(inst)
    assert plan.status == "optimal"
    report = verify_plan(inst, plan)
    assert report.ok, report.problems


def test_no_solution_has_nothing_to_check() -> None:
    doc = base()
    doc["hardware"][0]["existing_units"] = 20  # 20 positions needed, 10 available
    plan = solve(doc)
    assert plan.status == "infeasible"
    report = verify_plan(doc, plan)
    assert report.ok and report.objective_usd is None
    assert any("infeasible" in n for n in report.notes)


# ------------------------------------------------------------------ rejects tampered plans
def test_rejects_buy_beyond_power(solved: Solved) -> None:
    inst, plan = solved["toy"]  # its nvl72 and hgx-h100 fill 10 MW exactly
    bad = tampered(plan)
    bad.buy.loc[_row(bad.buy, hardware="nvl72"), "units"] += 1
    rejects(inst, bad, "power", "2026", "MW used > cap 10 MW")
    rejects(inst, bad, "installed", "nvl72, 2026")  # plan.installed no longer matches


def test_rejects_buy_beyond_land() -> None:
    inst = load_instance(base(rack_positions=3))
    bad = tampered(solve(inst))
    bad.buy.loc[0, "units"] = 4
    rejects(inst, bad, "land", "1", "4 rack positions used > cap 3")


def test_rejects_buy_beyond_budget(solved: Solved) -> None:
    inst, plan = solved["site"]  # the budget binds in 2028
    bad = tampered(plan)
    bad.buy.loc[_row(bad.buy, hardware="mi355x", period=2028), "units"] += 100
    rejects(inst, bad, "budget", "2028", "> budget 1,500,000,000 USD")


@pytest.mark.parametrize(
    ("hardware", "period", "family", "where", "text"),
    [
        # gb300 allocation: 160 racks, all bought in 2026
        ("gb300-nvl72", 2027, "supply", "gb300-nvl72", "161 units bought > max_units 160"),
        # h100-hgx is sold until 2026
        ("h100-hgx", 2028, "availability", "h100-hgx, 2028", "outside the sale window 2026..2026"),
    ],
)
def test_rejects_one_more_unit_bought(
    solved: Solved, hardware: str, period: int, family: str, where: str, text: str
) -> None:
    inst, plan = solved["site"]
    bad = tampered(plan)
    bad.buy = _plus_row(bad.buy, hardware=hardware, period=period, units=1)
    rejects(inst, bad, family, where, text)


def test_rejects_sold_above_production(solved: Solved) -> None:
    inst, plan = solved["toy"]
    bad = tampered(plan)
    bad.sold.loc[_row(bad.sold, tier="paid"), "mtok"] *= 1.01
    rejects(inst, bad, "production", "paid, 2026", "Mtok sold >")


def test_rejects_sold_above_demand() -> None:
    inst = load_instance(MICRO["demand"])
    bad = tampered(solve(inst))
    bad.sold.loc[0, "mtok"] = 1500.0
    rejects(inst, bad, "demand", "t, 1", "1,500 Mtok sold > demand 1,000 Mtok")


def test_rejects_serve_above_installed(solved: Solved) -> None:
    inst, plan = solved["toy"]
    bad = tampered(plan)
    bad.serve.loc[_row(bad.serve, hardware="nvl72", tier="paid"), "units"] += 1
    rejects(inst, bad, "capacity", "nvl72, 2026", "installed")


def test_rejects_serve_after_the_lifetime() -> None:
    # g1 bought in 2026 only, lives one period: nothing is installed in 2027.
    doc = base()
    doc.update(periods=[2026, 2027])
    doc["hardware"][0].update(lifetime_years=1, available_until=2026)
    inst = load_instance(doc)
    plan = solve(inst)
    assert verify_plan(inst, plan).ok
    bad = tampered(plan)
    bad.serve = _plus_row(bad.serve, hardware="g1", tier="t", period=2027, units=1.0)
    rejects(inst, bad, "capacity", "g1, 2027", "1 units serve tiers > 0 installed")


def test_rejects_a_wrong_installed_table(solved: Solved) -> None:
    inst, plan = solved["site"]  # 2026 purchases retire after 4 years: none left in 2030
    bad = tampered(plan)
    bad.installed.loc[_row(bad.installed, hardware="gb300-nvl72", period=2030), "units"] = 160
    rejects(inst, bad, "installed", "gb300-nvl72, 2030", "plan reports 160 units")


@pytest.mark.parametrize("factor", [1.01, 0.99])
def test_rejects_objective_off_by_one_percent(solved: Solved, factor: float) -> None:
    for key in ("toy", "site"):
        inst, plan = solved[key]
        bad = tampered(plan)
        assert plan.objective_usd is not None
        bad.objective_usd = plan.objective_usd * factor
        rejects(inst, bad, "objective", None, "plan reports")


def test_rejects_profit_that_ignores_electricity(solved: Solved) -> None:
    inst, plan = solved["site"]
    bad = tampered(plan)
    assert plan.energy_usd and plan.energy_usd > 1e8 and plan.objective_usd is not None
    bad.objective_usd = plan.objective_usd + plan.energy_usd
    bad.energy_usd = 0.0
    report = rejects(inst, bad, "objective", None, "electricity")
    assert any(p.startswith("objective[energy_usd]") for p in report.problems)


def test_rejects_fractional_buy(solved: Solved) -> None:
    inst, plan = solved["toy"]
    bad = tampered(plan)
    bad.buy["units"] = bad.buy["units"].astype(float)
    bad.buy.loc[_row(bad.buy, hardware="nvl72"), "units"] = 65.5
    rejects(inst, bad, "integrality", "nvl72, 2026", "65.5 units is not a whole number")


def test_rejects_a_broken_minimum_lot(solved: Solved) -> None:
    inst, plan = solved["site"]  # gb200 comes in lots of at least 8 racks
    bad = tampered(plan)
    bad.buy.loc[_row(bad.buy, hardware="gb200-nvl72"), "units"] = 5
    rejects(inst, bad, "minimum lot", "gb200-nvl72", "5 units bought, fewer than min_units 8")


def test_rejects_a_broken_min_power_share(solved: Solved) -> None:
    inst, plan = solved["toy"]  # free must hold 20% of installed IT power
    bad = tampered(plan)
    free = _row(bad.serve, hardware="nvl72", tier="free")
    paid = _row(bad.serve, hardware="nvl72", tier="paid")
    bad.serve.loc[free, "units"] -= 2
    bad.serve.loc[paid, "units"] += 2
    rejects(inst, bad, "power share", "free, 2026", "< min_power_share 0.2")


def test_rejects_a_broken_max_power_share() -> None:
    inst = load_instance(MICRO["shares"])
    plan = solve(inst)
    bad = tampered(plan)
    paid = bad.serve.index[bad.serve["tier"] == "paid"][0]
    bad.serve.loc[paid, "units"] *= 1.5
    rejects(inst, bad, "power share", "paid, 1", "> max_power_share 0.6")


def test_rejects_serving_a_pair_the_frontier_cannot_serve() -> None:
    inst = load_instance(MICRO["shares"])  # tier fast asks 500 tok/s/user; the table tops at 100
    bad = tampered(solve(inst))
    bad.serve = _plus_row(bad.serve, hardware="g1", tier="fast", period=1, units=0.5)
    rejects(inst, bad, "usable pairs", "g1, fast, 1", "cannot serve", "above every point")


def test_rejects_a_wrong_coefficient_in_the_report(solved: Solved) -> None:
    # serve.mtok must be a[h,t] * units with a recomputed from the frontier rows.
    inst, plan = solved["toy"]
    bad = tampered(plan)
    bad.serve.loc[_row(bad.serve, hardware="nvl72", tier="paid"), "mtok"] *= 1.001
    rejects(inst, bad, "production", "nvl72, paid, 2026", "a[h,t] * units")


def test_rejects_unknown_ids_and_negative_numbers(solved: Solved) -> None:
    inst, plan = solved["toy"]
    bad = tampered(plan)
    bad.sold.loc[_row(bad.sold, tier="free"), "mtok"] = -5.0
    bad.serve.loc[0, "hardware"] = "nope"
    report = rejects(inst, bad, "plan", "free, 2026", "negative")
    assert any("unknown hardware 'nope'" in p for p in report.problems)


def test_every_problem_is_reported_together(solved: Solved) -> None:
    inst, plan = solved["toy"]
    bad = tampered(plan)
    bad.buy.loc[_row(bad.buy, hardware="nvl72"), "units"] += 1
    bad.serve.loc[_row(bad.serve, hardware="nvl72", tier="paid"), "units"] += 5
    bad.objective_usd = 1.0
    report = verify_plan(inst, bad)
    assert {"power", "capacity", "objective", "installed"} <= report.families
    with pytest.raises(VerificationError) as info:
        report.raise_if_failed()
    assert len(info.value.problems) == len(report.problems) >= 4


def test_tolerances_absorb_solver_noise(solved: Solved) -> None:
    inst, plan = solved["toy"]
    noisy = tampered(plan)
    noisy.serve["units"] *= 1 + 1e-9
    noisy.serve["mtok"] *= 1 + 1e-9
    assert plan.objective_usd is not None
    noisy.objective_usd = plan.objective_usd * (1 + 1e-9)
    assert verify_plan(inst, noisy).ok
    assert not verify_plan(inst, noisy, rel_tol=1e-12, abs_tol=1e-12).ok


def test_time_limit_plans_are_checked_too(solved: Solved) -> None:
    inst, plan = solved["toy"]
    incumbent = tampered(plan)
    incumbent.status = "time_limit"
    report = verify_plan(inst, incumbent)
    assert report.ok and any("time limit" in n for n in report.notes)
    incumbent.buy.loc[_row(incumbent.buy, hardware="nvl72"), "units"] += 1
    rejects(inst, incumbent, "power", "2026")
    nothing = tampered(plan)
    nothing.status, nothing.objective_usd = "time_limit", None
    assert verify_plan(inst, nothing).ok


def test_the_checker_is_written_apart_from_the_model() -> None:
    # No Pyomo, no model/solve code, no coefficient code: an independent implementation.
    import ast

    files = sorted((REPO / "optimizer" / "verify").glob("*.py"))
    assert len(files) > 1
    imported: set[str] = set()
    for node in (n for f in files for n in ast.walk(ast.parse(f.read_text()))):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    forbidden = (
        "pyomo",
        "optimizer.model",
        "optimizer.solver",
        "optimizer.planning",
        "optimizer.frontiers.coefficients",
    )
    assert not [m for m in imported if m.startswith(forbidden)], imported
    assert not [m for m in imported if m in ("optimizer.solve", "optimizer.compute_coefficients")]


def test_instance_may_be_a_path(solved: Solved) -> None:
    _, plan = solved["toy"]
    assert verify_plan(TOY, plan).ok
    assert "ok" in str(verify_plan(str(TOY), plan))
