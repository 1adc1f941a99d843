"""Servers shared by the HTTP service tests (test_service*.py, test_report_service.py).

Starting the service costs seconds (it warms the fork server its solves run from), so the
four service test files share what they can:

* ``service``: one real uvicorn server on 127.0.0.1 (a free port the OS picks), started once
  per session with :data:`SHARED` settings: short limits, so that the limits themselves
  can be tested quickly. Tests that use it must leave it idle (join their threads).
* ``service_pool``: servers with other settings, one per distinct set of settings, started
  on first use and kept for the session (two tests asking for the same settings share one).
* ``own_server``: a factory for a server the test may stop or kill; stopped at teardown.
* ``service_app``: the application in-process through Starlette's ``TestClient`` (default
  ``Settings``), for tests that need no socket, or that patch the application's modules.

Waiting is by polling an observable condition (:func:`wait_for`), never a fixed sleep.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

# the checkout: the folder above this file's that holds pyproject.toml (wherever tests/ puts it)
REPO = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
START_TIMEOUT_S = 60.0  # the machine may be loaded: starting is bounded, not timed
T = TypeVar("T")

# The shared server: 1 MB bodies, a 20 s deadline, one /solve at a time, and short
# connection timeouts (1 s for a request head, 2 s for a stalled body, 1 s keep-alive, 12
# connections), so that every limit can be reached in seconds.
SHARED: dict[str, Any] = {
    "max_body_bytes": 1024 * 1024,
    "max_solve_seconds": 20.0,
    "max_pending_solves": 1,
    "header_timeout_s": 1.0,
    "body_timeout_s": 2.0,
    "keep_alive_s": 1.0,
    "max_connections": 12,
}

RUN = """
import sys
from optimizer.cli.serve_cmd import run_server
from optimizer.service import Settings
settings = Settings(**eval(sys.argv[1]))
run_server(settings, "127.0.0.1", 0)
"""


def wait_for(
    condition: Callable[[], T | None],
    timeout_s: float,
    what: str,
    interval_s: float = 0.05,
) -> T:
    """Poll ``condition`` until it returns a true value (returned), at most ``timeout_s``
    seconds; fail the test naming ``what`` otherwise."""
    end = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= end:
            pytest.fail(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(interval_s)


class Server:
    """``run_server(Settings(**settings))`` in a subprocess on 127.0.0.1, and its log."""

    def __init__(self, **settings: Any) -> None:
        self.settings = settings
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RUN, repr(settings)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.log: list[str] = []
        self.url: str | None = None
        self.port = 0
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        self._ready.wait(START_TIMEOUT_S)
        if self.url is None:
            self.stop()
            pytest.fail("server did not start:\n" + "\n".join(self.log[-30:]))

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.append(line.rstrip())
            m = re.search(r"Uvicorn running on (http://[\d.]+:(\d+))", line)
            if m:
                self.url, self.port = m.group(1), int(m.group(2))
                self._ready.set()
        self._ready.set()  # the process ended

    def logged(self, text: str) -> bool:
        """True once some line of the server's log contains ``text``."""
        return any(text in line for line in list(self.log))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def solve_slot_taken(url: str, within_s: float = 0.5) -> bool:
    """True while a server with ``max_pending_solves=1`` holds a /solve: a request head
    announcing a body is then answered 503 before the body is read. The probe sends the
    head alone and hangs up; a /solve takes its place only once its body is in, so the
    probe never takes the slot itself (a probe sending a whole body would, and could turn
    away the very solve it waits for)."""
    import socket

    host, port = url.split("//", 1)[1].rsplit(":", 1)
    head = (
        f"POST /solve HTTP/1.1\r\nHost: {host}\r\ncontent-type: application/json\r\n"
        "content-length: 100\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(head.encode())
        s.settimeout(within_s)
        try:
            answer = s.recv(64)
        except (TimeoutError, ConnectionResetError):
            return False
    return answer.startswith(b"HTTP/1.1 503")


class ServerPool:
    """Servers by settings, started on first use, stopped at the end of the session."""

    def __init__(self) -> None:
        self._servers: dict[str, Server] = {}

    def get(self, **settings: Any) -> Server:
        key = repr(sorted(settings.items()))
        srv = self._servers.get(key)
        if srv is None or srv.proc.poll() is not None:
            srv = self._servers[key] = Server(**settings)
        return srv

    def stop_all(self) -> None:
        for srv in self._servers.values():
            srv.stop()


@pytest.fixture(scope="session")
def service_pool() -> Iterator[ServerPool]:
    pool = ServerPool()
    yield pool
    pool.stop_all()


@pytest.fixture(scope="session")
def service(service_pool: ServerPool) -> Server:
    """The shared server (:data:`SHARED` settings)."""
    return service_pool.get(**SHARED)


@pytest.fixture
def own_server() -> Iterator[Callable[..., Server]]:
    """``own_server(**settings)``: a server for this test alone (it may stop it)."""
    started: list[Server] = []

    def start(**settings: Any) -> Server:
        srv = Server(**settings)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def service_app() -> Iterator[Any]:
    """The application in-process with default ``Settings`` (its lifespan starts the fork
    server solves run from), through Starlette's ``TestClient``."""
    from fastapi.testclient import TestClient

    from optimizer.service import Settings, create_app

    with TestClient(create_app(Settings()), base_url="http://127.0.0.1") as c:
        yield c


def toy_inline() -> dict[str, Any]:
    """instances/toy.yaml with the rows of instances/toy_frontiers.csv inline."""
    doc = yaml.safe_load((REPO / "instances" / "toy.yaml").read_text())
    with open(REPO / "instances" / "toy_frontiers.csv", newline="") as f:
        rows: list[dict[str, Any]] = []
        for r in csv.DictReader(f):
            row: dict[str, Any] = {"hardware": r["hardware"], "model": r["model"]}
            row["context_tokens"] = int(r["context_tokens"])
            for key in ("interactivity", "tok_s_per_gpu", "ttft_s"):
                if r.get(key):
                    row[key] = float(r[key])
            rows.append(row)
    doc["frontiers"] = rows
    return doc
