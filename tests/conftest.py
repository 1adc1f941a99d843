"""Builders for small hand-checkable instances.

Unit of account in these tests: one "g1" unit has 1 GPU, draws 1 kW and takes one
rack position. At the frontier point used (10 tok/s/user -> 1,000 tok/s/GPU), one
unit makes 1,000 * 31,536,000 / 1e6 = 31,536 Mtok per year.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from optimizer import solve

MTOK_PER_UNIT_YEAR = 31_536.0  # 1,000 tok/s * 31,536,000 s / 1e6
REPO = Path(__file__).resolve().parents[1]
# The contract's examples live in ../shared beside the checkout (as in CI); the project
# ships a verbatim copy of the toy in instances/ so the suite also runs from a bare clone.
_SHARED = REPO.parent / "shared" / "spec" / "examples"
TOY = _SHARED / "toy.yaml" if (_SHARED / "toy.yaml").is_file() else REPO / "instances" / "toy.yaml"
# The toy's optimum, worked out by hand in its header: 10 MW at PUE 1.25 filled on nvl72.
TOY_OPTIMUM = 363_294_720.0


def frontier(
    hw: str, model: str = "m", tok: float = 1000.0, ctx: int = 8192, ttft: float | None = None
) -> list[dict[str, Any]]:
    """A two-point curve: `tok` tok/s/GPU at 10 tok/s/user, half of it at 100."""
    rows = [
        {
            "hardware": hw,
            "model": model,
            "context_tokens": ctx,
            "interactivity": 10.0,
            "tok_s_per_gpu": tok,
        },
        {
            "hardware": hw,
            "model": model,
            "context_tokens": ctx,
            "interactivity": 100.0,
            "tok_s_per_gpu": tok / 2,
        },
    ]
    if ttft is not None:
        for r in rows:
            r["ttft_s"] = ttft
    return rows


def base(**site: Any) -> dict[str, Any]:
    """One hardware (g1), one tier (t at $1/Mtok, 10 tok/s/user), 1 period."""
    doc: dict[str, Any] = {
        "name": "micro",
        "site": {"power_mw": 1.0, "rack_positions": 10, **site},
        "hardware": [{"id": "g1", "gpus_per_unit": 1, "power_kw": 1, "rack_positions": 1}],
        "tiers": [
            {
                "id": "t",
                "model": "m",
                "context_tokens": 8192,
                "price_usd_per_mtok": 1.0,
                "min_interactivity": 10,
            }
        ],
        "frontiers": frontier("g1"),
    }
    return doc


def random_v3_fleet(
    rng: Any, models: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Three random hardware (h0-h2) with opex, idle power, delivery shares and two
    platforms (p0: h0, h1; p1: h2), and one frontier row per (hardware, model) drawn; h0
    serves every model. For the least-cost checks against independent scipy models."""
    hws: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for h in range(3):
        hid = f"h{h}"
        hws.append(
            {
                "id": hid,
                "gpus_per_unit": int(rng.integers(1, 9)),
                "power_kw": float(rng.integers(1, 12)),
                "rack_positions": 1,
                "capex_usd": float(rng.integers(1, 20) * 1000),
                "opex_usd_per_year": float(rng.integers(0, 5) * 500),
                "idle_power_share": float(rng.choice([0.0, 0.2, 0.5])),
                "delivery_share": float(rng.choice([1.0, 0.5, 0.25])),
                "platform": "p0" if h < 2 else "p1",
            }
        )
        for m in models:
            if rng.random() < 0.8 or m == models[h % 2]:
                rows.append(frontier(hid, m, tok=float(rng.integers(100, 2000)))[0])
    for m in models:
        if ("h0", m) not in {(r["hardware"], r["model"]) for r in rows}:
            rows.append(frontier("h0", m, tok=500.0)[0])
    return hws, rows


def with_(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out.update(changes)
    return out


@pytest.fixture
def micro() -> dict[str, Any]:
    return base()


def objective(doc: dict[str, Any], **opts: Any) -> float:
    plan = solve(doc, **opts)
    assert plan.status == "optimal", plan.status
    assert plan.objective_usd is not None
    return plan.objective_usd


def run_cli(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the real command line (``python -m optimizer ARGS``) in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "optimizer", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def two_unit_profit_doc(rng: Any, powers: list[float]) -> dict[str, Any]:
    """A profit instance over periods 1-2 (discount 0.1) with two unit types of different
    speed, capex and power, drawn from ``rng`` (a random.Random); one tier, as :func:`base`."""
    doc = base(power_mw=rng.choice(powers))
    doc["objective"] = "profit"
    doc["periods"] = [1, 2]
    doc["discount_rate"] = 0.1
    doc["site"]["rack_positions"] = 1000
    doc["hardware"] = [
        {"id": "g1", "gpus_per_unit": 1, "power_kw": 1, "capex_usd": rng.randint(8, 30) * 1000},
        {"id": "g2", "gpus_per_unit": 1, "power_kw": 2, "capex_usd": rng.randint(20, 60) * 1000},
    ]
    doc["frontiers"] = frontier("g1") + frontier("g2", tok=rng.choice([1500.0, 2500.0]))
    return doc


def menu_two_stage_instance(rng: Any) -> tuple[dict[str, Any], pd.DataFrame]:
    """A two-stage instance and its scenario table: two periods, two unit types (as
    :func:`two_unit_profit_doc`), a three-price menu; the scenarios scale period-2 demand."""
    doc = two_unit_profit_doc(rng, [0.1, 0.2])
    tier = doc["tiers"][0]
    del tier["price_usd_per_mtok"]
    d0 = rng.randint(20, 60) * MTOK_PER_UNIT_YEAR
    tier["price_menu"] = [
        {"price_usd_per_mtok": p, "demand_mtok": d0 * p**-1.2} for p in (0.5, 1.0, 2.0)
    ]
    n = rng.randint(3, 5)
    cols: dict[str, list[Any]] = {"scenario": [f"s{i}" for i in range(n)]}
    scale = [rng.choice([0.5, 1.0, 2.0, 3.0]) for _ in range(n)]
    for k in range(3):
        cols[f"tiers[t].price_menu[{k}].demand_mtok[2]"] = [f"x{s}" for s in scale]
    return doc, pd.DataFrame(cols)


# Tests slow by nature, marked ``slow`` here (by file, or file::test, paths under tests/) so
# that their files stay as their authors keep them: `pytest -q -m "not slow"` leaves them
# out, `pytest -q` (the README's command, CI's) runs everything. docs/testing.md says when a
# test belongs here.
SLOW_TESTS = (
    "release/test_shipped_results.py::test_shipped_results_regenerate_identically",  # GTC
    "release/test_shipped_results.py::test_shipped_two_stage_result_regenerates_identically",
    "instance/test_fuzz.py",  # hypothesis: hundreds of instances, some through the CLI
    "stochastic/test_stochastic.py::test_mpi_ranks_run_ph_cylinders",  # mpiexec, several ranks
    "release/test_release.py::test_wheel_installs_and_runs_from_any_folder",  # wheel, venv
    "output/test_report_browser.py",  # headless Chromium
)
TESTS = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark :data:`SLOW_TESTS` ``slow``. An entry whose file is not under tests/ is an error,
    and so is one naming no collected test of a collected file (a moved or renamed test would
    otherwise silently lose its mark)."""
    missing = [e for e in SLOW_TESTS if not (TESTS / e.split("::")[0]).is_file()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py SLOW_TESTS names no file: {missing}")
    files, matched = set(), set()
    for item in items:
        file = item.path.resolve().relative_to(TESTS).as_posix()
        name = getattr(item, "originalname", item.name)
        files.add(file)
        for entry in SLOW_TESTS:
            if entry in (file, f"{file}::{name}"):
                item.add_marker(pytest.mark.slow)
                matched.add(entry)
    if not any("::" in str(arg) for arg in config.args):  # whole files were collected
        stale = [e for e in SLOW_TESTS if e.split("::")[0] in files and e not in matched]
        if stale:
            raise pytest.UsageError(f"tests/conftest.py SLOW_TESTS names no test: {stale}")
