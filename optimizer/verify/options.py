"""The checks of the v3 options of docs/model.md (forecast, commitments, delivery, cooling,
price moves) and their costs.

Part of :mod:`optimizer.verify` (see its docstring).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.instance.schema import Instance
from optimizer.verify.report import HOURS_PER_YEAR, _fmt, _ix, _per_period

if TYPE_CHECKING:
    from optimizer.verify.arrays import _Arrays
    from optimizer.verify.checker import _Checker


def _v3_set(inst: Instance) -> bool:
    """True when the instance sets any v3 option (docs/model.md "v3 options")."""
    for h in inst.hardware:
        if h.opex_usd_per_year or h.idle_power_share or h.platform or h.cooling:
            return True
        if isinstance(h.delivery_share, Mapping) or h.delivery_share != 1:
            return True
    return any(t.committed_mtok is not None or t.max_price_change for t in inst.tiers)


@dataclass
class _V3Figures:
    """The v3 options' figures as arrays (docs/model.md "v3 options"), in contract units."""

    opex: np.ndarray  # [h, p] USD per installed unit per period (period_years included)
    idle_usd: np.ndarray  # [h, p] USD of idle-power electricity per installed unit
    late: np.ndarray  # [h, p] 1 - delivery_share
    committed: np.ndarray  # [t, p] Mtok (nan when unset)
    platform_of: list[str | None]  # [h]
    platform_cost: dict[str, float]  # USD per year
    cooling_of: list[str | None]  # [h]
    cooling_cap: dict[str, np.ndarray]  # class -> [p] rack positions
    years: float  # period_years

    @classmethod
    def build(cls, ck: _Checker, a: _Arrays) -> _V3Figures:
        inst, n, labels = ck.inst, ck.n, ck.labels
        hws = [ck.hw[h] for h in a.H]
        years = inst.period_years

        def per(value: Any, default: float) -> np.ndarray:
            got = _per_period(value, labels)
            return np.array([default if v is None else v for v in got], dtype=float)

        elec = per(inst.site.electricity_usd_per_mwh, 0.0)
        opex = np.array([per(h.opex_usd_per_year, 0.0) * years for h in hws]).reshape(-1, n)
        idle = np.array(
            [
                h.idle_power_share
                * inst.site.pue
                * h.power_kw
                / 1000
                * HOURS_PER_YEAR
                * years
                * elec
                for h in hws
            ]
        ).reshape(-1, n)
        late = np.array([1.0 - per(h.delivery_share, 1.0) for h in hws]).reshape(-1, n)
        committed = np.array([per(ck.tiers[t].committed_mtok, np.nan) for t in a.T]).reshape(-1, n)
        caps: dict[str, np.ndarray] = {}
        if inst.site.cooling is not None:
            for c in ("air", "liquid"):
                given = getattr(inst.site.cooling, c)
                if given is not None:
                    caps[c] = per(given, 0.0)
        return cls(
            opex=opex,
            idle_usd=idle,
            late=late,
            committed=committed,
            platform_of=[h.platform for h in hws],
            platform_cost={f.id: f.fixed_cost_usd_per_year for f in inst.platforms},
            cooling_of=[h.cooling for h in hws],
            cooling_cap=caps,
            years=years,
        )

    def adopted(self, a: _Arrays) -> dict[str, np.ndarray]:
        """Platform -> [p] True where any of its units is installed."""
        out: dict[str, np.ndarray] = {}
        for k, f in enumerate(self.platform_of):
            if f is not None:
                out[f] = out.get(f, np.zeros(a.n, dtype=bool)) | (a.installed[k] > 0)
        return out

    def costs(self, a: _Arrays) -> tuple[float, float, float]:
        """Discounted idle-power electricity, opex and platform fixed cost, USD."""
        idle = float((a.weight[None, :] * self.idle_usd * a.installed).sum())
        opex = float((a.weight[None, :] * self.opex * a.installed).sum())
        platform = sum(
            float((a.weight * on).sum()) * self.platform_cost.get(f, 0.0) * self.years
            for f, on in self.adopted(a).items()
        )
        return idle, opex, platform


def _check_forecast(ck: _Checker, a: _Arrays) -> None:
    """forecast[t,p(,s)] (objective cost): sold >= demand_mtok (the forecast is served);
    with time slices each slice sells its share, sold[t,p,s] >= demand_profile[t,s] *
    demand_mtok[t,p]."""
    if ck.objective_kind != "cost":
        return
    need = np.where(np.isnan(a.demand), 0.0, a.demand)[:, :, None] * ck.profile[:, None, :]
    for t, i, s in ck.flag("forecast", need, a.sold_s):
        ck.add(
            "forecast",
            ck.at(a.T[t], ck.label(i), s=s),
            f"{_fmt(a.sold_s[t, i, s])} Mtok sold < forecast {_fmt(need[t, i, s])} Mtok",
        )


def _check_committed(ck: _Checker, a: _Arrays) -> None:
    """committed[t,p]: sold >= committed_mtok, where set."""
    need = np.nan_to_num(ck.v3.committed)
    for t, i in ck.flag("committed", need, a.sold):
        ck.add(
            "committed",
            _ix(a.T[t], ck.label(i)),
            f"{_fmt(a.sold[t, i])} Mtok sold < committed {_fmt(need[t, i])} Mtok",
        )


def _check_delivery(ck: _Checker, a: _Arrays) -> None:
    """delivery[h,p(,s)]: sum_t serve <= installed - (1 - delivery_share) * buy, in every
    time slice."""
    usable = a.installed - ck.v3.late * a.buy
    used = a.serve_s.sum(axis=1)  # [h, p, s]
    for k, i, s in ck.flag("delivery", used, usable[:, :, None]):
        ck.add(
            "delivery",
            ck.at(a.H[k], ck.label(i), s=s),
            f"{_fmt(used[k, i, s])} units serve tiers > {_fmt(usable[k, i])} delivered in time "
            f"({_fmt(a.installed[k, i])} installed, {_fmt(a.buy[k, i])} bought with "
            f"delivery_share {1 - ck.v3.late[k, i]:g})",
        )


def _check_cooling(ck: _Checker, a: _Arrays) -> None:
    """cooling[c,p]: rack positions of hardware needing class c <= the site's c positions."""
    for c in ("air", "liquid"):
        rows = [k for k, need in enumerate(ck.v3.cooling_of) if need == c]
        if not rows:
            continue
        cap = ck.v3.cooling_cap.get(c, np.zeros(a.n))
        used = (a.racks[rows, None] * a.installed[rows]).sum(axis=0)
        for (i,) in ck.flag("cooling", used, cap):
            ck.add(
                "cooling",
                _ix(c, ck.label(i)),
                f"{_fmt(used[i])} {c}-cooled rack positions used > {_fmt(cap[i])}",
            )


def _check_price_move(ck: _Checker, a: _Arrays) -> None:
    """price move[t,p]: a menu tier's price moves by at most max_price_change to p+1."""
    for t in a.T:
        tier = ck.tiers[t]
        if tier.max_price_change is None or tier.price_menu is None:
            continue
        for i in range(a.n - 1):
            now, nxt = ck.menu_choice.get((t, i)), ck.menu_choice.get((t, i + 1))
            if now is None or nxt is None:
                continue
            x, x2 = now[1], nxt[1]
            if abs(x2 - x) > tier.max_price_change * x * (1 + 1e-9) + ck.abs:
                ck.add(
                    "price move",
                    _ix(t, ck.label(i)),
                    f"price moves from {_fmt(x)} to {_fmt(x2)} USD/Mtok in "
                    f"{ck.label(i + 1)}, more than max_price_change {tier.max_price_change:g}",
                )


V3_CHECKS: tuple[Any, ...] = (
    _check_forecast,
    _check_committed,
    _check_delivery,
    _check_cooling,
    _check_price_move,
)
