"""Synaptic point processes: NEURON's ``ExpSyn`` and ``Exp2Syn``, and the MSN model's
saturating ``AMPA``, ``NMDA`` and ``GABAA`` synapses.

Sources of the equations
------------------------

``ExpSyn`` and ``Exp2Syn`` follow the equations documented for NEURON's built-in
synapses (NEURON reference, "ExpSyn" and "Exp2Syn"; Hines & Carnevale, *The NEURON
Book*, 2006, ch. 10):

- ExpSyn: g' = -g/tau, i = g (v - e) [nA, g in uS]; an event of weight w adds w to g.
- Exp2Syn: A' = -A/tau1, B' = -B/tau2, g = B - A, i = g (v - e).  At initialisation
  tau1 is kept inside [1e-9 tau2, 0.9999 tau2]; with the peak time
  tp = tau1 tau2/(tau2 - tau1) ln(tau2/tau1), factor = 1/(exp(-tp/tau2) - exp(-tp/tau1)),
  so that an event of weight w gives a conductance peak of exactly w [uS].  An event adds
  w*factor to both A and B.

Both are integrated like NEURON's ``cnexp``: the exact exponential decay over a step.

``AMPA``, ``NMDA`` and ``GABAA`` are the synapses of the TimeScales medium spiny
neuron (Mattioni & Le Novere 2013, BMC Syst Biol 7:103; the repository's specification
``MODEL.md`` sections 3.0b and 5.1), with the saturating "beta function" kinetics of
Hake (2004; Hake, Sharp & Carnevale, NEURON forum model) in two states:

- y1' = -y1/tau_d', y2' = y1 - y2/tau_r', with tau' = tau/qfact (qfact = 2, 22 -> 35 degC);
- cnexp order: y1 first, then y2 with the *new* y1 held constant over the step,
  y2_{n+1} = tau_r' y1_{n+1} + (y2_n - tau_r' y1_{n+1}) exp(-dt/tau_r');
- on an event at time t of weight w: y1_loc <- y1_loc exp(-(t - t1)/tau_d');
  a = 1 - y1_loc/S; y1_loc += a; y1 += a; t1 <- t; spkcnt += 1; scale <- w.
  The weight therefore rescales the whole conductance from that event on, and does not
  change the size of the y1 jump;
- g = gbar y2 [uS]; AMPA: itmp = scale g (v - e); NMDA: itmp = scale g B(v) (v - e) with
  the Mg block of Jahr & Stevens (1990), B(v) = 1/(1 + exp(-0.062 v) [Mg]/3.57);
  the fraction rho of itmp is carried by the ``cal`` calcium pool (``ical``, linear
  driving force, not GHK) and 1 - rho is the nonspecific current ``i``;
  GABAA: i = scale g (v - e), e = -60 mV (parameters of the MSN model's unused GABA
  synapse, MODEL.md section 5.1).

The AMPA global ``g_factor`` of the original is omitted: it has no default and its
INITIAL block sets it to 1, so g = gbar y2 for all three synapses.

NEURON keeps the per-event bookkeeping in NET_RECEIVE variables; here it is held in
extra states of the mechanism (``y1_loc``, ``t1``, ``spkcnt``, ``scale``).  In the MSN
model ``y1_loc`` belongs to the NetCon (its second weight element) while the others
belong to the synapse; as every MSN synapse has exactly one connection, keeping
``y1_loc`` per synapse is identical there.  With several connections to one synapse
instance it would be shared between them (a documented difference from NEURON).
All bookkeeping states are reset by ``initialize`` (the MSN model initialises once).

The Mg block is tabulated like NEURON's ``TABLE ... FROM -100 TO 100 WITH 201``
(202 points, linear interpolation, clamped outside); the global ``usetable = 0``
evaluates the formula exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from numba import njit

from .base import Param, PointProcess, register
from .msn.ions import CAL
from .numerics import build_table, exp_euler_gate, table_lookup

__all__ = ["AMPA", "GABAA", "NMDA", "Exp2Syn", "ExpSyn", "exp2syn_factor", "mg_block"]


# The MSN model's second calcium pool ``cal`` (MODEL.md 4.1) is declared once,
# in msn/ions.py; the synapses write its current ``ical``.
CAL_ION = CAL

_POS_TAU = (1e-9, 1e9)  # NEURON's declared range for synaptic time constants [ms]


# ----------------------------------------------------------------------------- ExpSyn


@njit(cache=True)
def _expsyn_init(t, v, tau, e, aux, celsius):
    return (0.0,)


@njit(cache=True)
def _expsyn_current(t, v, g, tau, e, aux, celsius):
    return (g * (v - e),)


@njit(cache=True)
def _expsyn_advance(t, v, g, tau, e, aux, celsius, dt):
    return (exp_euler_gate(g, 0.0, tau, dt),)


@njit(cache=True)
def _expsyn_receive(t, weight, g, tau, e, aux):
    return (g + weight,)


@register
class ExpSyn(PointProcess):
    """Single-exponential synapse, identical to NEURON's built-in ``ExpSyn``.

    g' = -g/tau; i = g (v - e) [nA]; an event of weight w [uS] adds w to g.
    """

    name = "ExpSyn"
    params: ClassVar[Mapping[str, Param]] = {
        "tau": Param(0.1, "ms", _POS_TAU, "decay time constant"),
        "e": Param(0.0, "mV", doc="reversal potential"),
    }
    states: ClassVar[Mapping[str, Param]] = {"g": Param(0.0, "uS", doc="conductance")}
    currents: ClassVar[Mapping[str, str | None]] = {"i": None}
    init = staticmethod(_expsyn_init)
    current = staticmethod(_expsyn_current)
    advance = staticmethod(_expsyn_advance)
    receive = staticmethod(_expsyn_receive)


# ----------------------------------------------------------------------------- Exp2Syn


@njit(cache=True, inline="always")
def _exp2_tau1(tau1, tau2):
    """tau1 as NEURON's Exp2Syn INITIAL leaves it: inside [1e-9 tau2, 0.9999 tau2]."""
    if tau1 / tau2 > 0.9999:
        tau1 = 0.9999 * tau2
    if tau1 / tau2 < 1e-9:
        tau1 = tau2 * 1e-9
    return tau1


@njit(cache=True)
def exp2syn_factor(tau1, tau2):
    """Normalisation of Exp2Syn: 1/(exp(-tp/tau2) - exp(-tp/tau1)) at the peak time tp.

    Parameters
    ----------
    tau1, tau2 : float
        Rise and decay time constants [ms] (tau1 is first clamped as NEURON does).

    Returns
    -------
    float
        The factor [1] by which an event's weight is multiplied before it is added
        to A and B, so that the conductance peak equals the weight.
    """
    tau1 = _exp2_tau1(tau1, tau2)
    tp = (tau1 * tau2) / (tau2 - tau1) * math.log(tau2 / tau1)
    return 1.0 / (-math.exp(-tp / tau1) + math.exp(-tp / tau2))


@njit(cache=True)
def _exp2syn_init(t, v, tau1, tau2, e, aux, celsius):
    return (0.0, 0.0)


@njit(cache=True)
def _exp2syn_current(t, v, A, B, tau1, tau2, e, aux, celsius):
    return ((B - A) * (v - e),)


@njit(cache=True)
def _exp2syn_advance(t, v, A, B, tau1, tau2, e, aux, celsius, dt):
    return (
        exp_euler_gate(A, 0.0, _exp2_tau1(tau1, tau2), dt),
        exp_euler_gate(B, 0.0, tau2, dt),
    )


@njit(cache=True)
def _exp2syn_receive(t, weight, A, B, tau1, tau2, e, aux):
    f = exp2syn_factor(tau1, tau2)
    return (A + weight * f, B + weight * f)


@register
class Exp2Syn(PointProcess):
    """Two-exponential synapse, identical to NEURON's built-in ``Exp2Syn``.

    A' = -A/tau1, B' = -B/tau2, g = B - A [uS], i = g (v - e) [nA]; an event of
    weight w [uS] adds w*factor to A and B (peak conductance w).
    """

    name = "Exp2Syn"
    params: ClassVar[Mapping[str, Param]] = {
        "tau1": Param(0.1, "ms", _POS_TAU, "rise time constant"),
        "tau2": Param(10.0, "ms", _POS_TAU, "decay time constant"),
        "e": Param(0.0, "mV", doc="reversal potential"),
    }
    states: ClassVar[Mapping[str, Param]] = {
        "A": Param(0.0, "uS", doc="rising component (g = B - A)"),
        "B": Param(0.0, "uS", doc="decaying component"),
    }
    currents: ClassVar[Mapping[str, str | None]] = {"i": None}
    init = staticmethod(_exp2syn_init)
    current = staticmethod(_exp2syn_current)
    advance = staticmethod(_exp2syn_advance)
    receive = staticmethod(_exp2syn_receive)


# ----------------------------------------------------------------------------- MSN synapses
#
# Shared kernels of the Hake (2004) saturating synapse.  The class kernels below only
# unpack their own parameter lists (argument names are part of the API).


@njit(cache=True, inline="always")
def _hake_advance(y1, y2, tau_r, tau_d, qfact, dt):
    y1n = exp_euler_gate(y1, 0.0, tau_d / qfact, dt)
    trp = tau_r / qfact
    return y1n, exp_euler_gate(y2, trp * y1n, trp, dt)


@njit(cache=True, inline="always")
def _hake_receive(t, y1, y1_loc, t1, tau_d, qfact, S):
    y1_loc = y1_loc * math.exp(-(t - t1) / (tau_d / qfact))
    a = 1.0 - y1_loc / S
    return y1 + a, y1_loc + a


def _hake_params(gbar, tau_r, tau_d, S, e, rho=None):
    out = {
        "gbar": Param(gbar, "uS", (0.0, math.inf), "maximal conductance (g = gbar*y2)"),
        "tau_r": Param(tau_r, "ms", _POS_TAU, "rise time constant at 22 degC (before qfact)"),
        "tau_d": Param(tau_d, "ms", _POS_TAU, "decay time constant at 22 degC (before qfact)"),
        "qfact": Param(2.0, "1", (1e-9, math.inf), "temperature factor: tau' = tau/qfact"),
        "S": Param(S, "1/ms", (1e-9, math.inf), "saturation of y1_loc (a = 1 - y1_loc/S)"),
        "e": Param(e, "mV", doc="reversal potential"),
    }
    if rho is not None:
        out["rho"] = Param(rho, "1", (0.0, 1.0), "fraction of the current carried by cal")
    return out


def _hake_states():
    return {
        "y1": Param(0.0, "1/ms", doc="first kinetic state (an unsaturated event adds 1)"),
        "y2": Param(0.0, "1", doc="open fraction (g = gbar*y2)"),
        "y1_loc": Param(0.0, "1/ms", doc="NET_RECEIVE bookkeeping: saturating event memory"),
        "t1": Param(0.0, "ms", doc="NET_RECEIVE bookkeeping: time of the last event"),
        "spkcnt": Param(0.0, "1", doc="number of events received"),
        "scale": Param(0.0, "1", doc="weight of the last event (rescales the conductance)"),
    }


# AMPA -------------------------------------------------------------------


@njit(cache=True)
def _ampa_init(t, v, gbar, tau_r, tau_d, qfact, S, e, rho, aux, celsius):
    return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # initial scale 0 (MODEL.md 5.1)


@njit(cache=True)
def _ampa_current(
    t, v, y1, y2, y1_loc, t1, spkcnt, scale, gbar, tau_r, tau_d, qfact, S, e, rho, aux, celsius
):
    itmp = scale * gbar * y2 * (v - e)
    return ((1.0 - rho) * itmp, rho * itmp)


@njit(cache=True)
def _ampa_advance(
    t, v, y1, y2, y1_loc, t1, spkcnt, scale, gbar, tau_r, tau_d, qfact, S, e, rho, aux, celsius, dt
):
    y1n, y2n = _hake_advance(y1, y2, tau_r, tau_d, qfact, dt)
    return (y1n, y2n, y1_loc, t1, spkcnt, scale)


@njit(cache=True)
def _ampa_receive(
    t, weight, y1, y2, y1_loc, t1, spkcnt, scale, gbar, tau_r, tau_d, qfact, S, e, rho, aux
):
    y1n, y1_locn = _hake_receive(t, y1, y1_loc, t1, tau_d, qfact, S)
    return (y1n, y2, y1_locn, t, spkcnt + 1.0, weight)


@register
class AMPA(PointProcess):
    """AMPA synapse of the TimeScales MSN (Hake 2004 saturating kinetics, MODEL.md 5.1).

    Currents [nA]: nonspecific ``i`` = (1 - rho) itmp and ``ical`` = rho itmp into the
    ``cal`` pool, with itmp = scale gbar y2 (v - e).  Events set ``scale`` to the weight.
    """

    name = "AMPA"
    params = _hake_params(gbar=8.5e-4, tau_r=2.2, tau_d=11.5, S=1.2, e=0.0, rho=0.005)
    states = _hake_states()
    currents: ClassVar[Mapping[str, str | None]] = {"i": None, "ical": "cal"}
    init = staticmethod(_ampa_init)
    current = staticmethod(_ampa_current)
    advance = staticmethod(_ampa_advance)
    receive = staticmethod(_ampa_receive)


# NMDA -------------------------------------------------------------------

_MG_VMIN, _MG_VMAX, _MG_NTAB = -100.0, 100.0, 201  # TABLE FROM -100 TO 100 WITH 201
_MG_BASE = 4  # aux[0] usetable, aux[1] mg, aux[2] vmin, aux[3] mfac; table from aux[4]


@njit(cache=True)
def mg_block(v, mg):
    """Mg2+ block of the NMDA receptor (Jahr & Stevens 1990), as in the MSN model.

    Parameters
    ----------
    v : float
        Membrane potential [mV].
    mg : float
        Extracellular Mg2+ concentration [mM].

    Returns
    -------
    float
        Unblocked fraction B(v) = 1/(1 + exp(-0.062 v) mg/3.57) [1].
    """
    return 1.0 / (1.0 + math.exp(-0.062 * v) * mg / 3.57)


def _mg_block_tuple(v, mg):
    return (mg_block(v, mg),)


@njit(cache=True, inline="always")
def _nmda_block(v, aux):
    if aux[0] == 0.0:
        return mg_block(v, aux[1])
    return table_lookup(aux, _MG_BASE, _MG_NTAB, 0, aux[2], aux[3], v)


@njit(cache=True)
def _nmda_init(t, v, gbar, tau_r, tau_d, qfact, S, e, rho, aux, celsius):
    return (0.0, 0.0, 0.0, 0.0, 0.0, 1.0)  # initial scale 1 (MODEL.md 5.1)


@njit(cache=True)
def _nmda_current(
    t, v, y1, y2, y1_loc, t1, spkcnt, scale, gbar, tau_r, tau_d, qfact, S, e, rho, aux, celsius
):
    itmp = scale * gbar * y2 * _nmda_block(v, aux) * (v - e)
    return ((1.0 - rho) * itmp, rho * itmp)


@njit(cache=True)
def _nmda_advance(
    t, v, y1, y2, y1_loc, t1, spkcnt, scale, gbar, tau_r, tau_d, qfact, S, e, rho, aux, celsius, dt
):
    y1n, y2n = _hake_advance(y1, y2, tau_r, tau_d, qfact, dt)
    return (y1n, y2n, y1_loc, t1, spkcnt, scale)


@njit(cache=True)
def _nmda_receive(
    t, weight, y1, y2, y1_loc, t1, spkcnt, scale, gbar, tau_r, tau_d, qfact, S, e, rho, aux
):
    y1n, y1_locn = _hake_receive(t, y1, y1_loc, t1, tau_d, qfact, S)
    return (y1n, y2, y1_locn, t, spkcnt + 1.0, weight)


@register
class NMDA(PointProcess):
    """NMDA synapse of the TimeScales MSN (Hake 2004 kinetics, Mg block; MODEL.md 5.1).

    Currents [nA]: ``i`` = (1 - rho) itmp and ``ical`` = rho itmp (``cal`` pool), with
    itmp = scale gbar y2 B(v) (v - e).  Globals: ``mg`` [mM] and ``usetable``.
    """

    name = "NMDA"
    params = _hake_params(gbar=12.2e-5, tau_r=5.63, tau_d=320.0, S=7.0, e=0.0, rho=0.1)
    states = _hake_states()
    currents: ClassVar[Mapping[str, str | None]] = {"i": None, "ical": "cal"}
    globals: ClassVar[Mapping[str, Param]] = {
        "usetable": Param(1.0, "1", (0.0, 1.0), "1: tabulated Mg block as NEURON; 0: exact"),
        "mg": Param(1.0, "mM", (0.0, math.inf), "extracellular Mg2+ concentration"),
    }
    init = staticmethod(_nmda_init)
    current = staticmethod(_nmda_current)
    advance = staticmethod(_nmda_advance)
    receive = staticmethod(_nmda_receive)

    @classmethod
    def make_aux(cls, celsius, globals_, instances):
        mg = float(globals_.get("mg", 1.0))
        table = build_table(_mg_block_tuple, _MG_VMIN, _MG_VMAX, _MG_NTAB, mg)
        mfac = _MG_NTAB / (_MG_VMAX - _MG_VMIN)
        head = [float(globals_.get("usetable", 1.0)), mg, _MG_VMIN, mfac]
        return np.concatenate([np.array(head), table.ravel()])


# GABAA ------------------------------------------------------------------


@njit(cache=True)
def _gabaa_init(t, v, gbar, tau_r, tau_d, qfact, S, e, aux, celsius):
    return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # initial scale 0 (MODEL.md 5.1)


@njit(cache=True)
def _gabaa_current(
    t, v, y1, y2, y1_loc, t1, spkcnt, scale, gbar, tau_r, tau_d, qfact, S, e, aux, celsius
):
    return (scale * gbar * y2 * (v - e),)


@njit(cache=True)
def _gabaa_advance(
    t, v, y1, y2, y1_loc, t1, spkcnt, scale, gbar, tau_r, tau_d, qfact, S, e, aux, celsius, dt
):
    y1n, y2n = _hake_advance(y1, y2, tau_r, tau_d, qfact, dt)
    return (y1n, y2n, y1_loc, t1, spkcnt, scale)


@njit(cache=True)
def _gabaa_receive(
    t, weight, y1, y2, y1_loc, t1, spkcnt, scale, gbar, tau_r, tau_d, qfact, S, e, aux
):
    y1n, y1_locn = _hake_receive(t, y1, y1_loc, t1, tau_d, qfact, S)
    return (y1n, y2, y1_locn, t, spkcnt + 1.0, weight)


@register
class GABAA(PointProcess):
    """GABA_A synapse: the MSN model's (unused) GABA synapse, MODEL.md 5.1.

    Same saturating kinetics as :class:`AMPA` with gbar = 0.0021 uS, tau_r = 0.5 ms,
    tau_d = 7.5 ms (before qfact = 2), S = 1.2, e = -60 mV; i = scale gbar y2 (v - e) [nA].
    """

    name = "GABAA"
    params = _hake_params(gbar=0.0021, tau_r=0.5, tau_d=7.5, S=1.2, e=-60.0)
    states = _hake_states()
    currents: ClassVar[Mapping[str, str | None]] = {"i": None}
    init = staticmethod(_gabaa_init)
    current = staticmethod(_gabaa_current)
    advance = staticmethod(_gabaa_advance)
    receive = staticmethod(_gabaa_receive)
