"""Connection limits below the application: header timeout, connection cap, quiet logs.

uvicorn closes an idle keep-alive connection, but not one that connects and sends
nothing, or half a request head: 300 of those exhaust the process's file descriptors.
:func:`guarded_protocol` returns uvicorn's h11 protocol with

* a header timeout: a connection whose request head is not complete within
  ``header_timeout_s`` of connecting (or of the first byte of a later request) is closed;
* a connection cap: beyond ``max_connections`` open connections a new one is closed at
  once (before it holds a request, so it costs nothing more).

:class:`RateLimitFilter` keeps a repeated log line (asyncio's "Too many open files" when
accept() fails) to one per interval, with a count of those left out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

LOG = logging.getLogger("optimizer.service")


def guarded_protocol(header_timeout_s: float, max_connections: int) -> type[H11Protocol]:
    """uvicorn's h11 protocol class with a header timeout and a connection cap."""

    class GuardedH11Protocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                _REFUSED.note(f"connection refused: {max_connections} connections already open")
                transport.abort()
                return
            self._arm_header_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is h11.IDLE:
                if self._header_timer is None:  # a request head has started to arrive
                    self._arm_header_timer()
            else:
                self._disarm_header_timer()  # the head is complete

        def _arm_header_timer(self) -> None:
            self._disarm_header_timer()
            self._header_timer = self.loop.call_later(header_timeout_s, self._header_timeout)

        def _disarm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _header_timeout(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                _REFUSED.note(
                    f"connection closed: no complete request head in {header_timeout_s:g} s"
                )
                self.transport.abort()

    return GuardedH11Protocol


class _RateLimitedNote:
    """One log line per ``interval_s`` per message, with how many were left out."""

    def __init__(self, interval_s: float = 10.0) -> None:
        self.interval_s = interval_s
        self._last: dict[str, float] = {}
        self._dropped: dict[str, int] = {}

    def note(self, message: str) -> None:
        now = time.monotonic()
        if now - self._last.get(message, -1e18) < self.interval_s:
            self._dropped[message] = self._dropped.get(message, 0) + 1
            return
        dropped = self._dropped.pop(message, 0)
        self._last[message] = now
        LOG.warning("%s%s", message, f" (and {dropped} more like it)" if dropped else "")


_REFUSED = _RateLimitedNote()


class RateLimitFilter(logging.Filter):
    """Let a record whose message contains one of ``needles`` through once per interval.

    Attach to the ``asyncio`` logger: when accept() fails with EMFILE ("Too many open
    files") asyncio logs one error per attempt, thousands a second.
    """

    def __init__(
        self,
        needles: tuple[str, ...] = ("Too many open files", "out of system resource"),
        interval_s: float = 10.0,
    ) -> None:
        super().__init__()
        self.needles = needles
        self.interval_s = interval_s
        self._last = -1e18
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        text = _record_text(record)
        if not any(n in text for n in self.needles):
            return True
        now = time.monotonic()
        if now - self._last < self.interval_s:
            self.dropped += 1
            return False
        self._last = now
        if self.dropped:
            record.msg = f"{record.msg} (and {self.dropped} more like it)"
            self.dropped = 0
        record.exc_info = None  # one line, not a traceback per failed accept()
        return True


def _record_text(record: logging.LogRecord) -> str:
    parts: list[Any] = [record.getMessage()]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(str(record.exc_info[1]))
    return " ".join(str(p) for p in parts)


def install_log_filters() -> RateLimitFilter:
    """Rate-limit asyncio's accept() failures (idempotent); returns the filter."""
    logger = logging.getLogger("asyncio")
    for f in logger.filters:
        if isinstance(f, RateLimitFilter):
            return f
    flt = RateLimitFilter()
    logger.addFilter(flt)
    return flt
