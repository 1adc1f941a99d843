"""Reports a planner can hand on: one self-contained HTML page and one workbook.

``build_report(PATH)`` reads an instance (solved, with baselines), a results folder, a
sweep table or a two-stage result into a :class:`~optimizer.report.model.Report`;
:func:`~optimizer.report.html.render_html` and
:func:`~optimizer.report.workbook.write_workbook` write it. Layout:

* ``model.py``: what a report is made of (headline, sections, tables with units, charts)
* ``build.py``: PATH -> Report; ``plan_report.py``, ``sweep_report.py``,
  ``twostage_report.py``: the sections of each kind; ``sections.py`` and
  ``assumptions.py``: the instance's assumptions and their sources
* ``charts.py``: interactive Plotly charts; ``stats.py``: percentiles, CDF, buy
  frequency, drivers
* ``html.py``, ``workbook.py``, ``pdf.py``: the writers
"""

from __future__ import annotations

from typing import Any


def build_report(*args: Any, **kwargs: Any) -> Any:
    from optimizer.report.build import build_report as _build

    return _build(*args, **kwargs)


__all__ = ["build_report"]
