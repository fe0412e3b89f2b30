"""Each intrinsic current and each receptor of HTNeuron under voltage clamp, against an
independent high-accuracy solution of its ODEs (scipy solve_ivp, rtol 1e-10).

As in NEST's model notebook (SEEDS.md 0.10): the gates start at their steady state of
-70 mV and V is clamped elsewhere, so each gate relaxes with its own time constant at
fixed V; a synapse receives one spike of weight 1 at 1 ms with a 1-ms delay.  The
error left is that of NEST's scheme at h = 0.1 ms: RKF45 with an absolute error
control of 1e-3 per sub-step on every state, far less in practice (see STATE_ATOL).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from electrical import point
from electrical.point.models import D_eq_KNa, h_eq_T, m_eq_h, m_eq_NMDA, m_eq_T

#: Reference accuracy asked by the issue.
REF_RTOL = 1e-10
#: NEST's error control allows 1e-3 per sub-step on every state (rkf45, control_y(1e-3, 0)),
#: but at h = 0.1 ms the sub-steps are bounded by the resolution step and the measured
#: gate/conductance errors are <= 2.4e-8 (AMPA): 1e-6 per state keeps a 40x margin and
#: still catches any wrong rate function or constant.  A current's bound is this times
#: g_peak x |V - E| per unit of gate.
STATE_ATOL = 1e-6

T_MS = 600.0
#: Threshold far above every clamp potential: a clamped V above theta would still "fire"
#: (NEST tests the threshold after the clamp) and the reset V = E_Na would be recorded.
NO_SPIKE = {"theta_eq": 100.0}


def _clamped(v_clamp, t_ms=T_MS, record=("I_h", "I_T", "I_NaP", "I_KNa"), **params):
    net = point.Network(0.1)
    pop = net.create(point.HTNeuron(voltage_clamp=True, **NO_SPIKE, **params), 1)
    pop.set("V_m", v_clamp)  # gates stay at their -70 mV steady state
    mm = net.multimeter(pop, record, interval_ms=0.1)
    net.run(t_ms)
    return mm.times_ms, {k: mm.data[k][:, 0] for k in record}


def _solve(f, y0, t):
    sol = solve_ivp(f, (0.0, t[-1]), y0, method="DOP853", t_eval=t, rtol=REF_RTOL, atol=1e-14)
    assert sol.success
    return sol.y


@pytest.mark.parametrize("v", [-90.0, -55.0])
def test_ih(v):
    t, rec = _clamped(v, record=("I_h",))
    tau = 1.0 / (np.exp(-14.59 - 0.086 * v) + np.exp(-1.87 + 0.0701 * v))
    (m,) = _solve(lambda _t, y: [(m_eq_h(v) - y[0]) / tau], [m_eq_h(-70.0)], t)
    ref = -m * (v - (-40.0))
    assert abs(ref[-1] - ref[0]) > 1.0, "the current changes under the clamp"
    np.testing.assert_allclose(rec["I_h"], ref, rtol=0, atol=STATE_ATOL * abs(v + 40.0))


@pytest.mark.parametrize("v", [-50.0, -90.0])
def test_it(v):
    t, rec = _clamped(v, record=("I_T",), t_ms=200.0)
    tau_m = 0.22 / (np.exp(-(v + 132.0) / 16.7) + np.exp((v + 16.8) / 18.2)) + 0.13
    tau_h = 8.2 + (56.6 + 0.27 * np.exp((v + 115.2) / 5.0)) / (1.0 + np.exp((v + 86.0) / 3.2))

    def f(_t, y):
        return [(m_eq_T(v) - y[0]) / tau_m, (h_eq_T(v) - y[1]) / tau_h]

    m, h = _solve(f, [m_eq_T(-70.0), h_eq_T(-70.0)], t)
    ref = -(m**2) * h * (v - 0.0)
    assert np.ptp(ref) > 0.01
    # d(m^2 h) <= 2 dm + dh: three gate errors
    np.testing.assert_allclose(rec["I_T"], ref, rtol=0, atol=3 * STATE_ATOL * abs(v))


def test_inap_is_instantaneous():
    v = -50.0
    _, rec = _clamped(v, record=("I_NaP",), t_ms=5.0)
    m = 1.0 / (1.0 + np.exp(-(v + 55.7) / 7.7))
    np.testing.assert_allclose(rec["I_NaP"], -(m**3) * (v - 30.0), rtol=1e-14)


def test_ikna():
    v = -20.0
    t, rec = _clamped(v, record=("I_KNa",), t_ms=1500.0)
    (d,) = _solve(lambda _t, y: [(D_eq_KNa(v) - y[0]) / 1250.0], [D_eq_KNa(-70.0)], t)
    ref = -(1.0 / (1.0 + (0.25 / d) ** 3.5)) * (v + 90.0)
    assert np.ptp(ref) > 10.0
    # dm/dD <= 3.5/(4 d_half) = 3.5 per unit D near d_half
    np.testing.assert_allclose(rec["I_KNa"], ref, rtol=0, atol=3.5 * STATE_ATOL * abs(v + 90.0))


def _one_spike(receptor, v=-70.0, t_ms=300.0, **params):
    net = point.Network(0.1)
    model = point.HTNeuron(voltage_clamp=True, **NO_SPIKE, **params)
    pop = net.create(model, 1)
    pop.set("V_m", v)
    net.connect(net.spike_generator([1.0]), pop, weight=1.0, delay_ms=1.0, receptor=receptor)
    mm = net.multimeter(pop, [f"g_{receptor}"], interval_ms=0.1)
    net.run(t_ms)
    return model, mm.times_ms, mm.data[f"g_{receptor}"][:, 0]


@pytest.mark.parametrize("receptor", ["AMPA", "GABA_A", "GABA_B"])
def test_receptor(receptor):
    model, t, g = _one_spike(receptor)
    p = model.values
    tr, td = p[f"tau_rise_{receptor}"], p[f"tau_decay_{receptor}"]
    c = model.cond_steps()[list(point.RECEPTORS).index(receptor)]
    after = t >= 2.0 - 1e-9  # the spike at 1 ms arrives at 2 ms (delay 1 ms)
    _dg, gg = _solve(lambda _t, y: [-y[0] / tr, y[0] - y[1] / td], [c, 0.0], t[after] - 2.0)
    assert np.all(g[~after] == 0.0)
    # peak-normalised: the 0.1-ms samples miss the peak by < 1e-3 relative
    assert gg.max() == pytest.approx(p[f"g_peak_{receptor}"], rel=1e-3)
    np.testing.assert_allclose(g[after], gg, rtol=0, atol=STATE_ATOL)


@pytest.mark.parametrize("instant", [False, True])
def test_nmda_unblock(instant):
    v = -30.0
    model, t, g = _one_spike("NMDA", v=v, instant_unblock_NMDA=instant)
    p = model.values
    c = model.cond_steps()[1]
    meq = m_eq_NMDA(v)
    m0 = m_eq_NMDA(-70.0)
    a = 0.51 - 0.0028 * v

    def f(_t, y):
        return [
            -y[0] / 4.0,
            (y[0] if _t >= 2.0 else 0.0) - y[1] / 40.0,
            (meq - y[2]) / p["tau_Mg_fast_NMDA"],
            (meq - y[3]) / p["tau_Mg_slow_NMDA"],
        ]

    # the spike enters dg at 2 ms: integrate [0, 2] (gates only) then from the jump
    pre = t <= 2.0 + 1e-9
    y_pre = _solve(lambda _t, y: [0.0, 0.0, *f(_t, y)[2:]], [0.0, 0.0, m0, m0], t[pre])
    y2 = y_pre[:, -1].copy()
    y2[0] = c
    y_post = _solve(lambda _t, y: f(_t + 2.0, y), y2, t[~pre] - 2.0)
    _dg, gtc, mf, ms = np.concatenate([y_pre, y_post], axis=1)
    m_nmda = np.full_like(mf, meq) if instant else a * mf + (1 - a) * ms
    ref = gtc * m_nmda
    assert np.ptp(ref) > 0.01
    np.testing.assert_allclose(g, ref, rtol=0, atol=STATE_ATOL)
