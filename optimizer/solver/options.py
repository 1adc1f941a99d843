"""One options object for every way of solving: :class:`SolveOptions`.

:class:`~optimizer.planning.planner.Planner`, :func:`~optimizer.planning.planner.solve`, sweeps,
``compare``, the HTTP service and the infeasibility diagnosis all take a ``SolveOptions``,
and per-call keyword overrides of its fields (:func:`with_overrides`): ``solve(path, opts,
time_limit=5)`` or ``planner.solve(marginals=False)`` change one call, never the object or
the planner. ``time_limit`` bounds the WHOLE solve: the MILP, then the independent check, the marginal
values and (when infeasible) the diagnosis, in that order. Post-solve steps that no longer
fit in what is left are skipped and named in ``Plan.skipped`` (e.g.
``"marginal_values: deadline"``), never silently dropped.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

Objective = Literal["revenue", "profit", "cost"]
Strategy = Literal["certified", "milp"]


@dataclass(frozen=True)
class SolveOptions:
    """How to solve.

    Attributes
    ----------
    objective:
        Override the instance's objective ("revenue", "profit" or v3 "cost": least cost
        to serve every tier's demand_mtok); None keeps it.
    time_limit:
        Seconds for the whole solve, post-solve work included (None: no limit).
    mip_gap:
        Relative MIP gap; None keeps HiGHS's default (1e-4).
    threads:
        HiGHS threads; None lets HiGHS choose (sweeps use one per worker).
    log:
        Write HiGHS's log to stderr.
    marginals:
        Price the caps with the plan's hardware choice held fixed (one LP).
    verify:
        Check every plan with :mod:`optimizer.verify`; a disagreement raises.
    diagnose:
        When infeasible, find the smallest relaxations that make it feasible.
    strategy:
        ``"certified"`` (default): solve with purchase counts relaxed for a bound, round
        and repair to an integer plan, and branch only if the two are not within
        ``mip_gap`` (docs/model.md, "Solve strategy"); ``"milp"``: HiGHS's branch and
        bound on the whole model, as before.
    """

    objective: Objective | None = None
    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    log: bool = False
    marginals: bool = True
    verify: bool = True
    diagnose: bool = True
    strategy: Strategy = "certified"

    def __post_init__(self) -> None:
        problems = []
        if self.objective not in (None, "revenue", "profit", "cost"):
            problems.append(f"objective: 'revenue', 'profit' or 'cost' (got {self.objective!r})")
        if self.time_limit is not None and not (
            isinstance(self.time_limit, (int, float))
            and self.time_limit >= 0
            and math.isfinite(self.time_limit)
        ):
            problems.append(f"time_limit: a number of seconds >= 0 (got {self.time_limit!r})")
        if self.mip_gap is not None and not (0 <= self.mip_gap and math.isfinite(self.mip_gap)):
            problems.append(f"mip_gap: a number >= 0 (got {self.mip_gap!r})")
        if self.strategy not in ("certified", "milp"):
            problems.append(f"strategy: 'certified' or 'milp' (got {self.strategy!r})")
        if self.threads is not None and self.threads < 1:
            problems.append(f"threads: >= 1 (got {self.threads!r})")
        if problems:
            raise ValueError("; ".join(problems))

    def but(self, **changes: Any) -> SolveOptions:
        """A copy with ``changes`` applied (the object itself is frozen)."""
        return replace(self, **changes)

    def deadline(self, start: float | None = None) -> float | None:
        """The ``time.monotonic()`` instant the whole solve must end by (None: no limit)."""
        if self.time_limit is None:
            return None
        return (time.monotonic() if start is None else start) + self.time_limit


FIELDS = frozenset(f.name for f in fields(SolveOptions))


def with_overrides(options: SolveOptions | None, overrides: Mapping[str, Any]) -> SolveOptions:
    """``options`` (default: ``SolveOptions()``) with per-call ``overrides`` applied.

    ``solve(inst, opts, time_limit=5)`` is ``solve(inst, opts.but(time_limit=5))``; a key
    that is not a field of :class:`SolveOptions` is a TypeError, as for any bad keyword.
    ``options`` itself is never changed (it is frozen).
    """
    unknown = sorted(set(overrides) - FIELDS)
    if unknown:
        raise TypeError(
            f"unexpected keyword argument(s) {', '.join(map(repr, unknown))}; "
            f"the options are {', '.join(sorted(FIELDS))}"
        )
    base = options or SolveOptions()
    return replace(base, **overrides) if overrides else base


def deprecated_keywords(where: str, given: Mapping[str, Any], instead: str) -> dict[str, Any]:
    """The old keywords actually given (not None), after one DeprecationWarning naming them.

    They keep working for one release (docs/embedding.md, "Deprecated keywords").
    """
    used = {k: v for k, v in given.items() if v is not None}
    if used:
        warnings.warn(
            f"{where}({', '.join(f'{k}=' for k in used)}...) is deprecated and will be removed "
            f"in the next release; pass {instead}",
            DeprecationWarning,
            stacklevel=3,
        )
    return used


def remaining(deadline: float | None) -> float | None:
    """Seconds left before ``deadline`` (None: no limit; never negative)."""
    if deadline is None:
        return None
    return max(0.0, deadline - time.monotonic())
