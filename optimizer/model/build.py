"""Assemble the MILP of MODEL.md from :class:`~optimizer.model.data.ModelData`.

:func:`build_model` reads as the model's table of contents: sets, parameters,
variables, one call per constraint family (named as in MODEL.md), the objective.
Every number is a mutable Pyomo ``Param`` so that :func:`update_model` can change
values in place and a persistent solver re-solves without a rebuild.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from optimizer.model import constraints
from optimizer.model.data import ModelData
from optimizer.model.objective import objective


def build_model(data: ModelData) -> pyo.ConcreteModel:
    """The planning MILP for one instance, in model units (see :mod:`optimizer.model.data`)."""
    m = pyo.ConcreteModel(name="inference_factory_plan")
    m.data_structure = data.structure  # the index sets this model was built for
    define_sets(m, data)
    define_parameters(m, data)
    define_variables(m, data)

    constraints.capacity(m)
    constraints.production(m)
    constraints.demand(m)
    constraints.power(m)
    constraints.land(m)
    constraints.budget(m)
    constraints.supply(m)
    constraints.minimum_lot(m)
    constraints.power_share(m)
    constraints.whole_replica(m)

    objective(m)
    return m


def define_sets(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Index sets holding only what can exist: usable triples, availability windows."""
    s = d.structure
    m.P = pyo.Set(initialize=list(s.periods), ordered=True)
    m.H = pyo.Set(initialize=list(s.hardware), ordered=True)
    m.T = pyo.Set(initialize=list(s.tiers), ordered=True)
    m.BUY = pyo.Set(initialize=list(s.buy_index), dimen=2, ordered=True)
    m.INST = pyo.Set(initialize=list(s.installed_index), dimen=2, ordered=True)
    m.SERVE = pyo.Set(initialize=list(s.serve_index), dimen=3, ordered=True)
    m.HT = pyo.Set(initialize=sorted({(h, t) for h, t, _ in s.serve_index}, key=str), dimen=2)
    m.TP = pyo.Set(initialize=[(t, p) for t in s.tiers for p in s.periods], dimen=2, ordered=True)
    m.DEMAND = pyo.Set(initialize=list(s.demand_index), dimen=2, ordered=True)
    m.SHARE_LO = pyo.Set(initialize=list(s.share_lower_index), dimen=2, ordered=True)
    m.SHARE_HI = pyo.Set(initialize=list(s.share_upper_index), dimen=2, ordered=True)
    m.BUDGET_P = pyo.Set(initialize=list(s.budget_periods), ordered=True)
    m.SUPPLY_H = pyo.Set(initialize=list(s.supply_hardware), ordered=True)
    m.LOT_H = pyo.Set(initialize=list(s.lot_hardware), ordered=True)

    # Lookup tables the constraint rules use (plain dicts: built once, read often).
    m.alive_buys = {hp: list(q) for hp, q in s.installed_buys}
    serve_by_hp: dict[Any, list[str]] = {}
    serve_by_tp: dict[Any, list[str]] = {}
    for h, t, p in s.serve_index:
        serve_by_hp.setdefault((h, p), []).append(t)
        serve_by_tp.setdefault((t, p), []).append(h)
    m.serve_by_hp = serve_by_hp
    m.serve_by_tp = serve_by_tp
    m.inst_by_p = {p: [h for h, q in s.installed_index if q == p] for p in s.periods}
    m.buy_by_h = {h: [p for g, p in s.buy_index if g == h] for h in s.hardware}
    m.buy_by_p = {p: [h for h, q in s.buy_index if q == p] for p in s.periods}


def define_parameters(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Every number of the model, mutable so sweeps can change it in place."""

    def param(index: Any, values: dict[Any, float] | float) -> pyo.Param:
        if index is None:
            return pyo.Param(initialize=values, mutable=True, within=pyo.Reals)
        return pyo.Param(index, initialize=values, mutable=True, within=pyo.Reals, default=0.0)

    m.weight = param(m.P, d.weight)
    m.existing = param(m.H, d.existing)
    m.a = param(m.HT, d.a)
    m.price = param(m.TP, d.price)
    m.demand_cap = param(m.DEMAND, d.demand)
    m.unit_it_mw = param(m.H, d.unit_it_mw)
    m.pue = param(None, d.pue)
    m.power_cap_mw = param(m.P, d.power_cap_mw)
    m.unit_racks = param(m.H, d.unit_racks)
    m.rack_cap = param(m.P, d.rack_cap)
    m.unit_capex = param(m.H, d.unit_capex)
    m.budget_cap = param(m.BUDGET_P, d.budget)
    m.max_units = param(m.SUPPLY_H, d.max_units)
    m.min_units = param(m.LOT_H, {h: d.min_units[h] for h in d.structure.lot_hardware})
    m.big_m = param(m.LOT_H, d.big_m)
    m.min_share = param(m.T, d.min_share)
    m.max_share = param(m.T, d.max_share)
    m.energy_cost = param(m.SERVE, d.energy_cost)
    m.units_per_replica = param(m.HT, {k: d.units_per_replica.get(k, 1.0) for k in m.HT})


def define_variables(m: pyo.ConcreteModel, d: ModelData) -> None:
    """buy (integer), installed (expression), serve, sold, used (binary)."""
    m.buy = pyo.Var(m.BUY, domain=pyo.NonNegativeIntegers)
    m.serve = pyo.Var(m.SERVE, domain=pyo.NonNegativeReals)
    m.sold = pyo.Var(m.TP, domain=pyo.NonNegativeReals)
    m.used = pyo.Var(m.LOT_H, domain=pyo.Binary)
    # Option whole_replicas: replicas[h,t,p] integer (empty set when the option is off).
    m.REPLICA = pyo.Set(
        initialize=list(d.structure.serve_index) if d.structure.whole_replicas else [],
        dimen=3,
        ordered=True,
    )
    m.replicas = pyo.Var(m.REPLICA, domain=pyo.NonNegativeIntegers)
    set_buy_bounds(m, d)

    def installed(m: pyo.ConcreteModel, h: str, p: Any) -> Any:
        """installed[h,p] = existing[h] + sum of buy[h,q] still alive at p."""
        return m.existing[h] + sum(m.buy[h, q] for q in m.alive_buys[h, p])

    m.installed = pyo.Expression(m.INST, rule=installed)


def set_buy_bounds(m: pyo.ConcreteModel, d: ModelData) -> None:
    """buy[h,p] <= the most units power, land, budget and supply allow in p.

    A valid bound (implied by the constraints) that tightens the LP relaxation.
    """
    for hp in m.BUY:
        m.buy[hp].setub(d.buy_ub.get(hp))


def update_model(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Load the numbers of ``d`` into a model built for the same structure.

    Raises
    ------
    ValueError
        If ``d`` has a different structure: build a new model instead.
    """
    if d.structure != m.data_structure:
        raise ValueError("structure changed: build a new model")
    values: dict[str, Any] = {
        "weight": d.weight,
        "existing": d.existing,
        "a": d.a,
        "price": d.price,
        "demand_cap": d.demand,
        "unit_it_mw": d.unit_it_mw,
        "power_cap_mw": d.power_cap_mw,
        "unit_racks": d.unit_racks,
        "rack_cap": d.rack_cap,
        "unit_capex": d.unit_capex,
        "budget_cap": d.budget,
        "max_units": d.max_units,
        "min_units": {h: d.min_units[h] for h in d.structure.lot_hardware},
        "big_m": d.big_m,
        "min_share": d.min_share,
        "max_share": d.max_share,
        "energy_cost": d.energy_cost,
        "units_per_replica": {k: d.units_per_replica.get(k, 1.0) for k in m.HT},
    }
    for name, vals in values.items():
        getattr(m, name).store_values(vals)
    m.pue.set_value(d.pue)
    set_buy_bounds(m, d)
