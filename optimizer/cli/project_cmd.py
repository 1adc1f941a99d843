"""``optimizer schema`` (the instance format as JSON Schema) and ``optimizer init`` (a
commented starter instance). Neither imports pandas or Pyomo.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from optimizer.cli.common import err_console
from optimizer.errors import EXIT_BAD_INPUT


class Starter(StrEnum):
    reference = "reference"
    toy = "toy"


def schema() -> None:
    """Print the JSON Schema of an instance file (as shipped in docs/instance.schema.json)."""
    from optimizer.instance.json_schema import instance_json_schema_text

    sys.stdout.write(instance_json_schema_text())


def init(
    path: Annotated[Path, typer.Argument(help="File to write; it must not exist yet.")] = Path(
        "instance.yaml"
    ),
    start: Annotated[
        Starter,
        typer.Option(
            "--from",
            help="reference: a 100 MW slice of the reference factory on the shipped "
            "reference-2026 table; toy: the hand-checked toy with every key shown.",
        ),
    ] = Starter.reference,
) -> None:
    """Write a commented starter instance (never over an existing file)."""
    from optimizer.data import STARTERS_DIR
    from optimizer.results.write import write_atomic

    if path.exists():
        err_console.print(
            f"[bold red]error:[/] {path} already exists; give another path (nothing written)",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    text = (STARTERS_DIR / f"{start.value}.yaml").read_text(encoding="utf-8")
    write_atomic(path, text)
    err_console.print(
        f"wrote {path}; solve it with: optimizer solve {path}", highlight=False, soft_wrap=True
    )
