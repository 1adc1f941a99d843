"""A planner's own measurements as a frontier table: ``optimizer frontiers import``.

Each reader turns the result file of one benchmark tool into operating points, in the
frontier table's convention (docs/format.md, "Frontier table"):

* ``interactivity``: tokens/s each user sees, ``1000 / TPOT`` with TPOT the median time per
  output token in ms (the mean where the file gives no median);
* ``tok_s_per_gpu``: input + output tokens per second per accelerator, the run's total
  token throughput divided by the accelerators that served it;
* ``ttft_s``: the median time to first token, in seconds (the mean where no median);
* ``context_tokens``: the run's mean prompt length (``--context-tokens`` overrides it);
* ``source``: the file, the tool and what identifies the run (concurrency, request rate, date).

Formats read (auto-detected from their keys, or named with ``--format``):

``vllm``
    ``vllm bench serve --save-result``: one JSON object per file (``total_token_throughput``,
    ``median_tpot_ms``, ``median_ttft_ms``, ``total_input_tokens``, ``completed``, ...).
``sglang``
    ``python -m sglang.bench_serving --output-file``: JSON lines, one run per line
    (``input_throughput`` + ``output_throughput``, ``median_tpot_ms``, ...).
``genai-perf`` / ``aiperf``
    ``profile_export_genai_perf.json`` / ``profile_export_aiperf.json``: one object whose
    metrics are ``{"unit": ..., "avg": ..., "p50": ...}`` (``request_throughput``,
    ``inter_token_latency``, ``time_to_first_token``, ``input_sequence_length``,
    ``output_sequence_length``, ``output_token_throughput_per_user``).
``inferencex``
    InferenceX result rows (a list, or one object): ``hw``, ``model``, ``isl``, ``osl``,
    ``tp``, ``ep``, ``conc`` and the metrics ``tput_per_gpu`` (already per accelerator),
    ``median_intvty`` or ``median_tpot`` (seconds), ``median_ttft`` (seconds), flat or under
    ``"metrics"``.

The vLLM, SGLang, GenAI-Perf and AIPerf files do not record how many accelerators served the
run, nor the hardware and model ids of the planner's table: ``--gpus``, ``--hardware`` and
``--model`` give them. InferenceX rows carry their own (``tp * ep`` accelerators for
aggregated runs); ``--hardware``/``--model`` then rename.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.errors import InputError
from optimizer.frontiers.table import REQUIRED_COLUMNS

FORMATS = ("vllm", "sglang", "genai-perf", "aiperf", "inferencex")
# The frontier table's columns (docs/format.md) plus the workload and the row's source.
COLUMNS = [*REQUIRED_COLUMNS, "ttft_s", "isl", "osl", "source"]
# A benchmark file is a few KB to a few MB; a cap keeps /dev/zero or a wrong file out.
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Labels:
    """What the files cannot say: ids in the planner's table and the accelerator count."""

    hardware: str | None = None
    model: str | None = None
    gpus: int | None = None
    context_tokens: int | None = None


@dataclass(frozen=True)
class Run:
    """One benchmark run, in the units of the frontier table."""

    hardware: str | None
    model: str | None
    isl: float
    osl: float
    interactivity: float
    tok_s_per_gpu: float
    ttft_s: float | None
    source: str


# ------------------------------------------------------------------------------ reading
def _read_text(path: Path) -> str:
    try:
        if not path.is_file():
            raise InputError(f"{path}: not a file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MB")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def _documents(path: Path) -> list[Any]:
    """The JSON value of the file, or one per line (JSON lines)."""
    text = _read_text(path)
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        pass
    docs = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            docs.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {n}: not JSON ({exc.msg})") from None
    if not docs:
        raise InputError(f"{path}: empty")
    return docs


def detect(doc: Any) -> str | None:
    """The format a parsed document is in, from its keys (None: none known)."""
    if isinstance(doc, list):
        return detect(doc[0]) if doc else None
    if not isinstance(doc, Mapping):
        return None
    if "tput_per_gpu" in doc or "tput_per_gpu" in (doc.get("metrics") or {}):
        return "inferencex"
    if isinstance(doc.get("request_throughput"), Mapping):
        return "aiperf" if ("total_isl" in doc or "benchmark_duration" in doc) else "genai-perf"
    if "total_token_throughput" in doc and "mean_tpot_ms" in doc:
        return "vllm"
    if "output_throughput" in doc and "mean_tpot_ms" in doc:
        return "sglang"
    return None


def _number(doc: Mapping[str, Any], *keys: str, where: str) -> float:
    """The first of ``keys`` the document holds, as a finite number > 0."""
    for k in keys:
        v = doc.get(k)
        if v is None:
            continue
        if isinstance(v, Mapping):  # GenAI-Perf / AIPerf: {"unit": ..., "avg": ..., "p50": ...}
            v = v.get("p50", v.get("avg"))
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise InputError(f"{where}: {k} is {v!r}, not a number")
        if not math.isfinite(v) or v <= 0:
            raise InputError(f"{where}: {k} must be a number > 0 (got {v!r})")
        return float(v)
    raise InputError(f"{where}: no {' or '.join(keys)}")


def _optional(doc: Mapping[str, Any], *keys: str, where: str) -> float | None:
    """As :func:`_number`, or None when the document holds none of ``keys``."""
    if all(doc.get(k) is None for k in keys):
        return None
    return _number(doc, *keys, where=where)


def _gpus(labels: Labels, where: str) -> int:
    if labels.gpus is None:
        raise InputError(
            f"{where}: the file does not say how many accelerators served the run; give --gpus"
        )
    return labels.gpus


def _serving_run(doc: Mapping[str, Any], labels: Labels, where: str, tool: str) -> Run:
    """vLLM and SGLang results share their metric names."""
    completed = _number(doc, "completed", where=where)
    isl = _number(doc, "total_input_tokens", where=where) / completed
    osl = _number(doc, "total_output_tokens", where=where) / completed
    if "total_token_throughput" in doc:
        total = _number(doc, "total_token_throughput", where=where)
    elif "total_throughput" in doc:
        total = _number(doc, "total_throughput", where=where)
    else:
        total = _number(doc, "input_throughput", where=where) + _number(
            doc, "output_throughput", where=where
        )
    tpot_ms = _number(doc, "median_tpot_ms", "mean_tpot_ms", where=where)
    ttft_ms = _optional(doc, "median_ttft_ms", "mean_ttft_ms", where=where)
    ident = [
        f"{k} {doc[k]}"
        for k in ("max_concurrency", "request_rate", "date", "model_id")
        if doc.get(k) is not None
    ]
    return Run(
        hardware=labels.hardware,
        model=labels.model,
        isl=isl,
        osl=osl,
        interactivity=1000.0 / tpot_ms,
        tok_s_per_gpu=total / _gpus(labels, where),
        ttft_s=None if ttft_ms is None else ttft_ms / 1000.0,
        source=f"{tool}: {where}" + (f" ({', '.join(ident)})" if ident else ""),
    )


def _perf_export_run(doc: Mapping[str, Any], labels: Labels, where: str, tool: str) -> Run:
    """GenAI-Perf and AIPerf aggregate exports: metrics as {unit, avg, p50, ...}."""
    isl = _number(doc, "input_sequence_length", where=where)
    osl = _number(doc, "output_sequence_length", where=where)
    requests_s = _number(doc, "request_throughput", where=where)
    per_user = _optional(doc, "output_token_throughput_per_user", where=where)
    if per_user is None:
        per_user = 1000.0 / _number(doc, "inter_token_latency", where=where)
    ttft_ms = _optional(doc, "time_to_first_token", where=where)
    config = doc.get("input_config") or {}
    loadgen = config.get("loadgen") or {} if isinstance(config, Mapping) else {}
    ident = [f"concurrency {loadgen['concurrency']}"] if "concurrency" in loadgen else []
    if doc.get("start_time"):
        ident.append(f"started {doc['start_time']}")
    return Run(
        hardware=labels.hardware,
        model=labels.model,
        isl=isl,
        osl=osl,
        interactivity=per_user,
        tok_s_per_gpu=requests_s * (isl + osl) / _gpus(labels, where),
        ttft_s=None if ttft_ms is None else ttft_ms / 1000.0,
        source=f"{tool}: {where}" + (f" ({', '.join(ident)})" if ident else ""),
    )


def _inferencex_run(doc: Mapping[str, Any], labels: Labels, where: str) -> Run:
    metrics = doc.get("metrics")
    m: Mapping[str, Any] = {**doc, **metrics} if isinstance(metrics, Mapping) else doc
    tput = _number(m, "tput_per_gpu", where=where)
    if labels.gpus is not None:
        # A planner who knows better (e.g. a disaggregated run) rescales to its own count.
        tp, ep = _optional(m, "tp", where=where) or 1.0, _optional(m, "ep", where=where) or 1.0
        tput = tput * tp * ep / labels.gpus
    intvty = _optional(m, "median_intvty", "mean_intvty", where=where)
    if intvty is None:
        intvty = 1.0 / _number(m, "median_tpot", "mean_tpot", where=where)
    ttft = _optional(m, "median_ttft", "mean_ttft", where=where)
    ident = [f"{k} {m[k]}" for k in ("framework", "precision", "conc", "date") if k in m]
    hw = labels.hardware or (str(m["hw"]) if m.get("hw") else None)
    model = labels.model or (str(m["model"]) if m.get("model") else None)
    return Run(
        hardware=hw,
        model=model,
        isl=_number(m, "isl", where=where),
        osl=_number(m, "osl", where=where),
        interactivity=intvty,
        tok_s_per_gpu=tput,
        ttft_s=ttft,
        source=f"InferenceX: {where}" + (f" ({', '.join(ident)})" if ident else ""),
    )


READERS: dict[str, Callable[[Mapping[str, Any], Labels, str], Run]] = {
    "vllm": lambda d, lab, w: _serving_run(d, lab, w, "vllm bench serve"),
    "sglang": lambda d, lab, w: _serving_run(d, lab, w, "sglang.bench_serving"),
    "genai-perf": lambda d, lab, w: _perf_export_run(d, lab, w, "GenAI-Perf"),
    "aiperf": lambda d, lab, w: _perf_export_run(d, lab, w, "AIPerf"),
    "inferencex": _inferencex_run,
}


def read_runs(path: Path, labels: Labels, fmt: str = "auto") -> list[Run]:
    """Every run in one result file."""
    if fmt != "auto" and fmt not in FORMATS:
        raise InputError(f"--format: one of auto, {', '.join(FORMATS)} (got {fmt!r})")
    docs = _documents(path)
    items: list[Any] = []
    for d in docs:
        items.extend(d if isinstance(d, list) else [d])
    runs = []
    for i, item in enumerate(items):
        where = f"{path.name}" + (f" record {i + 1}" if len(items) > 1 else "")
        kind = detect(item) if fmt == "auto" else fmt
        if kind is None:
            raise InputError(
                f"{where}: not a result file of {', '.join(FORMATS)} (name one with --format)"
            )
        if not isinstance(item, Mapping):
            raise InputError(f"{where}: a {kind} record must be a JSON object")
        runs.append(READERS[kind](item, labels, where))
    return runs


def frontier_rows(paths: Iterable[Path], labels: Labels, fmt: str = "auto") -> pd.DataFrame:
    """The runs of every file as frontier-table rows (columns :data:`COLUMNS`).

    Every problem of every file is collected and raised together as one
    :class:`~optimizer.errors.InputError`.
    """
    problems: list[str] = []
    runs: list[Run] = []
    if labels.gpus is not None and labels.gpus < 1:
        problems.append(f"--gpus: a whole number >= 1 (got {labels.gpus})")
    for path in paths:
        try:
            runs.extend(read_runs(Path(path), labels, fmt))
        except InputError as exc:
            problems.extend(exc.problems)
    for r in runs:
        if r.hardware is None:
            problems.append(f"{r.source}: no hardware id; give --hardware")
        if r.model is None:
            problems.append(f"{r.source}: no model id; give --model")
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    rows = [
        {
            "hardware": r.hardware,
            "model": r.model,
            "context_tokens": labels.context_tokens or max(1, round(r.isl)),
            "interactivity": round(r.interactivity, 4),
            "tok_s_per_gpu": round(r.tok_s_per_gpu, 4),
            "ttft_s": None if r.ttft_s is None else round(r.ttft_s, 6),
            "isl": round(r.isl),
            "osl": round(r.osl),
            "source": r.source,
        }
        for r in runs
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.sort_values(
        ["hardware", "model", "context_tokens", "interactivity"], kind="stable"
    ).reset_index(drop=True)
