"""GET /jobs/{id}/report: the report page of a finished sweep job, 404/409 otherwise."""

from __future__ import annotations

import csv
from typing import Any

import yaml

from .conftest import wait_for
from conftest import REPO


def _toy() -> dict:
    """The toy with its frontier rows inline (the service never reads file paths)."""
    doc = yaml.safe_load((REPO / "instances" / "toy.yaml").read_text())
    with open(REPO / "instances" / "toy_frontiers.csv", newline="") as f:
        rows = []
        for r in csv.DictReader(f):
            row = {"hardware": r["hardware"], "model": r["model"]}
            row["context_tokens"] = int(r["context_tokens"])
            for key in ("interactivity", "tok_s_per_gpu", "ttft_s"):
                if r.get(key):
                    row[key] = float(r[key])
            rows.append(row)
    doc["frontiers"] = rows
    return doc


def test_report_of_a_finished_job(service_app: Any) -> None:
    """The application in-process, default settings (the suite's shared ``service_app``)."""
    client = service_app
    r = client.post("/sweep", json={"instance": _toy(), "set": ["site.power_mw=8,10,12"]})
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    early = client.get(f"/jobs/{job}/report")
    assert early.status_code in (200, 409)  # 409 while queued/running
    wait_for(lambda: client.get(f"/jobs/{job}").json()["status"] == "done", 60, "the sweep")
    page = client.get(f"/jobs/{job}/report")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "Distribution of the objective" in text and "How often each hardware" in text
    assert "site.power_mw" in text
    assert client.get("/jobs/nope/report").status_code == 404
