"""The shipped results are what the tool writes today: regenerate them and compare.

``results/regenerate.py`` is the one command that writes them; here it writes into a
temporary folder (text files only; charts are not compared byte for byte) and every
committed text file must come back identical. The two-stage run (27 scenarios, minutes) is
its own test, marked ``slow``; the quick checks re-plan the shipped first stage in every
scenario (no two-stage solve) and check the files against each other (no solve).
Timings are not in these files (they go to ``run.json``, never committed), so a stale or
hand-edited file is the only way to fail.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from conftest import REPO

TEXT_SUFFIXES = (".json", ".csv", ".md")


def _regenerate_module() -> object:
    spec = importlib.util.spec_from_file_location("regenerate", REPO / "results" / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _regenerate_and_compare(out: Path, two_stage: bool, only: str | None = None) -> int:
    """Run results/regenerate.py's text steps into ``out`` (the deterministic plans and
    comparison, those of folder ``only``, or the two-stage run alone) and compare every
    committed text file of the folders written; return how many were compared."""
    regen: Any = _regenerate_module()  # this module's own copy: its STEPS can be cut
    if two_stage:
        regen.STEPS = []  # only SLOW_STEPS run
    elif only is not None:
        regen.STEPS = [step for step in regen.STEPS if step[0] == only]
    folders = regen.regenerate(out, charts=False, slow=two_stage)
    compared = 0
    for folder in folders:
        shipped = REPO / "results" / folder.relative_to(out)
        committed = sorted(
            p for p in shipped.iterdir() if p.suffix in TEXT_SUFFIXES and p.name != "run.json"
        )
        assert committed, f"no shipped files in {shipped}"
        written = {p.name for p in folder.iterdir()}
        # Everything shipped is regenerated, and a solve's run.json (timings) is written but
        # not shipped (a comparison alone writes none).
        assert {p.name for p in committed} <= written
        assert "run.json" in written or "plan.json" not in written
        for path in committed:
            fresh = (folder / path.name).read_text(encoding="utf-8")
            assert fresh == path.read_text(encoding="utf-8"), (
                f"results/{folder.name}/{path.name} is stale: run `python results/regenerate.py`"
            )
            compared += 1
    return compared


def test_shipped_results_regenerate_identically(tmp_path: Path) -> None:
    """Every deterministic result (the GTC solve and comparison take most of the time):
    marked ``slow``; the quick run keeps the toy's, below."""
    # toy, site and gtc plan files (6 each and a manifest) and the three comparison files,
    # twice (the keynote split, and the split at equal free share in gtc2026-1gw/equal-free)
    assert _regenerate_and_compare(tmp_path, two_stage=False) == 3 * 7 + 3 + 3


def test_shipped_toy_result_regenerates_identically(tmp_path: Path) -> None:
    """The toy's folder alone (one small solve): the quick run's check that the result
    files' format has not moved under the shipped ones."""
    assert _regenerate_and_compare(tmp_path, two_stage=False, only="toy") == 7


def test_shipped_two_stage_result_regenerates_identically(tmp_path: Path) -> None:
    """The 27-scenario two-stage run (the suite's longest step): marked ``slow`` in
    tests/conftest.py, so ``pytest -q`` (CI) runs it and ``-m "not slow"`` leaves it to
    :func:`test_shipped_two_stage_files_agree`."""
    # stochastic.json and the four CSVs
    assert _regenerate_and_compare(tmp_path, two_stage=True) == 5


def test_shipped_two_stage_files_agree() -> None:
    """Without solving: the shipped two-stage files agree with each other, as
    optimizer/stochastic/result.py writes them (a hand edit or a partly regenerated folder
    fails; a change of the model that moves the optimum needs the slow test above).

    E[objective] = sum_s p_s * objective_s; WS = sum_s p_s * ws_s; EVPI = WS - E[objective];
    regret_s = ws_s - objective_s; the gap is (bound - objective) / |bound| <= 1e-2 (the
    regeneration's --mip-gap); every scenario buys the first stage in its periods;
    buy_frequency's share of (h, p) = sum of p_s over the scenarios buying it, mean_units
    = sum_s p_s * units_s."""
    folder = REPO / "results" / "gtc2026-1gw-stochastic"
    doc = json.loads((folder / "stochastic.json").read_text())
    table = _csv(folder / "scenarios.csv")
    by_id = {s["scenario"]: s for s in doc["scenarios"]}
    assert [r["scenario"] for r in table] == list(by_id)
    prob = {r["scenario"]: float(r["probability"]) for r in table}
    assert sum(prob.values()) == pytest.approx(1.0, abs=1e-12)
    for r in table:
        s = by_id[r["scenario"]]
        assert float(r["objective_usd"]) == pytest.approx(s["objective_usd"], rel=1e-12)
        assert float(r["regret_usd"]) == pytest.approx(
            float(r["ws_objective_usd"]) - float(r["objective_usd"]), rel=1e-9, abs=1.0
        )
    expected = sum(p * float(r["objective_usd"]) for p, r in _weighted(prob, table))
    assert doc["expected_objective_usd"] == pytest.approx(expected, rel=1e-12)
    ws = sum(p * float(r["ws_objective_usd"]) for p, r in _weighted(prob, table))
    assert doc["ws_usd"] == pytest.approx(ws, rel=1e-12)
    assert doc["evpi_usd"] == pytest.approx(ws - expected, rel=1e-9)
    bound, objective = doc["bound_usd"], doc["objective_usd"]
    assert objective <= bound  # profit: the bound is above
    assert doc["gap"] == pytest.approx((bound - objective) / abs(bound), rel=1e-9)
    assert doc["gap"] <= 1e-2

    first = {
        (r["hardware"], r["period"]): int(r["units"]) for r in _csv(folder / "first_stage.csv")
    }
    assert first == {(b["hardware"], str(b["period"])): b["units"] for b in doc["first_stage"]}
    buys: dict[str, dict[tuple[str, str], int]] = {sid: {} for sid in by_id}
    for r in _csv(folder / "scenario_buys.csv"):
        buys[r["scenario"]][(r["hardware"], r["period"])] = int(r["units"])
    periods = {str(p) for p in doc["first_stage_periods"]}
    for sid, units in buys.items():
        assert {k: v for k, v in units.items() if k[1] in periods} == first, sid
    freq = _csv(folder / "buy_frequency.csv")
    assert freq
    for r in freq:
        key = (r["hardware"], r["period"])
        share = sum(prob[sid] for sid, u in buys.items() if u.get(key, 0) > 0)
        mean = sum(prob[sid] * u.get(key, 0) for sid, u in buys.items())
        assert float(r["share"]) == pytest.approx(share, rel=1e-9), key
        assert float(r["mean_units"]) == pytest.approx(mean, rel=1e-9), key


def test_shipped_first_stage_re_evaluated_in_every_scenario() -> None:
    """The shipped two-stage result against today's model, without the two-stage solve: the
    scenario file loads to the shipped scenario table (names, probabilities, inputs), and
    the shipped first stage F, fixed, is re-planned in each scenario alone (the second stage
    of one scenario: 27 small MILPs at the regeneration's gap g = 1e-2, not the EF).

    Let v_s be the re-plan's profit, o_s the shipped objective_s, opt_s(F) the best second
    stage given F. The re-plan is within g of opt_s(F) and o_s is a second stage given F,
    so v_s >= (1 - g) opt_s(F) >= (1 - g) o_s (profits here are positive). Summing,
    E[v] >= (1 - g) E[objective]; and any first stage's expected profit is at most the
    two-stage optimum, so E[v] <= bound_usd. A model change that moves the scenarios'
    profits, the scenario file's reading, or the first stage's feasibility fails here; one
    that only changes which first stage is best needs the slow regeneration above."""
    from optimizer.instance.load import load_instance
    from optimizer.planning.planner import Planner
    from optimizer.solver.options import SolveOptions
    from optimizer.stochastic import load_scenarios
    from optimizer.stochastic.model import first_stage_periods, replan

    gap = 1e-2  # results/regenerate.py's --mip-gap for this run
    folder = REPO / "results" / "gtc2026-1gw-stochastic"
    doc = json.loads((folder / "stochastic.json").read_text())
    shipped = pd.read_csv(folder / "scenarios.csv")
    base = load_instance(REPO / "instances" / "gtc2026-1gw.yaml")
    sc = load_scenarios(base, REPO / "instances" / "gtc2026-1gw-scenarios.csv")
    assert sc.names == list(shipped["scenario"])
    assert sc.probabilities == pytest.approx(list(shipped["probability"]), rel=1e-12)
    inputs = sc.inputs().set_index("scenario").add_prefix("input:")
    columns = [c for c in shipped.columns if c.startswith("input:")]
    assert sorted(inputs.columns) == sorted(columns)
    for col in columns:
        assert list(inputs[col]) == pytest.approx(list(shipped[col]), rel=1e-12), col

    periods = first_stage_periods(base, None)
    assert [str(p) for p in periods] == [str(p) for p in doc["first_stage_periods"]]
    label = {str(p): p for p in periods}
    first = {(b["hardware"], label[str(b["period"])]): b["units"] for b in doc["first_stage"]}
    planner = Planner(sc.instances[0], SolveOptions(mip_gap=gap, marginals=False))
    objective = dict(zip(shipped["scenario"], shipped["objective_usd"], strict=True))
    expected = 0.0
    for name, prob, inst in zip(sc.names, sc.probabilities, sc.instances, strict=True):
        plan = replan(planner, inst, first, periods)
        assert plan.status == "optimal", (name, plan.status, plan.message)
        assert plan.objective_usd is not None and objective[name] > 0
        assert plan.objective_usd >= (1 - gap) * objective[name], name
        expected += prob * plan.objective_usd
    assert expected >= (1 - gap) * doc["expected_objective_usd"]
    assert expected <= doc["bound_usd"] * (1 + 1e-9)


def _weighted(
    prob: dict[str, float], table: list[dict[str, str]]
) -> list[tuple[float, dict[str, str]]]:
    return [(prob[r["scenario"]], r) for r in table]


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_run_files_are_ignored_by_git() -> None:
    import subprocess

    for path in ("results/toy/run.json", "results/frontiers/reference-2026.csv"):
        res = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, capture_output=True)
        assert res.returncode == 0, f"{path} must be ignored by git (.gitignore)"


def test_plan_files_hold_no_timings(tmp_path: Path) -> None:
    import json

    from optimizer import solve
    from optimizer.results.write import write_plan

    files = write_plan(solve(REPO / "instances" / "toy.yaml"), tmp_path)
    assert (tmp_path / "run.json") in files
    plan = json.loads((tmp_path / "plan.json").read_text())
    run = json.loads((tmp_path / "run.json").read_text())
    assert "timings_s" not in plan and run["timings_s"]["solve"] >= 0
    assert "seconds" not in (tmp_path / "summary.md").read_text()


def test_shipped_scenario_file_is_what_its_script_writes() -> None:
    """The 27 reference scenarios (their throughput levels are the calibration residuals'
    quantiles) and the quantiles quoted in their .md are rewritten by
    instances/make_gtc2026_scenarios.py: after a recalibration they must be regenerated, as
    they once were not (the .md quoted AMD 0.3784 / 0.783 / 1.8677 from an older table)."""
    import subprocess
    import sys

    script = REPO / "instances" / "make_gtc2026_scenarios.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stdout + done.stderr
