"""The report as one Excel workbook (openpyxl): a sheet per table, units in the
headers, numbers stored as numbers, header rows frozen, the assumptions on a sheet."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd

from optimizer.report.model import Report, Table

_FORMATS = {
    "USD": "#,##0",
    "USD/Mtok": "#,##0.0000",
    "share": "0.0%",
    "%": "0.0",
    "MW": "#,##0.00",
    "Mtok": "#,##0",
    "units": "#,##0.##",
}
_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(key: str, used: set[str]) -> str:
    base = _BAD.sub("_", key)[:31] or "sheet"
    name, i = base, 2
    while name.lower() in used:
        suffix = f"_{i}"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(name.lower())
    return name


def _cell(v: object) -> object:
    if hasattr(v, "item"):
        v = v.item()  # numpy scalar -> Python
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


def _append(ws: object, values: list[object]) -> None:
    """Append a row; text is stored as text, never as a formula. openpyxl stores any
    string starting with "=" as a live formula: a hardware id ``=HYPERLINK(...)`` would
    run in the reader's Excel (formula injection)."""
    ws.append(values)  # type: ignore[attr-defined]
    row = ws.max_row  # type: ignore[attr-defined]
    for i, v in enumerate(values, start=1):
        if isinstance(v, str) and v.startswith("="):
            cell = ws.cell(row=row, column=i)  # type: ignore[attr-defined]
            cell.value = v
            cell.data_type = "s"


def _write_table(ws: object, t: Table) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    cols = [str(c) for c in t.df.columns]
    _append(ws, [t.header(c) for c in cols])
    for rec in t.df.itertuples(index=False, name=None):
        _append(ws, [_cell(v) for v in rec])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="EEF1F4")
    for i, c in enumerate(cols, start=1):
        head = ws.cell(row=1, column=i)  # type: ignore[attr-defined]
        head.font, head.fill = bold, fill
        fmt = _FORMATS.get(t.unit(c))
        letter = get_column_letter(i)
        width = max(len(t.header(c)), 10)
        if fmt:
            for row in range(2, len(t.df) + 2):
                ws.cell(row=row, column=i).number_format = fmt  # type: ignore[attr-defined]
        if len(t.df) and not pd.api.types.is_numeric_dtype(t.df[c]):
            width = max(width, min(60, int(t.df[c].astype(str).str.len().max())))
        ws.column_dimensions[letter].width = min(width + 2, 62)  # type: ignore[attr-defined]
    ws.freeze_panes = "A2"  # type: ignore[attr-defined]


def write_workbook(report: Report, path: Path) -> Path:
    """Write the workbook atomically (temporary file, then rename)."""
    import os
    import tempfile

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "headline"
    _append(ws, ["figure", "value"])
    _append(ws, ["report", report.title])
    _append(ws, ["source", report.subtitle])
    for k, v in report.headline:
        _append(ws, [k, v])
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 90
    used = {"headline"}
    for t in report.tables():
        _write_table(wb.create_sheet(sheet_name(t.key, used)), t)
    for s in report.sections:
        if s.pre:
            notes = wb.create_sheet(sheet_name("notes", used))
            _append(notes, ["notes of the instance file"])
            for line in s.pre.splitlines():
                _append(notes, [line])
            notes.column_dimensions["A"].width = 110
            notes.freeze_panes = "A2"
    fixed = dt.datetime(2000, 1, 1)  # no timestamp: the same report gives the same workbook
    wb.properties.created = fixed
    wb.properties.modified = fixed
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
