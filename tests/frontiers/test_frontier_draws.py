"""``optimizer frontiers draws``: throughput scenarios from the calibration's residuals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer.frontiers.draws import (
    POOLED,
    draw_scenarios,
    family_errors,
    family_of,
    residuals,
)

from conftest import TOY, run_cli


def _scored() -> pd.DataFrame:
    """Five made-up scored points: two Blackwell, three Hopper, one out of range."""
    return pd.DataFrame(
        {
            "hardware": ["b200-hgx", "gb200-nvl72", "h100-hgx", "h200-hgx", "h100-hgx", "h200-hgx"],
            "tok_s_per_gpu": [200.0, 100.0, 50.0, 100.0, 100.0, 10.0],
            "modelled": [100.0, 100.0, 100.0, 100.0, 200.0, 0.0],
        }
    )


def test_residuals_by_family_and_pooled() -> None:
    by = residuals(_scored())
    assert np.exp(by["blackwell"]).tolist() == pytest.approx([2.0, 1.0])
    assert np.exp(by["hopper"]).tolist() == pytest.approx([0.5, 1.0, 0.5])  # the 0 is left out
    assert by[POOLED].size == 5


def test_small_families_draw_from_every_point() -> None:
    errs = {e.family: e for e in family_errors(residuals(_scored()), ["hopper", "blackwell"])}
    assert len(errs["hopper"].residuals) == 3 and "3 points of hopper" in errs["hopper"].source
    assert len(errs["blackwell"].residuals) == 5 and POOLED in errs["blackwell"].source


def test_draws_are_seeded_shared_within_a_family_and_sum_to_one() -> None:
    ids = ["h100-hgx", "h200-hgx", "gb200-nvl72"]
    errs = family_errors(residuals(_scored()), [family_of(h) for h in ids])
    a = draw_scenarios(ids, errs, samples=7, seed=3)
    b = draw_scenarios(ids, errs, samples=7, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert a["probability"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (a["hardware[h100-hgx].frontier_scale"] == a["hardware[h200-hgx].frontier_scale"]).all()
    assert set(a["hardware[h100-hgx].frontier_scale"]) <= {0.5, 1.0}  # hopper's own residuals
    assert set(a["hardware[gb200-nvl72].frontier_scale"]) <= {0.5, 1.0, 2.0}  # pooled


def test_cli_draws_feed_a_sweep(tmp_path) -> None:
    """The toy's ids are no known family: each draws from every calibration point."""
    out = tmp_path / "draws.csv"
    done = run_cli(
        ["frontiers", "draws", str(TOY), "--out", str(out), "--samples", "3", "--seed", "5"],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == [
        "scenario",
        "probability",
        "hardware[hgx-h100].frontier_scale",
        "hardware[nvl72].frontier_scale",
    ]
    assert (table.iloc[:, 2:] > 0).all().all()
    swept = run_cli(
        ["sweep", str(TOY), "--scenarios", str(out), "--workers", "1", "--out", "sw", "--quiet"],
        tmp_path,
    )
    assert (tmp_path / "sw" / "sweep.csv").exists(), swept.stderr
    rows = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert len(rows) == 3 and (rows["status"] == "optimal").all()
    again = run_cli(["frontiers", "draws", str(TOY), "--out", str(out)], tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr
