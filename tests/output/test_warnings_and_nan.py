"""What a user reads of a plan: warnings wherever the plan is shown, and never "nan"."""

from __future__ import annotations

import re

from rich.console import Console

from optimizer import Planner, SolveOptions, load_instance, solve

from conftest import TOY, base


# ------------------------------------------------------------------------- warnings
def _unservable() -> dict:
    doc = base()
    doc["tiers"].append(
        {
            "id": "fast",
            "model": "m",
            "context_tokens": 8192,
            "price_usd_per_mtok": 5.0,
            "min_interactivity": 500,  # the table stops at 100 tok/s/user
        }
    )
    return doc


def test_a_tier_no_hardware_can_serve_is_a_warning_everywhere() -> None:
    from optimizer.results.report import render, summary_markdown

    plan = solve(_unservable())
    assert plan.status == "optimal"
    assert len(plan.warnings) == 1
    assert "tiers[1] 'fast'" in plan.warnings[0] and "no hardware can serve it" in plan.warnings[0]
    assert plan.to_dict()["warnings"] == plan.warnings
    assert "## Warnings" in summary_markdown(plan) and plan.warnings[0] in summary_markdown(plan)
    console = Console(width=400, record=True)
    console.print(render(plan))
    assert "warning: " + plan.warnings[0] in console.export_text()
    assert solve(base()).warnings == []  # and nothing when every tier is served


# ---------------------------------------------------------------------------- no nan
def test_no_nan_in_summary_console_or_compare() -> None:
    from optimizer.analysis.compare import compare
    from optimizer.cli.analysis_cmd import compare_markdown
    from optimizer.results.report import render, summary_markdown

    plan = solve(TOY)  # no capex budget: the budget rows have no cap
    assert plan.resources["cap"].isna().any()
    console = Console(width=200, record=True)
    console.print(render(plan))
    for text in (summary_markdown(plan), console.export_text()):
        # "nan" as a word: "finance" and "nanos" are not missing numbers
        assert not re.search(r"\bnan\b", text.lower())
    inst = load_instance(_unservable())
    result = compare(inst)
    md = compare_markdown(inst.name, result, None)
    assert "nan" not in md.lower()


def test_planner_exposes_warnings_of_the_current_instance() -> None:
    planner = Planner(load_instance(base()), SolveOptions(marginals=False))
    assert planner.solve().warnings == []
    planner.update(load_instance(_unservable()))
    assert planner.solve().warnings  # the new tier, which nothing can serve
