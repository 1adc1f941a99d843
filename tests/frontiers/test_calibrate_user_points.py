"""``frontiers calibrate --points``: the generator against a planner's own measurements.

The "measurements" here are the generator's own curve for B200 on DeepSeek-R1 (1k/1k) built
with memory-bandwidth efficiency 0.5 instead of the shipped 0.8: scored with the shipped
factors every point reads high; refitted over bw in {0.5, 0.8} the fit must land on 0.5
with a loss of 0 (the points are exactly that model's).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from optimizer.errors import InputError
from optimizer.frontiers.generator import DEFAULT_EFFICIENCY
from optimizer.frontiers.perf import calibration as cal
from optimizer.frontiers.perf.user_points import changed_factors, read_points, report

from conftest import run_cli

SPEEDS = [20.0, 40.0, 60.0]


def _measured(specs, tmp_path):
    hw, mo = specs
    slow = DEFAULT_EFFICIENCY.with_(bw=0.5)
    tput = cal.envelope_at(hw["b200-hgx"], mo["deepseek-r1"], 1024, 1024, slow, SPEEDS)
    assert (tput > 0).all()
    df = pd.DataFrame(
        {
            "hardware": "b200-hgx",
            "model": "deepseek-r1",
            "isl": 1024,
            "osl": 1024,
            "interactivity": SPEEDS,
            "tok_s_per_gpu": tput,
            "source": "made by the generator at bw 0.5",
        }
    )
    path = tmp_path / "mine.csv"
    df.to_csv(path, index=False)
    return path, tput


def test_refit_on_own_points_recovers_the_factor(specs, tmp_path) -> None:
    hw, mo = specs
    path, _ = _measured(specs, tmp_path)
    pts = read_points(path, hw, mo)
    assert [p.role for p in pts] == ["fit"] * 3
    shipped = cal.score(pts, hw, mo, DEFAULT_EFFICIENCY)
    assert (shipped["ratio"] > 1.0).all()  # the shipped factors read these points high
    fitted, loss = cal.fit(
        hw, mo, DEFAULT_EFFICIENCY, points=pts, grid={"bw": (0.5, 0.8)}, sweeps=1
    )
    assert fitted.bw == 0.5 and loss == pytest.approx(0.0, abs=1e-12)
    assert changed_factors(fitted, DEFAULT_EFFICIENCY) == {"bw": 0.5}
    text, summ = report(pts, hw, mo, DEFAULT_EFFICIENCY, fitted, "t")
    assert summ["refitted on these points"]["worst_factor"] == pytest.approx(1.0)
    assert text.count("| b200-hgx | deepseek-r1 | 1024/1024 |") == 3


def test_bad_points_name_their_lines(specs, tmp_path) -> None:
    hw, mo = specs
    path = tmp_path / "bad.csv"
    path.write_text(
        "hardware,model,isl,osl,interactivity,tok_s_per_gpu\n"
        "b200-hgx,deepseek-r1,1024,1024,abc,5\n"
        "nope,deepseek-r1,1024,1024.5,10,5\n"
    )
    with pytest.raises(InputError) as exc:
        read_points(path, hw, mo)
    text = "\n".join(exc.value.problems)
    assert "bad.csv line 2: interactivity 'abc' is not a number" in text
    assert "bad.csv line 3:" in text and "'nope' is not in the specs" in text
    assert "isl" not in text.split("line 3")[0]


def test_cli_scores_and_refits_with_an_efficiency_file(specs, tmp_path) -> None:
    path, tput = _measured(specs, tmp_path)
    done = run_cli(
        ["frontiers", "calibrate", "--points", str(path), "--out", str(tmp_path / "r.md")],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "r.md").read_text()
    assert "shipped factors: 3 points" in text
    eff = tmp_path / "eff.json"
    eff.write_text(json.dumps({"bw": 0.5}))
    built = run_cli(
        ["frontiers", "build", "--hardware", "b200-hgx", "--models", "deepseek-r1",
         "--contexts", "1024", "--osl", "1024", "--efficiency", str(eff),
         "--out", str(tmp_path / "t.csv"), "--quiet"],
        tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    table = pd.read_csv(tmp_path / "t.csv")
    # The table built with the refitted factor goes through the measured points.
    env = table.sort_values("interactivity")
    at = np.interp(SPEEDS, env["interactivity"], env["tok_s_per_gpu"])
    assert at == pytest.approx(tput, rel=0.05)
    bad = run_cli(["frontiers", "calibrate", "--efficiency-out", str(eff)], tmp_path)
    assert bad.returncode == 2 and "only with --fit" in bad.stderr


@pytest.mark.parametrize(
    ("factors", "says"),
    [
        ({"matmul_flops": 0}, "matmul_flops must be > 0"),
        ({"bw": -0.1}, "bw must be numbers >= 0"),
        ({"flops": "fast"}, "flops must be numbers >= 0"),
    ],
)
def test_an_efficiency_file_that_cannot_be_a_rate_is_one_line(tmp_path, factors, says) -> None:
    """A share of a peak rate at 0 made every kernel infinitely slow: `frontiers build`
    wrote the few rows that escape it (the SRAM pods) as if nothing were wrong."""
    eff = tmp_path / "eff.json"
    eff.write_text(json.dumps(factors))
    out = tmp_path / "table.csv"
    done = run_cli(["frontiers", "build", "--efficiency", str(eff), "--out", str(out)], tmp_path)
    assert done.returncode == 2 and says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not out.exists()
