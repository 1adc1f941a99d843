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
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer import fmt as _fmt
from optimizer.plots import (
    _HW_PALETTE,
    DECK_SIZE_IN,
    DPI,
    deck_style,
    fmt_price,
    fmt_usd,
    save_png_atomic,
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


# ----------------------------------------------------------------------- formatting
def _compact(v: float, prefix: str = "") -> str:
    """$1.25B, $950M, 1.50k, 0.25: three significant digits (optimizer.fmt)."""
    return _fmt.usd(v, None) if prefix == "$" else _fmt.quantity(v, None)


def input_unit(key: str) -> tuple[str, Callable[[float], str]]:
    """What an input's values are (axis label text) and how to write one (tick label).

    Read from the key path's field name: ``*_usd_per_mtok`` a price, ``*_usd`` dollars,
    ``*_mw`` megawatts, ``*rate`` a share; a ``:factor`` column a multiple of the base.
    """
    if key.endswith(":factor"):
        return "× base value", lambda v: f"×{v:.3g}"
    field = re.sub(r"\[[^\]]*\]", "", key.split(".")[-1])
    if field.endswith("_usd_per_mtok"):
        return "USD per Mtok", fmt_price
    if field.endswith("_usd_per_mwh"):
        return "USD per MWh", lambda v: _compact(v, "$")
    if field.endswith("_usd"):
        return "USD", lambda v: _compact(v, "$")
    if field.endswith("_mtok"):
        return "Mtok", _compact
    if field.endswith("_mw"):
        return "MW", _compact
    if field.endswith("_kw"):
        return "kW", _compact
    if field.endswith("rate") or field.endswith("_share") or field.endswith("_frac"):
        return "%", lambda v: f"{v * 100:.3g}%"
    named = {
        "pue": "facility / IT power",
        "utilization": "share of the year",
        "lifetime_years": "years",
        "period_years": "years",
        "min_interactivity": "tok/s per user",
        "max_ttft_s": "s",
        "gpus_per_unit": "GPUs",
        "rack_positions": "rack positions",
        "existing_units": "units",
        "max_units": "units",
        "min_units": "units",
        "context_tokens": "tokens",
    }
    if field in named:
        return named[field], lambda v: f"{v:.3g}"
    return "value", _compact


_FIELD_LABELS = {
    "price_usd_per_mtok": "price (USD/Mtok)",
    "demand_mtok": "demand (Mtok)",
    "capex_usd": "capex per unit (USD)",
    "power_kw": "power per unit (kW)",
    "power_mw": "power cap (MW)",
    "rack_positions": "rack positions",
    "capex_budget_usd": "capex budget (USD)",
    "electricity_usd_per_mwh": "electricity (USD/MWh)",
    "pue": "PUE",
    "discount_rate": "discount rate",
    "utilization": "utilization",
    "min_interactivity": "min speed (tok/s/user)",
    "max_ttft_s": "max time to first token (s)",
    "lifetime_years": "lifetime (years)",
    "min_power_share": "min share of power",
    "max_power_share": "max share of power",
    "existing_units": "existing units",
    "max_units": "max units",
    "min_units": "min units",
    "gpus_per_unit": "GPUs per unit",
    "period_years": "period length (years)",
}
_KEY = re.compile(
    r"^(?:(?P<list>tiers|hardware)\[(?P<id>[^\]]+)\]\.|(?P<site>site)\.)?"
    r"(?:price_menu\[(?P<entry>[^\]]+)\]\.)?"
    r"(?P<field>[a-z_]+)(?:\[(?P<period>[^\]]+)\])?(?P<factor>:factor)?$"
)


def human_label(key: str) -> str:
    """A key path as a reader says it: ``tiers[premium].price_usd_per_mtok`` ->
    "premium tier: price (USD/Mtok)", ``site.power_mw[2027]`` -> "site: power cap (MW)
    in 2027". Unknown forms are returned as they are."""
    m = _KEY.match(key)
    if m is None:
        return key
    field = _FIELD_LABELS.get(m["field"], m["field"].replace("_", " "))
    if m["entry"] == "*":  # every entry of a price menu, moved together
        field = "menu " + {"price_usd_per_mtok": "prices (USD/Mtok)"}.get(
            m["field"], "demand (Mtok)" if m["field"] == "demand_mtok" else field
        )
    elif m["entry"] is not None:
        field = f"menu entry {m['entry']}: {field}"
    if m["list"] == "tiers":
        text = f"every tier: {field}" if m["id"] == "*" else f"{m['id']} tier: {field}"
    elif m["list"] == "hardware":
        text = f"every unit: {field}" if m["id"] == "*" else f"{m['id']}: {field}"
    elif m["site"]:
        text = f"site: {field}"
    else:
        text = field
    if m["period"] == "*":
        text += ", every period"
    elif m["period"]:
        text += f" in {m['period']}"
    if m["factor"]:
        text += " (× base)"
    return text


def _wrap_key(key: str, width: int) -> str:
    """Break a long key path at its dots (then anywhere) to fit ``width`` characters."""
    if len(key) <= width:
        return key
    parts = key.split(".")
    lines: list[str] = []
    for i, part in enumerate(parts):
        piece = part + ("." if i < len(parts) - 1 else "")
        if lines and len(lines[-1]) + len(piece) <= width:
            lines[-1] += piece
        else:
            lines.extend(textwrap.wrap(piece, width) or [piece])
    return "\n".join(lines)


# ---------------------------------------------------------------------------- chart
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
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

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
    shown = all_inputs[:MAX_INPUTS]
    n_col = len(shown)
    line_mode = len(all_inputs) == 1

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
    drawn_hw: set[str] = set()  # hardware whose drawn line is not flat at zero
    n, n_ok = len(table), int(ok.sum())

    # Text first, so the panels can make room for it.
    wrap_width = max(20, int(110 / n_col))
    xlabels = [_axis_label(k, wrap_width, n_col) for k in shown]
    colour_key = {k: _colour_input(k, all_inputs) for k in shown} if not line_mode else {}
    colour_titles = {
        k: "\n".join(textwrap.wrap("colour: " + human_label(_strip_factor(c)), wrap_width))
        for k, c in colour_key.items()
    }
    sub_lines = _subtitle(n, ok, obj, status, X, all_inputs)
    xlabel_lines = max(t.count("\n") + 1 for t in xlabels)
    ctitle_lines = max((t.count("\n") + 1 for t in colour_titles.values()), default=0)
    line_h = 0.028  # one line of 10.5 pt text, in figure height
    top = (0.805 if line_mode else 0.775) - line_h * (len(sub_lines) - 1)
    top -= 0.024 * max(0, ctitle_lines - 1)
    bottom = 0.17 + 0.03 * xlabel_lines

    with deck_style():
        fig = Figure(figsize=DECK_SIZE_IN, dpi=DPI)
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
        any_median = False
        axes_top: list[Axes] = []
        axes_bot: list[Axes] = []
        for j in range(n_col):
            at = fig.add_subplot(gs[0, j], sharey=axes_top[0] if axes_top else None)
            ab = fig.add_subplot(gs[1, j], sharex=at, sharey=axes_bot[0] if axes_bot else None)
            axes_top.append(at)
            axes_bot.append(ab)

        for j, key in enumerate(shown):
            at, ab = axes_top[j], axes_bot[j]
            x = X[key]
            unit, fmt = input_unit(key)
            good = ok & np.isfinite(x)
            distinct = np.unique(x[np.isfinite(x)])

            if line_mode:
                xs, ys = binned_median(x[good], obj[good], max_bins=10**9)
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
                for h in used_hw:
                    xh, yh = binned_median(x[good], units[h][good], max_bins=10**9)
                    if np.nanmax(np.abs(yh), initial=0.0) > 0:  # a line flat at 0: not drawn
                        ab.plot(xh, yh, color=palette[h], lw=2.0, marker="o", ms=3.5, zorder=3)
                        drawn_hw.add(h)
            else:
                ckey = colour_key[key]
                cval = X[ckey]
                finite_c = cval[np.isfinite(cval)]
                c_distinct = np.unique(finite_c)
                norm = Normalize(
                    float(finite_c.min()) if len(finite_c) else 0.0,
                    float(finite_c.max()) if len(finite_c) else 1.0,
                )
                cmap = colormaps[_CMAP]
                family = _is_grid_family(x, cval, good, len(all_inputs))
                if family:  # a two-input grid: one line per value of the other input
                    for cv in c_distinct:
                        sel = good & (cval == cv)
                        order = np.argsort(x[sel])
                        at.plot(
                            x[sel][order],
                            obj[sel][order],
                            color=cmap(norm(cv)),
                            lw=1.4,
                            alpha=0.9,
                            zorder=2,
                        )
                sc = at.scatter(
                    x[good],
                    obj[good],
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
                    xs, ys = binned_median(x[good], obj[good])
                    at.plot(xs, ys, color=_MEDIAN_COLOR, lw=2.0, zorder=4)
                    any_median = True
                # A colour bar over the panel, its label above it, says what the colour is.
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
                cb.ax.set_title(
                    colour_titles[key],
                    fontsize=8.5,
                    color="#444444",
                    loc="left",
                    pad=12,
                    fontweight="normal",
                )
                for h in used_hw:
                    ab.scatter(
                        x[good],
                        units[h][good],
                        s=9,
                        color=palette[h],
                        alpha=0.22,
                        linewidths=0,
                        zorder=2,
                    )
                    xh, yh = binned_median(x[good], units[h][good])
                    if np.nanmax(np.abs(yh), initial=0.0) > 0:  # a median flat at 0: dots only
                        ab.plot(xh, yh, color=palette[h], lw=2.0, zorder=3)
                        drawn_hw.add(h)

            # Scenarios without a plan: red x at the foot of the objective panel.
            bad = ~ok & np.isfinite(x)
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

            # x: every scenario's value in range (with and without a plan).
            lo_x, hi_x = float(distinct.min()), float(distinct.max())
            margin = (hi_x - lo_x) * 0.04 or abs(lo_x) * 0.05 or 0.5
            at.set_xlim(lo_x - margin, hi_x + margin)
            ab.set_xlabel(xlabels[j], fontsize=11 if n_col <= 2 else 10)
            ab.xaxis.set_major_formatter(FuncFormatter(lambda v, _, f=fmt: f(v)))
            if line_mode and 1 < len(distinct) <= 13:
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
            if j > 0:
                at.tick_params(labelleft=False)
                ab.tick_params(labelleft=False)
            for ax in (at, ab):
                ax.set_axisbelow(True)

        at0, ab0 = axes_top[0], axes_bot[0]
        at0.set_ylabel("Objective (USD)")
        ab0.set_ylabel("Units bought\n(all periods)")
        if n_ok:
            at0.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _compact(v, "$")))
            at0.yaxis.set_major_locator(MaxNLocator(5))
            lo, hi = float(np.nanmin(obj[ok])), float(np.nanmax(obj[ok]))
            pad = (hi - lo) * 0.08 or abs(hi) * 0.02 or 1.0
            at0.set_ylim(lo - pad * 1.8, hi + pad * (1.6 if line_mode else 1.0))
        else:
            at0.yaxis.set_major_locator(NullLocator())
            for at in axes_top:
                at.text(
                    0.5,
                    0.5,
                    "no scenario has a plan",
                    transform=at.transAxes,
                    ha="center",
                    va="center",
                    color=_FAIL_COLOR,
                )
        if used_hw:
            ab0.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ab0.yaxis.set_major_locator(MaxNLocator(5, integer=True))
            top_u = max(float(np.nanmax(units[h][ok])) for h in used_hw) if n_ok else 1.0
            ab0.set_ylim(bottom=-0.03 * top_u)  # a line at 0 shows above the axis line
        else:
            ab0.set_ylim(0, 1)
            ab0.yaxis.set_major_locator(NullLocator())
            for ab in axes_bot:
                ab.text(
                    0.5,
                    0.5,
                    "nothing bought" if n_ok else "no plan",
                    transform=ab.transAxes,
                    ha="center",
                    va="center",
                    color="#777777",
                )

        # Legend under the panels: hardware, then the markers.
        handles: list[Any] = [
            Line2D([], [], color=palette[h], lw=2.2, label=h) for h in used_hw if h in drawn_hw
        ]
        if n_ok and (line_mode or any_median):
            handles.append(
                Line2D(
                    [],
                    [],
                    color=_MEDIAN_COLOR,
                    lw=2.0,
                    marker="o" if line_mode else None,
                    ms=4.5,
                    label="objective" if line_mode else "median (binned)",
                )
            )
        if n_ok < n:
            handles.append(
                Line2D(
                    [], [], ls="", marker="x", color=_FAIL_COLOR, ms=6.5, mew=1.6, label="no plan"
                )
            )
        fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.09, bottom - 0.03 * xlabel_lines - 0.05),
            ncol=min(len(handles), 8),
            fontsize=9.5,
            columnspacing=1.6,
            handlelength=1.8,
        )

        flat = [h for h in used_hw if h not in drawn_hw]
        if flat:  # bought in a few scenarios only: their median line lies on zero
            fig.text(
                0.10,
                0.012,
                "Median zero (bought in few scenarios, dots only): " + ", ".join(flat),
                fontsize=8.5,
                color="#555555",
                ha="left",
                va="bottom",
            )

        # Title, subtitle and notes.
        what = (
            f"vs {human_label(_strip_factor(all_inputs[0]))}"
            if line_mode
            else f"vs {len(all_inputs)} swept inputs"
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
        if len(all_inputs) > MAX_INPUTS:
            rest = all_inputs[MAX_INPUTS:]
            fig.text(
                0.985,
                0.012,
                f"Showing the first {MAX_INPUTS} of {len(all_inputs)} inputs; not drawn: "
                + ", ".join(_strip_factor(k) for k in rest[:4])
                + (f" and {len(rest) - 4} more" if len(rest) > 4 else "")
                + " (choose with --input).",
                fontsize=8.5,
                color="#555555",
                ha="right",
                va="bottom",
            )
        return fig


def _axis_label(key: str, width: int, n_col: int) -> str:
    """The key path and its unit: one line when it fits, else the unit on a line of its own."""
    unit = input_unit(key)[0]
    name = human_label(_strip_factor(key))
    if name != _strip_factor(key):  # a known field: its label already carries its unit
        text = name + (" (× base value)" if key.endswith(":factor") else "")
        if "(" not in name and not key.endswith(":factor"):
            text += f" ({unit})"
        return "\n".join(textwrap.wrap(text, width)) or text
    one = f"{_strip_factor(key)} ({unit})"
    if len(one) <= width:
        return one
    return f"{_wrap_key(_strip_factor(key), width)}\n({unit})"


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


def _strip_factor(key: str) -> str:
    return key[: -len(":factor")] if key.endswith(":factor") else key


def _subtitle(
    n: int,
    ok: np.ndarray,
    obj: np.ndarray,
    status: np.ndarray,
    X: Mapping[str, np.ndarray],
    inputs: Sequence[str],
    width: int = 125,
) -> list[str]:
    """Scenario counts (kind of sweep, with/without a plan) and the objective's spread,
    as lines of at most about ``width`` characters."""
    distinct = [len(np.unique(X[k][np.isfinite(X[k])])) for k in inputs]
    grid = int(np.prod(distinct)) == n and all(d <= 50 for d in distinct)
    if len(inputs) == 1 and grid:
        kind = f"{n} scenarios (grid of {distinct[0]} values)"
    elif grid:
        kind = f"{n} scenarios (grid {' × '.join(str(d) for d in distinct)})"
    else:
        kind = f"{n} scenarios"
    bits = [kind]
    n_ok = int(ok.sum())
    if n_ok:
        o = obj[ok]
        bits.append(
            f"objective median {fmt_usd(float(np.median(o)))}, "
            f"range {fmt_usd(float(o.min()))} to {fmt_usd(float(o.max()))}"
        )
    if n_ok < n:
        counts = pd.Series(status[~ok]).value_counts()
        why = ", ".join(f"{c} {s}" for s, c in counts.items())
        bits.append(f"no plan (x): {why}")
    tl = int(((status == "time_limit") & ok).sum())
    if tl:
        bits.append(f"{tl} stopped at the time limit (best plan found)")
    lines = [bits[0]]
    for b in bits[1:]:
        if len(lines[-1]) + 3 + len(b) <= width:
            lines[-1] += " · " + b
        else:
            lines.append(b)
    return lines
