"""Coefficients of many pairs from one shuffled table: each pair's r, units per replica and
envelope equal a one-pair-at-a-time reference (docs/model.md steps 1-4, written plainly here).

compute_coefficients works on the whole table at once (rows grouped by hardware, model and
context in integer codes); these tests catch a row of one pair leaking into another, an
envelope walked in the wrong order, or a tie or missing value handled differently.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from optimizer import Instance, compute_coefficients, load_instance
from optimizer.frontiers.table import read_frontier_table

HARDWARE = ["b-hw", "a-hw", "c-hw"]  # not in sorted order: the envelope is sorted by id
MODELS = ["m1", "m2"]
CONTEXTS = [4096, 32768]


def _instance(
    hardware: list[str], tiers: list[dict[str, object]], rows: list[dict[str, object]]
) -> Instance:
    return load_instance(
        {
            "name": "grouped",
            "site": {"power_mw": 1, "rack_positions": 1},
            "hardware": [{"id": h, "gpus_per_unit": 8, "power_kw": 1} for h in hardware],
            "tiers": tiers,
            "frontiers": rows,
        }
    )


def _table(seed: int) -> list[dict[str, object]]:
    """Rows for every (hardware, model, context), with exact duplicates, equal speeds,
    missing TTFTs and missing units per replica, in shuffled order."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for h in HARDWARE:
        for m in MODELS:
            for c in CONTEXTS:
                for _ in range(12):
                    row: dict[str, object] = {
                        "hardware": h,
                        "model": m,
                        "context_tokens": c,
                        "interactivity": float(rng.choice([5, 10, 20, 30, 40, 60, 80])),
                        "tok_s_per_gpu": float(rng.choice([100, 200, 300, 500, 800])),
                    }
                    if rng.random() < 0.7:
                        row["ttft_s"] = float(rng.choice([0.5, 1.0, 2.0]))
                    if rng.random() < 0.4:
                        row["units_per_replica"] = int(rng.integers(1, 9))
                    rows.append(row)
    rows += [dict(r) for r in rows[::7]]  # exact duplicates
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def _tiers() -> list[dict[str, object]]:
    out = []
    for k, (speed, ctx, ttft) in enumerate(
        [(5, 4096, None), (25, 4096, 1.0), (40, 8192, None), (60, 32768, 0.5), (10, 4096, 2.0)]
    ):
        t: dict[str, object] = {
            "id": f"t{k}",
            "model": MODELS[k % 2],
            "context_tokens": ctx,
            "price_usd_per_mtok": 1,
            "min_interactivity": speed,
        }
        if ttft is not None:
            t["max_ttft_s"] = ttft
        out.append(t)
    return out


def _reference(rows: pd.DataFrame, tier: dict[str, object], hw: str) -> tuple[float, float]:
    """(r, units per replica) of one pair, NaN when unusable, walked row by row."""
    mine = rows[(rows["hardware"] == hw) & (rows["model"] == tier["model"])]
    ctxs = sorted(c for c in set(mine["context_tokens"]) if c >= tier["context_tokens"])
    if not ctxs:
        return math.nan, math.nan
    pts = []
    for k, r in enumerate(mine[mine["context_tokens"] == ctxs[0]].itertuples()):
        cap = tier.get("max_ttft_s")
        if cap is not None and not math.isnan(r.ttft_s) and r.ttft_s > cap:
            continue
        pts.append((r.interactivity, r.tok_s_per_gpu, k, r.units_per_replica))
    # envelope: by speed descending (ties: throughput descending, then table order), a
    # point is kept iff its throughput beats every point before it
    pts.sort(key=lambda p: (-p[0], -p[1], p[2]))
    env, best = [], -math.inf
    for p in pts:
        if p[1] > best:
            env.append(p)
            best = p[1]
    env.reverse()  # speed ascending
    x = float(tier["min_interactivity"])  # type: ignore[arg-type]
    below = [p for p in env if p[0] <= x]
    above = [p for p in env if p[0] >= x]
    if not above:
        return math.nan, math.nan
    hi = above[0]
    if below:
        lo = below[-1]
        span = hi[0] - lo[0]
        frac = (x - lo[0]) / span if span > 0 else 0.0
        r = lo[1] + frac * (hi[1] - lo[1])
    else:
        r = hi[1]
    u_lo = [p[3] for p in below if not math.isnan(p[3])]
    u_hi = [p[3] for p in above if not math.isnan(p[3])]
    units = [u for u in (u_lo[-1:] + u_hi[:1])]
    return r, max(units) if units else 1.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_pair_matches_a_one_pair_reference(seed: int) -> None:
    inst = _instance(HARDWARE, _tiers(), _table(seed))
    table = read_frontier_table(inst)
    coef = compute_coefficients(table, inst)
    pairs = coef.pairs.set_index(["hardware", "tier"])
    usable = 0
    for tier in _tiers():
        for h in HARDWARE:
            r, units = _reference(table, tier, h)
            got = pairs.loc[(h, tier["id"])]
            if math.isnan(r):
                assert not got["usable"] and got["reason"], (h, tier["id"])
                continue
            usable += 1
            assert got["usable"], (h, tier["id"], got["reason"])
            assert got["r_tok_s_per_gpu"] == r, (h, tier["id"])
            assert got["units_per_replica"] == units, (h, tier["id"])
    assert usable >= 6  # the seeds give both usable and unusable pairs

    env = coef.envelope
    keys = list(zip(env["hardware"], env["tier"], env["interactivity"], strict=True))
    assert keys == sorted(keys)  # by hardware id, tier id, speed; one point per speed
    assert len(set(keys)) == len(keys)
    for (h, t), part in env.groupby(["hardware", "tier"]):
        # strictly faster per user means strictly less throughput on the envelope
        assert (np.diff(part["tok_s_per_gpu"].to_numpy()) < 0).all(), (h, t)


def test_units_per_replica_from_the_nearest_points_that_give_one() -> None:
    # Envelope (10, 800, 4 units), (20, 600, none), (40, 300, 2 units), (50, 100, none); at
    # 30 tok/s/user the points interpolated between are 20 and 40: the nearest point at or
    # below 30 that gives a replica size is 10 (4 units), at or above it 40 (2): 4.
    rows = [
        {"interactivity": 10, "tok_s_per_gpu": 800, "units_per_replica": 4},
        {"interactivity": 20, "tok_s_per_gpu": 600},
        {"interactivity": 40, "tok_s_per_gpu": 300, "units_per_replica": 2},
        {"interactivity": 50, "tok_s_per_gpu": 100},
    ]
    tier = {"id": "t", "model": "m", "context_tokens": 8192, "min_interactivity": 30}
    table = [{"hardware": "h", "model": "m", "context_tokens": 8192, **r} for r in rows]
    inst = _instance(["h"], [{**tier, "price_usd_per_mtok": 1}], table)
    pair = compute_coefficients(read_frontier_table(inst), inst).pairs.iloc[0]
    assert pair["r_tok_s_per_gpu"] == 450.0  # 600 + (30 - 20) / 20 * (300 - 600)
    assert pair["units_per_replica"] == 4.0
