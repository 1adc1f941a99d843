"""Frontier CSVs and scenario CSVs under hostile input (issue 20, items 6 and 8): one line
per problem naming the file and its line, quoting the bad cell; capped in size."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hostile_helpers import one_error_line

import optimizer
from optimizer.errors import InputError

from conftest import base
from conftest import run_cli as _run

HEADER = "hardware,model,context_tokens,interactivity,tok_s_per_gpu"


def _problems(tmp_path: Path, csv_text: str) -> list[str]:
    (tmp_path / "f.csv").write_text(csv_text)
    doc = base()
    doc["frontiers"] = "f.csv"
    with pytest.raises(InputError) as err:
        optimizer.load_instance(doc, base_dir=tmp_path)  # reports the table's problems
        optimizer.solve(optimizer.load_instance(doc, base_dir=tmp_path))
    return err.value.problems


def test_a_401_digit_number_is_one_line_not_an_overflow_traceback(tmp_path: Path) -> None:
    """Item 8: pandas raised OverflowError (int too large to convert to float)."""
    huge = "1" + "0" * 400
    path = tmp_path / "f.csv"
    got = _problems(tmp_path, f"{HEADER}\ng1,m,8192,10,{huge}\ng1,m,8192,100,500\n")
    assert got == [f"{path} line 2: tok_s_per_gpu must be finite (got {huge[:40]}...)"]
    # The same through the command line: exit 2, one line, no traceback.
    (tmp_path / "i.yaml").write_text(yaml.safe_dump({**base(), "frontiers": "f.csv"}))
    line = one_error_line(_run(["solve", "i.yaml", "--no-write"], tmp_path))
    assert "tok_s_per_gpu must be finite" in line


def test_rows_with_extra_fields_are_named_by_their_own_lines(tmp_path: Path) -> None:
    """Item 8: when every row had one field too many, pandas took the first column as the
    index and blamed every line for "not a number"; one bad row was "not a readable CSV"."""
    path = tmp_path / "f.csv"
    got = _problems(tmp_path, f"{HEADER}\ng1,m,8192,10,1000,x\ng1,m,8192,100,500,y\n")
    assert got == [
        f"{path} line 2: 6 fields, the header has 5",
        f"{path} line 3: 6 fields, the header has 5",
    ]
    got = _problems(tmp_path, f"{HEADER}\ng1,m,8192,10,1000\n\ng1,m,8192,100,500,extra\n")
    assert got == [f"{path} line 4: 6 fields, the header has 5"]


def test_bad_values_are_quoted(tmp_path: Path) -> None:
    """Item 8: "line 2: tok_s_per_gpu must be >= 0" did not say the value was -1000."""
    path = tmp_path / "f.csv"
    got = _problems(tmp_path, f"{HEADER}\ng1,m,8192,10,-1000\ng1,m,8192,100,500\n")
    assert got == [f"{path} line 2: tok_s_per_gpu must be >= 0 (got -1000)"]
    got = _problems(tmp_path, f"{HEADER}\ng1,m,8192,10,1000\ng1,m,8192,100,abc\n")
    assert got == [f"{path} line 3: tok_s_per_gpu is not a number (got 'abc')"]
    got = _problems(tmp_path, f"{HEADER}\ng1,m,0.5,10,1000\ng1,m,8192,fast,500\n")
    assert got == [
        f"{path} line 2: context_tokens must be a whole number > 0 (got 0.5)",
        f"{path} line 3: interactivity is not a number (got 'fast')",
    ]


def test_blank_lines_do_not_shift_the_line_named(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    got = _problems(tmp_path, f"{HEADER}\n\ng1,m,8192,10,1000\n\n\ng1,m,8192,100,-1\n")
    assert got == [f"{path} line 6: tok_s_per_gpu must be >= 0 (got -1)"]


def test_inline_rows_quote_the_value_too() -> None:
    doc = base()
    doc["frontiers"][1]["tok_s_per_gpu"] = -1000
    with pytest.raises(InputError) as err:
        optimizer.load_instance(doc)
    assert any("frontiers[1]" in p and "-1000" in p for p in err.value.problems), err.value


# ------------------------------------------------------------ 6. scenario CSVs
def _zero_link(tmp_path: Path) -> Path:
    link = tmp_path / "scenarios.csv"
    link.symlink_to("/dev/zero")
    return link


def test_stochastic_scenario_csv_is_capped(tmp_path: Path) -> None:
    """Item 6: a symlink to /dev/zero grew to 21 GB of memory; now read up to 16 MB."""
    (tmp_path / "i.json").write_text(__import__("json").dumps(base()))
    link = _zero_link(tmp_path)
    res = _run(["stochastic", "i.json", "--scenarios", str(link), "--out", "o"], tmp_path)
    assert one_error_line(res) == f"error: {link}: larger than 16 MB; not a scenario CSV"


def test_sweep_scenario_csv_is_capped(tmp_path: Path) -> None:
    (tmp_path / "i.json").write_text(__import__("json").dumps(base()))
    link = _zero_link(tmp_path)
    res = _run(["sweep", "i.json", "--scenarios", str(link), "--out", "o"], tmp_path)
    assert one_error_line(res) == f"error: {link}: larger than 16 MB; not a scenario CSV"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_scenario_fifo_with_no_writer_is_refused(tmp_path: Path) -> None:
    (tmp_path / "i.json").write_text(__import__("json").dumps(base()))
    fifo = tmp_path / "s.csv"
    os.mkfifo(fifo)
    for cmd in ("sweep", "stochastic"):
        res = _run([cmd, "i.json", "--scenarios", str(fifo), "--out", "o"], tmp_path)
        assert "a named pipe with nothing written to it" in one_error_line(res), cmd


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_frontier_fifo_with_no_writer_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "f.csv")
    doc = base()
    doc["frontiers"] = "f.csv"
    with pytest.raises(InputError) as err:
        optimizer.load_instance(doc, base_dir=tmp_path)
        optimizer.solve(optimizer.load_instance(doc, base_dir=tmp_path))
    assert "a named pipe with nothing written to it" in err.value.problems[0]
