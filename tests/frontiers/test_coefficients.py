"""docs/model.md steps 1-5 on the coefficient function alone."""

from __future__ import annotations

import pandas as pd
import pytest

from optimizer import compute_coefficients, load_instance
from optimizer.frontiers.coefficients import pareto_envelope
from optimizer.frontiers.table import read_frontier_table


def _rows(*pts, hw="h", model="m", ctx=8192):
    return [
        {
            "hardware": hw,
            "model": model,
            "context_tokens": ctx,
            "interactivity": i,
            "tok_s_per_gpu": t,
            **({"ttft_s": f} if f is not None else {}),
        }
        for i, t, f in pts
    ]


def _coef(rows, gpus=1, period_years=1.0, **tier):
    t = {
        "id": "t",
        "model": "m",
        "context_tokens": 8192,
        "price_usd_per_mtok": 1,
        "min_interactivity": 50,
        **tier,
    }
    inst = load_instance(
        {
            "name": "c",
            "period_years": period_years,
            "site": {"power_mw": 1, "rack_positions": 1},
            "hardware": [{"id": "h", "gpus_per_unit": gpus, "power_kw": 1}],
            "tiers": [t],
            "frontiers": rows,
        }
    )
    pairs = compute_coefficients(read_frontier_table(inst), inst).pairs
    assert len(pairs) == 1
    return pairs.iloc[0]


def test_interpolates_between_envelope_points():
    # 50 lies 1/3 of the way from 20 to 110: 900 + (300 - 900) / 3 = 700.
    c = _coef(_rows((20, 900, None), (110, 300, None)))
    assert c["r_tok_s_per_gpu"] == pytest.approx(700.0)


def test_exact_point_and_a_coefficient():
    # r = 1000 at exactly 50; a = 1000 * 8 GPUs * 0.5 util * 31,536,000 * 2 years / 1e6.
    c = _coef(_rows((50, 1000, None), (100, 200, None)), gpus=8, period_years=2, utilization=0.5)
    assert c["r_tok_s_per_gpu"] == pytest.approx(1000.0)
    assert c["a_mtok_per_unit_period"] == pytest.approx(1000 * 8 * 0.5 * 31_536_000 * 2 / 1e6)


def test_below_range_takes_highest_throughput():
    c = _coef(_rows((80, 600, None), (200, 100, None)))
    assert c["r_tok_s_per_gpu"] == pytest.approx(600.0)


def test_above_range_is_unusable():
    c = _coef(_rows((10, 600, None), (40, 100, None)))
    assert not c["usable"]
    assert "speed above the table" in c["reason"] and "40" in c["reason"]


def test_dominated_rows_are_dropped_before_interpolating():
    # (60, 400) is dominated by (70, 500): without dropping it, r(50) would interpolate
    # from (40, 800) to (60, 400) = 600; on the envelope it is (40,800)-(70,500) -> 700.
    c = _coef(_rows((40, 800, None), (60, 400, None), (70, 500, None)))
    assert c["r_tok_s_per_gpu"] == pytest.approx(700.0)


def test_envelope_keeps_only_undominated_points():
    df = pd.DataFrame(
        {
            "k": ["a"] * 5,
            "interactivity": [10, 10, 20, 30, 30],
            "tok_s_per_gpu": [100, 90, 100, 50, 50],
        }
    )
    env = pareto_envelope(df, ["k"])
    # (10,100) is dominated by (20,100); (10,90) too; the duplicate (30,50) collapses.
    points = list(zip(env["interactivity"], env["tok_s_per_gpu"], strict=True))
    assert points == [(20, 100), (30, 50)]


def test_context_smallest_at_least_the_tier():
    rows = (
        _rows((50, 1000, None), ctx=4096)
        + _rows((50, 700, None), ctx=16384)
        + _rows((50, 300, None), ctx=131072)
    )
    c = _coef(rows, context_tokens=8192)
    assert c["context_tokens"] == 16384 and c["r_tok_s_per_gpu"] == pytest.approx(700.0)


def test_context_too_long_is_unusable():
    c = _coef(_rows((50, 1000, None), ctx=8192), context_tokens=400_000)
    assert not c["usable"] and "no rows at context >= 400000" in c["reason"]


def test_ttft_filter_drops_slow_rows():
    # With max_ttft 1.0 the 2.0 s point goes: the envelope is (60,500),(100,100) -> r(50)=500.
    rows = _rows((20, 900, 2.0), (60, 500, 0.8), (100, 100, 0.5))
    assert _coef(rows)["r_tok_s_per_gpu"] == pytest.approx(900 + (500 - 900) * 30 / 40)
    assert _coef(rows, max_ttft_s=1.0)["r_tok_s_per_gpu"] == pytest.approx(500.0)


def test_ttft_too_high_everywhere_is_unusable():
    c = _coef(_rows((20, 900, 2.0), (60, 500, 1.5)), max_ttft_s=1.0)
    assert not c["usable"] and "TTFT too high" in c["reason"]


def test_rows_without_ttft_are_kept_under_a_ttft_limit():
    c = _coef(_rows((50, 900, None)), max_ttft_s=0.1)
    assert c["usable"] and c["r_tok_s_per_gpu"] == pytest.approx(900.0)


def test_model_missing_on_hardware_is_unusable():
    inst = load_instance(
        {
            "name": "c",
            "site": {"power_mw": 1, "rack_positions": 1},
            "hardware": [
                {"id": "h", "gpus_per_unit": 1, "power_kw": 1},
                {"id": "k", "gpus_per_unit": 1, "power_kw": 1},
            ],
            "tiers": [
                {
                    "id": "t",
                    "model": "m",
                    "context_tokens": 8192,
                    "price_usd_per_mtok": 1,
                    "min_interactivity": 50,
                }
            ],
            "frontiers": _rows((50, 1000, None)) + _rows((50, 1000, None), hw="k", model="other"),
        }
    )
    pairs = compute_coefficients(read_frontier_table(inst), inst).pairs.set_index("hardware")
    assert pairs.loc["h", "usable"] and not pairs.loc["k", "usable"]
    assert "no rows for model m" in pairs.loc["k", "reason"]


def test_zero_throughput_at_a_point_is_usable_per_contract() -> None:
    # docs/model.md marks a pair unusable only at steps 1 and 4: r = 0 at exactly the last point
    # is usable (a = 0); it produces nothing but may hold a power share.
    c = _coef(_rows((10, 100, None), (100, 0, None)), min_interactivity=100)
    assert c["usable"] and c["r_tok_s_per_gpu"] == 0.0 and c["a_mtok_per_unit_period"] == 0.0


def test_ttft_cap_named_when_the_fast_rows_miss_it():
    """Issue 21 item 6: the reason names the TTFT cap, not the table's speed.

    Rows at 40 (TTFT 10 s), 56 (20 s), 81 (49 s); the tier needs 60 tok/s/user within 30 s.
    The table goes to 81, but the only row that fast takes 49 s: within the cap the fastest
    point is 56, so it was reported as "speed above the table: 60 > 56".
    """
    rows = _rows((40, 900, 10.0), (56, 600, 20.0), (81, 200, 49.0))
    c = _coef(rows, min_interactivity=60, max_ttft_s=30)
    assert not c["usable"]
    assert c["reason"].startswith("TTFT too high at this speed: rows at >= 60 tok/s/user take 49")
    assert "fastest point is 56" in c["reason"] and "the table reaches 81" in c["reason"]
    # beyond the table's fastest row the speed is the cause, whatever the TTFT
    c = _coef(rows, min_interactivity=90, max_ttft_s=30)
    assert (
        c["reason"] == "speed above the table: min_interactivity 90 > fastest point 81 tok/s/user"
    )
