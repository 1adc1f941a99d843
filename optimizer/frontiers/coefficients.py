"""Coefficients r[h,t] and a[h,t] from a frontier table, as docs/model.md steps 1-5.

1. Context: take the rows of hardware h and tier t's model whose ``context_tokens``
   is the smallest value >= the tier's context (none: unusable).
2. TTFT: drop rows whose ``ttft_s`` exceeds the tier's ``max_ttft_s`` (both set).
3. Envelope: drop rows dominated by another row (>= interactivity and >= tok/s,
   one strictly); exact duplicates collapse to one.
4. Speed: r = tok/s per GPU at the tier's ``min_interactivity``, linearly
   interpolated on the envelope; the envelope's top throughput below its range;
   unusable above it.
5. Output: a[h,t] = r * gpus_per_unit * utilization * 31,536,000 * period_years / 1e6
   (Mtok one unit produces in one period).

Everything is vectorised with pandas/numpy: the table is grouped once, never
walked row by row in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.instance.schema import SECONDS_PER_YEAR, Instance

KEY = ["hardware", "tier"]


@dataclass(frozen=True)
class Coefficients:
    """Per (hardware, tier) pair: whether it can be used, why not, and its coefficients.

    ``pairs`` has one row per pair of the instance with columns ``hardware, tier,
    model, context_tokens`` (the table context used, or NaN), ``r_tok_s_per_gpu``,
    ``a_mtok_per_unit_period``, ``usable`` and ``reason`` (empty when usable).
    ``envelope`` holds the Pareto points each usable pair was interpolated on.
    """

    pairs: pd.DataFrame
    envelope: pd.DataFrame

    @property
    def usable(self) -> pd.DataFrame:
        return self.pairs[self.pairs["usable"]].reset_index(drop=True)

    @property
    def unusable(self) -> pd.DataFrame:
        return self.pairs[~self.pairs["usable"]].reset_index(drop=True)

    def units_per_replica(self) -> dict[tuple[str, str], float]:
        """Units one replica spans, usable pairs only (1 where the table gives none)."""
        u = self.usable
        keys = zip(u["hardware"], u["tier"], strict=True)
        return dict(zip(keys, u["units_per_replica"], strict=True))

    def a(self) -> dict[tuple[str, str], float]:
        """a[h,t] in Mtok per unit per period, usable pairs only."""
        u = self.usable
        keys = zip(u["hardware"], u["tier"], strict=True)
        return dict(zip(keys, u["a_mtok_per_unit_period"], strict=True))


def _tier_frame(instance: Instance) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tier": [t.id for t in instance.tiers],
            "model": [t.model for t in instance.tiers],
            "tier_context": [t.context_tokens for t in instance.tiers],
            "min_interactivity": [float(t.min_interactivity) for t in instance.tiers],
            "max_ttft_s": [
                np.nan if t.max_ttft_s is None else t.max_ttft_s for t in instance.tiers
            ],
            "utilization": [float(t.utilization) for t in instance.tiers],
        }
    )


def pareto_envelope(rows: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Keep, per group of ``key``, the rows no other row dominates (step 3).

    Sorted by interactivity descending (ties: throughput descending), a row is on
    the envelope iff its throughput beats every row before it in its group.
    """
    s = rows.sort_values(
        key + ["interactivity", "tok_s_per_gpu"], ascending=[True] * len(key) + [False, False]
    )
    group = s.groupby(key, sort=False).ngroup().to_numpy()
    env = s[on_envelope(group, s["tok_s_per_gpu"].to_numpy(dtype=float))]
    return env.sort_values(key + ["interactivity"]).reset_index(drop=True)


def on_envelope(group: np.ndarray, tput: np.ndarray) -> np.ndarray:
    """The rows on their group's envelope, for rows in walking order (grouped, each group
    by interactivity descending): those whose throughput beats every row before them in
    their group."""
    best = pd.Series(tput).groupby(group).cummax().to_numpy()
    first = np.r_[True, group[1:] != group[:-1]]
    before = np.where(first, -np.inf, np.r_[-np.inf, best[:-1]])
    return np.asarray(tput > before)


def compute_coefficients(table: pd.DataFrame, instance: Instance) -> Coefficients:
    """r[h,t] and a[h,t] for every hardware x tier pair of the instance, with reasons."""
    tiers = _tier_frame(instance)
    hw = pd.DataFrame(
        {
            "hardware": [h.id for h in instance.hardware],
            "gpus_per_unit": [h.gpus_per_unit for h in instance.hardware],
            "hw_scale": [h.frontier_scale for h in instance.hardware],
        }
    )
    pairs = hw.merge(tiers, how="cross")
    groups = _TableGroups(table)

    # Step 1: pick the context for each pair from the distinct contexts on offer.
    offered = groups.offered()
    cand = pairs[KEY + ["model", "tier_context"]].merge(offered, on=["hardware", "model"])
    has_model = cand.groupby(KEY).size().rename("n_contexts")
    largest = cand.groupby(KEY)["context_tokens"].max().rename("largest_context")
    cand = cand[cand["context_tokens"] >= cand["tier_context"]]
    chosen = cand.groupby(KEY)["context_tokens"].min().rename("context_tokens")
    pairs = pairs.join(has_model, on=KEY).join(largest, on=KEY).join(chosen, on=KEY)

    # Steps 2-4 over the rows of each pair at its context (numpy, see _PairRows).
    sel = pairs.dropna(subset=["context_tokens"]).astype({"context_tokens": np.int64})
    pr = _PairRows(groups, sel)
    pairs = pairs.join(pr.fastest_any, on=KEY).join(pr.ttft_at_speed, on=KEY)
    pairs = pairs.join(pr.min_ttft, on=KEY)
    pairs = pairs.join(pr.n_rows, on=KEY)
    env = pr.envelope()
    pairs = pairs.join(pr.fastest, on=KEY)
    r, upr = pr.interpolate()
    r = r * instance.frontier_scale  # option frontier_scale (1 = off)
    pairs = pairs.join(r, on=KEY)
    # option hardware[].frontier_scale (1 = off): this hardware's throughput uncertainty
    pairs["r_tok_s_per_gpu"] = pairs["r_tok_s_per_gpu"] * pairs["hw_scale"]
    pairs = pairs.join(upr, on=KEY)
    pairs["units_per_replica"] = pairs["units_per_replica"].fillna(1.0)

    # Step 5: Mtok per unit per period.
    pairs["a_mtok_per_unit_period"] = (
        pairs["r_tok_s_per_gpu"]
        * pairs["gpus_per_unit"]
        * pairs["utilization"]
        * SECONDS_PER_YEAR
        * instance.period_years
        / 1e6
    )
    # docs/model.md makes a pair unusable only at steps 1 and 4; a throughput of exactly 0 at
    # the tier's speed is usable (it produces nothing, but counts toward power shares).
    pairs["usable"] = pairs["r_tok_s_per_gpu"].notna()
    pairs["reason"] = _reasons(pairs)
    cols = KEY + [
        "model",
        "context_tokens",
        "r_tok_s_per_gpu",
        "a_mtok_per_unit_period",
        "units_per_replica",
        "usable",
        "reason",
    ]
    return Coefficients(pairs=pairs[cols].reset_index(drop=True), envelope=env)


class _TableGroups:
    """The frontier table's rows grouped by (hardware, model, context), in integer codes.

    ``order`` lists the rows group by group, each group by interactivity descending (ties:
    throughput descending, then table order): the order the envelope walks them in.
    """

    def __init__(self, table: pd.DataFrame) -> None:
        hw_codes, hw_names = pd.factorize(table["hardware"])
        model_codes, model_names = pd.factorize(table["model"])
        ctx = table["context_tokens"].to_numpy(dtype=np.int64)
        ctx_values, ctx_codes = np.unique(ctx, return_inverse=True)
        key = (hw_codes.astype(np.int64) * len(model_names) + model_codes) * len(
            ctx_values
        ) + ctx_codes.reshape(-1)
        self.inter = table["interactivity"].to_numpy(dtype=float)
        self.tput = table["tok_s_per_gpu"].to_numpy(dtype=float)
        self.ttft = table["ttft_s"].to_numpy(dtype=float)
        self.upr = (
            table["units_per_replica"].to_numpy(dtype=float)
            if "units_per_replica" in table.columns
            else np.full(len(table), np.nan)
        )
        self.order = np.lexsort((-self.tput, -self.inter, key))
        sorted_key = key[self.order]
        first = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
        self.start = first
        self.count = np.diff(np.r_[first, len(sorted_key)])
        g = sorted_key[first]
        n_ctx, n_model = len(ctx_values), len(model_names)
        hw_list, model_list = [str(h) for h in hw_names], [str(m) for m in model_names]
        self.names = [
            (hw_list[k // (n_model * n_ctx)], model_list[(k // n_ctx) % n_model])
            for k in g.tolist()
        ]
        self.contexts = ctx_values[g % n_ctx]
        self.index = {
            (h, m, int(c)): i
            for i, ((h, m), c) in enumerate(zip(self.names, self.contexts, strict=True))
        }

    def offered(self) -> pd.DataFrame:
        """The distinct (hardware, model, context_tokens) of the table."""
        return pd.DataFrame(
            {
                "hardware": [h for h, _ in self.names],
                "model": [m for _, m in self.names],
                "context_tokens": self.contexts.astype(np.int64),
            }
        )


class _PairRows:
    """Steps 2-4 for the pairs ``sel`` (each with its context), rows as numpy arrays.

    Every result is a Series indexed by (hardware, tier), holding the pairs that have
    one, as the groupby of the rows of each pair would give it.
    """

    def __init__(self, g: _TableGroups, sel: pd.DataFrame) -> None:
        hws, tiers_ = sel["hardware"].tolist(), sel["tier"].tolist()
        grp = np.array(
            [
                g.index[(h, m, c)]
                for h, m, c in zip(
                    hws, sel["model"].tolist(), sel["context_tokens"].tolist(), strict=True
                )
            ],
            dtype=np.int64,
        )
        self.keys = list(zip(hws, tiers_, strict=True))
        self.hardware, self.tier = sel["hardware"].array, sel["tier"].array
        self.index = pd.MultiIndex.from_arrays([self.hardware, self.tier], names=KEY)
        n = len(grp)
        counts = g.count[grp]
        pair = np.repeat(np.arange(n), counts)
        offset = np.arange(len(pair)) - np.repeat(np.cumsum(counts) - counts, counts)
        rows = g.order[np.repeat(g.start[grp], counts) + offset]
        inter, tput, ttft, upr = g.inter[rows], g.tput[rows], g.ttft[rows], g.upr[rows]
        xq = sel["min_interactivity"].to_numpy(dtype=float)
        max_ttft = sel["max_ttft_s"].to_numpy(dtype=float)
        self.xq = xq

        self.min_ttft = self._reduce(np.fmin, ttft, pair, n, "min_ttft_s")
        self.fastest_any = self._reduce(np.fmax, inter, pair, n, "fastest_any_interactivity")
        fast = inter >= xq[pair]
        self.ttft_at_speed = self._reduce(np.fmin, ttft[fast], pair[fast], n, "ttft_at_speed_s")
        keep = ~(~np.isnan(ttft) & ~np.isnan(max_ttft[pair]) & (ttft > max_ttft[pair]))
        pair, inter, tput, ttft, upr = pair[keep], inter[keep], tput[keep], ttft[keep], upr[keep]
        n_rows = np.bincount(pair, minlength=n)
        has = n_rows > 0
        self.n_rows = pd.Series(n_rows[has], index=self.index[has], name="n_rows", dtype=np.int64)

        # Step 3: walking each pair's rows by interactivity descending, a row is on the
        # envelope iff its throughput beats every row before it.
        on = on_envelope(pair, tput)
        # Ascending interactivity within each pair (the envelope's is strictly decreasing).
        idx = np.flatnonzero(on)
        idx = idx[np.lexsort((inter[idx], pair[idx]))]
        self.pair, self.inter, self.tput = pair[idx], inter[idx], tput[idx]
        self.ttft, self.upr = ttft[idx], upr[idx]
        self.n = n
        self.fastest = self._reduce(np.fmax, self.inter, self.pair, n, "fastest_interactivity")

    def _reduce(
        self, op: np.ufunc, values: np.ndarray, pair: np.ndarray, n: int, name: str
    ) -> pd.Series:
        """Per pair with rows: ``op`` over its values, NaN skipped (NaN if all are)."""
        out = np.full(n, np.nan)
        op.at(out, pair, values)
        has = np.bincount(pair, minlength=n) > 0
        return pd.Series(out[has], index=self.index[has], name=name, dtype=float)

    def envelope(self) -> pd.DataFrame:
        """The envelope rows, sorted by hardware, tier and interactivity."""
        rank = {k: i for i, k in enumerate(sorted(set(self.keys)))}
        pos = np.array([rank[k] for k in self.keys], dtype=np.int64)
        o = np.lexsort((self.inter, pos[self.pair]))
        p = self.pair[o]
        return pd.DataFrame(
            {
                "hardware": self.hardware.take(p),
                "tier": self.tier.take(p),
                "interactivity": self.inter[o],
                "tok_s_per_gpu": self.tput[o],
                "ttft_s": self.ttft[o],
                "units_per_replica": self.upr[o],
            }
        )

    def interpolate(self) -> tuple[pd.Series, pd.Series]:
        """Step 4: r at each pair's min_interactivity, and the units per replica there.

        Of the envelope points at or below the speed the last, at or above it the first;
        units per replica: the last (first) such point that gives one.
        """
        n, pair, inter = self.n, self.pair, self.inter
        end = len(pair)  # the index of a NaN appended to each column: "no such point"
        tput, upr = np.r_[self.tput, np.nan], np.r_[self.upr, np.nan]
        x = self.xq[pair]
        below, above, given = inter <= x, inter >= x, ~np.isnan(self.upr)

        def last(mask: np.ndarray) -> np.ndarray:
            at = np.full(n, -1)
            np.maximum.at(at, pair[mask], np.flatnonzero(mask))
            return np.where(at < 0, end, at)

        def first(mask: np.ndarray) -> np.ndarray:
            at = np.full(n, end)
            np.minimum.at(at, pair[mask], np.flatnonzero(mask))
            return at

        hi_at = first(above)
        has = hi_at < end
        lo, hi = last(below)[has], hi_at[has]
        inter_x = np.r_[inter, np.nan]
        span = inter_x[hi] - inter_x[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = (self.xq[has] - inter_x[lo]) / np.where(span > 0, span, np.nan)
        frac = np.where(np.isnan(frac), 0.0, frac)
        interp = tput[lo] + frac * (tput[hi] - tput[lo])
        # Below the envelope's range (no lower point): its highest throughput, the slowest.
        r = np.where(lo < end, interp, tput[hi])
        # Units one replica spans at that speed: of the rows interpolated between, the
        # larger (a blend of two layouts needs the larger one's granularity).
        u = np.fmax(upr[first(above & given)[has]], upr[last(below & given)[has]])
        index = self.index[has]
        return (
            pd.Series(r, index=index, name="r_tok_s_per_gpu", dtype=float),
            pd.Series(u, index=index, name="units_per_replica", dtype=float),
        )


def _reasons(p: pd.DataFrame) -> pd.Series:
    """Why each unusable pair cannot serve its tier, in words."""
    reason = pd.Series("", index=p.index, dtype=object)

    def put(mask: pd.Series, text: Callable[[pd.DataFrame], pd.Series] | str) -> None:
        """The pairs of ``mask`` without a reason yet get ``text`` (worded for those only)."""
        m = mask & (reason == "")
        if m.any():
            reason[m] = text if isinstance(text, str) else text(p[m])

    put(p["n_contexts"].isna(), lambda q: "no rows for model " + q["model"] + " on this hardware")
    put(
        p["context_tokens"].isna(),
        lambda q: (
            "no rows at context >= "
            + q["tier_context"].astype(str)
            + " (largest: "
            + q["largest_context"].fillna(0).astype(np.int64).astype(str)
            + ")"
        ),
    )
    put(
        p["n_rows"].isna(),
        lambda q: (
            "TTFT too high: fastest first token "
            + q["min_ttft_s"].round(3).astype(str)
            + " s > max_ttft_s "
            + q["max_ttft_s"].astype(str)
            + " s"
        ),
    )
    # Rows fast enough exist, but every one of them misses the TTFT cap: the cap is the cause.
    capped = p["r_tok_s_per_gpu"].isna() & p["ttft_at_speed_s"].notna() & p["max_ttft_s"].notna()
    put(
        capped,
        lambda q: (
            "TTFT too high at this speed: rows at >= "
            + q["min_interactivity"].map(_g)
            + " tok/s/user take "
            + q["ttft_at_speed_s"].map(_g)
            + " s or more to the first token > max_ttft_s "
            + q["max_ttft_s"].map(_g)
            + " s (within the cap the fastest point is "
            + q["fastest_interactivity"].map(_g)
            + " tok/s/user; the table reaches "
            + q["fastest_any_interactivity"].map(_g)
            + ")"
        ),
    )
    put(
        p["r_tok_s_per_gpu"].isna(),
        lambda q: (
            "speed above the table: min_interactivity "
            + q["min_interactivity"].map(_g)
            + " > fastest point "
            + q["fastest_any_interactivity"].fillna(q["fastest_interactivity"]).map(_g)
            + " tok/s/user"
        ),
    )
    return reason


def _g(x: object) -> str:
    """A figure of a reason: 3 significant digits (56.0, 49.1, 0.52), '?' when missing."""
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "?"
    if v != v:
        return "?"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
