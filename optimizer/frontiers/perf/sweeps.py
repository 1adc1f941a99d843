"""Rules on the source data of the calibration points (issue 19), decided before any fit.

:func:`sparse_sweep_bounds`: which measured points are lower bounds of the envelope.
:func:`pool_restated`: a disaggregated run's fixed prefill pool restated at scale.

A benchmark's best point where its sweep was sparse is a lower bound of the envelope, not a
point on it: between two points of one sweep where throughput falls by more than
:data:`SPARSE_DROP` while speed rises by less than :data:`SPARSE_SPEEDUP`, the batch sizes in
between were not run. The rule reads only the source data (the sweep's own points), never the
model, and is applied to every row of ``calibration/points.csv`` (the CSV records its result in
``bound`` and ``upper``; a test checks they agree). See ``optimizer/data/frontiers/calibration.md``.
"""

from __future__ import annotations

import pandas as pd

SPARSE_DROP = 3.0
SPARSE_SPEEDUP = 2.0
SWEEP_KEYS = ["hardware", "model", "isl", "osl", "technique", "profile"]


def sweep_steps(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per pair of neighbouring points of one sweep, indexed by the faster point's row.

    Rows of one sweep share the source (after resolving "same" to the row above's), hardware,
    model, workload, technique and profile. Columns: ``fall`` (the slower point's throughput /
    this one's), ``speedup`` (this speed / the slower point's) and ``previous`` (the slower
    point's throughput).
    """
    src = frame["source"].astype(str).replace("same", pd.NA).ffill()
    rows: dict[object, tuple[float, float, float]] = {}
    for _, grp in frame.assign(_src=src).groupby([*SWEEP_KEYS, "_src"], sort=False):
        g = grp.sort_values("interactivity")
        speed = g["interactivity"].astype(float).to_numpy()
        tput = g["tok_s_per_gpu"].astype(float).to_numpy()
        for i in range(1, len(g)):
            rows[g.index[i]] = (tput[i - 1] / tput[i], speed[i] / speed[i - 1], tput[i - 1])
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["fall", "speedup", "previous"])
    return out.reindex([i for i in frame.index if i in rows])


def sparse_sweep_bounds(frame: pd.DataFrame) -> pd.DataFrame:
    """``bound`` and ``upper`` of every row of a points table, by the sparse-sweep rule: a row
    is ``lower`` (with ``upper`` the sweep's previous point's throughput) when its step from
    that point falls by more than SPARSE_DROP at less than SPARSE_SPEEDUP the speed, else
    ``point``."""
    bound = pd.Series("point", index=frame.index, dtype=object)
    upper = pd.Series("", index=frame.index, dtype=object)
    steps = sweep_steps(frame)
    sparse = steps[(steps["fall"] > SPARSE_DROP) & (steps["speedup"] < SPARSE_SPEEDUP)]
    bound[sparse.index] = "lower"
    upper[sparse.index] = [f"{v:g}" for v in sparse["previous"]]
    return pd.DataFrame({"bound": bound, "upper": upper})


def effective_ratio(modelled: float, measured: float, bound: str, upper: float | None) -> float:
    """modelled / measured, scored as the point's kind says.

    A ``point`` is two-sided: the ratio itself. A ``lower`` point (the best a sparse sweep
    reached) bounds the envelope from below and, through the sweep's next slower point,
    from above: inside [measured, upper] the model is not wrong (1.0); below it the ratio to
    the measured point, above it the ratio to ``upper`` (no upper: one-sided).
    """
    if bound != "lower":
        return modelled / measured
    if modelled < measured:
        return modelled / measured
    if upper is not None and modelled > upper:
        return modelled / upper
    return 1.0


POOL_KEYS = ["run", "hardware", "model", "isl", "osl"]


def pool_restated(frame: pd.DataFrame) -> pd.Series:
    """Each row's tok/s per GPU at scale: a disaggregated run's fixed prefill pool restated.

    A benchmark run of a disaggregated deployment divides its tokens by all its GPUs, prefill
    pool included, and keeps that pool fixed across its sweep, so at small concurrency the pool
    is mostly idle; the model (and a planner at scale) pools prefill across replicas and buys
    the share the load needs. For a row whose source gives the run's prefill and decode GPU
    counts (``prefill_gpus`` P, ``decode_gpus`` D, ``run``), the prefill load is the source's
    own request rate x isl (requests/s = tok/s per GPU x (P + D) / tokens counted per request);
    the run's demonstrated prefill rate R is the highest load per prefill GPU among its rows of
    the same hardware, model and workload; at scale the row needs load / R prefill GPUs, so
    ``tok/s per GPU x (P + D) / (D + load / R)``. R is what the run's pool did, not what it could
    do, so the restated figure is itself a lower bound of the at-scale figure (a pool busier than
    any the run showed is never assumed). Rows without those fields keep their figure.
    """
    t = frame["tok_s_per_gpu"].astype(float)
    blank = pd.Series("", index=frame.index)
    p = pd.to_numeric(frame.get("prefill_gpus", blank), "coerce")
    d = pd.to_numeric(frame.get("decode_gpus", blank), "coerce")
    run = frame.get("run", blank).astype(str)
    has = (p > 0) & (d > 0) & (run != "")
    isl, osl = frame["isl"].astype(float), frame["osl"].astype(float)
    per_req = (isl + osl).where(frame["counts"].astype(str) != "output", osl)
    load = t * (p + d) / per_req * isl  # prompt tokens/s of the whole run
    rate = (load / p).where(has)
    keys = [run, *(frame[k].astype(str) for k in POOL_KEYS[1:])]
    best = rate.groupby(keys).transform("max")
    return t.where(~has, t * (p + d) / (d + load / best))
