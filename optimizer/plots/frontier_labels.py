"""Text on the frontier chart: tier price labels, stacked above the axes, and the labels of
the plan's operating points, spread where they would collide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from optimizer.instance.schema import Instance, PeriodLabel, Tier
from optimizer.plots import fmt_price

if TYPE_CHECKING:
    from matplotlib.axes import Axes

LABEL_BASE_PT = 5.0  # tier labels: gap above the axes, and height of one level, in points
LEVEL_PT = 28.0


def price_text(instance: Instance, tier: Tier, period: PeriodLabel | None) -> str:
    prices = instance.shown_prices(tier)
    P = list(instance.periods)
    if period is not None:
        i = instance.period_index(period)
        return f"{fmt_price(prices[i])}/Mtok"
    if all(p == prices[0] for p in prices):
        return f"{fmt_price(prices[0])}/Mtok"
    return f"{fmt_price(prices[0])}/Mtok in {P[0]}"


def period_span(first: PeriodLabel, last: PeriodLabel) -> str:
    return str(first) if str(first) == str(last) else f"{first}-{last}"


def units_text(u_min: float, u_max: float) -> str:
    def f(u: float) -> str:
        return f"{u:,.0f}" if u >= 10 or abs(u - round(u)) < 0.05 else f"{u:,.1f}"

    return f"{f(u_max)} units" if f(u_min) == f(u_max) else f"{f(u_min)}-{f(u_max)} units"


def spread(
    positions: Sequence[float], gap: float, lo: float = 0.02, hi: float = 0.97
) -> list[float]:
    """Move sorted label positions (axes fraction) apart by at least ``gap``, within [lo, hi]."""
    out = [min(max(p, lo), hi) for p in positions]
    for i in range(1, len(out)):
        out[i] = max(out[i], out[i - 1] + gap)
    if out and out[-1] > hi:  # pushed off the top: shift the stack down
        out[-1] = hi
        for i in range(len(out) - 2, -1, -1):
            out[i] = min(out[i], out[i + 1] - gap)
    return out


def stack_labels(fig: Any, labels: list[Any]) -> int:
    """Raise tier labels (annotations, in x order) a level each time one would overlap a
    label already placed on its level; returns the highest level used."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    placed: dict[int, list[tuple[float, float]]] = {}
    top = 0
    for ann in labels:
        level = 0
        while True:
            ann.xyann = (0, LABEL_BASE_PT + LEVEL_PT * level)
            bb = ann.get_window_extent(renderer)
            span = (bb.x0 - 6, bb.x1 + 6)
            if all(span[1] <= a or span[0] >= b for a, b in placed.get(level, [])):
                break
            level += 1
        placed.setdefault(level, []).append(span)
        ann.set_zorder(10 - level)  # a lower label's box hides the connectors of those above
        top = max(top, level)
    return top


_LABEL_CHAR_AXES = 0.0085  # width of one 9-pt character as a fraction of the plot's width


def label_points(
    ax: Axes, points: pd.DataFrame, colors: dict[str, str], log_y: bool, spans: bool
) -> None:
    """Label each operating point (units, periods) to its right, spreading labels that collide."""
    to_axes = ax.transData + ax.transAxes.inverted()
    for _, grp in points.groupby("interactivity", sort=False):
        grp = grp.sort_values("tok_s_per_mw")
        frac = [
            to_axes.transform((x, y))[1]
            for x, y in zip(grp["interactivity"], grp["tok_s_per_mw"], strict=True)
        ]
        ys = spread(frac, gap=0.062)
        for (_, p), y_lab, y0 in zip(grp.iterrows(), ys, frac, strict=True):
            x_ax = to_axes.transform((p["interactivity"], p["tok_s_per_mw"]))[0]
            text = units_text(p["units_min"], p["units"])
            if spans:
                text += f" ({period_span(p['first_period'], p['last_period'])})"
            if p["ttft_limited"]:
                text += " · TTFT cap"
            moved = abs(y_lab - y0) > 0.01
            # A label that would run past the plot's right edge (into the legend, which
            # sits there) goes to the left of its point instead.
            right = x_ax + 0.028 + _LABEL_CHAR_AXES * len(text) <= 0.99
            ax.annotate(
                text,
                xy=(p["interactivity"], p["tok_s_per_mw"]),
                xycoords="data",
                xytext=(x_ax + 0.028 if right else x_ax - 0.028, y_lab),
                textcoords="axes fraction",
                ha="left" if right else "right",
                va="center",
                fontsize=9,
                color="#111111",
                zorder=7,
                bbox={
                    "boxstyle": "round,pad=0.2",
                    "fc": "white",
                    "ec": colors[p["hardware"]],
                    "lw": 1.2,
                    "alpha": 0.92,
                    "ls": "--" if p["ttft_limited"] else "-",
                },
                arrowprops={
                    "arrowstyle": "-",
                    "color": "#666666",
                    "lw": 0.7,
                    "shrinkA": 0,
                    "shrinkB": 6,
                }
                if moved
                else None,
            )
