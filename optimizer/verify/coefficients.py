"""r[h,t] and a[h,t] recomputed from the frontier rows (docs/model.md steps 1-5), on their own.

Part of :mod:`optimizer.verify` (see its docstring).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from optimizer.instance.schema import Instance
from optimizer.verify.report import SECONDS_PER_YEAR, PairCoefficient


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
