"""``optimizer plot``: deck-ready PNG charts of an instance's frontier and of its plan.

    optimizer plot frontier INSTANCE [--model M] [--context N] [--period P] [--out PATH]
                                     [--no-plan] [--log-y]
    optimizer plot plan INSTANCE [--out PATH]

Default output: ``results/<instance name>/frontier-<model>.png`` and
``results/<instance name>/plan.png``, written atomically. Exit status as ``optimizer
solve``: 0 chart written; 1 no plan (infeasible, unbounded, solver error) or the file
cannot be written; 2 bad input, one line per problem on stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from optimizer.errors import EXIT_BAD_INPUT, EXIT_NO_PLAN, InputError

if TYPE_CHECKING:
    from optimizer.instance.schema import Instance
    from optimizer.solve.planner import Planner

plot_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Draw deck-ready charts (PNG): the throughput/speed frontier, the purchase plan.",
)


def _err(line: str) -> None:
    sys.stderr.write(f"error: {line}\n")


def _fail_input(exc: InputError) -> NoReturn:
    for line in exc.problems:
        _err(line)
    raise typer.Exit(EXIT_BAD_INPUT)


def _load(path: str) -> tuple[Instance, Planner]:
    from optimizer.instance.load import load_instance
    from optimizer.solve.planner import Planner

    try:
        instance = load_instance(path)
        return instance, Planner(instance)
    except InputError as exc:
        _fail_input(exc)


def _write(draw: Callable[[Path | None], Path], out: Path | None, what: str) -> Path:
    try:
        return draw(out)
    except InputError as exc:
        _fail_input(exc)
    except OSError as exc:
        _err(f"cannot write the {what} chart: {exc}")
        raise typer.Exit(EXIT_NO_PLAN) from None


@plot_app.command()
def frontier(
    instance_path: Annotated[
        str,
        typer.Argument(
            metavar="INSTANCE", help="Instance file (YAML or JSON); - reads JSON from stdin."
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="Model id of the frontier table (default: the model most tiers sell).",
        ),
    ] = None,
    context: Annotated[
        int | None,
        typer.Option(
            "--context",
            min=1,
            help="Context (tokens) of the rows to draw (default: the model's smallest).",
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period", help="Mark only this period's operating points and show its prices."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="PNG path (default: results/<instance name>/frontier-<model>.png)."
        ),
    ] = None,
    no_plan: Annotated[
        bool, typer.Option("--no-plan", help="Do not solve: curves and tier bands only.")
    ] = False,
    log_y: Annotated[bool, typer.Option("--log-y", help="Log-scale throughput axis.")] = False,
) -> None:
    """Throughput per MW vs. tokens/s per user: hardware curves, tier bands, plan points."""
    from optimizer.plots.frontier import plot_frontier, resolve_model_context

    instance, planner = _load(instance_path)
    try:  # check the model and context before spending time on a solve
        model, context = resolve_model_context(instance, planner.table, model, context)
    except InputError as exc:
        _fail_input(exc)
    if period is not None and period not in [str(p) for p in instance.periods]:
        known = ", ".join(str(p) for p in instance.periods)
        _fail_input(InputError(f"--period: {period!r} is not one of periods {known}"))
    plan = None
    if not no_plan:
        plan = planner.solve()
    label = next((p for p in instance.periods if str(p) == period), None) if period else None
    drawn_plan = plan if plan is not None and plan.has_solution else None
    path = _write(
        lambda o: plot_frontier(
            instance, planner.table, drawn_plan, model, context, o, period=label, log_y=log_y
        ),
        out,
        "frontier",
    )
    sys.stderr.write(f"wrote {path}\n")
    if plan is not None and not plan.ok:
        _err(
            f"no plan ({plan.status}): the chart shows no operating points. {plan.message}".strip()
        )
        raise typer.Exit(EXIT_NO_PLAN)


@plot_app.command()
def plan(
    instance_path: Annotated[
        str,
        typer.Argument(
            metavar="INSTANCE", help="Instance file (YAML or JSON); - reads JSON from stdin."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="PNG path (default: results/<instance name>/plan.png)."),
    ] = None,
) -> None:
    """Solve and draw the plan: purchases, installed power, power by tier, per period."""
    from optimizer.plots.plan import plot_plan

    instance, planner = _load(instance_path)
    result = planner.solve()
    if not result.has_solution:
        _err(f"no plan ({result.status}): nothing to draw. {result.message}".strip())
        raise typer.Exit(EXIT_NO_PLAN)
    path = _write(lambda o: plot_plan(instance, result, o), out, "plan")
    sys.stderr.write(f"wrote {path}\n")
    if not result.ok:
        raise typer.Exit(EXIT_NO_PLAN)
