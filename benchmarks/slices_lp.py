"""Why a time-sliced model's LP relaxation costs more than its share: the figures.

``python benchmarks/scale.py --slices 3`` times the whole solve step; this script isolates
the step that grows most with slices, the LP relaxation the certified strategy solves first
(every integer column continuous, docs/model.md "Solve strategy", step 0), on the seeded
50 x 20 x 10 x 200 ladder instance (or ``--size``) without slices and with ``--slices``
(the diurnal profile of ``scale.diurnal``), and prints, each the median CPU seconds of
``--repeat`` runs of HiGHS on a fresh copy of the model:

* the LP from scratch, one slice and n slices, with HiGHS's simplex iterations;
* the n-slice LP under HiGHS options that could change its cost (edge weights, scaling,
  pricing, presolve off, primal simplex, interior point);
* warm starts of the n-slice LP: from its own optimum as a primal start (the best any
  cheap start could give), and restricted to the serving columns its optimum uses (an
  oracle: no cheap guess of that set exists) then released, by dual and by primal simplex;
* a re-solve that changes nothing, one slice and n slices (HiGHS's fixed cost per run,
  which each LP of the dive pays).

    python benchmarks/slices_lp.py
    python benchmarks/slices_lp.py --slices 3 --repeat 5 --size 50x20x10x200

Figures are CPU seconds on the machine that runs it (shared: compare within one run).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import highspy
import numpy as np

from optimizer import Instance, Planner, load_instance
from optimizer.solver.options import SolveOptions

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402  (benchmarks/ is not a package)
from record import Record  # noqa: E402

OPTIONS: list[dict[str, Any]] = [
    {"simplex_dual_edge_weight_strategy": 1},  # devex
    {"simplex_scale_strategy": 4},  # max value
    {"simplex_price_strategy": 1},  # by row
    {"presolve": "off"},
    {"simplex_strategy": 4},  # primal
    {"solver": "ipm"},
]


def loaded(inst: Instance) -> tuple[Any, Planner]:
    """The instance's model as HiGHS holds it after the load, and its planner."""
    planner = Planner(inst, SolveOptions(mip_gap=1e-4, marginals=False, verify=False))
    session = planner.session
    assert session is not None
    session.solver.set_instance(planner.model)
    return session.highs.getModel(), planner


def fresh(model: Any, options: dict[str, Any] | None = None) -> Any:
    """A new HiGHS holding ``model`` with every column continuous (the LP relaxation)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(model)
    n = h.getLp().num_col_
    every = np.arange(n, dtype=np.int32)
    h.changeColsIntegrality(n, every, np.full(n, highspy.HighsVarType.kContinuous))
    for key, val in (options or {}).items():
        h.setOptionValue(key, val)
    return h


def cpu(h: Any) -> tuple[float, int]:
    """CPU seconds and simplex iterations of one run of ``h``."""
    start = time.process_time()
    h.run()
    return time.process_time() - start, int(h.getInfo().simplex_iteration_count)


def median(trial: Callable[[], tuple[float, int]], repeat: int) -> tuple[float, int]:
    runs = [trial() for _ in range(repeat)]
    return float(np.median([r[0] for r in runs])), runs[0][1]


def serving_columns(planner: Planner) -> np.ndarray:
    """HiGHS columns of serve[h,t,p,s] (the n-slice model's serving columns)."""
    session = planner.session
    assert session is not None
    col_of = session.solver._pyomo_var_to_solver_var_map
    model = planner.model
    assert model is not None
    cols = [col_of[id(v)] for v in model.serve_slice.values() if id(v) in col_of]
    return np.array(sorted(cols), dtype=np.int32)


def warm_starts(model: Any, planner: Planner, repeat: int) -> dict[str, tuple[float, int]]:
    """The n-slice LP from its own optimum, and restricted to the columns it uses."""
    h = fresh(model)
    h.run()
    optimum = np.asarray(h.getSolution().col_value, dtype=float)
    out: dict[str, tuple[float, int]] = {}

    def primal_start() -> tuple[float, int]:
        g = fresh(model)
        sol = highspy.HighsSolution()
        sol.col_value = list(optimum)
        sol.value_valid = True
        g.setSolution(sol)
        return cpu(g)

    out["from its optimum (primal start)"] = median(primal_start, repeat)
    serve = serving_columns(planner)
    unused = serve[optimum[serve] <= 1e-9]
    for label, strategy in (("dual", 1), ("primal", 4)):

        def restricted(strategy: int = strategy) -> tuple[float, int]:
            g = fresh(model)
            lower = np.asarray(g.getLp().col_lower_, dtype=float)[unused]
            upper = np.asarray(g.getLp().col_upper_, dtype=float)[unused]
            g.changeColsBounds(len(unused), unused, lower, lower)
            first, its = cpu(g)
            g.changeColsBounds(len(unused), unused, lower, upper)
            g.setOptionValue("simplex_strategy", strategy)
            second, more = cpu(g)
            return first + second, its + more

        out[f"oracle columns, then all ({label})"] = median(restricted, repeat)
    out["(oracle: serving columns kept)"] = (float(len(serve) - len(unused)), len(serve))
    return out


def no_op_ms(model: Any, runs: int = 20) -> float:
    """Milliseconds of a re-solve after which nothing changed (the optimal basis kept)."""
    h = fresh(model)
    h.run()
    times = [cpu(h)[0] for _ in range(runs)]
    return 1000.0 * float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--size", default="50x20x10x200")
    ap.add_argument("--slices", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    record = Record("slices_lp")
    with tempfile.TemporaryDirectory() as tmp:
        n_hw, n_tiers, n_periods, n_points = (int(v) for v in args.size.split("x"))
        path = scale.synthetic(n_hw, n_tiers, n_periods, n_points, Path(tmp))
        one = scale.no_slices(load_instance(path))
        many = scale.diurnal(one, args.slices)
        model_1, _ = loaded(one)
        model_n, planner_n = loaded(many)
    lp_1 = median(lambda: cpu(fresh(model_1)), args.repeat)
    lp_n = median(lambda: cpu(fresh(model_n)), args.repeat)
    print(f"{args.size}, {args.slices} slices against none: the LP relaxation from scratch")
    print(f"  one slice   {lp_1[0]:.4f} s CPU, {lp_1[1]} iterations")
    print(
        f"  {args.slices} slices    {lp_n[0]:.4f} s CPU, {lp_n[1]} iterations "
        f"({lp_n[0] / lp_1[0]:.2f}x)"
    )
    figures: dict[str, Any] = {"size": args.size, "slices": args.slices, "lp_1": lp_1}
    figures["lp_n"] = lp_n
    print(f"{args.slices}-slice LP under HiGHS options (default {lp_n[0]:.4f} s):")
    by_option: dict[str, tuple[float, int]] = {}
    for opts in OPTIONS:
        key = ", ".join(f"{k}={v}" for k, v in opts.items())

        def trial(opts: dict[str, Any] = opts) -> tuple[float, int]:
            return cpu(fresh(model_n, opts))

        by_option[key] = median(trial, args.repeat)
        print(f"  {key:<40} {by_option[key][0]:.4f} s, {by_option[key][1]} iterations")
    figures["options"] = by_option
    print(f"{args.slices}-slice LP, warm starts:")
    warm = warm_starts(model_n, planner_n, args.repeat)
    for key, (sec, its) in warm.items():
        if key.startswith("("):
            print(f"  {key:<40} {int(sec)} of {its}")
        else:
            print(f"  {key:<40} {sec:.4f} s, {its} iterations")
    figures["warm"] = warm
    ms_1, ms_n = no_op_ms(model_1), no_op_ms(model_n)
    print(f"a re-solve that changes nothing: {ms_1:.2f} ms one slice, {ms_n:.2f} ms {args.slices}")
    figures["no_op_ms"] = {"one": ms_1, "many": ms_n}
    record.write(figures)


if __name__ == "__main__":
    main()
