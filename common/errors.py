"""The root of internal faults and the one did-you-mean helper.

:class:`InternalError` marks a bug of the framework, never bad input: the CLI reports
it with exit 1 and "please report" (the traceback behind ``--debug``).  Each package
subclasses it under its own error root, so ``except electrical.ElectricalError`` still
catches the electrical one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["InternalError", "did_you_mean"]


class InternalError(RuntimeError):
    """A bug in the framework (not the user's input); please report it."""


def did_you_mean(name: str, candidates: Iterable[str], n: int = 1) -> str:
    """``"; did you mean 'x'?"`` (or ``"'x' or 'y'"`` for ``n > 1``), or ``""``.

    A candidate equal to ``name`` up to case wins outright; then the closest
    matches (:func:`difflib.get_close_matches`, cutoff 0.6); then the closest ones
    ignoring case (``'CA'`` -> ``'ca'``).
    """
    candidates = [str(c) for c in candidates]
    name = str(name)
    lower = {c.lower(): c for c in candidates}
    if name.lower() in lower and lower[name.lower()] != name:
        matches = [lower[name.lower()]]
    else:
        matches = difflib.get_close_matches(name, candidates, n=n, cutoff=0.6)
        if not matches:
            matches = [
                lower[m] for m in difflib.get_close_matches(name.lower(), lower, n=n, cutoff=0.6)
            ]
    if not matches:
        return ""
    return "; did you mean " + " or ".join(repr(m) for m in matches) + "?"
