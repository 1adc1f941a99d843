"""The text of ``optimizer/data/frontiers/calibration.md``: factors, per-point and per-ratio errors.

Data and scoring are in :mod:`optimizer.frontiers.perf.calibration`; this module only
formats them (``optimizer frontiers calibrate`` writes the file).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizer.frontiers.perf.calibration import (
    POINTS,
    envelope_at,
    fmt_ratio,
    max_interactivity,
    ratio_table,
    score,
    summary,
)
from optimizer.frontiers.perf.engine import Efficiency
from optimizer.frontiers.perf.specs import HardwareSpec, ModelSpec

HELD_OUT_MEDIAN_TARGET = 1.20  # held-out median error under 20%
WORST_TARGET = 2.0  # no held-out point beyond 2x
RATIO_TARGET = 1.5  # every published ratio within 1.5x

FACTOR_ROWS: tuple[tuple[str, str], ...] = (
    ("bw", "achieved / peak HBM (or SRAM) bandwidth"),
    ("flops", "achieved / peak FLOP/s in decode steps (large matmuls, attention)"),
    (
        "gemm_m_half",
        "decode matmul rows (tokens per weight matrix) at which half of `flops` "
        "is reached: small batches and many experts run matmuls below peak",
    ),
    ("prefill_flops", "achieved / peak FLOP/s in prefill"),
    ("comm", "achieved / peak link bandwidth (scale-up, scale-out)"),
    ("comm_latency_s", "latency of one collective (x2 across units)"),
    ("layer_overhead_s", "fixed time per layer per forward"),
    ("step_overhead_s", "fixed time per decode step"),
    ("seq_overhead_s", "time per sequence per step per attention group"),
    ("draft_overhead_s", "speculative decoding: fixed time per draft token per step"),
    ("spec_seq_overhead_s", "speculative decoding: per sequence per draft token per group"),
    ("hopper_sw", "x flops and prefill_flops on NVIDIA GPUs without FP4 (H100, H200)"),
    ("amd_sw", "x flops and prefill_flops on AMD GPUs"),
    (
        "typical_speed",
        "typical profile: x bw, flops, comm; fixed latencies / this (fit on the typical anchor)",
    ),
    ("sram_latency_scale", "assumed: fixed latencies x this on SRAM dataflow hardware (Groq)"),
    (
        "prefill_utilization",
        "assumed: prefill workers busy this share of the time (sizes the "
        "prefill pool and the TTFT queue)",
    ),
    ("pod_layer_overhead_s", "assumed: Rubin + LPX pod, fixed time per layer"),
    ("pod_hop_latency_s", "assumed: Rubin <-> LPX network hop, one way"),
    ("hbm_usable", "assumed: HBM share for weights + KV"),
    ("sram_usable", "assumed: SRAM share for weights + KV"),
    ("prefill_chunk_tokens", "assumed: tokens per prefill forward"),
)


def _point_table(frame: pd.DataFrame) -> list[str]:
    lines = [
        "| hardware | model | isl/osl | technique | tok/s/user | measured tok/s/GPU | modelled | "
        "ratio | source |",
        "|---|---|---|---|---:|---:|---:|---:|---|",
    ]
    for r in frame.itertuples():
        count = " (output)" if r.counts == "output" else ""
        prof = " typical" if r.profile == "typical" else ""
        lines.append(
            f"| {r.hardware} | {r.model} | {r.isl}/{r.osl} | {r.technique}{prof} | "
            f"{r.interactivity:g} | {r.tok_s_per_gpu:,.1f}{count} | {r.modelled:,.1f} | "
            f"{fmt_ratio(r.ratio)} | {r.source}; {r.note} |"
        )
    return lines


def _summary_line(name: str, s: dict[str, float]) -> str:
    return (
        f"| {name} | {int(s['n'])} | {s['median_ratio']:.2f} | "
        f"{100 * (s['median_abs_log_error_factor'] - 1):.0f}% | "
        f"{s['min_ratio']:.2f} | {s['max_ratio']:.2f} | {s['worst_factor']:.2f}x |"
    )


def _ratio_lines(rt: pd.DataFrame) -> list[str]:
    lines = [
        "| claim | model, isl/osl | published | modelled | modelled / published | within "
        "1.5x | source |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in rt.itertuples():
        ok = 1 / RATIO_TARGET <= r.factor <= RATIO_TARGET
        lines.append(
            f"| {r.claim} | {r.model} {r.isl}/{r.osl} | {float(r.published):g} | "
            f"{r.modelled:,.2f} | {r.factor:.2f} | {'yes' if ok else 'no'} | {r.source} |"
        )
    return lines


def report_markdown(
    hardware: dict[str, HardwareSpec],
    models: dict[str, ModelSpec],
    eff: Efficiency,
    fit_note: str,
    version: str,
    power_kw: dict[str, float],
    measured_2026: pd.DataFrame | None = None,
) -> tuple[str, dict[str, dict[str, float]]]:
    """The text of calibration.md and the fit / held-out summaries."""
    frame = score(POINTS, hardware, models, eff)
    fit_s = summary(frame[frame.role == "fit"])
    hold_s = summary(frame[frame.role == "holdout"])
    rt = ratio_table(hardware, models, eff, power_kw)
    values = eff.as_dict()
    L: list[str] = [
        "# Calibration of the frontier generator",
        "",
        f"Generator: `optimizer/frontiers/generator.py` v{version} (engine "
        "`optimizer/frontiers/perf/engine.py`, pods `perf/pod.py`).",
        "Regenerate this file with `optimizer frontiers calibrate` (add `--fit` to redo the "
        "fit). Points: `optimizer/data/frontiers/calibration/points.csv`; published ratios: "
        "`calibration/ratios.csv` (each row cites its source; roles fixed before fitting).",
        fit_note,
        "",
        '## Factors (defaults of `Efficiency`, fit "calibration-2026b")',
        "",
        "| factor | value | meaning |",
        "|---|---:|---|",
    ]
    L += [f"| {k} | {values[k]:g} | {meaning} |" for k, meaning in FACTOR_ROWS]
    L += [
        "",
        "Fit: coordinate search over a grid of each fitted factor (`calibration.FIT_GRID`) from "
        "fixed starting points, minimising the mean squared log ratio modelled/measured over the "
        "tuned fit points; then `typical_speed` alone on the typical fit point. Each point is "
        "compared with the modelled Pareto envelope of its technique (`none`, `mtp`, `eagle3`, or "
        "`best` of all) at the measured interactivity (MODEL.md step 4: linear interpolation; "
        "below the envelope's range its highest throughput; above it 0). Points marked "
        "(output) count output tokens only; all others input + output tokens per second per GPU.",
        "",
        "## Error summary (ratio = modelled / measured)",
        "",
        "| set | points | median ratio | median abs error | lowest ratio | highest ratio | worst "
        "(either way) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        _summary_line("fit", fit_s),
        _summary_line("held out", hold_s),
        "",
        "Median abs error = exp(median |ln ratio|) - 1. Targets: held-out median under 20%, no "
        "held-out point beyond 2x. "
        + (
            "The median is within target; "
            if hold_s["median_abs_log_error_factor"] <= HELD_OUT_MEDIAN_TARGET
            else "The median is NOT within target; "
        )
        + (
            "no point is beyond 2x."
            if hold_s["worst_factor"] <= WORST_TARGET
            else f"the worst point is off by {hold_s['worst_factor']:.2f}x: the 2x target is "
            "missed (see the table and Known weaknesses)."
        ),
        "",
    ]
    L += _target_lines(frame[frame.role == "holdout"], rt)
    L += [
        "",
        "## Published ratios (issue 12)",
        "",
    ]
    L += _ratio_lines(rt)
    L += ["", "Why a ratio is off (where it is):", ""]
    L += [f"- {w}" for w in RATIO_REASONS]
    L += ["", "## Points fitted", ""]
    L += _point_table(frame[frame.role == "fit"])
    L += ["", "## Points held out", ""]
    L += _point_table(frame[frame.role == "holdout"])
    L += ["", "## Points excluded", ""]
    L += [f"- {what}: {why}." for what, why in EXCLUDED]
    L += ["", "## Unscored checks", ""]
    L += _checks(hardware, models, eff, measured_2026)
    L += ["", "## Known weaknesses", ""]
    L += [f"- {w}" for w in WEAKNESSES]
    L += ["", "## Changes tried and not adopted", ""]
    L += [f"- {w}" for w in TRIED]
    L.append("")
    return "\n".join(L), {"fit": fit_s, "holdout": hold_s}


# Why a held-out point beyond 2x is there: (hardware, technique, interactivity) -> reason.
BEYOND_2X_REASONS: dict[tuple[str, str, float], str] = {
    ("gb300-nvl72", "none", 98.0): "the GB300 no-MTP point at 98 tok/s/user contradicts the "
    "GB200 point at 97 on the same page (2,954 tok/s/GPU, with GB300 the faster rack): a sweep "
    "gap no model that serves both can meet (Known weaknesses)",
    ("mi300x", "best", 90.0): "MI300X is an InferenceMAX v1 run (October 2025 software) scored "
    "with the AMD software factor fitted on MI355X 2026 runs",
    ("gb200-nvl72", "none", 136.0): "GB200 without MTP at 136 tok/s/user is at the model's top "
    "speed without speculation (tiny batches on one 8-GPU group): the fixed per-step and "
    "per-layer costs, fitted on B200, leave 150 tok/s/GPU there against 320 measured",
}


def _target_lines(hold: pd.DataFrame, rt: pd.DataFrame) -> list[str]:
    """Issue 12's calibration targets, each with what is met and what is not."""
    r = hold["ratio"].to_numpy(dtype=float)
    fac = np.where(r > 0, np.maximum(r, 1 / np.where(r > 0, r, 1)), np.inf)
    within = int((fac <= HELD_OUT_MEDIAN_TARGET).sum())
    need = (len(r) + 1) // 2
    beyond = hold[fac > WORST_TARGET]
    names = []
    for p in beyond.itertuples():
        why = BEYOND_2X_REASONS.get((p.hardware, p.technique, float(p.interactivity)))
        names.append(
            f"{p.hardware} {p.model} {p.isl}/{p.osl} {p.technique} at {p.interactivity:g} "
            f"tok/s/user, {fmt_ratio(p.ratio)}" + (f": {why}" if why else "")
        )
    ok = int((rt["factor"].between(1 / RATIO_TARGET, RATIO_TARGET)).sum())
    return [
        "Targets (issue 12):",
        "",
        f"- Held-out median under 20%: {within} of {len(r)} held-out points are within 20% "
        f"(a median under 20% needs at least {need}). "
        + (
            "Met." if within >= need else "Not met: see the MTP curve shape under Known weaknesses."
        ),
        f"- No held-out point beyond 2x: {len(beyond)} beyond"
        + (" (" + "; ".join(names) + ")." if names else ". Met."),
        f"- Published ratios within 1.5x: {ok} of {len(rt)}; the reasons for the others follow "
        "the table below.",
        "- The whole reference set builds in under 5 s: met. `optimizer frontiers build` reports "
        "0.8 s (tuned) and 0.4 s (typical) for the build itself; each command takes 2-3 s end "
        "to end with start-up and spec loading (measured 2026-12-01 on a shared 2-core machine).",
    ]


def _checks(
    hardware: dict[str, HardwareSpec],
    models: dict[str, ModelSpec],
    eff: Efficiency,
    measured_2026: pd.DataFrame | None,
) -> list[str]:
    L: list[str] = []
    b200, oss, kimi = hardware.get("b200-hgx"), models.get("gpt-oss-120b"), models.get("kimi-k2.5")
    if b200 and oss:
        top = envelope_at(b200, oss, 1024, 8192, eff, [1.0])[0]
        fast = max_interactivity(b200, oss, 1024, 8192, eff)
        L.append(
            "- B200 gpt-oss-120b 1k/8k: NVIDIA's InferenceMAX post gives ~60,000 tok/s/GPU at "
            "maximum throughput and ~1,000 tok/s/user at maximum interactivity. Model: "
            f"{top:,.0f} tok/s/GPU at its slowest point, {fast:.0f} tok/s/user at its fastest "
            "(EAGLE-3 at the cited acceptance length)."
        )
    if b200 and kimi:
        tuned = envelope_at(b200, kimi, 1024, 1024, eff, [44.6])[0]
        typ = envelope_at(b200, kimi, 1024, 1024, eff, [44.6], "none", "typical")[0]
        L.append(
            "- The band at the typical anchor (Kimi K2.5, B200, 44.6 tok/s/user, 1k/1k): tuned "
            f"{tuned / 2:,.0f} against typical {typ / 2:,.0f} output tok/s/GPU, "
            f"{tuned / typ if typ else float('inf'):.1f}x (issue 12: tuned estimates 4-7x higher)."
        )
        fast = max_interactivity(b200, kimi, 10000, 1024, eff)
        L.append(
            "- Kimi K2.5 on B200 with speculative decoding: 414 tok/s/user (Clarifai, measured by "
            "Artificial Analysis at 10,000 input tokens; via funded4trading.com reprint of the "
            f"Clarifai post). Model: {fast:.0f} tok/s/user at its fastest, 10k/1k."
        )
    if b200 and models.get("deepseek-r1"):
        top = envelope_at(b200, models["deepseek-r1"], 1024, 1024, eff, [1.0])[0]
        L.append(
            "- DGX B200 DeepSeek-R1 'maximum throughput of over 30,000 tokens per second' (GTC "
            "2025, nvidia.github.io/TensorRT-LLM blogs/Best_perf_practice_on_DeepSeek-R1_in_"
            "TensorRT-LLM) = 3,750 tok/s/GPU (count and workload not stated). Model at 1k/1k: "
            f"{top:,.0f} tok/s/GPU (input + output) at its slowest point."
        )
    if measured_2026 is not None and len(measured_2026):
        rows = []
        for (hw_id, mo, ctx), grp in measured_2026.groupby(["hardware", "model", "context_tokens"]):
            if hw_id not in hardware or mo not in models:
                continue
            mod = envelope_at(
                hardware[hw_id], models[mo], int(ctx), 1024, eff, grp["interactivity"].tolist()
            )
            rows += [
                (float(i), float(t), float(v))
                for i, t, v in zip(grp["interactivity"], grp["tok_s_per_gpu"], mod, strict=True)
            ]
        cmp_ = pd.DataFrame(rows, columns=["inter", "meas", "mod"])
        cmp_["ratio"] = cmp_["mod"] / cmp_["meas"]
        L += [
            "- `optimizer/data/frontiers/measured-2026.csv` (mostly *derived* rows, many from "
            "MTP/speculative decoding runs; osl 1024 assumed), ratio modelled/table by "
            "interactivity band:",
            "",
            "| band (tok/s/user) | rows | median ratio | rows the model cannot serve (ratio 0) |",
            "|---|---:|---:|---:|",
        ]
        for lo, hi in [(0, 40), (40, 80), (80, 120), (120, math.inf)]:
            sub = cmp_[(cmp_.inter >= lo) & (cmp_.inter < hi)]
            if sub.empty:
                continue
            pos = sub.ratio[sub.ratio > 0]
            med = f"{np.median(pos):.2f}" if len(pos) else "-"
            label = f"{lo:g}-{hi:g}" if math.isfinite(hi) else f">= {lo:g}"
            L.append(f"| {label} | {len(sub)} | {med} | {int((sub.ratio == 0).sum())} |")
    return L


EXCLUDED: tuple[tuple[str, str], ...] = (
    (
        "GB300 NVL72 DeepSeek-R1 FP8 8k/1k MTP vs off (inferencex.semianalysis.com/"
        "compare-spec-decode/deepseek-r1-gb300-fp8-mtp-vs-none: MTP 8,373 / 6,186 / 5,055 and "
        "off 3,004 / 634 / 357 tok/s/GPU at 60 / 84 / 107 tok/s/user)",
        "the generator serves GB300 in FP4 (its precision rule); an FP8 run is another operating "
        "mode",
    ),
    (
        "B200 off-curve points of the compare-spec-decode page (1,518 / 483 / 148 at 62 / 102 "
        "/ 142)",
        "the same InferenceX run as the fitted no-MTP points; not independent",
    ),
    (
        "gb200-nvl72 deepseek-v3 sglang decode saturated, 2 points (measured_points.csv)",
        "output-only, decode GPUs only, no interactivity",
    ),
    (
        "MLPerf v6.0 DeepSeek-R1 offline (2.49M tok/s on 288 GB300 GPUs) and interactive "
        "(250,634 tok/s) results",
        "offline has no interactivity; the interactive result does not state its GPU count",
    ),
)

RATIO_REASONS: tuple[str, ...] = (
    "GB200 / H100 at 75 and 116 tok/s/user (55x and 98x, 'up to'): the model lets H100 serve "
    "DeepSeek-R1 there with MTP on a 32-GPU expert-parallel group over 4 servers (about 1,000 "
    "tok/s/GPU at 68-86 tok/s/user), while the InferenceX H100 runs stop near 40 tok/s/user "
    "(the 8k/1k peak point, held out, is within 1.32x); 'up to' divides the GB200 curve by the "
    "last points of a sparse H100 sweep. Planning with Hopper above ~50 tok/s/user on this table "
    "is optimistic.",
    "GB200 / B200 at 60 tok/s/user (~3x): the same InferenceX data at 1k/1k give 1.2x (GB200 "
    "MTP 11,333 tok/s/GPU at 57 against B200 MTP 9,661 at 56.4, both in the points above) and "
    "the model gives 1.1x; the 3x at 8k/1k comes from runs outside the calibration set, and the "
    "model's B200 (DEP8 in one server with disaggregated prefill) is within 1.08x of the B200 "
    "8k/1k peak it was fitted on.",
    "GB200 / B200 at 125 tok/s/user with MTP (4.39x): the GB200 side is within 1.03x; the model "
    "reads the B200 point 1.58x high (941 measured): at that speed the measured B200 MTP curve "
    "falls faster than the model's single-server DEP8 with 3 drafts.",
    "Vera Rubin / GB300 per MW at 100 (2.09x): Rubin figures are pre-release estimates "
    "(hardware.yaml): 35 PF dense FP4 (not the 50 PF 'inference' figure) and 220 kW per rack; "
    "the ratio moves 1:1 with the assumed rack power and less than 1:1 with the FP4 rate.",
    "Top gpt-oss-120b speed on B200 (~1,000 tok/s/user, an NVIDIA claim): the fixed per-step "
    "(1.5 ms) and per-draft (1 ms) costs fitted on DeepSeek runs cap a GPU near 360 tok/s/user "
    "even with EAGLE-3; in the model that speed is the LPX lane's (979 tok/s/user on one rack). "
    "The claim (blogs.nvidia.com InferenceMAX post: '1,000 tokens per second per user on "
    "gpt-oss with the latest NVIDIA TensorRT-LLM stack') states neither the technique nor the "
    "draft length; the one independent figure found, Baseten on 8xB200 TP8 with TensorRT-LLM "
    "(baseten.co blog 'how we made the fastest gpt-oss on NVIDIA GPUs 60% faster', measured by "
    "Artificial Analysis), is ~400 tok/s/user without speculation and ~650 with EAGLE-3, so the "
    "model's cap is 1.8x below that too: its fixed latencies are a DeepSeek-sized engine's.",
    "Held-out targets: the median error and the worst point are driven by three groups: the "
    "GB300 no-MTP point at 98 tok/s/user (a sweep gap, see Known weaknesses), MI300X on 2025 "
    "software and the MTP curves at large batch, read low on every hardware including the "
    "fitted B200 (see the MTP curve shape under Known weaknesses: with one MTP draft a "
    "sequence's share of the step costs 3.3-4.2x its share without in the model, 1.0-1.9x in "
    "the measurements).",
)

WEAKNESSES: tuple[str, ...] = (
    "Hopper and AMD each get one software factor fitted on one or two points (`hopper_sw`, "
    "`amd_sw`); they are fudge factors for serving-stack maturity in early 2026, not hardware "
    "properties.",
    "Software vintage is mixed: InferenceMAX v1 (Oct 2025) and InferenceX 2026 runs differ a lot "
    "for the same hardware (MI300X gpt-oss is fitted through MI355X 2026 data).",
    "Measured points are the best configuration a benchmark sweep tried, not the true envelope; "
    "where a sweep capped concurrency or skipped layouts the model (any batch, any layout) reads "
    "high. The GB300 FP4 no-MTP point at 98 tok/s/user (560 tok/s/GPU, against 2,954 for GB200 "
    "at 97 on the same page) is such a gap: the model reads it ~4x high; it was held out before "
    "fitting and stays in the table. Checked against its source "
    "(inferencex.semianalysis.com/compare-spec-decode/deepseek-r1-gb300-fp4-mtp-vs-none, 1k/1k "
    "fp4: 'Off posts 560 tok/s/GPU ... at 98 tok/s/user'): it is the published figure, not a "
    "transcription error.",
    "Speculative decoding: one acceptance length per model (published, or estimated for "
    "DeepSeek-R1's 3-step MTP), independent of batch and context; the draft costs are fitted "
    "on B200 DeepSeek MTP runs only. Qwen3 and GPT-MoE-1.8T have no speculative entry.",
    "MTP curve shape: the measured DeepSeek-R1 1k/1k curves fall about linearly with interactivity, "
    "as a step time t0 + c x (sequences) gives (tok/s per GPU proportional to (tau - t0 x "
    "speed) / c); the two ends of each curve give the per-sequence cost with one MTP draft over "
    "that without, c'/c = tau x (intercept off) / (intercept MTP): B200 1.85, GB200 1.33, "
    "GB300 0.98 with tau = 1.75 (B200 points at 21.6/41.6 off and 56.4/74 MTP; GB200 at 57/97 "
    "both; GB300 at 59/138 off, 59/98 MTP). In the model, between batches of 512 and 1,024 "
    "(B200 DEP8) or 2,048 and 4,096 (GB200/GB300 DEP72), c'/c is 4.2, 3.3 and 3.7: the draft "
    "token goes through the matmuls, the attention and the all-to-all at `flops` 0.2 and pays "
    "the per-sequence draft cost. The fit cannot lower it: fitting the nine B200 DeepSeek "
    "1k/1k points alone (every factor free) still reads MTP at 56.4/74 at 0.78/0.81 and at "
    "101.8 at 1.26, because the same factors must make the measured MTP curve fall 3.4x from "
    "56 to 102 tok/s/user (the model's falls 2.0x), and cheaper verification raises the whole "
    "curve. The rack-scale curves differ from the single-server ones the draft costs are fitted "
    "on (c'/c 1.0-1.3 against 1.85), per GPU the model treats them alike, and the fit set has "
    "no rack-scale MTP point; InferenceX's spec-decode pages themselves warn that MTP "
    "acceptance implementations differ across engines.",
    "TTFT is now loaded: prefill workers are provisioned busy `prefill_utilization` (0.8, "
    "assumed) of the time, and a prompt waits in an M/D/c queue (Sakasegawa's approximation) "
    "before its forward; aggregated layouts queue prompts on the decode instance. The queue "
    "model has no burstiness beyond Poisson and no prefix caching.",
    "Groq 3 LPX and the Rubin + LPX pod: no measurement at all. LPX racks may now chain (up to "
    "16, pipeline over scale-out), but the KV cache must also fit SRAM, so DeepSeek-R1 and "
    "GPT-MoE-1.8T still do not fit LPX alone; the pod puts attention and KV in Rubin HBM and "
    "only the routed experts in 8 LPX racks (973 GB usable), with assumed per-layer costs "
    "(`pod_layer_overhead_s`, `pod_hop_latency_s`).",
    "The typical profile has one anchor point (Kimi K2.5 on 8xB200 vLLM, workload not given): "
    "`typical_speed` fits it exactly and nothing is held out for it; use the typical table as "
    "the pessimistic end of a band, not as a calibrated curve. At the anchor the band is ~22x "
    "wide (tuned Kimi K2.5 on B200 matches the measured DeepSeek-R1 B200 curve; typical is "
    "one TP8 server with chunked prefill), wider than the 4-7x the issue quotes for other "
    "tuned estimates.",
    "Vera Rubin and GPT-MoE-1.8T rest on estimated specs (hardware.yaml / models.yaml).",
)

# Serving-model changes tried against the same split (fit points chosen before fitting) and
# left out because the held-out errors got worse; figures measured when they were tried.
TRIED: tuple[str, ...] = (
    "First-draft acceptance for DeepSeek-R1 MTP: the DeepSeek-V3 technical report gives 85-90% "
    "for the first MTP draft, above the 0.75 the model uses for every draft. Taking 0.875 for "
    "the 1-draft run (1.875 tokens per step) and 0.61 for later drafts keeps 2.73 at 3 drafts "
    "and gives 3.17 at 7 drafts, close to the 3.20 measured for the original MTP module "
    "(huggingface.co/nebius/MTP-DeepSeek-V3-0324). A refit finds no better factors; the fit "
    "error improves (loss 0.0445 -> 0.0375, median 19% -> 17%) and the large-batch MTP points "
    "on GB200/GB300 rise (0.64 -> 0.69, 0.56 -> 0.61), but the small-batch MTP points move "
    "above their measurements (GB200 at 125: 1.03 -> 1.33; at 136: 1.26 -> 1.41) and the "
    "held-out median error goes from 28% to 31%. The GB200/B200 ratio with MTP would enter "
    "the 1.5x band (2.85 -> 3.68) only because the GB200 side reads high.",
    "A decode-attention FLOP efficiency separate from `flops` (MLA decode kernels run near "
    "peak while small-M expert matmuls do not), with the first change, refitted: fit loss "
    "0.0329 (attention 0.8, matmuls 0.15) but held-out median 35%, Hopper DeepSeek-R1 8k/1k "
    "at 40-50 tok/s/user read 1.6-2.1x high; the same with the Hopper/AMD software factor "
    "left off attention: 35%.",
    "The per-sequence speculation cost charged once per step instead of per draft token, "
    "with the two draft costs refitted: fit loss 0.0633 (worse) and the 8xB200 MTP point at "
    "253 tok/s/user out of reach.",
    "Second round (fit loss 0.0445 for the defaults; each change refitted from the fit starts "
    "on the fit points only). Host work overlapped with GPU work (an overlap scheduler hides "
    "the per-sequence costs behind the step's kernels; the hidden share fitted in 0-1): fit "
    "loss 0.0386 with it fully hidden (flops 0.12, 150 us per sequence, 2 ms per draft), but "
    "held-out median 27% with the 8xB200 MTP point at 253 tok/s/user out of reach.",
    "Decode collectives overlapped with compute (two-batch overlap, share fitted in 0-1): "
    "fit loss 0.0858 and 0.133 from the two starts tried with it on; the search keeps it off.",
    "A roofline per kernel class (expert matmuls against the touched expert weights, shared "
    "matmuls against the shared weights, attention against the KV read once for all 1 + k "
    "queries, summed) instead of one per step: at the default factors held-out median 29% "
    "(12 of 28 within 20%, fit loss 0.0676); refitted, fit loss 0.0585 and held-out median "
    "33%, worst 4.31x.",
    "Wider grids for the software factors (`hopper_sw`, `amd_sw` down to 0.05) and the "
    "per-sequence cost: fit loss halves (0.0217: flops 0.6, hopper_sw 0.05, amd_sw 0.3) and the "
    "rack-scale MTP points rise (GB200 at 57: 0.82, GB300 at 59: 0.72), but held-out median "
    "35%, Hopper points at 0.13-0.44 and MI300X at 4.14x: the only Hopper fit points are "
    "gpt-oss runs (InferenceMAX v1 and vLLM), so a higher decode `flops` is paid for with a "
    "Hopper factor the 2026 Hopper DeepSeek-R1 and gpt-oss points reject.",
    "Every draft length from 1 to k (not only 1 and k): no change at large batch; the "
    "high-speed MTP points rise (GB200 at 136: 1.26 -> 1.42; GB300 at 138: 1.04 -> 1.15).",
    "Separate draft costs for MTP (a full MoE layer of the target with its own dispatch) and "
    "EAGLE-3 (a small dense head), with the draft-cost grids widened (up to 4 ms per draft, "
    "down to 10 us per sequence): from the defaults the search keeps the shared values; from a "
    "start with 2.5 ms per draft and 10 us per sequence it ends at loss 0.0468 (1.5 ms + 50 "
    "us, flops 0.15), held-out median 28% with the 253 tok/s/user point out of reach.",
    "A global search instead of the coordinate search (differential evolution over bw, "
    "flops, prefill_flops, comm, the layer, step, sequence and two draft costs, hopper_sw and "
    "amd_sw within the grid ranges; 2,288 scorings of the fit points): it ends next to the "
    "defaults (loss 0.0430 against 0.0445; flops 0.20, comm 0.80, draft 1.1 ms + 94 us), so the "
    "defaults are this structure's optimum on the fit set. Its held-out median (24%) comes "
    "from points near the 20% line moving with the jitter while the held-out mean squared log "
    "error gets worse (0.205 -> 0.214) and the worst point goes to 4.8x: not adopted.",
)
