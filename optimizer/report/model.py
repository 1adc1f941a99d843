"""What a report is made of, independent of how it is written (HTML page or workbook).

A :class:`Report` has a headline (label, value pairs) and sections; a section has
tables (DataFrames whose columns carry units) and charts (Plotly figures, or static
PNGs drawn by :mod:`optimizer.plots`). The HTML writer and the workbook writer read
the same objects, so the page and the workbook always show the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optimizer import fmt
from optimizer.result_schema import column_units

# Units of the columns that recur across tables (a table may add or override its own): the
# plan's tables' from optimizer.result_schema, and those of the reports' own tables.
UNITS: dict[str, str] = {
    **column_units(),
    "bought": "units",
    "installed": "units",
    "mean_units": "units",
    "used_mw": "MW",
    "hardware_usd": "USD",
    "shell_usd": "USD",
    "cost_usd": "USD",
    "objective_usd": "USD",
    "optimum_uplift_usd": "USD",
    "optimum_uplift_pct": "%",
    "cost_usd_per_mtok": "USD/Mtok",
    "revenue_usd_per_mtok": "USD/Mtok",
    "share": "share",
    "probability": "share",
    "ws_objective_usd": "USD",
    "ev_objective_usd": "USD",
    "regret_usd": "USD",
    "swing_usd": "USD",
    "objective_low_usd": "USD",
    "objective_high_usd": "USD",
    "percent_of_cap": "%",
}


@dataclass
class Table:
    """A table with a sheet name (``key``, at most 31 characters), a title and units."""

    key: str
    title: str
    df: pd.DataFrame
    units: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def unit(self, column: str) -> str:
        return self.units.get(column, UNITS.get(column, ""))

    def header(self, column: str) -> str:
        """The column's header with its unit: ``revenue_usd (USD)``."""
        u = self.unit(column)
        return f"{column} ({u})" if u else column


@dataclass
class Chart:
    """A Plotly figure (interactive) or a PNG (``png``: bytes of a deck chart)."""

    key: str
    title: str
    figure: Any = None
    png: bytes | None = None
    caption: str = ""


@dataclass
class Section:
    id: str
    title: str
    intro: str = ""
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    pre: str = ""  # preformatted text (the instance file's notes)
    points: list[str] = field(default_factory=list)  # a bulleted list (executive summary)

    def table(
        self,
        key: str,
        title: str,
        df: pd.DataFrame,
        units: dict[str, str] | None = None,
        note: str = "",
    ) -> Table:
        """Append a table of ``df`` and return it."""
        t = Table(key, title, df, dict(units or {}), note)
        self.tables.append(t)
        return t

    def chart(
        self,
        key: str,
        title: str,
        figure: Any = None,
        png: bytes | None = None,
        caption: str = "",
    ) -> Chart:
        """Append an interactive chart (or a PNG) and return it."""
        c = Chart(key, title, figure, png, caption)
        self.charts.append(c)
        return c


@dataclass
class Report:
    title: str
    subtitle: str
    kind: str  # "plan", "sweep", "two-stage"
    headline: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def charts(self) -> list[Chart]:
        return [c for s in self.sections for c in s.charts]


def fmt_value(v: Any, unit: str) -> str:
    """A cell as text for the page, through optimizer.fmt: money $5.98B, Mtok 2.67B, shares %."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, int | float) and not isinstance(v, bool):
        x = float(v)
        if math.isnan(x):
            return ""
        if unit == "share":
            return fmt.pct(x)
        if unit == "%":
            return f"{x:,.1f}%"
        if unit == "USD/Mtok":
            return fmt.price(x)
        if unit in ("USD", "USD per unit"):
            return fmt.usd(x)
        if unit == "Mtok":
            return fmt.quantity(x)
        if float(x).is_integer():
            return f"{x:,.0f}"
        return f"{x:,.2f}" if abs(x) >= 1 else f"{x:.4g}"
    return str(v)
