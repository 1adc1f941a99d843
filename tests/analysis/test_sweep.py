"""Sweeps: each row equals a fresh solve of the same modified instance, on every path."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from optimizer import InputError, load_instance, solve
from optimizer.sweep import build_scenarios, parse_set, run_sweep, scenario_instance

from conftest import MTOK_PER_UNIT_YEAR as A
from conftest import TOY, base, run_cli

SETS = ["site.power_mw=8,11.5", "tiers[paid].price_usd_per_mtok=2,3"]


def _fresh(inst, changes) -> float:
    return solve(scenario_instance(inst, changes), mip_gap=1e-9).objective_usd


def _check_rows(inst, scenarios, table: pd.DataFrame) -> None:
    assert len(table) == len(scenarios)
    for i, changes in enumerate(scenarios):
        row = table.set_index("scenario").loc[i]
        assert row["status"] == "optimal"
        assert row["objective_usd"] == pytest.approx(_fresh(inst, changes), rel=1e-6)
        for key, value in changes.items():
            assert row[str(key)] == value


@pytest.fixture(scope="module")
def toy_sweep():
    inst = load_instance(TOY)
    scenarios = build_scenarios(inst, [parse_set(s) for s in SETS])
    return inst, scenarios


def test_scenarios_are_the_cartesian_product(toy_sweep) -> None:
    _, scenarios = toy_sweep
    assert [tuple(s.values()) for s in scenarios] == [(8, 2), (8, 3), (11.5, 2), (11.5, 3)]


def test_in_place_rows_match_fresh_solves(toy_sweep) -> None:
    inst, scenarios = toy_sweep
    result = run_sweep(inst, scenarios, workers=1)
    _check_rows(inst, scenarios, result.table)
    assert result.rebuilds == 0  # only numbers changed: one model, re-solved in place
    # Hand check of one row: 11.5 MW at $3 -> 11.5/10 of the toy's revenue.
    row = result.table.set_index("scenario").loc[3]
    assert row["objective_usd"] == pytest.approx(363_294_720 * 1.15, rel=1e-9)
    assert row["mv_power[2026]"] == pytest.approx(36_329_472.0, rel=1e-9)


def test_process_pool_rows_match_fresh_solves(toy_sweep) -> None:
    inst, scenarios = toy_sweep
    result = run_sweep(inst, scenarios, workers=2)
    _check_rows(inst, scenarios, result.table)


def test_dask_local_cluster_rows_match_fresh_solves(toy_sweep) -> None:
    distributed = pytest.importorskip("distributed")  # installed by the test extra
    inst, scenarios = toy_sweep
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = run_sweep(inst, scenarios, scheduler=cluster.scheduler_address)
    _check_rows(inst, scenarios, result.table)


def test_monte_carlo_repeats_with_the_same_seed() -> None:
    inst = load_instance(base())
    sets = [
        parse_set("site.rack_positions=uniform(2,9)"),
        parse_set("tiers[t].price_usd_per_mtok=scale(x0.5,x1.5)"),
    ]
    a = build_scenarios(inst, sets, samples=6, seed=42)
    b = build_scenarios(inst, sets, samples=6, seed=42)
    c = build_scenarios(inst, sets, samples=6, seed=43)
    assert a == b and a != c
    ta = run_sweep(inst, a, workers=1).table
    tb = run_sweep(inst, b, workers=1).table
    pd.testing.assert_series_equal(ta["objective_usd"], tb["objective_usd"])
    # scale(x0.5,x1.5) multiplies the base price ($1): every draw lies in [0.5, 1.5].
    prices = [s[parse_set("tiers[t].price_usd_per_mtok=1").key] for s in a]
    assert all(0.5 <= p <= 1.5 for p in prices)


def test_structure_change_rebuilds_and_bad_scenarios_are_recorded() -> None:
    inst = load_instance(base())
    scenarios = build_scenarios(
        inst, [parse_set("tiers[t].min_interactivity=10,500"), parse_set("site.pue=1,1.25")]
    )
    # A draw the schema refuses (normal() has no bounds to check before solving).
    scenarios[1] = {**scenarios[1], parse_set("site.pue=1").key: 0.5}
    result = run_sweep(inst, scenarios, workers=1)
    table = result.table.set_index("scenario")
    # (10, 1): 10 units at 10 tok/s/user. (500, 1): above the table -> nothing sells.
    assert table.loc[0, "objective_usd"] == pytest.approx(10 * A)
    assert table.loc[2, "objective_usd"] == pytest.approx(0.0)
    assert bool(table.loc[2, "structure_changed"]) and not bool(table.loc[0, "structure_changed"])
    assert result.rebuilds >= 1
    # pue 0.5 is invalid: recorded with its error, the sweep goes on.
    assert table.loc[1, "status"] == "error" and "site.pue" in table.loc[1, "error"]
    assert table.loc[3, "status"] == "optimal"


def test_range_values() -> None:
    assert parse_set("site.power_mw=500:1500:250").fixed == (500, 750, 1000, 1250, 1500)


@pytest.mark.parametrize(
    "option, needle",
    [
        ("site.powr=1,2", "no key 'powr'"),
        ("tiers[nope].price_usd_per_mtok=1", "no tiers with id 'nope'"),
        ("hardware.capex_usd=1", "pick an item by id"),
        ("site.power_mw=1:0:1", "stop >= start"),
        ("site.power_mw=normal(1)", "takes 2 numbers"),
        ("site.power_mw[1999]=5", "no period"),
    ],
)
def test_bad_keys_and_values_fail_before_solving(option: str, needle: str) -> None:
    inst = load_instance(base())
    with pytest.raises(InputError) as info:
        build_scenarios(inst, [parse_set(option)])
    assert needle in info.value.problems[0]


def test_cli_sweep_writes_parquet_and_csv(tmp_path: Path) -> None:
    doc = base()
    (tmp_path / "micro.json").write_text(json.dumps(doc))
    res = run_cli(
        ["sweep", "micro.json", "--set", "site.rack_positions=2:4:1", "--workers", "1"]
        + ["--out", "sw", "--quiet"],
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    table = pd.read_parquet(tmp_path / "sw" / "sweep.parquet")
    assert table["objective_usd"].tolist() == pytest.approx([2 * A, 3 * A, 4 * A])
    assert (tmp_path / "sw" / "sweep.csv").is_file()
    bad = run_cli(["sweep", "micro.json", "--set", "tiers[x].price_usd_per_mtok=1"], tmp_path)
    assert bad.returncode == 2 and "tiers[x].price_usd_per_mtok" in bad.stderr
    assert "Traceback" not in bad.stderr
