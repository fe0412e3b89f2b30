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


# --------------------------------------------------------------------------- tabulated kernels

#: The tabulated kernels use vexp (within 1 ulp of libm's exp): a gate update
#: x + (1 - e)(x_inf - x) then differs by <= ulp(1)*|x_inf - x| <= 2.2e-16 [gate units].
GATE_VEXP_ATOL = 1e-15

#: mechanism -> (module, published tau tables its kernel reads, in aux order).
TAU_TABLES_OF = {
    "naf": (sodium, ("naf_m", "naf_h")), "nap": (sodium, ("nap_h",)),
    "kaf": (potassium, ("kaf_m",)), "kas": (potassium, ()), "kir": (potassium, ("kir_m",)),
    "krp": (potassium, ("krp_m", "krp_h")), "caL": (calcium, ()), "caL13": (calcium, ()),
    "can": (calcium, ()), "caq": (calcium, ()), "car": (calcium, ("car_h",)),
    "cat": (calcium, ("cat_m", "cat_h")),
}


def _probe_voltages():
    rng = np.random.default_rng(19)
    nodes = np.concatenate([np.arange(-100.0, 55.0, 5.0), -200.0 + 400.0 / 201 * np.arange(202)])
    return np.concatenate([nodes, np.nextafter(nodes, -np.inf), np.nextafter(nodes, np.inf),
                           rng.uniform(-260.0, 260.0, 3000)])


def _reference_rates(mech, v, aux):
    """usetable = 1 rates the way they were read before: branching TABLE lookup in the
    row-major rows at the end of aux, bisection in the published tau tables."""
    from electrical.mechanisms.msn._common import NTAB, function_table
    from electrical.mechanisms.numerics import table_lookup

    _, _, (a, b) = RATES[mech]
    nrow = N_TABULATED[mech]
    rows = aux[aux.size - nrow * 202:]
    tab = [table_lookup(rows, 0, NTAB, r, a, NTAB / (b - a), v) for r in range(nrow)]
    module, keys = TAU_TABLES_OF[mech]
    taus = [function_table(*module.TAU_TABLES[k], v) / 3.0 for k in keys]
    q = {"kas": 9.0, "kir": 0.5}.get(mech, 3.0)
    const = {"kaf": 14.0 / 3, "caL": 44.3 / 3, "caL13": 44.3 / 3, "can": 70.0 / 3,
             "caq": 1.13 / 3, "car": 5.1 / 3}
    if mech == "naf" or mech == "krp" or mech == "cat":
        return tab[0], taus[0], tab[1], taus[1]
    if mech == "nap":
        return tab[0], tab[2], tab[1], taus[0]
    if mech == "kaf":
        return tab[0], taus[0], tab[1], const["kaf"]
    if mech == "kas":
        return tab[0], tab[2] / q, tab[1], tab[3] / q
    if mech == "kir":
        return tab[0], function_table(*module.TAU_TABLES["kir_m"], v) / q
    if mech in ("caL", "can"):
        return tab[0], tab[2] / 3.0, tab[1], const[mech]
    if mech == "caL13":
        return tab[0], tab[1] / 3.0, tab[2], const[mech]
    if mech == "caq":
        return tab[0], const["caq"]
    return tab[0], const["car"], tab[1], taus[0]  # car


@pytest.mark.parametrize("mech", list(RATES))
def test_branch_free_rates_equal_table_and_bisection_lookups(mech):
    """usetable = 1: the index-arithmetic rates (rows and tau tables) are the values of the
    branching table lookup and of the bisection, bit for bit, on and between grid points."""
    module = TAU_TABLES_OF[mech][0]
    fast = getattr(module, f"{mech}_rates_tabulated")
    aux = _aux(mech, 1)
    for v in _probe_voltages():
        want = _reference_rates(mech, v, aux)
        assert fast(v, aux) == want, f"{mech} at {v!r} mV"
        assert RATES[mech][0](v, aux) == want  # the scalar path (init) reads the same


@pytest.mark.parametrize("mech", list(RATES))
def test_tabulated_advance_kernel_chosen_by_usetable(mech):
    """kernels(): the branch-free advance for usetable = 1 only; it gives the class
    kernel's numbers up to vexp's rounding."""
    cls = default_catalogue[mech]
    assert cls.checked_kernels({"usetable": 0.0}) == {}
    fast = cls.checked_kernels({"usetable": 1.0})["advance"]
    assert fast is not cls.advance
    aux = _aux(mech, 1)
    rng = np.random.default_rng(5)
    ns = len(cls.states)
    rest = [cls.params[p].default for p in cls.params]
    reads = [50.0 if r in ("ena",) else -90.0 if r == "ek" else 1e-4 if r.endswith("i") else 5.0
             for r in cls.reads]
    for v in _probe_voltages()[::7]:
        x = tuple(rng.uniform(0.0, 1.0, ns))
        for dt in (0.025, 1.0):
            want = cls.advance.py_func(0.0, v, *x, *reads, *rest, aux, CELSIUS, dt)
            got = fast(0.0, v, *x, *reads, *rest, aux, CELSIUS, dt)
            np.testing.assert_allclose(got, want, rtol=0.0, atol=GATE_VEXP_ATOL,
                                       err_msg=f"{mech} at {v} mV")


def test_bk_unrolled_elimination_is_bit_identical():
    """bkkca's advance solves the 3x3 system without arrays, with the same pivots."""
    from electrical.mechanisms.msn import kca

    rng = np.random.default_rng(11)
    cases = [(1.0, 0.0, 0.0, -87.75, 1e-5, 0.025), (1e-3, 0.5, 0.499, 60.0, 1e-2, 0.025),
             (0.2, 0.3, 0.5, 40.0, 1e-3, 5.0)]  # near-tied column-1 pivots at high v
    for _ in range(3000):
        c, o, i = rng.dirichlet([1.0, 1.0, 1.0])
        cases.append((c, o, i, rng.uniform(-150.0, 100.0), 10 ** rng.uniform(-7, -1),
                      10 ** rng.uniform(-3, 1)))
    for _ in range(500):  # cai < 0 (unphysical): k3 < 0, so rows 1 and 2 pivot in column 0
        c, o, i = rng.dirichlet([1.0, 1.0, 1.0])
        cases.append((c, o, i, rng.uniform(-150.0, 100.0), -(10 ** rng.uniform(-3, 0)),
                      10 ** rng.uniform(-3, 1)))
    for args in cases:
        assert kca.bk_backward_euler_unrolled(*args) == kca.bk_backward_euler(*args), args
    assert kca.BKKCa.advance.py_func(0.0, 40.0, 0.2, 0.3, 0.5, 1e-3, -90.0, 1e-3, None, CELSIUS,
                                     0.025) == kca.bk_backward_euler(0.2, 0.3, 0.5, 40.0, 1e-3,
                                                                     0.025)


def _has_avx2() -> bool:
    import llvmlite.binding as llvm

    return "+avx2" in llvm.get_host_cpu_features().flatten().split(",")


def _chunked_advance_loop(cls, kernel):
    """The engine's chunked advance loop (electrical.codegen, step 4) for one mechanism:
    the kernel inlined, aux as a data pointer, results into a stack buffer first."""
    from numba import njit

    from electrical.mechanisms.numerics import data_pointer, stack_buffer

    chunk, nout = 64, len(cls.states)
    st = [f"s_{s}" for s in cls.states]
    rd = [f"r_{r}" for r in cls.reads]
    pa = [f"p_{p}" for p in cls.params]
    call = ", ".join(["0.0", "v[i]", *(f"{a}[j]" for a in st), *(f"{a}[i]" for a in rd),
                      *(f"{a}[j]" for a in pa), "ap", "35.0", "dt"])
    lines = [f"def loop(idx, v, {', '.join([*st, *rd, *pa])}, aux, dt):",
             "    ap = _ptr(aux)",
             f"    sb = _sb({chunk * nout})",
             "    nb = idx.size",
             f"    for c in range(0, nb, {chunk}):",
             f"        m = min({chunk}, nb - c)",
             "        for jj in range(m):",
             "            j = c + jj",
             "            i = idx[j]",
             f"            res = _k({call})",
             *(f"            sb[{q * chunk} + jj] = res[{q}]" for q in range(nout)),
             "        for jj in range(m):",
             *(f"            {a}[c + jj] = sb[{q * chunk} + jj]" for q, a in enumerate(st))]
    ns = {"_ptr": data_pointer, "_sb": stack_buffer,
          "_k": njit(inline="always", error_model="numpy")(kernel.py_func)}
    exec("\n".join(lines), ns)  # noqa: S102  (test-local source, as the engine generates it)
    return njit(error_model="numpy")(ns["loop"]), len(st) + len(rd) + len(pa)


#: Channels whose exact (usetable = 0) kernel also vectorises, so it is no counter-check:
#: measured here, caq's exact loop shows vector gathers too.
EXACT_PATH_VECTORISES = {"caq"}


@pytest.mark.slow
@pytest.mark.skipif(not _has_avx2(), reason="checks x86 vector gathers: needs an AVX2 host")
@pytest.mark.parametrize("mech", list(RATES))
def test_tabulated_advance_loop_is_vectorised(mech):
    """The usetable = 1 advance kernel of every MSN channel vectorises in the engine's loop.

    Only a vectorised loop reads the rate rows with vector gathers; a call that is not
    inlined, a libm exp or a branch with a call in the kernel would leave it scalar.
    The class's exact kernel (bisection, libm exp) is the counter-check: no gathers.
    """
    cls = default_catalogue[mech]
    n = 150
    aux = _aux(mech, 1)
    for kernel, vectorised in ((cls.kernels({"usetable": 1.0})["advance"], True),
                               (cls.advance, mech in EXACT_PATH_VECTORISES)):
        loop, narr = _chunked_advance_loop(cls, kernel)
        args = (np.arange(n), np.linspace(-90.0, 20.0, n),
                *(np.full(n, 0.5) for _ in range(narr)), aux, 0.025)
        loop(*args)
        asm = loop.inspect_asm(loop.signatures[0])
        assert ("vgather" in asm) == vectorised, f"{mech}: vectorised={not vectorised}"
