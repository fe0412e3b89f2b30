"""Spine calcium ``catrack``/``caltrack`` and the engine's longitudinal diffusion.

References: MODEL.md sections 3.0b (step order), 4.3 (the scheme, NEURON's
``sparse`` and ``LONGITUDINAL_DIFFUSION``), 4.4 and 6.1 (the spine).  The
radial step is checked against an independent dense Newton solve of the
14-state backward-Euler system written in NEURON's amount form, the
longitudinal step against a dense implicit solve, and the whole spine
against MODEL.md's verified numbers and against NEURON 9.0.2 (see
:data:`NEURON_SPINE`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pytest
from numba import njit

from electrical import Cell, Simulation
from electrical.diffusion import longitudinal_diffusion_step
from electrical.discretize import diffusion_neighbours
from electrical.errors import ModelError
from electrical.mechanisms.base import Catalogue, DensityMechanism, Param
from electrical.mechanisms.msn import catrack
from electrical.mechanisms.msn.ghk import FARADAY_C_PER_MOL

#: Same equations solved by LAPACK instead of block elimination: round-off of a
#: 14x14 system whose rows span ~10 orders of magnitude (pump vs shells).
DENSE_RTOL = 1e-9
#: Absolute floor for comparing states that are ~1e-12 mol/cm2 or ~1e-6 mM [state units].
DENSE_ATOL = 1e-20
#: Mass conservation over hundreds of steps: accumulated float64 round-off [relative].
MASS_RTOL = 1e-12
#: MODEL.md gives vrat and frat to 4-5 significant digits (0.02182: half a unit is 2.3e-4).
SPEC_VRAT_RTOL = 2.5e-4
#: MODEL.md's verified spine values have 3 significant digits (half a unit <= 3.8e-3 rel).
SPEC_3_DIGITS_RTOL = 4e-3
#: MODEL.md's resting sum 0.2500 uM has 4 significant digits.
SPEC_4_DIGITS_RTOL = 2e-4
#: Our spine vs NEURON 9.0.2 on the same model: identical arithmetic up to evaluation
#: order, amplified by thousands of stiff steps (observed <= 1e-11).
NEURON_RTOL = 1e-8

DT_MS = 0.025
V_INIT_MV = -87.75
CA0_MM = 1e-3  # MSN ion default of both pools (MODEL.md 2)
CAO_MM = 5.0
PARAMS = {"DCa": 0.6, "k1buf": 100.0, "k2buf": 0.1, "k1": 1.0, "k2": 0.005, "k3": 1.0,
          "k4": 0.005, "TotalPump": 1e-11}


# ----------------------------------------------------------------------------- geometry
def test_shell_factors_are_modelmd_values():
    np.testing.assert_allclose(catrack.VRAT, [0.23998, 0.34907, 0.17453, 0.02182],
                               rtol=SPEC_VRAT_RTOL)
    np.testing.assert_allclose(catrack.FRAT[1:], [15.708, 9.4248, 3.1416],
                               rtol=SPEC_VRAT_RTOL)
    np.testing.assert_allclose(catrack.VRAT.sum(), math.pi / 4, rtol=1e-15)


# ----------------------------------------------------------------------------- radial step
def _dense_sparse_step(x, ica, diam, dt, p=PARAMS, cao=CAO_MM, tol=1e-6, maxit=22):
    """Independent reference: NEURON-style Newton on the 14 states in amount form.

    x = (ca0..3, CaBuffer0..3, Buffer0..3, pump, pumpca) with the pump in mol/cm2;
    every row is the compartment size times (x - x_old)/dt minus the amount
    flux; the PC row is replaced by the conservation pump + pumpca = TotalPump;
    the entry term enters the right-hand side only.
    """
    vrat, frat = catrack.shell_factors(4)
    vol = diam * diam * vrat
    parea = math.pi * diam
    fday = FARADAY_C_PER_MOL / 1e4
    sc = 1e10 * parea  # compartment of pump and pumpca
    comp = np.concatenate([vol, vol, vol, [sc, sc]])
    xo = np.array(x, dtype=float)
    x = xo.copy()
    for it in range(maxit):
        c, cb, b, pm, pc = x[0:4], x[4:8], x[8:12], x[12], x[13]
        flux = np.zeros(14)  # amount per ms per um of length
        jac = np.zeros((14, 14))  # d(flux)/dx

        # pump: ca0 + pump <-> pumpca (k1 sc, k2 sc)
        f1 = p["k1"] * sc * c[0] * pm - p["k2"] * sc * pc
        for k, s in ((0, -1), (12, -1), (13, +1)):
            flux[k] += s * f1
            jac[k, 0] += s * p["k1"] * sc * pm
            jac[k, 12] += s * p["k1"] * sc * c[0]
            jac[k, 13] -= s * p["k2"] * sc
        # pumpca <-> pump + cao (k3 sc, k4 sc)
        f2 = p["k3"] * sc * pc - p["k4"] * sc * pm * cao
        for k, s in ((13, -1), (12, +1)):
            flux[k] += s * f2
            jac[k, 13] += s * p["k3"] * sc
            jac[k, 12] -= s * p["k4"] * sc * cao
        ica_pmp = 2 * fday * f2 / parea
        flux[0] += -(ica - ica_pmp) * math.pi * diam / (2 * fday)  # rhs only
        for i in range(3):  # radial
            g = p["DCa"] * frat[i + 1]
            f = g * (c[i] - c[i + 1])
            flux[i] -= f
            flux[i + 1] += f
            jac[i, i] -= g
            jac[i, i + 1] += g
            jac[i + 1, i] += g
            jac[i + 1, i + 1] -= g
        for i in range(4):  # buffer, amounts in shell i
            kf, kb = p["k1buf"] * vol[i], p["k2buf"] * vol[i]
            f = kf * c[i] * b[i] - kb * cb[i]
            for k, s in ((i, -1), (8 + i, -1), (4 + i, +1)):
                flux[k] += s * f
                jac[k, i] += s * kf * b[i]
                jac[k, 8 + i] += s * kf * c[i]
                jac[k, 4 + i] -= s * kb
        resid = comp * (x - xo) / dt - flux
        mat = np.diag(comp / dt) - jac
        resid[13] = x[12] + x[13] - p["TotalPump"]
        mat[13, :] = 0.0
        mat[13, 12] = mat[13, 13] = 1.0
        dx = np.linalg.solve(mat, -resid)
        x = np.maximum(x + dx, 0.0)
        if np.abs(dx).sum() <= tol:
            break
    return x, it + 1


def _initial(ci=CA0_MM, p=PARAMS):
    c, cb, b, pm, pc = catrack.initial_state(ci, p["k1buf"], p["k2buf"], 0.003, p["k1"], p["k2"],
                                             p["TotalPump"])
    return np.array([c] * 4 + [cb] * 4 + [b] * 4 + [pm, pc])


def _step(x, ica, diam, dt=DT_MS, p=PARAMS):
    return catrack.kinetic_step(*x, ica, CAO_MM, diam, p["DCa"], p["k1buf"], p["k2buf"], p["k1"],
                                p["k2"], p["k3"], p["k4"], p["TotalPump"], dt)


@pytest.mark.parametrize("diam", [1.175, 0.5])
def test_radial_step_matches_dense_newton(diam):
    """Several steps (initial relaxation, an inward pulse, recovery) vs the dense solve."""
    x = _initial()
    rng = np.random.default_rng(3)
    x[:4] *= 1.0 + 0.5 * rng.random(4)  # a radial gradient
    ipmp = 0.0
    for k in range(12):
        ica = ipmp + (-0.05 if 3 <= k < 7 else 0.0)  # pool current includes the pump
        ref, nit = _dense_sparse_step(x, ica, diam, DT_MS)
        got = _step(x, ica, diam)
        np.testing.assert_allclose(np.array(got[:14]), ref, rtol=DENSE_RTOL, atol=DENSE_ATOL)
        assert got[16] == nit  # same number of Newton iterations
        ipmp = got[14]
        np.testing.assert_allclose(
            ipmp, catrack.pump_current(ref[12], ref[13], CAO_MM, PARAMS["k3"], PARAMS["k4"]),
            rtol=DENSE_RTOL)
        assert got[15] == got[0]  # converged: cai is the new outer shell
        x = ref


def test_radial_step_fixed_point_is_pump_cycle_rest():
    """With no channel current the scheme rests at ca = cao k2 k4/(k1 k3) = 1.25e-4 mM."""
    x = _initial()
    ipmp = 0.0
    for _ in range(40_000):  # 1 s
        r = _step(x, ipmp, 1.175)
        x, ipmp = np.array(r[:14]), r[14]
    np.testing.assert_allclose(x[:4], CAO_MM * 0.005 * 0.005 / (1.0 * 1.0),
                               rtol=SPEC_4_DIGITS_RTOL)


def test_radial_step_conserves_calcium_without_pump_and_current():
    p = dict(PARAMS, TotalPump=0.0)
    rng = np.random.default_rng(5)
    x = _initial(p=p)
    x[:4] = 1e-3 * (1.0 + rng.random(4))
    vol = 1.175**2 * catrack.VRAT
    total0 = vol @ (x[:4] + x[4:8])
    for _ in range(400):
        x = np.array(_step(x, 0.0, 1.175, p=p)[:14])
    np.testing.assert_allclose(vol @ (x[:4] + x[4:8]), total0, rtol=MASS_RTOL)


# ----------------------------------------------------------------------------- longitudinal
def _dense_diffusion(c, dcoef, parent, area, dx, dt):
    n = c.size
    vol = area * dx
    mat = np.diag(vol / dt)
    for j in range(n):
        p = parent[j]
        if p >= 0:
            g = 0.5 * (dcoef[j] * area[j] + dcoef[p] * area[p]) / (0.5 * (dx[j] + dx[p]))
            mat[j, j] += g
            mat[p, p] += g
            mat[j, p] -= g
            mat[p, j] -= g
    return np.linalg.solve(mat, vol * c / dt)


def test_longitudinal_step_matches_dense_solve_on_a_branched_tree():
    rng = np.random.default_rng(7)
    n = 12
    parent = np.array([-1, 0, 1, 2, 1, 4, -1, 6, 7, 3, 3, 5], dtype=np.int64)  # two trees
    perm = rng.permutation(n)  # any storage order: the solver walks `order`
    inv = np.argsort(perm)
    par_p = np.array([inv[parent[k]] if parent[k] >= 0 else -1 for k in perm], dtype=np.int64)
    depth = np.array([0, 1, 2, 3, 2, 3, 0, 1, 2, 4, 4, 4])[perm]
    order = np.argsort(depth, kind="stable").astype(np.int64)
    c = rng.random(n)
    area, dx, dco = rng.uniform(0.01, 1, n), rng.uniform(0.05, 2, n), rng.uniform(0.1, 1, n)
    ref = _dense_diffusion(c, dco, par_p, area, dx, DT_MS)
    got = c.copy()
    longitudinal_diffusion_step(got, dco, par_p, order, area, dx, np.empty(n), np.empty(n),
                                DT_MS)
    np.testing.assert_allclose(got, ref, rtol=DENSE_RTOL)
    np.testing.assert_allclose((area * dx) @ got, (area * dx) @ c, rtol=MASS_RTOL)


# ----------------------------------------------------------------------------- spine model
@njit(cache=True)
def _pulse_current(t, v, dly, dur, amp, ampl, aux, celsius):
    if dly <= t < dly + dur:
        return (amp, ampl)
    return (0.0, 0.0)


class CaPulse(DensityMechanism):
    """Test stimulus: square Ca current densities into both pools [mA/cm2]."""

    name = "capulse_test"
    params: ClassVar[Mapping[str, Param]] = {
        "dly": Param(0.0, "ms"), "dur": Param(0.0, "ms"), "amp": Param(0.0, "mA/cm2"),
        "ampl": Param(0.0, "mA/cm2"),
    }
    currents: ClassVar[Mapping[str, str | None]] = {"ica": "ca", "ical": "cal"}
    current = staticmethod(_pulse_current)


@njit(cache=True)
def _bad_advance(t, v, c, D, diam, aux, celsius, dt):
    return (c,)


def _spine(pulse=True, **mech):
    """MODEL.md 6.1 spine on a small passive dendrite; Ca pulses into head (ca) and PSD (cal)."""
    cell = Cell("spiny")
    dend = cell.section("dend", L=20, diam=1, nseg=3)
    dend.Ra = 100
    dend.insert("pas", g=1.15e-5, e=V_INIT_MV)
    neck = cell.section("neck", L=1.5, diam=0.1, nseg=3)
    neck.connect(dend(0.5))
    head = cell.section("head", L=1.0, diam=1.175, nseg=1)
    head.connect(neck(1.0))
    psd = cell.section("psd", L=0.05, diam=0.5, nseg=1)
    psd.connect(head(1.0))
    for sec, ra in ((neck, 100.0), (head, 35.4), (psd, 100.0)):
        sec.Ra = ra
        for var, val in (("cai", CA0_MM), ("cao", CAO_MM), ("cali", CA0_MM), ("calo", CAO_MM)):
            sec.set(var, val)
        sec.insert("catrack", **mech)
        sec.insert("caltrack", **mech)
    if pulse:
        head.insert(CaPulse, dly=30.0, dur=2.0, amp=-0.02)
        psd.insert(CaPulse, dly=30.0, dur=2.0, ampl=-0.05)
    return cell, neck, head, psd


def test_spine_neighbour_structure():
    _, neck, head, psd = _spine(pulse=False)
    pairs = [(neck, 0), (neck, 1), (neck, 2), (head, 0), (psd, 0)]
    parent, order, area, dx = diffusion_neighbours(pairs)
    np.testing.assert_array_equal(parent, [-1, 0, 1, 2, 3])  # the neck is sealed at the dendrite
    np.testing.assert_array_equal(order, [0, 1, 2, 3, 4])
    np.testing.assert_allclose(dx, [0.5, 0.5, 0.5, 1.0, 0.05])
    np.testing.assert_allclose(area, math.pi / 4 * np.array([0.1, 0.1, 0.1, 1.175, 0.5]) ** 2)
    # MODEL.md 4.3: area factors (d_a^2 + d_b^2)/2 over centre distances
    np.testing.assert_allclose((0.1**2 + 1.175**2) / 2, 0.695, rtol=SPEC_3_DIGITS_RTOL)
    np.testing.assert_allclose((1.175**2 + 0.5**2) / 2, 0.815, rtol=SPEC_3_DIGITS_RTOL)


def test_engine_diffusion_step_is_the_dense_solve_and_leaves_cai():
    """One engine step with buffer and pump off: ca_i' = dense diffusion solve; cai untouched."""
    cell = Cell("chain")
    secs = []
    cis = [1e-3, 3e-3, 0.5e-3, 2e-3]
    for k, (d, ci) in enumerate(zip((0.3, 0.8, 0.5, 1.2), cis)):
        sec = cell.section(f"s{k}", L=1.0 + k, diam=d, nseg=1)
        if secs:
            sec.connect(secs[-1](1.0))
        sec.set("cai", ci)
        sec.insert("catrack", TotalPump=0.0, TotalBuffer=0.0)
        secs.append(sec)
    sim = Simulation(cell, dt_ms=DT_MS)
    ca0 = [sim.record("catrack.ca0", s(0.5)) for s in secs]
    ca3 = [sim.record("catrack.ca3", s(0.5)) for s in secs]
    cai = [sim.record("cai", s(0.5)) for s in secs]
    sim.initialize(V_INIT_MV)
    sim.advance(DT_MS)
    area = math.pi / 4 * np.array([0.3, 0.8, 0.5, 1.2]) ** 2
    ref = _dense_diffusion(np.array(cis), np.full(4, 0.6), np.array([-1, 0, 1, 2]), area,
                           np.array([1.0, 2.0, 3.0, 4.0]), DT_MS)
    np.testing.assert_allclose([t.values[-1] for t in ca0], ref, rtol=DENSE_RTOL)
    np.testing.assert_allclose([t.values[-1] for t in ca3], ref, rtol=DENSE_RTOL)
    np.testing.assert_allclose([t.values[-1] for t in cai], cis, rtol=DENSE_RTOL)


def test_spine_conserves_calcium_without_pump_and_current():
    cell, *_ = _spine(pulse=False, TotalPump=0.0)
    sim = Simulation(cell, dt_ms=DT_MS, celsius=35.0)
    sim.initialize(V_INIT_MV)
    bi = next(i for i, b in enumerate(sim.tree.blocks) if b.cls.name == "catrack")
    blk, ent = sim.tree.blocks[bi], sim.layout.blocks[bi]
    rng = np.random.default_rng(11)
    for i in range(4):  # random radial and longitudinal gradients
        sim._F[ent.states[f"ca{i}"]][:] = 1e-3 * (1.0 + rng.random(blk.nodes.size))

    def total():
        d2dx = blk.params["diam"] ** 2 * np.array([0.5 if "neck" in w else 1.0 if "head" in w
                                                   else 0.05 for w in blk.where])
        return sum(catrack.VRAT[i] * d2dx @ (sim._F[ent.states[f"ca{i}"]]
                                             + sim._F[ent.states[f"CaBuffer{i}"]])
                   for i in range(4))

    m0 = total()
    sim.advance(400 * DT_MS)
    np.testing.assert_allclose(total(), m0, rtol=MASS_RTOL)


#: NEURON 9.0.2, this exact model (:func:`_spine`, pulses on, celsius 35, dt 0.025 ms),
#: with the original THREADSAFE catrack/caltrack mechanisms of the TimeScales repository
#: (mod/*.mod, not part of this repository) and a square-pulse ica/ical mechanism:
#: times [ms] and recorded values [mM].  Includes the first-step artefact, the neck's
#: non-converging Newton steps (t ~ 0.5 ms) and the ion-vs-shell split in the PSD.
NEURON_SPINE = {
    "t": [0.025, 0.05, 0.575, 20.0, 31.0, 32.0, 33.0, 40.0, 60.0, 180.0],
    "head.cai": [0.00358651544667, 0.00288359090296, 0.0014110536217, 0.000207826798605,
                 0.00294773426687, 0.00455764122852, 0.00283705201265, 0.000521472016055,
                 0.000197428146, 0.000125059644013],
    "head.cali": [0.00358651544667, 0.00288359090296, 0.0014110536217, 0.000207826798605,
                  0.000294498162662, 0.000369554803411, 0.000285576237089, 0.000167931295304,
                  0.000137431433045, 0.00012501137006],
    "psd.cali": [0.00486139604309, 0.00286309887769, 0.0013951830471, 0.000207354765595,
                 0.00126225401475, 0.00133798020027, 0.000285746855138, 0.000168199615165,
                 0.000137411286802, 0.000125011305381],
    "psd.caltrack.ca0": [0.0040558059642, 0.00288051559474, 0.00140485478229,
                         0.000207640680229, 0.000636085545492, 0.000711360684529,
                         0.000285598240325, 0.000168015761937, 0.000137421345554,
                         0.000125011344503],
    "neck0.cai": [0.0143374910849, 0.0126759887089, 8.67609500769e-05, 0.000139144968709,
                  0.000336118027821, 0.000539874019379, 0.000472764133797, 0.00017802164454,
                  0.000134887588431, 0.000125007800479],
}


@pytest.fixture(scope="module")
def spine_run():
    cell, neck, head, psd = _spine()
    sim = Simulation(cell, dt_ms=DT_MS, celsius=35.0)
    where = {"head": head(0.5), "psd": psd(0.5), "neck0": neck(1 / 6)}
    rec = {k: sim.record(k.partition(".")[2], where[k.partition(".")[0]])
           for k in NEURON_SPINE if k != "t"}
    sim.initialize(V_INIT_MV)
    sim.advance(180.0)
    return {k: tr.values for k, tr in rec.items()}


def _at(trace, t_ms):
    return trace[round(t_ms / DT_MS)]


def test_spine_matches_neuron(spine_run):
    for key, ref in NEURON_SPINE.items():
        if key == "t":
            continue
        got = [_at(spine_run[key], t) for t in NEURON_SPINE["t"]]
        np.testing.assert_allclose(got, ref, rtol=NEURON_RTOL, err_msg=key)


@pytest.fixture(scope="module")
def resting_spine_run():
    cell, _, head, _ = _spine(pulse=False)
    sim = Simulation(cell, dt_ms=DT_MS, celsius=35.0)
    rec = {k: sim.record(k, head(0.5)) for k in ("cai", "cali")}
    sim.initialize(V_INIT_MV)
    sim.advance(180.0)
    return {f"head.{k}": tr.values for k, tr in rec.items()}


def test_spine_reproduces_modelmd_numbers(resting_spine_run):
    """MODEL.md 4.3 [verified, 'two' mode]: head cai 3.59, 2.88, 0.208, 0.132 uM at
    0.025, 0.05, 20, 60 ms (first-step artefact and relaxation); rest cai + cali =
    0.2500 uM at 180 ms.  The head's own Ca channels, absent here, carry negligible
    current at rest."""
    head = resting_spine_run["head.cai"]
    np.testing.assert_allclose([_at(head, t) * 1e3 for t in (0.025, 0.05, 20.0, 60.0)],
                               [3.59, 2.88, 0.208, 0.132], rtol=SPEC_3_DIGITS_RTOL)
    rest = (_at(head, 180.0) + _at(resting_spine_run["head.cali"], 180.0)) * 1e3
    np.testing.assert_allclose(rest, 0.2500, rtol=SPEC_4_DIGITS_RTOL)


def test_spine_transient_is_qualitatively_modelmd(spine_run):
    """Rise during the pulse, peak at its end, decay towards rest; the recorded PSD ion
    value exceeds the PSD shell state after longitudinal diffusion (MODEL.md 4.3, 4.4)."""
    head = spine_run["head.cai"]
    k0, k1 = int(30.0 / DT_MS), int(32.0 / DT_MS)
    assert np.all(np.diff(head[k0 + 2:k1 + 1]) > 0)
    assert int(np.argmax(head[k0:])) + k0 == k1
    assert np.all(np.diff(head[k1 + 40:]) < 0)  # monotone decay after the pulse
    psd_ion, psd_shell = spine_run["psd.cali"], spine_run["psd.caltrack.ca0"]
    during = slice(k0 + 4, k1)
    assert np.all(psd_ion[during] > 1.5 * psd_shell[during])


# ----------------------------------------------------------------------------- API errors
def test_geometry_parameter_cannot_be_set():
    cell, _, head, _ = _spine(pulse=False)
    sim = Simulation(cell, dt_ms=DT_MS)
    with pytest.raises(ModelError, match="morphology"):
        sim.set("catrack.diam", head(0.5), 2.0)
    blk = sim.tree.block("catrack")
    assert blk.params["diam"][blk.where.index("head(0.5)")] == 1.175  # from the section


def test_bad_declarations_are_rejected():
    base = {"name": "bad_ct", "params": {"D": Param(1.0, "um2/ms"), "diam": Param(1.0, "um")},
            "states": {"c": Param(0.0, "mM")}, "writes": (),
            "advance": staticmethod(_bad_advance)}
    for extra, msg in (({"diffusion": {"x": "D"}}, "not a state"),
                       ({"diffusion": {"c": "diam"}}, "um2/ms"),
                       ({"geometry": ("L",)}, "not supported")):
        cls = type("Bad", (DensityMechanism,), {**base, **extra, "__doc__": "x"})
        with pytest.raises(ModelError, match=msg):
            Catalogue("t").register(cls)


def test_negative_diffusion_coefficient_rejected():
    with pytest.raises(ModelError, match="DCa"):
        catrack.CaTrack(DCa=-1.0)
