"""A tornado chart: how much the objective moves when each input moves by +/- delta.

One row per input, the largest swing on top: a bar from the base objective to the
objective with the input at its low value, and one to the objective with the input at
its high value (change vs base, in USD); the input's low, base and high values under its
name, the change at each bar's end, the base objective as the vertical line at zero.

The table has one row per input with columns ``input`` (key path), ``base_value``,
``low_value``, ``high_value``, ``objective_low_usd``, ``objective_high_usd``,
``base_objective_usd``, ``swing_usd`` (= abs(high - low)) and ``delta`` (0.1 for
+/-10%). A case without a plan has a NaN objective: its bar is replaced by a red
"no plan" mark, and the row is ranked by the side that has one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer import fmt as _fmt
from optimizer.plots import DECK_SIZE_IN, DPI, deck_style, fmt_usd, save_png_atomic
from optimizer.plots.sweep_labels import compact as _compact
from optimizer.plots.sweep_labels import human_label, input_unit

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_LOW_COLOR = "#0072B2"
_HIGH_COLOR = "#E69F00"
_FAIL_COLOR = "#C0392B"


def _check(table: pd.DataFrame) -> None:
    need = ["input", "objective_low_usd", "objective_high_usd", "base_objective_usd"]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(f"not a tornado table: no column {', '.join(missing)}")


def _swing(table: pd.DataFrame) -> pd.Series:
    """The ranking key: ``swing_usd``; where a side has no plan, the other side's change."""
    lo = pd.to_numeric(table["objective_low_usd"], errors="coerce")
    hi = pd.to_numeric(table["objective_high_usd"], errors="coerce")
    base = pd.to_numeric(table["base_objective_usd"], errors="coerce")
    swing = (
        pd.to_numeric(table["swing_usd"], errors="coerce")
        if "swing_usd" in table.columns
        else (hi - lo).abs()
    )
    one_side = pd.concat([(lo - base).abs(), (hi - base).abs()], axis=1).max(axis=1)
    return swing.fillna(one_side).fillna(-np.inf)


def tornado_order(table: pd.DataFrame, top: int = 15) -> list[str]:
    """The inputs drawn, largest swing first (ties keep the table's order), at most ``top``."""
    _check(table)
    key = _swing(table).reset_index(drop=True)
    order = key.sort_values(ascending=False, kind="mergesort").index
    names = list(dict.fromkeys(str(table["input"].iloc[i]) for i in order))  # first of repeats
    return names[: max(0, top)]


def _value_text(key: str, value: Any) -> str:
    unit, fmt = input_unit(key)
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "?"
    if not np.isfinite(v):
        return "?"
    text = fmt(v)
    return f"{text} {unit}" if unit in ("MW", "kW", "Mtok") else text


def _delta_text(table: pd.DataFrame) -> str:
    if "delta" not in table.columns:
        return ""
    d = pd.to_numeric(table["delta"], errors="coerce").dropna().unique()
    if len(d) == 1:
        return f"±{float(d[0]) * 100:.3g}%"
    return "±delta (per input)" if len(d) else ""


def plot_tornado(
    table: pd.DataFrame, out_path: str | Path, top: int = 15, objective: str | None = None
) -> Path:
    """Draw the chart of :func:`tornado_figure` and write it as a PNG at ``out_path``."""
    return save_png_atomic(tornado_figure(table, top, objective), out_path)


def tornado_figure(table: pd.DataFrame, top: int = 15, objective: str | None = None) -> Figure:
    """The tornado chart of ``table`` (one row per input) as a figure (nothing written).

    The ``top`` inputs by swing are drawn, largest on top, each named in words
    (:func:`optimizer.plots.sweep.human_label`). ``objective`` ("profit" or "revenue")
    names what moves; default "objective".

    Raises
    ------
    ValueError
        If the table lacks the tornado columns or has no rows.
    """
    from matplotlib.figure import Figure

    _check(table)
    if table.empty:
        raise ValueError("the tornado table has no rows")
    names = tornado_order(table, max(1, top))
    rows = (
        table.assign(input=table["input"].astype(str))
        .drop_duplicates("input")
        .set_index("input")
        .loc[names]
    )
    n = len(rows)
    base_all = pd.to_numeric(table["base_objective_usd"], errors="coerce").dropna()
    base = float(base_all.iloc[0]) if len(base_all) else float("nan")
    lo = pd.to_numeric(rows["objective_low_usd"], errors="coerce").to_numpy(float)
    hi = pd.to_numeric(rows["objective_high_usd"], errors="coerce").to_numpy(float)
    row_base = pd.to_numeric(rows["base_objective_usd"], errors="coerce").to_numpy(float)
    row_base = np.where(np.isfinite(row_base), row_base, base)
    d_lo, d_hi = lo - row_base, hi - row_base
    delta = _delta_text(table)

    with deck_style():
        fig = Figure(figsize=DECK_SIZE_IN, dpi=DPI)
        bottom, top_y = (0.15, 0.81) if n <= 10 else (0.13, 0.845)
        ax = fig.add_axes((0.34, bottom, 0.63, top_y - bottom))
        y = np.arange(n)[::-1].astype(float)  # largest swing on top
        span = np.nanmax(np.abs(np.concatenate([d_lo, d_hi, [0.0]])))
        span = float(span) if np.isfinite(span) and span > 0 else abs(base) * 0.01 or 1.0
        pad = span * 0.04
        height = 0.62 if n >= 8 else 0.5 if n >= 4 else 0.36
        for i in range(n):
            _bars(ax, y[i], d_lo[i], d_hi[i], height)
            _bar_labels(ax, y[i], d_lo[i], d_hi[i], pad)
        what = objective or "objective"
        _input_labels(ax, names, rows, y)
        _x_axis(ax, d_lo, d_hi, span, base, what)
        _legend_and_titles(fig, table, delta, what, base, n, lo, hi)
        return fig


def _bars(ax: Axes, y: float, d_lo: float, d_hi: float, height: float) -> None:
    """One input's two bars: the longer first, the shorter on it (thinner when they point
    the same way)."""
    cases = [(d_lo, _LOW_COLOR), (d_hi, _HIGH_COLOR)]
    cases.sort(key=lambda c: -abs(c[0]) if np.isfinite(c[0]) else 0.0)
    for k, (d, color) in enumerate(cases):
        if np.isfinite(d):
            shorter = k == 1 and np.isfinite(cases[0][0]) and cases[0][0] * d > 0
            h = height * 0.62 if shorter else height
            ax.barh(y, d, h, color=color, edgecolor="white", lw=0.6, zorder=3)


def _bar_labels(ax: Axes, y: float, d_lo: float, d_hi: float, pad: float) -> None:
    """Each bar's change in dollars at its end; "no plan at ... value" where a side has none."""
    same_side = bool(np.isfinite(d_lo) and np.isfinite(d_hi) and d_lo * d_hi > 0)
    for d, dy in ((d_lo, 0.17), (d_hi, -0.17)):
        if not np.isfinite(d):
            continue
        right = d >= 0
        end = max(abs(d_lo), abs(d_hi)) * np.sign(d) if same_side else d
        ax.text(
            end + (pad if right else -pad),
            y + (dy if same_side else 0.0),
            _fmt.signed_usd(d, None),
            ha="left" if right else "right",
            va="center",
            fontsize=8.5 if not same_side else 7.5,
            color="#333333",
            zorder=5,
        )
    both = not np.isfinite(d_lo) and not np.isfinite(d_hi)
    for d, side in ((d_lo, "low"), (d_hi, "either" if both else "high")):
        if not np.isfinite(d) and not (both and side == "low"):
            other = d_hi if side == "low" else d_lo
            right = not (np.isfinite(other) and other > 0)
            ax.text(
                pad if right else -pad,
                y,
                f"no plan at {side} value",
                ha="left" if right else "right",
                va="center",
                fontsize=8.5,
                color=_FAIL_COLOR,
                fontweight="bold",
                zorder=5,
            )


def _input_labels(ax: Axes, names: list[str], rows: pd.DataFrame, y: np.ndarray) -> None:
    """Input names and their low -> high values, left of the axes."""
    n = len(names)
    labels = [human_label(k) for k in names]
    longest = max((len(k) for k in labels), default=0)
    name_size = 10 if n <= 10 and longest <= 40 else 9 if longest <= 46 else 8
    for i, key in enumerate(names):
        r = rows.iloc[i]
        ax.annotate(
            labels[i],
            (0, y[i]),
            xycoords=("axes fraction", "data"),
            xytext=(-8, 1.0),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=name_size,
            color="#222222",
        )
        base_v = _value_text(key, r.get("base_value"))
        ax.annotate(
            f"low {_value_text(key, r.get('low_value'))} · base {base_v} · "
            f"high {_value_text(key, r.get('high_value'))}",
            (0, y[i]),
            xycoords=("axes fraction", "data"),
            xytext=(-8, -0.5),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=name_size - (1.5 if n <= 10 else 1.0),
            color="#666666",
        )
    ax.set_yticks(y, [""] * n)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.6, n - 0.4)
    ax.grid(axis="y", visible=False)
    ax.set_axisbelow(True)


def _x_axis(
    ax: Axes, d_lo: np.ndarray, d_hi: np.ndarray, span: float, base: float, what: str
) -> None:
    """Change from the base, signed dollars, the base marked at 0."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    lim = span * 1.32
    left = lim if np.nanmin(np.concatenate([d_lo, d_hi, [0.0]])) < 0 else lim * 0.12
    right = lim if np.nanmax(np.concatenate([d_lo, d_hi, [0.0]])) > 0 else lim * 0.12
    ax.set_xlim(-left, right)
    ax.xaxis.set_major_locator(MaxNLocator(7, symmetric=left == right))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda v, _: ("+" if v > 0 else "−" if v < 0 else "") + _compact(abs(v), "$"))
    )
    ax.axvline(0, color="#222222", lw=1.4, zorder=4)
    ax.text(
        0,
        1.01,
        f"base {fmt_usd(base)}" if np.isfinite(base) else "base",
        transform=ax.get_xaxis_transform(),
        ha="center",
        va="bottom",
        fontsize=9.5,
        fontweight="bold",
        color="#222222",
    )
    ax.set_xlabel(f"Change in {what} vs base (USD, present value)")
    ax.spines["left"].set_visible(False)


def _legend_and_titles(
    fig: Figure,
    table: pd.DataFrame,
    delta: str,
    what: str,
    base: float,
    n: int,
    lo: np.ndarray,
    hi: np.ndarray,
) -> None:
    from matplotlib.patches import Patch

    pm = delta or "±delta"
    low_lbl = f"input at low value ({pm.replace('±', '−')})" if delta else "input at low value"
    high_lbl = f"input at high value ({pm.replace('±', '+')})" if delta else "input at high value"
    fig.legend(
        handles=[
            Patch(color=_LOW_COLOR, label=low_lbl),
            Patch(color=_HIGH_COLOR, label=high_lbl),
        ],
        loc="lower left",
        bbox_to_anchor=(0.34, 0.005),
        ncol=2,
        fontsize=9.5,
    )
    fig.text(
        0.03,
        0.965,
        f"Sensitivity: {what} change for {pm} on each input",
        fontsize=16,
        fontweight="bold",
        ha="left",
        va="top",
    )
    bits = [f"base {what} {fmt_usd(base)}" if np.isfinite(base) else f"no base {what}"]
    total = table["input"].astype(str).nunique()
    bits.append(
        f"top {n} of {total} inputs by swing" if n < total else f"{n} inputs, largest swing on top"
    )
    n_fail = int((~np.isfinite(lo)).sum() + (~np.isfinite(hi)).sum())
    if n_fail:
        bits.append(f"{n_fail} case{'s' if n_fail > 1 else ''} without a plan")
    fig.text(0.03, 0.915, " · ".join(bits), fontsize=10.5, color="#555555", ha="left", va="top")
