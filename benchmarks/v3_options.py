"""What the v3 economics options cost in solve time on the reference instance.

Solves ``instances/gtc2026-1gw.yaml`` (v2 options only) and then variants that switch on
one v3 option each (docs/model.md "v3 options"), with the same frontier table, and prints
each variant's objective, model size and solve time, and the time as a ratio of the
baseline's measured in the same run. The v3 figures are illustrative, not sourced: this
is a timing script, not a plan.

    python benchmarks/v3_options.py            # every variant, 3 repeats each
    python benchmarks/v3_options.py --repeat 1

Figures are wall-clock on the machine that runs it (noisy on a shared machine: compare
the ratios of one run).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from optimizer import Plan, Planner, load_instance
from optimizer.instance.schema import Instance
from optimizer.solver.options import SolveOptions

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "instances" / "gtc2026-1gw.yaml"
Change = Callable[[dict[str, Any]], None]


def _opex(doc: dict[str, Any]) -> None:
    for h in doc["hardware"]:  # 3% of the 2026 price a year
        price = h["capex_usd"]
        first = price[min(price)] if isinstance(price, dict) else price
        h["opex_usd_per_year"] = 0.03 * first


def _idle(doc: dict[str, Any]) -> None:
    for h in doc["hardware"]:
        h["idle_power_share"] = 0.3


def _delivery(doc: dict[str, Any]) -> None:
    for h in doc["hardware"]:
        h["delivery_share"] = 0.5


def _platforms(doc: dict[str, Any]) -> None:
    doc["platforms"] = [
        {"id": "nvidia", "fixed_cost_usd_per_year": 5e7},
        {"id": "amd", "fixed_cost_usd_per_year": 5e7},
        {"id": "groq", "fixed_cost_usd_per_year": 5e7},
    ]
    for h in doc["hardware"]:
        h["platform"] = (
            "amd" if h["id"].startswith("mi") else "groq" if h["id"] == "groq3-lpx" else "nvidia"
        )


def _committed(doc: dict[str, Any]) -> None:
    for t in doc["tiers"]:
        if t["id"] == "free":
            t["committed_mtok"] = 1e9


def _price_moves(doc: dict[str, Any]) -> None:
    for t in doc["tiers"]:
        if t.get("price_menu") is not None:
            t["max_price_change"] = 0.5


VARIANTS: dict[str, Change] = {
    "opex": _opex,
    "idle power": _idle,
    "delivery 0.5": _delivery,
    "platforms": _platforms,
    "committed free": _committed,
    "price moves 50%": _price_moves,
}


def timed(inst: Instance, repeat: int) -> tuple[float, Plan]:
    """Best wall-clock seconds of ``repeat`` solves (build included) and the last plan."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        plan = Planner(inst, SolveOptions(marginals=False)).solve()
        best = min(best, time.perf_counter() - t0)
    return best, plan


def _row(name: str, seconds: float, plan: Plan, t_base: float) -> str:
    size = plan.model_size
    return (
        f"{name:<18} {plan.objective_usd or 0:>18,.0f} {size['variables']:>6} "
        f"{size['integer_variables']:>5} {seconds:>7.2f} {seconds / t_base:>6.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base = load_instance(REFERENCE)
    base_doc = base.model_dump()
    t_base, base_plan = timed(base, args.repeat)
    print(f"{'variant':<18} {'objective USD':>18} {'vars':>6} {'int':>5} {'s':>7} {'ratio':>6}")
    print(_row("baseline (profit)", t_base, base_plan, t_base))
    for name, change in VARIANTS.items():
        doc = base.model_dump()
        change(doc)
        inst = base.with_changes(**{k: doc[k] for k in doc if doc[k] != base_doc[k]})
        t, plan = timed(inst, args.repeat)
        print(_row(name, t, plan, t_base))
    # objective cost: the least cost to serve exactly what the profit optimum sells
    tiers = []
    for tier in base_doc["tiers"]:
        sold = base_plan.sold[base_plan.sold["tier"] == tier["id"]]
        demand = dict(zip(sold["period"], sold["mtok"].astype(float), strict=True))
        tiers.append(
            {**tier, "price_menu": None, "price_usd_per_mtok": None, "demand_mtok": demand}
        )
    inst = base.with_changes(objective="cost", tiers=tiers)
    t, plan = timed(inst, args.repeat)
    print(_row("cost (same sales)", t, plan, t_base))


if __name__ == "__main__":
    main()
