"""The Python examples of docs/embedding.md run as written, in order."""

from __future__ import annotations

import re

from conftest import REPO


def test_embedding_examples_run() -> None:
    text = (REPO / "docs" / "embedding.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 3
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "docs/embedding.md", "exec"), namespace)  # noqa: S102


def test_shipped_table_by_name_through_stdin() -> None:
    import json
    import subprocess
    import sys

    doc = {
        "name": "by-name",
        "site": {"power_mw": 1.25, "pue": 1.25, "rack_positions": 100},
        "hardware": [{"id": "gb300-nvl72", "gpus_per_unit": 72, "power_kw": 135}],
        "tiers": [
            {
                "id": "r1",
                "model": "deepseek-r1",
                "context_tokens": 8192,
                "price_usd_per_mtok": 1.0,
                "min_interactivity": 35,
            }
        ],
        "frontiers": "measured-2026",
    }
    res = subprocess.run(
        [sys.executable, "-m", "optimizer", "solve", "-", "--json", "--no-write"],
        input=json.dumps(doc),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    # 1,000 kW of IT holds 7 racks of 135 kW.
    assert out["status"] == "optimal" and out["buy"] == [
        {"hardware": "gb300-nvl72", "period": 1, "units": 7}
    ]


def test_documents_name_test_files_that_exist() -> None:
    """Every ``tests/...`` path the documents, the CI script and the packaging name exists (the
    tests moved into one folder per package once; a stale path would send a reader nowhere)."""
    sources = [
        REPO / "README.md",
        REPO / "pyproject.toml",
        REPO / ".ci" / "run",
        *sorted((REPO / "docs").glob("*.md")),
        *sorted((REPO / "tests").rglob("README.md")),
    ]
    named = 0
    for source in sources:
        for path in re.findall(r"\btests/[\w./-]*\w", source.read_text()):
            named += 1
            assert (REPO / path.split("::")[0]).exists(), f"{source.relative_to(REPO)}: {path}"
    assert named >= 20  # the documents do name tests: the pattern finds them


def test_readme_and_ci_run_the_same_test_command() -> None:
    """The README's test command is the one .ci/run runs (its arguments after ``pytest``)."""
    readme = re.search(
        r'pip install -e "\.\[test\]" && pytest ([^#\n]*)', (REPO / "README.md").read_text()
    )
    ci = re.search(r"^python3 -m pytest (.*)$", (REPO / ".ci" / "run").read_text(), flags=re.M)
    assert readme and ci
    assert readme.group(1).split() == ci.group(1).split()
