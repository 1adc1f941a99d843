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
from optimizer.input_files import read_capped
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


# The most values (mappings, lists, scalars) a document may hold once its YAML aliases are
# expanded, when it uses aliases: nine lines of ``b: &b [*a, *a, ...]`` (350 bytes) expand
# to ~400 million values that the checks would walk for hours. A real instance holds a few
# thousand; a document without aliases is bounded by MAX_INSTANCE_BYTES instead.
MAX_EXPANDED_VALUES = 1_000_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(_SafeBase):  # type: ignore[misc,valid-type]
    """YAML 1.1 reads ``4.0e9`` and ``1e6`` as text; read them as numbers, as YAML 1.2 does.

    A key given twice in one mapping is recorded (``duplicates``), not silently replaced by
    its last value; ``<<`` merge keys may still be overridden, as YAML intends.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, int, object]] = []  # (line, first line, key)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key_node, _value in node.value:
                if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: the constructor reports it
                    continue
                line = key_node.start_mark.line + 1
                if first is None:
                    seen[key] = line
                else:
                    self.duplicates.append((line, first, key))
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def _load_yaml(text: str, name: str) -> Any:
    loader = _Loader(text)
    try:
        doc = loader.get_single_data()
    finally:
        loader.dispose()
    if loader.duplicates:
        raise InputError(
            f"{name} line {line}: key {str(key)[:60]!r} given twice in one mapping "
            f"(first on line {first}); remove one"
            for line, first, key in loader.duplicates
        )
    return doc


def _load_json(text: str, name: str) -> Any:
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                duplicates.append(key)
            out[key] = value
        return out

    doc = json.loads(text, object_pairs_hook=pairs)
    if duplicates:
        raise InputError(
            f"{name}: key {key[:60]!r} given twice in one object; remove one" for key in duplicates
        )
    return doc


def _read_capped(name: str) -> bytes:
    """At most MAX_INSTANCE_BYTES of the file (or stdin); more is an error, whatever the
    file is (a device such as /dev/zero, a pipe that never ends, a file still growing; a
    FIFO nobody writes to is refused at once: :func:`optimizer.input_files.read_capped`)."""
    limit = MAX_INSTANCE_BYTES
    hint = "an instance is a few KB (give large frontier tables as a CSV file)"
    if name == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream (tests, embedding)
            text = sys.stdin.read(limit + 1)
            data = text.encode("utf-8")
        else:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise InputError(f"{name}: larger than {limit // (1024 * 1024)} MB; {hint}")
        return data
    return read_capped(name, limit, "an instance file", too_big=hint)


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


def _shape(doc: Any) -> tuple[int, int, bool] | None:
    """(depth, values once aliases are expanded, whether any list/mapping is shared), or
    None if a list/mapping contains itself (``a: &a [*a]``).

    Shared parts (YAML aliases) are walked once: the work is bounded by the file's size,
    not by the expanded tree's. Iterative, so deep nesting cannot exhaust the stack; stops
    as soon as the depth passes MAX_DEPTH.
    """
    done: dict[int, tuple[int, int]] = {}
    open_: set[int] = set()
    shared = False
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:
        node, finished = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        key = id(node)
        items = node.values() if isinstance(node, dict) else node
        if finished:
            depth, count = 1, 1
            for child in items:
                d, n = done.get(id(child), (0, 1)) if isinstance(child, (dict, list)) else (0, 1)
                depth = max(depth, d + 1)
                count += n
            done[key] = (depth, count)
            open_.discard(key)
            if depth > MAX_DEPTH:
                return depth, count, shared
            continue
        if key in done:
            shared = True
            continue
        if key in open_:
            return None
        if len(open_) >= MAX_DEPTH:
            return len(open_) + 1, len(done), shared
        open_.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in items if isinstance(child, (dict, list)))
    depth, count = done.get(id(doc), (0, 1))
    return depth, count, shared


def read_document(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON file (``-`` for stdin) into a mapping, with one-line errors.

    Hostile input ends in one line too: more than MAX_INSTANCE_BYTES, nesting deeper than
    MAX_DEPTH, YAML aliases expanding to more than MAX_EXPANDED_VALUES values, integers with
    thousands of digits; a key given twice is an error. No message quotes the file's
    contents (a duplicated key is quoted, cut to 60 characters).
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
                doc = _load_json(text, name)
            except json.JSONDecodeError:
                if name != "-":
                    raise
                doc = _load_yaml(text, name)
        else:
            doc = _load_yaml(text, name)
    except InputError:
        raise
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
    shape = _shape(doc)
    if shape is None:
        raise InputError(
            f"{name}: a YAML alias refers to a mapping or list holding it; not an instance"
        )
    if shape[0] > MAX_DEPTH:
        raise InputError(f"{name}: nested deeper than {MAX_DEPTH} levels; not an instance")
    if shape[2] and shape[1] > MAX_EXPANDED_VALUES:
        raise InputError(
            f"{name}: its YAML aliases expand to more than {MAX_EXPANDED_VALUES:,} values; "
            "not an instance"
        )
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
