"""Price against Mtok sold, for tiers with a price menu (docs/model.md, "Price menus").

One panel per menu tier: each period's menu as a demand curve (price on the y axis,
the Mtok the entry would sell on the x axis), the entry the plan chose circled, and
the Mtok actually sold at that price as a filled dot (left of the circle when
capacity, not demand, limits the sales).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.instance.schema import Instance
from optimizer.plots import DPI, deck_style, fmt_count, safe_name, save_png_atomic

if TYPE_CHECKING:
    from optimizer.results.plan import Plan


def default_prices_path(instance: Instance) -> Path:
    return Path("results") / safe_name(instance.name) / "prices.png"


def plot_prices(instance: Instance, plan: Plan, out_path: str | Path | None = None) -> Path:
    """Draw price against Mtok sold for every menu tier; returns the PNG's path.

    Raises
    ------
    ValueError
        If the instance has no price menu or the plan has no solution.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    tiers = [t for t in instance.tiers if t.price_menu is not None]
    if not tiers:
        raise ValueError("no tier has a price_menu: nothing to draw")
    if not plan.has_solution:
        raise ValueError(f"plan has no solution to draw (status: {plan.status})")
    out = Path(out_path) if out_path is not None else default_prices_path(instance)
    periods = list(instance.periods)
    chosen = {
        (str(r.tier), str(r.period)): (float(r.price_usd_per_mtok), float(r.mtok))
        for r in plan.price.itertuples(index=False)
    }
    with deck_style():
        fig = Figure(figsize=(4.2 * len(tiers) + 0.6, 4.6), dpi=DPI)
        axes = fig.subplots(1, len(tiers), squeeze=False)[0]
        cmap = __import__("matplotlib").colormaps["viridis"]
        for ax, tier in zip(axes, tiers, strict=True):
            menu = tier.price_menu or []
            for i, p in enumerate(periods):
                color = cmap(i / max(1, len(periods) - 1))
                pts = sorted(
                    (
                        instance.per_period_values(e.price_usd_per_mtok)[i],
                        instance.per_period_values(e.demand_mtok)[i],
                    )
                    for e in menu
                )
                ax.plot(
                    [d for _, d in pts],
                    [x for x, _ in pts],
                    "-o",
                    ms=3,
                    color=color,
                    lw=1.2,
                    alpha=0.8,
                    label=str(p),
                )
                pick = chosen.get((tier.id, str(p)))
                if pick is not None:
                    demand = next(d for x, d in pts if x == pick[0])
                    ax.plot([demand], [pick[0]], "o", ms=10, mfc="none", mec=color, mew=1.6)
                    ax.plot([pick[1]], [pick[0]], "o", ms=6, color=color)
            ax.set_title(f"{tier.id} ({tier.model})", fontsize=11)
            ax.set_xlabel("Mtok per period (menu demand; dot: sold)")
            ax.set_ylabel("USD per Mtok")
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_count(v)))
            ax.grid(True, alpha=0.3)
        axes[-1].legend(title="period", fontsize=8, title_fontsize=9, loc="upper right")
        fig.suptitle(
            f"{instance.name}: price chosen from each menu (circle) and Mtok sold (dot)",
            fontsize=12,
        )
        fig.tight_layout()
        return save_png_atomic(fig, out)
