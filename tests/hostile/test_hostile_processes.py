"""Killed and interrupted runs; time limits that must bound a run (issue 20, items 13,
17, 18). These start the real command line and watch its processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import base

LINUX_PROC = Path("/proc/self/stat").exists()


def _session_members(sid: int) -> list[int]:
    """Live processes of session ``sid`` (field 6 of /proc/PID/stat), zombies excluded."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            members.append(int(entry.name))
    return members


@pytest.mark.skipif(not LINUX_PROC, reason="reads /proc to find the run's processes")
def test_kill_9_of_a_sweep_driver_leaves_no_worker_or_resource_tracker(tmp_path: Path) -> None:
    """Item 13: after kill -9 of ``optimizer sweep --workers 2`` both workers (waiting on
    the pool's pipes, whose ends they hold themselves) and the resource tracker ran on.
    The run gets its own session, so everything it started is found by session id."""
    (tmp_path / "i.json").write_text(json.dumps(base()))
    cmd = [sys.executable, "-m", "optimizer", "sweep", "i.json", "--workers", "2", "-q"]
    cmd += ["--set", "site.power_mw=0.001:1:0.001", "--seed", "1", "--out", "sw"]
    driver = subprocess.Popen(
        cmd, cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    journal = tmp_path / "sw" / "sweep.rows.jsonl"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and driver.poll() is None:
            if journal.exists() and journal.read_text().count("\n") >= 2:
                break  # the workers are up and solving
            time.sleep(0.2)
        assert driver.poll() is None, driver.stderr.read() if driver.stderr else ""
        assert len(_session_members(driver.pid)) >= 4  # driver, 2 workers, tracker
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=30)
        deadline = time.monotonic() + 30
        left = _session_members(driver.pid)
        while left and time.monotonic() < deadline:
            time.sleep(0.25)
            left = _session_members(driver.pid)
        assert left == []
    finally:
        for pid in _session_members(driver.pid):  # clean up after a failure
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if driver.poll() is None:
            driver.kill()
