"""Price menus from demand curves (docs/model.md, `price_menu`).

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

A constant elasticity has no choke price and no market size: demand grows without bound as
the price falls. Two curves that have both, each through the same reference point:

* ``curve: linear``: ``D(X) = M * max(0, 1 - X / C)``, from the market size M at price 0
  down to nothing at the choke price C. Give C (``choke_price_usd_per_mtok`` > P0), M
  (``market_size_mtok`` > D0) or both (they must then agree with the reference point within
  1 %); the reference point fixes the other: ``M = D0 * C / (C - P0)``,
  ``C = P0 * M / (M - D0)``. Revenue X * D(X) is largest at X = C / 2.
* ``curve: logistic``: ``D(X) = M / (1 + exp((X - X_mid) / s))``, saturating at M
  (``market_size_mtok`` > D0) as the price falls, half of it at X_mid. Give one of the
  steepness s (``steepness_usd_per_mtok`` > 0), X_mid (``midpoint_price_usd_per_mtok``) or
  the choke price C (``choke_price_usd_per_mtok``, where demand falls to 1 % of M); the
  reference point fixes the rest: ``X_mid = P0 - s * ln(M / D0 - 1)``.

From YAML::

    price_menu:
      curve: linear                         # or logistic; constant_elasticity by default
      reference_price_usd_per_mtok: 2.0     # scalar or {period: value}, as every figure here
      reference_demand_mtok: 6.0e9
      choke_price_usd_per_mtok: 8.0         # linear: or market_size_mtok
      price_multipliers: [0.5, 1, 2, 3]     # or prices_usd_per_mtok
      source: "where each figure comes from"  # text, kept for people
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

SPEC_KEYS = {
    "reference_price_usd_per_mtok",
    "reference_demand_mtok",
    "elasticity",
    "prices_usd_per_mtok",
    "price_multipliers",
}
GRID_KEYS = {"prices_usd_per_mtok", "price_multipliers"}
REFERENCE_KEYS = {"reference_price_usd_per_mtok", "reference_demand_mtok"}
# The keys of each curve's spec; ``curve`` and ``source`` (text) are accepted by all.
CURVE_KEYS = {
    "constant_elasticity": SPEC_KEYS | {"curve", "source"},
    "linear": REFERENCE_KEYS
    | GRID_KEYS
    | {"choke_price_usd_per_mtok", "market_size_mtok", "curve", "source"},
    "logistic": REFERENCE_KEYS
    | GRID_KEYS
    | {
        "market_size_mtok",
        "steepness_usd_per_mtok",
        "midpoint_price_usd_per_mtok",
        "choke_price_usd_per_mtok",
        "curve",
        "source",
    },
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
        entries.append(_entry(price, demand))
    return entries


def _entry(price: Mapping[Any, float], demand: Mapping[Any, float]) -> dict[str, Any]:
    """One menu entry from per-period prices and demands (key None: every period alike);
    a price that is the same in every period is written once."""
    if list(price) == [None]:
        return {"price_usd_per_mtok": price[None], "demand_mtok": demand[None]}
    flat = len(set(price.values())) == 1
    return {
        "price_usd_per_mtok": next(iter(price.values())) if flat else dict(price),
        "demand_mtok": dict(demand),
    }


Figure = float | Mapping[Any, float]


def _per_period(named: dict[str, Figure | None]) -> list[Any]:
    """The periods the mapping figures name (all the same ones), or [None] for scalars."""
    keys: dict[str, Any] | None = None
    first = ""
    for name, value in named.items():
        if isinstance(value, Mapping):
            these = {str(k): k for k in value}
            if keys is None:
                keys, first = these, name
            elif set(these) != set(keys):
                raise ValueError(f"{first} and {name} name different periods")
    return [None] if keys is None else list(keys.values())


def _at(name: str, value: Figure | None, period: Any) -> float | None:
    """A scalar-or-mapping figure in one period (None when not given)."""
    if value is None:
        return None
    where = name
    if isinstance(value, Mapping):
        by_text = {str(k): v for k, v in value.items()}
        value = by_text[str(period)]
        where = f"{name}[{period}]"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}: {value!r} is not a finite number")
    return float(value)


def _curve_menu(
    demand_at: Any,
    reference_price: Figure,
    named: dict[str, Figure | None],
    prices: Sequence[float] | None,
    multipliers: Sequence[float] | None,
) -> list[dict[str, Any]]:
    """Menu entries on a curve: ``demand_at(price, figures of the period)`` per period."""
    if (prices is None) == (multipliers is None):
        raise ValueError("give exactly one of prices_usd_per_mtok and price_multipliers")
    grid = multipliers if multipliers is not None else prices
    if isinstance(grid, str | bytes) or not isinstance(grid, Sequence):
        key = "price_multipliers" if multipliers is not None else "prices_usd_per_mtok"
        raise ValueError(f"{key}: a list of numbers, e.g. [0.5, 1, 2] (got {grid!r})")
    factors = list(grid)
    if not factors:
        raise ValueError("the menu needs at least one price")
    for x in factors:
        if isinstance(x, bool) or not (isinstance(x, int | float) and math.isfinite(x) and x > 0):
            raise ValueError(f"menu prices and multipliers must be > 0 (got {x!r})")
    named = {"reference_price_usd_per_mtok": reference_price, **named}
    periods = _per_period(named)
    figures = {p: {k: _at(k, v, p) for k, v in named.items()} for p in periods}
    entries = []
    for x in factors:
        price = {
            p: float(x) if prices is not None else float(f["reference_price_usd_per_mtok"] or 0) * x
            for p, f in figures.items()
        }
        demand = {p: demand_at(price[p], figures[p]) for p in periods}
        entries.append(_entry(price, demand))
    return entries


def _positive(name: str, value: float | None) -> float:
    if value is None or not value > 0:
        raise ValueError(f"{name} must be > 0 (got {value!r})")
    return value


# A logistic curve never reaches zero: its choke price is where demand falls to this share
# of the market size.
CHOKE_SHARE = 0.01
# Given both a linear curve's choke price and market size, the line through them must pass
# within this relative distance of the reference point (rounded sourced figures).
CONSISTENCY = 0.01


def linear_demand_menu(
    reference_price: Figure,
    reference_demand: Figure,
    *,
    choke_price: Figure | None = None,
    market_size: Figure | None = None,
    prices: Sequence[float] | None = None,
    multipliers: Sequence[float] | None = None,
) -> list[dict[str, Any]]:
    """Menu entries on a linear demand curve through (P0, D0): ``D(X) = M * max(0, 1 - X / C)``.

    Give the choke price C (USD/Mtok, > P0: demand is zero from there on), the market
    size M (Mtok per period at price 0, > D0), or both: the reference point fixes the one
    not given (``M = D0 * C / (C - P0)``, ``C = P0 * M / (M - D0)``); given both, the
    curve is the line through (P0, D0) and C, and M must agree with it within 1 %
    (:data:`CONSISTENCY`). Each figure is a number or a {period: value} mapping;
    ``prices`` (USD/Mtok) or ``multipliers`` (of P0) give the menu's prices.

    Raises
    ------
    ValueError
        On a non-positive figure, C <= P0, M <= D0, neither of C and M, or both and
        inconsistent with the reference point.
    """
    if choke_price is None and market_size is None:
        raise ValueError("a linear curve takes choke_price_usd_per_mtok or market_size_mtok")

    def demand(x: float, f: dict[str, float | None]) -> float:
        p0 = _positive("reference_price_usd_per_mtok", f["reference_price_usd_per_mtok"])
        d0 = _positive("reference_demand_mtok", f["reference_demand_mtok"])
        choke, size = f["choke_price_usd_per_mtok"], f["market_size_mtok"]
        if choke is not None and not choke > p0:
            raise ValueError(
                f"choke_price_usd_per_mtok ({choke:g}) must exceed the reference price ({p0:g})"
            )
        if size is not None and not size > d0:
            raise ValueError(
                f"market_size_mtok ({size:g}) must exceed the reference demand ({d0:g})"
            )
        if choke is None:
            assert size is not None
            choke = p0 * size / (size - d0)
        implied = d0 * choke / (choke - p0)
        if size is not None and abs(size - implied) > CONSISTENCY * implied:
            raise ValueError(
                f"market_size_mtok ({size:g}) disagrees with the line through the reference "
                f"point ({p0:g}, {d0:g}) and the choke price {choke:g}, whose market size is "
                f"{implied:g}: give one of the two, or figures that agree within 1 %"
            )
        return implied * max(0.0, 1.0 - x / choke)

    return _curve_menu(
        demand,
        reference_price,
        {
            "reference_demand_mtok": reference_demand,
            "choke_price_usd_per_mtok": choke_price,
            "market_size_mtok": market_size,
        },
        prices,
        multipliers,
    )


def logistic_demand_menu(
    reference_price: Figure,
    reference_demand: Figure,
    market_size: Figure,
    *,
    steepness: Figure | None = None,
    midpoint_price: Figure | None = None,
    choke_price: Figure | None = None,
    prices: Sequence[float] | None = None,
    multipliers: Sequence[float] | None = None,
) -> list[dict[str, Any]]:
    """Menu entries on ``D(X) = M / (1 + exp((X - X_mid) / s))`` through (P0, D0).

    M: the market size (Mtok per period, > D0) demand saturates at as the price falls.
    Give one of the steepness s (USD/Mtok, > 0), the midpoint price X_mid (where demand is
    M / 2) or the choke price C (> P0, where demand falls to 1 % of M,
    :data:`CHOKE_SHARE`); the reference point fixes the rest. With a = ln(M / D0 - 1):
    ``X_mid = P0 - s * a``; from C, ``s = (C - P0) / (ln(1 / CHOKE_SHARE - 1) - a)``.
    Figures are numbers or {period: value} mappings, as in :func:`linear_demand_menu`.

    Raises
    ------
    ValueError
        On a non-positive figure, M <= D0, not exactly one of s, X_mid and C, or one that
        does not fit the reference point (it would need s <= 0).
    """
    given = [x for x in (steepness, midpoint_price, choke_price) if x is not None]
    if len(given) != 1:
        raise ValueError(
            "a logistic curve takes one of steepness_usd_per_mtok, midpoint_price_usd_per_mtok "
            "and choke_price_usd_per_mtok (the reference point fixes the others)"
        )

    def demand(x: float, f: dict[str, float | None]) -> float:
        p0 = _positive("reference_price_usd_per_mtok", f["reference_price_usd_per_mtok"])
        d0 = _positive("reference_demand_mtok", f["reference_demand_mtok"])
        size = _positive("market_size_mtok", f["market_size_mtok"])
        if not size > d0:
            raise ValueError(
                f"market_size_mtok ({size:g}) must exceed the reference demand ({d0:g})"
            )
        odds = math.log(size / d0 - 1.0)  # (P0 - X_mid) / s
        if f["steepness_usd_per_mtok"] is not None:
            s = _positive("steepness_usd_per_mtok", f["steepness_usd_per_mtok"])
            mid = p0 - s * odds
        elif f["choke_price_usd_per_mtok"] is not None:
            choke = f["choke_price_usd_per_mtok"]
            at_choke = math.log(1.0 / CHOKE_SHARE - 1.0)  # (C - X_mid) / s
            if not choke > p0 or not at_choke > odds:
                raise ValueError(
                    f"choke_price_usd_per_mtok ({choke:g}) must exceed the reference price "
                    f"({p0:g}), and the reference demand ({d0:g}) must exceed "
                    f"{CHOKE_SHARE:.0%} of the market ({size:g})"
                )
            s = (choke - p0) / (at_choke - odds)
            mid = p0 - s * odds
        else:
            mid = f["midpoint_price_usd_per_mtok"] or 0.0
            if odds == 0.0 or not (p0 - mid) / odds > 0:
                raise ValueError(
                    f"midpoint_price_usd_per_mtok ({mid:g}) does not fit the reference point: "
                    f"demand {d0:g} of {size:g} at {p0:g} puts the midpoint "
                    + ("at it" if odds == 0.0 else ("below it" if odds > 0 else "above it"))
                )
            s = (p0 - mid) / odds
        z = (x - mid) / s
        return 0.0 if z > 700 else size / (1.0 + math.exp(z))

    return _curve_menu(
        demand,
        reference_price,
        {
            "reference_demand_mtok": reference_demand,
            "market_size_mtok": market_size,
            "steepness_usd_per_mtok": steepness,
            "midpoint_price_usd_per_mtok": midpoint_price,
            "choke_price_usd_per_mtok": choke_price,
        },
        prices,
        multipliers,
    )


# How each YAML key of a demand-curve spec reaches its curve's function, which keys a curve
# needs, and the function of each curve.
_SPEC_ARGS = {
    "reference_price_usd_per_mtok": "reference_price",
    "reference_demand_mtok": "reference_demand",
    "elasticity": "elasticity",
    "market_size_mtok": "market_size",
    "choke_price_usd_per_mtok": "choke_price",
    "steepness_usd_per_mtok": "steepness",
    "midpoint_price_usd_per_mtok": "midpoint_price",
    "prices_usd_per_mtok": "prices",
    "price_multipliers": "multipliers",
}
_REQUIRED_KEYS = {
    "constant_elasticity": ("reference_price_usd_per_mtok", "reference_demand_mtok", "elasticity"),
    "linear": ("reference_price_usd_per_mtok", "reference_demand_mtok"),
    "logistic": ("reference_price_usd_per_mtok", "reference_demand_mtok", "market_size_mtok"),
}
_CURVE_MENUS: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "constant_elasticity": constant_elasticity_menu,
    "linear": linear_demand_menu,
    "logistic": logistic_demand_menu,
}


def expand_menu_spec(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The entries of a YAML demand-curve spec (see the module docstring)."""
    curve = spec.get("curve", "constant_elasticity")
    if curve not in CURVE_KEYS:
        raise ValueError(
            f"price_menu.curve: {curve!r} is not one of {', '.join(sorted(CURVE_KEYS))}"
        )
    if "source" in spec and not isinstance(spec["source"], str):
        raise ValueError("price_menu.source: must be text")
    unknown = sorted(set(spec) - CURVE_KEYS[curve])
    if unknown:
        raise ValueError(
            f"price_menu: unknown key(s) {', '.join(unknown)} (a {curve} spec "
            f"takes {', '.join(sorted(CURVE_KEYS[curve]))})"
        )
    for key in _REQUIRED_KEYS[curve]:
        if key not in spec:
            raise ValueError(f"price_menu.{key}: required key is missing")
    args = {arg: spec[key] for key, arg in _SPEC_ARGS.items() if key in spec}
    where = "price_menu" if curve == "constant_elasticity" else f"price_menu ({curve})"
    try:
        return _CURVE_MENUS[curve](**args)
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"{where}: {exc}") from None
