"""Load an instance from a YAML/JSON file, a mapping, or stdin, and report every problem.

All problems found are raised together as one :class:`~optimizer.errors.InputError`,
one line each, naming the key path (``tiers[2].min_interactivity: must be > 0``).
When one stage fails (the schema, the cross-checks), the later ones still run on
what could be read, so the schema's problems, the cross-checks' (duplicate ids...)
and the frontier files' come in one run, not one batch per run.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from optimizer.errors import InputError
from optimizer.instance.schema import Instance

# Pydantic puts the name of the union member it tried into error locations
# ("float", "dict[union[int,str],...]"); they mean nothing to a user.
_TYPE_TAGS = {"float", "int", "str", "bool", "none", "list", "dict"}


def _is_type_tag(part: object) -> bool:
    if not isinstance(part, str):
        return False
    return part in _TYPE_TAGS or "[" in part or part.startswith(("constrained-", "function-"))


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _is_type_tag(part):
            continue
        elif part == "[key]":
            path += " (key)"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def _message(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in ("finite_number",):
        return "must be a finite number (not NaN or inf)"
    msg = str(err.get("msg", "invalid value"))
    msg = msg.replace("Input should be", "must be").replace("Value error, ", "")
    for words, sign in (
        ("greater than or equal to", ">="),
        ("less than or equal to", "<="),
        ("greater than", ">"),
        ("less than", "<"),
    ):
        msg = msg.replace(words, sign)
    got = err.get("input")
    if kind not in ("missing", "extra_forbidden") and not isinstance(got, (dict, list)):
        msg += f" (got {got!r})"
    return msg


def format_validation_error(exc: ValidationError) -> list[str]:
    """Turn pydantic errors into one line per key path, merging union alternatives."""
    by_path: dict[str, list[str]] = {}
    for err in exc.errors():
        path = _key_path(tuple(err["loc"]))
        msg = _message(err)
        by_path.setdefault(path, [])
        if msg not in by_path[path]:
            by_path[path].append(msg)
    # "frontiers" is a path, a list of paths or a list of rows: when rows were given and one
    # of them is wrong, the "must be a valid string" alternatives are noise.
    deep = {p.split(".")[0].split("[")[0] for p in by_path if "." in p}
    by_path = {
        p: [
            m
            for m in msgs
            if not (m.startswith("must be a valid string") and p.split("[")[0] in deep)
        ]
        or msgs
        for p, msgs in by_path.items()
        if not (
            p.split("[")[0] in deep
            and "." not in p
            and all(m.startswith("must be a valid string") for m in msgs)
        )
    }
    lines = []
    for path, msgs in by_path.items():
        # For "a number or a {period: number} mapping", keep the alternative the user meant:
        # a number's range error, not "must be a valid dictionary" (and the reverse).
        if len(msgs) > 1:
            kept = [
                m
                for m in msgs
                if not m.startswith(("must be a valid dictionary", "must be a valid list"))
            ]
            if kept and all(not m.startswith("must be a valid") for m in kept):
                msgs = kept
        if len(msgs) > 1:
            # A union (number or {period: number}; list of paths or of rows): say what fits.
            lines.append(f"{path}: " + " or ".join(msgs))
        else:
            lines.append(f"{path}: {msgs[0]}")
    return lines


# The largest instance file (or stdin) read: far above any real instance (the shipped ones
# are a few KB; 1,000 inline frontier rows are ~100 KB), far below what exhausts memory.
MAX_INSTANCE_BYTES = 16 * 1024 * 1024
# Deepest nesting of mappings/lists accepted: an instance is at most ~5 levels deep.
MAX_DEPTH = 64
_SafeBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster


class _Loader(_SafeBase):  # type: ignore[misc,valid-type]
    """YAML 1.1 reads ``4.0e9`` and ``1e6`` as text; read them as numbers, as YAML 1.2 does."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def _read_capped(name: str) -> bytes:
    """At most MAX_INSTANCE_BYTES of the file (or stdin); more is an error, whatever the
    file is (a device such as /dev/zero, a pipe that never ends, a file still growing)."""
    limit = MAX_INSTANCE_BYTES
    too_big = InputError(
        f"{name}: larger than {limit // (1024 * 1024)} MB; an instance is a few KB "
        "(give large frontier tables as a CSV file)"
    )
    if name == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream (tests, embedding)
            text = sys.stdin.read(limit + 1)
            data = text.encode("utf-8")
        else:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise too_big
        return data
    try:
        with open(name, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise InputError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a folder, not an instance file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if len(data) > limit:
        raise too_big
    return data


def _depth_ok(text: str) -> bool:
    """A cheap upper bound on nesting: brackets and braces (JSON, YAML flow style)."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def _nesting(doc: Any, limit: int = MAX_DEPTH) -> bool:
    """True if ``doc`` nests mappings/lists no deeper than ``limit`` (iterative)."""
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return True


def read_document(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON file (``-`` for stdin) into a mapping, with one-line errors.

    Hostile input ends in one line too: more than MAX_INSTANCE_BYTES, nesting deeper than
    MAX_DEPTH, integers with thousands of digits. No message quotes the file's contents.
    """
    name = str(path)
    data = _read_capped(name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        raise InputError(f"{name}: holds NUL bytes; not a text file")
    if not _depth_ok(text):
        raise InputError(f"{name}: nested deeper than {MAX_DEPTH} levels; not an instance")
    try:
        if name.endswith(".json") or name == "-":
            try:
                doc = json.loads(text)
            except json.JSONDecodeError:
                if name != "-":
                    raise
                doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
        else:
            doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise InputError(f"{name}: not valid YAML ({where}: {problem})") from None
    except RecursionError:
        raise InputError(f"{name}: nested too deeply; not an instance") from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of 5,000 digits
        why = "a number with thousands of digits" if "digits" in str(exc) else type(exc).__name__
        raise InputError(f"{name}: a value cannot be read ({why})") from None
    if not _nesting(doc):
        raise InputError(f"{name}: nested deeper than {MAX_DEPTH} levels; not an instance")
    if not isinstance(doc, dict):
        raise InputError(f"{name}: must hold a mapping of keys (name, site, hardware, ...)")
    return doc


def load_instance(
    source: str | Path | Mapping[str, Any] | Instance,
    base_dir: str | Path | None = None,
    *,
    allow_paths: bool | None = None,
) -> Instance:
    """Validate an instance from a path (YAML/JSON, ``-`` = stdin), a mapping, or an Instance.

    Relative frontier paths are resolved against the instance file's folder, or
    ``base_dir`` for a mapping (default: the current folder).

    ``allow_paths`` False lets ``frontiers`` name only shipped tables by bare name (or
    give rows inline), as the HTTP service does: a document from an untrusted source must
    not make the planner read an arbitrary file. Default: False for stdin, True otherwise.

    Raises
    ------
    InputError
        With every problem found, one line each.
    """
    if isinstance(source, Instance):
        return source
    if isinstance(source, Mapping):
        doc: Mapping[str, Any] = source
        folder = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        doc = read_document(source)
        if allow_paths is None:
            allow_paths = str(source) != "-"
        folder = (
            Path(base_dir)
            if base_dir is not None
            else (Path.cwd() if str(source) == "-" else Path(source).resolve().parent)
        )
    if allow_paths is False:
        from optimizer.frontiers.names import check_frontiers
        from optimizer.frontiers.table import SHIPPED_DIR

        doc = dict(doc)
        refused = check_frontiers(doc, SHIPPED_DIR)
        if refused:
            if isinstance(source, str) and source == "-":
                refused = [
                    r.replace(
                        "file paths are never read",
                        "an instance on stdin may not name files (--allow-paths allows it)",
                    )
                    for r in refused
                ]
            raise InputError(refused)
        folder = SHIPPED_DIR
    return validate_document(doc, folder)


def validate_document(
    doc: Mapping[str, Any], folder: str | Path | None, *, strict: bool | None = None
) -> Instance:
    """The one validation path (loading, :meth:`Instance.with_changes`): every stage's problems.

    The schema, then the cross-checks, then (only when something is already wrong, so
    that a good instance's table is read once, by the planner) the frontier files.
    """
    try:
        instance = Instance.model_validate(dict(doc), strict=strict)
    except ValidationError as exc:
        problems = format_validation_error(exc)
        raise InputError(problems + _later_stages(doc, exc, folder, problems)) from None
    if folder is not None:
        instance._base_dir = str(folder)
    problems = instance.cross_checks()
    if problems:
        raise InputError(problems + _frontier_problems(instance, set()))
    return instance


# Stand-ins for required values the schema refused, so that the later stages can run
# on the rest; problems they cause are not reported (their key paths were).
_STAND_INS: dict[str, Any] = {
    "name": "?",
    "model": "?",
    "power_mw": 0.0,
    "rack_positions": 0.0,
    "gpus_per_unit": 1,
    "power_kw": 0.0,
    "context_tokens": 1,
    "price_usd_per_mtok": 0.0,
    "min_interactivity": 1.0,
}


def _real_loc(loc: tuple[int | str, ...]) -> list[int | str]:
    return [p for p in loc if not _is_type_tag(p) and p != "[key]"]


def _later_stages(
    doc: Mapping[str, Any], exc: ValidationError, folder: str | Path | None, reported: list[str]
) -> list[str]:
    """Cross-check and frontier problems of what the schema accepted (best effort)."""
    work: Any = copy.deepcopy(dict(doc))
    bad_paths: set[str] = set()
    errors = exc.errors()
    for _ in range(4):  # prune what the schema refused, fill required keys, validate again
        for err in errors:
            loc = _real_loc(tuple(err["loc"]))
            if not loc or loc[0] == "periods":
                return []  # cross-checks are about periods: nothing sound to check
            bad_paths.add(_key_path(tuple(loc)))
            node = work
            for part in loc[:-1]:
                try:
                    node = node[part]
                except (KeyError, IndexError, TypeError):
                    node = None
                    break
            last = loc[-1]
            if isinstance(node, dict):
                if err["type"] == "missing" or last in _STAND_INS or last == "id":
                    node[last] = (
                        f"?{len(bad_paths)}" if last == "id" else _STAND_INS.get(str(last), "?")
                    )
                else:
                    node.pop(last, None)
            elif isinstance(node, list) and isinstance(last, int) and last < len(node):
                return []  # a whole list item is unreadable: stop here
        try:
            instance = Instance.model_validate(work, strict=False)
            break
        except ValidationError as again:
            errors = again.errors()
    else:
        return []
    if folder is not None:
        instance._base_dir = str(folder)

    def fresh(lines: list[str]) -> list[str]:
        return [
            line
            for line in lines
            if line not in reported
            and not any(line.startswith((f"{p}:", f"{p}.", f"{p}[")) for p in bad_paths)
        ]

    problems = fresh(instance.cross_checks())
    return problems + fresh(_frontier_problems(instance, bad_paths))


def _frontier_problems(instance: Instance, bad_paths: set[str]) -> list[str]:
    """The frontier files' problems, read only to report them with the other stages'."""
    if any(p == "frontiers" or p.startswith(("frontiers.", "frontiers[")) for p in bad_paths):
        return []
    from optimizer.frontiers.table import read_frontier_table

    try:
        read_frontier_table(instance)
    except InputError as exc:
        return exc.problems
    except Exception:  # best effort: the problems already found are what matters
        return []
    return []
