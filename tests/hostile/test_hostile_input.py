"""The command line under hostile input (issue 9, items 6-9): one line, exit 2, nothing
echoed from files; strict frontier columns; plan folders that are never a silent mix."""

from __future__ import annotations

import csv
import json
import os
import pickle
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import optimizer
from optimizer.errors import InputError
from optimizer.results.write import MANIFEST, PLAN_FILES, RUN_FILE, check_result_folder, write_plan

from conftest import REPO, base, frontier
from conftest import run_cli as _run

SECRET = "I9_SECRET_VALUE_3c9f"


def one_error_line(res: subprocess.CompletedProcess) -> str:
    """The run ended with exit 2 and exactly one line on stderr, no traceback."""
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    assert len(lines) == 1, res.stderr[-2000:]
    assert "Traceback" not in res.stderr
    return lines[0]


# ------------------------------------------------------------ 6. no file contents
def test_stdin_instance_naming_a_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text(f"{SECRET}=1\n{SECRET}=2\n")
    doc = base()
    doc["frontiers"] = str(secret)
    res = _run(["solve", "-", "--json", "--no-write"], tmp_path, stdin=json.dumps(doc))
    line = one_error_line(res)
    assert line.startswith("error: frontiers:") and "--allow-paths" in line
    assert SECRET not in res.stderr + res.stdout

    # Allowed by the option, the file is read; still, its contents are not echoed.
    res = _run(
        ["solve", "-", "--json", "--no-write", "--allow-paths"], tmp_path, stdin=json.dumps(doc)
    )
    assert res.returncode == 2 and "not a frontier table" in res.stderr
    assert SECRET not in res.stderr + res.stdout


def test_proc_environ_is_never_echoed(tmp_path: Path) -> None:
    doc = base()
    doc["frontiers"] = "/proc/self/environ"
    env = {**os.environ, "I9_CANARY": SECRET}
    for args, stdin in (
        (["solve", "-", "--json", "--no-write"], json.dumps(doc)),
        (["solve", "-", "--json", "--no-write", "--allow-paths"], json.dumps(doc)),
    ):
        res = _run(args, tmp_path, stdin=stdin, env=env)
        one_error_line(res)
        assert SECRET not in res.stderr + res.stdout


# ----------------------------------------------------------- 7. hostile documents
def _write_hostile(tmp_path: Path) -> dict[str, Path]:
    doc = base()
    files = {}
    big_int = json.dumps(doc)[:-1] + ', "discount_rate": ' + "7" * 5000 + "}"
    files["int.json"] = tmp_path / "int.json"
    files["int.json"].write_text(big_int)
    files["int.yaml"] = tmp_path / "int.yaml"
    files["int.yaml"].write_text(yaml.safe_dump(doc) + "discount_rate: " + "7" * 5000 + "\n")
    files["deep.json"] = tmp_path / "deep.json"
    files["deep.json"].write_text("[" * 100_000 + "]" * 100_000)
    files["deep.yaml"] = tmp_path / "deep.yaml"
    lines = ["  " * i + f"k{i}:" for i in range(2000)]
    files["deep.yaml"].write_text("\n".join(lines) + " 1\n")
    files["big.yaml"] = tmp_path / "big.yaml"
    row = "  - {a: 1, b: 2.5, c: hello}\n"
    with open(files["big.yaml"], "w") as fh:
        fh.write("name: big\nrows:\n")
        fh.write(row * (17 * 1024 * 1024 // len(row) + 1))  # just over the 16 MB cap
    return files


def test_hostile_files_end_in_one_line(tmp_path: Path) -> None:
    files = _write_hostile(tmp_path)
    for name, path in files.items():
        t0 = time.monotonic()
        res = _run(["solve", str(path), "--no-write"], tmp_path)
        line = one_error_line(res)
        assert str(path) in line, (name, line)
        assert time.monotonic() - t0 < 60, name
    assert "16 MB" in one_error_line(_run(["solve", str(files["big.yaml"])], tmp_path))
    # The same through stdin.
    res = _run(["solve", "-", "--json"], tmp_path, stdin=files["int.json"].read_text())
    assert "thousands of digits" in one_error_line(res)
    res = _run(["solve", "-", "--json"], tmp_path, stdin=files["deep.json"].read_text())
    assert "nested" in one_error_line(res)


def test_endless_inputs_are_capped(tmp_path: Path) -> None:
    res = _run(["solve", "/dev/zero", "--no-write"], tmp_path)
    assert "larger than 16 MB" in one_error_line(res)
    # A pipe that never ends: read up to the cap, then one line.
    yes = subprocess.Popen(["yes", "a: 1"], stdout=subprocess.PIPE)
    try:
        res = subprocess.run(
            [sys.executable, "-m", "optimizer", "solve", "-", "--json"],
            cwd=tmp_path,
            stdin=yes.stdout,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        yes.kill()
        yes.wait(timeout=10)
    assert "larger than 16 MB" in one_error_line(res)


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "1e9"])
def test_serve_refuses_an_unbounded_body_limit(tmp_path: Path, value: str) -> None:
    res = _run(["serve", "--max-body-mb", value, "--port", "0"], tmp_path)
    assert "--max-body-mb" in one_error_line(res)


# ------------------------------------------------------ 8. unknown frontier columns
def test_a_misspelt_inline_column_is_an_error_not_a_dropped_cap() -> None:
    doc = base()
    doc["frontiers"] = frontier("g1", ttft=0.5)
    for row in doc["frontiers"]:
        row["ttft"] = row.pop("ttft_s")
    with pytest.raises(InputError) as err:
        optimizer.load_instance(doc)
    assert any(p.startswith("frontiers[0].ttft: unknown key") for p in err.value.problems)


def test_a_misspelt_csv_column_is_an_error(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    with open(table, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["hardware", "model", "context_tokens", "interactivity", "tok_s_per_gpu", "ttft"]
        )
        w.writerow(["g1", "m", 8192, 10, 1000, 0.5])
    doc = base()
    doc["frontiers"] = str(table)
    with pytest.raises(InputError) as err:
        optimizer.solve(doc)
    assert any("unknown column(s) 'ttft'" in p for p in err.value.problems), err.value.problems


def test_documented_descriptive_columns_are_accepted(tmp_path: Path) -> None:
    extra = {"layout": "tp8", "technique": "disagg", "units_per_replica": 2, "source": "x"}
    doc = base()
    doc["frontiers"] = [{**r, **extra} for r in frontier("g1")]
    plain = optimizer.solve(base()).objective_usd
    assert optimizer.solve(doc).objective_usd == pytest.approx(plain)  # used by no constraint

    table = tmp_path / "t.csv"
    rows = doc["frontiers"]
    with open(table, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    doc["frontiers"] = str(table)
    assert optimizer.solve(doc).objective_usd == pytest.approx(plain)

    bad = base()
    bad["frontiers"] = [{**r, "units_per_replica": 0} for r in frontier("g1")]
    with pytest.raises(InputError) as err:
        optimizer.load_instance(bad)
    assert any("units_per_replica" in p for p in err.value.problems)


# ---------------------------------------------------- 9. all old or all new folders
WRITER = """
import pickle, sys
from optimizer.results.write import write_plan
plans = pickle.load(open(sys.argv[1], "rb"))
print("ready", flush=True)
i = 0
while True:
    write_plan(plans[i % 2], sys.argv[2])
    i += 1
"""


def test_kill_9_never_leaves_a_silent_mix(tmp_path: Path) -> None:
    toy = optimizer.solve(REPO / "instances" / "toy.yaml", marginals=False)
    other = optimizer.solve(base(), marginals=False)
    blob = tmp_path / "plans.pkl"
    blob.write_bytes(pickle.dumps([toy, other]))
    out = tmp_path / "out"
    rng = random.Random(9)
    outcomes = {"whole": 0, "incomplete": 0}
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(blob), str(out)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        problems = check_result_folder(out)
        if problems:
            # Killed mid-set: the folder says so; it never claims a mix is whole.
            assert len(problems) == 1 and "incomplete" in problems[0], problems
            outcomes["incomplete"] += 1
        else:
            manifest = json.loads((out / MANIFEST).read_text())
            plan = json.loads((out / "plan.json").read_text())
            assert manifest["instance"] == plan["instance"]
            outcomes["whole"] += 1
    # The next write cleans what killed writes left, and the set is whole again.
    write_plan(toy, out)
    assert check_result_folder(out) == []
    assert not list(out.glob(".*.tmp"))
    assert {p.name for p in out.iterdir()} == {*PLAN_FILES, MANIFEST, RUN_FILE}


def test_a_mix_of_two_runs_is_detected(tmp_path: Path) -> None:
    toy = optimizer.solve(REPO / "instances" / "toy.yaml", marginals=False)
    other = optimizer.solve(base(), marginals=False)
    write_plan(toy, tmp_path / "a")
    write_plan(other, tmp_path / "b")
    (tmp_path / "a" / "plan.json").write_bytes((tmp_path / "b" / "plan.json").read_bytes())
    problems = check_result_folder(tmp_path / "a")
    assert problems and "plan.json" in problems[0]
