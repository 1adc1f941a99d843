"""Sweep and tornado charts, from small synthetic tables: PNGs written atomically, the
tornado's order by swing, the sweep table's inputs, and ``plot sweep``'s exit codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from optimizer.cli.plot_cmd import plot_app
from optimizer.plots.sweep import (
    binned_median,
    hardware_columns,
    has_plan,
    input_unit,
    plot_sweep,
    sweep_inputs,
)
from optimizer.plots.tornado import plot_tornado, tornado_order

from conftest import sensitivity_table

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 10_000 and path.read_bytes()[:8] == PNG_MAGIC


def _only(folder: Path, name: str) -> None:
    """``name`` is the only file: no temporary file left behind by the atomic write."""
    assert sorted(p.name for p in folder.iterdir()) == [name]


def grid_table() -> pd.DataFrame:
    """A grid sweep of one input, laid out as ``optimizer sweep`` writes it."""
    power = np.arange(100.0, 260.0, 20.0)
    return pd.DataFrame(
        {
            "scenario": range(len(power)),
            "site.power_mw": power,
            "status": "optimal",
            "objective_usd": 4e10 + 1.5e7 * np.minimum(power, 200.0),
            "mip_gap": 1e-5,
            "revenue_usd": 5e10 + 2e7 * power,
            "units_bought[hgx]": np.round(power * 1.5).astype(int),
            "units_bought[nvl72]": np.full(len(power), 40),
            "units_bought[unused]": 0,
            "mtok[high]": 1e9 * power,
            "mv_power[2027]": 3e7,
        }
    )


def monte_carlo_table(n: int = 30) -> pd.DataFrame:
    """Two inputs drawn at random; scenario 4 infeasible and 11 an error (no plan)."""
    rng = np.random.default_rng(7)
    power = rng.uniform(120, 240, n)
    price = rng.uniform(1, 4, n)
    obj = 1e8 * power + 5e9 * price
    status = np.array(["optimal"] * n, dtype=object)
    status[4], status[11], status[20] = "infeasible", "error", "time_limit"
    obj[[4, 11]] = np.nan
    t = pd.DataFrame(
        {
            "scenario": range(n),
            "site.power_mw": power,
            "tiers[r1-fast].price_usd_per_mtok": price,
            "status": status,
            "objective_usd": obj,
            "units_bought[b200-hgx]": np.round(power * 2),
            "units_bought[gb300-nvl72]": np.round(price * 30),
            "error": "",
        }
    )
    t.loc[[4, 11], ["units_bought[b200-hgx]", "units_bought[gb300-nvl72]"]] = np.nan
    t.loc[11, "error"] = "ValueError: boom"
    return t


def tornado_table() -> pd.DataFrame:
    base = 5e10
    rows = [  # input, base, objective at -10%, objective at +10%
        ("site.power_mw", 150.0, base - 2.0e9, base + 1.0e9),  # swing 3.0B
        ("tiers[high].price_usd_per_mtok", 2.5, base - 3.5e9, base + 3.5e9),  # 7.0B
        ("hardware[gb300-nvl72].capex_usd", 3.9e6, base + 4e8, base - 4e8),  # 0.8B
        ("discount_rate", 0.08, base + 9e8, base - 8e8),  # 1.7B
        ("tiers[low].demand_mtok[2027]", 2e10, base - 2.5e9, np.nan),  # no plan at +10%
    ]
    return sensitivity_table(base, rows)


# --------------------------------------------------------------------------- tables
def test_sweep_table_reading() -> None:
    mc = monte_carlo_table()
    assert sweep_inputs(mc) == ["site.power_mw", "tiers[r1-fast].price_usd_per_mtok"]
    assert sweep_inputs(grid_table()) == ["site.power_mw"]
    ok = has_plan(mc)
    assert int(ok.sum()) == len(mc) - 2 and not ok[4] and not ok[11] and ok[20]
    assert list(hardware_columns(mc)) == ["b200-hgx", "gb300-nvl72"]
    with pytest.raises(ValueError, match="status"):
        sweep_inputs(pd.DataFrame({"scenario": [0], "x": [1.0]}))


def test_binned_median() -> None:
    x = np.array([1.0, 1.0, 2.0, 2.0, 2.0, np.nan])
    y = np.array([1.0, 3.0, 5.0, 6.0, 100.0, 7.0])
    xs, ys = binned_median(x, y)
    assert xs.tolist() == [1.0, 2.0] and ys.tolist() == [2.0, 6.0]
    x = np.linspace(0, 1, 60)
    xs, ys = binned_median(x, 2 * x, max_bins=6)
    assert 4 <= len(xs) <= 6 and np.all(np.diff(xs) > 0)
    assert np.allclose(ys, 2 * xs)


def test_input_units() -> None:
    assert input_unit("tiers[high].price_usd_per_mtok")[1](1.8) == "$1.80"
    assert input_unit("hardware[x].capex_usd")[1](3_900_000) == "$3.9M"
    assert input_unit("site.power_mw[2027]")[0] == "MW"
    assert input_unit("hardware[x].capex_usd:factor")[1](0.9) == "×0.9"
    assert input_unit("discount_rate")[1](0.08) == "8%"


# ---------------------------------------------------------------------------- sweep
def test_sweep_grid_one_input(tmp_path: Path) -> None:
    out = plot_sweep(grid_table(), tmp_path / "sweep.png")
    assert out == tmp_path / "sweep.png" and _is_png(out)
    _only(tmp_path, "sweep.png")


def test_sweep_monte_carlo_with_failures(tmp_path: Path) -> None:
    out = plot_sweep(monte_carlo_table(), tmp_path / "sub" / "mc.png")
    assert _is_png(out)
    _only(out.parent, "mc.png")


def test_sweep_chosen_inputs_and_many_inputs(tmp_path: Path) -> None:
    mc = monte_carlo_table()
    assert _is_png(plot_sweep(mc, tmp_path / "one.png", inputs=["site.power_mw"]))
    wide = mc.copy()
    for i in range(4):  # six inputs: four drawn, a note names the rest
        wide.insert(3, f"tiers[t{i}].price_usd_per_mtok", np.linspace(1, 2, len(mc)) + i)
    assert len(sweep_inputs(wide)) == 6
    assert _is_png(plot_sweep(wide, tmp_path / "six.png"))
    with pytest.raises(ValueError, match="no-such"):
        plot_sweep(mc, tmp_path / "bad.png", inputs=["no-such.key"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.png", "six.png"]


def test_sweep_no_plan_at_all(tmp_path: Path) -> None:
    t = monte_carlo_table()[["scenario", "site.power_mw", "status", "objective_usd"]].copy()
    t["status"], t["objective_usd"] = "infeasible", np.nan
    assert _is_png(plot_sweep(t, tmp_path / "none.png"))


# -------------------------------------------------------------------------- tornado
def test_tornado_order_by_swing() -> None:
    t = tornado_table()
    assert tornado_order(t, top=15) == [
        "tiers[high].price_usd_per_mtok",
        "site.power_mw",
        "tiers[low].demand_mtok[2027]",  # ranked by its one side with a plan (2.5B)
        "discount_rate",
        "hardware[gb300-nvl72].capex_usd",
    ]
    assert tornado_order(t, top=2) == ["tiers[high].price_usd_per_mtok", "site.power_mw"]
    shuffled = t.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert tornado_order(shuffled, 15) == tornado_order(t, 15)


def test_tornado_png(tmp_path: Path) -> None:
    out = plot_tornado(tornado_table(), tmp_path / "tornado.png")
    assert out == tmp_path / "tornado.png" and _is_png(out)
    assert _is_png(plot_tornado(tornado_table(), tmp_path / "top3.png", top=3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["top3.png", "tornado.png"]
    with pytest.raises(ValueError, match="objective_low_usd"):
        plot_tornado(pd.DataFrame({"input": ["a"]}), tmp_path / "bad.png")


# ------------------------------------------------------------------------------ CLI
def _run(args: list[str]) -> Result:
    return CliRunner().invoke(plot_app, args)


def test_cli_sweep_default_path_and_input(tmp_path: Path) -> None:
    table = tmp_path / "sweep.csv"
    monte_carlo_table().to_csv(table, index=False)
    res = _run(["sweep", str(table)])
    assert res.exit_code == 0, res.stderr
    assert _is_png(tmp_path / "sweep.png")
    grid_table().to_parquet(tmp_path / "grid.parquet")
    out = tmp_path / "charts" / "grid.png"
    res = _run(["sweep", str(tmp_path / "grid.parquet"), "--out", str(out)])
    assert res.exit_code == 0, res.stderr
    assert _is_png(out)
    _only(out.parent, "grid.png")
    res = _run(["sweep", str(table), "--input", "nope", "--out", str(tmp_path / "x.png")])
    assert res.exit_code == 2
    assert res.stderr.startswith("error: ") and "nope" in res.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("name", ["missing.parquet", "missing.csv", "table.txt"])
def test_cli_sweep_missing_or_bad_file_exits_2(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text("scenario,status\n")
    res = _run(["sweep", str(path)])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(path) in lines[0]
    assert "Traceback" not in res.output
    assert not (tmp_path / "sweep.png").exists()


def test_cli_sweep_unreadable_table_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "sweep.parquet"
    bad.write_bytes(b"not a parquet file")
    res = _run(["sweep", str(bad)])
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and str(bad) in res.stderr
