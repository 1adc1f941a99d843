"""What running each ``/solve`` in a child process costs (optimizer/service/worker.py).

The service forks one child per solve from a fork server that has imported the planner,
so that the child can be killed at the request's deadline. This prints, for the toy and
the shipped reference site, the median wall time of the same solve in this process
(``Planner(...).solve``) and in a child (``worker.solve_in_child``), their ratio and
difference, and the one-off start of the fork server.

    python benchmarks/service_worker.py            # 5 runs each
    python benchmarks/service_worker.py --repeat 9

Figures are wall-clock on the machine that runs it (noisy on a shared machine: compare
the columns of one run).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from optimizer.frontiers.table import read_frontier_table
from optimizer.instance.load import load_instance
from optimizer.planning.planner import Planner
from optimizer.service import worker
from optimizer.solver.options import SolveOptions

REPO = Path(__file__).resolve().parents[1]


def instances() -> dict[str, Any]:
    toy = load_instance(REPO / "instances" / "toy.yaml")
    site = load_instance(REPO / "instances" / "site-2026-2030.yaml")
    return {"toy (2x2x1)": toy, "site (7x5x5)": site}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"fork server start (imports the planner once): {worker.warm_up():.2f} s")
    options = SolveOptions(time_limit=60)
    print(f"{'instance':<14} {'in-process':>10} {'child':>8} {'ratio':>6} {'extra':>7}  objective")
    for name, inst in instances().items():
        table = read_frontier_table(inst)
        local, child = [], []
        objectives = set()
        for _ in range(args.repeat):
            t0 = time.monotonic()
            plan = Planner(inst, options, table=table).solve(deadline=t0 + 60)
            local.append(time.monotonic() - t0)
            objectives.add(round(plan.objective_usd, 3))
            t0 = time.monotonic()
            out = worker.solve_in_child(inst, table, options, t0 + 60, 5.0, lambda: False)
            child.append(time.monotonic() - t0)
            assert out.kind == "done", out.value
            objectives.add(round(out.value["objective_usd"], 3))
        a, b = statistics.median(local), statistics.median(child)
        same = "same in both" if len(objectives) == 1 else f"DIFFER: {sorted(objectives)}"
        print(f"{name:<14} {a:>9.3f}s {b:>7.3f}s {b / a:>6.2f} {b - a:>+6.3f}s  {same}")


if __name__ == "__main__":
    main()
