"""A small TOML writer (``tomllib`` reads its output back): the resolved experiment."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["dumps_toml"]


def _toml_key(k: str) -> str:
    return k if re.match(r"^[A-Za-z0-9_\-]+$", k) else json.dumps(k)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"TOML cannot hold {v}")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _is_aot(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def dumps_toml(data: Mapping[str, Any]) -> str:
    """TOML text of nested tables, arrays of tables and plain values (``tomllib`` reads it)."""
    lines: list[str] = []

    def table(prefix: str, tbl: Mapping[str, Any], header: str | None) -> None:
        scalars = [(k, v) for k, v in tbl.items() if not isinstance(v, dict) and not _is_aot(v)]
        if header is not None:
            lines.append("")
            lines.append(header)
        for k, v in scalars:
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in tbl.items():
            name = f"{prefix}{_toml_key(k)}"
            if isinstance(v, dict):
                table(name + ".", v, f"[{name}]")
            elif _is_aot(v):
                for item in v:
                    table(name + ".", item, f"[[{name}]]")

    table("", data, None)
    return "\n".join(lines).lstrip("\n") + "\n"
