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
    t_pass = sum over kernel classes c of max(bytes_c / (mem_bw * eff.bw),
                                              flops_c / (peak_c * eff_c)) + comm
             eff_c = eff.flops for attention, eff.flops * eff.matmul_flops for matmuls
             classes: shared matmuls / shared weights, expert matmuls / touched experts,
             attention / KV (read once for the 1 + k queries of a sequence); aggregated
             prefill tokens add their FLOPs at eff.prefill_flops
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

from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.frontiers.perf.efficiency import FIT_NAME, Efficiency
from optimizer.frontiers.perf.layouts import (
    MODE_NAMES,
    SRAM_MAX_UNITS,
    TEP_ATTENTION,
    TYPICAL_NODE,
    Layouts,
    batch_sizes,
    default_max_units,
    enumerate_layouts,
)
from optimizer.frontiers.perf.specs import HardwareSpec, ModelSpec, Precision, choose_precision

__all__ = [  # the layout and factor names are re-exported: callers import them from here
    "FIT_NAME",
    "MODE_NAMES",
    "SRAM_MAX_UNITS",
    "TEP_ATTENTION",
    "TYPICAL_NODE",
    "Efficiency",
    "Layouts",
    "batch_sizes",
    "default_max_units",
    "enumerate_layouts",
    "envelope_mask",
    "evaluate",
    "evaluate_techniques",
    "per_token_acceptance",
    "sakasegawa_wait",
    "speculation_runs",
]

ACT_BYTES = 2.0  # activations exchanged in BF16
DISPATCH_BYTES = 3.0  # per element: FP8 dispatch (1 B) + BF16 combine (2 B)


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


@dataclass(frozen=True)
class _Grid:
    """One evaluation's layouts (rows) x batch sizes (columns), broadcast, and its workload."""

    hw: HardwareSpec
    m: ModelSpec
    prec: Precision
    eff: Efficiency
    isl: int
    osl: int
    u: np.ndarray  # units one instance spans
    g: np.ndarray  # accelerators of one group (stage)
    pp: np.ndarray  # pipeline stages
    a: np.ndarray  # accelerators of one attention group
    mode: np.ndarray  # 0 TP, 1 DEP, 2 TEP
    dis: np.ndarray  # disaggregated prefill
    span: np.ndarray  # the group spans units
    b: np.ndarray  # sequences per micro-batch (per pipeline pass)
    k_draft: float  # draft tokens per sequence per step
    tau: float  # tokens emitted per sequence per step

    @property
    def groups(self) -> np.ndarray:
        return self.g / self.a

    @property
    def kv_split(self) -> np.ndarray:
        """Ways one sequence's KV is split: over the g/a attention groups and, inside a group,
        by KV head (replicated when the group is wider than the KV heads; MLA: 1 head)."""
        heads = 1.0 if self.m.mla else np.minimum(self.a, self.m.kv_heads)
        return self.groups * heads

    @property
    def weights(self) -> tuple[float, float]:
        """Bytes of the shared (non-expert) and of all expert weights."""
        m, prec = self.m, self.prec
        return (
            m.shared_params * prec.shared_bytes,
            m.expert_params * m.num_experts * prec.expert_bytes,
        )

    def kv_seq(self, ctx: float) -> float:
        """KV bytes of one sequence at ``ctx`` tokens."""
        return self.m.kv_bytes_per_token_bf16 * self.prec.kv_scale * float(self.m.ctx_eff(ctx))


def _fits(grid: _Grid, usable: float) -> np.ndarray:
    """Memory fit per accelerator: each stage holds 1/pp of the layers for all b*pp sequences
    at isl + osl tokens; every attention group has at least one sequence."""
    W_s, W_e = grid.weights
    w_gpu = (W_s / grid.a + W_e / grid.g) / grid.pp
    kv_gpu = grid.b * grid.kv_seq(float(grid.isl + grid.osl)) / grid.kv_split
    return (w_gpu + kv_gpu <= usable) & (grid.b >= grid.groups)


def _decode_roofline(grid: _Grid) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(t_mem, t_compute, t_roof, tokens) of one pipeline pass: all bytes at the achieved
    bandwidth, all FLOPs at the achieved rate, and the pass's time (a roofline per kernel
    class, summed).

    Tokens through the weights: decode tokens (k + 1 per sequence when speculating), plus
    chunked prefill when aggregated (a sequence finishes every osl / tau steps, so
    b * isl * tau / osl prompt tokens per step). Matmuls at small M (tokens per weight matrix)
    run below peak: efficiency x M / (M + M0), M0 = eff.gemm_m_half; experts see tokens x k / E
    rows each, the shared weights the tokens of one attention group.
    """
    m, prec, eff, b, isl = grid.m, grid.prec, grid.eff, grid.b, grid.isl
    W_s, W_e = grid.weights
    tok_dec = b * (1.0 + grid.k_draft)
    tok_pre = np.where(grid.dis, 0.0, b * isl * grid.tau / grid.osl)
    tokens = tok_dec + tok_pre
    ctx_avg = isl + grid.osl / 2.0
    L = float(m.layers)
    lin_s, lin_e = 2.0 * m.shared_params, 2.0 * m.experts_per_token * m.expert_params
    attn_dec = tok_dec * L * m.attn_flops_per_pair_decode * float(m.ctx_eff(ctx_avg))
    attn_pre = (tok_pre / isl) * L * m.attn_flops_per_pair_prefill * m.prefill_attention_pairs(isl)
    f_e = _gemm_share(tokens * max(m.experts_per_token, 1) / max(m.num_experts, 1), eff)
    f_s = _gemm_share(tokens / grid.groups, eff)
    # Roofline per kernel class (the kernels of a pass run one after another): shared matmuls
    # against the shared weights, expert matmuls against the experts the batch touches,
    # attention against the KV read once for all 1 + k queries of a sequence; chunked prefill
    # is compute bound. A verify pass is thus bound by weight / KV reads at small batch (its
    # extra tokens nearly free) and by FLOPs at large batch.
    bw, peak = grid.hw.mem_bw * eff.bw, eff.flops * grid.g * grid.pp  # per pass, all stages
    mm = peak * eff.matmul_flops  # decode matmuls reach matmul_flops x attention's efficiency
    classes = (  # (seconds reading, seconds computing)
        (W_s / grid.a / grid.pp / bw, tok_dec * lin_s / (prec.shared_flops * f_s) / mm),
        (
            W_e * _touched(m, tokens) / grid.g / grid.pp / bw,
            tok_dec * lin_e / (prec.expert_flops * f_e) / mm,
        ),
        (
            b * grid.kv_seq(ctx_avg) / grid.kv_split / grid.pp / bw,
            attn_dec / prec.attn_flops / peak,
        ),
    )
    pre = (
        tok_pre * (lin_s / prec.shared_flops + lin_e / prec.expert_flops)
        + attn_pre / prec.attn_flops
    )
    t_pre = pre / (eff.prefill_flops * grid.g * grid.pp)
    t_mem = sum(r for r, _ in classes)
    t_comp = sum(c for _, c in classes) + t_pre
    roof = sum(np.maximum(r, c) for r, c in classes) + t_pre
    return t_mem, t_comp, roof, tokens


def _collectives(grid: _Grid, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(comm per pipeline pass, pipeline hops per step).

    Collectives per layer use scale-up links inside a unit; a group spanning u units sends
    the cross-unit share over scale-out (hierarchical all-reduce; all-to-all split by
    destination). TP: two all-reduces of the tokens' activations; DEP: all-to-all dispatch +
    combine of each token to its k experts; TEP: one attention all-reduce inside the group of
    a (in one unit) + the all-to-all. Hops: one per stage boundary; with stages in u units,
    u of them cross units.
    """
    hw, m, eff, g, a, u, pp, span = (
        grid.hw,
        grid.m,
        grid.eff,
        grid.g,
        grid.a,
        grid.u,
        grid.pp,
        grid.span,
    )
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
    attn_ar = np.where(a > 1, 2 * (a - 1) / a * x / grid.groups / link_up + eff.comm_latency_s, 0.0)
    mode = grid.mode
    per_layer = np.select([mode == 0, mode == 1], [tp_comm, a2a], a2a + attn_ar)
    comm = np.where(g > 1, per_layer, 0.0) * (float(m.layers) / pp)
    cross = np.where((u > 1) & ~span, u, 0.0)
    hops = np.where(
        pp > 1,
        (pp - cross) * (x / link_up + eff.comm_latency_s)
        + cross * (x / link_out + 2 * eff.comm_latency_s),
        0.0,
    )
    return comm, hops


def _step_time(grid: _Grid, t_pass: np.ndarray, hops: np.ndarray) -> np.ndarray:
    """Seconds of one decode step: pp passes, fixed costs, per-sequence host work and, when
    speculating, k sequential passes of a one-layer draft head (each ~ one target layer's
    share of the pass, plus a fixed draft-step cost) and per-sequence drafting / rejection
    sampling."""
    eff, pp, L = grid.eff, grid.pp, float(grid.m.layers)
    per_sched = grid.b * pp / grid.groups  # one scheduler per attention group
    t_draft = grid.k_draft * (
        pp * t_pass / L
        + eff.layer_overhead_s
        + eff.draft_overhead_s
        + per_sched * eff.spec_seq_overhead_s
    )
    return (
        pp * t_pass
        + L * eff.layer_overhead_s
        + hops
        + t_draft
        + eff.step_overhead_s
        + per_sched * eff.seq_overhead_s
    )


def _prefill_pool(
    grid: _Grid, usable: float, max_units: int, req_rate: np.ndarray
) -> tuple[np.ndarray, float, float, bool]:
    """(prefill accelerators per decode instance, accelerators of one prefill instance, seconds
    of one prefill forward of a chunk, whether that instance fits).

    Disaggregated: the smallest power-of-two instance whose weights fit, sized so that it is
    busy ``eff.prefill_utilization`` of the time at the instance's request rate.
    """
    hw, eff = grid.hw, grid.eff
    W_s, W_e = grid.weights
    cap = usable * eff.prefill_weight_share
    gp_need = max(1.0, 2.0 ** np.ceil(np.log2(max((W_s + W_e) / cap, 1.0))))
    chunk = float(max(grid.isl, eff.prefill_chunk_tokens))
    t_fwd = float(_prefill_forward(hw, grid.m, grid.prec, eff, np.array(gp_need), chunk, grid.isl))
    gpu_s_per_req = gp_need * t_fwd * grid.isl / chunk
    n_pre = np.where(grid.dis, req_rate * gpu_s_per_req / eff.prefill_utilization, 0.0)
    return n_pre, gp_need, t_fwd, bool(gp_need <= hw.domain * max_units)


def _ttft(
    grid: _Grid,
    n: np.ndarray,
    n_pre: np.ndarray,
    gp_need: float,
    t_fwd: float,
    req_rate: np.ndarray,
    t_step: np.ndarray,
) -> np.ndarray:
    """Loaded time to first token (M/D/c wait, Sakasegawa, + one forward + one decode step).

    Disaggregated: the prefill instances that serve one decode instance (at least one), each
    taking chunk/isl prompts per forward, busy rho of the time. Aggregated: the decode
    instance is the one server; a prompt's prefill on the whole instance takes t_pre, prompts
    arrive at req_rate (utilisation req_rate * t_pre).
    """
    eff, isl = grid.eff, grid.isl
    chunk = float(max(isl, eff.prefill_chunk_tokens))
    slots = np.maximum(np.floor(n_pre / gp_need), 1.0) * max(1.0, chunk / isl)
    ttft_dis = sakasegawa_wait(eff.prefill_utilization, slots, t_fwd) + t_fwd + t_step
    t_pre = _prefill_forward(grid.hw, grid.m, grid.prec, eff, n, float(isl), isl)
    ttft_agg = sakasegawa_wait(req_rate * t_pre, 1.0, t_pre) + t_pre + t_step
    return np.where(grid.dis, ttft_dis, ttft_agg)


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
    col = lambda v: v[:, None]  # noqa: E731  (layouts as rows)
    grid = _Grid(
        hw, m, prec, eff, isl, osl,
        col(lay.units), col(lay.g), col(lay.pp), col(lay.a), col(lay.mode), col(lay.disagg),
        col(lay.span), (batches if batches is not None else batch_sizes())[None, :],
        float(max(draft_tokens, 0)),
        float(acceptance_length) if draft_tokens > 0 else 1.0,
    )  # fmt: skip
    usable = hw.mem_bytes * (eff.sram_usable if hw.sram else eff.hbm_usable)
    t_mem, t_comp, t_roof, tokens = _decode_roofline(grid)
    comm, hops = _collectives(grid, tokens)
    t_pass = t_roof + comm
    t_step = _step_time(grid, t_pass, hops)
    seqs = grid.b * grid.pp
    out_rate = seqs * grid.tau / t_step  # output tokens/s of one instance
    req_rate = out_rate / osl  # requests/s one instance finishes (= admits)
    n_pre, gp_need, t_fwd, gp_ok = _prefill_pool(grid, usable, max_units, req_rate)
    n = grid.g * grid.pp
    ttft = _ttft(grid, n, n_pre, gp_need, t_fwd, req_rate, t_step)
    fits = _fits(grid, usable) & (~grid.dis | gp_ok)
    tok_s = out_rate * (isl + osl) / osl / (n + n_pre)
    shape = np.broadcast_shapes(fits.shape, tok_s.shape)
    keep = np.broadcast_to(fits, shape) & np.isfinite(tok_s) & (tok_s > 0)

    def flat(x: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(x), shape)[keep]

    return {
        "interactivity": flat(grid.tau / t_step),
        "tok_s_per_gpu": flat(tok_s),
        "ttft_s": flat(ttft),
        "units": flat(grid.u),
        "g": flat(grid.g),
        "pp": flat(grid.pp),
        "span": flat(grid.span),
        "mode": flat(grid.mode),
        "attn_group": flat(grid.a),
        "disagg": flat(grid.dis),
        "batch": flat(seqs),
        "n_decode": flat(n),
        "n_prefill": flat(n_pre),
        "g_prefill": flat(np.where(grid.dis, gp_need, 0.0)),
        "t_mem": flat(grid.pp * t_mem),
        "t_compute": flat(grid.pp * t_comp),
        "t_comm": flat(grid.pp * comm + hops),
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
    length (deployments pick the draft length per load, as benchmark sweeps do). The long
    draft keeps the published length; the one-draft run emits 1 + the first draft's
    acceptance: the published ``first_acceptance`` where a source gives one, else the
    per-draft rate a behind the published length (1 + a)."""
    if m.spec_draft_tokens <= 0:
        return []
    a = per_token_acceptance(m.spec_draft_tokens, m.spec_acceptance_length)
    first = m.spec_first_acceptance or a
    lengths = sorted({1, m.spec_draft_tokens})  # the ends: 1 draft at large batch, k at small
    return [
        (m.spec_technique, j, 1.0 + first if j == 1 else m.spec_acceptance_length) for j in lengths
    ]


def evaluate_techniques(
    hw: HardwareSpec, m: ModelSpec, isl: int, osl: int, eff: Efficiency, **kw: Any
) -> dict[str, np.ndarray]:
    """:func:`evaluate` without speculation and, for a model with a ``speculative:`` entry
    (tuned profile only: off-the-shelf defaults do not speculate), with it; concatenated,
    with a ``technique`` column ("none" or the model's technique). ``kw``: :func:`evaluate`'s
    ``prec`` and ``typical``."""
    runs = [("none", 0, 1.0)]
    if not kw.get("typical", False):
        runs += speculation_runs(m)
    parts = []
    for tech, k, acc in runs:
        r = evaluate(hw, m, isl, osl, eff, draft_tokens=k, acceptance_length=acc, **kw)
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
