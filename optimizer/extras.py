"""Optional dependencies: charts (matplotlib, extra ``plot``) and Parquet (pyarrow, extra
``parquet``). Solving needs neither; code that does calls :func:`require` first, so a
missing package ends in one line naming the extra to install, not an ImportError trace.
"""

from __future__ import annotations

import importlib.util
import sys


class MissingExtra(RuntimeError):
    """An optional package is not installed; the message names the extra that adds it."""


def require(module: str, extra: str, what: str) -> None:
    """Raise :class:`MissingExtra` unless ``module`` can be imported.

    >>> require("json", "none", "reading JSON")
    """
    try:
        blocked = module in sys.modules and sys.modules[module] is None  # as if not installed
        missing = blocked or importlib.util.find_spec(module) is None
    except (ImportError, ValueError):  # a broken or hidden install counts as missing
        missing = True
    if missing:
        raise MissingExtra(
            f"{what} needs {module}, which is not installed: pip install 'optimizer[{extra}]'"
        )
