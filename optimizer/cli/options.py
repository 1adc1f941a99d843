"""The command line's options, each declared once, and the one function that turns the
solver's into a :class:`~optimizer.solver.options.SolveOptions`.

A command takes ``time_limit: TimeLimit = None`` (or :data:`TimeLimitEach`,
:data:`TimeLimitRun` where the limit is not the whole of one solve: the help says which)
and calls :func:`solve_options` with what it was given. ``--time-limit`` has one spelling
and three scopes (docs/usage.md, "Solver options"):

* ``solve``: the whole solve (the MILP, the check, the marginal values, the diagnosis);
* ``sweep``, ``sensitivity``, ``compare``, ``report``: EACH solve (a scenario, a baseline);
* ``stochastic``: all the solving of the run together.

Only typer and the standard library are imported here (``optimizer --help`` stays fast).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from optimizer.solver.options import SolveOptions


class ObjectiveChoice(StrEnum):
    revenue = "revenue"
    profit = "profit"
    cost = "cost"  # v3: least cost to serve every tier's demand_mtok forecast


class StrategyChoice(StrEnum):
    certified = "certified"
    milp = "milp"


STRATEGY_HELP = (
    "certified: relaxed unit counts give a bound, a repaired integer plan is returned when "
    "within --mip-gap of it, else HiGHS branches from it; milp: HiGHS's branch and bound "
    "on the whole model (docs/model.md)."
)


def sub_app(help: str) -> typer.Typer:
    """A command group (``optimizer plot``, ``optimizer frontiers``) set up as the root."""
    return typer.Typer(
        add_completion=False,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        # Help texts are plain text: rich markup would eat the "[default: ...]" they end with.
        rich_markup_mode=None,
        help=help,
    )


def out_option(help: str, *short: str) -> Any:
    """``--out`` (and ``-o`` where given) with this command's help."""
    return typer.Option(*short, "--out", help=help, show_default=False)


def quiet_option(help: str = "No report, no progress; errors only.") -> Any:
    return typer.Option("--quiet", "-q", help=help)


TimeLimit = Annotated[
    float | None,
    typer.Option(
        "--time-limit",
        min=0,
        help="Seconds for the whole solve: MILP, independent check, marginal values and "
        "diagnosis (a step that does not fit is skipped and listed).",
    ),
]
TimeLimitEach = Annotated[
    float | None,
    typer.Option(
        "--time-limit",
        min=0,
        help="Seconds for EACH solve (one scenario, one baseline), its post-solve steps included.",
    ),
]
TimeLimitRun = Annotated[
    float | None,
    typer.Option(
        "--time-limit",
        min=0,
        help="Seconds for all the solving of the run: every HiGHS solve (the scenarios' "
        "re-plans, the two-stage program) ends by then; reading, building and writing "
        "come on top.",
    ),
]
MipGap = Annotated[
    float | None,
    typer.Option("--mip-gap", min=0, help="Relative MIP gap [default: HiGHS's 1e-4]."),
]
Threads = Annotated[int | None, typer.Option("--threads", min=1, help="HiGHS threads.")]
Strategy = Annotated[StrategyChoice, typer.Option("--strategy", help=STRATEGY_HELP)]
Objective = Annotated[
    ObjectiveChoice | None,
    typer.Option("--objective", help="Override the instance's objective."),
]
Log = Annotated[bool, typer.Option("--log", help="Show HiGHS's log on stderr.")]
Marginals = Annotated[
    bool,
    typer.Option(
        "--marginals/--no-marginals",
        help="Price the caps with the plan's hardware choice held fixed (one LP per solve).",
    ),
]
OutFolder = Annotated[Path | None, out_option("Folder [default: results/<name>/].")]

# What sweep and stochastic draw scenarios from.
BaseInstance = Annotated[str, typer.Argument(help="Base instance (YAML or JSON).")]
Samples = Annotated[
    int | None,
    typer.Option("--samples", min=1, help="Scenarios to draw (Monte Carlo) from the --set ranges."),
]


def set_option(help: str) -> Any:
    """``--set KEY=...`` (repeatable), in the sweep syntax; ``help`` says what is drawn."""
    return typer.Option("--set", help=help)


def solve_options(
    *,
    objective: ObjectiveChoice | str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    strategy: StrategyChoice | str = StrategyChoice.certified,
    log: bool = False,
    marginals: bool = True,
) -> SolveOptions:
    """The :class:`SolveOptions` of a command's solver flags (the one place they meet it)."""
    from optimizer.solver.options import SolveOptions

    return SolveOptions(
        objective=None if objective is None else str(objective),  # type: ignore[arg-type]
        time_limit=time_limit,
        mip_gap=mip_gap,
        threads=threads,
        strategy=str(strategy),  # type: ignore[arg-type]
        log=log,
        marginals=marginals,
    )
