"""``--set key=value`` overrides, applied to the raw TOML before validation."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from typing import Any

from .problems import Problem

__all__ = ["apply_overrides"]


_INDEX_RE = re.compile(r"^([A-Za-z0-9_\-]+)((?:\[\d+\])*)$")


def _parse_override(text: str) -> tuple[list, Any] | str:
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        return "expected key=value, e.g. --set simulation.t_stop_ms=500"
    parts: list = []
    for part in key.split("."):
        m = _INDEX_RE.match(part.strip())
        if not m:
            return f"'{key}' is not a dotted key (e.g. stimuli.train[0].number)"
        parts.append(m.group(1))
        parts += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    value = value.strip()
    if not value:
        return parts, _REMOVE  # --set key= : back to the default
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value  # a bare word is a string: --set model.spines=all
    return parts, parsed


_REMOVE = object()


def _path_str(parts: Sequence) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def apply_overrides(raw: dict, overrides: Sequence[str], problems: list[Problem]) -> dict:
    origins: dict[str, str] = {}
    for text in overrides:
        parsed = _parse_override(text)
        if isinstance(parsed, str):
            problems.append(Problem(f"--set {text}", None, "", parsed))
            continue
        parts, value = parsed
        node: Any = raw
        ok = True
        for i, p in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if isinstance(p, int):
                if not isinstance(node, list) or p >= len(node):
                    have = len(node) if isinstance(node, list) else 0
                    problems.append(Problem(f"--set {text}", None, _path_str(parts[: i + 1]),
                                            f"there is no item {p} (the file has {have}); "
                                            "--set can change items, not add them"))  # fmt: skip
                    ok = False
                    break
                node = node[p]
            else:
                if not isinstance(node, dict):
                    ok = False
                    problems.append(Problem(f"--set {text}", None, _path_str(parts[: i + 1]),
                                            "is not a table"))  # fmt: skip
                    break
                if p not in node:
                    node[p] = [] if isinstance(nxt, int) else {}
                node = node[p]
        if not ok:
            continue
        last = parts[-1]
        if isinstance(last, int):
            if not isinstance(node, list) or last >= len(node):
                problems.append(Problem(f"--set {text}", None, _path_str(parts),
                                        "no such list item; --set can change items, not add "
                                        "them"))  # fmt: skip
                continue
            if value is _REMOVE:
                problems.append(Problem(f"--set {text}", None, _path_str(parts),
                                        "list items cannot be removed"))  # fmt: skip
                continue
            node[last] = value
        elif isinstance(node, dict) and value is _REMOVE:
            node.pop(last, None)
        elif isinstance(node, dict):
            node[last] = value
        else:
            problems.append(Problem(f"--set {text}", None, _path_str(parts[:-1]),
                                    "is not a table"))  # fmt: skip
            continue
        origins[_path_str(parts)] = f"--set {text}"
    return origins
