"""Charts of a two-stage result; each returns a matplotlib ``Figure`` (saving is the caller's).

* :func:`plot_profit_distribution`: the CDF of the objective over scenarios for the
  two-stage plan and for the expected-value plan re-planned per scenario, with the
  expectations, P10/P90 and (when asked) the CVaR marked.
* :func:`plot_first_stage_regret`: left, the first-stage purchase of the two-stage plan
  beside the expected-value plan's; right, each scenario's regret (WS_s - obj_s: what
  perfect foresight would have earned more) for both plans.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from optimizer.plots import DECK_SIZE_IN, DPI, deck_style, fmt_usd
from optimizer.stochastic.result import TwoStagePlan, value_sign

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TWO_STAGE = "#1f6fb4"
EV_PLAN = "#d9822b"


def _cdf(ax: Axes, values: np.ndarray, probs: np.ndarray, color: str, label: str) -> None:
    order = np.argsort(values, kind="stable")
    x = values[order]
    y = np.cumsum(probs[order])
    ax.step(np.r_[x[0], x], np.r_[0.0, y], where="post", color=color, lw=2, label=label)


def _infeasible_note(result: TwoStagePlan) -> str:
    """Why the expected-value plan is drawn without some units, in one short line."""
    n, total = len(result.vss_infeasible), len(result.scenario_names)
    return (
        f"The expected-value plan cannot be carried out in {n} of {total} scenarios (it buys "
        "units not on sale there): VSS is infinite; drawn without those units."
    )


def plot_profit_distribution(result: TwoStagePlan) -> Figure:
    """CDF of scenario objectives: two-stage plan against the expected-value plan.

    The legend sits below the axes (it covered the curves); the expected-value plan's
    infeasibility is one sentence under the title, never a list of scenario names (18 of
    them ran off the page).
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    with deck_style():
        fig = Figure(figsize=DECK_SIZE_IN, dpi=DPI, layout="constrained")
        ax = fig.add_subplot()
        s = result.scenarios
        probs = s["probability"].to_numpy(float)
        two = s["objective_usd"].to_numpy(float)
        _cdf(ax, two, probs, TWO_STAGE, f"two-stage plan (expected {fmt_usd(float(probs @ two))})")
        ev = s["ev_objective_usd"].to_numpy(float)
        if np.isfinite(ev).all():
            _cdf(
                ax,
                ev,
                probs,
                EV_PLAN,
                f"expected-value plan (expected {fmt_usd(float(probs @ ev))})",
            )
        elif np.isfinite(dv := s["ev_delivered_objective_usd"].to_numpy(float)).all():
            label = "expected-value plan without the units not on sale in every scenario"
            _cdf(ax, dv, probs, EV_PLAN, f"{label} (expected {fmt_usd(float(probs @ dv))})")
        if result.expected_objective_usd is not None:
            ax.axvline(
                result.expected_objective_usd,
                color=TWO_STAGE,
                ls="--",
                lw=1,
                label="two-stage plan's expected value",
            )
        if result.cvar_usd is not None and result.cvar_alpha is not None:
            ax.axvline(
                result.cvar_usd,
                color="#b22222",
                ls=":",
                lw=1.5,
                label=f"CVaR {result.cvar_alpha:g} of two-stage ({fmt_usd(result.cvar_usd)})",
            )
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("share of scenarios (probability) at or below")
        ax.set_xlabel(f"{result.objective_kind}, USD (discounted)")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_usd(v)))
        vss = (
            ""
            if result.vss_usd is None
            else f", VSS {fmt_usd(result.vss_usd)}"
            if np.isfinite(result.vss_usd)
            else ", VSS infinite"
        )
        evpi = "" if result.evpi_usd is None else f"EVPI {fmt_usd(result.evpi_usd)}"
        title = (
            f"{result.instance_name}: {result.objective_kind} over "
            f"{len(result.scenario_names)} scenarios ({evpi}{vss})"
        )
        ax.set_title(title, fontsize=11)
        # the note heads the legend under the axes, wrapped: nothing runs off the page
        note = textwrap.fill(_infeasible_note(result), 110) if result.vss_infeasible else None
        fig.legend(loc="outside lower center", ncols=2, frameon=False, title=note, title_fontsize=9)
    return fig


def plot_first_stage_regret(result: TwoStagePlan) -> Figure:
    """First-stage purchase (two-stage vs expected-value plan) and regret per scenario.

    Scenarios are named on the regret panel's axis (horizontal bars), not numbered; the
    legend sits below the panels, where it covers no bar.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    with deck_style():
        fig = Figure(figsize=DECK_SIZE_IN, dpi=DPI, layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=[1, 1.6])
        fs, ev = result.first_stage, result.ev_first_stage
        labels = sorted(
            {f"{r.hardware} {r.period}" for df in (fs, ev) for r in df.itertuples()}, key=str
        )

        def units(df: object, lab: str) -> int:
            import pandas as pd

            assert isinstance(df, pd.DataFrame)
            return int(sum(r.units for r in df.itertuples() if f"{r.hardware} {r.period}" == lab))

        y = np.arange(len(labels))
        ours = [units(fs, lab) for lab in labels]
        theirs = [units(ev, lab) for lab in labels]
        left.barh(y - 0.2, ours, 0.4, color=TWO_STAGE, label="two-stage plan")
        left.barh(y + 0.2, theirs, 0.4, color=EV_PLAN, label="expected-value plan")
        top = max([*ours, *theirs, 1])
        for yy, vals in ((y - 0.2, ours), (y + 0.2, theirs)):
            for yi, v in zip(yy, vals, strict=True):
                if v:  # the count beside each bar: a 5-unit bar is a sliver on this scale
                    left.text(v + 0.01 * top, yi, f"{v:,}", va="center", fontsize=8)
        left.set_xlim(0, top * 1.15)
        left.set_yticks(y, labels)
        left.invert_yaxis()
        left.set_xlabel("units bought now (servers or racks)")
        left.set_title("first-stage purchase", fontsize=11)

        s = result.scenarios.sort_values("regret_usd", kind="stable")
        yr = np.arange(len(s))
        # Regret as the result defines it (value_sign): WS - obj for profit, obj - WS for
        # cost, so a bar to the right is money lost to not knowing the scenario either way.
        sign = value_sign(result.objective_kind)
        ev_regret = sign * (s["ws_objective_usd"] - s["ev_objective_usd"])
        if ev_regret.isna().any():  # EV's units undeliverable somewhere: dropped there
            ev_regret = sign * (s["ws_objective_usd"] - s["ev_delivered_objective_usd"])
        right.barh(yr - 0.2, s["regret_usd"], 0.4, color=TWO_STAGE)
        if ev_regret.notna().all():
            right.barh(yr + 0.2, ev_regret, 0.4, color=EV_PLAN)
        names = [str(n) for n in s["scenario"]]
        size = 8 if len(names) <= 20 else 6 if len(names) <= 40 else 4
        right.set_yticks(yr, names, fontsize=size)
        right.invert_yaxis()
        right.axvline(0, color="#555555", lw=0.8)
        right.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_usd(v)))
        right.set_xlabel(
            "regret: the plan's cost - wait-and-see cost (USD)"
            if sign < 0
            else "regret: wait-and-see objective - the plan's (USD)"
        )
        right.set_title("regret per scenario (against perfect foresight)", fontsize=11)
        if (s["regret_usd"] < 0).any():
            right.text(
                0.99,
                0.01,
                "negative regrets lie within the re-plans' MIP gap",
                transform=right.transAxes,
                ha="right",
                va="bottom",
                fontsize=8,
                color="#555555",
            )
        fig.legend(
            *left.get_legend_handles_labels(), loc="outside lower center", ncols=2, frameon=False
        )
    return fig


def write_two_stage(result: TwoStagePlan, out_dir: str | Path) -> list[Path]:
    """stochastic.json, first_stage/scenarios/buy_frequency.csv and the two PNGs; the
    timings go to run.json (they differ run to run; the other files do not)."""
    import json

    from optimizer import __version__
    from optimizer.plots import save_png_atomic
    from optimizer.results.write import RUN_FILE, csv_text, write_atomic

    out = Path(out_dir)
    scen = result.scenarios.copy()
    doc = result.to_dict()
    run = {"instance": doc.get("instance"), "optimizer_version": __version__}
    run["timings_s"] = doc.pop("timings", {})
    files = {
        "stochastic.json": json.dumps(doc, indent=2) + "\n",
        "first_stage.csv": csv_text(result.first_stage),
        "scenarios.csv": csv_text(scen),
        "scenario_buys.csv": csv_text(result.scenario_buys),
        "buy_frequency.csv": csv_text(result.buy_frequency),
        RUN_FILE: json.dumps(run, indent=2) + "\n",
    }
    written = []
    for name, text in files.items():
        write_atomic(out / name, text)
        written.append(out / name)
    if result.has_solution and len(result.scenarios):
        for name, plot in (
            ("profit_distribution.png", plot_profit_distribution),
            ("first_stage_regret.png", plot_first_stage_regret),
        ):
            written.append(save_png_atomic(plot(result), out / name))
    return written
