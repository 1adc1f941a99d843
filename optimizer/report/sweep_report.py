"""The report of a sweep table (``optimizer sweep``'s sweep.parquet / sweep.csv):
percentiles, distribution, how often each hardware is bought, inputs that matter."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer import fmt
from optimizer.report import charts, stats
from optimizer.report.model import Chart, Report, Section, Table


def _has_plan(table: pd.DataFrame) -> pd.Series:
    obj = pd.to_numeric(table.get("objective_usd"), errors="coerce")
    return obj.notna()


def distribution_section(
    values: np.ndarray,
    weights: np.ndarray,
    *,
    what: str,
    extra: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
    given: dict[str, float] | None = None,
    name: str = "each scenario's optimum",
) -> Section:
    summ = stats.summary(values, weights)
    if given:  # figures the solver reported win over ours (same definitions)
        summ.update({k: float(v) for k, v in given.items() if v is not None})
    rows = [
        {"statistic": k.upper() if k.startswith("p") else k, "objective_usd": v}
        for k, v in summ.items()
    ]
    sec = Section(
        "distribution",
        "Distribution of the objective",
        f"Over {what}, weighted by probability. P10 is the outcome that 10% of the "
        "probability falls at or below (a lower quantile: an outcome that occurred).",
    )
    series = {name: (values, weights), **(extra or {})}
    marks = {f"P{q}": summ.get(f"p{q}", np.nan) for q in stats.PERCENTILES}
    sec.chart(
        "distribution",
        "Distribution",
        charts.distribution(
            series, title="Objective over the scenarios", x_title="objective (USD)", marks=marks
        ),
    )
    sec.table("percentiles", "Percentiles of the objective", pd.DataFrame(rows))
    return sec


def buy_section(freq: pd.DataFrame, what: str) -> Section:
    sec = Section(
        "buy-frequency",
        "How often each hardware is bought",
        f"Share of {what} that buy at least one unit of each hardware in each period, and the "
        "mean units bought (zeros included).",
    )
    if not freq.empty:
        sec.chart(
            "buy-frequency",
            "Buy frequency",
            charts.heatmap(
                freq,
                x="period",
                y="hardware",
                value="share",
                title="Share of scenarios buying each hardware",
                x_title="period",
                y_title="hardware",
                colorbar="share of scenarios",
            ),
        )
    sec.table("buy_frequency", "How often each hardware is bought", freq)
    return sec


def effects_section(table: pd.DataFrame, inputs: list[str]) -> Section:
    """Inputs ranked by how far they move the objective, named as a reader says them."""
    from optimizer.plots.sweep import human_label

    eff = stats.input_effects(table, inputs)
    sec = Section(
        "drivers",
        "Inputs that move the objective most",
        "Swing: how far the objective moves when the input goes from its P10 to its P90, along "
        "a straight line fitted to all swept inputs at once; rho: Spearman rank correlation "
        "with the objective (+1: always up together).",
    )
    if not eff.empty:
        sec.chart(
            "drivers",
            "Drivers",
            charts.hbar(
                [human_label(str(k)) for k in eff["input"]],
                eff["swing_usd"].fillna(0).tolist(),
                title="Change of the objective from each input's P10 to its P90",
                x_title="change of the objective (USD)",
                y_title="swept input",
                colors=["#0072B2" if v >= 0 else "#D55E00" for v in eff["swing_usd"].fillna(0)],
                hover=[
                    f"swing {fmt.usd(s)}, rho {r:+.2f}"
                    for s, r in zip(eff["swing_usd"], eff["spearman_rho"], strict=True)
                ],
            ),
        )
        if len(table):
            sec.chart(
                "scatter",
                "Objective against each input",
                charts.scatter_inputs(
                    table,
                    eff["input"].tolist(),
                    title="Objective of each scenario against each input",
                    y_title="objective (USD)",
                ),
            )
    sec.table(
        "drivers",
        "Inputs that move the objective",
        eff,
        {"input_p10": "input unit", "input_p90": "input unit", "spearman_rho": "-1..1"},
    )
    return sec


def sweep_report(table: pd.DataFrame, *, source: str, title: str | None = None) -> Report:
    from optimizer.plots.sweep import sweep_inputs

    inputs = sweep_inputs(table) if "status" in table.columns else []
    good = _has_plan(table)
    ok = table[good].reset_index(drop=True)
    values = pd.to_numeric(ok["objective_usd"], errors="coerce").to_numpy(float)
    weights = np.ones_like(values)
    summ = stats.summary(values, weights)
    rep = Report(
        title=title or "Sweep report",
        subtitle=f"{len(table)} scenarios · {int(good.sum())} with a plan · from {source}",
        kind="sweep",
    )
    rep.headline = [
        ("scenarios", f"{len(table):,} ({int(good.sum()):,} with a plan)"),
        ("swept inputs", ", ".join(inputs) or "-"),
    ]
    for k in ("p10", "p50", "p90", "mean", "worst", "best"):
        if k in summ:
            rep.headline.append(
                (f"objective {k.upper() if k.startswith('p') else k}", fmt.usd(summ[k]))
            )
    if len(ok):
        rep.sections.append(
            distribution_section(
                values, weights, what=f"{len(ok)} scenarios with a plan (equal weights)"
            )
        )
        rep.sections.append(buy_section(stats.buy_frequency_from_table(ok), "scenarios"))
        if inputs:
            rep.sections.append(effects_section(ok, inputs))
    failed = table[~good]
    if len(failed):
        cols = [c for c in ("scenario", *inputs, "status", "error") if c in failed.columns]
        rep.sections.append(
            Section(
                "failed",
                "Scenarios without a plan",
                tables=[
                    Table("failed", "Scenarios without a plan", failed[cols].reset_index(drop=True))
                ],
            )
        )
    if len(ok) and inputs:
        try:
            from optimizer.plots.sweep import sweep_figure
            from optimizer.report.plan_report import png_of

            png = png_of(sweep_figure(table))
            rep.sections.append(
                Section(
                    "deck-charts", "Chart for a deck", charts=[Chart("png-sweep", "Sweep", png=png)]
                )
            )
        except ValueError:
            pass
    rep.sections.append(
        Section(
            "scenarios",
            "Every scenario",
            tables=[
                Table("scenarios", "Every scenario of the sweep", table.reset_index(drop=True))
            ],
        )
    )
    return rep
