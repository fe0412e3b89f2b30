"""MSN calcium-activated potassium channels ``bkkca`` and ``skkca``.

Both read only the ``ca`` pool (cai) and write ik.  Sources as used by Wolf
et al. (2005) J Neurosci 25:9080 and Mattioni & Le Novere (2013) PLoS ONE
8:e66811 (MODEL.md section 3.3):

bkkca (BK; three-state scheme of Shao et al. 1999, J Physiol 521:135):
C <-> O (k3 forward, k4 backward), O -> I (k1), I -> C (k2), C + O + I = 1,
i = gkbar O (v - ek).  With alp(t0, v, vh, k) = 1/(t0 + exp((v - vh)/k)) and
alpha(t0, t1, v, vh, k) = 1/(t0 + 1/(1/(t1 - t0) + exp((v - vh)/k))) [1/ms]:
k1 = alp(0.1, v, -10, 1), k2 = alp(0.1, v, -120, -10),
k3 = alpha(0.001, 1, v, -20, 7) 1e8 (cai/mM)^3, k4 = alp(0.01, v, -44, -5).
Integrated like NEURON's ``sparse`` KINETIC solver: one exact backward-Euler
step per dt, (C, O, I)' = (C, O, I) + dt A (C, O, I)' with the conservation
C + O + I = 1 in place of the equation for I.  Initial state: the scheme's
steady state at v_init and the initial cai.

skkca (Moczydlowski & Latorre 1983, J Gen Physiol 82:511, BK-type despite its
name): o' = (o_inf - o)/tau, alpha = abar/(1 + K1(v)/cai),
beta = bbar/(1 + cai/K2(v)), Ki(v) = ki exp(-2 di F v/(R T)), v in volts,
T = 273.15 + celsius_sk (celsius_sk = 35 degC, the mechanism's own constant),
tau = stau/(alpha + beta), o_inf = alpha tau; i = gkbar o (v - ek).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from numba import njit

from ..base import DensityMechanism, Param, register
from ..numerics import exp_euler_gate, safe_exp
from .ghk import FARADAY_C_PER_MOL, R_J_PER_MOL_K, ZERO_CELSIUS_K

__all__ = ["BKKCa", "SKKCa", "bk_backward_euler", "bk_rates", "bk_steady_state", "sk_rates"]

_F = FARADAY_C_PER_MOL
_R = R_J_PER_MOL_K
#: Scale of the cubic Ca dependence of the BK opening rate [1/mM^3].
BK_CA3_SCALE = 1e8


@njit(cache=True, inline="always")
def _alp(t0, v, vh, k):
    return 1.0 / (t0 + safe_exp((v - vh) / k))


@njit(cache=True, inline="always")
def _alpha(t0, t1, v, vh, k):
    return 1.0 / (t0 + 1.0 / (1.0 / (t1 - t0) + safe_exp((v - vh) / k)))


@njit(cache=True, inline="always")
def bk_rates(v, cai):
    """(k1, k2, k3, k4) [1/ms] of the BK scheme at v [mV] and cai [mM]."""
    k1 = _alp(0.1, v, -10.0, 1.0)
    k2 = _alp(0.1, v, -120.0, -10.0)
    k3 = _alpha(0.001, 1.0, v, -20.0, 7.0) * BK_CA3_SCALE * cai * cai * cai
    k4 = _alp(0.01, v, -44.0, -5.0)
    return k1, k2, k3, k4


@njit(cache=True)
def bk_steady_state(v, cai):
    """(C, O, I) at the steady state of the scheme (fractions, sum 1)."""
    k1, k2, k3, k4 = bk_rates(v, cai)
    # k1 O = k2 I and k3 C = (k1 + k4) O  =>  O = k2 k3 / (k2 k3 + k1 k3 + k2 (k1 + k4))
    o = k2 * k3 / (k2 * k3 + k1 * k3 + k2 * (k1 + k4))
    i = k1 * o / k2
    return 1.0 - o - i, o, i


@njit(cache=True)
def bk_backward_euler(c, o, i, v, cai, dt):
    """One backward-Euler step of the BK scheme with C + O + I = 1 (NEURON ``sparse``).

    Solves (1 + dt k3) C' - dt k4 O' - dt k2 I' = C,
    -dt k3 C' + (1 + dt (k1 + k4)) O' = O, C' + O' + I' = 1
    by Gaussian elimination of the 3x3 system.
    """
    k1, k2, k3, k4 = bk_rates(v, cai)
    a = np.empty((3, 3))
    b = np.empty(3)
    a[0, 0], a[0, 1], a[0, 2], b[0] = 1.0 + dt * k3, -dt * k4, -dt * k2, c
    a[1, 0], a[1, 1], a[1, 2], b[1] = -dt * k3, 1.0 + dt * (k1 + k4), 0.0, o
    a[2, 0], a[2, 1], a[2, 2], b[2] = 1.0, 1.0, 1.0, 1.0
    for col in range(3):  # partial pivoting
        piv = col
        for r in range(col + 1, 3):
            if abs(a[r, col]) > abs(a[piv, col]):
                piv = r
        if piv != col:
            for q in range(3):
                a[col, q], a[piv, q] = a[piv, q], a[col, q]
            b[col], b[piv] = b[piv], b[col]
        for r in range(col + 1, 3):
            f = a[r, col] / a[col, col]
            for q in range(col, 3):
                a[r, q] -= f * a[col, q]
            b[r] -= f * b[col]
    x2 = b[2] / a[2, 2]
    x1 = (b[1] - a[1, 2] * x2) / a[1, 1]
    x0 = (b[0] - a[0, 1] * x1 - a[0, 2] * x2) / a[0, 0]
    return x0, x1, x2


@njit(cache=True, inline="always")
def _swap_if(flag, x, y):
    """(y, x) if flag else (x, y), as selects (no branch)."""
    return (y if flag else x), (x if flag else y)


@njit(cache=True, inline="always")
def bk_backward_euler_unrolled(c, o, i, v, cai, dt):
    """:func:`bk_backward_euler` with the 3x3 elimination written out, bit for bit.

    The same operations in the same order, partial pivoting included (the pivot
    rows chosen by the same comparisons, exchanged by selects), but with no
    arrays and no loops, so that its advance loop has no allocation.
    """
    k1, k2, k3, k4 = bk_rates(v, cai)
    a00, a01, a02, b0 = 1.0 + dt * k3, -dt * k4, -dt * k2, c
    a10, a11, a12, b1 = -dt * k3, 1.0 + dt * (k1 + k4), 0.0, o
    a20, a21, a22, b2 = 1.0, 1.0, 1.0, 1.0
    # column 0: pivot = first row of largest |a[r, 0]| (strict >, rows in order)
    p1 = abs(a10) > abs(a00)
    p2 = abs(a20) > abs(a10 if p1 else a00)
    # exchange rows 0 and piv (piv = 2 if p2 else 1 if p1 else 0)
    s01 = p1 and not p2
    a00, a10 = _swap_if(s01, a00, a10)
    a01, a11 = _swap_if(s01, a01, a11)
    a02, a12 = _swap_if(s01, a02, a12)
    b0, b1 = _swap_if(s01, b0, b1)
    a00, a20 = _swap_if(p2, a00, a20)
    a01, a21 = _swap_if(p2, a01, a21)
    a02, a22 = _swap_if(p2, a02, a22)
    b0, b2 = _swap_if(p2, b0, b2)
    f = a10 / a00
    a11 -= f * a01
    a12 -= f * a02
    b1 -= f * b0
    f = a20 / a00
    a21 -= f * a01
    a22 -= f * a02
    b2 -= f * b0
    # column 1
    s12 = abs(a21) > abs(a11)
    a11, a21 = _swap_if(s12, a11, a21)
    a12, a22 = _swap_if(s12, a12, a22)
    b1, b2 = _swap_if(s12, b1, b2)
    f = a21 / a11
    a22 -= f * a12
    b2 -= f * b1
    x2 = b2 / a22
    x1 = (b1 - a12 * x2) / a11
    x0 = (b0 - a01 * x1 - a02 * x2) / a00
    return x0, x1, x2


@njit(cache=True)
def _bk_init(t, v, cai, ek, gkbar, aux, celsius):
    return bk_steady_state(v, cai)


@njit(cache=True)
def _bk_current(t, v, c, o, i, cai, ek, gkbar, aux, celsius):
    return (gkbar * o * (v - ek),)


@njit(cache=True)
def _bk_advance(t, v, c, o, i, cai, ek, gkbar, aux, celsius, dt):
    return bk_backward_euler_unrolled(c, o, i, v, cai, dt)


@register
class BKKCa(DensityMechanism):
    """BK-type Ca- and voltage-activated K current, three-state scheme (Shao et al. 1999)."""

    name = "bkkca"
    params: ClassVar[Mapping[str, Param]] = {"gkbar": Param(0.001, "S/cm2", (0.0, math.inf), "maximal conductance")}
    states: ClassVar[Mapping[str, Param]] = {
        "c": Param(1.0, "1", (0.0, 1.0), "closed fraction"),
        "o": Param(0.0, "1", (0.0, 1.0), "open fraction"),
        "i": Param(0.0, "1", (0.0, 1.0), "inactivated fraction"),
    }
    currents: ClassVar[Mapping[str, str | None]] = {"ik": "k"}
    reads = ("cai", "ek")
    init = staticmethod(_bk_init)
    current = staticmethod(_bk_current)
    advance = staticmethod(_bk_advance)


# ----------------------------------------------------------------------------- skkca


@njit(cache=True, inline="always")
def sk_rates(v, cai, celsius_sk, d1, d2, k1, k2, abar, bbar, stau):
    """(o_inf, tau [ms]) of skkca at v [mV] and cai [mM]."""
    # exp(-2 d F v/(R T)) with v in volts: v[mV] * 1e-3
    fv = 1e-3 * v * _F / (_R * (celsius_sk + ZERO_CELSIUS_K))
    kk1 = k1 * math.exp(-2.0 * d1 * fv)
    kk2 = k2 * math.exp(-2.0 * d2 * fv)
    a = abar / (1.0 + kk1 / cai)
    b = bbar / (1.0 + cai / kk2)
    tau = stau / (a + b)
    return a * tau, tau


@njit(cache=True)
def _sk_init(t, v, cai, ek, gkbar, d1, d2, k1, k2, abar, bbar, stau, aux, celsius):
    oinf, _tau = sk_rates(v, cai, aux[0], d1, d2, k1, k2, abar, bbar, stau)
    return (oinf,)


@njit(cache=True)
def _sk_current(t, v, o, cai, ek, gkbar, d1, d2, k1, k2, abar, bbar, stau, aux, celsius):
    return (gkbar * o * (v - ek),)


@njit(cache=True)
def _sk_advance(t, v, o, cai, ek, gkbar, d1, d2, k1, k2, abar, bbar, stau, aux, celsius, dt):
    oinf, tau = sk_rates(v, cai, aux[0], d1, d2, k1, k2, abar, bbar, stau)
    return (exp_euler_gate(o, oinf, tau, dt),)


@register
class SKKCa(DensityMechanism):
    """Ca-activated K current of Moczydlowski & Latorre (1983) (the MSN model's "skkca")."""

    name = "skkca"
    params: ClassVar[Mapping[str, Param]] = {
        "gkbar": Param(0.175, "S/cm2", (0.0, math.inf), "maximal conductance"),
        "d1": Param(0.84, "1", doc="electrical distance of the first Ca site"),
        "d2": Param(1.0, "1", doc="electrical distance of the second Ca site"),
        "k1": Param(0.18, "mM", (0.0, math.inf), "dissociation constant of site 1 at 0 mV"),
        "k2": Param(0.011, "mM", (0.0, math.inf), "dissociation constant of site 2 at 0 mV"),
        "abar": Param(0.48, "/ms", (0.0, math.inf), "maximal opening rate"),
        "bbar": Param(0.28, "/ms", (0.0, math.inf), "maximal closing rate"),
        "stau": Param(1.0, "1", (0.0, math.inf), "time-constant scale (qfact = 1)"),
    }
    states: ClassVar[Mapping[str, Param]] = {"o": Param(0.0, "1", (0.0, 1.0), "open probability")}
    currents: ClassVar[Mapping[str, str | None]] = {"ik": "k"}
    reads = ("cai", "ek")
    globals: ClassVar[Mapping[str, Param]] = {
        "celsius_sk": Param(35.0, "degC", doc="the mechanism's own temperature (not celsius)")
    }
    init = staticmethod(_sk_init)
    current = staticmethod(_sk_current)
    advance = staticmethod(_sk_advance)

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        return np.array([float(globals_.get("celsius_sk", 35.0))])
