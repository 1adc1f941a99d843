"""Write gtc2026-1gw-scenarios.csv: 27 scenarios of the 1 GW reference (sources: the .md beside it).

Ten uncertain inputs at three levels each in a 27-run orthogonal array (L27, 3^(13-10)):
three base columns a, b, c (a full 3 x 3 x 3 factorial) and seven more as sums of them
modulo 3 (:data:`COLUMNS`), so every level of every input appears in 9 scenarios and every
pair of levels of two inputs in 3. The inputs:

* demand: the paid tiers' yearly growth, which scales each demand curve's quantity axis
  (market size and reference demand together) from 2027;
* price decline: the paid tiers' yearly price fall, which scales each curve's price axis
  (reference, choke and every menu price) from 2027;
* curve shape: each paid tier's choke price (the nearest substitute's price); the lines keep
  their market, the logistic its market and reference point (:func:`curve_demand`);
* ship date of the Vera Rubin generation (Vera Rubin, Groq 3 LPX and both pods together),
  the only input whose levels are not equally likely (:data:`SHIP_PROBABILITY`);
* Vera Rubin's capex;
* throughput by hardware family (``hardware[ID].frontier_scale``, one column per family):
  the 10 / 50 / 90 % quantiles of the calibration residuals that ``optimizer frontiers
  draws`` samples from (optimizer/frontiers/draws.py), computed here from the same table.

Demand cells are absolute Mtok (a new choke moves each menu entry's demand by its own
factor); price and capex cells are factors of the base instance's value (``x0.6``); the
ship date sets ``available_from``. A scenario's probability is its ship level's probability
over 9: each ship level then has its own probability and every other input's levels stay
equally likely (each pairs with every ship level 3 times).

    python instances/make_gtc2026_scenarios.py           # rewrites the CSV and the .md's quantiles
    python instances/make_gtc2026_scenarios.py --check   # exit 1 if either is out of date
"""

from __future__ import annotations

import csv
import io
import math
import re
import sys
from pathlib import Path
from typing import Any

import yaml

YEARS = [2026, 2027, 2028, 2029, 2030]
LATER = YEARS[1:]
GROWTH = {"slow": 1.5, "base": 2.5, "fast": 4.0}  # demand multiple per year; base 2.5
OPEN_DECLINE = {"slow": 0.15, "base": 0.30, "fast": 0.45}  # medium, high; base 30%/yr
SCARCE_DECLINE = {"slow": 0.10, "base": 0.20, "fast": 0.30}  # premium, ultra; base 20%/yr
CHOKE = {"cheap": 2 / 3, "base": 1.0, "dear": 1.5}  # substitutes' price vs the base choke
SHIP = {"ontime": 2026, "slip": 2027, "late": 2028}
SHIP_PROBABILITY = {"ontime": 0.6, "slip": 0.3, "late": 0.1}  # assumption (see the .md)
VR_GENERATION = ["vr-nvl144", "groq3-lpx", "vr-lpx-pod", "vr-lpx16-pod"]
VR_CAPEX = {"low": 0.85, "base": 1.0, "high": 1.17}
THROUGHPUT = ["p10", "p50", "p90"]
FAMILIES = ["blackwell", "rubin", "hopper", "amd", "lpu"]
PAID = ["medium", "high", "premium", "ultra"]
OPEN = {"medium", "high"}
# Level index of each input from the base columns (a, b, c): distinct points of the
# projective plane over GF(3), so any two inputs are orthogonal.
COLUMNS: dict[str, tuple[int, int, int]] = {
    "demand": (1, 0, 0),
    "decline": (0, 1, 0),
    "ship": (0, 0, 1),
    "choke": (1, 1, 1),
    "capex": (1, 2, 0),
    "blackwell": (1, 0, 1),
    "rubin": (0, 1, 1),
    "hopper": (1, 0, 2),
    "amd": (0, 1, 2),
    "lpu": (1, 1, 2),
}


def family_quantiles(hardware_ids: list[str]) -> dict[str, list[float]]:
    """10 / 50 / 90 % frontier_scale of each family, as ``optimizer frontiers draws`` prints."""
    from optimizer.cli.frontiers_cmd import _load
    from optimizer.frontiers.draws import family_errors, family_of, residuals
    from optimizer.frontiers.generator import DEFAULT_EFFICIENCY
    from optimizer.frontiers.perf import calibration as cal
    from optimizer.frontiers.perf.specs import hardware_from_dict, is_pod, model_from_dict

    hw_specs, model_specs = _load(None)
    hw = cal.calibration_hardware(
        {d["id"]: hardware_from_dict(d) for d in hw_specs if not is_pod(d)}
    )
    mo = {d["id"]: model_from_dict(d) for d in model_specs}
    scored = cal.score(cal.POINTS, hw, mo, DEFAULT_EFFICIENCY)
    errors = family_errors(residuals(scored), [family_of(h) for h in hardware_ids])
    return {e.family: [round(q, 4) for q in e.quantiles()] for e in errors}


def curve_demand(spec: dict[str, Any], choke_factor: float) -> list[dict[int, float]]:
    """Each menu entry's demand by year on the tier's curve with its choke x ``choke_factor``.

    Linear: the market M (demand at price 0) stays as the base line has it, M = D0 C /
    (C - P0), and D(X) = M (1 - X / C'): a cheaper substitute ends demand sooner and cuts
    what the tier sells at its reference price (pivoting on the reference point instead
    would give the cheap level an elasticity near -9 there). Logistic: its market size and
    reference point are both sourced (Google's token rate; the keynote's price and the
    reference volume), so they stay and the new choke sets the steepness:
    s = (C' - P0) / (ln 99 - ln(M / D0 - 1)), X_mid = P0 - s ln(M / D0 - 1).
    """
    out: list[dict[int, float]] = [{} for _ in spec["price_multipliers"]]
    for y in YEARS:
        p0 = float(spec["reference_price_usd_per_mtok"][y])
        d0 = float(spec["reference_demand_mtok"][y])
        choke = float(spec["choke_price_usd_per_mtok"][y])
        new_choke = choke * choke_factor
        for k, m in enumerate(spec["price_multipliers"]):
            x = m * p0
            if spec["curve"] == "linear":
                market = d0 * choke / (choke - p0)
                out[k][y] = market * max(0.0, 1 - x / new_choke)
            else:
                market = float(spec["market_size_mtok"][y])
                s = (new_choke - p0) / (math.log(99) - math.log(market / d0 - 1))
                mid = p0 - s * math.log(market / d0 - 1)
                out[k][y] = market / (1 + math.exp((x - mid) / s))
    return out


QUANTILES = re.compile(r"(<!-- quantiles -->)(.*?)(<!-- /quantiles -->)", re.S)


def quantile_text(quant: dict[str, list[float]]) -> str:
    """The family quantiles as the .md beside the CSV quotes them."""
    part = {f: " / ".join(f"{q:g}" for q in quant[f]) for f in FAMILIES}
    same = [f for f in FAMILIES if f != "rubin" and quant[f] == quant["rubin"]]
    names = {"rubin": "rubin" + "".join(f" and {f}" for f in same)}
    return ", ".join(f"{names.get(f, f)} {part[f]}" for f in FAMILIES if f not in same)


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    here = Path(__file__).parent
    doc = yaml.safe_load((here / "gtc2026-1gw.yaml").read_text(encoding="utf-8"))
    menus = {t["id"]: t["price_menu"] for t in doc["tiers"] if t["id"] in PAID}
    n_entries = {t: len(menus[t]["price_multipliers"]) for t in PAID}
    hw_ids = [h["id"] for h in doc["hardware"]]
    quant = family_quantiles(hw_ids)
    from optimizer.frontiers.draws import family_of

    out = here / "gtc2026-1gw-scenarios.csv"
    cols = ["scenario", "probability"]
    cols += [
        f"tiers[{t}].price_menu[{k}].demand_mtok[{y}]"
        for t in PAID
        for k in range(n_entries[t])
        for y in YEARS
    ]
    cols += [
        f"tiers[{t}].price_menu[{k}].price_usd_per_mtok[{y}]"
        for t in PAID
        for k in range(n_entries[t])
        for y in LATER
    ]
    cols += [f"hardware[{h}].available_from" for h in VR_GENERATION]
    cols += ["hardware[vr-nvl144].capex_usd"]
    cols += [f"hardware[{h}].frontier_scale" for h in hw_ids if family_of(h) in FAMILIES]
    levels = {
        "demand": list(GROWTH),
        "decline": list(OPEN_DECLINE),
        "ship": list(SHIP),
        "choke": list(CHOKE),
        "capex": list(VR_CAPEX),
        **{f: THROUGHPUT for f in FAMILIES},
    }
    rows = []
    for a in range(3):
        for b in range(3):
            for c in range(3):
                at = {k: levels[k][(u * a + v * b + w * c) % 3] for k, (u, v, w) in COLUMNS.items()}
                g, d, s, ch, cap = (at[k] for k in ("demand", "decline", "ship", "choke", "capex"))
                name = f"demand-{g}_price-{d}_choke-{ch}_vr-{s}_capex-{cap}_tput-" + "-".join(
                    at[f] for f in FAMILIES
                )
                row: dict[str, object] = {
                    "scenario": name,
                    "probability": f"{SHIP_PROBABILITY[s] / 9:.17g}",
                }
                for t in PAID:
                    dec, d0 = (OPEN_DECLINE[d], 0.30) if t in OPEN else (SCARCE_DECLINE[d], 0.20)
                    for k, demand in enumerate(curve_demand(menus[t], CHOKE[ch])):
                        for i, y in enumerate(YEARS):
                            row[f"tiers[{t}].price_menu[{k}].demand_mtok[{y}]"] = (
                                f"{demand[y] * (GROWTH[g] / 2.5) ** i:.6g}"
                            )
                            if i:
                                row[f"tiers[{t}].price_menu[{k}].price_usd_per_mtok[{y}]"] = (
                                    f"x{((1 - dec) / (1 - d0)) ** i:.6g}"
                                )
                for h in VR_GENERATION:
                    row[f"hardware[{h}].available_from"] = SHIP[s]
                row["hardware[vr-nvl144].capex_usd"] = f"x{VR_CAPEX[cap]:g}"
                for h in hw_ids:
                    f = family_of(h)
                    if f in FAMILIES:
                        row[f"hardware[{h}].frontier_scale"] = quant[f][THROUGHPUT.index(at[f])]
                rows.append(row)
    # Probabilities that add up to 1 as written (the scenario reader checks 1e-9).
    total = sum(float(str(r["probability"])) for r in rows[:-1])
    rows[-1]["probability"] = f"{1 - total:.17g}"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    md_path = here / "gtc2026-1gw-scenarios.md"
    md = md_path.read_text(encoding="utf-8")
    if not QUANTILES.search(md):
        raise SystemExit(f"{md_path}: no <!-- quantiles --> span to write the quantiles into")
    new_md = QUANTILES.sub(lambda m: m[1] + quantile_text(quant) + m[3], md)
    for f in FAMILIES:
        print(f"{f}: frontier_scale 10/50/90% = {' / '.join(f'{q:g}' for q in quant[f])}")
    stale = [
        p.name
        for p, text in ((out, buf.getvalue()), (md_path, new_md))
        if not p.exists() or p.read_text(encoding="utf-8") != text
    ]
    if check:
        if stale:
            print(f"out of date (run python instances/{Path(__file__).name}): {', '.join(stale)}")
        return 1 if stale else 0
    out.write_text(buf.getvalue(), encoding="utf-8", newline="")
    md_path.write_text(new_md, encoding="utf-8")
    print(f"wrote {len(rows)} scenarios to {out} and the quantiles to {md_path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
