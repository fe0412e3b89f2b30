"""Input-event sources of :mod:`electrical.events`: counts, timing, seeds and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from electrical import Cell, ModelError, Simulation, events
from electrical.mechanisms import ExpSyn

#: Times built by one multiplication vs the reference's repeated addition of 1000*delay
#: differ by a few ulp of ~1e4 ms (MODEL.md 5.2): 1e-9 ms is far above that, far below dt.
T_REPEATED_ADDITION_ATOL_MS = 1e-9
#: Poisson count for rate*T = 2000 expected spikes: 5 standard deviations (sqrt(2000) = 45).
POISSON_COUNT_ATOL = 5 * math.sqrt(2000.0)
#: An ExpSyn with tau = 1e9 ms loses < 4e-9 of g in 4 ms.
G_NO_DECAY_RTOL = 1e-8


# ----------------------------------------------------------------------------- explicit


def test_spike_times_sorts_and_keeps_duplicates():
    t = events.spike_times([5.0, 1.0, 3.0, 3.0])
    np.testing.assert_array_equal(t, [1.0, 3.0, 3.0, 5.0])
    assert t.dtype == np.float64


def test_spike_times_empty():
    assert events.spike_times([]).size == 0


@pytest.mark.parametrize("bad", [[1.0, math.nan], [math.inf], [0.0, -math.inf]])
def test_spike_times_rejects_non_finite(bad):
    with pytest.raises(ModelError, match=r"times_ms\[\d\] = (nan|inf|-inf) ms is not finite"):
        events.spike_times(bad)


def test_spike_times_rejects_non_numbers_and_2d():
    with pytest.raises(ModelError, match="not a sequence of numbers"):
        events.spike_times(["a", 1.0])
    with pytest.raises(ModelError, match="one-dimensional"):
        events.spike_times(np.zeros((2, 2)))


# ----------------------------------------------------------------------------- regular


def test_regular_train_interval_and_frequency_agree():
    a = events.regular_train(start_ms=10.0, number=5, interval_ms=25.0)
    b = events.regular_train(start_ms=10.0, number=5, frequency_hz=40.0)
    np.testing.assert_array_equal(a, [10.0, 35.0, 60.0, 85.0, 110.0])
    np.testing.assert_allclose(b, a, rtol=0, atol=T_REPEATED_ADDITION_ATOL_MS)


def test_regular_train_zero_spikes():
    assert events.regular_train(0.0, 0, interval_ms=1.0).size == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"start_ms": 0.0, "number": 3}, "exactly one of interval_ms and frequency_hz"),
        (
            {"start_ms": 0.0, "number": 3, "interval_ms": 1.0, "frequency_hz": 5.0},
            "exactly one of",
        ),
        ({"start_ms": 0.0, "number": 3, "interval_ms": 0.0}, r"interval_ms = 0.0 ms must be > 0"),
        ({"start_ms": 0.0, "number": 3, "frequency_hz": -5.0}, r"frequency_hz = -5.0 Hz"),
        ({"start_ms": math.nan, "number": 3, "interval_ms": 1.0}, "start_ms = nan ms must be"),
        ({"start_ms": 0.0, "number": -1, "interval_ms": 1.0}, "number = -1 must be >= 0"),
        ({"start_ms": 0.0, "number": 2.5, "interval_ms": 1.0}, "number = 2.5 must be a whole"),
        ({"start_ms": "x", "number": 2, "interval_ms": 1.0}, "start_ms = 'x' is not a number"),
    ],
)
def test_regular_train_errors(kwargs, match):
    with pytest.raises(ModelError, match=match):
        events.regular_train(**kwargs)


# ----------------------------------------------------------------------------- Poisson


def test_poisson_same_seed_same_train_other_seed_other_train():
    a = events.poisson_train(20.0, 0.0, 1000.0, seed=7)
    b = events.poisson_train(20.0, 0.0, 1000.0, seed=7)
    c = events.poisson_train(20.0, 0.0, 1000.0, seed=8)
    np.testing.assert_array_equal(a, b)
    assert a.size != c.size or not np.array_equal(a, c)


def test_poisson_generator_is_used_and_advanced():
    rng = np.random.default_rng(3)
    a = events.poisson_train(50.0, 0.0, 500.0, seed=rng)
    b = events.poisson_train(50.0, 0.0, 500.0, seed=rng)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, events.poisson_train(50.0, 0.0, 500.0, seed=3))


def test_poisson_interval_sorted_and_count():
    t = events.poisson_train(rate_hz=100.0, start_ms=200.0, stop_ms=20200.0, seed=12345)
    assert np.all(np.diff(t) >= 0)
    assert t.min() >= 200.0 and t.max() < 20200.0
    assert t.size == pytest.approx(2000.0, abs=POISSON_COUNT_ATOL)


def test_poisson_zero_rate_and_empty_interval():
    assert events.poisson_train(0.0, 0.0, 100.0, seed=1).size == 0
    assert events.poisson_train(100.0, 5.0, 5.0, seed=1).size == 0


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((-1.0, 0.0, 10.0), {"seed": 1}, r"rate_hz = -1.0 Hz must be >= 0"),
        ((1.0, 10.0, 5.0), {"seed": 1}, r"stop_ms = 5.0 ms is before start_ms = 10.0 ms"),
        ((1.0, 0.0, math.inf), {"seed": 1}, r"stop_ms = inf ms must be finite"),
        ((math.nan, 0.0, 1.0), {"seed": 1}, r"rate_hz = nan Hz must be finite"),
        ((1.0, 0.0, 1.0), {"seed": 1.5}, r"seed = 1.5 must be an int"),
        ((1.0, 0.0, 1.0), {"seed": -3}, r"seed = -3 must be >= 0"),
    ],
)
def test_poisson_errors(args, kwargs, match):
    with pytest.raises(ModelError, match=match):
        events.poisson_train(*args, **kwargs)


# ----------------------------------------------------------------------------- TimeScales


def test_timescales_first_spike_one_interval_after_t_stim():
    # "2@20 Hz from 0.18 s" of MODEL.md 8.5 short_tstop_k_flux_investigation
    t = events.timescales_stimulus(t_stim_s=0.18, numbers=2, delay_s=0.05)
    np.testing.assert_allclose(t, [230.0, 280.0], rtol=0, atol=T_REPEATED_ADDITION_ATOL_MS)
    f = events.timescales_stimulus(t_stim_s=0.18, numbers=2, frequency_hz=20.0)
    np.testing.assert_allclose(f, t, rtol=0, atol=T_REPEATED_ADDITION_ATOL_MS)


def test_timescales_times_are_repeated_additions():
    # 50 @ 20 Hz from 2.05 s (the clustered-plasticity train): t_stim = 2.0 s, delay 0.05 s
    t = events.timescales_stimulus(2.0, 50, delay_s=0.05)
    expect, acc = [], 2000.0
    for _ in range(50):
        acc = acc + 50.0
        expect.append(acc)
    np.testing.assert_array_equal(t, expect)  # bit-identical to the reference recipe
    assert t[0] == pytest.approx(2050.0) and t[-1] == pytest.approx(4500.0)
    assert t.size == 50


def test_timescales_inputs_merge_per_type_and_skip_empty():
    stims = [
        {"t_stim": 0.18, "numbers": 2, "delay": 0.05, "type": "ampa"},
        {"t_stim": 0.23, "numbers": 2, "delay": 0.05, "type": "ampa"},  # 280 ms twice
        {"t_stim": 0.18, "numbers": 1, "delay": 0.05, "type": "nmda"},
        {},  # a non-stimulated neighbour spine
    ]
    out = events.timescales_inputs(stims)
    assert sorted(out) == ["ampa", "nmda"]
    np.testing.assert_allclose(out["ampa"], [230.0, 280.0, 330.0], atol=T_REPEATED_ADDITION_ATOL_MS)
    np.testing.assert_allclose(out["nmda"], [230.0], atol=T_REPEATED_ADDITION_ATOL_MS)


@pytest.mark.parametrize(
    "stim, match",
    [
        (
            {"t_stim": 0.1, "numbers": 2, "delay": 0.0, "type": "ampa"},
            "delay_s = 0.0 s must be > 0",
        ),
        ({"t_stim": 0.1, "numbers": 2, "type": "ampa"}, r"missing keys \['delay'\]"),
        ({"t_stim": 0.1, "numbers": 2, "delay": 0.1, "type": "ampa", "x": 1}, r"unknown keys"),
        ({"t_stim": math.inf, "numbers": 2, "delay": 0.1, "type": "ampa"}, "t_stim_s = inf s"),
        ({"t_stim": 0.1, "numbers": -2, "delay": 0.1, "type": "ampa"}, "numbers = -2"),
        ({"t_stim": 0.1, "numbers": 2, "delay": 0.1, "type": 3}, r"\['type'\] = 3"),
    ],
)
def test_timescales_errors(stim, match):
    with pytest.raises(ModelError, match=match):
        events.timescales_inputs([stim])


def test_merge_trains_deduplicates():
    m = events.merge_trains([3.0, 1.0], [1.0, 2.0], np.array([2.0]))
    np.testing.assert_array_equal(m, [1.0, 2.0, 3.0])
    assert events.merge_trains().size == 0


# ----------------------------------------------------------------------------- use


def test_train_feeds_connect_and_each_spike_is_one_event():
    cell = Cell("ev")
    soma = cell.section("soma", L=10.0, diam=10.0)
    syn = cell.place(soma(0.5), ExpSyn(tau=1e9))  # ~no decay: g counts the events
    sim = Simulation(cell, dt_ms=0.025)
    times = events.regular_train(start_ms=0.5, number=4, frequency_hz=1000.0)
    sim.connect(syn, times, weight=1.0, delay_ms=1.0)
    g = sim.record("g", syn)
    sim.initialize(-65.0)
    sim.advance(4.0)  # last event at 3.5 + 1 = 4.5 ms: not yet delivered
    assert g.values[-1] == pytest.approx(3.0, rel=G_NO_DECAY_RTOL)
