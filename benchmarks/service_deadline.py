"""How long the service takes to answer an instance too large for its deadline (issue 20).

Starts ``optimizer serve``-like servers on 127.0.0.1 (``run_server`` in a subprocess) with
``--max-solve-seconds 4`` and posts the review's instance: 200 hardware x 200 tiers x 20
periods, every pair usable (~150 KB of JSON). Prints, for the default size cap (the
instance is refused before building) and for the cap raised past it (the solver process
is killed at the deadline plus the grace), the status, the seconds to the answer and the
answer's first line. Before the fix: 40-72 s and 1.9 GB of RSS for the same request.

    python benchmarks/service_deadline.py
    python benchmarks/service_deadline.py --size 100x100x20 --seconds 2

Figures are wall-clock on the machine that runs it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from test_service_hostile import wide_instance  # noqa: E402

RUN = """
import sys
from optimizer.cli.serve_cmd import run_server
from optimizer.service import Settings
run_server(Settings(**eval(sys.argv[1])), "127.0.0.1", 0)
"""


def start(settings: dict[str, Any]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN, repr(settings)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    found: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            m = re.search(r"Uvicorn running on (http://[\d.]+:\d+)", line)
            if m:
                found.append(m.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    ready.wait(60)
    if not found:
        proc.kill()
        raise SystemExit("the server did not start")
    return proc, found[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="200x200x20", help="hardware x tiers x periods")
    ap.add_argument("--seconds", type=float, default=4.0, help="--max-solve-seconds")
    args = ap.parse_args()
    n_hw, n_tiers, n_periods = (int(v) for v in args.size.split("x"))
    doc = wide_instance(n_hw, n_tiers, n_periods)
    cells = n_hw * n_tiers * n_periods
    print(f"{args.size} ({cells} cells), deadline {args.seconds:g} s")
    for label, extra in (
        ("default caps", {}),
        ("size cap raised", {"max_model_cells": cells}),
    ):
        proc, url = start({"max_solve_seconds": args.seconds, **extra})
        try:
            t0 = time.monotonic()
            r = httpx.post(f"{url}/solve", json=doc, timeout=300)
            seconds = time.monotonic() - t0
        finally:
            proc.terminate()
            proc.wait(30)
        first = r.json().get("errors", [r.json().get("status")])[0]
        print(f"  {label:<16} {r.status_code}  {seconds:6.2f} s  {str(first)[:110]}")


if __name__ == "__main__":
    main()
