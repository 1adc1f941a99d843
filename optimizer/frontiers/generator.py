"""Modelled frontier tables: an analytical (roofline) performance model of LLM serving.

:func:`build_frontiers` turns hardware and model specs (the dicts of
``optimizer/data/specs/hardware.yaml`` and ``models.yaml``) into rows of the MODEL.md
frontier table: for every hardware x model x context it evaluates every parallel layout
and batch size that fits in memory (see :mod:`optimizer.frontiers.perf.engine` for the
step-time formula), and keeps the Pareto envelope of (interactivity, tok/s per GPU).
:func:`query` answers "tok/s per accelerator at this interactivity" for one pair.

Conventions
-----------
* ``context_tokens`` is the prompt length of the row (InferenceX "8k/1k" is labelled
  8192): the input is ``isl = min(context, max_context - osl)`` unless ``isl`` is given,
  in which case every row uses ``min(isl, context)`` input tokens. Output ``osl`` tokens.
  Memory is sized for isl + osl tokens per sequence; KV reads for isl + osl/2.
* ``tok_s_per_gpu`` counts input + output tokens per second per accelerator, prefill
  accelerators included (InferenceX convention); ``interactivity`` = 1 / time per output
  token; ``ttft_s`` is an *unloaded* time to first token (no queueing).
* Precision, layouts and skipping rules are in :mod:`optimizer.frontiers.perf.specs` and
  :mod:`optimizer.frontiers.perf.engine`. SRAM-only hardware (Groq LPX) may not chain
  units, so a model whose weights + KV do not fit in one unit's SRAM is skipped for it;
  skipped pairs are listed in ``df.attrs["skipped"]``.

Calibration: :data:`DEFAULT_EFFICIENCY` holds factors fitted with
:func:`optimizer.frontiers.perf.calibration.fit` on published measurements (fit
"calibration-2026a", see ``optimizer/data/frontiers/calibration.md`` for the points fitted,
the points held out and the errors).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd

from optimizer.frontiers.coefficients import pareto_envelope
from optimizer.frontiers.perf.engine import MODE_NAMES, Efficiency, envelope_mask, evaluate
from optimizer.frontiers.perf.specs import (
    HardwareSpec,
    ModelSpec,
    SpecError,
    choose_precision,
    hardware_from_dict,
    model_from_dict,
)

__all__ = [
    "DEFAULT_EFFICIENCY",
    "GENERATOR_VERSION",
    "SpecError",
    "build_frontiers",
    "efficiency_from",
    "query",
]

GENERATOR_VERSION = "1.0"

# The fitted factors ("calibration-2026a"): defaults of Efficiency, documented there and in
# optimizer/data/frontiers/calibration.md.
DEFAULT_EFFICIENCY = Efficiency()

ROW_COLUMNS = [
    "hardware",
    "model",
    "context_tokens",
    "interactivity",
    "tok_s_per_gpu",
    "ttft_s",
    "isl",
    "osl",
    "layout",
    "source",
]


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
    return DEFAULT_EFFICIENCY.with_(**dict(efficiency))


def _source(eff: Efficiency) -> str:
    return (
        f"modelled: optimizer frontiers generator v{GENERATOR_VERSION}, "
        f"efficiency factors {eff.short()}"
    )


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
    hw: HardwareSpec, m: ModelSpec, context: int, isl: int, osl: int, eff: Efficiency, source: str
) -> pd.DataFrame:
    prec = choose_precision(hw, m)
    pts = evaluate(hw, m, isl, osl, eff, prec=prec)
    keep = envelope_mask(pts["interactivity"], pts["tok_s_per_gpu"])
    env = {k: v[keep] for k, v in pts.items()}
    order = np.argsort(env["interactivity"])
    env = {k: v[order] for k, v in env.items()}
    n = env["interactivity"].size
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
            "layout": _layout_labels(env, prec.label),
            "source": [source] * n,
        }
    )


def _skip_reason(hw: HardwareSpec, m: ModelSpec, context: int, isl: int, osl: int) -> str:
    prec = choose_precision(hw, m)
    weights = (
        m.shared_params * prec.shared_bytes + m.expert_params * m.num_experts * prec.expert_bytes
    )
    if hw.sram:
        return (
            f"{m.id} weights {weights / 1e9:.0f} GB ({prec.label}) + KV at {isl}+{osl} tokens do "
            "not fit in "
            f"one {hw.id} unit ({hw.accels_per_unit} x {hw.mem_bytes / 1e9:g} GB SRAM); chaining "
            "units is not modelled"
        )
    return (
        f"no layout of up to the allowed units holds {m.id} ({weights / 1e9:.0f} GB weights) "
        "with KV for one sequence"
    )


def build_frontiers(
    hardware_specs: Sequence[Mapping[str, Any]],
    model_specs: Sequence[Mapping[str, Any]],
    contexts: Iterable[int] = (8192, 131072, 400000),
    isl: int | None = None,
    osl: int = 1024,
    efficiency: Mapping[str, Any] | Efficiency | None = None,
) -> pd.DataFrame:
    """Modelled frontier rows (MODEL.md CSV columns + isl, osl, layout, source).

    One Pareto envelope per (hardware, model, context); contexts above a model's
    ``max_context_tokens`` are left out. Pairs nothing fits are skipped and listed,
    with the reason, in ``result.attrs["skipped"]`` (a list of dicts).

    Raises
    ------
    SpecError
        A spec entry is missing a key or has a bad value (one line per problem).
    ValueError
        Bad ``contexts``, ``isl``, ``osl`` or ``efficiency``.
    """
    eff = efficiency_from(efficiency)
    ctxs = [int(c) for c in contexts]
    if not ctxs or any(c <= 0 for c in ctxs):
        raise ValueError(f"contexts must be positive integers (got {ctxs})")
    if osl <= 0 or (isl is not None and isl <= 0):
        raise ValueError(f"isl and osl must be > 0 (got isl={isl}, osl={osl})")
    problems: list[str] = []
    hws: list[HardwareSpec] = []
    for i, d in enumerate(hardware_specs):
        try:
            hws.append(hardware_from_dict(d, f"hardware[{i}]"))
        except SpecError as exc:
            problems += exc.problems
    mds: list[ModelSpec] = []
    for i, d in enumerate(model_specs):
        try:
            mds.append(model_from_dict(d, f"models[{i}]"))
        except SpecError as exc:
            problems += exc.problems
    if problems:
        raise SpecError(problems)

    source = _source(eff)
    frames: list[pd.DataFrame] = []
    skipped: list[dict[str, Any]] = []
    for hw in hws:
        for m in mds:
            for ctx in ctxs:
                wl = _workload(m, ctx, isl, osl)
                if wl is None:
                    continue
                rows = _pair_rows(hw, m, ctx, wl[0], wl[1], eff, source)
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
) -> dict[str, Any]:
    """Modelled tok/s per accelerator at `at_interactivity` tok/s/user for one pair.

    Interpolated linearly on the envelope (MODEL.md step 4: below the envelope's range
    the highest throughput; above it not servable). Returns both counts:
    ``tok_s_per_gpu`` (input + output, InferenceX) and ``output_tok_s_per_gpu``
    (= that x osl / (isl + osl)), plus ``ttft_s`` and ``layout`` of the nearest envelope
    point at or above the requested speed, the envelope's interactivity range and
    ``servable``.
    """
    if at_interactivity <= 0 or isl <= 0 or osl <= 0:
        raise ValueError("isl, osl and at_interactivity must be > 0")
    hw = hardware_from_dict(hardware_spec, "hardware")
    m = model_from_dict(model_spec, "model")
    eff = efficiency_from(efficiency)
    rows = _pair_rows(hw, m, isl, isl, osl, eff, _source(eff))
    base: dict[str, Any] = {
        "hardware": hw.id,
        "model": m.id,
        "isl": isl,
        "osl": osl,
        "interactivity": float(at_interactivity),
        "precision": choose_precision(hw, m).label,
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
        "min_interactivity": float(x[0]),
        "max_interactivity": float(x[-1]),
        "source": rows["source"].iloc[0],
    }
