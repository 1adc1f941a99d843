"""Every figure a document quotes is the one results/quote.py writes from the shipped results."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import REPO


def _quote() -> ModuleType:
    spec = importlib.util.spec_from_file_location("quote", REPO / "results" / "quote.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["quote"] = mod
    spec.loader.exec_module(mod)
    return mod


quote = _quote()


def test_every_quoted_figure_matches_the_shipped_results() -> None:
    """`python results/quote.py --check` finds nothing to change in README, docs, results."""
    drift = quote.run(REPO, write=False)
    assert drift == [], "\n".join(["run `python results/quote.py`:", *drift])


def test_the_documents_quote_the_headline_figures() -> None:
    """The figures issue 21 found stale are now quoted through markers, not typed."""
    readme = (REPO / "README.md").read_text()
    assert "<!-- fig:reference.power_value_2029 -->" in readme
    assert "$24.9M" not in readme
    results = (REPO / "results" / "README.md").read_text()
    for name in ("reference.objective", "reference.power_used_2026_2028", "stochastic.evpi"):
        assert f"<!-- fig:{name} -->" in results
    # one figure for the MW used in 2026-2028, not two that disagree
    assert results.count("MW are used in 2026-2028") == 1


def _copy_results(tmp: Path) -> Path:
    out = tmp / "results"
    for folder in ("gtc2026-1gw", "gtc2026-1gw-stochastic", "toy", "site-2026-2030"):
        dst = out / folder
        dst.mkdir(parents=True)
        for f in (REPO / "results" / folder).iterdir():
            if f.suffix in (".json", ".csv"):
                shutil.copy(f, dst / f.name)
    return out


def test_a_drifted_result_is_caught_and_rewritten(tmp_path: Path) -> None:
    """A marginal value that moves in plan.json makes the check fail, and the script fixes it.

    Power in 2029 set to 24,900,000 USD/MW in a copy of plan.json: the README's marker must
    then read $24.90M (usd() with 2 decimals), and the check must name README.md and the figure.
    """
    results = _copy_results(tmp_path)
    plan_path = results / "gtc2026-1gw" / "plan.json"
    plan = json.loads(plan_path.read_text())
    for m in plan["marginal_values"]:
        if m["resource"] == "power" and m["period"] == 2029:
            m["usd_per_unit"] = 24_900_000.0
    plan_path.write_text(json.dumps(plan))
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    shutil.copy(REPO / "README.md", root / "README.md")
    drift = quote.run(root, results, write=False)
    assert any(
        line.startswith("README.md:") and "power_value_2029" in line and "'$24.90M'" in line
        for line in drift
    ), drift
    quote.run(root, results, write=True)
    assert (
        "<!-- fig:reference.power_value_2029 -->$24.90M<!-- /fig -->"
        in (root / "README.md").read_text()
    )
    assert quote.run(root, results, write=False) == []


@pytest.mark.parametrize(
    "text",
    [
        "worth <!-- fig:reference.no_such_figure -->$1<!-- /fig -->",
        "worth <!-- fig:reference.objective -->$1 and the marker never closes",
    ],
)
def test_a_bad_marker_is_named(tmp_path: Path, text: str) -> None:
    """An unknown figure name or an unclosed marker is reported with its file, not skipped."""
    (tmp_path / "README.md").write_text(text + "\n")
    drift = quote.run(tmp_path, REPO / "results", write=False)
    assert len(drift) == 1 and drift[0].startswith("README.md:") and "fig:" in drift[0]


def test_the_reference_instance_quotes_no_result() -> None:
    """The stale "SOLVER RESULT" header is gone; results live in results/, quoted by script."""
    text = (REPO / "instances" / "gtc2026-1gw.yaml").read_text()
    assert "SOLVER RESULT" not in text
    assert "$172.47B" not in text


def test_report_notes_leave_out_a_pasted_solver_result() -> None:
    """An instance header paragraph quoting a run's figures is not copied into a report."""
    from optimizer.report.assumptions import header_notes

    text = (
        "# my site\n#\n# SOLVER RESULT (optimizer solve)\n#   profit $172.47B\n"
        "#   VR 421, GB200 492\n#\n# ASSUMPTIONS\n# - power 1 GW\nname: x\n"
    )
    notes = header_notes(text)
    assert notes == "my site\n\nASSUMPTIONS\n- power 1 GW"


def test_a_figure_that_comes_out_empty_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sentence must never quote nothing ("power binds in , when ..."): a figure whose
    shipped value is empty (say, no period where power is worth money) raises instead of
    writing an empty marker."""
    monkeypatch.setitem(quote.FIGURES, "test.empty", lambda s: "")
    with pytest.raises(ValueError, match="fig:test.empty"):
        quote.figure("test.empty", None)
    monkeypatch.setitem(quote.FIGURES, "test.full", lambda s: "2029")
    assert quote.figure("test.full", None) == "2029"
