"""Assemble the MILP of docs/model.md from :class:`~optimizer.model.data.ModelData`.

:func:`build_model` reads as the model's table of contents: sets, parameters,
variables, one call per constraint family (named as in docs/model.md), the objective.
Every number is a mutable Pyomo ``Param`` so that :func:`update_model` can change
values in place and a persistent solver re-solves without a rebuild.
"""

from __future__ import annotations

import math
from typing import Any

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from optimizer.model import constraints
from optimizer.model.data import ModelData
from optimizer.model.objective import objective


def build_model(data: ModelData) -> pyo.ConcreteModel:
    """The planning MILP for one instance, in model units (see :mod:`optimizer.model.data`).

    Python's cyclic garbage collector is paused meanwhile: the model is some hundred
    thousand new objects, none of them garbage, and the collections they set off (each
    walking every object built so far) were half of building a large model.
    """
    with PauseGC():
        return _build(data)


def _build(data: ModelData) -> pyo.ConcreteModel:
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
    constraints.price_menu(m)
    constraints.whole_replica(m)
    # v3 options (docs/model.md "v3 options"): each adds nothing when off
    constraints.forecast(m)
    constraints.committed(m)
    constraints.delivery(m)
    constraints.platform(m)
    constraints.cooling(m)
    constraints.price_move(m)
    constraints.time_slice(m)

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
    # price menus (option): entries (t, p, k) and the (t, p) they belong to
    m.MENU = pyo.Set(initialize=list(s.menu_index), dimen=3, ordered=True)
    menu_tp = [(t, p) for t in s.menu_tiers for p in s.periods]
    m.MENU_TP = pyo.Set(initialize=menu_tp, dimen=2, ordered=True)
    m.PRICED = pyo.Set(
        initialize=[(t, p) for t, p in m.TP if t not in s.menu_tiers], dimen=2, ordered=True
    )
    m.menu_by_tp = {tp: [k for t, p, k in s.menu_index if (t, p) == tp] for tp in menu_tp}

    # Option time_slices: every set below is empty when it is off (the model has no slice
    # index then); on, serve and sold get a per-slice copy (docs/model.md "Time slices").
    sl = list(s.slices)
    m.SLICE = pyo.Set(initialize=sl, ordered=True)
    m.TSL = pyo.Set(initialize=[(t, x) for t in s.tiers for x in sl], dimen=2, ordered=True)
    m.SERVE_S = pyo.Set(
        initialize=[(h, t, p, x) for h, t, p in s.serve_index for x in sl], dimen=4, ordered=True
    )
    m.TPS = pyo.Set(
        initialize=[(t, p, x) for t in s.tiers for p in s.periods for x in sl],
        dimen=3,
        ordered=True,
    )
    m.HT_S = pyo.Set(initialize=[(h, t, x) for h, t in m.HT for x in sl], dimen=3, ordered=True)
    m.INST_S = pyo.Set(
        initialize=[(h, p, x) for h, p in s.installed_index for x in sl], dimen=3, ordered=True
    )

    def by_slice(index: Any) -> list[Any]:
        return [(*k, x) for k in index for x in sl]

    m.DEMAND_S = pyo.Set(initialize=by_slice(s.demand_index), dimen=3, ordered=True)
    m.MENU_TPS = pyo.Set(initialize=by_slice(menu_tp), dimen=3, ordered=True)
    m.MENU_S = pyo.Set(initialize=by_slice(s.menu_index), dimen=4, ordered=True)
    m.SHARE_LO_S = pyo.Set(initialize=by_slice(s.share_lower_index), dimen=3, ordered=True)
    m.SHARE_HI_S = pyo.Set(initialize=by_slice(s.share_upper_index), dimen=3, ordered=True)

    define_v3_sets(m, d)

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


def define_v3_sets(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Index sets of the v3 options (docs/model.md "v3 options"); empty when off."""
    s = d.structure
    m.FORECAST = pyo.Set(initialize=list(s.forecast_index), dimen=2, ordered=True)
    m.COMMITTED = pyo.Set(initialize=list(s.committed_index), dimen=2, ordered=True)
    m.DELIVERY = pyo.Set(initialize=list(s.delivery_index), dimen=2, ordered=True)
    # With time slices the forecast and delivery rows hold in every slice (empty when off).
    sl = list(s.slices)
    m.FORECAST_S = pyo.Set(
        initialize=[(t, p, x) for t, p in s.forecast_index for x in sl], dimen=3, ordered=True
    )
    m.DELIVERY_S = pyo.Set(
        initialize=[(h, p, x) for h, p in s.delivery_index for x in sl], dimen=3, ordered=True
    )
    m.F = pyo.Set(initialize=list(s.platforms), ordered=True)
    m.FP = pyo.Set(initialize=[(f, p) for f in s.platforms for p in s.periods], dimen=2)
    platform_of = dict(s.platform_of)
    m.platform_of = platform_of
    m.PLATFORM_INST = pyo.Set(
        initialize=[(h, p) for h, p in s.installed_index if h in platform_of],
        dimen=2,
        ordered=True,
    )
    m.COOLING = pyo.Set(initialize=list(s.cooling_index), dimen=2, ordered=True)
    m.cooling_of = dict(s.cooling_of)
    m.PRICE_MOVE = pyo.Set(initialize=list(s.price_move_index), dimen=4, ordered=True)
    m.next_period = {s.periods[i]: s.periods[i + 1] for i in range(len(s.periods) - 1)}


def parameter_values(d: ModelData) -> dict[str, tuple[str | None, Any]]:
    """Every number of the model, once: name -> (index set, values; None = a scalar).

    Both :func:`define_parameters` (build) and :func:`update_model` (in place) read this
    list, so a parameter cannot be built and then forgotten by updates.
    """
    energy_sign = -1.0 if d.structure.objective == "profit" else 1.0
    return {
        "weight": ("P", d.weight),
        "existing": ("INST", d.existing),
        "a": ("HT", d.a),
        "price": ("TP", d.price),
        "demand_cap": ("DEMAND", d.demand),
        "unit_it_mw": ("H", d.unit_it_mw),
        "pue": (None, d.pue),
        "power_cap_mw": ("P", d.power_cap_mw),
        "unit_racks": ("H", d.unit_racks),
        "rack_cap": ("P", d.rack_cap),
        "unit_capex": ("BUY", d.unit_capex),
        "budget_cap": ("BUDGET_P", d.budget),
        "max_units": ("SUPPLY_H", d.max_units),
        "min_units": ("LOT_H", {h: d.min_units[h] for h in d.structure.lot_hardware}),
        "big_m": ("LOT_H", d.big_m),
        "min_share": ("T", d.min_share),
        "max_share": ("T", d.max_share),
        "energy_cost": ("SERVE", d.energy_cost),
        "residual": ("BUY", d.residual),  # all 0 unless residual_value is on
        "fixed_cost": (None, d.fixed_cost),
        "menu_price": ("MENU", d.menu_price),
        "menu_demand": ("MENU", d.menu_demand),
        # v3 options (docs/model.md "v3 options"), empty when off
        "committed_mtok": ("COMMITTED", d.committed),
        "opex": ("INST", d.opex),
        "idle_energy": ("INST", d.idle_energy),
        "late_share": ("DELIVERY", d.late_share),
        "platform_cost": ("FP", d.platform_cost),
        "platform_m": ("PLATFORM_INST", d.platform_m),
        "cooling_cap": ("COOLING", d.cooling_cap),
        "price_far": ("PRICE_MOVE", d.price_far),
        # option time_slices (empty when off)
        "hours_share": ("SLICE", d.hours_share),
        "demand_share": ("TSL", d.demand_share),
        # time slices: products of the numbers above, so that a coefficient of a slice's
        # row or of the objective is one parameter, not an expression Pyomo evaluates
        # term by term (most of handing a sliced model to HiGHS, and of each update)
        # (signed as the objective reads it: - under profit, + under cost)
        "slice_energy_cost": (
            "SERVE_S",
            {
                (h, t, p, x): energy_sign * d.weight[p] * d.energy_cost[h, t, p] * d.hours_share[x]
                for h, t, p in d.structure.serve_index
                for x in d.structure.slices
            },
        ),
        "slice_yield": (
            "HT_S",
            {
                (h, t, x): d.hours_share[x] * d.a[h, t]
                for h, t in {(h, t) for h, t, _ in d.structure.serve_index}
                for x in d.structure.slices
            },
        ),
        "units_per_replica": (
            "HT",
            {(h, t): d.units_per_replica.get((h, t), 1.0) for h, t, _ in d.structure.serve_index},
        ),
    }


def define_parameters(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Every number of the model, mutable so sweeps can change it in place."""
    for name, (index, values) in parameter_values(d).items():
        if index is None:
            param = pyo.Param(initialize=values, mutable=True, within=pyo.Reals)
        else:
            param = pyo.Param(
                getattr(m, index), initialize=values, mutable=True, within=pyo.Reals, default=0.0
            )
        setattr(m, name, param)


def zero_pattern(d: ModelData) -> frozenset[tuple[str, Any]]:
    """The parameter entries that are exactly 0.

    HiGHS drops a matrix entry whose coefficient becomes 0 and appends it at the end of
    its column when it comes back, so the order of a column (and the solver's path, down
    to the last bits of a float) would depend on earlier scenarios. A planner starts a
    fresh solver when this pattern changes, so a re-solve is a function of its numbers.
    """
    out: set[tuple[str, Any]] = set()
    for name, (_, values) in parameter_values(d).items():
        if isinstance(values, dict):
            out.update((name, k) for k, v in values.items() if v == 0)
        elif values == 0:
            out.add((name, None))
    return frozenset(out)


def define_variables(m: pyo.ConcreteModel, d: ModelData) -> None:
    """buy (integer), installed (expression), serve, sold, used (binary), pick (binary)
    and sold_at of price menus."""
    m.buy = pyo.Var(m.BUY, domain=pyo.NonNegativeIntegers)
    m.sold = pyo.Var(m.TP, domain=pyo.NonNegativeReals)
    # Option time_slices: units serving / Mtok sold in each slice (empty sets when off);
    # serve and sold are then their aggregates (constraints.time_slice). serve[h,t,p] is
    # then an expression, not a column and a row per triple: with three slices those were
    # a third of the model's columns and most of its rows.
    m.serve_slice = pyo.Var(m.SERVE_S, domain=pyo.NonNegativeReals)
    if d.structure.slices:

        def aggregate(m: pyo.ConcreteModel, h: str, t: str, p: Any) -> Any:
            """serve[h,t,p] = sum_s hours_share[s] * serve[h,t,p,s] (unit-periods)."""
            return sum(m.hours_share[x] * m.serve_slice[h, t, p, x] for x in m.SLICE)

        m.serve = pyo.Expression(m.SERVE, rule=aggregate)
    else:
        m.serve = pyo.Var(m.SERVE, domain=pyo.NonNegativeReals)
    m.sold_slice = pyo.Var(m.TPS, domain=pyo.NonNegativeReals)
    m.used = pyo.Var(m.LOT_H, domain=pyo.Binary)
    m.pick = pyo.Var(m.MENU, domain=pyo.Binary)
    m.sold_at = pyo.Var(m.MENU, domain=pyo.NonNegativeReals)
    m.sold_at_slice = pyo.Var(m.MENU_S, domain=pyo.NonNegativeReals)
    # Option whole_replicas: replicas[h,t,p] integer (empty set when the option is off);
    # with time slices, one count per slice, replicas[h,t,p,s].
    slices = d.structure.slices
    replica_index: list[Any] = []
    if d.structure.whole_replicas:
        replica_index = list(m.SERVE_S) if slices else list(d.structure.serve_index)
    m.REPLICA = pyo.Set(initialize=replica_index, dimen=4 if slices else 3, ordered=True)
    m.replicas = pyo.Var(m.REPLICA, domain=pyo.NonNegativeIntegers)
    # v3 option platforms: adopt[f,p] = 1 when platform f runs in p (empty set when off).
    m.adopt = pyo.Var(m.FP, domain=pyo.Binary)
    set_buy_bounds(m, d)

    def installed(m: pyo.ConcreteModel, h: str, p: Any) -> Any:
        """installed[h,p] = existing[h,p] + sum of buy[h,q] still alive at p."""
        return m.existing[h, p] + sum(m.buy[h, q] for q in m.alive_buys[h, p])

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
    for name, (index, values) in parameter_values(d).items():
        param = getattr(m, name)
        if index is None:
            if not _same(param.value, values):
                param.set_value(values)
        else:
            # Every entry, absent ones at the default 0: nothing left from earlier values.
            # Only those that change are stored (a sweep row moves a few of thousands;
            # storing one checks its index and value: most of an update).
            now = param.extract_values()
            param.store_values(
                {k: v for k in getattr(m, index) if not _same(now.get(k), v := values.get(k, 0.0))}
            )
    set_buy_bounds(m, d)


def _same(old: Any, new: Any) -> bool:
    """True when storing ``new`` over ``old`` would change nothing: same type, same number,
    same sign (0.0 and -0.0 differ)."""
    return (
        type(old) is type(new) and old == new and math.copysign(1.0, old) == math.copysign(1.0, new)
    )
