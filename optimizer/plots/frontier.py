"""The frontier chart of NVIDIA's GTC keynote: throughput per MW against speed per user.

y = tokens/s per MW of facility power = ``tok_s_per_gpu * gpus_per_unit /
(power_kw * pue / 1000)``; x = tokens/s each user sees (interactivity), log scale.
One curve per hardware: the Pareto envelope (MODEL.md step 3) of its rows for one
model at one context. Tiers of that model at that context are shaded as speed bands
from their ``min_interactivity``; with a plan, each (hardware, tier) pair it serves
is marked at the speed the tier sells, at the throughput the plan uses for it
(the coefficient r[h,t], which also applies the tier's TTFT cap), sized by units.

The data drawn is returned by :func:`frontier_series` and :func:`operating_points`,
so it can be checked or re-plotted elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer import fmt
from optimizer.errors import InputError
from optimizer.frontiers.coefficients import pareto_envelope
from optimizer.instance.schema import Instance, PeriodLabel, Tier
from optimizer.plots import (
    DECK_SIZE_IN,
    DPI,
    deck_style,
    fmt_count,
    fmt_price,
    hardware_colors,
    safe_name,
    save_png_atomic,
    tier_colors,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from optimizer.results.plan import Plan

_AXES_BOX = (0.075, 0.14, 0.685, 0.66)  # left, bottom, width, height (figure fraction)
_LABEL_BASE_PT = 5.0  # tier labels: gap above the axes, and height of one level, in points
_LEVEL_PT = 28.0

SERIES_COLUMNS = [
    "hardware",
    "model",
    "context_tokens",
    "interactivity",
    "tok_s_per_gpu",
    "ttft_s",
    "gpus_per_unit",
    "power_kw",
    "pue",
    "tok_s_per_mw",
]
POINT_COLUMNS = [
    "hardware",
    "tier",
    "interactivity",
    "r_tok_s_per_gpu",
    "tok_s_per_mw",
    "curve_tok_s_per_mw",
    "ttft_limited",
    "units",
    "units_min",
    "first_period",
    "last_period",
    "n_periods",
]


# --------------------------------------------------------------------------- data
def available_models(table: pd.DataFrame) -> list[str]:
    return sorted(str(m) for m in table["model"].unique())


def default_model(instance: Instance, table: pd.DataFrame) -> str:
    """The model most tiers sell (ties: the first tier's), else the table's first model."""
    in_table = set(available_models(table))
    counts: dict[str, int] = {}
    for t in instance.tiers:
        if t.model in in_table:
            counts[t.model] = counts.get(t.model, 0) + 1
    if counts:
        return max(counts, key=lambda m: counts[m])  # dicts keep first-seen order on ties
    models = available_models(table)
    if not models:
        raise InputError("frontiers: the frontier table has no rows")
    return models[0]


def resolve_model_context(
    instance: Instance,
    table: pd.DataFrame,
    model: str | None = None,
    context_tokens: int | None = None,
) -> tuple[str, int]:
    """Check (or default) the model and context to plot; InputError names what exists."""
    models = available_models(table)
    if model is None:
        model = default_model(instance, table)
    elif model not in models:
        raise InputError(
            f"model: unknown model {model!r}; models in the frontier table: {', '.join(models)}"
        )
    contexts = sorted(int(c) for c in table.loc[table["model"] == model, "context_tokens"].unique())
    if context_tokens is None:
        return model, contexts[0]
    if int(context_tokens) not in contexts:
        raise InputError(
            f"context_tokens: model {model!r} has no rows at context {context_tokens}; "
            f"contexts in the frontier table: {', '.join(str(c) for c in contexts)}"
        )
    return model, int(context_tokens)


def frontier_series(
    instance: Instance,
    table: pd.DataFrame,
    model: str | None = None,
    context_tokens: int | None = None,
) -> pd.DataFrame:
    """The curves the chart draws: each hardware's Pareto envelope, in tokens/s per facility MW.

    One row per envelope point, columns ``SERIES_COLUMNS``; hardware in the instance's
    order, then by interactivity. ``tok_s_per_mw = tok_s_per_gpu * gpus_per_unit /
    (power_kw * pue / 1000)``. Hardware of the table that the instance does not list,
    or that draws no power, is left out.
    """
    model, ctx = resolve_model_context(instance, table, model, context_tokens)
    pue = float(instance.site.pue)
    hw = pd.DataFrame(
        {
            "hardware": [h.id for h in instance.hardware],
            "gpus_per_unit": [h.gpus_per_unit for h in instance.hardware],
            "power_kw": [float(h.power_kw) for h in instance.hardware],
            "_order": range(len(instance.hardware)),
        }
    )
    rows = table[(table["model"] == model) & (table["context_tokens"] == ctx)].copy()
    if "ttft_s" not in rows:
        rows["ttft_s"] = np.nan
    rows = rows[["hardware", "model", "context_tokens", "interactivity", "tok_s_per_gpu", "ttft_s"]]
    rows = rows.merge(hw, on="hardware")
    rows = rows[rows["power_kw"] > 0]
    if rows.empty:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    env = pareto_envelope(rows, ["hardware"])
    env["pue"] = pue
    env["tok_s_per_mw"] = (
        env["tok_s_per_gpu"] * env["gpus_per_unit"] / (env["power_kw"] * pue / 1000.0)
    )
    env = env.sort_values(["_order", "interactivity"]).reset_index(drop=True)
    return env[SERIES_COLUMNS]


def curve_value(series: pd.DataFrame, hardware: str, interactivity: float) -> float:
    """tok/s per MW on a hardware's envelope at a speed, by MODEL.md step 4 (no TTFT cap):
    linear between points, the peak below the slowest point, NaN above the fastest."""
    s = series[series["hardware"] == hardware].sort_values("interactivity")
    if s.empty:
        return float("nan")
    x, y = s["interactivity"].to_numpy(float), s["tok_s_per_mw"].to_numpy(float)
    return float(np.interp(interactivity, x, y, left=y.max(), right=np.nan))


def _ttft_capped(
    instance: Instance, table: pd.DataFrame, series: pd.DataFrame, tiers: list[Tier]
) -> list[tuple[str, float, float]]:
    """(hardware, tier speed, curve value) where a drawn curve reaches a tier's speed but the
    pair is unusable because the rows there miss the tier's TTFT cap."""
    from optimizer.frontiers.coefficients import compute_coefficients

    if not tiers or series.empty:
        return []
    pairs = compute_coefficients(table, instance).pairs
    out = []
    for t in tiers:
        if t.max_ttft_s is None:
            continue
        for h_id in pd.unique(series["hardware"]):
            row = pairs[(pairs["hardware"] == h_id) & (pairs["tier"] == t.id)]
            if row.empty or bool(row["usable"].iloc[0]):
                continue
            if not str(row["reason"].iloc[0]).startswith("TTFT too high"):
                continue
            y = curve_value(series, str(h_id), float(t.min_interactivity))
            if np.isfinite(y):
                out.append((str(h_id), float(t.min_interactivity), y))
    return out


def tiers_at_context(
    instance: Instance, table: pd.DataFrame, model: str, ctx: int
) -> tuple[list[Tier], list[tuple[Tier, int | None]]]:
    """Tiers of ``model`` whose rows are taken at context ``ctx`` (step 1: the smallest table
    context >= the tier's), and the model's other tiers with the context they use (or None)."""
    contexts = sorted(int(c) for c in table.loc[table["model"] == model, "context_tokens"].unique())
    here: list[Tier] = []
    elsewhere: list[tuple[Tier, int | None]] = []
    for t in instance.tiers:
        if t.model != model:
            continue
        used = next((c for c in contexts if c >= t.context_tokens), None)
        if used == ctx:
            here.append(t)
        else:
            elsewhere.append((t, used))
    return here, elsewhere


def operating_points(
    instance: Instance,
    table: pd.DataFrame,
    plan: Plan | None,
    model: str | None = None,
    context_tokens: int | None = None,
    period: PeriodLabel | None = None,
) -> pd.DataFrame:
    """The plan's operating points on this chart: one row per (hardware, tier) it serves.

    ``interactivity`` is the tier's min_interactivity; ``tok_s_per_mw`` is the plan's
    coefficient r[h,t] in tokens/s per facility MW (the tier's TTFT cap applied);
    ``curve_tok_s_per_mw`` the envelope's value there without the TTFT cap
    (``ttft_limited`` when the plan's point is below it). ``units`` is the most units
    serving the pair in any period (or in ``period``), ``units_min`` the fewest in a
    period where it is served.
    """
    model, ctx = resolve_model_context(instance, table, model, context_tokens)
    empty = pd.DataFrame(columns=POINT_COLUMNS)
    if plan is None or plan.serve is None or plan.serve.empty or plan.coefficients.empty:
        return empty
    serve = plan.serve.copy()
    if period is not None:
        serve = serve[serve["period"].astype(str) == str(period)]
    if serve.empty:
        return empty
    serve["_pi"] = [instance.period_index(p) for p in serve["period"]]
    coef = plan.coefficients
    coef = coef[(coef["model"] == model) & (coef["context_tokens"] == ctx)]
    df = serve.merge(coef[["hardware", "tier", "r_tok_s_per_gpu"]], on=["hardware", "tier"])
    if df.empty:
        return empty
    g = (
        df.groupby(["hardware", "tier"], sort=False)
        .agg(
            units=("units", "max"),
            units_min=("units", "min"),
            first_pi=("_pi", "min"),
            last_pi=("_pi", "max"),
            n_periods=("_pi", "nunique"),
            r_tok_s_per_gpu=("r_tok_s_per_gpu", "first"),
        )
        .reset_index()
    )
    hw = {h.id: h for h in instance.hardware}
    tiers = {t.id: t for t in instance.tiers}
    pue = float(instance.site.pue)
    series = frontier_series(instance, table, model, ctx)
    g["interactivity"] = [float(tiers[t].min_interactivity) for t in g["tier"]]
    g["tok_s_per_mw"] = [
        r * hw[h].gpus_per_unit / (hw[h].power_kw * pue / 1000.0)
        for h, r in zip(g["hardware"], g["r_tok_s_per_gpu"], strict=True)
    ]
    g["curve_tok_s_per_mw"] = [
        curve_value(series, h, x) for h, x in zip(g["hardware"], g["interactivity"], strict=True)
    ]
    g["ttft_limited"] = g["tok_s_per_mw"] < g["curve_tok_s_per_mw"] * (1 - 1e-6)
    P = list(instance.periods)
    g["first_period"] = [P[i] for i in g["first_pi"]]
    g["last_period"] = [P[i] for i in g["last_pi"]]
    order_h = {h.id: i for i, h in enumerate(instance.hardware)}
    order_t = {t.id: i for i, t in enumerate(instance.tiers)}
    g = g.sort_values(
        ["tier", "hardware"], key=lambda s: s.map(order_t if s.name == "tier" else order_h)
    ).reset_index(drop=True)
    return g[POINT_COLUMNS]


# --------------------------------------------------------------------------- chart
def default_frontier_path(instance: Instance, model: str) -> Path:
    return Path("results") / safe_name(instance.name) / f"frontier-{safe_name(model)}.png"


def _price_text(instance: Instance, tier: Tier, period: PeriodLabel | None) -> str:
    prices = instance.shown_prices(tier)
    P = list(instance.periods)
    if period is not None:
        i = instance.period_index(period)
        return f"{fmt_price(prices[i])}/Mtok"
    if all(p == prices[0] for p in prices):
        return f"{fmt_price(prices[0])}/Mtok"
    return f"{fmt_price(prices[0])}/Mtok in {P[0]}"


def _period_span(first: PeriodLabel, last: PeriodLabel) -> str:
    return str(first) if str(first) == str(last) else f"{first}-{last}"


def _units_text(u_min: float, u_max: float) -> str:
    def f(u: float) -> str:
        return f"{u:,.0f}" if u >= 10 or abs(u - round(u)) < 0.05 else f"{u:,.1f}"

    return f"{f(u_max)} units" if f(u_min) == f(u_max) else f"{f(u_min)}-{f(u_max)} units"


def _spread(
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


def plot_frontier(
    instance: Instance,
    table: pd.DataFrame,
    plan: Plan | None = None,
    model: str | None = None,
    context_tokens: int | None = None,
    out_path: str | Path | None = None,
    *,
    period: PeriodLabel | None = None,
    log_y: bool = False,
) -> Path:
    """Draw the chart of :func:`frontier_figure` and write it as a PNG; returns the path.

    ``out_path`` defaults to ``results/<instance name>/frontier-<model>.png``.
    """
    model, _ = resolve_model_context(instance, table, model, context_tokens)
    out = Path(out_path) if out_path is not None else default_frontier_path(instance, model)
    fig = frontier_figure(instance, table, plan, model, context_tokens, period=period, log_y=log_y)
    return save_png_atomic(fig, out)


def frontier_figure(
    instance: Instance,
    table: pd.DataFrame,
    plan: Plan | None = None,
    model: str | None = None,
    context_tokens: int | None = None,
    *,
    period: PeriodLabel | None = None,
    log_y: bool = False,
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

    Raises
    ------
    InputError
        Unknown model, or a context the table has no rows at for it.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

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
    shown, elsewhere = tiers_at_context(instance, table, model, ctx)
    shown = sorted(shown, key=lambda t: t.min_interactivity)
    hw_color = hardware_colors(instance)
    t_color = tier_colors(instance)
    hw = {h.id: h for h in instance.hardware}
    pue = float(instance.site.pue)

    with deck_style():
        fig = Figure(figsize=DECK_SIZE_IN, dpi=DPI)
        ax: Axes = fig.add_axes(_AXES_BOX)

        xs = list(series["interactivity"]) + [t.min_interactivity for t in shown]
        xs = [x for x in xs if x > 0] or [1.0, 100.0]
        xmin, xmax = min(xs) / 1.35, max(xs) * 1.3
        ax.set_xscale("log")
        ax.set_xlim(xmin, xmax)
        ymax = float(series["tok_s_per_mw"].max()) if len(series) else 1.0
        if log_y:
            ax.set_yscale("log")
            ymin = (
                float(series["tok_s_per_mw"][series["tok_s_per_mw"] > 0].min())
                if len(series)
                else 0.1
            )
            ax.set_ylim(ymin / 1.6, ymax * 1.6)
        else:
            ax.set_ylim(0, ymax * 1.08)

        # Tier speed bands: from each tier's min_interactivity to the next tier's; labels
        # above the axes, stacked where they would overlap.
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
                f"{t.id}  {_price_text(instance, t, period)}\n"
                f"≥ {t.min_interactivity:g} tok/s/user{ttft}"
            )
            labels.append(
                ax.annotate(
                    text,
                    xy=(t.min_interactivity, 1.0),
                    xycoords=("data", "axes fraction"),
                    xytext=(0, _LABEL_BASE_PT),
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
        levels = _stack_labels(fig, labels)
        if levels:
            x0, y0, w, h = _AXES_BOX
            ax.set_position((x0, y0, w, h - levels * _LEVEL_PT / 72 / DECK_SIZE_IN[1]))

        # One curve per hardware; dotted: the flat extension below its slowest point.
        handles = []
        for h_id, s in series.groupby("hardware", sort=False):
            c = hw_color[h_id]
            x, y = s["interactivity"].to_numpy(float), s["tok_s_per_mw"].to_numpy(float)
            # Dense in x, so that on log axes the line is the model's interpolation (linear in
            # interactivity and throughput), and a plan point sits exactly on it.
            xd = np.unique(
                np.concatenate(
                    [np.geomspace(a, b, 24) for a, b in zip(x[:-1], x[1:], strict=True)] + [x]
                )
            )
            ax.plot(xd, np.interp(xd, x, y), "-", color=c, lw=2.4, zorder=3)
            ax.plot(x, y, "o", color=c, ms=4.5, zorder=3)
            handles.append(
                Line2D(
                    [],
                    [],
                    color=c,
                    lw=2.4,
                    marker="o",
                    ms=4.5,
                    label=f"{h_id}\n{hw[h_id].gpus_per_unit} GPUs, "
                    f"{hw[h_id].power_kw:g} kW per unit",
                )
            )
            ax.plot([xmin, x[0]], [y[0], y[0]], ":", color=c, lw=1.6, zorder=2)

        # Where a curve crosses a tier's speed but its rows there miss the tier's TTFT cap,
        # the pair is unusable: an x marks it (the curve alone suggested it could serve).
        capped = _ttft_capped(instance, table, series, shown)
        for h_id, x_t, y_t in capped:
            ax.plot([x_t], [y_t], "X", color=hw_color[h_id], mec="black", ms=11, zorder=7)
        if capped:
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker="X",
                    ms=10,
                    mfc="#888888",
                    mec="black",
                    label="unusable for the tier\n(TTFT cap at its speed)",
                )
            )

        # The plan's operating points.
        if len(points):
            u_all = float(points["units"].max()) or 1.0
            for _, p in points.iterrows():
                size = 70 + 380 * np.sqrt(p["units"] / u_all)
                ax.scatter(
                    [p["interactivity"]],
                    [p["tok_s_per_mw"]],
                    s=size,
                    color=hw_color[p["hardware"]],
                    edgecolor="black",
                    linewidth=1.3,
                    zorder=6,
                )
            _label_points(ax, points, hw_color, log_y, period is None and len(instance.periods) > 1)
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker="o",
                    ms=10,
                    mfc="#888888",
                    mec="black",
                    label="plan: units serving a tier\nat its speed (size ∝ units)",
                )
            )
        if len(series):
            handles.append(
                Line2D(
                    [],
                    [],
                    ls=":",
                    color="#666666",
                    lw=1.6,
                    label="below the slowest point:\npeak throughput kept",
                )
            )
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.015, 1.0),
            fontsize=9.5,
            handlelength=2.2,
            labelspacing=0.9,
            borderaxespad=0.0,
        )

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

        title = f"{model}: throughput per MW vs. speed per user"
        fig.text(0.075, 0.965, title, fontsize=16, fontweight="bold", ha="left", va="top")
        sub = (
            f"{instance.name} · {ctx:,}-token context · facility power = IT power × PUE {pue:g}"
            f" · curves: Pareto envelope per hardware"
        )
        if plan is not None:
            sub += f" · plan: {'all periods' if period is None else period}"
        fig.text(0.075, 0.915, sub, fontsize=10.5, color="#555555", ha="left", va="top")

        notes = []
        if points is not None and len(points) and points["ttft_limited"].any():
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
        if notes:
            fig.text(
                0.075,
                0.018,
                "\n".join(notes),
                fontsize=8.5,
                color="#555555",
                ha="left",
                va="bottom",
            )
        return fig


def _stack_labels(fig: Any, labels: list[Any]) -> int:
    """Raise tier labels (annotations, in x order) a level each time one would overlap a
    label already placed on its level; returns the highest level used."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    placed: dict[int, list[tuple[float, float]]] = {}
    top = 0
    for ann in labels:
        level = 0
        while True:
            ann.xyann = (0, _LABEL_BASE_PT + _LEVEL_PT * level)
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


def _label_points(
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
        ys = _spread(frac, gap=0.062)
        for (_, p), y_lab, y0 in zip(grp.iterrows(), ys, frac, strict=True):
            x_ax = to_axes.transform((p["interactivity"], p["tok_s_per_mw"]))[0]
            text = _units_text(p["units_min"], p["units"])
            if spans:
                text += f" ({_period_span(p['first_period'], p['last_period'])})"
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
