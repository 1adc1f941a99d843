"""Read a solved model into plain result tables (the solver layer's half of building a Plan).

:func:`extract_solution` turns the Pyomo variables of a solved model into a
:class:`Solution`: the tables of docs/format.md ("Result JSON"), their columns as
:mod:`optimizer.result_schema` names them, and the discounted totals, in contract units
(USD, Mtok, MW). It holds no Pyomo object. :func:`optimizer.results.plan.make_plan` wraps it,
with the check, marginal values and diagnosis, into the :class:`~optimizer.results.plan.Plan`
users get; the results layer never reads Pyomo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from optimizer.frontiers.coefficients import Coefficients
from optimizer.instance.schema import HOURS_PER_YEAR, Instance, PeriodLabel
from optimizer.model.data import MONEY_USD, TOKENS_MTOK
from optimizer.result_schema import BUY, INSTALLED, PRICE, RESOURCES, SERVE, SOLD
from optimizer.solver.highs import RawOutcome

_ZERO = 1e-7  # below this a serving unit count or a token volume is reported as zero


@dataclass(frozen=True)
class Solution:
    """What a solved model says, as plain data: the fields a Plan takes from the solve.

    Field names and meanings are those of :class:`~optimizer.results.plan.Plan`; the tables'
    columns are :mod:`optimizer.result_schema`'s (``slice`` only with time slices).
    """

    objective_kind: str
    status: str
    objective_usd: float
    mip_gap: float | None
    best_bound_usd: float | None
    mip_gap_usd: float | None
    proof: str | None
    revenue_usd: float
    capex_usd: float
    energy_usd: float
    residual_value_usd: float | None
    fixed_cost_usd: float | None
    opex_usd: float | None
    platform_cost_usd: float | None
    buy: pd.DataFrame
    installed: pd.DataFrame
    serve: pd.DataFrame
    sold: pd.DataFrame
    price: pd.DataFrame
    resources: pd.DataFrame
    hours_share: dict[str, float] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The fields by name (the DataFrames themselves, not copies)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _val(x: Any) -> float:
    # A variable's value directly (pyo.value walks an expression tree: 4x slower at 44,000).
    v = x.value if hasattr(x, "fixed") else pyo.value(x, exception=False)
    return 0.0 if v is None else float(v)


def extract_solution(
    m: pyo.ConcreteModel,
    instance: Instance,
    coef: Coefficients,
    objective: str,
    outcome: RawOutcome,
) -> Solution:
    """Read a solved model (``outcome``: its run, with a solution) into a Solution.

    Two clean-ups that keep the plan feasible and never lower the objective:
    integer purchases are rounded to whole units (HiGHS returns 65.9999999), and
    ``sold`` is reported as min(production, demand): a zero-price tier's sales are
    otherwise arbitrary, and selling what is produced is free.
    """
    P = list(instance.periods)
    hw = {h.id: h for h in instance.hardware}
    tiers = {t.id: t for t in instance.tiers}
    w = dict(zip(P, instance.weights(), strict=True))
    pue = instance.site.pue
    a = coef.a()

    buy_rows = [(h, p, int(round(_val(m.buy[h, p])))) for h, p in m.BUY]
    buy = pd.DataFrame(buy_rows, columns=BUY.names())
    bought = {(h, p): u for h, p, u in buy_rows}

    inst_rows = []
    existing = {
        (h, p): v for h in hw for p, v in zip(P, instance.existing_by_period(hw[h]), strict=True)
    }
    for h, p in ((h, p) for h in hw for p in P):  # every pair, zeros included
        alive = m.alive_buys.get((h, p), ())
        units = existing[(h, p)] + sum(bought[(h, q)] for q in alive)
        inst_rows.append(
            (
                h,
                p,
                units,
                units * hw[h].power_kw / 1000,
                units * hw[h].power_kw * pue / 1000,
                units * hw[h].rack_positions,
            )
        )
    installed = pd.DataFrame(inst_rows, columns=INSTALLED.names())

    # Option time_slices: one serve row per (h, t, p, slice) and one sold row per
    # (t, p, slice), each with a ``slice`` column; off, no slice index (None below).
    slices: list[str | None] = list(instance.slice_ids()) or [None]
    sliced = slices != [None]
    hours: dict[str | None, float] = {None: 1.0}
    if sliced:
        hours = {sl.id: sl.hours_share for sl in instance.time_slices or ()}
    serve_rows = []
    for h, t, p in m.SERVE:
        for x in slices:
            u = _val(m.serve[h, t, p] if x is None else m.serve_slice[h, t, p, x])
            if u > _ZERO:
                made = u * a[(h, t)] * hours[x]
                serve_rows.append((h, t, p, x, u, u * hw[h].power_kw / 1000, made))
    serve = pd.DataFrame(serve_rows, columns=SERVE.names(["slice"]))
    # Unit-periods per (h, t, p): units weighted by the slices' hours (all of them when off).
    serve_avg: dict[tuple[Any, Any, Any], float] = {}
    for h, t, p, x, u, *_ in serve_rows:
        serve_avg[(h, t, p)] = serve_avg.get((h, t, p), 0.0) + u * hours[x]
    avg_rows = [(h, t, p, u) for (h, t, p), u in serve_avg.items()]

    inst_by_p = (
        installed.groupby("period", sort=False)["it_mw"].sum().to_dict() if len(installed) else {}
    )
    prod: dict[tuple[Any, Any, Any], tuple[float, float]] = {}
    for _h, t, p, x, _u, mw, mtok in serve_rows:
        old = prod.get((t, p, x), (0.0, 0.0))
        prod[(t, p, x)] = (old[0] + mtok, old[1] + mw)
    sold_rows = []
    price_rows: list[tuple[Any, ...]] = []
    revenue = 0.0
    for t in tiers:
        prices = instance.per_period(tiers[t].price_usd_per_mtok)
        demands = instance.per_period(tiers[t].demand_mtok)
        profile: dict[str | None, float] = {None: 1.0}
        if sliced:
            profile = {x: v for x, v in instance.demand_shares(tiers[t]).items()}
        for i, p in enumerate(P):
            made_total = sum(prod.get((t, p, x), (0.0, 0.0))[0] for x in slices)
            cap = demands[i]
            if tiers[t].price_menu is not None:
                # The picked entry sets this period's price and demand (none picked: 0).
                menu = _menu(instance, tiers[t], i)
                k = next((k for k in range(len(menu)) if _val(m.pick[t, p, k]) > 0.5), None)
                prices[i], cap = (0.0, 0.0) if k is None else menu[k]
                sells = sum(
                    min(prod.get((t, p, x), (0.0, 0.0))[0], profile[x] * (cap or 0.0))
                    for x in slices
                )
                if k is not None and sells <= 0:
                    prices[i] = 0.0  # picked but nothing sold: no price is charged or reported
                elif k is not None:
                    reach = _reach(t, p, made_total, avg_rows, installed, a)
                    price_rows.append(_price_row(t, p, k, menu, made_total, reach, sells))
            price = float(prices[i] or 0.0)
            total_mw = inst_by_p.get(p, 0.0)
            for x in slices:
                made, mw = prod.get((t, p, x), (0.0, 0.0))
                sold_mtok = made if cap is None else min(made, profile[x] * cap)
                if sold_mtok < _ZERO * TOKENS_MTOK * 1e-6:
                    sold_mtok = 0.0
                rev = sold_mtok * price
                revenue += w[p] * rev
                share = mw / total_mw if total_mw > 0 else 0.0
                sold_rows.append((t, p, x, sold_mtok, price, rev, mw, share))
    sold = pd.DataFrame(sold_rows, columns=SOLD.names(["slice"]))
    if not sliced:  # the tables of a plan without time slices keep their columns
        serve = serve.drop(columns="slice")
        sold = sold.drop(columns="slice")

    capex_of = {h: dict(zip(P, instance.capex_by_period(hw[h]), strict=True)) for h in hw}
    capex = sum(w[p] * capex_of[h][p] * u for h, p, u in buy_rows)
    w_end = instance.end_weight()
    residual = sum(
        w_end * instance.residual_fraction(hw[h], P.index(p)) * capex_of[h][p] * u
        for h, p, u in buy_rows
    )
    fixed = sum(w[p] * instance.site.fixed_cost_usd_per_year * instance.period_years for p in P)
    elec = dict(zip(P, instance.per_period(instance.site.electricity_usd_per_mwh), strict=True))
    energy = 0.0
    for h, t, p, u in avg_rows:  # unit-periods: slices weighted by their hours
        mwh = (
            pue
            * hw[h].power_kw
            / 1000
            * tiers[t].utilization
            * u
            * HOURS_PER_YEAR
            * instance.period_years
        )
        energy += w[p] * (elec[p] or 0.0) * mwh * (1.0 - hw[h].idle_power_share)
    idle, opex, platform = _v3_costs(instance, installed)
    energy += idle
    costed = objective in ("profit", "cost")
    if not costed:
        opex = platform = 0.0  # revenue ignores every cost
    cost = capex + energy + opex + platform + fixed - residual
    obj = {"revenue": revenue, "profit": revenue - cost, "cost": cost}[objective]

    bound = None if outcome.bound is None else outcome.bound * MONEY_USD
    return Solution(
        objective_kind=objective,
        status=outcome.status,
        objective_usd=obj,
        mip_gap=outcome.mip_gap,
        best_bound_usd=bound,
        # the most a better plan could earn, USD (>= 0)
        mip_gap_usd=None if bound is None else max(0.0, bound - obj),
        proof=outcome.proof,
        revenue_usd=revenue,
        capex_usd=capex,
        energy_usd=energy,
        residual_value_usd=residual if costed else None,
        fixed_cost_usd=fixed if costed else None,
        opex_usd=opex if costed else None,
        platform_cost_usd=platform if costed else None,
        buy=buy[buy["units"] > 0].reset_index(drop=True),
        installed=installed,
        serve=serve,
        sold=sold,
        price=pd.DataFrame(price_rows, columns=PRICE.names()),
        resources=_resources(instance, installed, buy_rows),
        hours_share={x: v for x, v in hours.items() if x is not None},
    )


def _resources(
    instance: Instance, installed: pd.DataFrame, buy_rows: list[tuple[str, PeriodLabel, int]]
) -> pd.DataFrame:
    """Power, land and budget used against their caps, per period.

    ``binding`` means no room is left for one more unit of any hardware on sale in
    that period (the slack is below the smallest unit's need), or the cap is met
    exactly: with whole units a cap rarely fills to the last kW.
    """
    P = list(instance.periods)
    caps = {
        "power_mw": instance.per_period(instance.site.power_mw),
        "rack_positions": instance.per_period(instance.site.rack_positions),
        "capex_usd": instance.per_period(instance.site.capex_budget_usd),
    }
    capex_of = {
        (h.id, p): c
        for h in instance.hardware
        for p, c in zip(P, instance.capex_by_period(h), strict=True)
    }
    spend: dict[PeriodLabel, float] = {}
    for h, p, u in buy_rows:
        spend[p] = spend.get(p, 0.0) + capex_of[(h, p)] * u
    # The smallest step one more purchasable unit would take of each resource, per period:
    # with whole units, a cap is binding when less than that step is left.
    step: dict[tuple[str, PeriodLabel], float] = {}
    for unit in instance.hardware:
        lo, hi = instance.sale_window(unit)
        for p in P[lo : hi + 1]:
            for res, need in (
                ("power_mw", unit.power_kw * instance.site.pue / 1000),
                ("rack_positions", unit.rack_positions),
                ("capex_usd", capex_of[(unit.id, p)]),
            ):
                if need > 0:
                    step[(res, p)] = min(step.get((res, p), need), need)
    used_mw = (
        installed.groupby("period", sort=False)["facility_mw"].sum().to_dict()
        if len(installed)
        else {}
    )
    used_racks = (
        installed.groupby("period", sort=False)["rack_positions"].sum().to_dict()
        if len(installed)
        else {}
    )
    rows = []
    for i, p in enumerate(P):
        for res, used in (
            ("power_mw", used_mw.get(p, 0.0)),
            ("rack_positions", used_racks.get(p, 0.0)),
            ("capex_usd", spend.get(p, 0.0)),
        ):
            cap = caps[res][i]
            slack = None if cap is None else cap - used
            room = max(1e-6 * abs(cap), 1e-9) if cap is not None else 0.0
            binding = slack is not None and slack < max(room, step.get((res, p), 0.0) - 1e-9)
            rows.append((p, res, used, cap, slack, binding))
    return pd.DataFrame(rows, columns=RESOURCES.names())


def _menu(instance: Instance, tier: Any, i: int) -> list[tuple[float, float]]:
    """(price USD/Mtok, demand Mtok) of each entry of a tier's menu in period index i."""
    return [
        (
            float(instance.per_period_values(e.price_usd_per_mtok)[i]),
            float(instance.per_period_values(e.demand_mtok)[i]),
        )
        for e in tier.price_menu
    ]


def _reach(
    t: str,
    p: PeriodLabel,
    made: float,
    serve_rows: list[tuple[Any, ...]],
    installed: pd.DataFrame,
    a: dict[tuple[str, str], float],
) -> float:
    """Mtok tier t could make in p: what it makes plus what the idle units could make for it.

    ``serve_rows`` are (h, t, p, units), units weighted by the slices' hours (time slices).
    """
    here = installed[installed["period"] == p]
    busy: dict[str, float] = {}
    for h, _t, q, u in serve_rows:
        if q == p:
            busy[h] = busy.get(h, 0.0) + u
    idle = {
        h: max(0.0, float(u) - busy.get(h, 0.0))
        for h, u in zip(here["hardware"], here["units"], strict=True)
    }
    return made + sum(u * a[(h, t)] for h, u in idle.items() if (h, t) in a)


def _price_row(
    t: str,
    p: PeriodLabel,
    k: int,
    menu: list[tuple[float, float]],
    made: float,
    reach: float,
    sold: float,
) -> tuple[Any, ...]:
    """One row of Plan.price: the chosen entry and what its neighbours would earn.

    A neighbour sells min(its demand, ``reach``): the Mtok the tier's serving units and
    the period's idle units could make for it.
    """
    price, demand = menu[k]
    revenue = price * sold
    higher = min((e for e in menu if e[0] > price), default=None, key=lambda e: e[0])
    lower = max((e for e in menu if e[0] < price), default=None, key=lambda e: e[0])

    def earn(e: tuple[float, float] | None) -> float | None:
        return None if e is None else e[0] * min(reach, e[1])

    hi_rev, lo_rev = earn(higher), earn(lower)
    others = [r for r in (hi_rev, lo_rev) if r is not None]
    given_up = max(others) - revenue if others else None
    return (
        t,
        p,
        k,
        price,
        demand,
        sold,
        revenue,
        None if higher is None else higher[0],
        hi_rev,
        None if lower is None else lower[0],
        lo_rev,
        given_up,
    )


def _v3_costs(instance: Instance, installed: pd.DataFrame) -> tuple[float, float, float]:
    """Discounted idle-power electricity, opex and platform fixed cost of the installed
    units, USD (docs/model.md "v3 options"; each 0 when its option is off).

    A platform's fixed cost is paid in each period any unit of it is installed.
    """
    P = list(instance.periods)
    w = dict(zip(P, instance.weights(), strict=True))
    hw = {h.id: h for h in instance.hardware}
    elec = dict(
        zip(P, instance.per_period_values(instance.site.electricity_usd_per_mwh), strict=True)
    )
    plat_cost = {f.id: f.fixed_cost_usd_per_year for f in instance.platforms}
    years = instance.period_years
    idle = opex = platform = 0.0
    running: set[tuple[str, Any]] = set()
    for h, p, units in installed[["hardware", "period", "units"]].itertuples(index=False):
        spec = hw[h]
        if units <= 0:
            continue
        opex += (
            w[p] * years * instance.per_period_values(spec.opex_usd_per_year)[P.index(p)] * units
        )
        mwh = instance.site.pue * spec.power_kw / 1000 * HOURS_PER_YEAR * years * units
        idle += w[p] * elec[p] * spec.idle_power_share * mwh
        if spec.platform is not None:
            running.add((spec.platform, p))
    for f, p in running:
        platform += w[p] * years * plat_cost.get(f, 0.0)
    return idle, opex, platform
