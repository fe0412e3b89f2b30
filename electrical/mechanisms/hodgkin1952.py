"""Hodgkin & Huxley (1952) squid-axon Na, K and leak channels: NEURON's built-in ``hh``.

Rates (V in mV, rates in 1/ms; Hodgkin & Huxley 1952, J Physiol 117:500, with
NEURON's shift of the resting potential to -65 mV), q10 = 3^((celsius - 6.3)/10):

- m: alpha = 0.1 vtrap(-(v+40), 10), beta = 4 exp(-(v+65)/18)
- h: alpha = 0.07 exp(-(v+65)/20), beta = 1/(exp(-(v+35)/10) + 1)
- n: alpha = 0.01 vtrap(-(v+55), 10), beta = 0.125 exp(-(v+65)/80)

x_inf = alpha/(alpha+beta), tau_x = 1/(q10 (alpha+beta)).  Like NEURON, the six
quantities are tabulated from -100 to 100 mV in 200 steps and linearly
interpolated (clamped outside); ``usetable = 0`` evaluates them exactly.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .base import DensityMechanism, Param, register
from .numerics import build_table, exp_euler_gate, exp_euler_gate_vec, table_index, vtrap

_VMIN, _VMAX, _NTAB = -100.0, 100.0, 200
_BASE = 4  # aux[0] usetable, aux[1] q10, aux[2] vmin, aux[3] mfac; tables from aux[4]


@njit(cache=True)
def hh_rates(v, q10):
    """(minf, mtau, hinf, htau, ninf, ntau) at v [mV]; tau in ms."""
    alpha = 0.1 * vtrap(-(v + 40.0), 10.0)
    beta = 4.0 * math.exp(-(v + 65.0) / 18.0)
    s = alpha + beta
    mtau = 1.0 / (q10 * s)
    minf = alpha / s
    alpha = 0.07 * math.exp(-(v + 65.0) / 20.0)
    beta = 1.0 / (math.exp(-(v + 35.0) / 10.0) + 1.0)
    s = alpha + beta
    htau = 1.0 / (q10 * s)
    hinf = alpha / s
    alpha = 0.01 * vtrap(-(v + 55.0), 10.0)
    beta = 0.125 * math.exp(-(v + 65.0) / 80.0)
    s = alpha + beta
    ntau = 1.0 / (q10 * s)
    ninf = alpha / s
    return minf, mtau, hinf, htau, ninf, ntau


@njit(cache=True, inline="always")
def _rates(v, aux):
    if aux[0] == 0.0:
        return hh_rates(v, aux[1])
    return _table_rates(v, aux)


@njit(cache=True, inline="always")
def _table_rates(v, aux):
    # tables interleaved by grid point: aux[_BASE + 6*i + q] is quantity q at v_i,
    # so one lookup reads two adjacent runs of six values
    i, th = table_index(v, aux[2], aux[3], _NTAB)
    o = _BASE + 6 * i
    return (
        aux[o] + th * (aux[o + 6] - aux[o]),
        aux[o + 1] + th * (aux[o + 7] - aux[o + 1]),
        aux[o + 2] + th * (aux[o + 8] - aux[o + 2]),
        aux[o + 3] + th * (aux[o + 9] - aux[o + 3]),
        aux[o + 4] + th * (aux[o + 10] - aux[o + 4]),
        aux[o + 5] + th * (aux[o + 11] - aux[o + 5]),
    )


@njit(cache=True)
def _hh_init(t, v, ena, ek, gnabar, gkbar, gl, el, aux, celsius):
    minf, mtau, hinf, htau, ninf, ntau = _rates(v, aux)
    return (minf, hinf, ninf)


@njit(cache=True)
def _hh_current(t, v, m, h, n, ena, ek, gnabar, gkbar, gl, el, aux, celsius):
    ina = gnabar * m * m * m * h * (v - ena)
    ik = gkbar * n * n * n * n * (v - ek)
    il = gl * (v - el)
    return (ina, ik, il)


@njit(cache=True)
def _hh_advance(t, v, m, h, n, ena, ek, gnabar, gkbar, gl, el, aux, celsius, dt):
    minf, mtau, hinf, htau, ninf, ntau = _rates(v, aux)
    return (
        exp_euler_gate(m, minf, mtau, dt),
        exp_euler_gate(h, hinf, htau, dt),
        exp_euler_gate(n, ninf, ntau, dt),
    )


@njit(cache=True)
def _hh_advance_tabulated(t, v, m, h, n, ena, ek, gnabar, gkbar, gl, el, aux, celsius, dt):
    """``_hh_advance`` for usetable = 1: no branch per segment, exp as plain arithmetic
    (:func:`~.numerics.vexp`, within 1 ulp of libm's), so that its loop vectorises."""
    minf, mtau, hinf, htau, ninf, ntau = _table_rates(v, aux)
    return (
        exp_euler_gate_vec(m, minf, mtau, dt),
        exp_euler_gate_vec(h, hinf, htau, dt),
        exp_euler_gate_vec(n, ninf, ntau, dt),
    )


@register
class HH(DensityMechanism):
    """Hodgkin-Huxley Na/K/leak, identical to NEURON's built-in ``hh`` (tables included)."""

    name = "hh"
    params = {
        "gnabar": Param(0.12, "S/cm2", (0.0, math.inf), "maximal Na conductance"),
        "gkbar": Param(0.036, "S/cm2", (0.0, math.inf), "maximal K conductance"),
        "gl": Param(0.0003, "S/cm2", (0.0, math.inf), "leak conductance"),
        "el": Param(-54.3, "mV", doc="leak reversal potential"),
    }
    states = {
        "m": Param(0.0, "1", (0.0, 1.0), "Na activation"),
        "h": Param(0.0, "1", (0.0, 1.0), "Na inactivation"),
        "n": Param(0.0, "1", (0.0, 1.0), "K activation"),
    }
    currents = {"ina": "na", "ik": "k", "il": None}
    reads = ("ena", "ek")
    globals = {"usetable": Param(1.0, "1", (0.0, 1.0), "1: tabulated rates as NEURON; 0: exact")}

    init = staticmethod(_hh_init)
    current = staticmethod(_hh_current)
    advance = staticmethod(_hh_advance)

    @classmethod
    def kernels(cls, globals_):
        return {"advance": _hh_advance_tabulated} if globals_.get("usetable", 1.0) else {}

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        q10 = 3.0 ** ((celsius - 6.3) / 10.0)
        table = build_table(hh_rates.py_func, _VMIN, _VMAX, _NTAB, q10)
        head = [float(globals_.get("usetable", 1.0)), q10, _VMIN, _NTAB / (_VMAX - _VMIN)]
        # interleave by grid point; six pad values after the last point, which the
        # upper clamp (i = 200, theta = 0) reads multiplied by 0
        return np.concatenate([np.array(head), table.T.ravel(), np.zeros(6)])
