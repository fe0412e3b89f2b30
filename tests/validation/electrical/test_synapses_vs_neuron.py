"""Exp2Syn and ExpSyn driven by events, compared live with NEURON's built-in synapses.

A passive soma + 5-segment dendrite.  An Exp2Syn on the dendrite is driven by a
NetStim (noise 0) through a NetCon with a 1-ms delay; an ExpSyn on the soma receives
NetCon.event() calls issued from an FInitializeHandler, at a step boundary, exactly on
a half step (a tie of the delivery rule) and in between.  Both weights change between
two run calls.  Our side gets the same spike times through ``Simulation.connect``.

NEURON delivers an event before the step [t_k, t_k + dt] for the first k with
t_e <= t_k + dt/2, where t_k is its floating-point sum of half steps; the tie cases
therefore depend on rounding (see ``test_exact_tie_follows_neurons_clock``).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from electrical import Cell, Simulation
from electrical.events import regular_train, spike_times
from electrical.mechanisms import Exp2Syn, ExpSyn

neuron = pytest.importorskip("neuron", reason="NEURON (PyPI package `neuron`) is not installed")

pytestmark = pytest.mark.neuron

#: Same discretisation, same fixed-step scheme: only rounding differs (NEURON's own
#: float sums, exp(-dt/tau) vs exp(dt*(-1/tau))), far below 1e-6 mV.
V_ATOL_MV = 1e-6
#: A one-step error in event delivery moves V by more than this (checked in the test).
DELIVERY_EFFECT_MIN_MV = 1e-4
#: An ExpSyn with tau = 1e9 ms loses < 1e-8 of g in 7 ms.
G_NO_DECAY_RTOL = 1e-7

DT_MS = 0.025
T_SWITCH_MS = 6.0  # weights change here, between two run calls
T_STOP_MS = 15.0

NETSTIM = {"start": 1.0, "interval": 2.5, "number": 4}  # -> Exp2Syn, NetCon delay 1 ms
EXP2_DELAY_MS = 1.0
EXP2_W = (0.002, 0.005)  # uS, before / after T_SWITCH_MS
# 3.0 and 11.5: on a step boundary; 2.0125 and 9.0125: exactly half a step (80.5 dt and
# 360.5 dt), ties that NEURON's clock sends to the later (2.0125) and to the earlier
# (9.0125) boundary; 4.013: in between.  9.0125 and 11.5 come after the weight change.
EXPSYN_TIMES_MS = (3.0, 2.0125, 4.013, 9.0125, 11.5)
EXPSYN_W = (0.003, 0.001)


def _h():
    os.environ["NEURON_MODULE_OPTIONS"] = "-nogui"
    from neuron import h

    h.load_file("stdrun.hoc")
    return h


def _run_neuron(method: str):
    h = _h()
    soma = h.Section(name="soma_syn")
    soma.L = soma.diam = 20.0
    dend = h.Section(name="dend_syn")
    dend.L, dend.diam, dend.nseg = 200.0, 1.0, 5
    dend.connect(soma(1))
    for sec in (soma, dend):
        sec.Ra, sec.cm = 100.0, 1.0
        sec.insert("pas")
        for seg in sec:
            seg.pas.g, seg.pas.e = 2e-4, -65.0
    e2 = h.Exp2Syn(dend(0.7))
    e2.tau1, e2.tau2, e2.e = 0.5, 3.0, 0.0
    es = h.ExpSyn(soma(0.5))
    es.tau, es.e = 2.0, -80.0
    ns = h.NetStim()
    ns.start, ns.interval, ns.number, ns.noise = (
        NETSTIM["start"],
        NETSTIM["interval"],
        NETSTIM["number"],
        0,
    )
    nc2 = h.NetCon(ns, e2)
    nc2.delay, nc2.weight[0] = EXP2_DELAY_MS, EXP2_W[0]
    nce = h.NetCon(None, es)
    nce.delay, nce.weight[0] = 0.0, EXPSYN_W[0]
    fih = h.FInitializeHandler(lambda: [nce.event(t) for t in EXPSYN_TIMES_MS])
    vs = h.Vector().record(soma(0.5)._ref_v)
    vd = h.Vector().record(dend(0.7)._ref_v)
    h.dt, h.steps_per_ms = DT_MS, 1.0 / DT_MS
    h.secondorder = {"backward_euler": 0, "crank_nicolson": 2}[method]
    h.finitialize(-65.0)
    h.continuerun(T_SWITCH_MS)
    nc2.weight[0], nce.weight[0] = EXP2_W[1], EXPSYN_W[1]
    h.continuerun(T_STOP_MS)
    out = np.array(vs), np.array(vd)
    h.secondorder = 0
    del fih
    return out


def _model():
    cell = Cell("syn")
    soma = cell.section("soma", L=20.0, diam=20.0, Ra=100.0)
    dend = cell.section("dend", L=200.0, diam=1.0, nseg=5, Ra=100.0, parent=soma(1))
    for sec in (soma, dend):
        sec.insert("pas", g=2e-4, e=-65.0)
    e2 = cell.place(dend(0.7), Exp2Syn(tau1=0.5, tau2=3.0, e=0.0))
    es = cell.place(soma(0.5), ExpSyn(tau=2.0, e=-80.0))
    return cell, soma, dend, e2, es


def _run_ours(method: str, expsyn_times=EXPSYN_TIMES_MS):
    cell, soma, dend, e2, es = _model()
    sim = Simulation(cell, dt_ms=DT_MS, method=method)
    pre = regular_train(NETSTIM["start"], NETSTIM["number"], interval_ms=NETSTIM["interval"])
    c2 = sim.connect(e2, pre, weight=EXP2_W[0], delay_ms=EXP2_DELAY_MS)
    ce = sim.connect(es, spike_times(expsyn_times), weight=EXPSYN_W[0])
    vs = sim.record("v", soma(0.5))
    vd = sim.record("v", dend(0.7))
    sim.initialize(-65.0)
    sim.advance(T_SWITCH_MS)
    c2.weight, ce.weight = EXP2_W[1], EXPSYN_W[1]
    sim.advance(T_STOP_MS)
    return vs.values, vd.values


@pytest.mark.parametrize("method", ["backward_euler", "crank_nicolson"])
def test_exp2syn_expsyn_match_neuron(method):
    ref_soma, ref_dend = _run_neuron(method)
    soma, dend = _run_ours(method)
    assert soma.shape == ref_soma.shape
    assert np.ptp(ref_soma) > 0.1 and np.ptp(ref_dend) > 0.1  # the synapses did act
    np.testing.assert_allclose(soma, ref_soma, rtol=0, atol=V_ATOL_MV)
    np.testing.assert_allclose(dend, ref_dend, rtol=0, atol=V_ATOL_MV)


def test_delivery_one_step_late_is_detected():
    """The comparison can fail: moving the on-boundary event by one step is visible."""
    ref_soma, _ = _run_neuron("backward_euler")
    shifted = tuple(t + DT_MS if t == 3.0 else t for t in EXPSYN_TIMES_MS)
    soma, _ = _run_ours("backward_euler", shifted)
    assert np.max(np.abs(soma - ref_soma)) > DELIVERY_EFFECT_MIN_MV


#: Exact ties t_e = (k + 1/2) dt for which NEURON's accumulated clock sends the event to
#: the *earlier* boundary k (0.0125, 0.0625, 5.0125: NEURON's t_k + dt/2 >= t_e) or where
#: t_e/dt rounds below k + 1/2 in floating point while NEURON still delivers late (10.0125,
#: 12.0125, 181.0125, the example verified in MODEL.md section 3.0b).
NEURON_CLOCK_TIES_MS = (0.0125, 0.0625, 5.0125, 10.0125, 12.0125, 181.0125)


def _first_step_with_g(h, t_event_ms: float) -> int:
    soma = h.Section(name="soma_tie")
    soma.L = soma.diam = 20.0
    syn = h.ExpSyn(soma(0.5))
    nc = h.NetCon(None, syn)
    nc.weight[0] = 1e-3
    fih = h.FInitializeHandler(lambda: nc.event(t_event_ms))
    g = h.Vector().record(syn._ref_g)
    h.dt, h.steps_per_ms = DT_MS, 1.0 / DT_MS
    h.finitialize(-65.0)
    h.continuerun(t_event_ms + 3 * DT_MS)
    del fih
    return int(np.argmax(np.array(g) > 0))


def _our_first_step_with_g(t_event_ms: float) -> int:
    cell = Cell("tie")
    soma = cell.section("soma", L=20.0, diam=20.0)
    syn = cell.place(soma(0.5), ExpSyn())
    sim = Simulation(cell, dt_ms=DT_MS)
    sim.connect(syn, [t_event_ms], weight=1e-3)
    g = sim.record("g", syn)
    sim.initialize(-65.0)
    sim.advance(round((t_event_ms + 3 * DT_MS) / DT_MS) * DT_MS)
    return int(np.argmax(g.values > 0))


@pytest.mark.parametrize("t_event_ms", NEURON_CLOCK_TIES_MS)
def test_exact_tie_follows_neurons_clock(t_event_ms):
    h = _h()
    assert _our_first_step_with_g(t_event_ms) == _first_step_with_g(h, t_event_ms)


#: Spiking cell, same scheme and same hh tables: only rounding differs, amplified by the
#: spikes to ~1e-11 mV (observed); 1e-6 mV still separates a one-step delivery error.
V_SPIKING_ATOL_MV = 1e-6
#: STYLE.md section 7 default for spike times.
SPIKE_T_ATOL_MS = 2 * DT_MS
#: Events reach the synapse at 2, 6 and 10 ms; the weight changes between two runs at a
#: time without an event (an event exactly at the stop time is tested below).
HH_SWITCH_MS = 6.5


def _spike_times(v, threshold_mV=0.0):
    up = np.flatnonzero((v[:-1] < threshold_mV) & (v[1:] >= threshold_mV))
    return (up + 1) * DT_MS


def test_exp2syn_drives_hh_spikes_like_neuron():
    h = _h()
    soma = h.Section(name="soma_hh")
    soma.L = soma.diam = 20.0
    soma.insert("hh")
    syn = h.Exp2Syn(soma(0.5))
    syn.tau1, syn.tau2 = 0.5, 3.0
    ns = h.NetStim()
    ns.start, ns.interval, ns.number, ns.noise = 1.0, 4.0, 3, 0
    nc = h.NetCon(ns, syn)
    nc.delay, nc.weight[0] = 1.0, 0.01
    vrec = h.Vector().record(soma(0.5)._ref_v)
    h.dt, h.steps_per_ms, h.celsius = DT_MS, 1.0 / DT_MS, 6.3
    h.finitialize(-65.0)
    h.continuerun(HH_SWITCH_MS)
    nc.weight[0] = 0.02
    h.continuerun(15.0)
    ref = np.array(vrec)

    cell = Cell("hh")
    s = cell.section("soma", L=20.0, diam=20.0)
    s.insert("hh")
    ours = cell.place(s(0.5), Exp2Syn(tau1=0.5, tau2=3.0))
    sim = Simulation(cell, dt_ms=DT_MS, celsius=6.3)
    conn = sim.connect(ours, regular_train(1.0, 3, interval_ms=4.0), weight=0.01, delay_ms=1.0)
    v = sim.record("v", s(0.5))
    sim.initialize(-65.0)
    sim.advance(HH_SWITCH_MS)
    conn.weight = 0.02
    sim.advance(15.0)

    ref_spikes, our_spikes = _spike_times(ref), _spike_times(v.values)
    assert ref_spikes.size >= 2  # the synapse made the cell fire
    assert our_spikes.size == ref_spikes.size
    np.testing.assert_allclose(our_spikes, ref_spikes, rtol=0, atol=SPIKE_T_ATOL_MS)
    np.testing.assert_allclose(v.values, ref, rtol=0, atol=V_SPIKING_ATOL_MV)


def test_event_at_stop_time_uses_weight_before_the_change():
    t_event_ms, w_before, w_after = 6.0, 1.0, 10.0
    h = _h()
    soma = h.Section(name="soma_stop")
    soma.L = soma.diam = 20.0
    syn = h.ExpSyn(soma(0.5))
    syn.tau = 1e9  # no decay: g is the sum of the delivered weights
    nc = h.NetCon(None, syn)
    nc.weight[0] = w_before
    fih = h.FInitializeHandler(lambda: nc.event(t_event_ms))
    h.dt, h.steps_per_ms = DT_MS, 1.0 / DT_MS
    h.finitialize(-65.0)
    h.continuerun(t_event_ms)
    nc.weight[0] = w_after
    h.continuerun(t_event_ms + 1.0)
    ref_g = syn.g
    del fih

    cell = Cell("stop")
    s = cell.section("soma", L=20.0, diam=20.0)
    ours = cell.place(s(0.5), ExpSyn(tau=1e9))
    sim = Simulation(cell, dt_ms=DT_MS)
    conn = sim.connect(ours, [t_event_ms], weight=w_before)
    g = sim.record("g", ours)
    sim.initialize(-65.0)
    sim.advance(t_event_ms)
    conn.weight = w_after
    sim.advance(t_event_ms + 1.0)
    assert g.values[-1] == pytest.approx(ref_g, rel=G_NO_DECAY_RTOL)
