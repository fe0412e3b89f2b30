"""Simulation without back-pointers: one cell backs several simulations, each correct.

A description (cell, point process) holds no reference to the simulations built
from it; each simulation keeps its own state, connections, recordings and
integrals, and applies the cell's point-parameter edits (``set_param``) itself.
"""

from __future__ import annotations

import numpy as np

from electrical import Cell, IClamp, Simulation
from electrical.mechanisms.synapses import ExpSyn

# Two simulations of one model replay the same floating-point operations.
BITWISE = 0.0
T_STOP_MS = 12.0


def _cell():
    cell = Cell("c")
    soma = cell.section("soma", L=20, diam=20, Ra=100)
    dend = cell.section("dend", L=300, diam=1, nseg=5, Ra=100, parent=soma(1))
    soma.insert("hh")
    dend.insert("pas", g=1e-4, e=-65)
    stim = cell.place(soma(0.5), IClamp(delay=1, dur=2, amp=0.1))
    syn = cell.place(dend(0.5), ExpSyn(tau=2.0, e=0.0))
    return cell, soma, dend, stim, syn


def _run(sim, soma, syn, times, weight):
    v = sim.record("v", soma(0.5))
    g = sim.record("g", syn)
    charge = sim.integrate("i", syn)
    conn = sim.connect(syn, times, weight=weight)
    sim.initialize(-65.0)
    sim.advance(T_STOP_MS)
    return v.values.copy(), g.values.copy(), charge.total, conn


def _alone(times, weight):
    cell, soma, _, _, syn = _cell()
    return _run(Simulation(cell), soma, syn, times, weight)


def test_two_simulations_of_one_cell_each_give_their_own_run():
    cell, soma, _, _, syn = _cell()
    sim_a = Simulation(cell)
    sim_b = Simulation(cell)  # built last: must not take the cell over
    a = _run(sim_a, soma, syn, [2.0], 0.01)
    b = _run(sim_b, soma, syn, [5.0, 6.0], 0.03)
    for got, want in ((a, _alone([2.0], 0.01)), (b, _alone([5.0, 6.0], 0.03))):
        np.testing.assert_allclose(got[0], want[0], rtol=0, atol=BITWISE)
        np.testing.assert_allclose(got[1], want[1], rtol=0, atol=BITWISE)
        assert got[2] == want[2]
    np.testing.assert_array_equal(a[3].arrival_times_ms, [2.0])
    np.testing.assert_array_equal(b[3].arrival_times_ms, [5.0, 6.0])
    assert not np.array_equal(a[0], b[0])  # the runs differ, so the test can fail


def test_set_param_reaches_every_simulation_of_the_cell():
    cell, _, _, stim, _ = _cell()
    sims = [Simulation(cell), Simulation(cell)]
    traces = [s.record("i", stim) for s in sims]
    for s in sims:
        s.initialize(-65.0)
        s.advance(1.5)
    stim.set_param("amp", 0.0)  # after both builds
    for s in sims:
        s.advance(2.5)
    for tr in traces:
        assert tr.values[50] == 0.1 and tr.values[-1] == 0.0
    assert stim.param("amp") == 0.0
    late = Simulation(cell)  # built after the edit: the description has it
    i = late.record("i", stim)
    late.initialize(-65.0)
    late.advance(1.5)
    assert i.values[-1] == 0.0


def test_next_event_time_is_the_first_pending_event():
    cell, _, _, _, syn = _cell()
    sim = Simulation(cell)
    assert sim.next_event_time() is None
    sim.connect(syn, [3.0, 1.0], weight=0.01)
    sim.initialize(-65.0)
    assert sim.next_event_time() == 1.0
    sim.advance(2.0)
    assert sim.next_event_time() == 3.0
    sim.advance(4.0)
    assert sim.next_event_time() is None
