"""The component protocols: what the synchroniser needs from the components it drives.

``sync`` knows components only through these protocols (DESIGN.md section 5); it
imports neither ``electrical`` nor ``biochem``.  They are structural
(:class:`typing.Protocol`): a component implements them by having the methods,
without importing ``sync``.

:class:`Component`
    What every component has.

    ``initialize(t0)``
        Set the initial state at time ``t0`` (in the component's ``time_unit``).
    ``advance_to(t)``
        Integrate to ``t`` with the inputs held as set.
    ``get(port)`` / ``set(port, value)``
        Read an output / write an input, in the port's unit; a ``set`` is a
        discontinuity (an integrator restarts from it).
    ``save_state()`` / ``restore_state(blob)``
        The whole dynamic state as bytes, time included.

    (DESIGN.md section 5 listed ``next_event_time()`` too; nothing ever called it,
    since the synchroniser reads the inputs' times from the links, so it is no
    longer part of the protocol.)

:class:`SteppedComponent`
    The component whose fixed step is the synchroniser's clock (the electrical
    model, through ``electrical.component.ElectricalComponent``).  Besides the
    above: its step ``dt_ms``, ``advance_to_tick(tick)``, whether its state is
    ``split`` over the ranks of a communicator and, if so, whether this rank
    ``owns`` a site; and ``probe(terms)``, a reader of several values at once
    (the links' activity measure, e.g. spine head calcium).

:class:`PathwayComponent`
    A component integrated between exchanges (a ``biochem.PathwayInstance``):
    besides the above, ``values(names)`` (sampled species) and, for batched
    delivery, ``set_series(port, edges, means, knots)`` (a time course of an
    input over several intervals).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Component", "PathwayComponent", "Probe", "SteppedComponent"]


@runtime_checkable
class Component(Protocol):
    """What the synchroniser needs from any component (see the module docstring)."""

    time_unit: str

    def initialize(self, t0: float) -> None: ...

    def advance_to(self, t: float) -> None: ...

    def get(self, port: str) -> float: ...

    def set(self, port: str, value: float) -> None: ...

    def save_state(self) -> bytes: ...

    def restore_state(self, blob: bytes) -> None: ...


class Probe(Protocol):
    """Reads the values of several terms of a :class:`SteppedComponent` at once."""

    def values(self) -> np.ndarray:
        """The current value of every term, in the order given to ``probe``."""
        ...


@runtime_checkable
class SteppedComponent(Component, Protocol):
    """The component whose fixed step is the synchroniser's tick (the electrical model).

    Attributes
    ----------
    dt_ms : float
        The fixed step [ms]: one tick of the synchroniser's clock.
    split : bool
        True when the component's state is split over the ranks of a
        communicator, so that a link's values are read on the one rank that
        :meth:`owns` its site and travel to the others.
    """

    dt_ms: float
    split: bool

    def advance_to_tick(self, tick: int) -> None:
        """Advance to step ``tick`` (an integer; no-op if already there)."""
        ...

    def owns(self, site: object) -> bool:
        """Whether this rank computes ``site`` (always True when not :attr:`split`)."""
        ...

    def probe(self, terms: Sequence[tuple]) -> Probe:
        """A reader of ``terms`` (``(variable, site)`` pairs, all owned by this rank)."""
        ...


@runtime_checkable
class PathwayComponent(Component, Protocol):
    """A component integrated over exchange intervals (time in its own unit, e.g. s)."""

    def values(self, names: Sequence[str]) -> np.ndarray:
        """Current values of named quantities (for sampled traces); raises for unknown names."""
        ...

    def set_series(self, port: str, edges, means, knots) -> None:
        """Input ``port`` follows a course over the bins ``[edges[k], edges[k+1])``.

        ``means[k]`` is delivered exactly over bin k; ``knots`` are the values at
        the edges (one more than the means).  Only needed for batched delivery.
        """
        ...
