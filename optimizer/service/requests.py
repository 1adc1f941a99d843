"""What the HTTP service makes of a request: its body parsed, its options and instance
checked, and the answers for what is wrong (:class:`Problems`: an HTTP status and one line
per problem). Used by the routes of :mod:`optimizer.service.routes_solve` and
:mod:`optimizer.service.routes_jobs`.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from pydantic import ValidationError

from optimizer.depth import MAX_DEPTH, too_deep
from optimizer.errors import InputError
from optimizer.frontiers.table import read_frontier_table
from optimizer.instance.load import format_validation_error, load_instance
from optimizer.instance.schema import Instance
from optimizer.service.models import Options
from optimizer.service.safety import check_frontiers
from optimizer.service.settings import Settings


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
            f"{where}: must be an object (objective, time_limit, mip_gap, marginals, strategy)"
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


def set_message(text: str) -> str:
    """A sweep-spec message phrased for the HTTP body rather than the command line."""
    text = text.removeprefix("--set ")
    return text.replace("--samples N", '"samples": N').replace("--seed S", '"seed": S')


def load(doc: dict[str, Any], settings: Settings, where: str | None) -> Instance:
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


def table_of(instance: Instance, settings: Settings, where: str | None) -> pd.DataFrame:
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


def check_refused(message: str) -> str:
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
