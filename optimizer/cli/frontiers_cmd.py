"""``optimizer frontiers``: build modelled frontier tables, query them, recalibrate.

Register with ``app.add_typer(frontiers_app, name="frontiers")``. Exit status 0 on
success, 2 on bad input (one line per problem naming the file and key, no traceback).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from optimizer.cli.common import make_console
from optimizer.cli.options import out_option, quiet_option, sub_app
from optimizer.data import CALIBRATION_REPORT, FRONTIERS_DIR, MEASURED_2026, SPEC_FILES
from optimizer.results.write import write_atomic

EXIT_BAD_INPUT = 2
# What build and calibrate write by default: a results folder, never the shipped files
# (those only with --overwrite-shipped).
# Options several of the commands below take, declared once.
Osl = Annotated[int, typer.Option("--osl", min=1, help="Output tokens per request.")]
PrintJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
SpecFiles = Annotated[
    list[str] | None,
    typer.Option("--spec", help="Spec YAML file (repeatable) (default: the two shipped)."),
]
DEFAULT_BUILD_OUT = Path("results/frontiers/reference-2026.csv")
DEFAULT_CALIBRATION_OUT = Path("results/frontiers/calibration.md")

frontiers_app = sub_app("Modelled frontier tables (analytical LLM-serving performance model).")
err = make_console(stderr=True)


def _out_or_shipped(what: str, default: Path) -> Any:
    """``-o/--out`` of a command that writes a results file by default (never a shipped one)."""
    return out_option(f"{what} [default: {default}].", "-o")


def _overwrite(shipped: str) -> Any:
    """``--overwrite-shipped``: write over a file shipped in the package instead."""
    return typer.Option(
        "--overwrite-shipped", help=f"Write over {shipped} instead (maintainers only)."
    )


def _fail(lines: list[str] | str) -> NoReturn:
    for line in [lines] if isinstance(lines, str) else lines:
        err.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _spec_paths(specs: list[str] | None) -> list[Path]:
    """Given paths as they are; the spec files shipped in the package by default."""
    if specs:
        return [Path(s) for s in specs]
    return list(SPEC_FILES)


def _target(out: Path | None, overwrite_shipped: bool, default: Path, shipped: Path) -> Path:
    """Where to write: ``--out``, the shipped file if asked, else a results folder."""
    if out is not None and overwrite_shipped:
        _fail("--out and --overwrite-shipped: give one of them, not both")
    if overwrite_shipped:
        return shipped
    return out if out is not None else default


def _load(specs: list[str] | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from optimizer.frontiers.perf.specs import SpecError, load_spec_files

    paths = _spec_paths(specs)
    try:
        hardware, models = load_spec_files(paths)
    except SpecError as exc:
        _fail(exc.problems)
    names = ", ".join(str(p) for p in paths)
    if not hardware:
        _fail(f"{names}: no 'hardware:' entries in the spec files")
    if not models:
        _fail(f"{names}: no 'models:' entries in the spec files")
    return hardware, models


def _pick(entries: list[dict[str, Any]], wanted: str | None, what: str) -> list[dict[str, Any]]:
    if not wanted:
        return entries
    ids = [w.strip() for w in wanted.split(",") if w.strip()]
    known = {e["id"]: e for e in entries}
    missing = [i for i in ids if i not in known]
    if missing:
        _fail(f"--{what}: unknown id(s) {', '.join(missing)} (known: {', '.join(known)})")
    return [known[i] for i in ids]


def _int_list(text: str, option: str) -> list[int]:
    try:
        vals = [int(v.strip()) for v in text.split(",") if v.strip()]
    except ValueError:
        _fail(f"{option}: expected comma-separated whole numbers (got {text!r})")
    if not vals or any(v <= 0 for v in vals):
        _fail(f"{option}: expected positive whole numbers (got {text!r})")
    return vals


@frontiers_app.command(short_help="Build a modelled frontier table from the specs.")
def build(
    specs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Spec YAML files (default: the shipped optimizer/data/specs/hardware.yaml "
            "and models.yaml)."
        ),
    ] = None,
    out: Annotated[
        Path | None, _out_or_shipped("CSV to write (atomically)", DEFAULT_BUILD_OUT)
    ] = None,
    overwrite_shipped: Annotated[bool, _overwrite("the shipped reference-2026 table")] = False,
    contexts: Annotated[
        str, typer.Option("--contexts", help="Context lengths (prompt tokens), comma-separated.")
    ] = "8192,131072,400000",
    osl: Osl = 1024,
    isl: Annotated[
        int | None,
        typer.Option(
            "--isl", min=1, help="Input tokens for every row (default: the row's context)."
        ),
    ] = None,
    hardware: Annotated[
        str | None, typer.Option("--hardware", help="Only these hardware ids (comma-separated).")
    ] = None,
    models: Annotated[
        str | None, typer.Option("--models", help="Only these model ids (comma-separated).")
    ] = None,
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            help="tuned (disaggregated, wide EP, speculative decoding) or typical (one node, "
            "TP, off-the-shelf engine).",
        ),
    ] = "tuned",
    efficiency: Annotated[
        Path | None,
        typer.Option(
            "--efficiency",
            help="JSON of efficiency factors to use instead of the shipped fit (as "
            "`calibrate --points ... --fit --efficiency-out` writes).",
        ),
    ] = None,
    quiet: Annotated[bool, quiet_option("No summary on stderr.")] = False,
) -> None:
    """Build the modelled frontier table (the CSV of docs/format.md + technique,
    units_per_replica, layout, source)."""
    from optimizer.frontiers.generator import CSV_COLUMNS, PROFILES, build_frontiers
    from optimizer.frontiers.perf.specs import SpecError

    if profile not in PROFILES:
        _fail(f"--profile: must be one of {', '.join(PROFILES)} (got {profile!r})")
    name = "reference-2026.csv" if profile == "tuned" else f"reference-2026-{profile}.csv"
    target = _target(
        out, overwrite_shipped, DEFAULT_BUILD_OUT.with_name(name), FRONTIERS_DIR / name
    )
    ctxs = _int_list(contexts, "--contexts")
    all_hw, model_specs = _load(specs)
    hw_specs = _pick(all_hw, hardware, "hardware")
    model_specs = _pick(model_specs, models, "models")
    factors = None
    if efficiency is not None:
        try:
            factors = json.loads(efficiency.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            _fail(f"--efficiency {efficiency}: not a readable JSON file ({type(exc).__name__})")
        if not isinstance(factors, dict):
            _fail(f"--efficiency {efficiency}: expected a JSON object of factor: value")
    t0 = time.perf_counter()
    try:
        table = build_frontiers(
            hw_specs,
            model_specs,
            contexts=ctxs,
            isl=isl,
            osl=osl,
            efficiency=factors,
            profile=profile,
            part_specs=all_hw,
        )
    except SpecError as exc:
        _fail(exc.problems)
    except ValueError as exc:
        _fail(str(exc))
    seconds = time.perf_counter() - t0
    if table.empty:
        _fail("no hardware x model x context could be served; nothing written")
    write_atomic(target, table[CSV_COLUMNS].to_csv(index=False, lineterminator="\n"))
    if not quiet:
        pairs = table.groupby(["hardware", "model", "context_tokens"]).ngroups
        err.print(
            f"wrote {target}: {len(table)} rows, {pairs} hardware x model x context envelopes, "
            f"built in {seconds:.2f} s",
            highlight=False,
        )
        for s in table.attrs.get("skipped", []):
            err.print(
                f"skipped {s['hardware']} x {s['model']} @ {s['context_tokens']}: {s['reason']}",
                highlight=False,
                soft_wrap=True,
            )


@frontiers_app.command("list", short_help="The shipped tables; a table's hardware and models.")
def list_tables(
    table: Annotated[
        str | None,
        typer.Argument(help="A shipped table's name (default: list the shipped tables)."),
    ] = None,
    json_out: PrintJson = False,
) -> None:
    """The shipped frontier tables; with a name, its hardware and models, contexts, speeds."""
    import pandas as pd

    from optimizer.data import shipped_tables

    names = shipped_tables()
    if table is None:
        if json_out:
            sys.stdout.write(json.dumps(names) + "\n")
        else:
            print("shipped frontier tables (name them in an instance: frontiers: NAME):")
            for n in names:
                print(f"  {n}")
        return
    name = table.removesuffix(".csv")
    if name not in names:
        _fail(f"frontiers list: no shipped table named {table!r} (shipped: {', '.join(names)})")
    df = pd.read_csv(FRONTIERS_DIR / f"{name}.csv", comment="#")
    rows: list[dict[str, Any]] = []
    for (hw, model), g in df.groupby(["hardware", "model"], sort=True):
        rows.append(
            {
                "hardware": str(hw),
                "model": str(model),
                "contexts": sorted(int(c) for c in g["context_tokens"].unique()),
                "interactivity_min": float(g["interactivity"].min()),
                "interactivity_max": float(g["interactivity"].max()),
                "rows": len(g),
            }
        )
    if json_out:
        sys.stdout.write(json.dumps({"table": name, "pairs": rows}, indent=2) + "\n")
        return
    print(f"{name}: {df['hardware'].nunique()} hardware, {df['model'].nunique()} models")
    print(f"  hardware: {', '.join(sorted(df['hardware'].astype(str).unique()))}")
    print(f"  models:   {', '.join(sorted(df['model'].astype(str).unique()))}")
    print("  hardware x model: contexts (tokens), speeds (tok/s/user)")
    for r in rows:
        ctx = ", ".join(f"{c:,}" for c in r["contexts"])
        print(
            f"    {r['hardware']} x {r['model']}: {ctx}; "
            f"{r['interactivity_min']:.3g}-{r['interactivity_max']:.3g}"
        )


@frontiers_app.command(short_help="Modelled tok/s per accelerator at one speed.")
def query(
    hardware: Annotated[str, typer.Argument(help="Hardware id, e.g. gb200-nvl72.")],
    model: Annotated[str, typer.Argument(help="Model id, e.g. deepseek-r1.")],
    isl: Annotated[int, typer.Option("--isl", min=1, help="Input tokens per request.")] = 8192,
    osl: Osl = 1024,
    at: Annotated[
        float, typer.Option("--at", min=0.001, help="Interactivity, tok/s each user sees.")
    ] = 50.0,
    json_out: PrintJson = False,
    profile: Annotated[str, typer.Option("--profile", help="tuned or typical.")] = "tuned",
    spec: SpecFiles = None,
) -> None:
    """Modelled tok/s per accelerator for one hardware x model at an interactivity."""
    from optimizer.frontiers.generator import query as run_query
    from optimizer.frontiers.perf.specs import SpecError

    hw_specs, model_specs = _load(spec)
    h = _pick(hw_specs, hardware, "hardware")[0]
    m = _pick(model_specs, model, "models")[0]
    try:
        res = run_query(h, m, isl, osl, at, profile=profile, part_specs=hw_specs)
    except (SpecError, ValueError) as exc:
        _fail(getattr(exc, "problems", None) or str(exc))
    if json_out:
        sys.stdout.write(json.dumps(res, indent=2) + "\n")
        return
    if not res["servable"]:
        fastest = res.get("max_interactivity")
        why = res.get("reason") or f"fastest modelled point is {fastest:.1f} tok/s/user"
        print(f"{hardware} x {model} at {at:g} tok/s/user ({isl}/{osl}): not servable ({why})")
        return
    print(
        f"{hardware} x {model}, {isl}/{osl} tokens, at {at:g} tok/s/user:\n"
        f"  {res['tok_s_per_gpu']:,.0f} tok/s per accelerator (input + output)\n"
        f"  {res['output_tok_s_per_gpu']:,.0f} output tok/s per accelerator\n"
        f"  loaded TTFT {res['ttft_s']:.3f} s; envelope {res['min_interactivity']:.1f}-"
        f"{res['max_interactivity']:.1f} tok/s/user\n"
        f"  technique: {res['technique']}; units per replica: {res['units_per_replica']:g}\n"
        f"  layout: {res['layout']}"
    )


@frontiers_app.command(short_help="Score or refit the model against measurements.")
def calibrate(
    out: Annotated[
        Path | None, _out_or_shipped("Markdown report to write", DEFAULT_CALIBRATION_OUT)
    ] = None,
    overwrite_shipped: Annotated[bool, _overwrite("the shipped calibration.md")] = False,
    fit: Annotated[
        bool,
        typer.Option(
            "--fit", help="Redo the fit (about 5-10 minutes) instead of scoring the defaults."
        ),
    ] = False,
    spec: SpecFiles = None,
    points: Annotated[
        Path | None,
        typer.Option(
            "--points",
            help="Your own points instead of the shipped ones: a calibration-points CSV, or a "
            "frontier CSV with isl and osl (as `frontiers import` writes).",
        ),
    ] = None,
    efficiency_out: Annotated[
        Path | None,
        typer.Option(
            "--efficiency-out",
            help="With --fit: write the refitted factors as JSON (for `build --efficiency`).",
        ),
    ] = None,
    sweeps: Annotated[
        int, typer.Option("--sweeps", min=1, max=20, help="With --fit: coordinate-search passes.")
    ] = 8,
) -> None:
    """Score (or refit) the efficiency factors against published measurements (or your own
    with --points); write the report."""
    import pandas as pd

    from optimizer.frontiers.generator import DEFAULT_EFFICIENCY, GENERATOR_VERSION
    from optimizer.frontiers.perf import calibration as cal
    from optimizer.frontiers.perf.calibration_report import report_markdown
    from optimizer.frontiers.perf.specs import hardware_from_dict, is_pod, model_from_dict

    if efficiency_out is not None and not fit:
        _fail("--efficiency-out: only with --fit (the shipped factors are in generator.py)")
    if points is not None and overwrite_shipped:
        _fail("--points and --overwrite-shipped: the shipped report scores the shipped points")
    target = _target(out, overwrite_shipped, DEFAULT_CALIBRATION_OUT, CALIBRATION_REPORT)
    hw_specs, model_specs = _load(spec)
    plain = [d for d in hw_specs if not is_pod(d)]
    hw = cal.calibration_hardware({d["id"]: hardware_from_dict(d) for d in plain})
    mo = {d["id"]: model_from_dict(d) for d in model_specs}
    if points is not None:
        _calibrate_on(points, hw, mo, fit, sweeps, target, efficiency_out)
        return
    ratios = cal.load_ratios()
    needed_hw = (
        {p.hardware for p in cal.POINTS}
        | set(ratios["numerator"])
        | (set(ratios["denominator"]) - {""})
    )
    needed_mo = {p.model for p in cal.POINTS} | set(ratios["model"])
    missing = sorted(needed_hw - set(hw)) + sorted(needed_mo - set(mo))
    if missing:
        _fail(f"calibration points need ids missing from the specs: {', '.join(missing)}")
    power = {d["id"]: float(d.get("power_kw_per_unit") or 0.0) for d in plain}
    eff = DEFAULT_EFFICIENCY
    note = "Scored with the default factors (no refit)."
    if fit:
        eff, loss = cal.fit(hw, mo, DEFAULT_EFFICIENCY, log=lambda s: err.print(s, highlight=False))
        note = (
            f"Refitted now: objective {loss:.4f} (mean squared ln ratio on the fit points "
            "plus the ordering prior)."
        )
        err.print(f"fitted: {eff.short()}", highlight=False)
    m26 = pd.read_csv(MEASURED_2026) if MEASURED_2026.exists() else None
    text, summ = report_markdown(hw, mo, eff, note, GENERATOR_VERSION, power, m26)
    write_atomic(target, text)
    for name, s in summ.items():
        err.print(
            f"{name}: {int(s['n'])} points, median ratio {s['median_ratio']:.2f}, median abs error "
            f"{100 * (s['median_abs_log_error_factor'] - 1):.0f}%, worst {s['worst_factor']:.2f}x",
            highlight=False,
        )
    err.print(f"wrote {target}", highlight=False)


@frontiers_app.command("import", short_help="Your benchmark results as frontier-table rows.")
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Result files of vllm bench serve (--save-result JSON), sglang.bench_serving "
            "(--output-file JSON lines), GenAI-Perf / AIPerf (profile_export_*.json) or "
            "InferenceX (result rows)."
        ),
    ],
    out: Annotated[Path, out_option("Frontier CSV to write (never over a file).", "-o")],
    hardware: Annotated[
        str | None,
        typer.Option("--hardware", help="Hardware id in your instance (InferenceX: its hw)."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="Model id in your instance (InferenceX: its model)."),
    ] = None,
    gpus: Annotated[
        int | None,
        typer.Option(
            "--gpus",
            help="Accelerators that served each run (the files other than InferenceX's do not "
            "record it).",
        ),
    ] = None,
    context_tokens: Annotated[
        int | None,
        typer.Option(
            "--context-tokens", min=1, help="Context of the rows (default: the mean prompt)."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="auto, vllm, sglang, genai-perf, aiperf, inferencex.")
    ] = "auto",
) -> None:
    """Turn benchmark results into frontier-table rows (one per run, each citing its file)."""
    from optimizer.errors import InputError
    from optimizer.frontiers.importers import Labels, frontier_rows

    if out.exists():
        _fail(
            f"--out {out}: exists; give a new path (an instance's `frontiers:` may list "
            "several CSV files)"
        )
    labels = Labels(hardware=hardware, model=model, gpus=gpus, context_tokens=context_tokens)
    try:
        rows = frontier_rows(files, labels, fmt)
    except InputError as exc:
        _fail(exc.problems)
    write_atomic(out, rows.to_csv(index=False, lineterminator="\n"))
    err.print(
        f"wrote {out}: {len(rows)} rows ({rows['hardware'].nunique()} hardware, "
        f"{rows['model'].nunique()} models); use it as an instance's `frontiers:`, or score the "
        "generator on it with `optimizer frontiers calibrate --points`",
        highlight=False,
        soft_wrap=True,
    )


@frontiers_app.command(short_help="Frontier-scale scenarios drawn from the calibration.")
def draws(
    instance: Annotated[Path, typer.Argument(help="The instance whose hardware the draws scale.")],
    out: Annotated[Path, out_option("Scenario CSV to write (never over a file).", "-o")],
    samples: Annotated[int, typer.Option("--samples", min=1, max=10_000)] = 20,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same draws.")] = 0,
) -> None:
    """Scenarios of per-hardware frontier_scale drawn from the calibration's residuals
    (one draw per hardware family), for `sweep --scenarios` and `stochastic`."""
    from optimizer.errors import InputError
    from optimizer.frontiers.draws import draw_scenarios, family_errors, family_of, residuals
    from optimizer.frontiers.generator import DEFAULT_EFFICIENCY
    from optimizer.frontiers.perf import calibration as cal
    from optimizer.frontiers.perf.specs import hardware_from_dict, is_pod, model_from_dict
    from optimizer.instance.load import load_instance

    if out.exists():
        _fail(f"--out {out}: exists; give a new path")
    try:
        inst = load_instance(instance)
    except InputError as exc:
        _fail(exc.problems)
    hw_specs, model_specs = _load(None)
    hw = cal.calibration_hardware(
        {d["id"]: hardware_from_dict(d) for d in hw_specs if not is_pod(d)}
    )
    mo = {d["id"]: model_from_dict(d) for d in model_specs}
    scored = cal.score(cal.POINTS, hw, mo, DEFAULT_EFFICIENCY)
    ids = [h.id for h in inst.hardware]
    errors = family_errors(residuals(scored), [family_of(h) for h in ids])
    table = draw_scenarios(ids, errors, samples, seed)
    write_atomic(out, table.to_csv(index=False, lineterminator="\n"))
    for e in errors:
        lo, mid, hi = e.quantiles()
        members = ", ".join(h for h in ids if family_of(h) == e.family)
        err.print(
            f"{e.family} ({members}): from {e.source}; scale 10/50/90%: "
            f"{lo:.2f} / {mid:.2f} / {hi:.2f}",
            highlight=False,
            soft_wrap=True,
        )
    err.print(f"wrote {out}: {samples} equally likely scenarios (seed {seed})", highlight=False)


def _calibrate_on(
    points: Path,
    hw: dict[str, Any],
    mo: dict[str, Any],
    fit: bool,
    sweeps: int,
    target: Path,
    efficiency_out: Path | None,
) -> None:
    """``calibrate --points``: the generator against a planner's own measurements."""
    from optimizer.errors import InputError
    from optimizer.frontiers.generator import DEFAULT_EFFICIENCY
    from optimizer.frontiers.perf import calibration as cal
    from optimizer.frontiers.perf.user_points import changed_factors, read_points, report

    try:
        pts = read_points(points, hw, mo)
    except InputError as exc:
        _fail(exc.problems)
    fitted = None
    if fit:
        fitted, _ = cal.fit(
            hw,
            mo,
            DEFAULT_EFFICIENCY,
            points=pts,
            sweeps=sweeps,
            log=lambda s: err.print(s, highlight=False),
        )
    text, summ = report(pts, hw, mo, DEFAULT_EFFICIENCY, fitted, f"Calibration on {points.name}")
    write_atomic(target, text)
    for name, s in summ.items():
        err.print(
            f"{name}: {int(s['n'])} points, median error "
            f"{100 * (s['median_abs_log_error_factor'] - 1):.0f}%, worst {s['worst_factor']:.2f}x",
            highlight=False,
        )
    if fitted is not None and efficiency_out is not None:
        write_atomic(
            efficiency_out, json.dumps(changed_factors(fitted, DEFAULT_EFFICIENCY), indent=2) + "\n"
        )
        err.print(f"wrote {efficiency_out} (use: frontiers build --efficiency)", highlight=False)
    err.print(f"wrote {target}", highlight=False)
