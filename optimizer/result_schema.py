"""The result schema: every table a plan carries and every key of the result JSON, in one place.

For each table: its columns in order, each with its unit, the decimals the JSON keeps and a
line of meaning; which columns the result JSON shows and under which key. The writers
(``Plan.to_dict``, the CSV files, the terminal / Markdown / HTML reports, the workbook) and
the solver layer that builds the tables from a solved model take their column lists from
here; docs/format.md ("Result JSON") and docs/result.schema.json are checked against it.

Like :mod:`optimizer.fmt` this module sits beside the layer stack (docs/architecture.md): it
imports nothing of the package and nothing outside the standard library, so the solver layer
(which fills the tables) and the results layer (which writes them) share it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Units, as docs/format.md and the reports (optimizer.report.model) name them. "label": a
# hardware, tier, period, slice id or resource name; "text": free text; "count": a whole
# number; "share": a fraction 0..1 (0.25 = 25 %); "1": a plain factor; "per row": the unit
# the row names (its resource's: MW, rack positions or USD; a diagnosis row's ``unit``).
LABEL, TEXT, BOOL, COUNT, SHARE = "label", "text", "bool", "count", "share"
PER_ROW = "per row"
USD_DIGITS = 4  # decimals the JSON keeps of a total in USD
_NOT_MEASURES = (LABEL, TEXT, BOOL, COUNT, PER_ROW, "1")


@dataclass(frozen=True)
class Column:
    """One column of a plan table."""

    name: str
    unit: str
    doc: str
    digits: int | None = None  # decimals kept in the result JSON (None: as computed)
    optional: bool = False  # present only with an option (``slice``: time_slices)
    nullable: bool = False  # may be null (no cap, no neighbour entry...)


@dataclass(frozen=True)
class Table:
    """A table of a :class:`~optimizer.results.plan.Plan` (the attribute ``name``)."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    # key in the result JSON -> the columns its rows show, in order (none: not in the JSON)
    json: tuple[tuple[str, tuple[str, ...]], ...] = ()
    csv: str = ""  # the file of a results folder holding the whole table (every column)

    def names(self, present: Iterable[str] | None = None) -> list[str]:
        """Column names in order; an optional column only when it is in ``present``."""
        have = set(present) if present is not None else set()
        return [c.name for c in self.columns if not c.optional or c.name in have]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def json_names(self, key: str, present: Iterable[str] | None = None) -> list[str]:
        """The columns the JSON key ``key`` shows; optional ones only when in ``present``."""
        have = set(present) if present is not None else set()
        cols = dict(self.json)[key]
        return [c for c in cols if not self.column(c).optional or c in have]

    def units(self) -> dict[str, str]:
        """{column: unit} of the table's figures: what a report puts in a header (labels,
        text, counts, per-row units and plain factors have none)."""
        return {c.name: c.unit for c in self.columns if c.unit not in _NOT_MEASURES}


def _slice(doc: str) -> Column:
    return Column("slice", LABEL, doc, optional=True)


def _usd(name: str, doc: str) -> Column:
    """A finance column in USD (the JSON keeps 4 decimals)."""
    return Column(name, "USD", doc, digits=USD_DIGITS)


_HW = Column("hardware", LABEL, "hardware id")
_TIER = Column("tier", LABEL, "tier id")
_PERIOD = Column("period", LABEL, "period label")
_UNITS = Column("units", "units", "whole units", digits=9)

BUY = Table(
    "buy",
    "units bought at the start of a period (non-zero rows)",
    (_HW, _PERIOD, Column("units", COUNT, "units bought", digits=9)),
    (("buy", ("hardware", "period", "units")),),
    "buy.csv",
)
INSTALLED = Table(
    "installed",
    "units installed per hardware and period (existing + alive buys, zeros included)",
    (
        _HW,
        _PERIOD,
        Column("units", "units", "units installed", digits=9),
        Column("it_mw", "MW", "IT power of those units"),
        Column("facility_mw", "MW", "facility power: IT power x PUE"),
        Column("rack_positions", "rack positions", "floor space of those units"),
    ),
    (("installed", ("hardware", "period", "units")),),
)
SERVE = Table(
    "serve",
    "units serving a tier (time_slices: one row per slice, units serving in that slice)",
    (
        _HW,
        _TIER,
        _PERIOD,
        _slice("time slice"),
        Column("units", "units", "units serving (fractional: a unit may split its time)", 9),
        Column("it_mw", "MW", "IT power of those units"),
        Column("mtok", "Mtok", "Mtok those units make in the period (or slice)"),
    ),
    (("serve", ("hardware", "tier", "period", "slice", "units")),),
    "serve.csv",
)
SOLD = Table(
    "sold",
    "Mtok sold per tier and period (time_slices: per slice), with price and revenue",
    (
        _TIER,
        _PERIOD,
        _slice("time slice"),
        Column("mtok", "Mtok", "Mtok sold: min(production, demand)", digits=6),
        Column("price_usd_per_mtok", "USD/Mtok", "price charged", digits=9),
        Column("revenue_usd", "USD", "Mtok sold x price, undiscounted"),
        Column("it_mw", "MW", "IT power serving the tier"),
        Column("power_share", SHARE, "share of the period's installed IT power"),
    ),
    (("sold", ("tier", "period", "slice", "mtok")),),
    "sold.csv",
)
PRICE = Table(
    "price",
    "price menus: the entry chosen per tier and period and what its neighbours would earn "
    "(undiscounted; empty without menus)",
    (
        _TIER,
        _PERIOD,
        Column("entry", COUNT, "index of the chosen entry in the tier's menu"),
        Column("price_usd_per_mtok", "USD/Mtok", "price of the chosen entry", digits=9),
        Column("demand_mtok", "Mtok", "demand at that price"),
        Column("mtok", "Mtok", "Mtok sold", digits=6),
        Column("revenue_usd", "USD", "price x Mtok sold"),
        Column("higher_price_usd_per_mtok", "USD/Mtok", "next higher entry", nullable=True),
        Column(
            "higher_revenue_usd",
            "USD",
            "what it would earn: its price x min(its demand, the Mtok the tier's serving "
            "and the period's idle units could make)",
            nullable=True,
        ),
        Column("lower_price_usd_per_mtok", "USD/Mtok", "next lower entry", nullable=True),
        Column("lower_revenue_usd", "USD", "what it would earn (as above)", nullable=True),
        Column(
            "revenue_given_up_usd",
            "USD",
            "the better neighbour's revenue minus revenue_usd (> 0: the capacity is worth more "
            "elsewhere)",
            nullable=True,
        ),
    ),
    (
        ("price", ("tier", "period", "price_usd_per_mtok")),
        (
            "price_menu",
            (
                "tier",
                "period",
                "entry",
                "price_usd_per_mtok",
                "demand_mtok",
                "mtok",
                "revenue_usd",
                "higher_price_usd_per_mtok",
                "higher_revenue_usd",
                "lower_price_usd_per_mtok",
                "lower_revenue_usd",
                "revenue_given_up_usd",
            ),
        ),
    ),
)
RESOURCES = Table(
    "resources",
    "power (facility MW), rack positions and capex (USD) used against their caps, per period",
    (
        _PERIOD,
        Column("resource", LABEL, "power_mw, rack_positions or capex_usd"),
        Column("used", PER_ROW, "used", digits=9),
        Column("cap", PER_ROW, "the cap (null: none)", digits=9, nullable=True),
        Column("slack", PER_ROW, "cap - used (null: no cap)", nullable=True),
        Column(
            "binding",
            BOOL,
            "no room left for one more unit of any hardware on sale then, or the cap met",
        ),
    ),
    (("resources", ("period", "resource", "used", "cap", "binding")),),
)
UNUSABLE = Table(
    "unusable",
    "pairs the frontier table cannot serve",
    (_HW, _TIER, Column("reason", TEXT, "why")),
    (("unusable_pairs", ("hardware", "tier", "reason")),),
)
MARGINAL_VALUES = Table(
    "marginal_values",
    "what one more unit of power, land, demand, budget or supply is worth, the plan's "
    "hardware choice held fixed (docs/model.md); tier / hardware / period null when the "
    "resource has none, and left out of the JSON row then",
    (
        Column("resource", LABEL, "power, land, demand, budget, supply, price_menu, ..."),
        Column("period", LABEL, "period label", nullable=True),
        Column("tier", LABEL, "tier id", nullable=True),
        Column("hardware", LABEL, "hardware id", nullable=True),
        Column("usd_per_unit", "USD per unit", "present value of one more unit", digits=6),
        Column(
            "usd_per_unit_undiscounted",
            "USD per unit",
            "the same divided by the period's discount weight",
            digits=6,
            nullable=True,
        ),
        Column("unit", TEXT, "the unit priced, in words"),
        _slice("time slice of a demand_slice / forecast_slice row (option time_slices)"),
    ),
    (
        (
            "marginal_values",
            (
                "resource",
                "period",
                "tier",
                "hardware",
                "usd_per_unit",
                "usd_per_unit_undiscounted",
                "unit",
                "slice",
            ),
        ),
    ),
)
DIAGNOSIS = Table(
    "diagnosis",
    "when infeasible: the relaxations that would make it feasible (the JSON keeps the messages)",
    (
        Column("family", LABEL, "constraint family relaxed"),
        Column("index", TEXT, "which of its constraints"),
        Column("relax_by", PER_ROW, "by how much"),
        Column("unit", TEXT, "the unit of relax_by"),
        Column("message", TEXT, "the relaxation in words"),
    ),
    (("diagnosis", ("message",)),),
)
CASH_FLOW = Table(
    "cash_flow",
    "the plan's cash flow per period (and 'end' for a residual value), USD undiscounted unless "
    "named, costs positive (finance.cash_flow, cash_flow.csv)",
    (
        Column("period", LABEL, "the period; end: the horizon's end (residual value only)"),
        Column("start_year", "years", "index x period_years", digits=4),
        _usd("revenue_usd", "price x Mtok sold (0 under the cost objective)"),
        _usd("capex_usd", "units bought x price of a unit then"),
        _usd("opex_usd", "period_years x opex_usd_per_year x units installed"),
        _usd("energy_usd", "electricity of serving (and idle) units"),
        _usd("fixed_usd", "site and platform fixed costs"),
        _usd("residual_usd", "straight-line value of unexpired hardware"),
        _usd("net_usd", "revenue - capex - opex - energy - fixed + residual"),
        _usd("cumulative_net_usd", "running sum of net_usd"),
        Column("discount_weight", "1", "(1 + discount_rate)^(-start_year)", digits=4),
        _usd("discounted_net_usd", "net_usd x discount_weight"),
        _usd("cumulative_discounted_net_usd", "running sum; its last is npv_usd"),
    ),
    (("cash_flow", ()),),
    "cash_flow.csv",
)
HARDWARE_COSTS = Table(
    "hardware_costs",
    "cost per GPU-hour and per Mtok of each hardware with units installed (undiscounted)",
    (
        _HW,
        Column("gpus_per_unit", COUNT, "GPUs in one unit", digits=4),
        Column("units_bought", "units", "units bought over the horizon", digits=4),
        Column("gpu_hours", "GPU-hours", "GPU-hours installed", digits=4),
        _usd("capex_charged_usd", "capex straight-line, the part inside the horizon"),
        _usd("opex_usd", "opex of its units"),
        _usd("energy_usd", "electricity of its units"),
        _usd("total_usd", "capex charged + opex + energy"),
        Column("usd_per_gpu_hour", "USD/GPU-hour", "total_usd / gpu_hours", digits=4),
        Column("mtok", "Mtok", "Mtok it served", digits=4),
        Column("usd_per_mtok", "USD/Mtok", "total_usd / mtok (null: served none)", 4, False, True),
    ),
    (("hardware_costs", ()),),
)

# The tables of a Plan, by attribute name (``coefficients`` is the frontier's own table).
PLAN_TABLES: dict[str, Table] = {
    t.name: t
    for t in (BUY, INSTALLED, SERVE, SOLD, PRICE, RESOURCES, UNUSABLE, MARGINAL_VALUES, DIAGNOSIS)
}
FINANCE_TABLES: dict[str, Table] = {t.name: t for t in (CASH_FLOW, HARDWARE_COSTS)}


def column_units() -> dict[str, str]:
    """{column: unit} of the plan and finance tables' figures (labels, text, counts and
    per-row columns and plain factors left out): the units the reports put in their headers."""
    out: dict[str, str] = {}
    for table in (*PLAN_TABLES.values(), *FINANCE_TABLES.values()):
        for name, unit in table.units().items():
            assert out.setdefault(name, unit) == unit, f"{name}: two units"
    return out


@dataclass(frozen=True)
class Field:
    """A top-level key of the result JSON, in the order ``Plan.to_dict`` writes it."""

    key: str
    type: str  # a JSON Schema type, or "table:<plan table>" for a list of rows
    doc: str
    nullable: bool = False
    optional: bool = False  # written only when it applies


_TOTAL = "discounted total, USD"
RESULT_FIELDS: tuple[Field, ...] = (
    Field("status", "string", "optimal, time_limit, infeasible, unbounded or error"),
    Field("objective_usd", "number", "the objective, USD (null: no solution)", nullable=True),
    Field("mip_gap", "number", "relative gap at the end", nullable=True),
    Field("mip_gap_usd", "number", "best_bound_usd - objective_usd, USD", nullable=True),
    Field("proof", "string", "relaxation bound or branch and bound", nullable=True),
    Field("buy", "table:buy", BUY.doc),
    Field("serve", "table:serve", SERVE.doc),
    Field("sold", "table:sold", "Mtok sold (time_slices: per slice)"),
    Field("price", "table:price", "the price of each menu tier per period"),
    Field("instance", "string", "instance name"),
    Field("objective", "string", "objective kind: revenue, profit or cost"),
    Field("verified", "boolean", "the independent checker re-checked every constraint"),
    Field("best_bound_usd", "number", "a proven bound on the optimum, USD", nullable=True),
    Field("revenue_usd", "number", _TOTAL, nullable=True),
    Field("capex_usd", "number", _TOTAL, nullable=True),
    Field("energy_usd", "number", _TOTAL + " (v3 idle power included)", nullable=True),
    Field("residual_value_usd", "number", _TOTAL + "; null for revenue", nullable=True),
    Field("fixed_cost_usd", "number", _TOTAL + "; null for revenue", nullable=True),
    Field("opex_usd", "number", _TOTAL + "; null for revenue", nullable=True),
    Field("platform_cost_usd", "number", _TOTAL + "; null for revenue", nullable=True),
    Field("price_menu", "table:price", PRICE.doc),
    Field("installed", "table:installed", INSTALLED.doc),
    Field("resources", "table:resources", RESOURCES.doc),
    Field("unusable_pairs", "table:unusable", UNUSABLE.doc),
    Field("diagnosis", "table:diagnosis", "for an infeasible instance: which caps to relax"),
    Field("marginal_values", "table:marginal_values", MARGINAL_VALUES.doc),
    Field(
        "hours_share", "object", "time_slices: {slice: share of a period's hours}", optional=True
    ),
    Field("timings_s", "object", "seconds by stage (run.json, not plan.json)", optional=True),
    Field("model_size", "object", "{variables, integer_variables, constraints}"),
    Field("message", "string", "solver or diagnosis note"),
    Field("skipped", "array", "post-solve steps left out, and why (a deadline)"),
    Field("warnings", "array", "what to know before trusting the plan, one line each"),
    Field("finance", "object", "cash flows and returns (null: no solution)", nullable=True),
)


def _json_type(col: Column) -> dict[str, Any]:
    kind: Any = {
        LABEL: ["string", "integer"],
        TEXT: "string",
        BOOL: "boolean",
        COUNT: "integer",
    }.get(col.unit, "number")
    if col.unit == COUNT and col.digits is not None:
        kind = "number"  # whole in meaning, written as a number
    if col.nullable:
        kind = [*(kind if isinstance(kind, list) else [kind]), "null"]
    return {"type": kind, "description": f"{col.doc} ({col.unit})"}


def _rows_schema(table: Table, key: str) -> dict[str, Any]:
    cols = dict(table.json)[key] or tuple(c.name for c in table.columns)
    if table is DIAGNOSIS:
        return {"type": "array", "items": {"type": "string"}, "description": table.doc}
    required = [c for c in cols if not table.column(c).optional and not table.column(c).nullable]
    if table is MARGINAL_VALUES:
        required = [c for c in required if c not in ("period", "tier", "hardware")]
    return {
        "type": "array",
        "description": table.doc,
        "items": {
            "type": "object",
            "properties": {c: _json_type(table.column(c)) for c in cols},
            "required": required,
        },
    }


def result_json_schema() -> dict[str, Any]:
    """The JSON Schema of the result JSON (docs/result.schema.json), built from the above."""
    props: dict[str, Any] = {}
    for f in RESULT_FIELDS:
        if f.type.startswith("table:"):
            props[f.key] = _rows_schema(PLAN_TABLES[f.type[6:]], f.key)
            continue
        kind: Any = [f.type, "null"] if f.nullable else f.type
        props[f.key] = {"type": kind, "description": f.doc}
    fin = props["finance"]
    fin["properties"] = {t.name: _rows_schema(t, t.name) for t in FINANCE_TABLES.values()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "optimizer result",
        "description": "What optimizer solve --json prints and plan.json holds (docs/format.md)",
        "type": "object",
        "properties": props,
        "required": [f.key for f in RESULT_FIELDS if not f.optional],
    }


def result_json_schema_text() -> str:
    """:func:`result_json_schema` as the text of docs/result.schema.json."""
    import json

    return json.dumps(result_json_schema(), indent=2) + "\n"


def tables_markdown() -> str:
    """The tables' columns as the Markdown of docs/format.md ("Result tables")."""
    out = []
    for table in (*PLAN_TABLES.values(), *FINANCE_TABLES.values()):
        shown = "; ".join(
            f"`{key}` shows " + (", ".join(f"`{c}`" for c in cols) if cols else "every column")
            for key, cols in table.json
        )
        csv = f" Every column in `{table.csv}`." if table.csv else ""
        out += [
            f"`{table.name}`: {table.doc}. In the JSON: {shown}.{csv}",
            "",
            "| column | unit | JSON digits | meaning |",
            "|---|---|---|---|",
        ]
        for c in table.columns:
            notes = [c.doc] + (["only with time_slices"] if c.optional else [])
            notes += ["may be null"] if c.nullable else []
            digits = "" if c.digits is None else str(c.digits)
            out.append(f"| `{c.name}` | {c.unit} | {digits} | {'; '.join(notes)} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # python -m optimizer.result_schema [markdown|json]
    import sys

    what = sys.argv[1] if len(sys.argv) > 1 else "markdown"
    print(result_json_schema_text() if what == "json" else tables_markdown(), end="")
