"""Synapses of :mod:`electrical.mechanisms.synapses` against closed forms (MODEL.md 5.1).

The MSN kinetics do not depend on V, so a large passive compartment (V moves by ~1e-3
mV) with events delivered through ``Simulation.connect`` is the "voltage-steady" set-up;
current checks use the recorded v, which makes them exact whatever V does.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from electrical import Cell, ModelError, Simulation, UnknownParameterError
from electrical.mechanisms import (
    AMPA,
    GABAA,
    ION_TABLE,
    NMDA,
    Exp2Syn,
    ExpSyn,
    default_catalogue,
)
from electrical.mechanisms.synapses import exp2syn_factor, mg_block

DT_MS = 0.025
T_EVENT_MS = 1.0  # on a step boundary (40 dt)
K_EVENT = 40

#: Same floating-point operations in a different order (exp of a product vs a sum of
#: exponents, accumulated recursions): a few ulp, 1e-12 relative leaves a wide margin.
EXACT_RTOL = 1e-12
#: Absolute floor for values that are exactly 0 on one side.
EXACT_ATOL = 1e-15
#: The y1 jump is recovered by undoing one decay step of y1 (~1): a few ulp of
#: cancellation against a jump of ~0.2-0.9.
JUMP_RTOL = 1e-10
#: MODEL.md 5.1 quotes the recursion peaks to 4-5 significant digits.
PEAK_QUOTED_ATOL = 1e-4
#: Continuous impulse response vs the cnexp recursion at dt = 0.025 ms: the scheme holds
#: y1 constant over a step, an O(dt) error of ~0.3 % of the AMPA peak (0.744 vs 0.7422).
CONTINUOUS_VS_RECURSION_ATOL = 5e-3
#: Linear interpolation in the 202-point Mg table (spacing 200/201 mV): the error bound
#: spacing^2/8 * max|B''| = 0.124 mV^2 * 0.062^2 * 0.0962 /mV^2 = 4.6e-5.
MG_TABLE_ATOL = 5e-5
#: The big compartment keeps V within this of v_init (it only documents the set-up).
V_STEADY_ATOL_MV = 1e-2

ALL = (ExpSyn, Exp2Syn, AMPA, NMDA, GABAA)


def _one_compartment(*specs, v_rest_mV=-65.0, mech_globals=None):
    cell = Cell("one")
    soma = cell.section("soma", L=1000.0, diam=1000.0)
    soma.insert("pas", g=1e-3, e=v_rest_mV)
    insts = [cell.place(soma(0.5), s) for s in specs]
    sim = Simulation(cell, dt_ms=DT_MS, mech_globals=mech_globals)
    return sim, soma, insts


# ----------------------------------------------------------------------------- catalogue


def test_registered_with_units_and_cal_ion():
    for cls in ALL:
        assert default_catalogue[cls.name] is cls
        for p in (*cls.params.values(), *cls.states.values()):
            assert p.unit
    assert ION_TABLE["cal"].valence == 2
    assert AMPA.ions() == {"cal": "write"} and NMDA.ions() == {"cal": "write"}
    assert GABAA.ions() == {}


@pytest.mark.parametrize(
    "cls, kwargs, err",
    [
        (Exp2Syn, {"tau1": -1.0}, ModelError),
        (ExpSyn, {"tau": 0.0}, ModelError),
        (AMPA, {"rho": 2.0}, ModelError),
        (NMDA, {"gbar": -1e-4}, ModelError),
        (GABAA, {"S": 0.0}, ModelError),
        (AMPA, {"tau_rise": 1.0}, UnknownParameterError),
        (NMDA, {"gbar": "big"}, ModelError),
    ],
)
def test_nonsense_parameters_rejected(cls, kwargs, err):
    with pytest.raises(err, match=f"{cls.name}"):
        cls(**kwargs)


def test_unknown_parameter_suggests():
    with pytest.raises(UnknownParameterError, match="did you mean 'tau_r'"):
        AMPA(tau_rr=1.0)


def test_negative_mg_global_rejected():
    cell = Cell("g")
    soma = cell.section("soma", L=10.0, diam=10.0)
    cell.place(soma(0.5), NMDA())
    with pytest.raises(ModelError, match="NMDA.mg = -1.0 mM"):
        Simulation(cell, mech_globals={"NMDA": {"mg": -1.0}})


# ----------------------------------------------------------------------------- Exp2Syn / ExpSyn


def test_exp2syn_factor_gives_peak_equal_to_weight():
    tau1, tau2 = 0.5, 3.0
    f = exp2syn_factor(tau1, tau2)
    t = np.linspace(0.0, 20.0, 200001)
    g = f * (np.exp(-t / tau2) - np.exp(-t / tau1))
    assert g.max() == pytest.approx(1.0, abs=1e-9)  # grid of 1e-4 ms around a smooth max


def test_exp2syn_and_expsyn_single_event_decay_exactly():
    sim, _, (e2, es) = _one_compartment(Exp2Syn(tau1=0.5, tau2=3.0), ExpSyn(tau=2.0))
    w = 0.004
    sim.connect(e2, [T_EVENT_MS], weight=w)
    sim.connect(es, [T_EVENT_MS], weight=w)
    A, B, g = sim.record("A", e2), sim.record("B", e2), sim.record("g", es)
    sim.initialize(-65.0)
    sim.advance(10.0)
    n = np.arange(A.values.size) - K_EVENT  # steps since delivery
    on = n > 0
    f = exp2syn_factor(0.5, 3.0)
    np.testing.assert_array_equal(A.values[~on], 0.0)
    np.testing.assert_allclose(A.values[on], w * f * np.exp(-n[on] * DT_MS / 0.5), rtol=EXACT_RTOL)
    np.testing.assert_allclose(B.values[on], w * f * np.exp(-n[on] * DT_MS / 3.0), rtol=EXACT_RTOL)
    np.testing.assert_allclose(g.values[on], w * np.exp(-n[on] * DT_MS / 2.0), rtol=EXACT_RTOL)


def test_exp2syn_equal_taus_are_separated_like_neuron():
    # tau1 = tau2 would divide by zero; NEURON sets tau1 = 0.9999 tau2 first
    assert math.isfinite(exp2syn_factor(3.0, 3.0))
    assert exp2syn_factor(3.0, 3.0) == exp2syn_factor(0.9999 * 3.0, 3.0)


# ----------------------------------------------------------------------------- MSN kinetics


def _hake_recursion(n, tau_r, tau_d, qfact, jump=1.0):
    """Closed form of the cnexp recursion after one jump of y1 at step 0 (MODEL.md 3.0b)."""
    trp, tdp = tau_r / qfact, tau_d / qfact
    qr, qd = math.exp(-DT_MS / trp), math.exp(-DT_MS / tdp)
    y1 = jump * qd**n
    # y2_{n+1} = qr y2_n + (1 - qr) trp y1_{n+1}, y2_0 = 0
    y2 = (1 - qr) * trp * jump * qd * (qd**n - qr**n) / (qd - qr)
    return y1, y2


@pytest.mark.parametrize(
    "cls, peak, t_peak_ms",
    [(AMPA, 0.7422, 2.25), (NMDA, 2.6183, 11.575)],  # MODEL.md 5.1, "recursion" values
)
def test_single_event_kinetics_match_closed_forms(cls, peak, t_peak_ms):
    sim, soma, (syn,) = _one_compartment(cls())
    sim.connect(syn, [T_EVENT_MS], weight=1.0)
    y1, y2 = sim.record("y1", syn), sim.record("y2", syn)
    v = sim.record("v", soma(0.5))
    sim.initialize(-65.0)
    sim.advance(40.0)
    np.testing.assert_allclose(v.values, -65.0, atol=V_STEADY_ATOL_MV)
    n = np.arange(y1.values.size) - K_EVENT  # steps since the jump at t = 1 ms
    on = n > 0  # the sample at t = 1 ms was recorded before the delivery
    p = {k: cls.params[k].default for k in ("tau_r", "tau_d", "qfact")}
    ry1, ry2 = _hake_recursion(n[on], **p)
    np.testing.assert_array_equal(y1.values[~on], 0.0)
    np.testing.assert_allclose(y1.values[on], ry1, rtol=EXACT_RTOL, atol=EXACT_ATOL)
    np.testing.assert_allclose(y2.values[on], ry2, rtol=EXACT_RTOL, atol=EXACT_ATOL)
    k = int(np.argmax(y2.values))
    assert y2.values[k] == pytest.approx(peak, abs=PEAK_QUOTED_ATOL)
    assert (k - K_EVENT) * DT_MS == pytest.approx(t_peak_ms, abs=1e-9)
    # and the continuous impulse response A (e^{-t/td'} - e^{-t/tr'}) within O(dt)
    trp, tdp = p["tau_r"] / p["qfact"], p["tau_d"] / p["qfact"]
    t = n[on] * DT_MS
    cont = tdp * trp / (tdp - trp) * (np.exp(-t / tdp) - np.exp(-t / trp))
    np.testing.assert_allclose(y2.values[on], cont, rtol=0, atol=CONTINUOUS_VS_RECURSION_ATOL)


@pytest.mark.parametrize("cls", [AMPA, NMDA, GABAA])
def test_saturation_uses_exact_event_times_and_weight_sets_scale(cls):
    t1_ms, t2_ms = 1.0, 5.013  # the second is off-grid: delivered at the 5.025-ms boundary
    k2 = 201
    w1, w2 = 0.7, 1.9
    sim, _, (syn,) = _one_compartment(cls())
    conn = sim.connect(syn, [t1_ms, t2_ms], weight=w1)
    rec = {s: sim.record(s, syn) for s in ("y1", "y1_loc", "t1", "spkcnt", "scale")}
    sim.initialize(-65.0)
    assert rec["scale"].values[0] == (1.0 if cls is NMDA else 0.0)  # MODEL.md 5.1
    sim.advance(3.0)
    assert rec["scale"].values[-1] == w1 and rec["spkcnt"].values[-1] == 1.0
    conn.weight = w2  # takes effect at the next event only
    sim.advance(8.0)
    y1, y1_loc = rec["y1"].values, rec["y1_loc"].values
    assert rec["scale"].values[k2] == w1 and rec["scale"].values[k2 + 1] == w2
    assert rec["t1"].values[k2] == t1_ms and rec["t1"].values[k2 + 1] == t2_ms
    assert rec["spkcnt"].values[k2 + 1] == 2.0
    tdp = cls.params["tau_d"].default / cls.params["qfact"].default
    S = cls.params["S"].default
    loc = 1.0 * math.exp(-(t2_ms - t1_ms) / tdp)  # 1 after the first event, then decayed
    a = 1.0 - loc / S  # independent of the weight; exact event times, not step times
    jump = y1[k2 + 1] / math.exp(-DT_MS / tdp) - y1[k2]  # undo the step after delivery
    np.testing.assert_allclose(jump, a, rtol=JUMP_RTOL)
    np.testing.assert_allclose(y1_loc[k2 + 1], loc + a, rtol=EXACT_RTOL)
    np.testing.assert_allclose(y1_loc[k2], 1.0, rtol=EXACT_RTOL)  # untouched between events


# ----------------------------------------------------------------------------- Mg block


@pytest.mark.parametrize("v", [-100.0, -80.0, -40.0, 0.0, 25.0, 60.0])
def test_mg_block_formula(v):
    expect = 1.0 / (1.0 + math.exp(-0.062 * v) * 1.0 / 3.57)  # Jahr & Stevens 1990
    assert mg_block(v, 1.0) == pytest.approx(expect, rel=EXACT_RTOL)
    assert mg_block(v, 0.0) == 1.0  # no Mg, no block
    assert mg_block(v, 2.0) < mg_block(v, 1.0)


def _nmda_B(v, aux):
    """B(v) through NMDA's own current kernel: y2 = scale = gbar = 1, e = 0, rho = 0."""
    i, ical = NMDA.current(
        0.0, v, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, aux, 35.0
    )
    return (i + ical) / v


@pytest.mark.parametrize("mg", [1.0, 2.0])
def test_mg_block_table_vs_formula(mg):
    table = NMDA.make_aux(35.0, {"usetable": 1.0, "mg": mg}, [])
    exact = NMDA.make_aux(35.0, {"usetable": 0.0, "mg": mg}, [])
    vs = np.r_[np.linspace(-99.7, 99.7, 400), -70.1, 35.3]
    tab = np.array([_nmda_B(v, table) for v in vs])
    ex = np.array([_nmda_B(v, exact) for v in vs])
    np.testing.assert_allclose(ex, [mg_block(v, mg) for v in vs], rtol=EXACT_RTOL)
    np.testing.assert_allclose(tab, ex, rtol=0, atol=MG_TABLE_ATOL)
    assert np.max(np.abs(tab - ex)) > 0  # the table is really used
    # NEURON's grid points (accumulated from -100 in steps of 200/201) are exact
    x, dx = -100.0, 200.0 / 201
    for _ in range(37):
        x += dx
    assert _nmda_B(x, table) == pytest.approx(mg_block(x, mg), rel=1e-12)
    # clamped outside [-100, 100] mV
    assert _nmda_B(-130.0, table) == pytest.approx(mg_block(-100.0, mg), rel=EXACT_RTOL)
    assert _nmda_B(140.0, table) == pytest.approx(mg_block(100.0, mg), rel=EXACT_RTOL)


# ----------------------------------------------------------------------------- currents


@pytest.mark.parametrize(
    "cls, v_rest_mV, sign",
    [(NMDA, -65.0, -1.0), (NMDA, 20.0, 1.0), (AMPA, -65.0, -1.0), (AMPA, 20.0, 1.0)],
)
def test_calcium_fraction_and_sign(cls, v_rest_mV, sign):
    """ical = rho*itmp, i = (1 - rho)*itmp at (v_n, y2_n); inward (< 0) below 0 mV."""
    sim, soma, (syn,) = _one_compartment(
        cls(), v_rest_mV=v_rest_mV, mech_globals={"NMDA": {"usetable": 0.0}}
    )
    sim.connect(syn, [T_EVENT_MS], weight=1.3)
    rec = {s: sim.record(s, syn) for s in ("i", "ical", "y2", "scale")}
    v = sim.record("v", soma(0.5))
    cal_density = sim.record("ical", soma(0.5))
    sim.initialize(v_rest_mV)
    sim.advance(20.0)
    rho = cls.params["rho"].default
    gbar = cls.params["gbar"].default
    i, ical = rec["i"].values[1:], rec["ical"].values[1:]  # currents of step n -> sample n+1
    vn, y2n, scale = v.values[:-1], rec["y2"].values[:-1], rec["scale"].values[1:]
    block = np.array([mg_block(x, 1.0) for x in vn]) if cls is NMDA else 1.0
    itmp = scale * gbar * y2n * block * (vn - 0.0)
    np.testing.assert_allclose(ical, rho * itmp, rtol=EXACT_RTOL, atol=EXACT_ATOL)
    np.testing.assert_allclose(i, (1 - rho) * itmp, rtol=EXACT_RTOL, atol=EXACT_ATOL)
    assert np.all(sign * ical[K_EVENT + 1 :] > 0)
    np.testing.assert_allclose(ical[K_EVENT + 1 :] / (i + ical)[K_EVENT + 1 :], rho, rtol=1e-12)
    # the point current reaches the cal pool of the segment as a density (x 100/area)
    area_um2 = math.pi * 1000.0 * 1000.0
    np.testing.assert_allclose(
        cal_density.values[1:], ical * 100.0 / area_um2, rtol=EXACT_RTOL, atol=EXACT_ATOL
    )


def test_gabaa_current_reverses_at_minus_60():
    for v_rest, sign in ((-65.0, -1.0), (-50.0, 1.0)):
        sim, soma, (syn,) = _one_compartment(GABAA(), v_rest_mV=v_rest)
        sim.connect(syn, [T_EVENT_MS], weight=1.0)
        i, y2 = sim.record("i", syn), sim.record("y2", syn)
        v = sim.record("v", soma(0.5))
        sim.initialize(v_rest)
        sim.advance(10.0)
        expect = 1.0 * 0.0021 * y2.values[:-1] * (v.values[:-1] + 60.0)
        np.testing.assert_allclose(i.values[1:], expect, rtol=EXACT_RTOL, atol=EXACT_ATOL)
        assert np.all(sign * i.values[K_EVENT + 2 :] > 0)
