"""What a deck chart says, read from the figure's texts (not only that a PNG exists):
words for key paths, the objective named, MW in full, thin purchases tagged, zero lines
kept out of legends, the frontier's plan label clear of the legend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer import load_instance
from optimizer.planning.planner import Planner
from optimizer.plots.frontier import frontier_figure
from optimizer.plots.plan import plan_figure
from optimizer.plots.sweep import human_label, sweep_figure
from optimizer.plots.tornado import tornado_figure
from optimizer.solver.options import SolveOptions

from conftest import REPO, sensitivity_table


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


@pytest.mark.parametrize(
    "key, label",
    [
        ("tiers[premium].price_usd_per_mtok", "premium tier: price (USD/Mtok)"),
        ("site.power_mw[2027]", "site: power cap (MW) in 2027"),
        ("hardware[vr-nvl144].capex_usd:factor", "vr-nvl144: capex per unit (USD) (× base)"),
        ("discount_rate", "discount rate"),
        ("something[odd", "something[odd"),
    ],
)
def test_human_labels(key: str, label: str):
    assert human_label(key) == label


def test_tornado_names_inputs_in_words_and_says_profit():
    t = sensitivity_table(
        1e10,
        [
            ("tiers[high].price_usd_per_mtok", 2.0, 9e9, 11e9),
            ("site.power_mw", 100.0, 9.5e9, 10.2e9),
        ],
    )
    texts = " | ".join(_texts(tornado_figure(t, objective="profit")))
    assert "high tier: price (USD/Mtok)" in texts and "site: power cap (MW)" in texts
    assert "tiers[high]" not in texts
    assert "Sensitivity: profit change" in texts and "Change in profit" in texts


@pytest.fixture(scope="module")
def toy():
    inst = load_instance(REPO / "instances" / "toy.yaml")
    # The toy has several optima (the free tier's 20% may run on nvl72 or hgx-h100); the
    # charts below are checked on the 66 + 8 one, the one branch and bound finds.
    planner = Planner(inst, SolveOptions(strategy="milp"))
    return inst, planner.table, planner.solve()


def test_plan_chart_tags_thin_purchases_and_writes_mw_in_full(toy):
    inst, _, plan = toy
    # The toy buys 8 hgx-h100 (8 x $250k = $2M) beside 66 nvl72 ($231M): 2M / 233M < 1% of
    # the axis, invisible in its stack, so it gets a "+8" tag.
    fig = plan_figure(inst, plan)
    texts = _texts(fig)
    assert "+8" in texts
    assert "+66" not in texts  # the large segment is labelled inside, not tagged
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    mw_ticks = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert mw_ticks and not any("K" in t for t in mw_ticks)
    assert any("undiscounted" in t for t in texts)


def test_frontier_label_stays_left_of_the_legend(toy):
    inst, table, plan = toy
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = frontier_figure(inst, table, plan, "big-moe")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    r = canvas.get_renderer()
    ax = fig.axes[0]
    plot_right = ax.get_window_extent(r).x1
    labels = [a for a in ax.texts if "units" in a.get_text()]
    assert labels
    for a in labels:  # every plan label ends inside the plot, so never over the legend
        assert a.get_window_extent(r).x1 <= plot_right + 1


def test_sweep_legend_leaves_out_lines_flat_at_zero():
    n = 30
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, n)
    t = pd.DataFrame(
        {
            "scenario": range(n),
            "a": x,
            "b": rng.uniform(0, 1, n),
            "status": "optimal",
            "objective_usd": 1e9 * (1 + x),
            "units_bought[big]": np.full(n, 100),
            "units_bought[rare]": [5 if i == 3 else 0 for i in range(n)],  # median 0
        }
    )
    fig = sweep_figure(t)
    legend_texts = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert "big" in legend_texts and "rare" not in legend_texts
    assert any("rare" in s for s in _texts(fig))  # named in the note instead
