"""Charts for decks: the throughput/speed frontier and the purchase plan.

Drawn with matplotlib's object API (``matplotlib.figure.Figure``, no pyplot), so
nothing here touches the global backend or needs a screen; PNGs are rendered by
Agg and written atomically (temporary file in the same folder, then rename).

* :func:`plot_frontier` / :func:`frontier_series` / :func:`operating_points`
  (``optimizer.plots.frontier``): throughput per facility MW against tokens/s per
  user, one Pareto curve per hardware, tier speed bands, the plan's operating points.
* :func:`plot_plan` (``optimizer.plots.plan``): capex and units bought, installed
  power by hardware, and facility power split across tiers, per period.
* :func:`plot_sweep`, :func:`plot_tornado`: a sweep's objective and purchases against
  its inputs; one-at-a-time sensitivity.

Each ``plot_*`` function writes a PNG and returns its path; the matching ``*_figure``
function (:func:`frontier_figure`, :func:`plan_figure`, :func:`sweep_figure`,
:func:`tornado_figure`) returns the matplotlib ``Figure`` and writes nothing, for
notebooks and for the HTML report (saving is the caller's choice).
"""

from __future__ import annotations

import os
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from optimizer import fmt as _fmt

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from optimizer.instance.schema import Instance

DECK_SIZE_IN = (11.0, 6.5)  # a 16:9 slide body
DPI = 150

# rcParams applied while a chart is built (read by artists at creation time).
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "text.parse_math": False,  # "$1.80" is a price, not mathtext
    "font.size": 10.5,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "axes.edgecolor": "#444444",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.7,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 9.5,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}


def deck_style() -> AbstractContextManager[Any]:
    """``with deck_style():`` build a chart with :data:`STYLE` (restored on exit)."""
    from optimizer.extras import require

    require("matplotlib", "plot", "drawing a chart")
    import matplotlib

    return matplotlib.rc_context(cast(Any, STYLE))


# Okabe-Ito (colour-blind safe, yellow dropped: unreadable on white), then extras.
_HW_PALETTE = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#2F3E46",
    "#8C564B",
    "#7F7F7F",
    "#BCBD22",
    "#17BECF",
    "#9467BD",
]


def hardware_colors(instance: Instance) -> dict[str, str]:
    """One stable colour per hardware id, in the instance's order (same in every chart)."""
    return {h.id: _HW_PALETTE[i % len(_HW_PALETTE)] for i, h in enumerate(instance.hardware)}


def tier_colors(instance: Instance) -> dict[str, Any]:
    """One colour per tier: free tiers grey, paid tiers a darker purple the pricier they are."""
    from matplotlib import colormaps

    def price(t: Any) -> float:
        return instance.shown_prices(t)[0]

    tiers = sorted(instance.tiers, key=price)
    paid = [t for t in tiers if price(t) > 0]
    cmap = colormaps["BuPu"]
    out: dict[str, Any] = {t.id: "#BBBBBB" for t in tiers if price(t) <= 0}
    for i, t in enumerate(paid):
        out[t.id] = cmap(0.35 + 0.65 * (i / max(1, len(paid) - 1)))
    return out


safe_name = _fmt.safe_name  # the same rule as optimizer solve's results folder


def save_png_atomic(fig: Figure, out_path: str | Path) -> Path:
    """Render ``fig`` to PNG at ``out_path`` via a temporary file and ``os.replace``."""
    path = Path(out_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format="png", dpi=fig.dpi)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a chart is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def dense_x(x: np.ndarray, per_segment: int = 24) -> np.ndarray:
    """x refined geometrically between its points: on a log axis a line through these (with
    y interpolated linearly, docs/model.md step 4) is the model's own line."""
    if len(x) < 2:
        return x
    return np.unique(
        np.concatenate(
            [np.geomspace(a, b, per_segment) for a, b in zip(x[:-1], x[1:], strict=True)] + [x]
        )
    )


NOTE_COLOR = "#555555"


def legend_entry(label: str, **style: Any) -> Any:
    """A legend handle drawing nothing on the axes: a line or marker styled by ``style``
    (``Line2D`` keywords; markers only: ``ls="none"``)."""
    from matplotlib.lines import Line2D

    return Line2D([], [], label=label, **style)


def note_text(fig: Figure, x: float, y: float, text: str, **kw: Any) -> Any:
    """Small grey text at figure fraction (x, y), anchored bottom left unless ``kw`` says."""
    style: dict[str, Any] = {"fontsize": 8.5, "color": NOTE_COLOR, "ha": "left", "va": "bottom"}
    return fig.text(x, y, text, **(style | kw))


def fmt_usd(x: float) -> str:
    """Money on a chart, 3 significant digits: $1.29B, $363M, $250k, $12 (optimizer.fmt)."""
    return _fmt.usd(x, None)


def fmt_price(x: float) -> str:
    """A per-Mtok price: $150, $1.80, $0.20, $0.048, $0.00 (optimizer.fmt)."""
    return _fmt.price(x)


def fmt_count(x: float) -> str:
    """A tick label or throughput: 480k, 48.4M, 950 (optimizer.fmt)."""
    return _fmt.quantity(x, None)


_LAZY = {
    "plot_frontier": "optimizer.plots.frontier",
    "frontier_series": "optimizer.plots.frontier",
    "operating_points": "optimizer.plots.frontier",
    "plot_plan": "optimizer.plots.plan",
    "frontier_figure": "optimizer.plots.frontier",
    "plan_figure": "optimizer.plots.plan",
    "sweep_figure": "optimizer.plots.sweep",
    "tornado_figure": "optimizer.plots.tornado",
    "plot_sweep": "optimizer.plots.sweep",
    "plot_tornado": "optimizer.plots.tornado",
}


def __getattr__(name: str) -> Any:  # lazy re-exports: avoids importing matplotlib eagerly
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DECK_SIZE_IN",
    "DPI",
    "STYLE",
    "deck_style",
    "dense_x",
    "fmt_count",
    "fmt_price",
    "fmt_usd",
    "frontier_figure",
    "frontier_series",
    "hardware_colors",
    "legend_entry",
    "note_text",
    "operating_points",
    "plan_figure",
    "plot_frontier",
    "plot_plan",
    "plot_sweep",
    "plot_tornado",
    "safe_name",
    "save_png_atomic",
    "sweep_figure",
    "tier_colors",
    "tornado_figure",
]
