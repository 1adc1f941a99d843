"""Errors the planner raises on bad input.

Every input problem is reported as one line that names where it is (a key path such
as ``tiers[2].min_interactivity``, a file, or a CSV row). Problems found in one stage
are gathered and raised together, so a user fixes a file in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable

EXIT_OK = 0
EXIT_NO_PLAN = 1
EXIT_BAD_INPUT = 2


class InputError(ValueError):
    """One or more problems with user input; each problem is one line.

    Attributes
    ----------
    problems:
        The problems, each a single line naming its key path, file or row.
    """

    def __init__(self, problems: Iterable[str] | str) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems: list[str] = [" ".join(str(p).split()) for p in problems] or ["invalid input"]
        super().__init__("\n".join(self.problems))


class ProblemList:
    """Collects input problems and raises them together."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}" if where else what)

    def extend(self, other: Iterable[str]) -> None:
        self.items.extend(other)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.items)
