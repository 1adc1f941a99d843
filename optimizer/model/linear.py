"""Sums of parameter-times-variable terms, built as one expression node.

``sum(c * x for c, x in terms)`` makes Pyomo dispatch two operators per term (the product,
then appending it to the growing sum); on the 100 x 40 x 20 x 200 ladder instance the
objective's 44,000 terms took a fifth of building the model. :func:`linear_sum` builds the
very expression that sum gives (a ``LinearExpression`` of ``MonomialTermExpression`` terms,
the same objects in the same order) in one step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyomo.common.numeric_types import native_numeric_types
from pyomo.core.expr import LinearExpression, MonomialTermExpression


def linear_sum(terms: Iterable[tuple[Any, Any]]) -> Any:
    """``sum(coef * var for coef, var in terms)``, the same expression, built directly.

    Each ``coef`` is a parameter or an expression of parameters and each ``var`` a
    variable; a plain number as a coefficient (which Pyomo may simplify: ``1 * x`` is
    ``x``) is left to Python's ``sum``.
    """
    pairs = list(terms)
    if any(c.__class__ in native_numeric_types for c, _ in pairs):
        return sum(c * v for c, v in pairs)
    monomials = [MonomialTermExpression((c, v)) for c, v in pairs]
    if len(monomials) < 2:
        return monomials[0] if monomials else 0
    return LinearExpression(monomials)
