"""Compiled integration of a population of Hill-Tononi neurons (NEST's scheme).

Inside each resolution step h every neuron is integrated with GSL's embedded
Runge-Kutta-Fehlberg 4(5) (``rkf45``) driven as ``gsl_odeiv_evolve_apply`` drives it,
with the "y" error control (absolute 1e-3, relative 0): error ratio
r = max_i |yerr_i| / 1e-3; r > 1.1 -> reject and retry with h * max(0.9 r^(-1/5), 0.2);
r < 0.5 -> accept and grow h by min(max(0.9 r^(-1/6), 1), 5); the step is clipped to
the end of the resolution step, and the proposed step size carries over to the next
resolution step (one per neuron).  After every accepted sub-step: voltage clamp, NMDA
block (m_fast, m_slow <= m_eq(V)), threshold test (spike -> V = theta = E_Na, refractory
counter round(t_ref/h) + 1).  At the end of the step: refractory counter - 1, spikes
arriving in the step are added to dg (weight x jump), the stimulus current for the next
step is read, and the recorder samples.  SEEDS.md 0.8.

The loop runs over neurons (outer) and steps (inner): the neurons of a population are
independent, so each one's state stays in registers/L1 for the whole chunk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .models import PARAM_NAMES

_I = {name: i for i, name in enumerate(PARAM_NAMES)}
E_NA = _I["E_Na"]
E_K = _I["E_K"]
G_NAL = _I["g_NaL"]
G_KL = _I["g_KL"]
TAU_M = _I["tau_m"]
THETA_EQ = _I["theta_eq"]
TAU_THETA = _I["tau_theta"]
TAU_SPIKE = _I["tau_spike"]
TR_AMPA = _I["tau_rise_AMPA"]
TD_AMPA = _I["tau_decay_AMPA"]
E_AMPA = _I["E_rev_AMPA"]
TR_NMDA = _I["tau_rise_NMDA"]
TD_NMDA = _I["tau_decay_NMDA"]
E_NMDA = _I["E_rev_NMDA"]
V_ACT = _I["V_act_NMDA"]
S_ACT = _I["S_act_NMDA"]
TAU_MG_SLOW = _I["tau_Mg_slow_NMDA"]
TAU_MG_FAST = _I["tau_Mg_fast_NMDA"]
TR_GABA_A = _I["tau_rise_GABA_A"]
TD_GABA_A = _I["tau_decay_GABA_A"]
E_GABA_A = _I["E_rev_GABA_A"]
TR_GABA_B = _I["tau_rise_GABA_B"]
TD_GABA_B = _I["tau_decay_GABA_B"]
E_GABA_B = _I["E_rev_GABA_B"]
G_NAP = _I["g_peak_NaP"]
E_NAP = _I["E_rev_NaP"]
N_NAP = _I["N_NaP"]
G_KNA = _I["g_peak_KNa"]
E_KNA = _I["E_rev_KNa"]
TAU_D = _I["tau_D_KNa"]
G_T = _I["g_peak_T"]
E_T = _I["E_rev_T"]
N_T = _I["N_T"]
G_H = _I["g_peak_h"]
E_H = _I["E_rev_h"]

NSTATE = 16
EPS_ABS = 1e-3  # NEST: gsl_odeiv_control_y_new(1e-3, 0.0)

# GSL rkf45 coefficients (Fehlberg 1969; fifth-order solution propagated)
AH0, AH1, AH2, AH3, AH4 = 1.0 / 4.0, 3.0 / 8.0, 12.0 / 13.0, 1.0, 1.0 / 2.0
B30, B31 = 3.0 / 32.0, 9.0 / 32.0
B40, B41, B42 = 1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0
B50, B51, B52, B53 = 8341.0 / 4104.0, -32832.0 / 4104.0, 29440.0 / 4104.0, -845.0 / 4104.0
B60, B61, B62, B63, B64 = (
    -6080.0 / 20520.0,
    41040.0 / 20520.0,
    -28352.0 / 20520.0,
    9295.0 / 20520.0,
    -5643.0 / 20520.0,
)
C1 = 902880.0 / 7618050.0
C3 = 3953664.0 / 7618050.0
C4 = 3855735.0 / 7618050.0
C5 = -1371249.0 / 7618050.0
C6 = 277020.0 / 7618050.0
EC1 = 1.0 / 360.0
EC3 = -128.0 / 4275.0
EC4 = -2197.0 / 75240.0
EC5 = 1.0 / 50.0
EC6 = 2.0 / 55.0

# recorder columns (order of models.RECORDABLES)
REC_V, REC_THETA, REC_GAMPA, REC_GNMDA, REC_GGABAA, REC_GGABAB = 0, 1, 2, 3, 4, 5
REC_INAP, REC_IKNA, REC_IT, REC_IH = 6, 7, 8, 9


@njit(cache=True, inline="always", error_model="numpy")
def _m_eq_nmda(p, v):
    return 1.0 / (1.0 + math.exp(-p[S_ACT] * (v - p[V_ACT])))


@njit(cache=True, inline="always", error_model="numpy")
def _m_nmda(p, v, m_eq, m_fast, m_slow, instant):
    if instant:
        return m_eq
    a = 0.51 - 0.0028 * v
    return a * m_fast + (1.0 - a) * m_slow


@njit(cache=True, error_model="numpy")
def rhs(y, f, p, refractory, i_stim, clamp, v_clamp, instant, cur):
    """dy/dt of one neuron into ``f``; the four intrinsic currents into ``cur`` [mV]."""
    v = v_clamp if clamp else y[0]
    m_eq = _m_eq_nmda(p, v)
    m_fast = min(m_eq, y[10])
    m_slow = min(m_eq, y[11])
    m_nmda = _m_nmda(p, v, m_eq, m_fast, m_slow, instant)
    i_syn = (
        -y[3] * (v - p[E_AMPA])
        - y[5] * m_nmda * (v - p[E_NMDA])
        - y[7] * (v - p[E_GABA_A])
        - y[9] * (v - p[E_GABA_B])
    )
    i_spike = -(v - p[E_K]) / p[TAU_SPIKE] if refractory else 0.0
    i_na = -p[G_NAL] * (v - p[E_NA])
    i_k = -p[G_KL] * (v - p[E_K])
    m_inf_nap = 1.0 / (1.0 + math.exp(-(v - (-55.7)) / 7.7))
    i_nap = -p[G_NAP] * math.pow(m_inf_nap, p[N_NAP]) * (v - p[E_NAP])
    m_inf_kna = 1.0 / (1.0 + math.pow(0.25 / y[13], 3.5))
    i_kna = -p[G_KNA] * m_inf_kna * (v - p[E_KNA])
    i_t = -p[G_T] * math.pow(y[14], p[N_T]) * y[15] * (v - p[E_T])
    i_h = -p[G_H] * y[12] * (v - p[E_H])
    cur[0] = i_nap
    cur[1] = i_kna
    cur[2] = i_t
    cur[3] = i_h
    f[0] = (i_na + i_k + i_syn + i_nap + i_kna + i_t + i_h + i_stim) / p[TAU_M] + i_spike
    f[1] = -(y[1] - p[THETA_EQ]) / p[TAU_THETA]
    f[2] = -y[2] / p[TR_AMPA]
    f[3] = y[2] - y[3] / p[TD_AMPA]
    f[4] = -y[4] / p[TR_NMDA]
    f[5] = y[4] - y[5] / p[TD_NMDA]
    f[10] = (m_eq - m_fast) / p[TAU_MG_FAST]
    f[11] = (m_eq - m_slow) / p[TAU_MG_SLOW]
    f[6] = -y[6] / p[TR_GABA_A]
    f[7] = y[6] - y[7] / p[TD_GABA_A]
    f[8] = -y[8] / p[TR_GABA_B]
    f[9] = y[8] - y[9] / p[TD_GABA_B]
    d_eq = p[TAU_D] * (0.025 / (1.0 + math.exp(-(v - (-10.0)) / 5.0))) + 0.001
    f[13] = (d_eq - y[13]) / p[TAU_D]
    tau_m_t = 0.22 / (math.exp(-(v + 132.0) / 16.7) + math.exp((v + 16.8) / 18.2)) + 0.13
    tau_h_t = 8.2 + (56.6 + 0.27 * math.exp((v + 115.2) / 5.0)) / (1.0 + math.exp((v + 86.0) / 3.2))
    m_eq_t = 1.0 / (1.0 + math.exp(-(v + 59.0) / 6.2))
    h_eq_t = 1.0 / (1.0 + math.exp((v + 83.0) / 4.0))
    f[14] = (m_eq_t - y[14]) / tau_m_t
    f[15] = (h_eq_t - y[15]) / tau_h_t
    tau_m_h = 1.0 / (math.exp(-14.59 - 0.086 * v) + math.exp(-1.87 + 0.0701 * v))
    m_eq_h = 1.0 / (1.0 + math.exp((v + 75.0) / 5.5))
    f[12] = (m_eq_h - y[12]) / tau_m_h


@njit(cache=True, error_model="numpy")
def _rkf45_step(y, h, w, p, refractory, i_stim, clamp, v_clamp, instant, cur):
    """One GSL rkf45 step of size h from y (k1 = w[0]); y updated, yerr in w[7]."""
    k1 = w[0]
    k2 = w[1]
    k3 = w[2]
    k4 = w[3]
    k5 = w[4]
    k6 = w[5]
    ytmp = w[6]
    yerr = w[7]
    dydt_out = w[8]
    for i in range(NSTATE):
        ytmp[i] = y[i] + AH0 * h * k1[i]
    rhs(ytmp, k2, p, refractory, i_stim, clamp, v_clamp, instant, cur)
    for i in range(NSTATE):
        ytmp[i] = y[i] + h * (B30 * k1[i] + B31 * k2[i])
    rhs(ytmp, k3, p, refractory, i_stim, clamp, v_clamp, instant, cur)
    for i in range(NSTATE):
        ytmp[i] = y[i] + h * (B40 * k1[i] + B41 * k2[i] + B42 * k3[i])
    rhs(ytmp, k4, p, refractory, i_stim, clamp, v_clamp, instant, cur)
    for i in range(NSTATE):
        ytmp[i] = y[i] + h * (B50 * k1[i] + B51 * k2[i] + B52 * k3[i] + B53 * k4[i])
    rhs(ytmp, k5, p, refractory, i_stim, clamp, v_clamp, instant, cur)
    for i in range(NSTATE):
        ytmp[i] = y[i] + h * (B60 * k1[i] + B61 * k2[i] + B62 * k3[i] + B63 * k4[i] + B64 * k5[i])
    rhs(ytmp, k6, p, refractory, i_stim, clamp, v_clamp, instant, cur)
    for i in range(NSTATE):
        d_i = C1 * k1[i] + C3 * k3[i] + C4 * k4[i] + C5 * k5[i] + C6 * k6[i]
        y[i] += h * d_i
    rhs(y, dydt_out, p, refractory, i_stim, clamp, v_clamp, instant, cur)
    for i in range(NSTATE):
        yerr[i] = h * (EC1 * k1[i] + EC3 * k3[i] + EC4 * k4[i] + EC5 * k5[i] + EC6 * k6[i])


@njit(cache=True, error_model="numpy")
def evolve_apply(y, t0, t1, h_in, w, p, refractory, i_stim, clamp, v_clamp, instant, cur, have_in):
    """``gsl_odeiv_evolve_apply`` with rkf45 and control_y(1e-3, 0): returns (t, h_next).

    ``have_in``: w[0] already holds dy/dt at y (the previous step's dydt_out, when
    nothing changed y or the inputs since): GSL evaluates it again, with the same bits.
    """
    y0 = w[9]
    h0 = h_in
    dt = t1 - t0
    for i in range(NSTATE):
        y0[i] = y[i]
    if not have_in:
        rhs(y, w[0], p, refractory, i_stim, clamp, v_clamp, instant, cur)  # dydt_in
    while True:
        final_step = h0 > dt
        if final_step:
            h0 = dt
        _rkf45_step(y, h0, w, p, refractory, i_stim, clamp, v_clamp, instant, cur)
        t = t1 if final_step else t0 + h0
        # std_control_hadjust (eps_rel = 0, a_y = 1, a_dydt = 0), order 5
        yerr = w[7]
        rmax = 2.2250738585072014e-308  # DBL_MIN
        for i in range(NSTATE):
            r = abs(yerr[i]) / EPS_ABS
            rmax = max(rmax, r)
        h_old = h0
        if rmax > 1.1:
            r = 0.9 / math.pow(rmax, 1.0 / 5.0)
            r = max(r, 0.2)
            h_new = r * h_old
            if abs(h_new) < abs(h_old) and t + h_new != t:
                for i in range(NSTATE):
                    y[i] = y0[i]
                h0 = h_new
                continue
            return t, h_old
        elif rmax < 0.5:
            r = 0.9 / math.pow(rmax, 1.0 / 6.0)
            r = min(r, 5.0)
            r = max(r, 1.0)
            return t, r * h_old
        return t, h_old


@njit(cache=True, error_model="numpy")
def run_population(
    y,  # (16, N) state, updated
    h_int,  # (N,) proposed integration step per neuron [ms], updated
    ref_steps,  # (N,) int64 refractory counters, updated
    cur_last,  # (4, N) last I_NaP, I_KNa, I_T, I_h [mV], updated
    i_stim,  # (N,) stimulus current of the next step [mV], updated
    p,  # params (models.PARAM_NAMES order)
    cond,  # (4,) jump into dg per unit weight [1/ms]
    ref_count,  # round(t_ref / h)
    flags,  # (clamp, instant_unblock) as int64
    v_clamp,  # (N,) clamp potential [mV]
    hstep,  # resolution [ms]
    step0,  # global index of the first step of this chunk
    nsteps,
    ev_ptr,  # (N+1,) CSR over neurons of input events, sorted by step
    ev_step,  # arrival: added at the end of the step whose end index is ev_step
    ev_rec,  # receptor index 0..3
    ev_w,  # weight
    ev_pos,  # (N,) next event per neuron, updated
    cs_ptr,  # (N+1,) CSR of stimulus-current changes
    cs_step,  # the new value applies from the step with this index on
    cs_val,  # new total stimulus current [mV]
    cs_pos,  # (N,) next change per neuron, updated
    rec_idx,  # (R,) neurons recorded by the multimeter (positions in the population)
    rec_slot,  # (N,) slot in rec_idx or -1
    rec_every,  # interval in steps (>= 1)
    rec_out,  # (S, 10, R) samples of this chunk
    spk_neuron,  # (C,) out: neuron of each spike
    spk_step,  # (C,) out: end-step index of each spike
):
    """Integrate ``nsteps`` resolution steps for every neuron; returns the spike count."""
    n = y.shape[1]
    clamp = flags[0] != 0
    instant = flags[1] != 0
    w = np.empty((10, NSTATE))
    yl = np.empty(NSTATE)
    cur = np.empty(4)
    acc = np.empty(4)
    nspk = 0
    for j in range(n):
        for i in range(NSTATE):
            yl[i] = y[i, j]
        hint = h_int[j]
        ref = ref_steps[j]
        istim = i_stim[j]
        vcl = v_clamp[j]
        for k in range(4):
            cur[k] = cur_last[k, j]
        ep = ev_pos[j]
        e_end = ev_ptr[j + 1]
        cp = cs_pos[j]
        c_end = cs_ptr[j + 1]
        slot = rec_slot[j]
        have_in = False  # w[0] = dy/dt at yl with the present inputs
        for s in range(step0, step0 + nsteps):
            tt = 0.0
            while tt < hstep:
                tt, hint = evolve_apply(
                    yl, tt, hstep, hint, w, p, ref > 0, istim, clamp, vcl, instant, cur, have_in
                )
                have_in = True
                if clamp and yl[0] != vcl:
                    yl[0] = vcl
                    have_in = False
                m_eq = _m_eq_nmda(p, yl[0])
                if yl[10] > m_eq:
                    yl[10] = m_eq
                    have_in = False
                if yl[11] > m_eq:
                    yl[11] = m_eq
                    have_in = False
                if have_in:
                    for i in range(NSTATE):
                        w[0, i] = w[8, i]
                if ref == 0 and yl[0] >= yl[1]:
                    have_in = False
                    yl[0] = p[E_NA]
                    yl[1] = p[E_NA]
                    ref = ref_count + 1
                    spk_neuron[nspk] = j
                    spk_step[nspk] = s + 1
                    nspk += 1
            if ref > 0:
                ref -= 1
                if ref == 0:
                    have_in = False
            end = s + 1
            if ep < e_end and ev_step[ep] == end:
                have_in = False
                acc[:] = 0.0
                while ep < e_end and ev_step[ep] == end:
                    acc[ev_rec[ep]] += ev_w[ep]
                    ep += 1
                for k in range(4):
                    yl[2 + 2 * k] += cond[k] * acc[k]
            while cp < c_end and cs_step[cp] <= end:
                if cs_val[cp] != istim:
                    have_in = False
                istim = cs_val[cp]
                cp += 1
            if slot >= 0 and end % rec_every == 0:
                r = end // rec_every - step0 // rec_every - 1
                v = yl[0]
                m_eq = _m_eq_nmda(p, v)
                m_nmda = _m_nmda(p, v, m_eq, min(m_eq, yl[10]), min(m_eq, yl[11]), instant)
                rec_out[r, REC_V, slot] = v
                rec_out[r, REC_THETA, slot] = yl[1]
                rec_out[r, REC_GAMPA, slot] = yl[3]
                rec_out[r, REC_GNMDA, slot] = yl[5] * m_nmda
                rec_out[r, REC_GGABAA, slot] = yl[7]
                rec_out[r, REC_GGABAB, slot] = yl[9]
                rec_out[r, REC_INAP, slot] = cur[0]
                rec_out[r, REC_IKNA, slot] = cur[1]
                rec_out[r, REC_IT, slot] = cur[2]
                rec_out[r, REC_IH, slot] = cur[3]
        for i in range(NSTATE):
            y[i, j] = yl[i]
        h_int[j] = hint
        ref_steps[j] = ref
        i_stim[j] = istim
        for k in range(4):
            cur_last[k, j] = cur[k]
        ev_pos[j] = ep
        cs_pos[j] = cp
    return nspk
