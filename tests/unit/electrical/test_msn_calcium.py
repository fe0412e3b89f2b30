"""MSN K(Ca) channels (bkkca, skkca) and the dendritic Ca shells (cadyn, caldyn).

References: MODEL.md sections 3.3 and 4.2 (Shao et al. 1999 BK scheme,
Moczydlowski & Latorre 1983, Wolf et al. 2005 shells).  Real numba kernels.
"""

from __future__ import annotations

import math

import numpy as np

from electrical.mechanisms.msn import cadyn, kca

#: Same formula in float64 (or a 3x3 solve vs numpy's LAPACK): round-off only.
EXACT_RTOL = 1e-12
#: MODEL.md gives the K1, K2 exponents (0.063267, 0.075317 /mV) to 5 significant digits.
#: (half a unit in the last digit, 5e-7 /mV, times |V| <= 90 mV gives 4.5e-5 relative).
SK_SPEC_DIGITS_RTOL = 1e-4
#: MODEL.md's verified bkkca initial open fraction "O ~ 1.0e-8" has 2 significant digits.
BK_O_INIT_RTOL = 0.05
#: Probability conservation C + O + I = 1 after 10^4 steps: accumulated round-off.
CONSERVE_ATOL = 1e-12
#: Fractions from a solve that uses C + O + I = 1 carry absolute round-off of the unit sum.
PROB_ATOL = 1e-14
#: A fixed point computed in closed form reproduced by one BE step: round-off only.
FIXED_POINT_RTOL = 1e-9
#: Approach to steady state after 250 ms when the slowest rate is >= 1/ms: exp(-250) ~ 0.
RELAXED_RTOL = 1e-9
#: The cnexp shell update is exact for pump = 0: agreement to accumulated round-off.
SHELL_EXACT_RTOL = 1e-10
#: Shell fixed point from bisection of the ODE right-hand side: bisection resolution [mM].
CINF_ATOL_MM = 1e-15

V_INIT_MV = -87.75
DT_MS = 0.025


def _bk_rates_spec(v, cai):
    def alp(t0, vh, k):
        return 1.0 / (t0 + math.exp((v - vh) / k))

    k3 = 1.0 / (0.001 + 1.0 / (1.0 / (1.0 - 0.001) + math.exp((v + 20.0) / 7.0)))
    return alp(0.1, -10.0, 1.0), alp(0.1, -120.0, -10.0), k3 * 1e8 * cai**3, alp(0.01, -44.0, -5.0)


def test_bk_rates_match_spec():
    for v in (-100.0, V_INIT_MV, -40.0, 0.0, 30.0):
        for cai in (1e-5, 1e-3):
            np.testing.assert_allclose(kca.bk_rates(v, cai), _bk_rates_spec(v, cai),
                                       rtol=EXACT_RTOL)


def test_bk_initial_open_fraction_is_the_published_value():
    c, o, i = kca.bk_steady_state(V_INIT_MV, 1e-5)
    np.testing.assert_allclose(o, 1.0e-8, rtol=BK_O_INIT_RTOL)
    np.testing.assert_allclose(c + o + i, 1.0, rtol=EXACT_RTOL)


def test_bk_backward_euler_step_is_the_linear_solve():
    """(I - dt A) x' = x with A the scheme's generator; the steady state is a fixed point."""
    rng = np.random.default_rng(1)
    for v, cai in ((-30.0, 2e-3), (10.0, 5e-4), (V_INIT_MV, 1e-5)):
        k1, k2, k3, k4 = _bk_rates_spec(v, cai)
        a = np.array([[-k3, k4, k2], [k3, -(k4 + k1), 0.0], [0.0, k1, -k2]])
        x = rng.dirichlet(np.ones(3))
        ref = np.linalg.solve(np.eye(3) - DT_MS * a, x)
        got = kca.bk_backward_euler(*x, v, cai, DT_MS)
        np.testing.assert_allclose(got, ref, rtol=EXACT_RTOL, atol=PROB_ATOL)
        ss = kca.bk_steady_state(v, cai)
        np.testing.assert_allclose(kca.bk_backward_euler(*ss, v, cai, DT_MS), ss,
                                   rtol=FIXED_POINT_RTOL, atol=PROB_ATOL)


def test_bk_conserves_probability_and_relaxes_to_steady_state():
    x = (1.0, 0.0, 0.0)
    v, cai = 20.0, 1e-3  # all eigenvalues of the scheme are fast (>= 1/ms) here
    for _ in range(10_000):
        x = kca.bk_backward_euler(*x, v, cai, DT_MS)
    np.testing.assert_allclose(sum(x), 1.0, atol=CONSERVE_ATOL)
    np.testing.assert_allclose(x, kca.bk_steady_state(v, cai), rtol=RELAXED_RTOL, atol=PROB_ATOL)


def test_sk_rates_match_spec():
    p = {"d1": 0.84, "d2": 1.0, "k1": 0.18, "k2": 0.011, "abar": 0.48, "bbar": 0.28, "stau": 1.0}
    for v in (-90.0, -40.0, 0.0, 40.0):
        for cai in (1e-5, 1e-3, 1e-2):
            kk1 = 0.18 * math.exp(-0.063267 * v)
            kk2 = 0.011 * math.exp(-0.075317 * v)
            a = 0.48 / (1 + kk1 / cai)
            b = 0.28 / (1 + cai / kk2)
            oinf, tau = kca.sk_rates(v, cai, 35.0, *p.values())
            np.testing.assert_allclose([oinf, tau], [a / (a + b), 1 / (a + b)],
                                       rtol=SK_SPEC_DIGITS_RTOL)


_SHELL = {"depth": 0.1, "taur": 43.0, "cainf": 1e-5, "kt": 1e-4, "kd": 1e-4, "pump": 0.02,
          "drive": 1e4}


def _run_shell(c0, ica, t_ms, **over):
    p = {**_SHELL, **over}
    c = c0
    for _ in range(round(t_ms / DT_MS)):
        c = cadyn.shell_step(c, ica, *p.values(), DT_MS)
    return c


def test_shell_without_pump_relaxes_exactly_with_taur():
    """pump = 0, ica = 0: C(t) = cainf + (C0 - cainf) exp(-t/taur) (cnexp is exact)."""
    t = 43.0
    c = _run_shell(1e-3, 0.0, t, pump=0.0)
    np.testing.assert_allclose(c, 1e-5 + (1e-3 - 1e-5) * math.exp(-t / 43.0), rtol=SHELL_EXACT_RTOL)


def test_shell_constant_influx_steady_state():
    """Inward ica: the fixed point is cainf + taur*drive_channel (pump off); efflux ignored."""
    ica = -1e-3  # mA/cm2, inward
    drive_channel = -1e4 * ica / (2 * 96489.0 * 0.1)  # mM/ms, MODEL.md 4.2
    c = _run_shell(1e-5, ica, 2000.0, pump=0.0)
    np.testing.assert_allclose(c, 1e-5 + 43.0 * drive_channel, rtol=RELAXED_RTOL)
    out = _run_shell(1e-3, +1e-3, 100.0)
    ref = _run_shell(1e-3, 0.0, 100.0)
    assert out == ref  # outward (positive) pool current is clamped to zero entry


def test_shell_with_pump_reaches_ode_fixed_point():
    c = _run_shell(1e-3, -2e-4, 3000.0)
    cinf = cadyn.shell_cinf(-2e-4, *_SHELL.values())
    np.testing.assert_allclose(c, cinf, rtol=RELAXED_RTOL, atol=CINF_ATOL_MM)
    assert cinf < 1e-5 + 43.0 * (2e-4 * 1e4 / (2 * 96489.0 * 0.1))  # the pump lowers it


def test_shell_kernels_signature_and_priority():
    assert cadyn.CaDyn.priority < 0 and cadyn.CalDyn.priority < 0
    assert cadyn.CaDyn.writes == ("cai",) and cadyn.CalDyn.writes == ("cali",)
    args = tuple(_SHELL.values())
    assert cadyn.CaDyn.init.py_func(0.0, -80.0, 0.0, 1e-3, *args, None, 35.0) == (1e-5,)
    got = cadyn.CalDyn.advance.py_func(0.0, -80.0, -1e-3, 2e-5, *args, None, 35.0, DT_MS)
    assert got == (cadyn.shell_step(2e-5, -1e-3, *args, DT_MS),)
