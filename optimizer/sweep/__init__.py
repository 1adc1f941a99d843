"""What-if sweeps: scenarios of a base instance, solved in place, locally or on a cluster."""

from optimizer.sweep.run import SolveOptions, SweepResult, plan_row, run_sweep
from optimizer.sweep.spec import (
    KeyPath,
    Values,
    build_scenarios,
    parse_key,
    parse_set,
    scenario_instance,
)

__all__ = [
    "KeyPath",
    "SolveOptions",
    "SweepResult",
    "Values",
    "build_scenarios",
    "parse_key",
    "parse_set",
    "plan_row",
    "run_sweep",
    "scenario_instance",
]
