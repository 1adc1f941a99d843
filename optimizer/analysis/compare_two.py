"""Two instances' optima side by side: ``optimizer compare A.yaml B.yaml``.

* ``summary``: objective, revenue, capex, electricity, Mtok sold and cost per Mtok of
  each optimum, and B - A;
* ``plan``: units bought per hardware and period under each;
* ``by_tier``: Mtok, revenue and cost per Mtok by tier (undiscounted, see costs);
* ``differences``: every input that differs (key path, value in A, value in B).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from optimizer.analysis.costs import plan_cost_per_mtok, tier_costs
from optimizer.instance.schema import Instance
from optimizer.results.plan import Plan
from optimizer.solve.planner import Planner


@dataclass
class TwoInstances:
    names: tuple[str, str]
    summary: pd.DataFrame
    plan: pd.DataFrame
    by_tier: pd.DataFrame
    differences: pd.DataFrame
    plans: tuple[Plan, Plan]


def flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    """Key paths of an instance dump: list items named by id (``hardware[vr].capex_usd``)."""
    out: dict[str, Any] = {}
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(doc, list) and doc and all(isinstance(x, dict) and "id" in x for x in doc):
        for x in doc:
            out.update(flatten({k: v for k, v in x.items() if k != "id"}, f"{prefix}[{x['id']}]"))
    elif isinstance(doc, list) and len(doc) > 20:
        out[prefix] = f"{len(doc)} items"  # e.g. inline frontier rows
    else:
        out[prefix] = doc
    return out


def differences(a: Instance, b: Instance) -> pd.DataFrame:
    fa, fb = flatten(a.model_dump(mode="json")), flatten(b.model_dump(mode="json"))
    rows = [
        {"key": k, "a": fa.get(k), "b": fb.get(k)}
        for k in list(dict.fromkeys([*fa, *fb]))
        if fa.get(k) != fb.get(k)
    ]
    df = pd.DataFrame(rows, columns=["key", "a", "b"])
    # object columns of mixed values: text, so tables and workbooks show them as written
    return df.assign(a=df["a"].map(_text), b=df["b"].map(_text))


def _text(v: Any) -> str:
    return "(not set)" if v is None else str(v)


def _figures(plan: Plan) -> dict[str, float | None]:
    mtok, cost = plan_cost_per_mtok(plan)
    return {
        "objective_usd": plan.objective_usd,
        "revenue_usd": plan.revenue_usd,
        "capex_usd": plan.capex_usd,
        "energy_usd": plan.energy_usd,
        "mtok": mtok,
        "cost_usd_per_mtok": cost,
    }


def compare_instances(
    a: Instance,
    b: Instance,
    *,
    objective: str | None = None,
    time_limit: float | None = None,
    strategy: str = "certified",
) -> TwoInstances:
    plans = tuple(
        Planner(
            i,
            objective=objective,  # type: ignore[arg-type]
            time_limit=time_limit,
            marginals=False,
            strategy=strategy,  # type: ignore[arg-type]
        ).solve()
        for i in (a, b)
    )
    pa, pb = plans
    na, nb = a.name, b.name if b.name != a.name else f"{b.name} (B)"
    fa, fb = _figures(pa), _figures(pb)
    summary = pd.DataFrame(
        [
            {
                "figure": k,
                na: fa[k],
                nb: fb[k],
                "b_minus_a": None if fa[k] is None or fb[k] is None else fb[k] - fa[k],  # type: ignore[operator]
            }
            for k in fa
        ]
    )
    summary.loc[len(summary)] = {
        "figure": "status",
        na: pa.status,
        nb: pb.status,
        "b_minus_a": None,
    }
    buys = []
    for name, plan in ((na, pa), (nb, pb)):
        if len(plan.buy):
            buys.append(plan.buy.assign(plan=name, period=plan.buy["period"].astype(str)))
    if buys:
        long = pd.concat(buys, ignore_index=True)
        wide = long.pivot_table(
            index=["hardware", "period"],
            columns="plan",
            values="units",
            aggfunc="sum",
            fill_value=0,
        ).reset_index()
        for n in (na, nb):
            if n not in wide:
                wide[n] = 0
        wide = wide[["hardware", "period", na, nb]]
        wide["b_minus_a"] = wide[nb] - wide[na]
        wide.columns.name = None
    else:
        wide = pd.DataFrame(columns=["hardware", "period", na, nb, "b_minus_a"])
    tiers = []
    for name, plan, inst in ((na, pa, a), (nb, pb, b)):
        df = tier_costs(plan, inst)
        if not df.empty:
            tiers.append(df.assign(plan=name))
    by_tier = pd.concat(tiers, ignore_index=True) if tiers else pd.DataFrame()
    if not by_tier.empty:
        by_tier = by_tier[["plan", *[c for c in by_tier.columns if c != "plan"]]]
    return TwoInstances((na, nb), summary, wide, by_tier, differences(a, b), (pa, pb))


def markdown(result: TwoInstances) -> str:
    from optimizer.results.report import _md_table

    na, nb = result.names
    return "\n".join(
        [
            f"# {na} against {nb}: the two optima side by side\n",
            "Generated by `optimizer compare A B`. Money discounted as in the model except by "
            "tier (undiscounted sums over the horizon); cost/Mtok = (capex + electricity) / "
            "Mtok sold.\n",
            "## Figures\n",
            _md_table(result.summary),
            "## Units bought\n",
            _md_table(result.plan),
            "## By tier\n",
            _md_table(result.by_tier) if not result.by_tier.empty else "_none_\n",
            "## What differs between the instances\n",
            _md_table(result.differences),
        ]
    )
