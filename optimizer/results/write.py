"""Write plan files atomically: each to a temporary file in the same folder, then renamed.

A reader never sees a half-written file. A plan is a SET of files (plan.json, buy.csv,
serve.csv, sold.csv, cash_flow.csv, summary.md) and the set is marked by ``manifest.json``, written
last, which lists each file with its SHA-256: :func:`write_plan` removes the old manifest
before it replaces any file, so a run killed half-way (even with kill -9) leaves a folder
without a manifest, which :func:`check_result_folder` reports as incomplete, never a
silent mix of two runs. Temporary files left by killed runs are removed by the next write.

The plan files hold only what the same inputs always give, so shipped results can be
regenerated and compared byte for byte; what differs run to run (timings) goes to
``run.json`` beside them, written after the manifest and not listed in it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.extras import MissingExtra, require

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


PLAN_FILES = ("plan.json", "buy.csv", "serve.csv", "sold.csv", "cash_flow.csv", "summary.md")
MANIFEST = "manifest.json"
RUN_FILE = "run.json"  # timings: differ run to run, not committed


def clean_stale_temporaries(folder: Path, names: tuple[str, ...]) -> list[Path]:
    """Remove the temporary files (``.NAME.*.tmp``) that killed writes of ``names`` left."""
    removed = []
    for name in names:
        for tmp in folder.glob(f".{name}.*.tmp"):
            try:
                tmp.unlink()
                removed.append(tmp)
            except OSError:
                pass
    return removed


def _sync_folder(folder: Path) -> None:
    """Make a rename or an unlink in ``folder`` durable (no-op where not supported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_result_folder(out_dir: str | Path) -> list[str]:
    """Problems with a plan folder: no manifest (an interrupted write), or a file that is
    missing or differs from what the manifest recorded. Empty when the set is whole."""
    out = Path(out_dir)
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
    except FileNotFoundError:
        return [f"{out}: incomplete (no {MANIFEST}: a write was interrupted, or not a plan folder)"]
    except (OSError, ValueError, KeyError, TypeError):
        return [f"{out}/{MANIFEST}: unreadable"]
    problems = []
    for name, digest in files.items():
        try:
            data = (out / name).read_bytes()
        except OSError:
            problems.append(f"{out}/{name}: missing (listed in {MANIFEST})")
            continue
        if hashlib.sha256(data).hexdigest() != digest:
            problems.append(f"{out}/{name}: not the file {MANIFEST} lists (another run's?)")
    return problems


# A text cell starting with one of these is read as a formula by spreadsheet programs
# (CSV injection): ``=HYPERLINK(...)`` as a hardware id would be live in buy.csv.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith((*_FORMULA_START, "'")):
        return "'" + value  # shown as text; a leading ' is doubled so reading back is exact
    return value


def csv_text(table: pd.DataFrame) -> str:
    """``table`` as CSV text, every text cell (and column name) that a spreadsheet would
    take for a formula prefixed with ``'`` (as is one that starts with ``'``); numbers and
    ordinary text are written as they are. :func:`read_csv_cells` undoes it."""
    import pandas as pd

    safe = table
    text_cols = [
        c
        for c in table.columns
        if table[c].dtype == object or pd.api.types.is_string_dtype(table[c].dtype)
    ]
    if text_cols or any(isinstance(c, str) and c.startswith(_FORMULA_START) for c in table):
        safe = table.copy()
        for c in text_cols:
            safe[c] = safe[c].map(_text_cell)
        safe.columns = [_text_cell(c) for c in safe.columns]
    return safe.to_csv(index=False)


def read_csv_cells(table: pd.DataFrame) -> pd.DataFrame:
    """A table read back from :func:`csv_text`'s CSV with the text as it was."""

    def undo(value: object) -> object:
        if isinstance(value, str) and value.startswith("'"):
            return value[1:]
        return value

    import pandas as pd

    out = table.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c].dtype):
            out[c] = out[c].map(undo)
    out.columns = [undo(c) for c in out.columns]
    return out


def plan_files(plan: Plan) -> dict[str, str]:
    """The reproducible plan files by name: plan.json, buy/serve/sold.csv, cash_flow.csv
    (:mod:`optimizer.results.finance`; its header only without a solution), summary.md."""
    import pandas as pd

    from optimizer.result_schema import CASH_FLOW, PLAN_TABLES
    from optimizer.results.report import summary_markdown

    doc = {k: v for k, v in plan.to_dict().items() if k not in RUN_KEYS}
    tables = {t.csv: csv_text(getattr(plan, t.name)) for t in PLAN_TABLES.values() if t.csv}
    fin = plan.finance  # without a solution: the header only
    cash_flow = pd.DataFrame(columns=CASH_FLOW.names()) if fin is None else fin.cash_flow
    return {
        "plan.json": json.dumps(doc, indent=2, allow_nan=False) + "\n",
        **tables,
        CASH_FLOW.csv: csv_text(cash_flow),
        "summary.md": summary_markdown(plan),
    }


def write_plan(
    plan: Plan, out_dir: str | Path, instance_file: str | Path | None = None
) -> list[Path]:
    """The files of :func:`plan_files` into ``out_dir``, then ``manifest.json`` (see the
    module doc), then ``run.json`` (timings, version, and ``instance_file``, the path of
    the instance solved relative to ``out_dir``, when given: ``optimizer report`` finds
    it there). Other files are left alone."""
    from optimizer import __version__

    out = Path(out_dir)
    files = plan_files(plan)
    out.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(out, (*PLAN_FILES, MANIFEST, RUN_FILE))
    # From here until the new manifest is in place, the folder reads as incomplete.
    (out / MANIFEST).unlink(missing_ok=True)
    _sync_folder(out)
    written = []
    digests = {}
    for name, text in files.items():
        data = text.encode("utf-8")
        write_atomic(out / name, text)
        digests[name] = hashlib.sha256(data).hexdigest()
        written.append(out / name)
    manifest = {"instance": plan.instance_name, "status": plan.status, "files": digests}
    write_atomic(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    _sync_folder(out)
    written.append(out / MANIFEST)
    run = {
        "instance": plan.instance_name,
        "optimizer_version": __version__,
        "timings_s": plan.to_dict()["timings_s"],
    }
    if instance_file is not None:  # relative: still found when the tree is moved or copied
        run["instance_file"] = os.path.relpath(Path(instance_file).resolve(), out.resolve())
    write_atomic(out / RUN_FILE, json.dumps(run, indent=2) + "\n")
    written.append(out / RUN_FILE)
    return written


PARQUET_NOTE = "no .parquet beside the .csv: pip install 'optimizer[parquet]' to add it"


def write_table(table: pd.DataFrame, stem: Path) -> list[Path]:
    """``stem``.parquet and ``stem``.csv, each written atomically; the files written.

    Without pyarrow (the ``parquet`` extra) only the CSV is written and returned: the table
    is complete in it, so a missing extra is a note for the caller (:data:`PARQUET_NOTE`),
    not a failure (``sweep --quiet`` exited 1 with its sweep.csv written).
    """
    stem.parent.mkdir(parents=True, exist_ok=True)
    csv = stem.with_suffix(".csv")
    write_atomic(csv, csv_text(table))
    try:
        require("pyarrow", "parquet", f"{stem.with_suffix('.parquet').name}")
    except MissingExtra:
        return [csv]
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
