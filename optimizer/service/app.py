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
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from optimizer import __version__
from optimizer.depth import MAX_DEPTH, too_deep
from optimizer.errors import InputError
from optimizer.frontiers.table import read_frontier_table
from optimizer.instance.load import format_validation_error, load_instance
from optimizer.instance.schema import Instance
from optimizer.service import worker
from optimizer.service.docs import docs_page
from optimizer.service.jobs import Busy, JobStore
from optimizer.service.models import (
    ErrorBody,
    Health,
    JobAccepted,
    JobStatus,
    Options,
    PlanResult,
    SolveRequest,
    SweepBody,
    SweepRequest,
)
from optimizer.service.safety import BodyLimitMiddleware, GuardMiddleware, check_frontiers
from optimizer.service.settings import Settings
from optimizer.solver.options import SolveOptions
from optimizer.sweep import Values, build_scenarios, parse_set

LOG = logging.getLogger("optimizer.service")
POLL_S = 0.2  # how often a waiting request checks that its client is still there
REPORTS_KEPT = 8  # rendered report pages kept (the most recent jobs asked for)


class Cancelled(Exception):
    """The work of a request was stopped: its client hung up, or the server is stopping."""


class Problems(Exception):
    """An answer with ``{"errors": [...]}`` and an HTTP status."""

    def __init__(
        self, status: int, errors: list[str], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__("; ".join(errors))
        self.status = status
        self.errors = [" ".join(str(e).split()) for e in errors] or ["invalid request"]
        self.headers = headers


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


# ---------------------------------------------------------------------- parsing
def parse_object(raw: bytes, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The request body as a JSON object, or a 422 saying why not.

    Nesting deeper than ``max_depth`` levels is refused here, before anything (pydantic,
    ``copy.deepcopy``) walks the document recursively.
    """
    if not raw.strip():
        raise Problems(422, ["body: empty; send a JSON object"])
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise Problems(
            422, [f"body: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"]
        ) from None
    except UnicodeDecodeError:
        raise Problems(422, ["body: not UTF-8 text"]) from None
    except RecursionError:
        raise Problems(422, ["body: JSON nested too deeply"]) from None
    except ValueError as exc:  # e.g. an integer literal with too many digits
        raise Problems(422, [f"body: not valid JSON ({str(exc).splitlines()[0][:200]})"]) from None
    if not isinstance(doc, dict):
        raise Problems(422, ["body: must be a JSON object (the instance's keys: name, site, ...)"])
    where = too_deep(doc, max_depth)
    if where is not None:
        shown = where if len(where) <= 80 else where[:80] + "..."
        raise Problems(
            422, [f"{shown}: nested more than {max_depth} levels deep (an instance needs about 5)"]
        )
    return doc


def parse_options(value: object, where: str = "options") -> tuple[Options, list[str]]:
    if value is None:
        return Options(), []
    if not isinstance(value, dict):
        return Options(), [
            f"{where}: must be an object (objective, time_limit, mip_gap, marginals)"
        ]
    try:
        return Options.model_validate(value), []
    except ValidationError as exc:
        return Options(), [f"{where}.{line}" for line in format_validation_error(exc)]


def _under(prefix: str, problems: list[str]) -> list[str]:
    """Instance problems re-rooted under ``prefix`` (``tiers[0].id`` -> ``instance.tiers[0].id``)."""
    out = []
    for p in problems:
        if p.startswith("(top level)"):
            out.append(prefix + p[len("(top level)") :])
        else:
            out.append(f"{prefix}.{p}")
    return out


def _set_message(text: str) -> str:
    """A sweep-spec message phrased for the HTTP body rather than the command line."""
    text = text.removeprefix("--set ")
    return text.replace("--samples N", '"samples": N').replace("--seed S", '"seed": S')


def _load(doc: dict[str, Any], settings: Settings, where: str | None) -> Instance:
    """Check ``frontiers``, then load the instance and check its size (before coefficients)."""
    label = "frontiers" if where is None else f"{where}.frontiers"
    unsafe = check_frontiers(doc, settings.frontiers_dir, where=label)
    if unsafe:
        raise Problems(422, unsafe)
    rows = doc.get("frontiers")
    if isinstance(rows, list) and len(rows) > settings.max_frontier_rows:
        raise Problems(422, [_too_many_rows(label, len(rows), settings)])
    try:
        instance = load_instance(doc, base_dir=settings.frontiers_dir)
    except InputError as exc:
        raise Problems(
            422, exc.problems if where is None else _under(where, exc.problems)
        ) from None
    n_hw, n_tiers, n_periods = len(instance.hardware), len(instance.tiers), len(instance.periods)
    cells = n_hw * n_tiers * n_periods
    if cells > settings.max_model_cells:
        raise Problems(
            422,
            [
                f"{where or '(top level)'}: {n_hw} hardware x {n_tiers} tiers x {n_periods} "
                f"periods = {cells} combinations; this server builds at most "
                f"{settings.max_model_cells} (split the instance, or drop hardware or tiers "
                "that cannot win)"
            ],
        )
    return instance


def _too_many_rows(label: str, count: int, settings: Settings) -> str:
    return (
        f"{label}: {count} frontier rows; this server reads at most "
        f"{settings.max_frontier_rows} (keep the rows of the hardware, models and contexts "
        "the instance uses)"
    )


def _table(instance: Instance, settings: Settings, where: str | None) -> pd.DataFrame:
    try:
        table = read_frontier_table(instance)
    except InputError as exc:
        raise Problems(
            422, exc.problems if where is None else _under(where, exc.problems)
        ) from None
    if len(table) > settings.max_frontier_rows:
        label = "frontiers" if where is None else f"{where}.frontiers"
        raise Problems(422, [_too_many_rows(label, len(table), settings)])
    return table


def _check_refused(message: str) -> str:
    """The line answered when the independent check refuses the solver's plan."""
    finding = next(
        (line.strip() for line in message.splitlines()[1:] if line.strip()),
        message.strip(),
    )
    return (
        "the solver's plan failed the independent check, which happens when some figures "
        "are so small (or so large) beside the others that they fall within the solver's "
        "tolerances (about 1e-6): look for prices, demands, costs or budgets many orders "
        "of magnitude away from the rest (e.g. a price of 3e-08 $/Mtok or a demand of 0.001 "
        "Mtok) and give them in the documented units, round them to 0, or leave them out. "
        f"The check found: {finding[:300]}"
    )


# ---------------------------------------------------------------------- the app
def create_app(settings: Settings | None = None) -> FastAPI:
    """A FastAPI application serving the planner under ``settings`` (default limits if None)."""
    settings = settings or Settings()
    solver_lock = threading.Lock()
    pending = Slots(settings.max_pending_solves)
    renders = Slots(settings.max_report_renders)
    reports: OrderedDict[str, str] = OrderedDict()  # job id -> its rendered page
    stopping = threading.Event()  # set when the server begins to shut down
    jobs = JobStore(
        running=settings.max_running_jobs,
        queued=settings.max_queued_jobs,
        keep=settings.max_finished_jobs,
        solver_lock=solver_lock,
    )

    def time_limit(options: Options) -> float:
        cap = settings.max_solve_seconds
        return cap if options.time_limit is None else min(options.time_limit, cap)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Start the fork server solves run from (it imports the planner once), so that the
        # first /solve does not spend its deadline on imports.
        seconds = await run_in_threadpool(worker.warm_up)
        LOG.info("solver processes ready (%.1f s)", seconds)
        yield
        stopping.set()
        jobs.shutdown()

    def admit(path: str) -> str | None:
        """Why a POST would be refused now (None: there is room). Asked before its body is
        read; the place itself is taken once the body is in (a slow body holds none)."""
        if stopping.is_set():
            return "the server is shutting down"
        if path == "/solve" and pending.full():
            return busy_message()
        if path == "/sweep":
            return jobs.busy()
        return None

    def busy_message() -> str:
        return f"{settings.max_pending_solves} solves are queued or running; try later"

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
    app.state.settings = settings
    app.state.jobs = jobs
    app.state.stopping = stopping
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
        admit=admit,
    )

    # ------------------------------------------------------------- error bodies
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

    async def in_thread(fn: Callable[[], Any]) -> Any:
        try:
            return await run_in_threadpool(fn)
        except (Problems, Busy, Cancelled):
            raise
        except Exception:
            LOG.exception("unexpected error")
            raise Problems(500, ["internal error (details are in the server log)"]) from None

    errors_doc: dict[int | str, dict[str, Any]] = {
        413: {"model": ErrorBody, "description": "Body over the size limit."},
        422: {"model": ErrorBody, "description": "Bad input: one line per problem."},
        503: {"model": ErrorBody, "description": "Too much work queued; try again later."},
    }

    # ------------------------------------------------------------------ routes
    @app.get("/health", response_model=Health, summary="Liveness and version.")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.post(
        "/solve",
        summary="Solve one instance.",
        description=(
            "Body: an instance (the keys of docs/format.md) plus optional `options`. Answers 200 with the "
            "result whatever the solver status (`status` is in the body), 422 for bad input."
        ),
        response_model=None,
        responses={200: {"model": PlanResult, "description": "The plan."}, **errors_doc},
        openapi_extra=_body_ref("SolveRequest"),
    )
    async def solve(request: Request) -> JSONResponse:
        # The deadline runs from the request's arrival (its head complete), so the time
        # its body took to arrive counts; GuardMiddleware stamped it.
        arrived = float(request.scope.get("state", {}).get("arrived", time.monotonic()))
        raw = await request.body()
        if not pending.take():  # only now, with the whole body in, does it take a place
            raise Problems(503, [busy_message()], headers={"retry-after": "5"})
        try:
            return await solve_body(request, raw, arrived)
        finally:
            pending.release()

    async def solve_body(request: Request, raw: bytes, arrived: float) -> JSONResponse:
        def prepare() -> tuple[Instance, pd.DataFrame, Options]:
            doc = parse_object(raw, settings.max_json_depth)
            options, problems = parse_options(doc.pop("options", None))
            try:
                instance = _load(doc, settings, None)
            except Problems as exc:
                raise Problems(422, problems + exc.errors) from None
            if problems:
                raise Problems(422, problems)
            return instance, _table(instance, settings, None), options

        instance, table, options = await in_thread(prepare)
        limit = time_limit(options)
        deadline = arrived + limit  # one deadline for the whole request
        cancel = threading.Event()

        def run() -> dict[str, Any]:
            # Wait for the solver, giving up if the client leaves or time runs out.
            while not solver_lock.acquire(timeout=POLL_S):
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
                    SolveOptions(
                        objective=options.objective,
                        time_limit=limit,
                        mip_gap=options.mip_gap,
                        marginals=options.marginals,
                    ),
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
                solver_lock.release()
            if outcome.kind == "input":
                raise Problems(422, outcome.value)
            if outcome.kind == "check":
                LOG.warning("POST /solve: the check refused the plan: %s", outcome.value)
                raise Problems(422, [_check_refused(outcome.value)])
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
                raise Problems(
                    503, ["the server is shutting down; the solve was stopped"]
                ) from None
            LOG.info("POST /solve cancelled after %.1f s: the client hung up", seconds)
            raise Problems(499, ["client closed the request"]) from None
        except asyncio.CancelledError:
            cancel.set()  # uvicorn gave up waiting (forced shutdown): stop the thread too
            raise
        return JSONResponse(body)

    @app.post(
        "/sweep",
        status_code=202,
        summary="Start a sweep job.",
        description=(
            "Body: `instance`, `set` (KEY=VALUES, as `optimizer sweep --set`), optional "
            "`samples`, `seed`, `options`. Checked at once (422 for bad input), then solved "
            "in the background, one scenario at a time: poll `GET /jobs/{job_id}`."
        ),
        response_model=JobAccepted,
        responses=errors_doc,
        openapi_extra=_body_ref("SweepRequest"),
    )
    async def sweep(request: Request) -> JSONResponse:
        raw = await request.body()

        def prepare() -> tuple[Instance, list[Any], SolveOptions]:
            doc = parse_object(raw, settings.max_json_depth)
            try:
                body = SweepBody.model_validate(doc)
            except ValidationError as exc:
                raise Problems(422, format_validation_error(exc)) from None
            problems: list[str] = []
            if not body.set:
                problems.append('set: give at least one "KEY=VALUES"')
            if len(body.set) > settings.max_set_items:
                problems.append(f"set: {len(body.set)} items; at most {settings.max_set_items}")
            try:
                base = _load(dict(body.instance), settings, "instance")
            except Problems as exc:
                raise Problems(422, problems + exc.errors) from None
            _table(base, settings, "instance")
            values: list[Values] = []
            for i, text in enumerate(body.set[: settings.max_set_items]):
                try:
                    values.append(parse_set(text))
                except InputError as exc:
                    problems += [f"set[{i}]: {_set_message(p)}" for p in exc.problems]
            if problems:
                raise Problems(422, problems)
            count = 1
            for v in values:
                count *= len(v.fixed) if v.fixed is not None else len(v.items) or 1
            if any(v.dist is not None for v in values):
                count *= body.samples or 1
            if count > settings.max_scenarios:
                raise Problems(
                    422, [f"set: {count} scenarios; at most {settings.max_scenarios} per sweep"]
                )
            try:
                scenarios = build_scenarios(base, values, samples=body.samples, seed=body.seed)
            except InputError as exc:
                raise Problems(422, [f"set: {_set_message(p)}" for p in exc.problems]) from None
            options = body.options or Options()
            solve_options = SolveOptions(
                objective=options.objective,
                time_limit=time_limit(options),  # per scenario, post-solve included
                mip_gap=options.mip_gap,
                threads=None,  # HiGHS keeps the first count of the process: never set one
                marginals=options.marginals,
            )
            return base, scenarios, solve_options

        base, scenarios, solve_options = await in_thread(prepare)
        try:
            job = jobs.submit(base, scenarios, solve_options)
        except Busy as exc:
            raise Problems(503, [str(exc)]) from None
        return JSONResponse(
            {"job_id": job.id}, status_code=202, headers={"Location": f"/jobs/{job.id}"}
        )

    @app.get(
        "/jobs/{job_id}",
        response_model=JobStatus,
        summary="State of a sweep job; its rows once done.",
        responses={404: {"model": ErrorBody, "description": "No such job (or forgotten)."}},
    )
    async def job_status(job_id: str) -> dict[str, Any]:
        view = jobs.get(job_id)
        if view is None:
            raise Problems(
                404,
                [
                    f"jobs/{job_id[:64]}: no such job (the last {settings.max_finished_jobs} "
                    "finished jobs are kept)"
                ],
            )
        return view

    @app.get(
        "/jobs/{job_id}/report",
        summary="The report of a finished sweep job: one self-contained HTML page.",
        response_class=HTMLResponse,
        responses={
            404: {"model": ErrorBody, "description": "No such job (or forgotten)."},
            409: {"model": ErrorBody, "description": "The job has not finished."},
        },
    )
    async def job_report(job_id: str) -> HTMLResponse:
        # the same page as `optimizer report` on the sweep's table (optimizer/report/)
        view = jobs.get(job_id)
        if view is None:
            raise Problems(404, [f"jobs/{job_id[:64]}: no such job"])
        if view["status"] != "done" or not view.get("results"):
            raise Problems(409, [f"jobs/{job_id[:64]}: {view['status']}, no report until done"])

        page = reports.get(job_id)
        if page is not None:
            reports.move_to_end(job_id)
            return HTMLResponse(page)
        # Rendering takes CPU (plots): a few at once, the rest told to come back, so that
        # parallel asks cannot starve the solver or slow /health (which needs no thread).
        if not renders.take():
            raise Problems(
                503,
                [
                    f"{settings.max_report_renders} report(s) are being rendered; try again "
                    "in a few seconds"
                ],
                headers={"retry-after": "2"},
            )

        def render() -> str:
            from optimizer.report.html import render_html
            from optimizer.report.sweep_report import sweep_report

            table = pd.DataFrame(view["results"])
            return render_html(sweep_report(table, source=f"job {job_id}", title="Sweep report"))

        try:
            page = await in_thread(render)
        finally:
            renders.release()
        reports[job_id] = page
        while len(reports) > REPORTS_KEPT:
            reports.popitem(last=False)
        return HTMLResponse(page)

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


def _body_ref(model: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}},
        }
    }
