"""The HTTP service: ``POST /solve``, ``POST /sweep``, ``GET /jobs/{id}``, ``GET /health``.

:func:`create_app` builds a FastAPI application for one :class:`Settings`; run it with
uvicorn (``optimizer serve``). Every answer is JSON. Bad input is a 422 with
``{"errors": [...]}``, one line per problem naming its key path, never a traceback.

Concurrency: request handling stays on the event loop; parsing and validation run on
worker threads, so ``/health`` answers while a solve runs. A ``/solve`` runs in a child
process (:mod:`optimizer.service.worker`) that is killed if it outlives its deadline;
sweep scenarios run in this process. Solves take one process-wide lock, one at a time:
Pyomo's HiGHS interface redirects the process's stdout and stderr file descriptors while
it solves (which two overlapping in-process solves would corrupt), and the machine's
cores are HiGHS's. HiGHS runs with its own thread count (no ``threads`` option is ever
passed: HiGHS keeps the first count it was given for the life of the process).

The pieces: :mod:`~optimizer.service.state` (what the routes share, one per app),
:mod:`~optimizer.service.requests` (parsing and checking a request),
:mod:`~optimizer.service.routes_solve` (``/health``, ``/solve``) and
:mod:`~optimizer.service.routes_jobs` (``/sweep``, ``/jobs``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from optimizer import __version__
from optimizer.service import routes_jobs, routes_solve, worker
from optimizer.service.docs import docs_page
from optimizer.service.models import SolveRequest, SweepRequest
from optimizer.service.requests import Problems
from optimizer.service.safety import BodyLimitMiddleware, GuardMiddleware
from optimizer.service.settings import Settings
from optimizer.service.state import LOG, ServiceState


def create_app(settings: Settings | None = None) -> FastAPI:
    """A FastAPI application serving the planner under ``settings`` (default limits if None)."""
    settings = settings or Settings()
    service = ServiceState(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Start the fork server solves run from (it imports the planner once), so that the
        # first /solve does not spend its deadline on imports.
        seconds = await run_in_threadpool(worker.warm_up)
        LOG.info("solver processes ready (%.1f s)", seconds)
        yield
        service.stopping.set()
        service.jobs.shutdown()

    app = FastAPI(
        title="optimizer",
        version=__version__,
        summary="Plan an AI inference factory over HTTP.",
        description=(
            "Which hardware to buy, and how to split it across token tiers, under power, land "
            "and latency limits. Limits: request body "
            f"at most {settings.max_body_bytes} bytes (413 beyond); each request at most "
            f"{settings.max_solve_seconds:g} s from arrival to answer (body, build, solve, "
            "check, marginal values and diagnosis; what does not fit is listed in `skipped`; "
            f"a solve still running {settings.solve_grace_s:g} s past it is stopped: 503). "
            f"Instances: at most {settings.max_model_cells} hardware x tiers x periods, "
            f"{settings.max_frontier_rows} frontier rows, JSON nested at most "
            f"{settings.max_json_depth} levels. Bad input: 422 with one line per problem. "
            "`frontiers` must be inline rows or the bare name of a shipped table; file paths "
            "are never read."
        ),
        lifespan=lifespan,
        docs_url=None,  # FastAPI's page loads its scripts from a CDN; ours is self-contained
        redoc_url=None,
    )
    app.state.service = service  # what the routes share (optimizer.service.state)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        timeout_s=settings.body_timeout_s,
        # a /solve's deadline runs from its arrival: its body must come within it
        path_timeouts={"/solve": settings.max_solve_seconds},
        min_rate=settings.min_body_bytes_per_s,
    )
    # Added last, so it runs first: refusals come before any body is read.
    app.add_middleware(
        GuardMiddleware,
        allowed_hosts=settings.allowed_hosts,
        allowed_origins=settings.allowed_origins,
        token=settings.token,
        admit=service.admit,
    )

    _error_bodies(app)
    app.include_router(routes_solve.router)
    app.include_router(routes_jobs.router)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Any:
        return docs_page(app.openapi())

    # ----------------------------------------------------------------- OpenAPI
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        _, defs = models_json_schema(
            [(SolveRequest, "validation"), (SweepRequest, "validation")],
            ref_template="#/components/schemas/{model}",
        )
        schema.setdefault("components", {}).setdefault("schemas", {}).update(defs.get("$defs", {}))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _error_bodies(app: FastAPI) -> None:
    """Every error answered as ``{"errors": [...]}``, never a traceback."""

    @app.exception_handler(Problems)
    async def _problems(_: Request, exc: Problems) -> JSONResponse:
        return JSONResponse({"errors": exc.errors}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ()))
            lines.append(f"{loc or 'request'}: {err.get('msg', 'invalid')}")
        return JSONResponse({"errors": lines}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"errors": [str(exc.detail)]}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        LOG.error("unexpected error", exc_info=exc)
        return JSONResponse(
            {"errors": ["internal error (details are in the server log)"]}, status_code=500
        )
