"""The side figures of a two-stage run: wait and see, expected value and EEV re-plans.

docs/model.md's EVPI and VSS need each scenario planned alone (WS_s), the expected-value
instance EV planned, and every scenario re-planned with EV's first stage fixed (EEV_s).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from optimizer.instance.schema import Instance, PeriodLabel
from optimizer.planning.planner import Planner
from optimizer.results.plan import Plan
from optimizer.stochastic.model import HP, sale_index
from optimizer.stochastic.ranks import Ranks
from optimizer.stochastic.result import ScenarioOutcome
from optimizer.stochastic.scenarios import Scenarios

T = TypeVar("T")


@dataclass
class SideFigures:
    """Wait-and-see, expected-value and EEV re-plans (docs/model.md's EVPI and VSS)."""

    ws: list[ScenarioOutcome]
    ev_objective_usd: float | None = None
    ev_first: dict[HP, int] | None = None
    eev: list[ScenarioOutcome | None] = field(default_factory=list)
    eev_delivered: list[ScenarioOutcome] | None = None
    ev_deliverable_first: dict[HP, int] | None = None
    solver_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def left(deadline: float | None) -> float | None:
    """Seconds left until ``deadline`` (a ``time.monotonic()`` instant), 0 at the least."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def bound_by(planner: Planner, deadline: float | None) -> bool:
    """The planner's next solve ends by ``deadline`` (its time limit: what is left);
    False when nothing is left (the re-plan is not even started)."""
    if deadline is None:
        return True
    seconds = left(deadline)
    planner.options = planner.options.but(time_limit=seconds)
    return bool(seconds)


def timed_out(inst: Instance, objective: str | None) -> Plan:
    from optimizer.results.plan import empty_plan

    return empty_plan(inst, None, objective or inst.objective, "time_limit", "time limit")


class Slice:
    """One of ``parts`` workers sharing the side figures: scenarios part, part + parts, ...
    (the others' entries are left None; :func:`merge_slices` puts the parts together)."""

    def __init__(self, part: int, parts: int) -> None:
        self.part, self.parts = part, parts

    def share(self, n: int, work: Callable[[int], T]) -> list[T]:
        return [work(i) if i % self.parts == self.part else None for i in range(n)]  # type: ignore[misc]


def side_figures(
    sc: Scenarios,
    periods: list[PeriodLabel],
    timed_replan: Callable[[Instance, Mapping[HP, int] | None], Plan],
    ranks: Ranks | Slice,
) -> SideFigures:
    """WS_s for every scenario; EV, its first stage and EEV_s (stops early if a WS fails).

    With a :class:`Slice`, only that slice's scenarios are re-planned (EV in every slice)."""
    t0 = time.perf_counter()
    side = SideFigures(
        ws=ranks.share(len(sc), lambda i: outcome(timed_replan(sc.instances[i], None)))
    )
    side.timings["wait_and_see"] = time.perf_counter() - t0
    if not all(o is None or o.has_plan for o in side.ws):
        side.eev = [None] * len(sc)  # not re-planned: unknown
        return side
    t0 = time.perf_counter()
    ev_plan = timed_replan(sc.expected_value_instance(), None)
    side.eev = [None] * len(sc)
    if ev_plan.has_solution:
        side.ev_objective_usd = ev_plan.objective_usd
        ev_first = side.ev_first = first_stage_from_plan(ev_plan, periods)
        side.eev = list(
            ranks.share(len(sc), lambda i: outcome(timed_replan(sc.instances[i], ev_first)))
        )
        # Where EV's purchase is not on sale in a scenario (a later ship date), EEV is
        # infeasible and VSS infinite (docs/model.md). Also report EV's purchase without the
        # units that are not on sale in every scenario: one first stage for all, so its
        # expected value is a floor of SP and VSS against it is >= 0 (a finite companion).
        timed_out = any(o is not None and o.status == "time_limit" for o in side.eev)
        common = set.intersection(*(sale_index(inst) for inst in sc.instances))
        kept = {hp: u for hp, u in ev_first.items() if hp in common}
        if not timed_out and kept != ev_first:  # (EEV is then infeasible somewhere)
            side.eev_delivered = ranks.share(
                len(sc), lambda i: outcome(timed_replan(sc.instances[i], kept))
            )
            side.ev_deliverable_first = kept
    side.timings["expected_value"] = time.perf_counter() - t0
    return side


def merge_slices(
    parts: Sequence[SideFigures], fill: Callable[[int, Mapping[HP, int]], ScenarioOutcome]
) -> SideFigures:
    """The side figures of every scenario from the slices' (scenario i from slice i % k).

    Slices solve EV each; the first slice's EV stands. A slice whose EV first stage differs
    (never seen: the same instance solved the same way) has its EEV re-planned with
    ``fill(i, first_stage)`` so that every EEV_s uses the one EV first stage."""
    k = len(parts)
    first = parts[0]
    n = len(first.ws)
    merged = SideFigures(
        ws=[parts[i % k].ws[i] for i in range(n)],
        ev_objective_usd=first.ev_objective_usd,
        ev_first=first.ev_first,
        ev_deliverable_first=first.ev_deliverable_first,
        solver_seconds=sum(p.solver_seconds for p in parts),
    )
    for key in {key for p in parts for key in p.timings}:  # busy time summed over slices
        merged.timings[key] = sum(p.timings.get(key, 0.0) for p in parts)
    if not all(o is not None and o.has_plan for o in merged.ws) or first.ev_first is None:
        merged.eev = [None] * n
        return merged
    merged.eev = [parts[i % k].eev[i] if i < len(parts[i % k].eev) else None for i in range(n)]
    for i in range(n):
        if parts[i % k].ev_first != first.ev_first:
            merged.eev[i] = fill(i, first.ev_first)
    if all(p.eev_delivered is not None for p in parts) and all(
        p.ev_deliverable_first == first.ev_deliverable_first for p in parts
    ):
        merged.eev_delivered = [parts[i % k].eev_delivered[i] for i in range(n)]  # type: ignore[index]
    else:
        merged.ev_deliverable_first = None
    return merged


def outcome(plan: Plan) -> ScenarioOutcome:
    """What the result keeps of one scenario's plan (picklable, for MPI)."""
    buys: dict[HP, int] = {}
    if plan.has_solution and len(plan.buy):
        for r in plan.buy.itertuples(index=False):
            if int(r.units):
                buys[(str(r.hardware), r.period)] = int(r.units)
    msg = plan.message
    if not msg and not plan.diagnosis.empty:
        msg = "; ".join(plan.diagnosis["message"])
    return ScenarioOutcome(
        status=plan.status,
        objective_usd=plan.objective_usd if plan.has_solution else None,
        buys=buys,
        message=msg,
    )


def first_stage_from_plan(plan: Plan, periods: Sequence[PeriodLabel]) -> dict[HP, int]:
    out: dict[HP, int] = {}
    for r in plan.buy.itertuples(index=False):
        if r.period in periods and int(r.units):
            out[(str(r.hardware), r.period)] = int(r.units)
    return out


MAX_CONFLICT_TRIES = 4  # scenarios whose own first stage is tried in the others


def first_stage_conflict(
    sc: Scenarios,
    periods: Sequence[PeriodLabel],
    ws: Sequence[ScenarioOutcome],
    diagnosed_replan: Callable[[Instance, Mapping[HP, int]], Plan],
) -> str:
    """Why no first stage suits every scenario, by example: a scenario's own first stage
    (its wait-and-see plan) re-planned in the others, with the planner's diagnosis of each
    scenario it breaks (which cap, or which tier's forecast in which period, and by how
    much). Tries the scenarios buying the most first; "" when no example was found."""
    order = sorted(range(len(sc)), key=lambda i: -sum(ws[i].buys.values()))
    for i in order[:MAX_CONFLICT_TRIES]:
        first = {hp: u for hp, u in ws[i].buys.items() if hp[1] in periods}
        broken = []
        for j in range(len(sc)):
            if j == i:
                continue
            plan = diagnosed_replan(sc.instances[j], first)
            if plan.status == "infeasible":
                why = plan.message.removeprefix("infeasible: ") or "infeasible"
                broken.append(f"scenario {sc.names[j]!r}: {why}")
        if broken:
            buy = ", ".join(f"{h} {u} in {p}" for (h, p), u in sorted(first.items())) or "nothing"
            return f"the first stage scenario {sc.names[i]!r} needs ({buy}) breaks " + "; ".join(
                broken
            )
    return ""
