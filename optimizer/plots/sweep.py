"""A sweep on one slide: the objective and the hardware bought against each swept input.

One column of panels per swept input (up to four):

* **top**: the objective of every scenario. With one input it is a line through the
  scenarios in input order; with several inputs (or a Monte Carlo draw) a scatter,
  coloured by another swept input, with the median of the objective in bins of the
  input drawn over it.
* **bottom**: units bought over all periods, per hardware (the plan chart's colours).
  Units of different hardware do not add up (a rack of 72 GPUs against a server of
  8), so these are lines, not a stack: the value itself with one input, the binned
  median (over faint dots) with several.

Scenarios without a plan (infeasible, error, time limit with no incumbent) are marked
with a red x at the foot of the objective panel and counted in the subtitle.

The table is the one ``optimizer sweep`` writes (``sweep.parquet`` / ``sweep.csv``):
``scenario``, one column per swept input (named by key path; ``:factor`` when the table
records a multiplier of the base value), ``status``, ``objective_usd``,
``units_bought[<hw>]`` per hardware, and more.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer.plots import (
    _HW_PALETTE,
    DECK_SIZE_IN,
    DPI,
    deck_style,
    fmt_usd,
    legend_entry,
    note_text,
    save_png_atomic,
)
from optimizer.plots.sweep_labels import (
    axis_label,
    compact,
    human_label,
    input_unit,
    strip_factor,
    subtitle,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MAX_INPUTS = 4
_PANEL_CHARS = 120  # characters of 10-pt tick text across the figure's panel area
_UNITS = re.compile(r"^units_bought\[(.+)\]$")
_FAIL_COLOR = "#C0392B"
_MEDIAN_COLOR = "#222222"
_CMAP = "viridis"


# ------------------------------------------------------------------------- the table
def sweep_inputs(table: pd.DataFrame) -> list[str]:
    """The swept inputs: the columns between ``scenario`` and ``status``."""
    cols = [str(c) for c in table.columns]
    if "status" not in cols:
        raise ValueError("not a sweep table: no 'status' column")
    start = cols.index("scenario") + 1 if "scenario" in cols else 0
    return cols[start : cols.index("status")]


def has_plan(table: pd.DataFrame) -> pd.Series:
    """True for the scenarios with a plan (a finite objective)."""
    if "objective_usd" not in table.columns:
        return pd.Series(False, index=table.index)
    obj = pd.to_numeric(table["objective_usd"], errors="coerce")
    return pd.Series(np.isfinite(obj.to_numpy(float)), index=table.index)


def hardware_columns(table: pd.DataFrame) -> dict[str, str]:
    """Hardware id -> its ``units_bought[...]`` column, in table (= instance) order."""
    out = {}
    for c in table.columns:
        m = _UNITS.match(str(c))
        if m:
            out[m.group(1)] = str(c)
    return out


def binned_median(
    x: np.ndarray, y: np.ndarray, max_bins: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Median of ``y`` per bin of ``x``: per distinct value when there are few of them,
    else in quantile bins (about 6 points each, 4 to ``max_bins`` bins). NaNs dropped."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) == 0:
        return np.array([]), np.array([])
    distinct = np.unique(x)
    if len(distinct) <= max(max_bins, 12):
        ym = np.array([np.median(y[x == v]) for v in distinct])
        return distinct, ym
    n_bins = int(np.clip(len(x) // 6, 4, max_bins))
    edges = np.unique(np.quantile(x, np.linspace(0, 1, n_bins + 1)))
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    xs, ys = [], []
    for b in range(len(edges) - 1):
        sel = idx == b
        if sel.any():
            xs.append(np.median(x[sel]))
            ys.append(np.median(y[sel]))
    return np.array(xs), np.array(ys)


# ---------------------------------------------------------------------------- chart
@dataclass
class _Sweep:
    """The table as the chart reads it: inputs, plan mask, objective, units per hardware."""

    all_inputs: list[str]
    X: dict[str, np.ndarray]
    ok: np.ndarray
    obj: np.ndarray
    status: np.ndarray
    units: dict[str, np.ndarray]
    palette: dict[str, str]
    used_hw: list[str]
    drawn_hw: set[str] = field(default_factory=set)  # hardware whose line is not flat at 0
    any_median: bool = False

    @property
    def shown(self) -> list[str]:
        return self.all_inputs[:MAX_INPUTS]

    @property
    def line_mode(self) -> bool:
        return len(self.all_inputs) == 1

    @property
    def n_ok(self) -> int:
        return int(self.ok.sum())


def _read_sweep(
    table: pd.DataFrame, inputs: Sequence[str] | None, colors: Mapping[str, str] | None
) -> _Sweep:
    """Check the table and the inputs (ValueError says what is wrong) and read them."""
    if table.empty:
        raise ValueError("the sweep table has no rows")
    if "objective_usd" not in table.columns and "status" not in table.columns:
        raise ValueError("not a sweep table: no 'status' or 'objective_usd' column")
    all_inputs = list(inputs) if inputs else sweep_inputs(table)
    if not all_inputs:
        raise ValueError("the sweep table has no input columns (between scenario and status)")
    missing = [k for k in all_inputs if k not in table.columns]
    if missing:
        known = ", ".join(sweep_inputs(table)) if "status" in table.columns else ""
        raise ValueError(
            f"not a column of the sweep table: {', '.join(missing)}"
            + (f" (swept inputs: {known})" if known else "")
        )
    X: dict[str, np.ndarray] = {}
    for k in all_inputs:
        col = pd.to_numeric(table[k], errors="coerce")
        if col.isna().all():
            raise ValueError(f"input {k!r} has no numeric values")
        X[k] = col.to_numpy(float)
    ok = has_plan(table).to_numpy()
    obj = (
        pd.to_numeric(table["objective_usd"], errors="coerce").to_numpy(float)
        if "objective_usd" in table.columns
        else np.full(len(table), np.nan)
    )
    status = (
        table["status"].astype(str).to_numpy()
        if "status" in table.columns
        else np.where(ok, "optimal", "no plan")
    )
    hw_cols = hardware_columns(table)
    palette = {h: _HW_PALETTE[i % len(_HW_PALETTE)] for i, h in enumerate(hw_cols)}
    palette.update(colors or {})
    units = {
        h: np.where(ok, pd.to_numeric(table[c], errors="coerce").to_numpy(float), np.nan)
        for h, c in hw_cols.items()
    }
    used_hw = [h for h in hw_cols if np.nansum(units[h]) > 0]
    return _Sweep(all_inputs, X, ok, obj, status, units, palette, used_hw)


def plot_sweep(
    table: pd.DataFrame,
    out_path: str | Path,
    inputs: Sequence[str] | None = None,
    *,
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Path:
    """Draw the chart of :func:`sweep_figure` and write it as a PNG at ``out_path``."""
    return save_png_atomic(sweep_figure(table, inputs, colors=colors, title=title), out_path)


def sweep_figure(
    table: pd.DataFrame,
    inputs: Sequence[str] | None = None,
    *,
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Draw the objective and the units bought per hardware against each swept input.

    ``inputs`` defaults to the table's swept inputs (columns between ``scenario`` and
    ``status``); the first :data:`MAX_INPUTS` are drawn and the rest named in a note.
    ``colors`` (hardware id -> colour, e.g. :func:`optimizer.plots.hardware_colors`)
    defaults to the plan chart's palette in the table's hardware order, which is the
    instance's.

    Raises
    ------
    ValueError
        If the table is not a sweep table, has no rows, or an input is not a numeric
        column of it.
    """
    from matplotlib.figure import Figure

    d = _read_sweep(table, inputs, colors)
    n_col = len(d.shown)
    # Text first, so the panels can make room for it.
    wrap_width = max(20, int(110 / n_col))
    xlabels = [axis_label(k, wrap_width, n_col) for k in d.shown]
    colour_titles = {
        k: "\n".join(
            textwrap.wrap(
                "colour: " + human_label(strip_factor(_colour_input(k, d.all_inputs))), wrap_width
            )
        )
        for k in d.shown
        if not d.line_mode
    }
    sub_lines = subtitle(len(table), d.ok, d.obj, d.status, d.X, d.all_inputs)
    xlabel_lines = max(t.count("\n") + 1 for t in xlabels)
    ctitle_lines = max((t.count("\n") + 1 for t in colour_titles.values()), default=0)
    line_h = 0.028  # one line of 10.5 pt text, in figure height
    top = (0.805 if d.line_mode else 0.775) - line_h * (len(sub_lines) - 1)
    top -= 0.024 * max(0, ctitle_lines - 1)
    bottom = 0.17 + 0.03 * xlabel_lines

    with deck_style():
        fig = Figure(figsize=DECK_SIZE_IN, dpi=DPI)
        axes_top, axes_bot = _panels(fig, n_col, top, bottom)
        for j, key in enumerate(d.shown):
            at, ab = axes_top[j], axes_bot[j]
            good = d.ok & np.isfinite(d.X[key])
            if d.line_mode:
                _line_panel(at, ab, d, key, good)
            else:
                _scatter_panel(fig, at, ab, d, key, good, colour_titles[key], n_col)
            _mark_no_plan(at, d, key)
            _x_axis(at, ab, d, key, xlabels[j], n_col)
            if j > 0:
                at.tick_params(labelleft=False)
                ab.tick_params(labelleft=False)
        _y_axes(axes_top, axes_bot, d)
        _legend(fig, d, len(table), bottom - 0.03 * xlabel_lines - 0.05)
        _texts(fig, d, title, sub_lines)
        return fig


def _panels(fig: Figure, n_col: int, top: float, bottom: float) -> tuple[list[Axes], list[Axes]]:
    """Two rows of panels (objective over units), one column per input, sharing axes."""
    gs = fig.add_gridspec(
        2,
        n_col,
        left=0.10,  # room for the two-line "Units bought" label and its ticks
        right=0.985,
        top=top,
        bottom=bottom,
        hspace=0.10,
        wspace=0.0 if n_col == 1 else 0.10 if n_col == 2 else 0.16,
        height_ratios=[1.15, 1.0],
    )
    axes_top: list[Axes] = []
    axes_bot: list[Axes] = []
    for j in range(n_col):
        at = fig.add_subplot(gs[0, j], sharey=axes_top[0] if axes_top else None)
        ab = fig.add_subplot(gs[1, j], sharex=at, sharey=axes_bot[0] if axes_bot else None)
        axes_top.append(at)
        axes_bot.append(ab)
    return axes_top, axes_bot


def _line_panel(at: Axes, ab: Axes, d: _Sweep, key: str, good: np.ndarray) -> None:
    """One input: the objective and each hardware's units as lines in input order."""
    x = d.X[key]
    xs, ys = binned_median(x[good], d.obj[good], max_bins=10**9)
    at.plot(xs, ys, color=_MEDIAN_COLOR, lw=2.0, marker="o", ms=4.5, zorder=3)
    if len(xs) <= 13:  # few points: write the objective on each
        for xi, yi in zip(xs, ys, strict=True):
            at.annotate(
                fmt_usd(float(yi)),
                (xi, yi),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8.5,
                color="#333333",
                zorder=5,
            )
    for h in d.used_hw:
        xh, yh = binned_median(x[good], d.units[h][good], max_bins=10**9)
        if np.nanmax(np.abs(yh), initial=0.0) > 0:  # a line flat at 0: not drawn
            ab.plot(xh, yh, color=d.palette[h], lw=2.0, marker="o", ms=3.5, zorder=3)
            d.drawn_hw.add(h)


def _scatter_panel(
    fig: Figure, at: Axes, ab: Axes, d: _Sweep, key: str, good: np.ndarray, ctitle: str, n_col: int
) -> None:
    """Several inputs: scatters coloured by the next input, binned medians over them."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    x = d.X[key]
    cval = d.X[_colour_input(key, d.all_inputs)]
    finite_c = cval[np.isfinite(cval)]
    norm = Normalize(
        float(finite_c.min()) if len(finite_c) else 0.0,
        float(finite_c.max()) if len(finite_c) else 1.0,
    )
    cmap = colormaps[_CMAP]
    family = _is_grid_family(x, cval, good, len(d.all_inputs))
    if family:  # a two-input grid: one line per value of the other input
        for cv in np.unique(finite_c):
            sel = good & (cval == cv)
            order = np.argsort(x[sel])
            at.plot(
                x[sel][order], d.obj[sel][order], color=cmap(norm(cv)), lw=1.4, alpha=0.9, zorder=2
            )
    sc = at.scatter(
        x[good],
        d.obj[good],
        c=cval[good],
        cmap=cmap,
        norm=norm,
        s=22,
        alpha=0.85,
        edgecolors="white",
        linewidths=0.4,
        zorder=3,
    )
    if not family:  # (a grid's lines already say it)
        xs, ys = binned_median(x[good], d.obj[good])
        at.plot(xs, ys, color=_MEDIAN_COLOR, lw=2.0, zorder=4)
        d.any_median = True
    _colour_bar(fig, at, sc, _colour_input(key, d.all_inputs), np.unique(finite_c), ctitle, n_col)
    for h in d.used_hw:
        ab.scatter(
            x[good], d.units[h][good], s=9, color=d.palette[h], alpha=0.22, linewidths=0, zorder=2
        )
        xh, yh = binned_median(x[good], d.units[h][good])
        if np.nanmax(np.abs(yh), initial=0.0) > 0:  # a median flat at 0: dots only
            ab.plot(xh, yh, color=d.palette[h], lw=2.0, zorder=3)
            d.drawn_hw.add(h)


def _colour_bar(
    fig: Figure, at: Axes, sc: Any, ckey: str, c_distinct: np.ndarray, ctitle: str, n_col: int
) -> None:
    """A colour bar over the panel, its label above it, says what the colour is."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

    cax = at.inset_axes((0.03, 1.035, 0.94, 0.045))
    cb = fig.colorbar(sc, cax=cax, orientation="horizontal")
    cfmt = input_unit(ckey)[1]
    cb.ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _, f=cfmt: f(v)))
    if 1 < len(c_distinct) <= 6:
        cb.set_ticks(list(c_distinct))
    else:
        cb.ax.xaxis.set_major_locator(MaxNLocator(5 if n_col <= 2 else 4))
    cb.ax.xaxis.set_minor_locator(NullLocator())
    cb.ax.tick_params(labelsize=8, length=2, pad=1)
    cb.outline.set_linewidth(0.4)  # type: ignore[operator]
    cb.ax.xaxis.set_ticks_position("top")
    cb.ax.set_title(ctitle, fontsize=8.5, color="#444444", loc="left", pad=12, fontweight="normal")


def _mark_no_plan(at: Axes, d: _Sweep, key: str) -> None:
    """Scenarios without a plan: red x at the foot of the objective panel."""
    x = d.X[key]
    bad = ~d.ok & np.isfinite(x)
    if bad.any():
        at.scatter(
            x[bad],
            np.full(int(bad.sum()), 0.035),
            transform=at.get_xaxis_transform(),
            marker="x",
            s=34,
            color=_FAIL_COLOR,
            linewidths=1.6,
            zorder=6,
            clip_on=False,
        )


def _x_axis(at: Axes, ab: Axes, d: _Sweep, key: str, xlabel: str, n_col: int) -> None:
    """x: every scenario's value in range (with and without a plan); ticks that fit."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    x = d.X[key]
    fmt = input_unit(key)[1]
    distinct = np.unique(x[np.isfinite(x)])
    lo_x, hi_x = float(distinct.min()), float(distinct.max())
    margin = (hi_x - lo_x) * 0.04 or abs(lo_x) * 0.05 or 0.5
    at.set_xlim(lo_x - margin, hi_x + margin)
    ab.set_xlabel(xlabel, fontsize=11 if n_col <= 2 else 10)
    ab.xaxis.set_major_formatter(FuncFormatter(lambda v, _, f=fmt: f(v)))
    if d.line_mode and 1 < len(distinct) <= 13:
        ab.set_xticks(distinct)  # a grid: one tick per value
    else:  # as many ticks as fit the panel's width without touching
        widest = max(len(fmt(float(v))) for v in (lo_x, hi_x, (lo_x + hi_x) / 2))
        fit = int((_PANEL_CHARS / n_col) // (widest + 5))
        ticks = MaxNLocator(max(2, min(6, fit + 1))).tick_values(lo_x, hi_x)
        if n_col > 1:  # no label at a panel's edge, where it would meet the next one's
            w = (hi_x - lo_x) or 1.0
            ticks = [t for t in ticks if lo_x + 0.06 * w <= t <= hi_x - 0.06 * w]
        ab.set_xticks(ticks)
    at.tick_params(labelbottom=False)
    for ax in (at, ab):
        ax.set_axisbelow(True)


def _empty_panel_text(axes: list[Axes], text: str, color: str) -> None:
    for ax in axes:
        ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color=color)


def _y_axes(axes_top: list[Axes], axes_bot: list[Axes], d: _Sweep) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

    at0, ab0 = axes_top[0], axes_bot[0]
    at0.set_ylabel("Objective (USD)")
    ab0.set_ylabel("Units bought\n(all periods)")
    if d.n_ok:
        at0.yaxis.set_major_formatter(FuncFormatter(lambda v, _: compact(v, "$")))
        at0.yaxis.set_major_locator(MaxNLocator(5))
        lo, hi = float(np.nanmin(d.obj[d.ok])), float(np.nanmax(d.obj[d.ok]))
        pad = (hi - lo) * 0.08 or abs(hi) * 0.02 or 1.0
        at0.set_ylim(lo - pad * 1.8, hi + pad * (1.6 if d.line_mode else 1.0))
    else:
        at0.yaxis.set_major_locator(NullLocator())
        _empty_panel_text(axes_top, "no scenario has a plan", _FAIL_COLOR)
    if d.used_hw:
        ab0.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ab0.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        top_u = max(float(np.nanmax(d.units[h][d.ok])) for h in d.used_hw) if d.n_ok else 1.0
        ab0.set_ylim(bottom=-0.03 * top_u)  # a line at 0 shows above the axis line
    else:
        ab0.set_ylim(0, 1)
        ab0.yaxis.set_major_locator(NullLocator())
        _empty_panel_text(axes_bot, "nothing bought" if d.n_ok else "no plan", "#777777")


def _legend(fig: Figure, d: _Sweep, n: int, y: float) -> None:
    """Legend under the panels: hardware, then the markers."""
    handles: list[Any] = [
        legend_entry(h, color=d.palette[h], lw=2.2) for h in d.used_hw if h in d.drawn_hw
    ]
    if d.n_ok and (d.line_mode or d.any_median):
        handles.append(
            legend_entry(
                "objective" if d.line_mode else "median (binned)",
                color=_MEDIAN_COLOR,
                lw=2.0,
                marker="o" if d.line_mode else None,
                ms=4.5,
            )
        )
    if d.n_ok < n:
        handles.append(
            legend_entry("no plan", ls="", marker="x", color=_FAIL_COLOR, ms=6.5, mew=1.6)
        )
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.09, y),
        ncol=min(len(handles), 8),
        fontsize=9.5,
        columnspacing=1.6,
        handlelength=1.8,
    )


def _texts(fig: Figure, d: _Sweep, title: str | None, sub_lines: list[str]) -> None:
    """Title, subtitle and notes."""
    flat = [h for h in d.used_hw if h not in d.drawn_hw]
    if flat:  # bought in a few scenarios only: their median line lies on zero
        note_text(
            fig, 0.10, 0.012, "Median zero (bought in few scenarios, dots only): " + ", ".join(flat)
        )
    what = (
        f"vs {human_label(strip_factor(d.all_inputs[0]))}"
        if d.line_mode
        else f"vs {len(d.all_inputs)} swept inputs"
    )
    fig.text(
        0.10,
        0.965,
        title or f"Sweep: objective and hardware bought {what}",
        fontsize=16,
        fontweight="bold",
        ha="left",
        va="top",
    )
    fig.text(
        0.10,
        0.915,
        "\n".join(sub_lines),
        fontsize=10.5,
        color="#555555",
        ha="left",
        va="top",
        linespacing=1.35,
    )
    if len(d.all_inputs) > MAX_INPUTS:
        rest = d.all_inputs[MAX_INPUTS:]
        note_text(
            fig,
            0.985,
            0.012,
            f"Showing the first {MAX_INPUTS} of {len(d.all_inputs)} inputs; not drawn: "
            + ", ".join(strip_factor(k) for k in rest[:4])
            + (f" and {len(rest) - 4} more" if len(rest) > 4 else "")
            + " (choose with --input).",
            ha="right",
        )


def _colour_input(key: str, inputs: Sequence[str]) -> str:
    """The input that colours ``key``'s scatter: the next swept input (wrapping round)."""
    return inputs[(inputs.index(key) + 1) % len(inputs)]


def _is_grid_family(x: np.ndarray, c: np.ndarray, good: np.ndarray, n_inputs: int) -> bool:
    """Two inputs on a full grid, the colour one with a few values: draw a line per value."""
    if n_inputs != 2 or good.sum() < 4:
        return False
    cx = pd.DataFrame({"x": x[good], "c": c[good]})
    n_c = cx["c"].nunique()
    return 2 <= n_c <= 6 and not cx.duplicated().any() and cx["x"].nunique() >= 2
