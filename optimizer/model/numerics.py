"""Is the scaled model within what double precision and HiGHS's tolerances represent?

HiGHS drops matrix entries below 1e-9 (``small_matrix_value``) with a warning only, and
treats violations below 1e-7 as feasible. An instance whose coefficients fall outside
that range (a tier at utilization 1e-8, a machine of 0.001 kW on a 3e6 MW site) gives a
"optimal" plan that is simply wrong: objective 0, nothing bought. :func:`check_ranges`
looks at the coefficients AFTER the model's scaling (MW, $M, Tok) and returns

* refusals: one line per key that puts the model out of range, naming the key and what
  to check (the planner raises them as an :class:`~optimizer.errors.InputError`);
* warnings: figures close to the tolerances, reported with the plan.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from optimizer.instance.schema import Instance
from optimizer.model.data import MONEY_USD

if TYPE_CHECKING:
    from optimizer.model.data import ModelData

SMALLEST_COEFFICIENT = 1e-9  # HiGHS's small_matrix_value: smaller entries are dropped
FEASIBILITY_TOL = 1e-7  # HiGHS's primal feasibility tolerance (model units)
MOST_UNITS = 1e9  # more units of one hardware than this: counts lose integrality


def _g(x: float) -> str:
    return f"{x:.3g}"


def check_ranges(inst: Instance, data: ModelData) -> tuple[list[str], list[str]]:
    """(refusals, warnings) for the scaled model ``data`` of ``inst`` (see module doc)."""
    refusals: list[str] = []
    warnings: list[str] = []
    hw_index = {h.id: i for i, h in enumerate(inst.hardware)}
    tier_index = {t.id: i for i, t in enumerate(inst.tiers)}
    tiers = {t.id: t for t in inst.tiers}
    s = data.structure

    # Production coefficients a[h,t] (Tok per unit per period).
    small_a: dict[str, list[str]] = {}
    for (h, t), a in data.a.items():
        if 0 < a < SMALLEST_COEFFICIENT:
            small_a.setdefault(t, []).append(h)
    for t, hws in small_a.items():
        tier = tiers[t]
        key = (
            f"tiers[{tier_index[t]}].utilization"
            if tier.utilization < 1e-3
            else (f"tiers[{tier_index[t]}] (frontier tok_s_per_gpu of {', '.join(hws[:3])})")
        )
        refusals.append(
            f"{key}: one unit of {hws[0]!r} would make {_g(data.a[(hws[0], t)] * 1e6)} Mtok of "
            f"tier {t!r} per period, below what the solver represents (the coefficient would "
            f"be dropped and the tier never served); utilization is {tier.utilization:g}"
        )

    # Per-unit power, land and capex coefficients this small are dropped by HiGHS, that
    # is, treated as 0. Harmless in itself (the amounts are negligible); what it could
    # unleash (a fleet nothing bounds) is refused below. Said in the plan's warnings.
    for h in s.hardware:
        i = hw_index[h]
        # capex may differ by period: the smallest positive price of one unit
        capex = min((v for (g, _p), v in data.unit_capex.items() if g == h and v > 0), default=0.0)
        for key, value, shown in (
            ("power_kw", data.pue * data.unit_it_mw[h], inst.hardware[i].power_kw),
            ("rack_positions", data.unit_racks[h], data.unit_racks[h]),
            ("capex_usd", capex, capex * MONEY_USD),
        ):
            if 0 < value < SMALLEST_COEFFICIENT:
                warnings.append(
                    f"hardware[{i}].{key}: {shown:g} per unit is below what the solver "
                    "represents; it is treated as 0"
                )

    # How many units the caps allow: beyond MOST_UNITS, counts and money lose precision,
    # and revenue from a tier without a demand cap becomes astronomical.
    uncapped = {t for t in s.tiers if any((t, p) not in data.demand for p in s.periods)}
    paying = {t for t in uncapped if any(data.price[(t, p)] > 0 for p in s.periods)}
    serves: dict[str, set[str]] = {}
    for h, t, _p in s.serve_index:
        serves.setdefault(h, set()).add(t)
    for h in s.hardware:
        if not serves.get(h, set()) & paying:
            continue
        i = hw_index[h]
        limits = []
        for p in s.periods:
            bound = math.inf
            why = []
            if data.unit_it_mw[h] > 0:
                bound = min(bound, data.power_cap_mw[p] / (data.pue * data.unit_it_mw[h]))
                why.append(
                    f"hardware[{i}].power_kw ({inst.hardware[i].power_kw:g} kW) against "
                    f"site.power_mw ({_g(data.power_cap_mw[p])} MW)"
                )
            if data.unit_racks[h] > 0:
                racks = data.rack_cap[p] / data.unit_racks[h]
                if racks < bound:
                    why = [
                        f"hardware[{i}].rack_positions ({data.unit_racks[h]:g}) against "
                        f"site.rack_positions ({_g(data.rack_cap[p])})"
                    ]
                bound = min(bound, racks)
            unit_capex = data.unit_capex.get((h, p), 0.0)
            if p in data.budget and unit_capex > 0:
                bound = min(bound, data.budget[p] / unit_capex)
            if h in data.max_units:
                bound = min(bound, data.max_units[h])
            limits.append((bound, why))
        worst, why = max(limits, key=lambda x: x[0])
        if MOST_UNITS <= worst < math.inf:
            refusals.append(
                f"hardware[{i}]: the caps allow {_g(worst)} units of {h!r} "
                f"({'; '.join(why) or 'no cap binds'}), beyond what the solver counts exactly "
                f"(at most {MOST_UNITS:g}); check the units (kW per unit, MW per site) or set "
                "max_units or a demand cap"
            )

    # Demand caps within a few tolerances of zero: the plan's Mtok are approximate.
    for (t, p), cap in data.demand.items():
        if 0 < cap < 100 * FEASIBILITY_TOL:
            warnings.append(
                f"tiers[{tier_index[t]}].demand_mtok[{p}]: {_g(cap * 1e6)} Mtok is close to the "
                f"solver's tolerance ({_g(FEASIBILITY_TOL * 1e6)} Mtok); the tier's figures are "
                "approximate"
            )
    return refusals, warnings
