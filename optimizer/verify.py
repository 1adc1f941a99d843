"""An independent checker of plans against the model of ``docs/model.md``.

:func:`verify_plan` re-evaluates every constraint of docs/model.md and the objective from a
plan's ``buy``, ``serve`` and ``sold`` tables, with nothing but the instance, the frontier
rows and plain Python/numpy. It shares no code with the model on purpose: it does not use
Pyomo, :mod:`optimizer.model`, :mod:`optimizer.solve` or
:mod:`optimizer.frontiers.coefficients`. The coefficients r[h,t] and a[h,t] are recomputed
here from the frontier rows (docs/model.md steps 1-5), the installed units from the purchases and
lifetimes, the discount weights from the rate. A bug in the model, its data preparation or the
plan read-back then shows up as a violated check rather than as a wrong number nobody sees.

Each problem is one line that starts with the constraint family as docs/model.md names it and
its index, e.g. ``power[2027]: 1,012.3 MW used > cap 1,000 MW``. Families: capacity,
production, demand, power, land, budget, supply, minimum lot, power share, usable pairs
(serving with a pair the frontier table cannot serve), availability and integrality (of
``buy``), installed (lifetime / installed consistency), objective, and plan (a malformed
table: unknown ids, missing columns, non-finite or negative numbers, duplicated rows).
With the option ``time_slices`` the plan's ``serve`` and ``sold`` rows name their slice and
capacity, production, demand, power share, price menu, delivery and the cost objective's
forecast are checked in every slice (the index then ends with the slice id); energy weighs
each slice's units by its hours share, and commitments bound the slices' sum.

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

SECONDS_PER_YEAR = 8760 * 3600  # 31,536,000 s, as docs/model.md's Units section
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
    "forecast",
    "committed",
    "delivery",
    "cooling",
    "price move",
    "power share",
    "price menu",
    "unused value",
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
    """One violated check: its family (as in docs/model.md), its index and what is wrong."""

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


# ------------------------------------------------------------------- v2 figures
def _menu_entries(tier: Any, labels: list[str], i: int) -> list[tuple[float, float]]:
    """(price USD/Mtok, demand Mtok) of every entry of a tier's price menu in period i."""
    return [
        (
            _per_period(e.price_usd_per_mtok, labels)[i] or 0.0,
            _per_period(e.demand_mtok, labels)[i] or 0.0,
        )
        for e in tier.price_menu or ()
    ]


# ---------------------------------------------------------------------- coefficients
def _pareto_envelope(inter: np.ndarray, tput: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points no other point dominates (>= on both, > on one); duplicates kept once.

    Returned sorted by interactivity, ascending (throughput then strictly descends).
    O(n log n): at each interactivity only the highest throughput can survive, and it
    survives when it beats every point at a strictly higher interactivity.
    """
    order = np.lexsort((tput, inter))  # by interactivity, then throughput, ascending
    i, t = inter[order], tput[order]
    top = np.empty(len(i), dtype=bool)  # the last (highest) throughput of each interactivity
    top[:-1] = i[1:] != i[:-1]
    top[-1] = True
    gi, gt = i[top], t[top]
    beyond = np.empty(len(gt))  # the highest throughput at a strictly higher interactivity
    beyond[:-1] = np.maximum.accumulate(gt[::-1])[::-1][1:]
    beyond[-1] = -np.inf
    keep = gt > beyond
    return gi[keep], gt[keep]


def _groups(table: pd.DataFrame) -> dict[tuple[str, str], tuple[np.ndarray, ...]]:
    """(hardware, model) -> (context, interactivity, tok/s, ttft) arrays, in one pass."""
    n = len(table)
    if n == 0:
        return {}
    hw_codes, hw_names = pd.factorize(table["hardware"].astype(str), sort=False)
    m_codes, m_names = pd.factorize(table["model"].astype(str), sort=False)
    key = hw_codes.astype(np.int64) * len(m_names) + m_codes
    order = np.argsort(key, kind="stable")
    key = key[order]
    cols = [table[c].to_numpy(dtype=float)[order] for c in ("context_tokens", "interactivity")]
    cols.append(table["tok_s_per_gpu"].to_numpy(dtype=float)[order])
    if "ttft_s" in table.columns:
        cols.append(table["ttft_s"].to_numpy(dtype=float)[order])
    else:
        cols.append(np.full(n, np.nan))
    cuts = np.flatnonzero(np.diff(key)) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [n]))
    out = {}
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        k = int(key[a])
        name = (str(hw_names[k // len(m_names)]), str(m_names[k % len(m_names)]))
        out[name] = tuple(c[a:b] for c in cols)
    return out


def recompute_coefficients(
    instance: Instance, table: pd.DataFrame
) -> dict[tuple[str, str], PairCoefficient]:
    """r[h,t] and a[h,t] for every hardware x tier pair, by docs/model.md steps 1-5.

    1. the rows of h and t's model at the smallest table context >= the tier's context;
    2. without rows whose ttft_s exceeds the tier's max_ttft_s (where both are set);
    3. their Pareto upper envelope;
    4. r = tok/s per GPU at min_interactivity, linearly interpolated on the envelope; the
       envelope's highest throughput below its range; unusable above it;
    5. a = r * gpus_per_unit * utilization * 31,536,000 * period_years / 1e6.
    """
    groups = _groups(table)

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
            r *= instance.frontier_scale * hw.frontier_scale  # options frontier_scale (1 = off)
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
        self.objective_kind: str = instance.objective
        self.optimality = True
        self.notes_out: list[str] = []
        # v2 price menus: (tier, period index) -> (entry, price, demand) the plan chose
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

    def read_serve(self) -> dict[tuple[str, str, int, int], float]:
        serve: dict[tuple[str, str, int, int], float] = {}
        cols = ["hardware", "tier", "period", "units"] + (["slice"] if self.sliced else [])
        df = self.frame("serve", cols)
        if df is None or df.empty:
            return serve
        has_mtok = "mtok" in df.columns
        has_mw = "it_mw" in df.columns
        for rec in df.to_dict("records"):
            h, t, p = rec["hardware"], rec["tier"], rec["period"]
            where = _ix(h, t, p, rec["slice"]) if self.sliced else _ix(h, t, p)
            if h not in self.hw or t not in self.tiers:
                what = f"hardware {h!r}" if h not in self.hw else f"tier {t!r}"
                self.add("plan", where, f"serve: unknown {what}")
                continue
            i = self.period("serve", where, p)
            s = self.slice_index("serve", where, rec)
            units = self.number("serve", where, rec["units"])
            if i is None or s is None or units is None:
                continue
            if (h, t, i, s) in serve:
                self.add("plan", where, "serve: duplicated row (units added up)")
            serve[(h, t, i, s)] = serve.get((h, t, i, s), 0.0) + units
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
            t, p = rec["tier"], rec["period"]
            where = _ix(t, p, rec["slice"]) if self.sliced else _ix(t, p)
            if t not in self.tiers:
                self.add("plan", where, f"sold: unknown tier {t!r}")
                continue
            i = self.period("sold", where, p)
            s = self.slice_index("sold", where, rec)
            mtok = self.number("sold", where, rec["mtok"])
            if i is None or s is None or mtok is None:
                continue
            if (t, i, s) in sold:
                self.add("plan", where, "sold: duplicated row (Mtok added up)")
            sold[(t, i, s)] = sold.get((t, i, s), 0.0) + mtok
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

    # ------------------------------------------------------------------ v2 figures
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
        self.check_unused_value(report, a)

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
        for (i,) in self.flag("power", a.facility_mw, a.power_cap):
            self.add(
                "power",
                self.label(i),
                f"{_fmt(a.facility_mw[i])} MW used > cap {_fmt(a.power_cap[i])} MW",
            )

    def check_land(self, a: _Arrays) -> None:
        """land[p]: sum_h rack_positions * installed <= rack_positions."""
        for (i,) in self.flag("land", a.racks_used, a.land_cap):
            self.add(
                "land",
                self.label(i),
                f"{_fmt(a.racks_used[i])} rack positions used > cap {_fmt(a.land_cap[i])}",
            )

    def check_budget(self, a: _Arrays) -> None:
        """budget[p]: sum_h capex_usd * buy <= capex_budget_usd, where set."""
        cap = np.where(np.isnan(a.budget), np.inf, a.budget)
        for (i,) in self.flag("budget", a.spend, cap):
            self.add(
                "budget",
                self.label(i),
                f"{_fmt(a.spend[i])} USD spent > budget {_fmt(a.budget[i])} USD",
            )

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
        """price menu[t,p] (v2): sold <= Y of the entry chosen; nothing sold unpriced."""
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

    def check_unused_value(self, report: VerificationReport, a: _Arrays) -> None:
        """unused value: an "optimal" plan that a trivially feasible change beats.

        A greedy step: buy one more unit (or a whole minimum lot) of one hardware in one
        period, where power, land, budget, supply and every power share still hold, and
        let it serve in each period of its life the tier that earns most there (or idle).
        If that plan beats the plan's own best bound, the plan was not optimal: the check
        that keeps a zero plan (a solver that dropped a coefficient) from passing.
        """
        if not self.optimality or report.status != "optimal" or report.objective_usd is None:
            return
        if not _v1_only(self.inst):
            self.notes_out.append("unused value: not checked (v2 options are set)")
            return
        if report.objective_kind == "cost" or _v3_set(self.inst):
            self.notes_out.append("unused value: not checked (objective cost or v3 options)")
            return
        gain, where = _best_greedy_step(self, a, report.objective_kind)
        if gain <= 0:
            return
        obj = report.objective_usd
        bound = getattr(self.plan, "best_bound_usd", None)
        gap = getattr(self.plan, "mip_gap", None)
        if not isinstance(bound, (int, float)) or not math.isfinite(bound):
            bound = obj + max(float(gap or 0.0), 1e-4) * abs(obj)
        ceiling = max(float(bound), obj)
        if obj + gain > ceiling + 1e-6 * max(1.0, abs(ceiling)) + 1e-3:
            self.add(
                "unused value",
                where,
                f"the plan is reported optimal at {_fmt(obj)} USD (bound {_fmt(ceiling)}), "
                f"but this step keeps every constraint and adds {_fmt(gain)} USD",
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
    capex: np.ndarray  # [h, p] USD per unit bought in p (v2: capex by period)
    residual: np.ndarray  # [h, p] USD credited per unit bought in p (v2: residual value)
    fixed_cost: np.ndarray  # [p] USD of site fixed cost per period (v2), undiscounted
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

        # v2: existing units and capex may be given per period
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
        # Residual value (v2, straight line): w_end * capex * max(0, life - (N - i) * years)
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


def _v1_only(inst: Instance) -> bool:
    """True when the instance uses none of docs/model.md's v2 options, which the greedy step of
    the ``unused value`` floor does not model (per-period capex or existing units, price
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


def verify_plan(
    instance: Instance | str | Path | Mapping[str, Any],
    plan: Any,
    table: pd.DataFrame | None = None,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-6,
    optimality: bool = True,
) -> VerificationReport:
    """Check a plan against every constraint of docs/model.md and recompute its objective.

    Parameters
    ----------
    instance:
        The instance the plan was solved for (an :class:`Instance`, a path or a mapping).
    plan:
        A :class:`~optimizer.results.plan.Plan` (or anything with its ``buy``, ``serve``,
        ``sold``, ``installed`` tables, ``status``, ``objective_usd``, ``objective_kind``).
    table:
        The frontier rows; read from the instance when not given.
    optimality:
        Also fail an "optimal" plan that a one-step greedy addition beats (family
        ``unused value``). False for plans optimal only under extra restrictions (a
        purchase plan held fixed).
    rel_tol, abs_tol:
        A check fails when it is broken by more than ``abs_tol + rel_tol * max(|lhs|,
        |rhs|)`` in its own unit (units, Mtok, MW, rack positions, USD).

    A plan without a solution (status other than optimal / time_limit, or no objective)
    has nothing to check: the report is ok with a note saying so.
    """
    inst = load_instance(instance)
    status = str(getattr(plan, "status", "unknown"))
    kind = getattr(plan, "objective_kind", None)
    if kind not in ("revenue", "profit", "cost"):
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
    checker.objective_kind = report.objective_kind
    checker.optimality = optimality
    checker.run(report)
    report.items = checker.items
    report.notes += checker.notes_out
    if status == "time_limit":
        report.notes.append("time limit: feasibility checked, optimality not claimed")
    return report
