"""Calibration of the frontier generator: published points, scoring and the fit.

The data live in CSV files beside the shipped tables (each row cites its public source):

* ``calibration/points.csv``: measured (interactivity, tok/s per GPU) points. ``counts``
  says whether the figure counts input + output tokens (InferenceX convention) or output
  only (MLPerf, vLLM's output throughput); ``technique`` which envelope it is compared
  with (``none``: no speculation; ``mtp`` / ``eagle3``: the model's speculative decoding;
  ``best``: the best of both, for "best configuration" results); ``profile`` the frontier
  profile (tuned or typical); ``role`` is ``fit`` or ``holdout``, chosen before fitting;
  ``vintage`` the software the run used (``2025-10``: InferenceMAX v1 of October 2025 and
  earlier runs; ``2026``), scored with :meth:`Efficiency.at_vintage`.
* ``calibration/ratios.csv``: published ratios between two hardware at one speed (the
  claims of issue 12), per GPU, per MW of unit IT power, or the top speed.

:func:`fit` searches the factors of :class:`Efficiency` on the tuned fit points, then
``typical_speed`` on the typical ones. The report (calibration.md) is written by
:mod:`optimizer.frontiers.perf.calibration_report`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.data import FRONTIERS_DIR, SPEC_FILES
from optimizer.frontiers.draws import family_of
from optimizer.frontiers.perf.engine import Efficiency, envelope_mask, evaluate_techniques
from optimizer.frontiers.perf.specs import (
    HardwareSpec,
    ModelSpec,
    hardware_from_dict,
    is_pod,
    load_spec_files,
    model_from_dict,
)
from optimizer.frontiers.perf.sweeps import (  # noqa: F401  (re-exported: callers use them here)
    SPARSE_DROP,
    SPARSE_SPEEDUP,
    effective_ratio,
    pool_restated,
    sparse_sweep_bounds,
    sweep_steps,
)

DATA_DIR = FRONTIERS_DIR / "calibration"
POINTS_CSV = DATA_DIR / "points.csv"
RATIOS_CSV = DATA_DIR / "ratios.csv"

# MI300X is not in optimizer/data/specs/hardware.yaml (not a purchase option); its figures for
# the held-out gpt-oss point come from github.com/SemiAnalysisAI/InferenceX-app
# packages/app/src/lib/gpu-specs.ts (row 'MI300X': 192 GB HBM3, 5.3 TB/s, FP8 2615 and
# BF16 1307 dense TFLOP/s, no FP4, Infinity Fabric 448 GB/s per GPU one way, 8 per node,
# 400 Gbit/s NIC per GPU).
MI300X_SPEC = {
    "id": "mi300x",
    "vendor": "amd",
    "accelerators_per_unit": 8,
    "memory_gb_per_accel": 192,
    "memory_kind": "HBM3",
    "mem_bw_tb_s_per_accel": 5.3,
    "fp8_tflops_dense": 2615,
    "fp4_tflops_dense": None,
    "bf16_tflops_dense": 1307,
    "scaleup_domain_accels": 8,
    "scaleup_bw_gb_s_per_accel": 448,
    "scaleout_bw_gb_s_per_accel": 50,
    "precisions": ["fp8", "bf16"],
    "supports_disaggregation": True,
}


@dataclass(frozen=True)
class Point:
    hardware: str
    model: str
    isl: int
    osl: int
    interactivity: float
    tok_s_per_gpu: float
    role: str  # fit | holdout
    source: str
    note: str
    counts: str = "input+output"  # or "output"
    technique: str = "best"  # none | mtp | eagle3 | best
    profile: str = "tuned"  # tuned | typical
    # "point": the envelope passes through it; "lower": the best a sparse sweep reached, so
    # the envelope is at least this and at most ``upper`` (the sweep's next slower point:
    # an envelope never rises with speed). See :func:`effective_ratio`.
    bound: str = "point"
    upper: float | None = None
    vintage: str = "2026"  # software of the run: "2025-10" (or any "2025...") or "2026"
    # The source's own figure where :func:`pool_restated` restated tok_s_per_gpu (a run's fixed
    # prefill pool at scale), with the run's prefill and decode GPUs; None: as measured.
    measured: float | None = None
    prefill_gpus: int = 0
    decode_gpus: int = 0


def load_points(path: Path = POINTS_CSV) -> tuple[Point, ...]:
    """The calibration points of ``path`` ("same" in a source repeats the row above's)."""
    df = pd.read_csv(path, keep_default_na=False)
    df["source"] = df["source"].astype(str).replace("same", pd.NA).ffill()
    restated = pool_restated(df)
    out = []
    for i, r in zip(df.index, df.to_dict("records"), strict=True):
        upper = str(r.get("upper", "")).strip()
        pre, dec = (int(r.get(k) or 0) for k in ("prefill_gpus", "decode_gpus"))
        moved = bool(pre and dec and restated[i] != float(r["tok_s_per_gpu"]))
        out.append(
            Point(
                str(r["hardware"]),
                str(r["model"]),
                int(r["isl"]),
                int(r["osl"]),
                float(r["interactivity"]),
                float(restated[i]),
                str(r["role"]),
                str(r["source"]),
                str(r["note"]),
                str(r["counts"]),
                str(r["technique"]),
                str(r["profile"]),
                str(r.get("bound") or "point"),
                float(upper) if upper else None,
                str(r.get("vintage") or "2026"),
                float(r["tok_s_per_gpu"]) if moved else None,
                pre,
                dec,
            )
        )
    return tuple(out)


def as_measured(points: Iterable[Point]) -> list[Point]:
    """The points with each figure as its source counts it (no prefill pool restated)."""
    return [
        p if p.measured is None else dataclasses.replace(p, tok_s_per_gpu=p.measured)
        for p in points
    ]


def load_ratios(path: Path = RATIOS_CSV) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False)


POINTS: tuple[Point, ...] = load_points()


@functools.lru_cache(maxsize=64)
def _techniques(
    hw: HardwareSpec, m: ModelSpec, isl: int, osl: int, eff: Efficiency, typical: bool
) -> dict[str, np.ndarray]:
    """:func:`evaluate_techniques`, memoised: one scoring asks for the same hardware, model,
    workload and factors once per technique and again for the ordering prior (the specs and
    factors are frozen dataclasses, compared by value). Callers must not modify the arrays."""
    return evaluate_techniques(hw, m, isl, osl, eff, typical=typical)


def envelope_at(
    hw: HardwareSpec,
    m: ModelSpec,
    isl: int,
    osl: int,
    eff: Efficiency,
    interactivity: Sequence[float],
    technique: str = "best",
    profile: str = "tuned",
) -> np.ndarray:
    """Modelled tok/s per GPU (input + output) at each interactivity (docs/model.md step 4).

    Below the envelope's range: its highest throughput; above it: 0. ``technique``: the
    envelope over every technique ("best"), or only over points of one technique.
    """
    r = _techniques(hw, m, int(isl), int(osl), eff, profile == "typical")
    q = np.asarray(interactivity, dtype=float)
    if technique != "best":
        sel = r["technique"] == technique
        r = {k: v[sel] for k, v in r.items()}
    if r["interactivity"].size == 0:
        return np.zeros_like(q)
    keep = envelope_mask(r["interactivity"], r["tok_s_per_gpu"])
    x, y = r["interactivity"][keep], r["tok_s_per_gpu"][keep]
    o = np.argsort(x)
    x, y = x[o], y[o]
    out = np.interp(q, x, y)
    out = np.where(q < x[0], y.max(), out)
    return np.where(q > x[-1], 0.0, out)


def max_interactivity(
    hw: HardwareSpec, m: ModelSpec, isl: int, osl: int, eff: Efficiency, technique: str = "best"
) -> float:
    r = _techniques(hw, m, int(isl), int(osl), eff, False)
    sel = (
        np.ones(r["interactivity"].size, bool)
        if technique == "best"
        else (r["technique"] == technique)
    )
    return float(r["interactivity"][sel].max()) if sel.any() else 0.0


def score(
    points: Iterable[Point],
    hardware: dict[str, HardwareSpec],
    models: dict[str, ModelSpec],
    eff: Efficiency,
) -> pd.DataFrame:
    """One row per point: measured, modelled (in the point's own count) and their ratio."""
    pts = list(points)
    frame = pd.DataFrame([p.__dict__ for p in pts])
    frame["modelled"] = np.nan
    keys = ["hardware", "model", "isl", "osl", "technique", "profile", "vintage"]
    for (h, mo, isl, osl, tech, prof, vin), grp in frame.groupby(keys, sort=False):
        mod = envelope_at(
            hardware[h],
            models[mo],
            int(isl),
            int(osl),
            eff.at_vintage(str(vin)),
            grp["interactivity"].tolist(),
            str(tech),
            str(prof),
        )
        share = np.where(grp["counts"] == "output", int(osl) / (int(isl) + int(osl)), 1.0)
        frame.loc[grp.index, "modelled"] = mod * share
    # raw_ratio: against the measured figure; ratio: as scored (lower bounds: one-sided).
    frame["raw_ratio"] = frame["modelled"] / frame["tok_s_per_gpu"]
    frame["ratio"] = [
        effective_ratio(m, t, b, u)
        for m, t, b, u in zip(
            frame["modelled"], frame["tok_s_per_gpu"], frame["bound"], frame["upper"], strict=True
        )
    ]
    return frame


AS_SHIPPED_READ = "as shipped: read linearly between two measured points of the"


def as_shipped(points: Iterable[Point]) -> list[Point]:
    """The points as the shipped tables answer for them (technique ``best``).

    The tables keep the upper envelope of every technique, so where the same hardware, model
    and workload was measured with and without speculation, the measured best at each speed is
    what a planner buys. Each ``none`` / ``mtp`` / ``eagle3`` point becomes a ``best`` point at
    its speed, its throughput the highest of its own and of every other technique's measured
    curve there (linear between that curve's points, only inside its speed range); a lower
    bound that another curve beats is a point of that curve, so it is scored two-sided, with that
    curve's software vintage. Points already marked ``best`` stay as they are. A figure read
    between two measurements of the other curve (not at one of them) says so in its note
    (:data:`AS_SHIPPED_READ`), so the report can count what is measured and what is read.
    """
    pts = list(points)
    curves: dict[tuple[object, ...], dict[str, list[Point]]] = {}
    for p in pts:
        if p.technique != "best":
            key = (p.hardware, p.model, p.isl, p.osl, p.profile, p.counts)
            curves.setdefault(key, {}).setdefault(p.technique, []).append(p)
    out: list[Point] = []
    seen: set[tuple[object, ...]] = set()
    for p in pts:
        if p.technique == "best":
            out.append(p)
            continue
        key = (p.hardware, p.model, p.isl, p.osl, p.profile, p.counts)
        best, vintage, read = p.tok_s_per_gpu, p.vintage, ""
        for tech, curve in curves[key].items():
            if tech == p.technique:
                continue
            c = sorted(curve, key=lambda q: q.interactivity)
            xs = [q.interactivity for q in c]
            if xs[0] <= p.interactivity <= xs[-1]:
                other = float(np.interp(p.interactivity, xs, [q.tok_s_per_gpu for q in c]))
                if other > best:  # that curve's software: its nearest point's
                    near = min(c, key=lambda q: abs(q.interactivity - p.interactivity))
                    best, vintage = other, near.vintage
                    read = "" if p.interactivity in xs else f"{AS_SHIPPED_READ} {tech} curve"
        dup = (*key, p.interactivity)
        if dup in seen:  # the same speed measured with two techniques: one best point
            continue
        seen.add(dup)
        if best > p.tok_s_per_gpu:
            p = dataclasses.replace(p, tok_s_per_gpu=best, bound="point", upper=None)
            p = dataclasses.replace(
                p, vintage=vintage, note=f"{p.note}; {read}" if read else p.note
            )
        out.append(dataclasses.replace(p, technique="best"))
    return out


def ratio_table(
    hardware: dict[str, HardwareSpec],
    models: dict[str, ModelSpec],
    eff: Efficiency,
    power_kw: dict[str, float],
    ratios: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Modelled value of each published ratio; ``factor`` = modelled / published."""
    ratios = load_ratios() if ratios is None else ratios
    rows = []
    for r in ratios.itertuples(index=False):
        m = models[r.model]
        if r.per == "max_interactivity":
            val = max_interactivity(hardware[r.numerator], m, int(r.isl), int(r.osl), eff)
        else:
            q = [float(r.interactivity)]
            num = float(
                envelope_at(hardware[r.numerator], m, int(r.isl), int(r.osl), eff, q, r.technique)[
                    0
                ]
            )
            den = float(
                envelope_at(
                    hardware[r.denominator], m, int(r.isl), int(r.osl), eff, q, r.technique
                )[0]
            )
            if r.per == "mw":
                num *= hardware[r.numerator].accels_per_unit / power_kw[r.numerator]
                den *= hardware[r.denominator].accels_per_unit / power_kw[r.denominator]
            val = num / den if den > 0 else math.inf
        rows.append({**r._asdict(), "modelled": val, "factor": val / float(r.published)})
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame) -> dict[str, float]:
    """Median and worst error, as ratios and as symmetric factors max(r, 1/r)."""
    r = frame["ratio"].to_numpy(dtype=float)
    fac = np.where(r > 0, np.maximum(r, 1 / np.where(r > 0, r, 1)), np.inf)
    return {
        "n": float(r.size),
        "median_ratio": float(np.median(r)),
        "median_abs_log_error_factor": float(
            np.exp(np.median(np.abs(np.log(np.where(r > 0, r, 1e-9)))))
        ),
        "worst_factor": float(fac.max()),
        "min_ratio": float(r.min()),
        "max_ratio": float(r.max()),
    }


FIT_GRID: dict[str, Sequence[float]] = {
    "bw": (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85),
    "flops": (0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0),
    "matmul_flops": (1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 4.0),
    "gemm_m_half": (0.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0),
    "prefill_flops": (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7),
    "comm": (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
    "comm_latency_s": (2e-6, 5e-6, 10e-6, 15e-6, 20e-6, 30e-6, 40e-6, 60e-6),
    "layer_overhead_s": (0.0, 10e-6, 20e-6, 30e-6, 40e-6, 50e-6, 60e-6, 80e-6, 100e-6),
    "step_overhead_s": (0.0, 0.5e-3, 1e-3, 1.5e-3, 2e-3, 3e-3, 4e-3, 5e-3),
    "seq_overhead_s": (0.0, 5e-6, 10e-6, 20e-6, 30e-6, 40e-6, 50e-6, 60e-6, 80e-6, 100e-6, 150e-6),
    "draft_overhead_s": (0.0, 0.25e-3, 0.5e-3, 1e-3, 1.5e-3, 2e-3, 3e-3),
    "spec_seq_overhead_s": (0.0, 25e-6, 50e-6, 100e-6, 200e-6, 300e-6, 500e-6),
    "hopper_sw": (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    "amd_sw": (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    "amd_sw_early_2026": (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8, 1.0),
    "sw_2025": (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
}
TYPICAL_GRID: Sequence[float] = tuple(round(0.05 * i, 2) for i in range(2, 21))


def loss(frame: pd.DataFrame) -> float:
    """Mean squared log error, with points modelled at 0 counted as a 10x miss."""
    r = np.clip(frame["ratio"].to_numpy(dtype=float), 0.1, None)
    return float(np.mean(np.log(r) ** 2))


# Ordering prior (issue 19): a newer rack of the same family is at least as fast per GPU at
# equal speed. Pairs (newer, older), compared on these DeepSeek-R1 workloads at these speeds
# with the best of techniques; ORDER_WEIGHT scales the penalty against the mean squared log
# error of the fit points.
ORDER_PAIRS: tuple[tuple[str, str], ...] = (
    ("gb300-nvl72", "gb200-nvl72"),
    ("gb200-nvl72", "b200-hgx"),
    ("vr-nvl144", "gb300-nvl72"),
)
ORDER_WORKLOADS: tuple[tuple[str, int, int], ...] = (
    ("deepseek-r1", 1024, 1024),
    ("deepseek-r1", 8192, 1024),
)
ORDER_SPEEDS: tuple[float, ...] = (20.0, 50.0, 80.0, 110.0, 140.0)
ORDER_WEIGHT = 1.0


def ordering_penalty(
    hardware: dict[str, HardwareSpec], models: dict[str, ModelSpec], eff: Efficiency
) -> float:
    """Mean over pairs, workloads and speeds of max(0, ln(older / newer))^2.

    0 when every newer rack is at least as fast as the older one at every speed both serve;
    a speed the older rack serves and the newer one does not counts as a 10x shortfall.
    Pairs with a hardware or model missing from the tables are skipped.
    """
    terms: list[float] = []
    for mid, isl, osl in ORDER_WORKLOADS:
        if mid not in models:
            continue
        env: dict[str, np.ndarray] = {}
        for newer, older in ORDER_PAIRS:
            if newer not in hardware or older not in hardware:
                continue
            for h in (newer, older):
                if h not in env:
                    env[h] = envelope_at(hardware[h], models[mid], isl, osl, eff, ORDER_SPEEDS)
            new, old = env[newer], env[older]
            for a, b in zip(new, old, strict=True):
                if b <= 0:
                    terms.append(0.0)
                    continue
                short = math.log(b / max(a, b / 10.0))
                terms.append(max(short, 0.0) ** 2)
    return float(np.mean(terms)) if terms else 0.0


def objective(
    pts: list[Point],
    hardware: dict[str, HardwareSpec],
    models: dict[str, ModelSpec],
    eff: Efficiency,
    order_weight: float = ORDER_WEIGHT,
) -> float:
    """What the fit minimises: :func:`loss` on ``pts`` + ``order_weight`` x
    :func:`ordering_penalty` (the prior only where the pairs are in ``hardware``)."""
    total = loss(score(pts, hardware, models, eff))
    if order_weight > 0:
        total += order_weight * ordering_penalty(hardware, models, eff)
    return total


def _coordinate_search(
    pts: list[Point],
    hardware: dict[str, HardwareSpec],
    models: dict[str, ModelSpec],
    start: Efficiency,
    grid: dict[str, Sequence[float]],
    sweeps: int,
    order_weight: float = 0.0,
) -> tuple[Efficiency, float]:
    best = start
    best_loss = objective(pts, hardware, models, best, order_weight)
    for _ in range(sweeps):
        improved = False
        for key, values in grid.items():
            for v in values:
                cand = best.with_(**{key: v})
                cl = objective(pts, hardware, models, cand, order_weight)
                if cl < best_loss - 1e-12:
                    best, best_loss, improved = cand, cl, True
        if not improved:
            break
    return best, best_loss


# Deterministic starting points for the search: the defaults, two corners (efficient
# hardware with large fixed costs; inefficient hardware with small ones), the middle, and
# efficient large matmuls that lose efficiency at small M (the search moves one factor at a
# time, so it cannot reach that region from a start with gemm_m_half = 0).
FIT_STARTS: tuple[dict[str, float], ...] = (
    {},
    {"flops": 0.6, "gemm_m_half": 32.0},
    {
        "bw": 0.8,
        "flops": 0.6,
        "prefill_flops": 0.6,
        "comm": 0.8,
        "comm_latency_s": 30e-6,
        "layer_overhead_s": 60e-6,
        "step_overhead_s": 3e-3,
        "seq_overhead_s": 20e-6,
    },
    {
        "bw": 0.4,
        "flops": 0.2,
        "prefill_flops": 0.3,
        "comm": 0.4,
        "comm_latency_s": 5e-6,
        "layer_overhead_s": 10e-6,
        "step_overhead_s": 0.5e-3,
        "seq_overhead_s": 2e-6,
    },
    {
        "bw": 0.6,
        "flops": 0.4,
        "prefill_flops": 0.5,
        "comm": 0.6,
        "comm_latency_s": 15e-6,
        "layer_overhead_s": 30e-6,
        "step_overhead_s": 1.5e-3,
        "seq_overhead_s": 50e-6,
    },
)


def fit(
    hardware: dict[str, HardwareSpec],
    models: dict[str, ModelSpec],
    start: Efficiency,
    points: Iterable[Point] | None = None,
    grid: dict[str, Sequence[float]] | None = None,
    sweeps: int = 8,
    log: Callable[[str], None] | None = None,
    order_weight: float | None = None,
) -> tuple[Efficiency, float]:
    """Coordinate search over ``grid`` (one factor at a time, best grid value, repeat until
    no change) from each of :data:`FIT_STARTS`; the lowest :func:`objective` (loss on the fit
    points + ``order_weight`` x the ordering prior) wins. ``order_weight`` defaults to
    :data:`ORDER_WEIGHT` on the shipped points and to 0 on a planner's own ``points`` (their
    measurements are fitted as they are)."""
    if order_weight is None:
        order_weight = ORDER_WEIGHT if points is None else 0.0
    every = list(points if points is not None else POINTS)
    pts = [p for p in every if p.role == "fit" and p.profile == "tuned"]
    typ = [p for p in every if p.role == "fit" and p.profile == "typical"]
    grid = grid or FIT_GRID
    best, best_loss = start, math.inf
    for i, overrides in enumerate(FIT_STARTS):
        eff, el = _coordinate_search(
            pts, hardware, models, start.with_(**overrides), grid, sweeps, order_weight
        )
        if log:
            log(f"start {i + 1}: loss {el:.4f} ({eff.short()})")
        if el < best_loss:
            best, best_loss = eff, el
    if typ:
        best, tl = _coordinate_search(
            typ, hardware, models, best, {"typical_speed": TYPICAL_GRID}, 1
        )
        if log:
            log(f"typical_speed {best.typical_speed:g}: loss {tl:.4f} on the typical points")
    return best, best_loss


def calibration_hardware(hardware: dict[str, HardwareSpec]) -> dict[str, HardwareSpec]:
    """The spec table's hardware plus MI300X (used only for one held-out point)."""
    out = dict(hardware)
    out.setdefault("mi300x", hardware_from_dict(MI300X_SPEC, "MI300X_SPEC"))
    return out


@functools.cache
def _shipped_specs() -> tuple[dict[str, HardwareSpec], dict[str, ModelSpec]]:
    """The shipped hardware (plus MI300X) and model specs, parsed once."""
    hw_dicts, model_dicts = load_spec_files(SPEC_FILES)
    plain = {d["id"]: hardware_from_dict(d) for d in hw_dicts if not is_pod(d)}
    return calibration_hardware(plain), {d["id"]: model_from_dict(d) for d in model_dicts}


def points(eff: Efficiency | None = None) -> pd.DataFrame:
    """The shipped calibration points, scored (for charts that draw them on a frontier).

    One row per point of ``calibration/points.csv``: hardware, model, isl, osl, technique,
    speed (tok/s/user), measured and modelled (tok/s per GPU, in the point's own count),
    ratio (as scored), role (fit / holdout), bound (point / lower), vintage, source, counts,
    profile. ``measured`` is the figure the calibration scores: a run's idle prefill pool
    restated at scale where its source gives the split (:func:`pool_restated`). ``eff``: the
    factors (default: the shipped ones); scored once per process."""
    return _scored_points(eff if eff is not None else Efficiency()).copy()


@functools.lru_cache(maxsize=4)
def _scored_points(eff: Efficiency) -> pd.DataFrame:
    frame = score(POINTS, *_shipped_specs(), eff).drop(columns="measured")
    out = frame.rename(columns={"interactivity": "speed", "tok_s_per_gpu": "measured"})
    cols = ["hardware", "model", "isl", "osl", "technique", "speed", "measured", "modelled"]
    tail = ["ratio", "role", "bound", "vintage", "source", "counts", "profile"]
    return out[[*cols, *tail]].reset_index(drop=True)


def residual_band(
    hardware_or_family: str, quantiles: tuple[float, float] = (0.1, 0.9)
) -> tuple[float, float]:
    """(low, high) quantiles of measured / modelled over the held-out points of one hardware id
    or family (``optimizer.frontiers.draws.FAMILIES``); all held-out points when it has fewer
    than three. A chart multiplies a modelled curve by these to draw the calibration band."""
    frame = points()
    frame = frame[(frame["role"] == "holdout") & (frame["modelled"] > 0)]
    fam = frame["hardware"].map(family_of)
    own = frame[(frame["hardware"] == hardware_or_family) | (fam == hardware_or_family)]
    use = own if len(own) >= 3 else frame
    r = np.log(use["measured"].to_numpy(float) / use["modelled"].to_numpy(float))
    lo, hi = np.quantile(r, quantiles)
    return float(np.exp(lo)), float(np.exp(hi))
