"""MSN sodium channels ``naf`` (fast, transient) and ``nap`` (persistent).

Sources: Wolf et al. (2005) J Neurosci 25:9080 (NAcb MSN model; naf from
Ogata & Tatebayashi 1990, nap from Magistretti & Alonso 1999 with the
Traub et al. 2003 activation time constant), as used by Mattioni & Le Novere
(2013) PLoS ONE 8:e66811.  Equations and tables: MODEL.md sections 3.0-3.2.

naf: i = gnabar m^3 h (v - ena); m_inf: Vh -23.9, k -11.8; h_inf: Vh -62.9,
k 10.7; tau_m = Tm_naf(v)/3, tau_h = Th_naf(v)/3 (published tables below).

nap: i = gnabar m h (v - ena); m_inf: Vh -52.6, k -4.6; h_inf: Vh -48.8, k 10;
tau_m = 0.025 + 0.14 exp((v+40)/10) for v < -40 mV, else
0.02 + 0.145 exp(-(v+40)/10) (no q-factor); tau_h = Th_nap(v)/3.

x_inf = 1/(1 + exp((v - Vh)/k)).  Tabulated over -200..200 mV (202 points,
clamped) when ``usetable = 1``: naf m_inf, h_inf; nap m_inf, h_inf, tau_m.
Gates advance with NEURON's ``cnexp`` at v(t + dt).

With ``usetable = 1`` the step uses a branch-free advance kernel
(:meth:`Naf.kernels`): the rate rows and the published tau tables are read
by index arithmetic (:mod:`electrical.mechanisms.tables`, the same values as
the bisection lookup) and exp is :func:`~electrical.mechanisms.numerics.vexp`
(within 1 ulp of libm's), so that its loop vectorises.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

from numba import njit

from ..base import DensityMechanism, Param, register
from ..numerics import exp_euler_gate, exp_euler_gate_vec
from ..tables import function_table_uniform, rate_index, rate_row
from ._common import (
    NTAB,
    USETABLE_GLOBALS,
    aux_offsets,
    boltzmann,
    channel_aux,
    function_table,
    grid,
)

__all__ = ["TAU_TABLES", "Naf", "Nap"]

_VMIN, _VMAX = -200.0, 200.0
#: q-factor dividing the tabulated time constants (MODEL.md 3.1).
QFACT_NA = 3.0

#: Published tau tables [ms] on their voltage grids [mV] (Wolf et al. 2005 model
#: files, as listed in MODEL.md section 3.2).  Keys: "<mech>_<gate>".
TAU_TABLES = {
    "naf_m": grid(-100.0, 10.0, [0.06, 0.06, 0.07, 0.09, 0.11, 0.13, 0.20, 0.32,
                                 0.16, 0.15, 0.12, 0.08, 0.06, 0.06, 0.06, 0.06]),
    "naf_h": grid(-100.0, 10.0, [1.3] * 8 + [0.85, 0.5, 0.45, 0.32, 0.30, 0.28, 0.28, 0.28]),
    "nap_h": grid(-100.0, 10.0, [4500, 4750, 5200, 6100, 6300, 5000, 4250, 3500,
                                 3000, 2700, 2500, 2100, 2100, 2100, 2100]),
}
_NAF_TM_V, _NAF_TM = TAU_TABLES["naf_m"]
_NAF_TH_V, _NAF_TH = TAU_TABLES["naf_h"]
_NAP_TH_V, _NAP_TH = TAU_TABLES["nap_h"]
_R = NTAB + 1  # values per rate row

_NAF_TAUS = (TAU_TABLES["naf_m"], TAU_TABLES["naf_h"])
(_NAF_TM_OFF, _NAF_TH_OFF), _NAF_ROWS = aux_offsets(_NAF_TAUS)
_NAP_TAUS = (TAU_TABLES["nap_h"],)
(_NAP_TH_OFF,), _NAP_ROWS = aux_offsets(_NAP_TAUS)


# ----------------------------------------------------------------------------- naf


@njit(cache=True)
def naf_tabulated(v):
    """(m_inf, h_inf) of naf at v [mV]: the quantities NEURON tabulates."""
    return boltzmann(v, -23.9, -11.8), boltzmann(v, -62.9, 10.7)


@njit(cache=True, inline="always", error_model="numpy")
def naf_rates_tabulated(v, aux):
    """naf_rates for usetable = 1, without branches (index arithmetic only)."""
    i, i1, th = rate_index(v, aux[1], aux[2], NTAB)
    minf = rate_row(aux, _NAF_ROWS, i, i1, th)
    hinf = rate_row(aux, _NAF_ROWS + _R, i, i1, th)
    mtau = function_table_uniform(aux, _NAF_TM_OFF, v) / QFACT_NA
    htau = function_table_uniform(aux, _NAF_TH_OFF, v) / QFACT_NA
    return minf, mtau, hinf, htau


@njit(cache=True)
def naf_rates(v, aux):
    """(m_inf, tau_m [ms], h_inf, tau_h [ms]) of naf at v [mV]."""
    if aux[0] != 0.0:
        return naf_rates_tabulated(v, aux)
    minf, hinf = naf_tabulated(v)
    mtau = function_table(_NAF_TM_V, _NAF_TM, v) / QFACT_NA
    htau = function_table(_NAF_TH_V, _NAF_TH, v) / QFACT_NA
    return minf, mtau, hinf, htau


@njit(cache=True)
def _naf_init(t, v, ena, gnabar, aux, celsius):
    minf, _mtau, hinf, _htau = naf_rates(v, aux)
    return (minf, hinf)


@njit(cache=True)
def _naf_current(t, v, m, h, ena, gnabar, aux, celsius):
    return (gnabar * m * m * m * h * (v - ena),)


@njit(cache=True)
def _naf_advance(t, v, m, h, ena, gnabar, aux, celsius, dt):
    minf, mtau, hinf, htau = naf_rates(v, aux)
    return (exp_euler_gate(m, minf, mtau, dt), exp_euler_gate(h, hinf, htau, dt))


@njit(cache=True, error_model="numpy")
def _naf_advance_tabulated(t, v, m, h, ena, gnabar, aux, celsius, dt):
    """``_naf_advance`` for usetable = 1: branch-free, vexp (its loop vectorises)."""
    minf, mtau, hinf, htau = naf_rates_tabulated(v, aux)
    return (exp_euler_gate_vec(m, minf, mtau, dt), exp_euler_gate_vec(h, hinf, htau, dt))


@register
class Naf(DensityMechanism):
    """Fast transient Na current of the MSN (Wolf et al. 2005)."""

    name = "naf"
    params: ClassVar[Mapping[str, Param]] = {"gnabar": Param(1.5, "S/cm2", (0.0, math.inf), "maximal conductance")}
    states: ClassVar[Mapping[str, Param]] = {
        "m": Param(0.0, "1", (0.0, 1.0), "activation"),
        "h": Param(0.0, "1", (0.0, 1.0), "inactivation"),
    }
    currents: ClassVar[Mapping[str, str | None]] = {"ina": "na"}
    reads = ("ena",)
    globals = USETABLE_GLOBALS
    init = staticmethod(_naf_init)
    current = staticmethod(_naf_current)
    advance = staticmethod(_naf_advance)

    @classmethod
    def kernels(cls, globals_):
        return {"advance": _naf_advance_tabulated} if globals_.get("usetable", 1.0) else {}

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        return channel_aux(naf_tabulated.py_func, _VMIN, _VMAX, globals_, _NAF_TAUS)


# ----------------------------------------------------------------------------- nap


@njit(cache=True)
def nap_tabulated(v):
    """(m_inf, h_inf, tau_m [ms]) of nap at v [mV]: the quantities NEURON tabulates."""
    if v < -40.0:
        mtau = 0.025 + 0.14 * math.exp((v + 40.0) / 10.0)
    else:
        mtau = 0.02 + 0.145 * math.exp(-(v + 40.0) / 10.0)
    return boltzmann(v, -52.6, -4.6), boltzmann(v, -48.8, 10.0), mtau


@njit(cache=True, inline="always", error_model="numpy")
def nap_rates_tabulated(v, aux):
    """nap_rates for usetable = 1, without branches (index arithmetic only)."""
    i, i1, th = rate_index(v, aux[1], aux[2], NTAB)
    minf = rate_row(aux, _NAP_ROWS, i, i1, th)
    hinf = rate_row(aux, _NAP_ROWS + _R, i, i1, th)
    mtau = rate_row(aux, _NAP_ROWS + 2 * _R, i, i1, th)
    htau = function_table_uniform(aux, _NAP_TH_OFF, v) / QFACT_NA
    return minf, mtau, hinf, htau


@njit(cache=True)
def nap_rates(v, aux):
    """(m_inf, tau_m [ms], h_inf, tau_h [ms]) of nap at v [mV]."""
    if aux[0] != 0.0:
        return nap_rates_tabulated(v, aux)
    minf, hinf, mtau = nap_tabulated(v)
    htau = function_table(_NAP_TH_V, _NAP_TH, v) / QFACT_NA
    return minf, mtau, hinf, htau


@njit(cache=True)
def _nap_init(t, v, ena, gnabar, aux, celsius):
    minf, _mtau, hinf, _htau = nap_rates(v, aux)
    return (minf, hinf)


@njit(cache=True)
def _nap_current(t, v, m, h, ena, gnabar, aux, celsius):
    return (gnabar * m * h * (v - ena),)


@njit(cache=True)
def _nap_advance(t, v, m, h, ena, gnabar, aux, celsius, dt):
    minf, mtau, hinf, htau = nap_rates(v, aux)
    return (exp_euler_gate(m, minf, mtau, dt), exp_euler_gate(h, hinf, htau, dt))


@njit(cache=True, error_model="numpy")
def _nap_advance_tabulated(t, v, m, h, ena, gnabar, aux, celsius, dt):
    """``_nap_advance`` for usetable = 1: branch-free, vexp (its loop vectorises)."""
    minf, mtau, hinf, htau = nap_rates_tabulated(v, aux)
    return (exp_euler_gate_vec(m, minf, mtau, dt), exp_euler_gate_vec(h, hinf, htau, dt))


@register
class Nap(DensityMechanism):
    """Persistent Na current of the MSN (Wolf et al. 2005; Magistretti & Alonso 1999)."""

    name = "nap"
    params: ClassVar[Mapping[str, Param]] = {"gnabar": Param(4e-5, "S/cm2", (0.0, math.inf), "maximal conductance")}
    states: ClassVar[Mapping[str, Param]] = {
        "m": Param(0.0, "1", (0.0, 1.0), "activation"),
        "h": Param(0.0, "1", (0.0, 1.0), "inactivation"),
    }
    currents: ClassVar[Mapping[str, str | None]] = {"ina": "na"}
    reads = ("ena",)
    globals = USETABLE_GLOBALS
    init = staticmethod(_nap_init)
    current = staticmethod(_nap_current)
    advance = staticmethod(_nap_advance)

    @classmethod
    def kernels(cls, globals_):
        return {"advance": _nap_advance_tabulated} if globals_.get("usetable", 1.0) else {}

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        return channel_aux(nap_tabulated.py_func, _VMIN, _VMAX, globals_, _NAP_TAUS)
