"""Engine behaviour: the API, recording, chunking, save/restore, user mechanisms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit

from electrical import (
    Catalogue,
    Cell,
    DensityMechanism,
    IClamp,
    ModelError,
    Param,
    PlayCurrent,
    Simulation,
    default_catalogue,
)

# Splitting a run or restoring a state replays the same floating-point operations.
BITWISE = 0.0


def _cell(nseg=5):
    cell = Cell("c")
    soma = cell.section("soma", L=20, diam=20, Ra=100)
    dend = cell.section("dend", L=300, diam=1, nseg=nseg, Ra=100, parent=soma(1))
    soma.insert("hh")
    dend.insert("pas", g=1e-4, e=-65)
    stim = cell.place(soma(0.5), IClamp(delay=1, dur=20, amp=0.3))
    return cell, soma, dend, stim


def test_chunked_advance_equals_one_advance():
    runs = []
    for chunks in ([20.0], [3.0, 7.5, 20.0], list(np.arange(0.025, 20.0001, 0.025))):
        cell, soma, dend, _ = _cell()
        sim = Simulation(cell)
        v = sim.record("v", dend(0.9))
        sim.initialize(-65)
        for t in chunks:
            sim.advance(float(t))
        runs.append(v.values)
    np.testing.assert_allclose(runs[1], runs[0], rtol=0, atol=BITWISE)
    np.testing.assert_allclose(runs[2], runs[0], rtol=0, atol=BITWISE)


def test_record_every_k_steps_and_time_vector():
    cell, soma, dend, stim = _cell()
    sim = Simulation(cell)
    v1 = sim.record("v", soma(0.5))
    v4 = sim.record("v", soma(0.5), every=4)
    m = sim.record("hh.m", soma(0.5), every=2)
    ina = sim.record("ina", soma(0.5))
    i = sim.record("i", stim)
    gpas = sim.record("pas.g", dend(0.3), every=3)
    sim.initialize(-65)
    sim.advance(5.0)
    sim.advance(10.0)
    assert v1.values.size == 401 and v4.values.size == 101 and m.values.size == 201
    np.testing.assert_array_equal(v4.values, v1.values[::4])
    np.testing.assert_allclose(v4.t_ms, np.arange(101) * 0.1, atol=1e-12)
    np.testing.assert_allclose(gpas.values, 1e-4)
    assert i.values[0] == 0 and i.values[-1] == pytest.approx(0.3)
    assert np.all(ina.values[1:] != 0) and ina.unit == "mA/cm2"
    assert 0 < m.values.min() < m.values.max() < 1


def test_save_restore_continue_equals_straight_run():
    cell, soma, dend, _ = _cell()
    sim = Simulation(cell)
    v = sim.record("v", dend(0.5))
    sim.initialize(-65)
    sim.advance(6.0)
    blob = sim.save_state()
    sim.advance(15.0)
    straight = v.values[-360:].copy()
    sim.restore_state(blob)
    assert sim.t_ms == pytest.approx(6.0)
    sim.advance(15.0)
    np.testing.assert_allclose(v.values[-360:], straight, rtol=0, atol=BITWISE)


def test_point_parameter_change_between_advances():
    cell, soma, dend, stim = _cell()
    sim = Simulation(cell)
    i = sim.record("i", stim)
    sim.initialize(-65)
    sim.advance(5.0)
    stim.set_param("amp", 0.0)
    sim.advance(10.0)
    assert i.values[150] == pytest.approx(0.3) and i.values[-1] == 0.0
    assert stim.param("amp") == 0.0


def test_per_segment_values_and_runtime_set():
    cell, soma, dend, _ = _cell(nseg=4)
    dend.set("pas.g", lambda x: 1e-4 * (1 + x))
    np.testing.assert_allclose(
        dend.get("pas.g"), 1e-4 * (1 + np.array([0.125, 0.375, 0.625, 0.875]))
    )
    sim = Simulation(cell)
    g = sim.record("pas.g", dend(0.9))
    sim.initialize(-65)
    sim.set("pas.g", dend(0.9), 5e-4)
    sim.advance(0.05)
    assert g.values[-1] == 5e-4


def test_play_current_interpolates_at_mid_step():
    cell = Cell("c")
    soma = cell.section("soma", L=10, diam=10)
    soma.insert("pas")
    pc = cell.place(soma(0.5), PlayCurrent([0.0, 1.0], [0.0, 1.0]))
    step = cell.place(soma(0.5), PlayCurrent([0.0, 0.5], [0.2, 0.7], interpolate=False))
    sim = Simulation(cell)
    i = sim.record("i", pc)
    j = sim.record("i", step)
    sim.initialize(-65)
    sim.advance(2.0)
    # sample k holds the current of step k-1, evaluated at t = (k - 0.5) dt
    t_mid = (np.arange(1, 81) - 0.5) * 0.025
    np.testing.assert_allclose(i.values[1:], np.minimum(t_mid, 1.0), rtol=1e-12)
    np.testing.assert_allclose(j.values[1:], np.where(t_mid < 0.5, 0.2, 0.7))


def test_user_mechanism_in_own_catalogue_runs():
    @njit(cache=False)
    def cur(t, v, gbar, e, aux, celsius):
        return (gbar * (v - e),)

    class MyLeak(DensityMechanism):
        """A second leak, registered in a private catalogue."""

        name = "myleak_test"
        params = {"gbar": Param(2e-4, "S/cm2", (0, math.inf)), "e": Param(-80.0, "mV")}
        currents = {"i": None}
        current = staticmethod(cur)

    cat = Catalogue("lab")
    cat.register(MyLeak)
    default_catalogue.extend(cat, prefix="lab/")
    assert "lab/myleak_test" in default_catalogue
    with pytest.raises(ModelError, match="already has a mechanism"):
        cat.register(type("Other", (MyLeak,), {"__doc__": "x"}))
    cell = Cell("c")
    soma = cell.section("soma", L=10, diam=10)
    soma.insert(MyLeak)
    sim = Simulation(cell)
    v = sim.record("v", soma(0.5))
    sim.initialize(-65)
    sim.advance(200)
    assert v.values[-1] == pytest.approx(-80.0, abs=1e-6)


def test_kernels_chosen_by_globals_replace_the_class_kernels():
    """Mechanism.kernels(globals) gives the advance kernel of the model's global value.

    A counter state steps by 1 per time step with the class kernel and by 2 with the
    override; 150 segments span two chunks of the vectorised loop and a remainder.
    """

    @njit(cache=False)
    def start(t, v, mode, aux, celsius):
        return (0.0,)

    @njit(cache=False)
    def by_one(t, v, x, mode, aux, celsius, dt):
        return (x + 1.0,)

    @njit(cache=False)
    def by_two(t, v, x, mode, aux, celsius, dt):
        return (x + 2.0 * aux[0],)

    class Counter(DensityMechanism):
        """Counts time steps."""

        name = "counter_test"
        params = {"mode": Param(0.0, "1")}
        states = {"x": Param(0.0, "1")}
        globals = {"fast": Param(0.0, "1", (0.0, 1.0), "1: count by 2")}
        init = staticmethod(start)
        advance = staticmethod(by_one)

        @classmethod
        def make_aux(cls, celsius, globals_, instances):
            return np.ones(1)

        @classmethod
        def kernels(cls, globals_):
            return {"advance": by_two} if globals_["fast"] else {}

    cat = Catalogue("lab2")
    cat.register(Counter)
    counts = {}
    for fast in (0.0, 1.0):
        cell = Cell("c")
        sec = cell.section("cable", L=300, diam=1, nseg=150)
        sec.insert(Counter)
        sim = Simulation(cell, mech_globals={"counter_test": {"fast": fast}})
        x = [sim.record("counter_test.x", sec(pos)) for pos in (0.001, 0.5, 0.999)]
        sim.initialize(-65)
        sim.advance(10 * sim.dt_ms)
        counts[fast] = [r.values[-1] for r in x]
    assert counts == {0.0: [10.0] * 3, 1.0: [20.0] * 3}
    # a replacement is checked like the class's kernels
    Counter.kernels = classmethod(lambda cls, g: {"advance": start})
    with pytest.raises(ModelError, match=r"kernel 'advance' has arguments \(t, v, mode, aux"):
        Simulation(cell)
    Counter.kernels = classmethod(lambda cls, g: {"receive": by_two})
    with pytest.raises(ModelError, match="'receive' replaces no kernel"):
        Simulation(cell)


def test_kernel_signature_is_checked():
    @njit
    def bad(t, v, e, g, aux, celsius):  # parameters in the wrong order
        return (g * (v - e),)

    class Bad(DensityMechanism):
        """Wrong argument order."""

        name = "bad_sig"
        params = {"g": Param(1e-3, "S/cm2"), "e": Param(-70.0, "mV")}
        currents = {"i": None}
        current = staticmethod(bad)

    with pytest.raises(ModelError, match=r"expected \(t, v, g, e, aux, celsius\)"):
        Catalogue("x").register(Bad)


def test_exact_hh_rates_option_differs_slightly_from_tables():
    out = {}
    for usetable in (1, 0):
        cell, soma, dend, _ = _cell()
        sim = Simulation(cell, mech_globals={"hh": {"usetable": usetable}})
        v = sim.record("v", soma(0.5))
        sim.initialize(-65)
        sim.advance(20)
        out[usetable] = v.values
    diff = np.abs(out[1] - out[0]).max()
    assert 0 < diff < 5.0  # same spikes, small table interpolation error


def test_repr_forms():
    cell, soma, dend, stim = _cell()
    sim = Simulation(cell)
    assert repr(soma).startswith("<Section name=soma")
    assert repr(cell).startswith("<Cell name=c n_sections=2 n_segments=6")
    assert repr(sim).startswith("<Simulation n_cells=1")
    assert "IClamp[0]" in repr(stim)


# An integral is the same sum of the same step values as the recorded trace;
# only the order of additions differs.
INTEGRAL_ROUNDOFF = 1e-12


def test_integral_equals_sum_of_recorded_step_values():
    cell, soma, dend, stim = _cell()
    sim = Simulation(cell, dt_ms=0.025, celsius=6.3)
    ina = sim.record("ina", soma(0.5))
    i_stim = sim.record("i", stim)
    area = float(sim.tree.area[sim.tree.node_of(soma(0.5))])
    q_na = sim.integrate([("ina", soma(0.5), area), ("ina", soma(0.5), area)])
    q_stim = sim.integrate("i", stim)
    sim.initialize(-65.0)
    sim.advance(10.0)
    first = q_na.take()
    sim.advance(25.0)
    second = q_na.take()
    expected = 2 * area * float(np.sum(ina.values[1:])) * sim.dt_ms
    assert first + second == pytest.approx(expected, rel=INTEGRAL_ROUNDOFF)
    assert q_na.total == pytest.approx(expected, rel=INTEGRAL_ROUNDOFF)
    assert first != 0.0 and second != 0.0
    # IClamp of 0.3 nA for 20 ms: 6 pC, recorded and integrated alike
    assert q_stim.total == pytest.approx(float(np.sum(i_stim.values[1:])) * sim.dt_ms,
                                         rel=INTEGRAL_ROUNDOFF)
    assert q_stim.total == pytest.approx(0.3 * 20.0, rel=1e-9)  # electrode current, inward +


def test_integral_survives_save_restore_and_rejects_bad_terms():
    cell, soma, dend, stim = _cell()
    sim = Simulation(cell, dt_ms=0.025, celsius=6.3)
    q = sim.integrate("ina", soma(0.5))
    sim.initialize(-65.0)
    sim.advance(5.0)
    blob = sim.save_state()
    sim.advance(10.0)
    after = q.total
    sim.restore_state(blob)
    sim.advance(10.0)
    assert q.total == after
    with pytest.raises(ModelError, match="different units"):
        sim.integrate([("ina", soma(0.5), 1.0), ("v", soma(0.5), 1.0)])
    with pytest.raises(ModelError, match="what, where, weight"):
        sim.integrate([("ina", soma(0.5))])


def test_probe_reads_the_current_values():
    cell, soma, dend, stim = _cell()
    sim = Simulation(cell, dt_ms=0.025, celsius=6.3)
    probe = sim.probe([("v", dend(0.5)), ("hh.m", soma(0.5)), ("v", soma(0.5)), ("ena", soma(0.5))])
    v_d = sim.record("v", dend(0.5))
    m = sim.record("hh.m", soma(0.5))
    sim.initialize(-65.0)
    sim.advance(3.0)
    got = probe.values()
    assert got[0] == v_d.values[-1] and got[1] == m.values[-1]
    assert got[3] == 50.0 and len(probe) == 4
    with pytest.raises(ModelError, match="what, where"):
        sim.probe(["v"])
