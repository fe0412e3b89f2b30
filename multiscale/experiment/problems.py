"""A problem of an experiment: file, line, key, message and fix."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ExperimentError

__all__ = ["ExperimentError", "Problem"]


@dataclass(frozen=True)
class Problem:
    """One problem of an experiment: where, which key, what and the fix."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if not self.key:
            return f"{where}: {self.message}"
        sep = " " if self.message.startswith("= ") else ": "
        return f"{where}: {self.key}{sep}{self.message}"
