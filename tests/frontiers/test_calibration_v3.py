"""Calibration v3 (issue 19): software vintage, the ordering prior, the shipped-technique
scoring and the roles of the points added from the InferenceX snapshot."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from optimizer.frontiers.generator import DEFAULT_EFFICIENCY
from optimizer.frontiers.perf import calibration as cal
from optimizer.frontiers.perf.calibration import Point
from optimizer.frontiers.perf.engine import evaluate_techniques


def test_vintage_scales_flops_of_2025_points_only() -> None:
    eff = DEFAULT_EFFICIENCY.with_(sw_2025=0.5)
    old = eff.at_vintage("2025-10")
    assert old.flops == pytest.approx(0.5 * eff.flops)
    assert old.prefill_flops == pytest.approx(0.5 * eff.prefill_flops)
    assert old.bw == eff.bw and old.step_overhead_s == eff.step_overhead_s
    assert eff.at_vintage("2026") is eff


def test_vintage_factor_never_reaches_the_tables(specs) -> None:
    """The tables are 2026 software: sw_2025 changes no generated row."""
    hw, mo = specs
    a = evaluate_techniques(hw["b200-hgx"], mo["deepseek-r1"], 1024, 1024, DEFAULT_EFFICIENCY)
    b = evaluate_techniques(
        hw["b200-hgx"], mo["deepseek-r1"], 1024, 1024, DEFAULT_EFFICIENCY.with_(sw_2025=0.3)
    )
    assert np.array_equal(a["tok_s_per_gpu"], b["tok_s_per_gpu"])


def test_amd_vintage_by_month() -> None:
    """AMD runs before April 2026 use amd_sw_early_2026 in place of amd_sw; May 2026 and plain
    2026 runs the shipped amd_sw; the other factors stay."""
    eff = DEFAULT_EFFICIENCY.with_(amd_sw=0.4, amd_sw_early_2026=0.1)
    for month in ("2026-02", "2026-03"):
        early = eff.at_vintage(month)
        assert early.amd_sw == 0.1 and early.flops == eff.flops and early.hopper_sw == eff.hopper_sw
    assert eff.at_vintage("2026-05") is eff and eff.at_vintage("2026") is eff


def test_amd_2025_run_gets_both_vintage_factors(specs) -> None:
    """A 2025 AMD run is a 2025 run and an AMD run before April 2026: flops x sw_2025 and
    amd_sw_early_2026 in place of amd_sw, so its FLOP factor on MI300X is
    flops x sw_2025 x amd_sw_early_2026 (0.2 x 0.5 x 0.1 = 0.01 here); a 2025 NVIDIA run keeps
    flops x sw_2025 whatever the AMD factors."""
    hw = cal.calibration_hardware(specs[0])
    eff = DEFAULT_EFFICIENCY.with_(flops=0.2, amd_sw=0.4, amd_sw_early_2026=0.1, sw_2025=0.5)
    old = eff.at_vintage("2025-10")
    assert old.amd_sw == 0.1 and old.flops == pytest.approx(0.1)
    assert old.for_hardware(hw["mi300x"]).flops == pytest.approx(0.01)
    assert old.for_hardware(hw["b200-hgx"]).flops == pytest.approx(0.1)
    other = eff.with_(amd_sw_early_2026=0.4).at_vintage("2025-10")
    assert other.for_hardware(hw["b200-hgx"]).flops == old.for_hardware(hw["b200-hgx"]).flops


def test_amd_2025_point_reads_lower_than_with_the_may_factor(specs) -> None:
    """The MI300X gpt-oss point (2025-10) is FLOP bound: scored with amd_sw_early_2026 0.15 it
    reads below what the same factors with the May amd_sw 0.25 give it (the rule before)."""
    hw, mo = cal.calibration_hardware(specs[0]), specs[1]
    p = [
        Point(
            "mi300x",
            "gpt-oss-120b",
            1024,
            8192,
            90.0,
            1340.0,
            "holdout",
            "t",
            "t",
            vintage="2025-10",
        )
    ]
    eff = DEFAULT_EFFICIENCY.with_(amd_sw=0.25, amd_sw_early_2026=0.15)
    now = cal.score(p, hw, mo, eff)["modelled"].iloc[0]
    may = cal.score(p, hw, mo, eff.with_(amd_sw_early_2026=0.25))["modelled"].iloc[0]
    assert now < 0.8 * may


def test_amd_early_vintage_slows_only_amd(specs) -> None:
    """A March 2026 MI355X point is modelled with the early factor: at 0.1 against 0.4 (a quarter
    of the FLOP efficiency) the compute-bound slow end reads lower; a B200 point is unchanged."""
    hw, mo = specs
    eff = DEFAULT_EFFICIENCY.with_(amd_sw=0.4, amd_sw_early_2026=0.1)
    pts = [
        Point("mi355x", "deepseek-r1", 8192, 1024, 9.0, 4000.0, "fit", "t", "t", vintage=v)
        for v in ("2026-05", "2026-03")
    ] + [
        Point("b200-hgx", "deepseek-r1", 1024, 1024, 21.6, 13067.0, "fit", "t", "t", vintage=v)
        for v in ("2026-05", "2026-03")
    ]
    m = cal.score(pts, hw, mo, eff)["modelled"].to_numpy()
    assert m[1] < 0.9 * m[0]
    assert m[2] == pytest.approx(m[3])


def test_points_accessor_and_residual_band() -> None:
    """points(): one scored row per calibration point with the chart's columns; the band of a
    hardware is the 10-90% range of measured / modelled over its held-out points (MI355X has
    22 held out), low <= 1 <= high is not promised, low < high is."""
    frame = cal.points()
    assert len(frame) == len(cal.POINTS)
    assert list(frame.columns[:8]) == [
        "hardware", "model", "isl", "osl", "technique", "speed", "measured", "modelled"
    ]  # fmt: skip
    assert set(frame["role"]) == {"fit", "holdout"}
    mi = frame[(frame.hardware == "mi355x") & (frame.role == "holdout") & (frame.modelled > 0)]
    r = np.log(mi["measured"] / mi["modelled"])
    lo, hi = cal.residual_band("mi355x")
    assert lo == pytest.approx(math.exp(np.quantile(r, 0.1)))
    assert hi == pytest.approx(math.exp(np.quantile(r, 0.9)))
    assert lo < hi
    # a family without held-out points (Groq LPX) falls back to every held-out point
    assert cal.residual_band("lpu") == cal.residual_band("no-such-hardware")


def test_a_2025_point_is_scored_with_the_vintage_factor(specs) -> None:
    """The same B200 DeepSeek-R1 1k/1k measurement scored as 2026 and as 2025 software: at
    sw_2025 = 1 both read the same; at 0.5 the 2025 one reads what the model gives with half the
    FLOP efficiency (lower or equal: the slow end is compute bound)."""
    hw, mo = specs
    p26 = Point("b200-hgx", "deepseek-r1", 1024, 1024, 21.6, 13067.0, "fit", "t", "t")
    p25 = Point(
        "b200-hgx", "deepseek-r1", 1024, 1024, 21.6, 13067.0, "fit", "t", "t", vintage="2025-10"
    )
    same = cal.score([p26, p25], hw, mo, DEFAULT_EFFICIENCY.with_(sw_2025=1.0))
    assert same["modelled"].iloc[0] == pytest.approx(same["modelled"].iloc[1])
    half = DEFAULT_EFFICIENCY.with_(sw_2025=0.5)
    frame = cal.score([p26, p25], hw, mo, half)
    direct = cal.envelope_at(
        hw["b200-hgx"],
        mo["deepseek-r1"],
        1024,
        1024,
        half.with_(flops=0.1, prefill_flops=0.35),
        [21.6],
        "best",
    )[0]
    assert frame["modelled"].iloc[1] == pytest.approx(direct)
    assert frame["modelled"].iloc[1] < frame["modelled"].iloc[0]


def test_ordering_penalty_is_zero_for_the_shipped_factors_and_counts_a_slower_newer_rack(
    specs, monkeypatch
) -> None:
    hw, mo = specs
    assert cal.ordering_penalty(hw, mo, DEFAULT_EFFICIENCY) == 0.0
    # Pretend the "newer" GB300 is an H100 server: the prior must then charge
    # mean over speeds of max(0, ln(GB200 / H100))^2 (a speed H100 cannot serve counts 10x).
    monkeypatch.setattr(cal, "ORDER_PAIRS", (("gb300-nvl72", "gb200-nvl72"),))
    monkeypatch.setattr(cal, "ORDER_WORKLOADS", (("deepseek-r1", 8192, 1024),))
    monkeypatch.setattr(cal, "ORDER_SPEEDS", (20.0, 40.0))
    fake = dict(hw, **{"gb300-nvl72": hw["h100-hgx"]})
    new = cal.envelope_at(
        hw["h100-hgx"], mo["deepseek-r1"], 8192, 1024, DEFAULT_EFFICIENCY, [20.0, 40.0]
    )
    old = cal.envelope_at(
        hw["gb200-nvl72"], mo["deepseek-r1"], 8192, 1024, DEFAULT_EFFICIENCY, [20.0, 40.0]
    )
    want = np.mean(
        [max(0.0, math.log(o / max(n, o / 10))) ** 2 for n, o in zip(new, old, strict=True)]
    )
    got = cal.ordering_penalty(fake, mo, DEFAULT_EFFICIENCY)
    assert got > 0.5 and got == pytest.approx(want)
    # A pair whose hardware is not in the tables is skipped.
    assert cal.ordering_penalty({"b200-hgx": hw["b200-hgx"]}, mo, DEFAULT_EFFICIENCY) == 0.0


def test_as_shipped_takes_the_best_measured_curve_at_each_speed() -> None:
    """A no-MTP curve (10: 100, 20: 50) and an MTP curve (15: 120, 30: 40) of one hardware.
    As the shipped tables answer (best of techniques): at 10 only the no-MTP curve is measured
    (100); at 15 MTP 120 beats no-MTP's 75 (halfway 100 -> 50); at 20 MTP's 120 - 80/3 = 93.3
    beats 50; at 30 only MTP (40)."""

    def pt(speed: float, tput: float, tech: str) -> Point:
        return Point(
            "b200-hgx", "deepseek-r1", 1024, 1024, speed, tput, "holdout", "s", "", technique=tech
        )

    pts = [pt(10, 100, "none"), pt(20, 50, "none"), pt(15, 120, "mtp"), pt(30, 40, "mtp")]
    got = {p.interactivity: p.tok_s_per_gpu for p in cal.as_shipped(pts)}
    assert got == pytest.approx({10: 100.0, 20: 120 - 80 / 3, 15: 120.0, 30: 40.0})
    assert {p.technique for p in cal.as_shipped(pts)} == {"best"}


def test_as_shipped_point_takes_the_vintage_of_the_curve_that_beats_it() -> None:
    """A February no-MTP point at 20 (50) under a May MTP curve (15: 120, 30: 40, reading 93.3
    at 20): as shipped it is the May curve's figure, so it is modelled with May software; the
    February point at 10, which nothing beats, keeps its own."""

    def pt(speed: float, tput: float, tech: str, vintage: str) -> Point:
        return Point(
            "mi355x", "deepseek-r1", 1024, 1024, speed, tput, "holdout", "s", "", technique=tech,
            vintage=vintage,
        )  # fmt: skip

    pts = [pt(10, 100, "none", "2026-02"), pt(20, 50, "none", "2026-02")]
    pts += [pt(15, 120, "mtp", "2026-05"), pt(30, 40, "mtp", "2026-05")]
    got = {p.interactivity: p.vintage for p in cal.as_shipped(pts)}
    assert got == {10: "2026-02", 20: "2026-05", 15: "2026-05", 30: "2026-05"}


def test_snapshot_series_roles_follow_the_recorded_rule() -> None:
    """Roles were fixed before the v3 refit: of the InferenceX snapshot series (2026-06-01),
    8k/1k series are fitted and 1k/1k series held out, MI355X's 1k/1k sweep (the points issue
    19 found 2-12x high) among the held-out ones; every row names its software vintage."""
    df = pd.read_csv(cal.POINTS_CSV, keep_default_na=False)
    assert set(df["vintage"]) <= {"2025-10", "2026", "2026-02", "2026-03", "2026-05"}
    months = df[df["vintage"].str.startswith("2026-")]
    assert set(months["hardware"]) <= {"mi355x"}  # AMD software by run month (issue 19)
    src = df["source"].replace("same", pd.NA).ffill()
    snap = df[src.str.contains("snapshot of 2026-06-01")]
    assert len(snap) == 65  # 57 envelope points + 8 of the February and March MI355X runs
    assert (snap[snap.isl == 8192]["role"] == "fit").all()
    assert (snap[snap.isl == 1024]["role"] == "holdout").all()
    mi = snap[(snap.hardware == "mi355x") & (snap.isl == 1024) & (snap.technique == "none")]
    assert {36, 58, 72, 116} <= {round(x) for x in mi["interactivity"]}
    inferencemax_v1 = df[src.str.startswith("InferenceMAX v1 blog")]
    assert (inferencemax_v1["vintage"] == "2025-10").all()


def test_fit_on_own_points_has_no_ordering_prior(specs) -> None:
    """A planner's own points are fitted as they are: the prior's weight is 0 there, so the
    objective of a refit is the plain loss."""
    hw, mo = specs
    p = Point("b200-hgx", "deepseek-r1", 1024, 1024, 21.6, 13067.0, "fit", "t", "t")
    eff, obj = cal.fit(hw, mo, DEFAULT_EFFICIENCY, points=[p], grid={"bw": (0.8,)}, sweeps=1)
    assert obj == pytest.approx(cal.loss(cal.score([p], hw, mo, eff)))
