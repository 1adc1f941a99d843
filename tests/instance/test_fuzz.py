"""Property-based fuzzing (hypothesis), reproducible (derandomize=True, no example database).

a. Malformed instances, made by mutating valid ones (wrong types, missing and unknown keys,
   negative, NaN, inf and huge numbers, empty lists, unknown and duplicated ids, per-period
   maps missing a period, broken or empty frontier CSVs): ``load_instance`` + ``solve``
   either succeed or raise ``InputError`` whose every problem is one line naming a key path
   or a file; never another exception. A sample also goes through the real CLI: exit 2 and
   no traceback on bad input, and never a half-written result folder.
b. Valid random instances (1-3 hardware, tiers, periods): every plan passes the independent
   checker (optimizer/verify/); more power never lowers the optimum; a higher price never
   lowers it; removing a hardware type (with no installed base) never raises it.

The module prints ``fuzz: N malformed instances, M valid instances tried`` at its end.
"""

from __future__ import annotations

import concurrent.futures
import copy
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import (
    InputError,
    compute_coefficients,
    load_instance,
    read_frontier_table,
    solve,
)
from optimizer.verify import recompute_coefficients, verify_plan

from conftest import REPO, TOY, frontier, run_cli

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# OPTIMIZER_FUZZ_SCALE=10 runs ten times as many cases (a deeper run, outside CI).
_SCALE = float(os.environ.get("OPTIMIZER_FUZZ_SCALE", "1"))
N_MALFORMED = max(1, round(200 * _SCALE))  # in-process load + solve
N_CLI = max(1, round(20 * _SCALE))  # through `python -m optimizer solve`
N_VALID = max(1, round(40 * _SCALE))  # each: 4 solves + the checker
N_TABLES = max(1, round(60 * _SCALE))  # coefficients only, no solve

COUNTS = {
    "malformed": 0,
    "malformed_input_error": 0,
    "malformed_solved": 0,
    "cli": 0,
    "cli_exit_2": 0,
    "cli_written": 0,
    "valid": 0,
    "valid_optimal": 0,
    "valid_solves": 0,
    "tables": 0,
}
_T0 = time.perf_counter()


@pytest.fixture(scope="module", autouse=True)
def _print_counts(request: pytest.FixtureRequest) -> Any:
    yield
    c = COUNTS
    line = (
        f"fuzz: {c['malformed']} malformed instances tried in process "
        f"({c['malformed_input_error']} InputError, {c['malformed_solved']} solved), "
        f"{c['cli']} through the CLI ({c['cli_exit_2']} exit 2, {c['cli_written']} wrote results); "
        f"{c['valid']} valid instances tried ({c['valid_optimal']} optimal, "
        f"{c['valid_solves']} solves); {c['tables']} frontier tables compared; "
        f"{time.perf_counter() - _T0:.1f} s"
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:  # pragma: no cover - a stripped-down pytest
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write("\n")
        reporter.write_line(line)


# =============================================================== a. malformed instances
def _rich_doc() -> dict[str, Any]:
    """A valid instance that sets nearly every key of docs/model.md (inline frontier rows)."""
    return {
        "name": "fuzz",
        "periods": [2026, 2027],
        "period_years": 1,
        "discount_rate": 0.05,
        "objective": "profit",
        "site": {
            "power_mw": {2026: 0.02, 2027: 0.03},
            "pue": 1.2,
            "rack_positions": 20,
            "capex_budget_usd": {2026: 100_000, 2027: 100_000},
            "electricity_usd_per_mwh": 50,
        },
        "hardware": [
            {
                "id": "g1",
                "gpus_per_unit": 1,
                "power_kw": 1,
                "rack_positions": 1,
                "capex_usd": 1000,
                "lifetime_years": 1,
                "available_until": 2026,
                "max_units": 10,
                "min_units": 2,
                "existing_units": 1,
            },
            {
                "id": "g2",
                "gpus_per_unit": 4,
                "power_kw": 3,
                "rack_positions": 0.5,
                "capex_usd": 5000,
                "available_from": 2027,
            },
        ],
        "tiers": [
            {
                "id": "free",
                "model": "m",
                "context_tokens": 8192,
                "price_usd_per_mtok": 0,
                "min_interactivity": 20,
                "max_ttft_s": 2,
                "min_power_share": 0.1,
            },
            {
                "id": "paid",
                "model": "m2",
                "context_tokens": 4096,
                "price_usd_per_mtok": {2026: 2, 2027: 1.5},
                "min_interactivity": 10,
                "demand_mtok": {2026: 100_000, 2027: 200_000},
                "utilization": 0.7,
                "max_power_share": 0.9,
            },
        ],
        "frontiers": frontier("g1", ttft=1.0)
        + frontier("g2", tok=3000.0, ttft=0.5)
        + frontier("g1", "m2", ctx=32768)
        + frontier("g2", "m2", tok=500.0, ctx=8192),
    }


RICH = _rich_doc()
TOY_DOC: dict[str, Any] = yaml.safe_load(TOY.read_text())
TOY_CSV: bytes = (TOY.parent / str(TOY_DOC["frontiers"])).read_bytes()
CSV_NAME = "fuzz_frontiers.csv"
TOY_DOC["frontiers"] = CSV_NAME

TOP_KEYS = {
    "name",
    "periods",
    "period_years",
    "discount_rate",
    "objective",
    "site",
    "hardware",
    "tiers",
    "frontiers",
}
UNKNOWN_KEY = "zz_unknown"
BAD_VALUES: list[Any] = [
    "x",
    "",
    None,
    True,
    False,
    -1,
    -2.5,
    0,
    0.0,
    1.5,
    2026,
    "2026",
    "nope",
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    -1e308,
    1e-300,
    10**30,
    -(10**30),
    [],
    {},
    [1, 2],
    {"a": 1},
    [{"hardware": "g1"}],
]
PER_PERIOD_KEYS = {
    "power_mw",
    "rack_positions",
    "capex_budget_usd",
    "electricity_usd_per_mwh",
    "price_usd_per_mtok",
    "demand_mtok",
}
CSV_TOKENS = ["", " ", "abc", "nan", "inf", "-inf", "-1", "0", "-0", "1e400", '"', "1,2", "10**30"]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path below ``node`` (dict keys and list indices)."""
    out: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append(prefix + (k,))
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append(prefix + (i,))
            out += _paths(v, prefix + (i,))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for k in path:
        doc = doc[k]
    return doc


@st.composite
def _mutated_csv(draw: st.DrawFn) -> bytes | None:
    """The toy's frontier CSV, broken in one way (None: the file is missing)."""
    lines = TOY_CSV.decode().splitlines()
    op = draw(
        st.sampled_from(
            [
                "keep",
                "empty",
                "header_only",
                "drop_column",
                "bad_cell",
                "truncate",
                "not_utf8",
                "binary",
                "extra_field",
                "missing",
                "duplicate_header",
                "blank_lines",
            ]
        )
    )
    header = lines[0].split(",")
    rows = [ln.split(",") for ln in lines[1:]]
    if op == "keep":
        return TOY_CSV
    if op == "empty":
        return b""
    if op == "header_only":
        return (lines[0] + "\n").encode()
    if op == "missing":
        return None
    if op == "drop_column":
        j = draw(st.integers(0, len(header) - 1))
        out = [header[:j] + header[j + 1 :]] + [r[:j] + r[j + 1 :] for r in rows]
        return "\n".join(",".join(r) for r in out).encode()
    if op == "bad_cell":
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, len(rows) - 1))
            j = draw(st.integers(0, len(header) - 1))
            rows[i][j] = draw(st.sampled_from(CSV_TOKENS))
        return "\n".join(",".join(r) for r in [header] + rows).encode()
    if op == "truncate":
        cut = draw(st.integers(0, len(TOY_CSV) - 1))
        return TOY_CSV[:cut]
    if op == "not_utf8":
        return TOY_CSV[:40] + b"\xff\xfe\xfa" + TOY_CSV[40:]
    if op == "binary":
        return draw(st.binary(min_size=1, max_size=64))
    if op == "extra_field":
        i = draw(st.integers(0, len(rows) - 1))
        rows[i].append("42")
        return "\n".join(",".join(r) for r in [header] + rows).encode()
    if op == "duplicate_header":
        return "\n".join(lines[:3] + [lines[0]] + lines[3:]).encode()
    return ("\n\n".join(lines) + "\n\n").encode()  # blank_lines


@st.composite
def malformed(draw: st.DrawFn) -> tuple[dict[str, Any], bytes | None, list[str]]:
    """(instance doc, frontier CSV bytes or None, what was done) from 1-3 random mutations."""
    toy = draw(st.booleans())
    doc = copy.deepcopy(TOY_DOC if toy else RICH)
    csv: bytes | None = TOY_CSV if toy else None
    done: list[str] = []
    ops = [
        "delete",
        "replace",
        "unknown_key",
        "duplicate",
        "empty_list",
        "drop_period",
        "unknown_id",
    ]
    if toy:
        ops.append("csv")
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(ops))
        paths = _paths(doc)
        if op == "csv":
            csv = draw(_mutated_csv())
            done.append("csv")
            continue
        if op in ("delete", "replace") and paths:
            path = draw(st.sampled_from(paths))
            parent = _get(doc, path[:-1])
            if op == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(BAD_VALUES)))
            done.append(f"{op} {path}")
        elif op == "unknown_key":
            dicts = [()] + [p for p in paths if isinstance(_get(doc, p), dict)]
            path = draw(st.sampled_from(dicts))
            _get(doc, path)[UNKNOWN_KEY] = 1
            done.append(f"unknown key at {path}")
        elif op == "duplicate":
            lists = [p for p in paths if isinstance(_get(doc, p), list) and _get(doc, p)]
            if lists:
                path = draw(st.sampled_from(lists))
                items = _get(doc, path)
                items.append(copy.deepcopy(items[draw(st.integers(0, len(items) - 1))]))
                done.append(f"duplicate in {path}")
        elif op == "empty_list":
            lists = [p for p in paths if isinstance(_get(doc, p), list)]
            if lists:
                path = draw(st.sampled_from(lists))
                _get(doc, path[:-1])[path[-1]] = []
                done.append(f"empty {path}")
        elif op == "drop_period":
            cands = [p for p in paths if p and p[-1] in PER_PERIOD_KEYS]
            if cands:
                path = draw(st.sampled_from(cands))
                parent = _get(doc, path[:-1])
                value = parent[path[-1]]
                periods = doc.get("periods") if isinstance(doc.get("periods"), list) else [1]
                if isinstance(value, dict) and value:
                    value.pop(draw(st.sampled_from(sorted(value, key=str))))
                elif periods:
                    # a {period: value} mapping that names only the first period, or none
                    parent[path[-1]] = {periods[0]: 1.0} if len(periods) > 1 else {}
                done.append(f"drop period in {path}")
        elif op == "unknown_id":
            cands = [
                p
                for p in paths
                if p and p[-1] in ("id", "model", "available_from", "available_until", "hardware")
            ]
            if cands:
                path = draw(st.sampled_from(cands))
                _get(doc, path[:-1])[path[-1]] = draw(st.sampled_from(["nope", 1999, "g1"]))
                done.append(f"unknown id at {path}")
    return doc, csv, done


def _names_a_place(line: str) -> bool:
    """A problem names a key path (``tiers[1].model: ...``) or the frontier file."""
    if CSV_NAME in line:
        return True
    m = re.match(r"^(\(top level\)|[A-Za-z_][A-Za-z0-9_]*)(\[\d+\]|\.[^\s:]+| \(key\))*: ", line)
    if m is None:
        return False
    return m[1] in TOP_KEYS or m[1] in (UNKNOWN_KEY, "(top level)")


def _outcome(doc: dict[str, Any], csv: bytes | None, folder: Path) -> str:
    """Load and solve in process: 'input_error' or the plan's status.

    Asserts on the way: InputError problems are single lines naming a key
    path or the frontier file; a plan that comes back passes the independent checker.
    """
    target = folder / CSV_NAME
    if csv is None:
        target.unlink(missing_ok=True)
    else:
        target.write_bytes(csv)
    try:
        inst = load_instance(doc, base_dir=folder)
        plan = solve(inst)
    except InputError as exc:
        assert exc.problems, "an InputError with no problem"
        for line in exc.problems:
            assert "\n" not in line and line.strip(), repr(line)
            assert _names_a_place(line), f"problem names no key path or file: {line!r}"
        return "input_error"
    if plan.ok:
        report = verify_plan(inst, plan)
        assert report.ok, report.problems
    return plan.status


@settings(FUZZ, max_examples=N_MALFORMED)
@given(case=malformed())
def test_malformed_instances_raise_input_error_or_solve(case: Any) -> None:
    doc, csv, _done = case
    COUNTS["malformed"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        result = _outcome(doc, csv, Path(tmp))
    COUNTS["malformed_input_error" if result == "input_error" else "malformed_solved"] += 1


def _cli(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "optimizer", "solve", "inst.json", "--json", "--out", "out"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@settings(FUZZ, max_examples=1)
@given(data=st.data())
def test_malformed_instances_through_the_cli(data: st.DataObject) -> None:
    # Mostly malformed; every fourth a valid instance, so that result folders get written.
    cases = [
        (data.draw(valid_instance(), label=f"case {k}"), None, ["valid"])
        if k % 4 == 3
        else data.draw(malformed(), label=f"case {k}")
        for k in range(N_CLI)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        folders = []
        expected = []
        for k, (doc, csv, _done) in enumerate(cases):
            folder = Path(tmp) / f"c{k}"
            folder.mkdir()
            text = json.dumps(doc)  # NaN/Infinity are written as such; the loader reads them
            (folder / "inst.json").write_text(text)
            expected.append(_outcome(json.loads(text), csv, folder))
            folders.append(folder)
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            runs = list(pool.map(_cli, folders))
        for folder, want, res, case in zip(folders, expected, runs, cases, strict=True):
            COUNTS["cli"] += 1
            what = f"{case[2]}: rc {res.returncode}, stderr {res.stderr[-2000:]!r}"
            out = folder / "out"
            leftovers = [p.name for p in folder.rglob("*.tmp")]
            assert not leftovers, f"{what}; temporary files left: {leftovers}"
            written = json.loads((out / "plan.json").read_text()) if out.exists() else None
            if written is not None:
                COUNTS["cli_written"] += 1
                assert written["status"] == want, what
                assert {"buy.csv", "serve.csv", "sold.csv", "summary.md"} <= {
                    p.name for p in out.iterdir()
                }, what
            assert "Traceback" not in res.stderr, what
            if want == "input_error":
                COUNTS["cli_exit_2"] += 1
                assert res.returncode == 2, what
                assert res.stdout == "", what
                assert not out.exists(), what
                lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
                assert lines and all(ln.startswith("error: ") for ln in lines), what
                continue
            assert res.returncode in (0, 1), what
            assert json.loads(res.stdout)["status"] == want, what


# ============================================================ b. valid random instances
MODELS = ["m0", "m1"]
CONTEXTS = [2048, 8192, 32768]


def _num(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


@st.composite
def valid_instance(draw: st.DrawFn) -> dict[str, Any]:
    n_p = draw(st.integers(1, 3))
    text_labels = draw(st.booleans())
    periods: list[Any] = [f"p{i}" if text_labels else 2026 + i for i in range(n_p)]

    def per_period(values: st.SearchStrategy[float]) -> Any:
        if n_p > 1 and draw(st.booleans()):
            return {p: draw(values) for p in periods}
        return draw(values)

    site: dict[str, Any] = {
        "power_mw": per_period(_num(0.002, 0.06)),
        "pue": draw(_num(1.0, 1.5)),
        "rack_positions": per_period(_num(1.0, 30.0)),
    }
    if draw(st.booleans()):
        site["capex_budget_usd"] = per_period(_num(0.0, 100_000.0))
    if draw(st.booleans()):
        site["electricity_usd_per_mwh"] = per_period(_num(0.0, 200.0))

    hardware = []
    for k in range(draw(st.integers(1, 3))):
        h: dict[str, Any] = {
            "id": f"h{k}",
            "gpus_per_unit": draw(st.integers(1, 8)),
            "power_kw": draw(_num(0.5, 12.0)),
            "rack_positions": draw(st.sampled_from([0.25, 0.5, 1.0, 2.0])),
            "capex_usd": draw(_num(0.0, 20_000.0)),
        }
        if draw(st.booleans()):
            h["lifetime_years"] = draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0]))
        if draw(st.booleans()):
            lo = draw(st.integers(0, n_p - 1))
            hi = draw(st.integers(lo, n_p - 1))
            if draw(st.booleans()):
                h["available_from"] = periods[lo]
            if draw(st.booleans()):
                h["available_until"] = periods[hi]
        if draw(st.booleans()):
            h["max_units"] = draw(st.integers(0, 20))
        most = h.get("max_units", 5)
        if most >= 1 and draw(st.integers(0, 3)) == 0:
            h["min_units"] = draw(st.integers(1, min(5, most)))
        if draw(st.integers(0, 4)) == 0:
            h["existing_units"] = draw(st.integers(1, 2))
        hardware.append(h)

    tiers = []
    for k in range(draw(st.integers(1, 3))):
        lo_share = draw(st.sampled_from([0.0, 0.0, 0.1, 0.25]))
        t: dict[str, Any] = {
            "id": f"t{k}",
            "model": draw(st.sampled_from(MODELS)),
            "context_tokens": draw(st.sampled_from([1024, *CONTEXTS])),
            "price_usd_per_mtok": per_period(_num(0.0, 5.0)),
            "min_interactivity": draw(_num(5.0, 150.0)),
            "utilization": draw(_num(0.2, 1.0)),
        }
        if draw(st.booleans()):
            t["max_ttft_s"] = draw(_num(0.2, 3.0))
        if draw(st.booleans()):
            t["demand_mtok"] = per_period(_num(0.0, 2e6))
        if lo_share > 0:
            t["min_power_share"] = lo_share
        if draw(st.integers(0, 3)) == 0:
            t["max_power_share"] = draw(_num(max(lo_share, 0.3), 1.0))
        tiers.append(t)

    rows = []
    for h in hardware:
        for m in sorted({t["model"] for t in tiers}):
            for _ in range(draw(st.integers(1, 4))):
                row: dict[str, Any] = {
                    "hardware": h["id"],
                    "model": m,
                    "context_tokens": draw(st.sampled_from(CONTEXTS)),
                    "interactivity": draw(_num(5.0, 200.0)),
                    "tok_s_per_gpu": draw(st.sampled_from([0.0, 50.0]) | _num(1.0, 5000.0)),
                }
                if draw(st.booleans()):
                    row["ttft_s"] = draw(_num(0.1, 5.0))
                rows.append(row)
    doc: dict[str, Any] = {
        "name": "fuzz-valid",
        "periods": periods,
        "period_years": draw(st.sampled_from([0.5, 1.0, 2.0])),
        "discount_rate": draw(st.sampled_from([0.0, 0.1])),
        "objective": draw(st.sampled_from(["revenue", "profit"])),
        "site": site,
        "hardware": hardware,
        "tiers": tiers,
        "frontiers": rows,
    }
    return doc


def _solve(doc: dict[str, Any], **opts: Any) -> Any:
    COUNTS["valid_solves"] += 1
    return solve(doc, mip_gap=1e-9, **opts)


# HiGHS also stops when the absolute gap is below mip_abs_gap (default 1e-6 in the model's
# money unit, $M): $1 per solve, whatever mip_gap says. It matters for objectives of a few $.
HIGHS_ABS_GAP_USD = 1e-6 * 1e6
# HiGHS accepts a row broken by its primal feasibility tolerance, 1e-7 in model units (MW
# for power and power shares): a plan may serve 1e-7 MW more than a share allows, and a
# rival solve may not. On a kW-scale instance that is worth ~1e-5 of the objective (seen:
# max_power_share 0.99999 served at share 1.0, $4.8 of $1.01M), so the comparison allows,
# per solve, 1e-7 MW in each power and share row at the plan's average value per MW-period.
HIGHS_FEASIBILITY_MW = 1e-7


def _feasibility_slack(plan: Any) -> float:
    installed_mw = float(plan.installed["it_mw"].sum()) if len(plan.installed) else 0.0
    if installed_mw <= 0:
        return 0.0
    rows = len(plan.installed["period"].unique()) * (1 + len(plan.sold["tier"].unique()))
    return abs(plan.objective_usd) / installed_mw * HIGHS_FEASIBILITY_MW * rows


def _tol(*plans: Any) -> float:
    """1e-6 relative of the larger objective, plus each solve's MIP gap (relative and
    absolute) and the worth of HiGHS's feasibility tolerance."""
    objs = [abs(p.objective_usd) for p in plans]
    slack = sum(
        (p.mip_gap or 0.0) * o + HIGHS_ABS_GAP_USD + _feasibility_slack(p)
        for p, o in zip(plans, objs, strict=True)
    )
    return 1e-6 * max(objs) + slack


def _scale(value: Any, factor: float, add: float = 0.0) -> Any:
    if isinstance(value, dict):
        return {k: v * factor + add for k, v in value.items()}
    return value * factor + add


def _same_coefficients(inst: Any) -> None:
    """The package's r[h,t], a[h,t] equal the checker's, written apart (docs/model.md steps 1-5).

    One reading differs on purpose: a pair whose r is exactly 0 (the table's throughput
    falls to 0 at the tier's speed) is "usable, a = 0" to the checker, as docs/model.md reads,
    and unusable ("zero throughput") to the package. Such a pair can serve nothing but
    could still count toward a tier's min_power_share; see the report to the lead.
    """
    table = read_frontier_table(inst)
    theirs = compute_coefficients(table, inst).pairs
    mine = recompute_coefficients(inst, table)
    for rec in theirs.itertuples():
        c = mine[(rec.hardware, rec.tier)]
        if c.usable and c.r == 0 and not rec.usable:
            continue
        assert c.usable == bool(rec.usable), (rec, c)
        if c.usable:
            assert math.isclose(c.a, rec.a_mtok_per_unit_period, rel_tol=1e-9, abs_tol=1e-9), (
                rec,
                c,
            )


@st.composite
def tie_heavy_instance(draw: st.DrawFn) -> dict[str, Any]:
    """Frontier tables drawn from small grids, so ties, duplicates and exact hits abound."""
    doc = _rich_doc()
    doc["periods"] = [1]
    doc["site"] = {"power_mw": 1.0, "rack_positions": 10}
    hws = ["g1", "g2"][: draw(st.integers(1, 2))]
    doc["hardware"] = [{"id": h, "gpus_per_unit": 1, "power_kw": 1} for h in hws]
    grid_i = [5.0, 10.0, 20.0, 40.0, 80.0]
    doc["tiers"] = [
        {
            "id": f"t{k}",
            "model": draw(st.sampled_from(MODELS)),
            "context_tokens": draw(st.sampled_from([1024, *CONTEXTS, 65536])),
            "price_usd_per_mtok": 1.0,
            "min_interactivity": draw(st.sampled_from(grid_i) | _num(1.0, 100.0)),
            "max_ttft_s": draw(st.sampled_from([None, 0.5, 1.0, 2.0])),
            "utilization": draw(st.sampled_from([0.5, 1.0])),
        }
        for k in range(draw(st.integers(1, 3)))
    ]
    rows = []
    for h in hws:
        for m in MODELS:
            for _ in range(draw(st.integers(1, 12))):
                row = {
                    "hardware": h,
                    "model": m,
                    "context_tokens": draw(st.sampled_from(CONTEXTS)),
                    "interactivity": draw(st.sampled_from(grid_i)),
                    "tok_s_per_gpu": draw(st.sampled_from([0.0, 100.0, 200.0, 400.0])),
                }
                ttft = draw(st.sampled_from([None, 0.5, 1.0, 2.0, 4.0]))
                if ttft is not None:
                    row["ttft_s"] = ttft
                rows.append(row)
    doc["frontiers"] = rows
    return doc


@settings(FUZZ, max_examples=N_TABLES)
@given(doc=tie_heavy_instance())
def test_coefficients_agree_on_tie_heavy_tables(doc: dict[str, Any]) -> None:
    COUNTS["tables"] += 1
    _same_coefficients(load_instance(doc))


@settings(FUZZ, max_examples=N_VALID)
@given(
    doc=valid_instance(), more=_num(0.05, 2.0), raise_by=_num(0.01, 3.0), pick=st.integers(0, 99)
)
def test_valid_instances_properties(
    doc: dict[str, Any], more: float, raise_by: float, pick: int
) -> None:
    COUNTS["valid"] += 1
    inst = load_instance(doc)  # a valid instance: no InputError
    _same_coefficients(inst)
    plan = _solve(doc)  # with marginal values: they must not fail either
    assert plan.status in ("optimal", "infeasible"), (plan.status, plan.message)

    # Removing a hardware type nobody has installed restricts the plan: never better.
    removable = [h for h in doc["hardware"] if not h.get("existing_units")]
    fewer = None
    if len(doc["hardware"]) > 1 and removable:
        gone = removable[pick % len(removable)]["id"]
        less = copy.deepcopy(doc)
        less["hardware"] = [h for h in doc["hardware"] if h["id"] != gone]
        fewer = _solve(less, marginals=False)  # the frontier rows of `gone` stay in the table

    if plan.status == "infeasible":
        if fewer is not None:
            assert fewer.status == "infeasible", "removing hardware made an instance feasible"
        return
    COUNTS["valid_optimal"] += 1
    report = verify_plan(inst, plan)
    assert report.ok, report.problems

    # More power relaxes the power cap: never worse.
    bigger = copy.deepcopy(doc)
    bigger["site"]["power_mw"] = _scale(doc["site"]["power_mw"], 1.0 + more)
    roomy = _solve(bigger, marginals=False)
    assert roomy.status == "optimal", roomy.status
    assert roomy.objective_usd >= plan.objective_usd - _tol(plan, roomy), (
        roomy.objective_usd,
        plan.objective_usd,
    )
    assert verify_plan(bigger, roomy).ok

    # A higher price of one tier: the same feasible plans, each worth at least as much.
    dearer = copy.deepcopy(doc)
    tier = dearer["tiers"][pick % len(dearer["tiers"])]
    tier["price_usd_per_mtok"] = _scale(tier["price_usd_per_mtok"], 1.0, raise_by)
    pricier = _solve(dearer, marginals=False)
    assert pricier.status == "optimal", pricier.status
    assert pricier.objective_usd >= plan.objective_usd - _tol(plan, pricier), (
        pricier.objective_usd,
        plan.objective_usd,
    )

    if fewer is not None:
        assert fewer.status in ("optimal", "infeasible"), fewer.status
        if fewer.status == "optimal":
            assert fewer.objective_usd <= plan.objective_usd + _tol(plan, fewer), (
                fewer.objective_usd,
                plan.objective_usd,
            )
            assert verify_plan(less, fewer).ok


def test_fuzz_instances_are_sane() -> None:
    """The mutation bases are valid and solve (else every mutation would be an error)."""
    with tempfile.TemporaryDirectory() as tmp:
        for doc, csv in ((RICH, None), (TOY_DOC, TOY_CSV)):
            assert _outcome(copy.deepcopy(doc), csv, Path(tmp)) == "optimal"
    assert math.isfinite(solve(RICH).objective_usd or math.nan)


# ============================================ regressions: bugs the fuzzers found, fixed
def test_empty_frontier_list_is_an_input_error() -> None:
    # Was: ValueError "No objects to concatenate" from read_frontier_table.
    doc = copy.deepcopy(RICH)
    doc["frontiers"] = []
    with pytest.raises(InputError) as info:
        solve(doc)
    assert any(p.startswith("frontiers") for p in info.value.problems)


def test_subnormal_capex_solves() -> None:
    # Was: OverflowError (floor of budget / 1e-310 = inf) in model/data.py.
    doc = copy.deepcopy(RICH)
    doc["hardware"][1]["capex_usd"] = 1e-310  # a valid number >= 0
    plan = solve(doc)
    assert plan.status == "optimal"
    assert verify_plan(doc, plan).ok


@pytest.mark.parametrize(
    "where, value",
    [
        (("site", "pue"), 1e18),  # was 'unbounded' (optimum 0: no unit fits)
        (("hardware", 0, "gpus_per_unit"), 10**17),  # was 'unbounded' (finite optimum)
        (("tiers", 0, "price_usd_per_mtok"), 1e20),  # was 'error' with no message
    ],
)
def test_huge_numbers_are_input_errors_not_wrong_statuses(
    where: tuple[Any, ...], value: float
) -> None:
    # HiGHS drops matrix entries >= 1e15 (costs >= 1e20): the rows were silently lost.
    doc = _micro()
    _get(doc, where[:-1])[where[-1]] = value
    try:
        plan = solve(doc)
    except InputError as exc:  # rejected, naming its key
        assert any(str(where[-1]) in p for p in exc.problems), exc.problems
        return
    assert plan.status == "optimal", (plan.status, plan.message)


def test_highs_messages_stay_off_stdout(tmp_path: Path) -> None:
    # Was: "WARNING: |Value| of 1e-18 supplied to Highs::changeCoeff ..." on stdout before
    # the JSON of `solve --json` (a capex below HiGHS's 1e-9 coefficient threshold).
    doc = _micro()
    doc["objective"] = "profit"
    doc["site"]["capex_budget_usd"] = 1000.0
    doc["hardware"][0]["capex_usd"] = 1e-12
    (tmp_path / "inst.json").write_text(json.dumps(doc))
    res = run_cli(["solve", "inst.json", "--json", "--no-write"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["status"] == "optimal"


def _micro() -> dict[str, Any]:
    from conftest import base

    return base()
