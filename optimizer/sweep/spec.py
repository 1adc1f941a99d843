"""What a sweep changes: key paths into an instance, and the values they take.

Key paths name a number in the instance, with ids for list items and period labels
for per-period figures::

    site.power_mw                       every period of a scalar or mapping
    site.power_mw[2027]                 one period
    tiers[high].price_usd_per_mtok      a tier by id
    hardware[gb300-nvl72].capex_usd     a hardware by id
    hardware[gb300-nvl72].capex_usd[2028]   the price of a unit bought in 2028
    tiers[high].price_menu[0].demand_mtok[2027]   a price-menu entry by position (from 0)
    time_slices[peak].hours_share       option time_slices: a slice's share of the hours
    tiers[chat].demand_profile[peak]    a tier's share of demand in a slice
    discount_rate

Setting one time slice's share (of hours, or of a tier's demand) rescales the other slices'
shares in proportion, so that they still sum to 1.

Values: a list ``1,2,3``; a range ``start:stop:step`` (stop included when the
steps land on it); or a distribution for Monte Carlo: ``uniform(a,b)``,
``normal(m,s)``, ``triangular(a,mode,b)``, ``scale(x0.8,x1.2)`` (the base value
times a uniform factor; for a per-period mapping, every period's value; the table
records the factor). A plain value given for a key that holds a per-period mapping
replaces every period's value. Keys that hold a period label
(``hardware[x].available_from=2027,2028``) take period labels, matched as text
against ``periods``. Every problem (unknown keys, unreadable values, values the
instance schema refuses at either end of their range) is raised as one InputError
naming each key, all at once, before anything is solved.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimizer import fmt
from optimizer.errors import InputError
from optimizer.instance.schema import Instance

_STEP = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]]+)\])?$")
_DIST = re.compile(r"^(uniform|normal|triangular|scale)\((.*)\)$")


# Fields that hold a period label, not a number.
PERIOD_FIELDS = frozenset({"available_from", "available_until"})
# Fields whose unset value (null) means 0 (v3 committed_mtok: no commitment), so a sweep
# may set them, or one period of them, on an instance that leaves them out.
NULL_IS_ZERO = frozenset({"committed_mtok"})
# Option time_slices: mappings keyed by slice id (not by period), whose values sum to 1.
SLICE_FIELDS = frozenset({"demand_profile"})

ScenarioValue = float | int | str  # a number, a Factor, or a period label


class Factor(float):
    """A scenario value that multiplies the base value (every period of a mapping)."""

    def __repr__(self) -> str:
        return f"x{float(self):g}"


@dataclass(frozen=True)
class KeyPath:
    """A parsed key path: list steps by id, then a field, then an optional period."""

    text: str
    steps: tuple[tuple[str, str | None], ...]

    def __str__(self) -> str:
        return self.text


def parse_key(text: str) -> KeyPath:
    parts = [p for p in text.strip().split(".")]
    steps: list[tuple[str, str | None]] = []
    for part in parts:
        m = _STEP.match(part)
        if not m:
            raise InputError(f"--set {text}: cannot read key part {part!r}")
        steps.append((m.group(1), m.group(2)))
    return KeyPath(text=text.strip(), steps=tuple(steps))


def _find(doc: dict[str, Any], key: KeyPath) -> tuple[dict[str, Any], str, str | None]:
    """The mapping that holds the key's field, the field name and the period (if any)."""
    node: Any = doc
    where = ""
    for i, (name, sel) in enumerate(key.steps):
        last = i == len(key.steps) - 1
        if not isinstance(node, dict) or name not in node:
            known = ", ".join(sorted(node)) if isinstance(node, dict) else ""
            raise InputError(f"{key}: no key {name!r} at {where or 'top level'} (has: {known})")
        value = node[name]
        if isinstance(value, list):
            if sel is None:
                raise InputError(f"{key}: {name} is a list; pick an item by id, e.g. {name}[ID]")
            ids = [str(item.get("id")) for item in value if isinstance(item, dict)]
            if all(isinstance(item, dict) and "id" not in item for item in value):
                # Entries without ids (price-menu entries): by position, from 0.
                if not sel.isdigit() or int(sel) >= len(value):
                    raise InputError(
                        f"{key}: {name} has {len(value)} entries; pick one by position "
                        f"0..{len(value) - 1}"
                    )
                ids = [str(i) for i in range(len(value))]
            elif sel not in ids:
                raise InputError(f"{key}: no {name} with id {sel!r} (ids: {', '.join(ids)})")
            node = value[ids.index(sel)]
            where = f"{name}[{sel}]"
            if last:
                raise InputError(f"{key}: names a whole {name} entry, not a number")
            continue
        if last:
            return node, name, sel
        node = value
        where = name
    raise InputError(f"{key}: names no number")


def base_value(doc: dict[str, Any], key: KeyPath, periods: Sequence[Any]) -> float:
    """The value a key has in the base instance (the first period's, for a mapping)."""
    holder, name, period = _find(doc, key)
    value = holder[name]
    if value is None and name in NULL_IS_ZERO:
        value = 0.0
    if name in SLICE_FIELDS:
        return _slice_share(doc, key, holder, name, period)
    if period is not None and str(period) not in {str(p) for p in periods}:
        raise InputError(f"{key}: no period {period} (periods: {fmt.labels(periods)})")
    if isinstance(value, Mapping):
        by_text = {str(k): v for k, v in value.items()}
        label = period if period is not None else str(periods[0])
        if str(label) not in by_text:
            raise InputError(f"{key}: no period {label} (periods: {fmt.labels(periods)})")
        value = by_text[str(label)]
    if value is None:
        raise InputError(f"{key}: is not set in the instance; give it a value first")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{key}: is {value!r}, not a number")
    return float(value)


def period_label(key: KeyPath, value: object, periods: Sequence[Any]) -> Any:
    """The period of ``periods`` that ``value`` names (compared as text: 2027 = "2027")."""
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))  # a CSV column read as numbers: 2027.0
    for p in periods:
        if str(p) == text:
            return p
    raise InputError(f"{key}: {text!r} is not one of periods {[str(p) for p in periods]}")


def apply(
    doc: dict[str, Any], changes: Mapping[KeyPath, ScenarioValue], periods: Sequence[Any]
) -> dict[str, Any]:
    """A copy of the instance document with the changes made."""
    out = copy.deepcopy(doc)
    for key, value in changes.items():
        holder, name, period = _find(out, key)
        current = holder.get(name)
        if current is None and name in NULL_IS_ZERO:
            current = 0.0
        if name in SLICE_FIELDS or (key.steps[0][0] == "time_slices" and name == "hours_share"):
            _set_slice_share(out, key, holder, name, period, value)
            continue
        if isinstance(value, Factor):
            holder[name] = _scaled(current, float(value), period, name)
            continue
        if name in PERIOD_FIELDS:
            holder[name] = period_label(key, value, periods)
            continue
        if isinstance(value, str):
            raise InputError(f"{key}: {value!r} is not a number")
        number: float | int = round(value) if _is_int_field(name) else float(value)
        if period is None:
            holder[name] = number
        else:
            if str(period) not in {str(p) for p in periods}:
                raise InputError(f"{key}: no period {period} (periods: {fmt.labels(periods)})")
            if isinstance(current, Mapping):
                mapping = {k: v for k, v in current.items()}
            else:
                mapping = {p: current for p in periods}
            label = next(p for p in mapping if str(p) == str(period))
            mapping[label] = number
            holder[name] = mapping
    return out


def _slice_ids(doc: Mapping[str, Any]) -> list[str]:
    return [str(x.get("id")) for x in doc.get("time_slices") or () if isinstance(x, Mapping)]


def _slice_share(
    doc: Mapping[str, Any], key: KeyPath, holder: Mapping[str, Any], name: str, sel: str | None
) -> float:
    """A tier's demand share in one slice: its profile's entry, or the slice's hours share."""
    ids = _slice_ids(doc)
    if sel is None:
        raise InputError(f"{key}: pick a time slice, e.g. {name}[{ids[0] if ids else 'peak'}]")
    if sel not in ids:
        raise InputError(f"{key}: no time slice {sel!r} (time_slices: {', '.join(ids) or 'none'})")
    profile = holder.get(name)
    if profile is None:
        return float(doc["time_slices"][ids.index(sel)]["hours_share"])
    return float(profile.get(sel, 0.0))


def _set_slice_share(
    doc: dict[str, Any],
    key: KeyPath,
    holder: dict[str, Any],
    name: str,
    sel: str | None,
    value: ScenarioValue,
) -> None:
    """Set one slice's share (hours, or a tier's demand profile) and rescale the others'
    in proportion so the shares still sum to 1 (left as they are when the others are all 0:
    the instance's check then names the sum)."""
    if isinstance(value, str):
        raise InputError(f"{key}: {value!r} is not a number")
    if name == "hours_share":
        shares = {str(x["id"]): float(x["hours_share"]) for x in doc["time_slices"]}
        sel = str(holder["id"])
    else:
        base = _slice_share(doc, key, holder, name, sel)  # checks the slice id
        assert sel is not None
        shares = {str(x["id"]): float(x["hours_share"]) for x in doc["time_slices"]}
        if holder.get(name) is not None:
            shares = {i: float(holder[name].get(i, 0.0)) for i in shares}
        shares[sel] = base
    new = shares[sel] * float(value) if isinstance(value, Factor) else float(value)
    others = sum(v for i, v in shares.items() if i != sel)
    scale = (1.0 - new) / others if others > 0 else 1.0
    shares = {i: (new if i == sel else v * scale) for i, v in shares.items()}
    if name == "hours_share":
        for x in doc["time_slices"]:
            x["hours_share"] = shares[str(x["id"])]
    else:
        holder[name] = shares


def _scaled(current: Any, factor: float, period: str | None, name: str) -> Any:
    """``current`` (a number or a {period: number} mapping) times ``factor``."""

    def times(v: Any) -> Any:
        if v is None:
            return None
        out = v * factor
        return round(out) if _is_int_field(name) else out

    if isinstance(current, Mapping):
        return {
            k: (times(v) if period is None or str(k) == str(period) else v)
            for k, v in current.items()
        }
    return times(current)


def _is_int_field(name: str) -> bool:
    return name in {"gpus_per_unit", "context_tokens", "max_units", "min_units", "existing_units"}


# ---------------------------------------------------------------------------- values
@dataclass(frozen=True)
class Values:
    """The values of one --set: a fixed list, or a distribution to sample."""

    key: KeyPath
    fixed: tuple[float, ...] | None = None
    dist: str | None = None
    params: tuple[float, ...] = ()
    items: tuple[str, ...] = ()  # a list's items as written (period labels are text)

    def sample(self, rng: np.random.Generator, n: int, base: float) -> np.ndarray:
        a = self.params
        if self.dist == "uniform":
            return rng.uniform(a[0], a[1], n)
        if self.dist == "normal":
            return rng.normal(a[0], a[1], n)
        if self.dist == "triangular":
            return rng.triangular(a[0], a[1], a[2], n)
        if self.dist == "scale":
            return rng.uniform(a[0], a[1], n)  # factors: see Factor
        raise AssertionError(self.dist)


def _number(text: str, key: KeyPath) -> float:
    try:
        v = float(text.strip().lstrip("x"))
    except ValueError:
        raise InputError(f"--set {key}: {text.strip()!r} is not a number") from None
    if not math.isfinite(v):
        raise InputError(f"--set {key}: {text.strip()!r} is not a finite number")
    return v


def parse_values(key: KeyPath, text: str) -> Values:
    text = text.strip()
    if key.steps[-1][0] in PERIOD_FIELDS and (_DIST.match(text) or ":" in text):
        raise InputError(f"--set {key}: takes period labels, a list such as 2027,2028")
    m = _DIST.match(text)
    if m:
        kind, inner = m.group(1), m.group(2)
        params = tuple(_number(t, key) for t in inner.split(","))
        need = {"uniform": 2, "normal": 2, "triangular": 3, "scale": 2}[kind]
        if len(params) != need:
            raise InputError(f"--set {key}: {kind}() takes {need} numbers, got {len(params)}")
        if kind in ("uniform", "scale") and params[0] > params[1]:
            raise InputError(f"--set {key}: {kind}(a,b) needs a <= b")
        if kind == "normal" and params[1] < 0:
            raise InputError(f"--set {key}: normal(m,s) needs s >= 0")
        if kind == "triangular" and not params[0] <= params[1] <= params[2]:
            raise InputError(f"--set {key}: triangular(a,mode,b) needs a <= mode <= b")
        return Values(key=key, dist=kind, params=params)
    if ":" in text and "," not in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise InputError(f"--set {key}: a range is start:stop:step, got {text!r}")
        start, stop, step = (_number(p, key) for p in parts)
        if step <= 0 or stop < start:
            raise InputError(f"--set {key}: range {text!r} needs step > 0 and stop >= start")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        if count > 100_000:
            raise InputError(f"--set {key}: range {text!r} has {count} values (at most 100000)")
        return Values(key=key, fixed=tuple(round(start + i * step, 12) for i in range(count)))
    items = tuple(t.strip() for t in text.split(",") if t.strip())
    if not items:
        raise InputError(f"--set {key}: no values")
    if key.steps[-1][0] in PERIOD_FIELDS:
        return Values(key=key, items=items)  # period labels: checked against the instance
    return Values(key=key, fixed=tuple(_number(t, key) for t in items), items=items)


def parse_set(option: str) -> Values:
    """One ``--set KEY=VALUES`` option."""
    if "=" not in option:
        raise InputError(f"--set {option}: expected KEY=VALUES")
    key_text, values_text = option.split("=", 1)
    return parse_values(parse_key(key_text), values_text)


# ------------------------------------------------------------------------- scenarios
_MAX_LISTED = 20  # bad scenario-table cells listed before "... and N more"


def _check_key(doc: dict[str, Any], key: KeyPath, periods: Sequence[Any]) -> None:
    """The key names something a scenario can set (a number, or a period label)."""
    if key.steps[-1][0] in PERIOD_FIELDS:
        _, _, period = _find(doc, key)
        if period is not None:
            raise InputError(f"{key}: a period label field takes no [period]")
        return
    base_value(doc, key, periods)


def _check_values(
    instance: Instance, key: KeyPath, values: Sequence[ScenarioValue], where: str
) -> list[str]:
    """Problems of an instance with ``key`` set to each of ``values`` (schema and cross-checks).

    Called with the two ends of a range or distribution: the schema's limits are
    bounds, so the values in between pass when both ends do.
    """
    from pydantic import ValidationError

    from optimizer.instance.load import format_validation_error

    doc = instance.model_dump()
    periods = list(instance.periods)
    problems: list[str] = []
    for value in dict.fromkeys(values):  # distinct, in order
        shown = f"x{float(value):g}" if isinstance(value, Factor) else str(value)
        try:
            changed = Instance.model_validate(apply(doc, {key: value}, periods))
            lines = changed.cross_checks()
        except InputError as exc:
            lines = exc.problems
        except ValidationError as exc:
            lines = format_validation_error(exc)
        problems += [f"{where} {key}={shown}: {line}" for line in lines]
    return problems


def _ends(values: Values) -> list[ScenarioValue]:
    """The values to check before solving: a list's extremes, a distribution's support."""
    if values.fixed is not None:
        return [min(values.fixed), max(values.fixed)]
    a = values.params
    if values.dist == "uniform":
        return [a[0], a[1]]
    if values.dist == "triangular":
        return [a[0], a[2]]
    if values.dist == "scale":
        return [Factor(a[0]), Factor(a[1])]
    return []  # normal: unbounded; a draw out of range becomes an error row


def build_scenarios(
    instance: Instance,
    sets: Sequence[Values],
    samples: int | None = None,
    seed: int | None = None,
    table: pd.DataFrame | None = None,
) -> list[dict[KeyPath, ScenarioValue]]:
    """The list of scenarios: each a {key: value} mapping, validated against the instance.

    Fixed lists combine as a Cartesian product; distributions need ``samples`` and are
    drawn with ``seed`` (same seed, same scenarios), one draw per scenario, crossed with
    the fixed lists. ``table`` (from --scenarios) gives one scenario per row.

    Raises
    ------
    InputError
        With every problem of every key and value, before anything is solved.
    """
    doc = instance.model_dump()
    periods = list(instance.periods)
    problems: list[str] = []
    labels: dict[KeyPath, tuple[Any, ...]] = {}
    for v in sets:
        try:
            _check_key(doc, v.key, periods)
        except InputError as exc:
            problems += exc.problems
            continue
        if v.key.steps[-1][0] in PERIOD_FIELDS:
            found = []
            for item in v.items:
                try:
                    found.append(period_label(v.key, item, periods))
                except InputError as exc:
                    problems += [f"--set {line}" for line in exc.problems]
            labels[v.key] = tuple(found)
            problems += _check_values(instance, v.key, found, "--set")
        else:
            problems += _check_values(instance, v.key, _ends(v), "--set")
    random = [v for v in sets if v.dist is not None]
    if random and (not samples or samples <= 0):
        problems.append(f"--set {random[0].key}: a distribution needs --samples N (and --seed S)")

    scenarios: list[dict[KeyPath, ScenarioValue]] = []
    if table is not None:
        scenarios, table_problems = _table_scenarios(instance, table)
        problems += table_problems
    if problems:
        raise InputError(problems)
    if table is not None and not sets:
        return scenarios

    fixed = [v for v in sets if v.dist is None]
    grid: list[dict[KeyPath, ScenarioValue]] = [
        dict(zip([v.key for v in fixed], combo, strict=True))
        for combo in itertools.product(*[labels.get(v.key, v.fixed) or () for v in fixed])
    ] or [{}]
    if random:
        assert samples
        rng = np.random.default_rng(seed)
        draws = {v.key: v.sample(rng, samples, base_value(doc, v.key, periods)) for v in random}
        factor = {v.key: v.dist == "scale" for v in random}
        sampled = [
            {k: (Factor(d[i]) if factor[k] else float(d[i])) for k, d in draws.items()}
            for i in range(samples)
        ]
        grid = [{**g, **s} for g in grid for s in sampled]
    if scenarios:
        return [{**a, **b} for a in scenarios for b in grid]
    return grid


def _table_scenarios(
    instance: Instance, table: pd.DataFrame
) -> tuple[list[dict[KeyPath, ScenarioValue]], list[str]]:
    """One scenario per row of a --scenarios table, and every problem found in it."""
    doc = instance.model_dump()
    periods = list(instance.periods)
    problems: list[str] = []
    keys: list[KeyPath] = []
    # A two-stage scenario file (docs/format.md) sweeps as it is: its name and probability
    # columns describe rows, they set nothing.
    table = table.drop(columns=[c for c in ("scenario", "probability") if c in table.columns])
    for c in table.columns:
        try:
            key = parse_key(str(c))
            _check_key(doc, key, periods)
            keys.append(key)
        except InputError as exc:
            problems += [f"scenarios column {line}" for line in exc.problems]
    if problems:
        return [], problems
    bad: list[str] = []
    scenarios: list[dict[KeyPath, ScenarioValue]] = []
    column_values: dict[KeyPath, list[ScenarioValue]] = {k: [] for k in keys}
    for i, row in enumerate(table.itertuples(index=False, name=None)):
        sc: dict[KeyPath, ScenarioValue] = {}
        for k, v in zip(keys, row, strict=True):
            if v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == "":
                continue  # an empty cell keeps the base value
            if k.steps[-1][0] in PERIOD_FIELDS:
                try:
                    sc[k] = period_label(k, v, periods)
                except InputError as exc:
                    bad.append(f"scenarios row {i + 2}, {exc.problems[0]}")
                    continue
            else:
                try:
                    num = float(v)
                except (TypeError, ValueError):
                    bad.append(f"scenarios row {i + 2}, {k}: {v!r} is not a number")
                    continue
                if not math.isfinite(num):
                    bad.append(f"scenarios row {i + 2}, {k}: {v!r} is not a finite number")
                    continue
                sc[k] = num
            column_values[k].append(sc[k])
        scenarios.append(sc)
    problems += bad[:_MAX_LISTED]
    if len(bad) > _MAX_LISTED:
        problems.append(f"scenarios: ... and {len(bad) - _MAX_LISTED} more bad cells")
    for k, vals in column_values.items():
        if not vals:
            continue
        ends = (
            list(dict.fromkeys(vals))
            if k.steps[-1][0] in PERIOD_FIELDS
            else [
                min(vals),
                max(vals),  # type: ignore[type-var]
            ]
        )
        problems += _check_values(instance, k, ends, "scenarios column")
    return scenarios, problems


def scenario_instance(base: Instance, changes: Mapping[KeyPath, ScenarioValue]) -> Instance:
    """The base instance with one scenario's changes, validated."""
    from optimizer.instance.load import load_instance

    doc = apply(base.model_dump(), changes, list(base.periods))
    inst = load_instance(doc, base_dir=base.base_dir)
    return inst
