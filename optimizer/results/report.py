"""Human-readable reports of a Plan: rich tables for the terminal, Markdown for files."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from optimizer import fmt
from optimizer.result_schema import PRICE, SHARE, column_units
from optimizer.results.plan import Plan


def _missing(x: object) -> bool:
    """None or NaN: shown as "-" in every report, never as "nan"."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def _num(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return "-"
    return f"{x:,.{digits}f}"


def _headline(plan: Plan, timings: bool = True) -> list[tuple[str, str]]:
    """Headline rows; ``timings=False`` leaves out the seconds (files must be reproducible)."""
    t = plan.timings
    prep = t.get("load", 0) + t.get("read_frontiers", 0) + t.get("coefficients", 0)
    gap = "-" if plan.mip_gap is None else f"{plan.mip_gap:.2e}"
    rows = [
        ("status", plan.status),
        (f"objective ({plan.objective_kind})", fmt.usd(plan.objective_usd)),
        ("MIP gap", gap),
        ("revenue (discounted)", fmt.usd(plan.revenue_usd)),
        ("capex (discounted)", fmt.usd(plan.capex_usd)),
    ]
    if plan.objective_kind == "cost":  # v3: a least-cost plan has no revenue to show
        rows = [r for r in rows if r[0] != "revenue (discounted)"]
    if plan.energy_usd:
        rows.append(("electricity (discounted)", fmt.usd(plan.energy_usd)))
    if plan.residual_value_usd:
        rows.append(("residual value at the end (discounted)", fmt.usd(plan.residual_value_usd)))
    if plan.fixed_cost_usd:
        rows.append(("site fixed cost (discounted)", fmt.usd(plan.fixed_cost_usd)))
    if plan.opex_usd:  # v3 options
        rows.append(("opex (discounted)", fmt.usd(plan.opex_usd)))
    if plan.platform_cost_usd:
        rows.append(("platform fixed cost (discounted)", fmt.usd(plan.platform_cost_usd)))
    if timings:
        rows.append(
            (
                "seconds",
                f"load+coefficients {prep:.2f}"
                f" · build {t.get('build', 0):.2f} · solve {t.get('solve', 0):.2f}",
            )
        )
    if plan.model_size:
        ms = plan.model_size
        rows.append(
            (
                "model",
                f"{ms['variables']} variables ({ms['integer_variables']} integer), "
                f"{ms['constraints']} constraints",
            )
        )
    if plan.message and plan.diagnosis.empty:
        rows.append(("note", plan.message))
    return rows


def _hardware_table(plan: Plan) -> pd.DataFrame:
    inst = plan.installed
    if inst.empty:
        return pd.DataFrame()
    bought = (
        plan.buy.set_index(["hardware", "period"])["units"]
        if len(plan.buy)
        else pd.Series(dtype=float)
    )
    df = inst.copy()
    df["bought"] = [
        int(bought.get((h, p), 0)) for h, p in zip(df["hardware"], df["period"], strict=True)
    ]
    df = df[(df["units"] > 0) | (df["bought"] > 0)]
    return df[["period", "hardware", "bought", "units", "facility_mw", "rack_positions"]]


def _tier_table(plan: Plan) -> pd.DataFrame:
    sold = plan.sold_by_period().copy()  # time slices: summed (units: unit-periods)
    if sold.empty:
        return sold
    serve = plan.serve_by_period()
    units = (
        serve.groupby(["tier", "period"])["units"].sum() if len(serve) else pd.Series(dtype=float)
    )
    sold["units"] = [
        float(units.get((t, p), 0.0)) for t, p in zip(sold["tier"], sold["period"], strict=True)
    ]
    return sold[["period", "tier", "units", "mtok", "revenue_usd", "power_share"]]


def _slice_table(plan: Plan) -> pd.DataFrame:
    """Option time_slices: per period, slice and tier, the units serving (at once, in that
    slice), Mtok sold, revenue and share of IT power. Empty without slices."""
    sold = plan.sold
    if not plan.hours_share or sold.empty or "slice" not in sold.columns:
        return pd.DataFrame()
    units = (
        plan.serve.groupby(["tier", "period", "slice"])["units"].sum()
        if len(plan.serve)
        else pd.Series(dtype=float)
    )
    keys = zip(sold["tier"], sold["period"], sold["slice"], strict=True)
    sold = sold.assign(units=[float(units.get(k, 0.0)) for k in keys])
    return sold[["period", "slice", "tier", "units", "mtok", "revenue_usd", "power_share"]]


def _price_table(plan: Plan) -> pd.DataFrame:
    """Menu tiers: the price chosen per period and what the next entries would earn."""
    if plan.price is None or plan.price.empty:
        return pd.DataFrame()
    # the schema's columns, period first, without the entry's index and demand
    cols = [c for c in PRICE.names() if c not in ("period", "tier", "entry", "demand_mtok")]
    return plan.price[["period", "tier", *cols]]


def _marginals_table(plan: Plan) -> pd.DataFrame:
    """Non-zero marginal values, with one 'for' column (tier or hardware)."""
    mv = plan.marginal_values
    if mv.empty:
        return mv
    mv = mv[mv["usd_per_unit"].abs() > 0].copy()
    scope = mv["tier"].where(mv["tier"].notna(), mv["hardware"])
    mv["scope"] = scope.where(scope.notna(), "").astype(str)
    if "slice" in mv.columns:  # time slices: demand_slice rows name their slice
        at = mv["slice"].where(mv["slice"].notna(), "")
        mv["scope"] = [f"{a} @ {b}" if b else a for a, b in zip(mv["scope"], at, strict=True)]
    mv["period"] = mv["period"].where(mv["period"].notna(), "all")
    return mv[["resource", "period", "scope", "usd_per_unit", "usd_per_unit_undiscounted", "unit"]]


def _years(x: float | None) -> str:
    return "-" if x is None or _missing(x) else f"{x:,.2f} years"


def _finance_lines(plan: Plan) -> list[tuple[str, str]]:
    """NPV, IRR and payback lines (optimizer.results.finance); why, when one does not exist."""
    f = plan.finance
    if f is None:
        return []
    notes = f.notes
    irr = "n/a" if f.irr is None else f"{100 * f.irr:.2f}% a year"
    rows = [
        ("NPV", fmt.usd(f.npv_usd)),
        ("IRR", irr + (f" ({notes['irr']})" if f.irr is None and "irr" in notes else "")),
        ("payback", _years(f.payback_years) if f.payback_years is not None else "n/a"),
        (
            "discounted payback",
            _years(f.discounted_payback_years) if f.discounted_payback_years is not None else "n/a",
        ),
    ]
    for key, label in (("payback_years", "payback"), ("discounted_payback_years", "discounted")):
        if key in notes and getattr(f, key) is None:
            rows.append((f"{label} note", notes[key]))
    if "npv_usd" in notes:
        rows.append(("NPV note", notes["npv_usd"]))
    return rows


# The cash-flow columns the reports show (USD), with their headers.
CASH_FLOW_SHOWN = {
    "revenue_usd": "revenue",
    "capex_usd": "capex",
    "opex_usd": "opex",
    "energy_usd": "energy",
    "fixed_usd": "fixed",
    "residual_usd": "residual",
    "net_usd": "net",
    "discount_weight": "weight",
    "discounted_net_usd": "discounted net",
    "cumulative_discounted_net_usd": "cumulative disc. net",
}


def _cash_flow_table(plan: Plan) -> pd.DataFrame:
    """The plan's cash flow per period, the all-zero cost columns left out."""
    if plan.finance is None or plan.finance.cash_flow.empty:
        return pd.DataFrame()
    cf = plan.finance.cash_flow
    keep = [
        c
        for c in CASH_FLOW_SHOWN
        if c in ("revenue_usd", "capex_usd", "net_usd", "discount_weight")
        or c.startswith(("discounted", "cumulative"))
        or bool((cf[c].abs() > 0).any())
    ]
    return cf[["period", *keep]]


def _tier_tables(plan: Plan) -> list[Table]:
    """The terminal's tier tables: per period, and (time slices) per slice."""
    out = []
    for title, df, keys in (
        ("Tiers", _tier_table(plan), ("period", "tier")),
        ("Tiers by time slice", _slice_table(plan), ("period", "slice", "tier")),
    ):
        if df.empty:
            continue
        t = _table(title, keys, ("units serving", "Mtok sold", "revenue", "share of IT power"))
        for r in df.itertuples(index=False):
            t.add_row(
                *(str(getattr(r, k)) for k in keys),
                _num(r.units),
                fmt.quantity(r.mtok),
                fmt.usd(r.revenue_usd),
                f"{100 * r.power_share:.1f}%",
            )
        out.append(t)
    return out


def _table(title: str, left: tuple[str, ...], right: tuple[str, ...] = ()) -> Table:
    """A report table: text columns left-aligned, then figure columns right-aligned."""
    t = Table(title=title, title_justify="left")
    for c in left:
        t.add_column(c)
    for c in right:
        t.add_column(c, justify="right")
    return t


def render(plan: Plan) -> Group:
    """The full terminal report as one rich renderable."""
    parts: list[Any] = []
    head = Table(show_header=False, box=None, pad_edge=False)
    head.add_column(style="bold")
    head.add_column()
    for k, v in _headline(plan):
        head.add_row(k, v)
    parts.append(Text(f"Plan for {plan.instance_name}", style="bold underline"))
    parts.append(head)
    for line in plan.warnings:
        parts.append(Text.assemble(("warning: ", "bold yellow"), line))

    hwt = _hardware_table(plan)
    if not hwt.empty:
        t = _table(
            "Hardware bought and installed",
            ("period", "hardware"),
            ("bought", "installed", "facility MW", "rack positions"),
        )
        for r in hwt.itertuples(index=False):
            t.add_row(
                str(r.period),
                r.hardware,
                f"{r.bought:,}",
                f"{int(r.units):,}",
                _num(r.facility_mw),
                _num(r.rack_positions, 1),
            )
        parts.append(t)

    if plan.has_solution:
        parts += _tier_tables(plan)

    cft = _cash_flow_table(plan)
    if not cft.empty:
        cols = [c for c in cft.columns if c != "period"]
        t = _table(
            "Cash flow, USD (costs positive; net = revenue - costs + residual)",
            ("period",),
            tuple(CASH_FLOW_SHOWN[c] for c in cols),
        )
        for rec in cft.itertuples(index=False, name=None):
            t.add_row(
                str(rec[0]),
                *(
                    f"{v:.4f}" if c == "discount_weight" else fmt.usd(v)
                    for c, v in zip(cols, rec[1:], strict=True)
                ),
            )
        parts.append(t)
        fin = Table(show_header=False, box=None, pad_edge=False)
        fin.add_column(style="bold")
        fin.add_column()
        for k, v in _finance_lines(plan):
            fin.add_row(k, escape(v))
        parts.append(fin)

    pt = _price_table(plan)
    if not pt.empty:
        t = _table(
            "Prices chosen from the menus (next entries: revenue from the same capacity)",
            ("period", "tier"),
            (
                "price/Mtok",
                "Mtok sold",
                "revenue",
                "next up",
                "its revenue",
                "next down",
                "its revenue",
                "given up",
            ),
        )
        for r in pt.itertuples(index=False):
            t.add_row(
                str(r.period),
                r.tier,
                fmt.price(r.price_usd_per_mtok),
                fmt.quantity(r.mtok),
                fmt.usd(r.revenue_usd),
                fmt.price(r.higher_price_usd_per_mtok),
                fmt.usd(r.higher_revenue_usd),
                fmt.price(r.lower_price_usd_per_mtok),
                fmt.usd(r.lower_revenue_usd),
                fmt.usd(r.revenue_given_up_usd),
            )
        parts.append(t)

    if not plan.resources.empty:
        t = _table(
            "Resources used against caps", ("period", "resource"), ("used", "cap", "use", "binding")
        )
        for r in plan.resources.itertuples(index=False):
            if r.cap is None or pd.isna(r.cap):
                if r.used == 0:
                    continue
            money = r.resource == "capex_usd"
            show = fmt.usd if money else _num
            has_cap = r.cap is not None and not pd.isna(r.cap)
            use = f"{100 * r.used / r.cap:.1f}%" if has_cap and r.cap > 0 else "-"
            t.add_row(
                str(r.period),
                r.resource,
                show(r.used),
                show(r.cap) if has_cap else "none",
                use,
                "[bold red]yes[/]" if r.binding else "",
            )
        parts.append(t)

    if not plan.diagnosis.empty:
        t = Table(
            title="Why it is infeasible: relaxations that make it feasible", title_justify="left"
        )
        t.add_column("relaxation")
        for msg in plan.diagnosis["message"]:
            t.add_row(escape(msg))
        parts.append(t)

    mv = _marginals_table(plan)
    if not mv.empty:
        t = Table(
            title="Marginal values (one more unit, the plan's hardware choice held fixed)",
            title_justify="left",
        )
        for c in ("resource", "period", "for", "value (present)", "unit"):
            t.add_column(c, justify="right" if c.startswith("value") else "left")
        for r in mv.itertuples(index=False):
            t.add_row(r.resource, str(r.period), r.scope, fmt.usd(r.usd_per_unit), r.unit)
        parts.append(t)

    if not plan.unusable.empty:
        t = _table("Pairs that cannot be used", ("hardware", "tier", "why"))
        for r in plan.unusable.itertuples(index=False):
            t.add_row(r.hardware, r.tier, r.reason)
        parts.append(t)
    return Group(*parts)


def print_report(plan: Plan, console: Console | None = None) -> None:
    (console or Console()).print(render(plan))


def _md_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "_none_\n"
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in df.itertuples(index=False, name=None):
        cells = []
        for v in rec:
            if _missing(v):
                cells.append("-")
            elif isinstance(v, float):
                cells.append(f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_PRICE_NOTE = (
    "Per menu tier and period: the chosen price, and what the next higher and lower entries "
    "would earn from the capacity serving the tier plus idle units (undiscounted); "
    "revenue_given_up_usd = the better neighbour minus the choice."
)
_CASH_FLOW_NOTE = (
    "USD per period, undiscounted unless named; costs positive; net = revenue - costs + "
    "residual; discounted net = net * weight (docs/model.md, Finance)."
)
_MARGINALS_NOTE = (
    "What one more unit of each resource is worth, present value, with the plan's hardware "
    "choice held fixed (docs/model.md)."
)


def _md_section(title: str, df: pd.DataFrame, note: str = "", always: bool = False) -> list[str]:
    """A Markdown section: its title, a note, the table (nothing for an empty table, unless
    ``always``: then "_none_")."""
    if df.empty and not always:
        return []
    return [f"## {title}\n", *([f"{note}\n"] if note else []), _md_table(df)]


def _percent(df: pd.DataFrame) -> pd.DataFrame:
    """A tier table with its power share as text: 12.5%."""
    if df.empty:
        return df
    return df.assign(power_share=(100 * df["power_share"]).round(1).astype(str) + "%")


def summary_markdown(plan: Plan) -> str:
    """The report as Markdown (summary.md): only what the same inputs always give (no timings)."""
    out = [f"# Plan for {plan.instance_name}\n"]
    out += [f"- **{k}**: {v}" for k, v in _headline(plan, timings=False)]
    out.append("")
    if plan.warnings:
        out += ["## Warnings\n", *[f"- {line}" for line in plan.warnings], ""]
    if plan.has_solution:
        out += _md_section("Hardware bought and installed", _hardware_table(plan), always=True)
        out += _md_section("Tiers", _percent(_tier_table(plan)), always=True)
        out += _md_section("Tiers by time slice", _percent(_slice_table(plan)))
        out += _md_section("Prices chosen from the menus", _price_table(plan), _PRICE_NOTE)
        cft = _cash_flow_table(plan)
        if plan.finance is not None and not cft.empty:
            out += _md_section("Cash flow", cft, _CASH_FLOW_NOTE)
            out += [*[f"- **{k}**: {v}" for k, v in _finance_lines(plan)], ""]
            from optimizer.results.finance import GPU_HOUR_CONVENTION

            out += _md_section(
                "Cost per GPU-hour and per Mtok, by hardware",
                plan.finance.hardware_costs,
                f"USD, {GPU_HOUR_CONVENTION}.",
            )
        res = plan.resources[(plan.resources["cap"].notna()) | (plan.resources["used"] > 0)]
        out += _md_section("Resources used against caps", res, always=True)
        out += _md_section("Marginal values", _marginals_table(plan), _MARGINALS_NOTE)
    out += _md_section("Pairs that cannot be used", plan.unusable)
    return "\n".join(out)


def summary_text(plan: Plan) -> str:
    """A few plain lines: status, objective, units bought."""
    lines = [
        f"{plan.instance_name}: {plan.status}, {plan.objective_kind} {fmt.usd(plan.objective_usd)}"
    ]
    if plan.mip_gap is not None:
        lines[0] += f" (gap {plan.mip_gap:.1e})"
    lines += [f"  warning: {line}" for line in plan.warnings]
    for r in plan.buy.itertuples(index=False):
        lines.append(f"  buy {r.units:,} x {r.hardware} in {r.period}")
    binding = (
        plan.resources[plan.resources["binding"]] if not plan.resources.empty else plan.resources
    )
    for r in binding.itertuples(index=False):
        lines.append(f"  binding: {r.resource} in {r.period}")
    return "\n".join(lines)


_UNITS = column_units()  # how a figure is shown: money, Mtok, shares


def _html_table(title: str, df: pd.DataFrame, headers: dict[str, str]) -> str:
    from html import escape as esc

    if df.empty:
        return ""
    cols = list(df.columns)
    text_cols = {c for c in cols if not pd.api.types.is_numeric_dtype(df[c])} | {"period"}
    head = "".join(
        f"<th style='text-align:{'left' if c in text_cols else 'right'}'>"
        f"{esc(headers.get(c, c))}</th>"
        for c in cols
    )
    rows = []
    for rec in df.itertuples(index=False, name=None):
        cells = []
        for c, v in zip(cols, rec, strict=True):
            unit = _UNITS.get(c)
            if unit == SHARE:
                text, right = f"{100 * v:.1f}%", True
            elif unit == "USD":
                text, right = fmt.usd(v), True
            elif unit == "Mtok":
                text, right = fmt.quantity(v), True
            elif isinstance(v, float):
                text, right = _num(v), True
            elif isinstance(v, int) and c not in ("period",):
                text, right = f"{v:,}", True
            else:
                text, right = str(v), False
            cells.append(f"<td style='text-align:{'right' if right else 'left'}'>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table><caption style='text-align:left;font-weight:bold'>{esc(title)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def summary_html(plan: Plan) -> str:
    """The plan as HTML tables (headline, hardware bought and installed, tiers): notebooks."""
    from html import escape as esc

    head = "".join(
        f"<tr><th style='text-align:left'>{esc(k)}</th><td style='text-align:left'>{esc(v)}</td></tr>"
        for k, v in _headline(plan)
        if k not in ("seconds", "model")
    )
    parts = [
        f"<div><strong>Plan for {esc(plan.instance_name)}</strong>",
        f"<table>{head}</table>",
    ]
    if plan.has_solution:
        parts.append(
            _html_table(
                "Hardware bought and installed",
                _hardware_table(plan),
                {
                    "bought": "bought (units)",
                    "units": "installed (units)",
                    "facility_mw": "facility MW",
                    "rack_positions": "rack positions",
                },
            )
        )
        parts.append(
            _html_table(
                "Tiers",
                _tier_table(plan),
                {
                    "units": "units serving",
                    "mtok": "Mtok sold",
                    "revenue_usd": "revenue (USD, undiscounted)",
                    "power_share": "share of IT power",
                },
            )
        )
    if not plan.diagnosis.empty:
        parts.append(
            "<p><strong>Relaxations that make it feasible:</strong></p><ul>"
            + "".join(f"<li>{esc(m)}</li>" for m in plan.diagnosis["message"])
            + "</ul>"
        )
    parts.append("</div>")
    return "\n".join(p for p in parts if p)
