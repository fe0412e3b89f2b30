"""Current injection: ``IClamp`` (NEURON's) and ``PlayCurrent`` (a played time vector)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..errors import ModelError
from .base import Param, PointProcess, register


@njit(cache=True)
def _iclamp_current(t, v, delay, dur, amp, aux, celsius):
    # NEURON evaluates currents at t + dt/2: on for delay <= t < delay + dur.
    if t >= delay and t < delay + dur:
        return (amp,)
    return (0.0,)


@register
class IClamp(PointProcess):
    """Current pulse: ``amp`` nA from ``delay`` for ``dur`` ms (NEURON ``IClamp``)."""

    name = "IClamp"
    electrode = True
    params = {
        "delay": Param(0.0, "ms", (0.0, math.inf), "onset"),
        "dur": Param(0.0, "ms", (0.0, math.inf), "duration"),
        "amp": Param(0.0, "nA", doc="amplitude (positive depolarises)"),
    }
    currents = {"i": None}
    current = staticmethod(_iclamp_current)


@njit(cache=True)
def _play_current(t, v, offset, n, interpolate, aux, celsius):
    o = int(offset)
    m = int(n)
    # aux[o:o+m] are times [ms] (non-decreasing), aux[o+m:o+2m] currents [nA]
    if t < aux[o]:
        return (aux[o + m] if interpolate == 0.0 else aux[o + m],)
    if t >= aux[o + m - 1]:
        return (aux[o + 2 * m - 1],)
    lo = o
    hi = o + m - 1
    while hi - lo > 1:  # bisection: aux[lo] <= t < aux[hi]
        mid = (lo + hi) // 2
        if aux[mid] <= t:
            lo = mid
        else:
            hi = mid
    if interpolate == 0.0:
        return (aux[lo + m],)
    f = (t - aux[lo]) / (aux[hi] - aux[lo])
    return (aux[lo + m] + f * (aux[hi + m] - aux[lo + m]),)


@register
class PlayCurrent(PointProcess):
    """Inject a current that follows a time vector (NEURON ``Vector.play`` into IClamp.amp).

    Parameters (given to the constructor): ``times_ms`` and ``amps_nA`` (same
    length, times non-decreasing), ``interpolate`` (True: piecewise linear;
    False: each value holds until the next time).  The current is evaluated
    at the middle of each step, as NEURON evaluates IClamp, and holds the end
    values outside the vector.
    """

    name = "PlayCurrent"
    electrode = True
    params = {
        "offset": Param(0.0, "1", (0.0, math.inf), "internal: start of this vector in aux"),
        "n": Param(1.0, "1", (1.0, math.inf), "internal: number of samples"),
        "interpolate": Param(1.0, "1", (0.0, 1.0), "1 linear, 0 step"),
    }
    currents = {"i": None}
    current = staticmethod(_play_current)

    def __init__(self, times_ms=None, amps_nA=None, interpolate: bool = True) -> None:
        t = np.asarray(times_ms if times_ms is not None else [0.0], dtype=float)
        a = np.asarray(amps_nA if amps_nA is not None else [0.0], dtype=float)
        if t.ndim != 1 or t.shape != a.shape or t.size == 0:
            raise ModelError(
                f"PlayCurrent: times_ms ({t.shape}) and amps_nA ({a.shape}) must be "
                "non-empty 1-D arrays of the same length"
            )
        if np.any(np.diff(t) < 0) or not np.all(np.isfinite(t)) or not np.all(np.isfinite(a)):
            raise ModelError("PlayCurrent: times_ms must be finite and non-decreasing")
        super().__init__(n=float(t.size), interpolate=1.0 if interpolate else 0.0)
        self.times_ms, self.amps_nA = t, a

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        chunks, off = [], 0
        for inst in instances:
            spec = inst.spec
            # where this instance's table starts in this build's aux: written before
            # the build reads the parameters (bookkeeping, not a user's parameter edit)
            spec.values["offset"] = float(off)
            chunks += [spec.times_ms, spec.amps_nA]
            off += 2 * spec.times_ms.size
        return np.concatenate(chunks) if chunks else np.zeros(1)
