"""Everything the model needs, as index sets and scaled parameter values.

:class:`ModelData` is the bridge between an instance (in the units of docs/format.md) and
the Pyomo model (in internal units chosen for conditioning):

=========  ==================  =====================================
quantity   contract unit        model unit
=========  ==================  =====================================
money      USD                  $M            (``MONEY_USD`` = 1e6)
tokens     Mtok                 Tok = 1e6 Mtok (``TOKENS_MTOK`` = 1e6)
power      kW (units), MW site  MW
=========  ==================  =====================================

With these, a price in USD/Mtok is numerically the price in $M per model token
unit, a rack-scale unit produces a few token units per period, and capex is a few
$M: coefficients stay within a few orders of magnitude of 1.

The split into :attr:`ModelData.structure` (index sets) and the numeric fields lets
a built model be updated in place when only numbers change (sweeps), and rebuilt
only when the structure changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from optimizer.errors import InputError
from optimizer.frontiers.coefficients import Coefficients
from optimizer.instance.schema import HOURS_PER_YEAR, Instance, PeriodLabel

MONEY_USD = 1e6
TOKENS_MTOK = 1e6
_FLOOR_EPS = 1e-9
# A bound on unit counts above this is treated as no bound: as a coefficient it would be
# beyond what HiGHS accepts (it drops entries of 1e15 and more), and no site holds it.
_UNBOUNDED_UNITS = 1e9

HP = tuple[str, PeriodLabel]
TP = tuple[str, PeriodLabel]
HTP = tuple[str, str, PeriodLabel]
TPK = tuple[str, PeriodLabel, int]


@dataclass(frozen=True)
class Structure:
    """The index sets; two ModelData with equal structure share one built model."""

    periods: tuple[PeriodLabel, ...]
    hardware: tuple[str, ...]
    tiers: tuple[str, ...]
    buy_index: tuple[HP, ...]  # (h, p) where buy[h,p] exists (availability window)
    installed_index: tuple[HP, ...]  # (h, p) where installed[h,p] can be > 0
    installed_buys: tuple[tuple[HP, tuple[PeriodLabel, ...]], ...]  # buys alive at (h, p)
    serve_index: tuple[HTP, ...]  # usable (h, t, p) triples
    demand_index: tuple[TP, ...]  # (t, p) with a demand cap
    budget_periods: tuple[PeriodLabel, ...]
    share_lower_index: tuple[TP, ...]  # (t, p) with min_power_share > 0
    share_upper_index: tuple[TP, ...]  # (t, p) with max_power_share < 1
    supply_hardware: tuple[str, ...]  # h with max_units
    lot_hardware: tuple[str, ...]  # h with min_units > 0
    objective: str
    # options (empty / False when off: the core model is built unchanged)
    menu_tiers: tuple[str, ...] = ()  # tiers with a price menu
    menu_index: tuple[TPK, ...] = ()  # (t, p, k): entry k of t's menu in period p
    residual: bool = False  # straight-line residual value credited (profit only)
    whole_replicas: bool = False  # option: serve = units_per_replica x integer replicas
    # v3 options (docs/model.md "v3 options"; empty / False when off)
    forecast_index: tuple[TP, ...] = ()  # objective cost: (t, p) whose forecast must be sold
    committed_index: tuple[TP, ...] = ()  # (t, p) of tiers with committed_mtok
    opex: bool = False  # the objective charges opex of installed units
    idle: bool = False  # the objective charges idle power of installed units
    delivery_index: tuple[HP, ...] = ()  # (h, p) bought with delivery_share < 1 somewhere
    platforms: tuple[str, ...] = ()  # platforms with at least one hardware
    platform_of: tuple[tuple[str, str], ...] = ()  # (h, f): hardware h runs on platform f
    cooling_index: tuple[tuple[str, PeriodLabel], ...] = ()  # (class, p) with a cap
    cooling_of: tuple[tuple[str, str], ...] = ()  # (h, class) it needs
    price_move_index: tuple[tuple[str, PeriodLabel, int, int], ...] = ()  # (t, p, k, k2)
    # Option time_slices (empty when off: serve and sold keep no slice index)
    slices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelData:
    """Index sets and parameter values of one instance, in model units."""

    structure: Structure
    weight: dict[PeriodLabel, float]  # discount weight per period
    existing: dict[HP, float]  # units installed at no capex, per period (may vary)
    a: dict[tuple[str, str], float]  # Tok per unit per period, usable pairs
    price: dict[TP, float]  # $M per Tok (== USD per Mtok)
    demand: dict[TP, float]  # Tok per period
    unit_it_mw: dict[str, float]  # IT power of one unit, MW
    pue: float
    power_cap_mw: dict[PeriodLabel, float]
    unit_racks: dict[str, float]
    rack_cap: dict[PeriodLabel, float]
    unit_capex: dict[HP, float]  # $M per unit bought in p (may vary by period)
    budget: dict[PeriodLabel, float]  # $M per period
    max_units: dict[str, float]
    min_units: dict[str, float]
    big_m: dict[str, float]  # most units of h the other constraints allow over the horizon
    buy_ub: dict[HP, float | None]  # most units of h one period allows
    min_share: dict[str, float]
    max_share: dict[str, float]
    energy_cost: dict[HTP, float]  # $M per serving unit per period (0 unless profit)
    residual: dict[HP, float] = field(default_factory=dict)  # $M credited per unit bought
    fixed_cost: float = 0.0  # $M, discounted site fixed cost over the horizon (profit only)
    menu_price: dict[TPK, float] = field(default_factory=dict)  # $M per Tok
    menu_demand: dict[TPK, float] = field(default_factory=dict)  # Tok per period
    units_per_replica: dict[tuple[str, str], float] = field(default_factory=dict)
    # v3 options (docs/model.md "v3 options"); empty when off
    committed: dict[TP, float] = field(default_factory=dict)  # Tok per period, at least
    opex: dict[HP, float] = field(default_factory=dict)  # $M per installed unit per period
    idle_energy: dict[HP, float] = field(default_factory=dict)  # $M per installed unit, idle
    late_share: dict[HP, float] = field(default_factory=dict)  # 1 - delivery_share[h,p]
    platform_cost: dict[tuple[str, PeriodLabel], float] = field(default_factory=dict)  # $M
    platform_m: dict[HP, float] = field(default_factory=dict)  # most units installed
    cooling_cap: dict[tuple[str, PeriodLabel], float] = field(default_factory=dict)
    price_far: dict[tuple[str, PeriodLabel, int, int], float] = field(default_factory=dict)
    # Option time_slices (empty when off)
    hours_share: dict[str, float] = field(default_factory=dict)  # share of a period's hours
    demand_share: dict[tuple[str, str], float] = field(default_factory=dict)  # (t, s) profile
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_instance(
        cls, instance: Instance, coefficients: Coefficients, objective: str | None = None
    ) -> ModelData:
        """The scaled data; an instance beyond what the solver represents is refused
        (:mod:`optimizer.model.numerics`), figures near the tolerances are noted."""
        from optimizer.model.numerics import check_ranges

        data = _build_data(instance, coefficients, objective or instance.objective)
        refusals, warnings = check_ranges(instance, data)
        if refusals:
            raise InputError(refusals)
        data.notes.extend(warnings)
        return data


def _build_data(inst: Instance, coef: Coefficients, objective: str) -> ModelData:
    P = list(inst.periods)
    n = len(P)
    H = [h.id for h in inst.hardware]
    T = [t.id for t in inst.tiers]
    hw = {h.id: h for h in inst.hardware}
    tiers = {t.id: t for t in inst.tiers}
    weight = dict(zip(P, inst.weights(), strict=True))

    power_cap = dict(zip(P, inst.per_period_values(inst.site.power_mw), strict=True))
    rack_cap = dict(zip(P, inst.per_period_values(inst.site.rack_positions), strict=True))
    budget_usd = dict(zip(P, inst.per_period(inst.site.capex_budget_usd), strict=True))
    elec = dict(zip(P, inst.per_period_values(inst.site.electricity_usd_per_mwh), strict=True))

    existing_units = {
        (h, p): v for h in H for p, v in zip(P, inst.existing_by_period(hw[h]), strict=True)
    }
    # --- availability and lifetimes -> buy and installed index sets
    buy_index: list[HP] = []
    for h in H:
        lo, hi = inst.sale_window(hw[h])
        buy_index += [(h, P[i]) for i in range(lo, hi + 1)]
    can_buy = set(buy_index)
    installed_buys: list[tuple[HP, tuple[PeriodLabel, ...]]] = []
    for h in H:
        life = inst.lifetime_periods(hw[h])
        for i, p in enumerate(P):
            alive = tuple(P[j] for j in range(max(0, i - life + 1), i + 1) if (h, P[j]) in can_buy)
            if alive or existing_units[(h, p)] > 0:
                installed_buys.append(((h, p), alive))
    installed_index = [hp for hp, _ in installed_buys]
    installable = set(installed_index)

    a_pairs = coef.a()
    serve_index = [(h, t, p) for (h, t) in a_pairs for p in P if (h, p) in installable]
    serve_index.sort(key=lambda x: (H.index(x[0]), T.index(x[1]), P.index(x[2])))

    demand: dict[TP, float] = {}
    price: dict[TP, float] = {}
    menu_price: dict[TPK, float] = {}
    menu_demand: dict[TPK, float] = {}
    for t in T:
        for p, v in zip(P, inst.per_period(tiers[t].price_usd_per_mtok), strict=True):
            price[(t, p)] = float(v or 0.0)  # USD/Mtok == $M per Tok; 0 for a menu tier
        for p, v in zip(P, inst.per_period(tiers[t].demand_mtok), strict=True):
            if v is not None:
                demand[(t, p)] = v / TOKENS_MTOK
        for k, entry in enumerate(tiers[t].price_menu or ()):
            prices = inst.per_period_values(entry.price_usd_per_mtok)
            demands = inst.per_period_values(entry.demand_mtok)
            for i, p in enumerate(P):
                menu_price[(t, p, k)] = prices[i]
                menu_demand[(t, p, k)] = demands[i] / TOKENS_MTOK

    unit_it_mw = {h: hw[h].power_kw / 1000.0 for h in H}
    unit_racks = {h: hw[h].rack_positions for h in H}
    capex_usd = {h: dict(zip(P, inst.capex_by_period(hw[h]), strict=True)) for h in H}
    unit_capex = {(h, p): capex_usd[h][p] / MONEY_USD for h, p in buy_index}
    existing = {(h, p): float(existing_units[(h, p)]) for h, p in installed_index}
    budget = {p: v / MONEY_USD for p, v in budget_usd.items() if v is not None}

    # --- per-period bounds on buy and the big-M of minimum lots, from the instance
    pue = inst.site.pue
    existing_mw = {p: pue * sum(unit_it_mw[h] * existing_units[(h, p)] for h in H) for p in P}
    existing_racks = {p: sum(unit_racks[h] * existing_units[(h, p)] for h in H) for p in P}

    def cap_units(h: str, p: PeriodLabel) -> float:
        """Most units of h that power and land allow in period p, beside existing units."""
        bound = math.inf
        if unit_it_mw[h] > 0:
            bound = min(bound, (power_cap[p] - existing_mw[p]) / (pue * unit_it_mw[h]))
        if unit_racks[h] > 0:
            bound = min(bound, (rack_cap[p] - existing_racks[p]) / unit_racks[h])
        if bound >= _UNBOUNDED_UNITS:
            return math.inf
        return max(0.0, math.floor(bound + _FLOOR_EPS))

    def budget_units(h: str, p: PeriodLabel) -> float:
        if p in budget and unit_capex[(h, p)] > 0:
            ratio = budget[p] / unit_capex[(h, p)]
            if ratio < _UNBOUNDED_UNITS:  # a tiny capex makes the budget no bound at all
                return max(0.0, math.floor(ratio + _FLOOR_EPS))
        return math.inf

    supply_cap = {h: math.inf if (mu := hw[h].max_units) is None else float(mu) for h in H}
    buy_ub: dict[HP, float | None] = {}
    for h, p in buy_index:
        ub = min(cap_units(h, p), budget_units(h, p), supply_cap[h])
        buy_ub[(h, p)] = None if math.isinf(ub) else ub

    big_m: dict[str, float] = {}
    problems: list[str] = []
    for i, h in enumerate(H):
        if hw[h].min_units <= 0:
            continue
        life = inst.lifetime_periods(hw[h])
        total = 0.0
        # Buys within any block of `life` consecutive periods are all alive at the block's end.
        for start in range(0, n, life):
            block = [P[j] for j in range(start, min(start + life, n)) if (h, P[j]) in can_buy]
            if not block:
                continue
            end = P[min(start + life, n) - 1]
            total += min(cap_units(h, end), sum(budget_units(h, q) for q in block))
        total = min(total, supply_cap[h])
        if total >= _UNBOUNDED_UNITS:
            problems.append(
                f"hardware[{i}].min_units: nothing bounds how many {h!r} can be bought "
                "(power_kw and rack_positions are 0, no budget, no max_units); set max_units"
            )
        big_m[h] = total
    if problems:
        raise InputError(problems)

    if objective == "cost":
        cost_problems = inst.cost_objective_problems()
        if cost_problems:
            raise InputError(cost_problems)
    else:
        unpriced = [
            f"tiers[{i}].price_usd_per_mtok: objective {objective} needs a price (or a price_menu)"
            for i, t in enumerate(inst.tiers)
            if t.price_usd_per_mtok is None and t.price_menu is None
        ]
        if unpriced:
            raise InputError(unpriced)
    costed = objective in ("profit", "cost")  # objectives that charge costs

    energy_cost: dict[HTP, float] = {}
    if costed:
        for h, t, p in serve_index:
            mwh = pue * unit_it_mw[h] * tiers[t].utilization * HOURS_PER_YEAR * inst.period_years
            # v3 idle power: serving draws the share above idle; idle_energy charges the rest
            energy_cost[(h, t, p)] = (1.0 - hw[h].idle_power_share) * elec[p] * mwh / MONEY_USD
    else:
        energy_cost = {k: 0.0 for k in serve_index}

    # --- options: residual value at the horizon's end and the site's fixed cost (profit only)
    residual_on = costed and inst.residual_value == "straight_line"
    residual: dict[HP, float] = {}
    if residual_on:
        w_end = inst.end_weight()
        for h, p in buy_index:
            share = inst.residual_fraction(hw[h], P.index(p))
            residual[(h, p)] = w_end * share * unit_capex[(h, p)]
    fixed_cost = 0.0
    if costed:
        per_period = inst.site.fixed_cost_usd_per_year * inst.period_years / MONEY_USD
        fixed_cost = sum(weight[p] * per_period for p in P)

    v3 = _v3_data(inst, objective, installed_index, buy_index, serve_index, existing, buy_ub)

    structure = Structure(
        periods=tuple(P),
        hardware=tuple(H),
        tiers=tuple(T),
        buy_index=tuple(buy_index),
        installed_index=tuple(installed_index),
        installed_buys=tuple(installed_buys),
        serve_index=tuple(serve_index),
        demand_index=tuple(demand),
        budget_periods=tuple(budget),
        share_lower_index=tuple((t, p) for t in T for p in P if tiers[t].min_power_share > 0),
        share_upper_index=tuple((t, p) for t in T for p in P if tiers[t].max_power_share < 1),
        supply_hardware=tuple(h for h in H if hw[h].max_units is not None),
        lot_hardware=tuple(h for h in H if hw[h].min_units > 0),
        objective=objective,
        menu_tiers=tuple(t for t in T if tiers[t].price_menu is not None),
        menu_index=tuple(menu_price),
        residual=residual_on,
        whole_replicas=inst.whole_replicas,
        **v3.structure,
        slices=tuple(inst.slice_ids()),
    )
    hours_share = {sl.id: sl.hours_share for sl in inst.time_slices or ()}
    demand_share = {(t, sid): v for t in T for sid, v in inst.demand_shares(tiers[t]).items()}
    return ModelData(
        structure=structure,
        weight=weight,
        existing=existing,
        a={k: v / TOKENS_MTOK for k, v in a_pairs.items()},
        price=price,
        demand=demand,
        unit_it_mw=unit_it_mw,
        pue=pue,
        power_cap_mw=power_cap,
        unit_racks=unit_racks,
        rack_cap=rack_cap,
        unit_capex=unit_capex,
        budget=budget,
        max_units={h: v for h, v in supply_cap.items() if math.isfinite(v)},
        min_units={h: float(hw[h].min_units) for h in H},
        big_m=big_m,
        buy_ub=buy_ub,
        units_per_replica=coef.units_per_replica(),
        min_share={t: tiers[t].min_power_share for t in T},
        max_share={t: tiers[t].max_power_share for t in T},
        energy_cost=energy_cost,
        residual=residual,
        fixed_cost=fixed_cost,
        menu_price=menu_price,
        menu_demand=menu_demand,
        **v3.values,
        hours_share=hours_share,
        demand_share=demand_share,
    )


@dataclass
class _V3:
    """Index sets (Structure fields) and values (ModelData fields) of the v3 options."""

    structure: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


def _v3_data(
    inst: Instance,
    objective: str,
    installed_index: list[HP],
    buy_index: list[HP],
    serve_index: list[HTP],
    existing: dict[HP, float],
    buy_ub: dict[HP, float | None],
) -> _V3:
    """The v3 options (docs/model.md "v3 options"): each empty when off, so that an
    instance that sets none of them builds exactly the model it built before."""
    P = list(inst.periods)
    hw = {h.id: h for h in inst.hardware}
    costed = objective in ("profit", "cost")
    out = _V3()
    st, val = out.structure, out.values

    # Objective cost: every tier's forecast must be sold (demand_mtok is the forecast).
    if objective == "cost":
        st["forecast_index"] = tuple(
            (t.id, p) for t in inst.tiers for p in P if t.demand_mtok is not None
        )
    # Committed volume, under any objective.
    committed: dict[TP, float] = {}
    for t in inst.tiers:
        if t.committed_mtok is not None:
            for p, v in zip(P, inst.per_period_values(t.committed_mtok), strict=True):
                committed[(t.id, p)] = v / TOKENS_MTOK
    st["committed_index"] = tuple(committed)
    val["committed"] = committed

    # Opex and idle power of installed units (profit and cost objectives).
    elec = dict(zip(P, inst.per_period_values(inst.site.electricity_usd_per_mwh), strict=True))
    opex: dict[HP, float] = {}
    idle: dict[HP, float] = {}
    for h, p in installed_index:
        yearly = inst.per_period_values(hw[h].opex_usd_per_year)[P.index(p)]
        opex[(h, p)] = yearly * inst.period_years / MONEY_USD
        mwh = inst.site.pue * hw[h].power_kw / 1000 * HOURS_PER_YEAR * inst.period_years
        idle[(h, p)] = hw[h].idle_power_share * elec[p] * mwh / MONEY_USD
    if costed and any(
        isinstance(h.opex_usd_per_year, dict) or h.opex_usd_per_year > 0 for h in inst.hardware
    ):
        st["opex"] = True
        val["opex"] = opex
    if costed and any(h.idle_power_share > 0 for h in inst.hardware):
        st["idle"] = True
        val["idle_energy"] = idle

    # Delivery within the period: a unit bought in p serves delivery_share[h,p] of p.
    late: dict[HP, float] = {}
    serving = {(h, p) for h, _t, p in serve_index}
    for h, p in buy_index:
        shares = inst.per_period_values(hw[h].delivery_share)
        if any(s < 1 for s in shares) and (h, p) in serving:
            late[(h, p)] = 1.0 - shares[P.index(p)]
    st["delivery_index"] = tuple(late)
    val["late_share"] = late

    # Platforms: adopt[f,p] is 1 in any period a unit of f is installed.
    plat_cost = {f.id: f.fixed_cost_usd_per_year for f in inst.platforms}
    members = [(h.id, h.platform) for h in inst.hardware if h.platform is not None]
    if members:
        used = [f.id for f in inst.platforms if any(g == f.id for _h, g in members)]
        st["platforms"] = tuple(used)
        st["platform_of"] = tuple(members)
        val["platform_cost"] = {
            (f, p): (plat_cost[f] * inst.period_years / MONEY_USD if costed else 0.0)
            for f in used
            for p in P
        }
        on_platform = {h for h, _f in members}
        platform_m: dict[HP, float] = {}
        problems: list[str] = []
        for h, p in installed_index:
            if h in on_platform:
                bound = _installed_bound(inst, h, p, existing, buy_ub)
                if math.isinf(bound):
                    i = [x.id for x in inst.hardware].index(h)
                    problems.append(
                        f"hardware[{i}].platform: nothing bounds how many {h!r} can be installed "
                        "(power_kw and rack_positions are 0, no budget, no max_units); "
                        "set max_units"
                    )
                    break
                platform_m[(h, p)] = bound
        if problems:
            raise InputError(problems)
        val["platform_m"] = platform_m

    # Cooling classes: rack positions of each class hold the hardware that needs it.
    cooling = inst.site.cooling
    needs = [(h.id, h.cooling) for h in inst.hardware if h.cooling is not None]
    if cooling is not None and needs:
        caps: dict[tuple[str, PeriodLabel], float] = {}
        for c in ("air", "liquid"):
            given = getattr(cooling, c)
            if given is not None and any(k == c for _h, k in needs):
                for p, v in zip(P, inst.per_period_values(given), strict=True):
                    caps[(c, p)] = v
        st["cooling_index"] = tuple(caps)
        st["cooling_of"] = tuple(needs)
        val["cooling_cap"] = caps

    # Price moves between periods, for price-menu tiers with max_price_change.
    far: dict[tuple[str, PeriodLabel, int, int], float] = {}
    for t in inst.tiers:
        if t.price_menu is None or t.max_price_change is None:
            continue
        prices = [inst.per_period_values(e.price_usd_per_mtok) for e in t.price_menu]
        for i in range(len(P) - 1):
            for k, xk in enumerate(prices):
                for k2, xk2 in enumerate(prices):
                    moved = abs(xk2[i + 1] - xk[i]) > t.max_price_change * xk[i] * (1 + 1e-9)
                    far[(t.id, P[i], k, k2)] = 1.0 if moved else 0.0
    st["price_move_index"] = tuple(far)
    val["price_far"] = far
    return out


def _installed_bound(
    inst: Instance,
    h: str,
    p: PeriodLabel,
    existing: dict[HP, float],
    buy_ub: dict[HP, float | None],
) -> float:
    """Most units of h that can be installed in p: the site's power and land, the supply cap
    and the buy bounds of the purchases alive in p, plus existing units (a valid big-M)."""
    P = list(inst.periods)
    spec = next(x for x in inst.hardware if x.id == h)
    i = P.index(p)
    have = existing.get((h, p), 0.0)
    bound = math.inf
    power = inst.per_period_values(inst.site.power_mw)[i]
    racks = inst.per_period_values(inst.site.rack_positions)[i]
    if spec.power_kw > 0:
        bound = min(bound, power / (inst.site.pue * spec.power_kw / 1000.0))
    if spec.rack_positions > 0:
        bound = min(bound, racks / spec.rack_positions)
    if spec.max_units is not None:
        bound = min(bound, have + spec.max_units)
    life = inst.lifetime_periods(spec)
    alive = [P[j] for j in range(max(0, i - life + 1), i + 1) if (h, P[j]) in buy_ub]
    bought = sum(math.inf if buy_ub[(h, q)] is None else float(buy_ub[(h, q)] or 0) for q in alive)
    bound = min(bound, have + bought)
    if bound >= _UNBOUNDED_UNITS:
        return math.inf
    return max(have, math.floor(bound + _FLOOR_EPS))
