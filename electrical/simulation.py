"""Running a model: build, initialize, fixed-step advance, parameters, save/restore.

:class:`Simulation` owns the state arrays and the compiled step; it delegates
recording to :mod:`electrical.recording` (:class:`Trace`, :class:`Probe`,
:class:`Integral`), input events to :mod:`electrical.connections`
(:class:`Connection`), naming variables to :mod:`electrical.variables` and
everything about ranks to :mod:`electrical.distributed`.  A cell is a
description: it may back several simulations, none of which it knows.

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
from collections.abc import Iterable, Sequence

import numpy as np

from common.steps import whole_steps

from ._split import Partition
from .connections import Connection, EventQueue
from .distributed import Distribution, build
from .errors import (
    ModelError,
    SimulationError,
    UnknownParameterError,
    UnknownVariableError,
    did_you_mean,
)
from .layout import Layout, build_layout
from .morphology import Cell, Location, PointInstance
from .recording import Integral, Probe, Recorder, Trace
from .step_cache import load_step_module
from .variables import VariableIndex

__all__ = ["METHODS", "Connection", "Integral", "Probe", "Simulation", "Trace"]

#: Integration methods: NEURON ``secondorder`` 0 (backward Euler) and 2 (Crank-Nicolson).
METHODS = {"backward_euler": 1.0, "crank_nicolson": 2.0}


class Simulation:
    """A compiled model with its state, advanced in fixed steps of ``dt_ms``.

    Parameters
    ----------
    cells : Cell or sequence of Cell
        The model.  A cell may back several simulations; each has its own state.
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
        # point-parameter edits of the cells made before this build are in the arrays
        edits_at_build = [len(c.param_edits) for c in cells]
        self._dist: Distribution
        self._dist, self.tree = build(cells, self.celsius, mech_globals, comm)
        self._edits_seen = edits_at_build
        self.rank = self._dist.rank
        self.nranks = self._dist.nranks
        self.partition: Partition = self._dist.partition
        self.rank_loads = self.partition.loads
        self.local_cells = self._dist.local_cells
        self.split = self._dist.split
        self.layout: Layout = build_layout(self.tree)
        self._vars = VariableIndex(self.tree, self.layout)
        self._mod = load_step_module(self.layout)
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
        self._rec = Recorder(self.dt_ms)
        self._queue = EventQueue()
        self._connections: list[Connection] = []

    def __repr__(self) -> str:
        mpi = f" rank={self.rank}/{self.nranks} mode={self.partition.mode}" if self.nranks > 1 else ""
        return (
            f"<Simulation n_cells={len(self.cells)} n_nodes={self.tree.n} "
            f"t_ms={self.t_ms:g} dt_ms={self.dt_ms:g} method={self.method}{mpi}>"
        )

    # ------------------------------------------------------------------ MPI
    def owns(self, where: Location | PointInstance) -> bool:
        """True when this rank computes ``where`` (always without MPI; the trunk on every rank)."""
        return self._dist.owns(where)

    def owner(self, where: Location | PointInstance) -> int:
        """The rank whose values of ``where`` are authoritative (0 for the replicated trunk)."""
        return self._dist.owner(where)

    def gather_trace(self, trace: Trace, root: int = 0) -> Trace | None:
        """Bring a trace from the rank that fills it to ``root``.

        Collective: every rank must call it with its copy of the trace (the
        one ``record`` returned there).  Returns a filled :class:`Trace` on
        ``root`` and None elsewhere; without MPI, the trace itself.
        """
        return self._dist.gather_trace(trace, root)

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
        self._apply_param_edits()
        for arr, arr0 in zip(self._F, self._F0):
            arr[:] = arr0
        self.v[:] = v0
        self.tick = 0
        self._tclock[0] = 0.0
        self._mod.initialize(0.0, self.v, self._F, self._I, self.celsius)
        self._initialized = True
        self._queue.invalidate()
        self._rec.restart(self._sample)

    def _sample(self, aid: int, idx: int) -> float:
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

    def next_event_time(self) -> float | None:
        """Time [ms] of the next input event this rank will deliver, or None.

        Events already delivered (up to NEURON's clock) do not count; before the
        first step every event is pending.
        """
        return self._queue.next_time(self._tclock[0] if self.tick else -np.inf)

    def _run(self, nsteps: int) -> None:
        self._apply_param_edits()
        first, last, every, rec_out, rec_aid, rec_idx, acc = self._rec.loop_arrays(
            self.tick, nsteps
        )
        ev = self._queue.arrays(self._tclock[0], self.tick > 0)
        cj = METHODS[self.method] / self.dt_ms
        args = self._step_args(cj, ev, rec_aid, rec_idx, rec_out, every, acc)
        if self.split:
            self._dist.run_split(self._mod, nsteps, args, self.tree)
        else:
            self._mod.run(nsteps, *args)
        self._rec.store(first, last, every, rec_out)
        self.tick += nsteps

    def _step_args(self, cj, ev, rec_aid, rec_idx, rec_out, every, acc) -> tuple:
        weights = self._queue.weights
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
            weights if weights.size else np.zeros(1),
            self._queue.ptr,
            rec_aid,
            rec_idx,
            rec_out,
            every,
            self._keep_currents(),
            *acc,
        )

    def _keep_currents(self) -> bool:
        """True when a recorded variable is a mechanism or ion current (stored only then)."""
        return any(aid >= 0 and self._vars.is_current(aid) for aid in self._rec.aids())

    # ------------------------------------------------------------------ recording
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
                       if q.name == what.rpartition(".")[0]), None)  # fmt: skip
            if pp is not None and not self.owns(pp):
                what, where = what.rpartition(".")[2], pp
        if where is not None and not self.owns(where):
            name, unit = self._dist.remote_check(what, where)
            return Trace(name, unit, int(every), owner=self.owner(where), local=False)
        aid, idx, name, unit = self._vars.resolve(what, where)
        trace = Trace(name, unit, int(every), owner=self.owner(where) if where is not None else 0)
        if self._initialized and self.tick % every == 0:
            trace._append(np.array([self._sample(aid, idx)]), np.array([self.t_ms]))
        self._rec.add_trace(trace, aid, idx)
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
            aid, idx, name, unit = self._vars.resolve(what, loc)
            resolved.append((aid, idx))
            names.append(name)
            units.append(unit)
        return Probe(self.v, self._F, resolved, names, units)

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
                name, unit = self._dist.remote_check(what, loc)
                remote.append((self.owner(loc), name))
            else:
                aid, idx, name, unit = self._vars.resolve(what, loc)
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
            return self._rec.add_remote_integral([n for _, n in remote], units.pop(), owners.pop())
        return self._rec.add_integral(
            [(aid, idx, weight) for aid, idx, weight, _ in resolved],
            [r[3] for r in resolved],
            units.pop(),
        )

    # ------------------------------------------------------------------ parameters
    def _apply_param_edits(self) -> None:
        """Apply the point-parameter changes made on the cells since the last look."""
        for k, cell in enumerate(self.cells):
            if len(cell.param_edits) == self._edits_seen[k]:
                continue
            for inst, name, value in cell.param_edits.since(self._edits_seen[k]):
                if self._vars.has_point(inst):
                    self._set_point_param(inst, name, value)
            self._edits_seen[k] = len(cell.param_edits)

    def _set_point_param(self, inst: PointInstance, name: str, value: float) -> None:
        _, j = self._vars.point_slot(inst)
        slot = self._vars.point_param(inst, name)
        self._F[slot][j] = value
        self._F0[slot][j] = value

    def set(self, what: str, where: Location, value: float) -> None:
        """Set a density-mechanism parameter at one location (takes effect next step).

        Under MPI every rank may call it; the ranks that compute ``where`` apply it.
        """
        if isinstance(where, Location) and not self.owns(where):
            self._dist.remote_check(what, where)
            return
        aid, idx, name, _ = self._vars.resolve(what, where)
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
            if not self._dist.has_point(target):
                raise UnknownVariableError(f"{target.name} is not part of this simulation")
        else:
            self._vars.point_slot(target)  # raises if the target is not in this simulation
        if target.mech.receive is None:
            raise ModelError(f"{target.name} ({target.mech.name}) does not receive events")
        delay = float(delay_ms)
        if not (delay >= 0 and math.isfinite(delay)):
            raise ModelError(f"connect to {target.name}: delay_ms = {delay_ms} must be >= 0")
        conn = Connection(self._queue, self._queue.new_connection(), target, delay)
        self._connections.append(conn)
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
        bi, j = self._vars.point_slot(conn.target) if local else (-1, -1)
        times = np.atleast_1d(np.asarray(list(times_ms), dtype=float)) + conn.delay_ms
        if times.size and not np.all(np.isfinite(times)):
            raise ModelError(f"event times to {conn.target.name} must be finite, got {times}")
        if self._initialized and self.tick > 0 and times.size and times.min() < self._tclock[0]:
            raise ModelError(
                f"event at {times.min():g} ms to {conn.target.name} is before the current time "
                f"{self.t_ms:g} ms; add inputs before advancing past them"
            )
        self._queue.add(times, bi, j, conn.index, local)

    @property
    def _events(self) -> list[tuple[float, int, int, int]]:
        """This rank's events (time, block, instance, connection); use :meth:`next_event_time`."""
        return self._queue.local

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
                **self._queue.state(),
                **self._rec.state(),
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
        self._queue.restore(st)
        if len(st["acc_taken"]) != len(self._rec.integrals):
            raise SimulationError(
                f"restore_state: the saved state has {len(st['acc_taken'])} integrals, this "
                f"simulation {len(self._rec.integrals)}; create the same integrals before restoring"
            )
        self._rec.restore(st)
        self._initialized = True
