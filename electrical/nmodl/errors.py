"""Errors of the NMODL importer: one line naming the file, the line and the construct."""

from __future__ import annotations

from ..errors import ModelError

__all__ = ["NmodlError"]


class NmodlError(ModelError):
    """A .mod file that cannot be imported (refused construct, syntax error, bad value)."""

    def __init__(self, path, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line
