"""The plan on one slide: what is bought, what is on the floor, and what the power serves.

Three panels, one bar per period:

1. **Purchases**: capex spent per hardware (stacked), each segment labelled with the
   units bought, the period's capex budget as a cap line. Bars are in dollars because
   units of different hardware do not add up (a rack of 72 GPUs against a server of 8);
   with no capex in the instance the bars are units.
2. **Installed**: facility MW of the installed fleet per hardware (stacked), the site
   power cap as a line.
3. **Power by tier**: facility MW serving each tier (stacked; shares of installed power
   in the segments), installed-but-idle power hatched, the power cap line, and the
   period's revenue above each bar.

Facility MW = IT MW x PUE throughout, so panels 2 and 3 share one scale and one cap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer.instance.schema import Instance
from optimizer.plots import (
    DECK_SIZE_IN,
    DPI,
    deck_style,
    fmt_count,
    fmt_price,
    fmt_usd,
    hardware_colors,
    note_text,
    safe_name,
    save_png_atomic,
    tier_colors,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from optimizer.results.plan import Plan

_BAR_W = 0.68
_CAP_COLOR = "#C0392B"


def default_plan_path(instance: Instance) -> Path:
    return Path("results") / safe_name(instance.name) / "plan.png"


def plan_tables(instance: Instance, plan: Plan) -> dict[str, pd.DataFrame]:
    """The numbers :func:`plot_plan` draws, as wide tables indexed by period label (str).

    ``buy_units`` and ``buy_capex_usd`` (hardware columns), ``installed_facility_mw``
    (hardware columns), ``tier_facility_mw`` (tier columns plus ``idle``),
    ``caps`` (power_mw, capex_usd; NaN where unset) and ``revenue_usd`` (one column).
    """
    P = [str(p) for p in instance.periods]
    hw_ids = [h.id for h in instance.hardware]
    tier_ids = [t.id for t in instance.tiers]
    capex = {
        (h.id, str(p)): c
        for h in instance.hardware
        for p, c in zip(P, instance.capex_by_period(h), strict=True)
    }
    pue = float(instance.site.pue)

    def wide(df: pd.DataFrame, col: str, val: str, cols: list[str]) -> pd.DataFrame:
        if df is None or df.empty:
            return pd.DataFrame(0.0, index=P, columns=cols)
        d = df.assign(period=df["period"].astype(str), **{val: df[val].astype(float)})
        w = d.pivot_table(index="period", columns=col, values=val, aggfunc="sum", fill_value=0.0)
        return w.reindex(index=P, columns=cols, fill_value=0.0).astype(float)

    buy = (
        plan.buy.copy()
        if plan.buy is not None
        else pd.DataFrame(columns=["hardware", "period", "units"])
    )
    if len(buy):
        buy["capex_usd"] = [
            u * capex[(h, str(p))]
            for h, p, u in buy[["hardware", "period", "units"]].itertuples(index=False)
        ]
    units = wide(buy, "hardware", "units", hw_ids)
    spend = wide(buy, "hardware", "capex_usd", hw_ids) if len(buy) else units * 0.0
    installed = wide(plan.installed, "hardware", "facility_mw", hw_ids)
    serve = plan.serve_by_period()  # time slices: average MW over the period's hours
    serve = serve.assign(facility_mw=serve["it_mw"] * pue) if len(serve) else serve
    by_tier = wide(serve, "tier", "facility_mw", tier_ids)
    by_tier["idle"] = (installed.sum(axis=1) - by_tier.sum(axis=1)).clip(lower=0.0)
    by_tier.loc[by_tier["idle"] < 1e-6, "idle"] = 0.0
    caps = pd.DataFrame(
        {
            "power_mw": instance.per_period(instance.site.power_mw),
            "capex_usd": instance.per_period(instance.site.capex_budget_usd),
        },
        index=P,
    ).astype(float)
    revenue = (
        wide(plan.sold_by_period(), "tier", "revenue_usd", tier_ids)
        .sum(axis=1)
        .to_frame("revenue_usd")
    )
    return {
        "buy_units": units,
        "buy_capex_usd": spend,
        "installed_facility_mw": installed,
        "tier_facility_mw": by_tier,
        "caps": caps,
        "revenue_usd": revenue,
    }


def _stack(
    ax: Axes, data: pd.DataFrame, colors: dict[str, Any], hatch: dict[str, str] | None = None
) -> dict[str, Any]:
    """Stacked bars, one column per layer (all-zero columns skipped); returns layer -> bars."""
    x = np.arange(len(data.index))
    bottom = np.zeros(len(x))
    bars = {}
    for col in data.columns:
        v = data[col].to_numpy(float)
        if not (v > 0).any():
            continue
        h = (hatch or {}).get(col)
        bars[col] = ax.bar(
            x,
            v,
            _BAR_W,
            bottom=bottom,
            color="white" if h else colors[col],
            edgecolor="#999999" if h else "white",
            linewidth=0.6 if h else 0.8,
            hatch=h,
            label=col,
            zorder=2,
        )
        bottom += v
    return bars


def _segment_labels(
    ax: Axes,
    data: pd.DataFrame,
    texts: pd.DataFrame,
    min_frac: float = 0.055,
    dark: set[str] | None = None,
) -> None:
    """Write ``texts`` in the middle of each stacked segment tall enough to hold it."""
    ymax = ax.get_ylim()[1]
    bottom = np.zeros(len(data.index))
    for col in data.columns:
        v = data[col].to_numpy(float)
        for i, (h, txt) in enumerate(zip(v, texts[col], strict=True)):
            if h > 0 and txt and h >= min_frac * ymax:
                ax.text(
                    i,
                    bottom[i] + h / 2,
                    txt,
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color="#222222" if col in (dark or set()) else "white",
                    fontweight="bold",
                    zorder=4,
                )
        bottom += np.where(v > 0, v, 0.0)


def _cap_lines(ax: Axes, caps: np.ndarray, label: str) -> None:
    """A short horizontal cap line over each bar (caps may differ by period; NaN: no cap)."""
    first = True
    for i, c in enumerate(caps):
        if np.isfinite(c):
            ax.plot(
                [i - 0.48, i + 0.48],
                [c, c],
                color=_CAP_COLOR,
                lw=1.8,
                ls=(0, (5, 2)),
                zorder=5,
                label=label if first else None,
                solid_capstyle="butt",
            )
            first = False


def _totals(
    ax: Axes,
    totals: np.ndarray,
    texts: list[str],
    caps: np.ndarray | None = None,
    pad_frac: float = 0.012,
) -> None:
    """A figure above each bar; above its cap line instead when the text would cross it."""
    ymax = ax.get_ylim()[1]
    axes_h_pt = ax.get_position().height * DECK_SIZE_IN[1] * 72
    for i, (t, txt) in enumerate(zip(totals, texts, strict=True)):
        if not txt:
            continue
        text_h = ((txt.count("\n") + 1) * 8.5 * 1.25 + 3) / axes_h_pt * ymax
        y = t
        if caps is not None and np.isfinite(caps[i]):
            if t - 0.02 * ymax <= caps[i] <= t + pad_frac * ymax + text_h:
                y = max(t, caps[i])
        ax.text(
            i,
            y + pad_frac * ymax,
            txt,
            ha="center",
            va="bottom",
            fontsize=8.5,
            color="#333333",
            zorder=6,
        )


def plot_plan(instance: Instance, plan: Plan, out_path: str | Path | None = None) -> Path:
    """Draw the plan with :func:`plan_figure` and write it as a PNG; returns the path.

    ``out_path`` defaults to ``results/<instance name>/plan.png``.
    """
    out = Path(out_path) if out_path is not None else default_plan_path(instance)
    return save_png_atomic(plan_figure(instance, plan), out)


def plan_figure(instance: Instance, plan: Plan) -> Figure:
    """The plan (purchases, installed power, power by tier, per period) as a figure.

    Nothing is written: save it with ``fig.savefig(...)`` or show it in a notebook.

    Raises
    ------
    ValueError
        If the plan has no solution (infeasible, unbounded, error).
    """
    from matplotlib.figure import Figure

    if not plan.has_solution:
        raise ValueError(f"plan has no solution to draw (status: {plan.status})")
    d = plan_tables(instance, plan)
    P = [str(p) for p in instance.periods]
    hw_color = hardware_colors(instance)
    t_color = {**tier_colors(instance), "idle": "white"}

    with deck_style():
        fig = Figure(figsize=DECK_SIZE_IN, dpi=DPI)
        axes = fig.subplots(
            1,
            3,
            gridspec_kw={"left": 0.09, "right": 0.985, "top": 0.80, "bottom": 0.31, "wspace": 0.34},
        )
        ax_buy, ax_inst, ax_tier = axes
        _buy_panel(ax_buy, d, hw_color)
        ymax_mw = _installed_panel(ax_inst, d, hw_color)
        tiers = _tier_panel(ax_tier, d, t_color, ymax_mw)
        _format_panels(axes, P)
        _hardware_legend(fig, instance, d, hw_color, ax_buy, ax_inst)
        _tier_legend(fig, instance, plan, tiers, t_color, P)
        _plan_texts(fig, instance, plan)
        return fig


def _buy_panel(ax_buy: Axes, d: dict[str, pd.DataFrame], hw_color: dict[str, str]) -> None:
    """1. Purchases: capex stacked by hardware (labels: units), or units with no capex."""
    from matplotlib.ticker import FuncFormatter

    by_money = d["buy_capex_usd"].to_numpy().sum() > 0
    buy_vals = d["buy_capex_usd"] if by_money else d["buy_units"]
    _stack(ax_buy, buy_vals, hw_color)
    budget = d["caps"]["capex_usd"].to_numpy(float)
    top = np.nanmax(
        np.concatenate([buy_vals.sum(axis=1).to_numpy(), budget if by_money else [0.0]])
    )
    ax_buy.set_ylim(0, (top or 1.0) * 1.15)
    if by_money:
        _cap_lines(ax_buy, budget, "capex budget")
        ax_buy.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _: "$" + fmt_count(v) if v else "0")
        )
        ax_buy.set_ylabel("Capex (USD)")
        ax_buy.set_title("Hardware bought (labels: units)", loc="left")
        totals = [fmt_usd(v) if v > 0 else "" for v in buy_vals.sum(axis=1)]
    else:
        ax_buy.set_ylabel("Units bought")
        ax_buy.set_title("Hardware bought (units)", loc="left")
        totals = [f"{v:,.0f}" if v > 0 else "" for v in buy_vals.sum(axis=1)]
    unit_txt = d["buy_units"].apply(lambda c: c.map(lambda u: f"{u:,.0f}" if u > 0 else ""))
    _segment_labels(ax_buy, buy_vals, unit_txt, min_frac=0.045)
    _totals(ax_buy, buy_vals.sum(axis=1).to_numpy(), totals, budget if by_money else None)
    _small_purchases(ax_buy, buy_vals, d["buy_units"], hw_color)


def _installed_panel(ax_inst: Axes, d: dict[str, pd.DataFrame], hw_color: dict[str, str]) -> float:
    """2. Installed fleet, facility MW; returns the MW axis' top (shared with panel 3)."""
    inst = d["installed_facility_mw"]
    power_cap = d["caps"]["power_mw"].to_numpy(float)
    ymax_mw = (
        np.nanmax(np.concatenate([inst.sum(axis=1).to_numpy(), power_cap])) * 1.22
    )  # headroom for labels
    _stack(ax_inst, inst, hw_color)
    ax_inst.set_ylim(0, ymax_mw or 1.0)
    _cap_lines(ax_inst, power_cap, "site power cap")
    ax_inst.set_ylabel("Facility MW (IT × PUE)")
    ax_inst.set_title("Installed power (MW)", loc="left")
    _totals(
        ax_inst,
        inst.sum(axis=1).to_numpy(),
        [f"{v:,.0f}" if v > 0 else "" for v in inst.sum(axis=1)],  # MW: the axis says so
        power_cap,
    )
    return float(ymax_mw)


def _tier_panel(
    ax_tier: Axes, d: dict[str, pd.DataFrame], t_color: dict[str, Any], ymax_mw: float
) -> pd.DataFrame:
    """3. Power by tier (stacked from the cheapest tier up), idle on top; returns the
    stacked frame (columns in stacking order)."""
    power_cap = d["caps"]["power_mw"].to_numpy(float)
    tiers = d["tier_facility_mw"]
    order = [t for t in t_color if t in tiers.columns and t != "idle"] + ["idle"]
    tiers = tiers[order]
    _stack(ax_tier, tiers, t_color, hatch={"idle": "////"})
    ax_tier.set_ylim(0, ymax_mw or 1.0)
    _cap_lines(ax_tier, power_cap, "site power cap")
    ax_tier.set_ylabel("Facility MW (IT × PUE)")
    ax_tier.set_title("Power by tier", loc="left")
    total = tiers.sum(axis=1).replace(0.0, np.nan)
    share = tiers.div(total, axis=0).fillna(0.0)
    share_txt = share.apply(lambda c: c.map(lambda s: f"{s:.0%}" if s > 0 else ""))
    share_txt["idle"] = ""
    light = {t for t in order if _is_light(t_color[t])}
    _segment_labels(ax_tier, tiers, share_txt, min_frac=0.045, dark=light)
    rev = d["revenue_usd"]["revenue_usd"].to_numpy(float)
    _totals(ax_tier, tiers.sum(axis=1).to_numpy(), _revenue_labels(rev), power_cap)
    return tiers


def _format_panels(axes: Any, P: list[str]) -> None:
    from matplotlib.ticker import FuncFormatter

    x = np.arange(len(P))
    for ax in axes:
        ax.set_xticks(x, P)
        half = max(len(P), 2.5) / 2 + 0.1  # one or two periods: keep bars slide-width
        ax.set_xlim((len(P) - 1) / 2 - half, (len(P) - 1) / 2 + half)
        ax.grid(axis="x", visible=False)
        ax.set_axisbelow(True)
    for ax in axes[1:]:  # MW in full: 1,000 and 1,200, not 1K and 1.2K
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _hardware_legend(
    fig: Figure,
    instance: Instance,
    d: dict[str, pd.DataFrame],
    hw_color: dict[str, str],
    ax_buy: Axes,
    ax_inst: Axes,
) -> None:
    """Under panels 1-2: each hardware drawn (units bought, existing), then the caps."""
    from matplotlib.patches import Patch

    used_hw = [
        h.id
        for h in instance.hardware
        if d["buy_units"][h.id].sum() > 0 or d["installed_facility_mw"][h.id].sum() > 0
    ]
    existing = {h.id: max(instance.existing_by_period(h)) for h in instance.hardware}
    n_bought = d["buy_units"].sum(axis=0)

    def hw_label(h: str) -> str:
        bits = [f"{n_bought[h]:,.0f} bought"] if n_bought[h] > 0 else []
        bits += [f"{existing[h]:,.0f} existing"] if existing[h] else []
        return f"{h} ({', '.join(bits)})" if bits else h

    hw_handles = [Patch(color=hw_color[h], label=hw_label(h)) for h in used_hw]
    extra = []
    for ax, name in ((ax_buy, "capex budget"), (ax_inst, "site power cap")):
        handles, labels = ax.get_legend_handles_labels()
        if name in labels:
            extra.append(handles[labels.index(name)])
    fig.legend(
        handles=hw_handles + extra,
        loc="upper left",
        bbox_to_anchor=(0.08, 0.215),
        ncol=min(3, max(1, len(hw_handles + extra))),
        fontsize=9.5,
        columnspacing=1.4,
        handlelength=1.6,
    )


def _tier_legend(
    fig: Figure,
    instance: Instance,
    plan: Plan,
    tiers: pd.DataFrame,
    t_color: dict[str, Any],
    P: list[str],
) -> None:
    """Under panel 3: each tier with its price (or price range), idle if any."""
    from matplotlib.patches import Patch

    prices: dict[str, list[Any]] = {t.id: instance.shown_prices(t) for t in instance.tiers}
    if plan.price is not None and len(plan.price):  # menu tiers: the prices chosen
        for t, g in plan.price.groupby("tier", sort=False):
            prices[str(t)] = list(g["price_usd_per_mtok"])
    tier_handles = [
        Patch(
            facecolor=t_color[t],
            edgecolor="#999999" if t == "idle" else t_color[t],
            hatch="////" if t == "idle" else None,
            label="installed, idle" if t == "idle" else f"{t}  {_price_range(prices[t])}",
        )
        for t in tiers.columns
        if t == "idle" and tiers["idle"].sum() > 0 or t != "idle"
    ]
    varies = any(len({float(v or 0) for v in prices[t.id]}) > 1 for t in instance.tiers)
    price_title = (
        f"tier  price/Mtok {P[0]}→{P[-1]}" if varies and len(P) > 1 else "tier  price/Mtok"
    )
    fig.legend(
        handles=tier_handles,
        loc="upper left",
        bbox_to_anchor=(0.715, 0.215),
        ncol=1 if len(tier_handles) <= 6 else 2,
        fontsize=9,
        title=price_title,
        title_fontsize=9,
        alignment="left",
        handlelength=1.4,
        columnspacing=1.0,
        labelspacing=0.3,
    )


def _plan_texts(fig: Figure, instance: Instance, plan: Plan) -> None:
    """Title, the objective's terms as a subtitle, the note under the panels."""
    obj = plan.objective_usd or 0.0
    fig.text(
        0.09,
        0.965,
        f"{instance.name}: purchase plan and power split",
        fontsize=16,
        fontweight="bold",
        ha="left",
        va="top",
    )
    bits = [f"{plan.objective_kind} {fmt_usd(obj)}"]
    if plan.objective_kind == "profit" and plan.revenue_usd is not None:
        bits.append(f"revenue {fmt_usd(plan.revenue_usd)}")
        bits.append(f"capex {fmt_usd(plan.capex_usd or 0.0)}")
        if plan.energy_usd:
            bits.append(f"electricity {fmt_usd(plan.energy_usd)}")
        if plan.residual_value_usd:
            bits.append(f"residual +{fmt_usd(plan.residual_value_usd)}")
        if plan.fixed_cost_usd:
            bits.append(f"site −{fmt_usd(plan.fixed_cost_usd)}")
    disc = f" (present values at {instance.discount_rate:.0%}/yr)" if instance.discount_rate else ""
    gap = (
        "" if plan.mip_gap is None else f" (gap {plan.mip_gap:.2%})" if plan.mip_gap > 5e-7 else ""
    )
    sub = f"{' · '.join(bits)}{disc} · {plan.status}{gap} · PUE {float(instance.site.pue):g}"
    note_text(
        fig,
        0.09,
        0.025,
        "Revenue over the 'Power by tier' bars: per period, undiscounted"
        + ("; the figures above are present values." if instance.discount_rate else ".")
        + "\nSmall tags '+n': purchases too small to see in their stack (n units).",
    )
    size = (
        10.5 if len(sub) <= 130 else 10.5 * 130 / len(sub)
    )  # residual value and fixed cost make it longer
    fig.text(0.09, 0.915, sub, fontsize=size, color="#555555", ha="left", va="top")


def _small_purchases(
    ax: Axes, values: pd.DataFrame, units: pd.DataFrame, colors: dict[str, Any]
) -> None:
    """Mark purchases too thin to see in their stack (e.g. 2 racks among $3B of servers).

    A triangle in the hardware's colour points at the segment from the bar's right
    edge, with the units bought beside it; marks in one bar are spread apart.
    """
    ymax = ax.get_ylim()[1]
    for i, period in enumerate(values.index):
        bottom = 0.0
        marks = []
        for h in values.columns:
            v = float(values.loc[period, h])
            if 0 < v < _THIN * ymax and units.loc[period, h] > 0:
                marks.append((bottom + v / 2, h, int(units.loc[period, h])))
            bottom += max(v, 0.0)
        ys = _spread_up([max(y, 0.035 * ymax) for y, _, _ in marks], gap=0.05 * ymax)
        for y, (_, h, u) in zip(ys, marks, strict=True):
            ax.text(
                i + _BAR_W / 2,
                y,
                f"+{u:,}",
                ha="center",
                va="center",
                fontsize=7,
                fontweight="bold",
                color="white",
                zorder=6,
                bbox={"boxstyle": "round,pad=0.18", "fc": colors[h], "ec": "white", "lw": 0.6},
            )


def _spread_up(ys: list[float], gap: float) -> list[float]:
    out: list[float] = []
    for y in ys:
        out.append(max(y, out[-1] + gap) if out else y)
    return out


_THIN = 0.01  # a stacked segment under 1% of the axis height is invisible on a slide


def _revenue_labels(rev: np.ndarray) -> list[str]:
    """$8.62B above each bar; the first one says what it is."""
    out = [fmt_usd(r) if r > 0 else "" for r in rev]
    first = next((i for i, t in enumerate(out) if t), None)
    if first is not None:
        out[first] = f"revenue\n{out[first]}"
    return out


def _price_range(prices: list[float | None]) -> str:
    vals = [float(p or 0.0) for p in prices]
    if all(v == vals[0] for v in vals):
        return fmt_price(vals[0])
    return f"{fmt_price(vals[0])}→{fmt_price(vals[-1])}"


def _is_light(color: Any) -> bool:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return 0.299 * r + 0.587 * g + 0.114 * b > 0.6
