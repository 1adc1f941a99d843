"""The two-stage charts present: nothing off the page, legends off the data, names not numbers.

Built from a synthetic result (no solve): 27 scenarios with the reference's long names, 18 of
them where the expected-value plan cannot be carried out, as in the shipped run that issue 21
item 7 screenshotted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from optimizer.plots.stochastic import plot_first_stage_regret, plot_profit_distribution  # noqa: E402
from optimizer.stochastic.result import TwoStagePlan  # noqa: E402


def _result() -> TwoStagePlan:
    names = [
        f"demand-{d}_price-{p}_vr-{v}_capex-{c}"
        for d in ("slow", "base", "fast")
        for p in ("slow", "base", "fast")
        for v, c in (("ontime", "low"), ("slip", "base"), ("late", "high"))
    ]
    rng = np.random.default_rng(0)
    obj = rng.uniform(20e9, 480e9, len(names))
    ws = obj + rng.uniform(-0.2e9, 5e9, len(names))
    sc = pd.DataFrame(
        {
            "scenario": names,
            "probability": 1 / len(names),
            "status": "optimal",
            "objective_usd": obj,
            "ws_objective_usd": ws,
            "ev_objective_usd": np.nan,
            "regret_usd": ws - obj,
            "ev_delivered_objective_usd": obj - 7e9,
        }
    )
    return TwoStagePlan(
        instance_name="gtc2026-1gw",
        objective_kind="profit",
        method="ef",
        status="optimal",
        first_stage_periods=[2026],
        scenario_names=names,
        probabilities=list(sc["probability"]),
        objective_usd=float(obj.mean()),
        expected_objective_usd=float(obj.mean()),
        first_stage=pd.DataFrame(
            {"hardware": ["gb200-nvl72", "mi355x"], "period": 2026, "units": [1272, 1683]}
        ),
        ev_first_stage=pd.DataFrame(
            {"hardware": ["b200-hgx", "vr-nvl144"], "period": 2026, "units": [5, 677]}
        ),
        scenarios=sc,
        vss_usd=float("inf"),
        evpi_usd=1.48e9,
        vss_infeasible=[n for n in names if "ontime" not in n],
    )


def _boxes(fig):  # type: ignore[no-untyped-def]
    """The page, the legends, the plot areas, and the box of everything drawn (pixels)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # a Figure() made without pyplot has no drawing canvas
    canvas.draw()
    r = canvas.get_renderer()
    drawn = fig.get_tightbbox(r).transformed(fig.dpi_scale_trans)  # inches -> pixels
    legends = [lg.get_window_extent(r) for lg in fig.legends]
    axes = [ax.get_window_extent(r) for ax in fig.axes]
    return fig.bbox, legends, axes, drawn


@pytest.mark.parametrize("plot", [plot_profit_distribution, plot_first_stage_regret])
def test_nothing_runs_off_the_page_and_legends_cover_no_data(plot) -> None:  # type: ignore[no-untyped-def]
    fig = plot(_result())
    page, legends, axes, drawn = _boxes(fig)
    # every label, title, note and legend drawn lies on the page
    assert drawn.x0 >= page.x0 - 2 and drawn.x1 <= page.x1 + 2, (drawn, page)
    assert drawn.y0 >= page.y0 - 2 and drawn.y1 <= page.y1 + 2, (drawn, page)
    assert legends, "the legend names the two plans"
    for lg in legends:
        for ax in axes:
            assert not lg.overlaps(ax), "a legend lies over a plot area"
    # the plot area takes most of the width (it filled the left half)
    widest = max(ax.width for ax in axes)
    assert sum(ax.width for ax in axes) > 0.6 * page.width and widest > 0.3 * page.width


def test_regret_panel_names_the_scenarios() -> None:
    fig = plot_first_stage_regret(_result())
    regret = fig.axes[1]
    labels = [t.get_text() for t in regret.get_yticklabels()]
    assert "demand-slow_price-slow_vr-ontime_capex-low" in labels
    assert not any(lbl.isdigit() for lbl in labels)


def test_cost_regret_bars_point_the_way_the_result_defines_regret() -> None:
    """Under objective cost regret is obj - WS (the plan costs more than perfect foresight):
    the expected-value plan's bars, like the two-stage plan's, are drawn at +(EEV_s - WS_s),
    worked here for three scenarios: costs 10, 20, 30 (USD bn), WS 9, 18, 30, EV plan 12,
    21, 33 -> regrets 1, 2, 0 and EV regrets 3, 3, 3, all to the right of zero."""
    base = _result()
    sc = pd.DataFrame(
        {
            "scenario": ["a", "b", "c"],
            "probability": 1 / 3,
            "status": "optimal",
            "objective_usd": [10e9, 20e9, 30e9],
            "ws_objective_usd": [9e9, 18e9, 30e9],
            "ev_objective_usd": [12e9, 21e9, 33e9],
            "regret_usd": [1e9, 2e9, 0.0],
            "ev_delivered_objective_usd": np.nan,
        }
    )
    base.objective_kind = "cost"
    base.scenarios = sc
    base.scenario_names = ["a", "b", "c"]
    base.probabilities = [1 / 3] * 3
    base.vss_infeasible = []
    regret = plot_first_stage_regret(base).axes[1]
    widths = sorted(round(p.get_width() / 1e9, 6) for p in regret.patches)
    assert widths == [0.0, 1.0, 2.0, 3.0, 3.0, 3.0]
    assert "cost" in regret.get_xlabel()
