"""Sweep jobs: a bounded queue, a small thread pool, and a bounded memory of finished jobs.

A job solves its scenarios one by one in this process, each taking the server's solver
lock for its own solve only, so single solves are served between a sweep's scenarios.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from optimizer.instance.schema import Instance
from optimizer.sweep import KeyPath, SolveOptions, run_sweep

LOG = logging.getLogger("optimizer.service")


class Busy(Exception):
    """The server has no room for more work now (answered with 503)."""


@dataclass
class Job:
    id: str
    total: int
    status: str = "queued"
    done: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    started: float | None = None
    finished: float | None = None

    def view(self) -> dict[str, Any]:
        end = self.finished if self.finished is not None else time.monotonic()
        return {
            "job_id": self.id,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "results": list(self.rows) if self.status == "done" else None,
            "error": self.error,
            "seconds": None if self.started is None else round(end - self.started, 3),
        }


def json_row(row: dict[str, Any]) -> dict[str, Any]:
    """A table row made JSON-safe: numpy scalars to Python, NaN/inf to null."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        out[str(key)] = value
    return out


class JobStore:
    """Accepts sweep jobs, runs them on ``running`` threads, remembers ``keep`` finished ones."""

    def __init__(self, running: int, queued: int, keep: int, solver_lock: threading.Lock) -> None:
        self.capacity = running + queued
        self.keep = keep
        self.solver_lock = solver_lock
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=running, thread_name_prefix="sweep-job")

    def submit(
        self, base: Instance, scenarios: Sequence[dict[KeyPath, float]], options: SolveOptions
    ) -> Job:
        with self._lock:
            active = sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))
            if active >= self.capacity:
                raise Busy(f"{active} sweep jobs are queued or running; try again later")
            job = Job(id=uuid.uuid4().hex, total=len(scenarios))
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, base, list(scenarios), options)
        return job

    def busy(self) -> str | None:
        """Why a new job would be refused now, or None if it would be taken."""
        with self._lock:
            active = sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))
        if active >= self.capacity:
            return f"{active} sweep jobs are queued or running; try again later"
        return None

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else job.view()

    def shutdown(self) -> None:
        """Stop between scenarios; queued jobs never start."""
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ running
    def _run(
        self,
        job: Job,
        base: Instance,
        scenarios: list[dict[KeyPath, float]],
        options: SolveOptions,
    ) -> None:
        with self._lock:
            job.status, job.started = "running", time.monotonic()
        try:
            for i, changes in enumerate(scenarios):
                if self._stop.is_set():
                    raise RuntimeError("the server is shutting down")
                row = self._solve_scenario(base, i, changes, options)
                with self._lock:
                    job.rows.append(row)
                    job.done = i + 1
            self._finish(job, "done")
        except Exception as exc:  # the job fails as a whole; the server goes on
            LOG.exception("sweep job %s failed", job.id)
            self._finish(job, "failed", f"{type(exc).__name__}: {exc}")

    def _solve_scenario(
        self, base: Instance, index: int, changes: dict[KeyPath, float], options: SolveOptions
    ) -> dict[str, Any]:
        # One scenario per sweep call: the solver lock is held for one solve at a time.
        # A failing scenario comes back as a row with status "error" (run_sweep's rule).
        with self.solver_lock:
            result = run_sweep(base, [changes], workers=1, options=options)
        row = result.table.to_dict(orient="records")[0] if len(result.table) else {}
        trace = row.pop("traceback", None)
        if isinstance(trace, str) and trace:  # kept in the server log, never in a response
            LOG.warning("sweep scenario %s failed:\n%s", index, trace)
        row.pop("rebuilt", None)  # each scenario is built afresh here: always False
        row["scenario"] = index
        return json_row(row)

    def _finish(self, job: Job, status: str, error: str | None = None) -> None:
        with self._lock:
            job.status, job.error, job.finished = status, error, time.monotonic()
            finished = [j.id for j in self._jobs.values() if j.status in ("done", "failed")]
            for old in finished[: max(0, len(finished) - self.keep)]:
                del self._jobs[old]
