"""The synchroniser with small fake components: mass balance, chunking, schedulers, batching.

No electrical engine and no roadrunner: an analytic "electrical" source whose
accumulated quantity (a calcium charge) and level (a concentration) are known
functions of time, and an analytic "pathway" that integrates its input exactly
(constants and the piecewise-quadratic courses of batched delivery alike).  The
couplings are real ``sync`` code (:class:`sync.IntervalCoupling`,
:class:`sync.BaselineReadout`) with the simplest rules.
"""

from __future__ import annotations

import bisect
import itertools
import math
import pickle

import numpy as np
import pytest

from sync import (
    BaselineReadout,
    CouplingError,
    EventDriven,
    FixedInterval,
    IntervalCoupling,
    Link,
    PathwayComponent,
    SchedulerError,
    SpeciesTrace,
    SteppedComponent,
    SyncError,
    Synchronizer,
)

DT_MS = 0.25
START_MS = 10.0
BIO_T0_S = 5.0
T_STOP_MS = 120.0
# Delivered and received are sums of ~100 products of O(1) numbers: round-off only.
MASS_RTOL = 1e-12
# Splitting a run replays the same operations in the same order.
BITWISE = 0.0
# The same exchange points with the same arithmetic, but batched delivery adds the bins'
# integrals in another order (quadratic courses): round-off only.
SAME_POINTS_RTOL = 1e-12

PULSE_AMOUNT = 2.0  # what one input brings in, in total (the source's "mol")
TAU_MS = 4.0  # decay of the source's flux and level after an input
REST_LEVEL = 1.0
PULSE_LEVEL = 5.0


class FakeInput:
    """An input source as the synchroniser sees it (an electrical.Connection's two fields)."""

    def __init__(self, spikes_ms, delay_ms: float = 1.0):
        self.delay_ms = float(delay_ms)
        self.arrival_times_ms = np.asarray(spikes_ms, dtype=float) + self.delay_ms


class FakeProbe:
    def __init__(self, source: FakeElectrical, terms):
        self.source, self.terms = source, list(terms)

    def values(self) -> np.ndarray:
        return np.array([self.source.level(site) for _, site in self.terms])


class FakeElectrical:
    """An analytic stepped component: per site, inputs at known times bring known amounts.

    ``accumulated(site)`` = sum over arrivals a <= t of A (1 - exp(-(t - a) / tau)),
    ``level(site)`` = rest + sum over arrivals of L exp(-(t - a) / tau).
    """

    time_unit = "ms"

    def __init__(self, arrivals: dict[str, list[float]], split: bool = False):
        self.dt_ms = DT_MS
        self.split = split
        self.arrivals = {k: [float(t) for t in v] for k, v in arrivals.items()}
        self.tick = 0
        self.weights: dict[str, float] = {}
        self.weight_log: list[tuple[int, str, float]] = []
        self.advance_calls = 0

    @property
    def t_ms(self) -> float:
        return self.tick * self.dt_ms

    def _decays(self, site: str) -> list[float]:
        t = self.t_ms
        return [math.exp(-(t - a) / TAU_MS) for a in self.arrivals[site] if a <= t]

    def accumulated(self, site: str) -> float:
        return sum(PULSE_AMOUNT * (1.0 - e) for e in self._decays(site))

    def level(self, site: str) -> float:
        return REST_LEVEL + sum(PULSE_LEVEL * e for e in self._decays(site))

    # protocol
    def initialize(self, t0: float = 0.0) -> None:
        self.tick = 0

    def advance_to(self, t: float) -> None:
        self.advance_to_tick(round(t / self.dt_ms))

    def advance_to_tick(self, tick: int) -> None:
        if tick > self.tick:
            self.tick = tick
            self.advance_calls += 1

    def owns(self, site) -> bool:
        return True

    def probe(self, terms) -> FakeProbe:
        return FakeProbe(self, terms)

    def get(self, port: str) -> float:
        site, what = port.split(".")
        if what == "charge":
            return self.accumulated(site)
        if what == "level":
            return self.level(site)
        return self.weights.get(site, 1.0)

    def set(self, port: str, value: float) -> None:
        site, what = port.split(".")
        assert what == "weight", port
        self.weights[site] = value
        self.weight_log.append((self.tick, site, value))

    def save_state(self) -> bytes:
        return pickle.dumps((self.tick, dict(self.weights), list(self.weight_log)))

    def restore_state(self, blob: bytes) -> None:
        self.tick, self.weights, self.weight_log = pickle.loads(blob)


class FakePathway:
    """Integrates its input exactly: ``total`` = the integral of ``flux`` over time [s].

    A constant input is held between ``set`` calls; a time course
    (:meth:`set_series`) is a quadratic per bin through the knots with the bin's
    mean (Simpson), integrated exactly; after the last bin, the constant set before.
    ``readout`` = 1 + total / 10 (a positive baseline for the weight).
    """

    time_unit = "s"

    def __init__(self, name: str):
        self.name = self.spine = name
        self.t = 0.0
        self.total = 0.0
        self.inputs = {"flux": 0.0, "gate": 1.0}
        self.series = None  # (edges, means, knots)
        self.calls: list[float] = []
        self.history: list[tuple[float, float]] = []  # (t, total) after each advance

    def initialize(self, t0: float) -> None:
        self.t, self.total, self.series = float(t0), 0.0, None
        self.inputs = {"flux": 0.0, "gate": 1.0}

    def ports(self):
        return dict.fromkeys(("flux", "gate", "readout", "total"))

    def set(self, port: str, value: float) -> None:
        self.inputs[port] = float(value)
        if port == "flux":
            self.series = None

    def set_series(self, port: str, edges, means, knots) -> None:
        assert port == "flux" and len(edges) == len(means) + 1 == len(knots)
        self.series = (list(edges), list(means), list(knots))

    def _cumulative(self, t: float) -> float:
        """Integral of the input from the series' first edge to t (t within the series)."""
        edges, means, knots = self.series
        k = min(bisect.bisect_right(edges, t) - 1, len(means) - 1)
        out = sum(means[j] * (edges[j + 1] - edges[j]) for j in range(k))
        h = edges[k + 1] - edges[k]
        s = (t - edges[k]) / h
        d0, d1, m = knots[k], knots[k + 1], means[k]
        mid = (6.0 * m - d0 - d1) / 4.0  # Simpson: (d0 + 4 mid + d1) / 6 = m
        # Lagrange basis on s = 0, 1/2, 1, integrated from 0 to s
        return out + h * (d0 * (s - 1.5 * s**2 + 2.0 * s**3 / 3.0)
                          + mid * (2.0 * s**2 - 4.0 * s**3 / 3.0)
                          + d1 * (2.0 * s**3 / 3.0 - 0.5 * s**2))  # fmt: skip

    def advance_to(self, t: float) -> None:
        t = float(t)
        assert t >= self.t
        if self.series is not None:
            edges = self.series[0]
            a, b = max(self.t, edges[0]), min(t, edges[-1])
            if b > a:
                self.total += self._cumulative(b) - self._cumulative(a)
            held = max(0.0, t - max(self.t, edges[-1]))
            self.total += self.inputs["flux"] * held
        else:
            self.total += self.inputs["flux"] * (t - self.t)
        self.t = t
        self.calls.append(t)
        self.history.append((t, self.total))

    def get(self, port: str) -> float:
        if port == "readout":
            return 1.0 + self.total / 10.0
        if port == "total":
            return self.total
        return self.inputs[port]

    def values(self, names) -> np.ndarray:
        return np.array([self.get(n) for n in names])

    def save_state(self) -> bytes:
        return pickle.dumps((self.t, self.total, dict(self.inputs), self.series))

    def restore_state(self, blob: bytes) -> None:
        self.t, self.total, self.inputs, self.series = pickle.loads(blob)


class FluxCoupling(IntervalCoupling):
    """What entered is delivered over the same interval (an influx rule)."""

    def read_electrical(self):
        site = self.instance.name
        return (self.electrical.get(f"{site}.charge"), self.electrical.get(f"{site}.level"))

    def interval_amount(self, entered, dlevel, window):
        return entered


class LevelCoupling(FluxCoupling):
    """The change of level in windows, with a gate closed in windows (the original's rule)."""

    follows_tails = False
    window_sets_inputs = True
    uses_level = True

    def interval_amount(self, entered, dlevel, window):
        return dlevel if window else 0.0

    def window_inputs(self, window):
        return {"gate": 0.0 if window else 1.0}


def _build(scheduler, inputs: dict[str, list[float]], rule=FluxCoupling, split=False,
           capacity=64, traces=False, delay_ms=1.0):  # fmt: skip
    """A synchroniser over one link per site of ``inputs`` (spike times [ms])."""
    arrivals = {site: [t + delay_ms for t in times] for site, times in inputs.items()}
    el = FakeElectrical(arrivals, split=split)
    links = []
    for site, times in inputs.items():
        inst = FakePathway(site)
        cal = rule(el, inst, input_port="flux")
        w = BaselineReadout(inst, el, weight_port=f"{site}.weight", read_port="readout")
        links.append(Link(site, inst, cal, w, [FakeInput(times, delay_ms)], [("level", site)],
                          series_capacity=capacity, share_key="fake"))  # fmt: skip
    sync = Synchronizer(el, links, scheduler, start_ms=START_MS, bio_t0_s=BIO_T0_S)
    sync.equilibrate(1.0)
    out = []
    if traces:
        for lk in links:
            out.append(sync.add_trace(lk, SpeciesTrace(lk.name, ("total",), 1), every_ms=2.5))
    sync.initialize()
    sync.refresh_inputs()
    return sync, el, out


def _run(sync, chunks=(T_STOP_MS,)):
    for t in chunks:
        sync.advance_to(t)
    sync.finish()
    return sync


INPUTS = {"s1": [20.0, 25.0, 60.0], "s2": [40.0], "s3": []}
SCHEDULERS = {
    "fixed": FixedInterval(2.0),
    "event": EventDriven(10.0, 1.0),
    "batched": EventDriven(10.0, 1.0, delivery="batched", batch_bins=8),
}


def test_fakes_implement_the_protocols():
    sync, el, _ = _build(FixedInterval(1.0), {"s1": [20.0]})
    assert isinstance(el, SteppedComponent)
    assert isinstance(sync.links[0].instance, PathwayComponent)


@pytest.mark.parametrize("key", list(SCHEDULERS))
def test_mass_balance_delivered_equals_received(key):
    """What the pathway integrated = what entered the source while coupled, per link."""
    sync, el, _ = _build(SCHEDULERS[key], INPUTS)
    _run(sync)
    st = sync.stats()
    for lk in sync.links:
        site = lk.name
        before = sum(PULSE_AMOUNT * (1.0 - math.exp(-(START_MS - a) / TAU_MS))
                     for a in el.arrivals[site] if a <= START_MS)  # fmt: skip
        entered = el.accumulated(site) - before
        received = lk.instance.total
        assert st["ca_entered_mol"][site] == pytest.approx(entered, rel=MASS_RTOL, abs=0)
        assert st["ca_delivered_mol"][site] == pytest.approx(entered, rel=MASS_RTOL, abs=0)
        assert received == pytest.approx(entered, rel=MASS_RTOL, abs=0)
        assert lk.instance.t == pytest.approx(BIO_T0_S + (T_STOP_MS - START_MS) / 1000.0)
        # every weight the source saw is the pathway's ratio at that time
        assert lk.weight.history_w[-1] == pytest.approx(1.0 + received / 10.0, rel=MASS_RTOL)
    s1 = sync.links[0]
    assert s1.instance.total > 2.9 * PULSE_AMOUNT  # three inputs, nearly all of it entered
    assert el.weights["s1"] == s1.weight.history_w[-1] > 1.0
    if key != "fixed":  # the event-driven schedulers leave the input-less link alone
        assert st["exchanges"]["s3"] == 1  # finish() only
        assert sync.links[2].instance.total == 0.0


@pytest.mark.parametrize("key", list(SCHEDULERS))
def test_advancing_in_chunks_equals_one_advance(key):
    """Chunk ends are never pathway stops: the same calls, samples and numbers."""
    chunks = (12.0, 21.0, 21.25, 33.5, 61.0, 90.0, T_STOP_MS)
    a, el_a, tr_a = _build(SCHEDULERS[key], INPUTS, traces=True)
    b, el_b, tr_b = _build(SCHEDULERS[key], INPUTS, traces=True)
    _run(a)
    _run(b, chunks)
    assert el_a.weight_log == el_b.weight_log
    for la, lb, ta, tb in zip(a.links, b.links, tr_a, tr_b):
        assert la.instance.calls == lb.instance.calls
        assert abs(la.instance.total - lb.instance.total) <= BITWISE
        assert la.weight.history_w == lb.weight.history_w
        assert np.array_equal(ta.t_ms, tb.t_ms) and np.array_equal(ta.values, tb.values)
    sa, sb = a.stats(), b.stats()
    for k in ("exchanges", "pathway_calls", "sample_calls", "exchange_ticks"):
        assert sa[k] == sb[k]
    assert len(tr_a[0].t_ms) == (T_STOP_MS - START_MS) / 2.5 + 1  # samples every 2.5 ms


def test_event_driven_with_a_covering_window_exchanges_where_fixed_interval_does():
    """Inputs on the grid and a window past the end: FixedInterval's points."""
    # arrivals at START_MS and 30 ms; spikes and arrivals on the 2-ms grid from START_MS
    inputs = {"s1": [START_MS - 2.0, 28.0], "s2": [START_MS - 2.0]}
    fixed, _, _ = _build(FixedInterval(2.0), inputs, delay_ms=2.0)
    event, _, _ = _build(EventDriven(window_ms=1000.0, exchange_interval_ms=2.0), inputs,
                         delay_ms=2.0)  # fmt: skip
    _run(fixed)
    _run(event)
    for lf, le in zip(fixed.links, event.links):
        assert lf.instance.calls == le.instance.calls
        coupled = [t for t in lf.instance.calls if t > BIO_T0_S]  # not the equilibration
        assert len(coupled) == (T_STOP_MS - START_MS) / 2.0
        assert le.instance.total == pytest.approx(lf.instance.total, rel=SAME_POINTS_RTOL)
        # the weights at the common exchange ticks (the event one also exchanges at START)
        wf = dict(zip(lf.weight.history_t_ms, lf.weight.history_w))
        we = dict(zip(le.weight.history_t_ms, le.weight.history_w))
        assert set(wf) <= set(we)
        np.testing.assert_allclose([we[t] for t in wf], list(wf.values()),
                                   rtol=SAME_POINTS_RTOL, atol=0)  # fmt: skip


def test_batched_delivery_equals_per_exchange_with_fewer_calls():
    """The pathway integrates the same bins exactly: same amounts, same weights at the flushes."""
    per, _, _ = _build(EventDriven(10.0, 1.0), INPUTS)
    bat, el, _ = _build(EventDriven(10.0, 1.0, delivery="batched", batch_bins=8), INPUTS)
    _run(per)
    _run(bat)
    for lp, lb in zip(per.links, bat.links):
        assert lb.instance.total == pytest.approx(lp.instance.total, rel=SAME_POINTS_RTOL)
        wp = dict(zip(lp.weight.history_t_ms, lp.weight.history_w))
        for t, w in zip(lb.weight.history_t_ms, lb.weight.history_w):
            if t in wp:  # batched follows the tails longer: compare where both exchanged
                assert w == pytest.approx(wp[t], rel=SAME_POINTS_RTOL)
    sp, sb = per.stats(), bat.stats()
    assert sb["pathway_calls"] * 2 < sp["pathway_calls"]
    # the tails were followed past the windows (the level is away from rest longer)
    assert sb["exchanges"]["s1"] > sp["exchanges"]["s1"]
    # a call just before each arrival: the weight an input uses is current
    arrivals = [round(t / DT_MS) for t in el.arrivals["s1"]]
    flushed = {round(t * 1000.0 / DT_MS) for t in bat.links[0].instance.calls}
    for a in arrivals:
        start_bio = round(BIO_T0_S * 1000.0 / DT_MS) - round(START_MS / DT_MS)
        assert a - round(1.0 / DT_MS) + start_bio in flushed


def test_a_rule_whose_inputs_switch_with_windows_keeps_the_windows_when_batched():
    """LevelCoupling (window_sets_inputs, no tails): the same exchanges and amounts."""
    inputs = {"s1": INPUTS["s1"]}  # (with others, batching adds their pre-arrival exchanges)
    per, _, _ = _build(EventDriven(10.0, 1.0), inputs, rule=LevelCoupling)
    bat, _, _ = _build(EventDriven(10.0, 1.0, delivery="batched", batch_bins=8), inputs,
                       rule=LevelCoupling)  # fmt: skip
    _run(per, (45.0,))
    _run(bat, (45.0,))
    assert per.stats()["exchanges"] == bat.stats()["exchanges"]
    assert bat.stats()["pathway_calls"] < per.stats()["pathway_calls"]
    lp, lb = per.links[0], bat.links[0]
    assert lb.instance.total == pytest.approx(lp.instance.total, rel=SAME_POINTS_RTOL)
    assert lp.instance.total > 0.0  # the level rose in the windows: delivered
    # the windows closed at 36 ms: the gate is open again (it was closed in them)
    assert lp.instance.get("gate") == lb.instance.get("gate") == 1.0


def test_a_split_source_whose_values_travel_gives_the_same_numbers():
    """split=True reads every link's values where they are owned and passes them on."""
    whole, _, _ = _build(SCHEDULERS["batched"], INPUTS)
    split, _, _ = _build(SCHEDULERS["batched"], INPUTS, split=True)
    assert split.split and not whole.split
    _run(whole)
    _run(split)
    for lw, ls in zip(whole.links, split.links):
        assert lw.instance.calls == ls.instance.calls
        assert ls.instance.total == lw.instance.total
        assert ls.weight.history_w == lw.weight.history_w


@pytest.mark.parametrize("key", ["event", "batched"])
def test_save_and_restore_continue_the_same_run(key):
    ref, el_ref, _ = _build(SCHEDULERS[key], INPUTS)
    ref.advance_to(27.0)
    blob = ref.save_state()
    _run(ref)
    again, el, _ = _build(SCHEDULERS[key], INPUTS)
    again.restore_state(blob)
    _run(again)
    assert el.weight_log[-3:] == el_ref.weight_log[-3:]
    for la, lb in zip(ref.links, again.links):
        assert la.instance.total == lb.instance.total
        assert la.weight.history_w == lb.weight.history_w


def test_equilibrate_shares_the_state_of_instances_with_one_key():
    sync, _, _ = _build(FixedInterval(1.0), INPUTS)
    calls = [len(lk.instance.calls) for lk in sync.links]
    assert calls[0] == 1 and calls[1:] == [0, 0]  # one integrated, the others copied
    assert all(lk.weight.baseline == 1.0 for lk in sync.links)


def test_misuse_is_refused_with_the_fix():
    with pytest.raises(SyncError, match="series capacity of 8"):
        _build(SCHEDULERS["batched"], INPUTS, capacity=4)
    with pytest.raises(SchedulerError, match="during the electrical equilibration"):
        _build(EventDriven(), {"s1": [2.0]})
    el = FakeElectrical({"s1": []})
    inst = FakePathway("s1")
    with pytest.raises(CouplingError, match="sample_span_ms applies"):
        FluxCoupling(el, inst, input_port="flux", sample_span_ms=0.5)
    with pytest.raises(CouplingError, match="must be > 0"):
        LevelCoupling(el, inst, input_port="flux", sample_span_ms=-1.0)
    cal = FluxCoupling(el, inst, input_port="flux")
    w = BaselineReadout(inst, el, weight_port="s1.weight", read_port="readout")
    lk = Link("s1", inst, cal, w, [], [("level", "s1")])
    with pytest.raises(SyncError, match="share a name"):
        Synchronizer(el, [lk, lk], FixedInterval(1.0), start_ms=START_MS, bio_t0_s=0.0)
    sync = Synchronizer(el, [lk], FixedInterval(1.0), start_ms=START_MS, bio_t0_s=0.0)
    with pytest.raises(SyncError, match="equilibrate"):
        sync.initialize()
    inst.total = -20.0  # readout -1
    with pytest.raises(CouplingError, match="baseline must be positive"):
        w.set_baseline()
    assert math.isfinite(cal.delivered_mol)


def test_per_exchange_follows_tails_only_when_asked():
    """EventDriven(follow_tails=True): per-exchange delivery measures tails like batched."""
    inputs = {"s1": INPUTS["s1"]}
    tol = 0.05  # follow the tails until the level is within 5% of rest

    def sched(**kw):
        return EventDriven(10.0, 1.0, calcium_rest_tolerance=tol, **kw)

    default, _, _ = _build(sched(), inputs)
    tails, _, _ = _build(sched(follow_tails=True), inputs)
    bat, _, _ = _build(sched(delivery="batched", batch_bins=8), inputs)
    for s in (default, tails, bat):
        _run(s)
    ex = {k: s.stats()["exchanges"]["s1"] for k, s in
          (("default", default), ("tails", tails), ("batched", bat))}  # fmt: skip
    assert ex["tails"] == ex["batched"] > ex["default"]
    assert tails.stats()["pathway_calls"] > bat.stats()["pathway_calls"]
    lt, ld = tails.links[0], default.links[0]
    assert lt.instance.total == pytest.approx(ld.instance.total, rel=MASS_RTOL)  # same mass

    def held_over_gaps(link) -> float:
        """The largest amount delivered as one constant over a gap of several intervals."""
        pts = [(t, q) for t, q in link.instance.history if t > BIO_T0_S]
        return max(q1 - q0 for (t0, q0), (t1, q1) in itertools.pairwise(pts)
                   if t1 - t0 > 1.5e-3)  # fmt: skip

    # the default holds the tail after a window as a constant over the gap; following it,
    # what remains for the gaps is what enters near rest
    assert held_over_gaps(lt) * 5 < held_over_gaps(ld)
    with pytest.raises(SchedulerError, match="follow_tails"):
        EventDriven(follow_tails="yes")
