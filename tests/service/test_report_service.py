"""GET /jobs/{id}/report: the report page of a finished sweep job, 404/409 otherwise."""

from __future__ import annotations

from typing import Any

from .conftest import toy_inline, wait_for


def test_report_of_a_finished_job(service_app: Any) -> None:
    """The application in-process, default settings (the suite's shared ``service_app``)."""
    client = service_app
    r = client.post("/sweep", json={"instance": toy_inline(), "set": ["site.power_mw=8,10,12"]})
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
