"""Baselines beside the optimal plan, on the same instance.

* ``optimal``: the instance as given.
* ``split``: every tier holds a fixed share of installed IT power (by default equal
  shares, min_power_share = max_power_share = 1/n for n tiers). One bucket may group
  tiers (``premium+ultra=0.25``, the GTC 2026 keynote's four buckets for five tiers): its
  tiers together hold what the other, fixed buckets leave, at most its share, split
  between them optimally.
* ``only:<hardware>``: a fleet of one hardware type (other types removed, their
  existing units too); the split across tiers is still optimised.
* ``greedy``: a rule of thumb, not an optimiser: each period, tiers in order of value
  per facility MW (price x best Mtok per MW), each served by the hardware with the
  most Mtok per MW for it, bought up to its uncovered demand within what power,
  land, budget and supply leave. The purchases are then evaluated by the model
  (capacity split and sales optimised for them).

Every row is solved by the same model, so the numbers are comparable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optimizer.analysis.costs import by_tier, plan_figures
from optimizer.errors import InputError
from optimizer.instance.schema import Instance, PeriodLabel
from optimizer.planning.planner import Planner, solve_with_purchases
from optimizer.results.plan import Plan
from optimizer.solver.options import SolveOptions, with_overrides


@dataclass
class Comparison:
    """One row per plan (``table``) and the plans themselves (``plans``)."""

    table: pd.DataFrame
    by_tier: pd.DataFrame
    plans: dict[str, Plan]


def split_instance(instance: Instance, shares: Mapping[str, float] | None = None) -> Instance:
    """The instance with each bucket's power share fixed (equal shares by default).

    A key ``a+b`` is a bucket of several tiers (at most one such bucket): each of its
    tiers may hold 0..share, and since every other bucket is fixed and shares add up
    to 1, together they hold the rest (less any capacity the plan leaves idle).
    """
    ids = [t.id for t in instance.tiers]
    shares = dict(shares) if shares else {t: 1.0 / len(ids) for t in ids}
    groups = {key: [t.strip() for t in key.split("+")] for key in shares}
    named = [t for members in groups.values() for t in members]
    if sum(len(m) > 1 for m in groups.values()) > 1:
        raise InputError("--split: at most one bucket may group tiers (a+b=share)")
    unknown = sorted(set(named) - set(ids))
    if unknown:
        raise InputError(f"--split: unknown tier(s) {', '.join(unknown)} (tiers: {', '.join(ids)})")
    twice = sorted({t for t in named if named.count(t) > 1})
    if twice:
        raise InputError(f"--split: tier(s) {', '.join(twice)} named in more than one bucket")
    missing = [t for t in ids if t not in named]
    total = sum(shares.values())
    if missing or not math.isclose(total, 1.0, abs_tol=1e-6):
        raise InputError(
            f"--split: shares must name every tier and add up to 1 (got {total:g}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + ")"
        )
    bounds: dict[str, tuple[float, float]] = {}
    for key, members in groups.items():
        for t in members:
            bounds[t] = (shares[key], shares[key]) if len(members) == 1 else (0.0, shares[key])
    tiers = [
        {**t.model_dump(), "min_power_share": bounds[t.id][0], "max_power_share": bounds[t.id][1]}
        for t in instance.tiers
    ]
    return instance.with_changes(tiers=tiers)


def only_instance(instance: Instance, hardware_id: str) -> Instance:
    """The instance with a single hardware type."""
    keep = [h.model_dump() for h in instance.hardware if h.id == hardware_id]
    return instance.with_changes(hardware=keep)


def greedy_purchases(planner: Planner) -> dict[tuple[str, PeriodLabel], int]:
    """The rule-of-thumb purchase plan described in the module docstring."""
    inst = planner.instance
    d = planner.data
    P = list(inst.periods)
    hw = {h.id: h for h in inst.hardware}
    a = d.a  # Tok per unit per period (model units); only ratios matter here
    pue = inst.site.pue
    life = {h: inst.lifetime_periods(hw[h]) for h in hw}
    existing = {h: inst.existing_by_period(hw[h]) for h in hw}
    capex = {h: dict(zip(P, inst.capex_by_period(hw[h]), strict=True)) for h in hw}
    shown = {t.id: dict(zip(P, inst.shown_prices(t), strict=True)) for t in inst.tiers}
    on_sale = {(h, p) for h, p in d.structure.buy_index}
    caps_mw = dict(zip(P, inst.per_period_values(inst.site.power_mw), strict=True))
    caps_racks = dict(zip(P, inst.per_period_values(inst.site.rack_positions), strict=True))
    budgets = dict(zip(P, inst.per_period(inst.site.capex_budget_usd), strict=True))
    supply_left: dict[str, float] = {
        h: math.inf if (mu := hw[h].max_units) is None else float(mu) for h in hw
    }
    bought: dict[tuple[str, PeriodLabel], int] = {}
    # Capacity already serving each tier: (hardware, tier, first period, last period, units).
    assigned: list[tuple[str, str, int, int, int]] = []

    def alive_units(h: str, i: int) -> int:
        units = int(existing[h][i])
        units += sum(u for (g, p), u in bought.items() if g == h and 0 <= i - P.index(p) < life[h])
        return units

    for i, p in enumerate(P):
        used_mw = sum(pue * hw[h].power_kw / 1000 * alive_units(h, i) for h in hw)
        used_racks = sum(hw[h].rack_positions * alive_units(h, i) for h in hw)
        room_mw, room_racks = caps_mw[p] - used_mw, caps_racks[p] - used_racks
        budget = budgets[p]
        room_usd: float = math.inf if budget is None else budget

        def per_mw(h: str, t: str) -> float:
            mw = pue * hw[h].power_kw / 1000
            return a[(h, t)] / mw if mw > 0 else math.inf

        choices = []
        for tier in inst.tiers:
            cands = [h for h in hw if (h, p) in on_sale and (h, tier.id) in a]
            if not cands:
                continue
            best = max(cands, key=lambda h, t=tier.id: per_mw(h, t))  # type: ignore[misc]
            value = shown[tier.id][p] * per_mw(best, tier.id)
            choices.append((value, tier.id, best))
        for _value, t, h in sorted(choices, key=lambda c: -c[0]):
            demand: float = d.demand.get((t, p), math.inf)
            if (t, p, 0) in d.menu_demand:  # a price menu: the demand at its shown price
                shown_k = [k for (tt, q, k), x in d.menu_price.items() if tt == t and q == p]
                demand = max(
                    d.menu_demand[(t, p, k)]
                    for k in shown_k
                    if d.menu_price[(t, p, k)] == shown[t][p]
                )
            covered = sum(
                u * a[(g, t)] for g, tt, lo, hi, u in assigned if tt == t and lo <= i <= hi
            )
            need = demand - covered
            if need <= 0:
                continue
            unit = hw[h]
            limits = [need / a[(h, t)] if a[(h, t)] > 0 else 0.0, supply_left[h]]
            if unit.power_kw > 0:
                limits.append(room_mw / (pue * unit.power_kw / 1000))
            if unit.rack_positions > 0:
                limits.append(room_racks / unit.rack_positions)
            if capex[h][p] > 0:
                limits.append(room_usd / capex[h][p])
            bound = min(
                math.ceil(limits[0] - 1e-9) if math.isfinite(limits[0]) else math.inf,
                *(math.floor(x + 1e-9) if math.isfinite(x) else math.inf for x in limits[1:]),
            )
            if not math.isfinite(bound) or bound <= 0:
                continue  # nothing limits it (unbounded instance) or no room left
            units = int(bound)
            bought[(h, p)] = bought.get((h, p), 0) + units
            assigned.append((h, t, i, i + life[h] - 1, units))
            supply_left[h] -= units
            room_mw -= units * pue * unit.power_kw / 1000
            room_racks -= units * unit.rack_positions
            room_usd -= units * capex[h][p]
    # Minimum lots: a purchase below the lot is dropped rather than rounded up.
    totals: dict[str, int] = {}
    for (h, _p), u in bought.items():
        totals[h] = totals.get(h, 0) + u
    return {k: u for k, u in bought.items() if totals[k[0]] >= hw[k[0]].min_units}


def _row(name: str, plan: Plan, note: str = "") -> dict[str, Any]:
    return {"plan": name, "status": plan.status, **plan_figures(plan), "note": note}


def compare(
    instance: Instance,
    options: SolveOptions | None = None,
    *,
    split: Mapping[str, float] | None = None,
    shell_usd_per_mw_year: float | None = None,
    **overrides: Any,
) -> Comparison:
    """Solve the optimum and the baselines; the table has the optimum's uplift over each.

    ``options`` and keyword ``overrides`` of its fields (``compare(inst, time_limit=5)``)
    apply to each of the solves (``time_limit`` to each one); marginal values are never
    computed here.
    """
    opts = with_overrides(options, overrides).but(marginals=False)
    planner = Planner(instance, opts)
    plans: dict[str, Plan] = {"optimal": planner.solve()}
    rows = [_row("optimal", plans["optimal"])]

    label = "split " + (
        f"equal shares ({100 / len(instance.tiers):.4g}% each)"
        if split is None
        else ",".join(f"{k}={v:g}" for k, v in split.items())
    )
    plans[label] = Planner(split_instance(instance, split), opts, table=planner.table).solve()
    rows.append(_row(label, plans[label], "each tier holds a fixed share of IT power"))

    for h in instance.hardware:
        name = f"only {h.id}"
        plans[name] = Planner(only_instance(instance, h.id), opts, table=planner.table).solve()
        dropped = sum(
            max(instance.existing_by_period(g)) for g in instance.hardware if g.id != h.id
        )
        rows.append(
            _row(
                name,
                plans[name],
                f"drops {dropped:,.0f} existing units of other types" if dropped else "",
            )
        )

    buys = greedy_purchases(planner)
    plans["greedy"] = solve_with_purchases(planner, buys)
    rows.append(_row("greedy", plans["greedy"], "best Mtok/MW per tier, most valuable tier first"))

    table = pd.DataFrame(rows)
    best = plans["optimal"].objective_usd
    if best is not None:
        obj = table["objective_usd"].astype(float)
        # v3 objective cost is minimised: the optimum's uplift is the cost it saves.
        gain = obj - best if plans["optimal"].objective_kind == "cost" else best - obj
        table["optimum_uplift_usd"] = gain
        # a percentage of a baseline that loses money (or earns nothing) means nothing:
        # "+5060.3%" over -$3.41B; left empty, shown as n/a (a cost is always > 0)
        table["optimum_uplift_pct"] = 100 * gain / obj.where(obj > 0)
    tiers = by_tier({k: (p, instance) for k, p in plans.items()}, shell_usd_per_mw_year)
    return Comparison(table=table, by_tier=tiers, plans=plans)
