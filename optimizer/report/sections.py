"""Sections every kind of report can carry: the instance's assumptions and their sources."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.report.assumptions import instance_assumptions
from optimizer.report.model import Section, Table

if TYPE_CHECKING:
    from optimizer.instance.schema import Instance


def assumptions_section(path: Path, instance: Instance) -> Section:
    """The instance file's ``# source:`` / ``# assumption:`` comments, its notes, spec sources."""
    a = instance_assumptions(
        path, [h.id for h in instance.hardware], sorted({t.model for t in instance.tiers})
    )
    sec = Section(
        "assumptions",
        "Assumptions and their sources",
        f"Every figure of {path.name} that carries a comment: 'source' cites public material, "
        "'assumption' is the planner's own choice and says why. Spec sources come from the "
        "specification tables the instance cites.",
    )
    sec.tables.append(
        Table("assumptions", f"Figures of {path.name} with their sources", a["values"])
    )
    specs = a["specs"]
    if specs is not None and not specs.empty:
        sec.tables.append(Table("spec_sources", "Sources of the specifications used", specs))
    sec.pre = a["notes"]
    return sec
