"""``POST /sweep``, ``GET /jobs/{id}`` and ``GET /jobs/{id}/report`` (see
:mod:`optimizer.service.app`): sweeps run as background jobs (:mod:`optimizer.service.jobs`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError

from optimizer.errors import InputError
from optimizer.instance.load import format_validation_error
from optimizer.instance.schema import Instance
from optimizer.service.jobs import Busy
from optimizer.service.models import (
    ERRORS_DOC,
    ErrorBody,
    JobAccepted,
    JobStatus,
    Options,
    SweepBody,
    body_ref,
)
from optimizer.service.requests import Problems, load, parse_object, set_message, table_of
from optimizer.service.state import in_thread, state_of
from optimizer.solver.options import SolveOptions
from optimizer.sweep import Values, build_scenarios, parse_set

router = APIRouter()


@router.post(
    "/sweep",
    status_code=202,
    summary="Start a sweep job.",
    description=(
        "Body: `instance`, `set` (KEY=VALUES, as `optimizer sweep --set`), optional "
        "`samples`, `seed`, `options`. Checked at once (422 for bad input), then solved "
        "in the background, one scenario at a time: poll `GET /jobs/{job_id}`."
    ),
    response_model=JobAccepted,
    responses=ERRORS_DOC,
    openapi_extra=body_ref("SweepRequest"),
)
async def sweep(request: Request) -> JSONResponse:
    raw = await request.body()
    service = state_of(request)
    settings = service.settings

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
            base = load(dict(body.instance), settings, "instance")
        except Problems as exc:
            raise Problems(422, problems + exc.errors) from None
        table_of(base, settings, "instance")
        values: list[Values] = []
        for i, text in enumerate(body.set[: settings.max_set_items]):
            try:
                values.append(parse_set(text))
            except InputError as exc:
                problems += [f"set[{i}]: {set_message(p)}" for p in exc.problems]
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
            raise Problems(422, [f"set: {set_message(p)}" for p in exc.problems]) from None
        # time_limit: per scenario, post-solve steps included
        solve_options = (body.options or Options()).solve_options(settings.max_solve_seconds)
        return base, scenarios, solve_options

    base, scenarios, solve_options = await in_thread(prepare)
    try:
        job = service.jobs.submit(base, scenarios, solve_options)
    except Busy as exc:
        raise Problems(503, [str(exc)]) from None
    return JSONResponse(
        {"job_id": job.id}, status_code=202, headers={"Location": f"/jobs/{job.id}"}
    )


@router.get(
    "/jobs/{job_id}",
    response_model=JobStatus,
    summary="State of a sweep job; its rows once done.",
    responses={404: {"model": ErrorBody, "description": "No such job (or forgotten)."}},
)
async def job_status(job_id: str, request: Request) -> dict[str, Any]:
    service = state_of(request)
    view = service.jobs.get(job_id)
    if view is None:
        raise Problems(
            404,
            [
                f"jobs/{job_id[:64]}: no such job (the last "
                f"{service.settings.max_finished_jobs} "
                "finished jobs are kept)"
            ],
        )
    return view


@router.get(
    "/jobs/{job_id}/report",
    summary="The report of a finished sweep job: one self-contained HTML page.",
    response_class=HTMLResponse,
    responses={
        404: {"model": ErrorBody, "description": "No such job (or forgotten)."},
        409: {"model": ErrorBody, "description": "The job has not finished."},
    },
)
async def job_report(job_id: str, request: Request) -> HTMLResponse:
    # the same page as `optimizer report` on the sweep's table (optimizer/report/)
    service = state_of(request)
    view = service.jobs.get(job_id)
    if view is None:
        raise Problems(404, [f"jobs/{job_id[:64]}: no such job"])
    if view["status"] != "done" or not view.get("results"):
        raise Problems(409, [f"jobs/{job_id[:64]}: {view['status']}, no report until done"])

    page = service.reports.get(job_id)
    if page is not None:
        service.reports.move_to_end(job_id)
        return HTMLResponse(page)
    # Rendering takes CPU (plots): a few at once, the rest told to come back, so that
    # parallel asks cannot starve the solver or slow /health (which needs no thread).
    if not service.renders.take():
        raise Problems(
            503,
            [
                f"{service.settings.max_report_renders} report(s) are being rendered; try again "
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
        service.renders.release()
    service.keep_report(job_id, page)
    return HTMLResponse(page)
