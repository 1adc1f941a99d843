"""Why an instance is infeasible: the smallest relaxations that make it feasible.

An elastic copy of the model gets a non-negative slack on every constraint of the
families that can conflict (power, land, budget, supply, power share; v3: forecast,
committed volume, cooling); the copy
minimises the slacks, each relative to its own cap, so a 10 MW shortfall on a
1,000 MW site weighs like a 1-position shortfall on a 100-position hall. Every
slack left above zero is one relaxation, told in words with the instance's units.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyomo.environ as pyo

from optimizer.instance.schema import Instance
from optimizer.model.data import MONEY_USD, TOKENS_MTOK
from optimizer.result_schema import DIAGNOSIS
from optimizer.solver.highs import HighsSession
from optimizer.solver.options import remaining

# family -> (what it limits, unit, factor from model units to contract units)
ELASTIC = {
    "power": ("power", "MW", 1.0),
    "land": ("land", "rack positions", 1.0),
    "budget": ("capex budget", "USD", MONEY_USD),
    "supply": ("supply", "units", 1.0),
    "power_share_lower": ("minimum power share", "MW of IT", 1.0),
    "power_share_upper": ("maximum power share", "MW of IT", 1.0),
    # v3 (docs/model.md "v3 options"): a forecast (objective cost) or commitment not served
    "forecast": ("forecast", "Mtok", TOKENS_MTOK),
    "committed": ("committed volume", "Mtok", TOKENS_MTOK),
    "cooling": ("cooling positions", "rack positions", 1.0),
}
COLUMNS = DIAGNOSIS.names()


def diagnose(
    m: pyo.ConcreteModel,
    instance: Instance,
    time_limit: float | None = 30.0,
    *,
    deadline: float | None = None,
) -> pd.DataFrame:
    """Relaxations that make the instance feasible, one row each (empty if none found).

    ``deadline`` (a ``time.monotonic()`` instant), when given, bounds the whole diagnosis:
    HiGHS gets what is left of it once the elastic copy is built (building the copy of
    a large model takes seconds), and nothing runs if nothing is left; ``time_limit``
    then caps HiGHS's share as well.
    """
    if remaining(deadline) == 0.0:
        return pd.DataFrame(columns=COLUMNS)
    e = m.clone()
    e.obj.deactivate()
    slacks: list[tuple[str, Any, Any, float]] = []  # (family, index, slack var, weight)
    e.elastic_slack = pyo.VarList(domain=pyo.NonNegativeReals)
    e.elastic_rows = pyo.ConstraintList()
    for family in ELASTIC:
        comp = getattr(e, family, None)
        if comp is None:
            continue
        for idx in list(comp):
            con = comp[idx]
            lower, body, upper = con.lower, con.body, con.upper
            con.deactivate()
            s = e.elastic_slack.add()
            if upper is not None:
                scale = max(1.0, abs(pyo.value(upper)))
                e.elastic_rows.add(body - s <= upper)
            else:
                scale = max(1.0, abs(pyo.value(lower)))
                e.elastic_rows.add(body + s >= lower)
            if family.startswith("power_share"):  # MW of IT, against the site's IT power
                scale = max(1.0, pyo.value(e.power_cap_mw[idx[1]] / e.pue))
            slacks.append((family, idx, s, 1.0 / scale))
    e.elastic_obj = pyo.Objective(expr=sum(w * s for _, _, s, w in slacks), sense=pyo.minimize)
    left = remaining(deadline)
    if left is not None:
        if left <= 0.0:
            return pd.DataFrame(columns=COLUMNS)
        time_limit = left if time_limit is None else min(time_limit, left)
    session = HighsSession(time_limit=time_limit)
    outcome = session.run(e)
    if not outcome.has_solution:
        return pd.DataFrame(columns=COLUMNS)
    rows = []
    for family, idx, s, _w in slacks:
        amount = pyo.value(s)
        if amount <= 1e-7:
            continue
        rows.append(_explain(e, instance, family, idx, amount))
    return pd.DataFrame(rows, columns=COLUMNS)


def _explain(
    e: pyo.ConcreteModel, inst: Instance, family: str, idx: Any, amount: float
) -> dict[str, Any]:
    what, unit, factor = ELASTIC[family]
    relax = amount * factor
    hw = {h.id: h for h in inst.hardware}
    if family in ("power", "land"):
        p = idx
        cap = pyo.value(e.power_cap_mw[p] if family == "power" else e.rack_cap[p])
        need = cap + relax
        per_unit = (
            (lambda h: inst.site.pue * hw[h].power_kw / 1000)
            if family == "power"
            else (lambda h: hw[h].rack_positions)
        )
        i = inst.period_index(p)
        existing = sum(per_unit(h.id) * inst.existing_by_period(h)[i] for h in inst.hardware)
        tail = f"; existing units alone need {existing:,.4g} {unit}" if existing > 0 else ""
        msg = (
            f"{what} in {p}: the cap of {cap:,.4g} {unit} must rise to {need:,.4g} {unit} "
            f"(+{relax:,.4g}){tail}"
        )
    elif family == "budget":
        p = idx
        cap = pyo.value(e.budget_cap[p]) * MONEY_USD
        msg = f"capex budget in {p}: must rise from {cap:,.0f} to {cap + relax:,.0f} USD"
    elif family in ("forecast", "committed"):
        t, p = idx[0], idx[1]
        asked = pyo.value(e.demand_cap[t, p] if family == "forecast" else e.committed_mtok[t, p])
        asked *= TOKENS_MTOK
        where = f"{p}"
        if len(idx) > 2:  # option time_slices: forecast[t, p, slice], the slice's share
            asked *= pyo.value(e.demand_share[t, idx[2]])
            where = f"{p}, slice {idx[2]}"
        msg = (
            f"tier {t} in {where}: the {what} of {_mtok(asked)} Mtok cannot be served; "
            f"short by {_mtok(relax)} Mtok"
        )
    elif family == "cooling":
        c, p = idx
        cap = pyo.value(e.cooling_cap[c, p])
        msg = (
            f"{c}-cooled rack positions in {p}: the cap of {cap:,.4g} must rise to "
            f"{cap + relax:,.4g} (+{relax:,.4g})"
        )
    elif family == "supply":
        msg = f"supply of {idx}: needs {relax:,.1f} more units than max_units {pyo.value(e.max_units[idx]):,.0f}"
    else:
        t, p = idx[0], idx[1]  # option time_slices: [t, p, slice], a bound in every slice
        if len(idx) > 2:
            p = f"{p}, slice {idx[2]}"
        bound = "min_power_share" if family == "power_share_lower" else "max_power_share"
        share = pyo.value(e.min_share[t] if family == "power_share_lower" else e.max_share[t])
        serving = [h for h in e.serve_by_tp.get((t, idx[1]), [])]
        why = "" if serving else " and no installed hardware can serve it"
        msg = (
            f"tier {t} in {p}: {bound} {share:g} of installed IT power cannot be met{why}; "
            f"short by {relax:,.4g} MW of IT"
        )
    return {"family": family, "index": idx, "relax_by": relax, "unit": unit, "message": msg}


def _mtok(x: float) -> str:
    """Mtok for a message: whole Mtok with separators, small amounts to 4 digits."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.4g}"
