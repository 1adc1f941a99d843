"""The report's finance section: cash flow per period (chart and table), NPV, IRR and
payback, and cost per GPU-hour by hardware (:mod:`optimizer.results.finance`).

In the workbook its tables are the sheets ``finance`` (cash flow), ``finance_returns``
and ``finance_hardware``; on the page, a section with a cash-flow chart: bars by component
per period (revenue and residual up, costs down) and the cumulative net as lines.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from optimizer import fmt
from optimizer.report.charts import _layout, period_trace, usd_scale
from optimizer.report.model import Section
from optimizer.result_schema import CASH_FLOW, HARDWARE_COSTS

if TYPE_CHECKING:
    from optimizer.results.finance import Finance
    from optimizer.results.plan import Plan

# Component -> (label, sign on the chart, colour); costs are drawn below zero.
COMPONENTS = {
    "revenue_usd": ("revenue", 1.0, "#009E73"),
    "residual_usd": ("residual value", 1.0, "#56B4E9"),
    "capex_usd": ("capex", -1.0, "#0072B2"),
    "opex_usd": ("opex", -1.0, "#E69F00"),
    "energy_usd": ("electricity", -1.0, "#D55E00"),
    "fixed_usd": ("fixed (site, platforms)", -1.0, "#999999"),
}
CASH_FLOW_UNITS = CASH_FLOW.units()
HARDWARE_UNITS = HARDWARE_COSTS.units()


def _years(x: float | None) -> str:
    return "not reached" if x is None else f"{x:,.2f} years"


def finance_headline(f: Finance) -> list[tuple[str, str]]:
    """NPV, IRR and payback as headline figures."""
    return [
        ("NPV", fmt.usd(f.npv_usd)),
        ("IRR", "not defined" if f.irr is None else f"{100 * f.irr:.1f}% per year"),
        ("payback", _years(f.payback_years)),
        ("discounted payback", _years(f.discounted_payback_years)),
    ]


def returns_table(f: Finance) -> pd.DataFrame:
    """One row per figure: value (NaN when it does not exist), unit and why not."""

    def value(x: float | None) -> float:
        return math.nan if x is None else float(x)

    rows = [
        ("npv_usd", f.npv_usd, "USD", f.notes.get("npv_usd", "")),
        ("irr", value(f.irr), "fraction per year", f.notes.get("irr", "")),
        ("payback_years", value(f.payback_years), "years", f.notes.get("payback_years", "")),
        (
            "discounted_payback_years",
            value(f.discounted_payback_years),
            "years",
            f.notes.get("discounted_payback_years", ""),
        ),
    ]
    return pd.DataFrame(rows, columns=["figure", "value", "unit", "note"])


def cash_flow_chart(cf: pd.DataFrame) -> go.Figure:
    """Bars by component per period (costs below zero) and the cumulative net as lines."""
    xs = [str(p) for p in cf["period"]]
    signed = {c: s * cf[c].astype(float) for c, (_l, s, _k) in COMPONENTS.items()}
    every = pd.concat([*signed.values(), cf["cumulative_net_usd"].astype(float)])
    scale, name = usd_scale(every.to_numpy())
    unit = f"USD {name}s" if name else "USD"
    fig = go.Figure()
    for c, (label, _sign, color) in COMPONENTS.items():
        ys = (signed[c] / scale).tolist()
        if not any(ys):
            continue
        fig.add_trace(period_trace(label, xs, ys, unit, marker_color=color))
    for col, label, dash in (
        ("cumulative_net_usd", "cumulative net", "solid"),
        ("cumulative_discounted_net_usd", "cumulative discounted net", "dot"),
    ):
        ys = (cf[col].astype(float) / scale).tolist()
        line = {"color": "#222222", "dash": dash, "width": 2}
        fig.add_trace(period_trace(label, xs, ys, unit, line=line))
    _layout(
        fig,
        "Cash flow per period by component (undiscounted), and the cumulative net",
        "period",
        f"cash flow ({unit} per period; costs below zero)",
        barmode="relative",
    )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=xs)
    return fig


def finance_section(plan: Plan) -> Section | None:
    """The section, or None for a plan without finance (no solution)."""
    f = plan.finance
    if f is None or f.cash_flow.empty:
        return None
    from optimizer.results.finance import GPU_HOUR_CONVENTION

    sec = Section(
        "finance",
        "Finance: cash flow, NPV, IRR, payback",
        "Cash flow per period in USD, undiscounted unless named; each period's flows count "
        "at its start, discounted by its weight as in the objective; row `end` is the "
        f"residual value at the horizon's end. NPV {fmt.usd(f.npv_usd)}, IRR "
        + ("n/a" if f.irr is None else f"{100 * f.irr:.1f}% per year")
        + f", payback {_years(f.payback_years)} (docs/model.md, Finance).",
    )
    sec.chart("cash-flow", "Cash flow", cash_flow_chart(f.cash_flow))
    sec.table("finance", "Cash flow per period", f.cash_flow.copy(), dict(CASH_FLOW_UNITS))
    sec.table("finance_returns", "NPV, IRR and payback", returns_table(f), {"value": ""})
    if not f.hardware_costs.empty:
        sec.table(
            "finance_hardware",
            "Cost per GPU-hour and per Mtok served, by hardware (undiscounted)",
            f.hardware_costs.copy(),
            dict(HARDWARE_UNITS),
            note=GPU_HOUR_CONVENTION,
        )
    return sec


def finance_sections(plan: Plan) -> list[Any]:
    """[the section] or [] (for adding to a report's sections)."""
    sec = finance_section(plan)
    return [] if sec is None else [sec]
