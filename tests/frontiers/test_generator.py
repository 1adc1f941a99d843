"""Frontier generator: envelope shape, memory rule, monotonicity, calibration, CLI, query.

Memory rule under test: a (layout, batch) is produced only if, per accelerator, its share
of the weights plus the KV cache of its sequences at isl + osl tokens fits in 90% of HBM
(95% of SRAM). An instance may chain up to 4 servers of <= 8 accelerators (pipeline
stages, or an expert/tensor-parallel group over scale-out); racks (NVL72) and SRAM-only
hardware (Groq LPX) may not chain units, so a model that does not fit one unit is skipped.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from optimizer import compute_coefficients, load_instance, read_frontier_table
from optimizer.cli.frontiers_cmd import frontiers_app
from optimizer.frontiers.generator import DEFAULT_EFFICIENCY, ROW_COLUMNS, build_frontiers, query
from optimizer.frontiers.perf import calibration as cal
from optimizer.frontiers.perf.engine import evaluate
from optimizer.frontiers.perf.specs import hardware_from_dict, model_from_dict
from optimizer.frontiers.table import REQUIRED_COLUMNS

from conftest import REPO

HW = {
    h["id"]: h
    for h in yaml.safe_load((REPO / "optimizer/data/specs/hardware.yaml").read_text())["hardware"]
}
MODELS = {
    m["id"]: m
    for m in yaml.safe_load((REPO / "optimizer/data/specs/models.yaml").read_text())["models"]
}
KEY = ["hardware", "model", "context_tokens"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return build_frontiers(list(HW.values()), list(MODELS.values()))


def test_full_build_is_complete(table: pd.DataFrame) -> None:
    """Building again gives the same table (its time is benchmarks/, not a test's), with the
    module's documented columns and those the planner reads."""
    again = build_frontiers(list(HW.values()), list(MODELS.values()))
    assert len(again) == len(table) > 500
    assert list(table.columns) == ROW_COLUMNS
    assert {*REQUIRED_COLUMNS, "ttft_s", "isl", "osl", "layout", "source"} <= set(table.columns)
    assert table["source"].str.startswith("modelled: optimizer frontiers generator v").all()
    # Every GPU hardware serves every model at 8K; contexts above a model's maximum are absent.
    gpus = [h for h in HW if h not in ("groq3-lpx", "vr-lpx-pod", "vr-lpx16-pod")]
    at8k = table[table.context_tokens == 8192].groupby(["hardware", "model"]).size()
    assert all((h, m) in at8k.index for h in gpus for m in MODELS)
    for mid, m in MODELS.items():
        assert table[table.model == mid].context_tokens.max() <= m["max_context_tokens"]
    assert (table[table.context_tokens == 400000].model == "gpt-moe-1.8t").all()


def test_envelope_throughput_falls_as_interactivity_rises(table: pd.DataFrame) -> None:
    for (hw, _, _), grp in table.groupby(KEY):
        g = grp.sort_values("interactivity")
        # Chained LPX racks and pods fit few batch sizes at long contexts (SRAM is small).
        assert len(g) >= (1 if hw in ("groq3-lpx", "vr-lpx-pod", "vr-lpx16-pod") else 5)
        assert np.all(np.diff(g.interactivity.to_numpy()) > 0)
        assert np.all(np.diff(g.tok_s_per_gpu.to_numpy()) < 0)
        assert (g.tok_s_per_gpu > 0).all() and (g.ttft_s > 0).all()


def test_memory_rule_h100_deepseek_needs_several_servers(table: pd.DataFrame) -> None:
    # DeepSeek-R1 FP8 is 671 GB; one HGX H100 holds 8 x 80 GB x 0.9 = 576 GB: no one-server layout.
    rows = table[(table.hardware == "h100-hgx") & (table.model == "deepseek-r1")]
    assert len(rows) > 0
    assert rows.layout.str.contains(r"over [24] units").all()
    hw, m = hardware_from_dict(HW["h100-hgx"]), model_from_dict(MODELS["deepseek-r1"])
    assert evaluate(hw, m, 8192, 1024, DEFAULT_EFFICIENCY, max_units=1)["interactivity"].size == 0
    # H200 (8 x 141 GB) holds it in one server.
    one = evaluate(
        hardware_from_dict(HW["h200-hgx"]), m, 8192, 1024, DEFAULT_EFFICIENCY, max_units=1
    )
    assert one["interactivity"].size > 0


def test_memory_rule_sram_hardware_chains_racks_but_needs_weights_and_kv_in_sram(
    table: pd.DataFrame,
) -> None:
    groq = table[table.hardware == "groq3-lpx"]
    # Kimi K2.5 (~580 GB of INT4 weights) does not fit one rack (256 x 0.5 GB x 0.95 = 122 GB):
    # its rows chain racks; gpt-oss-120b fits one rack.
    kimi = groq[groq.model == "kimi-k2.5"]
    assert len(kimi) > 0 and kimi.layout.str.contains(r"over \d+ units").all()
    assert kimi.units_per_replica.min() > 1
    skipped = {(s["hardware"], s["model"], s["context_tokens"]) for s in table.attrs["skipped"]}
    # DeepSeek-R1 at FP8 (671 GB) with its MLA KV replicated per tensor-parallel group does
    # not fit even 16 racks; GPT-MoE-1.8T (1.8 TB) neither.
    assert ("groq3-lpx", "deepseek-r1", 8192) in skipped
    assert ("groq3-lpx", "gpt-moe-1.8t", 8192) in skipped
    assert all(s["reason"] for s in table.attrs["skipped"])


def test_more_bandwidth_gives_more_throughput_at_same_interactivity() -> None:
    # Never less; strictly more where the step is memory-bound (at 20 tok/s/user DeepSeek-R1
    # on B200 is bound by compute and per-sequence overhead, so bandwidth does not help there).
    for hw_id in ("b200-hgx", "h200-hgx"):
        base = HW[hw_id]
        fast = {
            **copy.deepcopy(base),
            "id": "fast",
            "mem_bw_tb_s_per_accel": base["mem_bw_tb_s_per_accel"] * 1.5,
        }
        for model in ("deepseek-r1", "gpt-oss-120b"):
            for speed in (20.0, 50.0, 100.0):
                slow = query(base, MODELS[model], 8192, 1024, speed)["tok_s_per_gpu"]
                quick = query(fast, MODELS[model], 8192, 1024, speed)["tok_s_per_gpu"]
                assert quick >= slow > 0, (hw_id, model, speed)
                if speed >= 50:
                    assert quick > slow, (hw_id, model, speed)


def test_calibration_error_matches_report() -> None:
    hw = cal.calibration_hardware(
        {k: hardware_from_dict(v) for k, v in HW.items() if "pod" not in v}
    )
    mo = {k: model_from_dict(v) for k, v in MODELS.items()}
    frame = cal.score(cal.POINTS, hw, mo, DEFAULT_EFFICIENCY)
    fit = cal.summary(frame[frame.role == "fit"])
    held = cal.summary(frame[frame.role == "holdout"])
    assert fit["n"] == 58 and held["n"] == 54
    # Measured with the shipped factors (calibration.md, generator v2.2 with the prefill pools
    # restated at scale): fit 26% median, held out per technique 25% (44% with the v2 factors).
    assert fit["median_abs_log_error_factor"] < 1.30
    assert held["median_abs_log_error_factor"] < 1.36
    assert 0.9 < held["median_ratio"] < 1.25
    # The worst points are the two beyond the model's top speed without speculation: B200 8k/1k
    # at 169 tok/s/user (fitted) and MI355X 1k/1k at 157 (held out), 155.5 and 156.4 in the model.
    zero = frame[frame.ratio == 0]
    assert sorted(zip(zero.hardware, zero.interactivity, strict=True)) == [
        ("b200-hgx", 169.1),
        ("mi355x", 157.3),
    ]
    rest = frame[(frame.ratio > 0) & (frame.role == "holdout")].ratio
    assert rest.max() < 3.0 and rest.min() > 0.4
    report = (REPO / "optimizer/data/frontiers/calibration.md").read_text()
    assert f"| held out, per technique | 54 | {held['median_ratio']:.2f} |" in report
    # The headline scores the held-out points as the shipped tables answer (best of
    # techniques); the report's verdict on the targets (held-out median under 20%, no held-out
    # point beyond 2x) must say what its numbers say: both met (13%; the worst, H200 8k/1k at
    # 9.4 tok/s/user, 0.57; MI300X gpt-oss at 90 tok/s/user 1.69x with the 2025 AMD factors).
    hold_pts = [p for p in cal.POINTS if p.role == "holdout"]
    head = cal.summary(cal.score(cal.as_shipped(hold_pts), hw, mo, DEFAULT_EFFICIENCY))
    assert f"the headline** | {int(head['n'])} | {head['median_ratio']:.2f} |" in report
    met_median = head["median_abs_log_error_factor"] <= 1.20
    met_worst = head["worst_factor"] <= 2.0
    assert ("The median is within target" in report) is met_median
    assert ("no point is beyond 2x" in report) is met_worst
    assert met_median and met_worst
    assert not held["worst_factor"] <= 2.0  # per technique, two points are beyond 2x


def test_published_ratio_within_target_stays_within_it() -> None:
    # Of the seven published ratios (calibration/ratios.csv) one is modelled within 1.5x:
    # GB200 NVL72 / H100 on GPT-MoE-1.8T 32k/1k at 20 tok/s/user (published 30x, modelled
    # ~22.7x, factor ~0.76). Pin that target; the others are missed (calibration.md says why).
    plain = {k: v for k, v in HW.items() if "pod" not in v}
    hw = cal.calibration_hardware({k: hardware_from_dict(v) for k, v in plain.items()})
    mo = {k: model_from_dict(v) for k, v in MODELS.items()}
    power = {k: float(v.get("power_kw_per_unit") or 0.0) for k, v in plain.items()}
    ratios = cal.load_ratios()
    one = ratios[ratios["model"] == "gpt-moe-1.8t"]
    assert len(one) == 1
    rt = cal.ratio_table(hw, mo, DEFAULT_EFFICIENCY, power, one)
    assert 1 / 1.5 <= float(rt["factor"].iloc[0]) <= 1.5
    report = (REPO / "optimizer/data/frontiers/calibration.md").read_text()
    assert f"| {float(rt['modelled'].iloc[0]):.2f} | {float(rt['factor'].iloc[0]):.2f} | yes |" in (
        report
    )


def test_cli_build_writes_a_table_the_planner_accepts(tmp_path: Path) -> None:
    out = tmp_path / "frontiers.csv"
    res = CliRunner().invoke(
        frontiers_app,
        [
            "build",
            str(REPO / "optimizer/data/specs/hardware.yaml"),
            str(REPO / "optimizer/data/specs/models.yaml"),
            "-o",
            str(out),
            "--hardware",
            "b200-hgx,h200-hgx",
            "--models",
            "gpt-oss-120b,deepseek-r1",
            "--contexts",
            "8192,131072",
            "--osl",
            "1024",
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed away
    doc: dict[str, Any] = {
        "name": "generated",
        "site": {"power_mw": 10, "rack_positions": 100},
        "hardware": [
            {"id": "b200-hgx", "gpus_per_unit": 8, "power_kw": 14.3, "rack_positions": 0.25},
            {"id": "h200-hgx", "gpus_per_unit": 8, "power_kw": 10.2, "rack_positions": 0.25},
        ],
        "tiers": [
            {
                "id": "oss",
                "model": "gpt-oss-120b",
                "context_tokens": 8192,
                "price_usd_per_mtok": 1.0,
                "min_interactivity": 100,
            },
            {
                "id": "r1-long",
                "model": "deepseek-r1",
                "context_tokens": 100000,
                "price_usd_per_mtok": 3.0,
                "min_interactivity": 30,
            },
        ],
        "frontiers": str(out),
    }
    inst = load_instance(doc)
    rows = read_frontier_table(inst)
    assert len(rows) > 20 and set(rows.hardware) == {"b200-hgx", "h200-hgx"}
    coef = compute_coefficients(rows, inst)
    assert coef.pairs.usable.all(), coef.pairs
    assert set(coef.pairs.context_tokens) == {8192, 131072}


def test_cli_bad_spec_is_one_line_naming_file_and_key(tmp_path: Path) -> None:
    bad = copy.deepcopy(list(HW.values()))
    del bad[1]["mem_bw_tb_s_per_accel"]
    path = tmp_path / "hw.yaml"
    path.write_text(yaml.safe_dump({"hardware": bad}))
    out = tmp_path / "x.csv"
    res = CliRunner().invoke(
        frontiers_app,
        ["build", str(path), str(REPO / "optimizer/data/specs/models.yaml"), "-o", str(out)],
    )
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "hw.yaml" in text and "hardware[1].mem_bw_tb_s_per_accel" in text
    assert not out.exists()


def test_query_is_consistent_with_the_table(table: pd.DataFrame) -> None:
    rows = table[
        (table.hardware == "gb200-nvl72")
        & (table.model == "deepseek-r1")
        & (table.context_tokens == 8192)
    ].sort_values("interactivity")
    for speed in (30.0, 50.0, 100.0):
        q = query(HW["gb200-nvl72"], MODELS["deepseek-r1"], 8192, 1024, speed)
        expected = float(np.interp(speed, rows.interactivity, rows.tok_s_per_gpu))
        assert q["servable"] and q["tok_s_per_gpu"] == pytest.approx(expected, rel=1e-3)
        assert q["output_tok_s_per_gpu"] == pytest.approx(q["tok_s_per_gpu"] * 1024 / (8192 + 1024))
    too_fast = query(HW["gb200-nvl72"], MODELS["deepseek-r1"], 8192, 1024, 10_000)
    assert not too_fast["servable"] and too_fast["tok_s_per_gpu"] == 0.0
    slowest = query(HW["gb200-nvl72"], MODELS["deepseek-r1"], 8192, 1024, 0.5)
    assert slowest["tok_s_per_gpu"] == pytest.approx(rows.tok_s_per_gpu.max(), rel=1e-3)
    res = CliRunner().invoke(
        frontiers_app,
        [
            "query",
            "gb200-nvl72",
            "deepseek-r1",
            "--isl",
            "8192",
            "--osl",
            "1024",
            "--at",
            "50",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert '"tok_s_per_gpu"' in res.output


def test_unknown_efficiency_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown key"):
        build_frontiers([HW["b200-hgx"]], [MODELS["gpt-oss-120b"]], efficiency={"bandwidth": 0.5})
