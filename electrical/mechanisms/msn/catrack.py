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
system in the shell concentrations (O(1) work per segment, no branch).
The engine calls :func:`radial_block` once per step for all segments
(``advance_block``): the iterations run as vectorised loops over the
segments, each segment still getting exactly its own iterations.

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
    "BLOCK_WORK",
    "initial_state",
    "kinetic_step",
    "radial_block",
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
_FR1, _FR2, _FR3 = (float(x) for x in FRAT[1:])


#: Error model of the radial kernels: numpy's (x/0 gives inf, no exception), which lets
#: LLVM vectorise the divisions of the block kernel; no division here can be by 0 for
#: valid parameters (every divisor contains 1/dt > 0).
_EM = "numpy"
#: 2 F' [(1e4 C)/mol]: ica_pmp = 2 F' (k3 q - k4 cao p).
_TWO_F = 2.0 * FARADAY_1E4


@njit(cache=True, inline="always", error_model=_EM)
def _shell(c, b, cb, bo, cbo, kon, koff, idt, vol):
    """Eliminate (dB, dCaB) of one shell from its Newton system.

    The B and CaB rows sum to dB + dCaB = s = (B_old + CaB_old) - (B + CaB)
    (the buffer total is conserved by the step), which leaves one unknown:
    dCaB = alpha + gam dc.  Returns (vol * diagonal term, vol * right-hand
    side term) of the shell's dc row, alpha, gam, s and the binding rate
    r = kon c B - koff CaB [mM/ms].
    """
    r = kon * c * b - koff * cb
    s = (bo + cbo) - (b + cb)
    gcb = (cb - cbo) * idt - r
    konc = kon * c
    rden = 1.0 / (idt + koff + konc)
    alpha = (konc * s - gcb) * rden
    gam = kon * b * rden
    dg = vol * (kon * b - (konc + koff) * gam)
    rh = vol * ((konc + koff) * alpha - konc * s)
    return dg, rh, alpha, gam, s, r


@njit(cache=True, inline="always", error_model=_EM)
def _newton(x, xo, par):
    """One Newton iteration of the backward-Euler step of one segment and pool.

    ``x`` = (c0..c3, cb0..cb3, b0..b3, p, q) is the iterate, ``xo`` = (c0..c3,
    cb0..cb3, b0..b3, p) the state at t_n, ``par`` = (ica, cao, diam, dca, kon,
    koff, k1, k2, k3, k4, ptot, idt) with p, q, ptot in mM um (PUMP_SCALE).
    Returns the next iterate (negative values set to 0) and the sum of the
    absolute increments (mM, and mol/cm2 for the pump), NEURON's error.

    The buffer and pump unknowns are eliminated exactly, leaving a symmetric
    tridiagonal system in the four dc (rows scaled by the shell volumes),
    solved by the Thomas algorithm with one division per pivot: 9 divisions
    and no branch, so that a loop over segments vectorises.
    """
    (c0, c1, c2, c3, cb0, cb1, cb2, cb3, b0, b1, b2, b3, p, q) = x
    (co0, co1, co2, co3, cbo0, cbo1, cbo2, cbo3, bo0, bo1, bo2, bo3, po) = xo
    (ica, cao, diam, dca, kon, koff, k1, k2, k3, k4, ptot, idt) = par
    dd = diam * diam
    v0 = dd * _V0
    v1 = dd * _V1
    v2 = dd * _V2
    v3 = dd * _V3
    g0 = dca * _FR1
    g1 = dca * _FR2
    g2 = dca * _FR3
    pd = math.pi * diam  # pump and entry act on the membrane: pi d per um of length
    e0, h0, al0, ga0, s0, r0 = _shell(c0, b0, cb0, bo0, cbo0, kon, koff, idt, v0)
    e1, h1, al1, ga1, s1, r1 = _shell(c1, b1, cb1, bo1, cbo1, kon, koff, idt, v1)
    e2, h2, al2, ga2, s2, r2 = _shell(c2, b2, cb2, bo2, cbo2, kon, koff, idt, v2)
    e3, h3, al3, ga3, s3, r3 = _shell(c3, b3, cb3, bo3, cbo3, kon, koff, idt, v3)
    # radial fluxes [mM um3/ms per um]
    f01 = g0 * (c0 - c1)
    f12 = g1 * (c1 - c2)
    f23 = g2 * (c2 - c3)
    # pump fluxes [mM um/ms]; the entry term is on the right-hand side only
    j1 = k1 * c0 * p - k2 * q
    j2 = k3 * q - k4 * cao * p
    # -V_i G_i, G = (x - x_old)/dt - f(x) the residuals of the c rows
    y0 = h0 - ((c0 - co0) * idt * v0 - (-f01 - v0 * r0 - pd * j1 + pd * (j2 - ica / _TWO_F)))
    y1 = h1 - ((c1 - co1) * idt * v1 - (f01 - f12 - v1 * r1))
    y2 = h2 - ((c2 - co2) * idt * v2 - (f12 - f23 - v2 * r2))
    y3 = h3 - ((c3 - co3) * idt * v3 - (f23 - v3 * r3))
    # pump: P + PC = ptot replaces the PC row; dp = ap + bp dc0, dq = rr - dp
    gp = (p - po) * idt - (j2 - j1)
    rr = ptot - p - q
    rdp = 1.0 / (idt + k1 * c0 + k4 * cao + k2 + k3)
    ap = ((k2 + k3) * rr - gp) * rdp
    bp = -k1 * p * rdp
    a0 = v0 * idt + g0 + e0 + pd * (k1 * p + (k1 * c0 + k2) * bp)
    y0 = y0 - pd * ((k1 * c0 + k2) * ap - k2 * rr)
    a1 = v1 * idt + g0 + g1 + e1
    a2 = v2 * idt + g1 + g2 + e2
    a3 = v3 * idt + g2 + e3
    # Thomas algorithm, off-diagonals -g0, -g1, -g2
    ra0 = 1.0 / a0
    t0 = g0 * ra0
    a1 = a1 - g0 * t0
    y1 = y1 + t0 * y0
    ra1 = 1.0 / a1
    t1 = g1 * ra1
    a2 = a2 - g1 * t1
    y2 = y2 + t1 * y1
    ra2 = 1.0 / a2
    t2 = g2 * ra2
    a3 = a3 - g2 * t2
    y3 = y3 + t2 * y2
    dc3 = y3 / a3
    dc2 = (y2 + g2 * dc3) * ra2
    dc1 = (y1 + g1 * dc2) * ra1
    dc0 = (y0 + g0 * dc1) * ra0
    dp = ap + bp * dc0
    dq = rr - dp
    dcb0 = al0 + ga0 * dc0
    dcb1 = al1 + ga1 * dc1
    dcb2 = al2 + ga2 * dc2
    dcb3 = al3 + ga3 * dc3
    db0 = s0 - dcb0
    db1 = s1 - dcb1
    db2 = s2 - dcb2
    db3 = s3 - dcb3
    err = (abs(dc0) + abs(dc1) + abs(dc2) + abs(dc3)
           + abs(dcb0) + abs(dcb1) + abs(dcb2) + abs(dcb3)
           + abs(db0) + abs(db1) + abs(db2) + abs(db3)
           + (abs(dp) + abs(dq)) / PUMP_SCALE)
    return (max(c0 + dc0, 0.0), max(c1 + dc1, 0.0), max(c2 + dc2, 0.0), max(c3 + dc3, 0.0),
            max(cb0 + dcb0, 0.0), max(cb1 + dcb1, 0.0), max(cb2 + dcb2, 0.0),
            max(cb3 + dcb3, 0.0), max(b0 + db0, 0.0), max(b1 + db1, 0.0), max(b2 + db2, 0.0),
            max(b3 + db3, 0.0), max(p + dp, 0.0), max(q + dq, 0.0), err)


@njit(cache=True, inline="always", error_model=_EM)
def _pump_current(p, q, cao, k3, k4):
    """ica_pmp [mA/cm2] of the scaled pump states p, q [mM um]."""
    return _TWO_F * (k3 * q - k4 * cao * p)


@njit(cache=True, inline="always", error_model=_EM)
def _iterate(x, xo, par, it):
    """Newton iterations after ``it`` done ones, NEURON ``sparse``'s loop and exits.

    Returns (iterate, ipmp, cai, iterations, converged): see :func:`kinetic_step`.
    """
    cao, k3, k4 = par[1], par[8], par[9]
    ipmp = 0.0
    c0 = x[0]
    converged = False
    while it < MAX_NEWTON:
        it += 1
        # what NEURON's block assigns when it is evaluated at this iterate
        ipmp = _pump_current(x[12], x[13], cao, k3, k4)
        c0 = x[0]
        r = _newton(x, xo, par)
        x = (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
             r[13])
        if it == MAX_NEWTON:
            break  # NEURON returns here without the final evaluation
        if r[14] <= NEWTON_TOL:
            converged = True
            break
    if converged:  # the final evaluation at the accepted state
        ipmp = _pump_current(x[12], x[13], cao, k3, k4)
        c0 = x[0]
    return x, ipmp, c0, it, converged


@njit(cache=True, error_model=_EM)
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
    p = pump * PUMP_SCALE
    q = pumpca * PUMP_SCALE
    x, ipmp, cai, it, _ = _iterate(
        (c0, c1, c2, c3, cb0, cb1, cb2, cb3, b0, b1, b2, b3, p, q),
        (c0, c1, c2, c3, cb0, cb1, cb2, cb3, b0, b1, b2, b3, p),
        (ica, cao, diam, dca, kon, koff, k1, k2, k3, k4, totalpump * PUMP_SCALE, 1.0 / dt),
        0,
    )
    return (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11],
            x[12] / PUMP_SCALE, x[13] / PUMP_SCALE, ipmp, cai, it)


# Rows of the block kernel's work array (one row per instance): the iterate x (0..13,
# pump rows scaled), the error of the last iteration (inactive when <= NEWTON_TOL),
# the gathered pool current and outside concentration, and the values assigned by
# instances that ended without converging (flag, ipmp, cai).
_W_ERR, _W_ICA, _W_CAO, _W_FLAG, _W_IPMP, _W_CAI = 14, 15, 16, 17, 18, 19
#: Rows of the work array of :func:`radial_block`.
BLOCK_WORK = 20
#: Vectorised passes over every instance are made for the Newton iterations 2, 3, ...
#: while at least this fraction of the instances still iterates (a masked pass costs
#: about a third of a scalar iteration per instance); the others finish one by one.
_VECTOR_PASS_FRACTION = 1.0 / 3.0
#: Vectorised passes are made for at most this many iterations; the remaining ones
#: (and NEURON's non-convergence exit at MAX_NEWTON) are done instance by instance.
_VECTOR_PASSES = 8


@njit(cache=True, error_model=_EM)
def radial_block(nodes, c0, c1, c2, c3, cb0, cb1, cb2, cb3, b0, b1, b2, b3, pump, pumpca, ipump,
                 ica, ci, co, diam, dca, kon, koff, k1, k2, k3, k4, totalpump, dt, work):
    """:func:`kinetic_step` for every instance of a block, in place; same numbers.

    Arrays per instance j (states, parameters) or per node (``ica``, ``ci``,
    ``co``, indexed by ``nodes[j]``); ``ci`` receives cai.  ``work`` holds
    :data:`BLOCK_WORK` rows of ``nodes.size`` values.  Every instance gets
    exactly its own iterations: the first for all instances in one
    vectorised loop, further ones in masked vectorised loops while many
    instances still iterate, the rest instance by instance; each iteration
    is the same arithmetic (:func:`_newton`), so the results equal
    :func:`kinetic_step`'s bit for bit.
    """
    m = nodes.size
    w = work[: BLOCK_WORK * m].reshape((BLOCK_WORK, m))
    x0, x1, x2, x3, x4, x5, x6 = w[0], w[1], w[2], w[3], w[4], w[5], w[6]
    x7, x8, x9, x10, x11, x12, x13 = w[7], w[8], w[9], w[10], w[11], w[12], w[13]
    err, wica, wcao = w[_W_ERR], w[_W_ICA], w[_W_CAO]
    flag, wipmp, wcai = w[_W_FLAG], w[_W_IPMP], w[_W_CAI]
    idt = 1.0 / dt
    for j in range(m):  # gathers stay out of the vectorised loops
        i = nodes[j]
        wica[j] = ica[i]
        wcao[j] = co[i]
    active = 0  # instances still iterating
    for j in range(m):  # iteration 1, from the old state
        p = pump[j] * PUMP_SCALE
        r = _newton(
            (c0[j], c1[j], c2[j], c3[j], cb0[j], cb1[j], cb2[j], cb3[j], b0[j], b1[j], b2[j],
             b3[j], p, pumpca[j] * PUMP_SCALE),
            (c0[j], c1[j], c2[j], c3[j], cb0[j], cb1[j], cb2[j], cb3[j], b0[j], b1[j], b2[j],
             b3[j], p),
            (wica[j], wcao[j], diam[j], dca[j], kon[j], koff[j], k1[j], k2[j], k3[j], k4[j],
             totalpump[j] * PUMP_SCALE, idt),
        )
        x0[j] = r[0]
        x1[j] = r[1]
        x2[j] = r[2]
        x3[j] = r[3]
        x4[j] = r[4]
        x5[j] = r[5]
        x6[j] = r[6]
        x7[j] = r[7]
        x8[j] = r[8]
        x9[j] = r[9]
        x10[j] = r[10]
        x11[j] = r[11]
        x12[j] = r[12]
        x13[j] = r[13]
        err[j] = r[14]
        flag[j] = 0.0
        active += not (r[14] <= NEWTON_TOL)
    it = 1
    while active > 0 and it < min(_VECTOR_PASSES, MAX_NEWTON - 1):
        if it > 1:
            active = 0
            for j in range(m):
                active += not (err[j] <= NEWTON_TOL)
        if active == 0 or active < _VECTOR_PASS_FRACTION * m:
            break
        it += 1
        for j in range(m):  # iteration `it` where still iterating, else unchanged
            go = not (err[j] <= NEWTON_TOL)
            r = _newton(
                (x0[j], x1[j], x2[j], x3[j], x4[j], x5[j], x6[j], x7[j], x8[j], x9[j], x10[j],
                 x11[j], x12[j], x13[j]),
                (c0[j], c1[j], c2[j], c3[j], cb0[j], cb1[j], cb2[j], cb3[j], b0[j], b1[j],
                 b2[j], b3[j], pump[j] * PUMP_SCALE),
                (wica[j], wcao[j], diam[j], dca[j], kon[j], koff[j], k1[j], k2[j], k3[j],
                 k4[j], totalpump[j] * PUMP_SCALE, idt),
            )
            x0[j] = r[0] if go else x0[j]
            x1[j] = r[1] if go else x1[j]
            x2[j] = r[2] if go else x2[j]
            x3[j] = r[3] if go else x3[j]
            x4[j] = r[4] if go else x4[j]
            x5[j] = r[5] if go else x5[j]
            x6[j] = r[6] if go else x6[j]
            x7[j] = r[7] if go else x7[j]
            x8[j] = r[8] if go else x8[j]
            x9[j] = r[9] if go else x9[j]
            x10[j] = r[10] if go else x10[j]
            x11[j] = r[11] if go else x11[j]
            x12[j] = r[12] if go else x12[j]
            x13[j] = r[13] if go else x13[j]
            err[j] = r[14] if go else 0.0
    for j in range(m if active > 0 else 0):  # the few still iterating: one by one
        if err[j] <= NEWTON_TOL:
            continue
        x, ipmp, cai, _, converged = _iterate(
            (x0[j], x1[j], x2[j], x3[j], x4[j], x5[j], x6[j], x7[j], x8[j], x9[j], x10[j],
             x11[j], x12[j], x13[j]),
            (c0[j], c1[j], c2[j], c3[j], cb0[j], cb1[j], cb2[j], cb3[j], b0[j], b1[j], b2[j],
             b3[j], pump[j] * PUMP_SCALE),
            (wica[j], wcao[j], diam[j], dca[j], kon[j], koff[j], k1[j], k2[j], k3[j], k4[j],
             totalpump[j] * PUMP_SCALE, idt),
            it,
        )
        x0[j], x1[j], x2[j], x3[j], x4[j], x5[j], x6[j] = x[0], x[1], x[2], x[3], x[4], x[5], x[6]
        x7[j], x8[j], x9[j], x10[j], x11[j], x12[j] = x[7], x[8], x[9], x[10], x[11], x[12]
        x13[j] = x[13]
        if not converged:
            flag[j] = 1.0
            wipmp[j] = ipmp
            wcai[j] = cai
    for j in range(m):  # accept; the block's final evaluation
        ip = _pump_current(x12[j], x13[j], wcao[j], k3[j], k4[j])
        nc = flag[j] != 0.0
        ipump[j] = wipmp[j] if nc else ip
        wcai[j] = wcai[j] if nc else x0[j]
        c0[j] = x0[j]
        c1[j] = x1[j]
        c2[j] = x2[j]
        c3[j] = x3[j]
        cb0[j] = x4[j]
        cb1[j] = x5[j]
        cb2[j] = x6[j]
        cb3[j] = x7[j]
        b0[j] = x8[j]
        b1[j] = x9[j]
        b2[j] = x10[j]
        b3[j] = x11[j]
        pump[j] = x12[j] / PUMP_SCALE
        pumpca[j] = x13[j] / PUMP_SCALE
    for j in range(m):
        ci[nodes[j]] = wcai[j]


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


@njit(cache=True)
def _catrack_advance_block(nodes, t, v, ca0, ca1, ca2, ca3, CaBuffer0, CaBuffer1, CaBuffer2,
                           CaBuffer3, Buffer0, Buffer1, Buffer2, Buffer3, pump, pumpca, ipump,
                           ica, cai, cao, diam, DCa, k1buf, k2buf, TotalBuffer, k1, k2, k3, k4,
                           TotalPump, aux, celsius, dt, work):
    radial_block(nodes, ca0, ca1, ca2, ca3, CaBuffer0, CaBuffer1, CaBuffer2, CaBuffer3, Buffer0,
                 Buffer1, Buffer2, Buffer3, pump, pumpca, ipump, ica, cai, cao, diam, DCa, k1buf,
                 k2buf, k1, k2, k3, k4, TotalPump, dt, work)


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


@njit(cache=True)
def _caltrack_advance_block(nodes, t, v, ca0, ca1, ca2, ca3, CaBuffer0, CaBuffer1, CaBuffer2,
                            CaBuffer3, Buffer0, Buffer1, Buffer2, Buffer3, pump, pumpca, ipump,
                            ical, cali, calo, diam, DCa, k1buf, k2buf, TotalBuffer, k1, k2, k3,
                            k4, TotalPump, aux, celsius, dt, work):
    radial_block(nodes, ca0, ca1, ca2, ca3, CaBuffer0, CaBuffer1, CaBuffer2, CaBuffer3, Buffer0,
                 Buffer1, Buffer2, Buffer3, pump, pumpca, ipump, ical, cali, calo, diam, DCa,
                 k1buf, k2buf, k1, k2, k3, k4, TotalPump, dt, work)


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
    advance_block = staticmethod(_catrack_advance_block)
    block_work = BLOCK_WORK
    current_depends_on_v = False  # the pump current of the last step


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
    advance_block = staticmethod(_caltrack_advance_block)
    block_work = BLOCK_WORK
    current_depends_on_v = False  # the pump current of the last step
