"""The cable engine as a co-simulation component (the ``sync`` stepped-component protocol).

:class:`ElectricalComponent` wraps an :class:`electrical.Simulation` (time in ms)
so that ``sync.Synchronizer`` can drive it: its step is the synchroniser's tick.
It uses only the simulation's public API.  Its ports are declared by name:

- probes: ``scale`` times the sum of variables now (e.g. a spine's free calcium);
- integrals: ``scale`` times a running time integral since ``initialize`` (e.g.
  a calcium charge; a coupling takes differences between two exchanges);
- weights: the weight of one or more :class:`electrical.Connection` (writable).

The protocol is structural (``sync.component.SteppedComponent``): this module
does not import ``sync``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import ModelError, UnknownVariableError, did_you_mean

__all__ = ["ElectricalComponent", "ElectricalPort"]


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
        The electrical model.  One simulation may back several components.
    v_init_mV : float
        Initial membrane potential used by :meth:`initialize` [mV].
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
            raise ModelError(f"electrical component: weight port {name!r} needs a connection")
        return self._add(ElectricalPort(name, "weight", "dimensionless", conns))

    def _add(self, port: ElectricalPort) -> ElectricalPort:
        if port.name in self._ports:
            raise ModelError(f"electrical component: port {port.name!r} is already declared")
        self._ports[port.name] = port
        return port

    def port(self, name: str) -> ElectricalPort:
        """The declared port ``name``."""
        try:
            return self._ports[name]
        except KeyError:
            raise UnknownVariableError(
                f"electrical component: no port {name!r} (declared: {sorted(self._ports)})"
                f"{did_you_mean(name, self._ports)}"
            ) from None

    # -- the stepped-component protocol ------------------------------------------------
    @property
    def dt_ms(self) -> float:
        """The simulation's step [ms] (the synchroniser's tick)."""
        return self.sim.dt_ms

    @property
    def split(self) -> bool:
        """True when the cell is split over several ranks (``Simulation(..., comm=)``)."""
        return self.sim.nranks > 1

    def owns(self, site) -> bool:
        """Whether this rank computes ``site`` (a location or point process)."""
        return True if not self.split else bool(self.sim.owns(site))

    def probe(self, terms: Sequence[tuple]):
        """A reader of the variables ``[(what, where), ...]`` (``.values()`` in that order)."""
        return self.sim.probe(terms)

    def initialize(self, t0: float = 0.0) -> None:
        if float(t0) != 0.0:
            raise ModelError(f"electrical component: initialize(t0={t0!r}); it starts at 0 ms")
        self.sim.initialize(v_init_mV=self.v_init_mV)

    def advance_to(self, t: float) -> None:
        """Integrate to ``t`` [ms] (a whole number of steps)."""
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
            raise ModelError(f"electrical component: port {port!r} ({p.kind}) is read-only")
        for conn in p.source:
            conn.weight = value

    def save_state(self) -> bytes:
        return self.sim.save_state()

    def restore_state(self, blob: bytes) -> None:
        self.sim.restore_state(blob)

    @property
    def tick(self) -> int:
        """Steps done since initialize."""
        return self.sim.tick

    @property
    def t_ms(self) -> float:
        return self.sim.t_ms

    def __repr__(self) -> str:
        return f"<ElectricalComponent t_ms={self.sim.t_ms:g} ports={sorted(self._ports)}>"
