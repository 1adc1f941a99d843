"""PDF of the HTML report through a headless Chromium, when one is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
    "--virtual-time-budget=10000",
]


def find_browser() -> str | None:
    env = os.environ.get("OPTIMIZER_CHROMIUM")
    if env and Path(env).is_file():
        return env
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html_path: Path, pdf_path: Path, timeout: float = 120.0) -> Path:
    """Print ``html_path`` to ``pdf_path``; RuntimeError when no browser or it fails."""
    browser = find_browser()
    if browser is None:
        raise RuntimeError(
            "--pdf needs a headless Chromium (e.g. apt-get install chromium); none found on PATH"
        )
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{pdf_path.name}.", suffix=".tmp", dir=pdf_path.parent)
    os.close(fd)
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            browser,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={tmp}",
            html_path.resolve().as_uri(),
        ]
        try:
            run = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            Path(tmp).unlink(missing_ok=True)
            raise RuntimeError(f"{browser}: {exc}") from None
    if run.returncode != 0 or Path(tmp).stat().st_size == 0:
        Path(tmp).unlink(missing_ok=True)
        last = (run.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{browser} could not print the PDF: {last}")
    os.chmod(tmp, 0o644)
    os.replace(tmp, pdf_path)
    return pdf_path
