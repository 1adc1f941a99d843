"""Planner for AI inference factories.

Which hardware to buy, and how to split its capacity across token tiers, to make
the most money under power, land and latency limits. A Pyomo MILP solved with HiGHS.

>>> from optimizer import load_instance, solve
>>> plan = solve("instances/toy.yaml")          # doctest: +SKIP
>>> plan.objective_usd, plan.buy                 # doctest: +SKIP

The names below are imported on first use (PEP 562), so ``import optimizer`` and the
command line's ``--help`` do not load pandas or Pyomo.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> module that defines it.
_EXPORTS = {
    "Coefficients": "optimizer.frontiers.coefficients",
    "compute_coefficients": "optimizer.frontiers.coefficients",
    "read_frontier_table": "optimizer.frontiers.table",
    "load_instance": "optimizer.instance.load",
    "constant_elasticity_menu": "optimizer.instance.menus",
    "Hardware": "optimizer.instance.schema",
    "Instance": "optimizer.instance.schema",
    "Site": "optimizer.instance.schema",
    "Tier": "optimizer.instance.schema",
    "build_model": "optimizer.model.build",
    "ModelData": "optimizer.model.data",
    "Plan": "optimizer.results.plan",
    "Planner": "optimizer.planning.planner",
    "SolveOptions": "optimizer.solver.options",
    "solve": "optimizer.planning.planner",
    "InputError": "optimizer.errors",
}

__all__ = [
    "Coefficients",
    "Hardware",
    "InputError",
    "Instance",
    "ModelData",
    "Plan",
    "Planner",
    "Site",
    "SolveOptions",
    "Tier",
    "build_model",
    "compute_coefficients",
    "constant_elasticity_menu",
    "load_instance",
    "read_frontier_table",
    "solve",
]

if TYPE_CHECKING:
    from optimizer.errors import InputError
    from optimizer.frontiers.coefficients import Coefficients, compute_coefficients
    from optimizer.frontiers.table import read_frontier_table
    from optimizer.instance.load import load_instance
    from optimizer.instance.menus import constant_elasticity_menu
    from optimizer.instance.schema import Hardware, Instance, Site, Tier
    from optimizer.model.build import build_model
    from optimizer.model.data import ModelData
    from optimizer.planning.planner import Planner, solve
    from optimizer.results.plan import Plan
    from optimizer.solver.options import SolveOptions


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # next access is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
