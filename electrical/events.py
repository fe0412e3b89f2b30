"""Input-event sources: spike-time arrays [ms] to feed :meth:`Simulation.connect`.

Every function returns a sorted 1-D float64 array of presynaptic spike times in ms,
to be used as ``sim.connect(synapse, times_ms, weight=..., delay_ms=...)``; the
connection delay is added by the simulation, not here.

- :func:`spike_times`: an explicit vector (NEURON's VecStim);
- :func:`regular_train`: ``number`` spikes from ``start_ms`` at a fixed interval or
  frequency (NEURON's NetStim with ``noise = 0``);
- :func:`poisson_train`: a homogeneous Poisson process on [start_ms, stop_ms) drawn
  from a seeded :class:`numpy.random.Generator`;
- :func:`timescales_stimulus`: the stimulus description of the TimeScales MSN model
  (Mattioni & Le Novere 2013; MODEL.md sections 5.2 and 8.4): ``t_stim`` [s],
  ``numbers``, inter-spike ``delay`` [s] (or a frequency); the spikes are at
  1000 t_stim + k 1000 delay ms for k = 1..numbers, i.e. the **first spike is at
  t_stim + delay**, computed by repeated addition as the original script does;
- :func:`merge_trains`: merge, de-duplicate and sort several trains (how the MSN model
  combines the stimuli of one synapse);
- :func:`timescales_inputs`: a list of stimulus descriptions -> times per synapse type.

>>> regular_train(start_ms=10.0, number=3, interval_ms=5.0)
array([10., 15., 20.])
>>> timescales_stimulus(t_stim_s=0.18, numbers=2, delay_s=0.05)
array([230., 280.])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from .errors import ModelError

__all__ = [
    "merge_trains",
    "poisson_train",
    "regular_train",
    "spike_times",
    "timescales_inputs",
    "timescales_stimulus",
]


def _finite(name: str, value, unit: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"{name} = {value!r} is not a number [{unit}]") from None
    if not math.isfinite(x):
        raise ModelError(f"{name} = {value!r} {unit} must be finite")
    return x


def _count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise ModelError(f"{name} = {value!r} must be a whole number of spikes")
    if value < 0:
        raise ModelError(f"{name} = {value} must be >= 0 (a number of spikes)")
    return int(value)


def _positive(name: str, value, unit: str) -> float:
    x = _finite(name, value, unit)
    if x <= 0:
        raise ModelError(f"{name} = {value!r} {unit} must be > 0")
    return x


def _interval_from(interval_ms, frequency_hz, where: str) -> float:
    """The inter-spike interval [ms] from exactly one of interval_ms / frequency_hz."""
    if (interval_ms is None) == (frequency_hz is None):
        raise ModelError(
            f"{where}: give exactly one of interval_ms and frequency_hz "
            f"(got interval_ms={interval_ms!r}, frequency_hz={frequency_hz!r})"
        )
    if interval_ms is not None:
        return _positive("interval_ms", interval_ms, "ms")
    # Hz = 1/s; 1000 ms per s
    return 1000.0 / _positive("frequency_hz", frequency_hz, "Hz")


def spike_times(times_ms: Iterable[float]) -> np.ndarray:
    """An explicit spike-time vector (NEURON's VecStim), validated and sorted.

    Parameters
    ----------
    times_ms : iterable of float
        Spike times [ms]; any order, duplicates kept (each is one event).

    Returns
    -------
    numpy.ndarray
        Sorted float64 spike times [ms].
    """
    try:
        seq = times_ms if isinstance(times_ms, np.ndarray) else list(times_ms)
        t = np.asarray(seq, dtype=float)
    except (TypeError, ValueError):
        raise ModelError(f"times_ms = {times_ms!r} is not a sequence of numbers [ms]") from None
    if t.ndim != 1:
        raise ModelError(f"times_ms must be one-dimensional, got shape {t.shape}")
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        raise ModelError(
            f"times_ms[{bad[0]}] = {t[bad[0]]} ms is not finite; spike times must be finite"
        )
    return np.sort(t)


def regular_train(
    start_ms: float,
    number: int,
    interval_ms: float | None = None,
    frequency_hz: float | None = None,
) -> np.ndarray:
    """``number`` spikes at ``start_ms + k*interval`` for k = 0..number-1 (NetStim, noise 0).

    Parameters
    ----------
    start_ms : float
        Time of the first spike [ms].
    number : int
        Number of spikes (>= 0).
    interval_ms : float, optional
        Inter-spike interval [ms] (> 0).
    frequency_hz : float, optional
        Frequency [Hz] (> 0); the interval is 1000/frequency_hz ms.  Give exactly one
        of ``interval_ms`` and ``frequency_hz``.

    Returns
    -------
    numpy.ndarray
        The spike times [ms].
    """
    start = _finite("start_ms", start_ms, "ms")
    n = _count("number", number)
    isi = _interval_from(interval_ms, frequency_hz, "regular_train")
    return start + isi * np.arange(n, dtype=float)


def poisson_train(
    rate_hz: float,
    start_ms: float,
    stop_ms: float,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """A homogeneous Poisson spike train on [start_ms, stop_ms).

    The number of spikes is Poisson with mean rate_hz*(stop_ms - start_ms)/1000, and
    the spikes are uniform on the interval (the conditional property of the Poisson
    process); the same seed gives the same train.

    Parameters
    ----------
    rate_hz : float
        Mean rate [Hz] (>= 0).
    start_ms, stop_ms : float
        Interval [ms]; ``stop_ms >= start_ms``.
    seed : int or numpy.random.Generator, optional
        Seed of :func:`numpy.random.default_rng`, or a generator to draw from.
        ``None`` draws fresh entropy (not reproducible).

    Returns
    -------
    numpy.ndarray
        Sorted spike times [ms].
    """
    rate = _finite("rate_hz", rate_hz, "Hz")
    if rate < 0:
        raise ModelError(f"rate_hz = {rate_hz!r} Hz must be >= 0")
    start = _finite("start_ms", start_ms, "ms")
    stop = _finite("stop_ms", stop_ms, "ms")
    if stop < start:
        raise ModelError(f"stop_ms = {stop_ms!r} ms is before start_ms = {start_ms!r} ms")
    if isinstance(seed, bool) or not (
        seed is None or isinstance(seed, (int, np.integer, np.random.Generator))
    ):
        raise ModelError(f"seed = {seed!r} must be an int, a numpy Generator or None")
    if isinstance(seed, (int, np.integer)) and seed < 0:
        raise ModelError(f"seed = {seed!r} must be >= 0")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    # Hz * ms / 1000 = expected count
    n = int(rng.poisson(rate * (stop - start) / 1000.0))
    t = start + (stop - start) * rng.random(n)
    return np.sort(t)


def timescales_stimulus(
    t_stim_s: float,
    numbers: int,
    delay_s: float | None = None,
    frequency_hz: float | None = None,
) -> np.ndarray:
    """Spike times [ms] of one TimeScales stimulus (MODEL.md 5.2).

    t_k = 1000 t_stim + k 1000 delay for k = 1..numbers: the first spike is one
    interval *after* ``t_stim``.  The times are built by repeated addition of
    1000*delay in double precision, as the original script does, so they may differ
    from exact multiples in the last bits.

    Parameters
    ----------
    t_stim_s : float
        Stimulus reference time [s] (NEURON time, so it includes the 100-ms
        equilibration of the original runs).
    numbers : int
        Number of spikes (>= 0).
    delay_s : float, optional
        Inter-spike interval [s] (> 0).  Despite its name, not an onset delay.
    frequency_hz : float, optional
        Frequency [Hz] (> 0); delay = 1/frequency.  Give exactly one of the two.

    Returns
    -------
    numpy.ndarray
        Spike times [ms] (without the 1-ms NetCon delay).
    """
    t0 = _finite("t_stim_s", t_stim_s, "s")
    n = _count("numbers", numbers)
    if (delay_s is None) == (frequency_hz is None):
        raise ModelError(
            "timescales_stimulus: give exactly one of delay_s and frequency_hz "
            f"(got delay_s={delay_s!r}, frequency_hz={frequency_hz!r})"
        )
    if delay_s is not None:
        step_ms = 1000.0 * _positive("delay_s", delay_s, "s")  # s -> ms
    else:
        step_ms = 1000.0 * (1.0 / _positive("frequency_hz", frequency_hz, "Hz"))
    out = np.empty(n)
    t = 1000.0 * t0  # s -> ms
    for k in range(n):
        t = t + step_ms
        out[k] = t
    return out


def merge_trains(*trains: Iterable[float]) -> np.ndarray:
    """Merge spike trains [ms] into one sorted array without duplicates (MODEL.md 5.2)."""
    parts = [spike_times(t) for t in trains]
    if not parts:
        return np.zeros(0)
    return np.unique(np.concatenate(parts))


_STIM_KEYS = {"t_stim", "numbers", "delay", "type"}


def timescales_inputs(stimuli: Iterable[Mapping]) -> dict[str, np.ndarray]:
    """Spike times [ms] per synapse type from TimeScales stimulus dictionaries.

    Parameters
    ----------
    stimuli : iterable of mapping
        Each ``{"t_stim": s, "numbers": n, "delay": s, "type": "ampa" | "nmda" | ...}``
        as in the original parameter files (MODEL.md 8.4).  An empty mapping (a
        non-stimulated "neighbour" spine) contributes nothing.

    Returns
    -------
    dict
        type -> merged, de-duplicated, sorted spike times [ms].
    """
    out: dict[str, list[np.ndarray]] = {}
    for i, st in enumerate(stimuli):
        if not isinstance(st, Mapping):
            raise ModelError(f"stimuli[{i}] = {st!r} must be a mapping")
        if not st:
            continue
        unknown = set(st) - _STIM_KEYS
        missing = _STIM_KEYS - set(st)
        if unknown or missing:
            raise ModelError(
                f"stimuli[{i}]: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}; "
                f"expected {sorted(_STIM_KEYS)}"
            )
        kind = st["type"]
        if not isinstance(kind, str) or not kind:
            raise ModelError(f"stimuli[{i}]['type'] = {kind!r} must be a synapse type name")
        times = timescales_stimulus(st["t_stim"], st["numbers"], delay_s=st["delay"])
        out.setdefault(kind, []).append(times)
    return {k: merge_trains(*v) for k, v in out.items()}
