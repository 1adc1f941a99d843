"""The result of a solve: a plan in the units of docs/format.md, as tidy DataFrames.

A :class:`Plan` holds no reference to Pyomo objects: it can be pickled, compared and kept.
It is built complete in one call, :func:`make_plan`, from what the solver layer read off the
solved model (:class:`optimizer.solver.extract.Solution`) and what the planner learnt after
it (the check, marginal values, a diagnosis); :meth:`Plan.from_dict` rebuilds one from the
result JSON. ``to_dict()`` gives the result format of docs/format.md; every table's columns,
units and JSON digits come from :mod:`optimizer.result_schema`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from optimizer.errors import InputError
from optimizer.frontiers.coefficients import Coefficients
from optimizer.instance.schema import Instance
from optimizer.result_schema import (
    BOOL,
    LABEL,
    PLAN_TABLES,
    RESULT_FIELDS,
    TEXT,
    UNUSABLE,
    USD_DIGITS,
    Table,
)
from optimizer.results.finance import Finance, finance_of


@dataclass
class Plan:
    """A purchase plan and capacity split, with everything a planner asks of it.

    Money in USD, tokens in Mtok, power in MW, land in rack positions. The DataFrames
    ``buy``, ``installed``, ``serve``, ``sold``, ``price`` (price menus; empty without
    them), ``resources``, ``unusable``, ``marginal_values`` (:mod:`optimizer.solver.marginals`)
    and ``diagnosis`` (when infeasible; :mod:`optimizer.solver.diagnose`) have the columns,
    units and meanings :data:`optimizer.result_schema.PLAN_TABLES` lists (docs/format.md,
    "Result JSON"); ``coefficients`` holds the usable pairs with r (tok/s per GPU) and a
    (Mtok per unit-period). With the option ``time_slices``, ``serve`` and ``sold`` have one
    row per slice and a ``slice`` column after ``period`` (``hours_share`` of the period's
    hours); per-period tables: :meth:`serve_by_period`, :meth:`sold_by_period`.

    ``warnings``: one line each, what the user should know before trusting the plan
    (a tier no hardware can serve sells nothing); also ``warnings`` in the JSON.

    ``finance`` (:mod:`optimizer.results.finance`): cash flows per period, NPV, IRR,
    payback and cost per GPU-hour of a plan with a solution; None without one.
    """

    instance_name: str
    objective_kind: str
    status: str
    objective_usd: float | None
    mip_gap: float | None
    best_bound_usd: float | None = None
    # best_bound_usd - objective_usd: the most a better plan could earn, USD (>= 0)
    mip_gap_usd: float | None = None
    # How the bound was proven: "relaxation bound" (the certified strategy closed the gap
    # with purchases relaxed) or "branch and bound" (HiGHS's search); None without a plan.
    proof: str | None = None
    revenue_usd: float | None = None
    capex_usd: float | None = None
    energy_usd: float | None = None
    residual_value_usd: float | None = None  # option: discounted, credited to profit
    fixed_cost_usd: float | None = None  # option: discounted site fixed cost, charged to profit
    opex_usd: float | None = None  # v3: discounted opex of installed units (profit, cost)
    platform_cost_usd: float | None = None  # v3: discounted fixed cost of platforms adopted
    buy: pd.DataFrame = field(default_factory=pd.DataFrame)
    installed: pd.DataFrame = field(default_factory=pd.DataFrame)
    serve: pd.DataFrame = field(default_factory=pd.DataFrame)
    sold: pd.DataFrame = field(default_factory=pd.DataFrame)
    price: pd.DataFrame = field(default_factory=pd.DataFrame)
    resources: pd.DataFrame = field(default_factory=pd.DataFrame)
    unusable: pd.DataFrame = field(default_factory=pd.DataFrame)
    coefficients: pd.DataFrame = field(default_factory=pd.DataFrame)
    marginal_values: pd.DataFrame = field(default_factory=pd.DataFrame)
    diagnosis: pd.DataFrame = field(default_factory=pd.DataFrame)
    verified: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    model_size: dict[str, int] = field(default_factory=dict)
    message: str = ""
    # Post-solve steps left out, and why ("marginal_values: deadline"): see SolveOptions.
    skipped: list[str] = field(default_factory=list)
    # Things a reader must know about the numbers (e.g. coefficients near the tolerances).
    warnings: list[str] = field(default_factory=list)
    # Option time_slices: {slice id: share of a period's hours}; empty when off.
    hours_share: dict[str, float] = field(default_factory=dict)
    finance: Finance | None = None

    def serve_by_period(self) -> pd.DataFrame:
        """``serve`` with one row per hardware, tier and period: without time slices the
        table itself; with them, units are unit-periods (each slice's units weighted by its
        hours share), it_mw likewise (the average IT MW), mtok the slices' sum."""
        if not self.hours_share or self.serve.empty or "slice" not in self.serve.columns:
            return self.serve
        df = self.serve.assign(w=self.serve["slice"].map(self.hours_share))
        df = df.assign(units=df["units"] * df["w"], it_mw=df["it_mw"] * df["w"])
        keys = ["hardware", "tier", "period"]
        out = df.groupby(keys, sort=False)[["units", "it_mw", "mtok"]].sum()
        return out.reset_index()

    def sold_by_period(self) -> pd.DataFrame:
        """``sold`` with one row per tier and period: the slices' Mtok and revenue summed,
        it_mw and power_share weighted by the slices' hours (the table itself without
        time slices)."""
        if not self.hours_share or self.sold.empty or "slice" not in self.sold.columns:
            return self.sold
        df = self.sold.assign(w=self.sold["slice"].map(self.hours_share))
        df = df.assign(it_mw=df["it_mw"] * df["w"], power_share=df["power_share"] * df["w"])
        keys = ["tier", "period"]
        g = df.groupby(keys, sort=False)
        out = g[["mtok", "revenue_usd", "it_mw", "power_share"]].sum()
        out["price_usd_per_mtok"] = g["price_usd_per_mtok"].first()
        cols = ["mtok", "price_usd_per_mtok", "revenue_usd", "it_mw", "power_share"]
        return out[cols].reset_index()

    @property
    def has_solution(self) -> bool:
        return self.objective_usd is not None

    @property
    def ok(self) -> bool:
        """True when there is a plan to act on (optimal, or time limit with an incumbent)."""
        return self.status in ("optimal", "time_limit") and self.has_solution

    def to_dict(self) -> dict[str, Any]:
        """The result format of docs/format.md, keys in the order of
        :data:`optimizer.result_schema.RESULT_FIELDS`."""
        money = {k: _plain(getattr(self, k), USD_DIGITS) for k in _MONEY}
        tables = {
            f.key: _json_rows(getattr(self, f.type[6:]), PLAN_TABLES[f.type[6:]], f.key)
            for f in RESULT_FIELDS
            if f.type.startswith("table:")
        }
        # marginal values: a row names only the period, tier and hardware it has
        tables["marginal_values"] = [
            {k: v for k, v in r.items() if v is not None} for r in tables["marginal_values"]
        ]
        tables["diagnosis"] = [r["message"] for r in tables["diagnosis"]]
        values = {
            **money,
            **tables,
            "status": self.status,
            "mip_gap": self.mip_gap,
            "proof": self.proof,
            "instance": self.instance_name,
            "objective": self.objective_kind,
            "verified": self.verified,
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
            "model_size": self.model_size,
            "message": self.message,
            "skipped": list(self.skipped),
            "warnings": list(self.warnings),
            "finance": None if self.finance is None else self.finance.to_dict(),
        }
        if self.hours_share:  # option time_slices only: other results keep their shape
            values["hours_share"] = dict(self.hours_share)
        return {f.key: values[f.key] for f in RESULT_FIELDS if f.key in values}

    @classmethod
    def from_dict(
        cls, doc: Mapping[str, Any], tables: Mapping[str, pd.DataFrame] | None = None
    ) -> Plan:
        """The Plan a result JSON (:meth:`to_dict`, plan.json) describes.

        ``Plan.from_dict(p.to_dict()).to_dict() == p.to_dict()``. The JSON keeps some
        columns of each table (docs/format.md); the others are NaN, unless ``tables`` gives
        the whole table by attribute name (the CSV files of a results folder). The frontier
        coefficients are not in the JSON: ``coefficients`` is empty. Raises
        :class:`InputError` naming each key that is not what the format says.
        """
        if not isinstance(doc, Mapping):
            raise InputError("result: not a JSON object")
        problems = [] if isinstance(doc.get("status"), str) else ["result.status: not a text"]
        bad: set[str] = set()
        for f in RESULT_FIELDS:
            value = doc.get(f.key)
            if f.type == "number" and not _number(value):
                problems.append(f"result.{f.key}: not a number ({value!r})")
            if f.type.startswith("table:") and value is not None:
                kind = str if f.key == "diagnosis" else Mapping
                if not isinstance(value, list) or not all(isinstance(r, kind) for r in value):
                    problems.append(f"result.{f.key}: not a list of rows")
                    bad.add(f.key)
        given = dict(tables or {})
        keys = {
            "unusable": "unusable_pairs",
            "price": "price_menu" if "price_menu" in doc else "price",
        }
        frames: dict[str, pd.DataFrame] = {}
        for name, table in PLAN_TABLES.items():
            key = keys.get(name, name)
            rows = [] if key in bad else doc.get(key) or []
            if name == "diagnosis":
                rows = [{"message": m} for m in rows]
            frames[name] = given[name] if name in given else _frame(table, rows, key, problems)
        if problems:
            raise InputError(problems)

        if "resources" not in given:
            res = frames["resources"]
            frames["resources"] = res.assign(slack=res["cap"] - res["used"])
        fin = doc.get("finance")
        objective = str(doc.get("objective") or "")
        return cls(
            instance_name=str(doc.get("instance") or ""),
            objective_kind=objective,
            status=str(doc["status"]),
            **{k: doc.get(k) for k in _MONEY},
            mip_gap=doc.get("mip_gap"),
            proof=doc.get("proof"),
            **frames,
            verified=bool(doc.get("verified", False)),
            timings=dict(doc.get("timings_s") or {}),
            model_size=dict(doc.get("model_size") or {}),
            message=str(doc.get("message") or ""),
            skipped=list(doc.get("skipped") or []),
            warnings=list(doc.get("warnings") or []),
            hours_share=dict(doc.get("hours_share") or {}),
            finance=Finance.from_dict(fin, objective) if isinstance(fin, Mapping) else None,
        )

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def summary(self) -> str:
        """A short plain-text summary (status, objective, what was bought)."""
        from optimizer.results.report import summary_text

        return summary_text(self)

    def _repr_html_(self) -> str:  # notebook display: headline, purchases, tiers as tables
        from optimizer.results.report import summary_html

        return summary_html(self)


def plain_json(v: Any, digits: int | None = None, infinity_as_text: bool = False) -> Any:
    """A value ready for strict JSON (which has no NaN or Infinity), the one rule for results.

    numpy scalars become Python ones; NaN becomes null; an infinity becomes null, or the
    text "Infinity" / "-Infinity" with ``infinity_as_text`` (a two-stage VSS is infinite by
    meaning, not missing); ``digits`` rounds floats (and turns -0.0 into 0.0).
    """
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if math.isinf(v):
            return ("Infinity" if v > 0 else "-Infinity") if infinity_as_text else None
        if digits is not None:
            v = round(v, digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    return v


_plain = plain_json


# The totals in USD: rounded to USD_DIGITS in the JSON, under the same keys as the fields.
_MONEY = (
    "objective_usd",
    "mip_gap_usd",
    "best_bound_usd",
    "revenue_usd",
    "capex_usd",
    "energy_usd",
    "residual_value_usd",
    "fixed_cost_usd",
    "opex_usd",
    "platform_cost_usd",
)


def _json_rows(df: pd.DataFrame, table: Table, key: str) -> list[dict[str, Any]]:
    """The rows of ``df`` as the JSON key ``key`` shows them: the schema's columns (optional
    ones when ``df`` has them), floats rounded to the schema's digits."""
    if df.empty:
        return []
    cols = table.json_names(key, df.columns)
    digits = [table.column(c).digits for c in cols]
    return [
        {c: _plain(v, d) for c, d, v in zip(cols, digits, rec, strict=True)}
        for rec in df[cols].itertuples(index=False, name=None)
    ]


def _frame(table: Table, rows: list[Any], key: str, problems: list[str]) -> pd.DataFrame:
    """A plan table from the JSON rows of ``key``: the schema's columns (optional ones when a
    row has them), labels and text kept as they are (a period 2026 stays an int), figures as
    numbers (a cell that is not one is a problem, added to ``problems``), columns the rows do
    not give as NaN."""
    seen = {k for r in rows for k in r}
    cols = table.names(seen)
    df = pd.DataFrame([[r.get(c) for c in cols] for r in rows], columns=cols, dtype=object)
    for c in cols:
        unit = table.column(c).unit
        if unit == BOOL and df[c].notna().all():
            df[c] = df[c].astype(bool)
        elif unit not in (LABEL, TEXT, BOOL):
            bad = [i for i, v in enumerate(df[c]) if not _number(v)]
            if bad:
                problems.append(f"result.{key}[{bad[0]}].{c}: not a number ({df[c][bad[0]]!r})")
                continue
            df[c] = pd.to_numeric(df[c])
    return df


def _number(v: Any) -> bool:
    return v is None or (isinstance(v, int | float) and not isinstance(v, bool))


def make_plan(
    instance: Instance,
    coef: Coefficients | None,
    objective: str,
    status: str,
    solution: Any = None,
    *,
    verified: bool = False,
    marginal_values: pd.DataFrame | None = None,
    diagnosis: pd.DataFrame | None = None,
    message: str = "",
    skipped: Iterable[str] = (),
    notes: Iterable[str] = (),
    timings: Mapping[str, float] | None = None,
    model_size: Mapping[str, int] | None = None,
) -> Plan:
    """The Plan of a solve, complete, in one call.

    ``solution``: the solved model's tables and totals (an
    :class:`optimizer.solver.extract.Solution`; None when the run found none: infeasible,
    unbounded, error). The rest is what the planner learnt after it: ``verified`` (the
    independent check passed), ``marginal_values``, ``diagnosis``, ``skipped`` post-solve
    steps, ``notes`` (the instance's range checks, warnings first), ``timings`` and
    ``model_size``. The finance is computed here for a plan with a solution.
    """
    fields: dict[str, Any] = {"objective_usd": None, "mip_gap": None}
    if solution is not None:
        fields.update(solution.fields())
    fields.update(instance_name=instance.name, objective_kind=objective, status=status)
    if coef is not None:
        fields.update(unusable=coef.unusable[UNUSABLE.names()], coefficients=coef.usable)
    if marginal_values is not None:
        fields["marginal_values"] = marginal_values
    if diagnosis is not None:
        fields["diagnosis"] = diagnosis
    plan = Plan(
        **fields,
        verified=verified,
        message=message,
        skipped=list(skipped),
        warnings=[*notes, *([] if coef is None else plan_warnings(instance, coef))],
        timings=dict(timings or {}),
        model_size=dict(model_size or {}),
    )
    return plan if solution is None else replace(plan, finance=finance_of(instance, plan))


def empty_plan(
    instance: Instance, coef: Coefficients | None, objective: str, status: str, message: str = ""
) -> Plan:
    """A plan with no solution (infeasible, unbounded, error)."""
    return make_plan(instance, coef, objective, status, message=message)


def plan_warnings(instance: Instance, coef: Coefficients) -> list[str]:
    """What a user must know about this instance's plan, one line each."""
    served = set(coef.usable["tier"])
    out = []
    for i, tier in enumerate(instance.tiers):
        if tier.id in served:
            continue
        why = coef.unusable.loc[coef.unusable["tier"] == tier.id, "reason"]
        reasons = list(dict.fromkeys(str(r) for r in why if str(r)))
        detail = "; ".join(reasons[:2]) + (
            f"; and {len(reasons) - 2} more" if len(reasons) > 2 else ""
        )
        out.append(
            f"tiers[{i}] {tier.id!r}: no hardware can serve it, so it sells nothing"
            + (f" ({detail})" if detail else "")
        )
    return out
