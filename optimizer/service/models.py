"""Request and response bodies of the HTTP service, as pydantic models.

:class:`Options` validates the ``options`` of a request. :class:`SolveRequest` and
:class:`SweepRequest` describe the request bodies in the OpenAPI schema (the instance
itself is validated by :func:`optimizer.load_instance`, with its one-line messages).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from optimizer.instance.schema import FrontierRow, Instance

_FRONTIERS_DOC = (
    "Frontier rows inline (a list of objects with the CSV's columns as keys), or the bare "
    "name of a table shipped with the server (e.g. `measured-2026`, `reference-2026`), or a "
    "list of such names. File paths are refused: a name must match `^[A-Za-z0-9_.-]+$`, "
    "contain no `..`, and name a shipped table."
)


class Options(BaseModel):
    """Solver settings of one request."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    objective: Literal["revenue", "profit", "cost"] | None = Field(
        default=None, description="Override the instance's objective."
    )
    time_limit: Annotated[float, Field(gt=0)] | None = Field(
        default=None,
        description="Seconds per HiGHS run; the server's limit applies when absent or lower.",
    )
    mip_gap: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="Relative MIP gap [default: HiGHS's 1e-4]."
    )
    marginals: bool = Field(
        default=True,
        description="Price the caps with the plan's hardware choice held fixed (one LP).",
    )


class SolveRequest(Instance):
    """An instance in the format of MODEL.md, plus optional solver ``options``."""

    frontiers: str | list[str] | list[FrontierRow] = Field(description=_FRONTIERS_DOC)
    options: Options | None = Field(default=None, description="Solver settings.")


class SweepBody(BaseModel):
    """A base instance and what to vary (validated here; the instance by load_instance)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    instance: dict[str, Any] = Field(
        description="The base instance, as the body of POST /solve without `options` "
        "(same `frontiers` rule)."
    )
    set: list[str] = Field(
        default_factory=list,
        description="KEY=VALUES, as `optimizer sweep --set`: `site.power_mw=150:250:50`, "
        "`tiers[free].price_usd_per_mtok=0,0.1`, `hardware[nvl72].capex_usd=scale(x0.8,x1.2)`.",
    )
    samples: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Monte Carlo draws (needed by distributions)."
    )
    seed: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="Seed of the draws (same seed, same scenarios)."
    )
    options: Options | None = Field(default=None, description="Solver settings of every scenario.")


class SweepRequest(SweepBody):
    """A base instance and what to vary: one row per scenario when the job is done."""

    instance: Instance = Field(  # type: ignore[assignment]
        description="The base instance, as the body of POST /solve without `options` "
        "(same `frontiers` rule: inline rows or a shipped table's bare name)."
    )


class ErrorBody(BaseModel):
    errors: list[str] = Field(description="One line per problem, naming the key path.")


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class JobAccepted(BaseModel):
    job_id: str


class JobStatus(BaseModel):
    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    done: int = Field(description="Scenarios finished.")
    total: int = Field(description="Scenarios in the sweep.")
    results: list[dict[str, Any]] | None = Field(
        default=None,
        description="One row per scenario when done (as `optimizer sweep`'s table: the "
        "changed keys, status, objective_usd, mtok[tier], units_bought[hardware]...).",
    )
    error: str | None = None
    seconds: float | None = Field(default=None, description="Run time so far, or in all.")


class PlanRow(BaseModel):
    model_config = ConfigDict(extra="allow")


class PlanResult(BaseModel):
    """The result format of MODEL.md; extra keys as `optimizer solve --json`."""

    model_config = ConfigDict(extra="allow")

    status: Literal["optimal", "time_limit", "infeasible", "unbounded", "error"]
    objective_usd: float | None
    mip_gap: float | None
    buy: list[PlanRow]
    serve: list[PlanRow]
    sold: list[PlanRow]
    time_limit_s: float = Field(description="The time limit this solve ran with.")
