"""Scenarios of one base instance: read a scenario CSV or draw them, check them, apply them.

A scenario file (docs/model.md, "Two-stage plans over scenarios") has a column ``scenario``
(a name), an optional ``probability`` (default: equal; they must sum to 1 within 1e-9)
and one column per key path in the sweep syntax (:mod:`optimizer.sweep.spec`). Lines
starting with ``#`` are comments. An empty cell keeps the base value.

Two kinds of column: numbers (prices, demand, capex...) and period labels
(``hardware[ID].available_from`` / ``available_until``), whose cells must be one of the
base's periods. No column may change the periods, the hardware or the tiers.

Every problem is raised as one :class:`~optimizer.errors.InputError` line naming the
file, row or column, before anything is solved.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.errors import InputError, ProblemList
from optimizer.input_files import MAX_SCENARIO_BYTES, read_capped
from optimizer.instance.load import load_instance
from optimizer.instance.schema import Instance, PeriodLabel
from optimizer.sweep.spec import (
    Factor,
    KeyPath,
    Values,
    _find,
    apply,
    base_value,
    build_scenarios,
    parse_key,
)

LABEL_FIELDS = ("available_from", "available_until")
_STRUCTURE_FIELDS = {"id", "model", "frontiers", "name", "objective"}
PROBABILITY_TOLERANCE = 1e-9

Value = float | PeriodLabel


@dataclass
class Scenarios:
    """Named scenarios of one base instance, with probabilities and validated instances.

    Attributes
    ----------
    names, probabilities:
        One entry per scenario; probabilities sum to 1.
    changes:
        Per scenario, {key path: value}: a number, a :class:`~optimizer.sweep.spec.Factor`
        (times the base value) or a period label.
    instances:
        Per scenario, the base instance with its changes (validated).
    keys:
        The key paths the scenarios change (the file's columns).
    """

    base: Instance
    names: list[str]
    probabilities: list[float]
    changes: list[dict[KeyPath, Value]]
    instances: list[Instance] = field(default_factory=list)
    keys: list[KeyPath] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.names)

    def table(self) -> pd.DataFrame:
        """One row per scenario: name, probability and the value of every key."""
        rows = []
        for name, prob, ch in zip(self.names, self.probabilities, self.changes, strict=True):
            row: dict[str, Any] = {"scenario": name, "probability": prob}
            for k in self.keys:
                v = ch.get(k)
                row[str(k)] = repr(v) if isinstance(v, Factor) else v
            rows.append(row)
        return pd.DataFrame(rows)

    def inputs(self) -> pd.DataFrame:
        """What each scenario assumes, one column per input (for reports and scenarios.csv).

        A column's values are the key's value in each scenario: a factor column gives the
        factor (1 where the cell is empty), a number column the number (the base value where
        empty), a period column the label. Keys that move in lockstep (the same order of
        scenarios, e.g. every entry of every tier's demand) are one input: its name puts
        ``*`` where the keys differ (``tiers[*].price_menu[*].demand_mtok[*]``), its values
        are the first key's, and ``:factor`` ends the name of a factor column.
        """
        doc = self.base.model_dump()
        periods = list(self.base.periods)
        cols: dict[str, list[Any]] = {}
        for k in self.keys:
            vals: list[Any] = []
            is_factor = any(isinstance(ch.get(k), Factor) for ch in self.changes)
            for ch in self.changes:
                v = ch.get(k)
                if v is None:
                    v = (
                        1.0
                        if is_factor
                        else _base_label(doc, k)
                        if _is_label(k)
                        else base_value(doc, k, periods)
                    )
                vals.append(float(v) if isinstance(v, Factor) else v)
            cols[str(k) + (":factor" if is_factor else "")] = vals
        groups: dict[tuple[Any, ...], list[str]] = {}
        for name, vals in cols.items():
            try:
                order = tuple(pd.Series(vals).rank(method="dense").tolist())
            except TypeError:  # mixed labels: a column of its own
                order = (name,)
            groups.setdefault((name.endswith(":factor"), order), []).append(name)
        out = {"scenario": list(self.names)}
        for names in groups.values():
            out[_wildcard(names)] = cols[names[0]]
        return pd.DataFrame(out)

    def expected_value_instance(self) -> Instance:
        """EV: every column replaced by its probability-weighted mean.

        A period-label column takes the value of the most probable scenario (the first
        on ties); an empty cell counts as the base value.
        """
        doc = self.base.model_dump()
        periods = list(self.base.periods)
        ev: dict[KeyPath, Value] = {}
        best = max(range(len(self)), key=lambda i: (self.probabilities[i], -i))
        for k in self.keys:
            if _is_label(k):
                label = self.changes[best].get(k, _base_label(doc, k))
                if label is not None:  # unset in the base and in that scenario: keep unset
                    ev[k] = label
                continue
            factors = [isinstance(ch.get(k), Factor) for ch in self.changes]
            if any(factors):
                # A factor column: the mean factor times the base value.
                total = sum(
                    p * float(ch.get(k, 1.0))  # type: ignore[arg-type]
                    for p, ch in zip(self.probabilities, self.changes, strict=True)
                )
                ev[k] = Factor(total)
                continue
            base = base_value(doc, k, periods)
            ev[k] = sum(
                p * float(ch.get(k, base))  # type: ignore[arg-type]
                for p, ch in zip(self.probabilities, self.changes, strict=True)
            )
        return scenario_instance(self.base, ev)


def _wildcard(names: Sequence[str]) -> str:
    """Key paths of one shape as one name, ``*`` where they differ: ``tiers[*].demand_mtok``."""
    import re

    split = [re.findall(r"\[[^\]]*\]|[^\[\]]+", n) for n in names]
    if len({len(parts) for parts in split}) != 1:
        return f"{names[0]} (+{len(names) - 1} more)" if len(names) > 1 else names[0]
    merged = [
        parts[0] if len(set(parts)) == 1 else "[*]" if parts[0].startswith("[") else "*"
        for parts in zip(*split, strict=True)
    ]
    return "".join(merged)


# ------------------------------------------------------------------------------ apply
def _is_label(key: KeyPath) -> bool:
    return key.steps[-1][0] in LABEL_FIELDS


def _base_label(doc: dict[str, Any], key: KeyPath) -> PeriodLabel | None:
    holder, name, _ = _find(doc, key)
    value: PeriodLabel | None = holder.get(name)
    return value


def scenario_instance(base: Instance, changes: Mapping[KeyPath, Value]) -> Instance:
    """The base instance with one scenario's changes, validated."""
    periods = list(base.periods)
    doc = base.model_dump()
    numbers: dict[KeyPath, float] = {}
    for k, v in changes.items():
        if _is_label(k):
            continue
        if isinstance(v, Factor) and k.steps[-1][1] is not None:
            # One period of a figure: the factor applies to that period's base value only.
            numbers[k] = float(v) * base_value(doc, k, periods)
        else:
            numbers[k] = v if isinstance(v, Factor) else float(v)  # type: ignore[arg-type]
    doc = apply(doc, numbers, periods)  # type: ignore[arg-type]
    for k, v in changes.items():
        if _is_label(k):
            holder, name, _ = _find(doc, k)
            holder[name] = v
    return load_instance(doc, base_dir=base.base_dir)


def _label(value: Any, periods: Sequence[PeriodLabel]) -> PeriodLabel | None:
    """The period whose label matches ``value`` (2027, 2027.0 and "2027" all match 2027)."""
    texts = {str(p): p for p in periods}
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text in texts:
        return texts[text]
    try:
        number = float(text)
    except ValueError:
        return None
    if math.isfinite(number) and number.is_integer():
        return texts.get(str(int(number)))
    return None


def check_key(base: Instance, key: KeyPath, where: str) -> None:
    """A key a scenario may change: a number or a period label, not the structure."""
    first = key.steps[0][0]
    last = key.steps[-1][0]
    if first == "periods" or last in _STRUCTURE_FIELDS:
        raise InputError(
            f"{where}: {key} changes the periods, hardware or tiers; every scenario keeps the base's"
        )
    doc = base.model_dump()
    if _is_label(key):
        if key.steps[-1][1] is not None:
            raise InputError(f"{where}: {key}: a period label takes no [period]")
        _find(doc, key)
        return
    base_value(doc, key, list(base.periods))


# ------------------------------------------------------------------------------- read
def read_scenario_csv(path: str | Path) -> pd.DataFrame:
    """The raw table of a scenario file (``#`` lines are comments), at most
    :data:`~optimizer.input_files.MAX_SCENARIO_BYTES`."""
    p = Path(path)
    data = read_capped(p, MAX_SCENARIO_BYTES, "a scenario CSV")  # /dev/zero: one line
    try:
        table = pd.read_csv(io.BytesIO(data), comment="#", skipinitialspace=True, dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    if table.empty:
        raise InputError(f"{p}: has no scenario rows")
    table.columns = [str(c).strip() for c in table.columns]
    return table


def scenarios_from_table(
    base: Instance, table: pd.DataFrame, source: str = "scenarios"
) -> Scenarios:
    """Check a scenario table against the base instance and apply every row."""
    problems = ProblemList()
    cols = list(table.columns)
    if "scenario" not in cols:
        raise InputError(f"{source}: no 'scenario' column (columns: {', '.join(cols)})")
    dupes = [c for c in set(cols) if cols.count(c) > 1]
    for c in dupes:
        problems.add(source, f"column {c!r} appears twice")
    names = [str(v).strip() for v in table["scenario"]]
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in ("", "nan"):
            problems.add(f"{source} row {i + 2}", "scenario name is empty")
        elif n in seen:
            problems.add(f"{source} row {i + 2}", f"scenario {n!r} duplicates row {seen[n] + 2}")
        else:
            seen[n] = i
    if "probability" in cols:
        probs: list[float] = []
        for i, v in enumerate(table["probability"]):
            try:
                x = float(v)
            except (TypeError, ValueError):
                x = math.nan
            if not math.isfinite(x) or x < 0:
                problems.add(f"{source} row {i + 2}", f"probability {v!r} is not a number >= 0")
            probs.append(x)
        if not problems and abs(sum(probs) - 1.0) > PROBABILITY_TOLERANCE:
            problems.add(source, f"probabilities sum to {sum(probs):.12g}, not 1")
    else:
        probs = [1.0 / len(table)] * len(table)
    keys: list[KeyPath] = []
    for c in cols:
        if c in ("scenario", "probability"):
            continue
        try:
            key = parse_key(c)
            check_key(base, key, f"{source} column {c!r}")
            keys.append(key)
        except InputError as exc:
            problems.extend(p if p.startswith(source) else f"{source}: {p}" for p in exc.problems)
    problems.raise_if_any()

    periods = list(base.periods)
    changes: list[dict[KeyPath, Value]] = []
    for i, row in enumerate(table.itertuples(index=False, name=None)):
        cells = dict(zip(cols, row, strict=True))
        ch: dict[KeyPath, Value] = {}
        for k in keys:
            raw = cells[k.text] if k.text in cells else cells[str(k)]
            if (
                raw is None
                or (isinstance(raw, float) and math.isnan(raw))
                or str(raw).strip() == ""
            ):
                continue
            where = f"{source} row {i + 2} ({names[i]}), {k}"
            if _is_label(k):
                label = _label(raw, periods)
                if label is None:
                    problems.add(where, f"{raw!r} is not one of the periods {periods}")
                    continue
                ch[k] = label
                continue
            text = str(raw).strip()
            try:
                ch[k] = Factor(float(text[1:])) if text.startswith("x") else float(text)
            except ValueError:
                problems.add(where, f"{raw!r} is not a number")
                continue
            if not math.isfinite(float(ch[k])):
                problems.add(where, f"{raw!r} is not a finite number")
        changes.append(ch)
    problems.raise_if_any()
    return _validated(base, names, probs, changes, keys, source)


def scenarios_from_sets(
    base: Instance, sets: Sequence[Values], samples: int | None, seed: int | None
) -> Scenarios:
    """Scenarios drawn with the sweep syntax (``--set KEY=DIST``), equal probability."""
    for v in sets:
        check_key(base, v.key, f"--set {v.key}")
    drawn = build_scenarios(base, sets, samples=samples, seed=seed)
    if not drawn or drawn == [{}]:
        raise InputError("--set: no scenarios (give --set KEY=VALUES and --samples N)")
    periods = list(base.periods)
    changes: list[dict[KeyPath, Value]] = []
    problems = ProblemList()
    for sc in drawn:
        ch: dict[KeyPath, Value] = {}
        for k, x in sc.items():
            if _is_label(k):
                label = _label(x, periods)
                if label is None:
                    problems.add(f"--set {k}", f"{x!r} is not one of the periods {periods}")
                    continue
                ch[k] = label
            else:
                ch[k] = x
        changes.append(ch)
    problems.raise_if_any()
    names = [f"s{i + 1}" for i in range(len(changes))]
    keys = [v.key for v in sets]
    return _validated(base, names, [1.0 / len(names)] * len(names), changes, keys, "--set")


def _validated(
    base: Instance,
    names: list[str],
    probs: list[float],
    changes: list[dict[KeyPath, Value]],
    keys: list[KeyPath],
    source: str,
) -> Scenarios:
    problems = ProblemList()
    instances: list[Instance] = []
    for name, ch in zip(names, changes, strict=True):
        try:
            inst = scenario_instance(base, ch)
        except InputError as exc:
            for line in exc.problems:
                problems.add(f"{source} scenario {name!r}", line)
            continue
        if (
            list(inst.periods) != list(base.periods)
            or [h.id for h in inst.hardware] != [h.id for h in base.hardware]
            or [t.id for t in inst.tiers] != [t.id for t in base.tiers]
        ):
            problems.add(f"{source} scenario {name!r}", "changes the periods, hardware or tiers")
        instances.append(inst)
    problems.raise_if_any()
    return Scenarios(
        base=base, names=names, probabilities=probs, changes=changes, instances=instances, keys=keys
    )


def load_scenarios(
    base: Instance,
    scenarios: Scenarios | pd.DataFrame | str | Path | Sequence[Mapping[str, Any]],
) -> Scenarios:
    """Scenarios from a :class:`Scenarios`, a CSV path, a DataFrame or a list of rows."""
    if isinstance(scenarios, Scenarios):
        return scenarios
    if isinstance(scenarios, str | Path):
        return scenarios_from_table(base, read_scenario_csv(scenarios), str(scenarios))
    if isinstance(scenarios, pd.DataFrame):
        table = scenarios
    else:
        table = pd.DataFrame(list(scenarios))
    if table.empty:
        raise InputError("scenarios: none given")
    return scenarios_from_table(base, table.astype(object), "scenarios")
