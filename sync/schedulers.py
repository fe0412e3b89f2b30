"""When to exchange: the event-driven TimeScales scheduler and the lock-step baseline.

A scheduler says, in integer ticks, when the next exchange is and which spines
take part.  The synchroniser runs the electrical model to that tick in one call
of its compiled loop, then brings each participating pathway up to it.

:class:`EventDriven` (TimeScales, done right; MODEL.md 8.3 and 11.1)
    Between inputs both sides advance independently.  An input (a presynaptic
    spike) to a biochemical spine opens a window of ``window_ms``, as in the
    original; inside it, exchanges happen every ``exchange_interval_ms``
    counted from the latest input, and an input that falls inside an open
    window extends it (windows merge, so no input is ever skipped, unlike the
    original, which skipped every second input at 100 Hz).  There is always an
    exchange at the tick the input reaches the synapse (spike + connection
    delay).  The weight an event uses is the one set at the exchange *before*
    its arrival tick (the engine delivers an event at the end of the step that
    reaches its time); with the window opened at the spike, that exchange is at
    most one exchange interval old.  At each exchange the
    participants are the spines that received input in the current window,
    plus those whose head calcium is still away from its resting value by
    more than ``calcium_rest_tolerance`` (relative).

    Delivery.  ``"per-exchange"`` (the original's): the pathway integrates
    every exchange interval in one call with that interval's calcium as a
    constant.  ``"batched"``: the calcium is measured every exchange interval
    as before, but a spine's pathway integrates many intervals in one call, the
    input following a continuous course through the measured means (exact per
    interval; :meth:`biochem.PathwayInstance.set_series`); a call is made at
    the exchange just before an input reaches the synapse (so the event uses
    a current weight), after ``batch_bins`` intervals, and at the end.  With
    ``influx`` coupling, windows then stay open, at no cost in calls, while any
    spine's calcium is away from rest, so the tail of a calcium transient is
    measured as finely as its rise (``concentration-difference`` keeps the
    original's windows, with which its pump and leak switch).  ``follow_tails``
    chooses that explicitly: ``None`` (default) follows tails with batched
    delivery only; ``True`` with per-exchange delivery too, so that the calcium
    entering after a window closes is delivered interval by interval as it
    enters instead of as one constant over the gap to the next exchange (each
    such exchange is a pathway call); ``False`` never.
:class:`FixedInterval`
    Every spine at every ``interval_ms``, counted from the start of the
    coupling: the lock-step baseline and the accuracy reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .errors import SchedulerError

__all__ = ["DELIVERIES", "EventDriven", "FixedInterval", "Scheduler"]

DELIVERIES = ("per-exchange", "batched")


def _positive(name: str, value, allow_zero: bool = False) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SchedulerError(f"{name} = {value!r} is not a number") from None
    if not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        raise SchedulerError(f"{name} = {value!r} must be {'>= 0' if allow_zero else '> 0'}")
    return x


@dataclass(frozen=True)
class EventDriven:
    """Exchange only around inputs (see the module docstring).

    Parameters
    ----------
    window_ms : float
        Length of the window opened by each input [ms] (10 in the original).
    exchange_interval_ms : float
        Exchange interval inside a window [ms] (1 in the original).
    calcium_rest_tolerance : float
        A spine whose head calcium differs from its resting value by more than
        this fraction also takes part in the exchanges of a window.  The
        default 0.5 (0.125 uM for the MSN spines, whose transients reach
        several uM) keeps out spines that only drift slowly; with 0.05 the
        1486 unstimulated spines of the flagship run joined many windows.
    """

    window_ms: float = 10.0
    exchange_interval_ms: float = 1.0
    calcium_rest_tolerance: float = 0.5
    delivery: str = "per-exchange"
    batch_bins: int = 64
    follow_tails: bool | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _positive("EventDriven.window_ms", self.window_ms, allow_zero=True)
        _positive("EventDriven.exchange_interval_ms", self.exchange_interval_ms)
        _positive("EventDriven.calcium_rest_tolerance", self.calcium_rest_tolerance)
        if self.delivery not in DELIVERIES:
            raise SchedulerError(
                f"EventDriven.delivery = {self.delivery!r}; use one of {list(DELIVERIES)}"
            )
        b = self.batch_bins
        if isinstance(b, bool) or not isinstance(b, int) or not 1 <= b <= 1024:
            raise SchedulerError(f"EventDriven.batch_bins = {b!r} must be an integer 1-1024")
        if self.follow_tails not in (None, True, False):
            raise SchedulerError(
                f"EventDriven.follow_tails = {self.follow_tails!r} must be None, True or False"
            )

    def __repr__(self) -> str:
        # follow_tails shows only when set, so that the default's repr (written to the
        # results as the scheduler's description) is unchanged
        extra = "" if self.follow_tails is None else f", follow_tails={self.follow_tails!r}"
        return (
            f"EventDriven(window_ms={self.window_ms!r}, exchange_interval_ms="
            f"{self.exchange_interval_ms!r}, calcium_rest_tolerance="
            f"{self.calcium_rest_tolerance!r}, delivery={self.delivery!r}, "
            f"batch_bins={self.batch_bins!r}{extra})"
        )

    @property
    def batched(self) -> bool:
        return self.delivery == "batched"

    @property
    def follows_tails(self) -> bool:
        """Windows stay open while a link's level is away from rest (see ``follow_tails``)."""
        return self.batched if self.follow_tails is None else bool(self.follow_tails)

    kind = "event_driven"


@dataclass(frozen=True)
class FixedInterval:
    """Exchange every spine every ``interval_ms`` [ms]."""

    interval_ms: float = 1.0

    def __post_init__(self) -> None:
        _positive("FixedInterval.interval_ms", self.interval_ms)

    kind = "fixed_interval"


Scheduler = EventDriven | FixedInterval


class Plan:
    """The scheduler's state during a run, in ticks (used by the synchroniser)."""

    def __init__(self, scheduler: Scheduler, clock, start_tick: int, n_links: int) -> None:
        if not isinstance(scheduler, EventDriven | FixedInterval):
            raise SchedulerError(
                f"scheduler must be EventDriven(...) or FixedInterval(...), got {scheduler!r}"
            )
        self.scheduler = scheduler
        self.start = start_tick
        self.n_links = n_links
        if isinstance(scheduler, FixedInterval):
            self.step = clock.ticks(scheduler.interval_ms, "FixedInterval.interval_ms")
            self.window = 0
        else:
            self.step = clock.ticks(scheduler.exchange_interval_ms,
                                    "EventDriven.exchange_interval_ms")  # fmt: skip
            self.window = clock.ticks(scheduler.window_ms, "EventDriven.window_ms")
        if self.step < 1:
            raise SchedulerError(f"{scheduler}: the exchange interval is shorter than one step")
        self.input_ticks: list[int] = []
        self.input_links: list[list[int]] = []
        self.ptr = 0
        self.window_end: int | None = None
        self.anchor = start_tick
        self.window_links: set[int] = set()

    @property
    def fixed(self) -> bool:
        return isinstance(self.scheduler, FixedInterval)

    def set_inputs(self, per_link: list[list[tuple[int, int]]], now: int) -> None:
        """Inputs of every link as (spike tick, arrival tick) pairs.

        The spike (the input's time) opens the window, as in the original; the
        arrival (spike + connection delay, when the synapse sees it) is an
        exchange too (the event itself uses the weight of the exchange before
        it; :meth:`arrivals_at` lets batched delivery prepare it).  Points at or
        before ``now`` are taken as done (except at the start of the coupling).
        """
        table: dict[int, tuple[set[int], set[int]]] = {}
        for li, pairs in enumerate(per_link):
            for spike, arrival in pairs:
                spike = max(int(spike), self.start)
                for k, slot in ((spike, 0), (int(arrival), 1)):
                    if k > now or (k == now and now == self.start):
                        table.setdefault(k, (set(), set()))[slot].add(li)
        self.input_ticks = sorted(table)
        self.input_links = [(sorted(table[k][0]), sorted(table[k][1])) for k in self.input_ticks]
        self.ptr = 0

    def next_tick(self, now: int) -> int | None:
        """The next exchange tick after ``now`` (or at ``now`` for an input not yet taken)."""
        if self.fixed:
            return self.start + ((now - self.start) // self.step + 1) * self.step
        cands = []
        if self.ptr < len(self.input_ticks):
            cands.append(self.input_ticks[self.ptr])
        if self.window_end is not None:
            g = self.anchor + ((now - self.anchor) // self.step + 1) * self.step
            cands.append(min(g, self.window_end))
        return min(cands) if cands else None

    def take(self, tick: int) -> tuple[set[int] | None, bool]:
        """Exchange at ``tick``: (mandatory participants or None for all, window open after).

        For FixedInterval every link takes part and intervals count as windows.
        """
        if self.fixed:
            return None, True
        opened: list[int] = []
        arrived: set[int] = set()
        while self.ptr < len(self.input_ticks) and self.input_ticks[self.ptr] <= tick:
            opened.extend(self.input_links[self.ptr][0])
            arrived.update(self.input_links[self.ptr][1])
            self.ptr += 1
        if opened:
            if self.window_end is None:
                self.window_links = set()
            self.window_links.update(opened)
            self.anchor = tick
            end = tick + self.window
            self.window_end = end if self.window_end is None else max(self.window_end, end)
        mandatory = self.window_links | arrived
        open_after = self.window_end is not None and tick < self.window_end
        if not open_after:
            self.window_end = None
            self.window_links = set()
        return mandatory, open_after

    def arrivals_at(self, tick: int) -> set[int]:
        """Links whose input reaches the synapse at ``tick`` (the next input tick only)."""
        i = self.ptr
        if i < len(self.input_ticks) and self.input_ticks[i] == tick:
            return set(self.input_links[i][1])
        return set()

    def hold_open(self, tick: int) -> None:
        """Keep the window that just closed at ``tick`` open for one more interval."""
        self.window_end = tick + self.step
        self.anchor = tick

    def state(self) -> tuple:
        return (self.ptr, self.window_end, self.anchor, sorted(self.window_links),
                list(self.input_ticks), [(list(a), list(b)) for a, b in self.input_links])  # fmt: skip

    def set_state(self, st: tuple) -> None:
        self.ptr, self.window_end, self.anchor, wl, ticks, links = st
        self.window_links = set(wl)
        self.input_ticks = list(ticks)
        self.input_links = [(list(a), list(b)) for a, b in links]
