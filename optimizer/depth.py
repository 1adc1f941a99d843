"""How deeply a parsed JSON/YAML document nests, measured without recursion.

Python's ``copy.deepcopy``, pydantic's error formatting and most tree walks recurse once
per level: a list nested a few hundred deep inside a string field ends in a
``RecursionError``. :func:`too_deep` finds such a document first, with an explicit stack,
so that it can be refused with a line naming where it happens.
"""

from __future__ import annotations

from typing import Any

# Deeper than any instance or sweep body needs (an instance nests about 5 levels:
# tiers -> [i] -> price_usd_per_mtok -> {period} -> value), far below Python's recursion limit.
MAX_DEPTH = 32


def too_deep(doc: Any, limit: int = MAX_DEPTH) -> str | None:
    """The key path of the first container nested deeper than ``limit`` levels, or None.

    ``doc`` itself is level 1 when it is a dict or a list; scalars add no level. The walk
    keeps its own stack (no recursion) and stops at the first container past ``limit``.
    """
    # Each entry: (value, level, parent entry index, key); paths are spelled out only
    # for the one container reported, so a large flat document costs one pass.
    nodes: list[tuple[Any, int, int, object]] = [(doc, 1, -1, None)]
    stack = [0]
    while stack:
        index = stack.pop()
        value, level = nodes[index][0], nodes[index][1]
        if isinstance(value, dict):
            items: Any = value.items()
        elif isinstance(value, list | tuple):
            items = enumerate(value)
        else:
            continue
        if level > limit:
            return _path(nodes, index)
        for key, child in items:
            if isinstance(child, dict | list | tuple):
                nodes.append((child, level + 1, index, key))
                stack.append(len(nodes) - 1)
    return None


def _path(nodes: list[tuple[Any, int, int, object]], index: int) -> str:
    parts: list[str] = []
    while index > 0:
        _, _, parent, key = nodes[index]
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
        index = parent
    return "".join(reversed(parts)).lstrip(".") or "(top level)"
