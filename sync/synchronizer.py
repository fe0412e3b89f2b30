"""The synchroniser: runs the electrical model and the spines' pathways together.

Time is integer ticks of the electrical step (:mod:`sync.clock`).  The run is:

1. ``[0, start]``: the electrical model alone (its equilibration; MODEL.md 8.2).
   The pathways were equilibrated before, with no calcium input
   (:meth:`Synchronizer.equilibrate`); their clocks stand at ``bio_t0_s``.
2. At ``start`` the couplings begin: every weight is 1 (read-out = baseline).
3. From then on the scheduler's plan gives the exchange ticks.  The electrical
   model runs to the next one in one call of its compiled loop; then each
   participating spine's pathway integrates the same interval with the calcium
   input of that interval (Gauss-Seidel: the electrical side first, so the
   calcium needs no extrapolation), and its AMPA weight is updated before the
   next electrical step.  Spines that do not take part keep their pathway where
   it was; when they next take part it integrates the whole interval at once.

With a communicator of several ranks, each spine's pathway lives on one rank,
chosen by expected cost (its inputs and exchanges), whatever rank owns the
spine's compartments: at each exchange the electrical values (calcium charge
and concentration per spine) and the new weights travel in two small
Allreduce calls, and every rank follows the same plan.

Results do not depend on how a run is split into ``advance_to`` calls: every
stop of a pathway is an exchange or a sampling tick of the plan, never a chunk
boundary.  :meth:`Synchronizer.finish` brings every pathway up to the current
time (call it once, at the end).
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np

from common.comm import SerialComm

from .clock import Clock
from .component import PathwayComponent, SteppedComponent
from .coupling import BaselineReadout, IntervalCoupling
from .errors import SchedulerError, SyncError
from .schedulers import Plan

__all__ = ["Link", "SpeciesTrace", "Synchronizer", "assign_by_cost"]


@dataclass
class SpeciesTrace:
    """Pathway values of one spine sampled every ``every_ticks`` (t in ms of the run)."""

    spine: str
    names: tuple[str, ...]
    every_ticks: int
    next_tick: int = 0
    _t: list = field(default_factory=list)
    _v: list = field(default_factory=list)

    @property
    def t_ms(self) -> np.ndarray:
        return np.asarray(self._t, dtype=float)

    @property
    def values(self) -> np.ndarray:
        """Shape (n_samples, n_names)."""
        return np.asarray(self._v, dtype=float).reshape(len(self._v), len(self.names))

    def __repr__(self) -> str:
        return f"<SpeciesTrace spine={self.spine} names={list(self.names)} n={len(self._t)}>"


@dataclass
class Link:
    """One biochemical spine: its pathway instance, couplings and input connections.

    Attributes
    ----------
    name : str
        Unique among the synchroniser's links (the spine's name).
    instance : PathwayComponent
        The pathway component.
    calcium : IntervalCoupling
        Stepped component -> pathway input, interval by interval.
    weight : BaselineReadout
        Pathway read-out -> a port of the stepped component.
    inputs : list
        The link's input sources: objects with ``arrival_times_ms`` (array [ms],
        when the input reaches the target) and ``delay_ms`` (spike to arrival); a
        spike opens a window, an arrival is an exchange.
    concentration_terms : list of (variable, site)
        The link's level as terms of the stepped component's
        :meth:`~sync.component.SteppedComponent.probe` (summed): compared with
        its value at the start of the coupling to tell whether the link is at
        rest.  The first term's site decides which rank owns the link's
        electrical side (:meth:`~sync.component.SteppedComponent.owns`).
    series_capacity : int
        How many bins a time course of the pathway's input may have
        (:meth:`~sync.component.PathwayComponent.set_series`); batched delivery
        needs at least ``batch_bins``.  0: no time course.
    share_key : hashable, optional
        Links with equal keys have pathways that evolve identically from equal
        states (instances of one pathway): :meth:`Synchronizer.equilibrate`
        integrates one and copies its state.  None: never shared.
    """

    name: str
    instance: PathwayComponent
    calcium: IntervalCoupling
    weight: BaselineReadout
    inputs: list
    concentration_terms: list
    series_capacity: int = 0
    share_key: Hashable | None = None
    last_tick: int = 0
    in_window: bool = False
    exchanges: int = 0
    traces: list = field(default_factory=list)
    #: This rank owns the spine's compartments / integrates its pathway.
    local_el: bool = True
    local_bio: bool = True
    #: Batched delivery: the pathway's tick, and the measured intervals not yet
    #: integrated, as (end tick, ca_in value, in a window).
    bio_tick: int = 0
    pending: list = field(default_factory=list)


def assign_by_cost(costs: list[float], n_ranks: int) -> list[int]:
    """Rank of each item: largest cost first, each to the least-loaded rank (ties: lowest)."""
    load = [0.0] * n_ranks
    owner = [0] * len(costs)
    for i in sorted(range(len(costs)), key=lambda i: (-costs[i], i)):
        r = min(range(n_ranks), key=lambda r: (load[r], r))
        owner[i] = r
        load[r] += costs[i]
    return owner


class Synchronizer:
    """Drive a stepped component and pathway components by a scheduler.

    Parameters
    ----------
    electrical : SteppedComponent
        Its step is the clock's tick (``electrical.component.ElectricalComponent``).
    links : list of Link
    scheduler : EventDriven or FixedInterval
    start_ms : float
        End of the electrical equilibration; coupling starts here.
    bio_t0_s : float
        Pathway time at ``start_ms`` (the end of the biochemical equilibration).
    comm : communicator, optional
        mpi4py-like (``Get_rank``, ``Get_size``, ``allreduce``, ``gather``,
        ``bcast``; ``Allreduce`` used when present).  Pathways are distributed
        over its ranks; every rank must drive the same co-simulation.
    """

    def __init__(self, electrical: SteppedComponent, links: list[Link], scheduler, *,
                 start_ms: float, bio_t0_s: float, comm=None) -> None:  # fmt: skip
        self.electrical = electrical
        self.links = list(links)
        names = [lk.name for lk in self.links]
        if len(set(names)) != len(names):
            raise SyncError(f"two links share a name: {names}")
        self.clock = Clock(electrical.dt_ms)
        self.start = self.clock.ticks(start_ms, "start_ms (the electrical equilibration)")
        self.bio_t0_s = float(bio_t0_s)
        self.plan = Plan(scheduler, self.clock, self.start, len(self.links))
        self.scheduler = scheduler
        self.comm = SerialComm() if comm is None else comm
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        # electrical values must travel when the component is split across ranks
        self.split = bool(electrical.split)
        for lk in self.links:
            lk.local_el = (not self.split) or bool(electrical.owns(lk.concentration_terms[0][1]))
        self._owners_set = False
        self.now = 0
        self.started = False
        self.rest = np.zeros(len(self.links))
        terms = [t for lk in self.links if lk.local_el for t in lk.concentration_terms]
        self._conc_probe = electrical.probe(terms) if terms else None
        self._conc_split = np.cumsum(
            [0] + [len(lk.concentration_terms) for lk in self.links if lk.local_el]
        )
        spans = {lk.calcium.sample_span_ms for lk in self.links}
        if len(spans) > 1:
            raise SyncError(f"the spines' couplings have different sample_span_ms {spans}")
        span = spans.pop() if spans else None
        self.span_ticks = self.clock.ticks(span, "sample_span_ms") if span else 0
        self._pre: tuple[int, np.ndarray] | None = None  # (tick, concentrations) before an exchange
        self.batched = bool(getattr(scheduler, "batched", False))
        # batched delivery (or EventDriven(follow_tails=True)) follows the level's tails
        # past the windows when the couplings allow it (influx); others keep the
        # original's windows (e.g. pump and leak switching with them)
        self._follow_tails = bool(getattr(scheduler, "follows_tails", False)) and all(
            lk.calcium.follows_tails for lk in self.links
        )
        if self.batched:
            for lk in self.links:
                cap = lk.series_capacity
                if cap < scheduler.batch_bins:
                    raise SyncError(
                        f"spine {lk.name}: batched delivery of {scheduler.batch_bins} intervals "
                        f"needs a pathway whose {lk.calcium.input_port!r} takes a time course of "
                        f"as many bins (it takes {cap}); give that input a series capacity of "
                        f"{scheduler.batch_bins} (biochem: Pathway(..., series_inputs=...)), or "
                        "use delivery='per-exchange'"
                    )
        self.wall = {"electrical": 0.0, "biochemical": 0.0, "sync": 0.0}
        self.pathway_calls = 0
        self.sample_calls = 0
        self.n_exchange_ticks = 0

    # ------------------------------------------------------------------ set-up
    def equilibrate(self, t_s: float, share: bool = True) -> None:
        """Pre-run every pathway for ``t_s`` with no calcium input; take the weight baselines.

        With ``share`` (instances of one pathway in the same initial state, the
        usual case) one instance is integrated and its state copied to the others.
        """
        t_s = float(t_s)
        if not t_s >= 0:
            raise SchedulerError(f"equilibrate_biochem_s = {t_s!r} must be >= 0")
        t0 = time.perf_counter()
        done: dict[tuple, bytes] = {}
        for lk in self.links:
            inst, cal = lk.instance, lk.calcium
            inst.initialize(self.bio_t0_s - t_s)
            for port, value in cal.uncoupled_inputs().items():
                inst.set(port, value)
            group = id(lk) if lk.share_key is None else lk.share_key
            key = (group, inst.save_state())
            if share and key in done:
                inst.restore_state(done[key])
            else:
                inst.advance_to(self.bio_t0_s)
                done[key] = inst.save_state()
            lk.weight.set_baseline()
        self.wall["biochemical"] += time.perf_counter() - t0

    def initialize(self) -> None:
        """Initialize the electrical model at t = 0 (call :meth:`equilibrate` first)."""
        if any(lk.weight.baseline is None for lk in self.links):
            raise SyncError(
                "call equilibrate(t_s) before initialize(): the weights need a baseline"
            )
        self.electrical.initialize(0.0)
        self.now = 0
        self.started = False
        for lk in self.links:
            lk.last_tick = lk.bio_tick = self.start
            lk.pending = []
            lk.exchanges = 0
            for tr in lk.traces:
                tr.next_tick = self.start
        if self.start == 0:
            self._start()

    def refresh_inputs(self) -> None:
        """Re-read the input times of every link (after adding inputs)."""
        per_link = []
        for lk in self.links:
            pairs = set()
            for conn in lk.inputs:
                for t in conn.arrival_times_ms:
                    pairs.add((self.clock.input_tick(t - conn.delay_ms), self.clock.input_tick(t)))
            early = sorted(a for _, a in pairs if a < self.start)
            if early and not self.started:
                raise SchedulerError(
                    f"spine {lk.name}: an input acts at {self.clock.ms(early[0]):g} ms, during "
                    f"the electrical equilibration (0-{self.clock.ms(self.start):g} ms); move "
                    "the inputs after it or shorten equilibrate_ms"
                )
            per_link.append(sorted(pairs))
        if not self._owners_set:
            self._set_owners(per_link)
        self.plan.set_inputs(per_link, self.now)

    def _set_owners(self, per_link: list[list]) -> None:
        """Which rank integrates each pathway: by expected exchanges (inputs x window)."""
        per_input = 1.0 + (self.plan.window // self.plan.step + 1 if not self.plan.fixed else 0)
        costs = [1.0 + per_input * len(p) for p in per_link]
        self.bio_owner = assign_by_cost(costs, self.size)
        self.bio_cost = costs
        for lk, r in zip(self.links, self.bio_owner):
            lk.local_bio = r == self.rank
        self._owners_set = True

    def _sum(self, arr: np.ndarray) -> np.ndarray:
        if self.size == 1:
            return arr
        if hasattr(self.comm, "Allreduce"):
            out = np.empty_like(arr)
            self.comm.Allreduce(arr, out)
            return out
        return np.asarray(self.comm.allreduce(arr))

    def _electrical_values(self) -> np.ndarray | None:
        """(2, n_links): calcium charge and concentration of every link, on every rank."""
        if not self.split:
            return None
        n = len(self.links)
        vals = np.zeros(2 * n)
        for li, lk in enumerate(self.links):
            if lk.local_el:
                vals[li], vals[n + li] = lk.calcium.read_electrical()
        return self._sum(vals).reshape(2, n)

    def _agreed(self, parts: list[int]) -> list[int]:
        """The links any rank lists (every rank gets the same list)."""
        if self.size == 1:
            return parts
        flags = np.zeros(len(self.links))
        flags[parts] = 1.0
        return [int(i) for i in np.nonzero(self._sum(flags))[0]]

    def _set_weights(self, parts, weights: np.ndarray) -> None:
        """Set the new weights (NaN: the pathway did not move, the weight stays)."""
        weights = self._sum(weights)
        for li in parts:
            lk = self.links[li]
            if lk.local_el and not np.isnan(weights[li]):
                self.electrical.set(lk.weight.weight_port, float(weights[li]))

    def _start(self) -> None:
        if not self._owners_set:
            self.refresh_inputs()
        vals = self._electrical_values()
        if self._conc_probe is not None or vals is not None:
            self.rest = self._link_concentrations(vals)
        weights = np.zeros(len(self.links))
        for li, lk in enumerate(self.links):
            lk.last_tick = lk.bio_tick = self.start
            lk.pending = []
            lk.in_window = self.plan.fixed
            if lk.local_bio:
                lk.calcium.start(None if vals is None else (vals[0, li], vals[1, li]))
                weights[li] = lk.weight.apply(self.clock.ms(self.start), set_electrical=False)
                self._record_samples(lk, self.start)
        self._set_weights(range(len(self.links)), weights)
        self.started = True
        self.refresh_inputs()

    # ------------------------------------------------------------------ running
    def bio_time_s(self, tick: int) -> float:
        """Pathway time [s] at a tick of the run."""
        return self.bio_t0_s + (tick - self.start) * self.clock.dt_ms / 1000.0

    def _run_electrical(self, tick: int) -> None:
        if tick > self.now:
            t0 = time.perf_counter()
            self.electrical.advance_to_tick(tick)
            self.wall["electrical"] += time.perf_counter() - t0
            self.now = tick

    def advance_to(self, t_ms: float) -> None:
        """Run the co-simulation to ``t_ms`` (a whole number of steps)."""
        stop = self.clock.ticks(t_ms, "t_ms")
        if stop < self.now:
            raise SchedulerError(
                f"advance_to({t_ms} ms) is before the current time {self.clock.ms(self.now)} ms"
            )
        t_begin = time.perf_counter()
        w_e, w_b = self.wall["electrical"], self.wall["biochemical"]
        if not self.started:
            self._run_electrical(min(stop, self.start))
            if self.now == self.start:
                self._start()
        if self.started:
            while True:
                k = self.plan.next_tick(self.now)
                if k is None:
                    break
                if self.span_ticks:  # sample the concentrations span before the exchange
                    p = k - self.span_ticks
                    if self.now < p <= stop:
                        self._run_electrical(p)
                        self._pre = (p, self._link_concentrations(self._electrical_values()))
                if k > stop:
                    break
                self._run_electrical(k)
                self._exchange(k)
        self._run_electrical(stop)
        spent = time.perf_counter() - t_begin
        self.wall["sync"] += spent - (self.wall["electrical"] - w_e) - (
            self.wall["biochemical"] - w_b)  # fmt: skip

    def _link_concentrations(self, vals: np.ndarray | None = None) -> np.ndarray:
        if vals is not None:
            return vals[1].copy()
        if self._conc_probe is None:
            return np.zeros(len(self.links))
        c = self._conc_probe.values()
        return np.add.reduceat(c, self._conc_split[:-1]) if c.size else c

    def _exchange(self, tick: int) -> None:
        mandatory, open_after = self.plan.take(tick)
        self.n_exchange_ticks += 1
        vals = self._electrical_values()
        if mandatory is None:
            parts = range(len(self.links))
        else:
            parts = set(mandatory)
            tail = self._follow_tails and not open_after
            if ((len(parts) < len(self.links) or tail)
                    and (self._conc_probe is not None or vals is not None)):  # fmt: skip
                tol = self.scheduler.calcium_rest_tolerance
                c = self._link_concentrations(vals)
                away = np.nonzero(np.abs(c - self.rest) > tol * np.abs(self.rest))[0]
                parts.update(int(i) for i in away)
                if tail and len(away):
                    # measuring is cheap: follow the transients' tails to rest
                    self.plan.hold_open(tick)
                    open_after = True
            soon = self._arriving_next(tick) if self.batched else set()
            parts.update(soon)
            for li, lk in enumerate(self.links):
                if li not in parts:
                    lk.in_window = False
            parts = sorted(parts)
        weights = np.zeros(len(self.links))
        for li in parts:
            lk = self.links[li]
            values = None if vals is None else (vals[0, li], vals[1, li])
            weights[li] = self._sync_link(lk, tick, open_after, li, values,
                                          flush=mandatory is None or li in soon)  # fmt: skip
        self._set_weights(parts, weights)

    def _arriving_next(self, tick: int) -> set[int]:
        """Links with an input reaching the synapse at the next exchange tick.

        The engine delivers an event at the end of the step that reaches its
        time, i.e. before the exchange at that tick: the weight the event uses is
        the one set at the exchange before.  Batched delivery therefore brings
        these links' pathways (and weights) up to date now.
        """
        nxt = self.plan.next_tick(tick)
        return self.plan.arrivals_at(nxt) if nxt is not None else set()

    def _sync_link(self, lk: Link, tick: int, open_after: bool, li: int = -1,
                   values=None, flush: bool = True) -> float:  # fmt: skip
        """Bring one link's pathway to ``tick`` (on its rank); returns its new weight.

        The weight is 0 on the ranks that do not integrate the pathway, and NaN
        when batched delivery only measured the interval (the pathway did not
        move; ``flush`` forces the call).
        """
        w = 0.0
        if lk.local_bio:
            if tick > lk.last_tick:
                dt_s = (tick - lk.last_tick) * self.clock.dt_ms / 1000.0
                base = None
                pre = self._pre
                if pre is not None and li >= 0 and pre[0] == tick - self.span_ticks > lk.last_tick:
                    base = float(pre[1][li])
                if self.batched:
                    value = lk.calcium.interval_value(dt_s, window=lk.in_window, base_conc=base,
                                                      values=values)  # fmt: skip
                    window = lk.in_window and lk.calcium.window_sets_inputs
                    if lk.pending and lk.pending[-1][2] != window:
                        self._flush(lk)  # pump and leak change: a batch has one setting
                    lk.pending.append((tick, value, window))
                else:
                    lk.calcium.prepare_interval(dt_s, window=lk.in_window, base_conc=base,
                                                values=values)  # fmt: skip
                    self._advance_pathway(lk, tick)
            if self.batched:
                if flush or len(lk.pending) >= self.scheduler.batch_bins:
                    self._flush(lk)
                    w = lk.weight.apply(self.clock.ms(tick), set_electrical=False)
                else:
                    w = float("nan")
            else:
                w = lk.weight.apply(self.clock.ms(tick), set_electrical=False)
        lk.last_tick = tick
        lk.in_window = open_after
        lk.exchanges += 1
        return w

    def _flush(self, lk: Link) -> None:
        """Batched delivery: integrate the pending intervals in one pathway call."""
        if not lk.pending:
            return
        ticks = [lk.bio_tick] + [p[0] for p in lk.pending]
        edges = [self.bio_time_s(k) for k in ticks]
        lk.calcium.deliver_series(edges, [p[1] for p in lk.pending], window=lk.pending[0][2])
        lk.pending = []
        self._advance_pathway(lk, ticks[-1])

    def _advance_pathway(self, lk: Link, tick: int) -> None:
        t0 = time.perf_counter()
        inst = lk.instance
        while lk.traces:
            s = min(tr.next_tick for tr in lk.traces)
            if s >= tick:
                break
            inst.advance_to(self.bio_time_s(s))
            self.sample_calls += 1
            self._record_samples(lk, s)
        inst.advance_to(self.bio_time_s(tick))
        self.pathway_calls += 1
        lk.last_tick = lk.bio_tick = tick
        self._record_samples(lk, tick)
        self.wall["biochemical"] += time.perf_counter() - t0

    def _record_samples(self, lk: Link, tick: int) -> None:
        for tr in lk.traces:
            if tr.next_tick == tick:
                tr._t.append(self.clock.ms(tick))
                tr._v.append(np.array(lk.instance.values(tr.names)))
                tr.next_tick += tr.every_ticks

    def finish(self) -> None:
        """Bring every pathway (and weight) up to the current time; call once, at the end.

        With several ranks, every rank must call it (it communicates).
        """
        if not self.started:
            return
        vals = self._electrical_values()
        weights = np.zeros(len(self.links))
        parts = [li for li, lk in enumerate(self.links)
                 if lk.last_tick < self.now or (lk.local_bio and lk.pending)]  # fmt: skip
        parts = self._agreed(parts)
        for li in parts:
            lk = self.links[li]
            values = None if vals is None else (vals[0, li], vals[1, li])
            weights[li] = self._sync_link(lk, self.now, lk.in_window, li, values)
        self._set_weights(parts, weights)

    def collect(self) -> dict:
        """Per-spine results from the ranks that own them, on every rank.

        ``{name: {"t_ms", "w", "exchanges", "entered", "delivered", "traces": [(t, v)]}}``.
        """
        local = {
            lk.name: {
                "t_ms": list(lk.weight.history_t_ms), "w": list(lk.weight.history_w),
                "exchanges": lk.exchanges, "entered": lk.calcium.entered_mol,
                "delivered": lk.calcium.delivered_mol,
                "traces": [(list(tr._t), list(tr._v)) for tr in lk.traces],
            }
            for lk in self.links if lk.local_bio
        }  # fmt: skip
        if self.size == 1:
            return local
        parts = self.comm.gather(local, root=0)
        merged = {}
        if self.rank == 0:
            for p in parts:
                merged.update(p)
        return self.comm.bcast(merged, root=0)

    # ------------------------------------------------------------------ records
    def add_trace(self, link: Link, trace: SpeciesTrace, every_ms: float) -> SpeciesTrace:
        """Sample ``trace.names`` of ``link``'s pathway every ``every_ms`` from the coupling start."""
        every = self.clock.ticks(every_ms, "every_ms")
        if every < 1:
            raise SchedulerError(f"every_ms = {every_ms} is shorter than one step")
        link.instance.values(trace.names)  # raises now for an unknown name
        trace.every_ticks, trace.next_tick = every, self.start
        link.traces.append(trace)
        return trace

    def stats(self) -> dict:
        """What the synchroniser did: exchanges, pathway calls, wall time per component.

        With several ranks it communicates (call it on every rank); the wall
        times are this rank's, the counts are totals.
        """
        res = None
        if self.size > 1:  # only the counters travel (not the weight and species histories)
            local = {lk.name: {"exchanges": lk.exchanges, "entered": lk.calcium.entered_mol,
                               "delivered": lk.calcium.delivered_mol}
                     for lk in self.links if lk.local_bio}  # fmt: skip
            parts = self.comm.gather(local, root=0)
            res = {}
            for part in parts if self.rank == 0 else ():
                res.update(part)
            res = self.comm.bcast(res, root=0)

        def per_link(key, attr):
            if res is not None:
                return {name: res[name][key] for name in (lk.name for lk in self.links)}
            return {lk.name: attr(lk) for lk in self.links}

        return {
            "scheduler": repr(self.scheduler),
            "ranks": self.size,
            "exchange_ticks": self.n_exchange_ticks,
            "exchanges": per_link("exchanges", lambda lk: lk.exchanges),
            "pathway_calls": int(self.comm.allreduce(self.pathway_calls)),
            "sample_calls": int(self.comm.allreduce(self.sample_calls)),
            "wall_s": dict(self.wall),
            "ca_entered_mol": per_link("entered", lambda lk: lk.calcium.entered_mol),
            "ca_delivered_mol": per_link("delivered", lambda lk: lk.calcium.delivered_mol),
        }

    # ------------------------------------------------------------------ state
    def save_state(self) -> bytes:
        """Everything needed to continue the run: electrical, pathways, couplings, plan."""
        return pickle.dumps({
            "now": self.now,
            "started": self.started,
            "rest": self.rest.copy(),
            "pre": self._pre,
            "ranks": self.size,
            "electrical": self.electrical.save_state(),
            "plan": self.plan.state(),
            "counters": (dict(self.wall), self.pathway_calls, self.sample_calls,
                         self.n_exchange_ticks),
            "links": [
                {
                    "name": lk.name,
                    "instance": lk.instance.save_state(),
                    "calcium": lk.calcium.state(),
                    "weight": lk.weight.state(),
                    "last_tick": lk.last_tick,
                    "bio_tick": lk.bio_tick,
                    "pending": list(lk.pending),
                    "in_window": lk.in_window,
                    "exchanges": lk.exchanges,
                    "traces": [(tr.next_tick, list(tr._t), list(tr._v)) for tr in lk.traces],
                }
                for lk in self.links
            ],
        })  # fmt: skip

    def restore_state(self, blob: bytes) -> None:
        st = pickle.loads(blob)
        if st.get("ranks", 1) != self.size:
            raise SyncError(
                f"restore_state: the state was saved by a run on {st.get('ranks', 1)} ranks, "
                f"this one has {self.size}; resume with the same number of ranks"
            )
        names = [d["name"] for d in st["links"]]
        if names != [lk.name for lk in self.links]:
            raise SyncError(
                f"restore_state: the saved run has spines {names}, this one "
                f"{[lk.name for lk in self.links]}; rebuild the same co-simulation first"
            )
        self.electrical.restore_state(st["electrical"])
        self.now, self.started = st["now"], st["started"]
        self.rest = st["rest"].copy()
        self._pre = st["pre"]
        self.plan.set_state(st["plan"])
        wall, self.pathway_calls, self.sample_calls, self.n_exchange_ticks = st["counters"]
        self.wall = dict(wall)
        for lk, d in zip(self.links, st["links"]):
            lk.instance.restore_state(d["instance"])
            lk.calcium.set_state(d["calcium"])
            lk.weight.set_state(d["weight"])
            lk.last_tick, lk.in_window, lk.exchanges = (
                d["last_tick"],
                d["in_window"],
                d["exchanges"],
            )
            lk.bio_tick, lk.pending = d.get("bio_tick", lk.last_tick), list(d.get("pending", []))
            if len(d["traces"]) != len(lk.traces):
                raise SyncError(f"restore_state: spine {lk.name} records different species")
            for tr, (nt, t, v) in zip(lk.traces, d["traces"]):
                tr.next_tick, tr._t, tr._v = nt, list(t), list(v)
