"""Reading a result back: ``Plan.from_dict`` and ``Plan.to_dict`` on the shipped results.

    python benchmarks/result_json.py [--runs 5]

For each ``results/*/plan.json`` (and its variants one folder down): the rows of its main
tables, the best time of ``Plan.from_dict`` and of ``Plan.to_dict`` over the runs, and
whether the plan read back writes the same JSON (it must: plan.json has no ``timings_s``,
the only key ``to_dict`` adds).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from optimizer.results.plan import Plan

REPO = Path(__file__).resolve().parents[1]


def _best(f: object, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        f()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(
        f"{'result':48} {'buy':>5} {'serve':>6} {'sold':>5} {'from_dict':>10} {'to_dict':>8}  same"
    )
    for path in sorted(REPO.glob("results/**/plan.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        plan = Plan.from_dict(doc)
        back = plan.to_dict()
        back.pop("timings_s")
        t_from = _best(lambda d=doc: Plan.from_dict(d), args.runs)
        t_to = _best(plan.to_dict, args.runs)
        name = str(path.parent.relative_to(REPO))
        rows = [len(doc.get(k) or []) for k in ("buy", "serve", "sold")]
        print(
            f"{name:48} {rows[0]:>5} {rows[1]:>6} {rows[2]:>5} "
            f"{1000 * t_from:>8.1f}ms {1000 * t_to:>6.1f}ms  {'yes' if back == doc else 'NO'}"
        )


if __name__ == "__main__":
    main()
