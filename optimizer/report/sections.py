"""Sections every kind of report can carry: the instance's assumptions and their sources."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from optimizer.report.assumptions import instance_assumptions
from optimizer.report.model import Chart, Section

if TYPE_CHECKING:
    from optimizer.instance.schema import Instance


def assumptions_section(path: Path, instance: Instance) -> Section:
    """The instance file's ``# source:`` / ``# assumption:`` comments, its notes, spec sources."""
    a = instance_assumptions(
        path, [h.id for h in instance.hardware], sorted({t.model for t in instance.tiers})
    )
    sec = Section(
        "assumptions",
        "Assumptions and their sources",
        f"Every figure of {path.name} that carries a comment: 'source' cites public material, "
        "'assumption' is the planner's own choice and says why. Spec sources come from the "
        "specification tables the instance cites.",
    )
    sec.table("assumptions", f"Figures of {path.name} with their sources", a["values"])
    specs = a["specs"]
    if specs is not None and not specs.empty:
        sec.table("spec_sources", "Sources of the specifications used", specs)
    sec.pre = a["notes"]
    return sec


def sensitivity_section(
    table: pd.DataFrame, objective: str = "objective", top: int = 15
) -> Section:
    """The tornado of ``optimizer sensitivity`` (sensitivity.parquet), interactive."""
    import plotly.graph_objects as go

    from optimizer.plots.sweep import human_label
    from optimizer.plots.tornado import tornado_order
    from optimizer.report.charts import _layout

    names = tornado_order(table, top)
    rows = table.assign(input=table["input"].astype(str)).drop_duplicates("input")
    rows = rows.set_index("input").loc[names]
    base = pd.to_numeric(rows["base_objective_usd"], errors="coerce")
    d_lo = pd.to_numeric(rows["objective_low_usd"], errors="coerce") - base
    d_hi = pd.to_numeric(rows["objective_high_usd"], errors="coerce") - base
    labels = [human_label(k) for k in names][::-1]
    fig = go.Figure()
    for name, d, color in (
        ("input at its low value", d_lo, "#0072B2"),
        ("input at its high value", d_hi, "#E69F00"),
    ):
        fig.add_trace(
            go.Bar(
                name=name,
                y=labels,
                x=d.to_numpy()[::-1],
                orientation="h",
                marker_color=color,
                opacity=0.85,
                hovertemplate="%{y}<br>" + name + ": %{x:$,.0f}<extra></extra>",
            )
        )
    _layout(
        fig,
        f"Change of the {objective} when each input moves (largest swing on top)",
        f"change of the {objective} from the base (USD, present value)",
        "",
        barmode="overlay",
        height=max(320, 80 + 30 * len(names)),
    )
    fig.update_layout(margin={"l": 300})
    sec = Section(
        "sensitivity",
        "Sensitivity: the inputs that move the objective most",
        "Each input moved down and up by the same share, one at a time, everything else held "
        "(optimizer sensitivity).",
        charts=[Chart("sensitivity", "Tornado", fig)],
    )
    sec.table("sensitivity", "One-at-a-time sensitivity", table.reset_index(drop=True))
    return sec
