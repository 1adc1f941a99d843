"""Modelled frontier tables: an analytical (roofline) performance model of LLM serving.

:func:`build_frontiers` turns hardware and model specs (the dicts of
``optimizer/data/specs/hardware.yaml`` and ``models.yaml``) into rows of the docs/model.md
frontier table: for every hardware x model x context it evaluates every parallel layout
and batch size that fits in memory (see :mod:`optimizer.frontiers.perf.engine` for the
step-time formula), and keeps the Pareto envelope of (interactivity, tok/s per GPU).
:func:`query` answers "tok/s per accelerator at this interactivity" for one pair.

Conventions
-----------
* ``context_tokens`` is the prompt length of the row (InferenceX "8k/1k" is labelled
  8192): the input is ``isl = min(context, max_context - osl)`` unless ``isl`` is given,
  in which case every row uses ``min(isl, context)`` input tokens. Output ``osl`` tokens.
  Memory is sized for isl + osl tokens per sequence; KV reads for isl + osl/2. The CSV
  written by ``optimizer frontiers build`` leaves out isl and osl (the layout text states
  them).
* ``tok_s_per_gpu`` counts input + output tokens per second per accelerator, prefill
  accelerators included (InferenceX convention); ``interactivity`` = 1 / time per output
  token; ``ttft_s`` is a *loaded* time to first token (queueing for the prefill workers at
  the row's arrival rate, see :mod:`optimizer.frontiers.perf.engine`).
* ``technique``: ``none``, or the model's speculative decoding (``mtp``, ``eagle3``) when
  that point of the envelope uses it. ``units_per_replica``: purchasable units one replica
  (one decode instance) spans, e.g. 4 for DEP32 over HGX servers, 0.1111 for DEP8 in an
  NVL72 rack, 1 for a pod; its prefill share is pooled across replicas.
* Profiles: ``tuned`` (every layout, disaggregation, speculative decoding, the fitted
  factors) and ``typical`` (one node, tensor parallel, aggregated, no speculation, factors
  scaled by ``typical_speed``): the band between a tuned and an off-the-shelf deployment.
  SRAM racks and pods run only their vendor's stack: their typical rows are the tuned ones
  (so an instance can switch tables without losing hardware).
* Pods (:mod:`optimizer.frontiers.perf.pod`): a hardware entry with ``pod:`` parts is one
  purchasable unit of GPU + LPX racks; its rows count all its accelerators.
* Precision, layouts and skipping rules are in :mod:`optimizer.frontiers.perf.specs` and
  :mod:`optimizer.frontiers.perf.engine`. SRAM-only hardware (Groq LPX) may chain up to
  16 racks (pipeline over scale-out); a model whose weights + KV do not fit is skipped;
  skipped pairs are listed in ``df.attrs["skipped"]``.

Calibration: :data:`DEFAULT_EFFICIENCY` holds factors fitted with
:func:`optimizer.frontiers.perf.calibration.fit` on published measurements (fit
"calibration-2026e", see ``optimizer/data/frontiers/calibration.md`` for the points fitted,
the points held out and the errors).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd

from optimizer.frontiers.coefficients import pareto_envelope
from optimizer.frontiers.perf.engine import (
    MODE_NAMES,
    Efficiency,
    default_max_units,
    envelope_mask,
    evaluate_techniques,
)
from optimizer.frontiers.perf.pod import PodSpec, evaluate_pod_techniques, expert_bytes
from optimizer.frontiers.perf.specs import (
    HardwareSpec,
    ModelSpec,
    SpecError,
    choose_precision,
    hardware_from_dict,
    is_pod,
    model_from_dict,
    pod_parts,
)
from optimizer.frontiers.table import REQUIRED_COLUMNS

__all__ = [
    "DEFAULT_EFFICIENCY",
    "GENERATOR_VERSION",
    "SpecError",
    "build_frontiers",
    "efficiency_from",
    "query",
]

GENERATOR_VERSION = "2.2"
PROFILES = ("tuned", "typical")

# The fitted factors ("calibration-2026e"): defaults of Efficiency, documented there and in
# optimizer/data/frontiers/calibration.md.
DEFAULT_EFFICIENCY = Efficiency()

# The frontier table's columns (docs/format.md): the planner's required ones, then the rest.
ROW_COLUMNS = [*REQUIRED_COLUMNS, "ttft_s", "isl", "osl", "technique", "units_per_replica"]
ROW_COLUMNS += ["layout", "source"]
# Columns written to a CSV: the planner's, plus the documented extras (isl and osl are
# stated in the layout text).
CSV_COLUMNS = [c for c in ROW_COLUMNS if c not in ("isl", "osl")]

Unit = HardwareSpec | PodSpec


# Efficiency factors that scale a peak rate (bandwidth, FLOP/s, links) or a capacity: > 0.
RATE_FACTORS = (
    "bw",
    "flops",
    "matmul_flops",
    "prefill_flops",
    "comm",
    "hopper_sw",
    "amd_sw",
    "amd_sw_early_2026",
    "sw_2025",
    "hbm_usable",
    "sram_usable",
    "prefill_chunk_tokens",
    "prefill_weight_share",
    "prefill_utilization",
    "typical_speed",
)


def efficiency_from(efficiency: Mapping[str, Any] | Efficiency | None) -> Efficiency:
    """:data:`DEFAULT_EFFICIENCY` with the given keys replaced; unknown keys are an error."""
    if efficiency is None:
        return DEFAULT_EFFICIENCY
    if isinstance(efficiency, Efficiency):
        return efficiency
    known = {f.name for f in fields(Efficiency)}
    unknown = sorted(set(efficiency) - known)
    if unknown:
        raise ValueError(
            f"efficiency: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    bad = [
        k
        for k, v in efficiency.items()
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0
    ]
    if bad:
        raise ValueError(f"efficiency: {', '.join(bad)} must be numbers >= 0")
    # A share of a peak rate at 0 makes every kernel take forever: a table of whatever
    # escapes that term (the SRAM pods), not an error, unless refused here.
    zero = [k for k in RATE_FACTORS if efficiency.get(k) == 0]
    if zero:
        raise ValueError(f"efficiency: {', '.join(zero)} must be > 0 (a share of a peak rate)")
    return DEFAULT_EFFICIENCY.with_(**dict(efficiency))


def _source(eff: Efficiency, profile: str = "tuned") -> str:
    extra = f", typical speed x{eff.typical_speed:g}" if profile == "typical" else ""
    return (
        f"modelled: optimizer frontiers generator v{GENERATOR_VERSION} ({profile} profile), "
        f"efficiency factors {eff.short()}{extra}"
    )


def _pod_labels(pts: dict[str, np.ndarray], pod: PodSpec) -> list[str]:
    out = []
    for i in range(pts["g"].size):
        g, a, b = int(pts["g"][i]), int(pts["attn_group"][i]), int(round(pts["batch"][i]))
        out.append(
            f"pod {pod.gpu_units} x {pod.gpu.id} + {pod.lpx_units} x {pod.lpx.id}: decode "
            f"attention on {g} GPUs (TP{a} groups), routed experts on {pod.lpus} LPUs, "
            f"{b} seqs; prefill on {int(pts['n_prefill'][i])} GPUs"
        )
    return out


def _layout_labels(pts: dict[str, np.ndarray], prec_label: str) -> list[str]:
    out = []
    for i in range(pts["g"].size):
        g, pp, a = int(pts["g"][i]), int(pts["pp"][i]), int(pts["attn_group"][i])
        mode = MODE_NAMES[int(pts["mode"][i])]
        core = f"{mode}{g}" + (f" (attention TP{a})" if mode == "TEP" else "")
        if pp > 1:
            core += f" x PP{pp}"
        units = int(pts["units"][i])
        if units > 1:
            core += f" over {units} units" + (" (group spans scale-out)" if pts["span"][i] else "")
        batch = int(round(pts["batch"][i]))
        if pts["disagg"][i]:
            n_pre, g_pre = pts["n_prefill"][i], int(pts["g_prefill"][i])
            pre = f"; disagg, {n_pre:.2f} prefill accel (instances of {g_pre})"
        else:
            pre = "; aggregated (chunked prefill)"
        out.append(f"decode {core}, {batch} seqs{pre}; {prec_label}")
    return out


def _workload(m: ModelSpec, context: int, isl: int | None, osl: int) -> tuple[int, int] | None:
    """(isl, osl) for a row at `context`, or None when the model cannot take it."""
    if context > m.max_context:
        return None
    prompt = min(int(isl), context) if isl is not None else min(context, m.max_context - osl)
    if prompt <= 0 or prompt + osl > m.max_context:
        return None
    return prompt, osl


def _pair_rows(
    hw: Unit,
    m: ModelSpec,
    context: int,
    isl: int,
    osl: int,
    eff: Efficiency,
    source: str,
    profile: str = "tuned",
) -> pd.DataFrame:
    if isinstance(hw, PodSpec):
        pts = evaluate_pod_techniques(hw, m, isl, osl, eff)
        if not pts:
            return pd.DataFrame(columns=ROW_COLUMNS)
    else:
        prec = choose_precision(hw, m)
        # Vendor-only stacks (SRAM dataflow racks, pods) have no off-the-shelf alternative:
        # their typical rows are their tuned ones.
        typical = profile == "typical" and not hw.sram
        pts = evaluate_techniques(hw, m, isl, osl, eff, prec=prec, typical=typical)
    keep = envelope_mask(pts["interactivity"], pts["tok_s_per_gpu"])
    env = {k: v[keep] for k, v in pts.items()}
    order = np.argsort(env["interactivity"])
    env = {k: v[order] for k, v in env.items()}
    n = env["interactivity"].size
    if isinstance(hw, PodSpec):
        labels = _pod_labels(env, hw)
        upr = np.ones(n)
    else:
        labels = _layout_labels(env, prec.label)
        # One replica = one decode instance; its prefill share is pooled across replicas.
        upr = env["n_decode"] / hw.accels_per_unit
    work = f"{isl} in / {osl} out; "
    return pd.DataFrame(
        {
            "hardware": [hw.id] * n,
            "model": [m.id] * n,
            "context_tokens": np.full(n, context, dtype=np.int64),
            "interactivity": np.round(env["interactivity"], 4),
            "tok_s_per_gpu": np.round(env["tok_s_per_gpu"], 2),
            "ttft_s": np.round(env["ttft_s"], 4),
            "isl": np.full(n, isl, dtype=np.int64),
            "osl": np.full(n, osl, dtype=np.int64),
            "technique": [str(t) for t in env["technique"]],
            "units_per_replica": np.round(upr, 4),
            "layout": [work + lab for lab in labels],
            "source": [source] * n,
        }
    )


def _skip_reason(hw: Unit, m: ModelSpec, context: int, isl: int, osl: int) -> str:
    if isinstance(hw, PodSpec):
        if not m.is_moe:
            return f"{m.id} is dense: a pod puts routed experts on LPX, so it needs an MoE model"
        return (
            f"{m.id} routed experts {expert_bytes(hw, m) / 1e9:.0f} GB do not fit the SRAM of "
            f"{hw.lpx_units} x {hw.lpx.id}, or no split of the GPUs keeps up with prefill"
        )
    prec = choose_precision(hw, m)
    weights = (
        m.shared_params * prec.shared_bytes + m.expert_params * m.num_experts * prec.expert_bytes
    )
    if hw.sram:
        return (
            f"{m.id} weights {weights / 1e9:.0f} GB ({prec.label}) + KV at {isl}+{osl} tokens do "
            "not fit in "
            f"up to {default_max_units(hw)} chained {hw.id} units ({hw.accels_per_unit} x "
            f"{hw.mem_bytes / 1e9:g} GB SRAM each; the KV cache is replicated across a "
            "tensor-parallel group, see the pod lane for attention in HBM)"
        )
    return (
        f"no layout of up to the allowed units holds {m.id} ({weights / 1e9:.0f} GB weights) "
        "with KV for one sequence"
    )


def resolve_hardware(
    hardware_specs: Sequence[Mapping[str, Any]],
    part_specs: Sequence[Mapping[str, Any]] = (),
) -> list[Unit]:
    """Checked units: plain hardware entries and pods, whose parts are looked up by id among
    ``hardware_specs`` and ``part_specs``. Raises :class:`SpecError` (one line each)."""
    problems: list[str] = []
    plain: dict[str, HardwareSpec] = {}
    for i, d in enumerate(part_specs):
        if not is_pod(d):
            try:
                hw = hardware_from_dict(d, f"hardware[{i}]")
                plain[hw.id] = hw
            except SpecError:
                pass  # reported below if it is also in hardware_specs
    out: list[Unit | tuple[int, Mapping[str, Any]]] = []
    for i, d in enumerate(hardware_specs):
        try:
            if is_pod(d):
                pod_parts(d, f"hardware[{i}]")
                out.append((i, d))
            else:
                hw = hardware_from_dict(d, f"hardware[{i}]")
                plain[hw.id] = hw
                out.append(hw)
        except SpecError as exc:
            problems += exc.problems
    units: list[Unit] = []
    for item in out:
        if not isinstance(item, tuple):
            units.append(item)
            continue
        i, d = item
        pid, gid, gn, lid, ln = pod_parts(d, f"hardware[{i}]")
        gpu, lpx = plain.get(gid), plain.get(lid)
        if gpu is None or lpx is None:
            missing = gid if gpu is None else lid
            problems.append(
                f"hardware[{i}].pod: part {missing!r} is not a hardware id of the specs"
            )
            continue
        if gpu.sram or not lpx.sram:
            problems.append(
                f"hardware[{i}].pod: gpu must be an HBM unit and lpx an SRAM unit "
                f"(got {gid}, {lid})"
            )
            continue
        units.append(PodSpec(pid, gpu, lpx, gn, ln))
    if problems:
        raise SpecError(problems)
    return units


def build_frontiers(
    hardware_specs: Sequence[Mapping[str, Any]],
    model_specs: Sequence[Mapping[str, Any]],
    contexts: Iterable[int] = (8192, 131072, 400000),
    isl: int | None = None,
    osl: int = 1024,
    efficiency: Mapping[str, Any] | Efficiency | None = None,
    profile: str = "tuned",
    part_specs: Sequence[Mapping[str, Any]] = (),
) -> pd.DataFrame:
    """Modelled frontier rows (:data:`ROW_COLUMNS`).

    One Pareto envelope per (hardware, model, context) over layouts, batch sizes and
    techniques (none, or the model's speculative decoding); contexts above a model's
    ``max_context_tokens`` are left out. Pairs nothing fits are skipped and listed, with
    the reason, in ``result.attrs["skipped"]`` (a list of dicts).

    ``profile``: "tuned" (disaggregated, wide expert parallel, speculative decoding, the
    fitted factors) or "typical" (one node, tensor parallel, aggregated, no speculation,
    factors x ``typical_speed``: an off-the-shelf engine). Pods (hardware entries with a
    ``pod:`` mapping) resolve their parts among ``hardware_specs`` and ``part_specs``.

    Raises
    ------
    SpecError
        A spec entry is missing a key or has a bad value (one line per problem).
    ValueError
        Bad ``contexts``, ``isl``, ``osl``, ``efficiency`` or ``profile``.
    """
    eff = efficiency_from(efficiency)
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)} (got {profile!r})")
    ctxs = [int(c) for c in contexts]
    if not ctxs or any(c <= 0 for c in ctxs):
        raise ValueError(f"contexts must be positive integers (got {ctxs})")
    if osl <= 0 or (isl is not None and isl <= 0):
        raise ValueError(f"isl and osl must be > 0 (got isl={isl}, osl={osl})")
    problems: list[str] = []
    try:
        hws = resolve_hardware(hardware_specs, part_specs)
    except SpecError as exc:
        problems += exc.problems
        hws = []
    mds: list[ModelSpec] = []
    for i, d in enumerate(model_specs):
        try:
            mds.append(model_from_dict(d, f"models[{i}]"))
        except SpecError as exc:
            problems += exc.problems
    if problems:
        raise SpecError(problems)

    source = _source(eff, profile)
    frames: list[pd.DataFrame] = []
    skipped: list[dict[str, Any]] = []
    for hw in hws:
        for m in mds:
            for ctx in ctxs:
                wl = _workload(m, ctx, isl, osl)
                if wl is None:
                    continue
                rows = _pair_rows(hw, m, ctx, wl[0], wl[1], eff, source, profile)
                if rows.empty:
                    skipped.append(
                        {
                            "hardware": hw.id,
                            "model": m.id,
                            "context_tokens": ctx,
                            "reason": _skip_reason(hw, m, ctx, wl[0], wl[1]),
                        }
                    )
                else:
                    frames.append(rows)
    if frames:
        table = pd.concat(frames, ignore_index=True)
        # The per-pair envelopes are already Pareto; this re-check is the planner's own rule.
        table = pareto_envelope(table, ["hardware", "model", "context_tokens"])[ROW_COLUMNS]
    else:
        table = pd.DataFrame(columns=ROW_COLUMNS)
    table.attrs["skipped"] = skipped
    table.attrs["efficiency"] = eff.as_dict()
    return table


def query(
    hardware_spec: Mapping[str, Any],
    model_spec: Mapping[str, Any],
    isl: int,
    osl: int,
    at_interactivity: float,
    efficiency: Mapping[str, Any] | Efficiency | None = None,
    profile: str = "tuned",
    part_specs: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Modelled tok/s per accelerator at `at_interactivity` tok/s/user for one pair
    (a pod's parts are looked up in ``part_specs``).

    Interpolated linearly on the envelope (docs/model.md step 4: below the envelope's range
    the highest throughput; above it not servable). Returns both counts:
    ``tok_s_per_gpu`` (input + output, InferenceX) and ``output_tok_s_per_gpu``
    (= that x osl / (isl + osl)), plus ``ttft_s`` and ``layout`` of the nearest envelope
    point at or above the requested speed, the envelope's interactivity range and
    ``servable``.
    """
    if at_interactivity <= 0 or isl <= 0 or osl <= 0:
        raise ValueError("isl, osl and at_interactivity must be > 0")
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)} (got {profile!r})")
    hw = resolve_hardware([hardware_spec], part_specs)[0]
    m = model_from_dict(model_spec, "model")
    eff = efficiency_from(efficiency)
    rows = _pair_rows(hw, m, isl, isl, osl, eff, _source(eff, profile), profile)
    precision = (
        f"GPU {choose_precision(hw.gpu, m).label}; LPX {choose_precision(hw.lpx, m).label}"
        if isinstance(hw, PodSpec)
        else choose_precision(hw, m).label
    )
    base: dict[str, Any] = {
        "hardware": hw.id,
        "model": m.id,
        "isl": isl,
        "osl": osl,
        "interactivity": float(at_interactivity),
        "precision": precision,
        "profile": profile,
    }
    if isl + osl > m.max_context:
        base["note"] = f"isl + osl exceeds {m.id} max_context_tokens {m.max_context}"
    if rows.empty:
        return {
            **base,
            "servable": False,
            "tok_s_per_gpu": 0.0,
            "output_tok_s_per_gpu": 0.0,
            "ttft_s": None,
            "layout": None,
            "min_interactivity": None,
            "max_interactivity": None,
            "reason": _skip_reason(hw, m, isl, isl, osl),
        }
    x = rows["interactivity"].to_numpy()
    y = rows["tok_s_per_gpu"].to_numpy()
    q = float(at_interactivity)
    servable = q <= x[-1]
    if not servable:
        tok = 0.0
    elif q <= x[0]:
        tok = float(y.max())
    else:
        tok = float(np.interp(q, x, y))
    near = int(np.searchsorted(x, q)) if servable else len(x) - 1
    near = min(near, len(x) - 1)
    return {
        **base,
        "servable": bool(servable),
        "tok_s_per_gpu": tok,
        "output_tok_s_per_gpu": tok * osl / (isl + osl),
        "ttft_s": float(rows["ttft_s"].iloc[near]) if servable else None,
        "layout": str(rows["layout"].iloc[near]),
        "technique": str(rows["technique"].iloc[near]),
        "units_per_replica": float(rows["units_per_replica"].iloc[near]),
        "min_interactivity": float(x[0]),
        "max_interactivity": float(x[-1]),
        "source": rows["source"].iloc[0],
    }
