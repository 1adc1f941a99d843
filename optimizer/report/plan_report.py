"""The report of one plan: headline, plan tables, resources, marginal values, pairs that
cannot be used, baselines, deck charts and the instance's assumptions."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from optimizer import fmt
from optimizer.report import charts
from optimizer.report.finance_section import finance_headline, finance_sections
from optimizer.report.model import Chart, Report, Section, Table
from optimizer.results.report import (
    _hardware_table,
    _marginals_table,
    _slice_table,
    _tier_table,
)

if TYPE_CHECKING:
    from optimizer.analysis.compare import Comparison
    from optimizer.instance.schema import Instance
    from optimizer.results.plan import Plan

RESOURCE_UNITS = {"power_mw": "facility MW", "rack_positions": "rack positions", "capex_usd": "USD"}


def png_of(fig: Any) -> bytes:
    """A matplotlib figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, metadata={"Software": None})
    return buf.getvalue()


def headline(plan: Plan, instance: Instance | None) -> list[tuple[str, str]]:
    rows = [
        ("status", plan.status),
        (f"objective ({plan.objective_kind}, discounted)", fmt.usd(plan.objective_usd)),
        ("revenue (discounted)", fmt.usd(plan.revenue_usd)),
        ("capex (discounted)", fmt.usd(plan.capex_usd)),
        ("electricity (discounted)", fmt.usd(plan.energy_usd)),
        ("MIP gap", "-" if plan.mip_gap is None else f"{plan.mip_gap:.2e}"),
    ]
    if instance is not None and instance.discount_rate:
        rows.append(("discount rate", f"{instance.discount_rate:.1%} per year"))
    if len(plan.buy):
        total = plan.buy.groupby("hardware", sort=False)["units"].sum()
        rows.append(("units bought", ", ".join(f"{h} {int(u):,}" for h, u in total.items())))
    if not plan.resources.empty:
        b = plan.resources[plan.resources["binding"].astype(bool)]
        if len(b):
            rows.append(
                ("binding caps", ", ".join(f"{r.resource} {r.period}" for r in b.itertuples()))
            )
    if plan.message and plan.diagnosis.empty:
        rows.append(("note", plan.message))
    return rows


def executive_summary(
    plan: Plan, instance: Instance | None, baselines: Comparison | None = None
) -> Section:
    """One screen for a finance committee, from the same figures as the headline.

    What the plan earns, what to buy first, what binds and what one more unit of it is
    worth, how far simpler plans fall short, and what the answer rests on. Every money
    figure goes through optimizer.fmt, as the headline's do, so the two always agree.
    """
    sec = Section(
        "summary",
        "Executive summary",
        "The plan in five lines; each figure is the one in the headline above or in the "
        "sections below.",
    )
    pts = sec.points
    if not plan.has_solution:
        pts.append(f"No plan: the solver reports {plan.status}.")
        if not plan.diagnosis.empty:
            pts.append(
                "Relaxations that would make it feasible: "
                + "; ".join(str(m) for m in plan.diagnosis["message"].head(3))
                + "."
            )
        return sec
    periods = list(instance.periods) if instance is not None else []
    first = periods[0] if periods else None
    obj = f"{plan.objective_kind} of {fmt.usd(plan.objective_usd)}"
    pts.append(
        f"The optimal plan earns a {obj} (discounted), on {fmt.usd(plan.revenue_usd)} of "
        f"revenue and {fmt.usd(plan.capex_usd)} of capex."
    )
    if len(plan.buy) and first is not None:
        now = plan.buy[plan.buy["period"].astype(str) == str(first)]
        now = now[now["units"] > 0]
        if len(now):
            what = ", ".join(f"{fmt.count(r.units)} {r.hardware}" for r in now.itertuples())
            pts.append(f"Buy in {first}: {what}; later purchases are under 'The plan' below.")
    if not plan.resources.empty:
        b = plan.resources[plan.resources["binding"].astype(bool)]
        if len(b):
            caps = ", ".join(f"{r.resource} in {r.period}" for r in b.itertuples())
            text = f"Binding: {caps}."
            mv = plan.marginal_values
            if not mv.empty and "resource" in mv:
                power = mv[(mv["resource"] == "power") & (mv["usd_per_unit"] > 0)]
                if len(power):
                    r = power.iloc[0]
                    text += (
                        f" One more facility MW in {r['period']} is worth "
                        f"{fmt.usd(r['usd_per_unit'])} (present value, hardware held fixed)."
                    )
            pts.append(text)
        else:
            pts.append("No cap binds: demand, not power, land or budget, limits the plan.")
    if baselines is not None and len(baselines.table):
        t = baselines.table.set_index("plan")
        best = t["objective_usd"].get("optimal")
        splits = [p for p in t.index if str(p).startswith("split ")]
        if best is not None and splits:
            base = t.loc[splits[0], "objective_usd"]
            pts.append(
                f"A fixed power split ({str(splits[0]).removeprefix('split ')}) earns "
                f"{fmt.usd(base)}: the optimum earns {fmt.change(best, base)} more."
            )
    pts.append(
        "It rests on the frontier tables and on price and demand assumptions (sources under "
        "'Assumptions and their sources'); run optimizer sensitivity to see which move it most."
    )
    return sec


def plan_sections(
    plan: Plan,
    instance: Instance | None,
    *,
    table: pd.DataFrame | None = None,
    baselines: Comparison | None = None,
    extra_pngs: dict[str, bytes] | None = None,
) -> list[Section]:
    """The report's sections for one plan, in reading order."""
    secs: list[Section] = []
    if not plan.diagnosis.empty:
        secs.append(
            Section(
                "infeasible",
                "Why there is no plan: relaxations that make it feasible",
                tables=[Table("diagnosis", "Relaxations", plan.diagnosis.copy())],
            )
        )
    if plan.has_solution:
        secs.append(plan_section(plan, instance))
    secs += finance_sections(plan)
    if not plan.resources.empty and plan.has_solution:
        secs.append(resources_section(plan))
    mv = _marginals_table(plan)
    if not mv.empty:
        secs.append(marginals_section(mv))
    secs.append(unusable_section(plan))
    if baselines is not None:
        secs.append(baseline_section(baselines))
    if instance is not None and table is not None:
        secs.append(frontier_section(instance, table, plan if plan.has_solution else None))
    pngs: dict[str, bytes] = dict(extra_pngs or {})
    if instance is not None and table is not None and plan.has_solution:
        pngs.update(deck_pngs(instance, table, plan))
    if pngs:
        secs.append(
            Section(
                "deck-charts",
                "Charts for a deck",
                "The PNG charts of `optimizer plot`, as they go on a slide.",
                charts=[Chart(f"png-{k}", k, png=v) for k, v in pngs.items()],
            )
        )
    return secs


def _colors(
    plan: Plan, instance: Instance | None
) -> tuple[dict[str, str], dict[str, str] | None, list[str]]:
    """Hardware colours, tier colours (hex) and the hardware order of the deck charts."""
    if instance is None:
        order = [str(h) for h in pd.unique(plan.installed.get("hardware", pd.Series(dtype=str)))]
        return {}, None, order
    from matplotlib.colors import to_hex

    from optimizer.plots import hardware_colors, tier_colors

    t_colors = {k: to_hex(v) for k, v in tier_colors(instance).items()}
    return hardware_colors(instance), t_colors, [h.id for h in instance.hardware]


def plan_section(plan: Plan, instance: Instance | None) -> Section:
    """What is bought and installed, how capacity splits across tiers: charts and tables."""
    hw_colors, t_colors, hw_order = _colors(plan, instance)
    hwt = _hardware_table(plan)
    tiers = _tier_table(plan)
    pue = float(instance.site.pue) if instance is not None else 1.0
    if not tiers.empty:
        tiers = tiers.merge(
            plan.sold_by_period()[["tier", "period", "price_usd_per_mtok"]],
            on=["tier", "period"],
        )
    sec = Section(
        "plan",
        "The plan",
        "Hardware bought and installed per period, and how its capacity is split across "
        "tiers. Money in the tables is per period and undiscounted; the headline's is "
        "discounted (present value).",
    )
    if len(plan.buy):
        _units_bought_chart(sec, plan, instance, hw_colors, hw_order)
    inst = plan.installed
    if len(inst) and "facility_mw" in inst:
        _installed_power_chart(sec, plan, hw_colors, hw_order)
    if not tiers.empty:
        _tier_charts(
            sec, tiers.assign(facility_mw=plan.sold_by_period()["it_mw"].to_numpy() * pue), t_colors
        )
    sec.table(
        "hardware",
        "Hardware bought and installed",
        hwt.reset_index(drop=True),
        {"facility_mw": "MW"},
    )
    sec.table(
        "tiers",
        "Tiers: units serving, tokens sold, revenue (undiscounted), share of IT power",
        tiers.reset_index(drop=True),
    )
    by_slice = _slice_table(plan)  # option time_slices: the same per slice
    if not by_slice.empty:
        sec.table(
            "tiers-by-slice",
            "Tiers by time slice: units serving in the slice, its tokens and revenue",
            by_slice.reset_index(drop=True),
        )
    sec.table(
        "serve",
        "Units serving each tier, per hardware and period"
        + (" and time slice" if plan.hours_share else ""),
        plan.serve.reset_index(drop=True),
    )
    return sec


def _units_bought_chart(
    sec: Section,
    plan: Plan,
    instance: Instance | None,
    hw_colors: dict[str, str],
    hw_order: list[str],
) -> None:
    # Accelerators, not units: stacking 72-GPU racks on 8-GPU servers hid the servers.
    buy = plan.buy.copy()
    gpus = {h.id: h.gpus_per_unit for h in instance.hardware} if instance else {}
    by_gpu = bool(gpus) and all(h in gpus for h in buy["hardware"])
    if by_gpu:
        buy = buy.assign(
            gpus=[u * gpus[h] for h, u in zip(buy["hardware"], buy["units"], strict=True)]
        )
    sec.chart(
        "units-bought",
        "Accelerators bought per period" if by_gpu else "Units bought per period",
        charts.bars(
            buy,
            series="hardware",
            value="gpus" if by_gpu else "units",
            title=(
                "Accelerators bought per period (units × GPUs per unit)"
                if by_gpu
                else "Units bought per period"
            ),
            y_title="accelerators bought" if by_gpu else "units bought",
            colors=hw_colors,
            order=[h for h in hw_order if h in set(buy["hardware"])],
            hover_unit="accelerators" if by_gpu else "units",
        ),
        caption="The units (servers or racks) bought are in the table below; "
        "counting accelerators puts a 72-GPU rack and an 8-GPU server on one scale.",
    )


def _installed_power_chart(
    sec: Section, plan: Plan, hw_colors: dict[str, str], hw_order: list[str]
) -> None:
    inst = plan.installed
    cap = None
    if not plan.resources.empty:
        r = plan.resources[plan.resources["resource"] == "power_mw"]
        cap = pd.Series(r["cap"].to_numpy(), index=r["period"].astype(str)).dropna()
    sec.chart(
        "installed-power",
        "Installed power",
        charts.bars(
            inst[inst["units"] > 0],
            series="hardware",
            value="facility_mw",
            title="Installed facility power by hardware",
            y_title="facility power (MW, IT × PUE)",
            colors=hw_colors,
            order=[h for h in hw_order if h in set(inst[inst["units"] > 0]["hardware"])],
            cap=cap,
            cap_name="site power cap",
            hover_unit="MW",
        ),
    )


def _tier_charts(sec: Section, by_tier: pd.DataFrame, t_colors: dict[str, str] | None) -> None:
    """Facility power and revenue per period, stacked by tier."""
    for key, name, value, title, y_title, unit, caption in (
        (
            "power-by-tier",
            "Facility power by tier",
            "facility_mw",
            "Facility power serving each tier",
            "facility power (MW, IT × PUE)",
            "MW",
            "Facility MW, as the installed-power chart and the deck chart draw them (IT MW × PUE).",
        ),
        (
            "revenue-by-tier",
            "Revenue by tier",
            "revenue_usd",
            "Revenue per period by tier (undiscounted)",
            "revenue (USD per period, undiscounted)",
            "USD",
            "",
        ),
    ):
        chart = charts.bars(
            by_tier,
            series="tier",
            value=value,
            title=title,
            colors=t_colors,
            y_title=y_title,
            hover_unit=unit,
        )
        sec.chart(key, name, chart, caption=caption)


def resources_section(plan: Plan) -> Section:
    """Each resource used against its cap, per period."""
    res = plan.resources.copy()
    res = res[res["cap"].notna() | (res["used"] > 0)].reset_index(drop=True)
    res.insert(2, "unit", res["resource"].map(RESOURCE_UNITS).fillna(""))
    pct = 100 * res["used"] / res["cap"].where(res["cap"] > 0)
    res["percent_of_cap"] = pct
    sec = Section(
        "resources",
        "Resources used against caps",
        "A cap is binding when no room is left for one more unit of any hardware on sale.",
    )
    capped = res[res["cap"].notna()]
    if len(capped):
        sec.chart(
            "resources",
            "Use of each cap",
            charts.bars(
                capped.assign(percent_of_cap=capped["percent_of_cap"].fillna(0)),
                mode="group",
                series="resource",
                value="percent_of_cap",
                title="Share of each cap used",
                y_title="used / cap (%)",
            ),
        )
    sec.table(
        "resources",
        "Resources used against caps",
        res,
        {"used": "in unit", "cap": "in unit", "slack": "in unit", "percent_of_cap": "%"},
    )
    return sec


def marginals_section(mv: pd.DataFrame) -> Section:
    """What one more unit of each resource is worth (the table of :func:`_marginals_table`)."""
    sec = Section(
        "marginal-values",
        "Marginal values",
        "What one more unit of each resource is worth to this plan, with its hardware "
        "choice held fixed: present value and undiscounted.",
    )
    power = mv[mv["resource"] == "power"]
    if len(power):
        sec.chart(
            "mv-power",
            "Value of one more MW",
            charts.hbar(
                [f"power {p}" for p in power["period"]],
                power["usd_per_unit"].tolist(),
                title="Value of one more facility MW, per period (present value)",
                x_title="USD per facility MW (present value)",
                y_title="",
                hover=[fmt.usd(v) for v in power["usd_per_unit"]],
            ),
        )
    sec.table(
        "marginal_values",
        "Marginal values",
        mv.reset_index(drop=True),
        {
            "usd_per_unit": "USD per unit, present value",
            "usd_per_unit_undiscounted": "USD per unit, undiscounted",
        },
    )
    return sec


def unusable_section(plan: Plan) -> Section:
    """Hardware and tier pairs the frontier table cannot serve."""
    sec = Section(
        "unusable",
        "Pairs that cannot be used, and why",
        "Hardware and tier pairs the frontier table cannot serve (speed, latency or "
        "context out of reach)."
        if not plan.unusable.empty
        else "None: every hardware can serve every tier.",
    )
    if not plan.unusable.empty:
        sec.table("unusable", "Pairs that cannot be used", plan.unusable.reset_index(drop=True))
    return sec


def frontier_section(instance: Instance, table: pd.DataFrame, plan: Plan | None) -> Section:
    """One interactive frontier chart per model the tiers sell (smallest context)."""
    from optimizer.plots import hardware_colors
    from optimizer.plots.frontier import available_models, frontier_series, operating_points
    from optimizer.plots.measured import calibration_band, measured_points
    from optimizer.report.frontier_chart import frontier

    sec = Section(
        "frontiers",
        "Frontiers: throughput per MW against speed per user",
        "Each hardware's Pareto envelope from the frontier table, in tokens/s per MW of "
        "facility power (IT power × PUE), and where the plan operates on it (marker size: "
        "units serving). Diamonds: the public measurements the frontier generator was "
        "calibrated on at this model and prompt length (filled: fitted; open: held out; "
        "triangles: the best point of a sparse sweep, a lower bound). The shaded band around "
        "a modelled curve is the curve times the 10% and 90% quantiles of measured / modelled "
        "on the held-out points of its hardware family: where a measurement would fall 8 "
        "times in 10 if the generator errs as it did there (docs/frontiers.md). Click a "
        "legend entry to hide a curve; hover for the numbers and each point's source.",
    )
    models = available_models(table)
    for m in dict.fromkeys(t.model for t in instance.tiers):
        if m not in models:
            continue
        series = frontier_series(instance, table, m)
        if series.empty:
            continue
        pts = operating_points(instance, table, plan, m)
        ctx = int(series["context_tokens"].iloc[0])
        sec.chart(
            f"frontier-{m}",
            f"Frontier of {m}",
            frontier(
                series,
                pts,
                title=f"{m} at {ctx:,}-token context",
                colors=hardware_colors(instance),
                measured=measured_points(instance, series),
                band=calibration_band(series),
            ),
        )
    return sec


def deck_pngs(instance: Instance, table: pd.DataFrame, plan: Plan) -> dict[str, bytes]:
    """The plan chart and a frontier chart per model the tiers sell, as PNG bytes."""
    from matplotlib.figure import Figure

    from optimizer.plots.frontier import available_models, frontier_figure
    from optimizer.plots.plan import plan_figure

    out: dict[str, bytes] = {}
    fig: Figure = plan_figure(instance, plan)
    out["Purchase plan and power split"] = png_of(fig)
    models = available_models(table)
    for m in dict.fromkeys(t.model for t in instance.tiers):
        if m in models:
            out[f"Frontier of {m}"] = png_of(frontier_figure(instance, table, plan, m))
    return out


def baseline_section(result: Comparison) -> Section:
    t = result.table.copy()
    sec = Section(
        "baselines",
        "Baselines",
        "The optimum beside simpler plans on the same instance, each solved by the same model: "
        "the keynote's equal power split, single-hardware fleets and a greedy rule. Objective "
        "and money discounted; cost per Mtok = (discounted capex + electricity) / Mtok sold.",
    )
    ok = t[t["objective_usd"].notna()]
    if len(ok):
        sec.chart(
            "baselines",
            "Objective of each plan",
            charts.hbar(
                ok["plan"].astype(str).tolist(),
                ok["objective_usd"].astype(float).tolist(),
                title="Objective of the optimum and of each baseline (discounted)",
                x_title="objective (USD, discounted)",
                y_title="",
                colors=["#0072B2" if p == "optimal" else "#999999" for p in ok["plan"]],
                hover=[
                    f"{fmt.usd(o)}; optimum earns {fmt.pct(u / 100, signed=True)} more"
                    if pd.notna(u)
                    else fmt.usd(o)
                    for o, u in zip(
                        ok["objective_usd"],
                        ok.get("optimum_uplift_pct", [None] * len(ok)),
                        strict=True,
                    )
                ],
            ),
        )
    sec.table("baselines", "Optimum against baselines", t)
    if not result.by_tier.empty:
        sec.table(
            "baselines_by_tier",
            "Cost per Mtok by tier (undiscounted sums over the horizon)",
            result.by_tier.copy(),
        )
    return sec


def plan_report(
    plan: Plan,
    instance: Instance | None,
    *,
    source: str,
    table: pd.DataFrame | None = None,
    baselines: Comparison | None = None,
    instance_path: Path | None = None,
    extra_pngs: dict[str, bytes] | None = None,
    extra_sections: list[Section] | None = None,
) -> Report:
    from optimizer.report.sections import assumptions_section

    name = plan.instance_name
    rep = Report(
        title=f"Plan for {name}",
        subtitle=f"{plan.objective_kind} · {plan.status} · from {source}",
        kind="plan",
        headline=headline(plan, instance)
        + ([] if plan.finance is None else finance_headline(plan.finance)),
    )
    rep.sections = [executive_summary(plan, instance, baselines)]
    rep.sections += plan_sections(
        plan, instance, table=table, baselines=baselines, extra_pngs=extra_pngs
    )
    rep.sections += extra_sections or []
    if instance_path is not None and instance is not None:
        rep.sections.append(assumptions_section(instance_path, instance))
    return rep
