"""How to solve a two-stage plan: :class:`StochasticOptions`.

One frozen object, as :class:`~optimizer.solver.options.SolveOptions` is for one plan: the
two-stage knobs of :func:`optimizer.stochastic.solve` beside a ``SolveOptions`` (``solve``)
that every HiGHS run of the run is made with (the scenarios' re-plans, the extensive form,
progressive hedging). Its ``time_limit`` bounds ALL the solving of the run, not each solve;
its ``mip_gap`` is the two-stage program's target gap (docs/model.md, "Two-stage plans over
scenarios").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from optimizer.solver.options import FIELDS as SOLVE_FIELDS
from optimizer.solver.options import SolveOptions, with_overrides


@dataclass(frozen=True)
class StochasticOptions:
    """How to solve a two-stage plan: ``solve`` and the two-stage knobs.

    solve:
        The options of every HiGHS run (objective, time_limit for the whole run, mip_gap,
        threads, log, strategy of the re-plans...). Re-plans never price marginal values.
    first_stage:
        Leading period labels decided now (None: the first period).
    method:
        ``"ef"`` (extensive form, exact within ``mip_gap``) or ``"ph"`` (progressive
        hedging; a heuristic on integer first stages: read ``bound_usd`` and ``gap``).
    cvar_alpha, risk_weight:
        Report the CVaR of the worst ``1 - alpha`` share of outcomes; with ``risk_weight``
        lambda > 0 also maximise docs/model.md's risk objective.
    ph_iterations, ph_rho:
        PH only: the iteration limit and the penalty (None: mpi-sppy's default rule).
    ph_seed_weights:
        PH only: start PH's weights W at the extensive form's LP multipliers (one LP
        solve; the Lagrangian bound then starts below the trivial one) instead of at 0
        (:mod:`optimizer.stochastic.seed`). Bounds stay valid either way.
    parallel:
        EF only: re-plan the wait-and-see and expected-value figures in a second (spawned)
        process while HiGHS solves the extensive form.
    ef_decompose:
        EF only: try to prove the gap scenario by scenario before solving the EF as one
        MILP (:mod:`optimizer.stochastic.decompose`).
    ef_branch:
        EF only, with ``ef_decompose``: when the block proof leaves the gap open, branch on
        the first stage with Lagrangian block bounds before the EF MILP
        (:mod:`optimizer.stochastic.branch`). Off: on the reference it does not pay
        (docs/stochastic.md); it proves gaps the blocks alone cannot where the scenarios'
        disagreement is in a few first-stage variables.
    """

    solve: SolveOptions = field(default_factory=SolveOptions)
    first_stage: tuple[Any, ...] | None = None
    method: Literal["ef", "ph"] = "ef"
    cvar_alpha: float | None = None
    risk_weight: float | None = None
    ph_iterations: int = 30
    ph_rho: float | None = None
    ph_seed_weights: bool = True
    parallel: bool = False
    ef_decompose: bool = True
    ef_branch: bool = False

    def __post_init__(self) -> None:
        if self.first_stage is not None and not isinstance(self.first_stage, tuple):
            object.__setattr__(self, "first_stage", tuple(self.first_stage))
        if self.ph_iterations < 1:
            raise ValueError(f"ph_iterations: >= 1 (got {self.ph_iterations!r})")

    def but(self, **changes: Any) -> StochasticOptions:
        """A copy with ``changes`` applied; a :class:`SolveOptions` field (``time_limit=``,
        ``mip_gap=``...) goes to ``solve``. An unknown name is a TypeError."""
        own = {k: v for k, v in changes.items() if k not in SOLVE_FIELDS or k == "solve"}
        unknown = sorted(set(own) - OWN_FIELDS)
        if unknown:
            raise TypeError(
                f"unexpected keyword argument(s) {', '.join(map(repr, unknown))}; the options "
                f"are {', '.join(sorted(OWN_FIELDS | SOLVE_FIELDS))}"
            )
        solve_changes = {k: v for k, v in changes.items() if k not in own}
        solve = with_overrides(own.pop("solve", self.solve), solve_changes)
        return replace(self, solve=solve, **own)

    def replan_options(self) -> SolveOptions:
        """What each scenario's re-plan (wait and see, EV, EEV) is solved with."""
        return self.solve.but(marginals=False)


OWN_FIELDS = frozenset(f.name for f in fields(StochasticOptions))


def stochastic_options(
    options: StochasticOptions | SolveOptions | None, overrides: Mapping[str, Any]
) -> StochasticOptions:
    """``options`` (a plain :class:`SolveOptions` is taken as its ``solve``) with per-call
    ``overrides`` applied: ``solve(inst, sc, method="ph", mip_gap=0)``."""
    if isinstance(options, SolveOptions):
        options = StochasticOptions(solve=options)
    base = options or StochasticOptions()
    return base.but(**overrides) if overrides else base
