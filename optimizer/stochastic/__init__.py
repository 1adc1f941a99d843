"""Decisions under uncertainty: one first-stage purchase for many scenarios (docs/model.md,
"Two-stage plans over scenarios").

``solve(instance, scenarios, ...)`` returns a :class:`TwoStagePlan`. The flow:
:mod:`~optimizer.stochastic.scenarios` (read, check, draw, apply) ->
:mod:`~optimizer.stochastic.model` (the planner's model per scenario, mpi-sppy's
``scenario_creator``) -> :mod:`~optimizer.stochastic.engine` (wait and see, EV/EEV,
extensive form or progressive hedging) -> :mod:`~optimizer.stochastic.result` (the
result and its figures) -> :mod:`~optimizer.plots.stochastic` (plots).
"""

from optimizer.stochastic.engine import solve
from optimizer.stochastic.options import StochasticOptions
from optimizer.stochastic.result import TwoStagePlan
from optimizer.stochastic.scenarios import Scenarios, load_scenarios, scenarios_from_sets

__all__ = [
    "Scenarios",
    "StochasticOptions",
    "TwoStagePlan",
    "load_scenarios",
    "scenarios_from_sets",
    "solve",
]
