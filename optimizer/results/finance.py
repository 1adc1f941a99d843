"""The finance of a plan: cash flows per period, NPV, IRR, payback, cost per GPU-hour.

Built from the instance's numbers and the plan's tables (``buy``, ``installed``, ``serve``,
``sold``) with pandas and numpy only (no Pyomo), on the conventions of the objective
(docs/model.md, "Objective" and "Finance"):

* period ``i`` starts ``i * period_years`` years after the start; its cash flows are
  discounted by ``w[i] = (1 + discount_rate) ** (-i * period_years)``;
* revenue[p]  = sum_t price[t,p] * sold[t,p]                  (0 for the ``cost`` objective)
* capex[p]    = sum_h capex[h,p] * buy[h,p]
* opex[p]     = sum_h period_years * opex_usd_per_year[h,p] * installed[h,p]
* energy[p]   = electricity[p] * pue * 8760 * period_years / 1000
  * sum_h power_kw[h] * (idle[h] * installed[h,p] + (1 - idle[h]) * sum_t util[t] * serve[h,t,p])
* fixed[p]    = period_years * (site.fixed_cost_usd_per_year
  + sum of fixed_cost_usd_per_year of each platform with a unit installed in p)
* net[p]      = revenue - capex - opex - energy - fixed (costs are positive numbers);
* with ``residual_value: straight_line`` one more row, ``end`` (``N * period_years`` years),
  carries the residual value ``sum_{h,p} capex[h,p] * buy[h,p] * max(0, lifetime - (N - i_p)
  * period_years) / lifetime``, discounted by ``w_end = (1 + rate) ** (-N * period_years)``.

NPV = sum of the discounted net, which is the ``profit`` objective (minus the ``cost``
objective). IRR: the annual rate that makes the NPV of the undiscounted net per period zero,
each period's net at its start as in the objective (None, with the reason, when there is no
such rate or more than one). Payback: the first time the cumulative undiscounted net turns
non-negative, a period's capex paid at its start and the rest of its net (revenue less
opex, energy and fixed costs) coming in evenly over its years, so the crossing is
interpolated inside the period (the residual value arrives at the end, at once).
Discounted payback: the same on the discounted figures (each period at its weight).

The keys ``hardware[].opex_usd_per_year``, ``hardware[].idle_power_share``,
``hardware[].platform`` and ``platforms`` are read with ``getattr`` and default to no cost:
an instance without them has the cash flows of the objective without them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer.instance.schema import HOURS_PER_YEAR, Instance
from optimizer.result_schema import CASH_FLOW, HARDWARE_COSTS

if TYPE_CHECKING:
    from optimizer.results.plan import Plan

__all__ = [
    "CASH_FLOW_COLUMNS",
    "HARDWARE_COST_COLUMNS",
    "Finance",
    "finance_of",
    "irr",
    "payback",
]

END = "end"  # period label of the residual-value row

CASH_FLOW_COLUMNS = CASH_FLOW.names()  # optimizer.result_schema: units and meanings
HARDWARE_COST_COLUMNS = HARDWARE_COSTS.names()

GPU_HOUR_CONVENTION = (
    "undiscounted; capex straight-line over lifetime_years (the horizon left when unset), "
    "the part of it inside the horizon; plus opex and electricity of the hardware's units; "
    "per GPU-hour installed (gpus_per_unit x 8760 h x period_years per installed unit-period) "
    "and per Mtok it served; site and platform fixed costs are not allocated"
)


@dataclass
class Finance:
    """A plan's finance, USD.

    ``cash_flow``: one row per period (and ``end`` for the residual value), columns
    :data:`CASH_FLOW_COLUMNS`; costs are positive numbers, net = revenue - costs + residual.
    ``hardware_costs``: one row per hardware with units installed, columns
    :data:`HARDWARE_COST_COLUMNS` (convention in :data:`GPU_HOUR_CONVENTION`).
    ``irr`` is a fraction per year (0.12 = 12 %); ``irr``, ``payback_years`` and
    ``discounted_payback_years`` are None when they do not exist, ``notes`` then says why.
    """

    objective_kind: str
    cash_flow: pd.DataFrame
    hardware_costs: pd.DataFrame
    npv_usd: float
    irr: float | None
    payback_years: float | None
    discounted_payback_years: float | None
    notes: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The ``finance`` key of the result JSON (docs/format.md)."""

        def rows(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [
                {c: _plain(v) for c, v in zip(df.columns, rec, strict=True)}
                for rec in df.itertuples(index=False, name=None)
            ]

        return {
            "cash_flow": rows(self.cash_flow),
            "npv_usd": _plain(self.npv_usd),
            "irr": _plain(self.irr, 9),
            "payback_years": _plain(self.payback_years, 9),
            "discounted_payback_years": _plain(self.discounted_payback_years, 9),
            "hardware_costs": rows(self.hardware_costs),
            "notes": dict(self.notes),
            "gpu_hour_convention": GPU_HOUR_CONVENTION,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], objective_kind: str = "") -> Finance:
        """A Finance read back from the result JSON's ``finance`` (a results folder)."""
        cf = pd.DataFrame(doc.get("cash_flow") or [])
        for c in CASH_FLOW_COLUMNS:
            if c not in cf:
                cf[c] = 0.0
        hc = pd.DataFrame(doc.get("hardware_costs") or [])
        for c in HARDWARE_COST_COLUMNS:
            if c not in hc:
                hc[c] = None
        return cls(
            objective_kind=objective_kind,
            cash_flow=cf[CASH_FLOW_COLUMNS],
            hardware_costs=hc[HARDWARE_COST_COLUMNS],
            npv_usd=float(doc.get("npv_usd") or 0.0),
            irr=doc.get("irr"),
            payback_years=doc.get("payback_years"),
            discounted_payback_years=doc.get("discounted_payback_years"),
            notes=dict(doc.get("notes") or {}),
        )


def _plain(v: Any, digits: int = 4) -> Any:
    """numpy scalars -> Python; non-finite -> None; floats rounded (no 1e-12 noise in JSON)."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        v = round(v, digits) + 0.0
    return v


def _get(obj: Any, name: str, default: Any) -> Any:
    """A key of a pydantic model or a mapping; ``default`` when absent or None."""
    value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
    return default if value is None else value


# ------------------------------------------------------------------------- rates
def irr(flows: list[float], period_years: float = 1.0) -> tuple[float | None, str]:
    """The annual rate r with sum_k flows[k] * (1 + r) ** (-k * period_years) = 0.

    ``flows[k]`` is the undiscounted net at ``k * period_years`` years (see
    :func:`project_flows` for the timing a plan's IRR uses). Returns (r, "")
    or (None, why): no sign change, or several rates (each listed). Solved as the roots
    of the polynomial in x = (1 + r) ** (-period_years) (positive real roots only).
    """
    c = np.asarray(flows, dtype=float)
    scale = float(np.abs(c).max()) if len(c) else 0.0
    if scale == 0.0:
        return None, "every net cash flow is zero"
    c = np.where(np.abs(c) < 1e-9 * scale, 0.0, c / scale)
    if not (c > 0).any() or not (c < 0).any():
        never = "negative" if (c >= 0).all() else "positive"
        return None, (
            f"no net cash flow is {never} (capex at each period's start, the rest at its "
            "end): no rate makes the NPV zero"
        )
    # np.roots wants the highest power first; trailing zeros of c are roots at x = 0.
    roots = np.roots(c[::-1])
    rates = sorted(
        {
            round(float(x.real) ** (-1.0 / period_years) - 1.0, 12)
            for x in roots
            if abs(x.imag) <= 1e-9 * max(1.0, abs(x)) and x.real > 1e-12
        }
    )
    if not rates:
        return None, "no rate above -100 % makes the NPV zero"
    if len(rates) > 1:
        listed = ", ".join(f"{100 * r:.2f} %" for r in rates)
        return None, f"several rates make the NPV zero ({listed}): the IRR is not defined"
    return rates[0], ""


def project_flows(
    upfront: list[float],
    accruing: list[float],
    starts: list[float],
    lengths: list[float],
    period_years: float,
) -> list[float]:
    """Net cash flows on a grid of ``period_years``, as a project's IRR counts them.

    Row k pays ``upfront[k]`` (capex, negative) at ``starts[k]`` and receives ``accruing[k]``
    (revenue less running costs; the residual value) at ``starts[k] + lengths[k]``, the end
    of its period: the usual project-finance timing. (The NPV and the objective count both
    at the period's start; with that timing a period's revenue offsets its own capex and
    the IRR rarely exists.)
    """
    end = max((t + span for t, span in zip(starts, lengths, strict=True)), default=0.0)
    flows = [0.0] * (round(end / period_years) + 1)
    for up, f, t0, span in zip(upfront, accruing, starts, lengths, strict=True):
        flows[round(t0 / period_years)] += up
        flows[round((t0 + span) / period_years)] += f
    return flows


def payback(
    upfront: list[float], accruing: list[float], starts: list[float], lengths: list[float]
) -> tuple[float | None, str]:
    """Years until the cumulative net cash flow first turns non-negative after being negative.

    Row k pays ``upfront[k]`` (its capex, as a negative number) at ``starts[k]``, then its
    ``accruing[k]`` (revenue less running costs) comes in evenly over ``lengths[k]`` years
    (0: at once), so the crossing is interpolated inside the row. 0.0 when the cumulative
    never goes below zero; None (and why) when it is still negative at the end.
    """
    cum = 0.0
    scale = max([abs(f) for f in (*upfront, *accruing)] + [1.0])
    tol = 1e-9 * scale
    went_negative = False
    for up, f, t0, span in zip(upfront, accruing, starts, lengths, strict=True):
        if cum + up < -tol:
            went_negative = True
        cum += up
        new = cum + f
        if cum < -tol and new >= -tol:
            share = 0.0 if span <= 0 or f <= 0 else min(1.0, -cum / f)
            return t0 + share * span, ""
        if new < -tol:
            went_negative = True
        cum = new
    if not went_negative:
        return 0.0, "the cumulative net cash flow is never negative"
    return None, f"the cumulative net cash flow is still negative at the end ({cum:,.0f} USD)"


# ------------------------------------------------------------------------- the tables
def _index(df: pd.DataFrame, keys: list[str], value: str) -> dict[tuple[str, ...], float]:
    """{(key values as text): sum of value} of a plan table; empty when the table is."""
    if df is None or df.empty or value not in df.columns:
        return {}
    out: dict[tuple[str, ...], float] = {}
    columns = [df[k].tolist() for k in keys]  # plain lists: row access through pandas is slow
    for *key, v in zip(*columns, df[value].tolist(), strict=True):
        k = tuple(str(x) for x in key)
        out[k] = out.get(k, 0.0) + float(v or 0.0)
    return out


def finance_of(instance: Instance, plan: Plan) -> Finance:
    """The finance of ``plan`` (a solved plan of ``instance``); see the module doc."""
    labels = [str(p) for p in instance.periods]
    n, years = len(labels), float(instance.period_years)
    kind = str(plan.objective_kind)
    w = np.array(instance.weights())
    w_end = instance.end_weight()
    site = instance.site
    hws = list(instance.hardware)
    tiers = {t.id: t for t in instance.tiers}

    buy = _index(plan.buy, ["hardware", "period"], "units")
    installed = _index(plan.installed, ["hardware", "period"], "units")
    # Option time_slices: units as unit-periods (each slice's units weighted by its hours).
    serve = _index(plan.serve_by_period(), ["hardware", "tier", "period"], "units")
    mtok_by_hw = _index(plan.serve, ["hardware"], "mtok") if "mtok" in plan.serve else {}
    if "revenue_usd" in plan.sold.columns:
        revenue_by_p = _index(plan.sold, ["period"], "revenue_usd")
    else:
        prices = _index(plan.sold, ["tier", "period"], "price_usd_per_mtok")
        revenue_by_p = {}
        for (t, p), q in _index(plan.sold, ["tier", "period"], "mtok").items():
            revenue_by_p[(p,)] = revenue_by_p.get((p,), 0.0) + q * prices.get((t, p), 0.0)

    revenue = np.array([revenue_by_p.get((p,), 0.0) for p in labels])
    if kind == "cost":
        revenue = np.zeros(n)  # a least-cost plan earns nothing in its objective
    elec = np.array(instance.per_period_values(site.electricity_usd_per_mwh))
    mwh_per_kw = site.pue * HOURS_PER_YEAR * years / 1000  # MWh per kW of IT load per period

    # sum_t utilization[t] * serve[h,t,p]: the serving units' average load, per hardware
    position = {p: i for i, p in enumerate(labels)}
    busy_by_hw: dict[str, np.ndarray] = {}
    for (h_id, t, p), units in serve.items():
        if t in tiers and p in position:
            row = busy_by_hw.setdefault(h_id, np.zeros(n))
            row[position[p]] += tiers[t].utilization * units

    capex = np.zeros(n)
    opex = np.zeros(n)
    energy = np.zeros(n)
    residual = 0.0
    hw_rows = []
    platform_on: dict[str, np.ndarray] = {}
    for h in hws:
        price = np.array(instance.capex_by_period(h))
        units_in = np.array([installed.get((h.id, p), 0.0) for p in labels])
        bought = np.array([buy.get((h.id, p), 0.0) for p in labels])
        opex_rate = np.array(instance.per_period_values(_get(h, "opex_usd_per_year", 0.0)))
        idle = float(_get(h, "idle_power_share", 0.0))
        busy = busy_by_hw.get(h.id, np.zeros(n))
        h_capex = price * bought
        h_opex = years * opex_rate * units_in
        h_energy = elec * mwh_per_kw * h.power_kw * (idle * units_in + (1 - idle) * busy)
        capex += h_capex
        opex += h_opex
        energy += h_energy
        residual += sum(
            instance.residual_fraction(h, i) * h_capex[i] for i in range(n) if h_capex[i]
        )
        platform = _get(h, "platform", None)
        if platform is not None:
            on = platform_on.setdefault(str(platform), np.zeros(n, dtype=bool))
            on |= units_in > 0
        # cost per GPU-hour: capex straight-line over its life, the part inside the horizon
        charged = 0.0
        for i in range(n):
            if h_capex[i]:
                left = (n - i) * years
                life = float(h.lifetime_years) if h.lifetime_years is not None else left
                charged += h_capex[i] * min(life, left) / life
        gpu_hours = float(units_in.sum()) * h.gpus_per_unit * HOURS_PER_YEAR * years
        if gpu_hours > 0:
            total = charged + float(h_opex.sum()) + float(h_energy.sum())
            mtok = mtok_by_hw.get((h.id,), 0.0)
            hw_rows.append(
                (
                    h.id,
                    h.gpus_per_unit,
                    float(bought.sum()),
                    gpu_hours,
                    charged,
                    float(h_opex.sum()),
                    float(h_energy.sum()),
                    total,
                    total / gpu_hours,
                    mtok,
                    total / mtok if mtok > 0 else math.nan,  # NaN: the column stays numeric
                )
            )

    fixed = np.full(n, years * float(site.fixed_cost_usd_per_year))
    platforms = {str(_get(x, "id", "")): x for x in _get(instance, "platforms", [])}
    for pid, on in platform_on.items():
        spec = platforms.get(pid)
        if spec is not None:
            fixed += on * years * float(_get(spec, "fixed_cost_usd_per_year", 0.0))

    periods: list[Any] = list(instance.periods)
    starts_y = [i * years for i in range(n)]
    lengths = [years] * n
    residual_col = np.zeros(n)
    weight_col = w
    if instance.residual_value == "straight_line":  # one more row: the horizon's end

        def extend(a: np.ndarray, value: float = 0.0) -> np.ndarray:
            return np.append(a, value)

        revenue, capex, opex, energy, fixed = (
            extend(a) for a in (revenue, capex, opex, energy, fixed)
        )
        residual_col = extend(residual_col, residual)
        weight_col = extend(w, w_end)
        periods.append(END)
        starts_y.append(n * years)
        lengths.append(0.0)
    net = revenue - capex - opex - energy - fixed + residual_col
    discounted = net * weight_col
    cf = pd.DataFrame(
        {
            "period": periods,
            "start_year": starts_y,
            "revenue_usd": revenue,
            "capex_usd": capex,
            "opex_usd": opex,
            "energy_usd": energy,
            "fixed_usd": fixed,
            "residual_usd": residual_col,
            "net_usd": net,
            "cumulative_net_usd": np.cumsum(net),
            "discount_weight": weight_col,
            "discounted_net_usd": discounted,
            "cumulative_discounted_net_usd": np.cumsum(discounted),
        },
        columns=CASH_FLOW_COLUMNS,
    )

    flows = [float(x) for x in net]
    starts = [float(x) for x in starts_y]
    up = [-float(x) for x in capex]
    running = [f - u for f, u in zip(flows, up, strict=True)]
    rate, why_rate = irr(project_flows(up, running, starts, lengths, years), years)
    weight = [float(x) for x in weight_col]
    back, why_back = payback(up, running, starts, lengths)
    dback, why_dback = payback(
        [u * x for u, x in zip(up, weight, strict=True)],
        [f * x for f, x in zip(running, weight, strict=True)],
        starts,
        lengths,
    )
    notes = {}
    for key, why in (
        ("irr", why_rate),
        ("payback_years", why_back),
        ("discounted_payback_years", why_dback),
    ):
        if why:
            notes[key] = why
    npv = float(discounted.sum())
    if kind == "revenue":
        notes["npv_usd"] = "the objective is revenue: the NPV also subtracts every cost"
    return Finance(
        objective_kind=kind,
        cash_flow=cf.reset_index(drop=True),
        hardware_costs=pd.DataFrame(hw_rows, columns=HARDWARE_COST_COLUMNS),
        npv_usd=npv,
        irr=rate,
        payback_years=back,
        discounted_payback_years=dback,
        notes=notes,
    )
