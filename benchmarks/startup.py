"""Start-up time of the command line: ``optimizer --help``, ``--version`` and a bad input.

    python benchmarks/startup.py [--runs 15]

Each figure is the wall time of a fresh process (``python -m optimizer ...``), best and
median over the runs; the target for ``--help`` is under 0.5 s. Also prints which heavy
modules (pandas, Pyomo) each path imported: none should for these three.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROBE = (
    "import sys, runpy\n"
    "sys.argv = ['optimizer', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('optimizer', run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(','.join(m for m in ('pandas', 'pyomo') if m in sys.modules) or 'none',"
    " file=sys.stderr)\n"
)


def timed(args: list[str], runs: int) -> tuple[float, float, str]:
    times = []
    heavy = ""
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "optimizer", *args], capture_output=True)
        times.append(time.perf_counter() - t0)
    probe = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True)
    heavy = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "?"
    return min(times), statistics.median(times), heavy


def main() -> None:
    parser = argparse.ArgumentParser(description="optimizer start-up time")
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        bad = Path(tmp) / "bad.yaml"
        bad.write_text("name: x\nsite: {power_mw: -1, rack_positions: 1}\n")
        cases = {
            "optimizer --help": ["--help"],
            "optimizer --version": ["--version"],
            "optimizer solve BAD.yaml (exit 2)": ["solve", str(bad)],
        }
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True)
        bare = time.perf_counter() - t0
        print(f"python -c pass: {bare:.3f} s (the interpreter alone)")
        for label, args in cases.items():
            best, median, heavy = timed(args, runs)
            print(
                f"{label}: best {best:.3f} s, median {median:.3f} s over {runs} runs; "
                f"heavy modules imported: {heavy}"
            )


if __name__ == "__main__":
    main()
