"""The calibration as the charts read it: scored points and the error band per family.

Two functions, both scoring the shipped calibration points
(``optimizer/data/frontiers/calibration/points.csv``) with
:func:`optimizer.frontiers.perf.calibration.score` at the generator's fitted factors (the
defaults of :class:`Efficiency`), so that a refit of the calibration flows into every chart:

* :func:`points`: one row per point: measured and modelled throughput, role (``fit`` or
  ``holdout``), bound (``point`` or ``lower``), source.
* :func:`residual_band`: the ratio measured / modelled at two quantiles of the held-out
  points of a hardware family (:func:`optimizer.frontiers.draws.family_of`); a family with
  fewer than :data:`optimizer.frontiers.draws.MIN_FAMILY_POINTS` held-out points takes the
  quantiles of every held-out point.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.data import SPEC_FILES
from optimizer.frontiers.draws import MIN_FAMILY_POINTS, POOLED, family_of
from optimizer.frontiers.perf.calibration import POINTS, calibration_hardware, score
from optimizer.frontiers.perf.engine import Efficiency
from optimizer.frontiers.perf.specs import (
    hardware_from_dict,
    is_pod,
    load_spec_files,
    model_from_dict,
)

POINT_COLUMNS = [
    "hardware",
    "model",
    "isl",
    "osl",
    "technique",
    "profile",
    "vintage",
    "counts",
    "interactivity",
    "tok_s_per_gpu",
    "modelled",
    "role",
    "bound",
    "upper",
    "source",
    "note",
]
BAND_QUANTILES = (0.1, 0.9)


@functools.lru_cache(maxsize=4)
def _scored(eff: Efficiency) -> pd.DataFrame:
    hw_specs, model_specs = load_spec_files(list(SPEC_FILES))
    hardware = calibration_hardware(
        {d["id"]: hardware_from_dict(d) for d in hw_specs if not is_pod(d)}
    )
    models = {d["id"]: model_from_dict(d) for d in model_specs}
    return score(POINTS, hardware, models, eff)[POINT_COLUMNS]


def points(eff: Efficiency | None = None) -> pd.DataFrame:
    """Every shipped calibration point, scored at ``eff`` (default: the fitted factors).

    Columns :data:`POINT_COLUMNS`: ``tok_s_per_gpu`` is the measured figure (output tokens
    only where ``counts`` is ``output``), ``modelled`` the generator's envelope at the
    point's speed in the same count (0 beyond the model's top speed).
    """
    return _scored(eff if eff is not None else Efficiency()).copy()


@dataclass(frozen=True)
class Band:
    """measured / modelled at :data:`BAND_QUANTILES` on ``n`` held-out points of ``basis``."""

    low: float
    high: float
    n: int
    basis: str  # the family, or POOLED when the family has too few held-out points


def residual_band(hardware_or_family: str, eff: Efficiency | None = None) -> Band:
    """The calibration's error band for a hardware id or a family name.

    Quantiles :data:`BAND_QUANTILES` of measured / modelled over the held-out points of the
    family (points modelled at 0 left out: no finite ratio); the pooled held-out points
    when the family has fewer than ``MIN_FAMILY_POINTS``.
    """
    frame = points(eff)
    hold = frame[(frame["role"] == "holdout") & (frame["modelled"] > 0)]
    ratio = (hold["tok_s_per_gpu"] / hold["modelled"]).to_numpy(float)
    fam = hold["hardware"].map(family_of).to_numpy()
    family = family_of(hardware_or_family)
    own = ratio[fam == family]
    chosen, basis = (own, family) if own.size >= MIN_FAMILY_POINTS else (ratio, POOLED)
    lo, hi = np.quantile(chosen, BAND_QUANTILES)
    return Band(float(lo), float(hi), int(chosen.size), basis)
