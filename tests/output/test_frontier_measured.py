"""Measured points and the calibration band on the frontier charts (PNG and report).

The calibration is replaced by a small scored table (:func:`_stub_points`) so that counts
and the band's ratios can be worked out by hand; one test reads the shipped points through
the report, end to end.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer import load_instance
from optimizer.cli.plot_cmd import plot_app
from optimizer.frontiers.perf import calibration as cal
from optimizer.plots.frontier import frontier_figure, frontier_series, operating_points
from optimizer.plots.measured import (
    BAND_LABEL,
    POOLED,
    calibration_band,
    measured_points,
    read_user_points,
    role_counts,
)
from optimizer.report.frontier_chart import frontier as plotly_frontier

from conftest import base, frontier

SRC = "github.com/example/bench results.json"


def _row(hw: str, isl: int, osl: int, x: float, tok: float, mod: float, **kw: Any) -> dict:
    """One row of :func:`optimizer.frontiers.perf.calibration.points`."""
    return {
        "hardware": hw,
        "model": "deepseek-r1",
        "isl": isl,
        "osl": osl,
        "technique": kw.get("technique", "none"),
        "speed": x,
        "measured": tok,
        "modelled": mod,
        "ratio": mod / tok,
        "role": kw.get("role", "holdout"),
        "bound": kw.get("bound", "point"),
        "vintage": "2026",
        "source": kw.get("source", SRC),
        "counts": kw.get("counts", "input+output"),
        "profile": kw.get("profile", "tuned"),
    }


def _stub_points(eff: Any = None) -> pd.DataFrame:
    """b200-hgx (blackwell) held out at 1k/1k: measured / modelled 0.5, 1.0, 1.5, 2.0; two
    fitted points (one a lower bound, one counting output tokens only: 500 -> 1,000); an
    h100-hgx (hopper) held-out point at 1.2; and points the 1k/1k chart must leave out
    (1k/2k, 8k/1k, typical profile), fitted so that they stay out of the band too."""
    rows = [
        _row("b200-hgx", 1024, 1024, 20, 500, 1000),
        _row("b200-hgx", 1024, 1024, 40, 1000, 1000),
        _row("b200-hgx", 1024, 1024, 60, 1500, 1000),
        _row("b200-hgx", 1024, 1024, 80, 2000, 1000),
        _row("b200-hgx", 1024, 1024, 90, 100, 0),  # beyond the model's top speed: no ratio
        _row("b200-hgx", 1024, 1024, 15, 900, 1000, role="fit", bound="lower"),
        _row("b200-hgx", 1024, 1024, 30, 500, 1000, role="fit", counts="output"),
        _row("b200-hgx", 1024, 2048, 30, 800, 1000, role="fit"),
        _row("b200-hgx", 8192, 1024, 30, 800, 1000, role="fit"),
        _row("b200-hgx", 1024, 1024, 30, 800, 1000, role="fit", profile="typical"),
        _row("h100-hgx", 1024, 1024, 20, 1200, 1000, source="mlcommons.org h100 row"),
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cal, "points", _stub_points)


def _instance_doc() -> dict[str, Any]:
    """b200-hgx: 8 GPUs, 10 kW; h100-hgx: 8 GPUs, 8 kW; PUE 1.25. Curves at 1,024 tokens
    (conftest.frontier): 2,000 tok/s/GPU at 10 tok/s/user, 1,000 at 100 (each)."""
    doc = base(pue=1.25)
    doc["name"] = "measured"
    doc["hardware"] = [
        {"id": h, "gpus_per_unit": 8, "power_kw": kw, "rack_positions": 0.1}
        for h, kw in (("b200-hgx", 10), ("h100-hgx", 8))
    ]
    doc["tiers"][0].update(model="deepseek-r1", context_tokens=1024, min_interactivity=20)
    doc["frontiers"] = [
        r for h in ("b200-hgx", "h100-hgx") for r in frontier(h, "deepseek-r1", 2000.0, 1024)
    ]
    return doc


@pytest.fixture
def inst_table() -> tuple[Any, pd.DataFrame]:
    from optimizer.planning.planner import Planner

    inst = load_instance(_instance_doc())
    return inst, Planner(inst).table


def test_residual_band_by_hand(stub: None):
    """Quantiles of ln(measured / modelled), linear between order statistics, as ratios.
    Blackwell's held-out ratios 0.5, 1.0, 1.5, 2.0 (the point modelled at 0 left out): 10% at
    position 0.3, between 0.5 and 1.0: 0.5^0.7 x 1^0.3 = 0.6156; 90% at position 2.7:
    1.5^0.3 x 2^0.7 = 1.8346. Hopper has one held-out point (< 3): all five, 0.5, 1.0, 1.2,
    1.5, 2.0: 10% at 0.4: 0.5^0.6 = 0.6598; 90% at 3.6: 1.5^0.4 x 2^0.6 = 1.7826."""
    assert cal.residual_band("blackwell") == (
        pytest.approx(0.5**0.7),
        pytest.approx(1.5**0.3 * 2**0.7),
    )
    assert cal.residual_band("hopper") == (
        pytest.approx(0.5**0.6),
        pytest.approx(1.5**0.4 * 2**0.6),
    )


def test_measured_points_by_role_in_chart_units(stub: None, inst_table):
    """On the 1,024-token chart: b200 fit 2 (one lower bound), held out 5 (four b200 points
    and the b200 point beyond the model's range are all measured), h100 held out 1; the
    1k/2k, 8k/1k and typical points are left out. y per MW: b200 8 GPUs / (10 kW x 1.25 /
    1000) = 640 GPUs per MW; the output-only 500 at 1k/1k counts (1024+1024)/1024 = 2x:
    1,000 tok/s/GPU -> 640,000 per MW. h100: 8 / (8 x 1.25 / 1000) = 800 per MW."""
    inst, table = inst_table
    series = frontier_series(inst, table, "deepseek-r1", 1024)
    m = measured_points(inst, series)
    assert role_counts(m) == {"fit": 2, "holdout": 6, "user": 0, "lower": 1}
    out_only = m[(m["hardware"] == "b200-hgx") & (m["interactivity"] == 30)]
    assert out_only["tok_s_per_mw"].tolist() == [pytest.approx(640_000.0)]
    h100 = m[m["hardware"] == "h100-hgx"]
    assert h100["tok_s_per_mw"].tolist() == [pytest.approx(1200 * 800)]
    assert set(h100["source"]) == {"mlcommons.org h100 row"}


def test_band_is_the_curve_times_the_family_quantiles(stub: None, inst_table):
    """b200 at 10 tok/s/user: 2,000 x 640 = 1,280,000 per MW; band x0.5^0.7 / x1.5^0.3 2^0.7
    (blackwell's own); h100's band is that of all held-out points."""
    inst, table = inst_table
    series = frontier_series(inst, table, "deepseek-r1", 1024)
    band = calibration_band(series)
    b = band[(band["hardware"] == "b200-hgx") & (band["interactivity"] == 10.0)].iloc[0]
    assert b["tok_s_per_mw"] == pytest.approx(1_280_000.0)
    assert (b["low"], b["high"]) == (
        pytest.approx(1_280_000 * 0.5**0.7),
        pytest.approx(1_280_000 * 1.5**0.3 * 2**0.7),
    )
    assert b["basis"] == "blackwell"
    assert set(band.loc[band["hardware"] == "h100-hgx", "basis"]) == {POOLED}


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


def _measured_lines(fig: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in fig.axes[0].get_lines():
        label = str(line.get_label())
        if label.startswith("_measured "):
            key = " ".join(label.split()[1:])
            out[key] = out.get(key, 0) + len(line.get_xdata())
    return out


def test_png_chart_draws_points_by_role_and_the_band(stub: None, inst_table):
    from matplotlib.collections import PolyCollection

    inst, table = inst_table
    fig = frontier_figure(inst, table, None, "deepseek-r1", 1024)
    assert _measured_lines(fig) == {"holdout point": 6, "fit lower": 1, "fit point": 1}
    bands = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert sum(1 for c in bands if c.get_label() == "_band") == 2  # one per curve
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "measured, fitted (2)" in legend and "measured, held out (6)" in legend
    assert BAND_LABEL in legend
    assert any(t.startswith("lower bound (1)") for t in legend)
    png = [_png(frontier_figure(inst, table, None, "deepseek-r1", 1024)) for _ in range(2)]
    assert png[0] == png[1]  # deterministic: the same chart, the same bytes
    off = frontier_figure(inst, table, None, "deepseek-r1", 1024, measured=False)
    assert _measured_lines(off) == {}
    assert not [c for c in off.axes[0].collections if c.get_label() == "_band"]


def test_plotly_chart_traces_and_hover_sources(stub: None, inst_table):
    inst, table = inst_table
    series = frontier_series(inst, table, "deepseek-r1", 1024)
    fig = plotly_frontier(
        series,
        operating_points(inst, table, None, "deepseek-r1", 1024),
        title="t",
        measured=measured_points(inst, series),
        band=calibration_band(series),
    )
    by_name = {t.name: t for t in fig.data}
    held = by_name["b200-hgx: measured, held out"]
    assert len(held.x) == 5 and held.marker.symbol == "diamond-open"
    assert all(f"source: {SRC}" in h for h in held.customdata)
    assert len(by_name["b200-hgx: measured, fitted (lower bound)"].x) == 1
    assert "source: mlcommons.org h100 row" in by_name["h100-hgx: measured, held out"].customdata[0]
    assert [t.fill for t in fig.data if t.name == "b200-hgx band"] == ["tonexty"]
    assert "measured, fitted (2)" in by_name and "measured, held out (6)" in by_name
    fig2 = plotly_frontier(series, operating_points(inst, table, None), title="t")
    assert not [t for t in fig2.data if "measured" in str(t.name) or "band" in str(t.name)]


def _write_import(path: Path) -> None:
    """Two rows as `optimizer frontiers import` writes them (its columns), and one at
    another context."""
    from optimizer.frontiers.importers import COLUMNS

    rows = [
        ["b200-hgx", "deepseek-r1", 1024, 25, 1500, 0.4, 1024, 1024, "run-a.json (vllm)"],
        ["b200-hgx", "deepseek-r1", 1024, 50, 900, 0.3, 1024, 1024, "run-b.json (vllm)"],
        ["b200-hgx", "deepseek-r1", 8192, 50, 900, 0.3, 8192, 1024, "run-c.json (vllm)"],
    ]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        w.writerows(rows)


def test_user_points_read_from_an_imported_table(stub: None, inst_table, tmp_path: Path):
    inst, table = inst_table
    _write_import(tmp_path / "mine.csv")
    mine = read_user_points(tmp_path / "mine.csv")
    assert mine["source"].tolist() == [
        "run-a.json (vllm)",
        "run-b.json (vllm)",
        "run-c.json (vllm)",
    ]
    fig = frontier_figure(inst, table, None, "deepseek-r1", 1024, user_points=mine)
    assert _measured_lines(fig)["user point"] == 2
    notes = " ".join(t.get_text() for t in fig.texts)
    assert "1 of your points are at another model" in notes and "run-a.json (vllm)" in notes


def test_cli_points_option(stub: None, tmp_path: Path):
    import yaml

    (tmp_path / "inst.yaml").write_text(yaml.safe_dump(_instance_doc()))
    _write_import(tmp_path / "mine.csv")
    runner = CliRunner()
    args = ["frontier", str(tmp_path / "inst.yaml"), "--no-plan", "--points"]
    ok = runner.invoke(
        plot_app, [*args, str(tmp_path / "mine.csv"), "--out", str(tmp_path / "f.png")]
    )
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    (tmp_path / "bad.csv").write_text(
        "hardware,model,context_tokens,interactivity,tok_s_per_gpu,source\n"
        "b200-hgx,deepseek-r1,1024,fast,900,x\n"
    )
    bad = runner.invoke(
        plot_app, [*args, str(tmp_path / "bad.csv"), "--out", str(tmp_path / "g.png")]
    )
    assert bad.exit_code == 2
    lines = bad.stderr.strip().splitlines()
    assert lines == [
        f"error: {tmp_path / 'bad.csv'} line 2: interactivity is not a number (got 'fast')"
    ]
    assert not (tmp_path / "g.png").exists()


def test_report_html_has_the_shipped_points_and_band(tmp_path: Path):
    """End to end, with the shipped calibration: the report's frontier chart of a b200-hgx
    DeepSeek-R1 1k/1k instance draws the points.csv rows of that workload, each hovering
    with its source, and the band."""
    import yaml

    from optimizer.frontiers.perf.calibration import POINTS_CSV
    from optimizer.report.build import build_report
    from optimizer.report.html import render_html

    with open(POINTS_CSV, newline="") as fh:
        rows = [
            r
            for r in csv.DictReader(fh)
            if (r["hardware"], r["model"], r["isl"], r["osl"], r["profile"])
            == ("b200-hgx", "deepseek-r1", "1024", "1024", "tuned")
        ]
    assert rows  # the shipped calibration has b200-hgx 1k/1k points
    doc = _instance_doc()
    (tmp_path / "inst.yaml").write_text(yaml.safe_dump(doc))
    page = render_html(build_report(tmp_path / "inst.yaml"))
    page = page.replace("\\u002f", "/").replace("\\u003cbr\\u003e", "|")  # JSON escapes
    for role, label in (("fit", "measured, fitted"), ("holdout", "measured, held out")):
        n = sum(r["role"] == role for r in rows)
        assert (f'"{label} ({n})"' in page) == (n > 0), role
    assert "calibration band: 10-90% of held-out measured/modelled" in page
    sources = {r["source"] for r in rows} - {"same"}
    assert all(f"source: {s}" in page for s in sources)


def test_stub_matches_the_accessor_columns():
    """The stub has the columns the real accessor returns (so the tests above test it)."""
    real = cal.points()
    assert list(real.columns) == list(_stub_points().columns)
    assert np.isin(real["role"].unique(), ["fit", "holdout"]).all()
