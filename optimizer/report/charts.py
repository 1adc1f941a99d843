"""Interactive charts of the report (Plotly): hover values, legend entries that toggle.

Every function returns a ``plotly.graph_objects.Figure`` with both axes titled with
their unit; colours follow the deck charts (:mod:`optimizer.plots`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optimizer.plots import _HW_PALETTE

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
CAP_COLOR = "#C0392B"


# Legends go under the plot, in rows: a legend beside it became a scroll box cutting entries
# (the frontier chart), one inside it covered data. Plotly grows the bottom margin to fit.
LEGEND_BELOW = {
    "orientation": "h",
    "x": 0.0,
    "xanchor": "left",
    "y": -0.2,
    "yanchor": "top",
    "bgcolor": "rgba(0,0,0,0)",
}


def _wrap_title(text: str, width: int = 38) -> str:
    """An axis title on lines of ``width`` characters: a long vertical title ran into the
    chart's title."""
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    if line:
        lines.append(line)
    return "<br>".join(lines)


def _layout(fig: go.Figure, title: str, x: str, y: str, **kw: Any) -> go.Figure:
    fig.update_layout(
        # the title in the container's top band, above the plot area and its axis titles
        title={
            "text": title,
            "x": 0.01,
            "xanchor": "left",
            "y": 0.98,
            "yanchor": "top",
            "yref": "container",
        },
        font={"family": FONT, "size": 13},
        template="plotly_white",
        margin={"l": 80, "r": 30, "t": 70, "b": 60},
        height=kw.pop("height", 440),
        legend={"title": {"text": kw.pop("legend_title", "")}, **LEGEND_BELOW},
        hoverlabel={"namelength": -1},
        **kw,
    )
    fig.update_xaxes(title_text=x, automargin=True)
    fig.update_yaxes(title_text=_wrap_title(y) if y else y, automargin=True)
    return fig


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks 1-2-5 per decade between ``lo`` and ``hi``, labelled in full (20, 50, 100):
    Plotly's own minor log labels read "2" and "5" for 20 and 50."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo <= 0 or hi <= 0:
        return [], []
    vals: list[float] = []
    for e in range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1):
        for m in (1, 2, 5):
            v = m * 10.0**e
            if lo / 1.0001 <= v <= hi * 1.0001:
                vals.append(v)
    return vals, [f"{v:,.10g}" for v in vals]


def usd_scale(values: Sequence[float] | np.ndarray) -> tuple[float, str]:
    """(divisor, name) for an axis of dollars: Plotly's SI ticks would read "G" for billions."""
    arr = np.asarray(values, dtype=float)
    top = float(np.nanmax(np.abs(arr))) if arr.size and np.isfinite(arr).any() else 0.0
    for div, name in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if top >= div:
            return div, name
    return 1.0, ""


def _period_key(v: str) -> tuple[int, float | str]:
    try:
        return (0, float(v))
    except ValueError:
        return (1, v)


def colors_for(names: Sequence[str], given: Mapping[str, str] | None = None) -> dict[str, str]:
    given = dict(given or {})
    out = {}
    for i, n in enumerate(names):
        out[n] = given.get(n, _HW_PALETTE[i % len(_HW_PALETTE)])
    return out


def period_trace(
    name: str,
    xs: Sequence[str],
    ys: Sequence[float],
    unit: str,
    *,
    line: Mapping[str, Any] | None = None,
    **style: Any,
) -> go.Bar | go.Scatter:
    """A bar trace of values per period (with ``line``: a line with markers), hovering
    "name / period: value unit"."""
    hover = f"{name}<br>%{{x}}: %{{y:,.4~g}} {unit}<extra></extra>"
    if line is not None:
        return go.Scatter(
            name=name, x=xs, y=ys, mode="lines+markers", line=dict(line), hovertemplate=hover
        )
    return go.Bar(name=name, x=xs, y=ys, hovertemplate=hover, **style)


def bars(
    df: pd.DataFrame,
    *,
    series: str,
    value: str,
    title: str,
    y_title: str,
    x: str = "period",
    x_title: str = "period",
    mode: str = "stack",
    colors: Mapping[str, str] | None = None,
    patterns: Mapping[str, str] | None = None,
    cap: pd.Series | None = None,
    cap_name: str = "cap",
    hover_unit: str = "",
    order: Sequence[str] | None = None,
    text: bool = False,
    x_order: Sequence[str] | None = None,
) -> go.Figure:
    """Bars per ``x`` value (periods, in order), one trace per ``series``.

    ``mode="stack"``: stacked, a series that is 0 everywhere left out, ``text`` writes each
    value inside its bar; dollars (``hover_unit="USD"``) in thousands, millions or billions;
    an optional ``cap`` drawn as a line. ``mode="group"``: side by side, each labelled with
    its value above it (a 5-unit bar beside a 1,000-unit one is invisible without it).
    ``colors`` / ``patterns`` by series name.
    """
    stack = mode == "stack"
    xs = list(x_order) if x_order is not None else sorted({str(v) for v in df[x]}, key=_period_key)
    scale, scale_name = usd_scale(df[value]) if hover_unit == "USD" and len(df) else (1.0, "")
    if scale_name:
        y_title = y_title.replace("USD", f"USD {scale_name}s", 1)
        df = df.assign(**{value: df[value].astype(float) / scale})
    unit = f"USD {scale_name}s" if scale_name else hover_unit
    names = list(order) if order is not None else [str(s) for s in pd.unique(df[series])]
    col = colors_for(names, colors) if stack else dict(colors or {})
    fig = go.Figure()
    for name in names:
        sub = df[df[series].astype(str) == name]
        vals = sub.groupby(sub[x].astype(str))[value].sum()
        # stacked: every x (0 where the series has none); grouped: the series' own x only
        here = xs if stack else [v for v in xs if v in vals.index]
        ys = [float(vals.get(v, 0.0)) for v in here]
        if stack and not any(ys):
            continue
        marker: dict[str, Any] = {"color": col[name]} if name in col else {}
        if patterns and patterns.get(name):
            marker["pattern"] = {"shape": patterns[name], "fgcolor": "#ffffff", "solidity": 0.3}
        labels = [f"{v:,.0f}" if v or not stack else "" for v in ys]
        fig.add_trace(
            go.Bar(
                name=name,
                x=here,
                y=ys,
                marker=marker or None,
                text=labels if text or not stack else None,
                textposition=("inside" if text else None) if stack else "outside",
                insidetextanchor="middle" if stack else None,
                cliponaxis=None if stack else False,
                hovertemplate=f"{name}<br>%{{x}}: "
                + (f"%{{y:,.4~g}} {unit}" if stack else "%{y:,.1f}")
                + "<extra></extra>",
            )
        )
    if cap is not None and len(cap):
        fig.add_trace(
            period_trace(
                cap_name,
                [str(v) for v in cap.index],
                [float(v) for v in cap.to_numpy()],
                hover_unit,
                line={"color": CAP_COLOR, "dash": "dash", "width": 2},
            )
        )
    _layout(fig, title, x_title, y_title, barmode=mode)
    if stack:
        fig.update_layout(legend={"traceorder": "reversed"})  # legend top-down as the stack
        fig.update_yaxes(tickformat=",~r" if hover_unit == "MW" else "~s")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=xs)
    return fig


def hbar(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    x_title: str,
    y_title: str,
    colors: Sequence[str] | None = None,
    hover: Sequence[str] | None = None,
) -> go.Figure:
    """Horizontal bars, the first label on top."""
    fig = go.Figure(
        go.Bar(
            x=list(values)[::-1],
            y=list(labels)[::-1],
            orientation="h",
            marker_color=list(colors)[::-1] if colors is not None else "#0072B2",
            customdata=list(hover)[::-1] if hover is not None else None,
            hovertemplate="%{y}<br>%{customdata}<extra></extra>"
            if hover is not None
            else "%{y}: %{x:,.4~g}<extra></extra>",
        )
    )
    height = max(300, 60 + 28 * len(labels))
    _layout(fig, title, x_title, y_title, height=height, showlegend=False)
    fig.update_layout(margin={"l": 260})
    return fig


def distribution(
    series: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    title: str,
    x_title: str,
    marks: Mapping[str, float] | None = None,
) -> go.Figure:
    """Histogram (share of probability per bin) and CDF of objectives, one trace per series.

    ``series``: name -> (values, probabilities). ``marks``: vertical lines (P10, P50...).
    """
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("Histogram", "Cumulative distribution (CDF)")
    )
    palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"]
    all_v = np.concatenate([v for v, _ in series.values()]) if series else np.array([])
    all_v = all_v[np.isfinite(all_v)]
    lo, hi = (float(all_v.min()), float(all_v.max())) if all_v.size else (0.0, 1.0)
    nbins = int(min(40, max(5, np.sqrt(max(all_v.size, 1)) * 2)))
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, nbins + 1)
    for i, (name, (v, w)) in enumerate(series.items()):
        color = palette[i % len(palette)]
        keep = np.isfinite(v)
        hist, _ = np.histogram(v[keep], bins=edges, weights=w[keep])
        total = w[keep].sum()
        share = hist / total if total > 0 else hist
        mids = (edges[:-1] + edges[1:]) / 2
        fig.add_trace(
            go.Bar(
                name=name,
                legendgroup=name,
                x=mids,
                y=share,
                width=(edges[1] - edges[0]) * (0.95 if len(series) == 1 else 0.9 / len(series)),
                offset=None
                if len(series) == 1
                else (i / len(series) - 0.45) * (edges[1] - edges[0]),
                marker_color=color,
                opacity=0.85,
                customdata=np.column_stack([edges[:-1], edges[1:]]),
                hovertemplate=f"{name}<br>$%{{customdata[0]:,.0f}} to $%{{customdata[1]:,.0f}}"
                "<br>probability %{y:.1%}<extra></extra>",
            ),
            row=1,
            col=1,
        )
        order = np.argsort(v[keep], kind="stable")
        vs = v[keep][order]
        cum = np.cumsum(w[keep][order]) / total if total > 0 else np.zeros(vs.size)
        fig.add_trace(
            go.Scatter(
                name=name,
                legendgroup=name,
                showlegend=False,
                x=vs,
                y=cum,
                mode="lines",
                line={"shape": "hv", "color": color, "width": 2},
                hovertemplate=f"{name}<br>objective $%{{x:,.0f}}<br>P(at most) %{{y:.1%}}"
                "<extra></extra>",
            ),
            row=1,
            col=2,
        )
    for label, value in (marks or {}).items():
        if value is None or not np.isfinite(value):
            continue
        for col in (1, 2):
            fig.add_vline(
                x=value, line={"color": "#444", "dash": "dot", "width": 1}, row=1, col=col
            )
        fig.add_annotation(
            x=value,
            y=0.99,
            yref="y2 domain",
            xref="x2",
            text=label,
            showarrow=False,
            xanchor="left",
            yanchor="top",
            xshift=2,
            font={"size": 11},
        )
    _layout(fig, title, "", "", barmode="overlay", height=430)
    fig.update_xaxes(title_text=x_title, tickprefix="$", exponentformat="B")
    fig.update_yaxes(title_text="probability per bin", tickformat=".0%", row=1, col=1)
    fig.update_yaxes(
        title_text="probability objective ≤ x", tickformat=".0%", range=[0, 1.04], row=1, col=2
    )
    return fig


def heatmap(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    value: str,
    title: str,
    x_title: str,
    y_title: str,
    text_fmt: str = "{:.0%}",
    colorbar: str = "share",
) -> go.Figure:
    xs = [str(v) for v in pd.unique(df[x])]
    ys = [str(v) for v in pd.unique(df[y])]
    grid = np.full((len(ys), len(xs)), np.nan)
    for r in df.itertuples(index=False):
        grid[ys.index(str(getattr(r, y))), xs.index(str(getattr(r, x)))] = float(getattr(r, value))

    def cell(v: float) -> str:
        # a share that rounds to 0% but is not 0 reads "<1%"; an empty cell stays blank
        if not np.isfinite(v) or v == 0:
            return ""
        if text_fmt == "{:.0%}" and 0 < abs(v) < 0.005:
            return "<1%"
        return text_fmt.format(v)

    text = [[cell(v) for v in row] for row in grid]
    grid = np.where(grid == 0, np.nan, grid)  # no shade where nothing was bought
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=xs,
            y=ys,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1 if colorbar.startswith("share") else None,
            colorbar={"title": {"text": colorbar}},
            hovertemplate="%{y} in %{x}: %{text}<extra></extra>",
        )
    )
    _layout(fig, title, x_title, y_title, height=max(300, 120 + 40 * len(ys)))
    fig.update_xaxes(type="category")
    fig.update_yaxes(autorange="reversed")
    return fig


def scatter_inputs(
    table: pd.DataFrame, inputs: Sequence[str], *, title: str, y_title: str
) -> go.Figure:
    """The objective of every scenario against each input (one panel per input)."""
    from plotly.subplots import make_subplots

    inputs = list(inputs)[:6]
    n = max(1, len(inputs))
    cols = min(3, n)
    rows = (n + cols - 1) // cols
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=inputs, horizontal_spacing=0.08)
    y = pd.to_numeric(table["objective_usd"], errors="coerce")
    for i, key in enumerate(inputs):
        x = pd.to_numeric(table[key], errors="coerce")
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="markers",
                marker={"size": 6, "color": "#0072B2", "opacity": 0.7},
                name=key,
                showlegend=False,
                customdata=table["scenario"] if "scenario" in table else None,
                hovertemplate=f"scenario %{{customdata}}<br>{key} = %{{x:,.4~g}}"
                "<br>objective $%{y:,.0f}<extra></extra>",
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
        fig.update_xaxes(title_text=f"{key} (input value)", row=i // cols + 1, col=i % cols + 1)
        fig.update_yaxes(
            title_text=y_title,
            tickprefix="$",
            exponentformat="B",
            row=i // cols + 1,
            col=i % cols + 1,
        )
    _layout(fig, title, "", "", height=380 * rows, showlegend=False)
    fig.update_xaxes(title_font={"size": 11})
    for i in range(len(inputs)):
        fig.update_xaxes(
            title_text=f"{inputs[i]} (input value)", row=i // cols + 1, col=i % cols + 1
        )
    return fig
