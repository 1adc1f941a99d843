"""The ``optimizer`` command line.

Exit status: 0 a plan (optimal, or time limit with an incumbent); 1 no plan
(infeasible, unbounded, error); 2 bad input (one line per problem, no traceback).

Start-up stays light: this module and the command modules import only typer, rich and
the standard library at the top; pandas, Pyomo and HiGHS are imported inside the commands
that use them, so ``optimizer --help`` and a bad input file never load Pyomo
(``benchmarks/startup.py`` times it, ``tests/release/test_release.py`` checks it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from optimizer.cli import (
    analysis_cmd,
    project_cmd,
    report_cmd,
    serve_cmd,
    stochastic_cmd,
    sweep_cmd,
)
from optimizer.cli.common import (
    default_out,
    err_console,
    fail_input,
    make_console,
    out_folder_problems,
    write_or_fail,
)
from optimizer.cli.frontiers_cmd import frontiers_app
from optimizer.cli.options import (
    Log,
    MipGap,
    Objective,
    Strategy,
    StrategyChoice,
    Threads,
    TimeLimit,
    out_option,
    quiet_option,
    solve_options,
    sub_app,
)
from optimizer.cli.plot_cmd import plot_app
from optimizer.errors import EXIT_NO_PLAN, EXIT_OK, InputError
from optimizer.extras import MissingExtra

app = sub_app(
    "Plan an AI inference factory: which hardware to buy and how to split it across tiers."
)


def _version(value: bool) -> None:
    if value:
        from optimizer import __version__

        sys.stdout.write(f"optimizer {__version__}\n")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Plan an AI inference factory: which hardware to buy and how to split it across tiers."""


@app.command()
def solve(
    path: Annotated[
        str, typer.Argument(help="Instance file (YAML or JSON); - reads JSON from stdin.")
    ],
    json_out: Annotated[
        bool,
        typer.Option("--json", help="Print the result (docs/format.md) on stdout, nothing else."),
    ] = False,
    out: Annotated[
        Path | None,
        out_option(
            "Folder for plan.json, buy/serve/sold.csv, summary.md [default: results/<name>/]."
        ),
    ] = None,
    no_write: Annotated[
        bool, typer.Option("--no-write", help="Do not write result files.")
    ] = False,
    time_limit: TimeLimit = None,
    mip_gap: MipGap = None,
    objective: Objective = None,
    threads: Threads = None,
    strategy: Strategy = StrategyChoice.certified,
    log: Log = False,
    quiet: Annotated[bool, quiet_option()] = False,
    allow_paths: Annotated[
        bool,
        typer.Option(
            "--allow-paths",
            help="Let an instance read from stdin name frontier files (by default it may "
            "name only shipped tables or give rows inline).",
        ),
    ] = False,
) -> None:
    """Solve an instance and report the optimal plan."""
    from optimizer.instance.load import load_instance

    problems: list[str] = []
    try:
        # The schema and the frontier table are checked before Pyomo is even imported, so
        # a bad input fails fast (the planner reads the table again: ~0.1 s on the 1 GW
        # reference instance, for an answer in under a second on every input error).
        instance = load_instance(path, allow_paths=True if allow_paths else None)
        from optimizer.frontiers.table import read_frontier_table  # pandas: only now

        read_frontier_table(instance)
    except InputError as exc:
        problems += exc.problems
    # A folder that cannot take the results is bad input too, found before solving: the
    # plan must not be printed and then lost (exit 1).
    if not no_write and (out is not None or not problems):
        problems += out_folder_problems(out if out is not None else default_out(instance.name))
    if problems:
        fail_input(InputError(problems))

    from optimizer.planning.planner import solve as solve_instance
    from optimizer.results.report import print_report
    from optimizer.results.write import write_plan
    from optimizer.verify import VerificationError

    try:
        options = solve_options(
            objective=objective,
            time_limit=time_limit,
            mip_gap=mip_gap,
            threads=threads,
            strategy=strategy,
            log=log,
        )
        plan = solve_instance(instance, options)
    except InputError as exc:
        fail_input(exc)
    except VerificationError as exc:
        # The independent checker disagrees with the solver: never print such a plan.
        for line in exc.problems:
            err_console.print(f"[bold red]check failed:[/] {escape(line)}", soft_wrap=True)
        raise typer.Exit(EXIT_NO_PLAN) from None

    if json_out:
        sys.stdout.write(plan.to_json() + "\n")
        sys.stdout.flush()
    elif not quiet:
        print_report(plan, make_console())
    if not no_write and plan.has_solution:
        folder = out if out is not None else default_out(plan.instance_name)
        source = None if path == "-" else path
        write_or_fail(lambda f: write_plan(plan, f, instance_file=source), folder, quiet)
    if not plan.ok:
        if not quiet:
            err_console.print(f"[bold red]no plan:[/] {plan.status}")
        if json_out or quiet:
            for msg in [] if plan.diagnosis.empty else plan.diagnosis["message"]:
                err_console.print(f"relax: {escape(msg)}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_NO_PLAN)
    raise typer.Exit(EXIT_OK)


# One-line summaries for `optimizer --help` (Click cuts a docstring's first sentence to the
# terminal's width, mid-sentence: "Solve scenarios of an instance; one row per scenario in...").
app.command(short_help="What-if scenarios of an instance, one row each.")(sweep_cmd.sweep)
app.command(short_help="Two-stage plan: one purchase now, best across futures.")(
    stochastic_cmd.stochastic
)
app.command(short_help="The optimum beside baselines, or two instances side by side.")(
    analysis_cmd.compare
)
app.command(short_help="Move each input by -/+ delta; tornado of the objective.")(
    analysis_cmd.sensitivity
)
app.command(short_help="HTTP service: solve, sweep, jobs and their reports.")(serve_cmd.serve)
app.command(short_help="Print the JSON Schema of an instance file.")(project_cmd.schema)
app.command(short_help="Write a commented starter instance.")(project_cmd.init)
app.command(short_help="One HTML report (and a workbook, a PDF) to hand on.")(report_cmd.report)
app.add_typer(
    plot_app,
    name="plot",
    help="Charts: frontier (the keynote chart), plan, prices, sweep.",
    short_help="Charts: frontier, plan, prices, sweep.",
)
app.add_typer(
    frontiers_app,
    name="frontiers",
    help="Frontier tables: list the shipped ones, build them from sourced specs, query a "
    "point, import measurements, calibrate, draw scale scenarios.",
    short_help="Frontier tables: list, build, query, import, calibrate.",
)


# Optional packages and the extra that installs each (see pyproject.toml).
_EXTRA_OF = {
    "matplotlib": "plot",
    "pyarrow": "parquet",
    "dask": "cluster",
    "distributed": "cluster",
    "fastapi": "service",
    "uvicorn": "service",
    "mpisppy": "stochastic",
    "mpi4py": "stochastic",
    "plotly": "report",
    "openpyxl": "report",
}


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except MissingExtra as exc:  # an optional package (charts, Parquet) is not installed
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(EXIT_NO_PLAN)
    except ModuleNotFoundError as exc:
        extra = _EXTRA_OF.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        err_console.print(
            "[bold red]error:[/] "
            + escape(f"{exc.name} is not installed: pip install 'optimizer[{extra}]'")
        )
        sys.exit(EXIT_NO_PLAN)
    except OSError as exc:  # a folder that cannot be written, a full disk: one line, no trace
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        err_console.print(f"[bold red]error:[/] {escape(where + (exc.strerror or str(exc)))}")
        sys.exit(EXIT_NO_PLAN)


if __name__ == "__main__":
    main()
