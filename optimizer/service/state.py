"""The HTTP service's state: one :class:`ServiceState` per application (``app.state.service``).

It holds what the routes share: the settings, the one solver lock (one solve at a time,
see :mod:`optimizer.service.app`), the places for solves waiting or running and for report
renders, the rendered report pages, the sweep jobs and the event set when the server stops.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from optimizer.service.jobs import Busy, JobStore
from optimizer.service.requests import Cancelled, Problems
from optimizer.service.settings import Settings

LOG = logging.getLogger("optimizer.service")
POLL_S = 0.2  # how often a waiting request checks that its client is still there
REPORTS_KEPT = 8  # rendered report pages kept (the most recent jobs asked for)


class Slots:
    """A count of places (solves waiting or running), looked at before a body is read and
    taken after it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.used = 0
        self._lock = threading.Lock()

    def full(self) -> bool:
        with self._lock:
            return self.used >= self.size

    def take(self) -> bool:
        with self._lock:
            if self.used >= self.size:
                return False
            self.used += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.used = max(0, self.used - 1)


class ServiceState:
    """What the routes of one application share."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.solver_lock = threading.Lock()
        self.pending = Slots(settings.max_pending_solves)
        self.renders = Slots(settings.max_report_renders)
        self.reports: OrderedDict[str, str] = OrderedDict()  # job id -> its rendered page
        self.stopping = threading.Event()  # set when the server begins to shut down
        self.jobs = JobStore(
            running=settings.max_running_jobs,
            queued=settings.max_queued_jobs,
            keep=settings.max_finished_jobs,
            solver_lock=self.solver_lock,
        )

    def admit(self, path: str) -> str | None:
        """Why a POST would be refused now (None: there is room). Asked before its body is
        read; the place itself is taken once the body is in (a slow body holds none)."""
        if self.stopping.is_set():
            return "the server is shutting down"
        if path == "/solve" and self.pending.full():
            return self.busy_message()
        if path == "/sweep":
            return self.jobs.busy()
        return None

    def busy_message(self) -> str:
        return f"{self.settings.max_pending_solves} solves are queued or running; try later"

    def keep_report(self, job_id: str, page: str) -> None:
        """Keep a rendered page, forgetting the least recently asked beyond REPORTS_KEPT."""
        self.reports[job_id] = page
        while len(self.reports) > REPORTS_KEPT:
            self.reports.popitem(last=False)


def state_of(request: Request) -> ServiceState:
    """The :class:`ServiceState` of the application serving ``request``."""
    state: ServiceState = request.app.state.service
    return state


async def in_thread(fn: Callable[[], Any]) -> Any:
    """``fn()`` on a worker thread; an unexpected error is logged and answered as a 500."""
    try:
        return await run_in_threadpool(fn)
    except (Problems, Busy, Cancelled):
        raise
    except Exception:
        LOG.exception("unexpected error")
        raise Problems(500, ["internal error (details are in the server log)"]) from None
