"""MSN voltage-gated calcium channels with GHK currents.

``caL`` (Cav1.2, HVA L-type), ``caL13`` (Cav1.3, LVA L-type), ``can`` (N-type),
``caq`` (Q-type), ``car`` (R-type) and ``cat`` (T-type, Cav3).

Sources: Wolf et al. (2005) J Neurosci 25:9080 (caL/caL13 after Kasai &
Neher 1992 and Xu & Lipscombe 2001; can after Kasai & Neher 1992; caq after
Churchill & Macvicar 1998; car after Foehring et al. 2000; cat after McRory
et al. 2001), as used by Mattioni & Le Novere (2013) PLoS ONE 8:e66811.
Equations, q-factors and tables: MODEL.md sections 3.0-3.2, pools in 4.1.

I = pbar * gating * ghk(v, ci, co) (see :mod:`.ghk`), x_inf = 1/(1 + exp((v - Vh)/k)):

====== ====== ========================= ============== ============== =================================
mech   pool   gating                    m_inf (Vh, k)  h_inf (Vh, k)  tau_m, tau_h [ms]
====== ====== ========================= ============== ============== =================================
caL    cal    m^2 (a h + 1 - a), a 0.17 (-8.9, -6.7)   (-13.4, 11.9)  1/(alpha+beta)/3, 44.3/3
caL13  cal    m^2 h                     (-33, -6.7)    (-13.4, 11.9)  1/(alpha+beta)/3, 44.3/3
can    ca     m^2 (a h + 1 - a), a 0.21 (-8.7, -7.4)   (-74.8, 6.5)   1/(alpha+beta)/3, 70/3
caq    ca     m^2                       (-9, -6.6)     --             1.13/3
car    ca     m^3 h                     (-10.3, -6.6)  (-33.3, 17)    5.1/3, Th_car(v)/3
cat    cal    m^3 h                     (-51.73,-6.53) (-80, 6.7)     Tm_cat(v)/3, Th_cat(v)/3
====== ====== ========================= ============== ============== =================================

Kasai rates: caL/caL13 alpha = 0.0398 (v+8.124)/(exp((v+8.124)/9.005) - 1),
beta = 0.99 exp(v/31.4); can alpha = 0.03856 (v+17.19)/(exp((v+17.19)/15.22) - 1),
beta = 0.3842 exp(v/23.82) (alpha's removable singularity handled by ``vtrap``).

Tabulated over -100..100 mV (202 points, clamped) when ``usetable = 1``: caL,
can m_inf, h_inf, tau_m (before qfact); caL13 m_inf, tau_m, h_inf; caq m_inf;
car, cat m_inf, h_inf.

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
from ..numerics import exp_euler_gate, exp_euler_gate_vec, vtrap
from ..tables import function_table_uniform, rate_index, rate_row
from . import ions  # noqa: F401  (defines the 'cal' ion before the classes register)
from ._common import (
    NTAB,
    USETABLE_GLOBALS,
    aux_offsets,
    boltzmann,
    channel_aux,
    function_table,
    grid,
)
from .ghk import ghk

__all__ = ["TAU_TABLES", "CaL", "CaL13", "CaN", "CaQ", "CaR", "CaT"]

_VMIN, _VMAX = -100.0, 100.0
QFACT_CA = 3.0
CAL_TAUH_MS = 44.3
CAN_TAUH_MS = 70.0
CAQ_TAUM_MS = 1.13
CAR_TAUM_MS = 5.1

#: Published tau tables [ms] on their voltage grids [mV] (Wolf et al. 2005 model
#: files, as listed in MODEL.md section 3.2).  Keys: "<mech>_<gate>".
TAU_TABLES = {
    "car_h": grid(-30.0, 10.0, [100, 65, 35, 30, 20, 20]),
    "cat_m": grid(-65.0, 5.0, [20.2, 20.2, 13.1, 8.7, 6.8, 5.6, 4.4, 3.8,
                               3.6, 3.3, 3.6, 3.6, 3.3, 3.3, 3.3, 3.3]),
    "cat_h": grid(-65.0, 5.0, [382, 208, 162, 129, 119, 107, 107, 107,
                               108, 109, 109, 110, 110, 110, 110, 110]),
}
_CAR_TH_V, _CAR_TH = TAU_TABLES["car_h"]
_CAT_TM_V, _CAT_TM = TAU_TABLES["cat_m"]
_CAT_TH_V, _CAT_TH = TAU_TABLES["cat_h"]
_R = NTAB + 1  # values per rate row
(), _ROWS = aux_offsets(())  # caL, caL13, can, caq: rate rows only
_CAR_TAUS = (TAU_TABLES["car_h"],)
(_CAR_TH_OFF,), _CAR_ROWS = aux_offsets(_CAR_TAUS)
_CAT_TAUS = (TAU_TABLES["cat_m"], TAU_TABLES["cat_h"])
(_CAT_TM_OFF, _CAT_TH_OFF), _CAT_ROWS = aux_offsets(_CAT_TAUS)

_M = Param(0.0, "1", (0.0, 1.0), "activation")
_H = Param(0.0, "1", (0.0, 1.0), "inactivation")
_PDOC = "maximal permeability"


@njit(cache=True, inline="always")
def kasai_tau_l(v):
    """1/(alpha + beta) [ms] of the L-type activation (before qfact)."""
    return 1.0 / (0.0398 * vtrap(v + 8.124, 9.005) + 0.99 * math.exp(v / 31.4))


@njit(cache=True, inline="always")
def kasai_tau_n(v):
    """1/(alpha + beta) [ms] of the N-type activation (before qfact)."""
    return 1.0 / (0.03856 * vtrap(v + 17.19, 15.22) + 0.3842 * math.exp(v / 23.82))


# ----------------------------------------------------------------------------- caL


@njit(cache=True)
def caL_tabulated(v):
    """(m_inf, h_inf, tau_m [ms] before qfact) of caL at v [mV]."""
    return boltzmann(v, -8.9, -6.7), boltzmann(v, -13.4, 11.9), kasai_tau_l(v)


@njit(cache=True, inline="always", error_model="numpy")
def caL_rates_tabulated(v, aux):
    """caL_rates for usetable = 1, without branches (index arithmetic only)."""
    i, i1, th = rate_index(v, aux[1], aux[2], NTAB)
    minf = rate_row(aux, _ROWS, i, i1, th)
    hinf = rate_row(aux, _ROWS + _R, i, i1, th)
    mtau = rate_row(aux, _ROWS + 2 * _R, i, i1, th)
    return minf, mtau / QFACT_CA, hinf, CAL_TAUH_MS / QFACT_CA


@njit(cache=True)
def caL_rates(v, aux):
    """(m_inf, tau_m [ms], h_inf, tau_h [ms]) of caL at v [mV]."""
    if aux[0] != 0.0:
        return caL_rates_tabulated(v, aux)
    minf, hinf, mtau = caL_tabulated(v)
    return minf, mtau / QFACT_CA, hinf, CAL_TAUH_MS / QFACT_CA


@njit(cache=True)
def _caL_init(t, v, cali, calo, pbar, a, aux, celsius):
    minf, _mtau, hinf, _htau = caL_rates(v, aux)
    return (minf, hinf)


@njit(cache=True)
def _caL_current(t, v, m, h, cali, calo, pbar, a, aux, celsius):
    return (pbar * m * m * (a * h + 1.0 - a) * ghk(v, cali, calo, celsius),)


@njit(cache=True)
def _caL_advance(t, v, m, h, cali, calo, pbar, a, aux, celsius, dt):
    minf, mtau, hinf, htau = caL_rates(v, aux)
    return (exp_euler_gate(m, minf, mtau, dt), exp_euler_gate(h, hinf, htau, dt))


@njit(cache=True, error_model="numpy")
def _caL_advance_tabulated(t, v, m, h, cali, calo, pbar, a, aux, celsius, dt):
    """``_caL_advance`` for usetable = 1: branch-free, vexp (its loop vectorises)."""
    minf, mtau, hinf, htau = caL_rates_tabulated(v, aux)
    return (exp_euler_gate_vec(m, minf, mtau, dt), exp_euler_gate_vec(h, hinf, htau, dt))


@register
class CaL(DensityMechanism):
    """L-type Ca current, Cav1.2 (HVA), into the ``cal`` pool (Wolf et al. 2005)."""

    name = "caL"
    params: ClassVar[Mapping[str, Param]] = {
        "pbar": Param(6.7e-6, "cm/s", (0.0, math.inf), _PDOC),
        "a": Param(0.17, "1", (0.0, 1.0), "inactivating fraction"),
    }
    states: ClassVar[Mapping[str, Param]] = {"m": _M, "h": _H}
    currents: ClassVar[Mapping[str, str | None]] = {"ical": "cal"}
    reads = ("cali", "calo")
    globals = USETABLE_GLOBALS
    init = staticmethod(_caL_init)
    current = staticmethod(_caL_current)
    advance = staticmethod(_caL_advance)

    @classmethod
    def kernels(cls, globals_):
        return {"advance": _caL_advance_tabulated} if globals_.get("usetable", 1.0) else {}

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        return channel_aux(caL_tabulated.py_func, _VMIN, _VMAX, globals_)


# ----------------------------------------------------------------------------- caL13


@njit(cache=True)
def caL13_tabulated(v):
    """(m_inf, tau_m [ms] before qfact, h_inf) of caL13 at v [mV]."""
    return boltzmann(v, -33.0, -6.7), kasai_tau_l(v), boltzmann(v, -13.4, 11.9)


@njit(cache=True, inline="always", error_model="numpy")
def caL13_rates_tabulated(v, aux):
    """caL13_rates for usetable = 1, without branches (index arithmetic only)."""
    i, i1, th = rate_index(v, aux[1], aux[2], NTAB)
    minf = rate_row(aux, _ROWS, i, i1, th)
    mtau = rate_row(aux, _ROWS + _R, i, i1, th)
    hinf = rate_row(aux, _ROWS + 2 * _R, i, i1, th)
    return minf, mtau / QFACT_CA, hinf, CAL_TAUH_MS / QFACT_CA


@njit(cache=True)
def caL13_rates(v, aux):
    """(m_inf, tau_m [ms], h_inf, tau_h [ms]) of caL13 at v [mV]."""
    if aux[0] != 0.0:
        return caL13_rates_tabulated(v, aux)
    minf, mtau, hinf = caL13_tabulated(v)
    return minf, mtau / QFACT_CA, hinf, CAL_TAUH_MS / QFACT_CA


@njit(cache=True)
def _caL13_init(t, v, cali, calo, pbar, aux, celsius):
    minf, _mtau, hinf, _htau = caL13_rates(v, aux)
    return (minf, hinf)


@njit(cache=True)
def _caL13_current(t, v, m, h, cali, calo, pbar, aux, celsius):
    return (pbar * m * m * h * ghk(v, cali, calo, celsius),)


@njit(cache=True)
def _caL13_advance(t, v, m, h, cali, calo, pbar, aux, celsius, dt):
    minf, mtau, hinf, htau = caL13_rates(v, aux)
    return (exp_euler_gate(m, minf, mtau, dt), exp_euler_gate(h, hinf, htau, dt))


@njit(cache=True, error_model="numpy")
def _caL13_advance_tabulated(t, v, m, h, cali, calo, pbar, aux, celsius, dt):
    """``_caL13_advance`` for usetable = 1: branch-free, vexp (its loop vectorises)."""
    minf, mtau, hinf, htau = caL13_rates_tabulated(v, aux)
    return (exp_euler_gate_vec(m, minf, mtau, dt), exp_euler_gate_vec(h, hinf, htau, dt))


@register
class CaL13(DensityMechanism):
    """L-type Ca current, Cav1.3 (LVA), into the ``cal`` pool (Wolf et al. 2005)."""

    name = "caL13"
    params: ClassVar[Mapping[str, Param]] = {"pbar": Param(1.7e-6, "cm/s", (0.0, math.inf), _PDOC)}
    states: ClassVar[Mapping[str, Param]] = {"m": _M, "h": _H}
    currents: ClassVar[Mapping[str, str | None]] = {"ical": "cal"}
    reads = ("cali", "calo")
    globals = USETABLE_GLOBALS
    init = staticmethod(_caL13_init)
    current = staticmethod(_caL13_current)
    advance = staticmethod(_caL13_advance)

    @classmethod
    def kernels(cls, globals_):
        return {"advance": _caL13_advance_tabulated} if globals_.get("usetable", 1.0) else {}

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        return channel_aux(caL13_tabulated.py_func, _VMIN, _VMAX, globals_)


# ----------------------------------------------------------------------------- can


@njit(cache=True)
def can_tabulated(v):
    """(m_inf, h_inf, tau_m [ms] before qfact) of can at v [mV]."""
    return boltzmann(v, -8.7, -7.4), boltzmann(v, -74.8, 6.5), kasai_tau_n(v)


@njit(cache=True, inline="always", error_model="numpy")
def can_rates_tabulated(v, aux):
    """can_rates for usetable = 1, without branches (index arithmetic only)."""
    i, i1, th = rate_index(v, aux[1], aux[2], NTAB)
    minf = rate_row(aux, _ROWS, i, i1, th)
    hinf = rate_row(aux, _ROWS + _R, i, i1, th)
    mtau = rate_row(aux, _ROWS + 2 * _R, i, i1, th)
    return minf, mtau / QFACT_CA, hinf, CAN_TAUH_MS / QFACT_CA


@njit(cache=True)
def can_rates(v, aux):
    """(m_inf, tau_m [ms], h_inf, tau_h [ms]) of can at v [mV]."""
    if aux[0] != 0.0:
        return can_rates_tabulated(v, aux)
    minf, hinf, mtau = can_tabulated(v)
    return minf, mtau / QFACT_CA, hinf, CAN_TAUH_MS / QFACT_CA


@njit(cache=True)
def _can_init(t, v, cai, cao, pbar, a, aux, celsius):
    minf, _mtau, hinf, _htau = can_rates(v, aux)
    return (minf, hinf)


@njit(cache=True)
def _can_current(t, v, m, h, cai, cao, pbar, a, aux, celsius):
    return (pbar * m * m * (a * h + 1.0 - a) * ghk(v, cai, cao, celsius),)


@njit(cache=True)
def _can_advance(t, v, m, h, cai, cao, pbar, a, aux, celsius, dt):
    minf, mtau, hinf, htau = can_rates(v, aux)
    return (exp_euler_gate(m, minf, mtau, dt), exp_euler_gate(h, hinf, htau, dt))


@njit(cache=True, error_model="numpy")
def _can_advance_tabulated(t, v, m, h, cai, cao, pbar, a, aux, celsius, dt):
    """``_can_advance`` for usetable = 1: branch-free, vexp (its loop vectorises)."""
    minf, mtau, hinf, htau = can_rates_tabulated(v, aux)
    return (exp_euler_gate_vec(m, minf, mtau, dt), exp_euler_gate_vec(h, hinf, htau, dt))


@register
class CaN(DensityMechanism):
    """N-type Ca current into the ``ca`` pool (Wolf et al. 2005)."""

    name = "can"
    params: ClassVar[Mapping[str, Param]] = {
        "pbar": Param(1.0e-5, "cm/s", (0.0, math.inf), _PDOC),
        "a": Param(0.21, "1", (0.0, 1.0), "inactivating fraction"),
    }
    states: ClassVar[Mapping[str, Param]] = {"m": _M, "h": _H}
    currents: ClassVar[Mapping[str, str | None]] = {"ica": "ca"}
    reads = ("cai", "cao")
    globals = USETABLE_GLOBALS
    init = staticmethod(_can_init)
    current = staticmethod(_can_current)
    advance = staticmethod(_can_advance)

    @classmethod
    def kernels(cls, globals_):
        return {"advance": _can_advance_tabulated} if globals_.get("usetable", 1.0) else {}

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        return channel_aux(can_tabulated.py_func, _VMIN, _VMAX, globals_)


# ----------------------------------------------------------------------------- caq


@njit(cache=True)
def caq_tabulated(v):
    """(m_inf,) of caq at v [mV]."""
    return (boltzmann(v, -9.0, -6.6),)


@njit(cache=True, inline="always", error_model="numpy")
def caq_rates_tabulated(v, aux):
    """caq_rates for usetable = 1, without branches (index arithmetic only)."""
    i, i1, th = rate_index(v, aux[1], aux[2], NTAB)
    return rate_row(aux, _ROWS, i, i1, th), CAQ_TAUM_MS / QFACT_CA


@njit(cache=True)
def caq_rates(v, aux):
    """(m_inf, tau_m [ms]) of caq at v [mV]."""
    if aux[0] != 0.0:
        return caq_rates_tabulated(v, aux)
    minf = caq_tabulated(v)[0]
    return minf, CAQ_TAUM_MS / QFACT_CA


@njit(cache=True)
def _caq_init(t, v, cai, cao, pbar, aux, celsius):
    minf, _mtau = caq_rates(v, aux)
    return (minf,)


@njit(cache=True)
def _caq_current(t, v, m, cai, cao, pbar, aux, celsius):
    return (pbar * m * m * ghk(v, cai, cao, celsius),)


@njit(cache=True)
def _caq_advance(t, v, m, cai, cao, pbar, aux, celsius, dt):
    minf, mtau = caq_rates(v, aux)
    return (exp_euler_gate(m, minf, mtau, dt),)


@njit(cache=True, error_model="numpy")
def _caq_advance_tabulated(t, v, m, cai, cao, pbar, aux, celsius, dt):
    """``_caq_advance`` for usetable = 1: branch-free, vexp (its loop vectorises)."""
    minf, mtau = caq_rates_tabulated(v, aux)
    return (exp_euler_gate_vec(m, minf, mtau, dt),)


@register
class CaQ(DensityMechanism):
    """Q-type Ca current into the ``ca`` pool (Wolf et al. 2005)."""

    name = "caq"
    params: ClassVar[Mapping[str, Param]] = {"pbar": Param(6.0e-6, "cm/s", (0.0, math.inf), _PDOC)}
    states: ClassVar[Mapping[str, Param]] = {"m": _M}
    currents: ClassVar[Mapping[str, str | None]] = {"ica": "ca"}
    reads = ("cai", "cao")
    globals = USETABLE_GLOBALS
    init = staticmethod(_caq_init)
    current = staticmethod(_caq_current)
    advance = staticmethod(_caq_advance)

    @classmethod
    def kernels(cls, globals_):
        return {"advance": _caq_advance_tabulated} if globals_.get("usetable", 1.0) else {}

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        return channel_aux(caq_tabulated.py_func, _VMIN, _VMAX, globals_)


# ----------------------------------------------------------------------------- car


@njit(cache=True)
def car_tabulated(v):
    """(m_inf, h_inf) of car at v [mV]."""
    return boltzmann(v, -10.3, -6.6), boltzmann(v, -33.3, 17.0)


@njit(cache=True, inline="always", error_model="numpy")
def car_rates_tabulated(v, aux):
    """car_rates for usetable = 1, without branches (index arithmetic only)."""
    i, i1, th = rate_index(v, aux[1], aux[2], NTAB)
    minf = rate_row(aux, _CAR_ROWS, i, i1, th)
    hinf = rate_row(aux, _CAR_ROWS + _R, i, i1, th)
    htau = function_table_uniform(aux, _CAR_TH_OFF, v) / QFACT_CA
    return minf, CAR_TAUM_MS / QFACT_CA, hinf, htau


@njit(cache=True)
def car_rates(v, aux):
    """(m_inf, tau_m [ms], h_inf, tau_h [ms]) of car at v [mV]."""
    if aux[0] != 0.0:
        return car_rates_tabulated(v, aux)
    minf, hinf = car_tabulated(v)
    htau = function_table(_CAR_TH_V, _CAR_TH, v) / QFACT_CA
    return minf, CAR_TAUM_MS / QFACT_CA, hinf, htau


@njit(cache=True)
def _car_init(t, v, cai, cao, pbar, aux, celsius):
    minf, _mtau, hinf, _htau = car_rates(v, aux)
    return (minf, hinf)


@njit(cache=True)
def _car_current(t, v, m, h, cai, cao, pbar, aux, celsius):
    return (pbar * m * m * m * h * ghk(v, cai, cao, celsius),)


@njit(cache=True)
def _car_advance(t, v, m, h, cai, cao, pbar, aux, celsius, dt):
    minf, mtau, hinf, htau = car_rates(v, aux)
    return (exp_euler_gate(m, minf, mtau, dt), exp_euler_gate(h, hinf, htau, dt))


@njit(cache=True, error_model="numpy")
def _car_advance_tabulated(t, v, m, h, cai, cao, pbar, aux, celsius, dt):
    """``_car_advance`` for usetable = 1: branch-free, vexp (its loop vectorises)."""
    minf, mtau, hinf, htau = car_rates_tabulated(v, aux)
    return (exp_euler_gate_vec(m, minf, mtau, dt), exp_euler_gate_vec(h, hinf, htau, dt))


@register
class CaR(DensityMechanism):
    """R-type Ca current into the ``ca`` pool (Wolf et al. 2005)."""

    name = "car"
    params: ClassVar[Mapping[str, Param]] = {"pbar": Param(2.6e-5, "cm/s", (0.0, math.inf), _PDOC)}
    states: ClassVar[Mapping[str, Param]] = {"m": _M, "h": _H}
    currents: ClassVar[Mapping[str, str | None]] = {"ica": "ca"}
    reads = ("cai", "cao")
    globals = USETABLE_GLOBALS
    init = staticmethod(_car_init)
    current = staticmethod(_car_current)
    advance = staticmethod(_car_advance)

    @classmethod
    def kernels(cls, globals_):
        return {"advance": _car_advance_tabulated} if globals_.get("usetable", 1.0) else {}

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        return channel_aux(car_tabulated.py_func, _VMIN, _VMAX, globals_, _CAR_TAUS)


# ----------------------------------------------------------------------------- cat


@njit(cache=True)
def cat_tabulated(v):
    """(m_inf, h_inf) of cat at v [mV]."""
    return boltzmann(v, -51.73, -6.53), boltzmann(v, -80.0, 6.7)


@njit(cache=True, inline="always", error_model="numpy")
def cat_rates_tabulated(v, aux):
    """cat_rates for usetable = 1, without branches (index arithmetic only)."""
    i, i1, th = rate_index(v, aux[1], aux[2], NTAB)
    minf = rate_row(aux, _CAT_ROWS, i, i1, th)
    hinf = rate_row(aux, _CAT_ROWS + _R, i, i1, th)
    mtau = function_table_uniform(aux, _CAT_TM_OFF, v) / QFACT_CA
    htau = function_table_uniform(aux, _CAT_TH_OFF, v) / QFACT_CA
    return minf, mtau, hinf, htau


@njit(cache=True)
def cat_rates(v, aux):
    """(m_inf, tau_m [ms], h_inf, tau_h [ms]) of cat at v [mV]."""
    if aux[0] != 0.0:
        return cat_rates_tabulated(v, aux)
    minf, hinf = cat_tabulated(v)
    mtau = function_table(_CAT_TM_V, _CAT_TM, v) / QFACT_CA
    htau = function_table(_CAT_TH_V, _CAT_TH, v) / QFACT_CA
    return minf, mtau, hinf, htau


@njit(cache=True)
def _cat_init(t, v, cali, calo, pbar, aux, celsius):
    minf, _mtau, hinf, _htau = cat_rates(v, aux)
    return (minf, hinf)


@njit(cache=True)
def _cat_current(t, v, m, h, cali, calo, pbar, aux, celsius):
    return (pbar * m * m * m * h * ghk(v, cali, calo, celsius),)


@njit(cache=True)
def _cat_advance(t, v, m, h, cali, calo, pbar, aux, celsius, dt):
    minf, mtau, hinf, htau = cat_rates(v, aux)
    return (exp_euler_gate(m, minf, mtau, dt), exp_euler_gate(h, hinf, htau, dt))


@njit(cache=True, error_model="numpy")
def _cat_advance_tabulated(t, v, m, h, cali, calo, pbar, aux, celsius, dt):
    """``_cat_advance`` for usetable = 1: branch-free, vexp (its loop vectorises)."""
    minf, mtau, hinf, htau = cat_rates_tabulated(v, aux)
    return (exp_euler_gate_vec(m, minf, mtau, dt), exp_euler_gate_vec(h, hinf, htau, dt))


@register
class CaT(DensityMechanism):
    """T-type Ca current (Cav3) into the ``cal`` pool (Wolf et al. 2005)."""

    name = "cat"
    params: ClassVar[Mapping[str, Param]] = {"pbar": Param(7.6e-7, "cm/s", (0.0, math.inf), _PDOC)}
    states: ClassVar[Mapping[str, Param]] = {"m": _M, "h": _H}
    currents: ClassVar[Mapping[str, str | None]] = {"ical": "cal"}
    reads = ("cali", "calo")
    globals = USETABLE_GLOBALS
    init = staticmethod(_cat_init)
    current = staticmethod(_cat_current)
    advance = staticmethod(_cat_advance)

    @classmethod
    def kernels(cls, globals_):
        return {"advance": _cat_advance_tabulated} if globals_.get("usetable", 1.0) else {}

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        return channel_aux(cat_tabulated.py_func, _VMIN, _VMAX, globals_, _CAT_TAUS)
