"""The report's interactive frontier chart (Plotly): the deck chart's curves, plan points,
measured points and calibration band, with hover text naming each point's source.

The data are those of the PNG chart: :func:`optimizer.plots.frontier_data.frontier_series`,
:func:`~optimizer.plots.frontier_data.operating_points`,
:func:`optimizer.plots.measured.measured_points` and
:func:`~optimizer.plots.measured.calibration_band`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optimizer.plots import dense_x
from optimizer.plots.measured import BAND_LABEL, ROLE_LABELS
from optimizer.report.charts import _layout, colors_for, log_ticks

# Plotly marker symbols of a measured point: shape by bound, open for held-out points.
_SYMBOL = {"point": "diamond", "lower": "triangle-up"}
_USER_SYMBOL = "cross"
BAND_OPACITY = 0.14


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _curve_traces(fig: go.Figure, series: pd.DataFrame, col: Mapping[str, str]) -> None:
    for h in [str(v) for v in pd.unique(series["hardware"])]:
        sub = series[series["hardware"] == h].sort_values("interactivity")
        x = sub["interactivity"].to_numpy(float)
        y = sub["tok_s_per_mw"].to_numpy(float)
        # The model interpolates linearly in interactivity; on a log axis a straight segment
        # between table points is not that line, and the plan's points (on the model's line)
        # sat off the drawn curve. Dense points draw the model's own line.
        xd = dense_x(x, 16)
        fig.add_trace(
            go.Scatter(
                name=h,
                legendgroup=h,
                x=xd,
                y=np.interp(xd, x, y) if len(x) > 1 else y,
                mode="lines",
                line={"color": col[h], "width": 2.5},
                hovertemplate=f"{h}<br>%{{x:,.4~g}} tok/s per user<br>"
                "%{y:,.0f} tok/s per facility MW<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                name=f"{h} (table rows)",
                legendgroup=h,
                showlegend=False,
                x=x,
                y=y,
                mode="markers",
                marker={"size": 5, "color": col[h]},
                hovertemplate=f"{h} (table row)<br>%{{x:,.4~g}} tok/s per user<br>"
                "%{y:,.0f} tok/s per facility MW<extra></extra>",
            )
        )


def _band_traces(fig: go.Figure, band: pd.DataFrame, col: Mapping[str, str]) -> None:
    """Per hardware: the band's upper edge (no line), then the lower edge filled up to it."""
    for h, b in band.groupby("hardware", sort=False):
        h = str(h)
        x = b["interactivity"].to_numpy(float)
        xd = dense_x(x, 16)
        r = b.iloc[0]
        text = (
            f"{h}: calibration band, modelled x {r['ratio_low']:.2f} to x {r['ratio_high']:.2f} "
            f"(10-90% of measured/modelled on the held-out points: {r['basis']})"
        )
        for edge in ("high", "low"):  # the low edge fills up to the high one drawn before it
            fig.add_trace(
                go.Scatter(
                    name=f"{h} band" + (" (high)" if edge == "high" else ""),
                    legendgroup=h,
                    showlegend=False,
                    x=xd,
                    y=np.interp(xd, x, b[edge].to_numpy(float)),
                    mode="lines",
                    line={"width": 0, "color": col[h]},
                    fill="tonexty" if edge == "low" else None,
                    fillcolor=_rgba(col[h], BAND_OPACITY) if edge == "low" else None,
                    hovertemplate=text + "<br>%{y:,.0f} tok/s per facility MW<extra></extra>",
                )
            )


def _measured_traces(fig: go.Figure, measured: pd.DataFrame, col: Mapping[str, str]) -> None:
    """One trace per (role, hardware): hover names the source, technique and workload."""
    for (role, bound, h), g in measured.groupby(["role", "bound", "hardware"], sort=False):
        h, role, bound = str(h), str(role), str(bound)
        label = ROLE_LABELS[role] + (" (lower bound)" if bound == "lower" else "")
        symbol = _USER_SYMBOL if role == "user" else _SYMBOL[bound]
        hover = [
            f"{h}: {label}<br>{r.technique + ', ' if r.technique else ''}{r.workload}"
            f"<br>source: {r.source}"
            for r in g.itertuples()
        ]
        fig.add_trace(
            go.Scatter(
                name=f"{h}: {label}",
                legendgroup=h,
                showlegend=False,
                x=g["interactivity"],
                y=g["tok_s_per_mw"],
                mode="markers",
                marker={
                    "symbol": symbol + ("-open" if role == "holdout" else ""),
                    "size": 10 if role == "user" else 9,
                    "color": col.get(h, "#888888"),
                    "line": {"color": "#111111" if role != "holdout" else col.get(h), "width": 1},
                },
                customdata=hover,
                hovertemplate="%{customdata}<br>%{x:,.4~g} tok/s per user<br>"
                "%{y:,.0f} tok/s per facility MW<extra></extra>",
            )
        )


def _key_traces(fig: go.Figure, measured: pd.DataFrame, band: pd.DataFrame) -> None:
    """Legend entries for the kinds of marks (grey, no data): what each symbol means."""
    grey = "#888888"
    keys: list[tuple[str, dict[str, object]]] = []
    for role, label in ROLE_LABELS.items():
        n = int((measured["role"] == role).sum())
        if n:
            sym = _USER_SYMBOL if role == "user" else "diamond"
            keys.append(
                (f"{label} ({n})", {"symbol": sym + ("-open" if role == "holdout" else "")})
            )
    n_lower = int((measured["bound"] == "lower").sum())
    if n_lower:
        keys.append((f"lower bound, a sparse sweep's best ({n_lower})", {"symbol": "triangle-up"}))
    for name, marker in keys:
        fig.add_trace(
            go.Scatter(
                name=name,
                x=[None],
                y=[None],
                mode="markers",
                marker={**marker, "size": 9, "color": grey},
                hoverinfo="skip",
            )
        )
    if not band.empty:
        fig.add_trace(
            go.Scatter(
                name=BAND_LABEL.replace("\n", " "),
                x=[None],
                y=[None],
                mode="markers",
                marker={"symbol": "square", "size": 12, "color": _rgba(grey, 0.35)},
                hoverinfo="skip",
            )
        )


def _plan_traces(fig: go.Figure, points: pd.DataFrame, col: Mapping[str, str]) -> None:
    if not len(points):
        return
    size = points["units"].astype(float)
    scale = 40.0 / max(float(np.sqrt(size.max())), 1.0)
    for h, grp in points.groupby("hardware", sort=False):
        fig.add_trace(
            go.Scatter(
                name=f"plan: {h}",
                legendgroup=str(h),
                x=grp["interactivity"],
                y=grp["tok_s_per_mw"],
                mode="markers",
                marker={
                    "size": np.maximum(8.0, np.sqrt(grp["units"].astype(float)) * scale),
                    "color": col.get(str(h), "#888888"),
                    "line": {"color": "#111111", "width": 1.5},
                },
                customdata=np.column_stack([grp["tier"], grp["units"]]),
                hovertemplate=f"plan: {h} serving %{{customdata[0]}}<br>"
                "up to %{customdata[1]:,.0f} units<br>%{x:,.4~g} tok/s per user<br>"
                "%{y:,.0f} tok/s per facility MW<extra></extra>",
            )
        )


def frontier(
    series: pd.DataFrame,
    points: pd.DataFrame,
    *,
    title: str,
    colors: Mapping[str, str] | None = None,
    measured: pd.DataFrame | None = None,
    band: pd.DataFrame | None = None,
) -> go.Figure:
    """Throughput per facility MW against tokens/s per user: one curve per hardware (click
    a legend entry to hide it with its band and points), the calibration band, measured
    points (hover: the source), the plan's operating points sized by units."""
    fig = go.Figure()
    names = [str(h) for h in pd.unique(series["hardware"])]
    col = colors_for(names, colors)
    empty = pd.DataFrame(columns=["hardware", "role", "bound", "interactivity", "tok_s_per_mw"])
    measured = measured if measured is not None else empty
    band = band if band is not None else pd.DataFrame(columns=["hardware"])
    _band_traces(fig, band, col)
    _curve_traces(fig, series, col)
    _measured_traces(fig, measured, col)
    _plan_traces(fig, points, col)
    _key_traces(fig, measured, band)
    _layout(
        fig,
        title,
        "interactivity (tokens/s per user, log scale)",
        "throughput (tokens/s per facility MW)",
        height=520,
    )
    xs = pd.concat(
        [pd.to_numeric(f["interactivity"], errors="coerce") for f in (series, points, measured)]
    ).dropna()
    vals, text = log_ticks(float(xs.min()), float(xs.max())) if len(xs) else ([], [])
    fig.update_xaxes(type="log", tickvals=vals or None, ticktext=text or None)
    ys = pd.concat([pd.to_numeric(f["tok_s_per_mw"]) for f in (series, points, measured)])
    if len(ys.dropna()):  # the band may rise above: keep the curves and points in view
        fig.update_yaxes(range=[0, float(ys.max()) * 1.08])
    return fig
