"""A mixed lane as one purchasable unit: k GPU racks + m Groq LPX racks (a "pod").

The GTC 2026 pairing for trillion-parameter models: the GPU racks (Vera Rubin NVL72)
run prefill and, during decode, attention with the KV cache in HBM; the LPX racks hold
the routed-expert (MoE FFN) weights in on-chip SRAM, spread over all m racks, and run the
rest of each decode layer. Per layer, the tokens' activations cross the network twice
(GPU -> LPX dispatch, LPX -> GPU combine). Two micro-batches alternate (ping-pong), so a
layer takes the slowest of attention, expert FFN and the transfer, plus two hop latencies.

Decode step of B sequences (b per attention group of ``a`` GPUs, attention tensor
parallel inside the group, data parallel across the G_dec decode GPUs)::

    attention (GPU) per layer = max(bytes / (bw * eff.bw), flops / (peak * eff.flops))
                                + TP all-reduce inside the group (a > 1)
      bytes = non-expert weights / a / L + b * kv_bytes(isl + osl/2) / L
    experts (LPX) per layer   = max(W_e * P(touched) / L / (n_lpx * sram_bw * eff.bw),
                                    tokens * 2 k expert_params / L / (n_lpx * fp8 * eff.flops))
    transfer per layer        = tokens * k * hidden * 3 B / (min(GPU, LPX scale-out) * eff.comm)
    t_step = L * (max(attention, experts, transfer) + 2 * eff.pod_hop_latency_s
                  + eff.pod_layer_overhead_s) + eff.step_overhead_s + draft

The G - G_dec other GPUs prefill (expert parallel over all of them, busy
``eff.prefill_utilization`` of the time); a point is kept only if they keep up with the
request rate. Throughput is counted per accelerator of the whole pod (GPUs + LPUs), so
``tok_s_per_gpu x accelerators_per_unit`` is the pod's throughput, as for any unit.
Speculative decoding works as in :func:`optimizer.frontiers.perf.engine.evaluate`.
``pod_layer_overhead_s`` and ``pod_hop_latency_s`` are assumptions (no measurement of the
pairing is public): one fused attention kernel per layer on the GPU side and one RDMA hop
each way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.frontiers.perf.engine import (
    DISPATCH_BYTES,
    Efficiency,
    _prefill_forward,
    _touched,
    batch_sizes,
    sakasegawa_wait,
    speculation_runs,
)
from optimizer.frontiers.perf.specs import HardwareSpec, ModelSpec, choose_precision

ATTENTION_GROUPS = (1, 2, 4, 8)  # GPUs of one attention tensor-parallel group
DECODE_SHARES = (0.25, 0.5, 0.75)  # share of the pod's GPUs on decode attention (rest prefill)


@dataclass(frozen=True)
class PodSpec:
    """One pod: ``gpu_units`` racks of ``gpu`` + ``lpx_units`` racks of ``lpx``."""

    id: str
    gpu: HardwareSpec
    lpx: HardwareSpec
    gpu_units: int
    lpx_units: int

    @property
    def gpus(self) -> int:
        return self.gpu_units * self.gpu.accels_per_unit

    @property
    def lpus(self) -> int:
        return self.lpx_units * self.lpx.accels_per_unit

    @property
    def accels_per_unit(self) -> int:
        return self.gpus + self.lpus


def expert_bytes(pod: PodSpec, m: ModelSpec) -> float:
    """Routed-expert weight bytes at the LPX precision."""
    return m.expert_params * m.num_experts * choose_precision(pod.lpx, m).expert_bytes


def sram_usable(pod: PodSpec, eff: Efficiency) -> float:
    return pod.lpus * pod.lpx.mem_bytes * eff.sram_usable


def evaluate_pod(
    pod: PodSpec,
    m: ModelSpec,
    isl: int,
    osl: int,
    eff: Efficiency,
    draft_tokens: int = 0,
    acceptance_length: float = 1.0,
) -> dict[str, np.ndarray]:
    """Every feasible (decode share, attention group, batch) point of a pod, as flat arrays
    with the keys of :func:`optimizer.frontiers.perf.engine.evaluate`. Empty when the
    model is not a mixture of experts or its experts do not fit the pod's SRAM."""
    gpu, lpx = pod.gpu, pod.lpx
    pg, pl = choose_precision(gpu, m), choose_precision(lpx, m)
    e_gpu = eff.for_hardware(gpu)
    e_lpx = eff.for_hardware(lpx)
    empty: dict[str, np.ndarray] = {}
    W_e_lpx = expert_bytes(pod, m)
    if not m.is_moe or W_e_lpx > sram_usable(pod, eff):
        return empty
    L = float(m.layers)
    k_draft = float(max(draft_tokens, 0))
    tau = float(acceptance_length) if draft_tokens > 0 else 1.0
    W_s = m.shared_params * pg.shared_bytes
    kv_tok = m.kv_bytes_per_token_bf16 * pg.kv_scale
    kv_max = kv_tok * float(m.ctx_eff(float(isl + osl)))
    kv_avg = kv_tok * float(m.ctx_eff(isl + osl / 2.0))
    usable = gpu.mem_bytes * eff.hbm_usable

    share = np.array(DECODE_SHARES)[:, None, None]
    a = np.array(ATTENTION_GROUPS, dtype=float)[None, :, None]
    b = batch_sizes(4096)[None, None, :]  # sequences per attention group
    g_dec = np.round(share * pod.gpus)
    groups = g_dec / a
    seqs = b * groups
    tok_grp = b * (1.0 + k_draft)  # tokens per attention group per step
    tokens = seqs * (1.0 + k_draft)

    # Memory: a decode GPU holds 1/a of the non-expert weights and its share of the group's
    # KV (split by KV head; MLA: by sequence).
    kv_split = a if m.mla else np.minimum(a, m.kv_heads)
    fits = W_s / a + b * kv_max / kv_split <= usable

    lin_s = 2.0 * m.shared_params
    attn_fl = tok_grp * m.attn_flops_per_pair_decode * float(m.ctx_eff(isl + osl / 2.0))
    t_attn_mem = (W_s / a + b * kv_avg / kv_split) / L / (gpu.mem_bw * e_gpu.bw)
    t_attn_fl = (tok_grp * lin_s / pg.shared_flops / L + attn_fl / pg.attn_flops) / (
        a * e_gpu.flops
    )
    x = tok_grp * m.hidden * 2.0
    ar = np.where(
        a > 1, 2 * (2 * (a - 1) / a * x / (gpu.scaleup_bw * eff.comm) + eff.comm_latency_s), 0.0
    )
    t_attn = np.maximum(t_attn_mem, t_attn_fl) + ar

    lin_e = 2.0 * m.experts_per_token * m.expert_params
    t_ffn_mem = W_e_lpx * _touched(m, tokens) / L / (pod.lpus * lpx.mem_bw * e_lpx.bw)
    t_ffn_fl = tokens * lin_e / L / (pod.lpus * pl.expert_flops * e_lpx.flops)
    t_ffn = np.maximum(t_ffn_mem, t_ffn_fl)

    link = np.minimum(g_dec * gpu.scaleout_bw, pod.lpus * lpx.scaleout_bw) * eff.comm
    t_x = tokens * m.experts_per_token * m.hidden * DISPATCH_BYTES / link

    t_layer = np.maximum(np.maximum(t_attn, t_ffn), t_x)
    t_layer = t_layer + 2 * eff.pod_hop_latency_s + eff.pod_layer_overhead_s
    t_draft = k_draft * (
        t_layer + eff.draft_overhead_s * eff.sram_latency_scale + b * e_gpu.spec_seq_overhead_s
    )
    t_step = (
        L * t_layer
        + t_draft
        + eff.step_overhead_s * eff.sram_latency_scale
        + b * e_gpu.seq_overhead_s
    )
    out_rate = seqs * tau / t_step
    req_rate = out_rate / osl

    # Prefill on the other GPUs: one expert-parallel instance over all of them.
    g_pre = pod.gpus - g_dec
    chunk = float(max(isl, eff.prefill_chunk_tokens))
    W_all = W_s + m.expert_params * m.num_experts * pg.expert_bytes
    pre_fits = W_all / np.maximum(g_pre, 1.0) <= usable * eff.prefill_weight_share
    t_fwd = _prefill_forward(gpu, m, pg, e_gpu, np.maximum(g_pre, 1.0), chunk, isl)
    capacity = eff.prefill_utilization * chunk / isl / t_fwd  # requests/s
    fits = fits & pre_fits & (req_rate <= capacity) & (g_pre >= 1)
    rho = np.clip(req_rate / (chunk / isl / t_fwd), 0.0, 0.99)
    ttft = sakasegawa_wait(rho, chunk / isl, t_fwd) + t_fwd + t_step

    tok_s = out_rate * (isl + osl) / osl / pod.accels_per_unit
    inter = tau / t_step
    shape = np.broadcast_shapes(fits.shape, tok_s.shape)
    keep = np.broadcast_to(fits, shape) & np.isfinite(tok_s) & (tok_s > 0)

    def flat(v: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(v, dtype=float), shape)[keep]

    return {
        "interactivity": flat(inter),
        "tok_s_per_gpu": flat(tok_s),
        "ttft_s": flat(ttft),
        "units": flat(1.0),
        "g": flat(g_dec),
        "pp": flat(1.0),
        "span": flat(0.0).astype(bool),
        "mode": flat(1.0).astype(int),
        "attn_group": flat(a),
        "disagg": flat(1.0).astype(bool),
        "batch": flat(seqs),
        "n_decode": flat(g_dec + pod.lpus),
        "n_prefill": flat(g_pre),
        "g_prefill": flat(g_pre),
        "t_mem": flat(L * np.maximum(t_attn_mem, t_ffn_mem)),
        "t_compute": flat(L * np.maximum(t_attn_fl, t_ffn_fl)),
        "t_comm": flat(L * t_x),
        "t_step": flat(t_step),
    }


def evaluate_pod_techniques(
    pod: PodSpec, m: ModelSpec, isl: int, osl: int, eff: Efficiency
) -> dict[str, np.ndarray]:
    """:func:`evaluate_pod` without and (if the model has one) with speculative decoding,
    concatenated with a ``technique`` column."""
    runs = [("none", 0, 1.0), *speculation_runs(m)]
    parts = []
    for tech, k, acc in runs:
        r = evaluate_pod(pod, m, isl, osl, eff, draft_tokens=k, acceptance_length=acc)
        if not r:
            continue
        r["technique"] = np.full(r["interactivity"].size, tech, dtype=object)
        parts.append(r)
    if not parts:
        return {}
    return {key: np.concatenate([r[key] for r in parts]) for key in parts[0]}
