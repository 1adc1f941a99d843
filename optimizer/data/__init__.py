"""Data shipped inside the package: frontier tables and the hardware/model specs.

Found with :mod:`importlib.resources`, so they are the same files from a checkout, an
editable install or an installed wheel, whatever the current folder.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# pip unpacks wheels, so the package data is a real folder on disk (not a zip member).
DATA_DIR = Path(str(files("optimizer.data")))
# Frontier tables usable by bare name in an instance (``frontiers: reference-2026``).
FRONTIERS_DIR = DATA_DIR / "frontiers"
# The sourced hardware and model specifications the frontier generator reads.
SPECS_DIR = DATA_DIR / "specs"
SPEC_FILES = (SPECS_DIR / "hardware.yaml", SPECS_DIR / "models.yaml")
# The published points the calibration report compares against.
MEASURED_2026 = FRONTIERS_DIR / "measured-2026.csv"
CALIBRATION_REPORT = FRONTIERS_DIR / "calibration.md"
# Commented starter instances that ``optimizer init --from NAME`` copies.
STARTERS_DIR = DATA_DIR / "starters"


def shipped_tables() -> list[str]:
    """Bare names of the shipped frontier tables (``measured-2026``, ``reference-2026``)."""
    from optimizer.frontiers.names import shipped_tables as in_folder

    return in_folder(FRONTIERS_DIR)
