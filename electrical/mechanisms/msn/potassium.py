"""MSN voltage-gated potassium channels ``kaf``, ``kas``, ``kir`` and ``krp``.

Sources: Wolf et al. (2005) J Neurosci 25:9080 (kaf: Kv4.2 fast A current,
Tkatch et al. 2000; kas: Kv1.2 slow A current, Shen et al. 2004; kir: inward
rectifier, Nisenbaum & Wilson 1995; krp: persistent K, Nisenbaum et al. 1996),
as used by Mattioni & Le Novere (2013) PLoS ONE 8:e66811.  Equations, q-factors
and tables: MODEL.md sections 3.0-3.2.  x_inf = 1/(1 + exp((v - Vh)/k)).

- kaf: i = gkbar m^2 h (v - ek); m_inf (-10, -17.7), h_inf (-75.6, 10);
  tau_m = Tm_kaf(v)/3, tau_h = 14/3 ms.
- kas: i = gkbar m^2 (a h + 1 - a)(v - ek), a = 0.996; m_inf (-27, -16),
  h_inf (-33.5, 21.5); tau_m = [3.4 + 89.2 exp(-((v+34.3)/30.1)^2)]/9,
  tau_h = 9876.6/(exp(-(v+90.96)/29.01) + exp((v+90.96)/100))/9.
- kir: i = gkbar m (v - ek); m_inf (-82, 13); tau_m = Tm_kir(v)/0.5.
- krp: i = gkbar m (a h + 1 - a)(v - ek), a = 0.7; m_inf (-13.5, -11.8),
  h_inf (-54.7, 18.6); tau_m = Tm_krp(v)/3, tau_h = Th_krp(v)/3.

Tabulated over -200..200 mV (202 points, clamped) when ``usetable = 1``: kaf,
krp m_inf, h_inf; kas m_inf, h_inf and tau_m, tau_h before division by qfact;
kir m_inf.  The published tau tables (FUNCTION_TABLEs) are always interpolated.

With ``usetable = 1`` the step uses branch-free advance kernels (``kernels()``):
rate rows and tau tables read by index arithmetic (:mod:`electrical.mechanisms.tables`,
the same values as the bisection lookup), exp as
:func:`~electrical.mechanisms.numerics.vexp` (within 1 ulp of libm's), so that
their loops vectorise.
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

__all__ = ["TAU_TABLES", "Kaf", "Kas", "Kir", "Krp"]

_VMIN, _VMAX = -200.0, 200.0
QFACT_KAF = 3.0
QFACT_KAS = 9.0
QFACT_KIR = 0.5
QFACT_KRP = 3.0
KAF_TAUH_MS = 14.0
KAS_A = 0.996
KRP_A = 0.7

#: Published tau tables [ms] on their voltage grids [mV] (Wolf et al. 2005 model
#: files, as listed in MODEL.md section 3.2).  Keys: "<mech>_<gate>".
TAU_TABLES = {
    "kaf_m": grid(-40.0, 10.0, [1.8, 1.1, 1.0, 1.0, 0.9, 0.8, 0.9, 0.9, 0.9, 0.8, 0.8]),
    "kir_m": grid(-100.0, 10.0, [3.7313, 4.0, 4.717, 5.3763, 6.0606, 6.8966, 7.6923,
                                 7.1429, 5.8824, 4.4444] + [4.0] * 6),
    "krp_m": grid(-100.0, 5.0, [40, 45, 48.8, 55, 64.4, 75, 83.9, 90, 93.5, 95,
                                95.4, 97, 99.2, 95, 79.7, 60, 44.5, 35, 29.3, 25,
                                20, 15, 11.6, 10, 9.6, 10, 10.5, 10, 8, 5, 5]),
    "krp_h": grid(-100.0, 5.0, [7000] * 20 + [6742.5, 6000, 4740.2, 3500, 2783.3, 2500,
                                              2336.3, 2200, 2083.5, 2000, 2000]),
}
_KAF_TM_V, _KAF_TM = TAU_TABLES["kaf_m"]
_KIR_TM_V, _KIR_TM = TAU_TABLES["kir_m"]
_KRP_TM_V, _KRP_TM = TAU_TABLES["krp_m"]
_KRP_TH_V, _KRP_TH = TAU_TABLES["krp_h"]
_R = NTAB + 1  # values per rate row

_KAF_TAUS = (TAU_TABLES["kaf_m"],)
(_KAF_TM_OFF,), _KAF_ROWS = aux_offsets(_KAF_TAUS)
(), _KAS_ROWS = aux_offsets(())
_KIR_TAUS = (TAU_TABLES["kir_m"],)
(_KIR_TM_OFF,), _KIR_ROWS = aux_offsets(_KIR_TAUS)
_KRP_TAUS = (TAU_TABLES["krp_m"], TAU_TABLES["krp_h"])
(_KRP_TM_OFF, _KRP_TH_OFF), _KRP_ROWS = aux_offsets(_KRP_TAUS)

_GATES = {
    "m": Param(0.0, "1", (0.0, 1.0), "activation"),
    "h": Param(0.0, "1", (0.0, 1.0), "inactivation"),
}
_GBAR_DOC = "maximal conductance"


# ----------------------------------------------------------------------------- kaf


@njit(cache=True)
def kaf_tabulated(v):
    """(m_inf, h_inf) of kaf at v [mV]."""
    return boltzmann(v, -10.0, -17.7), boltzmann(v, -75.6, 10.0)


@njit(cache=True, inline="always", error_model="numpy")
def kaf_rates_tabulated(v, aux):
    """kaf_rates for usetable = 1, without branches (index arithmetic only)."""
    i, i1, th = rate_index(v, aux[1], aux[2], NTAB)
    minf = rate_row(aux, _KAF_ROWS, i, i1, th)
    hinf = rate_row(aux, _KAF_ROWS + _R, i, i1, th)
    mtau = function_table_uniform(aux, _KAF_TM_OFF, v) / QFACT_KAF
    return minf, mtau, hinf, KAF_TAUH_MS / QFACT_KAF


@njit(cache=True)
def kaf_rates(v, aux):
    """(m_inf, tau_m [ms], h_inf, tau_h [ms]) of kaf at v [mV]."""
    if aux[0] != 0.0:
        return kaf_rates_tabulated(v, aux)
    minf, hinf = kaf_tabulated(v)
    mtau = function_table(_KAF_TM_V, _KAF_TM, v) / QFACT_KAF
    return minf, mtau, hinf, KAF_TAUH_MS / QFACT_KAF


@njit(cache=True)
def _kaf_init(t, v, ek, gkbar, aux, celsius):
    minf, _mtau, hinf, _htau = kaf_rates(v, aux)
    return (minf, hinf)


@njit(cache=True)
def _kaf_current(t, v, m, h, ek, gkbar, aux, celsius):
    return (gkbar * m * m * h * (v - ek),)


@njit(cache=True)
def _kaf_advance(t, v, m, h, ek, gkbar, aux, celsius, dt):
    minf, mtau, hinf, htau = kaf_rates(v, aux)
    return (exp_euler_gate(m, minf, mtau, dt), exp_euler_gate(h, hinf, htau, dt))


@njit(cache=True, error_model="numpy")
def _kaf_advance_tabulated(t, v, m, h, ek, gkbar, aux, celsius, dt):
    """``_kaf_advance`` for usetable = 1: branch-free, vexp (its loop vectorises)."""
    minf, mtau, hinf, htau = kaf_rates_tabulated(v, aux)
    return (exp_euler_gate_vec(m, minf, mtau, dt), exp_euler_gate_vec(h, hinf, htau, dt))


@register
class Kaf(DensityMechanism):
    """Fast A-type K current (Kv4.2) of the MSN (Wolf et al. 2005)."""

    name = "kaf"
    params: ClassVar[Mapping[str, Param]] = {"gkbar": Param(0.21, "S/cm2", (0.0, math.inf), _GBAR_DOC)}
    states = _GATES
    currents: ClassVar[Mapping[str, str | None]] = {"ik": "k"}
    reads = ("ek",)
    globals = USETABLE_GLOBALS
    init = staticmethod(_kaf_init)
    current = staticmethod(_kaf_current)
    advance = staticmethod(_kaf_advance)

    @classmethod
    def kernels(cls, globals_):
        return {"advance": _kaf_advance_tabulated} if globals_.get("usetable", 1.0) else {}

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        return channel_aux(kaf_tabulated.py_func, _VMIN, _VMAX, globals_, _KAF_TAUS)


# ----------------------------------------------------------------------------- kas


@njit(cache=True)
def kas_tabulated(v):
    """(m_inf, h_inf, tau_m [ms], tau_h [ms]) of kas at v [mV], taus before qfact."""
    mtau = 3.4 + 89.2 * math.exp(-(((v + 34.3) / 30.1) ** 2))
    htau = 9876.6 / (math.exp(-(v + 90.96) / 29.01) + math.exp((v + 90.96) / 100.0))
    return boltzmann(v, -27.0, -16.0), boltzmann(v, -33.5, 21.5), mtau, htau


@njit(cache=True, inline="always", error_model="numpy")
def kas_rates_tabulated(v, aux):
    """kas_rates for usetable = 1, without branches (index arithmetic only)."""
    i, i1, th = rate_index(v, aux[1], aux[2], NTAB)
    minf = rate_row(aux, _KAS_ROWS, i, i1, th)
    hinf = rate_row(aux, _KAS_ROWS + _R, i, i1, th)
    mtau = rate_row(aux, _KAS_ROWS + 2 * _R, i, i1, th)
    htau = rate_row(aux, _KAS_ROWS + 3 * _R, i, i1, th)
    return minf, mtau / QFACT_KAS, hinf, htau / QFACT_KAS


@njit(cache=True)
def kas_rates(v, aux):
    """(m_inf, tau_m [ms], h_inf, tau_h [ms]) of kas at v [mV] (taus divided by qfact)."""
    if aux[0] != 0.0:
        return kas_rates_tabulated(v, aux)
    minf, hinf, mtau, htau = kas_tabulated(v)
    return minf, mtau / QFACT_KAS, hinf, htau / QFACT_KAS


@njit(cache=True)
def _kas_init(t, v, ek, gkbar, a, aux, celsius):
    minf, _mtau, hinf, _htau = kas_rates(v, aux)
    return (minf, hinf)


@njit(cache=True)
def _kas_current(t, v, m, h, ek, gkbar, a, aux, celsius):
    return (gkbar * m * m * (a * h + 1.0 - a) * (v - ek),)


@njit(cache=True)
def _kas_advance(t, v, m, h, ek, gkbar, a, aux, celsius, dt):
    minf, mtau, hinf, htau = kas_rates(v, aux)
    return (exp_euler_gate(m, minf, mtau, dt), exp_euler_gate(h, hinf, htau, dt))


@njit(cache=True, error_model="numpy")
def _kas_advance_tabulated(t, v, m, h, ek, gkbar, a, aux, celsius, dt):
    """``_kas_advance`` for usetable = 1: branch-free, vexp (its loop vectorises)."""
    minf, mtau, hinf, htau = kas_rates_tabulated(v, aux)
    return (exp_euler_gate_vec(m, minf, mtau, dt), exp_euler_gate_vec(h, hinf, htau, dt))


@register
class Kas(DensityMechanism):
    """Slow A-type K current (Kv1.2) of the MSN (Wolf et al. 2005)."""

    name = "kas"
    params: ClassVar[Mapping[str, Param]] = {
        "gkbar": Param(0.01, "S/cm2", (0.0, math.inf), _GBAR_DOC),
        "a": Param(KAS_A, "1", (0.0, 1.0), "inactivating fraction"),
    }
    states = _GATES
    currents: ClassVar[Mapping[str, str | None]] = {"ik": "k"}
    reads = ("ek",)
    globals = USETABLE_GLOBALS
    init = staticmethod(_kas_init)
    current = staticmethod(_kas_current)
    advance = staticmethod(_kas_advance)

    @classmethod
    def kernels(cls, globals_):
        return {"advance": _kas_advance_tabulated} if globals_.get("usetable", 1.0) else {}

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        return channel_aux(kas_tabulated.py_func, _VMIN, _VMAX, globals_)


# ----------------------------------------------------------------------------- kir


@njit(cache=True)
def kir_tabulated(v):
    """(m_inf,) of kir at v [mV]."""
    return (boltzmann(v, -82.0, 13.0),)


@njit(cache=True, inline="always", error_model="numpy")
def kir_rates_tabulated(v, aux):
    """kir_rates for usetable = 1, without branches (index arithmetic only)."""
    i, i1, th = rate_index(v, aux[1], aux[2], NTAB)
    minf = rate_row(aux, _KIR_ROWS, i, i1, th)
    return minf, function_table_uniform(aux, _KIR_TM_OFF, v) / QFACT_KIR


@njit(cache=True)
def kir_rates(v, aux):
    """(m_inf, tau_m [ms]) of kir at v [mV]."""
    if aux[0] != 0.0:
        return kir_rates_tabulated(v, aux)
    return kir_tabulated(v)[0], function_table(_KIR_TM_V, _KIR_TM, v) / QFACT_KIR


@njit(cache=True)
def _kir_init(t, v, ek, gkbar, aux, celsius):
    minf, _mtau = kir_rates(v, aux)
    return (minf,)


@njit(cache=True)
def _kir_current(t, v, m, ek, gkbar, aux, celsius):
    return (gkbar * m * (v - ek),)


@njit(cache=True)
def _kir_advance(t, v, m, ek, gkbar, aux, celsius, dt):
    minf, mtau = kir_rates(v, aux)
    return (exp_euler_gate(m, minf, mtau, dt),)


@njit(cache=True, error_model="numpy")
def _kir_advance_tabulated(t, v, m, ek, gkbar, aux, celsius, dt):
    """``_kir_advance`` for usetable = 1: branch-free, vexp (its loop vectorises)."""
    minf, mtau = kir_rates_tabulated(v, aux)
    return (exp_euler_gate_vec(m, minf, mtau, dt),)


@register
class Kir(DensityMechanism):
    """Inward-rectifier K current of the MSN (Wolf et al. 2005)."""

    name = "kir"
    params: ClassVar[Mapping[str, Param]] = {"gkbar": Param(1.5e-4, "S/cm2", (0.0, math.inf), _GBAR_DOC)}
    states: ClassVar[Mapping[str, Param]] = {"m": _GATES["m"]}
    currents: ClassVar[Mapping[str, str | None]] = {"ik": "k"}
    reads = ("ek",)
    globals = USETABLE_GLOBALS
    init = staticmethod(_kir_init)
    current = staticmethod(_kir_current)
    advance = staticmethod(_kir_advance)

    @classmethod
    def kernels(cls, globals_):
        return {"advance": _kir_advance_tabulated} if globals_.get("usetable", 1.0) else {}

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        return channel_aux(kir_tabulated.py_func, _VMIN, _VMAX, globals_, _KIR_TAUS)


# ----------------------------------------------------------------------------- krp


@njit(cache=True)
def krp_tabulated(v):
    """(m_inf, h_inf) of krp at v [mV]."""
    return boltzmann(v, -13.5, -11.8), boltzmann(v, -54.7, 18.6)


@njit(cache=True, inline="always", error_model="numpy")
def krp_rates_tabulated(v, aux):
    """krp_rates for usetable = 1, without branches (index arithmetic only)."""
    i, i1, th = rate_index(v, aux[1], aux[2], NTAB)
    minf = rate_row(aux, _KRP_ROWS, i, i1, th)
    hinf = rate_row(aux, _KRP_ROWS + _R, i, i1, th)
    mtau = function_table_uniform(aux, _KRP_TM_OFF, v) / QFACT_KRP
    htau = function_table_uniform(aux, _KRP_TH_OFF, v) / QFACT_KRP
    return minf, mtau, hinf, htau


@njit(cache=True)
def krp_rates(v, aux):
    """(m_inf, tau_m [ms], h_inf, tau_h [ms]) of krp at v [mV]."""
    if aux[0] != 0.0:
        return krp_rates_tabulated(v, aux)
    minf, hinf = krp_tabulated(v)
    mtau = function_table(_KRP_TM_V, _KRP_TM, v) / QFACT_KRP
    htau = function_table(_KRP_TH_V, _KRP_TH, v) / QFACT_KRP
    return minf, mtau, hinf, htau


@njit(cache=True)
def _krp_init(t, v, ek, gkbar, a, aux, celsius):
    minf, _mtau, hinf, _htau = krp_rates(v, aux)
    return (minf, hinf)


@njit(cache=True)
def _krp_current(t, v, m, h, ek, gkbar, a, aux, celsius):
    return (gkbar * m * (a * h + 1.0 - a) * (v - ek),)


@njit(cache=True)
def _krp_advance(t, v, m, h, ek, gkbar, a, aux, celsius, dt):
    minf, mtau, hinf, htau = krp_rates(v, aux)
    return (exp_euler_gate(m, minf, mtau, dt), exp_euler_gate(h, hinf, htau, dt))


@njit(cache=True, error_model="numpy")
def _krp_advance_tabulated(t, v, m, h, ek, gkbar, a, aux, celsius, dt):
    """``_krp_advance`` for usetable = 1: branch-free, vexp (its loop vectorises)."""
    minf, mtau, hinf, htau = krp_rates_tabulated(v, aux)
    return (exp_euler_gate_vec(m, minf, mtau, dt), exp_euler_gate_vec(h, hinf, htau, dt))


@register
class Krp(DensityMechanism):
    """Persistent (slowly inactivating) K current of the MSN soma (Wolf et al. 2005)."""

    name = "krp"
    params: ClassVar[Mapping[str, Param]] = {
        "gkbar": Param(0.002, "S/cm2", (0.0, math.inf), _GBAR_DOC),
        "a": Param(KRP_A, "1", (0.0, 1.0), "inactivating fraction"),
    }
    states = _GATES
    currents: ClassVar[Mapping[str, str | None]] = {"ik": "k"}
    reads = ("ek",)
    globals = USETABLE_GLOBALS
    init = staticmethod(_krp_init)
    current = staticmethod(_krp_current)
    advance = staticmethod(_krp_advance)

    @classmethod
    def kernels(cls, globals_):
        return {"advance": _krp_advance_tabulated} if globals_.get("usetable", 1.0) else {}

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        return channel_aux(krp_tabulated.py_func, _VMIN, _VMAX, globals_, _KRP_TAUS)
