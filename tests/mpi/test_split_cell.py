"""The split-cell solver under MPI equals the serial solver.

Run: ``mpiexec -n 2 python -m pytest -q -p no:cacheprovider -m mpi tests/mpi`` (also -n 3).
The MSN (modes 'two' and 'onebranch') with spine inputs and a somatic IClamp is
run split over the ranks (trunk replicated, subtrees distributed) and, on rank 0,
serially in the same process.  Issue 7 asks for identical spike times and
max |dV| <= 1e-9 mV; the split solver repeats the serial solver's operations in
its order, so the test asks for more: every recorded value bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from electrical import Cell, IClamp, Simulation
from electrical.errors import UnknownVariableError
from multiscale.distribute import world
from multiscale.msn import build_msn
from multiscale.stimulation import connect_spine_inputs

comm = world()
pytestmark = [
    pytest.mark.mpi,
    pytest.mark.skipif(comm.Get_size() < 2, reason="needs mpiexec -n 2 (or more ranks)"),
]

#: the run: a somatic current step and two input trains on the first spines
T_STOP_MS = 60.0
STIM = {"delay": 5.0, "dur": 45.0, "amp": 0.4}
INPUT_MS = (10.0, 14.0, 30.0)
N_INPUT_SPINES = 4


def _run(mode: str, c):
    msn = build_msn(mode)
    msn.cell.place(msn.soma(0.5), IClamp(**STIM))
    sim = msn.simulation(comm=c)
    conns = []
    for k, spine in enumerate(msn.spines[:N_INPUT_SPINES]):
        conns += connect_spine_inputs(sim, spine, [t + k for t in INPUT_MS]).values()
    locs = [msn.soma(0.5)] + [s(0.5) for s in msn.cell_sections[1::3]]
    locs += [sp.head(0.5) for sp in msn.spines[:N_INPUT_SPINES]]
    traces = [sim.record("v", loc) for loc in locs]
    traces += [sim.record("cali", sp.head(0.5)) for sp in msn.spines[:2]]
    msn.initialize(sim)
    sim.advance(T_STOP_MS / 2)
    for conn in conns:  # a weight change between advances, as the biochemistry makes
        conn.weight = 1.5
    sim.advance(T_STOP_MS)
    return msn, sim, traces, locs


def _spike_steps(v: np.ndarray) -> list[int]:
    return [int(k) for k in np.nonzero((v[:-1] < 0.0) & (v[1:] >= 0.0))[0]]


@pytest.mark.parametrize("mode", ["two", "onebranch"])
def test_split_equals_serial(mode):
    _, sim, traces, _ = _run(mode, comm)
    assert sim.split and sim.nranks == comm.Get_size()
    gathered = [sim.gather_trace(tr, root=0) for tr in traces]
    problem = None
    if comm.Get_rank() == 0:
        serial = _run(mode, None)[2]
        spikes = _spike_steps(serial[0].values)
        try:
            assert len(spikes) >= 2, "the protocol must make the soma spike"
            assert _spike_steps(gathered[0].values) == spikes
            for got, ref in zip(gathered, serial):
                assert got.name == ref.name
                np.testing.assert_array_equal(got.t_ms, ref.t_ms)
                np.testing.assert_array_equal(got.values, ref.values, err_msg=ref.name)
        except AssertionError as exc:
            problem = str(exc)
    problem = comm.bcast(problem, root=0)
    assert problem is None, problem


def test_trunk_is_identical_on_every_rank_and_ownership_is_consistent():
    msn, sim, traces, locs = _run("two", comm)
    soma = traces[0].values  # the trunk: computed by every rank
    np.testing.assert_array_equal(soma, comm.bcast(soma, root=0))
    for sec in msn.cell.sections:
        owners = comm.allgather(sim.owns(sec(0.5)))
        if sim.partition.owner_of(sec) == -1:
            assert all(owners)
        else:
            assert owners.count(True) == 1
            assert owners.index(True) == sim.owner(sec(0.5))
    for tr, loc in zip(traces, locs):
        assert tr.local == sim.owns(loc) and tr.owner == sim.owner(loc)
        assert tr.values.size == (int(T_STOP_MS / sim.dt_ms) + 1 if tr.local else 0)


def test_rank_loads_are_reported_and_balanced():
    msn = build_msn("onebranch")
    sim = msn.simulation(comm=comm)
    loads = sim.rank_loads
    assert len(loads) == comm.Get_size()
    total = sum(ld["compartments"] - ld["trunk_compartments"] for ld in loads)
    assert total + loads[0]["trunk_compartments"] == msn.n_compartments
    assert sim.n_segments == loads[sim.rank]["compartments"]
    costs = np.array([ld["cost"] for ld in loads])
    assert costs.max() <= 1.25 * costs.mean()  # spines spread over the ranks


def test_remote_calls_validate_names_on_every_rank():
    msn = build_msn("two")
    sim = msn.simulation(comm=comm)
    head = msn.spines[0].head(0.5)
    with pytest.raises(UnknownVariableError, match="no variable"):
        sim.record("caltrack.nonsense", head)
    sim.set("caltrack.DCa", head, 0.3)  # applied by the owner only, accepted everywhere
    if sim.owns(head):
        aid, idx, _, _ = sim._vars.resolve("caltrack.DCa", head)
        assert sim._F[aid][idx] == 0.3


def _small_cell(k: int):
    cell = Cell(f"c{k}")
    soma = cell.section("soma", L=20, diam=20)
    soma.insert("hh")
    dend = cell.section("dend", L=200, diam=1, nseg=9, parent=soma(1))
    dend.insert("pas", g=1e-4)
    cell.place(dend(1), IClamp(delay=1.0 + k, dur=2.0, amp=0.3 + 0.1 * k))
    return cell


def test_whole_cells_are_dealt_out_and_equal_serial():
    """More cells than ranks: each cell on one rank, no coupling, serial numbers."""
    ncells = comm.Get_size() + 1
    cells = [_small_cell(k) for k in range(ncells)]
    sim = Simulation(cells, comm=comm)
    assert sim.partition.mode == "cells" and not sim.split
    traces = [sim.record("v", c["soma"](0.5)) for c in cells]
    sim.initialize(-65.0)
    sim.advance(10.0)
    gathered = [sim.gather_trace(tr) for tr in traces]
    problem = None
    if comm.Get_rank() == 0:
        ref_cells = [_small_cell(k) for k in range(ncells)]
        ref = Simulation(ref_cells)
        ref_tr = [ref.record("v", c["soma"](0.5)) for c in ref_cells]
        ref.initialize(-65.0)
        ref.advance(10.0)
        try:
            for got, want in zip(gathered, ref_tr):
                np.testing.assert_array_equal(got.values, want.values)
        except AssertionError as exc:
            problem = str(exc)
    problem = comm.bcast(problem, root=0)
    assert problem is None, problem
