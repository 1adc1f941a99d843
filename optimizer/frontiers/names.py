"""Which frontier tables a request (or an instance read from stdin) may name.

No file path from an untrusted instance is read. ``frontiers`` must be inline rows, or
the bare name of a table shipped in the frontiers folder (``measured-2026``,
``reference-2026.csv``); anything else, a path separator, ``..``, an absolute path, a name
not shipped, is refused before the instance is loaded. The HTTP service applies this to
every request; ``optimizer solve -`` to instances read from stdin (unless
``--allow-paths``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def shipped_tables(folder: Path) -> list[str]:
    """Names of the shipped frontier tables (file stems), sorted."""
    return sorted(p.stem for p in folder.glob("*.csv") if p.is_file())


def _shown(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _check_name(text: str, where: str, folder: Path) -> tuple[str | None, list[str]]:
    """The file name of a shipped table, or the problems with ``text``."""
    if len(text) > 100:
        return None, [
            f"{where}: a name of {len(text)} characters is not allowed (at most 100): give "
            "the rows inline, or the bare name of a shipped table "
            f"({', '.join(shipped_tables(folder)) or 'none shipped'})"
        ]
    if (
        not _NAME.fullmatch(text)
        or ".." in text
        or "/" in text
        or "\\" in text
        or Path(text).is_absolute()
    ):
        return None, [
            f"{where}: {_shown(text)} is not allowed: give the rows inline, or the bare name "
            f"of a shipped table ({', '.join(shipped_tables(folder)) or 'none shipped'}); "
            "file paths are never read"
        ]
    file_name = text if text.endswith(".csv") else f"{text}.csv"
    candidate = folder / file_name
    try:
        if candidate.is_file() and candidate.resolve().parent == folder.resolve():
            return file_name, []
    except OSError:  # e.g. a name the file system finds too long: simply not shipped
        pass
    return None, [
        f"{where}: no shipped frontier table named {_shown(text)} "
        f"(shipped: {', '.join(shipped_tables(folder)) or 'none'})"
    ]


def check_frontiers(doc: dict[str, Any], folder: Path, where: str = "frontiers") -> list[str]:
    """Check (and normalise to ``NAME.csv``) the ``frontiers`` key of a raw instance mapping.

    Returns the problems, one line each, naming ``where``. A missing key or a value of
    the wrong shape is left to the instance schema, which reports it by key path; only
    strings (which the planner would read as paths) are judged here.
    """
    value = doc.get("frontiers")
    problems: list[str] = []
    if isinstance(value, str):
        name, problems = _check_name(value, where, folder)
        if name is not None:
            doc["frontiers"] = name
        return problems
    if isinstance(value, list):
        names: list[Any] = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                name, errs = _check_name(item, f"{where}[{i}]", folder)
                problems += errs
                names.append(name)
            else:
                names.append(item)
        if not problems and any(isinstance(item, str) for item in value):
            doc["frontiers"] = names
    return problems
