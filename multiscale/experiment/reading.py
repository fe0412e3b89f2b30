"""TOML reading: where each key is (line numbers), and raw tables -> schema dataclasses.

:func:`key_lines` maps every dotted key of the text to its line; :class:`Ctx` collects
the problems with their file and line; :func:`build_table` converts a raw TOML table
into a schema dataclass, checking kinds, units and bounds, and reporting unknown keys
with the likely fix.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from common.errors import did_you_mean

from ..msn import MODE_ALIASES as _MODE_ALIASES
from .problems import Problem
from .schema import Experiment

__all__ = ["Ctx", "build_table", "key_lines", "show", "type_name"]


# ----------------------------------------------------------------------------- TOML lines


def _strip_strings(line: str, state: dict) -> str:
    """The line with string contents and comments removed (multi-line strings tracked)."""
    out = []
    i = 0
    while i < len(line):
        if state.get("ml"):
            end = line.find(state["ml"], i)
            if end < 0:
                return "".join(out)
            i = end + 3
            state["ml"] = None
            out.append('""')
            continue
        ch = line[i]
        if line.startswith('"""', i) or line.startswith("'''", i):
            state["ml"] = line[i : i + 3]
            i += 3
            continue
        if ch in "\"'":
            j = i + 1
            while j < len(line) and line[j] != ch:
                j += 2 if (ch == '"' and line[j] == "\\") else 1
            out.append('""')
            i = j + 1
            continue
        if ch == "#":
            break
        out.append(ch)
        i += 1
    return "".join(out)


def _split_key(key: str) -> list[str]:
    return [p.strip().strip("\"'") for p in key.split(".")]


def key_lines(text: str) -> dict[str, int]:
    """Dotted key path (``stimuli.train[1].number``) -> line number, for messages."""
    lines: dict[str, int] = {}
    current: list[str] = []
    aot: dict[str, int] = {}
    depth = 0
    state: dict = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        in_ml = bool(state.get("ml"))
        s = _strip_strings(raw, state).strip()
        if in_ml or not s:
            continue
        if depth == 0 and s.startswith("[["):
            name = ".".join(_split_key(s[2 : s.find("]]")]))
            idx = aot.get(name, -1) + 1
            aot[name] = idx
            path = f"{_resolve_aot(name, aot, last=False)}[{idx}]"
            current = [path]
            lines.setdefault(name, lineno)
            lines[path] = lineno
            continue
        if depth == 0 and s.startswith("["):
            name = ".".join(_split_key(s[1 : s.find("]")]))
            path = _resolve_aot(name, aot, last=True)
            current = [path]
            lines.setdefault(path, lineno)
            continue
        if depth == 0 and "=" in s:
            key, _, rest = s.partition("=")
            path = ".".join(current + _split_key(key))
            lines.setdefault(path, lineno)
            for m in re.finditer(r"([A-Za-z0-9_\-]+)\s*=", rest):
                lines.setdefault(f"{path}.{m.group(1)}", lineno)
            depth += rest.count("[") + rest.count("{") - rest.count("]") - rest.count("}")
            continue
        depth += s.count("[") + s.count("{") - s.count("]") - s.count("}")
        depth = max(depth, 0)
    return lines


def _resolve_aot(name: str, aot: dict[str, int], last: bool) -> str:
    """Insert the current index of every array-of-tables prefix of a header name."""
    parts = name.split(".")
    out = []
    for i in range(len(parts)):
        prefix = ".".join(parts[: i + 1])
        out.append(parts[i])
        if prefix in aot and (last or i < len(parts) - 1):
            out[-1] += f"[{aot[prefix]}]"
    return ".".join(out)


# ----------------------------------------------------------------------------- context


class Ctx:
    """Collects problems and knows where each key came from."""

    def __init__(self, source: str, lines: Mapping[str, int], origins: Mapping[str, str]):
        self.source = source
        self.lines = lines
        self.origins = origins  # dotted path -> "--set k=v"
        self.problems: list[Problem] = []
        self.present: set[str] = set()  # dotted paths given explicitly

    def where(self, path: str) -> tuple[str, int | None]:
        for p in _prefixes(path):
            if p in self.origins:
                return self.origins[p], None
        for p in _prefixes(path):
            if p in self.lines:
                return self.source, self.lines[p]
        return self.source, None

    def add(self, path: str, message: str) -> None:
        f, line = self.where(path)
        self.problems.append(Problem(f, line, path, message))


def _prefixes(path: str) -> list[str]:
    out = [path]
    while True:
        if path.endswith("]"):
            path = path[: path.rfind("[")]
        elif "." in path:
            path = path.rsplit(".", 1)[0]
        else:
            break
        out.append(path)
    return out


# ----------------------------------------------------------------------------- conversion


def type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a table"
    return type(v).__name__


def show(v: Any) -> str:
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{...}"
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def _number(v: Any, path: str, md: Mapping, ctx: Ctx, integer: bool = False) -> Any:
    unit = md["unit"]
    u = f" {unit}" if unit else ""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        hint = ""
        if isinstance(v, str) and re.match(r"^\s*[-+0-9.eE]+\s*[A-Za-z/]+", v):
            hint = f"; write the bare number (the unit, {unit or 'none'}, is in the key name)"
        ctx.add(path, f"= {show(v)} is {type_name(v)}; expected "
                      f"{'a whole number' if integer else 'a number'}{' [' + unit + ']' if unit else ''}{hint}")  # fmt: skip
        return None
    if integer and not isinstance(v, int):
        if float(v).is_integer():
            v = int(v)
        else:
            ctx.add(path, f"= {show(v)}: expected a whole number")
            return None
    if not integer:
        v = float(v)
        if not math.isfinite(v):
            ctx.add(path, f"= {v}: must be finite{u}")
            return None
    if md["gt"] is not None and not v > md["gt"]:
        ctx.add(path, f"= {show(v)}{u}: must be > {md['gt']:g}{u}")
        return None
    if md["ge"] is not None and not v >= md["ge"]:
        ctx.add(path, f"= {show(v)}{u}: must be >= {md['ge']:g}{u}")
        return None
    if md["le"] is not None and not v <= md["le"]:
        ctx.add(path, f"= {show(v)}{u}: must be <= {md['le']:g}{u}")
        return None
    return v


_SPINE_RE = re.compile(r"^spine(\d+)$")


def _spine_ref(v: Any, path: str, ctx: Ctx) -> int | None:
    if isinstance(v, int) and not isinstance(v, bool):
        if v >= 1:
            return v
        ctx.add(path, f"= {v}: spine numbers start at 1 (spine1)")
        return None
    if isinstance(v, str):
        m = _SPINE_RE.match(v.strip())
        if m and int(m.group(1)) >= 1:
            return int(m.group(1))
    ctx.add(path, f"= {show(v)}: expected a spine number (1) or name ('spine1')")
    return None


def _convert_value(v: Any, path: str, md: Mapping, ctx: Ctx) -> Any:
    """Convert one raw TOML value; returns None (and records a problem) when invalid."""
    kind = md["kind"]
    if kind == "float":
        return _number(v, path, md, ctx)
    if kind == "int":
        return _number(v, path, md, ctx, integer=True)
    if kind == "bool":
        if isinstance(v, bool):
            return v
        ctx.add(path, f"= {show(v)} is {type_name(v)}; expected true or false")
        return None
    if kind in ("str", "location"):
        if isinstance(v, str):
            return v
        ctx.add(path, f"= {show(v)} is {type_name(v)}; expected a string")
        return None
    if kind == "enum":
        if isinstance(v, str):
            v2 = _MODE_ALIASES.get(v, v) if "none" in md["choices"] else v
            if v2 in md["choices"]:
                return v2
        ctx.add(path, f"= {show(v)}: use one of {', '.join(repr(c) for c in md['choices'])}"
                      f"{did_you_mean(str(v), md['choices']) if isinstance(v, str) else ''}")  # fmt: skip
        return None
    if kind in ("floats", "strs", "spines", "locations", "selection"):
        if kind == "selection" and isinstance(v, str):
            v = [] if v == "none" else [v]
        if not isinstance(v, list):
            ctx.add(path, f"= {show(v)} is {type_name(v)}; expected a list, e.g. [1, 2]"
                    if kind in ("spines", "selection") else
                    f"= {show(v)} is {type_name(v)}; expected a list")  # fmt: skip
            return None
        out = []
        ok = True
        for i, item in enumerate(v):
            ipath = f"{path}[{i}]"
            if kind == "floats":
                x = _number(item, ipath, {**md, "gt": None, "ge": None, "le": None}, ctx)
            elif kind in ("strs", "locations"):
                x = item if isinstance(item, str) else None
                if x is None:
                    ctx.add(ipath, f"= {show(item)} is {type_name(item)}; expected a string")
                elif md["choices"] and x not in md["choices"]:
                    ctx.add(ipath, f"= {show(x)}: use one of {', '.join(repr(c) for c in md['choices'])}"
                                   f"{did_you_mean(x, md['choices'])}")  # fmt: skip
                    x = None
            elif kind == "spines":
                x = _spine_ref(item, ipath, ctx)
            else:  # selection: spine refs or keywords
                if isinstance(item, str) and item in md["choices"]:
                    x = item
                elif isinstance(item, str) and not _SPINE_RE.match(item):
                    ctx.add(ipath, f"= {show(item)}: use spine numbers, 'spineN' or one of "
                                   f"{', '.join(repr(c) for c in md['choices'])}"
                                   f"{did_you_mean(item, md['choices'])}")  # fmt: skip
                    x = None
                else:
                    x = _spine_ref(item, ipath, ctx)
            ok = ok and x is not None
            out.append(x)
        if kind == "spines" and not v:
            ctx.add(path, "= []: name at least one spine")
            return None
        if kind == "strs" and md["choices"] and ok and len(set(out)) != len(out):
            ctx.add(path, f"= {show(v)}: each entry once")
            return None
        return tuple(out) if ok else None
    if kind in ("map", "ports"):
        if not isinstance(v, dict):
            ctx.add(path, f"= {show(v)} is {type_name(v)}; expected a table")
            return None
        if kind == "ports":
            bad = False
            for k, x in v.items():
                if isinstance(x, str):
                    continue
                if isinstance(x, dict) and isinstance(x.get("id"), str) and set(x) <= {
                    "id", "unit"} and isinstance(x.get("unit", ""), str):  # fmt: skip
                    continue
                bad = True
                ctx.add(f"{path}.{k}", f"= {show(x)}: expected an SBML id ('[species]' or a "
                                       "parameter id) or a table {id = \"...\", unit = \"M/s\"}")  # fmt: skip
            return None if bad else dict(v)
        return dict(v)
    raise AssertionError(f"unknown schema kind {kind}")  # pragma: no cover - schema bug


def build_table(cls: type, raw: Any, path: str, ctx: Ctx, quiet: bool = False) -> Any:
    """Instantiate a schema dataclass from a raw TOML table, collecting problems.

    ``quiet`` skips "missing required key" problems (the table itself was reported).
    """
    prefix = f"{path}." if path else ""
    if not isinstance(raw, dict):
        ctx.add(path, f"= {show(raw)} is {type_name(raw)}; expected a table [{path}]")
        raw = {}
        quiet = True  # one problem for the table, not one per missing key
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    kwargs: dict[str, Any] = {}
    meant: set[str] = set()  # known keys an unknown key was probably meant to be
    for key in raw:
        if key not in fields:
            msg = _unknown_key_message(key, cls, path)
            ctx.add(f"{prefix}{key}", msg)
            m = re.search(r"(?:did you mean|in the key name:) '([^']+)'", msg)
            if m:
                meant.add(m.group(1))
    for name, f in fields.items():
        md = f.metadata
        kpath = f"{prefix}{name}"
        if md["kind"] == "table":
            if name not in raw and md.get("required_table") and name not in meant:
                ctx.add(kpath, f"missing table [{name}]; add it (it needs at least "
                               f"{_required_keys(md['cls'])})")  # fmt: skip
            absent = name not in raw and md.get("required_table")
            kwargs[name] = build_table(md["cls"], raw.get(name, {}), kpath, ctx, quiet=bool(absent))
            continue
        if md["kind"] == "tables":
            items = raw.get(name, [])
            if isinstance(items, dict):
                ctx.add(kpath, f"is a table; write [[{kpath}]] (an array of tables), once per "
                               "item")  # fmt: skip
                items = []
            elif not isinstance(items, list):
                ctx.add(kpath, f"= {show(items)}: expected [[{kpath}]] tables")
                items = []
            kwargs[name] = tuple(
                build_table(md["cls"], it, f"{kpath}[{i}]", ctx) for i, it in enumerate(items)
            )
            continue
        if name in raw:
            ctx.present.add(kpath)
            kwargs[name] = _convert_value(raw[name], kpath, md, ctx)
            if kwargs[name] is None and f.default is not dataclasses.MISSING:
                kwargs[name] = f.default
            elif kwargs[name] is None and f.default_factory is not dataclasses.MISSING:
                kwargs[name] = f.default_factory()
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            unit = f" [{md['unit']}]" if md["unit"] else ""
            if not quiet and name not in meant:  # a misspelt key was reported already
                ctx.add(kpath, f"missing required key; add {name} = ...{unit} ({md['doc']})")
            kwargs[name] = None
    return cls(**kwargs)


def _required_keys(cls: type) -> str:
    names = [f.name for f in dataclasses.fields(cls)
             if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]  # fmt: skip
    return ", ".join(names) or "nothing"


def _all_tables() -> dict[str, type]:
    out: dict[str, type] = {}

    def walk(cls: type, prefix: str) -> None:
        for f in dataclasses.fields(cls):
            md = f.metadata
            if md.get("internal") or md["kind"] not in ("table", "tables"):
                continue
            name = f"{prefix}{f.name}"
            out[name] = md["cls"]
            walk(md["cls"], name + ".")

    walk(Experiment, "")
    return out


def _unknown_key_message(key: str, cls: type, path: str) -> str:
    names = [f.name for f in dataclasses.fields(cls) if not f.metadata.get("internal")]
    where = f"[{path}]" if path else "the top level"
    msg = f"unknown key in {where}"
    hint = did_you_mean(key, names)
    for suffix in ("_ms", "_s", "_hz", "_nA", "_mV", "_M_per_s"):
        if key + suffix in names:
            hint = f"; give the unit in the key name: '{key + suffix}'"
    if not hint:
        for tname, tcls in _all_tables().items():
            if tname != path and key in {f.name for f in dataclasses.fields(tcls)}:
                hint = f"; '{key}' belongs in [{tname}]"
                break
    return f"{msg}{hint or '; known keys: ' + ', '.join(names)}"
