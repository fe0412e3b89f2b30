"""The errors of :mod:`multiscale`: one root, one class per kind of failure.

:class:`MultiscaleError` is the root.  A user error also subclasses the builtin it
has always been (``ValueError``, ``RuntimeError``, ``OSError``, ``FileNotFoundError``),
so ``except ValueError`` keeps working; :class:`InvalidModelError` also subclasses
:class:`electrical.errors.ModelError` (what the model builders raised before).

Internal faults (bugs of the framework) are :class:`common.errors.InternalError`
(and its subclasses in ``electrical`` and ``biochem``), never one of these: the CLI
reports them with exit 1 and "please report", bad input with exit 2 and one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from electrical.errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from .experiment.problems import Problem

__all__ = [
    "BuildError",
    "ExperimentError",
    "InvalidModelError",
    "MultiscaleError",
    "ResultsError",
    "RunError",
    "SpinePositionsError",
]


class MultiscaleError(Exception):
    """Root of every error :mod:`multiscale` raises on purpose."""


class ExperimentError(MultiscaleError, ValueError):
    """An experiment file (or its ``--set`` overrides) has problems; ``problems`` lists all."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class BuildError(MultiscaleError, ValueError):
    """The experiment cannot be built (bad input); the message names the key and the fix."""


class InvalidModelError(MultiscaleError, ModelError):
    """A cell model (MSN, spine, stimulus) was given bad arguments."""


class RunError(MultiscaleError, RuntimeError):
    """The run failed or was interrupted; the file keeps what was flushed.

    ``everywhere`` is True when every rank of an MPI run raised the same error
    (nothing waits for another rank); otherwise only this rank failed.
    """

    def __init__(self, message: str, t_done_ms: float | None = None, everywhere: bool = False):
        super().__init__(message)
        self.t_done_ms = t_done_ms
        self.everywhere = everywhere


class ResultsError(MultiscaleError, OSError):
    """A results or checkpoint file is missing, unreadable or not ours."""


class SpinePositionsError(MultiscaleError, FileNotFoundError):
    """The published spine-position file is missing or malformed."""
