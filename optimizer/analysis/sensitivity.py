"""One-at-a-time sensitivity: every numeric input moved by -delta and +delta.

Each input (a key path of the instance) is scaled by (1 - delta) and (1 + delta)
while everything else stays at its base value; per-period mappings scale in every
period (time slices: a slice's share moves and the other slices' shares rescale so they
still sum to 1). A tier with a price menu moves as a whole: every entry's price together
(``tiers[ID].price_menu[*].price_usd_per_mtok``: the menu shifts, its shape kept) and,
apart, every entry's demand (``...price_menu[*].demand_mtok``). The scenarios run
through the sweep engine (in place, on local workers or a Dask cluster). A move that
makes the instance invalid (a PUE below 1, a utilization above 1) is kept as a row
with its error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optimizer.instance.schema import Instance
from optimizer.solver.options import SolveOptions
from optimizer.sweep.run import SweepResult, run_sweep
from optimizer.sweep.spec import Factor, KeyPath, base_value, parse_key

SITE_KEYS = (
    "power_mw",
    "rack_positions",
    "pue",
    "capex_budget_usd",
    "electricity_usd_per_mwh",
    "fixed_cost_usd_per_year",
)
HARDWARE_KEYS = (
    "capex_usd",
    "power_kw",
    "max_units",
    "lifetime_years",
    "opex_usd_per_year",  # v3 options: moved only where set and non-zero
    "idle_power_share",
)
TIER_KEYS = (
    "price_usd_per_mtok",
    "demand_mtok",
    "min_interactivity",
    "utilization",
    "committed_mtok",  # v3
)


MENU_KEYS = ("price_usd_per_mtok", "demand_mtok")


def numeric_inputs(instance: Instance) -> list[KeyPath]:
    """The key paths of every numeric input that is set and non-zero (menus: see input_groups)."""
    doc = instance.model_dump()
    periods = list(instance.periods)
    keys = [f"site.{k}" for k in SITE_KEYS] + ["discount_rate"]
    keys += [f"hardware[{h.id}].{k}" for h in instance.hardware for k in HARDWARE_KEYS]
    keys += [f"tiers[{t.id}].{k}" for t in instance.tiers for k in TIER_KEYS]
    keys += [f"platforms[{f.id}].fixed_cost_usd_per_year" for f in instance.platforms]  # v3
    slices = instance.slice_ids()
    if len(slices) > 1:  # option time_slices: a share moves, its siblings rescale to sum 1
        keys += [f"time_slices[{x}].hours_share" for x in slices]
        keys += [
            f"tiers[{t.id}].demand_profile[{x}]"
            for t in instance.tiers
            if t.demand_profile is not None
            for x in slices
        ]
    out = []
    for text in keys:
        key = parse_key(text)
        try:
            value = base_value(doc, key, periods)
        except Exception:  # not set in this instance (e.g. no budget): nothing to move
            continue
        if value != 0:
            out.append(key)
    return out


@dataclass(frozen=True)
class InputGroup:
    """One row of the tornado: a label and the key paths it moves together."""

    label: str
    keys: tuple[KeyPath, ...]
    shown: KeyPath  # the key whose base value the table shows


def input_groups(instance: Instance) -> list[InputGroup]:
    """Every input moved one at a time: the numeric inputs, then each menu's prices, demand.

    A menu's entries move together (by the same factor) so that a tier's price level, or its
    demand, is one input, as it is without a menu; the value shown is the middle entry's (the
    reference point of a constant-elasticity menu).
    """
    groups = [InputGroup(k.text, (k,), k) for k in numeric_inputs(instance)]
    for t in instance.tiers:
        if t.price_menu is None:
            continue
        n = len(t.price_menu)
        for name in MENU_KEYS:
            keys = tuple(parse_key(f"tiers[{t.id}].price_menu[{i}].{name}") for i in range(n))
            groups.append(
                InputGroup(f"tiers[{t.id}].price_menu[*].{name}", keys, keys[(n - 1) // 2])
            )
    return groups


@dataclass
class Sensitivity:
    """The tornado table (one row per input) and the sweep behind it."""

    table: pd.DataFrame
    sweep: SweepResult
    base_objective_usd: float | None


def sensitivity(
    instance: Instance,
    delta: float = 0.1,
    *,
    options: SolveOptions | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    **overrides: Any,
) -> Sensitivity:
    """Solve base, then each input at -delta and +delta; rows sorted by objective swing.

    ``options`` (default: the sweeps', one HiGHS thread per worker) and keyword
    ``overrides`` of its fields (``time_limit=5``: per solve) apply to every solve.
    ``progress(done, total)`` is called as scenarios finish (2 per input, plus the base).
    """
    groups = input_groups(instance)
    doc = instance.model_dump()
    periods = list(instance.periods)
    scenarios: list[dict[KeyPath, float]] = [{}]
    for g in groups:
        scenarios += [
            {k: Factor(1 - delta) for k in g.keys},
            {k: Factor(1 + delta) for k in g.keys},
        ]
    result = run_sweep(
        instance,
        scenarios,
        options=options,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        **overrides,
    )
    t = result.table.set_index("scenario")
    base_obj = t.loc[0, "objective_usd"] if "objective_usd" in t else None
    base_obj = None if base_obj is None or pd.isna(base_obj) else float(base_obj)
    rows = []
    for i, g in enumerate(groups):
        lo, hi = t.loc[2 * i + 1], t.loc[2 * i + 2]
        value = base_value(doc, g.shown, periods)

        def obj(r: pd.Series) -> float | None:
            v = r.get("objective_usd")
            return None if v is None or pd.isna(v) else float(v)

        o_lo, o_hi = obj(lo), obj(hi)
        rows.append(
            {
                "input": g.label,
                "base_value": value,
                "low_value": value * (1 - delta),
                "high_value": value * (1 + delta),
                "objective_low_usd": o_lo,
                "objective_high_usd": o_hi,
                "base_objective_usd": base_obj,
                "swing_usd": abs(
                    (o_hi if o_hi is not None else base_obj or 0.0)
                    - (o_lo if o_lo is not None else base_obj or 0.0)
                ),
                "delta": delta,
                "status_low": lo.get("status"),
                "status_high": hi.get("status"),
                "error": "; ".join(
                    str(e) for e in (lo.get("error"), hi.get("error")) if isinstance(e, str) and e
                ),
            }
        )
    table = pd.DataFrame(rows)
    if not table.empty:
        table = table.sort_values("swing_usd", ascending=False).reset_index(drop=True)
    return Sensitivity(table=table, sweep=result, base_objective_usd=base_obj)
