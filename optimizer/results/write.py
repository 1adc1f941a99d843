"""Write plan files atomically: each to a temporary file in the same folder, then renamed.

A reader never sees a half-written file, and an interrupted run leaves the
previous files intact.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from optimizer.results.plan import Plan
from optimizer.results.report import summary_markdown


def _public(tmp: str) -> None:
    """mkstemp makes files private (0600); give them the usual mode under the umask."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o666 & ~mask)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        _public(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_plan(plan: Plan, out_dir: str | Path) -> list[Path]:
    """plan.json, buy.csv, serve.csv, sold.csv and summary.md into ``out_dir``."""
    out = Path(out_dir)
    files = {
        "plan.json": plan.to_json() + "\n",
        "buy.csv": plan.buy.to_csv(index=False),
        "serve.csv": plan.serve.to_csv(index=False),
        "sold.csv": plan.sold.to_csv(index=False),
        "summary.md": summary_markdown(plan),
    }
    written = []
    for name, text in files.items():
        write_atomic(out / name, text)
        written.append(out / name)
    return written


def write_table(table: pd.DataFrame, stem: Path) -> list[Path]:
    """``stem``.parquet and ``stem``.csv, each written atomically."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    csv = stem.with_suffix(".csv")
    write_atomic(csv, table.to_csv(index=False))
    parquet = stem.with_suffix(".parquet")
    fd, tmp = tempfile.mkstemp(prefix=f".{parquet.name}.", suffix=".tmp", dir=stem.parent)
    os.close(fd)
    try:
        # Mixed-type columns (period labels, error text) go to Parquet as text.
        safe = table.copy()
        for col in safe.columns:
            if safe[col].dtype == object:
                safe[col] = safe[col].map(lambda v: None if v is None else str(v))
        safe.to_parquet(tmp, index=False)
        _public(tmp)
        os.replace(tmp, parquet)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return [parquet, csv]
