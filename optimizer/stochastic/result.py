"""The two-stage result: one first-stage purchase, each scenario's recourse, and its figures.

:class:`TwoStagePlan` is to a two-stage run what :class:`~optimizer.results.plan.Plan`
is to one solve: DataFrames for analysis, :meth:`TwoStagePlan.to_dict` /
:meth:`TwoStagePlan.to_json` in docs/model.md's two-stage format plus extras:

``expected_objective_usd``  sum_s pi_s obj_s of the two-stage plan
``ws_usd``                  sum_s pi_s WS_s (each scenario solved alone)
``eev_usd``                 sum_s pi_s EEV_s (EV's first stage fixed, the rest re-planned)
``evpi_usd``, ``vss_usd``   ws - expected, expected - eev (docs/model.md; risk-neutral runs: SP);
                            under objective cost, expected - ws and eev - expected (saved)
``ev_first_stage``          EV's first-stage purchase
``percentiles``             p10/p50/p90/worst/best of the two-stage plan's scenario objectives
``ev_percentiles``          the same for the EV plan re-planned per scenario
``cvar_usd``                CVaR of the worst 1 - alpha share (when asked), else null
``buy_frequency``           per later period and hardware: share of probability that buys it,
                            mean units
``scenarios[]``             + ws_objective_usd, ev_objective_usd, regret_usd (WS_s - obj_s; a
                            cost: obj_s - WS_s), buy
``eev_delivered_usd``, ``vss_delivered_usd``  only where EEV is infeasible somewhere: EEV and
                            VSS for EV's first stage without the units that are not on sale in
                            every scenario (``ev_deliverable_first_stage``): one purchase for
                            all scenarios, so this VSS is >= 0 and finite where VSS is infinite
``method``, ``bound_usd``, ``gap``, ``stopped_because``  how the solve ended
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optimizer import fmt
from optimizer.instance.schema import Instance, PeriodLabel
from optimizer.results.plan import plain_json
from optimizer.stochastic.scenarios import Scenarios

HP = tuple[str, PeriodLabel]


@dataclass
class ScenarioOutcome:
    """One scenario's plan, reduced to what the two-stage result reports."""

    status: str
    objective_usd: float | None
    buys: dict[HP, int] = field(default_factory=dict)
    message: str = ""

    @property
    def has_plan(self) -> bool:
        return self.objective_usd is not None and self.status in ("optimal", "time_limit")


def value_sign(objective: str) -> int:
    """The two-stage program maximises ``value_sign * objective``: -1 for ``cost``
    (docs/model.md: the least expected cost is the largest expected minus cost)."""
    return -1 if objective == "cost" else 1


# --------------------------------------------------------------------- statistics
def weighted_quantile(values: Sequence[float], probs: Sequence[float], q: float) -> float:
    """Smallest value v with P(X <= v) >= q (a discrete distribution's quantile)."""
    order = np.argsort(values, kind="stable")
    cum = 0.0
    for i in order:
        cum += probs[i]
        if cum >= q - 1e-12:
            return float(values[i])
    return float(values[order[-1]])


def cvar(values: Sequence[float], probs: Sequence[float], alpha: float) -> float:
    """Mean of the worst ``1 - alpha`` probability share of outcomes (higher is better)."""
    tail = 1.0 - alpha
    left, total = tail, 0.0
    for i in np.argsort(values, kind="stable"):
        take = min(left, probs[i])
        total += take * values[i]
        left -= take
        if left <= 1e-15:
            break
    return total / tail


def risk_objective(
    values: Sequence[float], probs: Sequence[float], alpha: float, lam: float
) -> float:
    """docs/model.md's risk objective: (1 - lambda) E[obj] + lambda CVaR_alpha[obj]."""
    mean = sum(p * v for p, v in zip(probs, values, strict=True))
    return (1 - lam) * mean + lam * cvar(values, probs, alpha)


def percentiles(values: Sequence[float], probs: Sequence[float], sign: int = 1) -> dict[str, float]:
    """P10/P50/P90 of the objective; worst and best by ``sign`` (-1: a cost, high is worst)."""
    return {
        "p10": weighted_quantile(values, probs, 0.1),
        "p50": weighted_quantile(values, probs, 0.5),
        "p90": weighted_quantile(values, probs, 0.9),
        "worst": float(min(values) if sign > 0 else max(values)),
        "best": float(max(values) if sign > 0 else min(values)),
    }


# Columns of ``TwoStagePlan.scenarios`` (and scenarios.csv, stochastic.json) that hold what a
# scenario assumes rather than what it gave: "input:" + a key path of the sweep syntax.
INPUT_PREFIX = "input:"


# --------------------------------------------------------------------------- plan
@dataclass
class TwoStagePlan:
    """Result of :func:`optimizer.stochastic.solve`.

    DataFrames: ``first_stage`` (hardware, period, units), ``scenarios`` (one row per
    scenario), ``scenario_buys`` (scenario, hardware, period, units: every period),
    ``buy_frequency`` (hardware, period, share, mean_units: later periods),
    ``ev_first_stage``.
    """

    instance_name: str
    objective_kind: str
    method: str
    status: str
    first_stage_periods: list[PeriodLabel]
    scenario_names: list[str]
    probabilities: list[float]
    objective_usd: float | None = None
    expected_objective_usd: float | None = None
    mip_gap: float | None = None
    bound_usd: float | None = None
    stopped_because: str = ""
    first_stage: pd.DataFrame = field(default_factory=pd.DataFrame)
    scenarios: pd.DataFrame = field(default_factory=pd.DataFrame)
    scenario_buys: pd.DataFrame = field(default_factory=pd.DataFrame)
    buy_frequency: pd.DataFrame = field(default_factory=pd.DataFrame)
    ev_first_stage: pd.DataFrame = field(default_factory=pd.DataFrame)
    ev_objective_usd: float | None = None
    ws_usd: float | None = None
    eev_usd: float | None = None
    evpi_usd: float | None = None
    vss_usd: float | None = None
    vss_infeasible: list[str] = field(default_factory=list)
    percentiles: dict[str, float] | None = None
    ev_percentiles: dict[str, float] | None = None
    cvar_alpha: float | None = None
    risk_weight: float = 0.0
    cvar_usd: float | None = None
    first_stage_identical: bool = True
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        return self.objective_usd is not None

    @property
    def ok(self) -> bool:
        return self.has_solution and self.status in ("optimal", "time_limit", "heuristic")

    def first_stage_units(self) -> dict[HP, int]:
        """The first-stage purchase as {(hardware, period): units}."""
        return {(r.hardware, r.period): int(r.units) for r in self.first_stage.itertuples()}

    def ev_first_stage_units(self) -> dict[HP, int]:
        """The expected-value plan's first-stage purchase as {(hardware, period): units}."""
        return {(r.hardware, r.period): int(r.units) for r in self.ev_first_stage.itertuples()}

    def to_dict(self) -> dict[str, Any]:
        def rows(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict("records")]

        buys = self.scenario_buys
        scen_rows = rows(self.scenarios)
        for r in scen_rows:
            sel = buys[buys["scenario"] == r["scenario"]] if len(buys) else buys
            r["buy"] = rows(sel[["hardware", "period", "units"]]) if len(sel) else []
        return {
            "status": self.status,
            "objective_usd": _plain(self.objective_usd),
            "expected_objective_usd": _plain(self.expected_objective_usd),
            "mip_gap": _plain(self.mip_gap),
            "first_stage": rows(self.first_stage),
            "scenarios": scen_rows,
            "evpi_usd": _plain(self.evpi_usd),
            "vss_usd": _plain(self.vss_usd),
            "ws_usd": _plain(self.ws_usd),
            "eev_usd": _plain(self.eev_usd),
            "ev_objective_usd": _plain(self.ev_objective_usd),
            "ev_first_stage": rows(self.ev_first_stage),
            "vss_infeasible_scenarios": list(self.vss_infeasible),
            "percentiles": _plain_map(self.percentiles),
            "ev_percentiles": _plain_map(self.ev_percentiles),
            "cvar_alpha": self.cvar_alpha,
            "risk_weight": self.risk_weight,
            "cvar_usd": _plain(self.cvar_usd),
            "buy_frequency": rows(self.buy_frequency),
            "first_stage_periods": [_plain(p) for p in self.first_stage_periods],
            "method": self.method,
            "bound_usd": _plain(self.bound_usd),
            "gap": _plain(self.mip_gap),
            "stopped_because": self.stopped_because,
            "instance": self.instance_name,
            "objective": self.objective_kind,
            "message": self.message,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            **self.extra,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def _vss_reading(self) -> str:
        """Why a VSS below 0 is no contradiction (the hedged plan is never worse in truth):
        under a risk weight the plan gives up expected value for its CVaR term; risk-neutral,
        the measured VSS is >= -(bound - expected), so it is below 0 only within the gap."""
        vss = self.vss_usd
        if vss is None or not math.isfinite(vss) or vss >= 0:
            return ""
        if self.risk_weight > 0:
            return (
                f" (below 0: the plan trades expected {self.objective_kind} for its CVaR "
                f"term, risk weight {self.risk_weight:g})"
            )
        if self.bound_usd is not None and self.expected_objective_usd is not None:
            gap = abs(self.bound_usd - self.expected_objective_usd)
            return f" (below 0 within the plan's gap of {fmt.usd(gap)}: no measured difference)"
        return ""

    def summary(self) -> str:
        """A few lines a planner reads first."""
        if not self.has_solution:
            return f"{self.instance_name}: {self.status}. {self.message}".strip()
        buy = (
            ", ".join(f"{r.hardware} {r.units}" for r in self.first_stage.itertuples()) or "nothing"
        )
        lines = [
            f"{self.instance_name}: {self.status} ({self.method}), {len(self.scenario_names)} scenarios",
            f"buy now ({', '.join(map(str, self.first_stage_periods))}): {buy}",
            f"expected {self.objective_kind}: {fmt.usd(self.expected_objective_usd)}",
        ]
        if self.percentiles:
            p = self.percentiles
            lines.append(
                f"P10 {fmt.usd(p['p10'])} · P50 {fmt.usd(p['p50'])} · P90 {fmt.usd(p['p90'])} · "
                f"worst {fmt.usd(p['worst'])}"
            )
        lines.append(
            f"EVPI {fmt.usd(self.evpi_usd)} · VSS {fmt.usd(self.vss_usd)}{self._vss_reading()}"
        )
        b = self.extra.get("bounds")
        if b:
            gap = "n/a" if self.mip_gap is None else f"{100 * self.mip_gap:.3g}%"
            lines.append(
                f"bounds: outer {fmt.usd(b.get('outer_usd'))} ({b.get('outer_source') or 'none'}) · "
                f"inner {fmt.usd(b.get('inner_usd'))} ({b.get('inner_source')}) · gap {gap}"
            )
        if self.stopped_because:
            # The gap always beside the reason: "stopped: time limit" alone read as an answer.
            gap = "" if self.mip_gap is None else f" (gap {100 * self.mip_gap:.3g}%)"
            lines.append(f"stopped: {self.stopped_because}{gap}")
        if self.message:
            lines.append(self.message)
        return "\n".join(lines)


def _plain(v: Any) -> Any:
    """JSON-ready by the results' one rule; an infinite VSS is written "Infinity"."""
    return plain_json(v, infinity_as_text=True)


def _plain_map(d: Mapping[str, float] | None) -> dict[str, Any] | None:
    return None if d is None else {k: _plain(v) for k, v in d.items()}


def _buy_frame(units: Mapping[HP, int]) -> pd.DataFrame:
    rows = [{"hardware": h, "period": p, "units": int(u)} for (h, p), u in units.items() if u]
    return pd.DataFrame(rows, columns=["hardware", "period", "units"])


# ------------------------------------------------------------------------ assemble
def assemble(
    *,
    base: Instance,
    scenarios: Scenarios,
    periods: list[PeriodLabel],
    method: str,
    objective_kind: str,
    two_stage: dict[str, Any],
    ws: list[ScenarioOutcome],
    eev: list[ScenarioOutcome | None],
    ev_objective_usd: float | None,
    ev_first: dict[HP, int] | None,
    cvar_alpha: float | None,
    risk_weight: float,
    timings: dict[str, float],
    eev_delivered: list[ScenarioOutcome] | None = None,
    ev_deliverable_first: dict[HP, int] | None = None,
) -> TwoStagePlan:
    """Put the pieces of a two-stage run into a :class:`TwoStagePlan`."""
    names, probs = list(scenarios.names), list(scenarios.probabilities)
    # Differences (EVPI, VSS, regret) are what the better plan gains: for a cost, what it saves.
    sign = value_sign(objective_kind)
    result = TwoStagePlan(
        instance_name=base.name,
        objective_kind=objective_kind,
        method=method,
        status=two_stage["status"],
        first_stage_periods=periods,
        scenario_names=names,
        probabilities=probs,
        objective_usd=two_stage.get("objective_usd"),
        mip_gap=two_stage.get("mip_gap"),
        bound_usd=two_stage.get("bound_usd"),
        stopped_because=two_stage.get("stopped_because", ""),
        message=two_stage.get("message", ""),
        cvar_alpha=cvar_alpha,
        risk_weight=risk_weight,
        timings=timings,
        ev_objective_usd=ev_objective_usd,
    )
    if "iterations" in two_stage:
        result.extra["ph_iterations"] = two_stage["iterations"]
    if "decomposition" in two_stage:  # EF: the block-by-block proof (decompose.py)
        result.extra["ef_block_proof"] = two_stage["decomposition"]
    if "bounds" in two_stage:
        result.extra["bounds"] = {k: _plain(v) for k, v in two_stage["bounds"].items()}
    # A scenario whose re-plan alone found no plan in the time given: WS unknown (EVPI too).
    ws_vals: list[float | None] = [(o.objective_usd or 0.0) if o.has_plan else None for o in ws]
    if all(v is not None for v in ws_vals):
        result.ws_usd = sum(p * (v or 0.0) for p, v in zip(probs, ws_vals, strict=True))
    if ev_first is not None:
        result.ev_first_stage = _buy_frame(ev_first)
    eev_ok = [o is not None and o.has_plan for o in eev]
    if ev_first is not None and all(eev_ok):
        eev_vals = [o.objective_usd or 0.0 for o in eev if o is not None]
        result.eev_usd = sum(p * v for p, v in zip(probs, eev_vals, strict=True))
        result.ev_percentiles = percentiles(eev_vals, probs, sign)
    elif ev_first is not None and not any(
        o is not None and not o.has_plan and o.status == "time_limit" for o in eev
    ):  # (a re-plan stopped by --time-limit without a plan: EEV unknown, not infeasible)
        result.vss_infeasible = [n for n, ok in zip(names, eev_ok, strict=True) if not ok]

    outs: list[ScenarioOutcome] | None = two_stage.get("scenarios")
    if not outs:
        return result
    first = two_stage["first_stage"]
    result.first_stage = _buy_frame(first)
    by_s = two_stage.get("first_stage_by_scenario", [])
    result.first_stage_identical = all(f == first for f in by_s)
    vals = [o.objective_usd or 0.0 for o in outs]
    result.expected_objective_usd = sum(p * v for p, v in zip(probs, vals, strict=True))
    result.percentiles = percentiles(vals, probs, sign)
    if cvar_alpha is not None:  # the worst tail: lowest profits, highest costs
        result.cvar_usd = sign * cvar([sign * v for v in vals], probs, cvar_alpha)
    if result.ws_usd is not None:
        result.evpi_usd = sign * (result.ws_usd - result.expected_objective_usd)
    if result.eev_usd is not None:
        result.vss_usd = sign * (result.expected_objective_usd - result.eev_usd)
    elif result.vss_infeasible:
        result.vss_usd = math.inf
    delivered_ok = eev_delivered is not None and all(o.has_plan for o in eev_delivered)
    if eev_delivered is not None and delivered_ok:
        dvals = [o.objective_usd or 0.0 for o in eev_delivered]
        dv = sum(p * v for p, v in zip(probs, dvals, strict=True))
        result.extra["eev_delivered_usd"] = dv
        result.extra["vss_delivered_usd"] = sign * (result.expected_objective_usd - dv)
        if ev_deliverable_first is not None:
            result.extra["ev_deliverable_first_stage"] = [
                {"hardware": h, "period": p, "units": u}
                for (h, p), u in ev_deliverable_first.items()
            ]
        if result.ev_percentiles is None:  # EEV infeasible somewhere: the delivered plan's
            result.ev_percentiles = percentiles(dvals, probs, sign)
            result.extra["ev_percentiles_basis"] = "units not on sale in every scenario dropped"

    rows = []
    for i, name in enumerate(names):
        e = eev[i] if i < len(eev) else None
        w = ws_vals[i]
        rows.append(
            {
                "scenario": name,
                "probability": probs[i],
                "status": outs[i].status,
                "objective_usd": vals[i],
                "ws_objective_usd": ws_vals[i],
                "ev_objective_usd": e.objective_usd if e is not None and e.has_plan else None,
                "regret_usd": None if w is None else sign * (w - vals[i]),
                "ev_delivered_objective_usd": (
                    eev_delivered[i].objective_usd if eev_delivered is not None else None
                ),
            }
        )
    result.scenarios = pd.DataFrame(rows)
    # What each scenario assumes (demand, prices, ship dates, capex...), so that reports can
    # rank the inputs that move the objective: INPUT_PREFIX + the input's name.
    try:
        inputs = scenarios.inputs()
    except Exception:  # noqa: BLE001 - a summary column must never sink a solved plan
        inputs = pd.DataFrame()
    for col in inputs.columns[1:]:
        result.scenarios[INPUT_PREFIX + str(col)] = [_plain(v) for v in inputs[col]]
    buy_rows = [
        {"scenario": n, "hardware": h, "period": p, "units": u}
        for n, o in zip(names, outs, strict=True)
        for (h, p), u in sorted(o.buys.items(), key=lambda kv: (str(kv[0][1]), kv[0][0]))
        if u
    ]
    result.scenario_buys = pd.DataFrame(
        buy_rows, columns=["scenario", "hardware", "period", "units"]
    )
    result.buy_frequency = buy_frequency(result.scenario_buys, names, probs, periods, base)
    return result


def buy_frequency(
    buys: pd.DataFrame,
    names: Sequence[str],
    probs: Sequence[float],
    first_periods: Sequence[PeriodLabel],
    base: Instance,
) -> pd.DataFrame:
    """Per hardware and later period: probability of buying it, mean units bought."""
    prob = dict(zip(names, probs, strict=True))
    later = [p for p in base.periods if p not in first_periods]
    rows = []
    for h in base.hardware:
        for p in later:
            sel = buys[(buys["hardware"] == h.id) & (buys["period"] == p)] if len(buys) else buys
            if not len(sel):
                continue
            share = sum(prob[s] for s in sel["scenario"])
            mean = sum(prob[s] * u for s, u in zip(sel["scenario"], sel["units"], strict=True))
            rows.append({"hardware": h.id, "period": p, "share": share, "mean_units": mean})
    return pd.DataFrame(rows, columns=["hardware", "period", "share", "mean_units"])
