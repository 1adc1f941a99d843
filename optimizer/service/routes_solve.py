"""``GET /health`` and ``POST /solve`` (see :mod:`optimizer.service.app`).

A ``/solve`` runs in a child process (:mod:`optimizer.service.worker`) that is killed if it
outlives its deadline; one deadline, from the request's arrival, bounds the whole request.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from optimizer import __version__
from optimizer.instance.schema import Instance
from optimizer.service import worker
from optimizer.service.models import ERRORS_DOC, Health, Options, PlanResult, body_ref
from optimizer.service.requests import (
    Cancelled,
    Problems,
    check_refused,
    load,
    parse_object,
    parse_options,
    table_of,
)
from optimizer.service.state import LOG, POLL_S, ServiceState, in_thread, state_of

router = APIRouter()


@router.get("/health", response_model=Health, summary="Liveness and version.")
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.post(
    "/solve",
    summary="Solve one instance.",
    description=(
        "Body: an instance (the keys of docs/format.md) plus optional `options`. Answers 200 with the "
        "result whatever the solver status (`status` is in the body), 422 for bad input."
    ),
    response_model=None,
    responses={200: {"model": PlanResult, "description": "The plan."}, **ERRORS_DOC},
    openapi_extra=body_ref("SolveRequest"),
)
async def solve(request: Request) -> JSONResponse:
    # The deadline runs from the request's arrival (its head complete), so the time
    # its body took to arrive counts; GuardMiddleware stamped it.
    arrived = float(request.scope.get("state", {}).get("arrived", time.monotonic()))
    raw = await request.body()
    service = state_of(request)
    if not service.pending.take():  # only now, with the whole body in, does it take a place
        raise Problems(503, [service.busy_message()], headers={"retry-after": "5"})
    try:
        return await solve_body(service, request, raw, arrived)
    finally:
        service.pending.release()


async def solve_body(
    service: ServiceState, request: Request, raw: bytes, arrived: float
) -> JSONResponse:
    settings, stopping = service.settings, service.stopping

    def prepare() -> tuple[Instance, pd.DataFrame, Options]:
        doc = parse_object(raw, settings.max_json_depth)
        options, problems = parse_options(doc.pop("options", None))
        try:
            instance = load(doc, settings, None)
        except Problems as exc:
            raise Problems(422, problems + exc.errors) from None
        if problems:
            raise Problems(422, problems)
        return instance, table_of(instance, settings, None), options

    instance, table, options = await in_thread(prepare)
    limit = options.time_limit_s(settings.max_solve_seconds)
    deadline = arrived + limit  # one deadline for the whole request
    cancel = threading.Event()

    def run() -> dict[str, Any]:
        # Wait for the solver, giving up if the client leaves or time runs out.
        while not service.solver_lock.acquire(timeout=POLL_S):
            if cancel.is_set():
                raise Cancelled()
            if time.monotonic() >= deadline:
                raise Problems(
                    503,
                    [f"waited the whole time limit ({limit:g} s) for the solver; try later"],
                )
        try:
            if cancel.is_set():
                raise Cancelled()
            outcome = worker.solve_in_child(
                instance,
                table,
                options.solve_options(settings.max_solve_seconds),
                deadline=deadline,
                grace_s=settings.solve_grace_s,
                cancelled=lambda: cancel.is_set() or stopping.is_set(),
            )
        except worker.Stopped as exc:
            if exc.reason == "cancelled":
                raise Cancelled() from None
            LOG.warning(
                "POST /solve stopped at its deadline (%g s + %g s) during %s",
                limit,
                settings.solve_grace_s,
                exc.stage,
            )
            raise Problems(
                503,
                [
                    f"the request's deadline ({limit:g} s) passed during {exc.stage}, "
                    f"which was stopped; this instance ({len(instance.hardware)} hardware "
                    f"x {len(instance.tiers)} tiers x {len(instance.periods)} periods) "
                    "needs a longer time_limit (up to the server's) or fewer hardware, "
                    "tiers or periods"
                ],
            ) from None
        finally:
            service.solver_lock.release()
        if outcome.kind == "input":
            raise Problems(422, outcome.value)
        if outcome.kind == "check":
            LOG.warning("POST /solve: the check refused the plan: %s", outcome.value)
            raise Problems(422, [check_refused(outcome.value)])
        if outcome.kind == "memory":
            raise Problems(
                422,
                [
                    "the model ran out of memory on this server; give fewer hardware, "
                    "tiers, periods or frontier rows"
                ],
            )
        if outcome.kind != "done":
            LOG.error("POST /solve: the solver process failed:\n%s", outcome.value)
            raise Problems(500, ["internal error (details are in the server log)"])
        body: dict[str, Any] = outcome.value
        body["time_limit_s"] = limit
        return body

    work = asyncio.ensure_future(in_thread(run))
    try:
        while not work.done():
            await asyncio.wait({work}, timeout=POLL_S)
            if work.done():
                break
            if stopping.is_set() or await request.is_disconnected():
                cancel.set()
        body = await work
    except Cancelled:
        seconds = time.monotonic() - arrived
        if stopping.is_set():
            LOG.info("POST /solve stopped after %.1f s: the server is shutting down", seconds)
            raise Problems(503, ["the server is shutting down; the solve was stopped"]) from None
        LOG.info("POST /solve cancelled after %.1f s: the client hung up", seconds)
        raise Problems(499, ["client closed the request"]) from None
    except asyncio.CancelledError:
        cancel.set()  # uvicorn gave up waiting (forced shutdown): stop the thread too
        raise
    return JSONResponse(body)
