"""Text of the sweep chart: what a swept key path is called, its unit, tick labels, and the
subtitle's scenario counts (:mod:`optimizer.plots.sweep` draws the chart)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from optimizer import fmt as _fmt
from optimizer.plots import fmt_price, fmt_usd


def compact(v: float, prefix: str = "") -> str:
    """$1.25B, $950M, 1.50k, 0.25: three significant digits (optimizer.fmt)."""
    return _fmt.usd(v, None) if prefix == "$" else _fmt.quantity(v, None)


def input_unit(key: str) -> tuple[str, Callable[[float], str]]:
    """What an input's values are (axis label text) and how to write one (tick label).

    Read from the key path's field name: ``*_usd_per_mtok`` a price, ``*_usd`` dollars,
    ``*_mw`` megawatts, ``*rate`` a share; a ``:factor`` column a multiple of the base.
    """
    if key.endswith(":factor"):
        return "× base value", lambda v: f"×{v:.3g}"
    field = re.sub(r"\[[^\]]*\]", "", key.split(".")[-1])
    if field.endswith("_usd_per_mtok"):
        return "USD per Mtok", fmt_price
    if field.endswith("_usd_per_mwh"):
        return "USD per MWh", lambda v: compact(v, "$")
    if field.endswith("_usd"):
        return "USD", lambda v: compact(v, "$")
    if field.endswith("_mtok"):
        return "Mtok", compact
    if field.endswith("_mw"):
        return "MW", compact
    if field.endswith("_kw"):
        return "kW", compact
    if field.endswith("rate") or field.endswith("_share") or field.endswith("_frac"):
        return "%", lambda v: f"{v * 100:.3g}%"
    named = {
        "pue": "facility / IT power",
        "utilization": "share of the year",
        "lifetime_years": "years",
        "period_years": "years",
        "min_interactivity": "tok/s per user",
        "max_ttft_s": "s",
        "gpus_per_unit": "GPUs",
        "rack_positions": "rack positions",
        "existing_units": "units",
        "max_units": "units",
        "min_units": "units",
        "context_tokens": "tokens",
    }
    if field in named:
        return named[field], lambda v: f"{v:.3g}"
    return "value", compact


_FIELD_LABELS = {
    "price_usd_per_mtok": "price (USD/Mtok)",
    "demand_mtok": "demand (Mtok)",
    "capex_usd": "capex per unit (USD)",
    "power_kw": "power per unit (kW)",
    "power_mw": "power cap (MW)",
    "rack_positions": "rack positions",
    "capex_budget_usd": "capex budget (USD)",
    "electricity_usd_per_mwh": "electricity (USD/MWh)",
    "pue": "PUE",
    "discount_rate": "discount rate",
    "utilization": "utilization",
    "min_interactivity": "min speed (tok/s/user)",
    "max_ttft_s": "max time to first token (s)",
    "lifetime_years": "lifetime (years)",
    "min_power_share": "min share of power",
    "max_power_share": "max share of power",
    "existing_units": "existing units",
    "max_units": "max units",
    "min_units": "min units",
    "gpus_per_unit": "GPUs per unit",
    "period_years": "period length (years)",
}
_KEY = re.compile(
    r"^(?:(?P<list>tiers|hardware)\[(?P<id>[^\]]+)\]\.|(?P<site>site)\.)?"
    r"(?:price_menu\[(?P<entry>[^\]]+)\]\.)?"
    r"(?P<field>[a-z_]+)(?:\[(?P<period>[^\]]+)\])?(?P<factor>:factor)?$"
)


def human_label(key: str) -> str:
    """A key path as a reader says it: ``tiers[premium].price_usd_per_mtok`` ->
    "premium tier: price (USD/Mtok)", ``site.power_mw[2027]`` -> "site: power cap (MW)
    in 2027". Unknown forms are returned as they are."""
    m = _KEY.match(key)
    if m is None:
        return key
    field = _FIELD_LABELS.get(m["field"], m["field"].replace("_", " "))
    if m["entry"] == "*":  # every entry of a price menu, moved together
        field = "menu " + {"price_usd_per_mtok": "prices (USD/Mtok)"}.get(
            m["field"], "demand (Mtok)" if m["field"] == "demand_mtok" else field
        )
    elif m["entry"] is not None:
        field = f"menu entry {m['entry']}: {field}"
    if m["list"] == "tiers":
        text = f"every tier: {field}" if m["id"] == "*" else f"{m['id']} tier: {field}"
    elif m["list"] == "hardware":
        text = f"every unit: {field}" if m["id"] == "*" else f"{m['id']}: {field}"
    elif m["site"]:
        text = f"site: {field}"
    else:
        text = field
    if m["period"] == "*":
        text += ", every period"
    elif m["period"]:
        text += f" in {m['period']}"
    if m["factor"]:
        text += " (× base)"
    return text


def wrap_key(key: str, width: int) -> str:
    """Break a long key path at its dots (then anywhere) to fit ``width`` characters."""
    if len(key) <= width:
        return key
    parts = key.split(".")
    lines: list[str] = []
    for i, part in enumerate(parts):
        piece = part + ("." if i < len(parts) - 1 else "")
        if lines and len(lines[-1]) + len(piece) <= width:
            lines[-1] += piece
        else:
            lines.extend(textwrap.wrap(piece, width) or [piece])
    return "\n".join(lines)


def axis_label(key: str, width: int, n_col: int) -> str:
    """The key path and its unit: one line when it fits, else the unit on a line of its own."""
    unit = input_unit(key)[0]
    name = human_label(strip_factor(key))
    if name != strip_factor(key):  # a known field: its label already carries its unit
        text = name + (" (× base value)" if key.endswith(":factor") else "")
        if "(" not in name and not key.endswith(":factor"):
            text += f" ({unit})"
        return "\n".join(textwrap.wrap(text, width)) or text
    one = f"{strip_factor(key)} ({unit})"
    if len(one) <= width:
        return one
    return f"{wrap_key(strip_factor(key), width)}\n({unit})"


def strip_factor(key: str) -> str:
    return key[: -len(":factor")] if key.endswith(":factor") else key


def subtitle(
    n: int,
    ok: np.ndarray,
    obj: np.ndarray,
    status: np.ndarray,
    X: Mapping[str, np.ndarray],
    inputs: Sequence[str],
    width: int = 125,
) -> list[str]:
    """Scenario counts (kind of sweep, with/without a plan) and the objective's spread,
    as lines of at most about ``width`` characters."""
    distinct = [len(np.unique(X[k][np.isfinite(X[k])])) for k in inputs]
    grid = int(np.prod(distinct)) == n and all(d <= 50 for d in distinct)
    if len(inputs) == 1 and grid:
        kind = f"{n} scenarios (grid of {distinct[0]} values)"
    elif grid:
        kind = f"{n} scenarios (grid {' × '.join(str(d) for d in distinct)})"
    else:
        kind = f"{n} scenarios"
    bits = [kind]
    n_ok = int(ok.sum())
    if n_ok:
        o = obj[ok]
        bits.append(
            f"objective median {fmt_usd(float(np.median(o)))}, "
            f"range {fmt_usd(float(o.min()))} to {fmt_usd(float(o.max()))}"
        )
    if n_ok < n:
        counts = pd.Series(status[~ok]).value_counts()
        why = ", ".join(f"{c} {s}" for s, c in counts.items())
        bits.append(f"no plan (x): {why}")
    tl = int(((status == "time_limit") & ok).sum())
    if tl:
        bits.append(f"{tl} stopped at the time limit (best plan found)")
    lines = [bits[0]]
    for b in bits[1:]:
        if len(lines[-1]) + 3 + len(b) <= width:
            lines[-1] += " · " + b
        else:
            lines.append(b)
    return lines
