"""Shared checks for the hostile-input tests (tests/hostile/)."""

from __future__ import annotations

import subprocess


def one_error_line(res: subprocess.CompletedProcess) -> str:
    """The run ended with exit 2 and exactly one line on stderr, no traceback."""
    return error_lines(res, 1)[0]


def error_lines(res: subprocess.CompletedProcess, count: int | None = None) -> list[str]:
    """The run ended with exit 2, ``count`` lines on stderr (any if None), no traceback."""
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    assert "Traceback" not in res.stderr, res.stderr[-2000:]
    if count is not None:
        assert len(lines) == count, res.stderr[-2000:]
    return lines
