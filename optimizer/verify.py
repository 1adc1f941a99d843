"""An independent checker of plans against the contract (``../shared/spec/MODEL.md``).

:func:`verify_plan` re-evaluates every constraint of MODEL.md and the objective from a
plan's ``buy``, ``serve`` and ``sold`` tables, with nothing but the instance, the frontier
rows and plain Python/numpy. It shares no code with the model on purpose: it does not use
Pyomo, :mod:`optimizer.model`, :mod:`optimizer.solve` or
:mod:`optimizer.frontiers.coefficients`. The coefficients r[h,t] and a[h,t] are recomputed
here from the frontier rows (MODEL.md steps 1-5), the installed units from the purchases and
lifetimes, the discount weights from the rate. A bug in the model, its data preparation or the
plan read-back then shows up as a violated check rather than as a wrong number nobody sees.

Each problem is one line that starts with the constraint family as MODEL.md names it and
its index, e.g. ``power[2027]: 1,012.3 MW used > cap 1,000 MW``. Families: capacity,
production, demand, power, land, budget, supply, minimum lot, power share, usable pairs
(serving with a pair the frontier table cannot serve), availability and integrality (of
``buy``), installed (lifetime / installed consistency), objective, and plan (a malformed
table: unknown ids, missing columns, non-finite or negative numbers, duplicated rows).

>>> from optimizer import solve
>>> from optimizer.verify import verify_plan
>>> plan = solve("instances/toy.yaml")                      # doctest: +SKIP
>>> verify_plan("instances/toy.yaml", plan).raise_if_failed()  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.frontiers.table import read_frontier_table
from optimizer.instance.load import load_instance
from optimizer.instance.schema import Instance

__all__ = [
    "FAMILIES",
    "PairCoefficient",
    "Problem",
    "VerificationError",
    "VerificationReport",
    "recompute_coefficients",
    "verify_plan",
]

SECONDS_PER_YEAR = 8760 * 3600  # 31,536,000 s, as MODEL.md's Units section
HOURS_PER_YEAR = 8760.0
SOLUTION_STATUSES = ("optimal", "time_limit")

FAMILIES = (
    "capacity",
    "production",
    "demand",
    "power",
    "land",
    "budget",
    "supply",
    "minimum lot",
    "power share",
    "usable pairs",
    "availability",
    "integrality",
    "installed",
    "objective",
    "plan",
)


class VerificationError(AssertionError):
    """A plan breaks the contract; the message lists every problem, one per line."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"plan fails {len(self.problems)} check(s):\n" + "\n".join(self.problems))


@dataclass(frozen=True)
class Problem:
    """One violated check: its family (as in MODEL.md), its index and what is wrong."""

    family: str
    index: str
    message: str

    def __str__(self) -> str:
        where = f"{self.family}[{self.index}]" if self.index else self.family
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class PairCoefficient:
    """r[h,t] (tok/s per accelerator) and a[h,t] (Mtok per unit per period) of one pair.

    ``usable`` is False when the frontier table cannot serve the pair; ``reason`` says why.
    """

    hardware: str
    tier: str
    usable: bool
    r: float = 0.0
    a: float = 0.0
    context_tokens: int | None = None
    reason: str = ""


@dataclass
class VerificationReport:
    """What :func:`verify_plan` found.

    ``objective_usd`` is the objective recomputed from the plan (None when the plan has no
    solution), ``reported_objective_usd`` the plan's own figure. ``items`` are the
    violated checks; ``problems`` their one-line texts; ``notes`` say what was not checked.
    """

    status: str
    objective_kind: str
    objective_usd: float | None = None
    reported_objective_usd: float | None = None
    revenue_usd: float | None = None
    capex_usd: float | None = None
    energy_usd: float | None = None
    items: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    coefficients: dict[tuple[str, str], PairCoefficient] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.items

    @property
    def problems(self) -> list[str]:
        return [str(p) for p in self.items]

    @property
    def families(self) -> set[str]:
        return {p.family for p in self.items}

    def by_family(self, family: str) -> list[str]:
        return [str(p) for p in self.items if p.family == family]

    def raise_if_failed(self) -> None:
        """Raise :class:`VerificationError` listing every problem, if there is any."""
        if self.items:
            raise VerificationError(self.problems)

    def __str__(self) -> str:
        head = (
            f"plan {self.status}: "
            + ("ok" if self.ok else f"{len(self.items)} problem(s)")
            + ("" if self.objective_usd is None else f", objective {_fmt(self.objective_usd)} USD")
        )
        return "\n".join([head, *self.problems, *(f"note: {n}" for n in self.notes)])


# --------------------------------------------------------------------------- formatting
def _fmt(x: float) -> str:
    """A number for a message: thousands separators, about 10 significant digits."""
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if not 1e-6 <= abs(x) < 1e15:
        return f"{x:.10g}"
    digits = min(15, max(0, 9 - math.floor(math.log10(abs(x)))))
    text = f"{x:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _ix(*parts: object) -> str:
    return ", ".join(str(p) for p in parts)


# ------------------------------------------------------------------- instance figures
def _label_index(instance: Instance) -> dict[str, int]:
    """Period label (as text) -> its position; labels compare as text, as in the loader."""
    out: dict[str, int] = {}
    for i, p in enumerate(instance.periods):
        out.setdefault(str(p), i)
    return out


def _per_period(value: Any, labels: list[str]) -> list[float | None]:
    """A scalar-or-{period: value} figure as one value per period; None stays None."""
    if value is None:
        return [None] * len(labels)
    if isinstance(value, Mapping):
        by_text = {str(k): v for k, v in value.items()}
        return [None if by_text.get(p) is None else float(by_text[p]) for p in labels]
    return [float(value)] * len(labels)


def _lifetime_periods(lifetime_years: float | None, period_years: float, n: int) -> int:
    """L[h] = ceil(lifetime_years / period_years); the whole horizon when unset."""
    if lifetime_years is None:
        return n
    # 1e-12 absorbs float noise such as 0.3 / 0.1 = 2.9999999999999996.
    return max(1, math.ceil(lifetime_years / period_years - 1e-12))


# ---------------------------------------------------------------------- coefficients
def _pareto_envelope(inter: np.ndarray, tput: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points no other point dominates (>= on both, > on one); duplicates kept once.

    Returned sorted by interactivity, ascending (throughput then strictly descends).
    O(n log n): at each interactivity only the highest throughput can survive, and it
    survives when it beats every point at a strictly higher interactivity.
    """
    order = np.lexsort((tput, inter))  # by interactivity, then throughput, ascending
    i, t = inter[order], tput[order]
    top = np.r_[i[1:] != i[:-1], True]  # the last (highest) throughput of each interactivity
    gi, gt = i[top], t[top]
    beyond = np.r_[np.maximum.accumulate(gt[::-1])[::-1][1:], -np.inf]  # max at higher i
    keep = gt > beyond
    return gi[keep], gt[keep]


def recompute_coefficients(
    instance: Instance, table: pd.DataFrame
) -> dict[tuple[str, str], PairCoefficient]:
    """r[h,t] and a[h,t] for every hardware x tier pair, by MODEL.md steps 1-5.

    1. the rows of h and t's model at the smallest table context >= the tier's context;
    2. without rows whose ttft_s exceeds the tier's max_ttft_s (where both are set);
    3. their Pareto upper envelope;
    4. r = tok/s per GPU at min_interactivity, linearly interpolated on the envelope; the
       envelope's highest throughput below its range; unusable above it;
    5. a = r * gpus_per_unit * utilization * 31,536,000 * period_years / 1e6.
    """
    has_ttft = "ttft_s" in table.columns
    groups: dict[tuple[str, str], tuple[np.ndarray, ...]] = {}
    for (h, m), g in table.groupby(["hardware", "model"], sort=False):
        ttft = (
            g["ttft_s"].to_numpy(dtype=float) if has_ttft else np.full(len(g), np.nan, dtype=float)
        )
        groups[(str(h), str(m))] = (
            g["context_tokens"].to_numpy(dtype=float),
            g["interactivity"].to_numpy(dtype=float),
            g["tok_s_per_gpu"].to_numpy(dtype=float),
            ttft,
        )

    out: dict[tuple[str, str], PairCoefficient] = {}
    # Tiers that share a model, context and TTFT cap share an envelope: computed once.
    envelopes: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}
    for hw in instance.hardware:
        for tier in instance.tiers:
            key = (hw.id, tier.id)

            def unusable(
                reason: str, ctx: int | None = None, h: str = hw.id, t: str = tier.id
            ) -> PairCoefficient:
                return PairCoefficient(h, t, usable=False, context_tokens=ctx, reason=reason)

            rows = groups.get((hw.id, tier.model))
            if rows is None:
                out[key] = unusable(f"no rows for model {tier.model!r} on {hw.id!r}")
                continue
            ctx, inter, tput, ttft = rows
            # Step 1: the smallest table context that covers the tier's.
            covering = ctx[ctx >= tier.context_tokens]
            if covering.size == 0:
                out[key] = unusable(
                    f"no rows at context >= {tier.context_tokens} (largest {int(ctx.max())})"
                )
                continue
            chosen = float(covering.min())
            sel = ctx == chosen
            # Step 2: the TTFT limit, where both the tier and the row set one.
            if tier.max_ttft_s is not None:
                sel &= ~(~np.isnan(ttft) & (ttft > tier.max_ttft_s))
            if not sel.any():
                out[key] = unusable(
                    f"every row at context {int(chosen)} has ttft_s > {tier.max_ttft_s}",
                    int(chosen),
                )
                continue
            # Step 3: the Pareto upper envelope.
            env_key = (hw.id, tier.model, chosen, tier.max_ttft_s)
            if env_key not in envelopes:
                envelopes[env_key] = _pareto_envelope(inter[sel], tput[sel])
            env_i, env_t = envelopes[env_key]
            # Step 4: throughput at the tier's minimum speed per user.
            x = float(tier.min_interactivity)
            if x > env_i[-1]:
                out[key] = unusable(
                    f"min_interactivity {x} is above every point (fastest {env_i[-1]})",
                    int(chosen),
                )
                continue
            if x < env_i[0]:
                r = float(env_t.max())
            else:
                k = int(np.searchsorted(env_i, x, side="left"))
                if env_i[k] == x:
                    r = float(env_t[k])
                else:
                    x0, x1 = float(env_i[k - 1]), float(env_i[k])
                    y0, y1 = float(env_t[k - 1]), float(env_t[k])
                    r = y0 + (x - x0) * (y1 - y0) / (x1 - x0)
            # Step 5: Mtok one unit makes in one period.
            a = (
                r
                * hw.gpus_per_unit
                * tier.utilization
                * SECONDS_PER_YEAR
                * instance.period_years
                / 1e6
            )
            out[key] = PairCoefficient(
                hw.id, tier.id, usable=True, r=r, a=a, context_tokens=int(chosen)
            )
    return out


# ------------------------------------------------------------------------- the checker
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

    # ------------------------------------------------------------------ read the plan
    def read_buy(self) -> dict[tuple[str, int], float]:
        buy: dict[tuple[str, int], float] = {}
        df = self.frame("buy", ["hardware", "period", "units"])
        if df is None or df.empty:
            return buy
        windows = {h: self.sale_window(self.hw[h]) for h in self.hw}
        for h, p, u in df[["hardware", "period", "units"]].itertuples(index=False, name=None):
            where = _ix(h, p)
            if h not in self.hw:
                self.add("plan", where, f"buy: unknown hardware {h!r}")
                continue
            i = self.period("buy", where, p)
            units = self.number("buy", where, u)
            if i is None or units is None:
                continue
            if (h, i) in buy:
                self.add("plan", where, "buy: duplicated row (units added up)")
            buy[(h, i)] = buy.get((h, i), 0.0) + units
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

    def read_serve(self) -> dict[tuple[str, str, int], float]:
        serve: dict[tuple[str, str, int], float] = {}
        df = self.frame("serve", ["hardware", "tier", "period", "units"])
        if df is None or df.empty:
            return serve
        has_mtok = "mtok" in df.columns
        has_mw = "it_mw" in df.columns
        for rec in df.to_dict("records"):
            h, t, p = rec["hardware"], rec["tier"], rec["period"]
            where = _ix(h, t, p)
            if h not in self.hw or t not in self.tiers:
                what = f"hardware {h!r}" if h not in self.hw else f"tier {t!r}"
                self.add("plan", where, f"serve: unknown {what}")
                continue
            i = self.period("serve", where, p)
            units = self.number("serve", where, rec["units"])
            if i is None or units is None:
                continue
            if (h, t, i) in serve:
                self.add("plan", where, "serve: duplicated row (units added up)")
            serve[(h, t, i)] = serve.get((h, t, i), 0.0) + units
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
                made = units * c.a
                if self.differs(float(rec["mtok"]), made):
                    self.add(
                        "production",
                        where,
                        f"serve reports {_fmt(float(rec['mtok']))} Mtok, but a[h,t] * units = "
                        f"{_fmt(c.a)} * {_fmt(units)} = {_fmt(made)} Mtok",
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

    def read_sold(self) -> dict[tuple[str, int], float]:
        sold: dict[tuple[str, int], float] = {}
        df = self.frame("sold", ["tier", "period", "mtok"])
        if df is None or df.empty:
            return sold
        prices = {t: _per_period(self.tiers[t].price_usd_per_mtok, self.labels) for t in self.tiers}
        for rec in df.to_dict("records"):
            t, p = rec["tier"], rec["period"]
            where = _ix(t, p)
            if t not in self.tiers:
                self.add("plan", where, f"sold: unknown tier {t!r}")
                continue
            i = self.period("sold", where, p)
            mtok = self.number("sold", where, rec["mtok"])
            if i is None or mtok is None:
                continue
            if (t, i) in sold:
                self.add("plan", where, "sold: duplicated row (Mtok added up)")
            sold[(t, i)] = sold.get((t, i), 0.0) + mtok
            price = prices[t][i] or 0.0
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

    # ------------------------------------------------------------------ the checks
    def run(self, report: VerificationReport) -> None:
        inst, n = self.inst, self.n
        buy = self.read_buy()
        serve = self.read_serve()
        sold = self.read_sold()
        labels = self.labels

        # installed[h,p] = existing + buys of the last L[h] periods.
        installed: dict[tuple[str, int], float] = {}
        for h, hw in self.hw.items():
            life = _lifetime_periods(hw.lifetime_years, inst.period_years, n)
            for i in range(n):
                alive = sum(buy.get((h, j), 0.0) for j in range(max(0, i - life + 1), i + 1))
                installed[(h, i)] = hw.existing_units + alive
        self.check_installed_table(installed)

        # capacity[h,p]: sum_t serve <= installed
        serving_units: dict[tuple[str, int], float] = {}
        for (h, _t, i), u in serve.items():
            serving_units[(h, i)] = serving_units.get((h, i), 0.0) + u
        for (h, i), used in serving_units.items():
            cap = installed[(h, i)]
            if self.exceeds(used, cap):
                self.add(
                    "capacity",
                    _ix(h, self.label(i)),
                    f"{_fmt(used)} units serve tiers > {_fmt(cap)} installed",
                )

        # production[t,p] and demand[t,p]
        produced: dict[tuple[str, int], float] = {}
        for (h, t, i), u in serve.items():
            c = self.coef[(h, t)]
            if c.usable:
                produced[(t, i)] = produced.get((t, i), 0.0) + c.a * u
        for t, tier in self.tiers.items():
            demand = _per_period(tier.demand_mtok, labels)
            for i in range(n):
                s = sold.get((t, i), 0.0)
                made = produced.get((t, i), 0.0)
                if self.exceeds(s, made):
                    self.add(
                        "production",
                        _ix(t, self.label(i)),
                        f"{_fmt(s)} Mtok sold > {_fmt(made)} Mtok produced",
                    )
                limit = demand[i]
                if limit is not None and self.exceeds(s, limit):
                    self.add(
                        "demand",
                        _ix(t, self.label(i)),
                        f"{_fmt(s)} Mtok sold > demand {_fmt(limit)} Mtok",
                    )

        # power[p], land[p], budget[p], power share[t,p]
        site = inst.site
        power_cap = _per_period(site.power_mw, labels)
        land_cap = _per_period(site.rack_positions, labels)
        budget_cap = _per_period(site.capex_budget_usd, labels)
        serving_mw: dict[tuple[str, int], float] = {}
        for (h, t, i), u in serve.items():
            serving_mw[(t, i)] = serving_mw.get((t, i), 0.0) + self.hw[h].power_kw * u / 1000
        for i in range(n):
            p = self.label(i)
            it_kw = sum(hw.power_kw * installed[(h, i)] for h, hw in self.hw.items())
            facility_mw = site.pue * it_kw / 1000
            cap_mw = power_cap[i] or 0.0
            if self.exceeds(facility_mw, cap_mw):
                self.add("power", p, f"{_fmt(facility_mw)} MW used > cap {_fmt(cap_mw)} MW")
            racks = sum(hw.rack_positions * installed[(h, i)] for h, hw in self.hw.items())
            cap_racks = land_cap[i] or 0.0
            if self.exceeds(racks, cap_racks):
                self.add(
                    "land",
                    p,
                    f"{_fmt(racks)} rack positions used > cap {_fmt(cap_racks)}",
                )
            budget = budget_cap[i]
            if budget is not None:
                spend = sum(hw.capex_usd * buy.get((h, i), 0.0) for h, hw in self.hw.items())
                if self.exceeds(spend, budget):
                    self.add("budget", p, f"{_fmt(spend)} USD spent > budget {_fmt(budget)} USD")
            # Power share in MW, the unit of the model's rows (HiGHS's feasibility
            # tolerance, 1e-7, applies there): an excess of 1e-8 MW is solver noise.
            it_mw = it_kw / 1000
            for t, tier in self.tiers.items():
                mw = serving_mw.get((t, i), 0.0)
                lo, hi = tier.min_power_share * it_mw, tier.max_power_share * it_mw
                if self.exceeds(lo, mw):
                    self.add(
                        "power share",
                        _ix(t, p),
                        f"{_fmt(mw)} IT MW serve it < min_power_share {tier.min_power_share} "
                        f"* {_fmt(it_mw)} MW installed = {_fmt(lo)} MW",
                    )
                if self.exceeds(mw, hi):
                    self.add(
                        "power share",
                        _ix(t, p),
                        f"{_fmt(mw)} IT MW serve it > max_power_share {tier.max_power_share} "
                        f"* {_fmt(it_mw)} MW installed = {_fmt(hi)} MW",
                    )
        self.check_share_column(serve, installed)

        # supply[h] and minimum lot[h]
        for h, hw in self.hw.items():
            total = sum(buy.get((h, i), 0.0) for i in range(n))
            if hw.max_units is not None and self.exceeds(total, hw.max_units):
                self.add("supply", h, f"{_fmt(total)} units bought > max_units {hw.max_units}")
            if hw.min_units > 0 and total > self.abs and self.exceeds(hw.min_units, total):
                self.add(
                    "minimum lot",
                    h,
                    f"{_fmt(total)} units bought, fewer than min_units {hw.min_units} "
                    "(buy none or at least the lot)",
                )

        self.check_objective(report, buy, serve, sold)

    def check_installed_table(self, installed: dict[tuple[str, int], float]) -> None:
        df = self.frame("installed", ["hardware", "period", "units"])
        if df is None:
            return
        reported: dict[tuple[str, int], float] = {}
        if not df.empty:
            for h, p, u in df[["hardware", "period", "units"]].itertuples(index=False, name=None):
                where = _ix(h, p)
                if h not in self.hw:
                    self.add("plan", where, f"installed: unknown hardware {h!r}")
                    continue
                i = self.period("installed", where, p)
                units = self.number("installed", where, u)
                if i is None or units is None:
                    continue
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

    def check_share_column(
        self,
        serve: dict[tuple[str, str, int], float],
        installed: dict[tuple[str, int], float],
    ) -> None:
        df = getattr(self.plan, "sold", None)
        if not isinstance(df, pd.DataFrame) or df.empty or "power_share" not in df.columns:
            return
        for t, p, share in df[["tier", "period", "power_share"]].itertuples(index=False, name=None):
            i = self.index.get(str(p))
            if t not in self.tiers or i is None or share is None:
                continue
            total = sum(hw.power_kw * installed[(h, i)] for h, hw in self.hw.items())
            mine = sum(
                self.hw[h].power_kw * u for (h, tt, j), u in serve.items() if tt == t and j == i
            )
            expected = mine / total if total > 0 else 0.0
            if self.differs(float(share), expected):
                self.add(
                    "power share",
                    _ix(t, p),
                    f"sold reports power_share {_fmt(float(share))}, serve and installed give "
                    f"{_fmt(expected)}",
                )

    def check_objective(
        self,
        report: VerificationReport,
        buy: dict[tuple[str, int], float],
        serve: dict[tuple[str, str, int], float],
        sold: dict[tuple[str, int], float],
    ) -> None:
        inst, n = self.inst, self.n
        w = [(1.0 + inst.discount_rate) ** (-i * inst.period_years) for i in range(n)]
        revenue = 0.0
        for (t, i), mtok in sold.items():
            price = _per_period(self.tiers[t].price_usd_per_mtok, self.labels)[i] or 0.0
            revenue += w[i] * price * mtok
        capex = sum(w[i] * self.hw[h].capex_usd * u for (h, i), u in buy.items())
        elec = _per_period(inst.site.electricity_usd_per_mwh, self.labels)
        energy = 0.0
        for (h, t, i), u in serve.items():
            mwh = (
                inst.site.pue
                * self.hw[h].power_kw
                / 1000
                * self.tiers[t].utilization
                * u
                * HOURS_PER_YEAR
                * inst.period_years
            )
            energy += w[i] * (elec[i] or 0.0) * mwh
        kind = report.objective_kind
        objective = revenue if kind == "revenue" else revenue - capex - energy
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
                f"electricity {_fmt(energy)})",
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


def verify_plan(
    instance: Instance | str | Path | Mapping[str, Any],
    plan: Any,
    table: pd.DataFrame | None = None,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-6,
) -> VerificationReport:
    """Check a plan against every constraint of MODEL.md and recompute its objective.

    Parameters
    ----------
    instance:
        The instance the plan was solved for (an :class:`Instance`, a path or a mapping).
    plan:
        A :class:`~optimizer.results.plan.Plan` (or anything with its ``buy``, ``serve``,
        ``sold``, ``installed`` tables, ``status``, ``objective_usd``, ``objective_kind``).
    table:
        The frontier rows; read from the instance when not given.
    rel_tol, abs_tol:
        A check fails when it is broken by more than ``abs_tol + rel_tol * max(|lhs|,
        |rhs|)`` in its own unit (units, Mtok, MW, rack positions, USD).

    A plan without a solution (status other than optimal / time_limit, or no objective)
    has nothing to check: the report is ok with a note saying so.
    """
    inst = load_instance(instance)
    status = str(getattr(plan, "status", "unknown"))
    kind = getattr(plan, "objective_kind", None)
    if kind not in ("revenue", "profit"):
        kind = inst.objective
    reported = getattr(plan, "objective_usd", None)
    report = VerificationReport(
        status=status,
        objective_kind=str(kind),
        reported_objective_usd=None if reported is None else float(reported),
    )
    if status not in SOLUTION_STATUSES:
        report.notes.append(f"status {status}: no solution, nothing checked")
        return report
    if reported is None and status == "time_limit":
        report.notes.append("time limit without an incumbent: nothing checked")
        return report

    if table is None:
        table = read_frontier_table(inst)
    coef = recompute_coefficients(inst, table)
    report.coefficients = coef
    checker = _Checker(inst, plan, coef, rel_tol, abs_tol)
    checker.run(report)
    report.items = checker.items
    if status == "time_limit":
        report.notes.append("time limit: feasibility checked, optimality not claimed")
    return report
