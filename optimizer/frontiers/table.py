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

import difflib
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.data import FRONTIERS_DIR
from optimizer.errors import InputError
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
    if path.is_file():
        return path
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
    with open(path, "rb") as fh:
        data = fh.read(MAX_TABLE_BYTES + 1)
    if len(data) > MAX_TABLE_BYTES:
        raise InputError(
            f"{path}: larger than {MAX_TABLE_BYTES // (1024 * 1024)} MB; not a frontier table"
        )
    if b"\x00" in data[:65536]:
        raise InputError(f"{path}: holds NUL bytes; not a CSV text file")
    return data


def _check_frame(
    df: pd.DataFrame, label: str, line_offset: int | None
) -> tuple[pd.DataFrame, list[str]]:
    """Coerce columns to their types; return the clean frame and one line per bad row."""
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
        bad[empty] += f"{col} is empty; "
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
            num = pd.to_numeric(raw, errors="coerce").astype(float)
            given = raw.notna() & (raw.astype("string").str.strip() != "")
        not_number = given & num.isna()
        bad[not_number] += f"{col} is not a number; "
        nonfinite = given & ~not_number & ~np.isfinite(num)
        bad[nonfinite] += f"{col} must be finite; "
        if col in REQUIRED_COLUMNS:
            bad[~given] += f"{col} is empty; "
        ok = np.isfinite(num)
        limit = _LIMITS[col]
        bad[ok & (num > limit)] += f"{col} must be <= {limit:g}; "
        if col == "context_tokens":
            bad[ok & ((num <= 0) | (num != np.round(num)))] += (
                "context_tokens must be a whole number > 0; "
            )
        elif col in ("interactivity", "units_per_replica"):
            bad[ok & (num <= 0)] += f"{col} must be > 0; "
        else:
            bad[ok & (num < 0)] += f"{col} must be >= 0; "
        out[col] = num
    for col in _WHOLE_COLUMNS:
        if col not in df.columns:
            continue
        raw = df[col]
        given = raw.notna() & (raw.astype("string").str.strip() != "")
        num = pd.to_numeric(raw, errors="coerce").astype(float)
        wrong = given & ~(np.isfinite(num) & (num >= 1) & (num == np.round(num)))
        bad[wrong] += f"{col} must be a whole number >= 1; "
    rows = np.flatnonzero(bad.to_numpy() != "")
    for k in rows[:_MAX_LISTED]:
        where = f"{label}[{k}]" if line_offset is None else f"{label} line {k + line_offset}"
        problems.append(f"{where}: {bad.iloc[k].rstrip('; ')}")
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
            try:
                raw = pd.read_csv(
                    io.BytesIO(data), skipinitialspace=True, na_values=[""], keep_default_na=False
                )
            except pd.errors.EmptyDataError:
                problems.append(f"{path}: empty file (expected a header {', '.join(COLUMNS)})")
                continue
            except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                problems.append(f"{path}: not a readable CSV ({first})")
                continue
            raw.columns = [str(c).strip() for c in raw.columns]
            frame, errs = _check_frame(raw, str(path), 2)
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
