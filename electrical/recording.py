"""Recording: traces sampled by the compiled loop, probes of current values, running integrals.

:class:`Recorder` holds what a :class:`~electrical.Simulation` records and hands
the compiled loop its arrays (:meth:`Recorder.loop_arrays`); the objects it
gives the user (:class:`Trace`, :class:`Probe`, :class:`Integral`) read only
the arrays they are given (state arrays, :class:`Accumulators`), never the
simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Accumulators", "Integral", "Probe", "Recorder", "Trace"]


@dataclass
class Trace:
    """A recorded variable: ``values`` sampled at ``t_ms``."""

    name: str
    unit: str
    every: int
    _chunks: list = field(default_factory=list)
    _t: list = field(default_factory=list)
    #: rank that computes the variable (under MPI; the trace stays empty elsewhere)
    owner: int = 0
    #: True when this rank fills the trace
    local: bool = True

    @property
    def values(self) -> np.ndarray:
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0)

    @property
    def t_ms(self) -> np.ndarray:
        return np.concatenate(self._t) if self._t else np.zeros(0)

    def _clear(self) -> None:
        self._chunks.clear()
        self._t.clear()

    def _append(self, values: np.ndarray, t_ms: np.ndarray) -> None:
        self._chunks.append(values)
        self._t.append(t_ms)

    def __repr__(self) -> str:
        return f"<Trace name={self.name} unit={self.unit} n_samples={self.values.size}>"


class Accumulators:
    """The running sums of the integrals of one simulation (one slot per integral).

    The compiled loop adds ``sum_k weight_k * value_k`` per step into ``out``;
    :meth:`value` is the sum times ``dt_ms``.
    """

    def __init__(self, dt_ms: float) -> None:
        self.dt_ms = dt_ms
        self.out = np.zeros(0)

    def new_slot(self) -> int:
        self.out = np.append(self.out, 0.0)
        return self.out.size - 1

    def sum(self, slot: int) -> float:
        """The running sum of a slot (per step, not yet times dt)."""
        return float(self.out[slot])


class Integral:
    """A running time integral of a weighted sum of model variables.

    Each step adds ``sum_k weight_k * value_k * dt`` with the values the step's
    currents were computed with (v_n, and the currents at t_n + dt/2), so an
    integral of an ion current is exactly the charge the concentration
    mechanisms received.  ``total`` counts from :meth:`Simulation.initialize`;
    :meth:`take` returns what accumulated since the previous ``take`` and
    starts a new interval.  Units: the terms' unit times ms times the weights'.
    """

    def __init__(
        self, acc: Accumulators | None, slot: int, names: list[str], unit: str, owner: int = 0
    ):
        self._acc = acc
        self.slot = slot  # -1: computed by rank ``owner``, not here
        self.names = names
        self.unit = unit
        self.owner = owner
        self._taken = 0.0

    @property
    def local(self) -> bool:
        """True when this rank computes the integral (always without MPI)."""
        return self.slot >= 0

    @property
    def total(self) -> float:
        """The integral since initialize [unit * ms] (NaN on a rank that does not own it)."""
        if self.slot < 0:
            return math.nan
        return self._acc.sum(self.slot) * self._acc.dt_ms

    def take(self) -> float:
        """The integral since the previous ``take`` (or initialize) [unit * ms]."""
        if self.slot < 0:
            return math.nan
        now = self._acc.sum(self.slot)
        delta = now - self._taken
        self._taken = now
        return delta * self._acc.dt_ms

    def __repr__(self) -> str:
        return f"<Integral of {' + '.join(self.names)} total={self.total:g} {self.unit}*ms>"


class Probe:
    """Current values of a fixed list of model variables, read without copying the model.

    Create with :meth:`Simulation.probe`; ``values()`` returns them as one array
    (cheap enough to call at every exchange of a co-simulation).  ``v`` and
    ``F`` are the simulation's voltage and float state arrays (updated in place).
    """

    def __init__(self, v: np.ndarray, F: tuple, terms: list[tuple[int, int]], names: list[str],
                 units: list[str]):  # fmt: skip
        self._v = v
        self._F = F
        self.names = names
        self.units = units
        self._v_idx = np.array([i for a, i in terms if a < 0], dtype=np.int64)
        self._v_pos = np.array([k for k, (a, _) in enumerate(terms) if a < 0], dtype=np.int64)
        groups: dict[int, list[tuple[int, int]]] = {}
        for k, (a, i) in enumerate(terms):
            if a >= 0:
                groups.setdefault(a, []).append((k, i))
        self._groups = [
            (
                a,
                np.array([k for k, _ in g], dtype=np.int64),
                np.array([i for _, i in g], dtype=np.int64),
            )
            for a, g in groups.items()
        ]
        self._n = len(terms)

    def values(self) -> np.ndarray:
        """The variables' values now, in the order given."""
        out = np.empty(self._n)
        if self._v_idx.size:
            out[self._v_pos] = self._v[self._v_idx]
        for aid, pos, idx in self._groups:
            out[pos] = self._F[aid][idx]
        return out

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"<Probe of {self._n} variables>"


class Recorder:
    """The traces and integrals of one simulation, and their arrays for the compiled loop.

    A variable is addressed as ``(aid, idx)``: ``aid`` -1 for the voltage
    ``v[idx]``, else the float array ``F[aid][idx]``.
    """

    def __init__(self, dt_ms: float) -> None:
        self.dt_ms = dt_ms
        self.traces: list[tuple[Trace, int, int]] = []
        self.acc = Accumulators(dt_ms)
        self.acc_terms: list[tuple[int, int, float, int]] = []  # (aid, idx, weight, slot)
        self.integrals: list[Integral] = []

    # ---------------------------------------------------------------- building
    def add_trace(self, trace: Trace, aid: int, idx: int) -> None:
        self.traces.append((trace, aid, idx))

    def add_integral(self, terms: list[tuple[int, int, float]], names: list[str],
                     unit: str) -> Integral:  # fmt: skip
        """A local integral of ``sum weight * F[aid][idx]`` (terms ``(aid, idx, weight)``)."""
        slot = self.acc.new_slot()
        self.acc_terms.extend((aid, idx, weight, slot) for aid, idx, weight in terms)
        integral = Integral(self.acc, slot, names, unit)
        self.integrals.append(integral)
        return integral

    def add_remote_integral(self, names: list[str], unit: str, owner: int) -> Integral:
        integral = Integral(None, -1, names, unit, owner)
        self.integrals.append(integral)
        return integral

    def aids(self) -> list[int]:
        """The arrays the traces and integrals read."""
        return [aid for _, aid, _ in self.traces] + [t[0] for t in self.acc_terms]

    # ---------------------------------------------------------------- running
    def every(self) -> int:
        """The sampling period of the compiled loop [steps]: gcd of the traces' periods."""
        if not self.traces:
            return 1
        return int(np.gcd.reduce([t.every for t, _, _ in self.traces]))

    def restart(self, sample) -> None:
        """At initialize: clear the traces, take their t = 0 samples, zero the integrals."""
        self.acc.out[:] = 0.0
        for integral in self.integrals:
            integral._taken = 0.0
        for trace, aid, idx in self.traces:
            trace._clear()
            trace._append(np.array([sample(aid, idx)]), np.array([0.0]))

    def loop_arrays(self, tick: int, nsteps: int):
        """(first, last, every, rec_out, rec_aid, rec_idx, acc) for ``nsteps`` from ``tick``."""
        every = self.every()
        first = tick // every + 1
        last = (tick + nsteps) // every
        nsamp = max(0, last - first + 1)
        rec_out = np.zeros((len(self.traces), nsamp))
        rec_aid = np.array([aid for _, aid, _ in self.traces], dtype=np.int64)
        rec_idx = np.array([idx for _, _, idx in self.traces], dtype=np.int64)
        terms = self.acc_terms
        acc = (
            np.array([t[0] for t in terms], dtype=np.int64),
            np.array([t[1] for t in terms], dtype=np.int64),
            np.array([t[2] for t in terms], dtype=np.float64),
            np.array([t[3] for t in terms], dtype=np.int64),
            self.acc.out if self.acc.out.size else np.zeros(1),
        )
        return first, last, every, rec_out, rec_aid, rec_idx, acc

    def store(self, first: int, last: int, every: int, rec_out: np.ndarray) -> None:
        """Append the samples of ticks ``first*every ... last*every`` to the traces."""
        if last < first:
            return
        ticks = np.arange(first, last + 1) * every
        for r, (trace, _, _) in enumerate(self.traces):
            step = trace.every // every
            sel = (ticks % trace.every) == 0 if step > 1 else slice(None)
            trace._append(rec_out[r][sel].copy(), ticks[sel] * self.dt_ms)

    # ---------------------------------------------------------------- state
    def state(self) -> dict:
        return {"acc_out": self.acc.out.copy(), "acc_taken": [i._taken for i in self.integrals]}

    def restore(self, st: dict) -> None:
        self.acc.out[:] = st["acc_out"]
        for integral, taken in zip(self.integrals, st["acc_taken"]):
            integral._taken = taken
