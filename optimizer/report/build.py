"""From a PATH to a :class:`~optimizer.report.model.Report`, whatever PATH is.

* an instance (YAML, or JSON in the instance format of docs/format.md): solved, with baselines;
* a results folder (``plan.json`` and the CSVs ``optimizer solve`` writes, plus
  ``compare.csv`` and PNG charts when present): reported as it is, nothing re-solved;
* a sweep table (``sweep.parquet`` / ``sweep.csv``, or a folder holding one);
* a two-stage result (``stochastic.json``, or a folder holding one).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.errors import InputError
from optimizer.report.model import Report
from optimizer.result_schema import PLAN_TABLES
from optimizer.results.plan import Plan
from optimizer.results.write import (
    MANIFEST,
    PLAN_FILES,
    RUN_FILE,
    check_result_folder,
    read_csv_cells,
)

SWEEP_NAMES = ("sweep/sweep.parquet", "sweep.parquet", "sweep/sweep.csv", "sweep.csv")


def kind_of(path: Path) -> tuple[str, Path]:
    """("instance" | "results" | "sweep" | "two-stage", the file or folder to read)."""
    if path.is_dir():
        if (path / "plan.json").is_file():
            return "results", path
        for name in SWEEP_NAMES:
            if (path / name).is_file():
                return "sweep", path / name
        if (path / "stochastic.json").is_file():
            return "two-stage", path / "stochastic.json"
        raise InputError(
            f"{path}: no plan.json, sweep table or stochastic.json in this folder: nothing to report"
        )
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".csv"):
        return "sweep", path
    if suffix in (".yaml", ".yml"):
        return "instance", path
    if suffix == ".json":
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: not valid JSON ({exc})") from None
        from optimizer.report.twostage_report import is_two_stage

        if is_two_stage(doc):
            return "two-stage", path
        if isinstance(doc, dict) and "site" not in doc and ("status" in doc or "buy" in doc):
            # plan.json of a results folder: the folder (its CSVs keep every column; one
            # without its manifest is refused); any other result JSON alone
            near = (MANIFEST, *PLAN_FILES[1:])
            folder = path.name == "plan.json" and any((path.parent / n).exists() for n in near)
            return "results", path.parent if folder else path
        return "instance", path
    raise InputError(
        f"{path}: expected an instance (.yaml/.json), a results folder, a sweep table "
        "(.parquet/.csv) or a two-stage result (.json)"
    )


def build_report(
    path: str | Path,
    *,
    baselines: bool = True,
    instance_path: str | Path | None = None,
    time_limit: float | None = None,
) -> Report:
    """The report of ``path``; raises :class:`InputError` for anything it cannot read."""
    p = Path(path)
    kind, target = kind_of(p)
    if kind == "instance":
        return instance_report(target, baselines=baselines, time_limit=time_limit)
    if kind == "results":
        return results_report(target, instance_path=instance_path)
    if kind == "sweep":
        from optimizer.report.sweep_report import sweep_report
        from optimizer.sweep.record import read_sweep_table

        table = read_sweep_table(target)
        name = _swept_instance_name(target.parent) or (
            target.parent.parent.name if target.parent.name == "sweep" else target.parent.name
        )
        return sweep_report(table, source=str(target), title=f"Sweep of {name}")
    from optimizer.report.twostage_report import read_two_stage, two_stage_report

    return two_stage_report(read_two_stage(target), source=str(target))


def instance_report(
    path: Path, *, baselines: bool = True, time_limit: float | None = None
) -> Report:
    from optimizer.instance.load import load_instance
    from optimizer.planning.planner import Planner
    from optimizer.report.plan_report import plan_report
    from optimizer.solver.options import SolveOptions

    inst = load_instance(path)
    planner = Planner(inst, SolveOptions(time_limit=time_limit))
    plan = planner.solve()
    comparison = None
    if baselines and plan.has_solution:
        from optimizer.analysis.compare import compare

        comparison = compare(inst, time_limit=time_limit)
    return plan_report(
        plan,
        inst,
        source=path.name,
        table=planner.table,
        baselines=comparison,
        instance_path=path,
    )


def _read_csv(path: Path) -> pd.DataFrame | None:
    try:
        return read_csv_cells(pd.read_csv(path)) if path.is_file() else None
    except Exception:  # a damaged extra file is left out, not fatal
        return None


def find_instance(name: str, folder: Path) -> Path | None:
    """``instances/<name>.yaml`` next to the results tree, or under the working folder."""
    for base in (folder.parent.parent, folder.parent, Path.cwd()):
        for ext in (".yaml", ".yml", ".json"):
            cand = base / "instances" / f"{name}{ext}"
            if cand.is_file():
                return cand
    return None


def recorded_instance(folder: Path, name: str) -> Path | None:
    """The instance file ``optimizer solve`` recorded in ``run.json`` (``instance_file``),
    if it still exists and still holds the instance of that name."""
    try:
        run = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
        recorded = run.get("instance_file")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(recorded, str) or not recorded:
        return None
    path = Path(recorded)
    if not path.is_absolute():
        path = folder / path
    try:
        if not path.is_file():
            return None
        from optimizer.instance.load import read_document

        return path if read_document(path).get("name") == name else None
    except (InputError, OSError):
        return None


def _read_result(path: Path) -> dict[str, Any]:
    """The result JSON of a results folder (its plan.json) or of a file."""
    file = path / "plan.json" if path.is_dir() else path
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{file}: cannot read ({exc})") from None
    if not isinstance(doc, dict) or "status" not in doc:
        raise InputError(f"{file}: not a plan (no 'status')")
    return doc


def plan_from_folder(path: Path, instance: Any = None) -> Plan:
    """A :class:`Plan` rebuilt (no solve) from a results folder ``optimizer solve`` wrote,
    its CSVs giving the tables' every column, or from a result JSON file alone
    (:meth:`Plan.from_dict`). With ``instance``, the installed units' power and floor space
    (not in the JSON) are worked out; without it they are unknown (NaN, shown empty)."""
    doc = _read_result(path)
    tables = {}
    for t in PLAN_TABLES.values() if path.is_dir() else ():
        df = _read_csv(path / t.csv) if t.csv else None
        if df is not None:
            tables[t.name] = df
    name = path.name if path.is_dir() else path.stem
    try:
        plan = Plan.from_dict({**doc, "instance": doc.get("instance") or name}, tables)
    except InputError as exc:
        raise InputError([f"{path}: {p}" for p in exc.problems]) from None
    return plan if instance is None else replace(plan, installed=_installed(plan, instance))


def _installed(plan: Plan, instance: Any) -> pd.DataFrame:
    """``plan.installed`` with its power and floor space from the instance (NaN for a
    hardware id it does not list)."""
    hw = {h.id: h for h in instance.hardware}
    nan = float("nan")
    units = zip(plan.installed["hardware"], plan.installed["units"], strict=True)
    it_mw, racks = [], []
    for h, u in units:
        it_mw.append(u * hw[h].power_kw / 1000 if h in hw else nan)
        racks.append(u * hw[h].rack_positions if h in hw else nan)
    out = plan.installed.assign(it_mw=it_mw, rack_positions=racks)
    return out.assign(facility_mw=out["it_mw"] * instance.site.pue)


def results_report(folder: Path, *, instance_path: str | Path | None = None) -> Report:
    """The report of a results folder, or of a result JSON file (``folder`` a file)."""
    from optimizer.analysis.compare import Comparison
    from optimizer.instance.load import load_instance
    from optimizer.report.plan_report import plan_report

    # The writer's contract (optimizer.results.write): a folder without its manifest, or
    # whose files differ from it, is an interrupted write or a mix of two runs: refused.
    # A result JSON file alone (optimizer solve --json > FILE) is reported as it is.
    problems = check_result_folder(folder) if folder.is_dir() else []
    if problems:
        raise InputError(
            [*problems, f"{folder}: run optimizer solve again to write a whole plan folder"]
        )
    name = _read_result(folder).get("instance")
    ipath = Path(instance_path) if instance_path else None
    if ipath is None and name:
        recorded = recorded_instance(folder, str(name)) if folder.is_dir() else None
        ipath = recorded or find_instance(str(name), folder)
    inst = load_instance(ipath) if ipath is not None else None
    if inst is not None and name and inst.name != name:
        raise InputError(f"{ipath}: instance {inst.name!r} is not the one of {folder} ({name!r})")
    plan = plan_from_folder(folder, inst)
    comp = None
    table = _read_csv(folder / "compare.csv")
    if table is not None and "plan" in table:
        by_tier = _read_csv(folder / "compare_by_tier.csv")
        comp = Comparison(
            table=table, by_tier=by_tier if by_tier is not None else pd.DataFrame(), plans={}
        )
    here = folder if folder.is_dir() else None  # a JSON file alone has no charts beside it
    pngs = {f.stem: f.read_bytes() for f in sorted(here.glob("*.png"))} if here else {}
    return plan_report(
        plan,
        inst,
        source=str(folder),
        baselines=comp,
        instance_path=ipath,
        extra_pngs=pngs,
        extra_sections=folder_extras(here, plan.objective_kind) if here else [],
    )


def folder_extras(folder: Path, objective: str) -> list[Any]:
    """Sections for what else ``optimizer`` wrote into a results folder: a sensitivity
    table (``sensitivity/``) and a sweep (``sweep/``)."""
    from optimizer.report.sections import sensitivity_section
    from optimizer.report.sweep_report import sweep_report

    out: list[Any] = []
    sens = folder / "sensitivity" / "sensitivity.parquet"
    if sens.is_file():
        try:
            out.append(sensitivity_section(pd.read_parquet(sens), objective))
        except (OSError, ValueError, KeyError):
            pass  # a damaged extra is left out
    for name in ("sweep/sweep.parquet", "sweep/sweep.csv"):
        if (folder / name).is_file():
            from optimizer.sweep.record import read_sweep_table

            try:
                rep = sweep_report(read_sweep_table(folder / name), source=name)
            except (InputError, ValueError):
                break
            for sec in rep.sections:
                if sec.id == "scenarios":
                    continue  # every row: in the sweep's own report
                sec.id = f"sweep-{sec.id}"
                sec.title = f"Sweep: {sec.title[0].lower()}{sec.title[1:]}"
                for t in sec.tables:
                    t.key = f"sweep_{t.key}"
                for c in sec.charts:
                    c.key = f"sweep-{c.key}"
                out.append(sec)
            break
    return out


def _swept_instance_name(folder: Path) -> str | None:
    """The swept instance's own name, from the sweep.meta.json beside the table (a sweep
    written with --out was titled by its folder's name); None when it cannot be read."""
    import json

    import yaml

    try:
        meta = json.loads((folder / "sweep.meta.json").read_text(encoding="utf-8"))
        inst = Path(str(meta["instance"]))
        if not inst.is_absolute():
            inst = Path.cwd() / inst
        if inst.stat().st_size > 16 * 2**20:
            return None
        doc = yaml.safe_load(inst.read_text(encoding="utf-8"))
        name = doc.get("name") if isinstance(doc, dict) else None
        return str(name) if isinstance(name, str) and name else None
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError):
        return None
