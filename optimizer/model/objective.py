"""The objective of docs/model.md (maximised; v3 objective cost: minimised), in $M.

revenue:  sum_p w[p] * (sum_t price[t,p] * sold[t,p]  +  sum_{t,k} X[t,p,k] * sold_at[t,p,k])
profit:   revenue - sum_p w[p] * sum_h capex[h,p] * buy[h,p]
                  - sum_p w[p] * sum_{h,t} energy_cost[h,t,p] * serve[h,t,p]
                  + sum_{h,p} residual[h,p] * buy[h,p]                      (option)
                  - sum_p w[p] * fixed_cost_usd_per_year * period_years      (option)

with w[p] = (1 + discount_rate) ** (-index(p) * period_years) and
energy_cost[h,t,p] = electricity_usd_per_mwh[p] * pue * power_kw[h] / 1000
* utilization[t] * 8760 * period_years (USD per serving unit), scaled to $M.
The first revenue sum runs over tiers with a fixed price, the second over the entries
of price menus (option). ``residual[h,p] = w_end * capex[h,p] * max(0, lifetime - (N - i_p)
* period_years) / lifetime`` with ``w_end = (1 + rate) ** (-N * period_years)`` when
``residual_value: straight_line``, else 0. ``fixed_cost`` is the discounted sum of the
site's fixed cost (a constant: it moves the optimum's value, never the plan).

v3 (docs/model.md "v3 options"):
cost:     sum_p w[p] * (capex + electricity + opex + platform and fixed costs) - residual,
          minimised, with every tier's forecast sold (constraint forecast)
opex:     + sum_p w[p] * sum_h opex[h,p] * period_years * installed[h,p]   (profit, cost)
idle:     + sum_p w[p] * sum_h idle_energy[h,p] * installed[h,p]           (profit, cost)
platform: + sum_p w[p] * sum_f fixed_cost[f] * period_years * adopt[f,p]  (profit, cost)
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from optimizer.model.linear import linear_sum


def revenue_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted revenue, $M: fixed-price tiers plus menu entries."""
    fixed = linear_sum((m.weight[p] * m.price[t, p], m.sold[t, p]) for t, p in m.PRICED)
    menus = linear_sum(
        (m.weight[p] * m.menu_price[t, p, k], m.sold_at[t, p, k]) for t, p, k in m.MENU
    )
    return fixed + menus


def capex_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted purchase spend, $M (price of a unit in the period it is bought)."""
    return linear_sum((m.weight[p] * m.unit_capex[h, p], m.buy[h, p]) for h, p in m.BUY)


def energy_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted electricity cost of serving units, $M."""
    if m.data_structure.slices:
        return _signed_slice_energy(m) * _energy_sign(m)
    return linear_sum(
        (m.weight[p] * m.energy_cost[h, t, p], m.serve[h, t, p]) for h, t, p in m.SERVE
    )


def _energy_sign(m: pyo.ConcreteModel) -> float:
    """The sign slice_energy_cost carries: -1 under profit (a loss), +1 under cost."""
    return -1.0 if m.data_structure.objective == "profit" else 1.0


def _signed_slice_energy(m: pyo.ConcreteModel) -> Any:
    """With time slices, the energy term as the objective adds it: sum_{h,t,p,s}
    slice_energy_cost[h,t,p,s] * serve[h,t,p,s], slice_energy_cost = sign * w[p] *
    energy_cost[h,t,p] * hours_share[s] (build.parameter_values). One parameter per
    coefficient, added with +, so Pyomo hands it to HiGHS without evaluating a product
    per term (most of the time of loading a sliced model)."""
    return sum(m.slice_energy_cost[k] * m.serve_slice[k] for k in m.SERVE_S)


def residual_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted straight-line value of unexpired hardware at the horizon's end, $M (option)."""
    return linear_sum((m.residual[h, p], m.buy[h, p]) for h, p in m.BUY)


def opex_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted opex of installed units, $M (v3): sum_p w[p] * sum_h opex[h,p] * installed."""
    return sum(m.weight[p] * m.opex[h, p] * m.installed[h, p] for h, p in m.INST)


def idle_energy_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted electricity that installed units draw idle, $M (v3 idle_power_share)."""
    return sum(m.weight[p] * m.idle_energy[h, p] * m.installed[h, p] for h, p in m.INST)


def platform_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted fixed cost of the platforms adopted, $M (v3)."""
    return sum(m.weight[p] * m.platform_cost[f, p] * m.adopt[f, p] for f, p in m.FP)


def cost_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted cost, $M: capex + electricity + fixed costs (+ v3 opex, idle power,
    platforms) - residual value; profit is revenue minus this. With time slices the
    electricity is left out here and added to the objective as _signed_slice_energy."""
    s = m.data_structure
    m.capex = pyo.Expression(expr=capex_expr(m))
    if s.slices:
        # no m.energy: nothing reads it, and a second copy of the objective's slice sum (a
        # term per serve[h,t,p,s]) was a third of building a sliced model
        cost = m.capex + m.fixed_cost
    else:
        m.energy = pyo.Expression(expr=energy_expr(m))
        cost = m.capex + m.energy + m.fixed_cost
    if s.residual:
        m.residual_value = pyo.Expression(expr=residual_expr(m))
        cost = cost - m.residual_value
    if s.opex:  # v3 options: terms only when set, so an instance without them keeps its model
        m.opex_cost = pyo.Expression(expr=opex_expr(m))
        cost = cost + m.opex_cost
    if s.idle:
        m.idle_energy_cost = pyo.Expression(expr=idle_energy_expr(m))
        cost = cost + m.idle_energy_cost
    if s.platforms and s.objective != "revenue":
        m.platform_fixed_cost = pyo.Expression(expr=platform_expr(m))
        cost = cost + m.platform_fixed_cost
    return cost


def objective(m: pyo.ConcreteModel) -> None:
    """Maximise revenue, or profit = revenue - cost; or (v3, objective cost) minimise cost."""
    m.revenue = pyo.Expression(expr=revenue_expr(m))
    kind = m.data_structure.objective
    energy = _signed_slice_energy(m) if m.data_structure.slices else 0.0
    if kind == "profit":
        m.obj = pyo.Objective(expr=m.revenue - cost_expr(m) + energy, sense=pyo.maximize)
    elif kind == "cost":
        m.obj = pyo.Objective(expr=cost_expr(m) + energy, sense=pyo.minimize)
    else:
        m.obj = pyo.Objective(expr=m.revenue, sense=pyo.maximize)
