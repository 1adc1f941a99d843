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

import numpy as np
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


def random_fleet(
    rng: Any, models: list[str], v3: bool = True
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Three random hardware (h0-h2), and one frontier row (10 tok/s/user) per (hardware,
    model) drawn: hardware h always serves models[h % len(models)], h0 serves every model.
    With ``v3``, each also draws opex, idle power and a delivery share, on two platforms (p0:
    h0, h1; p1: h2). For the least-cost checks against independent scipy models."""
    hws: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for h in range(3):
        hid = f"h{h}"
        hw: dict[str, Any] = {
            "id": hid,
            "gpus_per_unit": int(rng.integers(1, 9)),
            "power_kw": float(rng.integers(1, 12)),
            "rack_positions": 1,
            "capex_usd": float(rng.integers(1, 20) * 1000),
        }
        if v3:
            hw["opex_usd_per_year"] = float(rng.integers(0, 5) * 500)
            hw["idle_power_share"] = float(rng.choice([0.0, 0.2, 0.5]))
            hw["delivery_share"] = float(rng.choice([1.0, 0.5, 0.25]))
            hw["platform"] = "p0" if h < 2 else "p1"
        hws.append(hw)
        for m in models:
            if rng.random() < 0.8 or m == models[h % len(models)]:
                rows.append(frontier(hid, m, tok=float(rng.integers(100, 2000)))[0])
    for m in models:
        if ("h0", m) not in {(r["hardware"], r["model"]) for r in rows}:
            rows.append(frontier("h0", m, tok=500.0)[0])
    return hws, rows


def random_v3_least_cost_doc(
    rng: Any, name: str, demand_high: int, slices: list[float] | None = None
) -> dict[str, Any]:
    """A random least-cost instance over periods 2026-2027 (discount 0.1): the fleet of
    :func:`random_fleet`, two tiers (m0, m1) with demands drawn below ``demand_high``,
    two platforms with drawn fixed costs; with ``slices`` (hours shares), time slices s0..
    and a random demand profile per tier. Draws in this order: fleet, each tier's demands
    (then its profile), the platforms' costs."""
    models = ["m0", "m1"]
    hws, rows = random_fleet(rng, models)
    sids = [f"s{k}" for k in range(len(slices or []))]

    def profile() -> dict[str, float]:
        cuts = sorted(int(v) for v in rng.integers(0, 21, size=len(sids) - 1))
        parts = np.diff([0, *cuts, 20])
        return {sid: float(k) / 20 for sid, k in zip(sids, parts, strict=True)}

    tiers = []
    for i, m in enumerate(models):
        tier: dict[str, Any] = {
            "id": f"t{i}",
            "model": m,
            "context_tokens": 8192,
            "min_interactivity": 10,
            "demand_mtok": {p: float(rng.integers(10_000, demand_high)) for p in (2026, 2027)},
        }
        if slices:
            tier["demand_profile"] = profile()
        tiers.append(tier)
    doc: dict[str, Any] = {
        "name": name,
        "periods": [2026, 2027],
        "discount_rate": 0.1,
        "objective": "cost",
        "site": {"power_mw": 1.0, "rack_positions": 60, "electricity_usd_per_mwh": 80.0},
        "hardware": hws,
        "platforms": [
            {"id": "p0", "fixed_cost_usd_per_year": float(rng.integers(0, 20) * 1000)},
            {"id": "p1", "fixed_cost_usd_per_year": float(rng.integers(0, 20) * 1000)},
        ],
        "tiers": tiers,
        "frontiers": rows,
    }
    if slices:
        doc["time_slices"] = [
            {"id": s, "hours_share": v} for s, v in zip(sids, slices, strict=True)
        ]
    return doc


def scipy_v3_least_cost(doc: dict[str, Any]) -> float | None:
    """The least-cost model with the v3 costs and (optional) time slices, written apart from
    the package for scipy.optimize.milp (lifetimes span the horizon, PUE 1, utilization 1,
    one year per period; no time slices = one slice of all hours, profile 1).
    x[h,t,p,s] = units of h serving t in slice s of p, eta[s] the hours shares, delta[t,s]
    the profiles, I[h,p] = sum_{q<=p} b[h,q]:

    min sum_p w_p [sum_h (capex_h b_hp + opex_h I_hp + e_h (idle_h I_hp + (1 - idle_h)
        sum_{t,s} eta_s x_htps)) + sum_f F_f z_fp],  e_h = elec * kW_h * 8.76
    s.t. sum_t x_htps <= I_hp - (1 - delivery_h) b_hp            (every slice)
         sum_h eta_s a_ht x_htps >= delta_ts d_tp                (every slice)
         sum_h kW_h I_hp <= power;  sum_h I_hp <= land;  I_hp <= land * z_{f(h)p}.
    Returns the optimum, or None when scipy finds none (infeasible).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    hws, tiers, plats = doc["hardware"], doc["tiers"], doc["platforms"]
    slices = doc.get("time_slices") or [{"id": "all", "hours_share": 1.0}]
    eta = [sl["hours_share"] for sl in slices]
    sids = [sl["id"] for sl in slices]
    H, T, F, P, S = len(hws), len(tiers), len(plats), len(doc["periods"]), len(eta)
    w = [(1 + doc["discount_rate"]) ** -p for p in range(P)]
    tok = {(r["hardware"], r["model"]): r["tok_s_per_gpu"] for r in doc["frontiers"]}
    elec, land = doc["site"]["electricity_usd_per_mwh"], doc["site"]["rack_positions"]
    fidx = {f["id"]: i for i, f in enumerate(plats)}
    nb, nx = H * P, H * T * P * S

    def b(h: int, p: int) -> int:
        return h * P + p

    def x(h: int, t: int, p: int, s: int) -> int:
        return nb + ((h * T + t) * P + p) * S + s

    def z(f: int, p: int) -> int:
        return nb + nx + f * P + p

    n = nb + nx + F * P
    c = np.zeros(n)
    for h, hw in enumerate(hws):
        e = elec * hw["power_kw"] * 8.76
        for p in range(P):
            c[b(h, p)] += w[p] * hw["capex_usd"]
            for q in range(p, P):  # a unit bought in p is installed in every q >= p
                c[b(h, p)] += w[q] * (hw["opex_usd_per_year"] + e * hw["idle_power_share"])
            for t in range(T):
                for s in range(S):
                    c[x(h, t, p, s)] = w[p] * e * (1 - hw["idle_power_share"]) * eta[s]
    for f, plat in enumerate(plats):
        for p in range(P):
            c[z(f, p)] = w[p] * plat["fixed_cost_usd_per_year"]
    rows: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []

    def add(row: np.ndarray, low: float, high: float) -> None:
        rows.append(row)
        lo.append(low)
        hi.append(high)

    def installed(row: np.ndarray, h: int, p: int, coef: float) -> None:
        for q in range(p + 1):
            row[b(h, q)] += coef

    for p in range(P):
        power, space = np.zeros(n), np.zeros(n)
        for h, hw in enumerate(hws):
            for s in range(S):
                row = np.zeros(n)
                for t in range(T):
                    row[x(h, t, p, s)] = 1
                installed(row, h, p, -1.0)
                row[b(h, p)] += 1 - hw["delivery_share"]
                add(row, -np.inf, 0.0)
            installed(power, h, p, hw["power_kw"])
            installed(space, h, p, 1.0)
            row = np.zeros(n)
            installed(row, h, p, 1.0)
            row[z(fidx[hw["platform"]], p)] = -land
            add(row, -np.inf, 0.0)
        add(power, -np.inf, doc["site"]["power_mw"] * 1000)
        add(space, -np.inf, land)
        for t, tier in enumerate(tiers):
            share = tier.get("demand_profile") or {sids[0]: 1.0}
            for s in range(S):
                row = np.zeros(n)
                for h, hw in enumerate(hws):
                    a = tok.get((hw["id"], tier["model"]), 0.0) * hw["gpus_per_unit"] * 31.536
                    row[x(h, t, p, s)] = eta[s] * a
                add(row, share[sids[s]] * tier["demand_mtok"][doc["periods"][p]], np.inf)
    integrality = np.array([1] * nb + [0] * nx + [1] * (F * P))
    upper = np.array([np.inf] * (nb + nx) + [1.0] * (F * P))
    res = milp(
        c,
        constraints=LinearConstraint(np.array(rows), lo, hi),
        integrality=integrality,
        bounds=Bounds(0, upper),
        options={"mip_rel_gap": 1e-9},
    )
    return float(res.fun) if res.status == 0 else None


def assert_least_cost_matches_scipy(doc: dict[str, Any]) -> None:
    """The planner's optimum of ``doc`` equals :func:`scipy_v3_least_cost`'s, and its plan
    passes the checker; or both find the instance infeasible."""
    expected = scipy_v3_least_cost(copy.deepcopy(doc))
    plan = solve(doc)
    if expected is None:
        assert plan.status == "infeasible"
    else:
        assert plan.status == "optimal" and plan.verified
        assert plan.objective_usd == pytest.approx(expected, rel=1e-6)


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


def run_cli(
    args: list[str], cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real command line (``python -m optimizer ARGS``) in ``cwd`` (in ``env``, or
    this process's environment)."""
    return subprocess.run(
        [sys.executable, "-m", "optimizer", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
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
# out, `pytest -q` (and the README's and CI's `pytest -q -n auto --dist load
# --maxschedchunk 1`) runs everything. docs/testing.md says when a
# test belongs here.
SLOW_TESTS = (  # the longest first: under xdist they start in this order
    "release/test_shipped_results.py::test_shipped_two_stage_result_regenerates_identically",
    "release/test_shipped_results.py::test_shipped_results_regenerate_identically",  # GTC
    "instance/test_fuzz.py",  # hypothesis: hundreds of instances, some through the CLI
    "release/test_release.py::test_wheel_installs_and_runs_from_any_folder",  # wheel, venv
    "stochastic/test_stochastic.py::test_mpi_ranks_run_ph_cylinders",  # mpiexec, several ranks
    "output/test_report_browser.py",  # headless Chromium
)
TESTS = Path(__file__).resolve().parent


# The columns of a sensitivity table that the plots and reports read, in its order.
SENSITIVITY_COLUMNS = (
    "input",
    "base_value",
    "low_value",
    "high_value",
    "objective_low_usd",
    "objective_high_usd",
    "base_objective_usd",
    "swing_usd",
    "delta",
)


def sensitivity_table(
    base_objective: float, rows: list[tuple[str, float, float, float]], delta: float = 0.1
) -> pd.DataFrame:
    """A sensitivity table with the columns optimizer.analysis.sensitivity writes, from rows
    (input, base value, objective at -delta, objective at +delta); swing_usd is
    |high - low| (NaN where a side has no plan)."""
    t = pd.DataFrame(
        rows, columns=["input", "base_value", "objective_low_usd", "objective_high_usd"]
    )
    t["low_value"] = t["base_value"] * (1 - delta)
    t["high_value"] = t["base_value"] * (1 + delta)
    t["base_objective_usd"] = base_objective
    t["swing_usd"] = (t["objective_high_usd"] - t["objective_low_usd"]).abs()
    t["delta"] = delta
    return t[[*SENSITIVITY_COLUMNS]]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark :data:`SLOW_TESTS` ``slow``. An entry whose file is not under tests/ is an error,
    and so is one naming no collected test of a collected file (a moved or renamed test would
    otherwise silently lose its mark)."""
    missing = [e for e in SLOW_TESTS if not (TESTS / e.split("::")[0]).is_file()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py SLOW_TESTS names no file: {missing}")
    files, matched = set(), set()
    rank: dict[str, int] = {}
    for item in items:
        file = item.path.resolve().relative_to(TESTS).as_posix()
        name = getattr(item, "originalname", item.name)
        files.add(file)
        for k, entry in enumerate(SLOW_TESTS):
            if entry in (file, f"{file}::{name}"):
                item.add_marker(pytest.mark.slow)
                matched.add(entry)
                rank[item.nodeid] = k
    if not any("::" in str(arg) for arg in config.args):  # whole files were collected
        stale = [e for e in SLOW_TESTS if e.split("::")[0] in files and e not in matched]
        if stale:
            raise pytest.UsageError(f"tests/conftest.py SLOW_TESTS names no test: {stale}")
    if hasattr(config, "workerinput"):
        # Under pytest-xdist, the long tests first, longest first (a stable sort: the same
        # order on every worker). With `--dist load --maxschedchunk 1` (CI's command) each
        # idle worker takes the next test: the longest start at once, side by side, and the
        # short ones fill in, so no long test starts last and runs alone.
        items.sort(key=lambda item: rank.get(item.nodeid, len(SLOW_TESTS)))
