"""``optimizer report PATH``: one self-contained HTML report (and a workbook, a PDF).

Exit status: 0 written; 1 the files cannot be written, no plan, or no browser for
``--pdf``; 2 bad input (one line per problem, no traceback).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from optimizer.cli.options import TimeLimitEach, out_option


def report(
    path: Annotated[
        Path,
        typer.Argument(
            help="An instance (YAML/JSON), a results folder, a sweep table (.parquet/.csv) "
            "or a two-stage result (stochastic.json)."
        ),
    ],
    out: Annotated[
        Path | None,
        out_option(
            "Folder for report.html (and .xlsx/.pdf) [default: results/<name>/ for an "
            "instance, else the folder of PATH]."
        ),
    ] = None,
    xlsx: Annotated[bool, typer.Option("--xlsx", help="Also write report.xlsx.")] = False,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also write report.pdf (needs headless Chromium).")
    ] = False,
    no_baselines: Annotated[
        bool, typer.Option("--no-baselines", help="Instance: skip the baseline solves.")
    ] = False,
    instance: Annotated[
        Path | None,
        typer.Option(
            "--instance", help="Results folder: the instance file (assumptions, deck charts)."
        ),
    ] = None,
    time_limit: TimeLimitEach = None,
) -> None:
    """Write report.html: headline, plan, resources, marginal values, baselines, charts, sources."""
    from rich.markup import escape

    from optimizer.cli.common import default_out, err_console, fail_input, out_folder_problems
    from optimizer.errors import EXIT_NO_PLAN, InputError
    from optimizer.report.build import build_report, kind_of
    from optimizer.report.html import render_html
    from optimizer.results.write import write_atomic

    missing = [m for m in ("plotly", *(("openpyxl",) if xlsx else ())) if not _importable(m)]
    if missing:
        # escaped: rich would read "[report]" as markup and print pip install "optimizer"
        err_console.print(
            "[bold red]error:[/] "
            + escape(
                f"optimizer report needs {', '.join(missing)}: pip install 'optimizer[report]'"
            )
        )
        raise typer.Exit(EXIT_NO_PLAN)
    if out is not None and out_folder_problems(out):  # before any solve (an instance)
        fail_input(InputError(out_folder_problems(out)))
    try:
        kind, target = kind_of(path)
        rep = build_report(
            path, baselines=not no_baselines, instance_path=instance, time_limit=time_limit
        )
    except InputError as exc:
        fail_input(exc)
    if out is not None:
        folder = out
    elif kind == "instance":
        folder = default_out(rep.title.removeprefix("Plan for "))
    else:
        folder = target if target.is_dir() else target.parent
    html_path = folder / "report.html"
    try:
        write_atomic(html_path, render_html(rep))
        written = [html_path]
        if xlsx:
            from optimizer.report.workbook import write_workbook

            written.append(write_workbook(rep, folder / "report.xlsx"))
    except OSError as exc:
        err_console.print(
            f"[bold red]error:[/] cannot write to {escape(str(folder))}: {escape(str(exc))}"
        )
        raise typer.Exit(EXIT_NO_PLAN) from None
    if pdf:
        from optimizer.report.pdf import html_to_pdf

        try:
            written.append(html_to_pdf(html_path, folder / "report.pdf"))
        except RuntimeError as exc:
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
            raise typer.Exit(EXIT_NO_PLAN) from None
    err_console.print("wrote " + ", ".join(str(p) for p in written), highlight=False)
    status = dict(rep.headline).get("status")
    if rep.kind == "plan" and status not in ("optimal", "time_limit"):
        raise typer.Exit(EXIT_NO_PLAN)


def _importable(module: str) -> bool:
    import importlib.util
    import sys

    if module in sys.modules and sys.modules[module] is None:  # blocked: as if not installed
        return False
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken or hidden install counts as missing
        return False
