"""Regression pins: the shipped instances' optima and model sizes (the toy's by hand).

A change of either is a change of the model or of the data: update the pin only with a
comment saying why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer import solve

from conftest import REPO, TOY, TOY_OPTIMUM


def test_site_2026_2030_optimum_and_size() -> None:
    plan = solve(REPO / "instances" / "site-2026-2030.yaml", mip_gap=1e-7)
    assert plan.status == "optimal"
    # Pinned 2026-11-27; an independent re-implementation of docs/model.md written apart from
    # this package (scipy-free, by a colleague while writing the instance) gave 4.171734e10.
    assert plan.objective_usd == pytest.approx(41_717_338_944.63, rel=1e-6)
    # 14 buy[h,p] inside sale windows + 1 used[gb200-nvl72] binary (min_units 8) = 15
    # integers; 146 usable serve triples + 25 sold[t,p] = 171 continuous.
    assert plan.model_size == {"variables": 186, "integer_variables": 15, "constraints": 100}
    # The default gap (1e-4) must land within it of the tight optimum.
    loose = solve(REPO / "instances" / "site-2026-2030.yaml")
    assert loose.objective_usd == pytest.approx(plan.objective_usd, rel=1e-4)


@pytest.mark.parametrize("toy", [TOY, REPO / "instances" / "toy.yaml"])
def test_toy_optimum(toy: Path) -> None:
    plan = solve(toy)
    assert plan.status == "optimal"
    assert plan.objective_usd == pytest.approx(TOY_OPTIMUM, rel=1e-9)
    # Power is the binding resource: 10 MW at PUE 1.25 is filled exactly.
    power = plan.resources.set_index("resource").loc["power_mw"]
    assert power["used"] == pytest.approx(10.0) and bool(power["binding"])
    sold = plan.sold.set_index("tier")["mtok"]
    assert sold["paid"] == pytest.approx(121_098_240.0, rel=1e-9)
