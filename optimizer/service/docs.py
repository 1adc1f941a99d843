"""``GET /docs``: the API described in one self-contained HTML page (no scripts, no CDN).

FastAPI's interactive page loads Swagger UI from a CDN, which fails offline and lets a
third party's script run on the service's origin. This page is built on the server from
the OpenAPI schema: every route, its summary, description and answers, plus a link to
``/openapi.json`` for tools that want the full schema.
"""

from __future__ import annotations

import html
from typing import Any

from starlette.responses import HTMLResponse

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "code{background:#f3f3f3;padding:0 .2rem}h2{border-top:1px solid #ddd;padding-top:1rem}"
)


def docs_page(schema: dict[str, Any]) -> HTMLResponse:
    """The HTML page for ``schema`` (an OpenAPI document)."""
    info = schema.get("info", {})
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(str(info.get('title', 'API')))} API</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(str(info.get('title', 'API')))} {html.escape(str(info.get('version', '')))}</h1>",
        f"<p>{html.escape(str(info.get('description', '')))}</p>",
        "<p>Machine-readable schema: <a href='/openapi.json'>/openapi.json</a>. "
        "This page needs no network access.</p>",
    ]
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            parts.append(f"<h2><code>{html.escape(method.upper())} {html.escape(path)}</code></h2>")
            if op.get("summary"):
                parts.append(f"<p><b>{html.escape(op['summary'])}</b></p>")
            if op.get("description"):
                parts.append(f"<p>{html.escape(op['description'])}</p>")
            answers = op.get("responses", {})
            if answers:
                parts.append("<ul>")
                for code, resp in answers.items():
                    text = html.escape(str(resp.get("description", "")))
                    parts.append(f"<li><code>{html.escape(str(code))}</code> {text}</li>")
                parts.append("</ul>")
    parts.append("</body></html>")
    return HTMLResponse(
        "".join(parts),
        headers={"content-security-policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )
