"""Write every figure the documents quote from the shipped result files.

    python results/quote.py            # rewrite the quoted figures in place
    python results/quote.py --check    # change nothing; exit 1 listing every figure that drifted

A document quotes a figure between markers, e.g. in README.md::

    one more MW in 2029 is worth <!-- fig:reference.power_value_2029 -->$7.74M<!-- /fig -->

(HTML comments, so Markdown shows only the value). The name after ``fig:`` is a key of
:data:`FIGURES`, a function of the shipped files (``results/gtc2026-1gw/plan.json``,
``compare.csv``, ``results/gtc2026-1gw-stochastic/stochastic.json``, ...) formatted with
:mod:`optimizer.fmt`, the formatter every report uses. ``results/regenerate.py`` runs this
script after regenerating the results; ``tests/release/test_quoted_figures.py`` fails when a quoted
figure differs from what this script would write, or when a marker names no figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from optimizer import fmt  # noqa: E402

# A quoted figure: its name, then its text on the same line (no other marker inside).
MARKER = re.compile(r"<!-- fig:([A-Za-z0-9_.\-]+) -->((?:(?!<!--)[^\n])*)<!-- /fig -->")
# An opening marker that the pattern above does not close (a typo, or a figure split over lines).
OPENING = re.compile(r"<!-- fig:([A-Za-z0-9_.\-]+) -->")
# Documents that may quote figures (globs under the project root).
DOCUMENTS = ("README.md", "results/README.md", "docs/*.md", "instances/*.md")

# Short names of the reference's hardware, as the documents write them.
SHORT = {
    "vr-nvl144": "VR",
    "gb200-nvl72": "GB200",
    "gb300-nvl72": "GB300",
    "mi355x": "MI355X",
    "b200-hgx": "B200",
    "h100-hgx": "H100",
    "h200-hgx": "H200",
    "groq3-lpx": "LPX",
    "vr-lpx-pod": "VR+LPX pod",
    "vr-lpx16-pod": "VR+LPX16 pod",
}
# Order in which the documents list hardware: most units of money first.
ORDER = list(SHORT)


class Shipped:
    """The shipped result files under one results folder, read on first use."""

    def __init__(self, results: Path) -> None:
        self.results = results

    def _json(self, rel: str) -> Any:
        return json.loads((self.results / rel).read_text(encoding="utf-8"))

    def _csv(self, rel: str) -> list[dict[str, str]]:
        with open(self.results / rel, encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    @cached_property
    def reference(self) -> dict[str, Any]:
        return dict(self._json("gtc2026-1gw/plan.json"))

    @cached_property
    def compare(self) -> dict[str, dict[str, str]]:
        return {r["plan"]: r for r in self._csv("gtc2026-1gw/compare.csv")}

    @cached_property
    def compare_equal_free(self) -> dict[str, dict[str, str]]:
        return {r["plan"]: r for r in self._csv("gtc2026-1gw/equal-free/compare.csv")}

    @cached_property
    def stochastic(self) -> dict[str, Any]:
        return dict(self._json("gtc2026-1gw-stochastic/stochastic.json"))

    @cached_property
    def toy(self) -> dict[str, Any]:
        return dict(self._json("toy/plan.json"))

    @cached_property
    def site(self) -> dict[str, Any]:
        return dict(self._json("site-2026-2030/plan.json"))


# --- helpers over a plan.json ----------------------------------------------------------------


def _marginal(plan: dict[str, Any], resource: str, period: int) -> float:
    for m in plan["marginal_values"]:
        if m["resource"] == resource and m.get("period") == period:
            return float(m["usd_per_unit"])
    raise KeyError(f"no marginal value of {resource} in {period}")


def _power_used(plan: dict[str, Any]) -> dict[int, float]:
    return {
        int(r["period"]): float(r["used"]) for r in plan["resources"] if r["resource"] == "power_mw"
    }


def _binding_power(plan: dict[str, Any]) -> list[int]:
    """Periods where one more facility MW is worth money (its marginal value, hardware held
    fixed, is positive): where power binds the plan. The resources table's ``binding`` flag
    asks a different question (is there room left for one more of the smallest unit on
    sale?) and can say no room is left, or some is, by a few kW either way."""
    return [
        int(m["period"])
        for m in plan["marginal_values"]
        if m["resource"] == "power" and float(m["usd_per_unit"]) > 0
    ]


def _and(items: Iterable[str]) -> str:
    xs = list(items)
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]


def _units(rows: Iterable[dict[str, Any]], period: int | None = None) -> str:
    """Units bought by hardware (in one period, or in all): ``VR 448 · GB200 479``."""
    total: dict[str, float] = {}
    for r in rows:
        if period is None or int(r["period"]) == period:
            total[r["hardware"]] = total.get(r["hardware"], 0.0) + float(r["units"])
    keys = sorted(
        (h for h, u in total.items() if u > 0),
        key=lambda h: (ORDER.index(h) if h in ORDER else len(ORDER), h),
    )
    return " · ".join(f"{SHORT.get(h, h)} {fmt.count(total[h])}" for h in keys)


def _compare(s: Shipped, plan: str, col: str) -> float:
    return float(s.compare[plan][col])


def _split_plan(s: Shipped) -> str:
    return next(p for p in s.compare if p.startswith("split "))


def _shortfall(s: Shipped, plan: str) -> str:
    """How far below the optimum a baseline lands, as a percentage of the optimum."""
    opt = _compare(s, "optimal", "objective_usd")
    return fmt.pct(1 - _compare(s, plan, "objective_usd") / opt)


def _regret_range(s: Shipped, ontime: bool) -> tuple[float, float]:
    rs = [
        float(r["regret_usd"])
        for r in s.stochastic["scenarios"]
        if ("vr-ontime" in r["scenario"]) == ontime
    ]
    return min(rs), max(rs)


def _equal_free_split(s: Shipped) -> dict[str, str]:
    return next(r for p, r in s.compare_equal_free.items() if p.startswith("split "))


def _equal_free_share(s: Shipped) -> float:
    """Free's share in the equal-free split, read from its plan name (split free=S,...)."""
    plan = _equal_free_split(s)["plan"]
    shares = dict(kv.split("=") for kv in plan.removeprefix("split ").split(","))
    return float(shares["free"])


# Order of the families in a scenario name's "_tput-" part (instances/make_gtc2026_scenarios.py).
TPUT_FAMILIES = ["blackwell", "rubin", "hopper", "amd", "lpu"]


def _regret_at(s: Shipped, family: str, level: str) -> str:
    """Probability-weighted mean regret of the futures where ``family`` is at ``level``."""
    num = den = 0.0
    for r in s.stochastic["scenarios"]:
        levels = r["scenario"].rpartition("_tput-")[2].split("-")
        if levels[TPUT_FAMILIES.index(family)] == level:
            num += float(r["probability"]) * float(r["regret_usd"])
            den += float(r["probability"])
    return fmt.usd(num / den)


# --- the figures ------------------------------------------------------------------------------

Figure = Callable[[Shipped], str]

FIGURES: dict[str, Figure] = {
    # the reference factory, results/gtc2026-1gw/plan.json
    "reference.objective": lambda s: fmt.usd(s.reference["objective_usd"]),
    "reference.revenue": lambda s: fmt.usd(s.reference["revenue_usd"]),
    "reference.capex": lambda s: fmt.usd(s.reference["capex_usd"]),
    "reference.electricity": lambda s: fmt.usd(s.reference["energy_usd"]),
    "reference.residual_value": lambda s: fmt.usd(s.reference["residual_value_usd"]),
    "reference.fixed_cost": lambda s: fmt.usd(s.reference["fixed_cost_usd"]),
    "reference.mip_gap": lambda s: f"{s.reference['mip_gap']:.1e}",
    "reference.power_value_2029": lambda s: fmt.usd(_marginal(s.reference, "power", 2029)),
    "reference.power_value_2030": lambda s: fmt.usd(_marginal(s.reference, "power", 2030)),
    "reference.power_binding_periods": lambda s: _and(str(p) for p in _binding_power(s.reference)),
    "reference.power_used_2026_2028": lambda s: _and(
        fmt.count(round(_power_used(s.reference)[p])) for p in (2026, 2027, 2028)
    ),
    "reference.buys_2026": lambda s: _units(s.reference["buy"], 2026),
    "reference.buys_total": lambda s: _units(s.reference["buy"]),
    "reference.opex": lambda s: fmt.usd(s.reference["opex_usd"]),
    "reference.platform_cost": lambda s: fmt.usd(s.reference["platform_cost_usd"]),
    # the split at equal free share, results/gtc2026-1gw/equal-free/compare.csv
    "reference.equal_free_share": lambda s: fmt.pct(_equal_free_share(s)),
    "reference.equal_free_split_objective": lambda s: fmt.usd(
        float(_equal_free_split(s)["objective_usd"])
    ),
    "reference.equal_free_split_uplift": lambda s: fmt.change(
        float(s.compare_equal_free["optimal"]["objective_usd"]),
        float(_equal_free_split(s)["objective_usd"]),
    ),
    # the comparison, results/gtc2026-1gw/compare.csv
    "reference.split_objective": lambda s: fmt.usd(_compare(s, _split_plan(s), "objective_usd")),
    "reference.split_uplift": lambda s: fmt.change(
        _compare(s, "optimal", "objective_usd"), _compare(s, _split_plan(s), "objective_usd")
    ),
    "reference.only_vr_objective": lambda s: fmt.usd(
        _compare(s, "only vr-nvl144", "objective_usd")
    ),
    "reference.only_vr_shortfall": lambda s: _shortfall(s, "only vr-nvl144"),
    "reference.only_gb200_shortfall": lambda s: _shortfall(s, "only gb200-nvl72"),
    "reference.greedy_shortfall": lambda s: _shortfall(s, "greedy"),
    # the two-stage plan, results/gtc2026-1gw-stochastic/stochastic.json
    "stochastic.expected_profit": lambda s: fmt.usd(s.stochastic["expected_objective_usd"]),
    "stochastic.gap": lambda s: f"{s.stochastic['gap']:.1e}",
    "stochastic.first_stage": lambda s: _units(s.stochastic["first_stage"]),
    "stochastic.ev_first_stage": lambda s: _units(s.stochastic["ev_first_stage"]),
    "stochastic.ev_delivered": lambda s: fmt.usd(s.stochastic["eev_delivered_usd"]),
    "stochastic.vss_delivered": lambda s: fmt.usd(s.stochastic["vss_delivered_usd"]),
    "stochastic.vss_delivered_share": lambda s: fmt.pct(
        s.stochastic["vss_delivered_usd"] / s.stochastic["expected_objective_usd"]
    ),
    "stochastic.evpi": lambda s: fmt.usd(s.stochastic["evpi_usd"]),
    "stochastic.evpi_share": lambda s: fmt.pct(
        s.stochastic["evpi_usd"] / s.stochastic["expected_objective_usd"]
    ),
    "stochastic.percentiles": lambda s: " / ".join(
        fmt.usd(s.stochastic["percentiles"][k], 1) for k in ("p10", "p50", "p90", "worst")
    ),
    "stochastic.ev_percentiles": lambda s: " / ".join(
        fmt.usd(s.stochastic["ev_percentiles"][k], 1) for k in ("p10", "p50", "p90", "worst")
    ),
    "stochastic.spread": lambda s: (
        f"{fmt.usd(s.stochastic['percentiles']['worst'], 0)} to "
        f"{fmt.usd(s.stochastic['percentiles']['best'], 0)}"
    ),
    "stochastic.scenarios": lambda s: str(len(s.stochastic["scenarios"])),
    "stochastic.vss_infeasible": lambda s: str(len(s.stochastic["vss_infeasible_scenarios"])),
    "stochastic.regret_ontime": lambda s: "{}-{}".format(
        *(fmt.usd(v, 1) for v in _regret_range(s, True))
    ),
    "stochastic.regret_late_max": lambda s: fmt.usd(_regret_range(s, False)[1], 1),
    "stochastic.regret_negative_max": lambda s: fmt.usd(
        -min(0.0, _regret_range(s, False)[0], _regret_range(s, True)[0]), 0
    ),
    "stochastic.regret_rubin_p10": lambda s: _regret_at(s, "rubin", "p10"),
    "stochastic.regret_rubin_p90": lambda s: _regret_at(s, "rubin", "p90"),
    "stochastic.regret_blackwell_p10": lambda s: _regret_at(s, "blackwell", "p10"),
    "stochastic.regret_blackwell_p90": lambda s: _regret_at(s, "blackwell", "p90"),
    # the toy and the 200 MW site
    "toy.objective_exact": lambda s: f"{round(s.toy['objective_usd']):,d} USD",
    "toy.objective": lambda s: fmt.usd(s.toy["objective_usd"]),
    "toy.power_value_exact": lambda s: f"{round(_marginal(s.toy, 'power', 2026)):,d} USD",
    "site.objective": lambda s: fmt.usd(s.site["objective_usd"]),
}


def _price(s: Shipped, tier: str, period: str) -> str:
    for r in s.reference["price"]:
        if r["tier"] == tier and str(r["period"]) == period:
            return fmt.price(r["price_usd_per_mtok"])
    raise KeyError(f"no price of {tier} in {period}")


def _bought(s: Shipped, hw: str, period: str) -> str:
    units = sum(
        float(r["units"])
        for r in s.reference["buy"]
        if r["hardware"] == hw and str(r["period"]) == period
    )
    return fmt.count(units)


# Figures named with their arguments: reference.price.<tier>.<period>,
# reference.bought.<hardware>.<period>.
PATTERNS: dict[str, Callable[[Shipped, str, str], str]] = {
    "reference.price": _price,
    "reference.bought": _bought,
}


def figure(name: str, shipped: Shipped) -> str:
    """The text of the figure ``name``; ``KeyError`` when no figure has that name, and
    ``ValueError`` when it comes out empty (a sentence would quote nothing)."""
    text = _figure(name, shipped)
    if not text.strip():
        raise ValueError(f"fig:{name}: the shipped results give nothing to quote")
    return text


def _figure(name: str, shipped: Shipped) -> str:
    if name in FIGURES:
        return FIGURES[name](shipped)
    head, _, period = name.rpartition(".")
    prefix, _, arg = head.rpartition(".")
    if prefix in PATTERNS:
        try:
            return PATTERNS[prefix](shipped, arg, period)
        except KeyError:
            pass
    raise KeyError(name)


def documents(root: Path = ROOT) -> list[Path]:
    """Every file that may quote a figure."""
    out: list[Path] = []
    for pattern in DOCUMENTS:
        out.extend(sorted(p for p in root.glob(pattern) if p.is_file()))
    return out


def render(text: str, shipped: Shipped) -> tuple[str, list[tuple[int, str, str, str]]]:
    """``text`` with every quoted figure rewritten, and the figures that changed.

    Each change is ``(line, name, quoted, written)``; a marker naming no figure raises
    ``KeyError`` naming it.
    """
    changes: list[tuple[int, str, str, str]] = []

    def sub(m: re.Match[str]) -> str:
        name, quoted = m.group(1), m.group(2)
        try:
            value = figure(name, shipped)
        except KeyError:
            line = text.count("\n", 0, m.start()) + 1
            raise KeyError(f"line {line}: fig:{name} is not a figure of results/quote.py") from None
        if value != quoted:
            changes.append((text.count("\n", 0, m.start()) + 1, name, quoted, value))
        return f"<!-- fig:{name} -->{value}<!-- /fig -->"

    new = MARKER.sub(sub, text)
    closed = len(MARKER.findall(text))
    opened = OPENING.findall(text)
    if len(opened) != closed:
        unclosed = [n for n in opened if n not in {m for m, _ in MARKER.findall(text)}]
        raise KeyError(f"fig:{(unclosed or opened)[0]} is not closed by <!-- /fig --> on its line")
    return new, changes


def run(root: Path = ROOT, results: Path | None = None, write: bool = True) -> list[str]:
    """Rewrite (or with ``write=False`` only compare) every document; one line per drift."""
    shipped = Shipped(results or root / "results")
    lines: list[str] = []
    for path in documents(root):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root)
        try:
            new, changes = render(text, shipped)
        except KeyError as exc:
            lines.append(f"{rel}: {exc.args[0]}")
            continue
        for line, name, quoted, value in changes:
            lines.append(f"{rel}:{line}: fig:{name} reads {quoted!r}, the results give {value!r}")
        if write and new != text:
            path.write_text(new, encoding="utf-8")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")
    parser.add_argument("--results", type=Path, default=None, help="results folder to read")
    args = parser.parse_args(argv)
    lines = run(ROOT, args.results, write=not args.check)
    for line in lines:
        print(line)
    if args.check:
        return 1 if lines else 0
    unknown = [line for line in lines if "is not a figure" in line]
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())
