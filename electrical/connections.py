"""Connections and the event queue: input events to point processes.

An :class:`EventQueue` holds the connections' weights and the pending events
of one simulation, sorted into the arrays the compiled loop delivers from
(:meth:`EventQueue.arrays`).  A :class:`Connection` reads and writes its
weight and its events through the queue only.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .errors import ModelError

if TYPE_CHECKING:
    from .morphology import PointInstance

__all__ = ["Connection", "EventQueue"]

#: An event: (time [ms], block, instance in the block, connection index); block and
#: instance are -1 for a target another rank computes.
Event = tuple[float, int, int, int]


class EventQueue:
    """The connection weights and events of one simulation.

    ``local`` events have their target on this rank (delivered by the compiled
    loop); ``remote`` ones are kept so that every rank knows every
    connection's arrival times.  ``ptr[0]`` is the next event to deliver.
    """

    def __init__(self) -> None:
        self.weights = np.zeros(0)
        self.local: list[Event] = []
        self.remote: list[Event] = []
        self.ptr = np.zeros(1, dtype=np.int64)
        self._arrays = None
        self._dirty = True

    def new_connection(self) -> int:
        """Index of a new connection (weight 0)."""
        self.weights = np.append(self.weights, 0.0)
        return self.weights.size - 1

    def weight(self, index: int) -> float:
        return float(self.weights[index])

    def set_weight(self, index: int, value: float) -> None:
        self.weights[index] = value

    def add(self, times_ms: np.ndarray, block: int, inst: int, index: int, local: bool) -> None:
        """Events of connection ``index`` at ``times_ms`` (delay included)."""
        if not local:
            self.remote.extend((float(t), block, inst, index) for t in times_ms)
            return
        self.local.extend((float(t), block, inst, index) for t in times_ms)
        self._dirty = True

    def invalidate(self) -> None:
        """Re-sort and re-position before the next run (after initialize or restore)."""
        self._dirty = True

    def arrays(self, clock_ms: float, started: bool):
        """(time, block, inst, conn) arrays sorted by time then connection; sets ``ptr``.

        Delivered so far: every event up to NEURON's clock ``clock_ms``
        (nothing before the first step, ``started`` False).
        """
        if self._dirty:
            ev = sorted(self.local, key=lambda e: (e[0], e[3]))
            te = np.array([e[0] for e in ev], dtype=np.float64)
            self._arrays = (
                te,
                np.array([e[1] for e in ev], dtype=np.int64),
                np.array([e[2] for e in ev], dtype=np.int64),
                np.array([e[3] for e in ev], dtype=np.int64),
            )
            done = int(np.searchsorted(te, clock_ms, side="right")) if started else 0
            self.ptr[0] = done
            self._dirty = False
        return self._arrays

    def arrival_times(self, index: int) -> np.ndarray:
        """Sorted times [ms] of the events of connection ``index`` (local and remote)."""
        times = [e[0] for e in self.local + self.remote if e[3] == index]
        return np.sort(np.asarray(times, dtype=float))

    def next_time(self, after_ms: float) -> float | None:
        """Time [ms] of the earliest local event later than ``after_ms``, or None."""
        later = [t for t, *_ in self.local if t > after_ms]
        return min(later) if later else None

    def state(self) -> dict:
        return {
            "conn_weight": self.weights.copy(),
            "events": list(self.local),
            "remote_events": list(self.remote),
        }

    def restore(self, st: dict) -> None:
        self.weights = st["conn_weight"].copy()
        self.local = list(st["events"])
        self.remote = list(st.get("remote_events", []))
        self._dirty = True


class Connection:
    """Input events to one point process; ``weight`` may change between advances."""

    def __init__(self, queue: EventQueue, index: int, target: PointInstance, delay_ms: float):
        self._queue = queue
        self.index = index
        self.target = target
        self.delay_ms = delay_ms

    @property
    def weight(self) -> float:
        return self._queue.weight(self.index)

    @weight.setter
    def weight(self, value: float) -> None:
        value = float(value)
        if not math.isfinite(value):
            raise ModelError(f"connection to {self.target.name}: weight {value} is not finite")
        self._queue.set_weight(self.index, value)

    @property
    def arrival_times_ms(self) -> np.ndarray:
        """Sorted times [ms] at which this connection's events reach the target (spike + delay)."""
        return self._queue.arrival_times(self.index)

    def __repr__(self) -> str:
        return f"<Connection target={self.target.name} weight={self.weight:g}>"
