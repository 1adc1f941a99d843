"""What a per-call override costs a built planner, against a plain re-solve.

``planner.solve(marginals=False)`` (a post-solve step) reuses the planner's HiGHS session;
an override of something HiGHS is set up with (``mip_gap``, ``strategy``, ``threads``,
``log``) builds a fresh session for the call, which loads the model into HiGHS again, and
the next plain solve builds the planner's own again. This prints the median time of each
kind of call on the reference instance and its ratio to the plain re-solve measured in the
same run.

    python benchmarks/options_overrides.py              # instances/gtc2026-1gw.yaml, 3 repeats
    python benchmarks/options_overrides.py --instance instances/toy.yaml --repeat 5

Figures are wall-clock on the machine that runs it (noisy on a shared machine: compare the
ratios of one run).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from optimizer import Planner, SolveOptions, load_instance

REPO = Path(__file__).resolve().parents[1]


def _median_seconds(
    call: Callable[[], object], repeat: int, before: Callable[[], object] | None = None
) -> float:
    """Median seconds of ``call``; ``before`` runs untimed ahead of each one."""
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, default=REPO / "instances" / "gtc2026-1gw.yaml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    planner = Planner(load_instance(args.instance), SolveOptions(marginals=False))
    planner.solve()  # warm: the model is in HiGHS
    plain = planner.solve
    gap = lambda: planner.solve(mip_gap=1e-3)  # noqa: E731
    # (name, timed call, untimed call before each)
    calls: list[tuple[str, Callable[[], object], Callable[[], object] | None]] = [
        ("plain re-solve", plain, None),
        ("marginals=True (one call)", lambda: planner.solve(marginals=True), plain),
        ("mip_gap=1e-3 after a plain", gap, plain),
        ("mip_gap=1e-3 after itself", gap, gap),
        ("plain after mip_gap=1e-3", plain, gap),
    ]
    base = None
    print(f"{args.instance.name}: median of {args.repeat} calls")
    for name, call, before in calls:
        seconds = _median_seconds(call, args.repeat, before)
        base = base or seconds
        print(f"  {name:<28} {seconds:8.3f} s  x{seconds / base:5.2f}")


if __name__ == "__main__":
    main()
