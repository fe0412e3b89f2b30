"""Passive cable against closed-form solutions, and convergence orders.

Finite sealed cable of length L, diameter d, axial resistivity Ra, leak g
(reversal E), capacitance cm, with a current step I0 injected at x = 0
(Rall; e.g. Jack, Noble & Tsien 1975, ch. 3).  With lambda = sqrt(d/(4 Ra g)),
tau = cm/g and r_a = 4 Ra/(pi d^2):

    V_ss(x) = I0 r_a lambda cosh((L - x)/lambda) / sinh(L/lambda)
    V(x, t) = V_ss(x) - (I0 r_a lambda^2 / L) [exp(-t/tau)
              + 2 sum_n cos(k_n x) exp(-(1 + k_n^2 lambda^2) t/tau) / (1 + k_n^2 lambda^2)],
    k_n = n pi / L,

(the series is the cosine expansion of V_ss with Neumann ends).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from electrical import Cell, IClamp, PlayCurrent, Simulation

RA = 100.0  # ohm cm
DIAM_UM = 1.0
G = 1e-3  # S/cm2
CM = 1.0  # uF/cm2
E_MV = -65.0
L_UM = 500.0
I0_NA = 0.1

LAMBDA_UM = math.sqrt(DIAM_UM * 1e-4 / (4 * RA * G)) * 1e4
TAU_MS = CM / G * 1e-3
R_A_MOHM_PER_UM = 4 * RA / (math.pi * (DIAM_UM * 1e-4) ** 2) * 1e-4 * 1e-6  # ohm/cm -> MOhm/um

# nseg = 2001 puts the O((dx/lambda)^2/12) discretisation error at 2e-7 of the response.
NSEG_FINE = 2001
# The bound: the compartmental solution equals the cable equation to 1e-6.
CABLE_RTOL = 1e-6
# Convergence slopes from a log-log fit (STYLE.md 7): expected order +- 0.2.
ORDER_TOL = 0.2


def v_steady(x_um):
    # nA * MOhm = mV
    return (
        I0_NA
        * R_A_MOHM_PER_UM
        * LAMBDA_UM
        * np.cosh((L_UM - x_um) / LAMBDA_UM)
        / math.sinh(L_UM / LAMBDA_UM)
    )


def v_transient(x_um, t_ms, nterms=4000):
    n = np.arange(1, nterms + 1)[:, None]
    k = n * math.pi / L_UM
    f = 1 + (k * LAMBDA_UM) ** 2
    series = 2 * np.sum(np.cos(k * x_um[None, :]) * np.exp(-f * t_ms / TAU_MS) / f, axis=0)
    c = I0_NA * R_A_MOHM_PER_UM * LAMBDA_UM**2 / L_UM
    return v_steady(x_um) - c * (math.exp(-t_ms / TAU_MS) + series)


def _cable(nseg, stim):
    cell = Cell("cable")
    sec = cell.section("cable", L=L_UM, diam=DIAM_UM, nseg=nseg, Ra=RA, cm=CM)
    sec.insert("pas", g=G, e=E_MV)
    cell.place(sec(0.0), stim)
    return cell, sec


def _run_profile(nseg, t_ms, dt_ms, method):
    cell, sec = _cable(nseg, IClamp(delay=0.0, dur=1e9, amp=I0_NA))
    sim = Simulation(cell, dt_ms=dt_ms, method=method)
    sim.initialize(E_MV)
    sim.advance(t_ms)
    nodes = sim.tree.sec_centres[id(sec)]
    x = (np.arange(nseg) + 0.5) / nseg * L_UM
    return x, sim.v[nodes] - E_MV


def test_steady_state_matches_cosh():
    x, v = _run_profile(NSEG_FINE, 30 * TAU_MS, 0.025, "backward_euler")
    exact = v_steady(x)
    np.testing.assert_allclose(v, exact, rtol=0, atol=CABLE_RTOL * exact.max())


@pytest.mark.parametrize("t_ms", [0.5, 2.0])
def test_transient_matches_series(t_ms):
    # Crank-Nicolson at dt = 2.5e-4 ms: time error (dt/tau)^2 ~ 6e-8 of the response
    x, v = _run_profile(NSEG_FINE, t_ms, 2.5e-4, "crank_nicolson")
    exact = v_transient(x, t_ms)
    sel = x > 20.0  # away from the injection point, where the series converges slowly
    np.testing.assert_allclose(v[sel], exact[sel], rtol=0, atol=CABLE_RTOL * v_steady(x).max())


def _slope(hs, errs):
    return float(np.polyfit(np.log(hs), np.log(errs), 1)[0])


def _pulse_run(nseg, dt_ms, method, t_ms=2.0):
    # A smooth input (a linear ramp played in) keeps the solution smooth in time.
    cell, sec = _cable(nseg, PlayCurrent([0.0, 1.0, 2.0], [0.0, I0_NA, 0.5 * I0_NA]))
    sim = Simulation(cell, dt_ms=dt_ms, method=method)
    v = sim.record("v", sec(0.5), every=max(1, round(0.1 / dt_ms)))
    sim.initialize(E_MV)
    sim.advance(t_ms)
    return v.values


@pytest.mark.parametrize("method,order", [("backward_euler", 1.0), ("crank_nicolson", 2.0)])
def test_time_convergence_order(method, order):
    base = 0.02
    ref = _pulse_run(51, base / 16, method)
    dts = [base, base / 2, base / 4]
    errs = [np.max(np.abs(_pulse_run(51, dt, method) - ref)) for dt in dts]
    assert _slope(dts, errs) == pytest.approx(order, abs=ORDER_TOL)


def test_space_convergence_order():
    # odd nseg multiplied by 3 keeps a node at x = 0.5; steady state isolates space
    ref = _run_profile(3**7, 30 * TAU_MS, 0.025, "backward_euler")
    centre = lambda n: _run_profile(n, 30 * TAU_MS, 0.025, "backward_euler")[1][n // 2]  # noqa: E731
    vref = ref[1][3**7 // 2]
    ns = [9, 27, 81]
    errs = [abs(centre(n) - vref) for n in ns]
    dx = [L_UM / n for n in ns]
    assert _slope(dx, errs) == pytest.approx(2.0, abs=ORDER_TOL)
