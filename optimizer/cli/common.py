"""Pieces every command shares: error output, exit codes, naming of result folders."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from optimizer import fmt
from optimizer.errors import EXIT_BAD_INPUT, InputError

# Width of tables written to a pipe or a file: wide enough that no report table is cut
# or wrapped (rich would use 80 columns when it cannot ask a terminal). COLUMNS still wins.
PIPE_WIDTH = 1000


def make_console(stderr: bool = False) -> Console:
    """A rich Console: the terminal's width on a terminal, :data:`PIPE_WIDTH` in a pipe."""
    console = Console(stderr=stderr)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = PIPE_WIDTH
    return console


err_console = make_console(stderr=True)


def fail_input(exc: InputError) -> NoReturn:
    """Print one line per problem on stderr and exit with status 2."""
    for line in exc.problems:
        err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


safe_name = fmt.safe_name  # an instance name made safe as a folder name


def default_out(name: str, *parts: str) -> Path:
    """results/<instance name>/<parts...>"""
    return Path("results", safe_name(name), *parts)


def out_folder_problems(folder: Path, option: str = "--out") -> list[str]:
    """Problems with an output folder found before any work, creating nothing: a file in
    the way (``--out /etc/passwd``), or a folder that cannot be written."""
    path = folder
    while not path.exists() and not path.is_symlink():
        if path.parent == path:
            return []
        path = path.parent
    if not path.is_dir():
        what = "is a file, not a folder" if path == folder else f"{path} is a file, not a folder"
        return [f"{option} {folder}: {what}"]
    if not os.access(path, os.W_OK | os.X_OK):
        return [f"{option} {folder}: cannot write in {path} (permission denied)"]
    return []


def write_or_fail(write: Callable[[Path], list[Path]], folder: Path, quiet: bool) -> list[Path]:
    """Write result files into ``folder``; a folder that cannot be written ends the command
    in one line (exit 1, the results are lost but nothing the user gave is)."""
    from optimizer.errors import EXIT_NO_PLAN

    try:
        files = write(folder)
    except OSError as exc:
        err_console.print(
            f"[bold red]error:[/] cannot write results to {escape(str(folder))}: {escape(str(exc))}"
        )
        raise typer.Exit(EXIT_NO_PLAN) from None
    if not quiet:
        err_console.print(f"wrote {len(files)} files to {folder}/", highlight=False)
    return files


def progress_bar(label: str, quiet: bool, *, rate: bool = False, transient: bool = False) -> Any:
    """The bar sweeps and sensitivity draw on stderr: on a terminal only, never with --quiet
    (``rate``: a solves-per-second column fed through the task's ``rate`` field)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    err = make_console(stderr=True)
    columns = [TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn()]
    if rate:
        columns.append(TextColumn("{task.fields[rate]:.1f}/s"))
    columns += [TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    return Progress(
        *columns, console=err, disable=quiet or not err.is_terminal, transient=transient
    )
