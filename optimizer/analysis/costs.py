"""Cost per Mtok by tier: what each tier's tokens cost to make under a plan.

All money here is undiscounted (plain sums over the horizon), so it reads as an
accounting view beside the discounted objective:

* hardware: each purchase's capex is spread straight-line over its lifetime in
  periods (the whole horizon when no lifetime is set); only the periods inside the
  horizon count. In each period a hardware type's share goes to tiers in proportion
  to the units serving them; units installed but idle go to ``idle``.
* energy: the electricity of the units serving each tier, as in the objective.
* shell (optional): the building, as USD per facility MW-year of the site's power
  cap (the GTC 2026 keynote's $40B per GW over 15 years is 2.67M USD per MW-year),
  shared by IT power installed per tier, the rest to ``idle``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from optimizer.instance.schema import HOURS_PER_YEAR, Instance
from optimizer.results.plan import Plan

IDLE = "idle"


def tier_costs(
    plan: Plan, instance: Instance, shell_usd_per_mw_year: float | None = None
) -> pd.DataFrame:
    """One row per tier (plus ``idle`` and ``total``): Mtok, revenue, costs and cost per Mtok."""
    if not plan.has_solution:
        return pd.DataFrame()
    P = list(instance.periods)
    hw = {h.id: h for h in instance.hardware}
    tiers = {t.id: t for t in instance.tiers}
    pue = instance.site.pue
    years = instance.period_years
    index = {p: i for i, p in enumerate(P)}

    # Capex per (hardware, period), straight-line over each purchase's life.
    capex_hp: dict[tuple[str, object], float] = {}
    for r in plan.buy.itertuples(index=False):
        life = instance.lifetime_periods(hw[r.hardware])
        share = instance.capex_by_period(hw[r.hardware])[index[r.period]] * r.units / life
        start = index[r.period]
        for i in range(start, min(start + life, len(P))):
            key = (r.hardware, P[i])
            capex_hp[key] = capex_hp.get(key, 0.0) + share

    installed = plan.installed.set_index(["hardware", "period"])["units"]
    cost: dict[str, dict[str, float]] = {
        t: {"hardware_usd": 0.0, "energy_usd": 0.0, "shell_usd": 0.0} for t in [*tiers, IDLE]
    }
    # Option time_slices: per period, units are unit-periods (slices weighted by their hours).
    serve = plan.serve_by_period()
    serving = serve.groupby(["hardware", "period"])["units"].sum() if len(serve) else None
    for r in serve.itertuples(index=False):
        total = float(installed.get((r.hardware, r.period), 0.0))
        if total > 0:
            cost[r.tier]["hardware_usd"] += (
                capex_hp.get((r.hardware, r.period), 0.0) * r.units / total
            )
        elec = instance.per_period_values(instance.site.electricity_usd_per_mwh)[index[r.period]]
        mwh = (
            pue
            * hw[r.hardware].power_kw
            / 1000
            * tiers[r.tier].utilization
            * r.units
            * HOURS_PER_YEAR
            * years
        )
        cost[r.tier]["energy_usd"] += elec * mwh
    for (h, p), c in capex_hp.items():
        total = float(installed.get((h, p), 0.0))
        used = float(serving.get((h, p), 0.0)) if serving is not None else 0.0
        if total > 0:
            cost[IDLE]["hardware_usd"] += c * max(0.0, total - used) / total

    if shell_usd_per_mw_year:
        caps = instance.per_period_values(instance.site.power_mw)
        it_by_p = plan.installed.groupby("period")["it_mw"].sum()
        serve_it = serve.groupby(["tier", "period"])["it_mw"].sum() if len(serve) else None
        for i, p in enumerate(P):
            shell = shell_usd_per_mw_year * caps[i] * years
            it = float(it_by_p.get(p, 0.0))
            given = 0.0
            for t in tiers:
                mw = float(serve_it.get((t, p), 0.0)) if serve_it is not None else 0.0
                part = shell * mw / it if it > 0 else 0.0
                cost[t]["shell_usd"] += part
                given += part
            cost[IDLE]["shell_usd"] += max(0.0, shell - given)

    sold = plan.sold_by_period().groupby("tier", sort=False)[["mtok", "revenue_usd"]].sum()
    rows = []
    for t in [*tiers, IDLE]:
        mtok = float(sold.loc[t, "mtok"]) if t in sold.index else 0.0
        revenue = float(sold.loc[t, "revenue_usd"]) if t in sold.index else 0.0
        parts = cost[t]
        total_cost = parts["hardware_usd"] + parts["energy_usd"] + parts["shell_usd"]
        rows.append(
            {"tier": t, "mtok": mtok, "revenue_usd": revenue, **parts, "cost_usd": total_cost}
        )
    df = pd.DataFrame(rows)
    total = df.drop(columns="tier").sum()
    df = pd.concat([df, pd.DataFrame([{"tier": "total", **total.to_dict()}])], ignore_index=True)
    # Cost per Mtok of a tier counts its own costs; the total row spreads idle over all tokens.
    df["cost_usd_per_mtok"] = df["cost_usd"] / df["mtok"].where(df["mtok"] > 0)
    df["revenue_usd_per_mtok"] = df["revenue_usd"] / df["mtok"].where(df["mtok"] > 0)
    return df


def plan_cost_per_mtok(plan: Plan) -> tuple[float | None, float | None]:
    """(Mtok sold, cost per Mtok) of a plan: (discounted capex + electricity) / Mtok sold.

    The one definition of the plan-level figure compare and compare-two print; ``None``
    without a plan, and a cost of ``None`` when nothing is sold.
    """
    if not plan.has_solution:
        return None, None
    mtok = float(plan.sold["mtok"].sum())
    if not mtok:
        return mtok, None
    return mtok, ((plan.capex_usd or 0.0) + (plan.energy_usd or 0.0)) / mtok


def plan_figures(plan: Plan) -> dict[str, float | None]:
    """The plan-level figures compare and compare-two print, one name each."""
    mtok, cost = plan_cost_per_mtok(plan)
    return {
        "objective_usd": plan.objective_usd,
        "revenue_usd": plan.revenue_usd,
        "capex_usd": plan.capex_usd,
        "energy_usd": plan.energy_usd,
        "mtok": mtok,
        "cost_usd_per_mtok": cost,
    }


def by_tier(
    plans: Mapping[str, tuple[Plan, Instance]], shell_usd_per_mw_year: float | None = None
) -> pd.DataFrame:
    """Per plan and tier: Mtok, revenue, costs and cost per Mtok (undiscounted; see
    :func:`tier_costs`); ``plans`` maps a plan's name to it and the instance it solved."""
    frames = []
    for name, (plan, instance) in plans.items():
        df = tier_costs(plan, instance, shell_usd_per_mw_year)
        if not df.empty:
            frames.append(df.assign(plan=name))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["plan", *[c for c in out.columns if c != "plan"]]]
