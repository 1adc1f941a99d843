"""Price menus from a constant-elasticity demand curve (MODEL.md v2 "Price menus").

A price menu lists prices a tier could charge and the Mtok it would sell at each. A
menu is often written from a demand curve rather than by hand. With a constant price
elasticity ``e`` (< 0: demand falls as price rises) through a reference point
``(P0, D0)``, the demand at price ``X`` is::

    D(X) = D0 * (X / P0) ** e

so ``e = -1`` keeps spend ``X * D(X)`` constant, ``e < -1`` (elastic) makes a lower
price earn more, ``-1 < e < 0`` (inelastic) makes a higher price earn more.

From Python::

    constant_elasticity_menu(10.0, 1e9, -1.5, prices=[5, 10, 20])

From YAML, under a tier, a mapping in place of the list (expanded when loaded)::

    price_menu:
      reference_price_usd_per_mtok: 10
      reference_demand_mtok: 1.0e9          # scalar or {period: value}
      elasticity: -1.5
      prices_usd_per_mtok: [5, 10, 20]      # or price_multipliers: [0.5, 1, 2]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

SPEC_KEYS = {
    "reference_price_usd_per_mtok",
    "reference_demand_mtok",
    "elasticity",
    "prices_usd_per_mtok",
    "price_multipliers",
}

Demand = float | Mapping[Any, float]


def constant_elasticity_menu(
    reference_price: float,
    reference_demand: Demand,
    elasticity: float,
    *,
    prices: Sequence[float] | None = None,
    multipliers: Sequence[float] | None = None,
) -> list[dict[str, Any]]:
    """Menu entries ``{price_usd_per_mtok, demand_mtok}`` on a constant-elasticity curve.

    Parameters
    ----------
    reference_price:
        P0, USD per Mtok (> 0): a price at which demand is known.
    reference_demand:
        D0, Mtok per period at P0: a number, or a {period: Mtok} mapping (the entries'
        demand is then per period too).
    elasticity:
        e <= 0: the relative change of demand per relative change of price.
    prices, multipliers:
        The menu's prices (USD/Mtok, > 0), or factors of P0; exactly one of them.

    Raises
    ------
    ValueError
        On a non-positive price, a positive elasticity, or neither/both price lists.
    """
    if (prices is None) == (multipliers is None):
        raise ValueError("give exactly one of prices_usd_per_mtok and price_multipliers")
    if not (math.isfinite(reference_price) and reference_price > 0):
        raise ValueError(f"reference_price_usd_per_mtok must be > 0 (got {reference_price!r})")
    if not (math.isfinite(elasticity) and elasticity <= 0):
        raise ValueError(f"elasticity must be <= 0 (got {elasticity!r})")
    points = (
        list(prices) if prices is not None else [reference_price * m for m in multipliers or ()]
    )
    if not points:
        raise ValueError("the menu needs at least one price")
    entries = []
    for x in points:
        if not (isinstance(x, int | float) and math.isfinite(x) and x > 0):
            raise ValueError(f"menu prices must be > 0 (got {x!r})")
        factor = (x / reference_price) ** elasticity
        demand: Any
        if isinstance(reference_demand, Mapping):
            demand = {p: float(d) * factor for p, d in reference_demand.items()}
        else:
            demand = float(reference_demand) * factor
        entries.append({"price_usd_per_mtok": float(x), "demand_mtok": demand})
    return entries


def expand_menu_spec(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The entries of a YAML constant-elasticity spec (see the module docstring)."""
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise ValueError(
            f"price_menu: unknown key(s) {', '.join(unknown)} (a constant-elasticity spec "
            f"takes {', '.join(sorted(SPEC_KEYS))})"
        )
    for key in ("reference_price_usd_per_mtok", "reference_demand_mtok", "elasticity"):
        if key not in spec:
            raise ValueError(f"price_menu.{key}: required key is missing")
    try:
        return constant_elasticity_menu(
            float(spec["reference_price_usd_per_mtok"]),
            spec["reference_demand_mtok"],
            float(spec["elasticity"]),
            prices=spec.get("prices_usd_per_mtok"),
            multipliers=spec.get("price_multipliers"),
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"price_menu: {exc}") from None
