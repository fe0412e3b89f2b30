"""MSN voltage-gated channels: steady states, time constants, rate tables, GHK.

Reference values are the published equations and tables of the MSN model
(Wolf et al. 2005; Mattioni & Le Novere 2013) as written in
../shared/reference/msn/MODEL.md sections 3.0-3.2, re-typed here
independently of the mechanism modules.  Kernels are the real numba ones.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from electrical.mechanisms import default_catalogue
from electrical.mechanisms.msn import calcium, ghk, potassium, sodium

#: Closed forms evaluated by the same formula in float64: only round-off differs.
EXACT_RTOL = 1e-12
#: Table-interpolation bound safety factor: f'' is estimated by finite differences.
INTERP_BOUND_FACTOR = 1.2
#: Absolute floor of the interpolation bound [same unit as the quantity]: round-off.
INTERP_ATOL = 1e-12
#: NEURON's h.ghk uses the same exact SI constants and branch: agreement to round-off.
GHK_NEURON_RTOL = 1e-10
#: Reversal potential from the Nernst equation [mV]: GHK flux there is zero up to round-off.
GHK_ZERO_ATOL = 1e-9
#: tau_m changes by ~1e-8 relative over 1e-6 mV; 1e-6 catches a wrong singular branch.
KASAI_CONTINUITY_RTOL = 1e-6
#: Gate relaxation under held voltage is exact (cnexp): agreement to round-off.
RELAX_RTOL = 1e-10

#: CODATA 2018 publishes F and R to 10 significant digits (truncated exact values).
CODATA_DIGITS_RTOL = 1e-10

CELSIUS = 35.0

# --------------------------------------------------------------------------- spec data
#: (Vh, k) of x_inf = 1/(1 + exp((V - Vh)/k)) [mV], MODEL.md 3.1.
SPEC_INF = {
    "naf": {"m": (-23.9, -11.8), "h": (-62.9, 10.7)},
    "nap": {"m": (-52.6, -4.6), "h": (-48.8, 10.0)},
    "kaf": {"m": (-10.0, -17.7), "h": (-75.6, 10.0)},
    "kas": {"m": (-27.0, -16.0), "h": (-33.5, 21.5)},
    "kir": {"m": (-82.0, 13.0)},
    "krp": {"m": (-13.5, -11.8), "h": (-54.7, 18.6)},
    "caL": {"m": (-8.9, -6.7), "h": (-13.4, 11.9)},
    "caL13": {"m": (-33.0, -6.7), "h": (-13.4, 11.9)},
    "can": {"m": (-8.7, -7.4), "h": (-74.8, 6.5)},
    "caq": {"m": (-9.0, -6.6)},
    "car": {"m": (-10.3, -6.6), "h": (-33.3, 17.0)},
    "cat": {"m": (-51.73, -6.53), "h": (-80.0, 6.7)},
}


def _grid(v0, step, vals):
    vals = np.array(vals, dtype=float)
    return v0 + step * np.arange(vals.size), vals


#: Published tau tables [ms] (MODEL.md 3.2) and their (min, max) column.
SPEC_TAU_TABLES = {
    "naf_m": (_grid(-100, 10, [0.06, 0.06, 0.07, 0.09, 0.11, 0.13, 0.20, 0.32, 0.16, 0.15,
                               0.12, 0.08, 0.06, 0.06, 0.06, 0.06]), (0.06, 0.32)),
    "naf_h": (_grid(-100, 10, [1.3] * 8 + [0.85, 0.5, 0.45, 0.32, 0.30, 0.28, 0.28, 0.28]),
              (0.28, 1.3)),
    "nap_h": (_grid(-100, 10, [4500, 4750, 5200, 6100, 6300, 5000, 4250, 3500, 3000, 2700,
                               2500, 2100, 2100, 2100, 2100]), (2100, 6300)),
    "kir_m": (_grid(-100, 10, [3.7313, 4.0, 4.717, 5.3763, 6.0606, 6.8966, 7.6923, 7.1429,
                               5.8824, 4.4444] + [4.0] * 6), (3.7313, 7.6923)),
    "krp_m": (_grid(-100, 5, [40, 45, 48.8, 55, 64.4, 75, 83.9, 90, 93.5, 95, 95.4, 97, 99.2,
                              95, 79.7, 60, 44.5, 35, 29.3, 25, 20, 15, 11.6, 10, 9.6, 10,
                              10.5, 10, 8, 5, 5]), (5, 99.2)),
    "krp_h": (_grid(-100, 5, [7000] * 20 + [6742.5, 6000, 4740.2, 3500, 2783.3, 2500, 2336.3,
                                            2200, 2083.5, 2000, 2000]), (2000, 7000)),
    "kaf_m": (_grid(-40, 10, [1.8, 1.1, 1.0, 1.0, 0.9, 0.8, 0.9, 0.9, 0.9, 0.8, 0.8]),
              (0.8, 1.8)),
    "cat_m": (_grid(-65, 5, [20.2, 20.2, 13.1, 8.7, 6.8, 5.6, 4.4, 3.8, 3.6, 3.3, 3.6, 3.6,
                             3.3, 3.3, 3.3, 3.3]), (3.3, 20.2)),
    "cat_h": (_grid(-65, 5, [382, 208, 162, 129, 119, 107, 107, 107, 108, 109, 109, 110, 110,
                             110, 110, 110]), (107, 382)),
    "car_h": (_grid(-30, 10, [100, 65, 35, 30, 20, 20]), (20, 100)),
}


def _table(name):
    (vs, ys), _ = SPEC_TAU_TABLES[name]
    return lambda v: float(np.interp(v, vs, ys))  # linear, clamped: FUNCTION_TABLE semantics


def _kasai(c, vm, k, b, kb):
    def tau(v):
        x = v - vm
        alpha = c * k if x == 0 else c * x / (math.exp(x / k) - 1.0)
        return 1.0 / (alpha + b * math.exp(v / kb))

    return tau


_TAU_L = _kasai(0.0398, -8.124, 9.005, 0.99, 31.4)
_TAU_N = _kasai(0.03856, -17.19, 15.22, 0.3842, 23.82)


def _nap_tm(v):
    if v < -40:
        return 0.025 + 0.14 * math.exp((v + 40) / 10)
    return 0.02 + 0.145 * math.exp(-(v + 40) / 10)


#: tau_m(V), tau_h(V) [ms] after the q-factor (MODEL.md 3.1).
SPEC_TAU = {
    "naf": (lambda v: _table("naf_m")(v) / 3, lambda v: _table("naf_h")(v) / 3),
    "nap": (_nap_tm, lambda v: _table("nap_h")(v) / 3),
    "kaf": (lambda v: _table("kaf_m")(v) / 3, lambda v: 14 / 3),
    "kas": (
        lambda v: (3.4 + 89.2 * math.exp(-(((v + 34.3) / 30.1) ** 2))) / 9,
        lambda v: 9876.6 / (math.exp(-(v + 90.96) / 29.01) + math.exp((v + 90.96) / 100)) / 9,
    ),
    "kir": (lambda v: _table("kir_m")(v) / 0.5,),
    "krp": (lambda v: _table("krp_m")(v) / 3, lambda v: _table("krp_h")(v) / 3),
    "caL": (lambda v: _TAU_L(v) / 3, lambda v: 44.3 / 3),
    "caL13": (lambda v: _TAU_L(v) / 3, lambda v: 44.3 / 3),
    "can": (lambda v: _TAU_N(v) / 3, lambda v: 70 / 3),
    "caq": (lambda v: 1.13 / 3,),
    "car": (lambda v: 5.1 / 3, lambda v: _table("car_h")(v) / 3),
    "cat": (lambda v: _table("cat_m")(v) / 3, lambda v: _table("cat_h")(v) / 3),
}

#: mechanism -> (rates(v, aux) -> (minf, mtau[, hinf, htau]), tabulated(v), table range).
RATES = {
    "naf": (sodium.naf_rates, sodium.naf_tabulated, (-200.0, 200.0)),
    "nap": (sodium.nap_rates, sodium.nap_tabulated, (-200.0, 200.0)),
    "kaf": (potassium.kaf_rates, potassium.kaf_tabulated, (-200.0, 200.0)),
    "kas": (potassium.kas_rates, potassium.kas_tabulated, (-200.0, 200.0)),
    "kir": (potassium.kir_rates, potassium.kir_tabulated, (-200.0, 200.0)),
    "krp": (potassium.krp_rates, potassium.krp_tabulated, (-200.0, 200.0)),
    "caL": (calcium.caL_rates, calcium.caL_tabulated, (-100.0, 100.0)),
    "caL13": (calcium.caL13_rates, calcium.caL13_tabulated, (-100.0, 100.0)),
    "can": (calcium.can_rates, calcium.can_tabulated, (-100.0, 100.0)),
    "caq": (calcium.caq_rates, calcium.caq_tabulated, (-100.0, 100.0)),
    "car": (calcium.car_rates, calcium.car_tabulated, (-100.0, 100.0)),
    "cat": (calcium.cat_rates, calcium.cat_tabulated, (-100.0, 100.0)),
}
#: Number of tabulated quantities per mechanism (MODEL.md 3.0 table).
N_TABULATED = {"naf": 2, "krp": 2, "nap": 3, "kaf": 2, "kas": 4, "kir": 1, "caL": 3,
               "can": 3, "caL13": 3, "caq": 1, "car": 2, "cat": 2}

VOLTAGES_MV = [-120.0, -87.75, -70.0, -55.0, -40.0, -33.3, -20.0, -8.124, 0.0, 15.0, 45.0]


def _aux(mech, usetable):
    cls = default_catalogue[mech]
    return cls.make_aux(CELSIUS, {"usetable": float(usetable)}, [])


def _spec_rates(mech, v):
    out = []
    for gate, tau in zip(SPEC_INF[mech], SPEC_TAU[mech]):
        vh, k = SPEC_INF[mech][gate]
        out += [1.0 / (1.0 + math.exp((v - vh) / k)), tau(v)]
    return out


# --------------------------------------------------------------------------- tests


def test_all_msn_mechanisms_registered():
    names = [*SPEC_INF, "bkkca", "skkca", "cadyn", "caldyn"]
    for name in names:
        assert default_catalogue[name].name == name


@pytest.mark.parametrize("mech", list(SPEC_INF))
def test_steady_states_and_taus_exact(mech):
    """usetable = 0: every x_inf and tau equals the published closed form or table."""
    rates = RATES[mech][0]
    aux = _aux(mech, 0)
    for v in VOLTAGES_MV:
        np.testing.assert_allclose(rates(v, aux), _spec_rates(mech, v), rtol=EXACT_RTOL,
                                   err_msg=f"{mech} at {v} mV")


@pytest.mark.parametrize("name", list(SPEC_TAU_TABLES))
def test_tau_tables_match_published_nodes(name):
    """Mechanism tau tables: node values, clamping and min/max as published."""
    module = {"naf": sodium, "nap": sodium, "cat": calcium, "car": calcium}.get(
        name.split("_")[0], potassium
    )
    vs, ys = module.TAU_TABLES[name]
    (svs, sys_), (lo, hi) = SPEC_TAU_TABLES[name]
    np.testing.assert_array_equal(vs, svs)
    np.testing.assert_array_equal(ys, sys_)
    assert (ys.min(), ys.max()) == (lo, hi)


def test_function_table_clamps_and_interpolates():
    from electrical.mechanisms.msn._common import function_table

    (vs, ys), _ = SPEC_TAU_TABLES["cat_h"]
    assert function_table(vs, ys, -87.75) == 382.0  # below -65 mV the first value holds
    assert function_table(vs, ys, 50.0) == 110.0
    np.testing.assert_allclose(function_table(vs, ys, -62.5), (382 + 208) / 2, rtol=EXACT_RTOL)


def test_kasai_tau_at_removable_singularity():
    """tau_m of caL/can at V = V_m is the limit c*k (finite, continuous)."""
    aux = _aux("caL", 0)
    at = calcium.caL_rates(-8.124, aux)[1]
    near = calcium.caL_rates(-8.124 + 1e-6, aux)[1]
    np.testing.assert_allclose(at, _TAU_L(-8.124) / 3, rtol=EXACT_RTOL)
    np.testing.assert_allclose(at, near, rtol=KASAI_CONTINUITY_RTOL)
    aux = _aux("can", 0)
    np.testing.assert_allclose(calcium.can_rates(-17.19, aux)[1], _TAU_N(-17.19) / 3,
                               rtol=EXACT_RTOL)


@pytest.mark.parametrize("mech", list(RATES))
def test_rate_table_grid_is_neurons(mech):
    """202 points, accumulated grid of step (b - a)/201, values = closed form there."""
    _, tabulated, (a, b) = RATES[mech]
    aux = _aux(mech, 1)
    nrow = N_TABULATED[mech]
    head = aux.size - nrow * 202
    assert head >= 1 and aux[0] == 1.0
    rows = aux[head:head + nrow * 202].reshape(nrow, 202)
    x = a
    for i in range(202):
        np.testing.assert_array_equal(rows[:, i], np.array(tabulated.py_func(x)))
        x += (b - a) / 201


@pytest.mark.parametrize("mech", list(RATES))
def test_tables_agree_with_exact_to_interpolation_accuracy(mech):
    """|table - exact| <= dx^2/8 max|f''| inside the range; clamped outside."""
    rates, _, (a, b) = RATES[mech]
    aux1, aux0 = _aux(mech, 1), _aux(mech, 0)
    dx = (b - a) / 201
    h = 0.01
    vs = np.arange(a, b + h / 2, h)
    exact = np.array([rates(v, aux0) for v in vs])
    table = np.array([rates(v, aux1) for v in vs])
    fpp = np.abs(np.diff(exact, 2, axis=0)) / h**2
    # local bound: max |f''| over the table interval around each point (+-1 dx)
    w = round(dx / h) + 1
    local = np.array([fpp[max(0, i - w): i + w].max(axis=0) for i in range(1, vs.size - 1)])
    bound = INTERP_BOUND_FACTOR * dx**2 / 8 * local + INTERP_ATOL
    err = np.abs(table - exact)[1:-1]
    assert np.all(err <= bound), f"{mech}: worst excess {np.max(err - bound)}"
    assert np.max(err) > 0.0  # the table really is used
    # clamping outside the range: m_inf (row 0 of every table) takes the end entries
    nrow = N_TABULATED[mech]
    rows = aux1[aux1.size - nrow * 202:].reshape(nrow, 202)
    assert rates(a - 50.0, aux1)[0] == rows[0, 0]
    assert rates(b + 50.0, aux1)[0] == rows[0, 201]
    assert rates(a - 50.0, aux0)[0] != rows[0, 0]  # the closed form is not clamped


def test_gate_relaxes_exponentially_under_held_voltage():
    """cnexp at a held potential: x(t) = x_inf + (x0 - x_inf) exp(-t/tau) (kas, kir, cat)."""
    dt, nstep = 0.025, 400
    for mech, adv, extra in (
        ("kas", potassium.Kas.advance, (-90.0, 0.0104, 0.996)),
        ("kir", potassium.Kir.advance, (-90.0, 1.6e-4)),
        ("cat", calcium.CaT.advance, (1e-5, 5.0, 4e-7)),
    ):
        aux = _aux(mech, 0)
        v = -30.0
        nstate = len(SPEC_INF[mech])
        x = tuple([0.5] * nstate)
        for _ in range(nstep):
            x = adv.py_func(0.0, v, *x, *extra, aux, CELSIUS, dt)
        spec = _spec_rates(mech, v)
        for q in range(nstate):
            xinf, tau = spec[2 * q], spec[2 * q + 1]
            ref = xinf + (0.5 - xinf) * math.exp(-nstep * dt / tau)
            np.testing.assert_allclose(x[q], ref, rtol=RELAX_RTOL, err_msg=f"{mech} gate {q}")


# --------------------------------------------------------------------------- GHK


def test_ghk_branch_sign_and_reversal():
    assert ghk.efun(1e-5) == 1.0 - 1e-5 / 2.0  # the exact series branch below |z| = 1e-4
    assert ghk.efun(2e-4) == 2e-4 / (math.exp(2e-4) - 1.0)
    ci, co = 1e-4, 5.0
    assert ghk.ghk(-50.0, ci, co, CELSIUS) < 0.0  # Ca entry is inward (negative)
    assert ghk.ghk(200.0, ci, co, CELSIUS) > 0.0
    rt_2f = 1e3 * ghk.R_J_PER_MOL_K * (CELSIUS + 273.15) / (2 * ghk.FARADAY_C_PER_MOL)
    e_rev = rt_2f * math.log(co / ci)
    flux_scale = abs(ghk.ghk(e_rev - 10.0, ci, co, CELSIUS))
    assert abs(ghk.ghk(e_rev, ci, co, CELSIUS)) <= GHK_ZERO_ATOL * flux_scale


def test_ghk_constants_codata2018():
    # published CODATA 2018 values (exact SI definitions)
    np.testing.assert_allclose(ghk.FARADAY_C_PER_MOL, 96485.33212, rtol=CODATA_DIGITS_RTOL)
    np.testing.assert_allclose(ghk.R_J_PER_MOL_K, 8.314462618, rtol=CODATA_DIGITS_RTOL)


@pytest.mark.neuron
def test_ghk_matches_live_neuron():
    """NEURON's built-in ghk(v, ci, co, z) (hoc) uses the same formula, branch and constants."""
    os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
    neuron = pytest.importorskip("neuron")
    h = neuron.h
    h.celsius = CELSIUS
    np.testing.assert_allclose(ghk.FARADAY_C_PER_MOL, h.FARADAY, rtol=1e-15)
    np.testing.assert_allclose(ghk.R_J_PER_MOL_K, h.R, rtol=1e-15)
    for v in (-100.0, -87.75, -20.0, -1e-4, 0.0, 3e-4, 30.0, 80.0):
        for ci in (1e-5, 1e-3):
            ours = ghk.ghk(v, ci, 5.0, CELSIUS)
            np.testing.assert_allclose(ours, h.ghk(v, ci, 5.0, 2), rtol=GHK_NEURON_RTOL,
                                       err_msg=f"v={v}, ci={ci}")


@pytest.mark.parametrize("mech", [*SPEC_INF, "bkkca", "skkca", "cadyn", "caldyn"])
def test_nonsense_arguments_are_rejected(mech):
    from electrical.errors import ModelError, UnknownParameterError

    cls = default_catalogue[mech]
    first = next(iter(cls.params))
    with pytest.raises(ModelError):
        cls(**{first: -1.0})  # conductances, permeabilities and shell constants are >= 0
    with pytest.raises(ModelError):
        cls(**{first: "abc"})
    with pytest.raises(UnknownParameterError):
        cls(gbar_typo=1.0)
    if "usetable" in cls.globals:
        with pytest.raises(ModelError):
            cls.globals["usetable"].check(2.0, f"{mech}.usetable")
