"""Problems, the report and the small helpers every check uses.

Part of :mod:`optimizer.verify` (see its docstring).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from optimizer.instance.schema import Instance

SECONDS_PER_YEAR = 8760 * 3600  # 31,536,000 s, as docs/model.md's Units section
HOURS_PER_YEAR = 8760.0
SOLUTION_STATUSES = ("optimal", "time_limit")

FAMILIES = (
    "capacity",
    "production",
    "demand",
    "power",
    "land",
    "budget",
    "supply",
    "minimum lot",
    "forecast",
    "committed",
    "delivery",
    "cooling",
    "price move",
    "power share",
    "price menu",
    "unused value",
    "usable pairs",
    "availability",
    "integrality",
    "installed",
    "objective",
    "plan",
)


class VerificationError(AssertionError):
    """A plan breaks a constraint or misstates its objective; the message lists every problem, one per line."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"plan fails {len(self.problems)} check(s):\n" + "\n".join(self.problems))


@dataclass(frozen=True)
class Problem:
    """One violated check: its family (as in docs/model.md), its index and what is wrong."""

    family: str
    index: str
    message: str

    def __str__(self) -> str:
        where = f"{self.family}[{self.index}]" if self.index else self.family
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class PairCoefficient:
    """r[h,t] (tok/s per accelerator) and a[h,t] (Mtok per unit per period) of one pair.

    ``usable`` is False when the frontier table cannot serve the pair; ``reason`` says why.
    """

    hardware: str
    tier: str
    usable: bool
    r: float = 0.0
    a: float = 0.0
    context_tokens: int | None = None
    reason: str = ""


@dataclass
class VerificationReport:
    """What :func:`verify_plan` found.

    ``objective_usd`` is the objective recomputed from the plan (None when the plan has no
    solution), ``reported_objective_usd`` the plan's own figure. ``items`` are the
    violated checks; ``problems`` their one-line texts; ``notes`` say what was not checked.
    """

    status: str
    objective_kind: str
    objective_usd: float | None = None
    reported_objective_usd: float | None = None
    revenue_usd: float | None = None
    capex_usd: float | None = None
    energy_usd: float | None = None
    items: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    coefficients: dict[tuple[str, str], PairCoefficient] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.items

    @property
    def problems(self) -> list[str]:
        return [str(p) for p in self.items]

    @property
    def families(self) -> set[str]:
        return {p.family for p in self.items}

    def by_family(self, family: str) -> list[str]:
        return [str(p) for p in self.items if p.family == family]

    def raise_if_failed(self) -> None:
        """Raise :class:`VerificationError` listing every problem, if there is any."""
        if self.items:
            raise VerificationError(self.problems)

    def __str__(self) -> str:
        head = (
            f"plan {self.status}: "
            + ("ok" if self.ok else f"{len(self.items)} problem(s)")
            + ("" if self.objective_usd is None else f", objective {_fmt(self.objective_usd)} USD")
        )
        return "\n".join([head, *self.problems, *(f"note: {n}" for n in self.notes)])


# --------------------------------------------------------------------------- formatting
def _fmt(x: float) -> str:
    """A number for a message: thousands separators, about 10 significant digits."""
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if not 1e-6 <= abs(x) < 1e15:
        return f"{x:.10g}"
    digits = min(15, max(0, 9 - math.floor(math.log10(abs(x)))))
    text = f"{x:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _ix(*parts: object) -> str:
    return ", ".join(str(p) for p in parts)


# ------------------------------------------------------------------- instance figures
def _label_index(instance: Instance) -> dict[str, int]:
    """Period label (as text) -> its position; labels compare as text, as in the loader."""
    out: dict[str, int] = {}
    for i, p in enumerate(instance.periods):
        out.setdefault(str(p), i)
    return out


def _per_period(value: Any, labels: list[str]) -> list[float | None]:
    """A scalar-or-{period: value} figure as one value per period; None stays None."""
    if value is None:
        return [None] * len(labels)
    if isinstance(value, Mapping):
        by_text = {str(k): v for k, v in value.items()}
        return [None if by_text.get(p) is None else float(by_text[p]) for p in labels]
    return [float(value)] * len(labels)


def _lifetime_periods(lifetime_years: float | None, period_years: float, n: int) -> int:
    """L[h] = ceil(lifetime_years / period_years); the whole horizon when unset."""
    if lifetime_years is None:
        return n
    # 1e-12 absorbs float noise such as 0.3 / 0.1 = 2.9999999999999996.
    return max(1, math.ceil(lifetime_years / period_years - 1e-12))


# ------------------------------------------------------------------- option figures
def _menu_entries(tier: Any, labels: list[str], i: int) -> list[tuple[float, float]]:
    """(price USD/Mtok, demand Mtok) of every entry of a tier's price menu in period i."""
    return [
        (
            _per_period(e.price_usd_per_mtok, labels)[i] or 0.0,
            _per_period(e.demand_mtok, labels)[i] or 0.0,
        )
        for e in tier.price_menu or ()
    ]


# ---------------------------------------------------------------------- coefficients
