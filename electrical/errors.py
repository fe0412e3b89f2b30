"""Errors raised by the cable engine.

Every user error derives from :class:`ElectricalError` *and* from a builtin
(``ValueError``, ``LookupError``, ...), so callers can catch either.  Messages
say what is wrong, where (section, location, mechanism), the offending value
with its unit, what was expected, and the fix.
"""

from __future__ import annotations

from common.errors import InternalError as _CommonInternalError
from common.errors import did_you_mean  # noqa: F401  (electrical.errors.did_you_mean is public)


class ElectricalError(Exception):
    """Root of all errors raised by :mod:`electrical`."""


class ModelError(ElectricalError, ValueError):
    """The model description is invalid (geometry, topology, parameter values)."""


class TopologyError(ModelError):
    """Sections are connected twice, in a loop, or to a section of another cell."""


class LocationError(ModelError):
    """A location ``sec(x)`` has x outside [0, 1]."""


class UnknownMechanismError(ElectricalError, LookupError):
    """No mechanism of that name in the catalogue."""


class UnknownParameterError(ElectricalError, LookupError):
    """A mechanism has no parameter (or state) of that name."""


class UnknownVariableError(ElectricalError, LookupError):
    """A recorded or addressed variable does not exist at that location."""


class SimulationError(ElectricalError, RuntimeError):
    """The simulation was used in the wrong order (e.g. advance before initialize)."""


class InternalError(ElectricalError, _CommonInternalError):
    """A bug in the engine; please report it with the model that triggers it."""
