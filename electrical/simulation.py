"""Running a model: state arrays, fixed-step advance, recording, events, save/restore.

>>> from electrical import Cell, Simulation, IClamp
>>> cell = Cell("ball")
>>> soma = cell.section("soma", L=20, diam=20)
>>> _ = soma.insert("hh")
>>> _ = cell.place(soma(0.5), IClamp(delay=1, dur=1, amp=0.5))
>>> sim = Simulation(cell, dt_ms=0.025, celsius=6.3)
>>> v = sim.record("v", soma(0.5))
>>> sim.initialize(v_init_mV=-65.0)
>>> sim.advance(5.0)
>>> round(float(v.values.max()), 1) > 0  # it spiked
True

Under MPI, pass a communicator (``comm=``; duck-typed: ``Get_rank()``,
``Get_size()``, ``Allreduce`` (sum) of numpy buffers and the object collectives
``allgather``, ``gather``, as mpi4py's; :mod:`multiscale.distribute` gives
one).  Every rank builds the same model and makes the same calls; the model is
distributed by :func:`electrical._split.partition`: whole cells when there are
at least as many cells as ranks, otherwise every cell is split into a trunk
(computed by every rank) and subtrees (each computed by one rank), coupled at
every step by one ``Allreduce`` of four numbers per subtree root; the trunk
then repeats the serial solver's operations in its order, so a split run gives
the serial run's numbers bit for bit.  Calls about a location another rank computes
still work: ``record`` returns a :class:`Trace` that stays empty here (its
``owner`` rank fills it; :meth:`Simulation.gather_trace` brings it to one
rank), ``set`` is applied by the owner only, ``connect`` delivers on the
owner.  :meth:`Simulation.owns` tells whether this rank computes a location.
"""

from __future__ import annotations

import math
import pickle
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from common.steps import whole_steps

from . import codegen
from ._split import Partition, partition, serial_root_sections, split_slots
from .discretize import CompiledTree, compile_tree
from .errors import (
    ModelError,
    SimulationError,
    UnknownParameterError,
    UnknownVariableError,
    did_you_mean,
)
from .mechanisms.base import ION_TABLE, ion_of_variable
from .morphology import Cell, Location, PointInstance

__all__ = ["Simulation", "Trace", "Integral", "Probe", "Connection", "METHODS"]

#: Integration methods: NEURON ``secondorder`` 0 (backward Euler) and 2 (Crank-Nicolson).
METHODS = {"backward_euler": 1.0, "crank_nicolson": 2.0}


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

    def __repr__(self) -> str:
        return f"<Trace name={self.name} unit={self.unit} n_samples={self.values.size}>"


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
        self, sim: Simulation, slot: int, names: list[str], unit: str, owner: int = 0
    ):
        self._sim = sim
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
        return float(self._sim._acc_out[self.slot]) * self._sim.dt_ms

    def take(self) -> float:
        """The integral since the previous ``take`` (or initialize) [unit * ms]."""
        if self.slot < 0:
            return math.nan
        now = float(self._sim._acc_out[self.slot])
        delta = now - self._taken
        self._taken = now
        return delta * self._sim.dt_ms

    def __repr__(self) -> str:
        return f"<Integral of {' + '.join(self.names)} total={self.total:g} {self.unit}*ms>"


class Probe:
    """Current values of a fixed list of model variables, read without copying the model.

    Create with :meth:`Simulation.probe`; ``values()`` returns them as one array
    (cheap enough to call at every exchange of a co-simulation).
    """

    def __init__(self, sim: Simulation, terms: list[tuple[int, int]], names: list[str],
                 units: list[str]):  # fmt: skip
        self._sim = sim
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
            out[self._v_pos] = self._sim.v[self._v_idx]
        for aid, pos, idx in self._groups:
            out[pos] = self._sim._F[aid][idx]
        return out

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"<Probe of {self._n} variables>"


class Connection:
    """Input events to one point process; ``weight`` may change between advances."""

    def __init__(self, sim: Simulation, index: int, target: PointInstance, delay_ms: float):
        self._sim = sim
        self.index = index
        self.target = target
        self.delay_ms = delay_ms

    @property
    def weight(self) -> float:
        return float(self._sim._conn_weight[self.index])

    @weight.setter
    def weight(self, value: float) -> None:
        value = float(value)
        if not math.isfinite(value):
            raise ModelError(f"connection to {self.target.name}: weight {value} is not finite")
        self._sim._conn_weight[self.index] = value

    @property
    def arrival_times_ms(self) -> np.ndarray:
        """Sorted times [ms] at which this connection's events reach the target (spike + delay)."""
        events = self._sim._events + self._sim._remote_events
        times = [e[0] for e in events if e[3] == self.index]
        return np.sort(np.asarray(times, dtype=float))

    def __repr__(self) -> str:
        return f"<Connection target={self.target.name} weight={self.weight:g}>"


class Simulation:
    """A compiled model with its state, advanced in fixed steps of ``dt_ms``.

    Parameters
    ----------
    cells : Cell or sequence of Cell
        The model.
    dt_ms : float
        Time step [ms].
    method : {"backward_euler", "crank_nicolson"}
        NEURON ``secondorder`` 0 or 2.
    celsius : float
        Temperature [degC] (NEURON's default 6.3).
    mech_globals : dict, optional
        Mechanism-wide settings, e.g. ``{"hh": {"usetable": 0}}`` for exact rates.
    comm : communicator, optional
        MPI communicator (see the module docstring); None or one rank: serial.

    Attributes
    ----------
    partition : electrical._split.Partition
        Which rank computes which section.
    rank_loads : list of dict
        Per rank: ``compartments``, ``cost`` (estimated), ``subtrees``,
        ``trunk_compartments`` (see :class:`electrical._split.Partition`).
    """

    def __init__(
        self,
        cells: Cell | Sequence[Cell],
        dt_ms: float = 0.025,
        method: str = "backward_euler",
        celsius: float = 6.3,
        mech_globals: dict[str, dict[str, float]] | None = None,
        comm=None,
    ) -> None:
        cells = [cells] if isinstance(cells, Cell) else list(cells)
        if not cells or not all(isinstance(c, Cell) for c in cells):
            raise ModelError(f"Simulation needs one or more Cell objects, got {cells!r}")
        try:
            dt = float(dt_ms)
        except (TypeError, ValueError):
            raise ModelError(f"dt_ms = {dt_ms!r} is not a number [ms]") from None
        if not (dt > 0 and math.isfinite(dt)):
            raise ModelError(f"dt_ms = {dt_ms!r} ms: the time step must be positive and finite")
        if method not in METHODS:
            raise ModelError(
                f"method = {method!r}{did_you_mean(method, METHODS)}; use one of {list(METHODS)}"
            )
        if not math.isfinite(float(celsius)):
            raise ModelError(f"celsius = {celsius!r} is not a finite temperature [degC]")
        self.dt_ms = dt
        self.method = method
        self.celsius = float(celsius)
        self.cells = cells
        self.comm = comm
        self.rank = int(comm.Get_rank()) if comm is not None else 0
        self.nranks = int(comm.Get_size()) if comm is not None else 1
        serial = None
        required = []
        if 1 < self.nranks and len(cells) < self.nranks:  # cells will be split
            # the serial solver's tree: the split solver repeats its operations exactly
            serial = compile_tree(cells, self.celsius, mech_globals, mechanisms=False)
            required = serial_root_sections(serial)
        self.partition: Partition = partition(cells, self.nranks, required)
        self.rank_loads = self.partition.loads
        if self.nranks > 1:
            sigs = comm.allgather(self.partition.signature())
            if any(sig != sigs[0] for sig in sigs):
                raise ModelError(
                    f"rank {self.rank}: the ranks built different models (partition summaries "
                    f"{sigs}); every rank must build the same cells"
                )
        sections = trunk = None
        local_cells = cells
        if self.partition.mode == "cells":
            local_cells = [c for c in cells if self.partition.owner_of(c.root()) == self.rank]
        elif self.partition.mode == "split":
            sections = {
                id(s) for c in cells for s in c.sections if self.partition.computes(s, self.rank)
            }
            trunk = self.partition.trunk
        self.local_cells = local_cells
        self.tree: CompiledTree = compile_tree(
            local_cells, self.celsius, mech_globals, sections=sections, trunk=trunk,
            serial=serial,
        )
        self.split = self.partition.mode == "split"
        if self.split:
            self._slot_of_root, self._slot_parent, self._tseq = split_slots(
                serial, self.tree, self.partition, self.rank
            )
            self._xch = np.zeros(4 * self._slot_parent.size)
        self._xkey = id(self)
        self.layout = codegen.build_layout(self.tree)
        self._mod = codegen.load_step_module(self.layout)
        n = self.tree.n
        self.v = np.zeros(n)
        self._rhs = np.zeros(n)
        self._d = np.zeros(n)
        self._F = tuple(np.ascontiguousarray(x, dtype=np.float64) for x in self.layout.F)
        self._I = tuple(np.ascontiguousarray(x, dtype=np.int64) for x in self.layout.I)
        if not self._I:
            self._I = (np.zeros(0, dtype=np.int64),)
        self._F0 = [x.copy() for x in self._F]  # parameter values at build time
        self.tick = 0
        self._tclock = np.zeros(1)  # NEURON's running-sum clock [ms]
        self._initialized = False
        self._traces: list[tuple[Trace, int, int]] = []
        self._acc_terms: list[tuple[int, int, float, int]] = []  # (aid, idx, weight, slot)
        self._acc_out = np.zeros(0)
        self._integrals: list[Integral] = []
        # events
        self._conn_weight = np.zeros(0)
        self._connections: list[Connection] = []
        self._events: list[tuple[float, int, int, int]] = []  # (time, block, inst, conn)
        self._remote_events: list[tuple[float, int, int, int]] = []  # targets on other ranks
        self._ev_dirty = True
        self._ev_ptr = np.zeros(1, dtype=np.int64)
        self._ev_arrays = None
        for blk in self.tree.blocks:
            for inst in blk.instances:
                inst._sim = self

    def __repr__(self) -> str:
        mpi = f" rank={self.rank}/{self.nranks} mode={self.partition.mode}" if self.nranks > 1 else ""
        return (
            f"<Simulation n_cells={len(self.cells)} n_nodes={self.tree.n} "
            f"t_ms={self.t_ms:g} dt_ms={self.dt_ms:g} method={self.method}{mpi}>"
        )

    # ------------------------------------------------------------------ MPI
    @staticmethod
    def _section_of(where) -> object:
        if isinstance(where, PointInstance):
            return where.location.section
        if isinstance(where, Location):
            return where.section
        return where

    def owns(self, where: Location | PointInstance) -> bool:
        """True when this rank computes ``where`` (always without MPI; the trunk on every rank)."""
        return self.partition.computes(self._section_of(where), self.rank)

    def owner(self, where: Location | PointInstance) -> int:
        """The rank whose values of ``where`` are authoritative (0 for the replicated trunk)."""
        return max(self.partition.owner_of(self._section_of(where)), 0)

    def gather_trace(self, trace: Trace, root: int = 0) -> Trace | None:
        """Bring a trace from the rank that fills it to ``root``.

        Collective: every rank must call it with its copy of the trace (the
        one ``record`` returned there).  Returns a filled :class:`Trace` on
        ``root`` and None elsewhere; without MPI, the trace itself.
        """
        if self.nranks == 1:
            return trace
        mine = (trace.values, trace.t_ms) if self.rank == trace.owner else None
        got = self.comm.gather(mine, root=root)
        if self.rank != root:
            return None
        values, t_ms = got[trace.owner]
        return Trace(trace.name, trace.unit, trace.every, [values], [t_ms], trace.owner, True)

    def _remote_check(self, what: str, where) -> tuple[str, str]:
        """(name, unit) of a variable at a location another rank computes; validates names."""
        if isinstance(where, PointInstance):
            if not any(where in c.point_processes for c in self.cells):
                raise UnknownVariableError(f"{where.name} is not part of this simulation")
            cls = where.mech
            if what not in cls.variables():
                raise UnknownVariableError(
                    f"record('{what}', {where.name}): no such variable"
                    f"{did_you_mean(what, cls.variables())}; {cls.name} has {cls.variables()}"
                )
            unit = "nA" if what in cls.currents else {**cls.params, **cls.states}[what].unit
            return f"{where.name}.{what}", unit
        if not isinstance(where, Location):
            raise UnknownVariableError(f"record('{what}', {where!r}): where must be sec(x)")
        self.partition.owner_of(where.section)  # raises if not in the model
        if what == "v":
            return f"{where}.v", "mV"
        if "." not in what:
            _, kind = ion_of_variable(what)
            return f"{where}.{what}", {"e": "mV", "i": "mM", "o": "mM", "cur": "mA/cm2"}[kind]
        mech, _, var = what.partition(".")
        if mech not in where.section.mechs:
            raise UnknownVariableError(
                f"record('{what}', {where}): mechanism '{mech}' is not present at {where}"
            )
        cls = where.section.mechanism_class(mech)
        if var not in cls.variables():
            raise UnknownVariableError(
                f"record('{what}', {where}): mechanism '{mech}' has no variable '{var}'"
                f"{did_you_mean(var, cls.variables())}; it has {cls.variables()}"
            )
        unit = "mA/cm2" if var in cls.currents else {**cls.params, **cls.states}[var].unit
        return f"{where}.{what}", unit

    # ------------------------------------------------------------------ time
    @property
    def t_ms(self) -> float:
        """Current time [ms] (an integer number of steps)."""
        return self.tick * self.dt_ms

    @property
    def n_segments(self) -> int:
        """Segments this rank computes (all of them without MPI)."""
        return int(sum(s.nseg for s in self.tree.sections))

    def initialize(self, v_init_mV: float = -65.0) -> None:
        """Set t = 0 and v = v_init everywhere, then every mechanism's initial state."""
        v0 = float(v_init_mV)
        if not math.isfinite(v0):
            raise ModelError(f"v_init_mV = {v_init_mV!r} is not finite")
        for arr, arr0 in zip(self._F, self._F0):
            arr[:] = arr0
        self.v[:] = v0
        self.tick = 0
        self._tclock[0] = 0.0
        self._mod.initialize(0.0, self.v, self._F, self._I, self.celsius)
        self._initialized = True
        self._ev_dirty = True
        self._acc_out[:] = 0.0
        for integral in self._integrals:
            integral._taken = 0.0
        for trace, aid, idx in self._traces:
            trace._chunks.clear()
            trace._t.clear()
            trace._chunks.append(np.array([self._probe(aid, idx)]))
            trace._t.append(np.array([0.0]))

    def _probe(self, aid: int, idx: int) -> float:
        return float(self.v[idx] if aid < 0 else self._F[aid][idx])

    def advance(self, t_stop_ms: float) -> None:
        """Integrate to ``t_stop_ms`` (rounded to a whole number of steps) in compiled code."""
        if not self._initialized:
            raise SimulationError("call initialize(v_init_mV) before advance()")
        try:
            t_stop_ms = float(t_stop_ms)
        except (TypeError, ValueError):
            raise ModelError(f"t_stop_ms = {t_stop_ms!r} is not a number [ms]") from None
        if not math.isfinite(t_stop_ms):
            raise ModelError(f"t_stop_ms = {t_stop_ms} ms is not finite")
        target = whole_steps(t_stop_ms, self.dt_ms)
        if target is None:
            raise ModelError(
                f"t_stop_ms = {t_stop_ms} ms is not a whole number of steps of dt = {self.dt_ms} ms"
            )
        nsteps = target - self.tick
        if nsteps < 0:
            raise SimulationError(
                f"t_stop_ms = {t_stop_ms} ms is before the current time {self.t_ms} ms"
            )
        if nsteps == 0:
            return
        self._run(nsteps)

    def advance_steps(self, nsteps: int) -> None:
        """Integrate ``nsteps`` steps."""
        if not self._initialized:
            raise SimulationError("call initialize(v_init_mV) before advance_steps()")
        if nsteps > 0:
            self._run(int(nsteps))

    def _run(self, nsteps: int) -> None:
        every = self._rec_every()
        nrec = len(self._traces)
        first = self.tick // every + 1
        last = (self.tick + nsteps) // every
        nsamp = max(0, last - first + 1)
        rec_out = np.zeros((nrec, nsamp))
        rec_aid = np.array([aid for _, aid, _ in self._traces], dtype=np.int64)
        rec_idx = np.array([idx for _, _, idx in self._traces], dtype=np.int64)
        ev = self._event_arrays()
        terms = self._acc_terms
        acc = (
            np.array([t[0] for t in terms], dtype=np.int64),
            np.array([t[1] for t in terms], dtype=np.int64),
            np.array([t[2] for t in terms], dtype=np.float64),
            np.array([t[3] for t in terms], dtype=np.int64),
            self._acc_out if self._acc_out.size else np.zeros(1),
        )
        cj = METHODS[self.method] / self.dt_ms
        if self.split:
            self._run_split(nsteps, cj, ev, rec_aid, rec_idx, rec_out, every, acc)
        else:
            self._mod.run(
                nsteps,
                *self._step_args(cj, ev, rec_aid, rec_idx, rec_out, every, acc),
            )
        if nsamp:
            ticks = np.arange(first, last + 1) * every
            for r, (trace, _, _) in enumerate(self._traces):
                step = trace.every // every
                sel = (ticks % trace.every) == 0 if step > 1 else slice(None)
                trace._chunks.append(rec_out[r][sel].copy())
                trace._t.append(ticks[sel] * self.dt_ms)
        self.tick += nsteps

    def _run_split(self, nsteps, cj, ev, rec_aid, rec_idx, rec_out, every, acc) -> None:
        """Split-cell steps: subtrees, one collective of the trunk terms, trunk and the rest.

        One compiled loop (``run_split``); at each step it calls back into Python
        (numba object mode, about 2 us) for the collective.
        """
        codegen._exchangers[self._xkey] = weakref.WeakMethod(self._exchange)
        self._mod.run_split(
            nsteps,
            *self._step_args(cj, ev, rec_aid, rec_idx, rec_out, every, acc),
            self._xch,
            self.tree.ntrunk,
            self.tree.nsr,
            self._slot_of_root,
            self._slot_parent,
            self._tseq,
            self._xkey,
        )

    def _exchange(self, buf: np.ndarray) -> None:
        """Sum the subtree-root slots over the ranks, in place (one ``Allreduce``).

        Every slot has one owner and zeros elsewhere, so the sum is exact and
        the same on every rank whatever order the MPI library adds in.
        """
        self.comm.Allreduce(buf.copy(), buf)

    def _step_args(self, cj, ev, rec_aid, rec_idx, rec_out, every, acc) -> tuple:
        return (
            self.tick,
            self.dt_ms,
            self.celsius,
            0.001 * cj,
            METHODS[self.method],
            self.v,
            self._rhs,
            self._d,
            self.tree.a,
            self.tree.b,
            self.tree.parent,
            self.tree.cm,
            self.tree.ncell,
            self._F,
            self._I,
            self._tclock,
            *ev,
            self._conn_weight if self._conn_weight.size else np.zeros(1),
            self._ev_ptr,
            rec_aid,
            rec_idx,
            rec_out,
            every,
            self._keep_currents(),
            *acc,
        )

    # ------------------------------------------------------------------ recording
    def _keep_currents(self) -> bool:
        """True when a recorded variable is a mechanism or ion current (stored only then)."""
        names = self.layout.names_F
        aids = [aid for _, aid, _ in self._traces] + [t[0] for t in self._acc_terms]
        return any(
            aid >= 0
            and (
                names[aid].startswith("ion.")
                and names[aid].endswith(".cur")
                or self._is_current_slot(aid)
            )
            for aid in aids
        )

    def _is_current_slot(self, aid: int) -> bool:
        return any(aid in e["currents"].values() for e in self.layout.blocks)

    def _rec_every(self) -> int:
        if not self._traces:
            return 1
        return int(np.gcd.reduce([t.every for t, _, _ in self._traces]))

    def _resolve(
        self, what: str, where: Location | PointInstance | None
    ) -> tuple[int, int, str, str]:
        """(array id, index, full name, unit) of a recordable variable."""
        if isinstance(where, PointInstance):
            return self._resolve_point(where, what)
        if where is None:
            pp = self._find_point(what.rpartition(".")[0]) if "." in what else None
            if pp is not None:
                return self._resolve_point(pp, what.rpartition(".")[2])
            raise UnknownVariableError(
                f"record('{what}'): give a location, e.g. record('{what}', soma(0.5)), or a "
                "point process"
            )
        if not isinstance(where, Location):
            raise UnknownVariableError(f"record('{what}', {where!r}): where must be sec(x)")
        node = self.tree.node_of(where)
        if what == "v":
            return -1, node, f"{where}.v", "mV"
        if "." not in what:
            try:
                ion, kind = ion_of_variable(what)
            except UnknownParameterError:
                raise UnknownVariableError(
                    f"record('{what}', {where}): no such variable"
                    f"{did_you_mean(what, self._names_at(where))}; known here: "
                    f"{self._names_at(where)}"
                ) from None
            if ion not in self.tree.ions:
                raise UnknownVariableError(
                    f"record('{what}', {where}): no mechanism in the model uses ion '{ion}'"
                )
            unit = {"e": "mV", "i": "mM", "o": "mM", "cur": "mA/cm2"}[kind]
            return self.layout.ion_slot[(ion, kind)], node, f"{where}.{what}", unit
        mech, _, var = what.partition(".")
        for bi, blk in enumerate(self.tree.blocks):
            if blk.cls.name != mech or blk.cls.is_point:
                continue
            hit = np.nonzero(blk.nodes == node)[0]
            if hit.size == 0:
                break
            e = self.layout.blocks[bi]
            for group, unitof in (("states", blk.cls.states), ("params", blk.cls.params)):
                if var in e[group]:
                    return e[group][var], int(hit[0]), f"{where}.{what}", unitof[var].unit
            if var in e["currents"]:
                return e["currents"][var], int(hit[0]), f"{where}.{what}", "mA/cm2"
            raise UnknownVariableError(
                f"record('{what}', {where}): mechanism '{mech}' has no variable '{var}'"
                f"{did_you_mean(var, blk.cls.variables())}; it has {blk.cls.variables()}"
            )
        raise UnknownVariableError(
            f"record('{what}', {where}): mechanism '{mech}' is not present at {where}"
            f"{did_you_mean(what, self._names_at(where))}"
        )

    def _names_at(self, where: Location) -> list[str]:
        node = self.tree.node_of(where)
        names = ["v", *(v for ion in self.tree.ions for v in ION_TABLE[ion].variables())]
        for blk in self.tree.blocks:
            if not blk.cls.is_point and np.any(blk.nodes == node):
                names += [f"{blk.cls.name}.{v}" for v in blk.cls.variables()]
        return names

    def _find_point(self, name: str) -> PointInstance | None:
        for blk in self.tree.blocks:
            for inst in blk.instances:
                if inst.name == name:
                    return inst
        return None

    def _point_slot(self, inst: PointInstance) -> tuple[int, int]:
        for bi, blk in enumerate(self.tree.blocks):
            for j, other in enumerate(blk.instances):
                if other is inst:
                    return bi, j
        raise UnknownVariableError(f"{inst.name} is not part of this simulation")

    def _resolve_point(self, inst: PointInstance, var: str) -> tuple[int, int, str, str]:
        bi, j = self._point_slot(inst)
        e = self.layout.blocks[bi]
        cls = inst.mech
        if var in e["states"]:
            return e["states"][var], j, f"{inst.name}.{var}", cls.states[var].unit
        if var in e["params"]:
            return e["params"][var], j, f"{inst.name}.{var}", cls.params[var].unit
        if var in e["currents"]:
            return e["currents"][var], j, f"{inst.name}.{var}", "nA"
        raise UnknownVariableError(
            f"record('{var}', {inst.name}): no such variable{did_you_mean(var, cls.variables())};"
            f" {cls.name} has {cls.variables()}"
        )

    def record(
        self, what: str, where: Location | PointInstance | None = None, every: int = 1
    ) -> Trace:
        """Record a variable every ``every`` steps; returns a :class:`Trace`.

        ``what`` is ``"v"``, an ion variable (``"ina"``, ``"cai"``, ``"ek"``), a
        mechanism variable (``"hh.m"``, ``"hh.ina"``, ``"pas.i"``), or a point-process
        variable (``record("i", stim)`` or ``record("IClamp[0].i")``).  Under MPI, a
        location that another rank computes gives an empty trace here
        (``trace.local`` False, ``trace.owner`` the rank that fills it).
        """
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ModelError(f"record(every={every!r}): must be a positive integer of steps")
        if where is None and "." in what:  # "IClamp[0].i": a point process by name
            pp = next((q for c in self.cells for q in c.point_processes
                       if q.name == what.rpartition(".")[0]), None)
            if pp is not None and not self.owns(pp):
                what, where = what.rpartition(".")[2], pp
        if where is not None and not self.owns(where):
            name, unit = self._remote_check(what, where)
            return Trace(name, unit, int(every), owner=self.owner(where), local=False)
        aid, idx, name, unit = self._resolve(what, where)
        trace = Trace(name, unit, int(every), owner=self.owner(where) if where is not None else 0)
        if self._initialized and self.tick % every == 0:
            trace._chunks.append(np.array([self._probe(aid, idx)]))
            trace._t.append(np.array([self.t_ms]))
        self._traces.append((trace, aid, idx))
        return trace

    def probe(self, terms) -> Probe:
        """Read the current values of variables: a list of ``(what, where)`` pairs.

        ``sim.probe([("cai", head(0.5)), ("cali", head(0.5))]).values()`` returns
        both concentrations now [mM].  Names as in :meth:`record`.
        """
        resolved, names, units = [], [], []
        for term in terms:
            try:
                what, loc = term
            except (TypeError, ValueError):
                raise ModelError(f"probe: each term must be (what, where), got {term!r}") from None
            aid, idx, name, unit = self._resolve(what, loc)
            resolved.append((aid, idx))
            names.append(name)
            units.append(unit)
        return Probe(self, resolved, names, units)

    def integrate(self, terms, where: Location | PointInstance | None = None) -> Integral:
        """A running time integral of one variable or of a weighted sum of variables.

        ``integrate("ica", head(0.5))`` integrates one variable; a list of
        ``(what, where, weight)`` integrates ``sum weight * what``, e.g. the
        calcium current of a spine head times its area [mA/cm2 * um2 * ms].
        All terms must have the same unit.  See :class:`Integral`.
        """
        if isinstance(terms, str):
            terms = [(terms, where, 1.0)]
        elif where is not None:
            raise ModelError("integrate(terms, where): give where only with a single variable")
        resolved = []
        units = set()
        remote = []
        for term in terms:
            try:
                what, loc, weight = term
            except (TypeError, ValueError):
                raise ModelError(
                    f"integrate: each term must be (what, where, weight), got {term!r}"
                ) from None
            weight = float(weight)
            if not math.isfinite(weight):
                raise ModelError(f"integrate: weight {weight} of '{what}' is not finite")
            if loc is not None and not self.owns(loc):
                name, unit = self._remote_check(what, loc)
                remote.append((self.owner(loc), name))
            else:
                aid, idx, name, unit = self._resolve(what, loc)
                resolved.append((aid, idx, weight, name))
            units.add(unit)
        if not resolved and not remote:
            raise ModelError("integrate: no terms given")
        if len(units) > 1:
            raise ModelError(f"integrate: the terms have different units {sorted(units)}")
        if remote:
            owners = {o for o, _ in remote}
            if resolved or len(owners) > 1:
                raise ModelError(
                    "integrate: under MPI all terms of one integral must be computed by one "
                    f"rank; {[n for _, n in remote]} are on ranks {sorted(owners)}"
                )
            integral = Integral(self, -1, [n for _, n in remote], units.pop(), owners.pop())
            self._integrals.append(integral)
            return integral
        slot = self._acc_out.size
        self._acc_out = np.append(self._acc_out, 0.0)
        self._acc_terms.extend((aid, idx, weight, slot) for aid, idx, weight, _ in resolved)
        integral = Integral(self, slot, [r[3] for r in resolved], units.pop())
        self._integrals.append(integral)
        return integral

    # ------------------------------------------------------------------ parameters
    def _point_param(self, inst: PointInstance, name: str) -> float:
        bi, j = self._point_slot(inst)
        return float(self._F[self.layout.blocks[bi]["params"][name]][j])

    def _set_point_param(self, inst: PointInstance, name: str, value: float) -> None:
        bi, j = self._point_slot(inst)
        slot = self.layout.blocks[bi]["params"][name]
        self._F[slot][j] = value
        self._F0[slot][j] = value

    def set(self, what: str, where: Location, value: float) -> None:
        """Set a density-mechanism parameter at one location (takes effect next step).

        Under MPI every rank may call it; the ranks that compute ``where`` apply it.
        """
        if isinstance(where, Location) and not self.owns(where):
            self._remote_check(what, where)
            return
        aid, idx, name, _ = self._resolve(what, where)
        if aid < 0 or "." not in what:
            raise UnknownParameterError(f"set('{what}'): only mechanism parameters can be set")
        mech, _, var = what.partition(".")
        cls = next(b.cls for b in self.tree.blocks if b.cls.name == mech)
        if var not in cls.params:
            raise UnknownParameterError(f"set('{what}'): '{var}' is not a parameter of '{mech}'")
        if var in cls.geometry:
            raise ModelError(
                f"set('{what}'): '{var}' of '{mech}' comes from the morphology (segment "
                f"{var}); change the section's geometry and build a new Simulation"
            )
        val = cls.params[var].check(value, name)
        self._F[aid][idx] = val
        self._F0[aid][idx] = val

    # ------------------------------------------------------------------ events
    def connect(
        self,
        target: PointInstance,
        times_ms: Iterable[float] = (),
        weight: float = 1.0,
        delay_ms: float = 0.0,
    ) -> Connection:
        """Deliver events at ``times_ms + delay_ms`` to ``target`` (its ``receive`` kernel).

        Events are delivered at the step boundary nearest to their time, as in
        NEURON's fixed step; the kernel sees the exact event time.  Under MPI
        every rank makes the same calls; the ranks that compute the target
        deliver the events.
        """
        if isinstance(target, PointInstance) and not self.owns(target):
            if not any(target in c.point_processes for c in self.cells):
                raise UnknownVariableError(f"{target.name} is not part of this simulation")
        else:
            self._point_slot(target)  # raises if the target is not in this simulation
        if target.mech.receive is None:
            raise ModelError(f"{target.name} ({target.mech.name}) does not receive events")
        delay = float(delay_ms)
        if not (delay >= 0 and math.isfinite(delay)):
            raise ModelError(f"connect to {target.name}: delay_ms = {delay_ms} must be >= 0")
        conn = Connection(self, len(self._connections), target, delay)
        self._connections.append(conn)
        self._conn_weight = np.append(self._conn_weight, 0.0)
        conn.weight = weight
        self.add_events(conn, times_ms)
        return conn

    def add_events(self, conn: Connection, times_ms: Iterable[float]) -> None:
        """Add presynaptic spike times [ms] to a connection (its delay is added).

        Delivery follows NEURON's fixed step: an event at time te acts before
        the first step whose midpoint is >= te, or at the end of the step
        that reaches te; the ``receive`` kernel sees the exact time te.
        Events may not be added in the past.
        """
        local = self.owns(conn.target)
        bi, j = self._point_slot(conn.target) if local else (-1, -1)
        times = np.atleast_1d(np.asarray(list(times_ms), dtype=float)) + conn.delay_ms
        if times.size and not np.all(np.isfinite(times)):
            raise ModelError(f"event times to {conn.target.name} must be finite, got {times}")
        if self._initialized and self.tick > 0 and times.size and times.min() < self._tclock[0]:
            raise ModelError(
                f"event at {times.min():g} ms to {conn.target.name} is before the current time "
                f"{self.t_ms:g} ms; add inputs before advancing past them"
            )
        if not local:
            self._remote_events.extend((float(t), bi, j, conn.index) for t in times)
            return
        self._events.extend((float(t), bi, j, conn.index) for t in times)
        self._ev_dirty = True

    def _event_arrays(self):
        if self._ev_dirty:
            ev = sorted(self._events, key=lambda e: (e[0], e[3]))
            te = np.array([e[0] for e in ev], dtype=np.float64)
            self._ev_arrays = (
                te,
                np.array([e[1] for e in ev], dtype=np.int64),
                np.array([e[2] for e in ev], dtype=np.int64),
                np.array([e[3] for e in ev], dtype=np.int64),
            )
            # delivered so far: everything up to NEURON's clock (nothing before step 0)
            done = int(np.searchsorted(te, self._tclock[0], side="right")) if self.tick else 0
            self._ev_ptr[0] = done
            self._ev_dirty = False
        return self._ev_arrays

    # ------------------------------------------------------------------ state
    def save_state(self) -> bytes:
        """The full dynamic state (time, voltages, states, parameters, weights, events)."""
        if not self._initialized:
            raise SimulationError("save_state() before initialize()")
        return pickle.dumps(
            {
                "tick": self.tick,
                "tclock": float(self._tclock[0]),
                "dt_ms": self.dt_ms,
                "v": self.v.copy(),
                "F": [x.copy() for x in self._F],
                "conn_weight": self._conn_weight.copy(),
                "events": list(self._events),
                "remote_events": list(self._remote_events),
                "acc_out": self._acc_out.copy(),
                "acc_taken": [i._taken for i in self._integrals],
                "n_nodes": self.tree.n,
            }
        )

    def restore_state(self, blob: bytes) -> None:
        """Restore a state saved by :meth:`save_state` of the same model."""
        st = pickle.loads(blob)
        if (
            st["n_nodes"] != self.tree.n
            or len(st["F"]) != len(self._F)
            or st["dt_ms"] != self.dt_ms
        ):
            raise SimulationError("restore_state: the saved state belongs to a different model")
        self.tick = st["tick"]
        self._tclock[0] = st["tclock"]
        self.v[:] = st["v"]
        for a, b in zip(self._F, st["F"]):
            a[:] = b
        self._conn_weight = st["conn_weight"].copy()
        self._events = list(st["events"])
        self._remote_events = list(st.get("remote_events", []))
        if len(st["acc_taken"]) != len(self._integrals):
            raise SimulationError(
                f"restore_state: the saved state has {len(st['acc_taken'])} integrals, this "
                f"simulation {len(self._integrals)}; create the same integrals before restoring"
            )
        self._acc_out[:] = st["acc_out"]
        for integral, taken in zip(self._integrals, st["acc_taken"]):
            integral._taken = taken
        self._ev_dirty = True
        self._initialized = True
