"""The frontier chart of NVIDIA's GTC keynote: throughput per MW against speed per user.

y = tokens/s per MW of facility power = ``tok_s_per_gpu * gpus_per_unit /
(power_kw * pue / 1000)``; x = tokens/s each user sees (interactivity), log scale.
One curve per hardware: the Pareto envelope (docs/model.md step 3) of its rows for one
model at one context. Tiers of that model at that context are shaded as speed bands
from their ``min_interactivity``; with a plan, each (hardware, tier) pair it serves
is marked at the speed the tier sells, at the throughput the plan uses for it
(the coefficient r[h,t], which also applies the tier's TTFT cap), sized by units.

Over the curves: the public measurements of that hardware, model and workload that the
generator was calibrated on (fitted, held out, lower bounds of sparse sweeps), a
planner's own points (``user_points``), and around each modelled curve the calibration
band (:mod:`optimizer.plots.measured`; docs/frontiers.md says how to read it).

The data drawn is returned by :func:`frontier_series`, :func:`operating_points`,
:func:`optimizer.plots.measured.measured_points` and
:func:`optimizer.plots.measured.calibration_band`, so it can be checked or re-plotted.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer import fmt
from optimizer.errors import InputError
from optimizer.instance.schema import Instance, PeriodLabel, Tier
from optimizer.plots import (
    DECK_SIZE_IN,
    DPI,
    deck_style,
    dense_x,
    fmt_count,
    hardware_colors,
    legend_entry,
    note_text,
    safe_name,
    save_png_atomic,
    tier_colors,
)
from optimizer.plots.frontier_data import (
    POINT_COLUMNS,
    SERIES_COLUMNS,
    _ttft_capped,
    available_models,
    curve_value,
    default_model,
    frontier_series,
    operating_points,
    resolve_model_context,
    tiers_at_context,
)
from optimizer.plots.frontier_labels import (
    LABEL_BASE_PT,
    LEVEL_PT,
    label_points,
    price_text,
    stack_labels,
)
from optimizer.plots.measured import (
    BAND_LABEL,
    ROLE_LABELS,
    band_summary,
    calibration_band,
    measured_points,
    unmatched_user_points,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from optimizer.results.plan import Plan

__all__ = [
    "POINT_COLUMNS",
    "SERIES_COLUMNS",
    "_ttft_capped",
    "available_models",
    "curve_value",
    "default_model",
    "default_frontier_path",
    "frontier_figure",
    "frontier_series",
    "operating_points",
    "plot_frontier",
    "resolve_model_context",
    "tiers_at_context",
]

_AXES_BOX = (0.075, 0.14, 0.685, 0.66)  # left, bottom, width, height (figure fraction)
BAND_ALPHA = 0.13
_NOTE_LINE = 8.5 * 1.25 / 72 / DECK_SIZE_IN[1]  # one line of the notes, in figure height
# Marker of a measured point: shape by bound, face by role (filled: fitted or yours;
# hollow: held out).
_MEASURED_MARKER = {"point": "D", "lower": "^"}
_USER_MARKER = "P"


def default_frontier_path(instance: Instance, model: str) -> Path:
    return Path("results") / safe_name(instance.name) / f"frontier-{safe_name(model)}.png"


def plot_frontier(
    instance: Instance,
    table: pd.DataFrame,
    plan: Plan | None = None,
    model: str | None = None,
    context_tokens: int | None = None,
    out_path: str | Path | None = None,
    **options: Any,
) -> Path:
    """Draw the chart of :func:`frontier_figure` (``options``: its keywords ``period``,
    ``log_y``, ``measured``, ``user_points``) and write it as a PNG; returns the path.

    ``out_path`` defaults to ``results/<instance name>/frontier-<model>.png``.
    """
    model, _ = resolve_model_context(instance, table, model, context_tokens)
    out = Path(out_path) if out_path is not None else default_frontier_path(instance, model)
    return save_png_atomic(
        frontier_figure(instance, table, plan, model, context_tokens, **options), out
    )


def frontier_figure(
    instance: Instance,
    table: pd.DataFrame,
    plan: Plan | None = None,
    model: str | None = None,
    context_tokens: int | None = None,
    *,
    period: PeriodLabel | None = None,
    log_y: bool = False,
    measured: bool = True,
    user_points: pd.DataFrame | None = None,
) -> Figure:
    """The throughput-per-MW frontier of ``model`` as a figure (nothing written).

    Parameters
    ----------
    instance, table:
        The instance and its frontier table (``Planner(instance).table``).
    plan:
        If given, mark the (hardware, tier) pairs it serves at this model and context.
    model:
        Model id of the table; default: the model most tiers sell.
    context_tokens:
        Context of the table rows to draw; default: the model's smallest.
    period:
        Mark only this period's operating points and show its prices (default: all periods).
    log_y:
        Log-scale throughput axis (linear by default, as in the keynote).
    measured:
        Draw the calibration's measured points and band (default: yes).
    user_points:
        A planner's own points (:func:`optimizer.plots.measured.read_user_points`).

    Raises
    ------
    InputError
        Unknown model, or a context the table has no rows at for it.
    """
    from matplotlib.figure import Figure

    model, ctx = resolve_model_context(instance, table, model, context_tokens)
    if period is not None:
        try:
            instance.period_index(period)
        except KeyError:
            raise InputError(
                f"period: {period} is not one of periods {fmt.labels(instance.periods)}"
            ) from None
    series = frontier_series(instance, table, model, ctx)
    points = operating_points(instance, table, plan, model, ctx, period)
    meas = measured_points(instance, series, user_points, calibration=measured)
    band = calibration_band(series) if measured else calibration_band(series.iloc[:0])
    shown, elsewhere = tiers_at_context(instance, table, model, ctx)
    shown = sorted(shown, key=lambda t: t.min_interactivity)
    hw_color = hardware_colors(instance)

    with deck_style():
        fig = Figure(figsize=DECK_SIZE_IN, dpi=DPI)
        ax: Axes = fig.add_axes(_AXES_BOX)
        xmin, xmax = _set_limits(ax, series, shown, meas, log_y)
        _tier_bands(fig, ax, instance, shown, xmax, period)
        handles = _draw_curves(ax, instance, series, hw_color, xmin)
        extra = _draw_band(ax, band, hw_color) + _draw_measured(ax, meas, hw_color)
        handles += extra
        handles += _draw_ttft_caps(ax, instance, table, series, shown, hw_color)
        handles += _draw_plan(
            ax, points, hw_color, log_y, period is None and len(instance.periods) > 1
        )
        if len(series):
            handles.append(
                legend_entry(
                    "below the slowest point:\npeak throughput kept",
                    ls=":",
                    color="#666666",
                    lw=1.6,
                )
            )
        crowded = bool(extra) and len(handles) > 10  # measured entries added to a long legend
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.015, 1.0),
            fontsize=8.5 if crowded else 9.5,
            handlelength=2.2,
            labelspacing=0.6 if crowded else 0.9,
            borderaxespad=0.0,
        )
        _format_axes(ax, log_y)
        _titles(fig, instance, model, ctx, plan, period)
        notes = _notes(model, plan, points, elsewhere, band, meas, user_points, series)
        if notes:
            lines = [w for n in notes for w in textwrap.wrap(n, 150)]
            note_text(fig, 0.075, 0.018, "\n".join(lines))
            if len(lines) > 2:  # the axes rise above the notes' lines past two
                x0, y0, w, h = ax.get_position().bounds
                lift = (len(lines) - 2) * _NOTE_LINE
                ax.set_position((x0, y0 + lift, w, h - lift))
        return fig


def _set_limits(
    ax: Axes, series: pd.DataFrame, shown: list[Tier], meas: pd.DataFrame, log_y: bool
) -> tuple[float, float]:
    """Log x over the curves, the tiers' speeds and the measured points; y from 0 (or log)."""
    xs = [*series["interactivity"], *(t.min_interactivity for t in shown), *meas["interactivity"]]
    xs = [float(x) for x in xs if x > 0] or [1.0, 100.0]
    xmin, xmax = min(xs) / 1.35, max(xs) * 1.3
    ax.set_xscale("log")
    ax.set_xlim(xmin, xmax)
    ys = pd.concat([series["tok_s_per_mw"], meas["tok_s_per_mw"]]).astype(float)
    ymax = float(ys.max()) if len(ys) else 1.0
    if log_y:
        ax.set_yscale("log")
        pos = ys[ys > 0]
        ax.set_ylim((float(pos.min()) if len(pos) else 0.1) / 1.6, ymax * 1.6)
    else:
        ax.set_ylim(0, ymax * 1.08)
    return xmin, xmax


def _tier_bands(
    fig: Figure, ax: Axes, instance: Instance, shown: list[Tier], xmax: float, period: Any
) -> None:
    """Tier speed bands: from each tier's min_interactivity to the next tier's; labels
    above the axes, stacked where they would overlap (the axes shrink to make room)."""
    t_color = tier_colors(instance)
    edges = [t.min_interactivity for t in shown] + [xmax]
    labels = []
    for i, t in enumerate(shown):
        c = t_color.get(t.id, "#999999")
        ax.axvspan(
            edges[i], edges[i + 1], color=c, alpha=0.10 if i % 2 == 0 else 0.16, lw=0, zorder=0
        )
        ax.axvline(t.min_interactivity, color=c, lw=1.4, ls=(0, (4, 3)), alpha=0.9, zorder=1)
        ttft = f" · TTFT ≤ {t.max_ttft_s:g} s" if t.max_ttft_s is not None else ""
        text = (
            f"{t.id}  {price_text(instance, t, period)}\n≥ {t.min_interactivity:g} tok/s/user{ttft}"
        )
        labels.append(
            ax.annotate(
                text,
                xy=(t.min_interactivity, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, LABEL_BASE_PT),
                textcoords="offset points",
                ha="left",
                va="bottom",
                fontsize=9.5,
                color="#222222",
                bbox={"boxstyle": "square,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.9},
                arrowprops={
                    "arrowstyle": "-",
                    "color": c,
                    "lw": 1.4,
                    "ls": (0, (4, 3)),
                    "relpos": (0.0, 0.0),
                    "shrinkA": 0,
                    "shrinkB": 0,
                },
                annotation_clip=False,
            )
        )
    levels = stack_labels(fig, labels)
    if levels:
        x0, y0, w, h = _AXES_BOX
        ax.set_position((x0, y0, w, h - levels * LEVEL_PT / 72 / DECK_SIZE_IN[1]))


def _draw_curves(
    ax: Axes, instance: Instance, series: pd.DataFrame, hw_color: dict[str, str], xmin: float
) -> list[Any]:
    """One curve per hardware; dotted: the flat extension below its slowest point."""
    hw = {h.id: h for h in instance.hardware}
    handles = []
    for h_id, s in series.groupby("hardware", sort=False):
        c = hw_color[h_id]
        x, y = s["interactivity"].to_numpy(float), s["tok_s_per_mw"].to_numpy(float)
        xd = dense_x(x)
        ax.plot(xd, np.interp(xd, x, y), "-", color=c, lw=2.4, zorder=3)
        ax.plot(x, y, "o", color=c, ms=4.5, zorder=3)
        handles.append(
            legend_entry(
                f"{h_id}\n{hw[h_id].gpus_per_unit} GPUs, {hw[h_id].power_kw:g} kW per unit",
                color=c,
                lw=2.4,
                marker="o",
                ms=4.5,
            )
        )
        ax.plot([xmin, x[0]], [y[0], y[0]], ":", color=c, lw=1.6, zorder=2)
    return handles


def _draw_band(ax: Axes, band: pd.DataFrame, hw_color: dict[str, str]) -> list[Any]:
    """The calibration band around each modelled curve, shaded in the curve's colour."""
    from matplotlib.patches import Patch

    for h_id, b in band.groupby("hardware", sort=False):
        x = b["interactivity"].to_numpy(float)
        xd = dense_x(x)
        lo = np.interp(xd, x, b["low"].to_numpy(float))
        hi = np.interp(xd, x, b["high"].to_numpy(float))
        ax.fill_between(
            xd, lo, hi, color=hw_color[str(h_id)], alpha=BAND_ALPHA, lw=0, zorder=1, label="_band"
        )
    if band.empty:
        return []
    return [Patch(facecolor="#888888", alpha=0.35, lw=0, label=BAND_LABEL)]


def _draw_measured(ax: Axes, meas: pd.DataFrame, hw_color: dict[str, str]) -> list[Any]:
    """Measured points over the curves: diamonds (fitted: filled; held out: hollow),
    triangles for lower bounds of sparse sweeps, plus signs for the planner's own."""
    for (h_id, role, bound), g in meas.groupby(["hardware", "role", "bound"], sort=False):
        c = hw_color[str(h_id)]
        marker = _USER_MARKER if role == "user" else _MEASURED_MARKER[str(bound)]
        ax.plot(
            g["interactivity"].to_numpy(float),
            g["tok_s_per_mw"].to_numpy(float),
            ls="none",
            marker=marker,
            ms=8 if role == "user" else 6.5,
            mfc="white" if role == "holdout" else c,
            mec=c if role == "holdout" else "black",
            mew=1.6 if role == "holdout" else 0.7,
            zorder=5,
            label=f"_measured {role} {bound}",
        )
    handles = []
    grey = "#888888"
    for role, label in ROLE_LABELS.items():
        n = int((meas["role"] == role).sum())
        if not n:
            continue
        handles.append(
            legend_entry(
                f"{label} ({n})",
                ls="none",
                marker=_USER_MARKER if role == "user" else "D",
                ms=8 if role == "user" else 6.5,
                mfc="white" if role == "holdout" else grey,
                mec=grey if role == "holdout" else "black",
                mew=1.6 if role == "holdout" else 0.7,
            )
        )
    n_lower = int((meas["bound"] == "lower").sum())
    if n_lower:
        handles.append(
            legend_entry(
                f"lower bound ({n_lower}): a sparse\nsweep's best; the envelope ≥ it",
                ls="none",
                marker="^",
                ms=6.5,
                mfc=grey,
                mec="black",
                mew=0.7,
            )
        )
    return handles


def _draw_ttft_caps(
    ax: Axes,
    instance: Instance,
    table: pd.DataFrame,
    series: pd.DataFrame,
    shown: list[Tier],
    hw_color: dict[str, str],
) -> list[Any]:
    """Where a curve crosses a tier's speed but its rows there miss the tier's TTFT cap,
    the pair is unusable: an x marks it (the curve alone suggested it could serve)."""
    capped = _ttft_capped(instance, table, series, shown)
    for h_id, x_t, y_t in capped:
        ax.plot([x_t], [y_t], "X", color=hw_color[h_id], mec="black", ms=11, zorder=7)
    if not capped:
        return []
    return [
        legend_entry(
            "unusable for the tier\n(TTFT cap at its speed)",
            ls="none",
            marker="X",
            ms=10,
            mfc="#888888",
            mec="black",
        )
    ]


def _draw_plan(
    ax: Axes, points: pd.DataFrame, hw_color: dict[str, str], log_y: bool, spans: bool
) -> list[Any]:
    """The plan's operating points, sized by units, each labelled."""
    if not len(points):
        return []
    u_all = float(points["units"].max()) or 1.0
    for _, p in points.iterrows():
        ax.scatter(
            [p["interactivity"]],
            [p["tok_s_per_mw"]],
            s=70 + 380 * np.sqrt(p["units"] / u_all),
            color=hw_color[p["hardware"]],
            edgecolor="black",
            linewidth=1.3,
            zorder=6,
        )
    label_points(ax, points, hw_color, log_y, spans)
    return [
        legend_entry(
            "plan: units serving a tier\nat its speed (size ∝ units)",
            ls="none",
            marker="o",
            ms=10,
            mfc="#888888",
            mec="black",
        )
    ]


def _format_axes(ax: Axes, log_y: bool) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    if log_y:
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_count(v)))
    ax.set_xlabel("Interactivity: tokens/s per user (log scale)")
    ax.set_ylabel("Throughput: tokens/s per MW of facility power")
    ax.grid(True, which="major")


def _titles(
    fig: Figure, instance: Instance, model: str, ctx: int, plan: Plan | None, period: Any
) -> None:
    title = f"{model}: throughput per MW vs. speed per user"
    fig.text(0.075, 0.965, title, fontsize=16, fontweight="bold", ha="left", va="top")
    sub = (
        f"{instance.name} · {ctx:,}-token context · facility power = IT power × PUE "
        f"{float(instance.site.pue):g} · curves: Pareto envelope per hardware"
    )
    if plan is not None:
        sub += f" · plan: {'all periods' if period is None else period}"
    fig.text(0.075, 0.915, sub, fontsize=10.5, color="#555555", ha="left", va="top")


def _notes(
    model: str,
    plan: Plan | None,
    points: pd.DataFrame,
    elsewhere: list[tuple[Tier, int | None]],
    band: pd.DataFrame,
    meas: pd.DataFrame,
    user_points: pd.DataFrame | None,
    series: pd.DataFrame,
) -> list[str]:
    """The lines under the chart: TTFT caps, other contexts, the band's ratios, sources."""
    notes = []
    if len(points) and points["ttft_limited"].any():
        notes.append(
            "TTFT cap (dashed label): the tier's max_ttft_s excludes the table rows that give "
            "more throughput at that speed, so the plan runs below the curve."
        )
    if elsewhere:
        parts = [f"{t.id} ({t.context_tokens:,}-token context)" for t, _ in elsewhere]
        notes.append(
            f"Other {model} tiers, at other contexts (not on this chart): {', '.join(parts)}."
        )
    if plan is not None and not getattr(plan, "has_solution", True):
        notes.append(f"No plan to mark: {plan.status}.")
    if not band.empty:
        notes.append(f"Band = curve x measured/modelled, 10-90%: {band_summary(band)}.")
    if (meas["role"] != "user").any():
        notes.append(
            "Measured points: optimizer/data/frontiers/calibration/points.csv (a source per "
            "row; output-only counts scaled to input + output)."
        )
    sources = [str(v) for v in pd.unique(meas.loc[meas["role"] == "user", "source"])]
    if sources:
        more = f" and {len(sources) - 3} more" if len(sources) > 3 else ""
        notes.append(f"Your points: {'; '.join(sources[:3])}{more}.")
    left_out = unmatched_user_points(user_points, series)
    if left_out:
        notes.append(f"{left_out} of your points are at another model, context or hardware.")
    return notes
