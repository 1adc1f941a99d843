"""Where the benchmarks write their figures: ``results/benchmarks/<name>.json``.

Each file holds the command that produced it, when and on what machine (CPU count, load
average before and after: the machine is shared), the package versions, and the figures.
Timings are not reproducible, so the folder is not committed (``.gitignore``);
``python benchmarks/write_doc.py`` writes docs/benchmarks.md's measured section from it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "results" / "benchmarks"


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # not on every platform
        return []


class Record:
    """Started when a benchmark starts; :meth:`write` adds the figures and saves."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.started = dt.datetime.now(dt.UTC)
        self.load_before = _load()

    def write(self, figures: dict[str, Any]) -> Path:
        from importlib.metadata import version

        doc = {
            "benchmark": self.name,
            "command": "python "
            + " ".join(["benchmarks/" + Path(sys.argv[0]).name, *sys.argv[1:]]),
            "started_utc": self.started.isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "affinity": len(os.sched_getaffinity(0))
                if hasattr(os, "sched_getaffinity")
                else None,
                "load_average_before": self.load_before,
                "load_average_after": _load(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "highspy": version("highspy"),
                "pyomo": version("pyomo"),
            },
            "figures": figures,
        }
        FOLDER.mkdir(parents=True, exist_ok=True)
        path = FOLDER / f"{self.name}.json"
        path.write_text(json.dumps(doc, indent=2, default=float) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")
        return path
