"""Analytical (roofline) model of LLM serving, vectorised over layouts x batch sizes.

For one hardware x model pair and one workload (isl input, osl output tokens) it
evaluates every parallel layout and batch size that fits in memory and returns one
candidate operating point per (layout, batch): tokens/s each user sees, tokens/s per
accelerator (input + output, InferenceX convention) and an unloaded time to first
token. The caller keeps the Pareto envelope.

Layouts
-------
A decode *instance* is ``pp`` pipeline stages of ``g`` accelerators. Inside a stage the
``g`` accelerators run one of three modes (see :class:`Layouts`): "TP" (attention and
experts tensor-parallel, two all-reduces per layer), "DEP" (attention data-parallel with a
full copy of the non-expert weights per accelerator, experts expert-parallel, one
all-to-all dispatch + combine per layer) or "TEP" (attention tensor-parallel in groups of
8, data-parallel across groups, experts expert-parallel). DEP/TEP only for MoE models.
``g * pp`` stays inside the scale-up domain, except that servers of <= 8 accelerators
may chain up to 4 units, either as extra pipeline stages (stage hops over scale-out) or
as one group spanning the units (cross-unit share of collectives over scale-out). Racks
and SRAM hardware may not chain units: the model must fit one unit. Identical instances
side by side (data-parallel replicas) have the same per-accelerator numbers, so one is
modelled. With disaggregation, prompts are prefilled on a separate pool (the smallest
power-of-two instance whose weights fit, counted pro rata to the request rate);
otherwise prefill is chunked into the decode steps ("agg").

Decode step (per pipeline pass of a micro-batch of ``b`` sequences; ``pp`` passes per
step, B = b * pp sequences in flight; ``a`` = accelerators of one attention group:
g for TP, 1 for DEP, 8 for TEP)::

    tokens = b (+ b * isl / osl prefill tokens when aggregated)
    bytes  = (non-expert weights / a + expert weights * P(touched) / g) / pp
             + b * kv_bytes(isl + osl/2) / kv_split / pp
             P(touched) = 1 - (1 - k/E)^tokens     (distinct experts the batch reads)
             kv_split = (g/a) * min(a, kv_heads)  (MLA: g/a; sliding-window layers count
                                                   only their window)
    flops  = (2 * active_params * tokens + attention flops) / (g * pp)
    t_pass = max(bytes / (mem_bw * eff.bw), flops / (peak * eff.flops)) + comm
    comm   = TP: layers/pp * 2 * (2 (g-1)/g * tokens * hidden * 2 B / (link * eff.comm) + lat)
             DEP: layers/pp * (tokens/g * k * hidden * 3 B * (g-1)/g / (link * eff.comm) + 2 lat)
             TEP: the DEP all-to-all + one all-reduce inside each attention group
    t_step = pp * t_pass + layers * eff.layer_overhead_s + pipeline hops
             + eff.step_overhead_s + (B / (g/a)) * eff.seq_overhead_s

Peak FLOP/s is per precision (FP4 experts on FP4 hardware, FP8 otherwise; attention at
the KV precision; prefill FLOPs at eff.prefill_flops). On NVIDIA GPUs without FP4 and on
AMD GPUs both FLOP efficiencies are multiplied by a fitted software factor; on SRAM
hardware the fixed latencies are scaled by ``eff.sram_latency_scale``.

Interactivity = 1 / t_step; tok/s per accelerator = B / t_step * (isl + osl) / osl /
(decode accelerators + prefill accelerators). Memory fit per accelerator: weights +
KV of its sequences at isl + osl tokens <= memory * usable fraction (0.9 HBM, 0.95 SRAM).

Speculative decoding (MTP heads or an EAGLE-3 draft, k draft tokens, mean acceptance
length tau): tokens per sequence per step become k + 1 (through the weights, the
attention and the collectives), t_step gains k x (one layer's share + draft_overhead_s +
sequences per group x spec_seq_overhead_s), and each step emits tau tokens per sequence:
interactivity = tau / t_step. :func:`evaluate_techniques` returns both variants.

TTFT is loaded: the prefill pool is sized busy ``prefill_utilization`` of the time, and a
prompt waits in an M/D/c queue (Sakasegawa) before its forward; aggregated layouts queue
prompts on the decode instance (M/D/1). Then one decode step for the first token.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from optimizer.frontiers.perf.specs import HardwareSpec, ModelSpec, Precision, choose_precision

ACT_BYTES = 2.0  # activations exchanged in BF16
DISPATCH_BYTES = 3.0  # per element: FP8 dispatch (1 B) + BF16 combine (2 B)


FIT_NAME = "calibration-2026c"  # the fit the defaults of Efficiency come from


@dataclass(frozen=True)
class Efficiency:
    """Achieved fractions of peak and fixed latencies (the calibrated factors).

    The defaults are the fit "calibration-2026c" (:data:`FIT_NAME`): those of "calibration-2026b"
    (coordinate search, :func:`optimizer.frontiers.perf.calibration.fit`, on the "fit" points of
    ``optimizer/data/frontiers/calibration/points.csv`` of v2: B200 DeepSeek-R1 with and without
    MTP, gpt-oss-120b on H100/B200/MI355X, the B200 DeepSeek 8k/1k peak; ``typical_speed`` on the
    Kimi K2.5 vLLM anchor) and ``sw_2025`` searched alone on the v3 fit points with the ordering
    prior (a full refit on them read the held-out points worse: calibration.md, "Changes tried").
    Held-out errors: optimizer/data/frontiers/calibration.md. Fields marked "assumed" are not
    fitted.
    """

    bw: float = 0.8  # achieved / peak memory bandwidth
    flops: float = 0.2  # achieved / peak FLOP/s in decode (large-M matmuls, attention)
    gemm_m_half: float = 0.0  # decode matmul rows at which half of `flops` is reached (fit)
    prefill_flops: float = 0.7  # achieved / peak FLOP/s in prefill
    comm: float = 0.9  # achieved / peak scale-up (or scale-out) link bandwidth
    comm_latency_s: float = 20e-6  # fixed latency of one collective
    layer_overhead_s: float = 30e-6  # fixed time per layer per forward (launches, syncs)
    step_overhead_s: float = 1.5e-3  # fixed time per decode step (scheduling, sampling)
    seq_overhead_s: float = 60e-6  # per sequence per step on one scheduler (attention group)
    hopper_sw: float = 0.2  # multiplies flops and prefill_flops on NVIDIA GPUs without FP4
    amd_sw: float = 0.25  # multiplies flops and prefill_flops on AMD GPUs
    # Software vintage: x flops and prefill_flops for measurements on 2025 software (InferenceMAX
    # v1 of October 2025 and earlier runs; see :meth:`at_vintage`). The tables are built for 2026
    # software, so the generator never applies it: it only lets the fit use older points.
    sw_2025: float = 0.6
    sram_latency_scale: float = 0.25  # SRAM dataflow hardware: fixed latencies x this (assumed)
    hbm_usable: float = 0.90  # share of HBM for weights + KV (rest: activations, runtime)
    sram_usable: float = 0.95  # share of on-chip SRAM for weights + KV
    prefill_chunk_tokens: int = 8192  # tokens per prefill forward (prompts batched up to it)
    prefill_weight_share: float = 0.8  # prefill instance: weights use at most this much memory
    prefill_utilization: float = 0.8  # prefill workers busy this share of the time (assumed)
    draft_overhead_s: float = 1e-3  # speculation: fixed time per draft token per step (fit)
    spec_seq_overhead_s: float = 100e-6  # speculation: per sequence per draft token per step
    # per attention group (drafting, sampling and verifying on one scheduler) (fit)
    pod_layer_overhead_s: float = 10e-6  # GPU + LPX pod: fixed time per layer (assumed)
    pod_hop_latency_s: float = 3e-6  # GPU <-> LPX network hop, one way (assumed)
    typical_speed: float = 0.75  # typical profile: x bw, flops, comm; / fixed latencies (fit)

    def with_(self, **changes: Any) -> Efficiency:
        return replace(self, **changes)

    def at_vintage(self, vintage: str) -> Efficiency:
        """These factors for a measurement on software of ``vintage`` ("2025-10", "2026"):
        2025 software runs flops and prefill_flops at ``sw_2025`` of 2026's."""
        if not str(vintage).startswith("2025"):
            return self
        k = self.sw_2025
        return replace(self, flops=self.flops * k, prefill_flops=self.prefill_flops * k)

    def for_hardware(self, hw: HardwareSpec) -> Efficiency:
        """These factors with the software-family multiplier of `hw` folded in."""
        f = {"hopper": self.hopper_sw, "amd": self.amd_sw}.get(hw.family, 1.0)
        out = replace(
            self,
            flops=self.flops * f,
            prefill_flops=self.prefill_flops * f,
            hopper_sw=1.0,
            amd_sw=1.0,
        )
        if hw.sram:  # compiler-scheduled dataflow: no kernel launches or per-step host work
            k = self.sram_latency_scale
            out = replace(
                out,
                comm_latency_s=self.comm_latency_s * k,
                layer_overhead_s=self.layer_overhead_s * k,
                step_overhead_s=self.step_overhead_s * k,
                seq_overhead_s=self.seq_overhead_s * k,
            )
        return out

    def typical(self) -> Efficiency:
        """These factors for an off-the-shelf engine (profile "typical"): rates x
        ``typical_speed``, fixed latencies / ``typical_speed``."""
        k = self.typical_speed
        return replace(
            self,
            bw=min(self.bw * k, 1.0),
            flops=self.flops * k,
            prefill_flops=self.prefill_flops * k,
            comm=self.comm * k,
            comm_latency_s=self.comm_latency_s / k,
            layer_overhead_s=self.layer_overhead_s / k,
            step_overhead_s=self.step_overhead_s / k,
            seq_overhead_s=self.seq_overhead_s / k,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def short(self) -> str:
        return (
            f"bw {self.bw:.2f}, flops {self.flops:.2f} (half at {self.gemm_m_half:g} rows), "
            f"prefill {self.prefill_flops:.2f}, "
            f"comm {self.comm:.2f}, comm latency {self.comm_latency_s * 1e6:.0f} us, "
            f"layer overhead {self.layer_overhead_s * 1e6:.0f} us, "
            f"step overhead {self.step_overhead_s * 1e3:.2f} ms, "
            f"per-sequence overhead {self.seq_overhead_s * 1e6:.1f} us, "
            f"draft overhead {self.draft_overhead_s * 1e3:.2f} ms + "
            f"{self.spec_seq_overhead_s * 1e6:.0f} us/seq, "
            f"software x{self.hopper_sw:.2f} Hopper, x{self.amd_sw:.2f} AMD"
        )


def batch_sizes(max_batch: int = 16384) -> np.ndarray:
    """1, 2, 3, 4, 6, 8, 12, ... (powers of two and 1.5x powers of two) up to max_batch."""
    vals = {1}
    p = 1
    while p <= max_batch:
        vals.add(p)
        if 3 * p // 2 <= max_batch and p >= 2:
            vals.add(3 * p // 2)
        p *= 2
    return np.array(sorted(vals), dtype=float)


def _pow2_upto(n: int) -> list[int]:
    out, p = [], 1
    while p <= n:
        out.append(p)
        p *= 2
    return out


MODE_NAMES = ("TP", "DEP", "TEP")  # see Layouts.mode
TEP_ATTENTION = 8  # attention tensor-parallel group of a TEP layout (one HGX node)


@dataclass(frozen=True)
class Layouts:
    """Columns of candidate decode layouts (one entry per layout).

    ``mode``: 0 TP = attention and experts tensor-parallel over the g accelerators;
    1 DEP = attention data-parallel (each accelerator its own sequences and a full copy of
    the non-expert weights), experts expert-parallel over g; 2 TEP = attention
    tensor-parallel in groups of ``a`` (8, or the domain if smaller), data-parallel across
    groups, experts expert-parallel over g.
    """

    units: np.ndarray  # units (servers/racks) one instance spans
    g: np.ndarray  # accelerators in one TP/EP group (one pipeline stage)
    pp: np.ndarray  # pipeline stages
    mode: np.ndarray  # 0 TP, 1 DEP, 2 TEP
    a: np.ndarray  # accelerators sharing one attention (TP) group: g, 1 or TEP_ATTENTION
    disagg: np.ndarray  # bool
    span: np.ndarray  # bool: the group itself spans units (cross-unit traffic over scale-out)

    @property
    def n(self) -> np.ndarray:
        return self.g * self.pp


SRAM_MAX_UNITS = 16  # SRAM racks (Groq LPX) one instance may chain (pipeline over scale-out)


def default_max_units(hw: HardwareSpec) -> int:
    """Units one instance may span: 4 servers of <= 8 accelerators (over scale-out); SRAM
    racks up to :data:`SRAM_MAX_UNITS` (weights must live in SRAM, so large models are
    pipelined over racks, as Groq deploys them); other rack-scale domains: 1."""
    if hw.sram:
        return SRAM_MAX_UNITS
    return 4 if (hw.domain <= 8 and hw.accels_per_unit <= 8) else 1


TYPICAL_NODE = 8  # accelerators of one node in the "typical" profile (one HGX server)


def enumerate_layouts(
    hw: HardwareSpec, m: ModelSpec, max_units: int | None = None, typical: bool = False
) -> Layouts:
    """All layouts allowed for this pair.

    In one unit: group size g (powers of two and the whole domain) x pipeline stages pp
    with g * pp <= domain. Across u > 1 units: either pipeline stages spread over the
    units (pp multiplied by u, u stage hops over scale-out) or one group of domain * u
    accelerators whose cross-unit share of traffic uses scale-out ("span").

    ``typical``: the common deployment only: tensor parallel over one node (g a power of
    two up to 8 and the domain), one stage, aggregated (chunked) prefill.
    """
    if typical:
        gs = [g for g in _pow2_upto(min(TYPICAL_NODE, hw.domain))]
        return _layouts([(1, g, 1, 0, g, False, False) for g in gs])
    if max_units is None:
        max_units = default_max_units(hw)
    gs = sorted(set(_pow2_upto(hw.domain)) | {hw.domain})
    shapes = []  # (units, g, pp, span)
    for u in _pow2_upto(max_units):
        # Chained SRAM racks: one stage group per rack (a whole rack's group, pipelined);
        # smaller groups in a chain would only add stages the memory rule already allows.
        for g in gs if not (hw.sram and u > 1) else [hw.domain]:
            for ppi in _pow2_upto(max(1, hw.domain // g)):
                if g * ppi <= hw.domain and ppi * u <= m.layers:
                    shapes.append((u, g, ppi * u, False))
        if u > 1:
            shapes.append((u, hw.domain * u, 1, True))
    a_tep = min(TEP_ATTENTION, hw.domain)
    rows = []
    for u, g, pp, span in shapes:
        modes = [(0, g)]
        if m.is_moe and g > 1:
            modes.append((1, 1))
            if g > a_tep:
                modes.append((2, a_tep))
        for mode, a in modes:
            for dis in (False, True) if hw.disaggregation else (False,):
                rows.append((u, g, pp, mode, a, dis, span))
    return _layouts(rows)


def _layouts(rows: list[tuple[Any, ...]]) -> Layouts:
    """Layouts from rows (units, g, pp, attention mode, attention group, disaggregated, span)."""
    t = np.array(rows, dtype=float).reshape(-1, 7)
    return Layouts(
        t[:, 0],
        t[:, 1],
        t[:, 2],
        t[:, 3].astype(int),
        t[:, 4],
        t[:, 5].astype(bool),
        t[:, 6].astype(bool),
    )


def _gemm_share(rows: Any, eff: Efficiency) -> Any:
    """Share of the decode FLOP efficiency a matmul with ``rows`` rows reaches."""
    if eff.gemm_m_half <= 0:
        return 1.0
    return rows / (rows + eff.gemm_m_half)


def _touched(m: ModelSpec, tokens: np.ndarray) -> np.ndarray:
    """Expected share of experts that at least one of `tokens` routed tokens picks."""
    if not m.is_moe:
        return np.ones_like(tokens)
    return -np.expm1(tokens * np.log1p(-m.experts_per_token / m.num_experts))


def _prefill_forward(
    hw: HardwareSpec,
    m: ModelSpec,
    prec: Precision,
    eff: Efficiency,
    gp: np.ndarray,
    tokens: float,
    isl: float,
) -> np.ndarray:
    """Seconds for one prefill forward of `tokens` prompt tokens (prompts of isl) on gp accels.

    Expert parallel (MoE) or tensor parallel (dense) over gp accelerators; communication is
    overlapped with compute (two-batch overlap), so the forward takes the max of the three.
    """
    W_s = m.shared_params * prec.shared_bytes
    W_e = m.expert_params * m.num_experts * prec.expert_bytes
    byt = (W_s + W_e * float(_touched(m, np.array(tokens)))) / gp
    attn = (
        (tokens / isl) * m.layers * m.attn_flops_per_pair_prefill * m.prefill_attention_pairs(isl)
    )
    lin_s = 2.0 * m.shared_params * tokens
    lin_e = 2.0 * m.experts_per_token * m.expert_params * tokens
    t_comp = (lin_s / prec.shared_flops + lin_e / prec.expert_flops + attn / prec.attn_flops) / (
        gp * eff.prefill_flops
    )
    t_mem = byt / (hw.mem_bw * eff.bw)
    # MoE: expert parallel (all-to-all of each token to k experts); dense: TP all-reduces.
    # The share of traffic leaving a unit goes over scale-out.
    off = np.where(gp > hw.domain, 1.0 - hw.domain / gp, 0.0)
    link = 1.0 / ((1.0 - off) / hw.scaleup_bw + off / hw.scaleout_bw) * eff.comm
    if m.is_moe:
        vol = tokens / gp * m.experts_per_token * m.hidden * DISPATCH_BYTES * (gp - 1) / gp
        per_layer = vol / link + 2 * eff.comm_latency_s
    else:
        per_layer = 2 * (
            2 * (gp - 1) / gp * tokens * m.hidden * ACT_BYTES / link + eff.comm_latency_s
        )
    t_comm = np.where(gp > 1, m.layers * per_layer, 0.0)
    return (
        np.maximum(np.maximum(t_mem, t_comp), t_comm)
        + m.layers * eff.layer_overhead_s
        + eff.step_overhead_s
    )


def sakasegawa_wait(rho: Any, servers: Any, service_s: Any) -> Any:
    """Mean wait in queue of an M/D/c queue (Poisson arrivals, fixed service time):
    Sakasegawa's approximation W = S * rho^(sqrt(2(c+1)) - 1) / (c (1 - rho)) * (1 + 0) / 2."""
    rho = np.clip(rho, 0.0, 0.99)
    c = np.maximum(servers, 1.0)
    return service_s * rho ** (np.sqrt(2.0 * (c + 1.0)) - 1.0) / (c * (1.0 - rho)) / 2.0


def evaluate(
    hw: HardwareSpec,
    m: ModelSpec,
    isl: int,
    osl: int,
    eff: Efficiency,
    prec: Precision | None = None,
    max_units: int | None = None,
    batches: np.ndarray | None = None,
    draft_tokens: int = 0,
    acceptance_length: float = 1.0,
    typical: bool = False,
) -> dict[str, np.ndarray]:
    """Every feasible (layout, batch) point for one pair and workload, as flat arrays.

    Keys: interactivity, tok_s_per_gpu, ttft_s, units, g, pp, span, mode, attn_group,
    disagg, batch (sequences in flight per instance), n_decode, n_prefill, g_prefill and the
    step-time parts t_mem, t_compute, t_comm, t_step (seconds). Empty arrays when nothing fits.

    Speculative decoding (``draft_tokens`` k > 0): each step drafts k tokens per sequence
    with a one-layer draft head (MTP module or EAGLE head: k x one target layer's time),
    verifies k + 1 tokens per sequence in one target forward (k + 1 times the tokens
    through the weights and the attention, the same KV reads) and emits
    ``acceptance_length`` tokens per sequence on average. ``typical``: the layouts of
    :func:`enumerate_layouts` (typical=True) with :meth:`Efficiency.typical` factors.
    """
    prec = prec or choose_precision(hw, m)
    eff = eff.for_hardware(hw)
    if typical:
        eff = eff.typical()
    max_units = default_max_units(hw) if max_units is None else max_units
    lay = enumerate_layouts(hw, m, max_units, typical=typical)
    b = (batches if batches is not None else batch_sizes())[None, :]
    u, g, pp, a = lay.units[:, None], lay.g[:, None], lay.pp[:, None], lay.a[:, None]
    mode, dis, span = lay.mode[:, None], lay.disagg[:, None], lay.span[:, None]
    n = g * pp
    L = float(m.layers)
    k_draft = float(max(draft_tokens, 0))
    tau = float(acceptance_length) if draft_tokens > 0 else 1.0

    usable = hw.mem_bytes * (eff.sram_usable if hw.sram else eff.hbm_usable)
    W_s = m.shared_params * prec.shared_bytes
    W_e = m.expert_params * m.num_experts * prec.expert_bytes
    kv_tok = m.kv_bytes_per_token_bf16 * prec.kv_scale
    ctx_max = float(isl + osl)
    ctx_avg = isl + osl / 2.0
    kv_seq_max = kv_tok * float(m.ctx_eff(ctx_max))
    kv_seq_avg = kv_tok * float(m.ctx_eff(ctx_avg))
    # Sequences are split over the g/a attention groups; inside a group the KV cache is
    # split by KV head (replicated when the group is wider than the KV heads; MLA: 1 head).
    kv_split = (g / a) * (1.0 if m.mla else np.minimum(a, m.kv_heads))
    groups = g / a

    # Memory fit, per accelerator: each stage holds 1/pp of the layers for all b*pp sequences.
    w_gpu = (W_s / a + W_e / g) / pp
    kv_gpu = b * kv_seq_max / kv_split
    fits = (w_gpu + kv_gpu <= usable) & (b >= groups)  # every attention group has a sequence

    # Tokens through the weights per pass: decode tokens (k + 1 per sequence when
    # speculating), plus chunked prefill when aggregated (a sequence finishes every
    # osl / tau steps, so b * isl * tau / osl prompt tokens per step).
    tok_dec = b * (1.0 + k_draft)
    tok_pre = np.where(dis, 0.0, b * isl * tau / osl)
    tokens = tok_dec + tok_pre
    byt = (W_s / a + W_e * _touched(m, tokens) / g) / pp + b * kv_seq_avg / kv_split / pp
    t_mem = byt / (hw.mem_bw * eff.bw)
    lin_s, lin_e = 2.0 * m.shared_params, 2.0 * m.experts_per_token * m.expert_params
    attn_dec = tok_dec * L * m.attn_flops_per_pair_decode * float(m.ctx_eff(ctx_avg))
    attn_pre = (tok_pre / isl) * L * m.attn_flops_per_pair_prefill * m.prefill_attention_pairs(isl)
    # Matmuls at small M (tokens per weight matrix) run below peak: efficiency x M / (M + M0)
    # with M0 = eff.gemm_m_half (0: no such loss). Experts see tokens x k / E rows each,
    # the shared weights the tokens of one attention group.
    f_e = _gemm_share(tokens * max(m.experts_per_token, 1) / max(m.num_experts, 1), eff)
    f_s = _gemm_share(tokens / groups, eff)
    t_comp = (
        (
            tok_dec * (lin_s / (prec.shared_flops * f_s) + lin_e / (prec.expert_flops * f_e))
            + attn_dec / prec.attn_flops
        )
        / eff.flops
        + (
            tok_pre * (lin_s / prec.shared_flops + lin_e / prec.expert_flops)
            + attn_pre / prec.attn_flops
        )
        / eff.prefill_flops
    ) / (g * pp)
    t_roof = np.maximum(t_mem, t_comp)

    # Collectives per layer. Inside a unit they use scale-up links; a group spanning u units
    # sends the cross-unit share over scale-out (hierarchical all-reduce; all-to-all split by
    # destination). TP: two all-reduces of the tokens' activations; DEP: all-to-all dispatch +
    # combine of each token to its k experts; TEP: one attention all-reduce inside the group
    # of a (in one unit) + the all-to-all.
    link_up = hw.scaleup_bw * eff.comm
    link_out = hw.scaleout_bw * eff.comm
    g_in = np.where(span, float(hw.domain), g)
    u_span = np.where(span, u, 1.0)
    lat = eff.comm_latency_s * np.where(span, 2.0, 1.0)
    x = tokens * m.hidden * ACT_BYTES  # one all-reduce payload of the whole group
    tp_comm = 2 * (
        2 * (g_in - 1) / g_in * x / link_up + 2 * (u_span - 1) / u_span * x / g_in / link_out + lat
    )
    y = (tokens / g) * m.experts_per_token * m.hidden * DISPATCH_BYTES  # a2a bytes per accelerator
    a2a = np.maximum(y * (g_in - 1) / g / link_up, y * (g - g_in) / g / link_out) + 2 * lat
    attn_ar = np.where(a > 1, 2 * (a - 1) / a * x / groups / link_up + eff.comm_latency_s, 0.0)
    comm = np.where(
        g > 1, np.select([mode == 0, mode == 1], [tp_comm, a2a], a2a + attn_ar), 0.0
    ) * (L / pp)

    # Pipeline hops per step: one per stage boundary; with stages in u units, u cross units.
    hop = tokens * m.hidden * ACT_BYTES
    cross = np.where((u > 1) & ~span, u, 0.0)
    hops = np.where(
        pp > 1,
        (pp - cross) * (hop / link_up + eff.comm_latency_s)
        + cross * (hop / link_out + 2 * eff.comm_latency_s),
        0.0,
    )
    seqs = b * pp
    per_sched = seqs / groups  # one scheduler per attention group
    # Draft: k sequential passes of a one-layer head (each ~ one target layer's share of the
    # pass, plus a fixed draft-step cost), and per-sequence drafting / rejection sampling.
    t_draft = k_draft * (
        pp * (t_roof + comm) / L
        + eff.layer_overhead_s
        + eff.draft_overhead_s
        + per_sched * eff.spec_seq_overhead_s
    )
    t_step = (
        pp * (t_roof + comm)
        + L * eff.layer_overhead_s
        + hops
        + t_draft
        + eff.step_overhead_s
        + per_sched * eff.seq_overhead_s
    )
    out_rate = seqs * tau / t_step  # output tokens/s of one instance
    req_rate = out_rate / osl  # requests/s one instance finishes (= admits)

    # Prefill pool (disaggregated): smallest power-of-two instance whose weights fit, sized
    # so that it is busy eff.prefill_utilization of the time.
    w_total = W_s + W_e
    cap = usable * eff.prefill_weight_share
    max_gp = hw.domain * max_units
    gp_need = max(1.0, 2.0 ** np.ceil(np.log2(max(w_total / cap, 1.0))))
    gp_ok = gp_need <= max_gp
    chunk = float(max(isl, eff.prefill_chunk_tokens))
    t_fwd = float(_prefill_forward(hw, m, prec, eff, np.array(gp_need), chunk, isl))
    gpu_s_per_req = gp_need * t_fwd * isl / chunk
    rho = eff.prefill_utilization
    n_pre = np.where(dis, req_rate * gpu_s_per_req / rho, 0.0)
    fits = fits & (~dis | gp_ok)

    # TTFT under load (queueing for the prefill workers, M/D/c wait, Sakasegawa):
    # disaggregated: the prefill instances that serve one decode instance (at least one),
    # each taking chunk/isl prompts per forward, busy rho of the time; TTFT = wait + one
    # forward + the first decode step. Aggregated: the decode instance is the one server; a
    # prompt's prefill on the whole instance takes t_pre, prompts arrive at req_rate
    # (utilisation req_rate * t_pre); TTFT = wait + t_pre + one step.
    slots = np.maximum(np.floor(n_pre / gp_need), 1.0) * max(1.0, chunk / isl)
    ttft_dis = sakasegawa_wait(rho, slots, t_fwd) + t_fwd + t_step
    t_pre = _prefill_forward(hw, m, prec, eff, n, float(isl), isl)
    ttft_agg = sakasegawa_wait(req_rate * t_pre, 1.0, t_pre) + t_pre + t_step
    ttft = np.where(dis, ttft_dis, ttft_agg)

    tok_s = out_rate * (isl + osl) / osl / (n + n_pre)
    inter = tau / t_step
    shape = np.broadcast_shapes(fits.shape, tok_s.shape)
    keep = np.broadcast_to(fits, shape) & np.isfinite(tok_s) & (tok_s > 0)

    def flat(x: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(x), shape)[keep]

    return {
        "interactivity": flat(inter),
        "tok_s_per_gpu": flat(tok_s),
        "ttft_s": flat(ttft),
        "units": flat(u),
        "g": flat(g),
        "pp": flat(pp),
        "span": flat(span),
        "mode": flat(mode),
        "attn_group": flat(a),
        "disagg": flat(dis),
        "batch": flat(seqs),
        "n_decode": flat(n),
        "n_prefill": flat(n_pre),
        "g_prefill": flat(np.where(dis, gp_need, 0.0)),
        "t_mem": flat(pp * t_mem),
        "t_compute": flat(pp * t_comp),
        "t_comm": flat(pp * comm + hops),
        "t_step": flat(t_step),
    }


def per_token_acceptance(draft_tokens: int, acceptance_length: float) -> float:
    """The per-draft acceptance a (each draft kept with probability a if the one before was)
    for which 1 + a + ... + a^k equals the published mean acceptance length at k drafts."""
    k, tau = int(draft_tokens), float(acceptance_length)
    if tau >= k + 1:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if sum(mid**i for i in range(k + 1)) < tau:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def speculation_runs(m: ModelSpec) -> list[tuple[str, int, float]]:
    """(technique, draft tokens, acceptance length) for one draft and for the model's draft
    length (deployments pick the draft length per load, as benchmark sweeps do); the short
    draft keeps the per-draft acceptance a of the published figure: 1 + a (1 + a + ... + a^j
    in general)."""
    if m.spec_draft_tokens <= 0:
        return []
    a = per_token_acceptance(m.spec_draft_tokens, m.spec_acceptance_length)
    lengths = sorted({1, m.spec_draft_tokens})  # the ends: 1 draft at large batch, k at small
    return [(m.spec_technique, j, sum(a**i for i in range(j + 1))) for j in lengths]


def evaluate_techniques(
    hw: HardwareSpec,
    m: ModelSpec,
    isl: int,
    osl: int,
    eff: Efficiency,
    prec: Precision | None = None,
    typical: bool = False,
) -> dict[str, np.ndarray]:
    """:func:`evaluate` without speculation and, for a model with a ``speculative:`` entry
    (tuned profile only: off-the-shelf defaults do not speculate), with it; concatenated,
    with a ``technique`` column ("none" or the model's technique)."""
    runs = [("none", 0, 1.0)]
    if not typical:
        runs += speculation_runs(m)
    parts = []
    for tech, k, acc in runs:
        r = evaluate(
            hw,
            m,
            isl,
            osl,
            eff,
            prec=prec,
            draft_tokens=k,
            acceptance_length=acc,
            typical=typical,
        )
        r["technique"] = np.full(r["interactivity"].size, tech, dtype=object)
        parts.append(r)
    return {key: np.concatenate([r[key] for r in parts]) for key in parts[0]}


def envelope_mask(inter: np.ndarray, tok: np.ndarray) -> np.ndarray:
    """Boolean mask of the Pareto upper envelope (max interactivity and throughput)."""
    if inter.size == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((-tok, -inter))  # interactivity desc, then throughput desc
    best_before = np.concatenate([[-np.inf], np.maximum.accumulate(tok[order])[:-1]])
    on = tok[order] > best_before
    mask = np.zeros(inter.size, dtype=bool)
    mask[order[on]] = True
    return mask
