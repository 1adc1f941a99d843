"""``optimizer plot``: deck-ready PNG charts of an instance's frontier, of its plan, and of
a sweep's table.

    optimizer plot frontier INSTANCE [--model M] [--context N] [--period P] [--out PATH]
                                     [--no-plan] [--log-y] [--points FILE]
    optimizer plot plan INSTANCE [--out PATH]
    optimizer plot sweep TABLE [--out PATH] [--input KEY ...] [--title TEXT]

Default output: ``results/<instance name>/frontier-<model>.png``,
``results/<instance name>/plan.png``, and ``sweep.png`` beside the sweep table; written
atomically. Exit status as ``optimizer solve``: 0 chart written; 1 no plan (infeasible,
unbounded, solver error; for a sweep: no scenario has one) or the file cannot be written;
2 bad input (a missing or unreadable table, an unknown --input), one line per problem on
stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from optimizer.cli.options import out_option, sub_app
from optimizer.errors import EXIT_BAD_INPUT, EXIT_NO_PLAN, InputError

if TYPE_CHECKING:
    from optimizer.instance.schema import Instance
    from optimizer.planning.planner import Planner
    from optimizer.results.plan import Plan

# The INSTANCE argument every plot command takes.
InstanceArg = Annotated[
    str,
    typer.Argument(
        metavar="INSTANCE", help="Instance file (YAML or JSON); - reads JSON from stdin."
    ),
]

plot_app = sub_app(
    "Draw deck-ready charts (PNG): the throughput/speed frontier, the purchase plan, a sweep."
)


def png_out(name: str) -> Any:
    """``--out`` of a chart drawn from an instance's plan."""
    return out_option(f"PNG path (default: results/<instance name>/{name}.png).")


def _err(line: str) -> None:
    sys.stderr.write(f"error: {line}\n")


def _fail_input(exc: InputError) -> NoReturn:
    for line in exc.problems:
        _err(line)
    raise typer.Exit(EXIT_BAD_INPUT)


def _load(path: str) -> tuple[Instance, Planner]:
    from optimizer.instance.load import load_instance
    from optimizer.planning.planner import Planner

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


@plot_app.command(short_help="Throughput per MW against tok/s per user (the keynote).")
def frontier(
    instance_path: InstanceArg,
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
        Path | None, out_option("PNG path (default: results/<instance name>/frontier-<model>.png).")
    ] = None,
    no_plan: Annotated[
        bool, typer.Option("--no-plan", help="Do not solve: curves and tier bands only.")
    ] = False,
    log_y: Annotated[bool, typer.Option("--log-y", help="Log-scale throughput axis.")] = False,
    points: Annotated[
        Path | None,
        typer.Option(
            "--points",
            help="Your own measured points to draw over the curves: a frontier CSV with a "
            "source per row, as `optimizer frontiers import` writes.",
        ),
    ] = None,
) -> None:
    """Throughput per MW vs. tokens/s per user: hardware curves, tier bands, plan points,
    measured points and the calibration band."""
    from optimizer.plots.frontier import plot_frontier, resolve_model_context
    from optimizer.plots.measured import read_user_points

    instance, planner = _load(instance_path)
    try:  # check the model, context and points before spending time on a solve
        model, context = resolve_model_context(instance, planner.table, model, context)
        mine = read_user_points(points) if points is not None else None
    except InputError as exc:
        _fail_input(exc)
    if period is not None and period not in [str(p) for p in instance.periods]:
        known = ", ".join(str(p) for p in instance.periods)
        _fail_input(InputError(f"--period: {period} is not one of periods {known}"))
    plan = None
    if not no_plan:
        plan = planner.solve()
    label = next((p for p in instance.periods if str(p) == period), None) if period else None
    drawn_plan = plan if plan is not None and plan.has_solution else None
    path = _write(
        lambda o: plot_frontier(
            instance,
            planner.table,
            drawn_plan,
            model,
            context,
            o,
            period=label,
            log_y=log_y,
            user_points=mine,
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


def _plan_chart(name: str, short_help: str, doc: str, needs_menu: bool = False) -> None:
    """Register ``optimizer plot NAME INSTANCE [--out PATH]``: solve the instance, then draw
    the plan with ``optimizer.plots.NAME.plot_NAME(instance, plan, out)``."""

    def command(instance_path: InstanceArg, out: Path | None = None) -> None:
        import importlib

        draw = getattr(importlib.import_module(f"optimizer.plots.{name}"), f"plot_{name}")
        instance, planner = _load(instance_path)
        if needs_menu and not any(t.price_menu is not None for t in instance.tiers):
            _fail_input(InputError(f"{instance_path}: no tier has a price_menu: nothing to draw"))
        _solve_and_draw(planner, lambda result, o: draw(instance, result, o), out, name)

    command.__doc__ = doc
    # this module's annotations are strings (PEP 563): give typer the objects, whose --out
    # help names this chart
    command.__annotations__["out"] = Annotated[Path | None, png_out(name)]
    plot_app.command(name, short_help=short_help)(command)


_plan_chart(
    "plan",
    "Purchases, installed power and power by tier.",
    "Solve and draw the plan: purchases, installed power, power by tier, per period.",
)
_plan_chart(
    "prices",
    "Price against Mtok sold, per tier with a menu.",
    "Solve and draw price against Mtok sold for every tier with a price menu.",
    needs_menu=True,
)


def _solve_and_draw(
    planner: Planner, draw: Callable[[Plan, Path | None], Path], out: Path | None, name: str
) -> None:
    """Solve, draw the plan's chart and say where it went; exit 1 when there is no plan to
    act on (nothing drawn without a solution)."""
    result = planner.solve()
    if not result.has_solution:
        _err(f"no plan ({result.status}): nothing to draw. {result.message}".strip())
        raise typer.Exit(EXIT_NO_PLAN)
    path = _write(lambda o: draw(result, o), out, name)
    sys.stderr.write(f"wrote {path}\n")
    if not result.ok:
        raise typer.Exit(EXIT_NO_PLAN)


@plot_app.command(short_help="Objective and units bought against each swept input.")
def sweep(
    table_path: Annotated[
        Path,
        typer.Argument(
            metavar="TABLE",
            help="Sweep table written by optimizer sweep (sweep.parquet or sweep.csv).",
        ),
    ],
    out: Annotated[
        Path | None, out_option("PNG path (default: sweep.png next to the table).")
    ] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            help="Swept input (key path column) to draw; repeat for several "
            "(default: every swept input, the first 4 drawn).",
        ),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Chart title.")] = None,
) -> None:
    """Objective and units bought per hardware against each swept input of a sweep."""
    from optimizer.plots.sweep import has_plan, plot_sweep

    try:
        from optimizer.sweep.record import read_sweep_table

        table = read_sweep_table(table_path)
    except InputError as exc:
        _fail_input(exc)
    target = out if out is not None else table_path.parent / "sweep.png"
    try:
        path = _write(
            lambda o: plot_sweep(table, o if o is not None else target, inputs, title=title),
            target,
            "sweep",
        )
    except ValueError as exc:
        _fail_input(InputError(f"{table_path}: {exc}"))
    sys.stderr.write(f"wrote {path}\n")
    if not has_plan(table).any():
        _err(f"no scenario in {table_path} has a plan: the chart shows none.")
        raise typer.Exit(EXIT_NO_PLAN)
