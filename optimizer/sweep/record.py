"""What a sweep leaves beside its table, so it can be reproduced and resumed.

* ``sweep.meta.json``: the command line, the seed (drawn and recorded when none was
  given), the project version, a fingerprint of everything the rows depend on (the
  base instance, the scenarios, the solver options), and whether the sweep finished.
* ``sweep.rows.jsonl``: the journal, one finished row per line, appended as rows come
  in; it survives Ctrl-C, a broken pool or a killed process, and ``--resume`` reads
  it to skip the scenarios already solved. It is removed once the sweep is complete.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from optimizer.errors import InputError
from optimizer.instance.schema import Instance
from optimizer.sweep.spec import Factor, KeyPath, ScenarioValue

META_NAME = "sweep.meta.json"
JOURNAL_NAME = "sweep.rows.jsonl"


def project_version() -> str:
    try:
        from importlib.metadata import version

        return version("optimizer")
    except Exception:  # not installed (run from a source tree)
        import optimizer

        return str(getattr(optimizer, "__version__", "unknown"))


def draw_seed() -> int:
    """A fresh seed for a sweep run without --seed (recorded in the meta file)."""
    return secrets.randbelow(2**32)


def fingerprint(
    base: Instance, scenarios: Sequence[Mapping[KeyPath, ScenarioValue]], options: Any
) -> str:
    """A digest of what the rows depend on: same digest, same rows."""

    def value(v: ScenarioValue) -> list[Any]:
        return ["factor" if isinstance(v, Factor) else type(v).__name__, repr(v)]

    doc = {
        "instance": base.model_dump(mode="json"),
        "scenarios": [[[k.text, *value(v)] for k, v in sc.items()] for sc in scenarios],
        "options": (
            dataclasses.asdict(options)
            if dataclasses.is_dataclass(options) and not isinstance(options, type)
            else repr(options)
        ),
    }
    text = json.dumps(doc, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_out_folder(folder: Path) -> list[str]:
    """Problems with ``--out`` found without creating anything (a file in the way)."""
    path = folder
    while True:
        if path.exists():
            if not path.is_dir():
                what = "is a file, not a folder" if path == folder else f"{path} is a file"
                return [f"--out {folder}: {what}"]
            return []
        if path.parent == path:
            return []
        path = path.parent


def prepare_out_folder(folder: Path) -> None:
    """Create ``folder`` and prove a file can be written in it (before anything is solved)."""
    problems = check_out_folder(folder)
    if problems:
        raise InputError(problems)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"--out {folder}: cannot write there ({exc.strerror or exc})") from None


def write_meta(folder: Path, meta: Mapping[str, Any]) -> Path:
    from optimizer.results.write import write_atomic

    path = folder / META_NAME
    write_atomic(path, json.dumps(meta, indent=2, default=str) + "\n")
    return path


def read_meta(folder: Path) -> dict[str, Any] | None:
    path = folder / META_NAME
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    return meta if isinstance(meta, dict) else None


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else str(v)


class Journal:
    """Finished rows, one JSON line each, appended as they come in."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / JOURNAL_NAME

    def start(self) -> None:
        """An empty journal (a new sweep)."""
        self.path.write_text("", encoding="utf-8")

    def append(self, row: Mapping[str, Any]) -> None:
        line = json.dumps(dict(row), default=_plain) + "\n"
        with self.path.open("a+b") as fh:
            # A line cut short by a killed process must not swallow this one.
            if fh.seek(0, 2) > 0:
                fh.seek(-1, 2)
                if fh.read(1) != b"\n":
                    line = "\n" + line
            fh.write(line.encode("utf-8"))

    def read(self) -> list[dict[str, Any]]:
        """The rows journaled so far (a line cut short by a killed process is skipped)."""
        rows: list[dict[str, Any]] = []
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return rows
        seen: set[int] = set()
        for line in lines:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and "scenario" in row and row["scenario"] not in seen:
                seen.add(int(row["scenario"]))
                rows.append(row)
        return rows

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
