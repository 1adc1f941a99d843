"""Write plan files atomically: each to a temporary file in the same folder, then renamed.

A reader never sees a half-written file, and an interrupted run leaves the
previous files intact. The plan files hold only what the same inputs always give, so
shipped results can be regenerated and compared byte for byte; what differs run to run
(timings) goes to ``run.json`` beside them, which is not meant to be committed.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.extras import require

if TYPE_CHECKING:  # imported lazily: writing a text file must not load pandas
    import pandas as pd

    from optimizer.results.plan import Plan

# Keys of Plan.to_dict() that change from run to run: kept out of plan.json.
RUN_KEYS = ("timings_s",)


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


def plan_files(plan: Plan) -> dict[str, str]:
    """The reproducible plan files by name: plan.json, buy/serve/sold.csv, summary.md."""
    from optimizer.results.report import summary_markdown

    doc = {k: v for k, v in plan.to_dict().items() if k not in RUN_KEYS}
    return {
        "plan.json": json.dumps(doc, indent=2, allow_nan=False) + "\n",
        "buy.csv": plan.buy.to_csv(index=False),
        "serve.csv": plan.serve.to_csv(index=False),
        "sold.csv": plan.sold.to_csv(index=False),
        "summary.md": summary_markdown(plan),
    }


def write_plan(plan: Plan, out_dir: str | Path) -> list[Path]:
    """The files of :func:`plan_files` into ``out_dir``, and run.json (timings, version)."""
    from optimizer import __version__

    out = Path(out_dir)
    files = plan_files(plan)
    run = {
        "instance": plan.instance_name,
        "optimizer_version": __version__,
        "timings_s": plan.to_dict()["timings_s"],
    }
    files["run.json"] = json.dumps(run, indent=2) + "\n"
    written = []
    for name, text in files.items():
        write_atomic(out / name, text)
        written.append(out / name)
    return written


def write_table(table: pd.DataFrame, stem: Path) -> list[Path]:
    """``stem``.parquet and ``stem``.csv, each written atomically.

    Raises :class:`~optimizer.extras.MissingExtra` (after writing the CSV) when pyarrow,
    of the ``parquet`` extra, is not installed.
    """
    stem.parent.mkdir(parents=True, exist_ok=True)
    csv = stem.with_suffix(".csv")
    write_atomic(csv, table.to_csv(index=False))
    require("pyarrow", "parquet", f"{csv} is written; {stem.with_suffix('.parquet').name}")
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
