"""The cable engine against NEURON 9 (live) and NEURON's published tutorial numbers.

Random branched trees of 50-500 sections with mixed nseg, pas and hh, and
IClamps at random places (ends included) are built identically in both
simulators and run with backward Euler and Crank-Nicolson.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from electrical import Cell, IClamp, Simulation

from ...conftest import REPO

DT_MS = 0.025
T_STOP_MS = 30.0
# Passive models: the two codes solve the same linear system; only round-off differs.
PASSIVE_ATOL_MV = 1e-6
# Spiking models: away from spikes the traces agree far better than the 1e-3 mV.
HH_AWAY_ATOL_MV = 1e-3
# Spike times may move by less than one step (issue 2).
SPIKE_T_ATOL_MS = DT_MS
# Samples this close to a spike are compared through the spike times instead.
SPIKE_GUARD_MS = 2.0
# NEURON 9.0.2's ball-and-stick errors, to 1e-6 relative (issue 2).
BALL_STICK_RTOL = 1e-6
NRN_ERR_NSEG1_MV = 2.61016686709
NRN_ERR_NSEG11_MV = 0.0657450086892


def random_tree(n_sections: int, seed: int, active: bool):
    """(name, parent, x, L, diam, nseg, mech) per section and IClamp specs."""
    rng = np.random.default_rng(seed)
    secs = [("soma", -1, 0.0, 20.0, 20.0, 1, "hh" if active else "pas")]
    for k in range(1, n_sections):
        parent = int(rng.integers(0, k))
        x = float(rng.choice([0.0, 1.0, 1.0, 0.5, rng.uniform(0.01, 0.99)]))
        if parent == 0 and x == 0.0:
            x = 1.0
        mech = "hh" if (active and rng.random() < 0.5) else "pas"
        secs.append(
            (
                f"s{k}",
                parent,
                x,
                float(rng.uniform(10, 150)),
                float(rng.uniform(0.4, 4.0)),
                int(rng.integers(1, 10)),
                mech,
            )
        )
    stims = []
    for _ in range(3):
        sec = int(rng.integers(0, n_sections))
        x = float(rng.choice([0.0, 1.0, rng.uniform(0, 1)]))
        stims.append(
            (
                sec,
                x,
                float(rng.uniform(1, 5)),
                float(rng.uniform(2, 15)),
                float(rng.uniform(0.05, 0.6) * (1 if active else rng.choice([-1, 1]))),
            )
        )
    return secs, stims


def run_ours(secs, stims, method, record):
    cell = Cell("tree")
    made = []
    for name, parent, x, L, diam, nseg, mech in secs:
        s = cell.section(name, L=L, diam=diam, nseg=nseg, Ra=100.0, cm=1.0)
        if parent >= 0:
            s.connect(made[parent](x))
        if mech == "pas":
            s.insert("pas", g=2e-4, e=-65.0)
        else:
            s.insert("hh")
        made.append(s)
    for sec, x, delay, dur, amp in stims:
        cell.place(made[sec](x), IClamp(delay=delay, dur=dur, amp=amp))
    sim = Simulation(cell, dt_ms=DT_MS, method=method, celsius=6.3)
    traces = [sim.record("v", made[i](x)) for i, x in record]
    sim.initialize(-65.0)
    sim.advance(T_STOP_MS)
    return np.array([t.values for t in traces])


def run_neuron(h, secs, stims, method, record):
    made = []
    for name, parent, x, L, diam, nseg, mech in secs:
        s = h.Section(name=name)
        s.L, s.diam, s.nseg, s.Ra, s.cm = L, diam, nseg, 100.0, 1.0
        if parent >= 0:
            s.connect(made[parent](x), 0)
        s.insert(mech)
        if mech == "pas":
            for seg in s:
                seg.pas.g, seg.pas.e = 2e-4, -65.0
        made.append(s)
    keep = []
    for sec, x, delay, dur, amp in stims:
        st = h.IClamp(made[sec](x))
        st.delay, st.dur, st.amp = delay, dur, amp
        keep.append(st)
    vecs = [h.Vector().record(made[i](x)._ref_v) for i, x in record]
    h.celsius, h.dt, h.secondorder = 6.3, DT_MS, {"backward_euler": 0, "crank_nicolson": 2}[method]
    h.finitialize(-65.0)
    h.continuerun(T_STOP_MS)
    out = np.array([np.array(v) for v in vecs])
    del keep, vecs, made
    return out


def spike_times(t, v, thresh=0.0):
    up = np.nonzero((v[:-1] < thresh) & (v[1:] >= thresh))[0]
    return t[up] + (thresh - v[up]) * (t[up + 1] - t[up]) / (v[up + 1] - v[up])


def _record_sites(secs, seed):
    rng = np.random.default_rng(seed + 1000)
    sites = [(0, 0.5)] + [
        (int(rng.integers(0, len(secs))), float(rng.uniform(0, 1))) for _ in range(5)
    ]
    return sites + [(len(secs) - 1, 1.0), (1, 0.0)]


@pytest.mark.neuron
@pytest.mark.parametrize("method", ["backward_euler", "crank_nicolson"])
@pytest.mark.parametrize("n_sections,seed", [(50, 1), (200, 2), (500, 3)])
def test_passive_random_tree(nrn, method, n_sections, seed):
    secs, stims = random_tree(n_sections, seed, active=False)
    rec = _record_sites(secs, seed)
    ours = run_ours(secs, stims, method, rec)
    theirs = run_neuron(nrn, secs, stims, method, rec)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=PASSIVE_ATOL_MV)


@pytest.mark.neuron
@pytest.mark.parametrize("method", ["backward_euler", "crank_nicolson"])
@pytest.mark.parametrize("n_sections,seed", [(50, 11), (150, 12), (500, 13)])
def test_hh_random_tree(nrn, method, n_sections, seed):
    secs, stims = random_tree(n_sections, seed, active=True)
    rec = _record_sites(secs, seed)
    ours = run_ours(secs, stims, method, rec)
    theirs = run_neuron(nrn, secs, stims, method, rec)
    t = np.arange(ours.shape[1]) * DT_MS
    n_spikes = 0
    for a, b in zip(ours, theirs):
        sa, sb = spike_times(t, a), spike_times(t, b)
        assert sa.size == sb.size
        np.testing.assert_allclose(sa, sb, rtol=0, atol=SPIKE_T_ATOL_MS)
        n_spikes += sa.size
        away = np.ones(t.size, bool)
        for s in np.concatenate([sa, sb]):
            away &= np.abs(t - s) > SPIKE_GUARD_MS
        np.testing.assert_allclose(a[away], b[away], rtol=0, atol=HH_AWAY_ATOL_MV)
    assert n_spikes > 0, "the test model must spike to test spike timing"


@pytest.mark.neuron
def test_3d_points_areas_and_traces(nrn):
    """Tapered sections given by 3-D points: same areas and same trace as NEURON."""
    pts_a = [(0, 0, 0, 4.0), (10, 0, 0, 3.0), (25, 5, 0, 2.5), (60, 5, 3, 1.0)]
    pts_b = [(0, 0, 0, 1.5), (30, 10, 0, 0.8), (31, 10, 0, 0.8), (90, 40, 0, 0.3)]
    cell = Cell("c")
    soma = cell.section("soma", L=15, diam=15, Ra=80)
    a = cell.section("a", points=pts_a, nseg=7, Ra=80, parent=soma(1))
    b = cell.section("b", points=pts_b, nseg=5, Ra=80, parent=a(0.6))
    for s in (soma, a, b):
        s.insert("pas", g=3e-4, e=-70)
    cell.place(b(1.0), IClamp(delay=1, dur=5, amp=0.1))
    sim = Simulation(cell)
    ours = [sim.record("v", b(0.3)), sim.record("v", soma(0.5))]
    sim.initialize(-70)
    sim.advance(15)

    h = nrn
    ns = h.Section(name="soma")
    ns.L = ns.diam = 15
    na, nb = h.Section(name="a"), h.Section(name="b")
    for sec, pts in ((na, pts_a), (nb, pts_b)):
        for p in pts:
            h.pt3dadd(*p, sec=sec)
    na.nseg, nb.nseg = 7, 5
    na.connect(ns(1), 0)
    nb.connect(na(0.6), 0)
    for s in (ns, na, nb):
        s.Ra = 80
        s.insert("pas")
        for seg in s:
            seg.pas.g, seg.pas.e = 3e-4, -70
    st = h.IClamp(nb(1.0))
    st.delay, st.dur, st.amp = 1, 5, 0.1
    vecs = [h.Vector().record(nb(0.3)._ref_v), h.Vector().record(ns(0.5)._ref_v)]
    h.dt, h.secondorder = DT_MS, 0
    h.finitialize(-70)
    h.continuerun(15)
    areas_nrn = [seg.area() for seg in na] + [seg.area() for seg in nb]
    areas_ours = list(sim.tree.area[sim.tree.sec_centres[id(a)]]) + list(
        sim.tree.area[sim.tree.sec_centres[id(b)]]
    )
    np.testing.assert_allclose(areas_ours, areas_nrn, rtol=1e-12)
    for tr, vec in zip(ours, vecs):
        np.testing.assert_allclose(tr.values, np.array(vec), rtol=0, atol=PASSIVE_ATOL_MV)
    del st, vecs


def test_ball_and_stick_errors_equal_neuron():
    """The NEURON tutorial's nseg study gives NEURON 9.0.2's numbers (no NEURON needed)."""
    spec = importlib.util.spec_from_file_location("bs", REPO / "examples" / "ball_and_stick.py")
    bs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bs)
    errors, _ = bs.nseg_errors()
    assert errors[1] == pytest.approx(NRN_ERR_NSEG1_MV, rel=BALL_STICK_RTOL)
    assert errors[11] == pytest.approx(NRN_ERR_NSEG11_MV, rel=BALL_STICK_RTOL)
