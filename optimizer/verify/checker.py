"""The plan's tables read back, and the checks of the core constraint families and the objective.

Part of :mod:`optimizer.verify` (see its docstring).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer.instance.schema import Instance
from optimizer.verify.arrays import _Arrays
from optimizer.verify.floor import check_unused_value
from optimizer.verify.options import V3_CHECKS, _V3Figures
from optimizer.verify.report import Problem, _fmt, _ix, _label_index, _menu_entries, _per_period

if TYPE_CHECKING:
    from optimizer.verify.report import PairCoefficient, VerificationReport


class _Checker:
    def __init__(
        self,
        instance: Instance,
        plan: Any,
        coef: dict[tuple[str, str], PairCoefficient],
        rel_tol: float,
        abs_tol: float,
    ) -> None:
        self.inst = instance
        self.plan = plan
        self.coef = coef
        self.rel = rel_tol
        self.abs = abs_tol
        self.items: list[Problem] = []
        self.labels = [str(p) for p in instance.periods]
        self.index = _label_index(instance)
        self.n = len(self.labels)
        self.hw = {h.id: h for h in instance.hardware}
        self.tiers = {t.id: t for t in instance.tiers}
        self.objective_kind: str = instance.objective
        self.optimality = True
        self.notes_out: list[str] = []
        # price menus: (tier, period index) -> (entry, price, demand) the plan chose
        self.menu_choice: dict[tuple[str, int], tuple[int, float, float]] = {}
        self.v3: _V3Figures  # set in run(), once the plan is read
        # Option time_slices: the slices (one unnamed slice holding every hour when off),
        # their hours shares [s] and each tier's demand profile [t, s].
        self.sliced = bool(instance.time_slices)
        self.slices: list[str | None] = (
            [sl.id for sl in instance.time_slices or ()] if self.sliced else [None]
        )
        self.slice_of: dict[Any, int] = {x: k for k, x in enumerate(self.slices)}
        self.hours = np.array(
            [sl.hours_share for sl in instance.time_slices or ()] if self.sliced else [1.0]
        )
        self.profile = np.array(
            [
                [
                    float((t.demand_profile or {}).get(str(x), 0.0))
                    if t.demand_profile is not None
                    else float(self.hours[k])
                    for k, x in enumerate(self.slices)
                ]
                for t in instance.tiers
            ]
        ).reshape(len(instance.tiers), len(self.slices))

    # ------------------------------------------------------------------ helpers
    def add(self, family: str, index: str, message: str) -> None:
        self.items.append(Problem(family, index, message))

    def slack(self, a: float, b: float) -> float:
        return self.abs + self.rel * max(abs(a), abs(b))

    def exceeds(self, lhs: float, rhs: float) -> bool:
        """lhs > rhs beyond tolerance."""
        return lhs - rhs > self.slack(lhs, rhs)

    def differs(self, a: float, b: float) -> bool:
        return abs(a - b) > self.slack(a, b)

    def label(self, i: int) -> str:
        return str(self.inst.periods[i])

    def at(self, *parts: object, s: int) -> str:
        """An index for a message: the parts, then the slice's id when slices are set."""
        return _ix(*parts, self.slices[s]) if self.sliced else _ix(*parts)

    def slice_index(self, table: str, where: str, rec: Mapping[str, Any]) -> int | None:
        """The row's slice (option time_slices; 0 when off), or None with a problem."""
        if not self.sliced:
            return 0
        k = self.slice_of.get(rec.get("slice"))
        if k is None:
            self.add("plan", where, f"{table}: unknown time slice {rec.get('slice')!r}")
        return k

    def read_row(
        self, table: str, rec: Mapping[str, Any], keys: tuple[str, ...], column: str
    ) -> tuple[str, int, int, float] | None:
        """The row's place (``keys``, period, slice), period index, slice index and number
        in ``column``; None (with each problem reported) when any of them is not valid."""
        ids = [rec[k] for k in keys] + [rec["period"]] + ([rec["slice"]] if self.sliced else [])
        where = _ix(*ids)
        known: dict[str, Mapping[str, Any]] = {"hardware": self.hw, "tier": self.tiers}
        for k in keys:
            if rec[k] not in known[k]:
                self.add("plan", where, f"{table}: unknown {k} {rec[k]!r}")
                return None
        i = self.period(table, where, rec["period"])
        s = self.slice_index(table, where, rec)
        x = self.number(table, where, rec[column])
        if i is None or s is None or x is None:
            return None
        return where, i, s, x

    def add_up(
        self, table: str, where: str, acc: dict[Any, float], key: Any, x: float, what: str
    ) -> None:
        """Add a row's ``x`` to ``acc[key]``; a second row of the same key is reported."""
        if key in acc:
            self.add("plan", where, f"{table}: duplicated row ({what} added up)")
        acc[key] = acc.get(key, 0.0) + x

    def frame(self, name: str, required: list[str]) -> pd.DataFrame | None:
        df = getattr(self.plan, name, None)
        if df is None:
            self.add("plan", name, "table missing")
            return None
        if not isinstance(df, pd.DataFrame):
            self.add("plan", name, f"not a table ({type(df).__name__})")
            return None
        if df.empty:
            return df
        missing = [c for c in required if c not in df.columns]
        if missing:
            self.add("plan", name, f"missing column(s) {', '.join(missing)}")
            return None
        return df

    def number(self, table: str, where: str, value: Any) -> float | None:
        try:
            x = float(value)
        except (TypeError, ValueError):
            self.add("plan", where, f"{table}: {value!r} is not a number")
            return None
        if not math.isfinite(x):
            self.add("plan", where, f"{table}: {x} is not finite")
            return None
        if x < -self.abs:
            self.add("plan", where, f"{table}: {_fmt(x)} is negative")
        return x

    def period(self, table: str, where: str, value: Any) -> int | None:
        i = self.index.get(str(value))
        if i is None:
            self.add("plan", where, f"{table}: unknown period {value!r}")
        return i

    def unit_rows(self, table: str, df: pd.DataFrame) -> Iterator[tuple[str, int, float, str]]:
        """(hardware, period index, units, where) of each row of a hardware/period/units
        table that names known hardware and period and a number; the other rows are reported."""
        for h, p, u in df[["hardware", "period", "units"]].itertuples(index=False, name=None):
            where = _ix(h, p)
            if h not in self.hw:
                self.add("plan", where, f"{table}: unknown hardware {h!r}")
                continue
            i = self.period(table, where, p)
            units = self.number(table, where, u)
            if i is not None and units is not None:
                yield h, i, units, where

    # ------------------------------------------------------------------ read the plan
    def read_buy(self) -> dict[tuple[str, int], float]:
        buy: dict[tuple[str, int], float] = {}
        df = self.frame("buy", ["hardware", "period", "units"])
        if df is None or df.empty:
            return buy
        windows = {h: self.sale_window(self.hw[h]) for h in self.hw}
        for h, i, units, where in self.unit_rows("buy", df):
            self.add_up("buy", where, buy, (h, i), units, "units")
        for (h, i), units in buy.items():
            where = _ix(h, self.label(i))
            if abs(units - round(units)) > self.abs:
                self.add("integrality", where, f"buy {_fmt(units)} units is not a whole number")
            lo, hi = windows[h]
            if not lo <= i <= hi and units > self.abs:
                self.add(
                    "availability",
                    where,
                    f"{_fmt(units)} units bought in {self.label(i)}, outside the sale window "
                    f"{self.label(lo)}..{self.label(hi)}",
                )
        return buy

    def sale_window(self, hw: Any) -> tuple[int, int]:
        lo = 0 if hw.available_from is None else self.index[str(hw.available_from)]
        hi = self.n - 1 if hw.available_until is None else self.index[str(hw.available_until)]
        return lo, hi

    def read_serve(self) -> dict[tuple[str, str, int, int], float]:
        serve: dict[tuple[str, str, int, int], float] = {}
        cols = ["hardware", "tier", "period", "units"] + (["slice"] if self.sliced else [])
        df = self.frame("serve", cols)
        if df is None or df.empty:
            return serve
        has_mtok = "mtok" in df.columns
        has_mw = "it_mw" in df.columns
        for rec in df.to_dict("records"):
            read = self.read_row("serve", rec, ("hardware", "tier"), "units")
            if read is None:
                continue
            where, i, s, units = read
            h, t = rec["hardware"], rec["tier"]
            self.add_up("serve", where, serve, (h, t, i, s), units, "units")
            c = self.coef[(h, t)]
            if not c.usable:
                if units > self.abs:
                    self.add(
                        "usable pairs",
                        where,
                        f"{_fmt(units)} units serve {t!r} on {h!r}, a pair the frontier "
                        f"table cannot serve ({c.reason})",
                    )
                continue
            if has_mtok and rec["mtok"] is not None:
                made = units * c.a * float(self.hours[s])
                if self.differs(float(rec["mtok"]), made):
                    share = f"hours_share {float(self.hours[s]):g} * " if self.sliced else ""
                    self.add(
                        "production",
                        where,
                        f"serve reports {_fmt(float(rec['mtok']))} Mtok, but {share}a[h,t] * "
                        f"units = {_fmt(c.a)} * {_fmt(units)} = {_fmt(made)} Mtok",
                    )
            if has_mw and rec["it_mw"] is not None:
                mw = units * self.hw[h].power_kw / 1000
                if self.differs(float(rec["it_mw"]), mw):
                    self.add(
                        "power share",
                        where,
                        f"serve reports {_fmt(float(rec['it_mw']))} IT MW, but power_kw * units "
                        f"/ 1000 = {_fmt(mw)} MW",
                    )
        return serve

    def read_sold(self) -> dict[tuple[str, int, int], float]:
        sold: dict[tuple[str, int, int], float] = {}
        df = self.frame("sold", ["tier", "period", "mtok"] + (["slice"] if self.sliced else []))
        if df is None or df.empty:
            return sold
        prices = {t: _per_period(self.tiers[t].price_usd_per_mtok, self.labels) for t in self.tiers}
        for rec in df.to_dict("records"):
            read = self.read_row("sold", rec, ("tier",), "mtok")
            if read is None:
                continue
            where, i, s, mtok = read
            t = rec["tier"]
            self.add_up("sold", where, sold, (t, i, s), mtok, "Mtok")
            price = self.unit_price(t, i, prices[t][i])
            if "price_usd_per_mtok" in rec and rec["price_usd_per_mtok"] is not None:
                if self.differs(float(rec["price_usd_per_mtok"]), price):
                    self.add(
                        "objective",
                        where,
                        f"sold reports price {_fmt(float(rec['price_usd_per_mtok']))} USD/Mtok, "
                        f"the instance says {_fmt(price)}",
                    )
            if "revenue_usd" in rec and rec["revenue_usd"] is not None:
                if self.differs(float(rec["revenue_usd"]), price * mtok):
                    self.add(
                        "objective",
                        where,
                        f"sold reports revenue {_fmt(float(rec['revenue_usd']))} USD, but "
                        f"price * Mtok = {_fmt(price * mtok)} USD (undiscounted)",
                    )
        return sold

    # ------------------------------------------------------------------ option figures
    def unit_price(self, t: str, i: int, listed: float | None) -> float:
        """The tier's price in period i: the menu entry the plan chose, else the listed one."""
        if self.tiers[t].price_menu is not None:
            choice = self.menu_choice.get((t, i))
            return 0.0 if choice is None else choice[1]
        return listed or 0.0

    def read_price_menu(self) -> None:
        """The plan's ``price`` rows: one per menu tier and period that sells, on the menu."""
        df = getattr(self.plan, "price", None)
        if not isinstance(df, pd.DataFrame) or df.empty:
            return
        if not {"tier", "period", "price_usd_per_mtok"} <= set(df.columns):
            self.add("plan", "price", "missing column(s) tier, period or price_usd_per_mtok")
            return
        for rec in df.to_dict("records"):
            t, p = rec["tier"], rec["period"]
            where = _ix(t, p)
            tier = self.tiers.get(t)
            if tier is None or tier.price_menu is None:
                self.add("price menu", where, f"price row for {t!r}, which has no price menu")
                continue
            i = self.period("price", where, p)
            price = self.number("price", where, rec["price_usd_per_mtok"])
            if i is None or price is None:
                continue
            if (t, i) in self.menu_choice:
                self.add("price menu", where, "two prices in one period (sum_k pick <= 1)")
                continue
            entries = _menu_entries(tier, self.labels, i)
            match = [k for k, (x, _y) in enumerate(entries) if not self.differs(x, price)]
            if not match:
                listed = ", ".join(_fmt(x) for x, _y in entries)
                self.add("price menu", where, f"price {_fmt(price)} is not on the menu ({listed})")
                continue
            k = match[0]
            self.menu_choice[(t, i)] = (k, entries[k][0], entries[k][1])

    # ------------------------------------------------------------------ the checks
    def run(self, report: VerificationReport) -> None:
        """Read the plan into arrays, then run every family's check (see FAMILY_CHECKS)."""
        self.read_price_menu()
        buy = self.read_buy()
        serve = self.read_serve()
        sold = self.read_sold()
        a = _Arrays.build(self, buy, serve, sold)
        self.check_installed_table(
            {(h, i): float(a.installed[k, i]) for k, h in enumerate(a.H) for i in range(a.n)}
        )
        for check in FAMILY_CHECKS:
            check(self, a)
        self.v3 = _V3Figures.build(self, a)
        for v3_check in V3_CHECKS:
            v3_check(self, a)
        self.check_objective(report, a)
        check_unused_value(self, report, a)

    # One method per constraint family of docs/model.md, each on the arrays of _Arrays.
    # A new family is one more method, added to FAMILY_CHECKS below the class.
    def flag(self, family: str, lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """Indices where ``lhs > rhs`` beyond tolerance (elementwise)."""
        bad = lhs - rhs > self.abs + self.rel * np.maximum(np.abs(lhs), np.abs(rhs))
        return np.argwhere(bad)

    def check_capacity(self, a: _Arrays) -> None:
        """capacity[h,p(,s)]: sum_t serve <= installed, in every time slice."""
        used = a.serve_s.sum(axis=1)  # [h, p, s]
        for k, i, s in self.flag("capacity", used, a.installed[:, :, None]):
            self.add(
                "capacity",
                self.at(a.H[k], self.label(i), s=s),
                f"{_fmt(used[k, i, s])} units serve tiers > {_fmt(a.installed[k, i])} installed",
            )

    def check_production(self, a: _Arrays) -> None:
        """production[t,p(,s)]: sold <= sum_h hours_share[s] * a[h,t] * serve."""
        for t, i, s in self.flag("production", a.sold_s, a.made_s):
            self.add(
                "production",
                self.at(a.T[t], self.label(i), s=s),
                f"{_fmt(a.sold_s[t, i, s])} Mtok sold > {_fmt(a.made_s[t, i, s])} Mtok produced",
            )

    def check_demand(self, a: _Arrays) -> None:
        """demand[t,p(,s)]: sold <= demand_profile[t,s] * demand_mtok, where set."""
        cap = np.nan_to_num(a.demand)[:, :, None] * self.profile[:, None, :]
        # no cap: any slice sells what it makes (set after the product: inf * 0 is nan)
        cap = np.where(np.isnan(a.demand)[:, :, None], np.inf, cap)
        for t, i, s in self.flag("demand", a.sold_s, cap):
            self.add(
                "demand",
                self.at(a.T[t], self.label(i), s=s),
                f"{_fmt(a.sold_s[t, i, s])} Mtok sold > demand {_fmt(cap[t, i, s])} Mtok",
            )

    def check_power(self, a: _Arrays) -> None:
        """power[p]: pue * sum_h power_kw * installed / 1000 <= power_mw."""
        self.per_period("power", a.facility_mw, a.power_cap, "MW used > cap {cap} MW")

    def check_land(self, a: _Arrays) -> None:
        """land[p]: sum_h rack_positions * installed <= rack_positions."""
        self.per_period("land", a.racks_used, a.land_cap, "rack positions used > cap {cap}")

    def check_budget(self, a: _Arrays) -> None:
        """budget[p]: sum_h capex_usd * buy <= capex_budget_usd, where set."""
        cap = np.where(np.isnan(a.budget), np.inf, a.budget)
        self.per_period("budget", a.spend, cap, "USD spent > budget {cap} USD")

    def per_period(self, family: str, used: np.ndarray, cap: np.ndarray, what: str) -> None:
        """A per-period cap: one problem per period where ``used`` exceeds ``cap``, told as
        "<used> " + ``what`` with ``{cap}`` filled in."""
        for (i,) in self.flag(family, used, cap):
            self.add(family, self.label(i), f"{_fmt(used[i])} " + what.format(cap=_fmt(cap[i])))

    def check_power_share(self, a: _Arrays) -> None:
        """power share[t,p]: min_share * IT MW <= IT MW serving t <= max_share * IT MW.

        In MW, the unit of the model's rows (HiGHS's feasibility tolerance, 1e-7, applies
        there): an excess of 1e-8 MW is solver noise.
        """
        lo = a.min_share[:, None, None] * a.it_mw[None, :, None]
        hi = a.max_share[:, None, None] * a.it_mw[None, :, None]
        mw = a.tier_mw_s  # [t, p, s]: the bounds hold in every time slice
        for t, i, s in self.flag("power share", lo + 0 * mw, mw):
            self.add(
                "power share",
                self.at(a.T[t], self.label(i), s=s),
                f"{_fmt(mw[t, i, s])} IT MW serve it < min_power_share {a.min_share[t]:g} "
                f"* {_fmt(a.it_mw[i])} MW installed = {_fmt(lo[t, i, 0])} MW",
            )
        for t, i, s in self.flag("power share", mw, hi + 0 * mw):
            self.add(
                "power share",
                self.at(a.T[t], self.label(i), s=s),
                f"{_fmt(mw[t, i, s])} IT MW serve it > max_power_share {a.max_share[t]:g} "
                f"* {_fmt(a.it_mw[i])} MW installed = {_fmt(hi[t, i, 0])} MW",
            )
        self.check_share_column(a)

    def check_price_menu(self, a: _Arrays) -> None:
        """price menu[t,p] (option): sold <= Y of the entry chosen; nothing sold unpriced."""
        for j, t in enumerate(a.T):
            if self.tiers[t].price_menu is None:
                continue
            for i in range(a.n):
                s = float(a.sold[j, i])
                choice = self.menu_choice.get((t, i))
                where = _ix(t, self.label(i))
                if choice is None:
                    if s > self.abs:
                        self.add("price menu", where, f"{_fmt(s)} Mtok sold with no price chosen")
                elif self.exceeds(s, choice[2]):
                    self.add(
                        "price menu",
                        where,
                        f"{_fmt(s)} Mtok sold > demand {_fmt(choice[2])} Mtok at the chosen "
                        f"price {_fmt(choice[1])} (entry {choice[0]})",
                    )
                elif self.sliced:  # each slice sells at most its profile's share
                    for x in range(len(self.slices)):
                        cap = float(self.profile[j, x]) * choice[2]
                        got = float(a.sold_s[j, i, x])
                        if self.exceeds(got, cap):
                            self.add(
                                "price menu",
                                self.at(t, self.label(i), s=x),
                                f"{_fmt(got)} Mtok sold > demand_profile "
                                f"{float(self.profile[j, x]):g} * {_fmt(choice[2])} Mtok at "
                                f"the chosen price {_fmt(choice[1])} (entry {choice[0]})",
                            )

    def check_supply_and_lot(self, a: _Arrays) -> None:
        """supply[h]: sum_p buy <= max_units; minimum lot[h]: buy none or >= min_units."""
        total = a.buy.sum(axis=1)
        for k, h in enumerate(a.H):
            hw = self.hw[h]
            if hw.max_units is not None and self.exceeds(total[k], hw.max_units):
                self.add("supply", h, f"{_fmt(total[k])} units bought > max_units {hw.max_units}")
            if hw.min_units > 0 and total[k] > self.abs and self.exceeds(hw.min_units, total[k]):
                self.add(
                    "minimum lot",
                    h,
                    f"{_fmt(total[k])} units bought, fewer than min_units {hw.min_units} "
                    "(buy none or at least the lot)",
                )

    def check_installed_table(self, installed: dict[tuple[str, int], float]) -> None:
        df = self.frame("installed", ["hardware", "period", "units"])
        if df is None:
            return
        reported: dict[tuple[str, int], float] = {}
        if not df.empty:
            for h, i, units, where in self.unit_rows("installed", df):
                if (h, i) in reported:
                    self.add("plan", where, "installed: duplicated row")
                reported[(h, i)] = units
        for (h, i), units in installed.items():
            got = reported.get((h, i))
            if got is None:
                if units > self.abs:
                    self.add(
                        "installed",
                        _ix(h, self.label(i)),
                        f"no row, but existing units and buys within the lifetime give "
                        f"{_fmt(units)}",
                    )
            elif self.differs(got, units):
                self.add(
                    "installed",
                    _ix(h, self.label(i)),
                    f"plan reports {_fmt(got)} units, existing units and buys within the "
                    f"lifetime give {_fmt(units)}",
                )

    def check_share_column(self, a: _Arrays) -> None:
        df = getattr(self.plan, "sold", None)
        if not isinstance(df, pd.DataFrame) or df.empty or "power_share" not in df.columns:
            return
        t_of = {t: j for j, t in enumerate(a.T)}
        for rec in df.to_dict("records"):
            t, p, share = rec["tier"], rec["period"], rec["power_share"]
            i = self.index.get(str(p))
            s = self.slice_of.get(rec.get("slice")) if self.sliced else 0
            if t not in t_of or i is None or s is None or share is None:
                continue
            total = a.it_mw[i]
            expected = a.tier_mw_s[t_of[t], i, s] / total if total > 0 else 0.0
            if self.differs(float(share), expected):
                self.add(
                    "power share",
                    self.at(t, p, s=s),
                    f"sold reports power_share {_fmt(float(share))}, serve and installed give "
                    f"{_fmt(expected)}",
                )

    def check_objective(self, report: VerificationReport, a: _Arrays) -> None:
        w = a.weight
        revenue = float((w[None, :] * a.price * a.sold).sum())
        capex = float((w[None, :] * a.capex * a.buy).sum())
        energy = float((w[None, None, :] * a.energy_per_unit * a.serve).sum())
        residual = float((a.residual * a.buy).sum())
        fixed = float((w * a.fixed_cost).sum())
        kind = report.objective_kind
        # v3: idle power (part of electricity), opex and platforms; 0 when off or revenue
        idle, opex, platform = self.v3.costs(a) if kind != "revenue" else (0.0, 0.0, 0.0)
        energy += idle
        cost = capex + energy + opex + platform + fixed - residual
        objective = {"revenue": revenue, "profit": revenue - cost, "cost": cost}[kind]
        report.objective_usd = objective
        report.revenue_usd, report.capex_usd, report.energy_usd = revenue, capex, energy

        got = report.reported_objective_usd
        if got is None:
            self.add("objective", "", f"plan is {report.status} but has no objective_usd")
        elif not math.isfinite(got) or self.differs(got, objective):
            self.add(
                "objective",
                "",
                f"plan reports {_fmt(got)} USD, its buy/serve/sold give {_fmt(objective)} USD "
                f"({kind}: revenue {_fmt(revenue)}, capex {_fmt(capex)}, "
                f"electricity {_fmt(energy)}, residual value {_fmt(residual)}, "
                f"fixed cost {_fmt(fixed)}, opex {_fmt(opex)}, platforms {_fmt(platform)})",
            )
        for name, mine in (
            ("revenue_usd", revenue),
            ("capex_usd", capex),
            ("energy_usd", energy),
        ):
            theirs = getattr(self.plan, name, None)
            if kind == "revenue" and name != "revenue_usd":
                continue  # not part of a revenue objective; the plan may report them freely
            if isinstance(theirs, (int, float)) and self.differs(float(theirs), mine):
                self.add(
                    "objective",
                    name,
                    f"plan reports {_fmt(float(theirs))} USD, recomputed {_fmt(mine)} USD",
                )


# The family checks run on every plan, in this order (objective and unused value after).
FAMILY_CHECKS: tuple[Any, ...] = (
    _Checker.check_capacity,
    _Checker.check_production,
    _Checker.check_demand,
    _Checker.check_power,
    _Checker.check_land,
    _Checker.check_budget,
    _Checker.check_power_share,
    _Checker.check_price_menu,
    _Checker.check_supply_and_lot,
)
