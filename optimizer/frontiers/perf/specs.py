"""Hardware and model specifications for the frontier generator, checked and typed.

The specs come from ``optimizer/data/specs/hardware.yaml`` and ``models.yaml`` (one dict
per entry, fields as documented at the top of those files). :func:`hardware_from_dict`
and :func:`model_from_dict` check one entry and return a frozen dataclass in SI units
(bytes, bytes/s, FLOP/s); :func:`load_spec_files` reads YAML files that hold a
``hardware:`` and/or ``models:`` list. Every problem is a :class:`SpecError` whose one
line names the file (when known) and the key path, e.g.
``hardware.yaml: hardware[2].mem_bw_tb_s_per_accel: required key is missing``.

Precision rule (:func:`choose_precision`)
-----------------------------------------
* Expert (MoE) weights are 4-bit (NVFP4/MXFP4, 4.5 bits with scales) and run on FP4
  tensor cores when the hardware lists ``fp4`` and the model is served in fp4
  (``serving_precisions`` or ``weight_precision``: fp4 / mxfp4 / nvfp4).
* Otherwise, a model *released* in a 4-bit format (``weight_precision`` int4 or
  mxfp4: Kimi K2.5, gpt-oss-120b) keeps 4-bit weights in memory and dequantises them
  to FP8/BF16 for the matrix maths (weight-only quantisation, as InferenceX runs
  gpt-oss MXFP4 on H100 and as Kimi INT4 runs on Hopper; maths in BF16). One step beyond
  "fp4 else fp8 else bf16"; pass ``weight_only_4bit=False`` to turn it off.
* Otherwise FP8 if the hardware lists ``fp8``, else BF16.
* Non-expert weights (attention, shared experts, embeddings) are FP8 where the hardware
  has FP8, else BF16; the KV cache is FP8 (half the BF16 ``kv_bytes_per_token``)
  where the hardware has FP8, else BF16.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

BYTES_4BIT = 4.5 / 8  # NVFP4: 4-bit values + one FP8 scale per 16 (MXFP4: per 32, 4.25 bits)
BYTES = {"fp4": BYTES_4BIT, "int4": BYTES_4BIT, "fp8": 1.0, "bf16": 2.0}
FOUR_BIT_NAMES = {"fp4", "mxfp4", "nvfp4"}
RELEASED_4BIT = {"int4", "mxfp4", "nvfp4", "fp4"}


class SpecError(ValueError):
    """A hardware or model spec is missing a key or holds a bad value (one line each)."""

    def __init__(self, problems: Iterable[str] | str) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems = [" ".join(str(p).split()) for p in problems] or ["invalid spec"]
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class HardwareSpec:
    """One purchasable unit (server or rack), per-accelerator figures in SI units."""

    id: str
    accels_per_unit: int
    mem_bytes: float  # per accelerator
    mem_bw: float  # bytes/s per accelerator
    fp4_flops: float | None  # dense FLOP/s per accelerator
    fp8_flops: float | None
    bf16_flops: float | None
    domain: int  # accelerators in one scale-up (NVLink-like) domain
    scaleup_bw: float  # bytes/s per accelerator, one direction
    scaleout_bw: float  # bytes/s per accelerator, one direction
    precisions: tuple[str, ...]
    disaggregation: bool
    sram: bool  # on-chip SRAM only (Groq LPX): weights and KV must fit in the unit
    family: str = "reference"  # software family for efficiency: reference | hopper | amd
    # Attention-layer speed-up over the FLOP rate of the KV precision (Blackwell Ultra doubles
    # the special-function throughput behind softmax: spec key attention_speedup).
    attention_speedup: float = 1.0

    @property
    def has_fp4(self) -> bool:
        return "fp4" in self.precisions and bool(self.fp4_flops)

    @property
    def has_fp8(self) -> bool:
        return "fp8" in self.precisions and bool(self.fp8_flops)


@dataclass(frozen=True)
class ModelSpec:
    """One model; parameter counts in units (not billions)."""

    id: str
    total_params: float
    active_params: float
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    kv_bytes_per_token_bf16: float  # all layers, BF16
    num_experts: int
    experts_per_token: int
    weight_precision: str
    serving_precisions: tuple[str, ...]
    max_context: int
    mla: bool
    kv_lora_rank: int
    qk_rope_head_dim: int
    sliding_layers: int
    sliding_tokens: int
    spec_technique: str = ""  # speculative decoding: "mtp" | "eagle3" | "" (none)
    spec_draft_tokens: int = 0  # draft tokens per step
    spec_acceptance_length: float = 1.0  # tokens emitted per verification step, on average
    # acceptance probability of the first draft (0: the per-draft rate behind the length)
    spec_first_acceptance: float = 0.0

    @property
    def is_moe(self) -> bool:
        return self.num_experts > self.experts_per_token > 0

    @property
    def expert_params(self) -> float:
        """Parameters of one expert index summed over all MoE layers."""
        if not self.is_moe:
            return 0.0
        return (self.total_params - self.active_params) / (
            self.num_experts - self.experts_per_token
        )

    @property
    def shared_params(self) -> float:
        """Parameters every token uses: attention, shared experts, dense layers, embeddings."""
        return (
            self.active_params - self.experts_per_token * self.expert_params
            if self.is_moe
            else self.total_params
        )

    def ctx_eff(self, ctx: Any) -> Any:
        """Context length averaged over layers, counting sliding-window layers at their window."""
        if self.sliding_layers <= 0 or self.sliding_tokens <= 0:
            return ctx
        full = self.layers - self.sliding_layers
        return (
            full * ctx + self.sliding_layers * np.minimum(ctx, self.sliding_tokens)
        ) / self.layers

    def prefill_attention_pairs(self, isl: float) -> float:
        """(query, key) pairs per layer, averaged over layers, for a causal prompt of isl tokens."""
        full = isl * isl / 2.0
        if self.sliding_layers <= 0 or self.sliding_tokens <= 0:
            return full
        w = float(self.sliding_tokens)
        slid = full if isl <= w else isl * w - w * w / 2.0
        return (
            (self.layers - self.sliding_layers) * full + self.sliding_layers * slid
        ) / self.layers

    @property
    def attn_flops_per_pair_decode(self) -> float:
        """FLOPs per (query token, cached token) per layer while decoding."""
        if self.mla:  # weight-absorbed MLA: scores over latent+rope, values over latent
            return 2.0 * self.heads * (2 * self.kv_lora_rank + self.qk_rope_head_dim)
        return 4.0 * self.heads * self.head_dim

    @property
    def attn_flops_per_pair_prefill(self) -> float:
        return 4.0 * self.heads * self.head_dim


@dataclass(frozen=True)
class Precision:
    """Bytes per parameter and compute rates chosen for one hardware x model pair."""

    expert: str  # fp4 | int4 (weight-only) | fp8 | bf16
    expert_bytes: float
    expert_flops: float  # FLOP/s per accelerator for expert matmuls
    shared: str
    shared_bytes: float
    shared_flops: float
    kv: str
    kv_scale: float  # KV bytes relative to the BF16 figure
    attn_flops: float

    @property
    def label(self) -> str:
        tag = {"int4": "int4 weight-only"}.get(self.expert, self.expert)
        return f"weights {tag}/{self.shared}, KV {self.kv}"


def choose_precision(hw: HardwareSpec, m: ModelSpec, weight_only_4bit: bool = True) -> Precision:
    """Precision of expert weights, other weights and KV cache (rule in the module doc)."""
    served = {p.lower() for p in m.serving_precisions} | {m.weight_precision.lower()}
    best_dense = hw.fp8_flops if hw.has_fp8 else (hw.bf16_flops or hw.fp8_flops)
    assert best_dense, f"{hw.id}: no fp8 or bf16 rate"
    shared = "fp8" if hw.has_fp8 else "bf16"
    if hw.has_fp4 and served & FOUR_BIT_NAMES:
        expert, e_flops = "fp4", float(hw.fp4_flops or 0.0)
    elif weight_only_4bit and m.weight_precision.lower() in RELEASED_4BIT:
        # W4A16: dequantised to BF16 for the matmuls (Marlin-style kernels)
        expert, e_flops = "int4", float(hw.bf16_flops or best_dense)
    else:
        expert, e_flops = shared, float(best_dense)
    kv = "fp8" if hw.has_fp8 else "bf16"
    attn = float(hw.fp8_flops if kv == "fp8" and hw.fp8_flops else (hw.bf16_flops or best_dense))
    attn *= hw.attention_speedup
    return Precision(
        expert=expert,
        expert_bytes=BYTES[expert],
        expert_flops=e_flops,
        shared=shared,
        shared_bytes=BYTES[shared],
        shared_flops=float(best_dense),
        kv=kv,
        kv_scale=0.5 if kv == "fp8" else 1.0,
        attn_flops=attn,
    )


# ----------------------------------------------------------------------------- parsing


def _num(
    d: Mapping[str, Any],
    key: str,
    where: str,
    problems: list[str],
    *,
    required: bool = True,
    positive: bool = True,
    default: float | None = None,
) -> float | None:
    if key not in d or d[key] is None:
        if required:
            problems.append(f"{where}.{key}: required key is missing")
        return default
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        problems.append(f"{where}.{key}: must be a finite number (got {v!r})")
        return default
    if positive and v <= 0:
        problems.append(f"{where}.{key}: must be > 0 (got {v!r})")
        return default
    if not positive and v < 0:
        problems.append(f"{where}.{key}: must be >= 0 (got {v!r})")
        return default
    return float(v)


def _str_list(d: Mapping[str, Any], key: str, where: str, problems: list[str]) -> tuple[str, ...]:
    v = d.get(key)
    if v is None:
        problems.append(f"{where}.{key}: required key is missing")
        return ()
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v) or not v:
        problems.append(f"{where}.{key}: must be a non-empty list of strings (got {v!r})")
        return ()
    return tuple(x.lower() for x in v)


def _id(d: Mapping[str, Any], where: str, problems: list[str]) -> str:
    v = d.get("id")
    if not isinstance(v, str) or not v.strip():
        problems.append(f"{where}.id: required key is missing or not a string")
        return "?"
    return v.strip()


def _entry_id(d: Any, where: str, problems: list[str]) -> str:
    """The id of one spec entry; a non-mapping entry is an error at once."""
    if not isinstance(d, Mapping):
        raise SpecError(f"{where}: must be a mapping (got {type(d).__name__})")
    return _id(d, where, problems)


def hardware_from_dict(d: Mapping[str, Any], where: str = "hardware") -> HardwareSpec:
    """Check one hardware entry; raise :class:`SpecError` listing every problem."""
    p: list[str] = []
    hid = _entry_id(d, where, p)
    n = _num(d, "accelerators_per_unit", where, p)
    mem = _num(d, "memory_gb_per_accel", where, p)
    bw = _num(d, "mem_bw_tb_s_per_accel", where, p)
    fp4 = _num(d, "fp4_tflops_dense", where, p, required=False)
    fp8 = _num(d, "fp8_tflops_dense", where, p, required=False)
    bf16 = _num(d, "bf16_tflops_dense", where, p, required=False)
    if (
        fp8 is None
        and bf16 is None
        and not any(s.endswith(("fp8_tflops_dense", "bf16_tflops_dense")) for s in p)
    ):
        p.append(f"{where}.fp8_tflops_dense: required key is missing (needs fp8 or bf16 TFLOP/s)")
    dom = _num(d, "scaleup_domain_accels", where, p)
    up = _num(d, "scaleup_bw_gb_s_per_accel", where, p)
    out = _num(d, "scaleout_bw_gb_s_per_accel", where, p, required=False, default=50.0)
    attn_x = _num(d, "attention_speedup", where, p, required=False, default=1.0)
    precisions = _str_list(d, "precisions", where, p)
    dis = d.get("supports_disaggregation", False)
    if not isinstance(dis, bool):
        p.append(f"{where}.supports_disaggregation: must be true or false (got {dis!r})")
    kind = d.get("memory_kind", "")
    if kind is not None and not isinstance(kind, str):
        p.append(f"{where}.memory_kind: must be a string (got {kind!r})")
        kind = ""
    vendor = str(d.get("vendor") or "").strip().lower()
    if p:
        raise SpecError(p)
    assert n and mem and bw and dom and up and out
    sram = str(kind or "").strip().upper() == "SRAM"
    if vendor == "amd":
        family = "amd"
    elif not sram and not (fp4 and "fp4" in precisions):
        family = "hopper"  # NVIDIA GPU generation without FP4 tensor cores
    else:
        family = "reference"
    return HardwareSpec(
        id=hid,
        accels_per_unit=int(n),
        mem_bytes=mem * 1e9,
        mem_bw=bw * 1e12,
        fp4_flops=fp4 * 1e12 if fp4 else None,
        fp8_flops=fp8 * 1e12 if fp8 else None,
        bf16_flops=bf16 * 1e12 if bf16 else None,
        domain=int(dom),
        scaleup_bw=up * 1e9,
        scaleout_bw=out * 1e9,
        precisions=precisions,
        disaggregation=bool(dis),
        sram=sram,
        family=family,
        attention_speedup=float(attn_x or 1.0),
    )


POD_KEYS = ("gpu", "gpu_units", "lpx", "lpx_units")


def is_pod(d: Any) -> bool:
    """A hardware entry that describes a pod (a ``pod:`` mapping of parts)."""
    return isinstance(d, Mapping) and "pod" in d


def pod_parts(d: Mapping[str, Any], where: str = "hardware") -> tuple[str, str, int, str, int]:
    """(id, gpu id, gpu units, lpx id, lpx units) of a pod entry; :class:`SpecError` if bad.

    A pod entry names its parts (other hardware ids of the spec files)::

        pod: {gpu: vr-nvl144, gpu_units: 1, lpx: groq3-lpx, lpx_units: 8}
    """
    p: list[str] = []
    pid = _id(d, where, p)
    v = d.get("pod")
    w = f"{where}.pod"
    if not isinstance(v, Mapping):
        raise SpecError(f"{w}: must be a mapping with keys {', '.join(POD_KEYS)}")
    unknown = sorted(set(map(str, v)) - set(POD_KEYS))
    if unknown:
        p.append(f"{w}: unknown key(s) {', '.join(unknown)} (known: {', '.join(POD_KEYS)})")
    ids = []
    for key in ("gpu", "lpx"):
        x = v.get(key)
        if not isinstance(x, str) or not x.strip():
            p.append(f"{w}.{key}: required hardware id is missing")
        ids.append(str(x or "").strip())
    counts = []
    for key in ("gpu_units", "lpx_units"):
        n = _num(v, key, w, p)
        if n is not None and n != int(n):
            p.append(f"{w}.{key}: must be a whole number (got {n:g})")
        counts.append(int(n or 0))
    if p:
        raise SpecError(p)
    return pid, ids[0], counts[0], ids[1], counts[1]


def model_from_dict(d: Mapping[str, Any], where: str = "models") -> ModelSpec:
    """Check one model entry; raise :class:`SpecError` listing every problem."""
    p: list[str] = []
    mid = _entry_id(d, where, p)
    required = "total_params_b active_params_b layers hidden_size num_attention_heads"
    required += " num_kv_heads head_dim kv_bytes_per_token"
    total, active, layers, hidden, heads, kvh, hd, kvb = (
        _num(d, key, where, p) for key in required.split()
    )
    ne = _num(d, "num_experts", where, p, required=False, positive=False, default=0.0)
    k = _num(d, "experts_per_token", where, p, required=False, positive=False, default=0.0)
    maxc = _num(d, "max_context_tokens", where, p)
    wp = d.get("weight_precision")
    if not isinstance(wp, str):
        p.append(f"{where}.weight_precision: required key is missing or not a string")
        wp = "bf16"
    serving = tuple(x.lower() for x in d.get("serving_precisions") or [] if isinstance(x, str))
    attention = str(d.get("attention") or "").lower()
    mla = attention.startswith("mla")
    lora = _num(d, "kv_lora_rank", where, p, required=mla, default=0.0)
    rope = _num(d, "qk_rope_head_dim", where, p, required=mla, default=0.0)
    swl = _num(d, "sliding_window_layers", where, p, required=False, positive=False, default=0.0)
    swt = _num(d, "sliding_window_tokens", where, p, required=False, positive=False, default=0.0)
    if total is not None and active is not None and active > total:
        p.append(f"{where}.active_params_b: must be <= total_params_b ({active} > {total})")
    if ne and k and k > ne:
        p.append(f"{where}.experts_per_token: must be <= num_experts ({k} > {ne})")
    if layers is not None and swl is not None and swl > layers:
        p.append(f"{where}.sliding_window_layers: must be <= layers ({swl} > {layers})")
    tech, k_draft, acc, first = _speculative(d.get("speculative"), where, p)
    if p:
        raise SpecError(p)
    assert total and active and layers and hidden and heads and kvh and hd and kvb and maxc
    return ModelSpec(
        id=mid,
        total_params=total * 1e9,
        active_params=active * 1e9,
        layers=int(layers),
        hidden=int(hidden),
        heads=int(heads),
        kv_heads=int(kvh),
        head_dim=int(hd),
        kv_bytes_per_token_bf16=float(kvb),
        num_experts=int(ne or 0),
        experts_per_token=int(k or 0),
        weight_precision=wp.lower(),
        serving_precisions=serving,
        max_context=int(maxc),
        mla=mla,
        kv_lora_rank=int(lora or 0),
        qk_rope_head_dim=int(rope or 0),
        sliding_layers=int(swl or 0),
        sliding_tokens=int(swt or 0),
        spec_technique=tech,
        spec_draft_tokens=k_draft,
        spec_acceptance_length=acc,
        spec_first_acceptance=first,
    )


SPEC_TECHNIQUES = ("mtp", "eagle3")


def _speculative(v: Any, where: str, p: list[str]) -> tuple[str, int, float, float]:
    """(technique, draft tokens, acceptance length, first-draft acceptance) of a model's
    ``speculative:`` entry.

    ``acceptance_length`` is the published mean number of tokens one verification step
    emits (accepted drafts + the target's own token), so 1 <= it <= draft_tokens + 1;
    ``first_acceptance`` (optional, 0 < it <= 1) the published rate at which the first draft
    is accepted, when a source gives it apart from the mean length.
    """
    if v is None:
        return "", 0, 1.0, 0.0
    w = f"{where}.speculative"
    if not isinstance(v, Mapping):
        p.append(f"{w}: must be a mapping with technique, draft_tokens, acceptance_length")
        return "", 0, 1.0, 0.0
    keys = {"technique", "draft_tokens", "acceptance_length", "first_acceptance"}
    unknown = sorted(set(v) - keys)
    if unknown:
        p.append(f"{w}: unknown key(s) {', '.join(map(str, unknown))}")
    tech = str(v.get("technique") or "").strip().lower()
    if tech not in SPEC_TECHNIQUES:
        p.append(f"{w}.technique: must be one of {', '.join(SPEC_TECHNIQUES)} (got {tech!r})")
    k = _num(v, "draft_tokens", w, p)
    acc = _num(v, "acceptance_length", w, p)
    if k is not None and (k != int(k) or k > 16):
        p.append(f"{w}.draft_tokens: must be a whole number from 1 to 16 (got {k:g})")
    elif k is not None and acc is not None and not 1.0 <= acc <= k + 1:
        p.append(f"{w}.acceptance_length: must be between 1 and draft_tokens + 1 (got {acc:g})")
    first = _num(v, "first_acceptance", w, p, required=False)
    if first is not None and not 0.0 < first <= 1.0:
        p.append(f"{w}.first_acceptance: must be above 0 and at most 1 (got {first:g})")
    return tech, int(k or 0), float(acc or 1.0), float(first or 0.0)


def load_spec_files(
    paths: Iterable[str | Path],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Read YAML spec files; return (hardware entries, model entries), each checked.

    A file holds a ``hardware:`` list, a ``models:`` list, or both. Raises
    :class:`SpecError` with one line per problem, each naming the file and key.
    """
    hardware: list[dict[str, Any]] = []
    models: list[dict[str, Any]] = []
    problems: list[str] = []
    for raw in paths:
        path = Path(raw)
        try:
            doc = yaml.safe_load(path.read_text())
        except FileNotFoundError:
            problems.append(f"{path}: file not found")
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: cannot read ({exc})")
            continue
        except yaml.YAMLError as exc:
            first = str(exc).strip().splitlines()
            problems.append(f"{path}: not valid YAML ({' '.join(first[:3])})")
            continue
        if not isinstance(doc, dict) or not ({"hardware", "models"} & set(doc)):
            problems.append(f"{path}: expected a top-level 'hardware:' or 'models:' list")
            continue
        for key, sink, check in (
            ("hardware", hardware, hardware_from_dict),
            ("models", models, model_from_dict),
        ):
            if key not in doc:
                continue
            entries = doc[key]
            if not isinstance(entries, list):
                problems.append(f"{path}: {key}: must be a list")
                continue
            for i, entry in enumerate(entries):
                try:
                    if key == "hardware" and is_pod(entry):
                        pod_parts(entry, f"{key}[{i}]")
                    else:
                        check(entry, f"{key}[{i}]")  # type: ignore[operator]
                except SpecError as exc:
                    problems += [f"{path}: {line}" for line in exc.problems]
                    continue
                sink.append(dict(entry))
    if problems:
        raise SpecError(problems)
    return hardware, models
