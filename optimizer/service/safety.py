"""What keeps a request from hurting the server: who may call, body limits, the frontier rule.

:class:`GuardMiddleware` runs first: ``Host`` must be one the server answers to (DNS
rebinding), a browser ``Origin`` must be allowed, the bearer token must match when one is
set, a POST must be ``application/json``, and a POST that would have to queue beyond the
server's limit is answered 503 before its body is read. :class:`BodyLimitMiddleware` then
reads the body, bounded in bytes (413) and in time (408). A solve slot is only *taken*
once the whole body is in (by the route): a client that sends its body slowly holds a
connection for at most the body timeout, never a place in the solve queue.

No file path from a request is ever read. ``frontiers`` must be inline rows, or the bare
name of a table shipped in the frontiers folder (``measured-2026``, ``reference-2026.csv``);
anything else, a path separator, ``..``, an absolute path, a name not shipped, is refused
before the instance is loaded.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import math
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optimizer.frontiers.names import check_frontiers, shipped_tables

# A body declared too large is read and thrown away up to this many bytes before the 413 is
# sent, so that the client (which writes its whole body before reading) sees the answer
# rather than a reset connection; beyond it the connection is simply answered and closed.
_DRAIN_LIMIT = 64 * 1024 * 1024
# A body may start slowly; from this many seconds after its head, it must have come at the
# minimum rate on average (a client trickling bytes holds its connection this long at most).
BODY_RATE_GRACE_S = 2.0


# The frontier-name rule lives with the frontier tables (the CLI applies it to stdin too).
__all__ = ["BodyLimitMiddleware", "GuardMiddleware", "check_frontiers", "shipped_tables"]


# ------------------------------------------------------------------- body limit
class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413, before the app sees them.

    The body is read here (bounded) and handed on whole: a declared ``Content-Length``
    over the limit is refused at once, and a chunked body is counted as it arrives. It
    must arrive within ``timeout_s`` (``path_timeouts`` can shorten that per path) and,
    from :data:`BODY_RATE_GRACE_S` on, at ``min_rate`` bytes/s on average; 408 if not.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        timeout_s: float = 30.0,
        path_timeouts: dict[str, float] | None = None,
        min_rate: float = 0.0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.min_rate = min_rate  # bytes/s a body must keep up after its first seconds; 0: none
        # A shorter bound for some paths (``/solve``: its deadline counts from arrival).
        self.path_timeouts = dict(path_timeouts or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await _answer(send, 400, ["content-length: not a number"])
                return
            if size > self.max_bytes:
                expects_continue = headers.get(b"expect", b"").lower() == b"100-continue"
                if not expects_continue and size <= _DRAIN_LIMIT:
                    await _drain(receive, _DRAIN_LIMIT)
                await _answer(send, 413, [self._message(size)])
                return
        chunks: list[bytes] = []
        total = 0
        timeout_s = min(self.timeout_s, self.path_timeouts.get(scope.get("path", ""), math.inf))
        start = time.monotonic()
        deadline = start + timeout_s
        while True:
            # Wake at the deadline, or when the bytes received so far fall below the rate.
            slow_at = start + max(BODY_RATE_GRACE_S, total / self.min_rate) if self.min_rate else 0
            wake = min(deadline, slow_at) if self.min_rate else deadline
            try:
                message = await asyncio.wait_for(receive(), max(0.0, wake - time.monotonic()))
            except TimeoutError:
                if time.monotonic() >= deadline or wake == deadline:
                    await _answer(send, 408, [f"body: not received within {timeout_s:g} s"])
                else:
                    await _answer(send, 408, [self._slow(total, time.monotonic() - start)])
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_bytes:
                if message.get("more_body", False):
                    total += await _drain(receive, _DRAIN_LIMIT - total)
                await _answer(send, 413, [self._message(total, exact=False)])
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
            elapsed = time.monotonic() - start
            if self.min_rate and elapsed >= BODY_RATE_GRACE_S and total < self.min_rate * elapsed:
                await _answer(send, 408, [self._slow(total, elapsed)])
                return
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _slow(self, total: int, elapsed: float) -> str:
        return (
            f"body: arriving too slowly ({total} bytes in {elapsed:.1f} s; at least "
            f"{self.min_rate:g} bytes/s once {BODY_RATE_GRACE_S:g} s have passed)"
        )

    def _message(self, size: int, exact: bool = True) -> str:
        got = f"{size} bytes" if exact else f"over {self.max_bytes} bytes"
        return f"body: too large ({got}; the limit is {self.max_bytes} bytes)"


# ------------------------------------------------------------------- who may call
class GuardMiddleware:
    """Refuse, before any body is read, requests that must not do work.

    In order: a ``Host`` not in ``allowed_hosts`` (when that is not empty) -> 421; an
    ``Origin`` not in ``allowed_origins`` -> 403; a missing or wrong bearer token (when
    ``token`` is set; ``GET /health`` is exempt) -> 401; a POST whose content type is not
    ``application/json`` -> 415; a POST that ``admit(path)`` refuses (the queue is full)
    -> 503. ``admit`` only looks (it returns a message saying why not, or None): the
    route takes its place in the queue once the body is in.

    Every request it lets through carries its arrival time (``time.monotonic()`` when its
    head was complete) as ``scope["state"]["arrived"]``: the deadline counts from there.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: tuple[str, ...],
        allowed_origins: tuple[str, ...],
        token: str | None,
        admit: Callable[[str], str | None],
    ) -> None:
        self.app = app
        self.hosts = {h.lower() for h in allowed_hosts}
        self.origins = {o.rstrip("/").lower() for o in allowed_origins}
        self.token = token
        self.admit = admit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["arrived"] = time.monotonic()
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _answer(send, refusal[0], [refusal[1]])
            return
        if scope["method"] == "POST":
            busy = self.admit(scope["path"])
            if busy is not None:
                await _answer(send, 503, [busy], extra=[(b"retry-after", b"5")])
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[int, str] | None:
        host = headers.get(b"host", b"").decode("latin-1").strip().lower()
        if self.hosts and _host_name(host) not in self.hosts:
            return 421, (
                f"host: {host[:80]!r} is not a name this server answers to "
                f"({', '.join(sorted(self.hosts))})"
            )
        origin = headers.get(b"origin")
        if origin is not None:
            text = origin.decode("latin-1").strip().rstrip("/").lower()
            if text not in self.origins and not _same_origin(text, host):
                return 403, (
                    f"origin: {text[:80]!r} is not allowed (a web page may not call this "
                    "service; the operator can allow origins with --allow-origin)"
                )
        if self.token is not None and not (scope["method"] == "GET" and scope["path"] == "/health"):
            given = headers.get(b"authorization", b"").decode("latin-1")
            scheme, _, value = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                value.strip().encode(), self.token.encode()
            ):
                return 401, "authorization: send 'Authorization: Bearer <token>'"
        if scope["method"] == "POST":
            ctype = headers.get(b"content-type", b"").decode("latin-1")
            if ctype.split(";")[0].strip().lower() != "application/json":
                return 415, (f"content-type: must be application/json (got {ctype[:60]!r})")
        return None


def _host_name(host: str) -> str:
    """``Host`` without its port: ``127.0.0.1:8000`` -> ``127.0.0.1``; ``[::1]:80`` -> ``[::1]``."""
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _same_origin(origin: str, host: str) -> bool:
    """An Origin of the server itself (its own /docs page calling it)."""
    return origin in (f"http://{host}", f"https://{host}")


async def _drain(receive: Receive, limit: int) -> int:
    """Read and discard the rest of a body, at most ``limit`` bytes; return bytes read."""
    read = 0
    while read < limit:
        message = await receive()
        if message["type"] != "http.request":
            break
        read += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return read


async def _answer(
    send: Send, status: int, errors: list[str], extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps({"errors": errors}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": headers + (extra or []),
        }
    )
    await send({"type": "http.response.body", "body": payload})
