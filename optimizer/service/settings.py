"""Limits and places the HTTP service runs with; :func:`~optimizer.service.app.create_app` takes one."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.depth import MAX_DEPTH
from optimizer.frontiers.table import SHIPPED_DIR

MB = 1024 * 1024
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class Settings:
    """What one service instance allows.

    Attributes
    ----------
    max_body_bytes:
        Larger request bodies are refused with 413 (default 5 MB).
    max_solve_seconds:
        The deadline of one ``/solve`` request, from its arrival to its answer: loading,
        building, the MILP, the independent check, marginal values and diagnosis all fit in
        it (what does not fit is skipped and named in the answer's ``skipped``). A
        request's ``time_limit`` can only lower it. Each sweep scenario gets the same.
    max_pending_solves:
        ``/solve`` requests waiting or running at once; more get 503. Solves run one at a
        time in this process (HiGHS through Pyomo redirects the process's stdout/stderr
        while it runs, so two solves must not overlap); the others wait their turn.
    max_running_jobs, max_queued_jobs:
        Sweep jobs run at once, and waiting behind them; more get 503.
    max_finished_jobs:
        Finished jobs (done or failed) kept for ``GET /jobs/{id}``; the oldest go first.
    max_scenarios:
        Scenarios in one sweep (checked before any is built).
    max_set_items:
        ``KEY=VALUES`` entries in one sweep.
    frontiers_dir:
        The only folder frontier tables are read from (by bare name).
    header_timeout_s, body_timeout_s, keep_alive_s:
        A connection that has not sent its whole request head within ``header_timeout_s``
        of connecting (or of its first byte), or whose body stalls for ``body_timeout_s``,
        is closed (408 for the body); an idle keep-alive connection after ``keep_alive_s``.
    min_body_bytes_per_s:
        From 2 s after its head, a body must have arrived at this rate on average (408
        otherwise), so a client trickling a body byte by byte holds its connection for
        about 2 s, not ``body_timeout_s``; 0 turns the check off.
    max_connections:
        Open connections at once. When a new one would pass the cap, the oldest connection
        that holds no request (no complete request head yet, or idle between requests) is
        closed to make room, so connections that never authenticate cannot starve the
        others; when every connection holds a request, the new one is closed at once.
    max_json_depth:
        How deeply a body's JSON may nest (an instance needs about 5 levels); deeper: 422,
        checked right after parsing, before anything walks the document.
    max_model_cells:
        hardware x tiers x periods of one instance (the size of the model to build);
        larger: 422, checked after validation and before coefficients are computed.
    max_frontier_rows:
        Frontier rows of one instance (inline or a shipped table); more: 422, checked
        before coefficients are computed.
    solve_grace_s:
        A ``/solve`` runs in a child process: if it has not answered ``solve_grace_s``
        after its deadline (the stages that do not watch the clock: coefficients, building
        the model, handing it to HiGHS), it is killed and the request answered 503.
    max_report_renders:
        ``GET /jobs/{id}/report`` pages rendered at once; a request that finds them all
        busy gets 503. The pages of the last few jobs are kept once rendered, so asking
        again costs nothing.
    token:
        When set, every request but ``GET /health`` must carry ``Authorization: Bearer
        <token>`` (401 otherwise). Required when listening beyond loopback.
    allowed_hosts:
        Accepted ``Host`` header names (without port); empty accepts any (a non-loopback
        bind, where the token protects instead). Guards against DNS rebinding.
    allowed_origins:
        Browser ``Origin`` values allowed to call the service; any other Origin gets 403.
        Requests without an Origin (curl, scripts) are not affected.
    """

    max_body_bytes: int = 5 * MB
    max_solve_seconds: float = 60.0
    max_pending_solves: int = 8
    max_running_jobs: int = 1
    max_queued_jobs: int = 16
    max_finished_jobs: int = 100
    max_scenarios: int = 1000
    max_set_items: int = 20
    frontiers_dir: Path = field(default=SHIPPED_DIR)
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    keep_alive_s: float = 5.0
    min_body_bytes_per_s: float = 1024.0
    max_connections: int = 64
    max_json_depth: int = MAX_DEPTH
    max_model_cells: int = 100_000
    max_frontier_rows: int = 50_000
    solve_grace_s: float = 5.0
    max_report_renders: int = 1
    token: str | None = None
    allowed_hosts: tuple[str, ...] = LOOPBACK_NAMES
    allowed_origins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        out = []
        if self.max_body_bytes <= 0:
            out.append(f"max body size must be > 0 (got {self.max_body_bytes} bytes)")
        if not (math.isfinite(self.max_solve_seconds) and self.max_solve_seconds > 0):
            out.append(f"max solve seconds must be a number > 0 (got {self.max_solve_seconds})")
        for name in (
            "max_pending_solves",
            "max_running_jobs",
            "max_finished_jobs",
            "max_scenarios",
            "max_set_items",
            "max_json_depth",
            "max_model_cells",
            "max_frontier_rows",
            "max_report_renders",
        ):
            if getattr(self, name) < 1:
                out.append(f"{name} must be >= 1 (got {getattr(self, name)})")
        for name in ("header_timeout_s", "body_timeout_s", "keep_alive_s", "solve_grace_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                out.append(f"{name} must be a number > 0 (got {value})")
        if not (math.isfinite(self.min_body_bytes_per_s) and self.min_body_bytes_per_s >= 0):
            out.append(
                f"min_body_bytes_per_s must be a number >= 0 (got {self.min_body_bytes_per_s})"
            )
        if self.max_connections < 2:
            out.append(f"max_connections must be >= 2 (got {self.max_connections})")
        if self.token is not None and len(self.token) < 16:
            out.append("token must be at least 16 characters")
        if self.max_queued_jobs < 0:
            out.append(f"max_queued_jobs must be >= 0 (got {self.max_queued_jobs})")
        return out
