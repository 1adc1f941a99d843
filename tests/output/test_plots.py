"""Charts: PNGs written, the frontier's numbers computed by hand, bad input exits 2."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from optimizer import load_instance
from optimizer.cli.plot_cmd import plot_app
from optimizer.planning.planner import Planner
from optimizer.plots.frontier import frontier_series, operating_points, plot_frontier
from optimizer.plots.plan import plan_tables, plot_plan

from conftest import REPO

INSTANCES = {
    "toy": REPO / "instances" / "toy.yaml",
    "site": REPO / "instances" / "site-2026-2030.yaml",
}
MODELS = {"toy": "big-moe", "site": "deepseek-r1"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def solved() -> dict:
    out = {}
    for key, path in INSTANCES.items():
        inst = load_instance(path)
        planner = Planner(inst)
        out[key] = (inst, planner.table, planner.solve())
    return out


def _is_png(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 10_000 and path.read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize("key", ["toy", "site"])
def test_frontier_png(solved, tmp_path: Path, key: str):
    inst, table, plan = solved[key]
    out = plot_frontier(inst, table, plan, MODELS[key], out_path=tmp_path / "f.png")
    assert out == tmp_path / "f.png" and _is_png(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png"]  # no temporary file left


@pytest.mark.parametrize("key", ["toy", "site"])
def test_plan_png(solved, tmp_path: Path, key: str):
    inst, _, plan = solved[key]
    out = plot_plan(inst, plan, tmp_path / "sub" / "plan.png")
    assert _is_png(out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["plan.png"]


def test_frontier_series_is_tokens_per_facility_mw(solved):
    """y = tok_s_per_gpu * gpus_per_unit / (power_kw * pue / 1000), worked by hand for the toy
    (PUE 1.25): nvl72 (72 GPUs, 120 kW -> 150 kW of facility power) and hgx-h100 (8 GPUs, 10 kW)."""
    inst, table, _ = solved["toy"]
    s = frontier_series(inst, table, "big-moe")
    nvl = s[s["hardware"] == "nvl72"].set_index("interactivity")["tok_s_per_mw"]
    assert nvl[50.0] == pytest.approx(480_000.0)  # 1000 * 72 / (120 * 1.25 / 1000)
    assert nvl.to_dict() == pytest.approx(
        {20.0: 720_000.0, 50.0: 480_000.0, 100.0: 240_000.0, 200.0: 72_000.0}
    )
    h100 = s[s["hardware"] == "hgx-h100"].set_index("interactivity")["tok_s_per_mw"]
    assert h100.to_dict() == pytest.approx({20.0: 192_000.0, 50.0: 96_000.0, 100.0: 32_000.0})
    assert set(s["context_tokens"]) == {8192}  # default: the model's smallest context


def test_operating_points_of_the_toy(solved):
    inst, table, plan = solved["toy"]
    pts = operating_points(inst, table, plan, "big-moe").set_index(["hardware", "tier"])
    assert list(pts.index) == [("nvl72", "paid")]
    p = pts.loc[("nvl72", "paid")]
    assert p["interactivity"] == 50.0 and p["tok_s_per_mw"] == pytest.approx(480_000.0)
    assert p["units"] == pytest.approx(6_400 / 120)  # 6,400 kW of paid power on 120 kW racks
    assert not p["ttft_limited"]


def test_operating_point_below_the_curve_when_ttft_caps_it(tmp_path: Path):
    """A $10 tier at 60 tok/s/user with TTFT <= 0.6 s: only nvl72's rows at 100 (500 tok/s/GPU,
    0.5 s) and 200 (0.4 s) qualify, so r = 500 -> 240,000 tok/s per MW, below the curve's
    900 tok/s/GPU at 60 (between 1000 at 50 and 500 at 100) -> 432,000."""
    doc = yaml.safe_load((REPO / "instances" / "toy.yaml").read_text())
    doc = copy.deepcopy(doc)
    doc["tiers"].append(
        {
            "id": "pro",
            "model": "big-moe",
            "context_tokens": 8192,
            "price_usd_per_mtok": 10,
            "min_interactivity": 60,
            "max_ttft_s": 0.6,
            "demand_mtok": 5e7,
        }
    )
    doc["frontiers"] = str(REPO / "instances" / "toy_frontiers.csv")
    inst = load_instance(doc)
    planner = Planner(inst)
    plan = planner.solve()
    pts = operating_points(inst, planner.table, plan, "big-moe").set_index(["hardware", "tier"])
    p = pts.loc[("nvl72", "pro")]
    assert p["tok_s_per_mw"] == pytest.approx(240_000.0)
    assert p["curve_tok_s_per_mw"] == pytest.approx(432_000.0)
    assert p["ttft_limited"]
    assert _is_png(plot_frontier(inst, planner.table, plan, "big-moe", out_path=tmp_path / "f.png"))


def test_plan_tables_add_up(solved):
    inst, _, plan = solved["site"]
    d = plan_tables(inst, plan)
    installed = d["installed_facility_mw"].sum(axis=1)
    assert (
        d["tier_facility_mw"].sum(axis=1) - installed
    ).abs().max() < 1e-6  # tiers + idle = fleet
    assert (installed <= d["caps"]["power_mw"] + 1e-6).all()
    spend = d["buy_capex_usd"].sum(axis=1)
    assert (spend <= d["caps"]["capex_usd"] + 1e-3).all()


# --------------------------------------------------------------------------- command line
def _run(args: list[str]):
    return CliRunner().invoke(plot_app, args)


def test_cli_unknown_model_exits_2_with_one_line(tmp_path: Path):
    res = _run(
        [
            "frontier",
            str(INSTANCES["toy"]),
            "--model",
            "no-such-model",
            "--out",
            str(tmp_path / "x.png"),
        ]
    )
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "no-such-model" in lines[0] and "big-moe" in lines[0] and "small-moe" in lines[0]
    assert "Traceback" not in res.output
    assert not (tmp_path / "x.png").exists()


def test_cli_bad_instance_exits_2(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    doc = yaml.safe_load(INSTANCES["toy"].read_text())
    doc["tiers"][0]["min_interactivity"] = 0
    doc["hardware"][0]["power_kw"] = -1
    doc["frontiers"] = str(REPO / "instances" / "toy_frontiers.csv")
    bad.write_text(yaml.safe_dump(doc))
    for cmd in (["plan", str(bad)], ["frontier", str(bad), "--no-plan"]):
        res = _run(cmd)
        assert res.exit_code == 2
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 2, res.stderr  # one line per problem
        assert any("min_interactivity" in line for line in lines)
        assert any("power_kw" in line for line in lines)


def test_cli_default_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    res = _run(["frontier", str(INSTANCES["toy"]), "--model", "big-moe"])
    assert res.exit_code == 0, res.stderr
    assert _is_png(tmp_path / "results" / "toy" / "frontier-big-moe.png")
    res = _run(["plan", str(INSTANCES["toy"])])
    assert res.exit_code == 0, res.stderr
    assert _is_png(tmp_path / "results" / "toy" / "plan.png")


def test_frontier_marks_curves_that_cross_a_tier_but_miss_its_ttft_cap() -> None:
    """Issue 21 item 6: GB200/GB300 curves run past premium's 60 tok/s/user line, but their
    rows there take ~49 s to the first token (cap 30 s): an X marks them at 60."""
    from optimizer.frontiers.table import read_frontier_table
    from optimizer.plots.frontier import _ttft_capped, frontier_series

    inst = load_instance(REPO / "instances" / "gtc2026-1gw.yaml")
    table = read_frontier_table(inst)
    series = frontier_series(inst, table, "gpt-moe-1.8t", 400000)
    premium = [t for t in inst.tiers if t.id == "premium"]
    capped = {h: x for h, x, _ in _ttft_capped(inst, table, series, premium)}
    assert capped.get("gb200-nvl72") == 60 and capped.get("gb300-nvl72") == 60
    assert "vr-nvl144" not in capped  # usable: it serves premium
