"""Regenerate every shipped result in this folder: one command, from the project root.

    python results/regenerate.py                # plan files, comparison and charts
    python results/regenerate.py --no-charts    # only the text files
    python results/regenerate.py --fast         # without the two-stage run (a minute)
    python results/regenerate.py --out DIR      # write under DIR instead of results/

Each step is an ``optimizer`` command (listed in :data:`STEPS`, and in results/README.md).
Plan and comparison files hold only what the same inputs always give (no timings: those
go to an uncommitted ``run.json``), so a re-run on the same versions leaves ``git status``
clean; ``tests/test_shipped_results.py`` regenerates them into a temporary folder and
compares them with the committed ones. Regenerated in place, it then runs
``results/quote.py``, which rewrites every figure the documents quote from the new files.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GTC = "instances/gtc2026-1gw.yaml"
KEYNOTE_SPLIT = "free=0.25,medium=0.25,high=0.25,premium+ultra=0.25"  # four buckets, five tiers

# (folder under results/, optimizer arguments; {out} is that folder) - text files.
STEPS: list[tuple[str, list[str]]] = [
    ("toy", ["solve", "instances/toy.yaml", "--out", "{out}", "--quiet"]),
    ("site-2026-2030", ["solve", "instances/site-2026-2030.yaml", "--out", "{out}", "--quiet"]),
    ("gtc2026-1gw", ["solve", GTC, "--out", "{out}", "--quiet"]),
    (
        "gtc2026-1gw",
        [
            "compare",
            GTC,
            "--split",
            KEYNOTE_SPLIT,
            "--out",
            "{out}",
            "--quiet",
        ],
    ),
]
# The two-stage plan of the reference over its 27 scenarios: about a minute on 2 cores at a
# relative gap of 1e-3 (27 copies of the model with its price-menu binaries; at 1e-4 it
# runs for many minutes); `--fast` leaves it out.
SLOW_STEPS: list[tuple[str, list[str]]] = [
    (
        "gtc2026-1gw-stochastic",
        [
            "stochastic",
            GTC,
            "--scenarios",
            "instances/gtc2026-1gw-scenarios.csv",
            "--mip-gap",
            "1e-3",
            "--out",
            "{out}",
            "--quiet",
        ],
    )
]
# Charts (PNG): not compared byte for byte (renderer versions differ).
CHART_STEPS: list[tuple[str, list[str]]] = [
    ("gtc2026-1gw", ["plot", "plan", GTC, "--out", "{out}/plan.png"]),
    ("gtc2026-1gw", ["plot", "prices", GTC, "--out", "{out}/prices.png"]),
    *[
        (
            "gtc2026-1gw",
            ["plot", "frontier", GTC, "--model", m, "--out", f"{{out}}/frontier-{m}.png"],
        )
        for m in ("gpt-moe-1.8t", "kimi-k2.5")
    ],
]


def regenerate(out_root: Path, charts: bool = True, slow: bool = False) -> list[Path]:
    """Run every step with its output under ``out_root``; return the folders written."""
    folders: list[Path] = []
    for folder, args in STEPS + (SLOW_STEPS if slow else []) + (CHART_STEPS if charts else []):
        out = out_root / folder
        cmd = [sys.executable, "-m", "optimizer", *[a.format(out=out) for a in args]]
        print("$ optimizer " + " ".join(cmd[3:]), flush=True)
        subprocess.run(cmd, cwd=ROOT, check=True)
        if out not in folders:
            folders.append(out)
    return folders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "results", help="root folder")
    parser.add_argument("--no-charts", action="store_true", help="text files only")
    parser.add_argument("--fast", action="store_true", help="leave out the two-stage run")
    args = parser.parse_args()
    out = args.out.resolve()
    regenerate(out, charts=not args.no_charts, slow=not args.fast)
    if out == (ROOT / "results").resolve():
        # the documents' quoted figures follow the results just written (results/quote.py)
        print("$ python results/quote.py", flush=True)
        subprocess.run([sys.executable, str(ROOT / "results" / "quote.py")], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
