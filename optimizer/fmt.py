"""One formatter for the numbers people read: money, token quantities, prices and percentages.

Every report, chart, table and quoted figure formats through these functions, so the same
number reads the same everywhere: ``$169.05B`` in the terminal, the Markdown summary, the HTML
report, a chart label and the README (``results/quote.py`` writes the README's figures with
them). The rules:

- Thousands are ``k``, then ``M``, ``B``, ``T`` (SI-style short scale; never ``K``).
- A minus sign goes before the dollar sign: ``-$465.45M``, never ``$-465.45M``.
- Rounding that reaches the next suffix moves to it: 999,999,999 is ``$1.00B``, not
  ``$1,000.00M``.
- Missing values (None, NaN) read ``-``; infinities read ``infinite`` / ``-infinite``.
- A percentage change against a base of zero or below is ``n/a``: "+5060.3%" on a negative
  baseline means nothing.

This module imports nothing from the package, so every layer may use it.
"""

from __future__ import annotations

import math
from typing import Any

MISSING = "-"
_SUFFIXES: tuple[tuple[float, str], ...] = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _number(x: Any) -> float | None:
    """``x`` as a float, or None when it is missing or not a number."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _trim(text: str, decimals: int | None) -> str:
    """Three significant digits read without trailing zeros: $3.9M, $12k (chart labels)."""
    if decimals is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _scaled(a: float, decimals: int | None) -> str:
    """A non-negative number with a suffix: ``decimals`` places, or 3 significant digits
    without trailing zeros (``decimals=None``)."""
    for i, (div, suffix) in enumerate(_SUFFIXES):
        if a >= div:
            v = a / div
            text = _trim(f"{v:,.{_digits(v, decimals)}f}", decimals)
            if i > 0 and float(text.replace(",", "")) >= 1000:  # $1,000.00M reads $1.00B
                v = a / _SUFFIXES[i - 1][0]
                return _trim(f"{v:,.{_digits(v, decimals)}f}", decimals) + _SUFFIXES[i - 1][1]
            return text + suffix
    d = decimals if decimals is not None else (0 if a >= 10 or a == 0 else 2)
    text = _trim(f"{a:,.{d}f}", decimals)
    if float(text.replace(",", "")) >= 1000:  # 999.996 reads 1.00k
        return _scaled(1000.0, decimals)
    return text


def _digits(v: float, decimals: int | None) -> int:
    if decimals is not None:
        return decimals
    return 2 if v < 10 else 1 if v < 100 else 0


def usd(x: Any, decimals: int | None = 2) -> str:
    """Money: ``$169.05B``, ``-$465.45M``, ``$12.00k``, ``$7.50``.

    ``decimals=None`` gives three significant digits (``$1.29B``, ``$363M``, ``$12.0k``), for
    chart labels and ticks.
    """
    v = _number(x)
    if v is None:
        return MISSING
    if math.isinf(v):
        return "infinite" if v > 0 else "-infinite"
    body = _scaled(abs(v), decimals)
    if body.strip("0.,") == "":  # rounds to zero: no "-$0.00"
        return "$" + body
    return ("-$" if v < 0 else "$") + body


def signed_usd(x: Any, decimals: int | None = 2) -> str:
    """A change in money with its sign: ``+$1.20M``, ``-$3.41B``, ``$0``."""
    v = _number(x)
    if v is None:
        return MISSING
    if v == 0:
        return "$0"
    text = usd(v, decimals)
    return text if text.startswith("-") else "+" + text


def quantity(x: Any, decimals: int | None = 2) -> str:
    """A large count or token quantity with a suffix: ``2.67B``, ``121.10M``, ``950``."""
    v = _number(x)
    if v is None:
        return MISSING
    if math.isinf(v):
        return "infinite" if v > 0 else "-infinite"
    if abs(v) < 1000 and float(v).is_integer():
        return f"{int(v):,d}" if v >= 0 else f"-{int(-v):,d}"
    body = _scaled(abs(v), decimals)
    return ("-" if v < 0 and body.strip("0.,") else "") + body


def mtok(x: Any, decimals: int | None = 2) -> str:
    """Millions of tokens: ``2.67B Mtok`` (never ``2,667,074,234.00`` or ``3.6e+11``)."""
    text = quantity(x, decimals)
    return text if text == MISSING else f"{text} Mtok"


def count(x: Any) -> str:
    """A whole count with thousands separators: ``3,668``; fractional counts keep one decimal."""
    v = _number(x)
    if v is None:
        return MISSING
    if abs(v - round(v)) < 1e-6:
        return f"{round(v):,d}"
    return f"{v:,.1f}"


def price(x: Any) -> str:
    """A price per Mtok: ``$150``, ``$1.80``, ``$0.20``, ``$0.048``, ``$0.00``."""
    v = _number(x)
    if v is None:
        return MISSING
    a = abs(v)
    sign = "-" if v < 0 else ""
    if a >= 100:
        return f"{sign}${a:,.0f}"
    if a >= 0.1 or a == 0:
        return f"{sign}${a:,.2f}"
    return f"{sign}${a:.2g}"


def pct(x: Any, decimals: int = 1, signed: bool = False) -> str:
    """A fraction as a percentage: 0.15 -> ``15.0%``; ``signed`` adds ``+`` to gains."""
    v = _number(x)
    if v is None:
        return MISSING
    if math.isinf(v):
        return "infinite" if v > 0 else "-infinite"
    text = f"{100 * v:,.{decimals}f}%"
    if signed and v > 0 and text.strip("0.%") != "":
        text = "+" + text
    return text


def change(new: Any, base: Any, decimals: int = 1) -> str:
    """``new`` against ``base`` as a signed percentage (``+10.8%``); ``n/a`` when base <= 0."""
    n, b = _number(new), _number(base)
    if n is None or b is None:
        return MISSING
    if b <= 0:
        return "n/a"
    return pct(n / b - 1, decimals, signed=True)


def plain(x: Any, decimals: int = 2) -> str:
    """A number with thousands separators, whole numbers without decimals: ``1,000``, ``0.35``."""
    v = _number(x)
    if v is None:
        return MISSING
    if float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:,.{decimals}f}" if abs(v) >= 1 else f"{v:.{max(decimals, 2)}g}"


def safe_name(name: Any) -> str:
    """A name made safe as a file or folder name (``results/<name>/``, chart files)."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("._") or "instance"


def labels(items: Any) -> str:
    """Period labels (or ids) as a reader writes them: ``2026, 2027, 2028``, never
    ``['2026', '2027']``: an integer label is not quoted as a string."""
    return ", ".join(str(x) for x in items)


__all__ = [
    "change",
    "count",
    "labels",
    "mtok",
    "pct",
    "plain",
    "price",
    "quantity",
    "signed_usd",
    "usd",
]
