"""The layer rules of docs/architecture.md, checked on every import of the package.

instance -> frontiers -> model -> solver -> verify -> results -> planning -> analysis / sweep /
stochastic -> report / plots -> service / cli: a module imports only from its own layer and the layers
before it (and from optimizer.fmt, optimizer.errors, optimizer.extras, optimizer.data, beside
the stack). The known exceptions are listed with their reason; a new one fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "optimizer"
LAYERS = [
    "instance",
    "frontiers",
    "model",
    "solver",
    "verify",
    "results",
    "planning",
    "analysis|sweep|stochastic",
    "report|plots",
    "service|cli",
]
RANK = {name: i for i, group in enumerate(LAYERS) for name in group.split("|")}
# (importing file, imported module prefix): why the rule bends there.
EXCEPTIONS = {
    # an instance names frontier tables: loading it checks and resolves them
    ("instance/load.py", "optimizer.frontiers"),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return [(n, m) for n, m in out if m.startswith("optimizer.")]


def test_layers_import_only_downwards() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        layer = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        if layer not in RANK:
            continue  # fmt, errors, extras, data, __init__: beside the stack
        for line, module in _imports(path):
            target = module.split(".")[1]
            if target in RANK and RANK[target] > RANK[layer]:
                if any(rel.as_posix() == f and module.startswith(m) for f, m in EXCEPTIONS):
                    continue
                problems.append(f"optimizer/{rel}:{line}: {layer} imports {module}")
    assert problems == [], "\n".join(problems)


def test_the_formatter_imports_nothing_of_the_package() -> None:
    """optimizer.fmt is usable from every layer because it depends on none."""
    assert _imports(PACKAGE / "fmt.py") == []
