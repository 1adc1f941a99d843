"""The result of a solve: a plan in the contract's units, as tidy DataFrames.

A :class:`Plan` is built from a solved model by :func:`extract_plan` and holds no
reference to Pyomo objects: it can be pickled, compared and kept. ``to_dict()``
gives the result format of MODEL.md (plus extra keys, which the contract allows).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from optimizer.frontiers.coefficients import Coefficients
from optimizer.instance.schema import HOURS_PER_YEAR, Instance, PeriodLabel
from optimizer.model.data import MONEY_USD, TOKENS_MTOK
from optimizer.results.finance import Finance, finance_of
from optimizer.solve.marginals import COLUMNS as MV_COLUMNS

_ZERO = 1e-7  # below this a serving unit count or a token volume is reported as zero


@dataclass
class Plan:
    """A purchase plan and capacity split, with everything a planner asks of it.

    Money in USD, tokens in Mtok, power in MW, land in rack positions. DataFrames:

    * ``buy``: hardware, period, units (units > 0 only)
    * ``installed``: hardware, period, units, it_mw, facility_mw, rack_positions
    * ``serve``: hardware, tier, period, units, it_mw, mtok
    * ``sold``: tier, period, mtok, price_usd_per_mtok, revenue_usd, it_mw, power_share
    * with the option ``time_slices``, ``serve`` and ``sold`` have one row per slice and a
      ``slice`` column after ``period``: units serving in that slice, the Mtok made / sold
      in it (``hours_share`` of the period's hours); per-period tables: :meth:`serve_by_period`,
      :meth:`sold_by_period`
    * ``price`` (v2 price menus; empty without them): tier, period, entry (index in the
      menu), price_usd_per_mtok, demand_mtok (at that price), mtok (sold), revenue_usd,
      then for the next higher and next lower entry of the menu: ``higher_price_usd_per_mtok``,
      ``higher_revenue_usd``, ``lower_price_usd_per_mtok``, ``lower_revenue_usd`` (what that
      entry would earn: its price * min(its demand, the Mtok this tier's serving units and
      the period's idle units could make)) and ``revenue_given_up_usd``: the better of the
      two minus ``revenue_usd`` (> 0: the neighbour would earn more from that capacity; the
      plan prefers the chosen price because of what the capacity it frees or needs is worth
      elsewhere). Undiscounted, USD.
    * ``resources``: period, resource, used, cap, slack, binding
    * ``unusable``: hardware, tier, reason (pairs the frontier table cannot serve)
    * ``coefficients``: usable pairs with r (tok/s per GPU) and a (Mtok per unit-period)
    * ``marginal_values``: resource, period, tier, hardware, usd_per_unit,
      usd_per_unit_undiscounted, unit: what one more unit of power, land, demand,
      budget or supply is worth with the plan's hardware choice held fixed
      (:mod:`optimizer.solve.marginals`)
    * ``diagnosis``: when infeasible, the relaxations that would make it feasible:
      family, index, relax_by, unit, message (:mod:`optimizer.solve.diagnose`)

    ``warnings``: one line each, what the user should know before trusting the plan
    (a tier no hardware can serve sells nothing); also ``warnings`` in the JSON.

    ``finance`` (:mod:`optimizer.results.finance`): cash flows per period, NPV, IRR,
    payback and cost per GPU-hour of a plan with a solution; None without one.
    """

    instance_name: str
    objective_kind: str
    status: str
    objective_usd: float | None
    mip_gap: float | None
    best_bound_usd: float | None = None
    # best_bound_usd - objective_usd: the most a better plan could earn, USD (>= 0)
    mip_gap_usd: float | None = None
    # How the bound was proven: "relaxation bound" (the certified strategy closed the gap
    # with purchases relaxed) or "branch and bound" (HiGHS's search); None without a plan.
    proof: str | None = None
    revenue_usd: float | None = None
    capex_usd: float | None = None
    energy_usd: float | None = None
    residual_value_usd: float | None = None  # v2: discounted, credited to profit
    fixed_cost_usd: float | None = None  # v2: discounted site fixed cost, charged to profit
    opex_usd: float | None = None  # v3: discounted opex of installed units (profit, cost)
    platform_cost_usd: float | None = None  # v3: discounted fixed cost of platforms adopted
    buy: pd.DataFrame = field(default_factory=pd.DataFrame)
    installed: pd.DataFrame = field(default_factory=pd.DataFrame)
    serve: pd.DataFrame = field(default_factory=pd.DataFrame)
    sold: pd.DataFrame = field(default_factory=pd.DataFrame)
    price: pd.DataFrame = field(default_factory=pd.DataFrame)
    resources: pd.DataFrame = field(default_factory=pd.DataFrame)
    unusable: pd.DataFrame = field(default_factory=pd.DataFrame)
    coefficients: pd.DataFrame = field(default_factory=pd.DataFrame)
    marginal_values: pd.DataFrame = field(default_factory=pd.DataFrame)
    diagnosis: pd.DataFrame = field(default_factory=pd.DataFrame)
    lp_objective_usd: float | None = None
    verified: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    model_size: dict[str, int] = field(default_factory=dict)
    message: str = ""
    # Post-solve steps left out, and why ("marginal_values: deadline"): see SolveOptions.
    skipped: list[str] = field(default_factory=list)
    # Things a reader must know about the numbers (e.g. coefficients near the tolerances).
    warnings: list[str] = field(default_factory=list)
    # Option time_slices: {slice id: share of a period's hours}; empty when off.
    hours_share: dict[str, float] = field(default_factory=dict)
    finance: Finance | None = None

    def serve_by_period(self) -> pd.DataFrame:
        """``serve`` with one row per hardware, tier and period: without time slices the
        table itself; with them, units are unit-periods (each slice's units weighted by its
        hours share), it_mw likewise (the average IT MW), mtok the slices' sum."""
        if not self.hours_share or self.serve.empty or "slice" not in self.serve.columns:
            return self.serve
        df = self.serve.assign(w=self.serve["slice"].map(self.hours_share))
        df = df.assign(units=df["units"] * df["w"], it_mw=df["it_mw"] * df["w"])
        keys = ["hardware", "tier", "period"]
        out = df.groupby(keys, sort=False)[["units", "it_mw", "mtok"]].sum()
        return out.reset_index()

    def sold_by_period(self) -> pd.DataFrame:
        """``sold`` with one row per tier and period: the slices' Mtok and revenue summed,
        it_mw and power_share weighted by the slices' hours (the table itself without
        time slices)."""
        if not self.hours_share or self.sold.empty or "slice" not in self.sold.columns:
            return self.sold
        df = self.sold.assign(w=self.sold["slice"].map(self.hours_share))
        df = df.assign(it_mw=df["it_mw"] * df["w"], power_share=df["power_share"] * df["w"])
        keys = ["tier", "period"]
        g = df.groupby(keys, sort=False)
        out = g[["mtok", "revenue_usd", "it_mw", "power_share"]].sum()
        out["price_usd_per_mtok"] = g["price_usd_per_mtok"].first()
        cols = ["mtok", "price_usd_per_mtok", "revenue_usd", "it_mw", "power_share"]
        return out[cols].reset_index()

    @property
    def has_solution(self) -> bool:
        return self.objective_usd is not None

    @property
    def ok(self) -> bool:
        """True when there is a plan to act on (optimal, or time limit with an incumbent)."""
        return self.status in ("optimal", "time_limit") and self.has_solution

    def to_dict(self) -> dict[str, Any]:
        """The result format of MODEL.md, plus extra keys (allowed by the contract)."""

        def rows(df: pd.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
            if df.empty:
                return []
            return [
                {c: _plain(v, _DIGITS.get(c)) for c, v in zip(cols, rec, strict=True)}
                for rec in df[cols].itertuples(index=False, name=None)
            ]

        # Option time_slices: serve and sold rows name their slice (the key is absent
        # without slices, so such a result keeps its shape).
        sl = ["slice"] if self.hours_share else []

        return {
            "status": self.status,
            "objective_usd": _plain(self.objective_usd, _DIGITS["usd"]),
            "mip_gap": self.mip_gap,
            "mip_gap_usd": _plain(self.mip_gap_usd, _DIGITS["usd"]),
            "proof": self.proof,
            "buy": rows(self.buy, ["hardware", "period", "units"]),
            "serve": rows(self.serve, ["hardware", "tier", "period", *sl, "units"]),
            "sold": rows(self.sold, ["tier", "period", *sl, "mtok"]),
            "price": rows(self.price, ["tier", "period", "price_usd_per_mtok"]),
            # extra keys
            "instance": self.instance_name,
            "objective": self.objective_kind,
            "verified": self.verified,
            "best_bound_usd": _plain(self.best_bound_usd, _DIGITS["usd"]),
            "revenue_usd": _plain(self.revenue_usd, _DIGITS["usd"]),
            "capex_usd": _plain(self.capex_usd, _DIGITS["usd"]),
            "energy_usd": _plain(self.energy_usd, _DIGITS["usd"]),
            "residual_value_usd": _plain(self.residual_value_usd, _DIGITS["usd"]),
            "fixed_cost_usd": _plain(self.fixed_cost_usd, _DIGITS["usd"]),
            "opex_usd": _plain(self.opex_usd, _DIGITS["usd"]),
            "platform_cost_usd": _plain(self.platform_cost_usd, _DIGITS["usd"]),
            "price_menu": rows(self.price, PRICE_COLUMNS),
            "installed": rows(self.installed, ["hardware", "period", "units"]),
            "resources": rows(self.resources, ["period", "resource", "used", "cap", "binding"]),
            "unusable_pairs": rows(self.unusable, ["hardware", "tier", "reason"]),
            "diagnosis": [] if self.diagnosis.empty else list(self.diagnosis["message"]),
            "marginal_values": [
                {k: v for k, v in r.items() if v is not None}
                for r in rows(
                    self.marginal_values,
                    MV_COLUMNS + (["slice"] if "slice" in self.marginal_values.columns else []),
                )
            ],
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
            "model_size": self.model_size,
            "message": self.message,
            "skipped": list(self.skipped),
            "warnings": list(self.warnings),
            "finance": None if self.finance is None else self.finance.to_dict(),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def summary(self) -> str:
        """A short plain-text summary (status, objective, what was bought)."""
        from optimizer.results.report import summary_text

        return summary_text(self)

    def _repr_html_(self) -> str:  # notebook display: headline, purchases, tiers as tables
        from optimizer.results.report import summary_html

        return summary_html(self)


# Decimal places kept in JSON output: far below the solver's tolerances, and free of
# float noise such as 7.999999999999995 units.
_DIGITS = {
    "usd": 4,
    "units": 9,
    "mtok": 6,
    "used": 9,
    "cap": 9,
    "usd_per_unit": 6,
    "usd_per_unit_undiscounted": 6,
    "price_usd_per_mtok": 9,
}
PRICE_COLUMNS = [
    "tier",
    "period",
    "entry",
    "price_usd_per_mtok",
    "demand_mtok",
    "mtok",
    "revenue_usd",
    "higher_price_usd_per_mtok",
    "higher_revenue_usd",
    "lower_price_usd_per_mtok",
    "lower_revenue_usd",
    "revenue_given_up_usd",
]


def plain_json(v: Any, digits: int | None = None, infinity_as_text: bool = False) -> Any:
    """A value ready for strict JSON (which has no NaN or Infinity), the one rule for results.

    numpy scalars become Python ones; NaN becomes null; an infinity becomes null, or the
    text "Infinity" / "-Infinity" with ``infinity_as_text`` (a two-stage VSS is infinite by
    meaning, not missing); ``digits`` rounds floats (and turns -0.0 into 0.0).
    """
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if math.isinf(v):
            return ("Infinity" if v > 0 else "-Infinity") if infinity_as_text else None
        if digits is not None:
            v = round(v, digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    return v


_plain = plain_json


def _val(x: Any) -> float:
    # A variable's value directly (pyo.value walks an expression tree: 4x slower at 44,000).
    v = x.value if hasattr(x, "fixed") else pyo.value(x, exception=False)
    return 0.0 if v is None else float(v)


def empty_plan(
    instance: Instance, coef: Coefficients | None, objective: str, status: str, message: str = ""
) -> Plan:
    """A plan with no solution (infeasible, unbounded, error)."""
    plan = Plan(
        instance_name=instance.name,
        objective_kind=objective,
        status=status,
        objective_usd=None,
        mip_gap=None,
        message=message,
    )
    if coef is not None:
        plan.unusable = coef.unusable[["hardware", "tier", "reason"]]
        plan.coefficients = coef.usable
        plan.warnings = plan_warnings(instance, coef)
    return plan


def plan_warnings(instance: Instance, coef: Coefficients) -> list[str]:
    """What a user must know about this instance's plan, one line each."""
    served = set(coef.usable["tier"])
    out = []
    for i, tier in enumerate(instance.tiers):
        if tier.id in served:
            continue
        why = coef.unusable.loc[coef.unusable["tier"] == tier.id, "reason"]
        reasons = list(dict.fromkeys(str(r) for r in why if str(r)))
        detail = "; ".join(reasons[:2]) + (
            f"; and {len(reasons) - 2} more" if len(reasons) > 2 else ""
        )
        out.append(
            f"tiers[{i}] {tier.id!r}: no hardware can serve it, so it sells nothing"
            + (f" ({detail})" if detail else "")
        )
    return out


def extract_plan(
    m: pyo.ConcreteModel,
    instance: Instance,
    coef: Coefficients,
    objective: str,
    status: str,
    mip_gap: float | None,
    bound_model_units: float | None,
) -> Plan:
    """Read a solved model into a Plan, in contract units.

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
    buy = pd.DataFrame(buy_rows, columns=["hardware", "period", "units"])
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
    installed = pd.DataFrame(
        inst_rows,
        columns=["hardware", "period", "units", "it_mw", "facility_mw", "rack_positions"],
    )

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
    serve_cols = ["hardware", "tier", "period", "slice", "units", "it_mw", "mtok"]
    serve = pd.DataFrame(serve_rows, columns=serve_cols)
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
    sold = pd.DataFrame(
        sold_rows,
        columns=[
            "tier",
            "period",
            "slice",
            "mtok",
            "price_usd_per_mtok",
            "revenue_usd",
            "it_mw",
            "power_share",
        ],
    )
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

    plan = Plan(
        instance_name=instance.name,
        objective_kind=objective,
        status=status,
        objective_usd=obj,
        mip_gap=mip_gap,
        best_bound_usd=None if bound_model_units is None else bound_model_units * MONEY_USD,
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
        price=pd.DataFrame(price_rows, columns=PRICE_COLUMNS),
        resources=_resources(instance, installed, buy_rows),
        unusable=coef.unusable[["hardware", "tier", "reason"]],
        coefficients=coef.usable,
        warnings=plan_warnings(instance, coef),
        hours_share={x: v for x, v in hours.items() if x is not None},
    )
    plan.finance = finance_of(instance, plan)
    return plan


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
    return pd.DataFrame(rows, columns=["period", "resource", "used", "cap", "slack", "binding"])


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
