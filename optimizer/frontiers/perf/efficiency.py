"""The calibrated factors of the serving model (:class:`Efficiency`) and their software vintages.

Achieved fractions of peak rates and fixed latencies that turn the roofline of
:mod:`optimizer.frontiers.perf.engine` into served throughput; fitted by
:func:`optimizer.frontiers.perf.calibration.fit` (errors in
``optimizer/data/frontiers/calibration.md``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from optimizer.frontiers.perf.specs import HardwareSpec

FIT_NAME = "calibration-2026e"  # the fit the defaults of Efficiency come from
EARLY_2026_MONTHS = ("2026-01", "2026-02", "2026-03")  # AMD software before April 2026 (and 2025)


@dataclass(frozen=True)
class Efficiency:
    """Achieved fractions of peak and fixed latencies (the calibrated factors).

    The defaults are "calibration-2026e" (:data:`FIT_NAME`): "calibration-2026d" with
    ``matmul_flops`` searched alone on the fit points (generator v2.2, where decode matmuls and
    attention each have their own FLOP efficiency; the held-out points were scored only after).
    "calibration-2026d" is the factors of "calibration-2026c"
    under generator v2.1's roofline per kernel class (refits under it read the held-out points
    worse: calibration.md, "Changes tried") and ``amd_sw_early_2026`` searched alone on the fit
    points (with the February and March 2026 MI355X DeepSeek-R1 runs added to them).
    "calibration-2026c" is "calibration-2026b" (coordinate search,
    :func:`optimizer.frontiers.perf.calibration.fit`, on the "fit" points of
    ``optimizer/data/frontiers/calibration/points.csv`` of v2: B200 DeepSeek-R1 with and without
    MTP, gpt-oss-120b on H100/B200/MI355X, the B200 DeepSeek 8k/1k peak; ``typical_speed`` on the
    Kimi K2.5 vLLM anchor) and ``sw_2025`` searched alone on the v3 fit points with the ordering
    prior (a full refit on them read the held-out points worse: calibration.md, "Changes tried").
    Held-out errors: optimizer/data/frontiers/calibration.md. Fields marked "assumed" are not
    fitted.
    """

    bw: float = 0.8  # achieved / peak memory bandwidth
    flops: float = 0.2  # achieved / peak FLOP/s in decode attention (and the base of matmuls)
    # Decode matmuls (shared and expert weights) reach this x `flops`; attention stays at
    # `flops`: its softmax and split-KV reductions run off the tensor cores, so it reaches a
    # smaller share of the tensor-core peak than a large matmul (fit: searched alone on the fit
    # points, calibration.md "Changes tried"; the Rubin + LPX pod keeps one efficiency).
    matmul_flops: float = 1.75
    gemm_m_half: float = 0.0  # decode matmul rows at which half of `flops` is reached (fit)
    prefill_flops: float = 0.7  # achieved / peak FLOP/s in prefill
    comm: float = 0.9  # achieved / peak scale-up (or scale-out) link bandwidth
    comm_latency_s: float = 20e-6  # fixed latency of one collective
    layer_overhead_s: float = 30e-6  # fixed time per layer per forward (launches, syncs)
    step_overhead_s: float = 1.5e-3  # fixed time per decode step (scheduling, sampling)
    seq_overhead_s: float = 60e-6  # per sequence per step on one scheduler (attention group)
    hopper_sw: float = 0.2  # multiplies flops and prefill_flops on NVIDIA GPUs without FP4
    amd_sw: float = 0.25  # multiplies flops and prefill_flops on AMD GPUs (May 2026 software)
    # AMD software moved within 2026 (MI355X's 8k/1k slow end rose 2.4x between the March and
    # May runs of one benchmark): ``amd_sw`` for AMD runs before April 2026 (see at_vintage).
    amd_sw_early_2026: float = 0.15
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
        """These factors for a measurement on software of ``vintage`` ("2025-10", "2026", or a
        month "2026-MM"): 2025 software runs flops and prefill_flops at ``sw_2025`` of 2026's;
        AMD software before April 2026 at ``amd_sw_early_2026`` instead of ``amd_sw``. A 2025
        AMD run matches both rules and gets both: its software predates the early-2026 AMD
        software that ``amd_sw_early_2026`` is fitted on, by the step ``sw_2025`` measures from
        2025 to 2026 (``amd_sw`` only reaches AMD hardware: :meth:`for_hardware`)."""
        v = str(vintage)
        if v.startswith("2025"):
            k = self.sw_2025
            return replace(
                self,
                flops=self.flops * k,
                prefill_flops=self.prefill_flops * k,
                amd_sw=self.amd_sw_early_2026,
            )
        if v[:7] in EARLY_2026_MONTHS:
            return replace(self, amd_sw=self.amd_sw_early_2026)
        return self

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
            out = out.scale_latencies(self.sram_latency_scale)
        return out

    def scale_latencies(self, k: float, drafts: bool = True) -> Efficiency:
        """These factors with the fixed latencies (per collective, layer, step, sequence) x
        ``k``."""
        return replace(
            self,
            comm_latency_s=self.comm_latency_s * k,
            layer_overhead_s=self.layer_overhead_s * k,
            step_overhead_s=self.step_overhead_s * k,
            seq_overhead_s=self.seq_overhead_s * k,
        )

    def typical(self) -> Efficiency:
        """These factors for an off-the-shelf engine (profile "typical"): rates x
        ``typical_speed``, fixed latencies / ``typical_speed``."""
        k = self.typical_speed
        return replace(
            self.scale_latencies(1.0 / k),
            bw=min(self.bw * k, 1.0),
            flops=self.flops * k,
            prefill_flops=self.prefill_flops * k,
            comm=self.comm * k,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def short(self) -> str:
        return (
            f"bw {self.bw:.2f}, flops {self.flops:.2f} (matmuls x{self.matmul_flops:g}, half at "
            f"{self.gemm_m_half:g} rows), "
            f"prefill {self.prefill_flops:.2f}, "
            f"comm {self.comm:.2f}, comm latency {self.comm_latency_s * 1e6:.0f} us, "
            f"layer overhead {self.layer_overhead_s * 1e6:.0f} us, "
            f"step overhead {self.step_overhead_s * 1e3:.2f} ms, "
            f"per-sequence overhead {self.seq_overhead_s * 1e6:.1f} us, "
            f"draft overhead {self.draft_overhead_s * 1e3:.2f} ms + "
            f"{self.spec_seq_overhead_s * 1e6:.0f} us/seq, "
            f"software x{self.hopper_sw:.2f} Hopper, x{self.amd_sw:.2f} AMD"
        )
