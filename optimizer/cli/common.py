"""Pieces every command shares: error output, exit codes, naming of result folders."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from optimizer.errors import EXIT_BAD_INPUT, InputError

err_console = Console(stderr=True)


class ObjectiveChoice(StrEnum):
    revenue = "revenue"
    profit = "profit"


def fail_input(exc: InputError) -> NoReturn:
    """Print one line per problem on stderr and exit with status 2."""
    for line in exc.problems:
        err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def safe_name(name: str) -> str:
    """An instance name made safe as a folder name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "instance"


def default_out(name: str, *parts: str) -> Path:
    """results/<instance name>/<parts...>"""
    return Path("results", safe_name(name), *parts)
