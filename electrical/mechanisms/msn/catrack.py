"""Spine calcium with radial and longitudinal diffusion: ``catrack`` (pool ``ca``), ``caltrack`` (``cal``).

Source: MODEL.md section 4.3, the spine calcium of Mattioni & Le Novere (2013)
PLoS ONE 8:e66811, which is NEURON's ``cdp``-style radial diffusion with
buffer and pump (Carnevale & Hines, The NEURON Book, 2006, ch. 9; buffer
rates after Yamada et al. 1989), one identical copy per pool.

Per segment of diameter d [um] and per pool, 4 annuli of a cylinder (outer
shell 0 ... core 3) with volumes V_i = d^2 vrat_i [um3 per um of length]
(vrat = 0.23998, 0.34907, 0.17453, 0.02182, summing to pi/4) and boundary
factors frat_{i+1} = 15.708, 9.4248, 3.1416 between shells i and i+1
(:func:`shell_factors`).  Concentrations in mM, time in ms; the pump in
p = 1e10 P, q = 1e10 PC [mM um] with P, PC the free and Ca-bound pump
[mol/cm2] (stored states, as in the original):

- radial: V_i dc_i/dt = D frat_i (c_{i-1} - c_i) - D frat_{i+1} (c_i - c_{i+1});
- buffer in every shell: dc_i/dt, dB_i/dt, -dCaB_i/dt contain
  -kon c_i B_i + koff CaB_i;
- pump on shell 0: V_0 dc_0/dt contains -pi d (k1 c_0 p - k2 q);
  dp/dt = -(k1 c_0 p - k2 q) + (k3 q - k4 cao p), p + q = 1e10 TotalPump;
- entry on shell 0: V_0 dc_0/dt contains -(ica - ica_pmp) pi d/(2 F'),
  F' = F/1e4 [C/mol], ica the pool current of the segment (which contains
  this mechanism's own pump current) and ica_pmp = 2 F' (k3 q - k4 cao p)
  [mA/cm2] the pump current of the current iterate;
- cai (cali) = c_0 after the step; the pump current of the accepted state
  is the mechanism's membrane current in the next step (0 in the first
  step: NEURON's first-step artefact, MODEL.md 4.3).

Solver: NEURON's ``sparse`` for a KINETIC block (one backward-Euler step
per dt, Newton iterations from the old state; the entry term only on the
right-hand side; P + PC = TotalPump replaces the PC row; after each
iteration negative states are set to 0; stop when the sum of the absolute
increments over the 14 states, in mM and mol/cm2, is <= 1e-6, at most
:data:`MAX_NEWTON` iterations, see :func:`kinetic_step` for what happens
then).  Each Newton system is solved exactly by eliminating
the buffer and pump unknowns shell by shell, leaving a 4x4 tridiagonal
system in the shell concentrations (O(1) work per segment).

Longitudinal diffusion of the 4 free concentrations (NEURON
``LONGITUDINAL_DIFFUSION D*diam*diam*vrat``) is done by the engine after
all state updates (``diffusion`` in :mod:`electrical.mechanisms.base`);
the ion value cai stays at its post-KINETIC value (MODEL.md 3.0b, 4.3).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from numba import njit

from ..base import DensityMechanism, Param, register
from . import ions  # noqa: F401  (defines the 'cal' ion)
from .ghk import FARADAY_C_PER_MOL

__all__ = [
    "FRAT",
    "NANNULI",
    "VRAT",
    "CaTrack",
    "CalTrack",
    "initial_state",
    "kinetic_step",
    "pump_current",
    "shell_factors",
]

#: Number of annuli (``Nannuli`` of the original).
NANNULI = 4
#: Faraday constant in the model's unit (1e4 C)/mol (NEURON >= 8 value, MODEL.md 3.0).
FARADAY_1E4 = FARADAY_C_PER_MOL / 1e4
#: p [mM um] = PUMP_SCALE * P [mol/cm2]: 1 mM um = 1e-18 mol/um2 = 1e-10 mol/cm2.
PUMP_SCALE = 1e10
#: NEURON sparse: convergence bound on the sum of |Newton increments| (scopmath CONVERGE).
NEWTON_TOL = 1e-6
#: NEURON sparse: iterations allowed (scopmath MAXSTEPS = 20 plus the test after it).
MAX_NEWTON = 22


def shell_factors(n: int = NANNULI) -> tuple[np.ndarray, np.ndarray]:
    """(vrat, frat) of ``n`` annuli of a unit-diameter cylinder (cdp's geometry).

    The outer shell is half as thick as the others (thickness 1/(4(n-1)) of the
    diameter, centres at radii 1/2, 1/2 - 2 delta, ..., 0 with
    delta = 1/(4(n-1))).  vrat_i is the area of annulus i [um2 per um2 of
    d^2]; frat_{i+1} is the circumference of the boundary between annuli i
    and i+1 divided by the distance between their centres (dimensionless).
    """
    r = 0.5
    half = r / (n - 1) / 2.0  # thickness of the outer shell = half the others
    vrat = np.zeros(n)
    frat = np.zeros(n)
    frat[0] = 2.0 * r
    for i in range(n - 1):
        vrat[i] += math.pi * (r - half / 2.0) * 2.0 * half  # inner half of annulus i
        r -= half
        frat[i + 1] = 2.0 * math.pi * r / (2.0 * half)
        r -= half
        vrat[i + 1] = math.pi * (r + half / 2.0) * 2.0 * half  # outer half of annulus i+1
    return vrat, frat


VRAT, FRAT = shell_factors()
_V0, _V1, _V2, _V3 = (float(x) for x in VRAT)
_F1, _F2, _F3 = (float(x) for x in FRAT[1:])


@njit(cache=True, inline="always")
def _buffer_elim(c, b, cb, bo, cbo, kon, koff, idt):
    """Eliminate (dB, dCaB) of one shell from its Newton system.

    Returns (diag, rhs, alpha_b, alpha_cb, gam, rate): the shell's contribution
    to the diagonal and right-hand side of the dc row, dB = alpha_b - gam dc,
    dCaB = alpha_cb + gam dc, and the binding rate kon c B - koff CaB [mM/ms].
    """
    r = kon * c * b - koff * cb
    gb = (b - bo) * idt + r
    gcb = (cb - cbo) * idt - r
    a = idt + kon * c
    h = idt + koff
    det = a * h - koff * kon * c
    ab = (-h * gb - koff * gcb) / det
    acb = (-a * gcb - kon * c * gb) / det
    e = kon * b
    gam = e * idt / det
    diag = e - gam * (kon * c + koff)
    rhs = -(kon * c * ab - koff * acb)
    return diag, rhs, ab, acb, gam, r


@njit(cache=True)
def kinetic_step(c0, c1, c2, c3, cb0, cb1, cb2, cb3, b0, b1, b2, b3, pump, pumpca,
                 ica, cao, diam, dca, kon, koff, k1, k2, k3, k4, totalpump, dt):
    """One NEURON ``sparse`` step of the radial scheme of one segment and pool.

    Parameters
    ----------
    c0..c3, cb0..cb3, b0..b3 : float
        Free Ca, Ca-bound and free buffer per shell at t_n [mM].
    pump, pumpca : float
        Free and Ca-bound pump at t_n [mol/cm2].
    ica : float
        Pool current of the segment [mA/cm2], including the pump current.
    cao : float
        Outside concentration [mM].
    diam : float
        Segment diameter [um].
    dca : float
        Diffusion coefficient [um2/ms].
    kon, koff : float
        Buffer rates [1/(mM ms)], [1/ms].
    k1, k2, k3, k4 : float
        Pump rates [1/(mM ms)], [1/ms], [1/ms], [1/(mM ms)].
    totalpump : float
        Pump density [mol/cm2].
    dt : float
        Time step [ms].

    Returns
    -------
    tuple
        The 14 new states (c0..c3, cb0..cb3, b0..b3, pump, pumpca), the pump
        current [mA/cm2] and the ion value cai [mM] that the block assigns, and
        the number of Newton iterations.  After convergence the last two are
        evaluated at the new state; when :data:`MAX_NEWTON` iterations do not
        converge they are those of the last iterate before the final update,
        as in NEURON's thread-safe ``sparse`` whose non-convergence code the
        THREADSAFE mechanism ignores (it happens in the thin spine neck, where
        the pump depletes Ca to 0 within a millisecond of initialisation).
    """
    idt = 1.0 / dt
    v0 = diam * diam * _V0
    v1 = diam * diam * _V1
    v2 = diam * diam * _V2
    v3 = diam * diam * _V3
    g0 = dca * _F1
    g1 = dca * _F2
    g2 = dca * _F3
    s0 = math.pi * diam / v0
    co0, co1, co2, co3 = c0, c1, c2, c3
    cbo0, cbo1, cbo2, cbo3 = cb0, cb1, cb2, cb3
    bo0, bo1, bo2, bo3 = b0, b1, b2, b3
    p = pump * PUMP_SCALE
    q = pumpca * PUMP_SCALE
    po = p
    ptot = totalpump * PUMP_SCALE
    it = 0
    converged = False
    ipmp_eval = 0.0
    c0_eval = c0
    while it < MAX_NEWTON:
        it += 1
        # what NEURON's block assigns when it is evaluated at this iterate
        ipmp_eval = 2.0 * FARADAY_1E4 * (k3 * q - k4 * cao * p)
        c0_eval = c0
        # buffer elimination per shell
        d0, r0, ab0, acb0, ga0, rb0 = _buffer_elim(c0, b0, cb0, bo0, cbo0, kon, koff, idt)
        d1, r1, ab1, acb1, ga1, rb1 = _buffer_elim(c1, b1, cb1, bo1, cbo1, kon, koff, idt)
        d2, r2, ab2, acb2, ga2, rb2 = _buffer_elim(c2, b2, cb2, bo2, cbo2, kon, koff, idt)
        d3, r3, ab3, acb3, ga3, rb3 = _buffer_elim(c3, b3, cb3, bo3, cbo3, kon, koff, idt)
        # radial fluxes [mM um3/ms per um]
        f01 = g0 * (c0 - c1)
        f12 = g1 * (c1 - c2)
        f23 = g2 * (c2 - c3)
        # pump fluxes [mM um/ms] and the entry term (right-hand side only)
        j1 = k1 * c0 * p - k2 * q
        j2 = k3 * q - k4 * cao * p
        entry = s0 * (-ica / (2.0 * FARADAY_1E4) + j2)
        # residuals G = (x - x_old)/dt - f(x) of the c rows and the pump row
        gc0 = (c0 - co0) * idt - (-f01 / v0 - rb0 - s0 * j1 + entry)
        gc1 = (c1 - co1) * idt - ((f01 - f12) / v1 - rb1)
        gc2 = (c2 - co2) * idt - ((f12 - f23) / v2 - rb2)
        gc3 = (c3 - co3) * idt - (f23 / v3 - rb3)
        gp = (p - po) * idt - (-j1 + j2)
        rr = ptot - p - q  # conservation row: dp + dq = rr
        # pump elimination: dp = ap + bp dc0, dq = rr - dp
        dp_ = idt + k1 * c0 + k4 * cao + k2 + k3
        ap = (-gp + (k2 + k3) * rr) / dp_
        bp = -k1 * p / dp_
        # tridiagonal system in dc: diag, sub (l), super (u), rhs
        a0 = idt + g0 / v0 + d0 + s0 * (k1 * p + (k1 * c0 + k2) * bp)
        a1 = idt + (g0 + g1) / v1 + d1
        a2 = idt + (g1 + g2) / v2 + d2
        a3 = idt + g2 / v3 + d3
        y0 = -gc0 + r0 - s0 * ((k1 * c0 + k2) * ap - k2 * rr)
        y1 = -gc1 + r1
        y2 = -gc2 + r2
        y3 = -gc3 + r3
        u0 = -g0 / v0
        l1 = -g0 / v1
        u1 = -g1 / v1
        l2 = -g1 / v2
        u2 = -g2 / v2
        l3 = -g2 / v3
        # Thomas algorithm
        m1 = l1 / a0
        a1 -= m1 * u0
        y1 -= m1 * y0
        m2 = l2 / a1
        a2 -= m2 * u1
        y2 -= m2 * y1
        m3 = l3 / a2
        a3 -= m3 * u2
        y3 -= m3 * y2
        dc3 = y3 / a3
        dc2 = (y2 - u2 * dc3) / a2
        dc1 = (y1 - u1 * dc2) / a1
        dc0 = (y0 - u0 * dc1) / a0
        dpp = ap + bp * dc0
        dqq = rr - dpp
        db0 = ab0 - ga0 * dc0
        db1 = ab1 - ga1 * dc1
        db2 = ab2 - ga2 * dc2
        db3 = ab3 - ga3 * dc3
        dcb0 = acb0 + ga0 * dc0
        dcb1 = acb1 + ga1 * dc1
        dcb2 = acb2 + ga2 * dc2
        dcb3 = acb3 + ga3 * dc3
        err = (abs(dc0) + abs(dc1) + abs(dc2) + abs(dc3)
               + abs(dcb0) + abs(dcb1) + abs(dcb2) + abs(dcb3)
               + abs(db0) + abs(db1) + abs(db2) + abs(db3)
               + (abs(dpp) + abs(dqq)) / PUMP_SCALE)
        c0 = max(c0 + dc0, 0.0)
        c1 = max(c1 + dc1, 0.0)
        c2 = max(c2 + dc2, 0.0)
        c3 = max(c3 + dc3, 0.0)
        cb0 = max(cb0 + dcb0, 0.0)
        cb1 = max(cb1 + dcb1, 0.0)
        cb2 = max(cb2 + dcb2, 0.0)
        cb3 = max(cb3 + dcb3, 0.0)
        b0 = max(b0 + db0, 0.0)
        b1 = max(b1 + db1, 0.0)
        b2 = max(b2 + db2, 0.0)
        b3 = max(b3 + db3, 0.0)
        p = max(p + dpp, 0.0)
        q = max(q + dqq, 0.0)
        if it == MAX_NEWTON:
            break  # NEURON returns here without the final evaluation
        if err <= NEWTON_TOL:
            converged = True
            break
    if converged:  # the final evaluation at the accepted state
        ipmp_eval = 2.0 * FARADAY_1E4 * (k3 * q - k4 * cao * p)
        c0_eval = c0
    return (c0, c1, c2, c3, cb0, cb1, cb2, cb3, b0, b1, b2, b3,
            p / PUMP_SCALE, q / PUMP_SCALE, ipmp_eval, c0_eval, it)


@njit(cache=True)
def initial_state(ci, k1buf, k2buf, totalbuffer, k1, k2, totalpump):
    """Initial (c, CaBuffer, Buffer, pump, pumpca): every shell at the ion value ci [mM].

    Buffer at its binding equilibrium B = Btot/(1 + ci kon/koff); pump at the
    equilibrium of its binding step only, P = Ptot/(1 + ci k1/k2).
    """
    b = totalbuffer / (1.0 + k1buf / k2buf * ci)
    pump = totalpump / (1.0 + ci * k1 / k2)
    return ci, totalbuffer - b, b, pump, totalpump - pump


@njit(cache=True)
def pump_current(pump, pumpca, cao, k3, k4):
    """ica_pmp = 2 F' (k3 q - k4 cao p) [mA/cm2], outward positive (P, PC in mol/cm2)."""
    return 2.0 * FARADAY_1E4 * PUMP_SCALE * (k3 * pumpca - k4 * cao * pump)


_STATES: dict[str, Param] = {}
for _i in range(NANNULI):
    _STATES[f"ca{_i}"] = Param(1e-3, "mM", (0.0, math.inf), f"free Ca in annulus {_i} (0 outer)")
for _i in range(NANNULI):
    _STATES[f"CaBuffer{_i}"] = Param(0.0, "mM", (0.0, math.inf), f"Ca-bound buffer, annulus {_i}")
for _i in range(NANNULI):
    _STATES[f"Buffer{_i}"] = Param(0.0, "mM", (0.0, math.inf), f"free buffer, annulus {_i}")
_STATES["pump"] = Param(0.0, "mol/cm2", (0.0, math.inf), "free pump")
_STATES["pumpca"] = Param(0.0, "mol/cm2", (0.0, math.inf), "Ca-bound pump")
_STATES["ipump"] = Param(
    0.0, "mA/cm2", doc="pump current of the last KINETIC step (0 before the first)"
)

_PARAMS = {
    "diam": Param(1.0, "um", (0.0, math.inf), "segment diameter (from the morphology)"),
    "DCa": Param(0.6, "um2/ms", (0.0, math.inf), "Ca diffusion coefficient"),
    "k1buf": Param(100.0, "/mM-ms", (0.0, math.inf), "buffer binding rate"),
    "k2buf": Param(0.1, "/ms", (0.0, math.inf), "buffer unbinding rate"),
    "TotalBuffer": Param(0.003, "mM", (0.0, math.inf), "buffer per annulus"),
    "k1": Param(1.0, "/mM-ms", (0.0, math.inf), "pump Ca binding"),
    "k2": Param(0.005, "/ms", (0.0, math.inf), "pump Ca unbinding"),
    "k3": Param(1.0, "/ms", (0.0, math.inf), "pump extrusion"),
    "k4": Param(0.005, "/mM-ms", (0.0, math.inf), "pump reverse (outside Ca binding)"),
    "TotalPump": Param(1e-11, "mol/cm2", (0.0, math.inf), "pump density; 0 removes the pump"),
}


@njit(cache=True, inline="always")
def _init(ci, k1buf, k2buf, totalbuffer, k1, k2, totalpump):
    c, cb, b, p, pc = initial_state(ci, k1buf, k2buf, totalbuffer, k1, k2, totalpump)
    return (c, c, c, c, cb, cb, cb, cb, b, b, b, b, p, pc, 0.0, c)


@njit(cache=True, inline="always")
def _advance(ca0, ca1, ca2, ca3, CaBuffer0, CaBuffer1, CaBuffer2, CaBuffer3, Buffer0, Buffer1,
             Buffer2, Buffer3, pump, pumpca, ica, cao, diam, DCa, k1buf, k2buf, k1, k2, k3, k4,
             TotalPump, dt):
    r = kinetic_step(ca0, ca1, ca2, ca3, CaBuffer0, CaBuffer1, CaBuffer2, CaBuffer3, Buffer0,
                     Buffer1, Buffer2, Buffer3, pump, pumpca, ica, cao, diam, DCa, k1buf, k2buf,
                     k1, k2, k3, k4, TotalPump, dt)
    return (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
            r[13], r[14], r[15])


# ----------------------------------------------------------------------------- kernels, pool ca
@njit(cache=True)
def _catrack_init(t, v, ica, cai, cao, diam, DCa, k1buf, k2buf, TotalBuffer, k1, k2, k3, k4,
                  TotalPump, aux, celsius):
    return _init(cai, k1buf, k2buf, TotalBuffer, k1, k2, TotalPump)


@njit(cache=True)
def _catrack_current(t, v, ca0, ca1, ca2, ca3, CaBuffer0, CaBuffer1, CaBuffer2, CaBuffer3,
                     Buffer0, Buffer1, Buffer2, Buffer3, pump, pumpca, ipump, ica, cai, cao,
                     diam, DCa, k1buf, k2buf, TotalBuffer, k1, k2, k3, k4, TotalPump, aux,
                     celsius):
    return (ipump,)


@njit(cache=True)
def _catrack_advance(t, v, ca0, ca1, ca2, ca3, CaBuffer0, CaBuffer1, CaBuffer2, CaBuffer3,
                     Buffer0, Buffer1, Buffer2, Buffer3, pump, pumpca, ipump, ica, cai, cao,
                     diam, DCa, k1buf, k2buf, TotalBuffer, k1, k2, k3, k4, TotalPump, aux,
                     celsius, dt):
    return _advance(ca0, ca1, ca2, ca3, CaBuffer0, CaBuffer1, CaBuffer2, CaBuffer3, Buffer0,
                    Buffer1, Buffer2, Buffer3, pump, pumpca, ica, cao, diam, DCa, k1buf, k2buf,
                    k1, k2, k3, k4, TotalPump, dt)


# ----------------------------------------------------------------------------- kernels, pool cal
@njit(cache=True)
def _caltrack_init(t, v, ical, cali, calo, diam, DCa, k1buf, k2buf, TotalBuffer, k1, k2, k3, k4,
                   TotalPump, aux, celsius):
    return _init(cali, k1buf, k2buf, TotalBuffer, k1, k2, TotalPump)


@njit(cache=True)
def _caltrack_current(t, v, ca0, ca1, ca2, ca3, CaBuffer0, CaBuffer1, CaBuffer2, CaBuffer3,
                      Buffer0, Buffer1, Buffer2, Buffer3, pump, pumpca, ipump, ical, cali, calo,
                      diam, DCa, k1buf, k2buf, TotalBuffer, k1, k2, k3, k4, TotalPump, aux,
                      celsius):
    return (ipump,)


@njit(cache=True)
def _caltrack_advance(t, v, ca0, ca1, ca2, ca3, CaBuffer0, CaBuffer1, CaBuffer2, CaBuffer3,
                      Buffer0, Buffer1, Buffer2, Buffer3, pump, pumpca, ipump, ical, cali, calo,
                      diam, DCa, k1buf, k2buf, TotalBuffer, k1, k2, k3, k4, TotalPump, aux,
                      celsius, dt):
    return _advance(ca0, ca1, ca2, ca3, CaBuffer0, CaBuffer1, CaBuffer2, CaBuffer3, Buffer0,
                    Buffer1, Buffer2, Buffer3, pump, pumpca, ical, calo, diam, DCa, k1buf, k2buf,
                    k1, k2, k3, k4, TotalPump, dt)


_DIFFUSION = {f"ca{i}": "DCa" for i in range(NANNULI)}


@register
class CaTrack(DensityMechanism):
    """Spine Ca of pool ``ca``: 4 annuli, buffer, pump (current ``ica_pmp``), diffusion."""

    name = "catrack"
    params = _PARAMS
    states = _STATES
    currents: ClassVar[Mapping[str, str | None]] = {"ica_pmp": "ca"}
    reads = ("ica", "cai", "cao")
    writes = ("cai",)
    geometry = ("diam",)
    diffusion = _DIFFUSION
    priority = -10
    init = staticmethod(_catrack_init)
    current = staticmethod(_catrack_current)
    advance = staticmethod(_catrack_advance)


@register
class CalTrack(DensityMechanism):
    """Spine Ca of pool ``cal``: 4 annuli, buffer, pump (current ``ica_pmp``), diffusion."""

    name = "caltrack"
    params = _PARAMS
    states = _STATES
    currents: ClassVar[Mapping[str, str | None]] = {"ica_pmp": "cal"}
    reads = ("ical", "cali", "calo")
    writes = ("cali",)
    geometry = ("diam",)
    diffusion = _DIFFUSION
    priority = -10
    init = staticmethod(_caltrack_init)
    current = staticmethod(_caltrack_current)
    advance = staticmethod(_caltrack_advance)
