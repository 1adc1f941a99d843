"""``optimizer serve``: the planner as an HTTP service (see docs/service.md)."""

from __future__ import annotations

import copy
import ipaddress
import logging
import os
import sys
from typing import IO, Annotated, Any

import typer

from optimizer.cli.common import err_console, fail_input
from optimizer.errors import InputError


def _log_stream() -> IO[str]:
    """A private copy of stderr for the server's log.

    While HiGHS solves, Pyomo points the process's stdout and stderr file descriptors at
    a pipe that feeds HiGHS's own log; a log written to a copy of the descriptor still
    reaches the terminal, so requests served during a solve are logged too.
    """
    try:
        return os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1, encoding="utf-8")
    except (OSError, ValueError, AttributeError):  # no real stderr (embedded, captured)
        return sys.stderr


def _log_config(stream: IO[str]) -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    for handler in config["handlers"].values():
        handler["stream"] = stream
    config["loggers"]["optimizer.service"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return config


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8000,
    max_body_mb: Annotated[
        float, typer.Option(help="Largest request body, MB (1 MB = 2^20 bytes); larger: 413.")
    ] = 5,
    max_solve_seconds: Annotated[
        float, typer.Option(help="Time limit of every HiGHS run, seconds (requests can lower it).")
    ] = 60,
) -> None:
    """Serve the planner over HTTP: POST /solve, POST /sweep, GET /jobs/ID, GET /health."""
    try:
        import uvicorn

        from optimizer.service import Settings, create_app
    except ImportError as exc:  # pragma: no cover - depends on the environment
        fail_input(
            InputError(f"serve needs FastAPI and uvicorn ({exc}): pip install 'optimizer[service]'")
        )

    problems = []
    if not max_body_mb > 0:
        problems.append(f"--max-body-mb: must be > 0 (got {max_body_mb})")
    if not max_solve_seconds > 0:
        problems.append(f"--max-solve-seconds: must be > 0 (got {max_solve_seconds})")
    if problems:
        fail_input(InputError(problems))
    try:
        settings = Settings(
            max_body_bytes=max(1, int(max_body_mb * 1024 * 1024)),
            max_solve_seconds=max_solve_seconds,
        )
    except ValueError as exc:
        fail_input(InputError(str(exc)))
    if not _is_loopback(host):
        err_console.print(
            f"[bold yellow]note:[/] listening on {host}: the service has no authentication; "
            "put it behind a proxy that has.",
            highlight=False,
        )
    stream = _log_stream()
    config = _log_config(stream)
    logging.getLogger("optimizer.service").setLevel(logging.INFO)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_config=config,
        timeout_graceful_shutdown=5,
    )
