"""Marginal values of resources after a MILP solve.

A MILP has no duals. The standard way to price its resources is to hold the
integer decisions at the optimum and solve the LP that remains. In this model,
fixing every ``buy[h,p]`` would price power, land, budget and supply at exactly
zero (with the purchase plan fixed nothing can use one more MW), which answers
no one's question. So the plan is held fixed in what it *chooses*, not in its
unit counts:

* ``buy[h,p]`` that the plan leaves at 0 stay at 0, and minimum-lot decisions
  ``used[h]`` are fixed;
* the other ``buy[h,p]`` become continuous (fractional units of the hardware the
  plan already buys, in the periods it buys them).

The duals of that LP are the value of one more unit of each resource if it is
filled with more of the same mix: "what one more MW is worth to this plan". They
are valid for small changes and for the plan's hardware choice; a large change
can make a different choice better (a sweep answers that). Values are present
values (discounted like the objective); ``usd_per_unit_undiscounted`` divides by
the period's discount weight.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyomo.environ as pyo

from optimizer.model.data import MONEY_USD, TOKENS_MTOK
from optimizer.solve.highs import HighsSession

# family -> (unit in words, factor from model dual ($M per model unit) to USD per unit)
FAMILIES: dict[str, tuple[str, float]] = {
    "power": ("USD per facility MW", MONEY_USD),
    "land": ("USD per rack position", MONEY_USD),
    "demand": ("USD per Mtok", MONEY_USD / TOKENS_MTOK),
    "budget": ("USD per USD of budget", 1.0),
    "supply": ("USD per unit", MONEY_USD),
}
COLUMNS = [
    "resource",
    "period",
    "tier",
    "hardware",
    "usd_per_unit",
    "usd_per_unit_undiscounted",
    "unit",
]


def marginal_values(
    m: pyo.ConcreteModel, session: HighsSession, time_limit: float | None = None
) -> tuple[pd.DataFrame, float | None]:
    """Duals of power, land, demand, budget and supply with the plan's choices fixed.

    ``m`` must hold a MILP solution. The model is restored (domains, fixings) before
    returning, so it can be re-solved as a MILP; ``time_limit`` bounds the LP (seconds).
    Returns the table (see module doc) and the LP's objective in USD (>= the MILP
    optimum), or an empty table and None
    if the LP cannot be solved.
    """
    saved_buy: list[tuple[Any, float | None, Any]] = []
    for idx in m.BUY:
        v = m.buy[idx]
        units = round(pyo.value(v))
        saved_buy.append((idx, v.value, v.ub))
        # The derived bound on buy would take the dual that belongs to power, land,
        # budget or supply (it is implied by them), so it is lifted for this LP.
        v.setub(None)
        v.domain = pyo.NonNegativeReals  # even fixed, an integer column keeps HiGHS in MIP mode
        if units == 0:
            v.fix(0)
    saved_used = [(h, m.used[h].value) for h in m.LOT_H]
    for h in m.LOT_H:
        m.used[h].domain = pyo.Reals  # fixed anyway; an integer column would keep it a MIP
        m.used[h].fix(round(pyo.value(m.used[h])))
    try:
        outcome = session.run(m, time_limit=time_limit)
        if outcome.status != "optimal" or outcome.objective is None:
            return pd.DataFrame(columns=COLUMNS), None
        table = _read_duals(m, session)
        return table, outcome.objective * MONEY_USD
    finally:
        for idx, value, ub in saved_buy:
            v = m.buy[idx]
            v.unfix()
            v.domain = pyo.NonNegativeIntegers
            v.setub(ub)
            v.set_value(value, skip_validation=True)
        for h, value in saved_used:
            m.used[h].unfix()
            m.used[h].domain = pyo.Binary
            m.used[h].set_value(value, skip_validation=True)


def _read_duals(m: pyo.ConcreteModel, session: HighsSession) -> pd.DataFrame:
    solver = session.solver
    present = {c for c in solver._pyomo_con_to_solver_con_map}  # constraints HiGHS holds
    rows = []
    for family, (unit, factor) in FAMILIES.items():
        comp = getattr(m, family)
        for idx in comp:
            con = comp[idx]
            if con not in present:
                continue
            dual = solver.get_duals([con])[con]
            # For this maximisation HiGHS's row dual is the objective's change per unit
            # of the row's bound: + means one more unit is worth that much.
            value = dual * factor
            value = 0.0 if abs(value) < 1e-9 * max(1.0, factor) else value
            period = tier = hardware = None
            if family in ("power", "land", "budget"):
                period = idx
            elif family == "demand":
                tier, period = idx
            else:
                hardware = idx
            w = pyo.value(m.weight[period]) if period is not None else 1.0
            rows.append((family, period, tier, hardware, value, value / w, unit))
    table = pd.DataFrame(rows, columns=COLUMNS, dtype=object)  # keeps period labels as given
    for col in ("usd_per_unit", "usd_per_unit_undiscounted"):
        table[col] = table[col].astype(float)
    return table
