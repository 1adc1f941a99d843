"""The objective of MODEL.md (maximised), in $M.

revenue:  sum_p w[p] * sum_t price[t,p] * sold[t,p]
profit:   revenue - sum_p w[p] * sum_h capex[h] * buy[h,p]
                  - sum_p w[p] * sum_{h,t} energy_cost[h,t,p] * serve[h,t,p]

with w[p] = (1 + discount_rate) ** (-index(p) * period_years) and
energy_cost[h,t,p] = electricity_usd_per_mwh[p] * pue * power_kw[h] / 1000
* utilization[t] * 8760 * period_years (USD per serving unit), scaled to $M.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo


def revenue_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted revenue, $M."""
    return sum(m.weight[p] * m.price[t, p] * m.sold[t, p] for t, p in m.TP)


def capex_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted purchase spend, $M."""
    return sum(m.weight[p] * m.unit_capex[h] * m.buy[h, p] for h, p in m.BUY)


def energy_expr(m: pyo.ConcreteModel) -> Any:
    """Discounted electricity cost of serving units, $M."""
    return sum(m.weight[p] * m.energy_cost[h, t, p] * m.serve[h, t, p] for h, t, p in m.SERVE)


def objective(m: pyo.ConcreteModel) -> None:
    """Maximise revenue, or profit = revenue - capex - electricity."""
    m.revenue = pyo.Expression(expr=revenue_expr(m))
    if m.data_structure.objective == "profit":
        m.capex = pyo.Expression(expr=capex_expr(m))
        m.energy = pyo.Expression(expr=energy_expr(m))
        m.obj = pyo.Objective(expr=m.revenue - m.capex - m.energy, sense=pyo.maximize)
    else:
        m.obj = pyo.Objective(expr=m.revenue, sense=pyo.maximize)
