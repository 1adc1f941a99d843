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


def _journal_row(raw: bytes, expected: Sequence[Mapping[str, Any]] | None) -> dict[str, Any] | None:
    """One journal line as a row, or None when it is not a row of this sweep."""
    try:
        row = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(row, dict):
        return None
    index = row.get("scenario")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        return None
    if expected is not None:
        if index >= len(expected) or not isinstance(row.get("status"), str):
            return None
        if not isinstance(row.get("seconds"), (int, float)):
            return None
        for key, value in expected[index].items():
            if row.get(key) != value:
                return None
    return row


class Journal:
    """Finished rows, one JSON line each, appended as they come in."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / JOURNAL_NAME
        self.skipped = 0  # lines the last read() dropped

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

    def read(self, expected: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
        """The rows journaled so far; a line that is not a row of this sweep is skipped
        (its scenario is solved again): cut short by a killed process, not UTF-8, not a
        JSON object, without a whole-number ``scenario``, or, given ``expected`` (the
        inputs of each scenario, as :func:`optimizer.sweep.run.scenario_fields` gives
        them), without a ``status`` and ``seconds``, a scenario out of range or whose
        recorded inputs are not that scenario's. ``self.skipped`` counts them."""
        rows: list[dict[str, Any]] = []
        self.skipped = 0
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return rows
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read ({exc.strerror or exc})") from None
        seen: set[int] = set()
        for raw in data.splitlines():
            if not raw.strip():
                continue
            row = _journal_row(raw, expected)
            if row is None or int(row["scenario"]) in seen:
                self.skipped += 1
                continue
            seen.add(int(row["scenario"]))
            rows.append(row)
        return rows

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
