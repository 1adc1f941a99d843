"""Coefficients r[h,t] and a[h,t] from a frontier table, as MODEL.md steps 1-5.

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
    running_best = s.groupby(key, sort=False)["tok_s_per_gpu"].cummax()
    best_before = running_best.groupby([s[k] for k in key], sort=False).shift(1).fillna(-np.inf)
    env = s[s["tok_s_per_gpu"].to_numpy() > best_before.to_numpy()]
    return env.sort_values(key + ["interactivity"]).reset_index(drop=True)


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

    # Step 1: pick the context for each pair from the distinct contexts on offer.
    offered = table[["hardware", "model", "context_tokens"]].drop_duplicates()
    cand = pairs[KEY + ["model", "tier_context"]].merge(offered, on=["hardware", "model"])
    has_model = cand.groupby(KEY).size().rename("n_contexts")
    largest = cand.groupby(KEY)["context_tokens"].max().rename("largest_context")
    cand = cand[cand["context_tokens"] >= cand["tier_context"]]
    chosen = cand.groupby(KEY)["context_tokens"].min().rename("context_tokens")
    pairs = pairs.join(has_model, on=KEY).join(largest, on=KEY).join(chosen, on=KEY)

    # Step 2: the rows of each pair at its context, TTFT filter applied.
    sel = pairs.dropna(subset=["context_tokens"]).astype({"context_tokens": np.int64})
    rows = sel[KEY + ["model", "context_tokens", "max_ttft_s"]].merge(
        table[
            ["hardware", "model", "context_tokens", "interactivity", "tok_s_per_gpu", "ttft_s"]
            + (["units_per_replica"] if "units_per_replica" in table.columns else [])
        ],
        on=["hardware", "model", "context_tokens"],
    )
    too_slow = (
        rows["ttft_s"].notna() & rows["max_ttft_s"].notna() & (rows["ttft_s"] > rows["max_ttft_s"])
    )
    min_ttft = rows.groupby(KEY)["ttft_s"].min().rename("min_ttft_s")
    # For the reasons of unusable pairs: how fast the table goes at all, and how long the
    # first token takes on the rows fast enough for the tier (the TTFT cap may be the cause).
    fastest_any = rows.groupby(KEY)["interactivity"].max().rename("fastest_any_interactivity")
    speedy = rows.merge(tiers[["tier", "min_interactivity"]], on="tier")
    speedy = speedy[speedy["interactivity"] >= speedy["min_interactivity"]]
    ttft_at_speed = speedy.groupby(KEY)["ttft_s"].min().rename("ttft_at_speed_s")
    pairs = pairs.join(fastest_any, on=KEY).join(ttft_at_speed, on=KEY)
    rows = rows[~too_slow]
    pairs = pairs.join(min_ttft, on=KEY)
    pairs = pairs.join(rows.groupby(KEY).size().rename("n_rows"), on=KEY)

    # Step 3: Pareto upper envelope.
    if "units_per_replica" not in rows.columns:
        rows = rows.assign(units_per_replica=np.nan)
    env = pareto_envelope(
        rows[KEY + ["interactivity", "tok_s_per_gpu", "ttft_s", "units_per_replica"]], KEY
    )
    fastest = env.groupby(KEY)["interactivity"].max().rename("fastest_interactivity")
    pairs = pairs.join(fastest, on=KEY)

    # Step 4: interpolate at the tier's min_interactivity.
    e = env.merge(tiers[["tier", "min_interactivity"]], on="tier")
    x = e["min_interactivity"]
    cols = ["interactivity", "tok_s_per_gpu", "units_per_replica"]
    lower = e[e["interactivity"] <= x].groupby(KEY).last()[cols]
    upper = e[e["interactivity"] >= x].groupby(KEY).first()[cols]
    lu = upper.add_suffix("_hi").join(lower.add_suffix("_lo"), how="left")
    lu = lu.join(pairs.set_index(KEY)["min_interactivity"])
    span = lu["interactivity_hi"] - lu["interactivity_lo"]
    frac = ((lu["min_interactivity"] - lu["interactivity_lo"]) / span.where(span > 0)).fillna(0.0)
    interp = lu["tok_s_per_gpu_lo"] + frac * (lu["tok_s_per_gpu_hi"] - lu["tok_s_per_gpu_lo"])
    # Below the envelope's range (no lower point): its highest throughput, the slowest point.
    r = interp.where(lu["interactivity_lo"].notna(), lu["tok_s_per_gpu_hi"]).rename(
        "r_tok_s_per_gpu"
    )
    r = r * instance.frontier_scale  # option frontier_scale (1 = off)
    pairs = pairs.join(r, on=KEY)
    # option hardware[].frontier_scale (1 = off): this hardware's throughput uncertainty
    pairs["r_tok_s_per_gpu"] = pairs["r_tok_s_per_gpu"] * pairs["hw_scale"]
    # Units one replica spans at that speed: of the rows interpolated between, the larger
    # (a blend of two layouts needs the larger one's granularity); 1 when the table has none.
    upr = (
        lu[["units_per_replica_hi", "units_per_replica_lo"]].max(axis=1).rename("units_per_replica")
    )
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
    # MODEL.md makes a pair unusable only at steps 1 and 4; a throughput of exactly 0 at
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


def _reasons(p: pd.DataFrame) -> pd.Series:
    """Why each unusable pair cannot serve its tier, in words."""
    reason = pd.Series("", index=p.index, dtype=object)

    def put(mask: pd.Series, text: pd.Series | str) -> None:
        m = mask & (reason == "")
        reason[m] = text[m] if isinstance(text, pd.Series) else text

    put(p["n_contexts"].isna(), "no rows for model " + p["model"] + " on this hardware")
    put(
        p["context_tokens"].isna(),
        "no rows at context >= "
        + p["tier_context"].astype(str)
        + " (largest: "
        + p["largest_context"].fillna(0).astype(np.int64).astype(str)
        + ")",
    )
    put(
        p["n_rows"].isna(),
        "TTFT too high: fastest first token "
        + p["min_ttft_s"].round(3).astype(str)
        + " s > max_ttft_s "
        + p["max_ttft_s"].astype(str)
        + " s",
    )
    # Rows fast enough exist, but every one of them misses the TTFT cap: the cap is the cause.
    capped = p["r_tok_s_per_gpu"].isna() & p["ttft_at_speed_s"].notna() & p["max_ttft_s"].notna()
    put(
        capped,
        "TTFT too high at this speed: rows at >= "
        + p["min_interactivity"].map(_g)
        + " tok/s/user take "
        + p["ttft_at_speed_s"].map(_g)
        + " s or more to the first token > max_ttft_s "
        + p["max_ttft_s"].map(_g)
        + " s (within the cap the fastest point is "
        + p["fastest_interactivity"].map(_g)
        + " tok/s/user; the table reaches "
        + p["fastest_any_interactivity"].map(_g)
        + ")",
    )
    put(
        p["r_tok_s_per_gpu"].isna(),
        "speed above the table: min_interactivity "
        + p["min_interactivity"].map(_g)
        + " > fastest point "
        + p["fastest_any_interactivity"].fillna(p["fastest_interactivity"]).map(_g)
        + " tok/s/user",
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
