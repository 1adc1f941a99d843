"""The HTTP service, started for real in a subprocess and called over HTTP.

The server is the suite's shared one (``service`` in tests/service/conftest.py): loopback,
a port the OS picks, a 1 MB body limit and a 20 s deadline, so that the limits themselves
can be tested quickly. Every call has a timeout. That ``optimizer serve``'s flags reach the
server's settings is checked without starting one (``run_server`` replaced).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
import yaml

import optimizer

from .conftest import SHARED, Server, solve_slot_taken, toy_inline, wait_for
from conftest import REPO, TOY_OPTIMUM

MAX_BODY_MB = SHARED["max_body_bytes"] // 2**20
MAX_SOLVE_S = SHARED["max_solve_seconds"]
CALL_TIMEOUT_S = 30.0
SHORT_LIMIT_S = 3.0  # a request's own time_limit, under the server's cap


@pytest.fixture(scope="module")
def client(service: Server) -> Iterator[httpx.Client]:
    """A client of the shared server (tests/service/conftest.py)."""
    assert service.url is not None
    with httpx.Client(base_url=service.url, timeout=CALL_TIMEOUT_S) as c:
        yield c


# ------------------------------------------------------------------------ instances
def site_doc() -> dict[str, Any]:
    """The reference site, pointing at its shipped table by bare name."""
    doc = yaml.safe_load((REPO / "instances" / "site-2026-2030.yaml").read_text())
    assert doc["frontiers"] == "measured-2026"
    return doc


def hard_instance(seed: int = 1) -> dict[str, Any]:
    """A seeded 30 hardware x 15 tiers x 8 periods MILP that HiGHS does not close in seconds
    at mip_gap 0 (after benchmarks/scale.py; frontier rows inline, ~0.4 MB of JSON)."""
    rng = np.random.default_rng(seed)
    periods = list(range(2026, 2034))
    models = [f"model-{i}" for i in range(3)]
    hardware, rows = [], []
    x = np.geomspace(5, 1200, 20)
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from scale import hardware_entry
    finally:
        sys.path.pop(0)
    for i in range(30):
        hw = hardware_entry(rng, i, periods)
        if i % 5 == 0:
            hw["min_units"] = int(rng.integers(20, 200))
        if i % 4 == 1:
            hw["max_units"] = int(rng.integers(500, 5000))
        hardware.append(hw)
        scale, knee = rng.uniform(200, 20000), rng.uniform(20, 400)
        for m in models:
            for ctx, cf in ((8192, 1.0), (131072, rng.uniform(0.2, 0.6))):
                tput = scale * cf / (1 + (x / knee) ** 2) * rng.uniform(0.97, 1.03, len(x))
                for xi, ti in zip(x, tput, strict=True):
                    rows.append(
                        {
                            "hardware": hw["id"],
                            "model": m,
                            "context_tokens": ctx,
                            "interactivity": round(float(xi), 3),
                            "tok_s_per_gpu": round(float(ti), 2),
                        }
                    )
    tiers = []
    for j in range(15):
        speed = float(rng.choice([10, 20, 35, 50, 100, 200]))
        price = float(round(0.2 + speed / 40 * rng.uniform(0.5, 2.0), 2))
        tiers.append(
            {
                "id": f"tier-{j:02d}",
                "model": models[j % len(models)],
                "context_tokens": int(rng.choice([4096, 8192, 65536, 131072])),
                "price_usd_per_mtok": {
                    str(p): round(price * 0.85**k, 4) for k, p in enumerate(periods)
                },
                "min_interactivity": speed,
                "demand_mtok": {
                    str(p): float(round(rng.uniform(2e7, 2e9) * 1.4**k, -3))
                    for k, p in enumerate(periods)
                },
                "utilization": float(round(rng.uniform(0.5, 0.9), 2)),
            }
        )
    return {
        "name": "hard",
        "periods": periods,
        "discount_rate": 0.08,
        "objective": "profit",
        "site": {
            "power_mw": {str(p): 300.0 + 150 * k for k, p in enumerate(periods)},
            "pue": 1.2,
            "rack_positions": {str(p): 3000.0 + 1500 * k for k, p in enumerate(periods)},
            "capex_budget_usd": 8e9,
            "electricity_usd_per_mwh": 60,
        },
        "hardware": hardware,
        "tiers": tiers,
        "frontiers": rows,
    }


def assert_error_lines(body: dict[str, Any], *starts: str) -> None:
    """Every error is one line, no traceback; each of ``starts`` begins some line."""
    errors = body["errors"]
    assert errors and all(isinstance(e, str) and "\n" not in e for e in errors), errors
    assert not any("Traceback" in e or 'File "' in e for e in errors), errors
    for start in starts:
        assert any(e.startswith(start) for e in errors), (start, errors)


# ---------------------------------------------------------------------------- tests
def test_health(client: httpx.Client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": optimizer.__version__}


def test_openapi_documents_the_requests(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/solve", "/sweep", "/jobs/{job_id}", "/health"} <= set(schema["paths"])
    body = schema["paths"]["/solve"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"] == "#/components/schemas/SolveRequest"
    models = schema["components"]["schemas"]
    assert {"options", "frontiers", "site", "hardware", "tiers"} <= set(
        models["SolveRequest"]["properties"]
    )
    assert {"instance", "set", "samples", "seed"} <= set(models["SweepRequest"]["properties"])
    assert {"Options", "Site", "Hardware", "Tier", "FrontierRow"} <= set(models)


def test_solve_toy_with_inline_rows(client: httpx.Client) -> None:
    r = client.post("/solve", json=toy_inline())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "optimal"
    assert body["objective_usd"] == pytest.approx(TOY_OPTIMUM, rel=1e-6)
    assert {"buy", "serve", "sold", "mip_gap"} <= set(body)
    assert body["time_limit_s"] == MAX_SOLVE_S  # the server's cap, as none was asked


def test_solve_with_a_shipped_table_by_name(client: httpx.Client) -> None:
    doc = site_doc()
    doc["options"] = {"time_limit": 30, "mip_gap": 1e-4}  # asks for more than the cap
    r = client.post("/solve", json=doc)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "optimal"
    assert body["time_limit_s"] == MAX_SOLVE_S
    # Same table as the file the instance names: same optimum as a local solve.
    local = optimizer.solve(REPO / "instances" / "site-2026-2030.yaml", mip_gap=1e-4)
    assert body["objective_usd"] == pytest.approx(local.objective_usd, rel=1e-4)


def test_bad_input_is_422_one_line_per_problem(client: httpx.Client) -> None:
    doc = toy_inline()
    doc["tiers"][1]["min_interactivity"] = 0
    doc["colour"] = "blue"
    doc["options"] = {"objective": "loss", "time_limit": -1}
    r = client.post("/solve", json=doc)
    assert r.status_code == 422
    assert_error_lines(
        r.json(),
        "tiers[1].min_interactivity:",
        "colour: unknown key",
        "options.objective:",
        "options.time_limit:",
    )

    doc = toy_inline()
    doc["hardware"][0]["id"] = "hgx-h200"  # no rows in the table
    r = client.post("/solve", json=doc)
    assert r.status_code == 422
    assert_error_lines(r.json(), "hardware[0].id:")

    for raw, start in ((b'{"name": ', "body: not valid JSON"), (b"[1, 2]", "body: must be")):
        r = client.post("/solve", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422
        assert_error_lines(r.json(), start)


@pytest.mark.parametrize(
    "frontiers",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "..",
        "frontiers/measured-2026.csv",
        "~/table.csv",
        "calibration.md",  # in the shipped folder, but not a table
        "no-such-table",
        ["measured-2026", "/etc/passwd"],
    ],
)
def test_frontiers_that_name_a_path_are_refused(client: httpx.Client, frontiers: Any) -> None:
    doc = site_doc()
    doc["frontiers"] = frontiers
    r = client.post("/solve", json=doc)
    assert r.status_code == 422, r.text
    assert_error_lines(r.json(), "frontiers")
    assert "root:" not in r.text  # nothing of the file came back


def test_sweep_refuses_paths_too(client: httpx.Client) -> None:
    doc = toy_inline()
    doc["frontiers"] = "/etc/passwd"
    r = client.post("/sweep", json={"instance": doc, "set": ["site.power_mw=8,10"]})
    assert r.status_code == 422
    assert_error_lines(r.json(), "instance.frontiers")


def test_oversized_body_is_413(client: httpx.Client) -> None:
    big = b'{"name": "' + b"x" * (MAX_BODY_MB * 1024 * 1024 + 10) + b'"}'
    r = client.post("/solve", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert_error_lines(r.json(), "body: too large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for i in range(0, len(big), 64 * 1024):
            yield big[i : i + 64 * 1024]

    with httpx.Client(base_url=str(client.base_url), timeout=CALL_TIMEOUT_S) as fresh:
        r = fresh.post("/solve", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert client.get("/health").status_code == 200


def test_sweep_job_runs_in_the_background(client: httpx.Client) -> None:
    r = client.post("/sweep", json={"instance": toy_inline(), "set": ["site.power_mw=8,10,12"]})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    deadline = time.monotonic() + 30
    while True:
        view = client.get(f"/jobs/{job_id}").json()
        assert view["status"] in ("queued", "running", "done"), view
        if view["status"] == "done" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert view["status"] == "done" and view["done"] == view["total"] == 3
    rows = {row["site.power_mw"]: row for row in view["results"]}
    assert set(rows) == {8.0, 10.0, 12.0}
    assert all(row["status"] == "optimal" for row in rows.values())
    assert rows[10.0]["objective_usd"] == pytest.approx(TOY_OPTIMUM, rel=1e-6)
    assert rows[8.0]["objective_usd"] < rows[10.0]["objective_usd"] < rows[12.0]["objective_usd"]

    assert client.get("/jobs/no-such-job").status_code == 404

    bad = client.post("/sweep", json={"instance": toy_inline(), "set": ["site.nope=1,2"]})
    assert bad.status_code == 422
    assert_error_lines(bad.json(), "set: site.nope")
    many = client.post(
        "/sweep",
        json={"instance": toy_inline(), "set": ["site.power_mw=1:1000:1", "site.pue=1:2:0.1"]},
    )
    assert many.status_code == 422
    assert_error_lines(many.json(), "set: 11000 scenarios")


def test_health_answers_while_a_solve_runs(client: httpx.Client) -> None:
    """While a /solve of a MILP HiGHS does not close holds the server's one solve slot,
    /health answers within a second, and the solve ends by its own 3 s time_limit."""
    doc = hard_instance()
    doc["options"] = {"mip_gap": 0.0, "time_limit": SHORT_LIMIT_S}
    result: dict[str, Any] = {}

    def slow_solve() -> None:
        t0 = time.monotonic()
        result["response"] = client.post("/solve", json=doc)
        result["seconds"] = time.monotonic() - t0

    thread = threading.Thread(target=slow_solve)
    thread.start()
    url = str(client.base_url)
    wait_for(lambda: solve_slot_taken(url) or not thread.is_alive(), 20, "the solve to start")
    latencies: list[float] = []
    while thread.is_alive() and len(latencies) < 5:
        t0 = time.monotonic()
        assert client.get("/health", timeout=5).status_code == 200
        latencies.append(time.monotonic() - t0)
        time.sleep(0.2)  # spaces the samples over the solve
    solving_still = thread.is_alive()
    thread.join(timeout=CALL_TIMEOUT_S)
    assert not thread.is_alive()
    assert latencies and solving_still, "the solve ended before /health was asked"
    assert max(latencies) < 1.0, latencies

    r = result["response"]
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] in ("time_limit", "optimal")
    assert body["time_limit_s"] == SHORT_LIMIT_S
    # One deadline for the whole request; the margin is for a loaded machine.
    assert result["seconds"] < 2 * SHORT_LIMIT_S + 6, result["seconds"]


def test_serve_flags_reach_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """``optimizer serve --max-body-mb 1 --max-solve-seconds 3 --max-connections 12`` runs
    the server with those settings (1 MB = 1,048,576 bytes); nothing is started."""
    from typer.testing import CliRunner

    from optimizer.cli import serve_cmd
    from optimizer.cli.main import app

    seen: dict[str, Any] = {}

    def fake_run(settings: Any, host: str, port: int) -> None:
        seen.update(settings=settings, host=host, port=port)

    monkeypatch.setattr(serve_cmd, "run_server", fake_run)
    monkeypatch.delenv("OPTIMIZER_TOKEN", raising=False)
    args = ["serve", "--port", "0", "--max-body-mb", "1", "--max-solve-seconds", "3"]
    out = CliRunner().invoke(app, [*args, "--max-connections", "12"])
    assert out.exit_code == 0, out.output
    settings = seen["settings"]
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 0)
    assert settings.max_body_bytes == 1_048_576
    assert settings.max_solve_seconds == 3.0
    assert settings.max_connections == 12
    assert settings.token is None and "127.0.0.1" in settings.allowed_hosts
