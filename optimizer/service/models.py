"""Request and response bodies of the HTTP service, as pydantic models.

:class:`Options` validates the ``options`` of a request. :class:`SolveRequest` and
:class:`SweepRequest` describe the request bodies in the OpenAPI schema (the instance
itself is validated by :func:`optimizer.load_instance`, with its one-line messages).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from optimizer.instance.schema import FrontierRow, Instance
from optimizer.solver.options import SolveOptions

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
    time_limit: Annotated[float, Field(ge=0)] | None = Field(
        default=None,
        description="Seconds for the whole solve (POST /solve: from the request's arrival; "
        "a sweep: each scenario), post-solve steps included; the server's limit applies when "
        "absent or lower. 0 stops at once (status time_limit), as in the library.",
    )
    mip_gap: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="Relative MIP gap [default: HiGHS's 1e-4]."
    )
    marginals: bool = Field(
        default=True,
        description="Price the caps with the plan's hardware choice held fixed (one LP).",
    )
    strategy: Literal["certified", "milp"] = Field(
        default="certified",
        description="certified: relaxed unit counts give a bound and a repaired integer "
        "plan, branching only if they are not within mip_gap; milp: HiGHS's branch and bound "
        "on the whole model (docs/model.md).",
    )

    def time_limit_s(self, cap_s: float) -> float:
        """The seconds a request runs with: its own time_limit, at most the server's cap."""
        return cap_s if self.time_limit is None else min(self.time_limit, cap_s)

    def solve_options(self, cap_s: float) -> SolveOptions:
        """The one conversion to :class:`SolveOptions` (the bounds above are its bounds).

        No ``threads``: HiGHS keeps the first count of the process, so the server never
        sets one.
        """
        return SolveOptions(
            objective=self.objective,
            time_limit=self.time_limit_s(cap_s),
            mip_gap=self.mip_gap,
            marginals=self.marginals,
            strategy=self.strategy,
        )


class SolveRequest(Instance):
    """An instance in the format of docs/model.md, plus optional solver ``options``."""

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
    """The result format of docs/model.md; extra keys as `optimizer solve --json`."""

    model_config = ConfigDict(extra="allow")

    status: Literal["optimal", "time_limit", "infeasible", "unbounded", "error"]
    objective_usd: float | None
    mip_gap: float | None
    buy: list[PlanRow]
    serve: list[PlanRow]
    sold: list[PlanRow]
    time_limit_s: float = Field(description="The time limit this solve ran with.")


# What the routes document for their error answers (OpenAPI).
ERRORS_DOC: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorBody, "description": "Body over the size limit."},
    422: {"model": ErrorBody, "description": "Bad input: one line per problem."},
    503: {"model": ErrorBody, "description": "Too much work queued; try again later."},
}


def body_ref(model: str) -> dict[str, Any]:
    """A route's request body in the OpenAPI schema: ``model`` (the body is read raw)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}},
        }
    }
