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

import sys
import types
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
    "Planner": "optimizer.solve.planner",
    "SolveOptions": "optimizer.solve.options",
    "solve": "optimizer.solve.planner",
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
    from optimizer.results.plan import Plan
    from optimizer.solve.options import SolveOptions
    from optimizer.solve.planner import Planner, solve


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # next access is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


class _Package(types.ModuleType):
    """``optimizer.solve`` is the function, although a subpackage has the same name.

    Importing the subpackage ``optimizer.solve`` makes Python set the package attribute
    ``solve`` to it; this data descriptor keeps the attribute the function (as an eager
    ``from optimizer.solve.planner import solve`` in this file used to). Submodules are
    still imported by their dotted names (``from optimizer.solve.planner import Planner``).
    """

    @property
    def solve(self) -> Any:
        return import_module("optimizer.solve.planner").solve

    @solve.setter
    def solve(self, value: Any) -> None:  # the import system's setattr: keep the function
        pass


sys.modules[__name__].__class__ = _Package
