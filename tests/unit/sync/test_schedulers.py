"""The scheduler's plan in ticks: windows, merging, no skipped input, fixed grids; the clock."""

from __future__ import annotations

import itertools

import pytest

from sync import Clock, EventDriven, FixedInterval, SchedulerError
from sync.schedulers import Plan

DT = 0.025


def _walk(plan: Plan, stop: int) -> list[tuple[int, set | None, bool]]:
    """Every exchange the plan makes up to ``stop``: (tick, mandatory links, window open after)."""
    out, now = [], plan.start
    while True:
        k = plan.next_tick(now)
        if k is None or k > stop:
            return out
        mandatory, open_after = plan.take(k)
        out.append((k, mandatory, open_after))
        now = k


def test_clock_ticks_are_exact_and_refuse_fractions():
    c = Clock(DT)
    assert c.ticks(100.0) == 4000 and c.ticks(0.1) == 4 and c.ticks(20000.0) == 800000
    with pytest.raises(SchedulerError, match="whole number of time steps"):
        c.ticks(0.01)
    # an event acts at the first step whose midpoint is >= its time
    assert c.input_tick(181.0) == 7240
    assert c.input_tick(181.0125) == 7240  # exactly at a half step: that step
    assert c.input_tick(181.013) == 7241


def test_event_driven_window_exchanges_every_interval_from_the_input():
    plan = Plan(EventDriven(window_ms=10.0, exchange_interval_ms=1.0), Clock(DT), 4000, 1)
    plan.set_inputs([[(7240, 7240)]], now=4000)
    ex = _walk(plan, 20000)
    ticks = [k for k, _, _ in ex]
    assert ticks == [7240 + 40 * m for m in range(11)]  # the input, then every 1 ms to +10 ms
    assert all(m == {0} for _, m, _ in ex)
    assert [o for _, _, o in ex] == [True] * 10 + [False]


def test_inputs_inside_a_window_extend_it_and_none_is_skipped_at_100_hz():
    """The original skipped every second input at 100 Hz with a 10-ms window (MODEL.md 11.1)."""
    plan = Plan(EventDriven(window_ms=10.0, exchange_interval_ms=1.0), Clock(DT), 0, 2)
    inputs = [1000 + 400 * i for i in range(5)]  # 100 Hz: every 10 ms
    plan.set_inputs([[(k, k) for k in inputs], [(1100, 1100)]], now=0)
    ex = _walk(plan, 10**6)
    ticks = [k for k, _, _ in ex]
    assert set(inputs) <= set(ticks) and 1100 in ticks
    # one merged window from the first input to 10 ms after the last, exchanging every
    # 40 ticks counted from the latest input
    assert ticks[0] == 1000 and ticks[-1] == inputs[-1] + 400
    assert all(b - a <= 40 for a, b in itertools.pairwise(ticks))
    # link 1 takes part from its input to the end of the merged window, link 0 throughout
    assert all(m == ({0, 1} if k >= 1100 else {0}) for k, m, _ in ex)
    assert [o for _, _, o in ex].count(False) == 1


def test_the_spike_opens_the_window_and_the_arrival_is_an_exchange():
    """Window from the spike (as in the original); the delayed arrival gets its own exchange."""
    plan = Plan(EventDriven(window_ms=2.0, exchange_interval_ms=1.0), Clock(DT), 0, 2)
    plan.set_inputs([[(1000, 1050)], [(5000, 5040)]], now=0)
    ex = _walk(plan, 10**6)
    assert [k for k, _, _ in ex] == [1000, 1040, 1050, 1080, 5000, 5040, 5080]
    assert {k: m for k, m, _ in ex}[1050] == {0}


def test_separate_windows_close_and_reopen():
    plan = Plan(EventDriven(window_ms=2.0, exchange_interval_ms=1.0), Clock(DT), 0, 2)
    plan.set_inputs([[(100, 100)], [(1000, 1000)]], now=0)
    ex = _walk(plan, 10**6)
    assert [k for k, _, _ in ex] == [100, 140, 180, 1000, 1040, 1080]
    assert [m for _, m, _ in ex] == [{0}, {0}, {0}, {1}, {1}, {1}]


def test_fixed_interval_grid_from_the_start():
    plan = Plan(FixedInterval(0.5), Clock(DT), 4000, 3)
    assert [k for k, _, _ in _walk(plan, 4100)] == [4020, 4040, 4060, 4080, 4100]
    assert plan.take(4120) == (None, True)


def test_bad_scheduler_settings_are_refused():
    with pytest.raises(SchedulerError, match="exchange_interval_ms"):
        EventDriven(window_ms=10.0, exchange_interval_ms=0.0)
    with pytest.raises(SchedulerError, match="interval_ms"):
        FixedInterval(-1.0)
    with pytest.raises(SchedulerError, match="whole number"):
        Plan(FixedInterval(0.01), Clock(DT), 0, 1)


def test_bad_delivery_settings_are_refused():
    with pytest.raises(SchedulerError, match="per-exchange"):
        EventDriven(delivery="lazy")
    for bad in (0, 2000, 1.5, True):
        with pytest.raises(SchedulerError, match="batch_bins"):
            EventDriven(delivery="batched", batch_bins=bad)
    assert EventDriven(delivery="batched").batched and not EventDriven().batched


def test_arrivals_are_reported_and_a_window_can_be_held_open():
    plan = Plan(EventDriven(1.0, 0.5), Clock(DT), 0, 2)
    plan.set_inputs([[(100, 140)], []], 0)
    assert plan.next_tick(0) == 100
    plan.take(100)
    ticks, arrivals, now = [], [], 100
    while (k := plan.next_tick(now)) is not None:
        arrivals.append(plan.arrivals_at(k))  # known before the exchange at k
        plan.take(k)
        ticks.append(k)
        now = k
    assert ticks == [120, 140]  # the window closes at 100 + 40 ticks (arrival included)
    assert arrivals == [set(), {0}]
    assert plan.next_tick(140) is None
    plan.hold_open(140)  # batched delivery follows a calcium tail past the window
    assert plan.next_tick(140) == 160
    _, open_after = plan.take(160)
    assert not open_after and plan.next_tick(160) is None
