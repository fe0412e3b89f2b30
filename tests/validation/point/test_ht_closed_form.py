"""HTNeuron against the closed-form results of NEST's model notebook (SEEDS.md 0.10).

Intrinsic currents off, no synapses: V relaxes passively to -70 mV with
tau_m/(g_NaL + g_KL) = 13.33 ms, theta to theta_eq with tau_theta; with a DC current
switched on at 2 ms the neuron fires first at 34.406, 10.117, 5.450 ms and then
regularly with inter-spike intervals 14.314, 5.660, 3.972 ms.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from electrical import point

#: Issue 17: passive relaxation within 1e-6 mV (RKF45's error at these step sizes is ~1e-12).
V_ATOL_MV = 1e-6
#: Issue 17 / NEST: spikes are reported at the end of the 0.1-ms step that contains them.
SPIKE_T_ATOL_MS = 0.1

PASSIVE = {"g_peak_NaP": 0.0, "g_peak_KNa": 0.0, "g_peak_T": 0.0, "g_peak_h": 0.0}
# (DC [mV], first spike [ms], ISI [ms]) from SEEDS.md 0.10
DC_CASES = [(25.0, 34.406, 14.314), (50.0, 10.117, 5.660), (100.0, 5.450, 3.972)]


@pytest.mark.parametrize(("v0", "theta0"), [(-100.0, -65.0), (-70.0, -51.0), (-55.0, -10.0)])
def test_passive_relaxation(v0, theta0):
    model = point.HTNeuron(tau_theta=10.0, **PASSIVE)
    net = point.Network(0.1)
    pop = net.create(model, 1)
    pop.set("V_m", v0)
    pop.set("theta", theta0)
    mm = net.multimeter(pop, ["V_m", "theta"], interval_ms=0.1)
    net.run(20.0)
    t = mm.times_ms
    tau = 16.0 / 1.2
    v_exact = v0 * np.exp(-t / tau) - 70.0 * (1 - np.exp(-t / tau))
    th_exact = theta0 * np.exp(-t / 10.0) - 51.0 * (1 - np.exp(-t / 10.0))
    np.testing.assert_allclose(mm.data["V_m"][:, 0], v_exact, rtol=0, atol=V_ATOL_MV)
    np.testing.assert_allclose(mm.data["theta"][:, 0], th_exact, rtol=0, atol=V_ATOL_MV)
    assert t[-1] == pytest.approx(20.0)


def test_first_spike_formula_matches_table():
    """The table's first spike times follow from the passive solution (a check of the targets)."""
    tau = 16.0 / 1.2
    for dc, t_first, _ in DC_CASES:
        v_inf = -70.0 + dc / 1.2
        t = 2.0 - tau * math.log(1.0 - (-51.0 + 70.0) / (v_inf + 70.0))
        assert t == pytest.approx(t_first, abs=1e-3)


@pytest.mark.parametrize(("dc", "t_first", "isi"), DC_CASES)
def test_dc_first_spike_and_isi(dc, t_first, isi):
    net = point.Network(0.1)
    pop = net.create(point.HTNeuron(**PASSIVE), 1)
    net.connect(net.dc_generator(dc, start_ms=2.0), pop)
    sr = net.spike_recorder(pop)
    net.run(200.0)
    t = sr.times_ms
    assert t.size >= 5
    # NEST reports the end of the containing step: t_first <= t[0] < t_first + h
    np.testing.assert_allclose(t[0], t_first, rtol=0, atol=SPIKE_T_ATOL_MS)
    assert t[0] >= t_first
    np.testing.assert_allclose(np.diff(t), isi, rtol=0, atol=SPIKE_T_ATOL_MS)
