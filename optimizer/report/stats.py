"""Figures of a distribution of outcomes: percentiles, CDF, how often hardware is bought,
and which inputs move the objective most. Plain numpy/pandas, probability-weighted."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd

PERCENTILES = (10, 50, 90)
Values: TypeAlias = "Sequence[float] | np.ndarray"
_BOUGHT = re.compile(r"^bought\[(?P<hw>[^,\]]+),(?P<period>[^\]]+)\]$")
_UNITS = re.compile(r"^units_bought\[(?P<hw>.+)\]$")


def weighted_percentile(values: Values, weights: Values, q: float) -> float:
    """The smallest value whose cumulative probability reaches ``q`` percent.

    With equal weights on 1..10, P10 = 1, P50 = 5, P90 = 9 (the lower quantile, an
    outcome that actually occurred, not an interpolation between two).
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = np.isfinite(v) & np.isfinite(w) & (w > 0)
    v, w = v[keep], w[keep]
    if v.size == 0:
        return math.nan
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    cum = np.cumsum(w) / w.sum()
    i = int(np.searchsorted(cum, q / 100 - 1e-12, side="left"))
    return float(v[min(i, v.size - 1)])


def summary(values: Values, weights: Values | None = None) -> dict[str, float]:
    """P10, P50, P90, mean, worst (min) and best (max) of the outcomes."""
    v = np.asarray(values, dtype=float)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float)
    keep = np.isfinite(v)
    if not keep.any():
        return {}
    out = {f"p{q}": weighted_percentile(v, w, q) for q in PERCENTILES}
    out["mean"] = float(np.average(v[keep], weights=w[keep])) if w[keep].sum() > 0 else math.nan
    out["worst"] = float(v[keep].min())
    out["best"] = float(v[keep].max())
    return out


def buy_frequency_from_table(table: pd.DataFrame) -> pd.DataFrame:
    """How often each hardware is bought, from a sweep table's purchase columns.

    ``bought[<hw>,<period>]`` columns give it per period; older tables only have
    ``units_bought[<hw>]`` (all periods), reported with period ``all``. Share =
    fraction of scenarios with a plan that buy at least one unit; mean_units = mean
    units over those scenarios (zeros included).
    """
    rows = []
    for col in table.columns:
        m = _BOUGHT.match(str(col)) or _UNITS.match(str(col))
        if m is None:
            continue
        units = pd.to_numeric(table[col], errors="coerce").fillna(0.0)
        rows.append(
            {
                "hardware": m["hw"],
                "period": m.groupdict().get("period") or "all",
                "share": float((units > 0).mean()) if len(units) else 0.0,
                "mean_units": float(units.mean()) if len(units) else 0.0,
            }
        )
    df = pd.DataFrame(rows, columns=["hardware", "period", "share", "mean_units"])
    if (df["period"] != "all").any():
        df = df[df["period"] != "all"]
    return df.reset_index(drop=True)


def input_effects(table: pd.DataFrame, inputs: Sequence[str]) -> pd.DataFrame:
    """Which inputs move the objective most, from the scenarios themselves.

    Per input: the Spearman rank correlation with the objective, and the swing: the
    objective's change from the input's P10 to its P90 along a least-squares line
    fitted to all inputs at once (so inputs drawn together are told apart). Sorted by
    the swing's size.
    """
    y = pd.to_numeric(table.get("objective_usd"), errors="coerce")
    cols = [c for c in inputs if c in table.columns]
    X = table[cols].apply(pd.to_numeric, errors="coerce") if cols else pd.DataFrame()
    keep = y.notna() & (X.notna().all(axis=1) if cols else True)
    y, X = y[keep], X[keep]
    varying = [c for c in cols if X[c].nunique() > 1]
    rows = []
    coef: dict[str, float] = {}
    if varying and len(y) > len(varying):
        A = np.column_stack([X[varying].to_numpy(float), np.ones(len(y))])
        sol, *_ = np.linalg.lstsq(A, y.to_numpy(float), rcond=None)
        coef = dict(zip(varying, sol[:-1], strict=False))
    for c in cols:
        x = X[c]
        if x.nunique() <= 1:
            continue
        lo, hi = float(x.quantile(0.1)), float(x.quantile(0.9))
        rho = float(x.rank().corr(y.rank())) if len(y) > 2 else math.nan
        swing = coef.get(c, math.nan) * (hi - lo)
        rows.append(
            {
                "input": c,
                "input_p10": lo,
                "input_p90": hi,
                "spearman_rho": rho,
                "swing_usd": swing,
            }
        )
    df = pd.DataFrame(
        rows, columns=["input", "input_p10", "input_p90", "spearman_rho", "swing_usd"]
    )
    if df.empty:
        return df
    order = df["swing_usd"].abs().fillna(df["spearman_rho"].abs())
    return df.loc[order.sort_values(ascending=False).index].reset_index(drop=True)
