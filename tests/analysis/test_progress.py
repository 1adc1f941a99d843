"""Progress of sensitivity runs: the callback the CLI's bar is drawn from."""

from __future__ import annotations

from optimizer import load_instance
from optimizer.analysis.sensitivity import numeric_inputs, sensitivity

from conftest import base


def test_sensitivity_reports_every_scenario():
    """Base + two moves per numeric input: the last call says all of them are done."""
    inst = load_instance(base())
    calls: list[tuple[int, int]] = []
    sensitivity(inst, 0.1, workers=1, progress=lambda d, t: calls.append((d, t)))
    total = 1 + 2 * len(numeric_inputs(inst))
    assert calls, "no progress reported"
    assert calls[-1] == (total, total)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
