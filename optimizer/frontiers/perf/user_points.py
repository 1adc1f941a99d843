"""A planner's own measurements against the generator: ``frontiers calibrate --points``.

A points file is either

* a calibration-points CSV (the columns of ``calibration/points.csv``: ``hardware, model,
  isl, osl, interactivity, tok_s_per_gpu`` and optionally ``counts``, ``technique``,
  ``profile``, ``source``, ``note``), or
* a frontier CSV with ``isl`` and ``osl`` columns, as ``optimizer frontiers import`` writes.

Every point is scored (modelled / measured at the point's speed); with ``fit`` the
generator's efficiency factors are refitted on the points (the coordinate search of
:func:`optimizer.frontiers.perf.calibration.fit`), and the factors can be handed to
``optimizer frontiers build --efficiency``.
"""

from __future__ import annotations

import dataclasses
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError
from optimizer.frontiers.perf.calibration import Point, loss, score, summary
from optimizer.frontiers.perf.engine import Efficiency
from optimizer.frontiers.perf.specs import HardwareSpec, ModelSpec

REQUIRED = ("hardware", "model", "isl", "osl", "interactivity", "tok_s_per_gpu")
CHOICES = {
    "counts": ("input+output", "output"),
    "technique": ("none", "mtp", "eagle3", "best"),
    "profile": ("tuned", "typical"),
}
MAX_BYTES = 16 * 1024 * 1024


def read_points(
    path: Path, hardware: dict[str, HardwareSpec], models: dict[str, ModelSpec]
) -> tuple[Point, ...]:
    """The points of ``path``, checked (every problem at once, naming the line)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{path}: larger than {MAX_BYTES // 2**20} MB")
    try:
        df = pd.read_csv(io.BytesIO(data), keep_default_na=False, dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV ({type(exc).__name__})") from None
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    problems: list[str] = []
    points: list[Point] = []
    for i, row in enumerate(df.to_dict("records")):
        where = f"{path} line {i + 2}"
        bad: list[str] = []
        nums: dict[str, float] = {}
        for col in REQUIRED[2:]:
            try:
                v = float(row[col])
            except ValueError:
                bad.append(f"{col} {row[col]!r} is not a number")
                continue
            if not math.isfinite(v) or v <= 0:
                bad.append(f"{col} must be > 0 (got {row[col]!r})")
            nums[col] = v
        for col in ("isl", "osl"):
            if col in nums and nums[col] != round(nums[col]):
                bad.append(f"{col} must be a whole number (got {row[col]!r})")
        if row["hardware"] not in hardware:
            bad.append(f"hardware {row['hardware']!r} is not in the specs (give --spec)")
        if row["model"] not in models:
            bad.append(f"model {row['model']!r} is not in the specs (give --spec)")
        extra = {}
        for col, allowed in CHOICES.items():
            value = str(row.get(col) or "").strip() or allowed[0 if col != "technique" else 3]
            if value not in allowed:
                bad.append(f"{col} must be one of {', '.join(allowed)} (got {value!r})")
            extra[col] = value
        if bad:
            problems.append(f"{where}: {'; '.join(bad)}")
            continue
        points.append(
            Point(
                hardware=row["hardware"],
                model=row["model"],
                isl=int(nums["isl"]),
                osl=int(nums["osl"]),
                interactivity=nums["interactivity"],
                tok_s_per_gpu=nums["tok_s_per_gpu"],
                role="fit",
                source=str(row.get("source") or path.name),
                note=str(row.get("note") or ""),
                counts=extra["counts"],
                technique=extra["technique"],
                profile=extra["profile"],
            )
        )
    if problems:
        raise InputError(
            problems[:20] + ([f"... and {len(problems) - 20} more"] * (len(problems) > 20))
        )
    if not points:
        raise InputError(f"{path}: has no points")
    return tuple(points)


def changed_factors(eff: Efficiency, base: Efficiency) -> dict[str, float]:
    """The factors where ``eff`` differs from ``base``: what ``build --efficiency`` takes."""
    a, b = dataclasses.asdict(eff), dataclasses.asdict(base)
    return {k: v for k, v in a.items() if v != b[k]}


def report(
    points: tuple[Point, ...],
    hardware: dict[str, HardwareSpec],
    models: dict[str, ModelSpec],
    base: Efficiency,
    fitted: Efficiency | None,
    title: str,
) -> tuple[str, dict[str, dict[str, float]]]:
    """Markdown: every point measured against the generator (and the refit, if any)."""
    runs = {"shipped factors": base} | ({"refitted on these points": fitted} if fitted else {})
    frames = {name: score(points, hardware, models, eff) for name, eff in runs.items()}
    summaries = {name: summary(f) for name, f in frames.items()}
    lines = [f"# {title}", ""]
    for name, s in summaries.items():
        lines.append(
            f"- {name}: {int(s['n'])} points, median modelled / measured "
            f"{s['median_ratio']:.2f}, median error {100 * (s['median_abs_log_error_factor'] - 1):.0f}%, "
            f"worst {s['worst_factor']:.2f}x (loss {loss(frames[name]):.4f})"
        )
    if fitted is not None:
        changes = changed_factors(fitted, base)
        shown = ", ".join(f"{k} {v:g}" for k, v in changes.items()) or "none"
        lines += ["", f"Factors that moved: {shown}."]
    lines += [
        "",
        "| hardware | model | isl/osl | tok/s/user | measured tok/s/GPU | "
        + " | ".join(f"modelled ({n})" for n in runs)
        + " | source |",
        "|---|---|---|---:|---:|" + "---:|" * len(runs) + "---|",
    ]
    first = next(iter(frames.values()))
    for i, p in enumerate(points):
        mods = " | ".join(
            f"{f['modelled'].iloc[i]:,.0f} ({f['ratio'].iloc[i]:.2f}x)"
            if np.isfinite(f["ratio"].iloc[i])
            else "out of range"
            for f in frames.values()
        )
        lines.append(
            f"| {p.hardware} | {p.model} | {p.isl}/{p.osl} | {p.interactivity:g} | "
            f"{first['tok_s_per_gpu'].iloc[i]:,.0f} | {mods} | {p.source} |"
        )
    return "\n".join(lines) + "\n", summaries
