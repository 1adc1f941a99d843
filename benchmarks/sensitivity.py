"""Seconds for the sensitivity analysis of the reference instance (issue 18: under 60 s).

    python benchmarks/sensitivity.py [--instance PATH] [--workers N] [--delta 0.1]

One call of :func:`optimizer.analysis.sensitivity.sensitivity` (every numeric input at
-delta and +delta, plus the base), as `optimizer sensitivity` runs it; prints the seconds,
the solves and the seconds per solve, and writes results/benchmarks/sensitivity.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from optimizer import load_instance
from optimizer.analysis.sensitivity import sensitivity

sys.path.insert(0, str(Path(__file__).resolve().parent))
from record import Record  # noqa: E402  (benchmarks/ is not a package)

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--instance", type=Path, default=ROOT / "instances" / "gtc2026-1gw.yaml")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--delta", type=float, default=0.1)
    args = ap.parse_args()
    record = Record("sensitivity")
    inst = load_instance(args.instance)
    t0 = time.perf_counter()
    result = sensitivity(inst, args.delta, workers=args.workers)
    seconds = time.perf_counter() - t0
    n = len(result.sweep.table)
    print(
        f"sensitivity of {args.instance.name}: {n} solves, {args.workers} worker(s), "
        f"{seconds:.1f} s ({seconds / n:.2f} s per solve; target < 60 s in all)"
    )
    record.write(
        {
            "instance": args.instance.name,
            "scenarios": n,
            "workers": args.workers,
            "delta": args.delta,
            "seconds": seconds,
        }
    )


if __name__ == "__main__":
    main()
