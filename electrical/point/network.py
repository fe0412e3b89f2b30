"""Populations of point neurons, their input sources, connections and recorders.

A :class:`Network` holds populations (n neurons of one model), sources (Poisson,
spike generator, DC and step currents), connections and recorders, and runs them:
``net.run(t_ms)`` advances by ``t_ms`` with one compiled call per population and
chunk (no Python call per neuron or per step).  Times are on the resolution grid
(step k covers [k h, (k+1) h)); NEST's conventions (SEEDS.md 0.8):

- a spike emitted at time t through a connection of delay d arrives at t + d and is
  added to its receptor at the end of the step that contains the arrival
  (at ceil((t + d)/h) h); on the grid this is exactly t + d;
- a neuron's spike is reported at the end of the step in which V crossed theta;
- a current source acts on the steps whose start lies in [start_ms, stop_ms);
- the multimeter samples at the end of every ``interval_ms``.

Examples
--------
>>> from electrical import point
>>> net = point.Network(resolution_ms=0.1)
>>> pop = net.create(point.HTNeuron(), 1)
>>> conn = net.connect(net.dc_generator(30.0, start_ms=2.0), pop)
>>> sr = net.spike_recorder(pop)
>>> net.run(50.0)
>>> bool(len(sr.times_ms) > 0)
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from ..errors import (
    ElectricalError,
    ModelError,
    SimulationError,
    UnknownVariableError,
    did_you_mean,
)
from ..events import spike_times as _checked_times
from . import _ht_kernel as K
from .models import RECORDABLES, STATE_NAMES, HTNeuron

__all__ = [
    "Connection",
    "CurrentSource",
    "Multimeter",
    "Network",
    "PoissonGenerator",
    "Population",
    "SpikeGenerator",
    "SpikeRecorder",
    "UnknownReceptorError",
]

# Round-off allowance when mapping a time [ms] to a step index: a time within
# 1e-9 steps of a grid point is on that grid point (decimal ms are not exact in binary).
_GRID_TOL_STEPS = 1e-9
# Spikes kept per compiled call (bounds memory; a run is split into chunks that fit).
_SPIKE_BUFFER = 4_000_000
# Poisson trains are drawn in blocks of this length, each from its own seeded stream,
# so the trains do not depend on how a simulation is split into run() calls.
_POISSON_BLOCK_MS = 1000.0


class UnknownReceptorError(ElectricalError, LookupError):
    """A connection names a receptor port that the model does not have."""


def _ms(name: str, value, lo: float = -math.inf, strict: bool = False) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"{name} = {value!r} is not a number [ms]") from None
    if math.isnan(x) or (x <= lo if strict else x < lo):
        raise ModelError(f"{name} = {value!r} ms must be {'>' if strict else '>='} {lo} ms")
    return x


def _steps_ceil(t_ms: float, h: float) -> int:
    """Index of the first grid point at or after t (with round-off tolerance)."""
    if math.isinf(t_ms):
        return np.iinfo(np.int64).max // 4
    return math.ceil(t_ms / h - _GRID_TOL_STEPS)


class Population:
    """``n`` neurons of one model, with their state as one array per variable.

    Created by :meth:`Network.create`.  ``get(name)`` / ``set(name, values)`` read and
    write a state variable (:attr:`HTNeuron.states`) for all neurons [its unit].
    """

    def __init__(self, net: Network, model: HTNeuron, n: int, name: str):
        self.net = net
        self.model = model
        self.n = n
        self.name = name
        self.y = model.initial_state(n)
        self.h_int = np.full(n, net.resolution_ms)
        self.ref_steps = np.zeros(n, dtype=np.int64)
        self.cur_last = np.zeros((4, n))
        self.i_stim = np.zeros(n)
        self.v_clamp = np.full(n, np.nan)
        self._pending = (np.zeros(0, np.int64),) * 3 + (np.zeros(0),)
        self._multimeter: Multimeter | None = None
        self._spike_recorders: list[SpikeRecorder] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name} model={self.model.name} n={self.n}>"

    def __len__(self) -> int:
        return self.n

    @property
    def multimeter(self) -> Multimeter | None:
        """The population's :class:`Multimeter`, or None."""
        return self._multimeter

    @property
    def spike_recorders(self) -> tuple[SpikeRecorder, ...]:
        """The population's spike recorders (each holds every spike of the population)."""
        return tuple(self._spike_recorders)

    def _state_index(self, name: str) -> int:
        if name not in STATE_NAMES:
            raise UnknownVariableError(
                f"{self.model.name} has no state {name!r}" + did_you_mean(name, STATE_NAMES)
            )
        return STATE_NAMES.index(name)

    def get(self, name: str) -> np.ndarray:
        """A copy of state ``name`` for all neurons."""
        return self.y[self._state_index(name)].copy()

    def set(self, name: str, values) -> None:
        """Set state ``name`` (scalar or one value per neuron)."""
        k = self._state_index(name)
        arr = np.broadcast_to(np.asarray(values, dtype=float), (self.n,))
        if not np.all(np.isfinite(arr)):
            raise ModelError(f"{self.name}.{name}: values must be finite")
        if name == "D_IKNa" and np.any(arr <= 0):
            raise ModelError(f"{self.name}.D_IKNa must be > 0 (it is raised to a power)")
        self.y[k] = arr

    def equilibrate(self) -> None:
        """Set the gating variables to their steady state at the present V (NEST's flag)."""
        for key, val in self.model.equilibrium_gates(self.y[0]).items():
            self.y[STATE_NAMES.index(key)] = val


class PoissonGenerator:
    """Poisson spike trains: rate [Hz] on [start_ms, stop_ms), one independent train per target.

    ``seed`` (int) makes the trains reproducible; trains are drawn in blocks of
    1000 ms, block b of connection c from ``numpy.random.default_rng([seed, c, b])``.
    """

    def __init__(self, rate_hz: float, start_ms: float = 0.0, stop_ms: float = math.inf, seed=None):
        try:
            rate = float(rate_hz)
        except (TypeError, ValueError):
            raise ModelError(f"poisson_generator: rate_hz = {rate_hz!r} is not a number") from None
        if not (math.isfinite(rate) and rate >= 0):
            raise ModelError(f"poisson_generator: rate_hz = {rate_hz!r} Hz must be finite and >= 0")
        self.rate_hz = rate
        self.start_ms = _ms("poisson_generator.start_ms", start_ms, 0.0)
        self.stop_ms = _ms("poisson_generator.stop_ms", stop_ms, self.start_ms)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2**63))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ModelError(f"poisson_generator: seed = {seed!r} must be an int >= 0 or None")
        self.seed = int(seed)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} rate_hz={self.rate_hz} seed={self.seed}>"

    def _spikes(self, conn_id: int, n_targets: int, t0: float, t1: float):
        """(target, time) of the spikes in [t0, t1), sorted by target then time."""
        lo, hi = max(t0, self.start_ms), min(t1, self.stop_ms)
        tg, tt = [np.zeros(0, np.int64)], [np.zeros(0)]
        if hi <= lo or self.rate_hz == 0.0:
            return tg[0], tt[0]
        b0 = math.floor(lo / _POISSON_BLOCK_MS)
        b1 = math.ceil(hi / _POISSON_BLOCK_MS)
        for b in range(b0, b1):
            rng = np.random.default_rng([self.seed, conn_id, b])
            a = b * _POISSON_BLOCK_MS
            # Hz * ms / 1000 = expected count per target and block
            counts = rng.poisson(self.rate_hz * _POISSON_BLOCK_MS / 1000.0, size=n_targets)
            times = a + _POISSON_BLOCK_MS * rng.random(int(counts.sum()))
            tgt = np.repeat(np.arange(n_targets, dtype=np.int64), counts)
            keep = (times >= max(lo, a)) & (times < hi) & (times >= self.start_ms)
            tg.append(tgt[keep])
            tt.append(times[keep])
        tgt, times = np.concatenate(tg), np.concatenate(tt)
        order = np.lexsort((times, tgt))
        return tgt[order], times[order]


class SpikeGenerator:
    """Spikes at given times [ms], the same train to every target."""

    def __init__(self, times_ms: Iterable[float]):
        self.times_ms = _checked_times(times_ms)
        if self.times_ms.size and self.times_ms[0] < 0:
            raise ModelError(f"spike_generator: times_ms[0] = {self.times_ms[0]} ms must be >= 0")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} n_spikes={self.times_ms.size}>"

    def _spikes(self, conn_id: int, n_targets: int, t0: float, t1: float):
        t = self.times_ms[(self.times_ms >= t0) & (self.times_ms < t1)]
        tgt = np.repeat(np.arange(n_targets, dtype=np.int64), t.size)
        return tgt, np.tile(t, n_targets)


class CurrentSource:
    """A piecewise-constant stimulus current [mV; the model's current unit].

    ``amplitudes[k]`` acts on the steps starting in [times_ms[k], times_ms[k+1]);
    zero before times_ms[0].  DC: times (start, stop), amplitudes (A, 0).
    """

    def __init__(self, times_ms: Sequence[float], amplitudes: Sequence[float], kind: str):
        t = np.asarray(times_ms, dtype=float)
        a = np.asarray(amplitudes, dtype=float)
        if t.ndim != 1 or a.shape != t.shape:
            raise ModelError(f"{kind}: times_ms and amplitudes must be 1-D of the same length")
        if not (np.all(np.isfinite(a)) and np.all(~np.isnan(t))):
            raise ModelError(f"{kind}: amplitudes must be finite and times_ms numbers")
        if np.any(np.diff(t) < 0):
            raise ModelError(f"{kind}: times_ms must be non-decreasing")
        self.kind = kind
        self.times_ms = t
        self.amplitudes = a

    def __repr__(self) -> str:
        return f"<{type(self).__name__} kind={self.kind} n_changes={self.times_ms.size}>"

    def _changes(self, h: float) -> tuple[np.ndarray, np.ndarray]:
        """(step index from which each value holds, value); later duplicates win."""
        k = np.array([_steps_ceil(t, h) for t in self.times_ms], dtype=np.int64)
        keep = np.append(k[1:] != k[:-1], True) if k.size else np.zeros(0, bool)
        return k[keep], self.amplitudes[keep]

    def value_at_step(self, h: float, step: int) -> float:
        k, a = self._changes(h)
        i = np.searchsorted(k, step, side="right") - 1
        return float(a[i]) if i >= 0 else 0.0


class Connection:
    """source -> population (all neurons) with weight, delay [ms] and receptor port."""

    def __init__(self, cid, source, target, weight, delay_ms, receptor, neurons):
        self.id = cid
        self.source = source
        self.target = target
        self.weight = weight
        self.delay_ms = delay_ms
        self.receptor = receptor
        self.neurons = neurons
        self.generated_to_ms = target.net.t_ms

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} source={self.source!r} target={self.target.name} "
            f"weight={self.weight} delay_ms={self.delay_ms} receptor={self.receptor}>"
        )


class Multimeter:
    """Samples recordables of (some) neurons of a population every ``interval_ms``.

    After a run: ``times_ms`` (S,) and ``data[name]`` (S, R) for each name of
    ``record_from``, R = len(neurons) [units: :data:`RECORDABLES`].
    """

    def __init__(self, pop: Population, record_from, interval_ms: float, neurons):
        h = pop.net.resolution_ms
        self.population = pop
        self.record_from = tuple(record_from)
        for name in self.record_from:
            if name not in RECORDABLES:
                raise UnknownVariableError(
                    f"{pop.model.name} has no recordable {name!r}"
                    + did_you_mean(name, RECORDABLES)
                    + f" (recordables: {', '.join(RECORDABLES)})"
                )
        iv = _ms("multimeter.interval_ms", interval_ms, 0.0, strict=True)
        every = round(iv / h)
        if every < 1 or abs(every * h - iv) > _GRID_TOL_STEPS * h:
            raise ModelError(
                f"multimeter.interval_ms = {iv} ms is not a whole multiple of the resolution {h} ms"
            )
        self.interval_ms = iv
        self.every = every
        idx = np.arange(pop.n) if neurons is None else np.asarray(neurons, dtype=np.int64)
        if idx.ndim != 1 or idx.size == 0 or idx.min() < 0 or idx.max() >= pop.n:
            raise ModelError(f"multimeter: neurons must be indices in [0, {pop.n})")
        self.neurons = idx
        self._chunks: list[np.ndarray] = []
        self._times: list[np.ndarray] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} population={self.population.name} n={self.neurons.size}>"

    @property
    def times_ms(self) -> np.ndarray:
        return np.concatenate(self._times) if self._times else np.zeros(0)

    @property
    def data(self) -> dict[str, np.ndarray]:
        allv = (
            np.concatenate(self._chunks) if self._chunks else np.zeros((0, 10, self.neurons.size))
        )
        cols = list(RECORDABLES)
        return {name: allv[:, cols.index(name), :] for name in self.record_from}

    @property
    def units(self) -> dict[str, str]:
        return {name: RECORDABLES[name] for name in self.record_from}


class SpikeRecorder:
    """The spikes of a population: ``times_ms`` and ``senders`` (neuron index), time order."""

    def __init__(self, pop: Population):
        self.population = pop
        self._t: list[np.ndarray] = []
        self._s: list[np.ndarray] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} population={self.population.name}>"

    def _add(self, t, s):
        self._t.append(t)
        self._s.append(s)

    @property
    def times_ms(self) -> np.ndarray:
        return self._sorted()[0]

    @property
    def senders(self) -> np.ndarray:
        return self._sorted()[1]

    def _sorted(self):
        if not self._t:
            return np.zeros(0), np.zeros(0, np.int64)
        t, s = np.concatenate(self._t), np.concatenate(self._s)
        o = np.lexsort((s, t))
        return t[o], s[o]

    def spike_times(self, neuron: int = 0) -> np.ndarray:
        """Spike times [ms] of one neuron."""
        t, s = self._sorted()
        return t[s == neuron]


class Network:
    """Point-neuron populations with sources, connections and recorders.

    Parameters
    ----------
    resolution_ms : float
        The resolution step h [ms] (NEST default 0.1): inputs, thresholds and
        recordings are on this grid; inside it the adaptive RKF45 takes sub-steps.
    """

    def __init__(self, resolution_ms: float = 0.1):
        self.resolution_ms = _ms("resolution_ms", resolution_ms, 0.0, strict=True)
        self.step = 0
        self.populations: list[Population] = []
        self.connections: list[Connection] = []
        self._names: set[str] = set()

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} resolution_ms={self.resolution_ms} "
            f"n_populations={len(self.populations)} t_ms={self.t_ms}>"
        )

    @property
    def t_ms(self) -> float:
        """Current time [ms] (a whole number of resolution steps)."""
        return self.step * self.resolution_ms

    # -- building -----------------------------------------------------------------
    def create(self, model: HTNeuron, n: int = 1, name: str | None = None) -> Population:
        """A population of ``n`` neurons of ``model`` at its initial state (SEEDS.md 0.7)."""
        if not isinstance(model, HTNeuron):
            raise ModelError(
                f"create: model must be a point-neuron model such as HTNeuron(), got {model!r}"
            )
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ModelError(f"create: n = {n!r} must be a whole number >= 1")
        name = name or f"{model.name}_{len(self.populations)}"
        if name in self._names:
            raise ModelError(f"create: a population named {name!r} exists already")
        self._names.add(name)
        pop = Population(self, model, int(n), name)
        self.populations.append(pop)
        return pop

    def poisson_generator(self, rate_hz, start_ms=0.0, stop_ms=math.inf, seed=None):
        """A :class:`PoissonGenerator` (one independent train per target)."""
        return PoissonGenerator(rate_hz, start_ms, stop_ms, seed)

    def spike_generator(self, times_ms):
        """A :class:`SpikeGenerator` emitting at ``times_ms`` [ms]."""
        return SpikeGenerator(times_ms)

    def dc_generator(self, amplitude, start_ms=0.0, stop_ms=math.inf):
        """A constant current ``amplitude`` [mV] on [start_ms, stop_ms)."""
        start = _ms("dc_generator.start_ms", start_ms, 0.0)
        stop = _ms("dc_generator.stop_ms", stop_ms, start)
        return CurrentSource([start, stop], [amplitude, 0.0], "dc_generator")

    def step_current_generator(self, times_ms, amplitudes):
        """A step current: ``amplitudes[k]`` [mV] from ``times_ms[k]`` on."""
        return CurrentSource(times_ms, amplitudes, "step_current_generator")

    def connect(
        self,
        source,
        target: Population,
        weight: float = 1.0,
        delay_ms: float = 1.0,
        receptor: str | int | None = None,
        neurons=None,
    ) -> Connection:
        """Connect a source to (some) neurons of a population.

        Parameters
        ----------
        source : PoissonGenerator, SpikeGenerator or CurrentSource
        target : Population
        weight : float
            Synaptic weight (spikes; >= 0) or current factor (current sources).
        delay_ms : float
            Spike delay [ms], >= the resolution (default 1 ms); ignored for currents.
        receptor : str or int
            Receptor port by name ("AMPA", "NMDA", "GABA_A", "GABA_B") or NEST code 1-4;
            required for spike sources, not allowed for current sources.
        neurons : sequence of int, optional
            Indices in the population (default: all).
        """
        if not isinstance(target, Population) or target.net is not self:
            raise ModelError(f"connect: target {target!r} is not a population of this network")
        try:
            w = float(weight)
        except (TypeError, ValueError):
            raise ModelError(f"connect: weight = {weight!r} is not a number") from None
        if not math.isfinite(w):
            raise ModelError(f"connect: weight = {weight!r} must be finite")
        idx = np.arange(target.n) if neurons is None else np.asarray(neurons, dtype=np.int64)
        if idx.ndim != 1 or (idx.size and (idx.min() < 0 or idx.max() >= target.n)):
            raise ModelError(f"connect: neurons must be indices in [0, {target.n})")
        if isinstance(source, CurrentSource):
            if receptor is not None:
                raise ModelError(
                    f"connect: a {source.kind} injects a current, not spikes; drop receptor={receptor!r}"
                )
            rec = -1
            d = 0.0
        elif isinstance(source, (PoissonGenerator, SpikeGenerator)):
            rec = self._receptor(target, receptor)
            if w < 0:
                raise ModelError(
                    f"connect: weight = {w} must be >= 0 (ht_neuron conductances are "
                    "non-negative; use a GABA receptor for inhibition)"
                )
            h = self.resolution_ms
            d = _ms("connect: delay_ms", delay_ms, 0.0)
            if d < h * (1 - _GRID_TOL_STEPS):
                raise ModelError(
                    f"connect: delay_ms = {d} ms is shorter than the resolution {h} ms; use >= {h}"
                )
        else:
            raise ModelError(
                f"connect: source {source!r} must be a Poisson, spike or current generator"
            )
        c = Connection(len(self.connections), source, target, w, d, rec, idx)
        self.connections.append(c)
        return c

    def _receptor(self, target: Population, receptor) -> int:
        ports = target.model.receptors
        if receptor is None:
            raise ModelError(
                f"connect: give receptor= one of {', '.join(ports)} (ht_neuron has no port 0)"
            )
        if isinstance(receptor, (int, np.integer)) and not isinstance(receptor, bool):
            if receptor not in ports.values():
                raise UnknownReceptorError(
                    f"connect: receptor code {receptor} is not a port of {target.model.name} "
                    f"(codes {dict(ports)})"
                )
            return int(receptor) - 1
        if receptor not in ports:
            raise UnknownReceptorError(
                f"connect: {target.model.name} has no receptor {receptor!r}"
                + did_you_mean(str(receptor), ports)
                + f" (receptors: {', '.join(ports)})"
            )
        return ports[receptor] - 1

    def multimeter(
        self, pop: Population, record_from=tuple(RECORDABLES), interval_ms=0.1, neurons=None
    ):
        """A :class:`Multimeter` on ``pop`` (one per population)."""
        if pop._multimeter is not None:
            raise ModelError(f"multimeter: population {pop.name!r} has one already; use it")
        if self.step:
            raise SimulationError("multimeter: create recorders before the first run()")
        mm = Multimeter(pop, record_from, interval_ms, neurons)
        pop._multimeter = mm
        return mm

    def spike_recorder(self, pop: Population) -> SpikeRecorder:
        """A :class:`SpikeRecorder` on ``pop``."""
        sr = SpikeRecorder(pop)
        pop._spike_recorders.append(sr)
        return sr

    # -- running ------------------------------------------------------------------
    def run(self, t_ms: float) -> None:
        """Advance the network by ``t_ms`` (a whole number of resolution steps)."""
        h = self.resolution_ms
        t = _ms("run: t_ms", t_ms, 0.0)
        n = round(t / h)
        if abs(n * h - t) > _GRID_TOL_STEPS * h * max(1, n):
            raise ModelError(
                f"run: t_ms = {t} ms is not a whole number of resolution steps ({h} ms)"
            )
        if n == 0:
            return
        s0, s1 = self.step, self.step + n
        for pop in self.populations:
            self._run_population(pop, s0, s1)
        self.step = s1

    def _events(self, pop: Population, s0: int, s1: int):
        """CSR (ptr, step, receptor, weight) of the arrivals in (s0, s1]; the rest stays pending."""
        h = self.resolution_ms
        t1 = s1 * h
        tg, st, rc, ww = [pop._pending[0]], [pop._pending[1]], [pop._pending[2]], [pop._pending[3]]
        for c in self.connections:
            if c.target is not pop or c.receptor < 0:
                continue
            tgt, times = c.source._spikes(c.id, c.neurons.size, c.generated_to_ms, t1)
            c.generated_to_ms = t1
            arrive = np.ceil((times + c.delay_ms) / h - _GRID_TOL_STEPS).astype(np.int64)
            tg.append(c.neurons[tgt])
            st.append(arrive)
            rc.append(np.full(arrive.size, c.receptor, np.int64))
            ww.append(np.full(arrive.size, c.weight))
        tg, st, rc, ww = (np.concatenate(a) for a in (tg, st, rc, ww))
        now = st <= s1
        pop._pending = (tg[~now], st[~now], rc[~now], ww[~now])
        tg, st, rc, ww = tg[now], st[now], rc[now], ww[now]
        order = np.lexsort((st, tg))
        tg, st, rc, ww = tg[order], st[order], rc[order], ww[order]
        ptr = np.zeros(pop.n + 1, np.int64)
        np.cumsum(np.bincount(tg, minlength=pop.n), out=ptr[1:])
        return ptr, st, rc, ww

    def _currents(self, pop: Population, s0: int, s1: int):
        """Stimulus at step s0 per neuron, and CSR changes (ptr, step, value) in (s0, s1]."""
        h = self.resolution_ms
        base = np.zeros(pop.n)
        tg, st, dv = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
        for c in self.connections:
            if c.target is not pop or c.receptor >= 0:
                continue
            base[c.neurons] += c.weight * c.source.value_at_step(h, s0)
            k, a = c.source._changes(h)
            prev = np.concatenate(([0.0], a[:-1]))
            sel = (k > s0) & (k <= s1)
            for kk, delta in zip(k[sel], (a - prev)[sel]):
                tg.append(c.neurons)
                st.append(np.full(c.neurons.size, kk, np.int64))
                dv.append(np.full(c.neurons.size, c.weight * delta))
        tg, st, dv = (np.concatenate(a) for a in (tg, st, dv))
        order = np.lexsort((st, tg))
        tg, st, dv = tg[order], st[order], dv[order]
        val = np.empty(dv.size)
        ptr = np.zeros(pop.n + 1, np.int64)
        np.cumsum(np.bincount(tg, minlength=pop.n), out=ptr[1:])
        for j in np.unique(tg):
            a, b = ptr[j], ptr[j + 1]
            val[a:b] = base[j] + np.cumsum(dv[a:b])
        return base, ptr, st, val

    def _run_population(self, pop: Population, s0: int, s1: int) -> None:
        h = self.resolution_ms
        model = pop.model
        flags = np.array(
            [model.flag_values["voltage_clamp"], model.flag_values["instant_unblock_NMDA"]],
            dtype=np.int64,
        )
        if s0 == 0 or np.isnan(pop.v_clamp).any():
            pop.v_clamp = pop.y[0].copy()  # NEST: V at the start of the simulation
        if np.any(pop.y[STATE_NAMES.index("D_IKNa")] <= 0):
            raise ModelError(f"{pop.name}: D_IKNa must be > 0")
        ev_ptr, ev_step, ev_rec, ev_w = self._events(pop, s0, s1)
        base, cs_ptr, cs_step, cs_val = self._currents(pop, s0, s1)
        pop.i_stim[:] = base
        ev_pos = ev_ptr[:-1].copy()
        cs_pos = cs_ptr[:-1].copy()
        ref_count = round(model.values["t_ref"] / h)
        mm = pop._multimeter
        if mm is not None:
            rec_idx = mm.neurons
            every = mm.every
        else:
            rec_idx = np.zeros(0, np.int64)
            every = 1
        rec_slot = np.full(pop.n, -1, np.int64)
        rec_slot[rec_idx] = np.arange(rec_idx.size)
        per_neuron = max(1, ref_count + 1)
        chunk = max(1, min(s1 - s0, (_SPIKE_BUFFER // pop.n) * per_neuron - per_neuron))
        p = model.param_array()
        cond = model.cond_steps()
        s = s0
        while s < s1:
            m = min(chunk, s1 - s)
            cap = pop.n * (m // per_neuron + 1)
            spk_n = np.empty(cap, np.int64)
            spk_s = np.empty(cap, np.int64)
            n_samples = (s + m) // every - s // every
            rec_out = np.empty((n_samples if rec_idx.size else 0, len(RECORDABLES), rec_idx.size))
            nspk = K.run_population(
                pop.y, pop.h_int, pop.ref_steps, pop.cur_last, pop.i_stim, p, cond,
                ref_count, flags, pop.v_clamp, h, s, m,
                ev_ptr, ev_step, ev_rec, ev_w, ev_pos,
                cs_ptr, cs_step, cs_val, cs_pos,
                rec_idx, rec_slot, every, rec_out, spk_n, spk_s,
            )  # fmt: skip
            if mm is not None and n_samples:
                ends = (np.arange(n_samples) + s // every + 1) * every
                mm._times.append(ends * h)
                mm._chunks.append(rec_out)
            for sr in pop._spike_recorders:
                sr._add(spk_s[:nspk] * h, spk_n[:nspk].copy())
            s += m
