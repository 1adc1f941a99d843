"""The report of a two-stage result (``stochastic.json``, the two-stage format of docs/format.md).

Required keys: ``status``, ``objective_usd``, ``first_stage`` and ``scenarios`` (each with
``scenario``, ``probability``, ``objective_usd``). Every other key (``expected_objective_usd``,
``evpi_usd``, ``vss_usd``, ``ws_usd``, ``eev_usd``, ``ev_first_stage``, ``percentiles``,
``ev_percentiles``, ``cvar_usd``, ``buy_frequency``, per-scenario ``ws_objective_usd``,
``ev_objective_usd``, ``regret_usd``, ``buy``, and ``method``, ``bound_usd``, ``gap``,
``stopped_because``) is shown when present and left out when not.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer import fmt
from optimizer.errors import InputError
from optimizer.report import charts
from optimizer.report.model import Report, Section
from optimizer.report.sweep_report import buy_section, distribution_section

# optimizer.stochastic.result.INPUT_PREFIX (not imported: that package loads Pyomo): scenario
# fields holding what a scenario assumes, not what it gave.
INPUT_PREFIX = "input:"
SCENARIO_KEYS = (
    "scenario",
    "probability",
    "status",
    "objective_usd",
    "ws_objective_usd",
    "ev_objective_usd",
    "regret_usd",
)


def is_two_stage(doc: object) -> bool:
    return isinstance(doc, dict) and "first_stage" in doc and "scenarios" in doc


def read_two_stage(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read the two-stage result ({exc})") from None
    check_two_stage(doc, str(path))
    return doc


def check_two_stage(doc: object, where: str) -> None:
    if not is_two_stage(doc):
        raise InputError(f"{where}: not a two-stage result (needs 'first_stage' and 'scenarios')")
    assert isinstance(doc, dict)
    problems = []
    if not isinstance(doc["scenarios"], list) or not doc["scenarios"]:
        problems.append(f"{where}: scenarios: expected a non-empty list")
    else:
        for i, s in enumerate(doc["scenarios"]):
            if not isinstance(s, dict):
                problems.append(f"{where}: scenarios[{i}]: expected an object")
                continue
            for k in ("probability", "objective_usd"):
                v = s.get(k)
                if k == "objective_usd" and v is None:
                    continue  # a scenario without a plan
                if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
                    problems.append(f"{where}: scenarios[{i}].{k}: expected a number (got {v!r})")
    if not isinstance(doc["first_stage"], list):
        problems.append(f"{where}: first_stage: expected a list of {{hardware, period, units}}")
    if problems:
        raise InputError(problems)


def _num(doc: dict[str, Any], key: str) -> float | None:
    v = doc.get(key)
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _buy_frequency(doc: dict[str, Any], scen: pd.DataFrame) -> pd.DataFrame:
    given = doc.get("buy_frequency")
    if isinstance(given, list) and given:
        df = pd.DataFrame(given)
        for c in ("hardware", "period", "share", "mean_units"):
            if c not in df:
                df[c] = np.nan
        return df[["hardware", "period", "share", "mean_units"]]
    rows = []
    probs = scen.set_index("scenario")["probability"].astype(float)
    buys: dict[tuple[str, str], dict[str, float]] = {}
    for s in doc["scenarios"]:
        for b in s.get("buy") or []:
            key = (str(b.get("hardware")), str(b.get("period")))
            buys.setdefault(key, {})[str(s.get("scenario"))] = float(b.get("units") or 0)
    total = float(probs.sum()) or 1.0
    for (h, p), by in buys.items():
        share = sum(probs.get(k, 0.0) for k, u in by.items() if u > 0) / total
        mean = sum(probs.get(k, 0.0) * u for k, u in by.items()) / total
        rows.append({"hardware": h, "period": p, "share": share, "mean_units": mean})
    return (
        pd.DataFrame(rows, columns=["hardware", "period", "share", "mean_units"])
        .sort_values(["hardware", "period"], kind="stable")
        .reset_index(drop=True)
    )


def two_stage_report(doc: dict[str, Any], *, source: str) -> Report:
    """The report of a two-stage result (``stochastic.json``): first stage, the objective's
    distribution, buy frequency, the scenarios that move it, its inputs, every scenario."""
    check_two_stage(doc, source)
    scen = pd.DataFrame(
        [
            {
                k: s.get(k)
                for k in SCENARIO_KEYS
                if k in s or k in ("scenario", "probability", "status", "objective_usd")
            }
            for s in doc["scenarios"]
        ]
    )
    scen["scenario"] = scen["scenario"].astype(str)
    name = doc.get("instance") or Path(source).parent.name or "two-stage result"
    rep = Report(
        title=f"Two-stage plan for {name}",
        subtitle=f"{len(scen)} scenarios · {doc.get('status', '?')} · from {source}",
        kind="two-stage",
    )
    rep.headline = _headline(doc)
    rep.sections.append(_first_stage_section(doc))
    ok = scen[scen["objective_usd"].notna()]
    if len(ok):
        dist = _distribution(doc, ok)
        rep.sections.insert(0, dist)
        for label in ("P10", "P50", "P90"):
            row = dist.tables[0].df
            v = row.loc[row["statistic"] == label, "objective_usd"]
            if len(v):
                rep.headline.append((f"objective {label}", fmt.usd(float(v.iloc[0]))))
    freq = _buy_frequency(doc, scen)
    if not freq.empty:
        rep.sections.append(buy_section(freq, "the probability (scenario weight)"))
    rep.sections.append(_drivers_section(ok))
    inputs = _inputs_section(doc, ok)
    if inputs is not None:
        rep.sections.append(inputs)
    rep.sections.append(_scenarios_section(scen))
    return rep


def _headline(doc: dict[str, Any]) -> list[tuple[str, str]]:
    head: list[tuple[str, str]] = [("status", str(doc.get("status", "-")))]
    for label, key in (
        ("objective (expected, discounted)", "objective_usd"),
        ("expected objective", "expected_objective_usd"),
        ("wait-and-see (WS)", "ws_usd"),
        ("expected result of the EV plan (EEV)", "eev_usd"),
        ("EVPI: value of perfect information", "evpi_usd"),
        ("VSS: value of the stochastic solution", "vss_usd"),
        ("CVaR", "cvar_usd"),
        ("bound", "bound_usd"),
    ):
        v = _num(doc, key)
        if v is not None and not (
            key == "expected_objective_usd" and v == _num(doc, "objective_usd")
        ):
            head.append((label, fmt.usd(v)))
    gap = _num(doc, "mip_gap") if _num(doc, "mip_gap") is not None else _num(doc, "gap")
    if gap is not None:
        head.append(("gap", f"{gap:.2e}"))
    for key in ("method", "stopped_because"):
        if doc.get(key):
            head.append((key.replace("_", " "), str(doc[key])))
    return head


def _first_stage_intro(doc: dict[str, Any]) -> str:
    intro = "The hardware bought now, the same in every scenario."
    infeasible = doc.get("vss_infeasible_scenarios") or []
    if infeasible:  # VSS "infinite" needs saying why, and what the finite comparison is
        delivered = _num(doc, "vss_delivered_usd")
        intro += (
            f" The expected-value (EV) plan cannot be carried out in {len(infeasible)} of "
            f"{len(doc['scenarios'])} scenarios (it buys units not on sale there), so the value "
            "of the stochastic solution (VSS) is infinite: no finite gain measures a plan "
            "that cannot be executed."
        )
        if delivered is not None:
            intro += (
                " Carried out without those units (the rest re-planned), the EV plan earns "
                f"{fmt.usd(delivered)} less in expectation than the two-stage plan."
            )
    return intro


def _first_stage_section(doc: dict[str, Any]) -> Section:
    """The first-stage purchases, beside the EV plan's (hatched) when the file has them."""
    first = pd.DataFrame(doc.get("first_stage") or [], columns=["hardware", "period", "units"])
    sec = Section(
        "first-stage",
        "First-stage purchases (decided before the scenario is known)",
        _first_stage_intro(doc),
    )
    if not len(first):
        return sec
    ev = pd.DataFrame(doc.get("ev_first_stage") or [], columns=["hardware", "period", "units"])
    both = first.assign(plan="stochastic")
    if len(ev):
        both = pd.concat([both, ev.assign(plan="expected-value (EV) plan")], ignore_index=True)
    both["series"] = both["hardware"].astype(str) + " · " + both["plan"]
    # the deck's hardware palette; the EV plan's bars hatched in the same colour
    hw = charts.colors_for(sorted({str(h) for h in both["hardware"]}))
    colors = {f"{r.hardware} · {r.plan}": hw[str(r.hardware)] for r in both.itertuples()}
    patterns = {f"{r.hardware} · {r.plan}": "/" for r in both.itertuples() if "EV" in r.plan}
    sec.chart(
        "first-stage",
        "First stage",
        charts.bars(
            both.assign(period=both["period"].astype(str)),
            mode="group",
            series="series",
            colors=colors,
            patterns=patterns,
            value="units",
            title="First-stage units bought" + (" (beside the EV plan's)" if len(ev) else ""),
            y_title="units bought (servers or racks)",
        ),
    )
    sec.table("first_stage", "First-stage purchases", first)
    if len(ev):
        sec.table("ev_first_stage", "The expected-value plan's first stage", ev)
    return sec


def _distribution(doc: dict[str, Any], ok: pd.DataFrame) -> Section:
    """The objective's distribution over the scenarios with one, beside the EV plan's and
    wait-and-see's where every scenario reports them."""
    weights = ok["probability"].astype(float).to_numpy()
    extra = {}
    if "ev_objective_usd" in ok and ok["ev_objective_usd"].notna().all():
        extra["EV plan"] = (ok["ev_objective_usd"].astype(float).to_numpy(), weights)
    if "ws_objective_usd" in ok and ok["ws_objective_usd"].notna().all():
        extra["wait-and-see"] = (ok["ws_objective_usd"].astype(float).to_numpy(), weights)
    given = doc.get("percentiles") if isinstance(doc.get("percentiles"), dict) else None
    dist = distribution_section(
        ok["objective_usd"].astype(float).to_numpy(),
        weights,
        what=f"{len(ok)} scenarios",
        extra=extra,
        given=given,
        name="stochastic plan",
    )
    evp = doc.get("ev_percentiles")
    if isinstance(evp, dict) and evp:
        dist.table(
            "ev_percentiles",
            "Percentiles of the EV plan's objective",
            pd.DataFrame(
                [
                    {"statistic": k.upper() if k.startswith("p") else k, "objective_usd": v}
                    for k, v in evp.items()
                ]
            ),
        )
    return dist


def _drivers_section(ok: pd.DataFrame) -> Section:
    """The scenarios furthest from the expected objective."""
    drivers = Section(
        "drivers",
        "Scenarios that move the objective most",
        "The scenarios furthest from the expected objective, and the regret of the "
        "stochastic plan against knowing the scenario in advance (when reported).",
    )
    if not len(ok):
        return drivers
    values = ok["objective_usd"].astype(float).to_numpy()
    weights = ok["probability"].astype(float).to_numpy()
    exp = float(np.average(values, weights=weights)) if weights.sum() > 0 else math.nan
    far = ok.assign(distance_usd=ok["objective_usd"].astype(float) - exp)
    far = far.reindex(far["distance_usd"].abs().sort_values(ascending=False).index).head(15)
    drivers.chart(
        "scenario-drivers",
        "Scenarios",
        charts.hbar(
            far["scenario"].tolist(),
            far["distance_usd"].tolist(),
            title="Objective of each scenario minus the expected objective",
            x_title="difference from the expected objective (USD)",
            y_title="scenario",
            colors=["#0072B2" if v >= 0 else "#D55E00" for v in far["distance_usd"]],
        ),
    )
    drivers.table(
        "scenario_drivers",
        "Scenarios furthest from the expected objective",
        far.reset_index(drop=True),
        {"distance_usd": "USD"},
    )
    return drivers


def _inputs_section(doc: dict[str, Any], ok: pd.DataFrame) -> Section | None:
    """What each scenario assumes: "input:KEY" fields (written by optimizer stochastic); in
    files from elsewhere, other numeric fields that are not results (no *_usd column)."""
    fields = list(dict.fromkeys(k for s in doc["scenarios"] for k in s))
    numeric = [
        k
        for k in fields
        if k not in SCENARIO_KEYS
        and k != "buy"
        and all(
            isinstance(s.get(k), int | float) and not isinstance(s.get(k), bool)
            for s in doc["scenarios"]
        )
    ]
    inputs = [k for k in numeric if k.startswith(INPUT_PREFIX)] or [
        k for k in numeric if not k.endswith("_usd") and ":" not in k
    ]
    if not inputs or len(ok) <= 2:
        return None
    from optimizer.report.sweep_report import effects_section

    names = {k: k.removeprefix(INPUT_PREFIX) for k in inputs}
    table = pd.DataFrame(
        [
            {
                "scenario": s.get("scenario"),
                **{names[k]: s.get(k) for k in inputs},
                "objective_usd": s.get("objective_usd"),
            }
            for s in doc["scenarios"]
        ]
    ).dropna(subset=["objective_usd"])
    eff = effects_section(table.reset_index(drop=True), list(names.values()))
    eff.id, eff.title = "inputs", "Inputs that move the objective most"
    return eff


def _scenarios_section(scen: pd.DataFrame) -> Section:
    note = ""
    if "regret_usd" in scen and (pd.to_numeric(scen["regret_usd"], errors="coerce") < 0).any():
        note = (
            "A negative regret is not a gain over perfect foresight: each scenario's "
            "wait-and-see plan is itself solved to the relative MIP gap asked, and a regret "
            "within that gap is solver tolerance."
        )
    sec = Section("scenarios", "Every scenario")
    sec.table("scenarios", "Scenarios", scen, note=note)
    return sec
