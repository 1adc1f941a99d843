"""The objective of MODEL.md (maximised), in $M.

revenue:  sum_p w[p] * (sum_t price[t,p] * sold[t,p]  +  sum_{t,k} X[t,p,k] * sold_at[t,p,k])
profit:   revenue - sum_p w[p] * sum_h capex[h,p] * buy[h,p]
                  - sum_p w[p] * sum_{h,t} energy_cost[h,t,p] * serve[h,t,p]
                  + sum_{h,p} residual[h,p] * buy[h,p]                          (v2)
                  - sum_p w[p] * fixed_cost_usd_per_year * period_years          (v2)

with w[p] = (1 + discount_rate) ** (-index(p) * period_years) and
energy_cost[h,t,p] = electricity_usd_per_mwh[p] * pue * power_kw[h] / 1000
* utilization[t] * 8760 * period_years (USD per serving unit), scaled to $M.
The first revenue sum runs over tiers with a fixed price, the second over the entries
of price menus (v2). ``residual[h,p] = w_end * capex[h,p] * max(0, lifetime - (N - i_p)
* period_years) / lifetime`` with ``w_end = (1 + rate) ** (-N * period_years)`` when
``residual_value: straight_line``, else 0. ``fixed_cost`` is the discounted sum of the
site's fixed cost (a constant: it moves the optimum's value, never the plan).
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo


def revenue_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted revenue, $M: fixed-price tiers plus menu entries."""
    fixed = sum(m.weight[p] * m.price[t, p] * m.sold[t, p] for t, p in m.PRICED)
    menus = sum(m.weight[p] * m.menu_price[t, p, k] * m.sold_at[t, p, k] for t, p, k in m.MENU)
    return fixed + menus


def capex_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted purchase spend, $M (price of a unit in the period it is bought)."""
    return sum(m.weight[p] * m.unit_capex[h, p] * m.buy[h, p] for h, p in m.BUY)


def energy_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted electricity cost of serving units, $M."""
    return sum(m.weight[p] * m.energy_cost[h, t, p] * m.serve[h, t, p] for h, t, p in m.SERVE)


def residual_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted straight-line value of unexpired hardware at the horizon's end, $M (v2)."""
    return sum(m.residual[h, p] * m.buy[h, p] for h, p in m.BUY)


def objective(m: pyo.ConcreteModel) -> None:
    """Maximise revenue, or profit = revenue - capex - electricity (+ residual - fixed, v2)."""
    m.revenue = pyo.Expression(expr=revenue_expr(m))
    if m.data_structure.objective == "profit":
        m.capex = pyo.Expression(expr=capex_expr(m))
        m.energy = pyo.Expression(expr=energy_expr(m))
        profit = m.revenue - m.capex - m.energy - m.fixed_cost
        if m.data_structure.residual:
            m.residual_value = pyo.Expression(expr=residual_expr(m))
            profit = profit + m.residual_value
        m.obj = pyo.Objective(expr=profit, sense=pyo.maximize)
    else:
        m.obj = pyo.Objective(expr=m.revenue, sense=pyo.maximize)
