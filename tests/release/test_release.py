"""What a user of the released package meets first: start-up, help, init, schema, wheel.

Start-up cost is measured in benchmarks/startup.py; here only what can fail: which
modules the help path imports, the help texts, the files written.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from conftest import REPO

PY = sys.executable


def _run(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-c", code], capture_output=True, text=True, timeout=120, cwd=cwd or REPO
    )


# The command line run in-process, reporting its exit status and the heavy modules loaded.
_PROBE = """
import sys
from optimizer.cli.main import main
sys.argv = ["optimizer", *{args!r}]
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in ("pyomo", "pandas", "highspy", "matplotlib") if m in sys.modules)
print("PROBE", code, ",".join(heavy))
"""


def _probe(*args: str, cwd: Path | None = None) -> tuple[int, list[str], str]:
    res = _run(_PROBE.format(args=list(args)), cwd)
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("PROBE")][-1].split(" ")
    return int(line[1]), [m for m in line[2].split(",") if m], res.stderr


def test_help_and_bad_input_do_not_import_pyomo(tmp_path: Path) -> None:
    code, heavy, _ = _probe("--help")
    assert code == 0 and heavy == []
    code, heavy, _ = _probe("solve", "--help")
    assert code == 0 and heavy == []
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsite: {power_mw: -1, rack_positions: 1}\nhardware: []\n")
    code, heavy, err = _probe("solve", str(bad))
    assert code == 2 and heavy == []  # a schema error needs neither pandas nor Pyomo
    assert "site.power_mw" in err and "Traceback" not in err
    code, heavy, _ = _probe("solve", str(tmp_path / "missing.yaml"))
    assert code == 2 and "pyomo" not in heavy
    no_table = tmp_path / "no-table.yaml"
    doc = yaml.safe_load((REPO / "instances" / "toy.yaml").read_text())
    doc["frontiers"] = "no-such-table.csv"
    no_table.write_text(yaml.safe_dump(doc))
    code, heavy, err = _probe("solve", str(no_table))
    assert code == 2 and "pyomo" not in heavy and "no-such-table.csv" in err
    # import optimizer alone loads nothing heavy either; names come on first use.
    res = _run(
        "import sys, optimizer; print(sorted(m for m in ('pyomo', 'pandas') "
        "if m in sys.modules)); print(optimizer.solve.__module__)"
    )
    assert res.stdout.splitlines() == ["[]", "optimizer.planning.planner"]


def test_version() -> None:
    import optimizer

    res = subprocess.run([PY, "-m", "optimizer", "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == f"optimizer {optimizer.__version__}"


def test_help_keeps_defaults() -> None:
    res = subprocess.run(
        [PY, "-m", "optimizer", "solve", "--help"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": ""},
    )
    text = " ".join(res.stdout.split())  # help is wrapped to the terminal
    assert "[default: results/<name>/]" in text
    assert "[default: HiGHS's 1e-4]" in text
    res = subprocess.run(
        [PY, "-m", "optimizer", "frontiers", "build", "--help"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": ""},
    )
    assert "[default: results/frontiers/reference-2026.csv]" in " ".join(res.stdout.split())


def test_tables_in_a_pipe_are_not_cut_at_80_columns() -> None:
    res = subprocess.run(
        [
            PY,
            "-m",
            "optimizer",
            "solve",
            str(REPO / "instances" / "site-2026-2030.yaml"),
            "--no-write",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in __import__("os").environ.items() if k != "COLUMNS"},
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    # The tier table's header holds every column on one line, wider than 80 characters.
    header = next(ln for ln in lines if "Mtok sold" in ln)
    assert "share of IT power" in header and len(header) > 80
    assert max(len(ln) for ln in lines) > 80


def test_init_writes_starters_that_solve_and_never_overwrites(tmp_path: Path) -> None:
    from optimizer import load_instance, solve

    toy = tmp_path / "toy.yaml"
    res = subprocess.run(
        [PY, "-m", "optimizer", "init", str(toy), "--from", "toy"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    # The contract's toy, hand-derived in its header: 363,294,720 USD.
    assert solve(toy).objective_usd == pytest.approx(363_294_720, rel=1e-9)
    before = toy.read_text()
    res = subprocess.run(
        [PY, "-m", "optimizer", "init", str(toy)], capture_output=True, text=True, cwd=tmp_path
    )
    assert res.returncode == 2 and "already exists" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and toy.read_text() == before

    # The default starter names the shipped table by bare name: it loads from any folder.
    res = subprocess.run(
        [PY, "-m", "optimizer", "init"], capture_output=True, text=True, cwd=tmp_path
    )
    assert res.returncode == 0, res.stderr
    ref = load_instance(tmp_path / "instance.yaml")
    assert ref.frontiers == "reference-2026"
    plan = solve(ref)
    assert plan.status == "optimal"
    # Every key of the starter is a key of the format (the schema rejects unknown keys).
    assert {"site", "hardware", "tiers", "frontiers"} <= set(
        yaml.safe_load((tmp_path / "instance.yaml").read_text())
    )


def test_shipped_json_schema_is_current_and_validates_instances() -> None:
    from optimizer.instance.json_schema import instance_json_schema_text

    shipped = (REPO / "docs" / "instance.schema.json").read_text()
    assert shipped == instance_json_schema_text(), (
        "docs/instance.schema.json is stale: optimizer schema > docs/instance.schema.json"
    )
    res = subprocess.run([PY, "-m", "optimizer", "schema"], capture_output=True, text=True)
    assert res.stdout == shipped
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(shipped)
    for name in ("toy.yaml", "site-2026-2030.yaml", "gtc2026-1gw.yaml", "least-cost-forecast.yaml"):
        jsonschema.validate(yaml.safe_load((REPO / "instances" / name).read_text()), schema)
    bad = yaml.safe_load((REPO / "instances" / "toy.yaml").read_text())
    bad["site"]["power_mw"] = -1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_missing_extra_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from optimizer.extras import MissingExtra, require

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingExtra, match=r"optimizer\[parquet\]"):
        require("pyarrow", "parquet", "writing sweep.parquet")
    code = (
        "import sys\n"
        "class Hide:  # matplotlib as if not installed\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'matplotlib':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "from optimizer.cli.main import main\n"
        f"sys.argv = ['optimizer', 'plot', 'plan', {str(REPO / 'instances' / 'toy.yaml')!r},"
        f" '--out', {str(tmp_path / 'p.png')!r}]\n"
        "main()\n"
    )
    res = _run(code)
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "matplotlib" in lines[0] and "pip install 'optimizer[plot]'" in lines[0]
    assert not (tmp_path / "p.png").exists()


def _venv_with_wheel(env_dir: Path, wheel: Path) -> tuple[Path, dict[str, str]]:
    """A fresh venv holding ``wheel``, whose other imports fall back on this interpreter's.

    The wheel is installed first (so pip does not see this interpreter's ``optimizer`` and
    skip it); then this interpreter's site-packages folders are listed in a ``.pth`` file of
    the venv. They are plain paths, so their own ``.pth`` files (an editable install of this
    project) are not processed. This works whether the tests run in the base interpreter or
    in a user's venv: ``system_site_packages`` would see the base interpreter's packages,
    not the venv's. Returns the venv's python and an environment without PYTHONPATH.
    """
    import os
    import sysconfig

    venv.EnvBuilder(system_site_packages=False, with_pip=False).create(env_dir)
    vpy = env_dir / "bin" / "python"
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    res = subprocess.run(
        [PY, "-m", "pip", "--python", str(vpy), "install", "--no-deps", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env,
    )
    assert res.returncode == 0, res.stderr
    site_dir = subprocess.run(
        [vpy, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        env=clean_env,
    ).stdout.strip()
    assert site_dir, "the new venv has no site-packages"
    ours = dict.fromkeys(
        [sysconfig.get_paths()[k] for k in ("purelib", "platlib")]
        + [p for p in sys.path if p.rstrip("/").endswith(("site-packages", "dist-packages"))]
    )
    (Path(site_dir) / "_test_dependencies.pth").write_text("\n".join(ours) + "\n")
    return vpy, clean_env


def test_wheel_installs_and_runs_from_any_folder(tmp_path: Path) -> None:
    """pip install of the built wheel (not editable): shipped tables found by bare name."""
    dist = tmp_path / "dist"
    res = subprocess.run(
        [
            PY,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    wheel = next(dist.glob("optimizer-*.whl"))
    env_dir = tmp_path / "venv"
    # Dependencies come from the interpreter running the tests (which may itself be a venv:
    # system_site_packages would see the base interpreter's packages, not the user's venv's),
    # the package from the wheel.
    vpy, clean_env = _venv_with_wheel(env_dir, wheel)
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [vpy, "-c", "import optimizer; print(optimizer.__file__)"],
        capture_output=True,
        text=True,
        cwd=work,
        env=clean_env,
    )
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(env_dir)), f"imported {where.stdout}, not the wheel's"
    doc = yaml.safe_load((REPO / "instances" / "gtc2026-1gw.yaml").read_text())
    assert doc["frontiers"] == "reference-2026"  # a bare name: the wheel's shipped table
    (work / "reference.yaml").write_text(yaml.safe_dump(doc))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        """The installed command, in the folder away from the checkout, clean environment."""
        cmd = [str(env_dir / "bin" / "optimizer"), *args]
        return subprocess.run(
            cmd, capture_output=True, text=True, cwd=work, env=clean_env, timeout=300
        )

    res = run("solve", "reference.yaml", "--json", "--no-write")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["status"] == "optimal"
    res = run("frontiers", "query", "gb200-nvl72", "deepseek-r1", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["tok_s_per_gpu"] > 0
    res = run("init", "--from", "toy")
    assert res.returncode == 0 and (work / "instance.yaml").is_file()
    assert not list(work.glob("results"))  # --no-write: nothing but what was asked


def test_user_documents_link_only_inside_the_repository() -> None:
    import re

    docs = [
        REPO / "README.md",
        REPO / "results" / "README.md",
        *sorted((REPO / "docs").glob("*.md")),
    ]
    for doc in docs:
        text = doc.read_text()
        assert "../shared" not in text and "MODEL.md" not in text, doc
        assert "shared/reference" not in text, doc
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"[a-z]+://", target):
                continue  # a web page, not a file
            path = (doc.parent / target).resolve()
            assert path.is_relative_to(REPO) and path.exists(), f"{doc.name}: {target}"


def test_solve_needs_neither_charts_nor_parquet() -> None:
    """The library path runs with matplotlib and pyarrow hidden (extras not installed)."""
    code = (
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('matplotlib', 'pyarrow'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "from optimizer import solve\n"
        f"plan = solve({str(REPO / 'instances' / 'toy.yaml')!r})\n"
        "print(round(plan.objective_usd))\n"
        "print(sorted(m for m in ('matplotlib', 'pyarrow') if m in sys.modules))\n"
    )
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["363294720", "[]"]


def test_format_page_documents_every_key() -> None:
    """Every key the schema accepts, and every frontier column, is named in docs/format.md."""
    from optimizer.frontiers.table import COLUMNS
    from optimizer.instance.json_schema import instance_json_schema

    text = (REPO / "docs" / "format.md").read_text()
    schema = instance_json_schema()
    keys = set(schema["properties"])
    for definition in schema.get("$defs", {}).values():
        keys |= set(definition.get("properties", {}))
    keys |= set(COLUMNS)
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert not missing, f"docs/format.md does not document: {missing}"
    assert len(keys) >= 36  # the v1 format alone has 36 distinct key and column names


def test_frontiers_build_writes_a_results_folder_not_the_shipped_table(tmp_path: Path) -> None:
    from optimizer.data import FRONTIERS_DIR

    shipped = FRONTIERS_DIR / "reference-2026.csv"
    before = shipped.read_bytes()
    args = ["frontiers", "build", "--hardware", "groq3-lpx", "--models", "gpt-oss-120b", "-q"]
    res = subprocess.run(
        [PY, "-m", "optimizer", *args], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert res.returncode == 0, res.stderr
    written = tmp_path / "results" / "frontiers" / "reference-2026.csv"
    assert written.read_text().startswith("hardware,model,context_tokens,interactivity")
    assert shipped.read_bytes() == before
    res = subprocess.run(
        [PY, "-m", "optimizer", *args, "--out", "x.csv", "--overwrite-shipped"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert res.returncode == 2 and "give one of them" in res.stderr
    assert shipped.read_bytes() == before


def _cli_without(
    modules: tuple[str, ...], args: list[str], cwd: Path
) -> subprocess.CompletedProcess:
    """The command line with ``modules`` as if not installed."""
    code = (
        "import sys\n"
        f"HIDDEN = {modules!r}\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in HIDDEN:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "sys.modules.update(dict.fromkeys(HIDDEN))  # blocked, as an uninstalled package\n"
        "from optimizer.cli.main import main\n"
        f"sys.argv = ['optimizer', *{args!r}]\n"
        "main()\n"
    )
    return subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_missing_extras_name_the_extra_and_keep_what_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21 item 5: stochastic without mpi-sppy, report's extra, sweep --quiet's exit."""
    toy = str(REPO / "instances" / "toy.yaml")
    # stochastic without mpi-sppy: one line naming [stochastic], no traceback, nothing solved
    res = _cli_without(
        ("mpisppy",), ["stochastic", toy, "--set", "site.power_mw=10,12", "--no-write"], tmp_path
    )
    assert res.returncode == 1, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'optimizer[stochastic]'" in lines[0], res.stderr
    # the library: the same line as an exception, before anything is loaded or solved
    from optimizer.extras import MissingExtra
    from optimizer.stochastic import solve as solve_two_stage

    monkeypatch.setitem(sys.modules, "mpisppy", None)
    with pytest.raises(MissingExtra, match=r"optimizer\[stochastic\]"):
        solve_two_stage(toy, [{"scenario": "a", "site.power_mw": 10}])
    # report without plotly: the extra's name survives the terminal's markup
    res = _cli_without(("plotly",), ["report", str(REPO / "results" / "toy")], tmp_path)
    assert "optimizer report needs plotly: pip install 'optimizer[report]'" in res.stderr
    assert res.returncode != 0 and "Traceback" not in res.stderr
    # sweep --quiet without pyarrow: sweep.csv is complete, so exit 0 (it was 1)
    res = _cli_without(
        ("pyarrow",),
        ["sweep", toy, "--set", "site.power_mw=10,12", "--quiet", "--out", "sw", "--workers", "1"],
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "sw" / "sweep.csv").is_file()
    assert not (tmp_path / "sw" / "sweep.parquet").exists()


def test_frontiers_list_names_the_hardware_and_models_of_a_shipped_table() -> None:
    """Issue 21 item 9: no command listed what a shipped table holds."""
    res = _run(
        "import sys\nfrom optimizer.cli.main import main\n"
        "sys.argv = ['optimizer', 'frontiers', 'list', 'reference-2026', '--json']\nmain()\n"
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    pairs = {(p["hardware"], p["model"]): p for p in doc["pairs"]}
    gb200 = pairs[("gb200-nvl72", "gpt-moe-1.8t")]
    assert 400000 in gb200["contexts"] and gb200["interactivity_max"] > 60
    assert ("vr-nvl144", "kimi-k2.5") in pairs
    bad = _probe("frontiers", "list", "no-such-table")
    assert bad[0] == 2


@pytest.mark.parametrize("group", [[], ["plot"], ["frontiers"]])
def test_help_summaries_are_whole_sentences_at_80_columns(group: list[str]) -> None:
    """Issue 21 item 10: summaries were cut mid-sentence ("one row per scenario in...")."""
    import os

    res = subprocess.run(
        [PY, "-m", "optimizer", *group, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert res.returncode == 0, res.stderr
    commands = res.stdout.split("Commands:")[1].strip().splitlines()
    assert len(commands) >= 4
    for line in commands:
        assert line.rstrip().endswith(".") and not line.rstrip().endswith(("...", "vs.")), line


def test_shipped_data_cites_public_sources_not_the_team_folder() -> None:
    """Instances and specs cite public sources (or instances/REFERENCES.md), never the
    team's own reference folder, which a user of the repository does not have."""
    files = [
        *sorted((REPO / "instances").glob("*.yaml")),
        *sorted((REPO / "instances").glob("*.md")),
        *sorted((REPO / "optimizer" / "data" / "specs").glob("*.yaml")),
    ]
    assert files
    for f in files:
        assert "shared/reference" not in f.read_text(), f.name
