"""Connection limits below the application: header timeout, connection cap, quiet logs.

uvicorn closes an idle keep-alive connection, but not one that connects and sends
nothing, or half a request head: 300 of those exhaust the process's file descriptors.
:func:`guarded_protocol` returns uvicorn's h11 protocol with

* a header timeout: a connection whose request head is not complete within
  ``header_timeout_s`` of connecting (or of the first byte of a later request) is closed;
* a connection cap that unauthenticated sockets cannot starve: when a new connection
  would pass ``max_connections``, the oldest connection that holds no request (its
  request head not complete yet: it has not shown a token; or idle between requests) is
  closed to make room. Only when every open connection holds a request is the new one
  closed at once. Slowloris sockets (silent, or sending a head a byte at a time) thus
  hold a place until a newer connection needs it, at most ``header_timeout_s``.

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
    # Open connections that hold no request, oldest first (a dict keeps insertion order).
    idle: dict[H11Protocol, None] = {}

    class GuardedH11Protocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                oldest = next((c for c in idle if not c.transport.is_closing()), None)
                if oldest is None:
                    _REFUSED.note(
                        f"connection refused: {max_connections} connections already open, "
                        "each with a request"
                    )
                    transport.abort()
                    return
                _REFUSED.note(
                    f"connection closed: {max_connections} connections open; the oldest "
                    "without a request made room for a new one"
                )
                idle.pop(oldest, None)
                oldest.transport.abort()
            idle[self] = None
            self._arm_header_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            idle.pop(self, None)
            self._disarm_header_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is h11.IDLE:
                if self._header_timer is None:  # a request head has started to arrive
                    self._arm_header_timer()
            else:
                self._disarm_header_timer()  # the head is complete
                idle.pop(self, None)  # it holds a request now: never closed to make room

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
                idle[self] = None  # kept alive, waiting for the next request

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
