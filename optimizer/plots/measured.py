"""Measured points and the calibration band on a frontier chart (data only, no drawing).

Both the PNG chart (:mod:`optimizer.plots.frontier`) and the report's interactive chart
(:func:`optimizer.report.charts.frontier`) draw what these functions return:

* :func:`measured_points`: the public measurements the generator was calibrated on
  (:func:`optimizer.frontiers.perf.calibration.points`) at the chart's model and
  workload (``isl`` = the chart's context, the table's prompt length; ``osl`` 1024, the
  shipped tables' output length), for the hardware
  the chart draws, plus a planner's own points (:func:`read_user_points`). ``role`` is
  ``fit`` (the calibration fitted on it), ``holdout`` (kept out of the fit to test it) or
  ``user``; ``bound`` is ``lower`` for a sparse sweep's best point (the envelope is at least
  that there), else ``point``.
* :func:`calibration_band`: each modelled curve times the calibration's held-out ratio
  measured / modelled at its 10% and 90% quantiles (per hardware family,
  :func:`optimizer.frontiers.perf.calibration.residual_band`): where a measurement
  of that hardware would fall 8 times in 10 if the generator errs as on the held-out points.

Throughput is put in the chart's unit, tokens/s per MW of facility power, with the
instance's hardware (GPUs per unit, kW per unit) and PUE, as the curves are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.instance.schema import Instance

# Output tokens per request of the shipped tables (``optimizer frontiers build --osl``'s
# default, InferenceX's "8k/1k" and "1k/1k"): measured points of other output lengths are
# another workload and are not drawn.
TABLE_OSL = 1024
MEASURED_COLUMNS = [
    "hardware",
    "interactivity",
    "tok_s_per_gpu",
    "tok_s_per_mw",
    "role",
    "bound",
    "technique",
    "workload",
    "source",
]
BAND_COLUMNS = [
    "hardware",
    "interactivity",
    "tok_s_per_mw",
    "low",
    "high",
    "ratio_low",
    "ratio_high",
    "basis",
]
POOLED = "all held-out points"
BAND_LABEL = "calibration band: 10-90% of\nheld-out measured/modelled"
ROLE_LABELS = {
    "fit": "measured, fitted",
    "holdout": "measured, held out",
    "user": "your points",
}


def _per_mw(instance: Instance, hardware: pd.Series, tok_s_per_gpu: pd.Series) -> np.ndarray:
    hw = {h.id: h for h in instance.hardware}
    pue = float(instance.site.pue)
    return np.array(
        [
            t * hw[h].gpus_per_unit / (float(hw[h].power_kw) * pue / 1000.0)
            for h, t in zip(hardware, tok_s_per_gpu, strict=True)
        ],
        dtype=float,
    )


def read_user_points(path: str | Path) -> pd.DataFrame:
    """A planner's own measured points: a frontier CSV (as ``optimizer frontiers import``
    writes, a ``source`` per row; a row without one cites the file and line).

    Raises InputError (one line per problem, naming the file and line) on a bad file.
    """
    from optimizer.frontiers.table import read_table_file

    p = Path(path)
    table = read_table_file(p)
    given = table["source"] if "source" in table else pd.Series("", index=table.index)
    table["source"] = [
        s if s else f"{p.name} line {i + 2}" for i, s in enumerate(given.astype(str))
    ]
    return table


def measured_points(
    instance: Instance,
    series: pd.DataFrame,
    user: pd.DataFrame | None = None,
    *,
    calibration: bool = True,
    osl: int = TABLE_OSL,
) -> pd.DataFrame:
    """The measured points on the chart of ``series`` (:func:`frontier_series`'s frame).

    Calibration points (when ``calibration``) of the series' model whose workload is the
    table's (prompt length = the series' context, ``osl`` output tokens), tuned profile, on
    hardware with a curve; ``user`` rows (a frame of
    :func:`read_user_points`) at the series' model and context on hardware with a curve.
    Output-only counts are put in the table's input + output count (x (isl + osl) / osl).
    Columns :data:`MEASURED_COLUMNS`, ordered by role, hardware and speed.
    """
    if series.empty:
        return pd.DataFrame(columns=MEASURED_COLUMNS)
    model = str(series["model"].iloc[0])
    ctx = int(series["context_tokens"].iloc[0])
    drawn = set(series["hardware"])
    frames = []
    if calibration:
        from optimizer.frontiers.perf.calibration import points

        cal = points().rename(columns={"speed": "interactivity", "measured": "tok_s_per_gpu"})
        cal = cal[
            (cal["model"] == model)
            & (cal["isl"] == ctx)
            & (cal["osl"] == osl)
            & (cal["profile"] == "tuned")
            & cal["hardware"].isin(drawn)
        ].copy()
        share = np.where(cal["counts"] == "output", (cal["isl"] + cal["osl"]) / cal["osl"], 1.0)
        cal["tok_s_per_gpu"] = cal["tok_s_per_gpu"].astype(float) * share
        cal["workload"] = [
            f"{i:,} in / {o:,} out, software {v}"
            for i, o, v in zip(cal["isl"], cal["osl"], cal["vintage"], strict=True)
        ]
        frames.append(cal)
    if user is not None and len(user):
        mine = user[
            (user["model"] == model)
            & (user["context_tokens"] == ctx)
            & user["hardware"].isin(drawn)
        ].copy()
        mine["role"], mine["bound"], mine["technique"] = "user", "point", ""
        mine["workload"] = f"{ctx:,}-token context"
        frames.append(mine)
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=MEASURED_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["tok_s_per_mw"] = _per_mw(instance, out["hardware"], out["tok_s_per_gpu"])
    role_order = {r: i for i, r in enumerate(ROLE_LABELS)}
    hw_order = {h: i for i, h in enumerate(pd.unique(series["hardware"]))}
    out = out.sort_values(
        ["role", "hardware", "interactivity"],
        key=lambda s: (
            s.map(role_order if s.name == "role" else hw_order) if s.name != "interactivity" else s
        ),
        kind="stable",
    )
    return out[MEASURED_COLUMNS].reset_index(drop=True)


def unmatched_user_points(user: pd.DataFrame | None, series: pd.DataFrame) -> int:
    """How many of the planner's points are at another model, context or hardware."""
    if user is None or series.empty:
        return 0 if user is None else len(user)
    here = (
        (user["model"] == series["model"].iloc[0])
        & (user["context_tokens"] == int(series["context_tokens"].iloc[0]))
        & user["hardware"].isin(set(series["hardware"]))
    )
    return int((~here).sum())


def banded_hardware(series: pd.DataFrame) -> list[str]:
    """Hardware of the chart that the calibration covers: a family of the generator's
    hardware (:data:`optimizer.frontiers.draws.FAMILIES`); a planner's own hardware ids
    (their own tables) get no band."""
    from optimizer.frontiers.draws import FAMILIES

    known = {h for ids in FAMILIES.values() for h in ids}
    return [str(h) for h in pd.unique(series["hardware"]) if h in known]


def calibration_band(series: pd.DataFrame) -> pd.DataFrame:
    """The calibration band around each modelled curve of :func:`banded_hardware`.

    One row per envelope point: ``low`` / ``high`` = ``tok_s_per_mw`` x the 10% / 90%
    quantiles of measured / modelled on the held-out points of the hardware's family
    (``ratio_low``, ``ratio_high``:
    :func:`optimizer.frontiers.perf.calibration.residual_band`); ``basis`` names the
    family, or :data:`POOLED` when the family has too few held-out points and the band is
    that of every held-out point. Columns :data:`BAND_COLUMNS`.
    """
    from optimizer.frontiers.draws import family_of
    from optimizer.frontiers.perf.calibration import residual_band

    pooled = residual_band("")  # no hardware or family: every held-out point
    rows = []
    for h in banded_hardware(series):
        lo, hi = residual_band(family_of(h))
        s = series[series["hardware"] == h].sort_values("interactivity")
        y = s["tok_s_per_mw"].to_numpy(float)
        rows.append(
            pd.DataFrame(
                {
                    "hardware": h,
                    "interactivity": s["interactivity"].to_numpy(float),
                    "tok_s_per_mw": y,
                    "low": y * lo,
                    "high": y * hi,
                    "ratio_low": lo,
                    "ratio_high": hi,
                    "basis": POOLED if (lo, hi) == pooled else family_of(h),
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=BAND_COLUMNS)
    return pd.concat(rows, ignore_index=True)[BAND_COLUMNS]


def band_summary(band: pd.DataFrame) -> str:
    """Each band's ratios and the hardware it shades."""
    parts = []
    for (basis, lo, hi), g in band.groupby(["basis", "ratio_low", "ratio_high"], sort=False):
        members = ", ".join(str(h) for h in pd.unique(g["hardware"]))
        parts.append(f"{basis} x{lo:.2f}-{hi:.2f} ({members})")
    return "; ".join(parts)


def role_counts(measured: pd.DataFrame) -> dict[str, int]:
    """Points per legend entry: each role, and the lower bounds among them."""
    out = {r: int((measured["role"] == r).sum()) for r in ROLE_LABELS}
    out["lower"] = int((measured["bound"] == "lower").sum())
    return out
