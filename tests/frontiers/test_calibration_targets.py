"""The targets section of calibration.md counts what it says it counts."""

from __future__ import annotations

import pandas as pd
import pytest

from optimizer.frontiers.perf.calibration_report import _target_lines


def _hold(ratios: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "hardware": ["gb300-nvl72"] + ["b200-hgx"] * (len(ratios) - 1),
            "model": "deepseek-r1",
            "isl": 1024,
            "osl": 1024,
            "technique": ["none"] + ["mtp"] * (len(ratios) - 1),
            "interactivity": [98.0] + [50.0] * (len(ratios) - 1),
            "ratio": ratios,
        }
    )


def test_targets_count_points_within_20_percent_and_beyond_2x() -> None:
    # Headline (as shipped), 5 points: 1.1 and 0.9 are within 20% (factor <= 1.2); 1.3 is not;
    # 3.98 and 0.45 are beyond 2x (0.45 -> factor 2.22). A median under 20% needs
    # (5 + 1) // 2 = 3 points. Per technique beside it: 3 points, 1 within, 1 beyond.
    head = _hold([3.98, 1.1, 0.9, 1.3, 0.45])
    per = _hold([3.98, 1.1, 1.5])
    rt = pd.DataFrame({"factor": [0.7, 0.5, 1.4]})  # 0.7 and 1.4 within 1.5x; 0.5 is not
    text = "\n".join(_target_lines(head, per, rt))
    assert "2 of 5 held-out points are within 20%" in text
    assert "needs at least 3). Not met: 1 short. Per technique: 1 of 3 (needs 2)." in text
    assert "2 beyond: b200-hgx 1k/1k at 50 (0.45), gb300-nvl72 1k/1k at 98 (3.98)." in text
    assert "Per technique: 1 beyond (gb300-nvl72" in text
    assert "a sparse sweep: GB300 without MTP falls 12x" in text  # its recorded reason
    assert "1 read low (under 0.83): b200-hgx 1k/1k at 50 (0.45)" in text
    assert "2 read high (over 1.20)" in text
    assert "2 of 3" in text


def test_targets_met_when_every_point_is_close() -> None:
    hold = _hold([1.05, 0.95, 1.15])
    text = "\n".join(_target_lines(hold, hold, pd.DataFrame({"factor": [1.0]})))
    assert (
        "3 of 3 held-out points are within 20% (a median under 20% needs at least 2). Met." in text
    )
    assert "0 beyond. Met. Per technique: 0 beyond." in text


def test_verdict_reads_the_headline() -> None:
    from optimizer.frontiers.perf.calibration import summary
    from optimizer.frontiers.perf.calibration_report import _verdict

    # exp(median |ln r|) over 1.05, 0.95, 1.15: |ln| 0.049, 0.051, 0.140 -> median 0.051 -> 5%.
    met = _verdict(summary(pd.DataFrame({"ratio": [1.05, 0.95, 1.15]})))
    assert met == "The median is within target (5%); no point is beyond 2x (worst 1.15x)."
    # 0.5 (2x), 3.0 (3x) and 0 (beyond the model's top speed): median 3x (200%), worst infinite.
    missed = _verdict(summary(pd.DataFrame({"ratio": [0.5, 3.0, 0.0]})))
    assert missed.startswith("The median is NOT within target (200%); a point is beyond")


def test_audit_names_the_points_the_sparse_rule_marks_and_the_steepest_it_leaves() -> None:
    """Two sweeps: A falls 10x at 1.5x the speed (marked), B falls 2.5x (two-sided)."""
    from optimizer.frontiers.perf.calibration_report import _sweep_audit

    df = pd.DataFrame(
        {
            "hardware": ["gb300-nvl72"] * 2 + ["mi355x"] * 2,
            "model": "deepseek-r1",
            "isl": 1024,
            "osl": 1024,
            "technique": "none",
            "profile": "tuned",
            "interactivity": [60.0, 90.0, 100.0, 120.0],
            "tok_s_per_gpu": [5000.0, 500.0, 250.0, 100.0],
            "role": "holdout",
            "source": ["a", "same", "b", "same"],
            "bound": ["point", "lower", "point", "point"],
        }
    )
    text = _sweep_audit(df)
    assert "it marks 1 points: gb300-nvl72 1k/1k none at 90 (holdout, 10.00x fall at 1.50x" in text
    assert "steepest fall it leaves two-sided is mi355x 1k/1k none at 120 (holdout, 2.50x" in text
    assert "The MI355X 1k/1k fast end falls at most 2.50x per step" in text


def test_lower_bounds_in_points_csv_follow_the_sparse_sweep_rule() -> None:
    """points.csv records each point's kind; the rule decides it, not the fit: a point is a
    lower bound exactly when its sweep's previous point has more than 3x its throughput at
    less than 2x slower speed (GB300 FP4 without MTP: 6,821 at 59 -> 560 at 98)."""
    from optimizer.frontiers.perf.calibration import POINTS_CSV, sparse_sweep_bounds

    df = pd.read_csv(POINTS_CSV, keep_default_na=False)
    rule = sparse_sweep_bounds(df)
    assert (df["bound"] == rule["bound"]).all()
    assert (df["upper"].astype(str) == rule["upper"]).all()
    gb300 = df[(df.hardware == "gb300-nvl72") & (df.technique == "none")].set_index("interactivity")
    assert gb300.loc[98.0, "bound"] == "lower" and float(gb300.loc[98.0, "upper"]) == 6821


def test_lower_bound_scores_one_inside_its_interval() -> None:
    from optimizer.frontiers.perf.calibration import effective_ratio

    assert effective_ratio(2000.0, 560.0, "lower", 6821.0) == 1.0
    assert effective_ratio(280.0, 560.0, "lower", 6821.0) == 0.5
    assert effective_ratio(13642.0, 560.0, "lower", 6821.0) == 2.0
    assert effective_ratio(2000.0, 560.0, "point", None) == 2000.0 / 560.0


def test_pool_restated_sizes_the_prefill_pool_at_the_runs_busiest_rate() -> None:
    """One run, 1k/1k, input + output tokens. A: 1,000 tok/s/GPU on 4 prefill + 8 decode GPUs:
    12,000 tok/s, half of them prompt tokens (6,000/s), 1,500 per prefill GPU. B: 100 on 8 + 16:
    2,400 tok/s, 1,200 prompt tokens/s, 150 per prefill GPU. The run's rate is A's 1,500, so A
    needs its 4 prefill GPUs (stays 1,000) and B needs 0.8: 100 x 24 / 16.8 = 142.86. C has no
    pool fields and D is another run (its own busiest point): both stay as measured."""
    from optimizer.frontiers.perf.sweeps import pool_restated

    df = pd.DataFrame(
        {
            "hardware": "mi355x",
            "model": "deepseek-r1",
            "isl": 1024,
            "osl": 1024,
            "counts": "input+output",
            "tok_s_per_gpu": [1000.0, 100.0, 100.0, 100.0],
            "prefill_gpus": ["4", "8", "", "8"],
            "decode_gpus": ["8", "16", "", "16"],
            "run": ["r1", "r1", "", "r2"],
        }
    )
    got = pool_restated(df).tolist()
    assert got == pytest.approx([1000.0, 100 * 24 / 16.8, 100.0, 100.0])


def test_every_snapshot_point_records_its_runs_pool() -> None:
    """The pool rule applies to every point whose source gives the split: each row of the
    InferenceX API snapshot records its run's prefill and decode GPUs and run id, and the
    loaded point keeps the source's figure beside the restated one."""
    from optimizer.frontiers.perf.calibration import POINTS, POINTS_CSV

    df = pd.read_csv(POINTS_CSV, keep_default_na=False)
    src = df["source"].replace("same", pd.NA).ffill()
    snap = df[src.str.contains("InferenceXCurve")]
    assert len(snap) == 73
    assert (snap["prefill_gpus"].astype(str) != "").all()
    assert (snap["decode_gpus"].astype(str) != "").all()
    assert (snap["run"].astype(str) != "").all()
    fast = [p for p in POINTS if p.hardware == "mi355x" and p.interactivity == 145.4]
    assert len(fast) == 1 and fast[0].measured == 46.0
    assert (fast[0].prefill_gpus, fast[0].decode_gpus) == (8, 16)
    assert 46.0 < fast[0].tok_s_per_gpu <= 46.0 * 24 / 16


def test_as_measured_gives_back_the_sources_own_figures() -> None:
    """The report's 'figures as the sources count them' line scores as_measured(POINTS): every
    restated point back at its source's figure, every other point untouched."""
    from optimizer.frontiers.perf.calibration import POINTS, as_measured

    raw = as_measured(POINTS)
    assert len(raw) == len(POINTS)
    moved = [(p, q) for p, q in zip(POINTS, raw, strict=True) if p.measured is not None]
    assert moved and all(q.tok_s_per_gpu == p.measured for p, q in moved)
    assert all(p.tok_s_per_gpu > p.measured for p, _ in moved)  # the pool rule only raises
    same = [(p, q) for p, q in zip(POINTS, raw, strict=True) if p.measured is None]
    assert all(p is q for p, q in same)
