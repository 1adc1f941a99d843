"""``optimizer compare`` and ``optimizer sensitivity``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from optimizer.cli.common import ObjectiveChoice, default_out, err_console, fail_input
from optimizer.errors import EXIT_NO_PLAN, InputError
from optimizer.instance.load import load_instance
from optimizer.results.report import _usd
from optimizer.results.write import write_atomic, write_table


def parse_split(text: str | None) -> dict[str, float] | None:
    """``tier=share,tier=share`` (shares as fractions or percentages)."""
    if not text:
        return None
    out: dict[str, float] = {}
    for part in text.split(","):
        if "=" not in part:
            raise InputError(f"--split: expected tier=share, got {part!r}")
        tier, share = part.split("=", 1)
        share = share.strip()
        try:
            value = float(share.rstrip("%")) / (100 if share.endswith("%") else 1)
        except ValueError:
            raise InputError(f"--split: {share!r} is not a number (tier {tier.strip()})") from None
        if not 0 <= value <= 1:
            raise InputError(f"--split: share of {tier.strip()} must be within 0..1")
        out[tier.strip()] = value
    return out


def compare(
    path: Annotated[str, typer.Argument(help="Instance file.")],
    split: Annotated[
        str | None,
        typer.Option(help="Power split baseline, tier=share,... [default: equal shares, the keynote's]."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Folder [default: results/<name>/].")] = None,
    objective: Annotated[ObjectiveChoice | None, typer.Option(help="Override the objective.")] = None,
    time_limit: Annotated[float | None, typer.Option(min=0, help="Seconds per solve.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """The optimal plan beside baselines: keynote split, single-hardware fleets, a greedy rule."""
    from optimizer.analysis.compare import compare as run_compare

    try:
        inst = load_instance(path)
        result = run_compare(
            inst,
            split=parse_split(split),
            objective=objective.value if objective else None,
            time_limit=time_limit,
        )
    except InputError as exc:
        fail_input(exc)
    folder = out if out is not None else default_out(inst.name)
    t = result.table
    write_atomic(folder / "compare.csv", t.to_csv(index=False))
    write_atomic(folder / "compare_by_tier.csv", result.by_tier.to_csv(index=False))
    if not quiet:
        console = Console()
        table = Table(title=f"{inst.name}: optimal plan against baselines ({inst.objective})")
        for c in ("plan", "status", "objective", "revenue", "Mtok", "cost/Mtok", "optimum uplift"):
            table.add_column(c, justify="left" if c in ("plan", "status") else "right")
        for r in t.itertuples(index=False):
            uplift = "-" if pd.isna(r.optimum_uplift_pct) else f"{r.optimum_uplift_pct:+.1f}%"
            table.add_row(
                escape(r.plan), r.status, _usd(_num(r.objective_usd)), _usd(_num(r.revenue_usd)),
                "-" if _num(r.mtok) is None else f"{r.mtok:,.3g}",
                "-" if _num(r.cost_usd_per_mtok) is None else f"${r.cost_usd_per_mtok:.4f}",
                uplift,
            )
        console.print(table)
        console.print(
            "cost/Mtok = (discounted capex + electricity) / Mtok sold over the horizon",
            style="dim",
        )
        err_console.print(f"wrote {folder}/compare.csv and compare_by_tier.csv")
    if t.loc[0, "objective_usd"] is None or pd.isna(t.loc[0, "objective_usd"]):
        raise typer.Exit(EXIT_NO_PLAN)


def _num(v: object) -> float | None:
    return None if v is None or pd.isna(v) else float(v)  # type: ignore[arg-type]


def _delta(text: str) -> float:
    t = text.strip()
    try:
        value = float(t.rstrip("%")) / (100 if t.endswith("%") else 1)
    except ValueError:
        raise InputError(f"--delta: {text!r} is not a number or percentage") from None
    if not 0 < value < 1:
        raise InputError(f"--delta: {text!r} must be between 0 and 100%")
    return value


def sensitivity(
    path: Annotated[str, typer.Argument(help="Instance file.")],
    delta: Annotated[str, typer.Option(help="Relative move of each input, e.g. 10% or 0.1.")] = "10%",
    out: Annotated[Path | None, typer.Option(help="Folder [default: results/<name>/sensitivity/].")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local worker processes.")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address.")] = None,
    top: Annotated[int, typer.Option(min=1, help="Inputs on the tornado chart.")] = 15,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Move every numeric input by -delta and +delta, one at a time; tornado chart of the objective."""
    from optimizer.analysis.sensitivity import sensitivity as run_sensitivity
    from optimizer.plots.tornado import plot_tornado

    try:
        inst = load_instance(path)
        result = run_sensitivity(inst, _delta(delta), workers=workers, scheduler=scheduler)
    except InputError as exc:
        fail_input(exc)
    folder = out if out is not None else default_out(inst.name, "sensitivity")
    files = write_table(result.table, folder / "sensitivity")
    png = plot_tornado(result.table, folder / "tornado.png", top=top)
    if not quiet:
        console = Console()
        table = Table(title=f"{inst.name}: objective when each input moves by ±{100 * _delta(delta):g}%")
        for c in ("input", "low", "high", "swing"):
            table.add_column(c, justify="left" if c == "input" else "right")
        for r in result.table.head(top).itertuples(index=False):
            table.add_row(escape(r.input), _usd(_num(r.objective_low_usd)), _usd(_num(r.objective_high_usd)),
                          _usd(_num(r.swing_usd)))
        console.print(table)
        err_console.print(f"wrote {', '.join(str(f) for f in files)}, {png}")
    if result.base_objective_usd is None:
        raise typer.Exit(EXIT_NO_PLAN)
