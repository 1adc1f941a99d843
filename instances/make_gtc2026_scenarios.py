"""Write gtc2026-1gw-scenarios.csv: 27 scenarios of the 1 GW reference (sources: the .md beside it).

Four uncertain factors at three equally likely levels, in a 27-run orthogonal array
(3^(4-1)): demand growth, price decline and Vera Rubin's ship date as a full factorial,
Vera Rubin's capex level = (demand + price + ship) mod 3, so every level of every factor
appears 9 times and every pair of levels of two factors 3 times.

Cells are factors of the base instance's value ("x0.6"), so the file follows changes of
the base numbers: a later period's demand is scaled by (g / 2.5) ** i for growth g per
year against the base's 2.5x (i = years after 2026), a price by ((1 - d) / (1 - d0)) ** i.
The paid tiers sell from price menus (a constant-elasticity curve through a reference price
and demand): every entry of a menu is scaled alike, which moves the curve's reference point
by the same factors and keeps its elasticity.

    python instances/make_gtc2026_scenarios.py   # rewrites the CSV
"""

from __future__ import annotations

import csv
from pathlib import Path

YEARS = [2027, 2028, 2029, 2030]
GROWTH = {"slow": 1.5, "base": 2.5, "fast": 4.0}  # demand multiple per year; base 2.5
OPEN_DECLINE = {"slow": 0.15, "base": 0.30, "fast": 0.45}  # medium, high; base 30%/yr
SCARCE_DECLINE = {"slow": 0.10, "base": 0.20, "fast": 0.30}  # premium, ultra; base 20%/yr
VR_SHIP = {"ontime": 2026, "slip": 2027, "late": 2028}
VR_CAPEX = {"low": 0.85, "base": 1.0, "high": 1.17}
PAID = ["medium", "high", "premium", "ultra"]
OPEN = {"medium", "high"}


def _keys(tier: object, t: str, what: str) -> list[str]:
    """Key paths of a tier's demand or price: one per menu entry, or the tier's own."""
    menu = getattr(tier, "price_menu", None)
    if menu is None:
        return [f"tiers[{t}].{what}"]
    return [f"tiers[{t}].price_menu[{k}].{what}" for k in range(len(menu))]


def main() -> None:
    from optimizer import load_instance

    here = Path(__file__).parent
    base = load_instance(here / "gtc2026-1gw.yaml")
    tiers = {t.id: t for t in base.tiers}
    demand = {t: _keys(tiers[t], t, "demand_mtok") for t in PAID}
    price = {t: _keys(tiers[t], t, "price_usd_per_mtok") for t in PAID}
    out = here / "gtc2026-1gw-scenarios.csv"
    cols = ["scenario", "probability"]
    cols += [f"{k}[{y}]" for t in PAID for k in demand[t] for y in YEARS]
    cols += [f"{k}[{y}]" for t in PAID for k in price[t] for y in YEARS]
    cols += ["hardware[vr-nvl144].available_from", "hardware[vr-nvl144].capex_usd"]
    rows = []
    g_levels, d_levels, s_levels = list(GROWTH), list(OPEN_DECLINE), list(VR_SHIP)
    c_levels = list(VR_CAPEX)
    for a, g in enumerate(g_levels):
        for b, d in enumerate(d_levels):
            for c, s in enumerate(s_levels):
                cap = c_levels[(a + b + c) % 3]
                row: dict[str, object] = {
                    "scenario": f"demand-{g}_price-{d}_vr-{s}_capex-{cap}",
                    "probability": f"{1 / 27:.17g}",
                }
                for t in PAID:
                    dec, d0 = (OPEN_DECLINE[d], 0.30) if t in OPEN else (SCARCE_DECLINE[d], 0.20)
                    for i, y in enumerate(YEARS, start=1):
                        for k in demand[t]:
                            row[f"{k}[{y}]"] = f"x{(GROWTH[g] / 2.5) ** i:.6g}"
                        for k in price[t]:
                            row[f"{k}[{y}]"] = f"x{((1 - dec) / (1 - d0)) ** i:.6g}"
                row["hardware[vr-nvl144].available_from"] = VR_SHIP[s]
                row["hardware[vr-nvl144].capex_usd"] = f"x{VR_CAPEX[cap]:g}"
                rows.append(row)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} scenarios to {out}")


if __name__ == "__main__":
    main()
