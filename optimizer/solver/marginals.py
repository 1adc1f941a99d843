"""Marginal values of resources after a MILP solve.

A MILP has no duals. The standard way to price its resources is to hold the
integer decisions at the optimum and solve the LP that remains. In this model,
fixing every ``buy[h,p]`` would price power, land, budget and supply at exactly
zero (with the purchase plan fixed nothing can use one more MW), which answers
no one's question. So the plan is held fixed in what it *chooses*, not in its
unit counts:

* ``buy[h,p]`` that the plan leaves at 0 stay at 0, and minimum-lot decisions
  ``used[h]`` and price-menu picks ``pick[t,p,k]`` are fixed (a menu tier's demand is
  priced at the entry chosen, as resource ``price_menu``);
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

import logging
from typing import Any

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo

from optimizer.model.data import MONEY_USD, TOKENS_MTOK
from optimizer.result_schema import MARGINAL_VALUES
from optimizer.solver.highs import HIGHS_LOG, HighsSession, stdout_to_stderr
from optimizer.solver.rounding import option

# family -> (unit in words, factor from model dual ($M per model unit) to USD per unit)
FAMILIES: dict[str, tuple[str, float]] = {
    "power": ("USD per facility MW", MONEY_USD),
    "land": ("USD per rack position", MONEY_USD),
    "demand": ("USD per Mtok", MONEY_USD / TOKENS_MTOK),
    "budget": ("USD per USD of budget", 1.0),
    "supply": ("USD per unit", MONEY_USD),
    "price_menu_demand": ("USD per Mtok", MONEY_USD / TOKENS_MTOK),
    # v3 (docs/model.md "v3 options"): one more Mtok of forecast or commitment to sell;
    # negative, minus what serving it costs (profit lost, or cost added).
    "forecast": ("USD per Mtok", MONEY_USD / TOKENS_MTOK),
    "committed": ("USD per Mtok", MONEY_USD / TOKENS_MTOK),
    "cooling": ("USD per rack position", MONEY_USD),
}
# How a family is named in the table (the model's constraint names otherwise).
RESOURCE = {"price_menu_demand": "price_menu"}
COLUMNS = MARGINAL_VALUES.names()  # the table's columns (docs/format.md); ``slice`` added


def marginal_values(
    m: pyo.ConcreteModel, session: HighsSession, time_limit: float | None = None
) -> tuple[pd.DataFrame, float | None]:
    """Duals of power, land, demand, budget and supply with the plan's choices fixed.

    ``m`` must hold a MILP solution, solved by ``session``. The LP is made in place in the
    HiGHS model that just solved the MILP (columns made continuous, bounds changed), not
    through Pyomo: re-sending a model of 40,000 columns through Pyomo costs more than the
    LP itself. Everything is restored before returning, so the model can be re-solved as
    a MILP; ``time_limit`` bounds the LP (seconds). Returns the table (see module doc)
    and the LP's objective in USD (>= the MILP optimum), or an empty table and None if
    the LP cannot be solved (or runs out of time).
    """
    highs = session.highs
    solver = session.solver
    if highs is None:
        return pd.DataFrame(columns=COLUMNS), None
    col_of = solver._pyomo_var_to_solver_var_map  # id(var) -> HiGHS column
    lp = highs.getLp()
    n_col = int(lp.num_col_)
    saved_lower = np.array(lp.col_lower_, dtype=float)
    saved_upper = np.array(lp.col_upper_, dtype=float)
    saved_integrality = list(lp.integrality_)
    lower, upper = saved_lower.copy(), saved_upper.copy()
    for idx in m.BUY:
        v = m.buy[idx]
        col = col_of.get(id(v))
        if col is None:
            continue
        # The derived bound on buy would take the dual that belongs to power, land,
        # budget or supply (it is implied by them), so it is lifted for this LP; a
        # hardware the plan does not buy in that period stays at 0.
        units = round(pyo.value(v))
        lower[col], upper[col] = 0.0, (0.0 if units == 0 else highspy.kHighsInf)
    # Minimum-lot and price-menu choices stay as the plan made them. Every column becomes
    # continuous below, so the option whole_replicas' replica counts are relaxed too.
    for v in [m.used[h] for h in m.LOT_H] + [m.pick[k] for k in m.MENU] + _adopt_vars(m):
        col = col_of.get(id(v))
        if col is not None:
            lower[col] = upper[col] = float(round(pyo.value(v)))
    # v3 platforms: with adopt fixed, platform[h,p] is only a big-M bound implied by the caps;
    # lifted like the buy bounds so it cannot take a cap's dual.
    big_m_rows = _platform_rows(m, solver._pyomo_con_to_solver_con_map)
    saved_row_upper = np.array([lp.row_upper_[r] for r in big_m_rows], dtype=float)
    saved_row_lower = np.array([lp.row_lower_[r] for r in big_m_rows], dtype=float)
    cols = np.arange(n_col, dtype=np.int32)
    saved_limit = option(highs, "time_limit")
    saved_output = option(highs, "output_flag")
    try:
        if saved_integrality:
            continuous = np.full(n_col, highspy.HighsVarType.kContinuous)
            highs.changeColsIntegrality(n_col, cols, continuous)
        highs.changeColsBounds(n_col, cols, lower, upper)
        if big_m_rows:
            rows = np.array(big_m_rows, dtype=np.int32)
            free = np.full(len(rows), highspy.kHighsInf)
            highs.changeRowsBounds(len(rows), rows, saved_row_lower, free)
        highs.setOptionValue(
            "time_limit", float(time_limit) if time_limit is not None else highspy.kHighsInf
        )
        # HiGHS's log goes through Pyomo's capture during MILP solves; here it is shown
        # only when the log was asked for (--log).
        highs.setOptionValue("output_flag", HIGHS_LOG.isEnabledFor(logging.INFO))
        # From a clean state, as every MILP run: the duals (and their last bits) are then a
        # function of this plan, not of what the session solved before.
        highs.clearSolver()
        with stdout_to_stderr():
            highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return pd.DataFrame(columns=COLUMNS), None
        row_dual = np.asarray(highs.getSolution().row_dual, dtype=float)
        objective = float(highs.getInfo().objective_function_value)
        return _read_duals(m, solver._pyomo_con_to_solver_con_map, row_dual), objective * MONEY_USD
    finally:
        highs.setOptionValue("time_limit", saved_limit)
        highs.setOptionValue("output_flag", saved_output)
        highs.changeColsBounds(n_col, cols, saved_lower, saved_upper)
        if big_m_rows:
            rows = np.array(big_m_rows, dtype=np.int32)
            highs.changeRowsBounds(len(rows), rows, saved_row_lower, saved_row_upper)
        if saved_integrality:
            highs.changeColsIntegrality(n_col, cols, np.array(saved_integrality))


def _adopt_vars(m: pyo.ConcreteModel) -> list[Any]:
    """v3 platforms: the adopt[f,p] binaries (none when the option is off)."""
    adopt = getattr(m, "adopt", None)
    return [] if adopt is None else [adopt[k] for k in adopt]


def _platform_rows(m: pyo.ConcreteModel, row_of: dict[Any, int]) -> list[int]:
    """HiGHS rows of the v3 platform[h,p] family (none when the option is off)."""
    comp = getattr(m, "platform", None)
    if comp is None:
        return []
    return [row_of[comp[k]] for k in comp if comp[k] in row_of]


def _read_duals(m: pyo.ConcreteModel, row_of: dict[Any, int], row_dual: np.ndarray) -> pd.DataFrame:
    sliced = bool(m.data_structure.slices)
    # v3 objective cost is minimised: one more unit of a cap lowers the cost, so its worth
    # (as for a maximisation, + = better) is minus HiGHS's row dual.
    sign = -1.0 if m.obj.sense == pyo.minimize else 1.0

    def dual(comp: Any, idx: Any) -> float | None:
        """The row's dual in model units, None when HiGHS does not hold the row."""
        row = row_of.get(comp[idx])
        # For a maximisation HiGHS's row dual is the objective's change per unit of the
        # row's bound: + means one more unit is worth that much.
        return None if row is None else sign * float(row_dual[row])

    def slice_duals(*comps: Any) -> dict[tuple[Any, Any], list[tuple[str, float]]]:
        """(t, p) -> [(slice, dual)] of rows indexed [t,p,s] (option time_slices), or
        [t,p,k,s] for a menu's slices: only the picked entry k's row counts."""
        out: dict[tuple[Any, Any], list[tuple[str, float]]] = {}
        for comp in comps:
            for idx in comp:
                t, p, x = idx[0], idx[1], idx[-1]
                if len(idx) == 4 and round(pyo.value(m.pick[t, p, idx[2]])) != 1:
                    continue
                ds = dual(comp, idx)
                if ds is not None:
                    out.setdefault((t, p), []).append((x, ds))
        return out

    # Option time_slices: demand rows (and the cost objective's forecast rows) are per
    # slice, [t,p,s]. A slice's dual is the value of one more Mtok of that slice's demand;
    # the (t, p) row reports what one more Mtok of demand_mtok[t,p] is worth, spread by the
    # profile: sum_s profile[t,s] * dual.
    per_slice: dict[str, dict[tuple[Any, Any], list[tuple[str, float]]]] = {}
    if sliced:
        per_slice["demand"] = slice_duals(m.demand, m.price_menu_slice)
        per_slice["forecast"] = slice_duals(m.forecast)
    rows = []

    def add(family: str, idx: Any, model_dual: float, x: str | None = None) -> None:
        unit, factor = FAMILIES[family]
        value = model_dual * factor
        value = 0.0 if abs(value) < 1e-9 * max(1.0, factor) else value
        period = tier = hardware = None
        name = RESOURCE.get(family, family)
        if family in ("power", "land", "budget"):
            period = idx
        elif family in ("demand", "forecast", "committed", "price_menu_demand"):
            tier, period = idx[0], idx[1]
        elif family == "cooling":
            period = idx[1]
            name = f"cooling_{idx[0]}"  # v3: cooling_air, cooling_liquid
        else:
            hardware = idx
        w = pyo.value(m.weight[period]) if period is not None else 1.0
        name += "_slice" if x is not None else ""
        rows.append((name, period, tier, hardware, value, value / w, unit, x))

    for family in FAMILIES:
        comp = getattr(m, family, None)
        if comp is None:
            continue
        if family in per_slice:
            tp_index = m.DEMAND if family == "demand" else m.FORECAST
            for (t, p), duals in per_slice[family].items():
                if (t, p) not in tp_index:
                    continue
                for x, dx in duals:
                    add(family, (t, p), dx, x)
                total = sum(pyo.value(m.demand_share[t, x]) * dx for x, dx in duals)
                add(family, (t, p), total)
            continue
        for idx in comp:
            d = dual(comp, idx)
            if d is None:  # a constraint HiGHS does not hold (skipped or trivial)
                continue
            if family == "price_menu_demand":
                if round(pyo.value(m.pick[idx])) != 1:
                    continue  # only the entry the plan chose prices its demand
                # With time slices each slice's cap is profile * Y[t,p,k] of the pick.
                t, p = idx[0], idx[1]
                d += sum(
                    pyo.value(m.demand_share[t, x]) * ds
                    for x, ds in per_slice.get("demand", {}).get((t, p), [])
                    if (t, p) not in m.DEMAND
                )
            add(family, idx, d)
    columns = [*COLUMNS, "slice"] if sliced else COLUMNS
    table = pd.DataFrame(
        [r if sliced else r[:-1] for r in rows], columns=columns, dtype=object
    )  # keeps period labels as given
    for col in ("usd_per_unit", "usd_per_unit_undiscounted"):
        table[col] = table[col].astype(float)
    return table
