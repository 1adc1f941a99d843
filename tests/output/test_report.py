"""optimizer report: the page, the workbook, sweeps and two-stage results, bad input.

Numbers are checked against the plan itself (the workbook read back with pandas) and
against values worked out by hand on small tables (percentiles, buy frequency)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimizer import solve
from optimizer.report.assumptions import commented_values, header_notes
from optimizer.report.build import build_report, plan_from_folder
from optimizer.report.html import render_html
from optimizer.report.stats import buy_frequency_from_table, input_effects, weighted_percentile
from optimizer.report.twostage_report import two_stage_report
from optimizer.report.workbook import write_workbook
from optimizer.results.write import write_plan

from conftest import REPO, TOY, run_cli, sensitivity_table

FIXTURE = REPO / "tests" / "data" / "stochastic.json"


@pytest.fixture(scope="module")
def toy_plan():
    return solve(TOY)


@pytest.fixture(scope="module")
def toy_report():
    return build_report(REPO / "instances" / "toy.yaml")


# ------------------------------------------------------------------ statistics by hand
def test_weighted_percentiles_by_hand():
    # equal weights on 1..10: the lower quantile is an outcome that occurred
    v = list(range(1, 11))
    w = [1.0] * 10
    assert [weighted_percentile(v, w, q) for q in (10, 50, 90)] == [1, 5, 9]
    # weights 0.2 / 0.5 / 0.3 on 40, 100, 140: cumulative 0.2, 0.7, 1.0
    # -> P10 = 40 (0.2 >= 0.1), P50 = 100 (0.7 >= 0.5), P90 = 140 (1.0 >= 0.9)
    v2, w2 = [140.0, 40.0, 100.0], [0.3, 0.2, 0.5]
    assert [weighted_percentile(v2, w2, q) for q in (10, 50, 90)] == [40, 100, 140]
    # order of rows and zero weights do not matter
    assert weighted_percentile([5, 1, 9], [0, 1, 1], 10) == 1


def test_buy_frequency_per_period_by_hand():
    # 4 scenarios; vr bought in 2027 by scenarios 0 and 2 (units 10 and 30): share 1/2,
    # mean units (10 + 0 + 30 + 0) / 4 = 10; h100 in 2026 by scenario 3 only: 1/4, 2/4.
    t = pd.DataFrame(
        {
            "scenario": [0, 1, 2, 3],
            "x": [1.0, 2.0, 3.0, 4.0],
            "status": ["optimal"] * 4,
            "objective_usd": [1.0, 2.0, 3.0, 4.0],
            "units_bought[vr]": [10, 0, 30, 0],
            "bought[vr,2027]": [10, np.nan, 30, np.nan],
            "bought[h100,2026]": [np.nan, np.nan, np.nan, 2],
        }
    )
    f = buy_frequency_from_table(t).set_index(["hardware", "period"])
    assert set(f.index) == {("vr", "2027"), ("h100", "2026")}  # per period wins over totals
    assert f.loc[("vr", "2027"), "share"] == pytest.approx(0.5)
    assert f.loc[("vr", "2027"), "mean_units"] == pytest.approx(10.0)
    assert f.loc[("h100", "2026"), "share"] == pytest.approx(0.25)
    assert f.loc[("h100", "2026"), "mean_units"] == pytest.approx(0.5)


def test_input_effects_find_the_input_that_matters():
    # objective = 100 * a + 1 * b exactly: a's swing from P10 to P90 is 100 x (its spread)
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0, 1, 50), rng.uniform(0, 1, 50)
    t = pd.DataFrame({"scenario": range(50), "a": a, "b": b, "status": "optimal"})
    t["objective_usd"] = 100 * a + b
    eff = input_effects(t, ["a", "b"]).set_index("input")
    assert list(eff.index) == ["a", "b"]
    assert eff.loc["a", "swing_usd"] == pytest.approx(
        100 * (np.quantile(a, 0.9) - np.quantile(a, 0.1))
    )
    assert eff.loc["b", "swing_usd"] == pytest.approx(np.quantile(b, 0.9) - np.quantile(b, 0.1))
    assert eff.loc["a", "spearman_rho"] > 0.9


# ---------------------------------------------------------------------- assumptions
def test_assumptions_read_from_comments():
    text = """# my site
# second line

name: x
site:
  power_mw: 10        # source: the utility's letter (2026)
  pue: 1.2            # assumption: liquid cooling
  electricity_usd_per_mwh:   # source: EIA table 5.6.A
    2026: 80
    2027: 82
hardware:
  - id: big           # a comment on the id line
    power_kw: 120     # source: vendor sheet; assumption: full load
    capex_usd: 3.9e6
  - id: "small"
    power_kw: 10      # source: "DGX # guide"
"""
    df = commented_values(text).set_index("key")
    assert list(df.index) == [
        "site.power_mw",
        "site.pue",
        "site.electricity_usd_per_mwh",
        "hardware[big].power_kw",
        "hardware[small].power_kw",
    ]
    assert df.loc["site.power_mw", "value"] == "10"
    assert df.loc["site.power_mw", "kind"] == "source"
    assert df.loc["site.pue", "kind"] == "assumption"
    assert df.loc["site.electricity_usd_per_mwh", "value"] == "2026: 80, 2027: 82"
    assert df.loc["hardware[big].power_kw", "kind"] == "source + assumption"
    assert df.loc["hardware[small].power_kw", "text"] == 'source: "DGX # guide"'
    assert header_notes(text) == "my site\nsecond line"


def test_reference_instance_assumptions_have_sources():
    from optimizer.instance.load import load_instance
    from optimizer.report.sections import assumptions_section

    path = REPO / "instances" / "gtc2026-1gw.yaml"
    sec = assumptions_section(path, load_instance(path))
    values = sec.tables[0].df
    # every hardware figure of the reference is commented: 8 units x 7 keys at least
    assert (values["key"].str.startswith("hardware[vr-nvl144].")).sum() >= 6
    assert (values["kind"].str.contains("source")).sum() > 40
    specs = sec.tables[1].df
    assert "hardware[vr-nvl144].power_kw_per_unit" in set(specs["key"])
    assert "CONVENTIONS" in sec.pre


# ------------------------------------------------------------------- plan reports
def test_workbook_numbers_equal_the_plan(toy_plan, toy_report, tmp_path: Path):
    path = write_workbook(toy_report, tmp_path / "r.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert {
        "headline",
        "hardware",
        "tiers",
        "serve",
        "resources",
        "baselines",
        "assumptions",
    } <= set(sheets)
    hw = sheets["hardware"]
    assert list(hw.columns[:4]) == ["period", "hardware", "bought (units)", "units (units)"]
    got = hw.set_index(["hardware", "period"])["units (units)"]
    inst = toy_plan.installed[toy_plan.installed["units"] > 0].set_index(["hardware", "period"])
    assert got.to_dict() == inst["units"].to_dict()
    assert pd.api.types.is_numeric_dtype(got)  # numbers stored as numbers
    tiers = sheets["tiers"].set_index(["tier", "period"])
    sold = toy_plan.sold.set_index(["tier", "period"])
    for key, row in sold.iterrows():
        assert tiers.loc[key, "revenue_usd (USD)"] == pytest.approx(row["revenue_usd"], rel=1e-12)
        assert tiers.loc[key, "mtok (Mtok)"] == pytest.approx(row["mtok"], rel=1e-12)
    # the toy's hand-derived optimum (instances/toy.yaml's header), on the baselines sheet too
    base = sheets["baselines"].set_index("plan")
    assert base.loc["optimal", "objective_usd (USD)"] == pytest.approx(363_294_720, rel=1e-9)
    head = dict(sheets["headline"].itertuples(index=False, name=None))
    assert head["status"] == "optimal"
    # frozen header rows on every sheet
    from openpyxl import load_workbook

    wb = load_workbook(path)
    assert all(ws.freeze_panes == "A2" for ws in wb.worksheets)


def test_html_is_self_contained_and_deterministic(toy_report):
    page = render_html(toy_report)
    assert page == render_html(toy_report)  # same report, same bytes
    # no fetch of anything outside Plotly's inlined bundle: no http(s) src/href, no CDN
    # script (the browser test checks that the page makes no request at all)
    bundle = page.index('<script type="text/javascript">')
    rest = page[:bundle] + page[page.index("</script>", bundle) :]
    assert page.count('<script type="text/javascript">') == 1  # the bundle, once
    assert not re.search(r"""(src|href)\s*=\s*["']https?://""", rest)
    assert "cdn.plot.ly" not in rest
    for section in (
        "The plan",
        "Resources used against caps",
        "Marginal values",
        "Pairs that cannot be used",
        "Baselines",
        "Assumptions and their sources",
        "Charts for a deck",
    ):
        assert section in page, section
    assert "363.29M" in page  # the headline objective


def test_results_folder_round_trip(toy_plan, tmp_path: Path):
    """A results folder gives back the plan's numbers without solving."""
    folder = tmp_path / "results" / "toy"
    write_plan(toy_plan, folder)
    back = plan_from_folder(folder)
    assert back.objective_usd == pytest.approx(toy_plan.objective_usd)
    assert back.buy.set_index(["hardware", "period"])["units"].to_dict() == (
        toy_plan.buy.set_index(["hardware", "period"])["units"].to_dict()
    )
    # what else optimizer writes into a results folder: a sensitivity table and a sweep
    (folder / "sensitivity").mkdir()
    sensitivity_table(
        3.63e8,
        [
            ("site.power_mw", 10.0, 3.27e8, 4.0e8),
            ("tiers[paid].price_usd_per_mtok", 3.0, 3.27e8, 4.0e8),
        ],
    ).to_parquet(folder / "sensitivity" / "sensitivity.parquet")
    (folder / "sweep").mkdir()
    pd.DataFrame(
        {
            "scenario": [0, 1, 2, 3],
            "site.power_mw": [8.0, 10.0, 12.0, 14.0],
            "status": "optimal",
            "objective_usd": [2.9e8, 3.6e8, 4.4e8, 5.1e8],
            "bought[nvl72,2026]": [50, 66, 76, 90],
        }
    ).to_csv(folder / "sweep" / "sweep.csv", index=False)
    res = run_cli(
        ["report", str(folder), "--xlsx", "--instance", str(REPO / "instances" / "toy.yaml")],
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    page = (folder / "report.html").read_text()
    assert len(page) > 1_000_000  # the plotly bundle is inside
    assert "site: power cap (MW)" in page  # the tornado, inputs in words
    assert "Sweep: distribution of the objective" in page
    sheets = pd.read_excel(folder / "report.xlsx", sheet_name=None)
    p = sheets["sweep_percentiles"].set_index("statistic")["objective_usd (USD)"]
    # 4 equal weights: P10 -> the 1st (0.25 >= 0.1), P50 -> the 2nd (0.5), P90 -> the 4th
    assert (p["P10"], p["P50"], p["P90"]) == (2.9e8, 3.6e8, 5.1e8)
    assert len(sheets["sensitivity"]) == 2
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


# ------------------------------------------------------------- sweeps and two-stage
def test_two_stage_report_figures(tmp_path: Path):
    doc = json.loads(FIXTURE.read_text())
    rep = two_stage_report(doc, source=str(FIXTURE))
    head = dict(rep.headline)
    assert head["EVPI: value of perfect information"] == "$7.50"
    assert head["VSS: value of the stochastic solution"] == "$2.50"
    # by hand (see test_weighted_percentiles_by_hand): 40 / 100 / 140
    assert (head["objective P10"], head["objective P50"], head["objective P90"]) == (
        "$40.00",
        "$100.00",
        "$140.00",
    )
    freq = {t.key: t.df for t in rep.tables()}["buy_frequency"].set_index(["hardware", "period"])
    # nvl72 in 2027: bought in "mid" (0.5, 6 units) and "high" (0.3, 12 units)
    assert freq.loc[("nvl72", "2027"), "share"] == pytest.approx(0.8)
    assert freq.loc[("nvl72", "2027"), "mean_units"] == pytest.approx(0.5 * 6 + 0.3 * 12)
    assert freq.loc[("hgx-h100", "2026"), "share"] == pytest.approx(1.0)
    # an extra numeric scenario field is read as an input: objective 40/100/140 against
    # demand_growth 1.5/2.5/3.5 -> least-squares slope 50 per unit; its P10..P90 (linear
    # quantiles 1.7..3.3) -> swing 50 x 1.6 = 80; ranks move together -> rho = 1
    drivers = {t.key: t.df for t in rep.tables()}["drivers"].set_index("input")
    assert drivers.loc["demand_growth", "swing_usd"] == pytest.approx(80.0)
    assert drivers.loc["demand_growth", "spearman_rho"] == pytest.approx(1.0)


def test_two_stage_minimal_degrades_gracefully(tmp_path: Path):
    """Only the required keys of docs/model.md's format: the report still renders."""
    doc = {
        "status": "optimal",
        "objective_usd": 10.0,
        "mip_gap": 0.0,
        "first_stage": [],
        "scenarios": [
            {"scenario": 1, "probability": 0.5, "status": "optimal", "objective_usd": 5.0},
            {"scenario": 2, "probability": 0.5, "status": "optimal", "objective_usd": 15.0},
        ],
        "evpi_usd": 1.0,
        "vss_usd": 0.0,
    }
    path = tmp_path / "stochastic.json"
    path.write_text(json.dumps(doc))
    res = run_cli(["report", str(tmp_path), "--xlsx"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    page = (tmp_path / "report.html").read_text()
    assert "Distribution of the objective" in page and "EVPI" in page
    sheets = pd.read_excel(tmp_path / "report.xlsx", sheet_name=None)
    p = sheets["percentiles"].set_index("statistic")["objective_usd (USD)"]
    assert (p["P10"], p["P50"], p["P90"]) == (5.0, 5.0, 15.0)  # cumulative 0.5 reaches P50 at 5


def test_sweep_report_from_a_real_sweep(tmp_path: Path):
    res = run_cli(
        [
            "sweep",
            str(REPO / "instances" / "toy.yaml"),
            "--set",
            "site.power_mw=6,10,14",
            "--workers",
            "1",
            "--out",
            str(tmp_path / "sw"),
        ],
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    table = pd.read_parquet(tmp_path / "sw" / "sweep.parquet")
    res = run_cli(["report", str(tmp_path / "sw" / "sweep.parquet"), "--xlsx"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    sheets = pd.read_excel(tmp_path / "sw" / "report.xlsx", sheet_name=None)
    p = sheets["percentiles"].set_index("statistic")["objective_usd (USD)"]
    objs = sorted(table["objective_usd"])
    assert (p["P10"], p["P50"], p["P90"]) == pytest.approx((objs[0], objs[1], objs[2]))
    freq = sheets["buy_frequency"]
    assert set(freq["period"].astype(str)) == {"2026"}  # per-period purchase columns
    assert freq["share (share)"].between(0, 1).all()
    assert "site.power_mw" in set(sheets["drivers"]["input"])
    # titled by the swept instance's name, not by the --out folder "sw" (issue 21 item 10)
    page = (tmp_path / "sw" / "report.html").read_text()
    assert "<title>Sweep of toy</title>" in page


# ------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "name, content, expect",
    [
        ("nothing.txt", "hello", "expected an instance"),
        (
            "stochastic.json",
            '{"first_stage": [], "scenarios": [{"probability": "x"}]}',
            "scenarios[0].probability",
        ),
        ("broken.json", "{", "not valid JSON"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path: Path, name: str, content: str, expect: str):
    path = tmp_path / name
    path.write_text(content)
    res = _invoke(["report", str(path)])
    assert res.exit_code == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0], res.stderr
    assert "Traceback" not in res.stderr
    assert path.read_text() == content  # nothing the user gave is touched
    assert not (tmp_path / "report.html").exists()


def test_missing_path_exit_2(tmp_path: Path):
    res = _invoke(["report", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2 and "file not found" in res.stderr


def _invoke(args: list[str]):
    """The command line in process (fast); the CLI tests above run the real process."""
    from typer.testing import CliRunner

    from optimizer.cli.main import app

    return CliRunner().invoke(app, args)


def test_infeasible_instance_report_says_what_to_relax(tmp_path: Path):
    """No plan: the page still opens, with the diagnosis; exit status 1."""
    import yaml

    doc = yaml.safe_load((REPO / "instances" / "toy.yaml").read_text())
    doc["frontiers"] = str(REPO / "instances" / "toy_frontiers.csv")
    doc["site"]["power_mw"] = 0.001
    doc["hardware"][0]["existing_units"] = 50  # their power alone exceeds the cap
    (tmp_path / "inf.yaml").write_text(yaml.safe_dump(doc))
    res = run_cli(["report", "inf.yaml", "--xlsx", "--out", "out"], cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    page = (tmp_path / "out" / "report.html").read_text()
    assert "Why there is no plan" in page and "must rise to" in page
    sheets = pd.read_excel(tmp_path / "out" / "report.xlsx", sheet_name=None)
    assert any("must rise to" in m for m in sheets["diagnosis"]["message"])


def test_two_stage_drivers_are_inputs_never_results():
    """A result column (ev_delivered_objective_usd, rho 0.999) is not a driver; inputs are.

    Issue 21 item 1: the report named a result as the main driver. With "input:" fields
    (what optimizer stochastic writes), only they are ranked: objective 40/100/140 against
    demand x0.5/x1/x1.5 -> slope 100 per unit of factor; P10..P90 of the factor (linear
    quantiles 0.6..1.4) -> swing 100 x 0.8 = 80.
    """
    doc = json.loads(FIXTURE.read_text())
    for s, f in zip(doc["scenarios"], (0.5, 1.0, 1.5), strict=True):
        s.pop("demand_growth")
        s["ev_delivered_objective_usd"] = s["objective_usd"] - 1.0  # a result, rho 1
        s["input:tiers[*].demand_mtok:factor"] = f
    rep = two_stage_report(doc, source=str(FIXTURE))
    drivers = {t.key: t.df for t in rep.tables()}["drivers"].set_index("input")
    assert list(drivers.index) == ["tiers[*].demand_mtok:factor"]
    assert drivers.loc["tiers[*].demand_mtok:factor", "swing_usd"] == pytest.approx(80.0)
    # a file from elsewhere without "input:" fields: still no *_usd result as a driver
    for s in doc["scenarios"]:
        s.pop("input:tiers[*].demand_mtok:factor")
    rep = two_stage_report(doc, source=str(FIXTURE))
    assert "drivers" not in {t.key for t in rep.tables()}


def test_executive_summary_agrees_with_the_headline():
    """Planners asked for a one-page summary consistent with the headline (issue 21).

    The toy (optimum 363,294,720 USD of revenue, docs/model.md): the summary's first line
    quotes the headline's objective text exactly; one more MW is worth 36,329,472 USD, so
    the binding-power line reads $36.33M; the page shows the summary first.
    """
    from optimizer.report.build import build_report
    from optimizer.report.html import render_html

    rep = build_report(REPO / "results" / "toy")
    head = dict(rep.headline)
    summary = rep.sections[0]
    assert summary.id == "summary"
    objective = head["objective (revenue, discounted)"]
    assert objective == "$363.29M" and objective in summary.points[0]
    assert any("$36.33M" in p for p in summary.points), summary.points
    page = render_html(rep)
    assert page.index("Executive summary") < page.index("The plan")
