"""The data of the frontier chart: each hardware's envelope in tokens/s per facility MW, and
the plan's operating points on it (:mod:`optimizer.plots.frontier` draws them).

y = tokens/s per MW of facility power = ``tok_s_per_gpu * gpus_per_unit /
(power_kw * pue / 1000)``; x = tokens/s each user sees (interactivity). One curve per
hardware: the Pareto envelope (docs/model.md step 3) of its rows for one model at one
context.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.errors import InputError
from optimizer.frontiers.coefficients import pareto_envelope
from optimizer.frontiers.table import REQUIRED_COLUMNS
from optimizer.instance.schema import Instance, PeriodLabel, Tier

if TYPE_CHECKING:
    from optimizer.results.plan import Plan

# The table's columns a curve keeps, then the hardware's and the site's.
TABLE_COLUMNS = [*REQUIRED_COLUMNS, "ttft_s"]
SERIES_COLUMNS = [*TABLE_COLUMNS, "gpus_per_unit", "power_kw", "pue", "tok_s_per_mw"]
POINT_COLUMNS = [
    "hardware",
    "tier",
    "interactivity",
    "r_tok_s_per_gpu",
    "tok_s_per_mw",
    "curve_tok_s_per_mw",
    "ttft_limited",
    "units",
    "units_min",
    "first_period",
    "last_period",
    "n_periods",
]


def available_models(table: pd.DataFrame) -> list[str]:
    return sorted(str(m) for m in table["model"].unique())


def default_model(instance: Instance, table: pd.DataFrame) -> str:
    """The model most tiers sell (ties: the first tier's), else the table's first model."""
    in_table = set(available_models(table))
    counts: dict[str, int] = {}
    for t in instance.tiers:
        if t.model in in_table:
            counts[t.model] = counts.get(t.model, 0) + 1
    if counts:
        return max(counts, key=lambda m: counts[m])  # dicts keep first-seen order on ties
    models = available_models(table)
    if not models:
        raise InputError("frontiers: the frontier table has no rows")
    return models[0]


def resolve_model_context(
    instance: Instance,
    table: pd.DataFrame,
    model: str | None = None,
    context_tokens: int | None = None,
) -> tuple[str, int]:
    """Check (or default) the model and context to plot; InputError names what exists."""
    models = available_models(table)
    if model is None:
        model = default_model(instance, table)
    elif model not in models:
        raise InputError(
            f"model: unknown model {model!r}; models in the frontier table: {', '.join(models)}"
        )
    contexts = sorted(int(c) for c in table.loc[table["model"] == model, "context_tokens"].unique())
    if context_tokens is None:
        return model, contexts[0]
    if int(context_tokens) not in contexts:
        raise InputError(
            f"context_tokens: model {model!r} has no rows at context {context_tokens}; "
            f"contexts in the frontier table: {', '.join(str(c) for c in contexts)}"
        )
    return model, int(context_tokens)


def frontier_series(
    instance: Instance,
    table: pd.DataFrame,
    model: str | None = None,
    context_tokens: int | None = None,
) -> pd.DataFrame:
    """The curves the chart draws: each hardware's Pareto envelope, in tokens/s per facility MW.

    One row per envelope point, columns ``SERIES_COLUMNS``; hardware in the instance's
    order, then by interactivity. ``tok_s_per_mw = tok_s_per_gpu * gpus_per_unit /
    (power_kw * pue / 1000)``. Hardware of the table that the instance does not list,
    or that draws no power, is left out.
    """
    model, ctx = resolve_model_context(instance, table, model, context_tokens)
    pue = float(instance.site.pue)
    hw = pd.DataFrame(
        {
            "hardware": [h.id for h in instance.hardware],
            "gpus_per_unit": [h.gpus_per_unit for h in instance.hardware],
            "power_kw": [float(h.power_kw) for h in instance.hardware],
            "_order": range(len(instance.hardware)),
        }
    )
    rows = table[(table["model"] == model) & (table["context_tokens"] == ctx)].copy()
    if "ttft_s" not in rows:
        rows["ttft_s"] = np.nan
    rows = rows[TABLE_COLUMNS]
    rows = rows.merge(hw, on="hardware")
    rows = rows[rows["power_kw"] > 0]
    if rows.empty:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    env = pareto_envelope(rows, ["hardware"])
    env["pue"] = pue
    env["tok_s_per_mw"] = (
        env["tok_s_per_gpu"] * env["gpus_per_unit"] / (env["power_kw"] * pue / 1000.0)
    )
    env = env.sort_values(["_order", "interactivity"]).reset_index(drop=True)
    return env[SERIES_COLUMNS]


def curve_value(series: pd.DataFrame, hardware: str, interactivity: float) -> float:
    """tok/s per MW on a hardware's envelope at a speed, by docs/model.md step 4 (no TTFT cap):
    linear between points, the peak below the slowest point, NaN above the fastest."""
    s = series[series["hardware"] == hardware].sort_values("interactivity")
    if s.empty:
        return float("nan")
    x, y = s["interactivity"].to_numpy(float), s["tok_s_per_mw"].to_numpy(float)
    return float(np.interp(interactivity, x, y, left=y.max(), right=np.nan))


def _ttft_capped(
    instance: Instance, table: pd.DataFrame, series: pd.DataFrame, tiers: list[Tier]
) -> list[tuple[str, float, float]]:
    """(hardware, tier speed, curve value) where a drawn curve reaches a tier's speed but the
    pair is unusable because the rows there miss the tier's TTFT cap."""
    from optimizer.frontiers.coefficients import compute_coefficients

    if not tiers or series.empty:
        return []
    pairs = compute_coefficients(table, instance).pairs
    out = []
    for t in tiers:
        if t.max_ttft_s is None:
            continue
        for h_id in pd.unique(series["hardware"]):
            row = pairs[(pairs["hardware"] == h_id) & (pairs["tier"] == t.id)]
            if row.empty or bool(row["usable"].iloc[0]):
                continue
            if not str(row["reason"].iloc[0]).startswith("TTFT too high"):
                continue
            y = curve_value(series, str(h_id), float(t.min_interactivity))
            if np.isfinite(y):
                out.append((str(h_id), float(t.min_interactivity), y))
    return out


def tiers_at_context(
    instance: Instance, table: pd.DataFrame, model: str, ctx: int
) -> tuple[list[Tier], list[tuple[Tier, int | None]]]:
    """Tiers of ``model`` whose rows are taken at context ``ctx`` (step 1: the smallest table
    context >= the tier's), and the model's other tiers with the context they use (or None)."""
    contexts = sorted(int(c) for c in table.loc[table["model"] == model, "context_tokens"].unique())
    here: list[Tier] = []
    elsewhere: list[tuple[Tier, int | None]] = []
    for t in instance.tiers:
        if t.model != model:
            continue
        used = next((c for c in contexts if c >= t.context_tokens), None)
        if used == ctx:
            here.append(t)
        else:
            elsewhere.append((t, used))
    return here, elsewhere


def operating_points(
    instance: Instance,
    table: pd.DataFrame,
    plan: Plan | None,
    model: str | None = None,
    context_tokens: int | None = None,
    period: PeriodLabel | None = None,
) -> pd.DataFrame:
    """The plan's operating points on this chart: one row per (hardware, tier) it serves.

    ``interactivity`` is the tier's min_interactivity; ``tok_s_per_mw`` is the plan's
    coefficient r[h,t] in tokens/s per facility MW (the tier's TTFT cap applied);
    ``curve_tok_s_per_mw`` the envelope's value there without the TTFT cap
    (``ttft_limited`` when the plan's point is below it). ``units`` is the most units
    serving the pair in any period (or in ``period``), ``units_min`` the fewest in a
    period where it is served.
    """
    model, ctx = resolve_model_context(instance, table, model, context_tokens)
    empty = pd.DataFrame(columns=POINT_COLUMNS)
    if plan is None or plan.serve is None or plan.serve.empty or plan.coefficients.empty:
        return empty
    serve = plan.serve.copy()
    if period is not None:
        serve = serve[serve["period"].astype(str) == str(period)]
    if serve.empty:
        return empty
    serve["_pi"] = [instance.period_index(p) for p in serve["period"]]
    coef = plan.coefficients
    coef = coef[(coef["model"] == model) & (coef["context_tokens"] == ctx)]
    df = serve.merge(coef[["hardware", "tier", "r_tok_s_per_gpu"]], on=["hardware", "tier"])
    if df.empty:
        return empty
    g = (
        df.groupby(["hardware", "tier"], sort=False)
        .agg(
            units=("units", "max"),
            units_min=("units", "min"),
            first_pi=("_pi", "min"),
            last_pi=("_pi", "max"),
            n_periods=("_pi", "nunique"),
            r_tok_s_per_gpu=("r_tok_s_per_gpu", "first"),
        )
        .reset_index()
    )
    hw = {h.id: h for h in instance.hardware}
    tiers = {t.id: t for t in instance.tiers}
    pue = float(instance.site.pue)
    series = frontier_series(instance, table, model, ctx)
    g["interactivity"] = [float(tiers[t].min_interactivity) for t in g["tier"]]
    g["tok_s_per_mw"] = [
        r * hw[h].gpus_per_unit / (hw[h].power_kw * pue / 1000.0)
        for h, r in zip(g["hardware"], g["r_tok_s_per_gpu"], strict=True)
    ]
    g["curve_tok_s_per_mw"] = [
        curve_value(series, h, x) for h, x in zip(g["hardware"], g["interactivity"], strict=True)
    ]
    g["ttft_limited"] = g["tok_s_per_mw"] < g["curve_tok_s_per_mw"] * (1 - 1e-6)
    P = list(instance.periods)
    g["first_period"] = [P[i] for i in g["first_pi"]]
    g["last_period"] = [P[i] for i in g["last_pi"]]
    order_h = {h.id: i for i, h in enumerate(instance.hardware)}
    order_t = {t.id: i for i, t in enumerate(instance.tiers)}
    g = g.sort_values(
        ["tier", "hardware"], key=lambda s: s.map(order_t if s.name == "tier" else order_h)
    ).reset_index(drop=True)
    return g[POINT_COLUMNS]
