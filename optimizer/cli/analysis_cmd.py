"""``optimizer compare`` and ``optimizer sensitivity``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from optimizer import fmt
from optimizer.cli.common import default_out, err_console, fail_input, make_console, progress_bar
from optimizer.cli.options import (
    MipGap,
    Objective,
    OutFolder,
    Strategy,
    StrategyChoice,
    TimeLimitEach,
    quiet_option,
    solve_options,
)
from optimizer.errors import EXIT_NO_PLAN, InputError
from optimizer.results.write import PARQUET_NOTE, csv_text, write_atomic, write_table

if TYPE_CHECKING:
    from optimizer.solver.options import SolveOptions

# pandas, the instance schema and the solver are imported inside the commands (fast --help).


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
    other: Annotated[
        str | None,
        typer.Argument(
            help="A second instance: its optimum beside the first one's (plan, revenue, cost "
            "per Mtok by tier, what differs) instead of the baselines."
        ),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(
            help="Power split baseline, tier=share,... [default: equal shares, 1/n each]."
        ),
    ] = None,
    out: OutFolder = None,
    objective: Objective = None,
    time_limit: TimeLimitEach = None,
    shell_usd_per_mw_year: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Building cost per facility MW-year, counted in cost per Mtok "
            "by tier (e.g. 2.67e6: $40B per GW over 15 years).",
        ),
    ] = None,
    strategy: Strategy = StrategyChoice.certified,
    quiet: Annotated[bool, quiet_option()] = False,
) -> None:
    """The optimum beside baselines (a power split, equal shares by default; one-hardware
    fleets; a greedy rule), or, given two instances, their optima side by side."""
    import pandas as pd

    from optimizer.analysis.compare import compare as run_compare
    from optimizer.fmt import usd as _usd
    from optimizer.instance.load import load_instance

    options = solve_options(objective=objective, time_limit=time_limit, strategy=strategy)
    if other is not None:
        if split is not None or shell_usd_per_mw_year is not None:
            fail_input(InputError("--split and --shell-usd-per-mw-year apply to one instance"))
        _compare_two(path, other, out, options, quiet)
        return

    try:
        inst = load_instance(path)
        result = run_compare(
            inst,
            options,
            split=parse_split(split),
            shell_usd_per_mw_year=shell_usd_per_mw_year,
        )
    except InputError as exc:
        fail_input(exc)
    folder = out if out is not None else default_out(inst.name)
    t = result.table
    write_atomic(folder / "compare.csv", csv_text(t))
    write_atomic(folder / "compare_by_tier.csv", csv_text(result.by_tier))
    write_atomic(folder / "compare.md", compare_markdown(inst.name, result, shell_usd_per_mw_year))
    if not quiet:
        console = make_console()
        table = Table(title=f"{inst.name}: optimal plan against baselines ({inst.objective})")
        for c in ("plan", "status", "objective", "revenue", "Mtok", "cost/Mtok", "optimum uplift"):
            table.add_column(c, justify="left" if c in ("plan", "status") else "right")
        for r in t.itertuples(index=False):
            uplift = _uplift(r.optimum_uplift_pct, r.objective_usd)
            table.add_row(
                escape(r.plan),
                r.status,
                _usd(_num(r.objective_usd)),
                _usd(_num(r.revenue_usd)),
                fmt.quantity(r.mtok),
                fmt.price(r.cost_usd_per_mtok),
                uplift,
            )
        console.print(table)
        console.print(
            "cost/Mtok = (discounted capex + electricity) / Mtok sold over the horizon",
            style="dim",
        )
        err_console.print(f"wrote {folder}/compare.csv, compare_by_tier.csv, compare.md")
    if t.loc[0, "objective_usd"] is None or pd.isna(t.loc[0, "objective_usd"]):
        raise typer.Exit(EXIT_NO_PLAN)


def compare_markdown(name: str, result: object, shell: float | None) -> str:
    """The comparison as Markdown tables (for results/README.md and decks)."""

    from optimizer.analysis.compare import Comparison
    from optimizer.fmt import usd as _usd

    assert isinstance(result, Comparison)
    t = result.table
    lines = [
        f"# {name}: optimal plan against baselines\n",
        "Generated by `optimizer compare`; objective and money discounted as in the model; "
        "cost/Mtok = (discounted capex + electricity) / Mtok sold.\n",
        "| plan | status | objective | revenue | Mtok | cost/Mtok | optimum uplift |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in t.itertuples(index=False):
        uplift = _uplift(r.optimum_uplift_pct, r.objective_usd)
        cost = fmt.price(r.cost_usd_per_mtok)
        mtok = fmt.quantity(r.mtok)
        lines.append(
            f"| {r.plan} | {r.status} | {_usd(_num(r.objective_usd))} | "
            f"{_usd(_num(r.revenue_usd))} | {mtok} | {cost} | {uplift} |"
        )
    bt = result.by_tier
    if not bt.empty:
        lines += [
            "",
            "## By tier (undiscounted sums over the horizon)\n",
            "Hardware capex straight-line over each unit's life, shared by the units serving "
            "each tier; electricity of those units"
            + (
                f"; building at {shell:,.0f} USD per facility MW-year by IT power share"
                if shell
                else ""
            )
            + "; `idle` carries what installed but idle capacity costs.\n",
            "| plan | tier | Mtok | revenue | hardware | electricity | building | cost/Mtok | price/Mtok |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in bt.itertuples(index=False):
            cpm = fmt.price(r.cost_usd_per_mtok)
            ppm = fmt.price(r.revenue_usd_per_mtok)
            lines.append(
                f"| {r.plan} | {r.tier} | {fmt.quantity(r.mtok)} | "
                f"{_usd(r.revenue_usd)} | "
                f"{_usd(r.hardware_usd)} | {_usd(r.energy_usd)} | {_usd(r.shell_usd)} | {cpm} | {ppm} |"
            )
    return "\n".join(lines) + "\n"


def _uplift(pct: object, base_usd: object) -> str:
    """The optimum's uplift over a baseline, ``n/a`` when the baseline earns nothing or less."""
    base = _num(base_usd)
    if base is not None and base <= 0:
        return "n/a"
    p = _num(pct)
    return "-" if p is None else fmt.pct(p / 100, signed=True)


def _num(v: object) -> float | None:
    import pandas as pd

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
    delta: Annotated[
        str, typer.Option(help="Relative move of each input, e.g. 10% or 0.1.")
    ] = "10%",
    out: Annotated[
        Path | None, typer.Option(help="Folder [default: results/<name>/sensitivity/].")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local worker processes.")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address.")] = None,
    top: Annotated[int, typer.Option(min=1, help="Inputs on the tornado chart.")] = 15,
    time_limit: TimeLimitEach = None,
    mip_gap: MipGap = None,
    strategy: Strategy = StrategyChoice.certified,
    quiet: Annotated[bool, quiet_option()] = False,
) -> None:
    """Move every numeric input by -delta and +delta, one at a time; tornado chart of the objective."""

    from optimizer.analysis.sensitivity import input_groups
    from optimizer.analysis.sensitivity import sensitivity as run_sensitivity
    from optimizer.fmt import usd as _usd
    from optimizer.instance.load import load_instance
    from optimizer.plots.tornado import plot_tornado

    try:
        inst = load_instance(path)
        d = _delta(delta)
        n = len(input_groups(inst))
        if not quiet:  # minutes of solving: say what is coming, then show it
            err_console.print(
                f"{n} inputs, each at -{100 * d:g}% and +{100 * d:g}%: {2 * n + 1} solves",
                highlight=False,
            )
        # A bar on a terminal (stderr), nothing otherwise or with --quiet.
        bar = progress_bar("sensitivity", quiet, transient=True)
        with bar:
            task = bar.add_task("sensitivity", total=2 * n + 1)
            result = run_sensitivity(
                inst,
                d,
                options=solve_options(
                    time_limit=time_limit,
                    mip_gap=mip_gap,
                    threads=1,  # one HiGHS thread per worker: the workers are the parallelism
                    strategy=strategy,
                ),
                workers=workers,
                scheduler=scheduler,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except InputError as exc:
        fail_input(exc)
    folder = out if out is not None else default_out(inst.name, "sensitivity")
    files = write_table(result.table, folder / "sensitivity")
    if len(files) == 1 and not quiet:
        err_console.print(f"note: {PARQUET_NOTE}", highlight=False)
    png = plot_tornado(result.table, folder / "tornado.png", top=top, objective=inst.objective)
    if not quiet:
        console = make_console()
        table = Table(
            title=f"{inst.name}: objective when each input moves by ±{100 * _delta(delta):g}%"
        )
        for c in ("input", "low", "high", "swing"):
            table.add_column(c, justify="left" if c == "input" else "right")
        for r in result.table.head(top).itertuples(index=False):
            table.add_row(
                escape(r.input),
                _usd(_num(r.objective_low_usd)),
                _usd(_num(r.objective_high_usd)),
                _usd(_num(r.swing_usd)),
            )
        console.print(table)
        err_console.print(f"wrote {', '.join(str(f) for f in files)}, {png}")
    if result.base_objective_usd is None:
        raise typer.Exit(EXIT_NO_PLAN)


def _compare_two(
    path: str, other: str, out: Path | None, options: SolveOptions, quiet: bool
) -> None:
    """``optimizer compare A B``: two instances' optima side by side."""
    import pandas as pd

    from optimizer.analysis.compare_two import compare_instances, markdown
    from optimizer.cli.common import safe_name
    from optimizer.fmt import usd as _usd
    from optimizer.instance.load import load_instance

    try:
        a, b = load_instance(path), load_instance(other)
        result = compare_instances(a, b, options)
    except InputError as exc:
        fail_input(exc)
    folder = out if out is not None else default_out(a.name)
    stem = f"compare-{safe_name(a.name)}-vs-{safe_name(b.name)}"
    write_atomic(folder / f"{stem}.md", markdown(result))
    write_atomic(folder / f"{stem}.csv", csv_text(result.summary))
    write_atomic(folder / f"{stem}-plan.csv", csv_text(result.plan))
    write_atomic(folder / f"{stem}-by-tier.csv", csv_text(result.by_tier))
    write_atomic(folder / f"{stem}-differences.csv", csv_text(result.differences))
    na, nb = result.names
    if not quiet:
        console = make_console()
        table = Table(title=f"{na} against {nb}")
        for c in ("figure", na, nb, "B - A"):
            table.add_column(escape(c), justify="left" if c == "figure" else "right")
        for r in result.summary.itertuples(index=False, name=None):
            fig, va, vb, d = r
            show = (
                fmt.price
                if "per_mtok" in fig
                else fmt.quantity
                if fig == "mtok"
                else (lambda v: str(v) if isinstance(v, str) else _usd(_num(v)))
            )
            table.add_row(fig, show(va), show(vb), "" if d is None or pd.isna(d) else show(d))
        console.print(table)
        plan = Table(title="Units bought")
        for c in result.plan.columns:
            plan.add_column(
                escape(str(c)), justify="left" if c in ("hardware", "period") else "right"
            )
        for r in result.plan.itertuples(index=False, name=None):
            plan.add_row(*[str(v) if not isinstance(v, float) else f"{v:,.0f}" for v in r])
        console.print(plan)
        diff = Table(title="What differs")
        for c in ("input", na, nb):
            diff.add_column(escape(c))
        for r in result.differences.head(40).itertuples(index=False, name=None):
            diff.add_row(*(escape(str(v)) for v in r))
        console.print(diff)
        err_console.print(f"wrote {folder}/{stem}.md and CSVs", highlight=False)
    if any(not p.ok for p in result.plans):
        raise typer.Exit(EXIT_NO_PLAN)
