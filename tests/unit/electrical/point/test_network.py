"""Point-neuron networks: sources, connections, timing rules, recorders, chunking."""

from __future__ import annotations

import numpy as np
import pytest

from electrical import ModelError, UnknownVariableError
from electrical.point import HTNeuron, Network, UnknownReceptorError

#: Rest of the full model without input (SEEDS.md 0.7 prints -65.80 mV).
REST_ATOL_MV = 0.01
#: Poisson counts: mean within 5 standard errors (fixed seed; fails for a wrong rate).
POISSON_SIGMAS = 5.0


def _net(n=1, **params):
    net = Network(0.1)
    return net, net.create(HTNeuron(**params), n)


def test_receptor_by_name_with_did_you_mean():
    net, pop = _net()
    sg = net.spike_generator([1.0])
    with pytest.raises(UnknownReceptorError, match="did you mean 'AMPA'"):
        net.connect(sg, pop, 1.0, receptor="AMPPA")
    with pytest.raises(LookupError, match="receptor code 0"):
        net.connect(sg, pop, 1.0, receptor=0)
    with pytest.raises(ModelError, match="give receptor="):
        net.connect(sg, pop, 1.0)
    assert net.connect(sg, pop, 1.0, receptor=4).receptor == 3
    assert net.connect(sg, pop, 1.0, receptor="NMDA").delay_ms == 1.0


@pytest.mark.parametrize(
    ("kw", "msg"),
    [
        ({"delay_ms": 0.05, "receptor": "AMPA"}, "shorter than the resolution"),
        ({"weight": -1.0, "receptor": "AMPA"}, "must be >= 0"),
        ({"weight": "a", "receptor": "AMPA"}, "not a number"),
    ],
)
def test_bad_connections(kw, msg):
    net, pop = _net()
    with pytest.raises(ModelError, match=msg):
        net.connect(net.spike_generator([1.0]), pop, **kw)


def test_bad_arguments():
    net, pop = _net()
    with pytest.raises(ModelError, match="drop receptor"):
        net.connect(net.dc_generator(1.0), pop, receptor="AMPA")
    with pytest.raises(ModelError, match="whole number of resolution steps"):
        net.run(0.05)
    with pytest.raises(UnknownVariableError, match="did you mean 'g_AMPA'"):
        net.multimeter(pop, ["g_AMPAA"])
    with pytest.raises(ModelError, match="whole multiple"):
        net.multimeter(pop, ["V_m"], interval_ms=0.15)
    with pytest.raises(ModelError, match="n = 0"):
        net.create(HTNeuron(), 0)
    with pytest.raises(ModelError, match="rate_hz"):
        net.poisson_generator(-1.0)
    with pytest.raises(UnknownVariableError, match="did you mean 'V_m'"):
        pop.get("V_M")


def test_spike_arrives_at_step_end():
    """Spike at 1 ms + delay 1 ms: added at t = 2.0; off-grid 1.05 ms: at 2.1."""
    for delay, t_jump in ((1.0, 2.0), (1.05, 2.1)):
        net, pop = _net()
        net.connect(net.spike_generator([1.0]), pop, 1.0, delay_ms=delay, receptor="AMPA")
        mm = net.multimeter(pop, ["g_AMPA"])
        net.run(5.0)
        t, g = mm.times_ms, mm.data["g_AMPA"][:, 0]
        k = int(np.argmin(np.abs(t - t_jump)))
        assert np.all(g[: k + 1] == 0.0) and g[k + 1] > 0.0


def test_dc_acts_from_start():
    net, pop = _net()
    net.connect(net.dc_generator(20.0, start_ms=2.0), pop)
    mm = net.multimeter(pop, ["V_m"])
    net.run(3.0)
    net0, pop0 = _net()
    mm0 = net0.multimeter(pop0, ["V_m"])
    net0.run(3.0)
    same = mm.data["V_m"][:, 0] == mm0.data["V_m"][:, 0]
    assert same[:20].all() and not same[20:].any()  # samples at 0.1..2.0 ms equal


def test_chunked_runs_equal_one_run():
    def build():
        net, pop = _net(3)
        for k, rec in enumerate(("AMPA", "NMDA", "GABA_A", "GABA_B")):
            w = (30.0, 30.0, 5.0, 10.0)[k]
            net.connect(net.poisson_generator(100.0, seed=10 + k), pop, w, receptor=rec)
        return net, net.multimeter(pop, ["V_m", "I_KNa"]), net.spike_recorder(pop)

    a, mma, sra = build()
    a.run(250.0)
    b, mmb, srb = build()
    for t in (0.1, 99.9, 50.0, 100.0):
        b.run(t)
    np.testing.assert_array_equal(mma.times_ms, mmb.times_ms)
    np.testing.assert_array_equal(mma.data["V_m"], mmb.data["V_m"])
    np.testing.assert_array_equal(sra.times_ms, srb.times_ms)
    assert sra.times_ms.size > 10
    assert len(set(map(tuple, mma.data["V_m"].T))) == 3, "independent trains per target"


def test_population_equals_single_neurons():
    times = [5.0, 5.3, 12.0, 12.0, 30.0]
    out = []
    for n in (1, 4):
        net, pop = _net(n)
        net.connect(net.spike_generator(times), pop, 40.0, receptor="AMPA")
        net.connect(net.dc_generator(5.0), pop)
        mm = net.multimeter(pop, ["V_m", "g_NMDA"], neurons=[n - 1])
        net.run(60.0)
        out.append(mm.data["V_m"][:, 0])
    np.testing.assert_array_equal(out[0], out[1])


def test_poisson_rate_and_seed():
    net, _ = _net()
    pg = net.poisson_generator(100.0, start_ms=0.0, stop_ms=1000.0, seed=3)
    tgt, t = pg._spikes(0, 2000, 0.0, 1000.0)
    counts = np.bincount(tgt, minlength=2000)
    assert abs(counts.mean() - 100.0) < POISSON_SIGMAS * np.sqrt(100.0 / 2000)
    assert np.all((t >= 0) & (t < 1000.0))
    _, t2 = net.poisson_generator(100.0, stop_ms=1000.0, seed=3)._spikes(0, 2000, 0.0, 1000.0)
    np.testing.assert_array_equal(t, t2)


def test_rest_of_full_model():
    net, pop = _net()
    mm = net.multimeter(pop, ["V_m"], interval_ms=10.0)
    net.run(5000.0)  # D_IKNa relaxes with tau 1250 ms
    assert mm.data["V_m"][-1, 0] == pytest.approx(-65.80, abs=REST_ATOL_MV)


def test_voltage_clamp_and_equilibrate():
    net, pop = _net(voltage_clamp=True)
    pop.set("V_m", -60.0)
    pop.equilibrate()
    assert pop.get("m_Ih")[0] == pytest.approx(1.0 / (1.0 + np.exp(15.0 / 5.5)))
    net.connect(net.dc_generator(50.0), pop)
    mm = net.multimeter(pop, ["V_m", "I_h"])
    net.run(10.0)
    assert np.all(mm.data["V_m"] == -60.0)
    np.testing.assert_allclose(mm.data["I_h"][:, 0], mm.data["I_h"][0, 0], rtol=1e-12)
