"""Throughput uncertainty as scenarios: ``optimizer frontiers draws``.

The modelled frontier tables carry the generator's error, which the calibration measures
point by point (``optimizer/data/frontiers/calibration/points.csv``): the residual of a
published point is ``e = ln(measured / modelled)``, the factor that would have corrected the
model there. Hardware of one family share most of that error (the same software stack, the
same kind of interconnect), so a draw picks one residual per family and every hardware of
the family gets ``frontier_scale = exp(e)``.

* A family with at least :data:`MIN_FAMILY_POINTS` published points draws from its own
  residuals (a bootstrap: each residual equally likely).
* A family with fewer (Vera Rubin and Groq LPX have no public measurement yet)
  draws from the residuals of every point: the generator's error in general.

The output is a scenario CSV (docs/format.md, "Scenario files") with one
``hardware[ID].frontier_scale`` column per hardware of the instance, for
``optimizer sweep --scenarios`` and ``optimizer stochastic``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Hardware families: ids of the shipped specs (and the calibration's MI300X) by the software
# and interconnect generation they share. An id not listed is its own family.
FAMILIES: dict[str, tuple[str, ...]] = {
    "hopper": ("h100-hgx", "h200-hgx"),
    "blackwell": ("b200-hgx", "gb200-nvl72", "gb300-nvl72"),
    "rubin": ("vr-nvl144", "vr-lpx-pod", "vr-lpx16-pod"),
    "lpu": ("groq3-lpx",),
    "amd": ("mi300x", "mi355x"),
}
MIN_FAMILY_POINTS = 3
POOLED = "all points"


def family_of(hardware_id: str) -> str:
    for family, ids in FAMILIES.items():
        if hardware_id in ids:
            return family
    return hardware_id


@dataclass(frozen=True)
class FamilyError:
    """The residuals one family draws from, and where they come from."""

    family: str
    residuals: tuple[float, ...]  # ln(measured / modelled)
    source: str  # the family's own points, or POOLED

    def quantiles(self, qs: Sequence[float] = (0.1, 0.5, 0.9)) -> list[float]:
        return [float(np.exp(np.quantile(self.residuals, q))) for q in qs]


def residuals(scored: pd.DataFrame) -> dict[str, np.ndarray]:
    """ln(measured / modelled) of every scored calibration point, by family.

    ``scored`` is :func:`optimizer.frontiers.perf.calibration.score`'s frame (columns
    ``hardware``, ``tok_s_per_gpu``, ``modelled``); points modelled at 0 (out of the
    model's range) are left out: they have no finite correction.
    """
    ok = scored[(scored["modelled"] > 0) & (scored["tok_s_per_gpu"] > 0)]
    e = np.log(ok["tok_s_per_gpu"].to_numpy(float) / ok["modelled"].to_numpy(float))
    fam = ok["hardware"].map(family_of).to_numpy()
    out = {f: e[fam == f] for f in dict.fromkeys(fam)}
    out[POOLED] = e
    return out


def family_errors(
    by_family: Mapping[str, np.ndarray], families: Iterable[str]
) -> list[FamilyError]:
    """What each of ``families`` draws from (its own residuals, or the pooled ones)."""
    pooled = tuple(float(x) for x in by_family[POOLED])
    out = []
    for f in dict.fromkeys(families):
        own = by_family.get(f)
        if own is not None and own.size >= MIN_FAMILY_POINTS:
            out.append(FamilyError(f, tuple(float(x) for x in own), f"{own.size} points of {f}"))
        else:
            n = 0 if own is None else own.size
            out.append(FamilyError(f, pooled, f"{POOLED} ({len(pooled)}; {f} has {n})"))
    return out


def draw_scenarios(
    hardware_ids: Sequence[str], errors: Sequence[FamilyError], samples: int, seed: int
) -> pd.DataFrame:
    """``samples`` equally likely scenarios of per-hardware ``frontier_scale``.

    One residual per family per scenario (same seed, same table); hardware of a family
    share it.
    """
    if samples < 1:
        raise ValueError("samples: at least 1")
    rng = np.random.default_rng(seed)
    by_family = {e.family: e for e in errors}
    picks = {
        f: np.exp(np.asarray(e.residuals)[rng.integers(0, len(e.residuals), size=samples)])
        for f, e in by_family.items()
    }
    width = len(str(samples))
    frame = pd.DataFrame(
        {
            "scenario": [f"draw-{i + 1:0{width}d}" for i in range(samples)],
            "probability": [1.0 / samples] * samples,
        }
    )
    for h in hardware_ids:
        frame[f"hardware[{h}].frontier_scale"] = np.round(picks[family_of(h)], 6)
    # Probabilities that sum to 1 exactly as written (the scenario reader checks 1e-9).
    frame.loc[frame.index[-1], "probability"] = 1.0 - frame["probability"].iloc[:-1].sum()
    return frame
