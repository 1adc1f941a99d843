"""What keeps a request from hurting the server: a body-size limit and the frontier-name rule.

No file path from a request is ever read. ``frontiers`` must be inline rows, or the bare
name of a table shipped in the frontiers folder (``measured-2026``, ``reference-2026.csv``);
anything else, a path separator, ``..``, an absolute path, a name not shipped, is refused
before the instance is loaded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
# A body declared too large is read and thrown away up to this many bytes before the 413 is
# sent, so that the client (which writes its whole body before reading) sees the answer
# rather than a reset connection; beyond it the connection is simply answered and closed.
_DRAIN_LIMIT = 64 * 1024 * 1024


# ------------------------------------------------------------------ frontiers rule
def shipped_tables(folder: Path) -> list[str]:
    """Names of the shipped frontier tables (file stems), sorted."""
    return sorted(p.stem for p in folder.glob("*.csv") if p.is_file())


def _shown(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _check_name(text: str, where: str, folder: Path) -> tuple[str | None, list[str]]:
    """The file name of a shipped table, or the problems with ``text``."""
    if (
        not _NAME.fullmatch(text)
        or ".." in text
        or "/" in text
        or "\\" in text
        or Path(text).is_absolute()
    ):
        return None, [
            f"{where}: {_shown(text)} is not allowed: give the rows inline, or the bare name "
            f"of a shipped table ({', '.join(shipped_tables(folder)) or 'none shipped'}); "
            "file paths are never read"
        ]
    file_name = text if text.endswith(".csv") else f"{text}.csv"
    candidate = folder / file_name
    root = folder.resolve()
    if candidate.is_file() and candidate.resolve().parent == root:
        return file_name, []
    return None, [
        f"{where}: no shipped frontier table named {_shown(text)} "
        f"(shipped: {', '.join(shipped_tables(folder)) or 'none'})"
    ]


def check_frontiers(doc: dict[str, Any], folder: Path, where: str = "frontiers") -> list[str]:
    """Check (and normalise to ``NAME.csv``) the ``frontiers`` key of a raw instance mapping.

    Returns the problems, one line each, naming ``where``. A missing key or a value of
    the wrong shape is left to the instance schema, which reports it by key path; only
    strings (which the planner would read as paths) are judged here.
    """
    value = doc.get("frontiers")
    problems: list[str] = []
    if isinstance(value, str):
        name, problems = _check_name(value, where, folder)
        if name is not None:
            doc["frontiers"] = name
        return problems
    if isinstance(value, list):
        names: list[Any] = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                name, errs = _check_name(item, f"{where}[{i}]", folder)
                problems += errs
                names.append(name)
            else:
                names.append(item)
        if not problems and any(isinstance(item, str) for item in value):
            doc["frontiers"] = names
    return problems


# ------------------------------------------------------------------- body limit
class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413, before the app sees them.

    The body is read here (bounded) and handed on whole: a declared ``Content-Length``
    over the limit is refused at once, and a chunked body is counted as it arrives.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

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
        while True:
            message = await receive()
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
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _message(self, size: int, exact: bool = True) -> str:
        got = f"{size} bytes" if exact else f"over {self.max_bytes} bytes"
        return f"body: too large ({got}; the limit is {self.max_bytes} bytes)"


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


async def _answer(send: Send, status: int, errors: list[str]) -> None:
    payload = json.dumps({"errors": errors}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
