"""The unused-value floor: a plan reported optimal that stopped short of an easy gain is flagged.

Part of :mod:`optimizer.verify` (see its docstring).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from optimizer.instance.schema import Instance
from optimizer.verify.options import _v3_set
from optimizer.verify.report import _fmt

if TYPE_CHECKING:
    from optimizer.verify.arrays import _Arrays
    from optimizer.verify.checker import _Checker
    from optimizer.verify.report import VerificationReport


def _core_only(inst: Instance) -> bool:
    """True when the instance uses none of the options the greedy step of the ``unused
    value`` floor does not model (per-period capex or existing units, price
    menus, residual value, whole replicas): a new option must be modelled there before the
    floor applies."""
    for h in inst.hardware:
        if isinstance(getattr(h, "capex_usd", 0), Mapping):
            return False
        if isinstance(getattr(h, "existing_units", 0), Mapping):
            return False
    if any(getattr(t, "price_menu", None) for t in inst.tiers):
        return False
    if getattr(inst, "whole_replicas", False):  # the greedy step serves fractional replicas
        return False
    if getattr(inst, "time_slices", None):  # the greedy step serves one split all period
        return False
    return getattr(inst, "residual_value", None) in (None, "none")


def _best_greedy_step(ck: _Checker, a: _Arrays, kind: str) -> tuple[float, str]:
    """The best one-step addition to the plan that keeps every constraint (see
    :meth:`_Checker.check_unused_value`): its gain in USD and where, or (0, "").

    The step buys ``lot`` units of one hardware in one period (one unit, or the minimum
    lot if none is bought yet). In each period of their life the new units first serve
    what each tier's min_power_share now needs (the installed IT power grew), then the
    rest serves the single tier that earns most, up to its max_power_share; the rest
    idles. Resources must keep a small relative margin, so noise never counts.
    """
    margin = 1e-6
    power_room = a.power_cap - a.facility_mw
    land_room = a.land_cap - a.racks_used
    budget_room = np.where(np.isnan(a.budget), np.inf, a.budget - a.spend)
    demand_room = np.where(np.isnan(a.demand), np.inf, np.maximum(0.0, a.demand - a.sold))
    bought = a.buy.sum(axis=1)
    best, where = 0.0, ""
    for k, h in enumerate(a.H):
        lot = a.min_units[k] if bought[k] <= ck.abs and a.min_units[k] > 0 else 1.0
        if bought[k] + lot > a.max_units[k] + ck.abs:
            continue
        f = a.kw[k] / 1000  # IT MW per unit
        dmw = f * lot
        fits = (power_room >= a.pue * dmw * (1 + margin) + 1e-9) & (
            land_room >= a.racks[k] * lot * (1 + margin) + 1e-9
        )
        it = a.it_mw + dmw  # [p] installed IT MW with the new units
        tol = 1e-7 + 1e-6 * it
        # Short by less than tol is within the checker's own tolerance of the share rows.
        need_mw = np.maximum(0.0, a.min_share[:, None] * it[None, :] - a.tier_mw - tol[None, :])
        need_mw = np.where(a.min_share[:, None] > 0, need_mw, 0.0)
        if f > 0:
            need = need_mw / f  # [t, p] units each tier needs from the new ones
            room = (a.max_share[:, None] * it[None, :] - a.tier_mw) / f - need  # [t, p]
        else:  # units that draw no power change no share
            need = np.zeros_like(need_mw)
            room = np.full_like(need_mw, np.inf)
        usable = a.usable[k][:, None]
        ok = (
            ((need <= 0) | usable).all(axis=0)
            & (need.sum(axis=0) <= lot * (1 + 1e-12))
            & (room >= -1e-9).all(axis=0)
        )
        rest = np.maximum(0.0, lot - need.sum(axis=0))  # [p]

        def earn(units: np.ndarray, k: int = k) -> np.ndarray:
            sold = np.minimum(a.a[k][:, None] * units, demand_room)
            return a.price * sold - a.energy_per_unit[k] * units

        base = earn(need)  # [t, p]
        extra = np.where(usable, np.minimum(rest[None, :], np.maximum(room, 0.0)), 0.0)
        gain_t = earn(need + extra) - base  # [t, p]: what tier t gains taking the rest
        per_period = base.sum(axis=0) + np.maximum(gain_t.max(axis=0), 0.0)
        per_period = np.where(fits & ok, per_period * a.weight, -np.inf)
        lo, hi = a.window[k]
        for j in range(lo, hi + 1):
            if budget_room[j] < a.capex[k, j] * lot * (1 + margin):
                continue
            alive = per_period[j : min(a.n, j + a.life[k])]
            if not np.all(np.isfinite(alive)):
                continue
            gain = float(alive.sum())
            if kind == "profit":
                gain -= a.weight[j] * a.capex[k, j] * lot
            if gain > best:
                best, where = gain, f"buy {lot:g} {h} in {ck.label(j)}"
    return best, where


def check_unused_value(ck: _Checker, report: VerificationReport, a: _Arrays) -> None:
    """unused value: an "optimal" plan that a trivially feasible change beats.

    A greedy step: buy one more unit (or a whole minimum lot) of one hardware in one
    period, where power, land, budget, supply and every power share still hold, and
    let it serve in each period of its life the tier that earns most there (or idle).
    If that plan beats the plan's own best bound, the plan was not optimal: the check
    that keeps a zero plan (a solver that dropped a coefficient) from passing.
    """
    if not ck.optimality or report.status != "optimal" or report.objective_usd is None:
        return
    if not _core_only(ck.inst):
        ck.notes_out.append("unused value: not checked (options are set)")
        return
    if report.objective_kind == "cost" or _v3_set(ck.inst):
        ck.notes_out.append("unused value: not checked (objective cost or v3 options)")
        return
    gain, where = _best_greedy_step(ck, a, report.objective_kind)
    if gain <= 0:
        return
    obj = report.objective_usd
    bound = getattr(ck.plan, "best_bound_usd", None)
    gap = getattr(ck.plan, "mip_gap", None)
    if not isinstance(bound, (int, float)) or not math.isfinite(bound):
        bound = obj + max(float(gap or 0.0), 1e-4) * abs(obj)
    ceiling = max(float(bound), obj)
    if obj + gain > ceiling + 1e-6 * max(1.0, abs(ceiling)) + 1e-3:
        ck.add(
            "unused value",
            where,
            f"the plan is reported optimal at {_fmt(obj)} USD (bound {_fmt(ceiling)}), "
            f"but this step keeps every constraint and adds {_fmt(gain)} USD",
        )
