"""Every cap is written down (issue 20: "the README's limits section lists every cap"):
the figures in README.md's Limits section and docs/format.md's come from the code's
constants, so changing a cap without its documentation fails here."""

from __future__ import annotations

import pytest

from optimizer.frontiers.table import _LIMITS, MAX_TABLE_BYTES
from optimizer.input_files import MAX_SCENARIO_BYTES, MB
from optimizer.instance.load import MAX_DEPTH, MAX_EXPANDED_VALUES, MAX_INSTANCE_BYTES
from optimizer.processes import PARENT_POLL_S
from optimizer.report.html import MAX_ROWS

from conftest import REPO


def _g(x: float) -> str:
    """1e9 as the docs write it (not Python's 1e+09)."""
    return f"{x:g}".replace("e+0", "e").replace("e+", "e")


def _section(path: str, title: str) -> str:
    text = (REPO / path).read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


_README_FIGURES = (
    f"{MAX_INSTANCE_BYTES // MB} MB",
    f"{MAX_DEPTH} levels",
    f"{MAX_EXPANDED_VALUES:,} values",
    f"{MAX_TABLE_BYTES // MB} MB",
    f"Scenario CSV (`stochastic --scenarios`, `sweep --scenarios`) | {MAX_SCENARIO_BYTES // MB} MB",
    f"{MAX_ROWS:,} rows",
    f"within {PARENT_POLL_S:g} s",
    *(f"`{col}` <= {_g(cap)}" for col, cap in _LIMITS.items()),
    "--out",
    "manifest.json",
    "FIFO",
    "twice",
    "solve --time-limit",
    "stochastic --time-limit",
    "sweep.rows.jsonl",
    "formula",
)

_FORMAT_DOC_FIGURES = (
    f"{MAX_INSTANCE_BYTES // MB} MB; {MAX_DEPTH} levels",
    f"{MAX_EXPANDED_VALUES:,} values",
    f"Frontier CSV | {MAX_TABLE_BYTES // MB} MB",
    f"Scenario CSV (sweeps and two-stage plans) | {MAX_SCENARIO_BYTES // MB} MB",
    *(f"`{col}` <= {_g(cap)}" for col, cap in _LIMITS.items()),
)


@pytest.mark.parametrize(
    ("path", "figures"),
    [("README.md", _README_FIGURES), ("docs/format.md", _FORMAT_DOC_FIGURES)],
)
def test_limits_section_names_every_cap(path: str, figures: tuple[str, ...]) -> None:
    """The Limits section of README.md and of docs/format.md each carry every figure."""
    limits = _section(path, "Limits")
    missing = [figure for figure in figures if figure not in limits]
    assert not missing, f"{path} Limits lacks: {missing}"
