"""HTNeuron against NEST 3.10's ht_neuron, run live on the same input spike times.

The seed protocol of NEST's "intrinsic currents spiking" example (four inputs at
100 Hz on AMPA, NMDA, GABA_A, GABA_B with weights 30, 30, 5, 10, 250 ms), with the
Poisson trains drawn once from a seeded numpy generator (on the 0.1-ms grid) and given
to NEST's spike_generator and to ours, for six seeds.  Both integrate with the same
scheme (GSL rkf45, control_y(1e-3, 0), SEEDS.md 0.8), so the traces agree to round-off;
the tolerances are those of the issue.
"""

from __future__ import annotations

import numpy as np
import pytest

from electrical import point

nest = pytest.importorskip(
    "nest", reason="NEST (PyPI 'nest-simulator' >= 3.10, in the test extra) is not installed"
)

#: Issue 17: spike times within one resolution step.
SPIKE_T_ATOL_MS = 0.1
#: Issue 17: V away from spikes within 0.5 mV.
V_ATOL_MV = 0.5
#: Issue 17: every recordable within 1% of its range.
RANGE_RTOL = 0.01
#: "Away from spikes": from one step before a spike to t_ref + one step after it.
SPIKE_MASK_MS = (0.1, 2.1)

RESOLUTION_MS = 0.1
RATE_HZ = 100.0
WEIGHTS = {"AMPA": 30.0, "NMDA": 30.0, "GABA_A": 5.0, "GABA_B": 10.0}
T_MS = 250.0
SEEDS = (0, 1, 2, 3, 4, 5)  # the seed protocol + 5 seeds


def poisson_inputs(seed: int) -> dict[str, np.ndarray]:
    """One Poisson train per receptor on (0, T], rounded up to the grid (NEST's spike times)."""
    rng = np.random.default_rng(seed)
    out = {}
    for rec in WEIGHTS:
        n = rng.poisson(RATE_HZ * T_MS / 1000.0)  # Hz * ms / 1000
        t = np.sort(rng.uniform(0.0, T_MS, n))
        steps = np.maximum(np.ceil(np.round(t / RESOLUTION_MS, 9)), 1)
        out[rec] = np.round(steps * RESOLUTION_MS, 10)
    return out


def run_nest(inputs):
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.local_num_threads = 1
    nest.resolution = RESOLUTION_MS
    nrn = nest.Create("ht_neuron")
    mm = nest.Create(
        "multimeter", params={"interval": RESOLUTION_MS, "record_from": list(point.RECORDABLES)}
    )
    sr = nest.Create("spike_recorder")
    codes = nest.GetDefaults("ht_neuron")["receptor_types"]
    for rec, w in WEIGHTS.items():
        sg = nest.Create("spike_generator", params={"spike_times": inputs[rec]})
        nest.Connect(sg, nrn, syn_spec={"receptor_type": codes[rec], "weight": w, "delay": 1.0})
    nest.Connect(mm, nrn)
    nest.Connect(nrn, sr)
    nest.Simulate(T_MS)
    return mm.get("events"), np.asarray(sr.get("events")["times"])


def run_ours(inputs):
    net = point.Network(RESOLUTION_MS)
    pop = net.create(point.HTNeuron(), 1)
    for rec, w in WEIGHTS.items():
        net.connect(net.spike_generator(inputs[rec]), pop, weight=w, delay_ms=1.0, receptor=rec)
    mm = net.multimeter(pop, interval_ms=RESOLUTION_MS)
    sr = net.spike_recorder(pop)
    net.run(T_MS)
    return mm, sr.times_ms


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def both(request):
    inputs = poisson_inputs(request.param)
    nest_data, nest_spikes = run_nest(inputs)
    mm, spikes = run_ours(inputs)
    return nest_data, nest_spikes, mm, spikes


def test_spikes_equal_nest(both):
    _nest_data, nest_spikes, _mm, spikes = both
    assert nest_spikes.size > 5, "the protocol makes the neuron fire"
    assert spikes.size == nest_spikes.size
    np.testing.assert_allclose(spikes, nest_spikes, rtol=0, atol=SPIKE_T_ATOL_MS)


def test_traces_equal_nest(both):
    nest_data, nest_spikes, mm, _spikes = both
    # NEST's multimeter has not flushed its last min_delay (1 ms): compare its samples.
    t = np.asarray(nest_data["times"])
    idx = np.round(t / RESOLUTION_MS).astype(int) - 1
    np.testing.assert_allclose(mm.times_ms[idx], t, rtol=0, atol=1e-9)
    away = np.ones(t.size, bool)
    for ts in nest_spikes:
        away &= ~((t > ts - SPIKE_MASK_MS[0] - 1e-9) & (t < ts + SPIKE_MASK_MS[1]))
    assert away.sum() > t.size // 2
    ours_v = mm.data["V_m"][idx, 0]
    np.testing.assert_allclose(ours_v[away], nest_data["V_m"][away], rtol=0, atol=V_ATOL_MV)
    for name in point.RECORDABLES:
        ref = np.asarray(nest_data[name])
        span = np.ptp(ref)
        assert span > 0, name
        np.testing.assert_allclose(
            mm.data[name][idx, 0], ref, rtol=0, atol=RANGE_RTOL * span, err_msg=name
        )


#: Same scheme, same inputs: only the last bits may differ.
DC_V_ATOL_MV = 1e-9


@pytest.mark.parametrize("delay_ms", [0.1, 1.0])
def test_dc_timing_equals_nest(delay_ms):
    """NEST's dc_generator on [start, stop) with connection delay d acts on the steps in
    [start + d, stop + d): our dc_generator(start + d, stop + d) gives the same trace."""
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.local_num_threads = 1
    nest.resolution = RESOLUTION_MS
    nrn = nest.Create("ht_neuron")
    dc = nest.Create("dc_generator", params={"amplitude": 30.0, "start": 2.0, "stop": 30.0})
    nest.Connect(dc, nrn, syn_spec={"delay": delay_ms})
    mm = nest.Create("multimeter", params={"interval": RESOLUTION_MS, "record_from": ["V_m"]})
    nest.Connect(mm, nrn)
    sr = nest.Create("spike_recorder")
    nest.Connect(nrn, sr)
    nest.Simulate(60.0)
    ev = mm.get("events")
    t_nest, v_nest = np.asarray(ev["times"]), np.asarray(ev["V_m"])

    net = point.Network(RESOLUTION_MS)
    pop = net.create(point.HTNeuron(), 1)
    net.connect(net.dc_generator(30.0, start_ms=2.0 + delay_ms, stop_ms=30.0 + delay_ms), pop)
    ours = net.multimeter(pop, ["V_m"], interval_ms=RESOLUTION_MS)
    spikes = net.spike_recorder(pop)
    net.run(60.0)
    idx = np.round(t_nest / RESOLUTION_MS).astype(int) - 1
    assert np.asarray(sr.get("events")["times"]).size == spikes.times_ms.size > 0
    np.testing.assert_allclose(ours.data["V_m"][idx, 0], v_nest, rtol=0, atol=DC_V_ATOL_MV)
