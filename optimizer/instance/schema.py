"""The instance schema of docs/model.md, as frozen pydantic models.

Every key of docs/format.md is a field here, with its default and its unit in the
name. Unknown keys, wrong types, NaN/inf and out-of-range numbers are rejected by
pydantic; checks that need the whole instance (ids unique, per-period mappings
covering every period, availability windows naming real periods) live in
:func:`Instance.cross_checks` so that all problems are reported together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from optimizer import fmt
from optimizer.instance.menus import expand_menu_spec

PeriodLabel = int | str

# Upper limits far above any real site, so that every coefficient stays in the range
# HiGHS accepts (it drops matrix entries of 1e15 and more) and a typo of ten zeros is
# caught at load time, naming its key, instead of giving a wrong status.
MAX_MW = 1e7  # 10 TW
MAX_USD = 1e15
MAX_UNIT_COUNT = 10**9
MAX_RATE = 1e6  # USD per Mtok or per MWh, tokens/s per user, seconds


NonNeg = Annotated[float, Field(ge=0, le=1e12)]
MWValue = Annotated[float, Field(ge=0, le=MAX_MW)]
USDValue = Annotated[float, Field(ge=0, le=MAX_USD)]
RateValue = Annotated[float, Field(ge=0, le=MAX_RATE)]
PositiveRate = Annotated[float, Field(gt=0, le=MAX_RATE)]
# A figure that is either one number for every period or a {period: number} mapping.
PerPeriod = NonNeg | dict[PeriodLabel, NonNeg]
PowerMW = MWValue | dict[PeriodLabel, MWValue]
Money = USDValue | dict[PeriodLabel, USDValue]
Rate = RateValue | dict[PeriodLabel, RateValue]
Count = Annotated[int, Field(ge=0, le=MAX_UNIT_COUNT)]
UnitPrice = Annotated[float, Field(ge=0, le=1e12)]
# Capex and existing units may change by period (docs/model.md, capex and existing units).
UnitPriceByPeriod = UnitPrice | dict[PeriodLabel, UnitPrice]
CountByPeriod = Count | dict[PeriodLabel, Count]
# v3 (docs/model.md "v3 options"): a share in [0, 1], and a delivery share in (0, 1].
Share = Annotated[float, Field(ge=0, le=1)]
DeliveryShare = Annotated[float, Field(gt=0, le=1)]
DeliveryByPeriod = DeliveryShare | dict[PeriodLabel, DeliveryShare]
CoolingClass = Literal["air", "liquid"]

HOURS_PER_YEAR = 8760.0
# Option time_slices: hours shares and demand profiles must sum to 1 within this.
SHARE_SUM_TOL = 1e-9
SECONDS_PER_YEAR = 31_536_000.0


class _Frozen(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False, validate_default=True
    )


class Cooling(_Frozen):
    """v3 option: rack positions by the cooling they offer (docs/model.md, cooling)."""

    air: PerPeriod | None = Field(None, description="Air-cooled rack positions.")
    liquid: PerPeriod | None = Field(None, description="Liquid-cooled rack positions.")


class Platform(_Frozen):
    """v3 option: a platform (a software stack, a vendor's fleet) with a yearly fixed cost
    paid in every period any unit of it runs (docs/model.md, platforms)."""

    id: str = Field(min_length=1)
    fixed_cost_usd_per_year: USDValue = Field(
        0.0, description="USD per year in every period a unit of the platform is installed."
    )


class Site(_Frozen):
    """The facility: what physics and money allow in each period."""

    power_mw: PowerMW = Field(description="Facility power cap, MW.")
    pue: Annotated[float, Field(ge=1, le=10)] = Field(1.0, description="Facility power / IT power.")
    rack_positions: PerPeriod = Field(description="Land cap, rack positions.")
    capex_budget_usd: Money | None = Field(None, description="Spend cap per period, USD.")
    electricity_usd_per_mwh: Rate = Field(0.0, description="Electricity price, USD/MWh.")
    fixed_cost_usd_per_year: USDValue = Field(
        0.0,
        description="Cost of the site no decision changes (building, grid, cooling), "
        "USD per year; profit subtracts it, revenue ignores it.",
    )
    cooling: Cooling | None = Field(
        None,
        description="v3 option: rack positions by cooling class, {air: N, liquid: M} (each a "
        "number or {period: number}); hardware with a cooling class fits only those.",
    )


class Hardware(_Frozen):
    """One purchasable unit type (a server, a rack)."""

    id: str = Field(min_length=1)
    gpus_per_unit: Annotated[int, Field(gt=0, le=10**6)]
    power_kw: Annotated[float, Field(ge=0, le=1e6)] = Field(
        description="IT power of one unit at full load, kW."
    )
    rack_positions: Annotated[float, Field(ge=0, le=1e6)] = 1.0
    capex_usd: UnitPriceByPeriod = Field(
        0.0, description="Price of one unit, USD; or {period: price of a unit bought then}."
    )
    lifetime_years: Annotated[float, Field(gt=0, le=1000)] | None = None
    available_from: PeriodLabel | None = None
    available_until: PeriodLabel | None = None
    max_units: Count | None = None
    min_units: Count = 0
    existing_units: CountByPeriod = Field(
        0, description="Units installed at no capex; or {period: units} (retirements)."
    )
    frontier_scale: Annotated[float, Field(gt=0, le=100)] = Field(
        1.0,
        description="Multiplies this hardware's tok_s_per_gpu (throughput uncertainty of its "
        "frontier; on top of the instance-wide frontier_scale).",
    )
    # v3 options (docs/model.md "v3 options"), each off by default.
    opex_usd_per_year: Money = Field(
        0.0, description="v3: operating cost of one installed unit, USD per year (profit, cost)."
    )
    idle_power_share: Share = Field(
        0.0, description="v3: share of power_kw an installed unit draws even when idle."
    )
    delivery_share: DeliveryByPeriod = Field(
        1.0, description="v3: share of a period a unit bought in it can serve, in (0, 1]."
    )
    platform: str | None = Field(None, description="v3: id of the platform it belongs to.")
    cooling: CoolingClass | None = Field(
        None, description="v3: the cooling class of rack position it needs (air | liquid)."
    )


class MenuEntry(_Frozen):
    """A price menu entry: a price the tier could list and the Mtok it would sell at it."""

    price_usd_per_mtok: Rate
    demand_mtok: Money


class TimeSlice(_Frozen):
    """Option ``time_slices``: a share of every period's hours (a peak, a night...)."""

    id: str = Field(min_length=1)
    hours_share: Annotated[float, Field(gt=0, le=1)] = Field(
        description="Share of the period's hours in this slice, in (0, 1]; the shares sum to 1."
    )


class Tier(_Frozen):
    """A product sold by the token: a model at a context, speed and price.

    ``price_menu`` (a list of {price, demand} entries, or a demand-curve spec: constant
    elasticity, linear or logistic, that :func:`optimizer.instance.menus.expand_menu_spec`
    turns into one) replaces
    ``price_usd_per_mtok`` and ``demand_mtok``; giving both is an error.
    """

    id: str = Field(min_length=1)
    model: str = Field(min_length=1)
    context_tokens: Annotated[int, Field(gt=0, le=10**9)]
    price_usd_per_mtok: Rate | None = None
    price_menu: Annotated[list[MenuEntry], Field(min_length=1)] | None = None
    min_interactivity: PositiveRate = Field(description="Tokens/s each user must see, at least.")
    max_ttft_s: PositiveRate | None = None
    demand_mtok: Money | None = None
    utilization: Annotated[float, Field(gt=0, le=1)] = 1.0
    min_power_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    max_power_share: Annotated[float, Field(ge=0, le=1)] = 1.0
    # v3 options (docs/model.md "v3 options"), each off by default.
    committed_mtok: Money | None = Field(
        None, description="v3: Mtok that must be sold in each period (a contract), at least."
    )
    max_price_change: Annotated[float, Field(ge=0, le=100)] | None = Field(
        None,
        description="v3: for a price menu, the most the listed price may move from one period "
        "to the next, as a ratio (0.25 = 25%).",
    )
    # Option time_slices: the share of the period's demand in each slice (sums to 1;
    # default each slice's hours_share, a flat load). docs/model.md "Time slices".
    demand_profile: dict[str, Annotated[float, Field(ge=0, le=1)]] | None = Field(
        None,
        description="Option time_slices: {slice id: share of the period's demand}, summing "
        "to 1; default each slice's hours_share (a flat load).",
    )

    @model_validator(mode="before")
    @classmethod
    def _expand_menu(cls, data: Any) -> Any:
        """A demand-curve spec under ``price_menu`` becomes the list of entries."""
        if isinstance(data, Mapping) and isinstance(data.get("price_menu"), Mapping):
            return {**data, "price_menu": expand_menu_spec(data["price_menu"])}
        return data


class FrontierRow(_Frozen):
    """One operating point of a frontier table, given inline.

    Unknown keys are errors (a misspelt ``ttft`` would otherwise drop the latency cap
    silently). Besides the planner's columns, rows may carry descriptive columns that
    the planner does not use: ``layout``, ``technique``, ``units_per_replica``,
    ``source``, ``isl``, ``osl``, ``note``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    hardware: str = Field(min_length=1)
    model: str = Field(min_length=1)
    context_tokens: Annotated[int, Field(gt=0, le=10**9)]
    interactivity: Annotated[float, Field(gt=0, le=1e7)]
    tok_s_per_gpu: Annotated[float, Field(ge=0, le=1e9)]
    ttft_s: RateValue | None = None
    # units one replica of the row's layout spans (> 0; read by the whole_replicas option)
    units_per_replica: Annotated[float, Field(gt=0, le=1e6)] | None = None
    # Descriptive columns (kept for people and tools; not used by the model).
    layout: str | None = None
    technique: str | None = None
    source: str | None = None
    isl: Annotated[int, Field(ge=1, le=10**9)] | None = None
    osl: Annotated[int, Field(ge=1, le=10**9)] | None = None
    note: str | None = None


class Instance(_Frozen):
    """A planning instance, validated. Immutable: derive variants with :meth:`with_changes`."""

    name: str = Field(min_length=1)
    periods: list[PeriodLabel] = Field(default_factory=lambda: list[PeriodLabel]([1]), min_length=1)
    period_years: Annotated[float, Field(gt=0, le=100)] = 1.0
    discount_rate: Annotated[float, Field(ge=0, le=10)] = 0.0
    objective: Literal["revenue", "profit", "cost"] = "revenue"
    residual_value: Literal["none", "straight_line"] = Field(
        "none", description="straight_line credits unexpired hardware at the horizon's end."
    )
    site: Site
    hardware: list[Hardware] = Field(min_length=1)
    tiers: list[Tier] = Field(min_length=1)
    frontiers: str | list[str] | list[FrontierRow]
    # v3 option: platforms with a fixed cost per year while any of their units is installed.
    platforms: list[Platform] = Field(default_factory=list)
    # Option (off by default): serve whole replicas, serve[h,t,p] = units_per_replica x an
    # integer count (units_per_replica from the frontier row used; 1 when the table has none).
    whole_replicas: bool = False
    # Option (1 = off): multiplies every tok_s_per_gpu of the frontier table, e.g. a sweep
    # of frontier_scale over the typical / tuned factor (docs/model.md, Coefficients).
    frontier_scale: Annotated[float, Field(gt=0, le=100)] = 1.0
    # Option (off by default): slices of every period's hours (docs/model.md "Time slices").
    # Unset = one slice holding every hour: the model without a slice index.
    time_slices: Annotated[list[TimeSlice], Field(min_length=1)] | None = Field(
        None,
        description="Option: [{id, hours_share}] slices of every period's hours (shares sum "
        "to 1); serving and sales are planned per slice.",
    )

    # Folder that relative frontier paths are read from (the instance file's folder).
    _base_dir: str | None = PrivateAttr(default=None)

    # ----------------------------------------------------------------- helpers
    @property
    def base_dir(self) -> str | None:
        return self._base_dir

    def period_index(self, label: PeriodLabel) -> int:
        """Position of a period label in ``periods`` (labels compare as text)."""
        wanted = str(label)
        for i, p in enumerate(self.periods):
            if str(p) == wanted:
                return i
        raise KeyError(label)

    def per_period(self, value: float | Mapping[PeriodLabel, float] | None) -> list[float | None]:
        """Expand a scalar-or-mapping figure to one value per period (None stays None)."""
        if value is None:
            return [None] * len(self.periods)
        if isinstance(value, Mapping):
            by_text = {str(k): float(v) for k, v in value.items()}
            return [by_text[str(p)] for p in self.periods]
        return [float(value)] * len(self.periods)

    def weights(self) -> list[float]:
        """Discount weight of each period: (1 + rate) ** (-index * period_years)."""
        return [
            (1.0 + self.discount_rate) ** (-i * self.period_years) for i in range(len(self.periods))
        ]

    def sale_window(self, hw: Hardware) -> tuple[int, int]:
        """First and last period index in which ``hw`` can be bought."""
        first, last = hw.available_from, hw.available_until
        lo = 0 if first is None else self.period_index(first)
        hi = len(self.periods) - 1 if last is None else self.period_index(last)
        return lo, hi

    def per_period_values(self, value: float | Mapping[PeriodLabel, float]) -> list[float]:
        """Like :meth:`per_period` for a figure that is always set."""
        return [0.0 if v is None else v for v in self.per_period(value)]

    def capex_by_period(self, hw: Hardware) -> list[float]:
        """Price of one unit of ``hw`` bought in each period, USD (may vary)."""
        return self.per_period_values(hw.capex_usd)

    def shown_prices(self, tier: Tier) -> list[float]:
        """A tier's price per period for display: the listed price, or for a price menu
        its middle entry (the reference price of a symmetric constant-elasticity menu)."""
        if tier.price_menu is None:
            return [float(v or 0.0) for v in self.per_period(tier.price_usd_per_mtok)]
        middle = tier.price_menu[(len(tier.price_menu) - 1) // 2]
        return self.per_period_values(middle.price_usd_per_mtok)

    def existing_by_period(self, hw: Hardware) -> list[float]:
        """Units of ``hw`` installed at no capex in each period (may vary)."""
        return self.per_period_values(hw.existing_units)

    def residual_fraction(self, hw: Hardware, index: int) -> float:
        """Share of a unit's price left at the horizon's end when bought in period ``index``.

        ``max(0, lifetime - (N - i) * period_years) / lifetime`` with straight_line
        residual value, else 0 (docs/model.md, `residual_value`).
        """
        if self.residual_value != "straight_line" or hw.lifetime_years is None:
            return 0.0
        n = len(self.periods)
        left = hw.lifetime_years - (n - index) * self.period_years
        return max(0.0, left) / hw.lifetime_years

    def end_weight(self) -> float:
        """w_end = (1 + rate) ** (-N * period_years): the discount at the horizon's end."""
        return (1.0 + self.discount_rate) ** (-len(self.periods) * self.period_years)

    def lifetime_periods(self, hw: Hardware) -> int:
        """L[h] = ceil(lifetime_years / period_years); the whole horizon when unset."""
        if hw.lifetime_years is None:
            return len(self.periods)
        return max(1, math.ceil(hw.lifetime_years / self.period_years - 1e-12))

    def slice_ids(self) -> list[str]:
        """The time slices' ids (option ``time_slices``); empty when the option is off."""
        return [s.id for s in self.time_slices or ()]

    def demand_shares(self, tier: Tier) -> dict[str, float]:
        """{slice: share of the tier's demand}: its ``demand_profile`` (slices it leaves out
        get 0), or each slice's ``hours_share`` (a flat load). Empty when slices are off."""
        slices = self.time_slices or []
        if tier.demand_profile is None:
            return {s.id: s.hours_share for s in slices}
        return {s.id: float(tier.demand_profile.get(s.id, 0.0)) for s in slices}

    def with_changes(self, **changes: Any) -> Instance:
        """A validated copy with top-level keys replaced, keeping the base folder.

        Validated as loading validates (schema and cross-checks: unique ids, periods...).

        Raises
        ------
        optimizer.InputError
            With every problem, one line each.
        """
        from optimizer.instance.load import validate_document

        data = self.model_dump()
        data.update(changes)
        return validate_document(data, self._base_dir, strict=False)

    # ------------------------------------------------------------ cross checks
    def cross_checks(self) -> list[str]:
        """Problems that need the whole instance; one line each, naming the key path."""
        problems: list[str] = []
        labels = [str(p) for p in self.periods]
        seen: set[str] = set()
        for i, p in enumerate(labels):
            if p in seen:
                problems.append(f"periods[{i}]: duplicate period label {p}")
            seen.add(p)

        def check_map(path: str, value: object) -> None:
            if isinstance(value, Mapping):
                keys = {str(k) for k in value}
                missing = [p for p in labels if p not in keys]
                extra = sorted(keys - set(labels))
                if missing:
                    problems.append(f"{path}: no value for period(s) {', '.join(missing)}")
                if extra:
                    problems.append(f"{path}: unknown period(s) {', '.join(extra)}")

        for key in ("power_mw", "rack_positions", "capex_budget_usd", "electricity_usd_per_mwh"):
            check_map(f"site.{key}", getattr(self.site, key))
        for i, hw in enumerate(self.hardware):
            check_map(f"hardware[{i}].capex_usd", hw.capex_usd)
            check_map(f"hardware[{i}].existing_units", hw.existing_units)

        for kind, id_list in (
            ("hardware", [h.id for h in self.hardware]),
            ("tiers", [t.id for t in self.tiers]),
        ):
            ids: dict[str, int] = {}
            for i, ident in enumerate(id_list):
                if ident in ids:
                    problems.append(
                        f"{kind}[{i}].id: duplicate id {ident!r} (also {kind}[{ids[ident]}])"
                    )
                ids.setdefault(ident, i)

        for i, hw in enumerate(self.hardware):
            window: list[int] = []
            for key in ("available_from", "available_until"):
                label = getattr(hw, key)
                if label is None:
                    continue
                if str(label) not in labels:
                    problems.append(
                        f"hardware[{i}].{key}: {label} is not one of periods {fmt.labels(labels)}"
                    )
                else:
                    window.append(labels.index(str(label)))
            if len(window) == 2 and hw.available_from is not None and window[0] > window[1]:
                problems.append(
                    f"hardware[{i}].available_from: {hw.available_from!r} is after "
                    f"available_until {hw.available_until!r}"
                )
            if hw.max_units is not None and hw.min_units > hw.max_units:
                problems.append(
                    f"hardware[{i}].min_units: {hw.min_units} exceeds max_units {hw.max_units}"
                )

        for i, tier in enumerate(self.tiers):
            check_map(f"tiers[{i}].price_usd_per_mtok", tier.price_usd_per_mtok)
            check_map(f"tiers[{i}].demand_mtok", tier.demand_mtok)
            if tier.price_menu is not None:
                for key in ("price_usd_per_mtok", "demand_mtok"):
                    if getattr(tier, key) is not None:
                        problems.append(
                            f"tiers[{i}].{key}: give either price_menu or "
                            "price_usd_per_mtok/demand_mtok, not both"
                        )
                for k, entry in enumerate(tier.price_menu):
                    check_map(
                        f"tiers[{i}].price_menu[{k}].price_usd_per_mtok", entry.price_usd_per_mtok
                    )
                    check_map(f"tiers[{i}].price_menu[{k}].demand_mtok", entry.demand_mtok)
            elif tier.price_usd_per_mtok is None and self.objective != "cost":
                problems.append(
                    f"tiers[{i}].price_usd_per_mtok: required key is missing (or give a price_menu)"
                )
            if tier.demand_profile is not None:
                known = set(self.slice_ids())
                for sid in tier.demand_profile:
                    if sid not in known:
                        problems.append(
                            f"tiers[{i}].demand_profile.{sid}: unknown time slice {sid!r} "
                            + (
                                f"(time_slices: {', '.join(self.slice_ids())})"
                                if known
                                else "(no time_slices are set)"
                            )
                        )
                total = sum(tier.demand_profile.values())
                if abs(total - 1.0) > SHARE_SUM_TOL:
                    problems.append(f"tiers[{i}].demand_profile: shares sum to {total:.12g}, not 1")
            if tier.min_power_share > tier.max_power_share:
                problems.append(
                    f"tiers[{i}].min_power_share: {tier.min_power_share} exceeds "
                    f"max_power_share {tier.max_power_share}"
                )
        problems += self._v3_checks(check_map)
        problems += self._slice_checks()
        return problems

    def _v3_checks(self, check_map: Any) -> list[str]:
        """Cross-checks of the v3 options (docs/model.md "v3 options"), one line each."""
        problems: list[str] = []
        labels = [str(p) for p in self.periods]
        for i, hw in enumerate(self.hardware):
            check_map(f"hardware[{i}].opex_usd_per_year", hw.opex_usd_per_year)
            check_map(f"hardware[{i}].delivery_share", hw.delivery_share)
        cooling = self.site.cooling
        if cooling is not None:
            check_map("site.cooling.air", cooling.air)
            check_map("site.cooling.liquid", cooling.liquid)
        for i, tier in enumerate(self.tiers):
            check_map(f"tiers[{i}].committed_mtok", tier.committed_mtok)
        platform_ids: dict[str, int] = {}
        for i, plat in enumerate(self.platforms):
            if plat.id in platform_ids:
                problems.append(
                    f"platforms[{i}].id: duplicate id {plat.id!r} "
                    f"(also platforms[{platform_ids[plat.id]}])"
                )
            platform_ids.setdefault(plat.id, i)
        for i, hw in enumerate(self.hardware):
            if hw.platform is not None and hw.platform not in platform_ids:
                known = ", ".join(platform_ids) or "none"
                problems.append(
                    f"hardware[{i}].platform: {hw.platform!r} is not a platforms[].id "
                    f"(ids: {known})"
                )
            if hw.cooling is not None:
                listed = cooling is not None and getattr(cooling, hw.cooling) is not None
                if not listed:
                    problems.append(
                        f"hardware[{i}].cooling: {hw.cooling!r} positions are not listed in "
                        f"site.cooling (give site.cooling.{hw.cooling})"
                    )
        floors = sum(t.min_power_share for t in self.tiers)
        if floors > 1 + 1e-9:
            parts = " + ".join(f"{t.min_power_share:g}" for t in self.tiers if t.min_power_share)
            problems.append(
                f"tiers[].min_power_share: the floors sum to {floors:g} ({parts}) > 1; "
                "no plan can give every tier its share"
            )

        def values(value: Any) -> list[float | None]:
            if isinstance(value, Mapping) and {str(k) for k in value} != set(labels):
                return [None] * len(labels)  # reported by check_map
            return self.per_period(value)

        for i, tier in enumerate(self.tiers):
            if tier.committed_mtok is not None and tier.demand_mtok is not None:
                for p, c, d in zip(
                    labels, values(tier.committed_mtok), values(tier.demand_mtok), strict=True
                ):
                    if c is not None and d is not None and c > d:
                        problems.append(
                            f"tiers[{i}].committed_mtok[{p}]: {c:g} Mtok committed exceeds "
                            f"demand_mtok {d:g}"
                        )
            if tier.max_price_change is not None and tier.price_menu is None:
                problems.append(
                    f"tiers[{i}].max_price_change: applies to a price_menu tier only "
                    "(this tier lists one price)"
                )
        if self.objective == "cost":
            problems += self.cost_objective_problems()
        return problems

    def cost_objective_problems(self) -> list[str]:
        """What objective ``cost`` (least cost to serve a forecast) needs of the tiers."""
        problems: list[str] = []
        for i, tier in enumerate(self.tiers):
            if tier.price_menu is not None:
                problems.append(
                    f"tiers[{i}].price_menu: objective cost serves a forecast; give "
                    "demand_mtok, not a price menu"
                )
            elif tier.demand_mtok is None:
                problems.append(
                    f"tiers[{i}].demand_mtok: objective cost needs the forecast to serve "
                    "(Mtok per period)"
                )
        return problems

    def _slice_checks(self) -> list[str]:
        """Option time_slices: unique ids, hours shares summing to 1."""
        if self.time_slices is None:
            return []
        problems: list[str] = []
        seen: dict[str, int] = {}
        for k, sl in enumerate(self.time_slices):
            if sl.id in seen:
                problems.append(
                    f"time_slices[{k}].id: duplicate id {sl.id!r} (also time_slices[{seen[sl.id]}])"
                )
            seen.setdefault(sl.id, k)
        total = sum(sl.hours_share for sl in self.time_slices)
        if abs(total - 1.0) > SHARE_SUM_TOL:
            problems.append(f"time_slices: hours_share values sum to {total:.12g}, not 1")
        return problems
