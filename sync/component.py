"""The component protocol, and the electrical model as a component.

A component is anything the synchroniser can drive (DESIGN.md section 5):

``initialize(t0)``
    Set the initial state at time ``t0`` (in the component's ``time_unit``).
``advance_to(t)``
    Integrate to ``t`` with the inputs held as set.
``get(port)`` / ``set(port, value)``
    Read an output / write an input, in the port's unit; a ``set`` is a
    discontinuity (an integrator restarts from it).
``save_state()`` / ``restore_state(blob)``
    The whole dynamic state as bytes, time included.
``next_event_time()``
    The time of the next input the component knows of, or ``None``.

:class:`biochem.PathwayInstance` implements it directly (time in s).  The
electrical :class:`electrical.Simulation` is wrapped by :class:`ElectricalComponent`
(time in ms), whose ports are declared by name: probes (values now), integrals
(running time integrals, e.g. a charge) and connection weights.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from .errors import CouplingError

__all__ = ["Component", "ElectricalComponent", "ElectricalPort"]


@runtime_checkable
class Component(Protocol):
    """What the synchroniser needs from a component (see the module docstring)."""

    time_unit: str

    def initialize(self, t0: float) -> None: ...

    def advance_to(self, t: float) -> None: ...

    def get(self, port: str) -> float: ...

    def set(self, port: str, value: float) -> None: ...

    def save_state(self) -> bytes: ...

    def restore_state(self, blob: bytes) -> None: ...

    def next_event_time(self) -> float | None: ...


class ElectricalPort:
    """One named port of the electrical component: its kind, unit and source."""

    __slots__ = ("kind", "name", "scale", "source", "unit")

    def __init__(self, name: str, kind: str, unit: str, source, scale: float = 1.0):
        self.name = name
        self.kind = kind  # "probe" | "integral" | "weight"
        self.unit = unit
        self.source = source
        self.scale = scale

    @property
    def writable(self) -> bool:
        return self.kind == "weight"

    def __repr__(self) -> str:
        return f"<ElectricalPort {self.name} ({self.kind}, {self.unit})>"


class ElectricalComponent:
    """An :class:`electrical.Simulation` as a co-simulation component (time in ms).

    Parameters
    ----------
    sim : electrical.Simulation
        The electrical model.
    v_init_mV : float
        Initial membrane potential used by :meth:`initialize`.
    """

    time_unit = "ms"

    def __init__(self, sim, v_init_mV: float = -65.0) -> None:
        self.sim = sim
        self.v_init_mV = float(v_init_mV)
        self._ports: dict[str, ElectricalPort] = {}

    # -- ports -------------------------------------------------------------------------
    def add_probe(self, name: str, terms, unit: str, scale: float = 1.0) -> ElectricalPort:
        """Port ``name`` = ``scale`` times the sum of the variables ``[(what, where), ...]``."""
        probe = self.sim.probe(terms)
        return self._add(ElectricalPort(name, "probe", unit, probe, scale))

    def add_integral(self, name: str, terms, unit: str, scale: float = 1.0) -> ElectricalPort:
        """Port ``name`` = ``scale`` times the running integral of ``[(what, where, w), ...]``.

        Its value is the integral since initialize, so that ``get`` has no side
        effects; a coupling takes differences between two exchanges.
        """
        integral = self.sim.integrate(terms)
        return self._add(ElectricalPort(name, "integral", unit, integral, scale))

    def add_weight(self, name: str, connections) -> ElectricalPort:
        """Port ``name`` = the weight of one or more :class:`electrical.Connection` (dimensionless).

        Setting it sets every connection's weight; reading it returns the first one's.
        """
        conns = list(connections) if isinstance(connections, list | tuple) else [connections]
        if not conns:
            raise CouplingError(f"electrical component: weight port {name!r} needs a connection")
        return self._add(ElectricalPort(name, "weight", "dimensionless", conns))

    def _add(self, port: ElectricalPort) -> ElectricalPort:
        if port.name in self._ports:
            raise CouplingError(f"electrical component: port {port.name!r} is already declared")
        self._ports[port.name] = port
        return port

    def port(self, name: str) -> ElectricalPort:
        try:
            return self._ports[name]
        except KeyError:
            raise CouplingError(
                f"electrical component: no port {name!r}; declared: {sorted(self._ports)}"
            ) from None

    # -- protocol ----------------------------------------------------------------------
    def initialize(self, t0: float = 0.0) -> None:
        if float(t0) != 0.0:
            raise CouplingError(f"electrical component: initialize(t0={t0!r}); it starts at 0 ms")
        self.sim.initialize(v_init_mV=self.v_init_mV)

    def advance_to(self, t: float) -> None:
        self.sim.advance(t)

    def advance_to_tick(self, tick: int) -> None:
        """Advance to an integer number of steps (the synchroniser's time)."""
        n = int(tick) - self.sim.tick
        if n > 0:
            self.sim.advance_steps(n)

    def get(self, port: str) -> float:
        p = self.port(port)
        if p.kind == "probe":
            return float(np.sum(p.source.values())) * p.scale
        if p.kind == "integral":
            return p.source.total * p.scale
        return p.source[0].weight

    def set(self, port: str, value: float) -> None:
        p = self.port(port)
        if not p.writable:
            raise CouplingError(f"electrical component: port {port!r} ({p.kind}) is read-only")
        for conn in p.source:
            conn.weight = value

    def save_state(self) -> bytes:
        return self.sim.save_state()

    def restore_state(self, blob: bytes) -> None:
        self.sim.restore_state(blob)

    def next_event_time(self) -> float | None:
        """Time [ms] of the next synaptic event the model will deliver, or None."""
        now = self.sim._tclock[0] if self.sim.tick else -np.inf
        later = [t for t, *_ in self.sim._events if t > now]
        return min(later) if later else None

    @property
    def t_ms(self) -> float:
        return self.sim.t_ms

    def __repr__(self) -> str:
        return f"<ElectricalComponent t_ms={self.sim.t_ms:g} ports={sorted(self._ports)}>"
