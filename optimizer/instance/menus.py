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
    reference_price: float | Mapping[Any, float],
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
        P0, USD per Mtok (> 0): a price at which demand is known; a number, or a
        {period: USD/Mtok} mapping (it then takes ``multipliers``).
    reference_demand:
        D0, Mtok per period at P0: a number, or a {period: Mtok} mapping.
    elasticity:
        e <= 0: the relative change of demand per relative change of price.
    prices, multipliers:
        The menu's prices (USD/Mtok, > 0), or factors of P0 (> 0); exactly one of them.

    With a mapping for P0 or D0 every entry's demand (and, for P0, price) is per period:
    ``price[p] = P0[p] * m``, ``demand[p] = D0[p] * (price[p] / P0[p]) ** e``.

    Raises
    ------
    ValueError
        On a non-positive price, a positive elasticity, or neither/both price lists.
    """
    if (prices is None) == (multipliers is None):
        raise ValueError("give exactly one of prices_usd_per_mtok and price_multipliers")
    p0 = dict(reference_price) if isinstance(reference_price, Mapping) else None
    d0 = dict(reference_demand) if isinstance(reference_demand, Mapping) else None
    for value in p0.values() if p0 is not None else [reference_price]:
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ValueError(f"reference_price_usd_per_mtok must be > 0 (got {value!r})")
    if not (isinstance(elasticity, int | float) and math.isfinite(elasticity) and elasticity <= 0):
        raise ValueError(f"elasticity must be <= 0 (got {elasticity!r})")
    if p0 is not None and d0 is not None and {str(k) for k in p0} != {str(k) for k in d0}:
        raise ValueError(
            "reference_price_usd_per_mtok and reference_demand_mtok name different periods"
        )
    if p0 is not None and prices is not None:
        raise ValueError("a per-period reference price takes price_multipliers")
    factors = list(multipliers) if multipliers is not None else list(prices or ())
    if not factors:
        raise ValueError("the menu needs at least one price")
    for x in factors:
        if not (isinstance(x, int | float) and math.isfinite(x) and x > 0):
            raise ValueError(f"menu prices and multipliers must be > 0 (got {x!r})")

    def ref_price(p: Any) -> float:
        return float(p0[p]) if p0 is not None else float(reference_price)  # type: ignore[arg-type]

    def ref_demand(p: Any) -> float:
        if d0 is None:
            return float(reference_demand)  # type: ignore[arg-type]
        by_text = {str(k): float(v) for k, v in d0.items()}
        return by_text[str(p)]

    periods = list(p0 if p0 is not None else d0 if d0 is not None else [None])
    entries = []
    for x in factors:
        price = {p: float(x) if prices is not None else ref_price(p) * x for p in periods}
        demand = {p: ref_demand(p) * (price[p] / ref_price(p)) ** elasticity for p in periods}
        if periods == [None]:  # one price and one demand for every period
            entries.append({"price_usd_per_mtok": price[None], "demand_mtok": demand[None]})
        else:
            flat = len(set(price.values())) == 1
            entries.append(
                {
                    "price_usd_per_mtok": next(iter(price.values())) if flat else price,
                    "demand_mtok": demand,
                }
            )
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
            spec["reference_price_usd_per_mtok"],
            spec["reference_demand_mtok"],
            spec["elasticity"],
            prices=spec.get("prices_usd_per_mtok"),
            multipliers=spec.get("price_multipliers"),
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"price_menu: {exc}") from None
