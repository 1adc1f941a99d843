"""Fixtures shared by the frontier tests."""

from __future__ import annotations

from typing import Any

import pytest

from optimizer.data import SPEC_FILES
from optimizer.frontiers.perf.specs import (
    hardware_from_dict,
    is_pod,
    load_spec_files,
    model_from_dict,
)


@pytest.fixture(scope="session")
def specs() -> tuple[dict[str, Any], dict[str, Any]]:
    """The shipped hardware (pods left out) and model specs, by id, read once."""
    hw, mo = load_spec_files(list(SPEC_FILES))
    return (
        {d["id"]: hardware_from_dict(d) for d in hw if not is_pod(d)},
        {d["id"]: model_from_dict(d) for d in mo},
    )
