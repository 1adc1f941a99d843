"""``optimizer stochastic``: one purchase now for many futures (two-stage plan over scenarios).

    optimizer stochastic INSTANCE --scenarios FILE.csv [--first-stage P[,P...]]
    optimizer stochastic INSTANCE --set KEY=DIST ... --samples N --seed S
    mpiexec -n K optimizer stochastic INSTANCE --scenarios FILE.csv --method ph

Writes stochastic.json, first_stage.csv, scenarios.csv, scenario_buys.csv,
buy_frequency.csv, profit_distribution.png and first_stage_regret.png to --out
(default results/<name>-stochastic/). Exit status: 0 a plan; 1 none (a scenario
infeasible on its own, no common first stage, solver error); 2 bad input, one line per
problem, before anything is solved.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from optimizer.cli.common import (
    default_out,
    err_console,
    fail_input,
    safe_name,
    write_or_fail,
)
from optimizer.cli.options import (
    BaseInstance,
    MipGap,
    Objective,
    Samples,
    TimeLimitRun,
    out_option,
    quiet_option,
    set_option,
    solve_options,
)
from optimizer.errors import EXIT_BAD_INPUT, EXIT_NO_PLAN, EXIT_OK, InputError


def stochastic(
    path: BaseInstance,
    scenarios: Annotated[
        Path | None,
        typer.Option(
            "--scenarios",
            help="Scenario CSV: scenario, optional probability, one column per key path.",
        ),
    ] = None,
    sets: Annotated[
        list[str] | None,
        set_option(
            "KEY=DIST to draw scenarios (sweep syntax), e.g. "
            "tiers[medium].demand_mtok=scale(x0.5,x1.5); equal probabilities."
        ),
    ] = None,
    samples: Samples = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the draws.")] = None,
    first_stage: Annotated[
        str | None,
        typer.Option(
            "--first-stage", help="Periods decided now, e.g. 2026,2027 \\[default: the first]."
        ),
    ] = None,
    cvar: Annotated[
        float | None, typer.Option("--cvar", help="Report CVaR of the worst 1-ALPHA share.")
    ] = None,
    risk_weight: Annotated[
        float | None,
        typer.Option("--risk-weight", help="LAMBDA in [0,1]: weight of CVaR in the objective."),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="ef (extensive form) or ph (progressive hedging).")
    ] = "ef",
    ph_iterations: Annotated[
        int, typer.Option("--ph-iterations", min=1, help="PH iteration limit.")
    ] = 30,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print stochastic.json on stdout, nothing else.")
    ] = False,
    out: Annotated[Path | None, out_option("Folder [default: results/<name>-stochastic/].")] = None,
    no_write: Annotated[bool, typer.Option("--no-write", help="Write no files.")] = False,
    time_limit: TimeLimitRun = None,
    mip_gap: MipGap = None,
    objective: Objective = None,
    quiet: Annotated[bool, quiet_option("Errors only.")] = False,
) -> None:
    """Two-stage plan: one first-stage purchase that is best across scenarios."""
    from optimizer.instance.load import load_instance
    from optimizer.plots.stochastic import write_two_stage
    from optimizer.stochastic import solve
    from optimizer.stochastic.scenarios import (
        read_scenario_csv,
        scenarios_from_sets,
        scenarios_from_table,
    )
    from optimizer.sweep.spec import parse_set

    _notices(quiet or _rank() != 0)
    try:
        base = load_instance(path)
        if scenarios is not None and sets:
            raise InputError("give --scenarios FILE.csv or --set KEY=DIST, not both")
        if scenarios is not None:
            sc = scenarios_from_table(base, read_scenario_csv(scenarios), str(scenarios))
        elif sets:
            sc = scenarios_from_sets(base, [parse_set(s) for s in sets], samples, seed)
        else:
            raise InputError("give --scenarios FILE.csv or --set KEY=DIST --samples N")
        periods = [p.strip() for p in first_stage.split(",")] if first_stage else None
        result = solve(
            base,
            sc,
            solve_options(objective=objective, time_limit=time_limit, mip_gap=mip_gap),
            first_stage=periods,
            method=method,
            cvar_alpha=cvar,
            risk_weight=risk_weight,
            ph_iterations=ph_iterations,
            # Re-plans beside the EF solve in a second process; below 8 scenarios starting
            # another interpreter costs more than it saves.
            parallel=method == "ef" and len(sc) >= 8,
        )
    except InputError as exc:
        if _rank() != 0:  # rank 0 says it once
            raise typer.Exit(EXIT_BAD_INPUT) from None
        fail_input(exc)

    rank0 = _rank() == 0
    if rank0 and json_out:
        sys.stdout.write(result.to_json() + "\n")
        sys.stdout.flush()
    elif rank0 and not quiet:
        err_console.print(escape(result.summary()), highlight=False)
    if rank0 and not no_write:
        folder = out if out is not None else default_out(f"{safe_name(base.name)}-stochastic")
        write_or_fail(lambda f: write_two_stage(result, f), folder, quiet)
    if not result.ok:
        if rank0:
            err_console.print(
                f"[bold red]no plan:[/] {escape(result.status)}"
                + (f": {escape(result.message)}" if result.message else ""),
                highlight=False,
                soft_wrap=True,
            )
        raise typer.Exit(EXIT_NO_PLAN)
    raise typer.Exit(EXIT_OK)


class _Notes(logging.Handler):
    """``note: ...`` lines on stderr as it is at each record (a test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(f"note: {record.getMessage()}\n")


def _notices(quiet: bool) -> None:
    """The run's notices (``optimizer.stochastic``'s log, e.g. an open-ended EF MILP) on
    stderr; none with --quiet or on MPI ranks but 0."""
    log = logging.getLogger("optimizer.stochastic")
    log.setLevel(logging.ERROR if quiet else logging.INFO)
    if not any(isinstance(h, _Notes) for h in log.handlers):
        log.addHandler(_Notes())


def _rank() -> int:
    """MPI rank of this process (0 without MPI): only rank 0 prints and writes."""
    for var in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):  # MPICH, Open MPI
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    if "mpi4py" not in sys.modules:
        return 0
    from mpi4py import MPI

    return int(MPI.COMM_WORLD.Get_rank())
