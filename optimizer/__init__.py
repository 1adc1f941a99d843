"""Planner for AI inference factories.

Which hardware to buy, and how to split its capacity across token tiers, to make
the most money under power, land and latency limits. A Pyomo MILP solved with HiGHS.

>>> from optimizer import load_instance, solve
>>> plan = solve("instances/toy.yaml")          # doctest: +SKIP
>>> plan.objective_usd, plan.buy                 # doctest: +SKIP
"""

from optimizer.errors import InputError
from optimizer.frontiers.coefficients import Coefficients, compute_coefficients
from optimizer.frontiers.table import read_frontier_table
from optimizer.instance.load import load_instance
from optimizer.instance.schema import Hardware, Instance, Site, Tier
from optimizer.model.build import build_model
from optimizer.model.data import ModelData
from optimizer.results.plan import Plan
from optimizer.solve.options import SolveOptions
from optimizer.solve.planner import Planner, solve

__all__ = [
    "Coefficients",
    "Hardware",
    "Instance",
    "InputError",
    "ModelData",
    "Plan",
    "Planner",
    "Site",
    "SolveOptions",
    "Tier",
    "build_model",
    "compute_coefficients",
    "load_instance",
    "read_frontier_table",
    "solve",
]
__version__ = "0.1.0"
