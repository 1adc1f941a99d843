"""Candidate decode layouts (parallel modes, group sizes, pipeline stages) and batch sizes.

See :mod:`optimizer.frontiers.perf.engine` for how a layout's step time is modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.frontiers.perf.specs import HardwareSpec, ModelSpec


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
