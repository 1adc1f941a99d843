"""optimizer compare A B: two instances' optima side by side."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO, run_cli


def test_two_instances_side_by_side(tmp_path: Path):
    doc = yaml.safe_load((REPO / "instances" / "toy.yaml").read_text())
    doc["frontiers"] = str(REPO / "instances" / "toy_frontiers.csv")
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(doc))
    doc_b = {**doc, "name": "toy-12mw", "site": {**doc["site"], "power_mw": 12}}
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(doc_b))
    res = run_cli(["compare", "a.yaml", "b.yaml", "--out", "out", "-q"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    summary = pd.read_csv(tmp_path / "out" / "compare-toy-vs-toy-12mw.csv").set_index("figure")
    # the toy's optimum is 363,294,720 USD and one more MW is worth 36,329,472 USD (the
    # contract's hand derivation); power stays the binding cap up to 12 MW, so B - A = 2 MW
    assert float(summary.loc["objective_usd", "toy"]) == pytest.approx(363_294_720, rel=1e-9)
    assert float(summary.loc["objective_usd", "b_minus_a"]) == pytest.approx(
        2 * 36_329_472, rel=1e-6
    )
    diff = pd.read_csv(tmp_path / "out" / "compare-toy-vs-toy-12mw-differences.csv")
    assert set(diff["key"]) == {"name", "site.power_mw"}
    plan = pd.read_csv(tmp_path / "out" / "compare-toy-vs-toy-12mw-plan.csv")
    assert (plan["b_minus_a"] == plan["toy-12mw"] - plan["toy"]).all()
    tiers = pd.read_csv(tmp_path / "out" / "compare-toy-vs-toy-12mw-by-tier.csv")
    assert {"toy", "toy-12mw"} <= set(tiers["plan"]) and "cost_usd_per_mtok" in tiers
    assert "What differs" in (tmp_path / "out" / "compare-toy-vs-toy-12mw.md").read_text()


def test_second_instance_bad_exit_2(tmp_path: Path):
    (tmp_path / "b.yaml").write_text("name: [unclosed\n")
    res = run_cli(["compare", str(REPO / "instances" / "toy.yaml"), "b.yaml", "-q"], cwd=tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "b.yaml" in res.stderr
