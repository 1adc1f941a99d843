"""The certified strategy's repair (optimizer/solver/rounding.py) on the reference and the ladder.

For each instance it prints the relaxation bound, the plan each repair call ends with (the
LP-first phase, if it gets that far, and the phase after the relaxation in the binaries), how
far that plan is below the bound, the HiGHS runs of the whole certified run (LPs and MIPs), its
CPU seconds (this process, HiGHS's threads included: less noisy than wall time on a shared
machine), the answer and its proof (the model is loaded into HiGHS before the clock starts).

    python benchmarks/repair.py                                # reference + 50x20x10x200
    python benchmarks/repair.py --sizes 50x20x10x200 100x40x20x200 --seeds 1 2 3

Figures are from the machine that runs it; the ladder sizes are those of benchmarks/scale.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from optimizer import Planner, load_instance
from optimizer.solver import certified
from optimizer.solver.options import SolveOptions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import synthetic  # noqa: E402  (benchmarks/ is not a package)

REFERENCE = Path(__file__).resolve().parents[1] / "instances" / "gtc2026-1gw.yaml"


def measure(label: str, path: Path) -> dict[str, Any]:
    """One certified run of the instance at ``path``; the repair's plans recorded as it goes."""
    planner = Planner(load_instance(path), SolveOptions(marginals=False, verify=False))
    repaired: list[tuple[float, float]] = []
    original = certified.repair

    def spy(s: Any, relaxed: Any, found: Any, bound: float) -> tuple[float, Any]:
        value, best = original(s, relaxed, found, bound)
        repaired.append((value, bound))
        return value, best

    certified.repair = spy
    try:
        assert planner.session is not None and planner.model is not None
        planner.session.solver.set_instance(planner.model)  # Pyomo to HiGHS: not timed
        cpu = time.process_time()
        result = certified.certified_run(planner.session, planner.model, 1e-4, None)
        cpu = time.process_time() - cpu
    finally:
        certified.repair = original
    assert result is not None and result.objective is not None and result.bound is not None
    for phase, (value, bound) in enumerate(repaired):
        print(
            f"{label}: repair {phase + 1}: plan {value:,.2f} against bound {bound:,.2f} "
            f"({(bound - value) / abs(value):.2e} below)"
        )
    print(
        f"{label}: {result.status} {result.objective:,.2f} (bound {result.bound:,.2f}, "
        f"gap {result.mip_gap or 0:.2e}, {result.proof}); {result.lp_solves} HiGHS runs, "
        f"{cpu:.2f} s CPU",
        flush=True,
    )
    return {
        "instance": label,
        "repaired": repaired,
        "objective": result.objective,
        "runs": result.lp_solves,
        "cpu_s": cpu,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", nargs="*", default=["50x20x10x200"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[7])
    ap.add_argument("--no-reference", action="store_true")
    args = ap.parse_args()
    if not args.no_reference:
        measure(REFERENCE.name, REFERENCE)
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            n_hw, n_tiers, n_periods, n_points = (int(v) for v in size.split("x"))
            for seed in args.seeds:
                folder = Path(tmp) / f"{size}-{seed}"
                folder.mkdir()
                path = synthetic(n_hw, n_tiers, n_periods, n_points, folder, seed=seed)
                measure(f"{size} s{seed}", path)


if __name__ == "__main__":
    main()
