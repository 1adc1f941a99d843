"""What the finance of a plan (optimizer/results/finance.py) adds to a solve.

Every solve now computes Plan.finance inside the plan extraction. For synthetic instances
of growing size (benchmarks/scale.py's generator) this prints the seconds of the solve, of
the extraction (finance included) and of finance alone (best of --repeat), and finance's
share of solve + extraction.

    python benchmarks/finance.py
    python benchmarks/finance.py --sizes 20x8x5x50 100x40x20x200 --repeat 5

Figures are wall-clock on the machine that runs it; compare the shares, not the seconds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import synthetic  # noqa: E402

from optimizer import Planner, load_instance  # noqa: E402
from optimizer.results.finance import finance_of  # noqa: E402
from optimizer.solver.options import SolveOptions  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["10x4x5x50", "50x20x10x200"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    print(f"{'size':>16} {'solve s':>9} {'extract s':>10} {'finance s':>10} {'share':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            h, t, p, n = (int(x) for x in size.split("x"))
            folder = Path(tmp) / size
            folder.mkdir()
            inst = load_instance(synthetic(h, t, p, n, folder))
            planner = Planner(inst, SolveOptions(time_limit=args.time_limit, marginals=False))
            plan = planner.solve()
            best = float("inf")
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                finance_of(inst, plan)
                best = min(best, time.perf_counter() - t0)
            solve_s = planner.timings.get("solve", 0.0)
            extract_s = planner.timings.get("extract", 0.0)
            share = best / max(solve_s + extract_s, 1e-12)
            print(f"{size:>16} {solve_s:9.3f} {extract_s:10.3f} {best:10.4f} {share:7.1%}")


if __name__ == "__main__":
    main()
