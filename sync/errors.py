"""Exceptions of the ``sync`` package.

One root, :class:`SyncError`; user errors also subclass ``ValueError`` so that
generic handlers keep working.  Messages name the component, port or spine, the
offending value and the fix.
"""

from __future__ import annotations

__all__ = ["CouplingError", "SchedulerError", "SyncError"]


class SyncError(Exception):
    """Root of every error raised by ``sync``."""


class CouplingError(SyncError, ValueError):
    """A coupling cannot be built: unknown port, wrong direction or incompatible units."""


class SchedulerError(SyncError, ValueError):
    """A scheduler setting or a time that is not a whole number of ticks."""
