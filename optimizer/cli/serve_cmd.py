"""``optimizer serve``: the planner as an HTTP service (see docs/service.md)."""

from __future__ import annotations

import copy
import ipaddress
import logging
import math
import os
import sys
from typing import IO, Annotated, Any

import typer

from optimizer.cli.common import fail_input
from optimizer.errors import InputError

MAX_BODY_MB = 1024.0  # a body limit beyond 1 GB is a typo, not a plan


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


TOKEN_ENV = "OPTIMIZER_TOKEN"


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface (needs a token).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8000,
    max_body_mb: Annotated[
        float, typer.Option(help="Largest request body, MB (1 MB = 2^20 bytes); larger: 413.")
    ] = 5,
    max_solve_seconds: Annotated[
        float,
        typer.Option(
            help="Deadline of one request, seconds: solve, check, marginal values and "
            "diagnosis all fit in it (requests can lower it)."
        ),
    ] = 60,
    token: Annotated[
        str | None,
        typer.Option(
            help=f"Bearer token every request but /health must send [env: {TOKEN_ENV}]; "
            "required beyond loopback.",
            show_default=False,
        ),
    ] = None,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(help="A browser Origin allowed to call the service (repeatable)."),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(help="A Host name clients may use besides the bound address (repeatable)."),
    ] = None,
    max_connections: Annotated[
        int, typer.Option(help="Open connections at once; more are closed.")
    ] = 64,
) -> None:
    """Serve the planner over HTTP: POST /solve, POST /sweep, GET /jobs/ID, GET /health."""
    try:
        import uvicorn  # noqa: F401  (checked here, used by run_server)

        from optimizer.service import Settings
        from optimizer.service.settings import LOOPBACK_NAMES
    except ImportError as exc:  # pragma: no cover - depends on the environment
        fail_input(
            InputError(f"serve needs FastAPI and uvicorn ({exc}): pip install 'optimizer[service]'")
        )

    token = token or os.environ.get(TOKEN_ENV) or None
    problems = []
    if not (math.isfinite(max_body_mb) and 0 < max_body_mb <= MAX_BODY_MB):
        problems.append(
            f"--max-body-mb: must be a number > 0 and <= {MAX_BODY_MB} (got {max_body_mb})"
        )
    if not (math.isfinite(max_solve_seconds) and max_solve_seconds > 0):
        problems.append(f"--max-solve-seconds: must be a number > 0 (got {max_solve_seconds})")
    loopback = _is_loopback(host)
    if not loopback and not token:
        problems.append(
            f"--host {host}: listening beyond loopback needs a bearer token "
            f"(--token or the {TOKEN_ENV} environment variable)"
        )
    if problems:
        fail_input(InputError(problems))
    if host in ("0.0.0.0", "::", ""):
        hosts: tuple[str, ...] = ()  # any name: the token is the guard
    elif loopback:
        hosts = (*LOOPBACK_NAMES, host.lower(), *(allow_host or []))
    else:
        hosts = (host.lower(), f"[{host.lower()}]", *(allow_host or []))
    try:
        settings = Settings(
            max_body_bytes=max(1, int(max_body_mb * 1024 * 1024)),
            max_solve_seconds=max_solve_seconds,
            token=token,
            allowed_hosts=hosts,
            allowed_origins=tuple(allow_origin or ()),
            max_connections=max_connections,
        )
    except ValueError as exc:
        fail_input(InputError(str(exc)))
    run_server(settings, host, port)


def run_server(settings: Any, host: str, port: int) -> None:
    """Run the service under ``settings`` with uvicorn until stopped (SIGINT/SIGTERM).

    Connections are guarded (header timeout, connection cap, idle keep-alive closed);
    on a stop signal, running requests are told at once and answer 503 before exiting.
    """
    import uvicorn

    from optimizer.service import create_app
    from optimizer.service.connections import guarded_protocol, install_log_filters

    stream = _log_stream()
    config = _log_config(stream)
    logging.getLogger("optimizer.service").setLevel(logging.INFO)
    install_log_filters()
    app = create_app(settings)
    server_config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=config,
        http=guarded_protocol(settings.header_timeout_s, settings.max_connections),
        timeout_keep_alive=max(1, int(math.ceil(settings.keep_alive_s))),
        timeout_graceful_shutdown=5,
        backlog=128,
    )

    class Server(uvicorn.Server):
        """Tells running requests that the server is stopping, so they answer 503 at once."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            app.state.service.stopping.set()
            super().handle_exit(sig, frame)

    Server(server_config).run()
