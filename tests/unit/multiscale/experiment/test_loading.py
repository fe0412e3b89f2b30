"""Experiment files load into the documented defaults; timescales and Poisson stimuli."""

from __future__ import annotations

import numpy as np

from multiscale import experiment as ex

from ._shared import MINIMAL


def test_minimal_experiment_gets_the_documented_defaults():
    exp = ex.loads(MINIMAL, name="mini")
    assert exp.name == "mini"
    assert exp.simulation.dt_ms == 0.025 and exp.simulation.equilibrate_ms == 100.0
    assert exp.simulation.equilibrate_biochem_s == 300.0 and exp.simulation.v_init_mV == -87.75
    assert exp.scheduler.kind == "event-driven" and exp.scheduler.window_ms == 10.0
    assert exp.coupling.calcium == "influx"
    assert exp.biochemical_spines() == (1,) and exp.stimulated_spines() == (1,)
    assert exp.recorded_heads() == (1,)
    assert exp.species() == ex.DEFAULT_SPECIES
    (spine, syn, times, delay, origin), *_ = exp.input_events()
    np.testing.assert_array_equal(times, [150.0, 200.0, 250.0])
    assert (spine, syn, delay, origin) == (1, "ampa", 1.0, "stimuli.train[0]")


def test_timescales_descriptions_give_the_original_spike_times():
    text = MINIMAL.replace("[[stimuli.train]]", "[[stimuli.skip]]").split("[[stimuli.skip]]")[0]
    text += """
[[stimuli.timescales]]
spines = [1]
t_stim_s = 0.13
numbers = 2
delay_s = 0.05
[[stimuli.timescales]]
spines = [1]
t_stim_s = 0.18
numbers = 1
delay_s = 0.05
"""
    exp = ex.loads(text)
    by = {(n, syn): t for n, syn, t, _, _ in exp.input_events()}
    # first spike one interval after t_stim; the 230-ms spike of both descriptions merged once
    np.testing.assert_allclose(by[(1, "ampa")], [180.0, 230.0], rtol=0, atol=1e-12)
    assert set(by) == {(1, "ampa"), (1, "nmda")}


def test_poisson_trains_depend_on_the_seed_only():
    text = (
        MINIMAL.split("[[stimuli.train]]")[0]
        + """
[[stimuli.poisson]]
spines = [1, 2]
rate_hz = 50.0
start_ms = 120.0
stop_ms = 300.0
"""
    )
    a = ex.loads(text).input_events()
    b = ex.loads(text).input_events()
    c = ex.loads(text, overrides=["experiment.seed=7"]).input_events()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x[2], y[2])
    assert not np.array_equal(a[0][2], c[0][2])
    assert not np.array_equal(a[0][2], a[2][2])  # spines 1 and 2 draw different trains
