"""Write docs/benchmarks.md's measured section from results/benchmarks/*.json.

    python benchmarks/write_doc.py          # rewrite the section between its markers
    python benchmarks/write_doc.py --check  # exit 1 if the section differs from the files

Each line names the benchmark's command, when it ran and the machine's load then; a target
is "met" or "missed" as its figure says. A benchmark with no file yet is listed as not run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "results" / "benchmarks"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- benchmarks:begin (written by benchmarks/write_doc.py) -->"
END = "<!-- benchmarks:end -->"


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _when(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    load = m.get("load_average_before") or ["?"]
    return (
        f"`{doc['command']}`, {doc['started_utc'][:16].replace('T', ' ')} UTC, "
        f"{m['cpus']} CPUs, load average {load[0]} at the start"
    )


def _load(ref: dict[str, Any]) -> str:
    """The Pyomo-to-HiGHS load the reference's solver time leaves out (older files lack it)."""
    load = ref.get("load_into_highs_s")
    return "" if load is None else f" (loading it: {load:.2f} s more, the same for both strategies)"


def _strategies(doc: dict[str, Any]) -> list[str]:
    f = doc["figures"]
    ref = f["reference"]
    out = [
        f"- Reference solve ({ref['instance']}): {ref['certified_solve_s']:.2f} s of solver time "
        f"with the model loaded in HiGHS{_load(ref)} (target < {ref['target_solve_s']} s at gap "
        f"1e-4; gap "
        f"{ref['certified_gap'] or 0:.1e}, proof {ref['certified_proof']}), "
        f"{_verdict(ref['certified_solve_s'] < ref['target_solve_s'])}; "
        f"`--strategy milp` {ref['milp_solve_s']:.2f} s. {_when(doc)}."
    ]
    target = f["target_ratio_certified_to_direct"]
    for row in f["sizes"]:
        ratio = row["ratio_certified_to_direct"]
        out.append(
            f"- {row['size']}: end to end {row['certified_end_to_end_s']:.2f} s (solve "
            f"{row['certified_solve_s']:.2f} s, {row['certified_status']}, gap "
            f"{row['certified_gap'] or 0:.1e}, {row['certified_proof']}) against a direct "
            f"highspy MILP {row['direct_highspy_s']:.2f} s: ratio {ratio:.2f} (target <= "
            f"{target}), {_verdict(ratio <= target)}. Same run."
        )
    return out


def _slices(doc: dict[str, Any]) -> list[str]:
    f = doc["figures"]
    out = []
    for r in f["rows"]:
        ratio = float(r["ratio"])
        cpu = ""
        if "cpu_ratio" in r:  # written since the benchmark also times CPU (median of runs)
            cpu = (
                f"; CPU {r['cpu_1']:.2f} s -> {r['cpu_n']:.2f} s: {float(r['cpu_ratio']):.2f}x"
                f" (median of {r['repeat']} alternating runs)"
            )
        out.append(
            f"- {f['slices']} time slices, {r['label']}: solve {r['solve_1']:.2f} s -> "
            f"{r['solve_n']:.2f} s ({r['vars_1']} -> {r['vars_n']} columns, {r['cons_1']} -> "
            f"{r['cons_n']} rows): {ratio:.2f}x{cpu} (target <= {f['target_ratio']}x), "
            f"{_verdict(ratio <= f['target_ratio'])}."
        )
    out.append(f"  {_when(doc)}.")
    return out


def _scale(doc: dict[str, Any]) -> list[str]:
    f = doc["figures"]
    out = []
    for r in f["rows"]:
        out.append(
            f"- {r['size']}: {r['variables']} columns, load {r['load_s']:.2f} s, coefficients "
            f"{r['coef_s']:.2f} s, build {r['build_s']:.2f} s, solve {r['solve_s']:.2f} s, "
            f"after {r['after_s']:.2f} s, end to end {r['total_s']:.2f} s, {r['status']}, "
            f"gap {float(r['gap']):.1e}."
        )
        if r["size"].startswith("100x40x20x200"):
            ok = r["status"] == "optimal" and float(r["gap"]) <= 1e-4 and r["total_s"] <= 60
            out.append(f"  100x40x20x200 proven to 1e-4 within 60 s: {_verdict(ok)}.")
    out.append(f"  {_when(doc)}.")
    return out


def _sweep(doc: dict[str, Any]) -> list[str]:
    f = doc["figures"]
    one = (
        f"in place in one process {f['in_place_s_per_scenario']:.2f} s per scenario, "
        f"rebuilding {f['rebuild_s_per_scenario']:.2f} s"
    )
    if "engine_s_per_scenario" not in f:
        return [
            _against(
                doc,
                f"Sweep of {f['instance']} ({f['scenarios']} scenarios, {one})",
                f["in_place_s_per_scenario"],
                "s per scenario",
                0.2,
            )
        ]
    return [
        _against(
            doc,
            f"Sweep of {f['instance']} ({f['scenarios']} scenarios through the sweep engine "
            f"on {f['workers']} workers, wall time with their start-up; {one})",
            f["engine_s_per_scenario"],
            "s per scenario",
            0.2,
        )
    ]


def _sensitivity(doc: dict[str, Any]) -> list[str]:
    f = doc["figures"]
    what = f"Sensitivity of {f['instance']} ({f['scenarios']} solves, {f['workers']} worker(s))"
    return [_against(doc, what, f["seconds"], "s", 60.0)]


def _against(doc: dict[str, Any], what: str, figure: float, unit: str, target: float) -> str:
    """One line: what, the figure against its target (below), met or missed, and when."""
    return (
        f"- {what}: {figure:.2f} {unit} (target < {target:g} {unit}), "
        f"{_verdict(figure < target)}. {_when(doc)}."
    )


SECTIONS = {
    "scale_strategies": ("Single solves (issue 18)", _strategies),
    "scale": ("The ladder (issue 18)", _scale),
    "scale_slices": ("Time slices (issue 17)", _slices),
    "sweep": ("Sweeps (issue 18)", _sweep),
    "sensitivity": ("Sensitivity (issue 18)", _sensitivity),
}


def section() -> str:
    lines = [
        BEGIN,
        "",
        "Written by `python benchmarks/write_doc.py` from the JSON files the benchmarks write",
        "under `results/benchmarks/` (not committed: timings are of one machine and moment).",
        "The machine is a 2-core one shared with other jobs; a ratio within one run means",
        "more than any absolute second.",
    ]
    for name, (title, render) in SECTIONS.items():
        path = FOLDER / f"{name}.json"
        lines += ["", f"**{title}**", ""]
        if not path.is_file():
            lines.append(f"- not run yet (`results/benchmarks/{name}.json` is missing).")
            continue
        lines += render(json.loads(path.read_text()))
    lines += ["", END]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    text = DOC.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
    else:
        head, tail = text.rstrip("\n") + "\n\n## Measured targets\n\n", "\n"
    new = head + section() + tail
    if args.check:
        sys.exit(0 if new == text else 1)
    DOC.write_text(new)
    print(f"wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
