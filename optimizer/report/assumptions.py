"""The assumptions of an instance and where they come from.

An instance file states its sources beside each figure (``# source: ...``) and its own
choices (``# assumption: ...``); spec tables (``specs/hardware.yaml``, ``specs/models.yaml``
beside the instance) carry a ``sources`` entry per field. This module reads them back
into tables, one row per figure: key path, value, kind, text. Comments are read from
the file as written (YAML parsers drop them), with a small line scanner: a key's path
follows indentation, list items are named by their ``id``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

_KEY = re.compile(
    r"^(?P<indent>\s*)(?P<dash>-\s+)?(?P<key>[A-Za-z0-9_.\-]+):(?:\s+|$)(?P<rest>.*)$"
)

COLUMNS = ["key", "value", "kind", "text"]


def _split_comment(rest: str) -> tuple[str, str]:
    """``value  # comment`` -> (value, comment); a '#' inside quotes is kept."""
    quote = ""
    for i, ch in enumerate(rest):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or rest[i - 1].isspace()):
            return rest[:i].strip(), rest[i + 1 :].strip()
    return rest.strip(), ""


def _kind(comment: str) -> str:
    low = comment.lower()
    kinds = [k for k in ("source", "assumption") if f"{k}:" in low]
    return " + ".join(kinds) if kinds else "note"


# A header paragraph that quotes a solve's figures ("SOLVER RESULT ...", "RESULTS ..."): left
# out of the report's notes, where it would stand beside (and disagree with) the plan's own.
_RESULT_PARAGRAPH = re.compile(r"^(SOLVER\s+)?RESULTS?\b")


def header_notes(text: str) -> str:
    """The comment block at the top of a YAML file, as plain text (no '#').

    Paragraphs (separated by empty comment lines) that open with ``SOLVER RESULT`` or
    ``RESULTS`` are left out: a report shows the plan it solved, never figures copied into the
    instance from an earlier run.
    """
    lines: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith("#"):
            if s:
                break
            lines.append("")
            continue
        lines.append(s[1:][1:] if s[1:].startswith(" ") else s[1:])
    kept: list[str] = []
    skipping = False
    for i, line in enumerate(lines):
        if not line.strip():
            skipping = False
        elif i == 0 or not lines[i - 1].strip():  # a paragraph's first line
            skipping = bool(_RESULT_PARAGRAPH.match(line))
        if not skipping:
            kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def commented_values(text: str) -> pd.DataFrame:
    """One row per ``key: value  # comment`` line: key path, value, kind, comment.

    A key that opens a mapping (``electricity_usd_per_mwh:  # source: ...``) gets its
    children's values joined (``2026: 80, 2027: 82``).
    """
    stack: list[tuple[int, str]] = []  # (indent of the key, path element)
    rows: list[dict[str, Any]] = []
    open_rows: list[tuple[int, dict[str, Any]]] = []  # mapping keys awaiting child values
    counters: dict[str, int] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _KEY.match(line)
        if m is None:
            continue
        indent = len(m["indent"])
        key = m["key"]
        value, comment = _split_comment(m["rest"])
        if m["dash"]:
            # a new list item: its name is the list's key with the item's id (or index)
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1] if stack else ""
            counters[parent] = counters.get(parent, -1) + 1
            name = value if key == "id" and value else str(counters[parent])
            stack.append((indent, f"{parent}[{name.strip(chr(34) + chr(39))}]"))
            indent += len(m["dash"])
            if key == "id":
                continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        while open_rows and open_rows[-1][0] >= indent:
            open_rows.pop()
        prefix = stack[-1][1] if stack else ""
        path = f"{prefix}.{key}" if prefix and not prefix.endswith("]") else f"{prefix}{key}"
        if prefix.endswith("]"):
            path = f"{prefix}.{key}"
        for _, row in open_rows:
            row["value"] += ("" if not row["value"] else ", ") + f"{key}: {value}"
        if comment:
            row = {"key": path, "value": value, "kind": _kind(comment), "text": comment}
            rows.append(row)
            if not value:
                open_rows.append((indent, row))
        if not value:
            stack.append((indent, path))
    return pd.DataFrame(rows, columns=COLUMNS)


def spec_sources(instance_path: Path, hardware: list[str], models: list[str]) -> pd.DataFrame:
    """The cited sources of the spec entries the instance uses: ``specs/*.yaml`` beside the
    instance if there are such files, else the specs shipped with the package."""
    from optimizer.data import SPECS_DIR

    rows: list[dict[str, Any]] = []
    folder = instance_path.parent / "specs"
    for fname, listkey, ids in (
        ("hardware.yaml", "hardware", hardware),
        ("models.yaml", "models", models),
    ):
        path = folder / fname
        if not path.is_file():
            path = SPECS_DIR / fname
        if not path.is_file():
            continue
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        entries = doc.get(listkey) if isinstance(doc, dict) else None
        for entry in entries or []:
            if not isinstance(entry, dict) or entry.get("id") not in ids:
                continue
            sources = entry.get("sources") or {}
            estimates = set(entry.get("estimates") or [])
            for field, text in sources.items():
                rows.append(
                    {
                        "key": f"{listkey}[{entry['id']}].{field}",
                        "value": _short(entry.get(field)),
                        "kind": "estimate" if field in estimates else "source",
                        "text": str(text),
                        "file": str(path.relative_to(path.parents[1])),
                    }
                )
    return pd.DataFrame(rows, columns=[*COLUMNS, "file"])


def _short(v: Any) -> str:
    text = "" if v is None else str(v)
    return text if len(text) <= 40 else text[:37] + "..."


def instance_assumptions(
    path: str | Path, hardware: list[str], models: list[str]
) -> dict[str, Any]:
    """Everything the report's assumptions section shows, read from the instance file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {"notes": "", "values": pd.DataFrame(columns=COLUMNS), "specs": pd.DataFrame()}
    is_yaml = p.suffix.lower() in (".yaml", ".yml")
    return {
        "file": p.name,
        "notes": header_notes(text) if is_yaml else "",
        "values": commented_values(text) if is_yaml else pd.DataFrame(columns=COLUMNS),
        "specs": spec_sources(p, hardware, models),
    }
