"""The plan as dense arrays (hardware x tier x period x slice) that the family checks compare.

Part of :mod:`optimizer.verify` (see its docstring).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.verify.report import HOURS_PER_YEAR, _lifetime_periods, _per_period

if TYPE_CHECKING:
    from optimizer.verify.checker import _Checker


@dataclass
class _Arrays:
    """The plan and the instance as arrays: hardware x tier x period, in contract units."""

    H: list[str]
    T: list[str]
    n: int
    buy: np.ndarray  # [h, p] units bought
    serve: np.ndarray  # [h, t, p] unit-periods serving (slices weighted by their hours)
    sold: np.ndarray  # [t, p] Mtok (the slices' sum)
    serve_s: np.ndarray  # [h, t, p, s] units serving in time slice s (one slice when off)
    sold_s: np.ndarray  # [t, p, s] Mtok sold in time slice s
    made_s: np.ndarray  # [t, p, s] Mtok produced in time slice s
    tier_mw_s: np.ndarray  # [t, p, s] IT MW serving each tier in time slice s
    installed: np.ndarray  # [h, p] existing + buys within the lifetime
    life: np.ndarray  # [h] L[h] in periods
    window: np.ndarray  # [h, 2] first and last period on sale
    a: np.ndarray  # [h, t] Mtok per unit per period (0 when unusable)
    usable: np.ndarray  # [h, t]
    kw: np.ndarray  # [h]
    racks: np.ndarray  # [h]
    capex: np.ndarray  # [h, p] USD per unit bought in p (capex by period)
    residual: np.ndarray  # [h, p] USD credited per unit bought in p (residual value option)
    fixed_cost: np.ndarray  # [p] USD of site fixed cost per period (option), undiscounted
    min_units: np.ndarray  # [h]
    max_units: np.ndarray  # [h] (inf when unset)
    pue: float
    weight: np.ndarray  # [p] discount weights
    price: np.ndarray  # [t, p] USD per Mtok
    demand: np.ndarray  # [t, p] Mtok (nan when unset)
    min_share: np.ndarray  # [t]
    max_share: np.ndarray  # [t]
    power_cap: np.ndarray  # [p] MW
    land_cap: np.ndarray  # [p]
    budget: np.ndarray  # [p] USD (nan when unset)
    energy_per_unit: np.ndarray  # [h, t, p] USD per serving unit (0 unless profit)
    made: np.ndarray  # [t, p] Mtok produced
    it_mw: np.ndarray  # [p] installed IT MW
    facility_mw: np.ndarray  # [p]
    racks_used: np.ndarray  # [p]
    spend: np.ndarray  # [p] USD
    tier_mw: np.ndarray  # [t, p] IT MW serving each tier

    @classmethod
    def build(
        cls,
        ck: _Checker,
        buy: dict[tuple[str, int], float],
        serve: dict[tuple[str, str, int, int], float],
        sold: dict[tuple[str, int, int], float],
    ) -> _Arrays:
        inst, n = ck.inst, ck.n
        H, T = list(ck.hw), list(ck.tiers)
        hi = {h: k for k, h in enumerate(H)}
        ti = {t: k for k, t in enumerate(T)}
        B = np.zeros((len(H), n))
        for (h, i), u in buy.items():
            B[hi[h], i] += u
        ns = len(ck.slices)
        S4 = np.zeros((len(H), len(T), n, ns))
        for (h, t, i, s), u in serve.items():
            if ck.coef[(h, t)].usable:
                S4[hi[h], ti[t], i, s] += u
        Q3 = np.zeros((len(T), n, ns))
        for (t, i, s), q in sold.items():
            Q3[ti[t], i, s] += q
        # Per-period figures: unit-periods (slices weighted by their hours) and Mtok summed.
        S = S4 @ ck.hours
        Q = Q3.sum(axis=2)
        hws = [ck.hw[h] for h in H]
        tiers = [ck.tiers[t] for t in T]
        life = np.array([_lifetime_periods(h.lifetime_years, inst.period_years, n) for h in hws])
        # installed[h,i] = existing + buys of periods i-L+1..i (a running sum over a window).
        cum = np.concatenate([np.zeros((len(H), 1)), np.cumsum(B, axis=1)], axis=1)
        idx = np.arange(n)
        start = np.maximum(0, idx[None, :] - life[:, None] + 1)
        alive = cum[:, 1:] - np.take_along_axis(cum, start, axis=1)
        labels = ck.labels

        def per(value: Any) -> np.ndarray:
            return np.array([np.nan if v is None else v for v in _per_period(value, labels)])

        # existing units and capex may be given per period
        existing = np.array([np.nan_to_num(per(h.existing_units)) for h in hws]).reshape(-1, n)
        installed = existing + alive
        A = np.array([[ck.coef[(h, t)].a if ck.coef[(h, t)].usable else 0.0 for t in T] for h in H])
        usable = np.array([[ck.coef[(h, t)].usable for t in T] for h in H], dtype=bool)
        A = A.reshape(len(H), len(T))
        usable = usable.reshape(len(H), len(T))
        kw = np.array([h.power_kw for h in hws], dtype=float)
        racks = np.array([h.rack_positions for h in hws], dtype=float)
        capex = np.array([np.nan_to_num(per(h.capex_usd)) for h in hws]).reshape(len(H), n)
        price = np.array(
            [
                [
                    ck.unit_price(t.id, i, v)
                    for i, v in enumerate(_per_period(t.price_usd_per_mtok, labels))
                ]
                for t in tiers
            ]
        ).reshape(len(T), n)
        demand = np.array([per(t.demand_mtok) for t in tiers]).reshape(len(T), n)
        # Residual value (option, straight line): w_end * capex * max(0, life - (N - i) * years)
        # / life per unit bought in period i, for hardware with a lifetime.
        residual = np.zeros((len(H), n))
        if inst.residual_value == "straight_line" and ck.objective_kind in ("profit", "cost"):
            w_end = (1.0 + inst.discount_rate) ** (-n * inst.period_years)
            for k, spec in enumerate(hws):
                life_y = spec.lifetime_years
                if life_y is not None:
                    left = np.maximum(0.0, life_y - (n - np.arange(n)) * inst.period_years)
                    residual[k] = w_end * capex[k] * left / life_y
        fixed = np.full(n, inst.site.fixed_cost_usd_per_year * inst.period_years)
        site = inst.site
        elec = np.nan_to_num(per(site.electricity_usd_per_mwh))
        util = np.array([t.utilization for t in tiers], dtype=float)
        busy = 1.0 - np.array([h.idle_power_share for h in hws], dtype=float)  # v3 idle power
        energy = (
            busy[:, None, None]
            * site.pue
            * kw[:, None, None]
            / 1000
            * util[None, :, None]
            * HOURS_PER_YEAR
            * inst.period_years
            * elec[None, None, :]
        )
        if ck.objective_kind not in ("profit", "cost"):
            energy = np.zeros_like(energy)
        weight = np.array(
            [(1.0 + inst.discount_rate) ** (-i * inst.period_years) for i in range(n)]
        )
        it_mw = kw @ installed / 1000
        return cls(
            H=H,
            T=T,
            n=n,
            buy=B,
            serve=S,
            sold=Q,
            serve_s=S4,
            sold_s=Q3,
            made_s=np.einsum("ht,htps->tps", A, S4) * ck.hours[None, None, :],
            tier_mw_s=np.einsum("h,htps->tps", kw, S4) / 1000,
            installed=installed,
            life=life,
            window=np.array([ck.sale_window(h) for h in hws], dtype=int).reshape(len(H), 2),
            a=A,
            usable=usable,
            kw=kw,
            racks=racks,
            capex=capex,
            residual=residual,
            fixed_cost=fixed,
            min_units=np.array([float(h.min_units) for h in hws]),
            max_units=np.array(
                [np.inf if h.max_units is None else float(h.max_units) for h in hws]
            ),
            pue=site.pue,
            weight=weight,
            price=price,
            demand=demand,
            min_share=np.array([t.min_power_share for t in tiers], dtype=float),
            max_share=np.array([t.max_power_share for t in tiers], dtype=float),
            power_cap=np.nan_to_num(per(site.power_mw)),
            land_cap=np.nan_to_num(per(site.rack_positions)),
            budget=per(site.capex_budget_usd),
            energy_per_unit=energy,
            made=np.einsum("ht,htp->tp", A, S),
            it_mw=it_mw,
            facility_mw=site.pue * it_mw,
            racks_used=racks @ installed,
            spend=(capex * B).sum(axis=0),
            tier_mw=np.einsum("h,htp->tp", kw, S) / 1000,
        )
