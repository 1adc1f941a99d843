"""``optimizer sweep``: what-if scenarios of one instance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from optimizer.cli.common import ObjectiveChoice, default_out, err_console, fail_input
from optimizer.errors import EXIT_NO_PLAN, InputError
from optimizer.instance.load import load_instance
from optimizer.results.write import write_table
from optimizer.sweep import SolveOptions, build_scenarios, parse_set, run_sweep


def read_scenarios(path: Path) -> pd.DataFrame:
    """A scenarios CSV: one column per key path, one row per scenario."""
    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    if table.empty:
        raise InputError(f"{path}: has no scenario rows")
    return table


def sweep(
    path: Annotated[str, typer.Argument(help="Base instance (YAML or JSON).")],
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="KEY=VALUES, e.g. site.power_mw=500:1500:100, "
            "tiers[high].price_usd_per_mtok=4,6,8, hardware[gb300-nvl72].capex_usd=scale(x0.8,x1.2).",
        ),
    ] = None,
    samples: Annotated[int | None, typer.Option(min=1, help="Monte Carlo draws.")] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the draws (same seed, same sweep).")
    ] = None,
    scenarios: Annotated[
        Path | None,
        typer.Option("--scenarios", help="CSV: one column per key, one row per scenario."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder [default: results/<name>/sweep/].")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Local worker processes [default: all cores]; 1 = in process."),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address: run on that cluster instead.")
    ] = None,
    time_limit: Annotated[float | None, typer.Option(min=0, help="Seconds per scenario.")] = None,
    mip_gap: Annotated[float | None, typer.Option(min=0, help="Relative MIP gap.")] = None,
    objective: Annotated[
        ObjectiveChoice | None, typer.Option(help="Override the objective.")
    ] = None,
    marginals: Annotated[bool, typer.Option(help="Marginal values per scenario.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")] = False,
) -> None:
    """Solve scenarios of an instance; one row per scenario in sweep.parquet and sweep.csv."""
    try:
        base = load_instance(path)
        values = [parse_set(s) for s in sets or []]
        table = read_scenarios(scenarios) if scenarios is not None else None
        if not values and table is None:
            raise InputError("give at least one --set KEY=VALUES or --scenarios FILE.csv")
        plan = build_scenarios(base, values, samples=samples, seed=seed, table=table)
    except InputError as exc:
        fail_input(exc)

    options = SolveOptions(
        objective=objective.value if objective else None,
        time_limit=time_limit,
        mip_gap=mip_gap,
        threads=1,  # one HiGHS thread per worker: the workers are the parallelism
        marginals=marginals,
    )
    progress = Progress(
        TextColumn("[bold]sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:.1f}/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err_console,
        disable=quiet,
    )
    with progress:
        task = progress.add_task("sweep", total=len(plan), rate=0.0)

        def tick(done: int, total: int) -> None:
            elapsed = progress.tasks[task].elapsed or 1e-9
            progress.update(task, completed=done, rate=done / elapsed)

        try:
            result = run_sweep(
                base, plan, options=options, workers=workers, scheduler=scheduler, progress=tick
            )
        except InputError as exc:
            fail_input(exc)

    folder = out if out is not None else default_out(base.name, "sweep")
    files = write_table(result.table, folder / "sweep")
    if not quiet:
        _summary(Console(stderr=True), result, files)
    if result.table.empty or (result.table["status"] == "error").all():
        raise typer.Exit(EXIT_NO_PLAN)


def _summary(console: Console, result: object, files: list[Path]) -> None:
    from optimizer.sweep import SweepResult

    assert isinstance(result, SweepResult)
    t = result.table
    ok = t[t["status"].isin(["optimal", "time_limit"])] if not t.empty else t
    table = Table(show_header=False, box=None)
    table.add_row("scenarios", f"{len(t)} ({len(ok)} with a plan, {len(t) - len(ok)} without)")
    if len(ok) and ok["objective_usd"].notna().any():
        obj = ok["objective_usd"].astype(float)
        table.add_row(
            "objective",
            f"min {obj.min():,.0f} · median {obj.median():,.0f} · max {obj.max():,.0f} USD",
        )
    table.add_row("seconds", f"{result.seconds:.1f} ({result.solver_seconds:.1f} in HiGHS, summed)")
    table.add_row("models rebuilt", str(result.rebuilds))
    if result.interrupted:
        table.add_row("interrupted", "kept the scenarios that finished")
    errors = t[t["status"] == "error"] if not t.empty else t
    for r in errors.head(5).itertuples(index=False):
        table.add_row(f"scenario {r.scenario}", escape(f"error: {r.error}"))
    table.add_row("wrote", ", ".join(str(f) for f in files))
    console.print(table)
