"""The model's numbers are Params listed once: a built model updated in place equals a fresh
build (Planner.update relies on it)."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer import load_instance
from optimizer.frontiers.coefficients import compute_coefficients
from optimizer.frontiers.table import read_frontier_table
from optimizer.model.build import build_model, parameter_values, update_model
from optimizer.model.data import ModelData

from conftest import base


def _model_data(doc: dict) -> ModelData:
    inst = load_instance(doc)
    return ModelData.from_instance(
        inst, compute_coefficients(read_frontier_table(inst), inst), inst.objective
    )


def test_one_parameter_list_builds_and_updates_every_parameter() -> None:
    d1 = _model_data(base(capex_budget_usd=5e5))
    d2 = _model_data(base(power_mw=3.0, rack_positions=7, capex_budget_usd=1e6))
    m = build_model(d1)
    params = {p.local_name for p in m.component_objects(pyo.Param)}
    assert params == set(parameter_values(d1))  # the list is the model's parameters
    update_model(m, d2)
    fresh = build_model(d2)
    for name in params:
        got = getattr(m, name).extract_values()
        want = getattr(fresh, name).extract_values()
        assert got == want, name
