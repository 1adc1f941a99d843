"""``hardware[].frontier_scale``: one hardware's throughput uncertainty, by hand on the toy.

The toy's paid tier runs on nvl72 at 1,000 tok/s/GPU x 72 / 120 kW = 600 tok/s per kW,
against 150 x 8 / 10 = 120 on hgx-h100. Its optimum, 363,294,720 USD, is 6,400 kW x 600
tok/s/kW x 31,536,000 s / 1e6 x $3 (instances/toy.yaml).

* nvl72 at 0.5: 300 tok/s/kW, still above hgx-h100's 120, so the same plan at half the
  rate: 181,647,360 USD.
* hgx-h100 at 2: 240 tok/s/kW, still below nvl72's 600: the optimum does not move.
"""

from __future__ import annotations

import pytest

from optimizer import load_instance, solve
from optimizer.frontiers.coefficients import compute_coefficients
from optimizer.frontiers.table import read_frontier_table
from optimizer.sweep import build_scenarios, parse_set, run_sweep, scenario_instance

from conftest import TOY, TOY_OPTIMUM


def _scaled(hw: str, scale: float):
    inst = load_instance(TOY)
    return scenario_instance(inst, {parse_set(f"hardware[{hw}].frontier_scale={scale}").key: scale})


def test_scale_one_hardware_by_hand() -> None:
    assert solve(_scaled("nvl72", 0.5), mip_gap=1e-9).objective_usd == pytest.approx(
        TOY_OPTIMUM / 2, rel=1e-9
    )
    assert solve(_scaled("hgx-h100", 2.0), mip_gap=1e-9).objective_usd == pytest.approx(
        TOY_OPTIMUM, rel=1e-9
    )


def test_coefficients_of_other_hardware_are_untouched() -> None:
    inst = _scaled("nvl72", 0.25)
    base = load_instance(TOY)
    table = read_frontier_table(base)
    a = compute_coefficients(table, inst).pairs.set_index(["hardware", "tier"])
    b = compute_coefficients(table, base).pairs.set_index(["hardware", "tier"])
    col = "a_mtok_per_unit_period"
    assert a.loc[("nvl72", "paid"), col] == pytest.approx(0.25 * b.loc[("nvl72", "paid"), col])
    assert a.loc[("hgx-h100", "paid"), col] == pytest.approx(b.loc[("hgx-h100", "paid"), col])


def test_sweep_over_a_hardware_scale_rebuilds_coefficients_in_place() -> None:
    inst = load_instance(TOY)
    scenarios = build_scenarios(inst, [parse_set("hardware[nvl72].frontier_scale=0.5,1")])
    table = run_sweep(inst, scenarios, workers=1).table.sort_values("scenario")
    assert table["objective_usd"].tolist() == pytest.approx(
        [TOY_OPTIMUM / 2, TOY_OPTIMUM], rel=1e-6
    )
