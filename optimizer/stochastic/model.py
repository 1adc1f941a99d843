"""One planning model per scenario, as mpi-sppy wants it: ``scenario_creator(name)``.

Each scenario's model is the deterministic planner's own model
(:func:`optimizer.model.build.build_model` through a :class:`Planner`), so every
constraint family of the planner, present or future, is in the two-stage program.
The first stage is ``buy[h,p]`` for p in the first-stage periods F.

Non-anticipativity needs the same first-stage variables in every scenario, but a
scenario may change ``available_from``/``available_until`` and with it the index set of
``buy``. Every scenario is therefore built on the union of the sale windows (each
hardware on sale from the earliest first period to the latest last period of any
scenario), and a purchase that is not on sale in a scenario gets the upper bound 0.

Objective ``cost`` (minimised) becomes the maximisation of minus the cost, so the
two-stage program, its proof and PH always maximise; results report costs again.

Risk (docs/model.md): with ``cvar_alpha`` and ``risk_weight`` lambda, each scenario's objective
becomes ``(1 - lambda) * obj_s + lambda * (eta - u_s / (1 - alpha))`` with
``u_s >= eta - obj_s``, ``u_s >= 0``; ``eta`` is a first-stage variable (the same in
every scenario), so the probability-weighted sum is docs/model.md's objective.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from optimizer import fmt
from optimizer.errors import InputError
from optimizer.instance.schema import Instance, PeriodLabel
from optimizer.model.data import MONEY_USD
from optimizer.planning.planner import Planner
from optimizer.results.plan import Plan
from optimizer.solver.options import SolveOptions
from optimizer.stochastic.result import value_sign
from optimizer.stochastic.scenarios import Scenarios

HP = tuple[str, PeriodLabel]


def first_stage_periods(base: Instance, periods: Sequence[Any] | None) -> list[PeriodLabel]:
    """F: the leading periods given (labels matched as text), or the first period."""
    labels = list(base.periods)
    if not periods:
        return labels[:1]
    by_text = {str(p): p for p in labels}
    out: list[PeriodLabel] = []
    for p in periods:
        if str(p).strip() not in by_text:
            raise InputError(f"--first-stage: {p} is not one of the periods {fmt.labels(labels)}")
        out.append(by_text[str(p).strip()])
    if out != labels[: len(out)]:
        raise InputError(
            f"--first-stage: {', '.join(map(str, out))} are not the leading periods "
            f"(give {', '.join(map(str, labels[: len(out)]))})"
        )
    return out


def sale_index(inst: Instance) -> set[HP]:
    """(h, p) where h is on sale in p."""
    out: set[HP] = set()
    for h in inst.hardware:
        lo, hi = inst.sale_window(h)
        out |= {(h.id, inst.periods[i]) for i in range(lo, hi + 1)}
    return out


def widened(inst: Instance, windows: Mapping[str, tuple[int, int]]) -> Instance:
    """``inst`` with each hardware on sale over ``windows[h]`` (period indices)."""
    periods = list(inst.periods)
    hardware = []
    for h in inst.model_dump()["hardware"]:
        lo, hi = windows[h["id"]]
        h["available_from"] = periods[lo]
        h["available_until"] = periods[hi]
        hardware.append(h)
    return inst.with_changes(hardware=hardware)


def union_windows(instances: Sequence[Instance]) -> dict[str, tuple[int, int]]:
    """Per hardware, the hull of its sale windows over all scenarios."""
    out: dict[str, tuple[int, int]] = {}
    for inst in instances:
        for h in inst.hardware:
            lo, hi = inst.sale_window(h)
            a, b = out.get(h.id, (lo, hi))
            out[h.id] = (min(a, lo), max(b, hi))
    return out


@dataclass
class ScenarioModels:
    """Builds the scenario models of a two-stage program (mpi-sppy's ``scenario_creator``).

    ``planners`` keeps, per scenario name built in this process, the planner whose model
    mpi-sppy holds (its data and coefficients read the solution back).
    """

    scenarios: Scenarios
    first_periods: list[PeriodLabel]
    objective: str | None = None
    cvar_alpha: float | None = None
    risk_weight: float = 0.0
    table: pd.DataFrame | None = None
    planners: dict[str, Planner] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.windows = union_windows(self.scenarios.instances)
        self.index = {n: i for i, n in enumerate(self.scenarios.names)}

    @property
    def sign(self) -> int:
        """+1 when the objective is maximised (revenue, profit), -1 for ``cost``."""
        return value_sign(self.objective or self.scenarios.base.objective)

    def creator(self, name: str, **_: Any) -> pyo.ConcreteModel:
        """mpi-sppy's ``scenario_creator``: scenario ``name``'s model with its root node."""
        from mpisppy.utils import sputils

        i = self.index[name]
        own = self.scenarios.instances[i]
        planner = Planner(
            widened(own, self.windows),
            SolveOptions(
                objective=self.objective,  # type: ignore[arg-type]
                marginals=False,
                diagnose=False,
                verify=False,
            ),
            table=self.table,
        )
        self.planners[name] = planner
        m = planner.model
        assert m is not None
        on_sale = sale_index(own)
        for hp in m.BUY:
            if hp not in on_sale:
                m.buy[hp].setub(0)
        first = [m.buy[h, p] for h, p in m.BUY if p in self.first_periods]
        first_cost = sum(
            m.weight[p] * m.unit_capex[h, p] * m.buy[h, p]
            for h, p in m.BUY
            if p in self.first_periods
        )
        # The two-stage program maximises a value: the objective, or minus the cost
        # (objective cost); results report the cost again (``sign``).
        value = self.sign * m.obj.expr
        if self.cvar_alpha is not None and self.risk_weight > 0:
            lam, alpha = self.risk_weight, self.cvar_alpha
            m.obj.deactivate()
            m.cvar_eta = pyo.Var(domain=pyo.Reals)
            m.cvar_u = pyo.Var(domain=pyo.NonNegativeReals)
            m.cvar_shortfall = pyo.Constraint(expr=m.cvar_u >= m.cvar_eta - value)
            m.risk_obj = pyo.Objective(
                expr=(1 - lam) * value + lam * (m.cvar_eta - m.cvar_u / (1 - alpha)),
                sense=pyo.maximize,
            )
            first = [*first, m.cvar_eta]
        elif self.sign < 0:
            m.obj.deactivate()
            m.value_obj = pyo.Objective(expr=value, sense=pyo.maximize)
        sputils.attach_root_node(m, first_cost, first)
        m._mpisppy_probability = self.scenarios.probabilities[i]
        return m


def first_stage_of(m: pyo.ConcreteModel, periods: Sequence[PeriodLabel]) -> dict[HP, int]:
    """The first-stage purchase read from a solved scenario model (units, zeros dropped)."""
    out: dict[HP, int] = {}
    for h, p in m.BUY:
        if p in periods:
            v = m.buy[h, p].value
            units = int(round(v)) if v is not None else 0
            if units:
                out[(h, p)] = units
    return out


def objective_usd(m: pyo.ConcreteModel) -> float:
    """The planning objective (not the risk objective) of a solved model, in USD."""
    return float(pyo.value(m.obj.expr)) * MONEY_USD


# ------------------------------------------------------------------- re-planning
def replan(
    planner: Planner,
    instance: Instance,
    fixed: Mapping[HP, int] | None,
    periods: Sequence[PeriodLabel],
    *,
    diagnose: bool = False,
) -> Plan:
    """Solve ``instance`` with the buys of ``periods`` fixed to ``fixed`` (absent = 0).

    ``fixed`` None solves it alone (wait and see). A fixed purchase not on sale in this
    instance makes the plan ``infeasible`` with a message saying so; with ``diagnose`` an
    infeasible plan with ``fixed`` gets the planner's diagnosis (which cap or forecast). The
    planner is pointed at ``instance`` (updated in place when the structure allows).
    """
    planner.update(instance)
    m = planner.model
    assert m is not None
    if fixed is None:
        return planner.solve()
    missing = [hp for hp, u in fixed.items() if u and hp not in m.BUY]
    if missing:
        from optimizer.results.plan import empty_plan

        plan = empty_plan(instance, planner.coefficients, planner.objective, "infeasible")
        plan.message = "; ".join(f"{h} is not on sale in {p}" for h, p in missing)
        return plan
    held = [hp for hp in m.BUY if hp[1] in periods]
    for hp in held:
        m.buy[hp].fix(int(fixed.get(hp, 0)), skip_validation=True)  # above a cap: infeasible
    try:
        # optimal for this first stage only: no optimality floor; diagnosed only when asked
        plan = planner.solve(diagnose=diagnose, fixed_purchases=True)
    finally:
        for hp in held:
            m.buy[hp].unfix()
    if plan.status == "infeasible" and not plan.message:
        plan.message = "the first-stage purchase breaks a cap of this scenario"
    return plan
