"""``optimizer sweep``: what-if scenarios of one instance."""

from __future__ import annotations

import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from optimizer import fmt
from optimizer.cli.common import default_out, err_console, fail_input, make_console, progress_bar
from optimizer.cli.options import (
    BaseInstance,
    Marginals,
    MipGap,
    Objective,
    Samples,
    Strategy,
    StrategyChoice,
    TimeLimitEach,
    out_option,
    quiet_option,
    set_option,
    solve_options,
)
from optimizer.errors import EXIT_NO_PLAN, InputError
from optimizer.results.write import PARQUET_NOTE, write_table

if TYPE_CHECKING:  # imported inside the command: --help must not load pandas or Pyomo
    import pandas as pd

EXIT_INTERRUPTED = 130  # as a shell reports a command stopped by Ctrl-C


def read_scenarios(path: Path) -> pd.DataFrame:
    """A scenarios CSV: one column per key path, one row per scenario; at most
    MAX_SCENARIO_BYTES (a symlink to /dev/zero: one line, not 21 GB of memory)."""
    import io

    import pandas as pd

    from optimizer.input_files import MAX_SCENARIO_BYTES, read_capped

    data = read_capped(path, MAX_SCENARIO_BYTES, "a scenario CSV")
    try:
        table = pd.read_csv(io.BytesIO(data))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    if table.empty:
        raise InputError(f"{path}: has no scenario rows")
    return table


def sweep(
    path: BaseInstance,
    sets: Annotated[
        list[str] | None,
        set_option(
            "KEY=VALUES, e.g. site.power_mw=500:1500:100, "
            "tiers[high].price_usd_per_mtok=4,6,8, hardware[gb300-nvl72].capex_usd=scale(x0.8,x1.2)."
        ),
    ] = None,
    samples: Samples = None,
    seed: Annotated[
        int | None,
        typer.Option(
            help="Seed of the draws (same seed, same sweep); without it one is drawn and "
            "recorded in sweep.meta.json."
        ),
    ] = None,
    scenarios: Annotated[
        Path | None,
        typer.Option("--scenarios", help="CSV: one column per key, one row per scenario."),
    ] = None,
    out: Annotated[Path | None, out_option("Folder [default: results/<name>/sweep/].")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Local worker processes [default: all cores]; 1 = in process."),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address: run on that cluster instead.")
    ] = None,
    time_limit: TimeLimitEach = None,
    mip_gap: MipGap = None,
    strategy: Strategy = StrategyChoice.certified,
    objective: Objective = None,
    marginals: Marginals = True,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the stopped sweep in the output folder (same command): "
            "finished scenarios are kept, not solved again.",
        ),
    ] = False,
    quiet: Annotated[bool, quiet_option("No progress or summary.")] = False,
) -> None:
    """Solve scenarios of an instance; one row per scenario in sweep.parquet and sweep.csv.

    Beside the table: sweep.meta.json (command, seed, version). Ctrl-C keeps the finished
    rows and exits 130; --resume continues.
    """
    from optimizer.instance.load import load_instance
    from optimizer.sweep import build_scenarios, parse_set, record, run_sweep

    # Every problem of every input (instance, --set, --scenarios, --out) before solving.
    problems: list[str] = []
    base = None
    try:
        base = load_instance(path)
    except InputError as exc:
        problems += exc.problems
    values = []
    for option in sets or []:
        try:
            values.append(parse_set(option))
        except InputError as exc:
            problems += exc.problems
    table = None
    if scenarios is not None:
        try:
            table = read_scenarios(scenarios)
        except InputError as exc:
            problems += exc.problems
    if not sets and scenarios is None:
        problems.append("give at least one --set KEY=VALUES or --scenarios FILE.csv")
    folder = out if out is not None else default_out(base.name, "sweep") if base else None
    old_meta = None
    if folder is not None:
        problems += record.check_out_folder(folder)
        if resume and not problems:
            try:
                old_meta = record.read_meta(folder)
            except InputError as exc:
                problems += exc.problems
            if old_meta is None:
                problems.append(f"--resume: no sweep to continue in {folder}/")
    drawn = seed is None
    if seed is None:
        seed = int(old_meta["seed"]) if old_meta and "seed" in old_meta else record.draw_seed()
    plan: list[Any] = []
    if base is not None:
        try:
            plan = build_scenarios(base, values, samples=samples, seed=seed, table=table)
        except InputError as exc:
            problems += exc.problems
    if problems:
        fail_input(InputError(problems))
    assert base is not None and folder is not None

    options = solve_options(
        objective=objective,
        time_limit=time_limit,
        mip_gap=mip_gap,
        threads=1,  # one HiGHS thread per worker: the workers are the parallelism
        marginals=marginals,
        strategy=strategy,
    )
    fingerprint = record.fingerprint(base, plan, options)
    try:
        record.prepare_out_folder(folder)
    except InputError as exc:
        fail_input(exc)
    journal = record.Journal(folder)
    done: list[dict[str, Any]] = []
    if old_meta is not None:
        if old_meta.get("fingerprint") != fingerprint:
            fail_input(
                InputError(
                    f"--resume: {folder}/ holds a different sweep (instance, --set, --samples, "
                    "--seed, --scenarios or solver options differ); run without --resume "
                    "to start over"
                )
            )
        if old_meta.get("status") == "complete":
            if not quiet:
                err_console.print(f"the sweep in {folder}/ is already complete", highlight=False)
            return
        from optimizer.sweep.run import scenario_fields

        done = journal.read([scenario_fields(sc) for sc in plan])
        if journal.skipped and not quiet:
            err_console.print(
                f"warning: {journal.path}: {journal.skipped} line(s) are not rows of this "
                "sweep (damaged, or edited); their scenarios are solved again",
                highlight=False,
            )
    else:
        journal.start()
    command = shlex.join(["optimizer", *sys.argv[1:]])
    meta: dict[str, Any] = {
        "command": (old_meta or {}).get("command") or command,
        "optimizer_version": record.project_version(),
        "python": sys.version.split()[0],
        "seed": seed,
        "seed_drawn": bool(old_meta.get("seed_drawn")) if old_meta else drawn,
        "instance": str(path),
        "fingerprint": fingerprint,
        "scenarios": len(plan),
        "finished": len(done),
        "status": "running",
        "started_utc": (old_meta or {}).get("started_utc")
        or datetime.now(UTC).isoformat(timespec="seconds"),
        "resumed_with": command if old_meta else None,
    }
    record.write_meta(folder, meta)
    progress = progress_bar("sweep", quiet, rate=True)  # a bar on a terminal only
    with progress:
        task = progress.add_task("sweep", total=len(plan), rate=0.0)

        def tick(done: int, total: int) -> None:
            elapsed = progress.tasks[task].elapsed or 1e-9
            progress.update(task, completed=done, rate=done / elapsed)

        try:
            result = run_sweep(
                base,
                plan,
                options=options,
                workers=workers,
                scheduler=scheduler,
                progress=tick,
                done=done,
                on_row=journal.append,
            )
        except InputError as exc:
            fail_input(exc)

    files = write_table(result.table, folder / "sweep")
    if len(files) == 1 and not quiet:
        err_console.print(f"note: {PARQUET_NOTE}", highlight=False)
    complete = len(result.table) == len(plan) and not result.interrupted
    meta.update(
        finished=len(result.table),
        status="complete" if complete else "stopped",
        finished_utc=datetime.now(UTC).isoformat(timespec="seconds"),
        notes=result.notes,
    )
    files.append(record.write_meta(folder, meta))
    if complete:
        journal.remove()
    if not quiet:
        _summary(make_console(stderr=True), result, files, meta, sampled=bool(samples))
    if result.interrupted:
        err_console.print(
            f"interrupted: kept {len(result.table)} of {len(plan)} scenarios; "
            "run the same command with --resume to continue",
            highlight=False,
        )
        raise typer.Exit(EXIT_INTERRUPTED)
    if result.table.empty or (result.table["status"] == "error").all():
        raise typer.Exit(EXIT_NO_PLAN)


def _summary(
    console: Console,
    result: object,
    files: list[Path],
    meta: dict[str, Any],
    sampled: bool = True,
) -> None:
    """What the sweep gave; the seed only when scenarios were drawn (``--samples``)."""
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
            f"min {fmt.usd(obj.min())} · median {fmt.usd(obj.median())} · max {fmt.usd(obj.max())}",
        )
    table.add_row("seconds", f"{result.seconds:.1f} ({result.solver_seconds:.1f} in HiGHS, summed)")
    table.add_row("models rebuilt", str(result.rebuilds))
    if sampled:  # a list or a range draws nothing: its seed would mean nothing
        drawn = " (drawn; give --seed to repeat it)" if meta.get("seed_drawn") else ""
        table.add_row("seed", f"{meta.get('seed')}{drawn}")
    for note in result.notes:
        table.add_row("note", escape(note))
    if result.interrupted:
        table.add_row("interrupted", "kept the scenarios that finished")
    errors = t[t["status"] == "error"] if not t.empty else t
    for r in errors.head(5).itertuples(index=False):
        table.add_row(f"scenario {r.scenario}", escape(f"error: {r.error}"))
    table.add_row("wrote", ", ".join(str(f) for f in files))
    console.print(table)
