"""``optimizer frontiers import``: benchmark tools' result files -> frontier rows.

The sample files in tests/data/benchmarks/ follow each tool's documented output format; the
expected rows below are worked out by hand from their numbers:

* vLLM (4 GPUs): 640 requests, 655,360 input / 163,840 output tokens -> prompt 1,024;
  8,192 total tok/s / 4 = 2,048 tok/s/GPU; median TPOT 25 ms -> 40 tok/s/user; TTFT 0.4 s.
* SGLang (2 GPUs): run 1: 1,024 + 1,024 tok/s / 2 = 1,024 per GPU at 1000/15.625 = 64
  tok/s/user; run 2: 16,384 / 2 = 8,192 per GPU at 25 tok/s/user.
* GenAI-Perf (8 GPUs): 4 req/s x (2,048 + 512) tokens = 10,240 tok/s / 8 = 1,280; the p50
  per-user output rate 50 tok/s/user; p50 TTFT 0.3 s.
* AIPerf (1 GPU): 10 req/s x (550 + 100) = 6,500 tok/s; no per-user metric, so 1000 / p50
  ITL 50 ms = 20 tok/s/user; p50 TTFT 0.7875 s.
* InferenceX: per-GPU throughput as given (120, 1,500); median_intvty 80, or 1 / 0.025 s
  = 40 where only the TPOT is given; with --gpus 4 the tp 8 x ep 1 run is rescaled x 8/4.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from optimizer.errors import InputError
from optimizer.frontiers.importers import Labels, detect, frontier_rows

from conftest import REPO

DATA = REPO / "tests" / "data" / "benchmarks"


def rows(name: str, **labels: object) -> pd.DataFrame:
    return frontier_rows([DATA / name], Labels(**labels))  # type: ignore[arg-type]


def test_vllm_bench_serve_result() -> None:
    df = rows("vllm-conc64.json", hardware="h100-hgx", model="llama-70b", gpus=4)
    assert len(df) == 1
    r = df.iloc[0]
    assert (r.hardware, r.model, r.context_tokens) == ("h100-hgx", "llama-70b", 1024)
    assert r.tok_s_per_gpu == pytest.approx(2048.0)
    assert r.interactivity == pytest.approx(40.0)
    assert r.ttft_s == pytest.approx(0.4)
    assert (r.isl, r.osl) == (1024, 256)
    assert "vllm bench serve" in r.source and "max_concurrency 64" in r.source


def test_sglang_bench_serving_json_lines_give_one_row_per_run() -> None:
    df = rows("sglang.jsonl", hardware="h200-hgx", model="llama-8b", gpus=2)
    assert df["interactivity"].tolist() == pytest.approx([25.0, 64.0])  # sorted by speed
    assert df["tok_s_per_gpu"].tolist() == pytest.approx([8192.0, 1024.0])
    assert df["ttft_s"].tolist() == pytest.approx([0.8, 0.2])
    assert df["source"].str.contains("record 2").any()


def test_genai_perf_export() -> None:
    r = rows("profile_export_genai_perf.json", hardware="x", model="m", gpus=8).iloc[0]
    assert r.tok_s_per_gpu == pytest.approx(1280.0)
    assert r.interactivity == pytest.approx(50.0)
    assert r.ttft_s == pytest.approx(0.3)
    assert r.context_tokens == 2048
    assert r.source.startswith("GenAI-Perf")


def test_aiperf_export_falls_back_to_inter_token_latency() -> None:
    r = rows("profile_export_aiperf.json", hardware="x", model="m", gpus=1).iloc[0]
    assert r.tok_s_per_gpu == pytest.approx(6500.0)
    assert r.interactivity == pytest.approx(20.0)
    assert r.ttft_s == pytest.approx(0.7875)
    assert r.source.startswith("AIPerf") and "concurrency 100" in r.source


def test_inferencex_rows_carry_their_own_ids_and_gpu_counts() -> None:
    df = rows("inferencex.json")
    assert set(df["hardware"]) == {"b200"}
    assert df["interactivity"].tolist() == pytest.approx([40.0, 80.0])
    assert df["tok_s_per_gpu"].tolist() == pytest.approx([1500.0, 120.0])
    renamed = rows("inferencex.json", hardware="b200-hgx", model="deepseek-r1", gpus=4)
    assert set(renamed["model"]) == {"deepseek-r1"}
    assert renamed["tok_s_per_gpu"].tolist() == pytest.approx([3000.0, 240.0])


def test_formats_are_told_apart_by_their_keys() -> None:
    def first(name: str) -> object:
        text = (DATA / name).read_text()
        return json.loads(text.splitlines()[0] if name.endswith(".jsonl") else text)

    assert detect(first("vllm-conc64.json")) == "vllm"
    assert detect(first("sglang.jsonl")) == "sglang"
    assert detect(first("profile_export_genai_perf.json")) == "genai-perf"
    assert detect(first("profile_export_aiperf.json")) == "aiperf"
    assert detect(first("inferencex.json")) == "inferencex"
    assert detect({"hello": 1}) is None


def test_missing_labels_and_bad_files_are_listed_together(tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": 1}')
    broken = tmp_path / "bad.json"
    broken.write_text(json.dumps({"total_token_throughput": -5, "mean_tpot_ms": 10}))
    with pytest.raises(InputError) as exc:
        frontier_rows([DATA / "vllm-conc64.json", junk, broken], Labels())
    text = "\n".join(exc.value.problems)
    assert "vllm-conc64.json: the file does not say how many accelerators" in text
    assert "junk.json: not a result file of" in text
    assert "bad.json" in text


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optimizer.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_cli_import_writes_a_table_an_instance_solves_with(tmp_path: Path) -> None:
    """Imported rows are a frontier table: 1 GPU units, one tier at 30 tok/s/user.

    SGLang's envelope (2 GPUs per run): (25, 8,192) and (64, 1,024) tok/s/GPU; at 30
    tok/s/user the interpolation gives 8,192 - (5/39) x 7,168 = 7,273.03 tok/s/GPU. One
    unit, price $1/Mtok, one year: 7,273.03 x 31,536,000 / 1e6 = $229,364 of revenue.
    """
    out = tmp_path / "mine.csv"
    done = _cli(
        "frontiers", "import", str(DATA / "sglang.jsonl"), "--hardware", "gpu",
        "--model", "m", "--gpus", "2", "--out", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert len(table) == 2 and "source" in table.columns
    again = _cli(
        "frontiers", "import", str(DATA / "sglang.jsonl"), "--gpus", "2", "--out", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 2 and "exists" in again.stderr
    assert "Traceback" not in again.stderr

    inst = {
        "name": "imported",
        "site": {"power_mw": 1, "rack_positions": 1},
        "hardware": [{"id": "gpu", "gpus_per_unit": 1, "power_kw": 1, "max_units": 1}],
        "tiers": [
            {"id": "t", "model": "m", "context_tokens": 1024, "price_usd_per_mtok": 1,
             "min_interactivity": 30}
        ],
        "frontiers": "mine.csv",
    }  # fmt: skip
    (tmp_path / "inst.json").write_text(json.dumps(inst))
    solved = _cli("solve", "inst.json", "--json", "--no-write", cwd=tmp_path)
    assert solved.returncode == 0, solved.stderr
    expected = (8192 - 5 / 39 * 7168) * 31_536_000 / 1e6
    assert json.loads(solved.stdout)["objective_usd"] == pytest.approx(expected, rel=1e-6)


def test_cli_import_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    done = _cli(
        "frontiers", "import", str(tmp_path / "nope.json"), "--out", str(tmp_path / "o.csv"),
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert "nope.json: not a file" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "o.csv").exists()
