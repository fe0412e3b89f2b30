"""The distributed parts of a simulation: which rank computes what, and the split-cell run.

Every rank builds the same model and makes the same calls; :func:`build`
partitions it (:func:`electrical._split.partition`) and compiles this rank's
part.  :class:`Distribution` answers where a location is computed
(:meth:`~Distribution.owns`, :meth:`~Distribution.owner`), checks names at
locations other ranks compute (:meth:`~Distribution.remote_check`), brings
traces to one rank (:meth:`~Distribution.gather_trace`) and runs the
split-cell loop with its one collective per step (:meth:`~Distribution.run_split`).
Communicators are duck-typed (mpi4py's interface); this module imports no MPI.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import codegen
from ._split import Partition, partition, serial_root_sections, split_slots
from .discretize import CompiledTree, compile_tree
from .errors import ModelError, UnknownVariableError, did_you_mean
from .mechanisms.base import ion_of_variable
from .morphology import Cell, Location, PointInstance
from .recording import Trace
from .variables import ION_UNITS

__all__ = ["Distribution", "build"]


def _section_of(where) -> object:
    if isinstance(where, PointInstance):
        return where.location.section
    if isinstance(where, Location):
        return where.section
    return where


class Distribution:
    """This rank's share of a model over ``comm`` (serial without one).

    Attributes
    ----------
    rank, nranks : int
    partition : electrical._split.Partition
    split : bool
        True when the cells are split into trunk and subtrees.
    local_cells : list of Cell
        The cells this rank compiles (all of them unless whole cells are dealt out).
    """

    def __init__(self, cells: Sequence[Cell], comm, part: Partition, rank: int, nranks: int):
        self.cells = list(cells)
        self.comm = comm
        self.rank = rank
        self.nranks = nranks
        self.partition = part
        self.split = part.mode == "split"
        self.local_cells = self.cells
        if part.mode == "cells":
            self.local_cells = [c for c in self.cells if part.owner_of(c.root()) == rank]
        self._slots = None

    # ---------------------------------------------------------------- where
    def owns(self, where: Location | PointInstance) -> bool:
        """True when this rank computes ``where`` (always without MPI; the trunk everywhere)."""
        return self.partition.computes(_section_of(where), self.rank)

    def owner(self, where: Location | PointInstance) -> int:
        """The rank whose values of ``where`` are authoritative (0 for the replicated trunk)."""
        return max(self.partition.owner_of(_section_of(where)), 0)

    def has_point(self, inst: PointInstance) -> bool:
        """True when ``inst`` belongs to the model (on any rank)."""
        return any(inst in c.point_processes for c in self.cells)

    def remote_check(self, what: str, where) -> tuple[str, str]:
        """(name, unit) of a variable at a location another rank computes; validates names."""
        if isinstance(where, PointInstance):
            if not self.has_point(where):
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
            return f"{where}.{what}", ION_UNITS[kind]
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

    def gather_trace(self, trace: Trace, root: int = 0) -> Trace | None:
        """Bring a trace from the rank that fills it to ``root`` (collective).

        Returns a filled :class:`Trace` on ``root`` and None elsewhere; without
        MPI, the trace itself.
        """
        if self.nranks == 1:
            return trace
        mine = (trace.values, trace.t_ms) if self.rank == trace.owner else None
        got = self.comm.gather(mine, root=root)
        if self.rank != root:
            return None
        values, t_ms = got[trace.owner]
        return Trace(trace.name, trace.unit, trace.every, [values], [t_ms], trace.owner, True)

    # ---------------------------------------------------------------- split run
    def set_split_slots(self, serial: CompiledTree, tree: CompiledTree) -> None:
        slot_of_root, slot_parent, tseq = split_slots(serial, tree, self.partition, self.rank)
        self._slots = (slot_of_root, slot_parent, tseq)
        self._xch = np.zeros(4 * slot_parent.size)

    def run_split(self, mod, nsteps: int, step_args: tuple, tree: CompiledTree) -> None:
        """Split-cell steps: subtrees, one collective of the trunk terms, trunk and the rest.

        One compiled loop (``run_split``); at each step it calls back into Python
        (numba object mode, about 2 us) for the collective.
        """
        xkey = id(self)
        codegen.register_exchanger(xkey, self._exchange)
        slot_of_root, slot_parent, tseq = self._slots
        mod.run_split(
            nsteps,
            *step_args,
            self._xch,
            tree.ntrunk,
            tree.nsr,
            slot_of_root,
            slot_parent,
            tseq,
            xkey,
        )

    def _exchange(self, buf: np.ndarray) -> None:
        """Sum the subtree-root slots over the ranks, in place (one ``Allreduce``).

        Every slot has one owner and zeros elsewhere, so the sum is exact and
        the same on every rank whatever order the MPI library adds in.
        """
        self.comm.Allreduce(buf.copy(), buf)


def build(
    cells: Sequence[Cell],
    celsius: float,
    mech_globals: dict[str, dict[str, float]] | None,
    comm,
) -> tuple[Distribution, CompiledTree]:
    """Partition ``cells`` over the ranks of ``comm`` and compile this rank's part."""
    rank = int(comm.Get_rank()) if comm is not None else 0
    nranks = int(comm.Get_size()) if comm is not None else 1
    serial = None
    required = []
    if 1 < nranks and len(cells) < nranks:  # cells will be split
        # the serial solver's tree: the split solver repeats its operations exactly
        serial = compile_tree(cells, celsius, mech_globals, mechanisms=False)
        required = serial_root_sections(serial)
    part = partition(cells, nranks, required)
    if nranks > 1:
        sigs = comm.allgather(part.signature())
        if any(sig != sigs[0] for sig in sigs):
            raise ModelError(
                f"rank {rank}: the ranks built different models (partition summaries "
                f"{sigs}); every rank must build the same cells"
            )
    dist = Distribution(cells, comm, part, rank, nranks)
    sections = trunk = None
    if part.mode == "split":
        sections = {id(s) for c in cells for s in c.sections if part.computes(s, rank)}
        trunk = part.trunk
    tree = compile_tree(
        dist.local_cells, celsius, mech_globals, sections=sections, trunk=trunk, serial=serial
    )
    if dist.split:
        dist.set_split_slots(serial, tree)
    return dist, tree
