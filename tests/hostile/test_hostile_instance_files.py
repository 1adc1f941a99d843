"""Instance files and stdin under hostile input (issue 20, items 5 and 7): each ends in one
line and exit 2, promptly; nothing hangs or is silently accepted."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
import yaml
from hostile_helpers import one_error_line

import optimizer
from optimizer.errors import InputError
from optimizer.instance.load import MAX_EXPANDED_VALUES, read_document

from conftest import TOY, base
from conftest import run_cli as _run


def _bomb(levels: int = 9) -> str:
    """The classic "billion laughs": each line lists the previous one nine times, so
    ``levels`` lines of ~40 bytes expand to 9**levels strings (9**9 = 387,420,489)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_ends_in_one_line_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    """Item 5: the nesting check walked the expanded tree (9**9 values): hours. Shared
    parts are now walked once and a document whose aliases expand past the cap is refused.
    (The subprocess timeout, 120 s, is what fails without the fix.)"""
    text = _bomb()
    assert len(text.encode()) < 600
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(text)
    line = one_error_line(_run(["solve", str(bomb), "--no-write"], tmp_path))
    assert str(bomb) in line and f"{MAX_EXPANDED_VALUES:,} values" in line
    line = one_error_line(_run(["solve", "-", "--no-write"], tmp_path, stdin=text))
    assert "expand to more than" in line


def test_aliases_below_the_cap_are_still_read(tmp_path: Path) -> None:
    """Anchors and merge keys in a real instance keep working: the same toy instance with
    its site given through an anchor and a merge key reads as the plain one."""
    doc = yaml.safe_load(TOY.read_text())
    plain = read_document(TOY)
    text = TOY.read_text()
    site = yaml.safe_dump({"defaults": doc["site"]}, default_flow_style=False)
    site = site.replace("defaults:", "defaults: &site", 1)
    del doc["site"]
    body = yaml.safe_dump(doc, sort_keys=False) + "site:\n  <<: *site\n"
    aliased = tmp_path / "toy.yaml"
    aliased.write_text(site + body)
    got = read_document(aliased)
    got.pop("defaults")
    assert got == plain, text


def test_an_alias_that_contains_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cycle.yaml"
    path.write_text("name: x\nsite: &s {power_mw: 1, inner: *s}\n")
    with pytest.raises(InputError) as err:
        read_document(path)
    assert err.value.problems == [
        f"{path}: a YAML alias refers to a mapping or list holding it; not an instance"
    ]


def test_a_duplicate_yaml_key_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    """Item 7: ``power_mw`` given twice used to keep the last value silently."""
    path = tmp_path / "dup.yaml"
    text = yaml.safe_dump(base(), sort_keys=False)
    text = text.replace("  power_mw: 1.0\n", "  power_mw: 1.0\n  power_mw: 1000.0\n", 1)
    path.write_text(text)
    lines = text.splitlines()
    first = lines.index("  power_mw: 1.0") + 1
    line = one_error_line(_run(["solve", str(path), "--no-write"], tmp_path))
    assert line == (
        f"error: {path} line {first + 1}: key 'power_mw' given twice in one mapping "
        f"(first on line {first}); remove one"
    )


def test_merge_keys_may_still_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    path.write_text("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 5\n")
    assert read_document(path)["other"] == {"x": 5, "y": 2}


def test_a_duplicate_json_key_is_an_error(tmp_path: Path) -> None:
    text = json.dumps(base())[:-1] + ', "name": "other"}'
    path = tmp_path / "dup.json"
    path.write_text(text)
    line = one_error_line(_run(["solve", str(path), "--no-write"], tmp_path))
    assert line == f"error: {path}: key 'name' given twice in one object; remove one"
    line = one_error_line(_run(["solve", "-", "--no-write"], tmp_path, stdin=text))
    assert line == "error: -: key 'name' given twice in one object; remove one"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_with_no_writer_is_refused_at_once(tmp_path: Path) -> None:
    """Item 7: open() on a FIFO waits for a writer forever; the subprocess timeout fails
    the test without the fix."""
    fifo = tmp_path / "instance.yaml"
    os.mkfifo(fifo)
    line = one_error_line(_run(["solve", str(fifo), "--no-write"], tmp_path))
    assert line == f"error: {fifo}: a named pipe with nothing written to it (no writer); " + (
        "not an instance file"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_with_a_writer_is_read(tmp_path: Path) -> None:
    """A pipe someone writes to (``<(cat file)``) is still an instance: the writer is
    attached before the read (as the shell does) and closes its end a moment later."""
    fifo = tmp_path / "instance.json"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR)  # a writer (and a reader, so the data stays put)
    os.write(writer, json.dumps(base()).encode())
    closer = threading.Timer(2.0, os.close, args=(writer,))
    closer.start()
    try:
        loaded = optimizer.load_instance(fifo)
    finally:
        closer.join()
    assert loaded.name == "micro"


def test_a_symlink_to_dev_zero_is_capped(tmp_path: Path) -> None:
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    line = one_error_line(_run(["solve", str(link), "--no-write"], tmp_path))
    assert line.startswith(f"error: {link}: larger than 16 MB")
