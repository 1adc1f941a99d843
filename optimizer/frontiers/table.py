"""Read and check frontier tables: measured or modelled (interactivity, tok/s per GPU) points.

A table is a CSV with columns ``hardware, model, context_tokens, interactivity,
tok_s_per_gpu`` and the optional ``ttft_s`` and ``units_per_replica`` (units one replica
of the row's layout spans, > 0; read by the ``whole_replicas`` option); the descriptive
columns of :data:`DESCRIPTIVE_COLUMNS` (``layout``, ``technique``, ``source``, ``isl``,
``osl``, ``note``) are checked and kept for people but ignored by the planner. Any other
column is an error: a misspelt ``ttft`` must not silently drop a latency cap. Rows may also
be given inline in the instance. Problems name the file and its line (the header is line 1).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.data import FRONTIERS_DIR
from optimizer.errors import InputError
from optimizer.input_files import read_capped
from optimizer.instance.schema import Instance

REQUIRED_COLUMNS = ("hardware", "model", "context_tokens", "interactivity", "tok_s_per_gpu")
OPTIONAL_COLUMNS = ("ttft_s", "units_per_replica")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# Columns a table may carry for people and tools; checked, never used by the model.
DESCRIPTIVE_COLUMNS = ("layout", "technique", "source", "isl", "osl", "note")
_WHOLE_COLUMNS = ("isl", "osl")  # whole numbers >= 1 when given
_MAX_LISTED = 10  # problems listed per file before "... and N more"
# Upper limits, as in the instance schema: far above any real table, within HiGHS's range.
_LIMITS = {
    "context_tokens": 1e9,
    "interactivity": 1e7,
    "tok_s_per_gpu": 1e9,
    "ttft_s": 1e6,
    "units_per_replica": 1e6,
}

# Tables shipped inside the package, usable by bare name (``frontiers: reference-2026``).
SHIPPED_DIR = FRONTIERS_DIR


def _resolve(path_text: str, base_dir: str | None, where: str) -> Path:
    path = Path(path_text).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if path.is_file() or (path.exists() and not path.is_dir()):
        return path  # a FIFO or a device too: the capped reader refuses it in one line
    shipped = SHIPPED_DIR / (path_text if path_text.endswith(".csv") else f"{path_text}.csv")
    if "/" not in path_text and shipped.is_file():
        return shipped
    raise InputError(f"{where}: frontier file {str(path)!r} not found")


MAX_TABLE_BYTES = 256 * 1024 * 1024  # a frontier CSV larger than this is not a table


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")


def _shown_columns(columns: Any, wanted: tuple[str, ...]) -> str:
    """What a reader needs to fix the header, without quoting an arbitrary file.

    Only names that look like column names AND are close to a ``wanted`` one are shown
    (a typo such as ``hardwre``); the first line of, say, /proc/self/environ never is.
    """
    names = [str(c) for c in columns]
    hints = []
    for want in wanted:
        close = difflib.get_close_matches(want, [n for n in names if _IDENT.match(n)], 1, 0.75)
        if close and close[0] != want:
            hints.append(f"{close[0]!r} for {want}?")
    return f"{len(names)} column(s)" + (f"; did you mean {', '.join(hints)}" if hints else "")


def _read_table_bytes(path: Path) -> bytes:
    """The file's bytes, at most MAX_TABLE_BYTES (a device or an endless file: an error)."""
    data = read_capped(path, MAX_TABLE_BYTES, "a frontier table")
    if b"\x00" in data[:65536]:
        raise InputError(f"{path}: holds NUL bytes; not a CSV text file")
    return data


def _record_lines(data: bytes) -> tuple[list[int], list[tuple[int, int]]]:
    """The file line where each data row starts (blank lines skipped, as pandas does;
    quoted line breaks counted), and (line, fields) of each row whose field count is not
    the header's. Only run when something is to be reported: a slow pure-Python pass."""
    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")))
    starts: list[int] = []
    wrong: list[tuple[int, int]] = []
    width = None
    previous = 0
    for row in reader:
        start, previous = previous + 1, reader.line_num
        if not row or all(not cell.strip() for cell in row) and len(row) <= 1:
            continue
        if width is None:
            width = len(row)
            continue
        starts.append(start)
        if len(row) != width:
            wrong.append((start, len(row)))
    return starts, wrong


class _LineMap:
    """Row number -> file line, worked out on first use (only when a row is reported)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts: list[int] | None = None

    def __call__(self, k: int) -> int:
        if self.starts is None:
            try:
                self.starts = _record_lines(self.data)[0]
            except csv.Error:
                self.starts = []
        return self.starts[k] if k < len(self.starts) else k + 2


def _parse_csv(path: Path, data: bytes) -> tuple[pd.DataFrame | None, list[str]]:
    """The table of a frontier CSV, or the problems that stop it from being read."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            raw = pd.read_csv(
                io.BytesIO(data),
                skipinitialspace=True,
                na_values=[""],
                keep_default_na=False,
                # Never take the first column as the index when every row has one more
                # field than the header: that shifted every value one column left.
                index_col=False,
            )
        except pd.errors.EmptyDataError:
            return None, [f"{path}: empty file (expected a header {', '.join(COLUMNS)})"]
        except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
            raw, first = None, str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            first = first or type(exc).__name__
    ragged = raw is None or any(issubclass(w.category, pd.errors.ParserWarning) for w in caught)
    if ragged:
        try:
            _, wrong = _record_lines(data)
        except csv.Error:
            wrong = []
        if wrong:
            header = len(next(csv.reader(io.StringIO(data.decode("utf-8", "replace")))))
            problems = [
                f"{path} line {line}: {fields} fields, the header has {header}"
                for line, fields in wrong[:_MAX_LISTED]
            ]
            if len(wrong) > _MAX_LISTED:
                problems.append(f"{path}: ... and {len(wrong) - _MAX_LISTED} more bad rows")
            return None, problems
        if raw is None:
            return None, [f"{path}: not a readable CSV ({first})"]
    return raw, []


def _to_float(value: Any) -> float:
    try:
        return float(str(value).strip())
    except (ValueError, OverflowError):
        return np.nan


def _numeric(raw: pd.Series) -> pd.Series:
    """A column as floats, NaN where a cell is not a number; an integer of 400 digits is
    inf (must be finite), never an OverflowError."""
    try:
        return pd.to_numeric(raw, errors="coerce").astype(float)
    except (OverflowError, ValueError, TypeError):
        return raw.map(_to_float).astype(float)


def _shown(value: Any) -> str:
    """A cell as quoted in a message: a number as written, text quoted; cut to 40."""
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if np.isfinite(number) and number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return f"{number:g}"
    text = str(value).strip()
    cut = text if len(text) <= 40 else text[:40] + "..."
    return cut if _to_float(text) == _to_float(text) else repr(cut)  # NaN: not a number


_CELL = re.compile(r"\x00([A-Za-z_]+)\x00")  # a placeholder for a cell's value in a message


def _flag(bad: pd.Series, rows: Any, text: str) -> None:
    """Append ``text`` to the problems of ``rows`` (a boolean mask); most masks of a good
    table are all False, and then the column is left alone (no copy of 100,000 strings)."""
    if isinstance(rows, pd.Series):
        rows = rows.to_numpy(dtype=bool, na_value=False)
    if rows.any():
        bad[rows] += text


def _check_frame(
    df: pd.DataFrame,
    label: str,
    line_offset: int | None,
    line_of: Callable[[int], int] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Coerce columns to their types; return the clean frame and one line per bad row.

    A message quotes the offending cell (``tok_s_per_gpu must be >= 0 (got -1000)``).
    ``line_of(k)`` gives the file line of row ``k`` (blank lines and quoted line breaks
    counted); without it, row ``k`` is on line ``k + line_offset``.
    """
    problems: list[str] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        # Column names are shown shortened and few: a file that is not a table (say
        # /proc/self/environ) must not have its contents echoed in a message.
        return df, [
            f"{label}: missing column(s) {', '.join(missing)} "
            f"(has {_shown_columns(df.columns, tuple(missing))}); not a frontier table?"
        ]
    unknown = [str(c) for c in df.columns if c not in COLUMNS and c not in DESCRIPTIVE_COLUMNS]
    if unknown:
        problems.append(
            f"{label}: unknown column(s) {', '.join(repr(c[:40]) for c in unknown[:5])} "
            f"(known: {', '.join(COLUMNS + DESCRIPTIVE_COLUMNS)})"
        )
    if df.empty:
        return df, [*problems, f"{label}: has no rows"]
    out = pd.DataFrame(index=df.index)
    bad = pd.Series("", index=df.index, dtype=object)
    for col in ("hardware", "model"):
        text = df[col].astype(str).str.strip()
        empty = df[col].isna().to_numpy() | (text == "").to_numpy()
        _flag(bad, empty, f"{col} is empty; ")
        out[col] = text.where(~empty, "")
    for col in COLUMNS[2:]:
        if col not in df.columns:
            out[col] = np.nan
            continue
        raw = df[col]
        if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
            # The common case: the CSV parser already read numbers; no string work.
            num = raw.astype(float)
            given = num.notna()
        else:
            num = _numeric(raw)
            given = raw.notna() & (raw.astype("string").str.strip() != "")
        got = f" (got \x00{col}\x00); "
        not_number = given & num.isna()
        _flag(bad, not_number, f"{col} is not a number{got}")
        nonfinite = given & ~not_number & ~np.isfinite(num)
        _flag(bad, nonfinite, f"{col} must be finite{got}")
        if col in REQUIRED_COLUMNS:
            _flag(bad, ~given, f"{col} is empty; ")
        ok = np.isfinite(num)
        limit = _LIMITS[col]
        _flag(bad, ok & (num > limit), f"{col} must be <= {limit:g}{got}")
        if col == "context_tokens":
            _flag(
                bad,
                ok & ((num <= 0) | (num != np.round(num))),
                f"context_tokens must be a whole number > 0{got}",
            )
        elif col in ("interactivity", "units_per_replica"):
            _flag(bad, ok & (num <= 0), f"{col} must be > 0{got}")
        else:
            _flag(bad, ok & (num < 0), f"{col} must be >= 0{got}")
        out[col] = num
    for col in _WHOLE_COLUMNS:
        if col not in df.columns:
            continue
        raw = df[col]
        given = raw.notna() & (raw.astype("string").str.strip() != "")
        num = _numeric(raw)
        wrong = given & ~(np.isfinite(num) & (num >= 1) & (num == np.round(num)))
        _flag(bad, wrong, f"{col} must be a whole number >= 1 (got \x00{col}\x00); ")
    rows = np.flatnonzero(bad.to_numpy() != "")
    for k in rows[:_MAX_LISTED]:
        if line_offset is None:
            where = f"{label}[{k}]"
        else:
            where = f"{label} line {line_of(k) if line_of else k + line_offset}"
        row = df.iloc[k]

        def cell(match: re.Match[str], row: pd.Series = row) -> str:
            return _shown(row[match.group(1)])

        text = _CELL.sub(cell, str(bad.iloc[k]))
        problems.append(f"{where}: {text.rstrip('; ')}")
    if len(rows) > _MAX_LISTED:
        problems.append(f"{label}: ... and {len(rows) - _MAX_LISTED} more bad rows")
    if not problems:
        out["context_tokens"] = out["context_tokens"].astype(np.int64)
    return out, problems


def read_frontier_table(instance: Instance) -> pd.DataFrame:
    """All frontier rows of an instance as one checked DataFrame (columns :data:`COLUMNS`).

    Raises
    ------
    InputError
        If a file is missing or malformed, or if an instance id has no rows at all
        (a hardware id or tier model that the table never mentions is almost always a typo).
    """
    spec = instance.frontiers
    problems: list[str] = []
    frames: list[pd.DataFrame] = []
    if isinstance(spec, str):
        spec = [spec]
    if not spec:
        raise InputError(
            "frontiers: empty list; give a CSV path, a list of paths or a list of rows"
        )
    if not isinstance(spec[0], str):
        inline = pd.DataFrame([row.model_dump() for row in spec])  # type: ignore[union-attr]
        frame, errs = _check_frame(inline, "frontiers", None)
        frames.append(frame)
        problems += errs
    else:
        for i, text in enumerate(spec):
            where = "frontiers" if isinstance(instance.frontiers, str) else f"frontiers[{i}]"
            try:
                path = _resolve(str(text), instance.base_dir, where)
            except InputError as exc:
                problems += exc.problems
                continue
            try:
                data = _read_table_bytes(path)
            except InputError as exc:
                problems += exc.problems
                continue
            except OSError as exc:
                problems.append(f"{path}: cannot read ({exc.strerror or type(exc).__name__})")
                continue
            raw, errs = _parse_csv(path, data)
            if raw is None:
                problems += errs
                continue
            raw.columns = [str(c).strip() for c in raw.columns]
            frame, errs = _check_frame(raw, str(path), 2, _LineMap(data))
            problems += errs
            frames.append(frame)
    if problems:
        raise InputError(problems)
    table = pd.concat(frames, ignore_index=True)[list(COLUMNS)]

    hw_known = set(table["hardware"].unique())
    models_known = set(table["model"].unique())
    for i, hw in enumerate(instance.hardware):
        if hw.id not in hw_known:
            problems.append(
                f"hardware[{i}].id: {hw.id!r} has no rows in the frontier table "
                f"(it has: {', '.join(sorted(hw_known)[:12])})"
            )
    for i, tier in enumerate(instance.tiers):
        if tier.model not in models_known:
            problems.append(
                f"tiers[{i}].model: {tier.model!r} has no rows in the frontier table "
                f"(it has: {', '.join(sorted(models_known)[:12])})"
            )
    if problems:
        raise InputError(problems)
    return table


def read_table_file(path: Path) -> pd.DataFrame:
    """One frontier CSV, checked as an instance's tables are (one line per bad row).

    Columns :data:`COLUMNS`, plus ``source`` (text) when the file has it: what
    ``optimizer plot frontier --points`` reads (``optimizer frontiers import`` writes such
    files, a source per row).

    Raises
    ------
    InputError
        The file cannot be read, is not a frontier table, or has bad rows.
    """
    try:
        data = _read_table_bytes(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    raw, problems = _parse_csv(path, data)
    if raw is None:
        raise InputError(problems)
    raw.columns = [str(c).strip() for c in raw.columns]
    frame, problems = _check_frame(raw, str(path), 2, _LineMap(data))
    if problems:
        raise InputError(problems)
    out = frame[list(COLUMNS)].copy()
    if "source" in raw.columns:
        out["source"] = raw["source"].fillna("").astype(str).str.strip()
    return out
