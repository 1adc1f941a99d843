"""The constraint families of docs/model.md, one function each, named as there.

Units are the model's (see :mod:`optimizer.model.data`): MW, $M, Tok = 1e6 Mtok.
Each function adds one indexed constraint of the same name to the model
(``m.capacity``, ``m.power``...), so duals and slacks group by family.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from optimizer.model.linear import linear_sum

Skip = pyo.Constraint.Skip


def sliced(m: pyo.ConcreteModel) -> bool:
    """True when the option time_slices is on: serving and sales are planned per slice."""
    return bool(m.data_structure.slices)


def capacity(m: pyo.ConcreteModel) -> None:
    """capacity[h,p]:  sum_t serve[h,t,p] <= installed[h,p].

    With time slices, in every slice s: capacity[h,p,s]:  sum_t serve[h,t,p,s] <= installed[h,p]
    (a unit may serve one tier at the peak and another at night).
    """

    def rule(m: pyo.ConcreteModel, h: str, p: Any) -> Any:
        tiers = m.serve_by_hp.get((h, p))
        if not tiers:
            return Skip
        return sum(m.serve[h, t, p] for t in tiers) <= m.installed[h, p]

    def per_slice(m: pyo.ConcreteModel, h: str, p: Any, s: str) -> Any:
        tiers = m.serve_by_hp.get((h, p))
        if not tiers:
            return Skip
        return sum(m.serve_slice[h, t, p, s] for t in tiers) <= m.installed[h, p]

    if sliced(m):
        m.capacity = pyo.Constraint(m.INST_S, rule=per_slice)
    else:
        m.capacity = pyo.Constraint(m.INST, rule=rule)


def production(m: pyo.ConcreteModel) -> None:
    """production[t,p]:  sold[t,p] <= sum_h a[h,t] * serve[h,t,p].

    With time slices: production[t,p,s]:  sold[t,p,s] <= sum_h hours_share[s] * a[h,t]
    * serve[h,t,p,s]. A tier no hardware can serve gets ``sold <= 0``.
    """

    def rule(m: pyo.ConcreteModel, t: str, p: Any) -> Any:
        hws = m.serve_by_tp.get((t, p), [])
        return m.sold[t, p] <= linear_sum((m.a[h, t], m.serve[h, t, p]) for h in hws)

    def per_slice(m: pyo.ConcreteModel, t: str, p: Any, s: str) -> Any:
        # slice_yield[h,t,s] = hours_share[s] * a[h,t] (one parameter per coefficient)
        hws = m.serve_by_tp.get((t, p), [])
        made = sum(m.slice_yield[h, t, s] * m.serve_slice[h, t, p, s] for h in hws)
        # written made - sold >= 0 so each coefficient reaches HiGHS as the parameter
        # itself (sold - made would make it -1 * parameter, an expression to evaluate)
        return made - m.sold_slice[t, p, s] >= 0

    if sliced(m):
        m.production = pyo.Constraint(m.TPS, rule=per_slice)
    else:
        m.production = pyo.Constraint(m.TP, rule=rule)


def demand(m: pyo.ConcreteModel) -> None:
    """demand[t,p]:  sold[t,p] <= demand_mtok[t,p], where a demand cap is set.

    With time slices: demand[t,p,s]:  sold[t,p,s] <= demand_profile[t,s] * demand_mtok[t,p].
    """

    def rule(m: pyo.ConcreteModel, t: str, p: Any) -> Any:
        return m.sold[t, p] <= m.demand_cap[t, p]

    def per_slice(m: pyo.ConcreteModel, t: str, p: Any, s: str) -> Any:
        return m.sold_slice[t, p, s] <= m.demand_share[t, s] * m.demand_cap[t, p]

    if sliced(m):
        m.demand = pyo.Constraint(m.DEMAND_S, rule=per_slice)
    else:
        m.demand = pyo.Constraint(m.DEMAND, rule=rule)


def power(m: pyo.ConcreteModel) -> None:
    """power[p]:  pue * sum_h power_kw[h] * installed[h,p] <= 1000 * power_mw[p]  (in MW)."""

    def rule(m: pyo.ConcreteModel, p: Any) -> Any:
        it_mw = installed_sum(m, p, m.unit_it_mw)
        return Skip if it_mw is None else m.pue * it_mw <= m.power_cap_mw[p]

    m.power = pyo.Constraint(m.P, rule=rule)


def installed_sum(m: pyo.ConcreteModel, p: Any, per_unit: Any) -> Any:
    """sum_h per_unit[h] * installed[h,p] over the hardware installed in p (None: none)."""
    hws = m.inst_by_p[p]
    return sum(per_unit[h] * m.installed[h, p] for h in hws) if hws else None


def land(m: pyo.ConcreteModel) -> None:
    """land[p]:  sum_h rack_positions[h] * installed[h,p] <= rack_positions[p]."""

    def rule(m: pyo.ConcreteModel, p: Any) -> Any:
        racks = installed_sum(m, p, m.unit_racks)
        return Skip if racks is None else racks <= m.rack_cap[p]

    m.land = pyo.Constraint(m.P, rule=rule)


def budget(m: pyo.ConcreteModel) -> None:
    """budget[p]:  sum_h capex_usd[h,p] * buy[h,p] <= capex_budget_usd[p], where set.

    ``capex_usd[h,p]`` is the price of a unit bought in p (it may vary by period).
    """

    def rule(m: pyo.ConcreteModel, p: Any) -> Any:
        hws = m.buy_by_p[p]
        if not hws:
            return Skip
        return sum(m.unit_capex[h, p] * m.buy[h, p] for h in hws) <= m.budget_cap[p]

    m.budget = pyo.Constraint(m.BUDGET_P, rule=rule)


def supply(m: pyo.ConcreteModel) -> None:
    """supply[h]:  sum_p buy[h,p] <= max_units[h], where set."""

    def rule(m: pyo.ConcreteModel, h: str) -> Any:
        periods = m.buy_by_h[h]
        if not periods:
            return Skip
        return sum(m.buy[h, p] for p in periods) <= m.max_units[h]

    m.supply = pyo.Constraint(m.SUPPLY_H, rule=rule)


def minimum_lot(m: pyo.ConcreteModel) -> None:
    """minimum_lot[h]:  min_units[h] * used[h] <= sum_p buy[h,p] <= M[h] * used[h].

    Only for hardware with min_units > 0. M[h] is the most units of h that power,
    land, budget and supply allow over the horizon (computed in ModelData), never a
    fixed large constant.
    """

    def lower(m: pyo.ConcreteModel, h: str) -> Any:
        return m.min_units[h] * m.used[h] <= sum(m.buy[h, p] for p in m.buy_by_h[h])

    def upper(m: pyo.ConcreteModel, h: str) -> Any:
        return sum(m.buy[h, p] for p in m.buy_by_h[h]) <= m.big_m[h] * m.used[h]

    m.minimum_lot_lower = pyo.Constraint(m.LOT_H, rule=lower)
    m.minimum_lot_upper = pyo.Constraint(m.LOT_H, rule=upper)


def power_share(m: pyo.ConcreteModel) -> None:
    """power_share[t,p]:  min_share[t] * S[p] <= sum_h power_kw[h] * serve[h,t,p]
    <= max_share[t] * S[p].

    S[p] = sum_h power_kw[h] * installed[h,p] (IT power installed, MW). A bound
    that is trivially met (min share 0, max share 1) is not added. With time slices
    the bounds hold in every slice s, on serve[h,t,p,s] (rows indexed [t,p,s]).
    """

    def installed_mw(m: pyo.ConcreteModel, p: Any) -> Any:
        return sum(m.unit_it_mw[h] * m.installed[h, p] for h in m.inst_by_p[p])

    def serving_mw(m: pyo.ConcreteModel, t: str, p: Any, *s: str) -> Any:
        serve = m.serve_slice if s else m.serve
        return sum(m.unit_it_mw[h] * serve[(h, t, p, *s)] for h in m.serve_by_tp.get((t, p), []))

    def lower(m: pyo.ConcreteModel, t: str, p: Any, *s: str) -> Any:
        if not m.inst_by_p[p]:
            return Skip
        return m.min_share[t] * installed_mw(m, p) <= serving_mw(m, t, p, *s)

    def upper(m: pyo.ConcreteModel, t: str, p: Any, *s: str) -> Any:
        if not m.serve_by_tp.get((t, p)):
            return Skip
        return serving_mw(m, t, p, *s) <= m.max_share[t] * installed_mw(m, p)

    lo, hi = (m.SHARE_LO_S, m.SHARE_HI_S) if sliced(m) else (m.SHARE_LO, m.SHARE_HI)
    m.power_share_lower = pyo.Constraint(lo, rule=lower)
    m.power_share_upper = pyo.Constraint(hi, rule=upper)


def price_menu(m: pyo.ConcreteModel) -> None:
    """price_menu[t,p] (option), for tiers with a price menu:

    * ``price_menu_pick[t,p]``:       sum_k pick[t,p,k] <= 1   (at most one listed price)
    * ``price_menu_demand[t,p,k]``:   sold_at[t,p,k] <= Y[t,p,k] * pick[t,p,k]
    * ``price_menu_sold[t,p]``:       sold[t,p] = sum_k sold_at[t,p,k]
    * time slices, sales split by entry (sold_at_slice[t,p,k,s] >= 0):
      ``price_menu_slice[t,p,k,s]``: sold_at_slice[t,p,k,s] <= demand_profile[t,s]
      * Y[t,p,k] * pick[t,p,k]; ``price_menu_slice_at[t,p,k]``: sold_at[t,p,k] =
      sum_s sold_at_slice[t,p,k,s]; ``price_menu_slice_sold[t,p,s]``: sold[t,p,s] =
      sum_k sold_at_slice[t,p,k,s]. (Capping sold[t,p,s] by sum_k Y[t,p,k] * pick[t,p,k]
      allows the same integer plans but relaxes far worse: docs/model.md "Time slices".)

    Y[t,p,k] is the Mtok entry k would sell in p (model units: Tok). The revenue of a
    menu tier is ``sum_k X[t,p,k] * sold_at[t,p,k]`` (see :mod:`optimizer.model.objective`).
    """

    def pick_one(m: pyo.ConcreteModel, t: str, p: Any) -> Any:
        return sum(m.pick[t, p, k] for k in m.menu_by_tp[t, p]) <= 1

    def demand_at(m: pyo.ConcreteModel, t: str, p: Any, k: int) -> Any:
        return m.sold_at[t, p, k] <= m.menu_demand[t, p, k] * m.pick[t, p, k]

    def sold_is_sum(m: pyo.ConcreteModel, t: str, p: Any) -> Any:
        return m.sold[t, p] == sum(m.sold_at[t, p, k] for k in m.menu_by_tp[t, p])

    def slice_demand(m: pyo.ConcreteModel, t: str, p: Any, k: int, s: str) -> Any:
        cap = m.demand_share[t, s] * m.menu_demand[t, p, k]
        return m.sold_at_slice[t, p, k, s] <= cap * m.pick[t, p, k]

    def slice_at(m: pyo.ConcreteModel, t: str, p: Any, k: int) -> Any:
        return m.sold_at[t, p, k] == sum(m.sold_at_slice[t, p, k, s] for s in m.SLICE)

    def slice_sold(m: pyo.ConcreteModel, t: str, p: Any, s: str) -> Any:
        return m.sold_slice[t, p, s] == sum(m.sold_at_slice[t, p, k, s] for k in m.menu_by_tp[t, p])

    m.price_menu_pick = pyo.Constraint(m.MENU_TP, rule=pick_one)
    m.price_menu_demand = pyo.Constraint(m.MENU, rule=demand_at)
    m.price_menu_sold = pyo.Constraint(m.MENU_TP, rule=sold_is_sum)
    # With time slices (empty sets when off): each slice sells at most its profile's share
    # of the picked entry's demand, at that entry's price.
    m.price_menu_slice = pyo.Constraint(m.MENU_S, rule=slice_demand)
    m.price_menu_slice_at = pyo.Constraint(m.MENU if sliced(m) else [], rule=slice_at)
    m.price_menu_slice_sold = pyo.Constraint(m.MENU_TPS, rule=slice_sold)


def whole_replica(m: pyo.ConcreteModel) -> None:
    """whole_replica[h,t,p] (option ``whole_replicas``):
    serve[h,t,p] = units_per_replica[h,t] * replicas[h,t,p], replicas integer >= 0.
    With time slices, per slice: serve[h,t,p,s] = units_per_replica[h,t] * replicas[h,t,p,s]."""

    def rule(m: pyo.ConcreteModel, h: str, t: str, p: Any, *s: str) -> Any:
        serve = m.serve_slice if s else m.serve
        return serve[(h, t, p, *s)] == m.units_per_replica[h, t] * m.replicas[(h, t, p, *s)]

    m.whole_replica = pyo.Constraint(m.REPLICA, rule=rule)


# --------------------------------------------------------------------------- v3 options
# Each family below is empty unless its option is set (docs/model.md "v3 options").


def forecast(m: pyo.ConcreteModel) -> None:
    """forecast[t,p] (objective cost):  sold[t,p] >= demand_mtok[t,p].

    With demand[t,p] (sold <= demand_mtok) this sells exactly the forecast. With time
    slices each slice sells its share of it: forecast[t,p,s]:
    sold[t,p,s] >= demand_profile[t,s] * demand_mtok[t,p].
    """

    def rule(m: pyo.ConcreteModel, t: str, p: Any) -> Any:
        return m.sold[t, p] >= m.demand_cap[t, p]

    def per_slice(m: pyo.ConcreteModel, t: str, p: Any, s: str) -> Any:
        return m.sold_slice[t, p, s] >= m.demand_share[t, s] * m.demand_cap[t, p]

    if sliced(m):
        m.forecast = pyo.Constraint(m.FORECAST_S, rule=per_slice)
    else:
        m.forecast = pyo.Constraint(m.FORECAST, rule=rule)


def committed(m: pyo.ConcreteModel) -> None:
    """committed[t,p]:  sold[t,p] >= committed_mtok[t,p], for tiers with committed_mtok."""

    def rule(m: pyo.ConcreteModel, t: str, p: Any) -> Any:
        return m.sold[t, p] >= m.committed_mtok[t, p]

    m.committed = pyo.Constraint(m.COMMITTED, rule=rule)


def delivery(m: pyo.ConcreteModel) -> None:
    """delivery[h,p]:  sum_t serve[h,t,p] <= installed[h,p] - (1 - delivery_share[h,p]) * buy[h,p].

    Units bought in p arrive during p and serve only delivery_share of it; power, land
    and capex count the whole unit. Only for hardware with a delivery_share below 1
    (capacity[h,p] is this row with delivery_share = 1). With time slices it holds in
    every slice s, like capacity: delivery[h,p,s]:  sum_t serve[h,t,p,s]
    <= installed[h,p] - (1 - delivery_share[h,p]) * buy[h,p].
    """

    def rule(m: pyo.ConcreteModel, h: str, p: Any) -> Any:
        tiers = m.serve_by_hp.get((h, p))
        if not tiers:
            return Skip
        used = sum(m.serve[h, t, p] for t in tiers)
        return used <= m.installed[h, p] - m.late_share[h, p] * m.buy[h, p]

    def per_slice(m: pyo.ConcreteModel, h: str, p: Any, s: str) -> Any:
        tiers = m.serve_by_hp.get((h, p))
        if not tiers:
            return Skip
        used = sum(m.serve_slice[h, t, p, s] for t in tiers)
        return used <= m.installed[h, p] - m.late_share[h, p] * m.buy[h, p]

    if sliced(m):
        m.delivery = pyo.Constraint(m.DELIVERY_S, rule=per_slice)
    else:
        m.delivery = pyo.Constraint(m.DELIVERY, rule=rule)


def platform(m: pyo.ConcreteModel) -> None:
    """platform[h,p]:  installed[h,p] <= M[h,p] * adopt[f,p], f the platform of h.

    M[h,p] is the most units of h that can be installed in p (site power and land, supply,
    buy bounds; computed in ModelData). Existing units of a platform force adopt to 1.
    """

    def rule(m: pyo.ConcreteModel, h: str, p: Any) -> Any:
        return m.installed[h, p] <= m.platform_m[h, p] * m.adopt[m.platform_of[h], p]

    m.platform = pyo.Constraint(m.PLATFORM_INST, rule=rule)


def cooling(m: pyo.ConcreteModel) -> None:
    """cooling[c,p]:  sum_{h needs c} rack_positions[h] * installed[h,p] <= cooling_positions[c,p].

    Beside the overall land cap; hardware with no cooling class is held by land only.
    """

    def rule(m: pyo.ConcreteModel, c: str, p: Any) -> Any:
        hws = [h for h in m.inst_by_p[p] if m.cooling_of.get(h) == c]
        if not hws:
            return Skip
        return sum(m.unit_racks[h] * m.installed[h, p] for h in hws) <= m.cooling_cap[c, p]

    m.cooling = pyo.Constraint(m.COOLING, rule=rule)


def price_move(m: pyo.ConcreteModel) -> None:
    """price_move[t,p,k,k2]:  pick[t,p,k] + pick[t,p+1,k2] <= 2 - far[t,p,k,k2].

    far = 1 when entry k2's price in p+1 differs from entry k's in p by more than
    max_price_change * price[t,p,k] (then the two cannot both be picked), else 0 (the row
    is slack). For price-menu tiers with max_price_change.
    """

    def rule(m: pyo.ConcreteModel, t: str, p: Any, k: int, k2: int) -> Any:
        q = m.next_period[p]
        return m.pick[t, p, k] + m.pick[t, q, k2] <= 2 - m.price_far[t, p, k, k2]

    m.price_move = pyo.Constraint(m.PRICE_MOVE, rule=rule)


# --------------------------------------------------------------------------- time slices


def time_slice(m: pyo.ConcreteModel) -> None:
    """time_slice (option ``time_slices``): serve and sold as aggregates of their slices.

    * serve[h,t,p] = sum_s hours_share[s] * serve[h,t,p,s] (unit-periods: what energy and
      every per-period family read) is an expression (build.define_variables), no row
    * ``slice_sold[t,p]``:     sold[t,p] = sum_s sold[t,p,s]  (revenue, menus, commitments)

    Not added when the option is off (serve and sold have no slice index then).
    """
    if not sliced(m):
        return

    def sold_rule(m: pyo.ConcreteModel, t: str, p: Any) -> Any:
        return m.sold[t, p] == sum(m.sold_slice[t, p, s] for s in m.SLICE)

    m.slice_sold = pyo.Constraint(m.TP, rule=sold_rule)
