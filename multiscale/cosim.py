"""The TimeScales MSN with biochemical spines: electrical cell + one pathway per spine.

>>> from multiscale.msn import build_msn
>>> from multiscale.cosim import Cosimulation
>>> from sync import EventDriven
>>> msn = build_msn("two")
>>> cs = Cosimulation(msn, biochemical=[1], scheduler=EventDriven(10.0, 1.0))  # doctest: +SKIP
>>> cs.stimulate(1, [180.0, 230.0])                                            # doctest: +SKIP
>>> cs.initialize(); cs.advance_to(500.0); cs.finish()                         # doctest: +SKIP
>>> cs.weights(1)                                                             # doctest: +SKIP

Each biochemical spine joins the electrical spine (:class:`multiscale.spine.Spine`:
neck, head, PSD, AMPA and NMDA), its pathway instance and its two couplings
(:mod:`multiscale.couplings`), kept by the Cosimulation (:meth:`Cosimulation.instance`,
:meth:`Cosimulation.couplings`), never written into the spine, so that one MSN
may back several Cosimulations:

- calcium: the charge of ``ica + ical`` through head and PSD (``influx``), or
  the change of ``cai + cali`` at ``head(0.5)`` (``concentration-difference``),
  into the pathway's ``ca_in``;
- weight: ``AMPAR_P`` / its value after the biochemical equilibration, onto the
  spine's AMPA connection(s).

The timeline is the original's (MODEL.md 8.2): the electrical model starts at
0 ms and runs ``equilibrate_ms`` alone; the pathways were first run for
``equilibrate_biochem_s`` with no calcium input and their AMPAR_P then is the
weight baseline.  Input times are in the electrical time (the original's
NEURON time), and must come after the electrical equilibration.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from biochem import Pathway
from common.units import parse_unit
from electrical import Connection, events
from electrical.component import ElectricalComponent
from sync import (
    CouplingError,
    EventDriven,
    FixedInterval,
    Link,
    SpeciesTrace,
    Synchronizer,
)

from .couplings import CalciumCoupling, WeightCoupling, calcium_coupling_class
from .errors import InvalidModelError
from .msn import MSN
from .spine import SYNAPSES as _SYNAPSES
from .spine import Spine
from .stimulation import NETCON_DELAY_MS

__all__ = ["DEFAULT_EQUILIBRATE_BIOCHEM_S", "DEFAULT_EQUILIBRATE_MS", "Cosimulation"]

#: Electrical equilibration before any input (MODEL.md 8.2, t_equilibrium_neuron) [ms].
DEFAULT_EQUILIBRATE_MS = 100.0
#: Pathway pre-run with no calcium input (MODEL.md 8.2, t_equilibrium_ecell) [s].
DEFAULT_EQUILIBRATE_BIOCHEM_S = 300.0


def calcium_influx_terms(sim, spine: Spine) -> list[tuple[str, object, float]]:
    """Terms of the calcium that enters a spine's head and PSD through calcium channels.

    ``ica + ical`` of every head and PSD segment times its area [um2], minus the
    outward currents of the spine's calcium pumps (``catrack.ica_pmp``,
    ``caltrack.ica_pmp``), which the pool currents contain: the pump removes
    calcium, it does not bring it in.  Integrated, the sum is in mA/cm2 * um2 * ms.
    """
    terms = []
    for sec in (spine.head, spine.psd):
        for i in range(sec.nseg):
            loc = sec((i + 0.5) / sec.nseg)
            area = float(sim.tree.area[sim.tree.node_of(loc)])  # um2
            terms += [("ica", loc, area), ("ical", loc, area)]
            for pump in ("catrack", "caltrack"):
                if sec.has(pump):
                    terms.append((f"{pump}.ica_pmp", loc, -area))
    return terms


class Cosimulation:
    """An MSN whose chosen spines each run a biochemical pathway, synchronised.

    Parameters
    ----------
    msn : multiscale.msn.MSN
        The cell (IClamps and other point processes placed on ``msn.cell`` first).
    pathway : biochem.Pathway, optional
        The spine pathway (default ``Pathway.spine("timescales")``, with ca_in
        a series input for ``EventDriven(delivery="batched")``, when any spine
        is biochemical; a pathway given without that capacity is recompiled with
        it, :meth:`biochem.Pathway.with_series_inputs`).  It needs the ports ``ca_in`` (a flux), ``AMPAR_P``
        and, for ``concentration-difference``, ``ca_pump_vmax`` and ``ca_leak_vmax``.
    biochemical : iterable of int or str, or "stimulated" or "all"
        Which spines run the pathway (numbers, or names ``"spine3"``);
        ``"stimulated"`` means the spines that have inputs at :meth:`initialize`.
    coupling : {"influx", "concentration-difference"}
        Calcium coupling rule (:class:`multiscale.couplings.InfluxCoupling`,
        :class:`multiscale.couplings.ConcentrationDifferenceCoupling`).
    scheduler : sync.EventDriven or sync.FixedInterval
        Default ``EventDriven(window_ms=10, exchange_interval_ms=1)``.
    dt_ms : float, optional
        Electrical step (default the MSN's, 0.025 ms).
    v_init_mV : float, optional
        Initial potential (default the MSN's, -87.75 mV).
    equilibrate_ms : float
        Electrical equilibration [ms], part of the timeline.
    equilibrate_biochem_s : float
        Pathway equilibration [s], before the timeline.
    ca_pump_vmax, ca_leak_vmax : float, optional
        Pathway pump and leak Vmax in their ports' unit (M/s for the shipped
        pathway; default: the pathway's values, 4e-3 M/s).
    pathway_volume_l : float, optional
        Volume [L] the pathway's calcium flux refers to (default: its only compartment).
    sample_span_ms : float, optional
        ``concentration-difference`` only: measure each change of head calcium
        over the last ``sample_span_ms`` of the interval (0.9 reproduces the
        original's sampling, MODEL.md 8.3; default the whole interval).
    comm : communicator, optional
        From :func:`multiscale.distribute.world` under ``mpiexec``: the spines'
        pathways are distributed over the ranks by expected cost (every rank
        builds the same Cosimulation and calls the same methods; ``finish``,
        ``stats`` and ``weights`` of another rank's spine communicate).  The
        electrical cell is split across the same ranks (electrical._split)
        unless ``sim_kwargs={"comm": None}``.
    """

    def __init__(
        self,
        msn: MSN,
        *,
        pathway: Pathway | None = None,
        biochemical: Iterable[int | str] | str = (),
        coupling: str = "influx",
        scheduler: EventDriven | FixedInterval | None = None,
        dt_ms: float | None = None,
        v_init_mV: float | None = None,
        equilibrate_ms: float = DEFAULT_EQUILIBRATE_MS,
        equilibrate_biochem_s: float = DEFAULT_EQUILIBRATE_BIOCHEM_S,
        ca_pump_vmax: float | None = None,
        ca_leak_vmax: float | None = None,
        pathway_volume_l: float | None = None,
        sample_span_ms: float | None = None,
        comm=None,
        sim_kwargs: Mapping | None = None,
    ) -> None:
        if not isinstance(msn, MSN):
            raise InvalidModelError(f"Cosimulation needs an MSN (multiscale.msn.build_msn), got {msn!r}")
        self._coupling_class = calcium_coupling_class(coupling)
        self.msn = msn
        self.coupling = coupling
        self.scheduler = EventDriven() if scheduler is None else scheduler
        if not isinstance(self.scheduler, EventDriven | FixedInterval):
            raise CouplingError(
                f"scheduler must be sync.EventDriven(...) or sync.FixedInterval(...), got "
                f"{scheduler!r}"
            )
        self.equilibrate_ms = float(equilibrate_ms)
        self.equilibrate_biochem_s = float(equilibrate_biochem_s)
        for name, value in (("equilibrate_ms", self.equilibrate_ms),
                            ("equilibrate_biochem_s", self.equilibrate_biochem_s)):  # fmt: skip
            if not (math.isfinite(value) and value >= 0):
                raise InvalidModelError(f"{name} = {value!r} must be >= 0")
        self.v_init_mV = msn.params.v_init if v_init_mV is None else float(v_init_mV)
        sim_kwargs = dict(sim_kwargs or {})
        if comm is not None and comm.Get_size() > 1:
            sim_kwargs.setdefault("comm", comm)  # split the cell too (set None to replicate it)
        self.electrical = msn.simulation(dt_ms, **sim_kwargs)
        self.component = ElectricalComponent(self.electrical, self.v_init_mV)
        self._biochemical_request = biochemical
        self._pathway = pathway
        self._pump, self._leak = ca_pump_vmax, ca_leak_vmax
        self._pathway_volume_l = pathway_volume_l
        self._sample_span_ms = sample_span_ms
        self.comm = comm
        self._collected: dict | None = None
        self._conns: dict[str, dict[tuple[str, float], Connection]] = {}
        self._pending_traces: list[tuple[str, SpeciesTrace, float]] = []
        self.sync: Synchronizer | None = None
        self.spines: dict[str, Spine] = {}
        #: Per biochemical spine: (pathway instance, calcium coupling, weight coupling).
        self._records: dict[str, tuple[object, CalciumCoupling, WeightCoupling]] = {}
        # spines named explicitly are resolved now, so that mistakes show at once
        if not isinstance(biochemical, str):
            for s in biochemical:
                self._spine(s)
        elif biochemical not in ("stimulated", "all"):
            raise InvalidModelError(
                f"biochemical = {biochemical!r}: give a list of spine numbers, 'stimulated' "
                "or 'all'"
            )

    # ------------------------------------------------------------------ spines and inputs
    def _spine(self, spine: int | str | Spine) -> Spine:
        if isinstance(spine, Spine):
            if spine not in self.msn.spines:
                raise InvalidModelError(f"{spine.name} is not a spine of this MSN")
            return spine
        try:
            return self.msn.spine(spine)
        except LookupError as exc:
            raise InvalidModelError(str(exc)) from None

    def _connection(self, spine: Spine, syn: str, delay_ms: float) -> Connection:
        per = self._conns.setdefault(spine.name, {})
        key = (syn, float(delay_ms))
        if key not in per:
            target = spine.ampa if syn == "ampa" else spine.nmda
            per[key] = self.electrical.connect(target, (), weight=1.0, delay_ms=delay_ms)
        return per[key]

    def stimulate(
        self,
        spine: int | str | Spine,
        times_ms: Iterable[float],
        synapses: Iterable[str] = _SYNAPSES,
        delay_ms: float = NETCON_DELAY_MS,
    ) -> None:
        """Presynaptic spikes at ``times_ms`` [ms] to a spine's synapses (arriving delay_ms later)."""
        sp = self._spine(spine)
        times = events.spike_times(times_ms)
        for syn in synapses:
            if syn not in _SYNAPSES:
                raise InvalidModelError(f"synapse {syn!r}: a spine has 'ampa' and 'nmda'")
            conn = self._connection(sp, syn, delay_ms)
            self.electrical.add_events(conn, times)
        if self.sync is not None:  # after initialize: the new inputs join the plan
            for lk in self.sync.links:
                if lk.name == sp.name:
                    lk.inputs = list(self._conns[sp.name].values())
            self.sync.refresh_inputs()

    def stimulate_timescales(self, spine: int | str | Spine, stimuli: Iterable[Mapping],
                             delay_ms: float = NETCON_DELAY_MS) -> None:  # fmt: skip
        """The original stimulus descriptions (MODEL.md 5.2): ``{t_stim, numbers, delay, type}``."""
        per_type = events.timescales_inputs(list(stimuli))
        unknown = set(per_type) - set(_SYNAPSES)
        if unknown:
            raise InvalidModelError(f"stimulus type(s) {sorted(unknown)}: a spine has 'ampa' and 'nmda'")
        for syn, times in per_type.items():
            self.stimulate(spine, times, synapses=(syn,), delay_ms=delay_ms)

    def _stimulated(self) -> list[Spine]:
        return [
            sp for sp in self.msn.spines
            if any(c.arrival_times_ms.size for c in self._conns.get(sp.name, {}).values())
        ]  # fmt: skip

    # ------------------------------------------------------------------ recording
    def record_species(self, spine: int | str | Spine, names: Iterable[str],
                       every_ms: float) -> SpeciesTrace:  # fmt: skip
        """Sample pathway values of a biochemical spine every ``every_ms`` of the run.

        ``names`` are roadrunner selections (``"CaMKIIbar"``, ``"[ca]"``,
        ``"AMPAR_P"``).  Each sample stops that spine's pathway (with the same
        calcium input as the rest of its interval).
        """
        sp = self._spine(spine)
        tr = SpeciesTrace(sp.name, tuple(names), 1)
        self._pending_traces.append((sp.name, tr, float(every_ms)))
        if self.sync is not None:
            self._attach_traces()
        return tr

    def _attach_traces(self) -> None:
        links = {lk.name: lk for lk in self.sync.links}
        for name, tr, every_ms in self._pending_traces:
            if name not in links:
                raise InvalidModelError(
                    f"record_species: {name} is not biochemical; biochemical spines: "
                    f"{sorted(links)}"
                )
            self.sync.add_trace(links[name], tr, every_ms)
        self._pending_traces = []

    # ------------------------------------------------------------------ building
    def _biochemical_spines(self) -> list[Spine]:
        req = self._biochemical_request
        if req == "all":
            return list(self.msn.spines)
        if req == "stimulated":
            return self._stimulated()
        out: list[Spine] = []
        for s in req:
            sp = self._spine(s)
            if sp not in out:
                out.append(sp)
        return out

    def _volume_l(self, pathway: Pathway) -> float:
        if self._pathway_volume_l is not None:
            return float(self._pathway_volume_l)
        comps = pathway.compartments
        if len(comps) != 1:
            raise CouplingError(
                f"pathway {pathway.name} has {len(comps)} compartments; give pathway_volume_l "
                "(the volume [L] its calcium flux refers to)"
            )
        factor, dims = parse_unit(comps[0].unit)
        if dims != (0, 3, 0, 0):
            raise CouplingError(
                f"pathway {pathway.name}: compartment {comps[0].id} is in {comps[0].unit!r}, "
                "not a volume; give pathway_volume_l"
            )
        return comps[0].size * factor * 1e3  # m3 -> L

    def _build(self) -> None:
        spines = self._biochemical_spines()
        sim, comp = self.electrical, self.component
        links: list[Link] = []
        pathway = self._pathway
        batch = self.scheduler.batch_bins if getattr(self.scheduler, "batched", False) else 0
        if spines and pathway is None:
            pathway = Pathway.spine("timescales",
                                    series_inputs={"ca_in": batch} if batch else None)  # fmt: skip
        if batch and pathway is not None and pathway.series_capacity("ca_in") < batch:
            # batched delivery gives ca_in a time course: recompile with that capacity
            pathway = pathway.with_series_inputs({pathway.port("ca_in").target: batch})
        self.pathway = pathway
        volume_l = self._volume_l(pathway) if spines else 0.0
        split = comp.split  # the electrical model is split across ranks
        for sp in spines:
            conc_terms = [("cai", sp.head(0.5)), ("cali", sp.head(0.5))]
            ampa = [self._connection(sp, "ampa", NETCON_DELAY_MS)] + [
                c for (syn, d), c in self._conns.get(sp.name, {}).items()
                if syn == "ampa" and d != NETCON_DELAY_MS
            ]  # fmt: skip
            local = not split or comp.owns(sp.head(0.5))
            if local:  # ports exist on the rank that computes the spine's compartments
                terms = calcium_influx_terms(sim, sp)
                # (mA/cm2 * um2) = 1e-3 A * 1e-8 = 1e-11 A = 1e-2 nA; integral in nA*ms = pC
                comp.add_integral(f"{sp.name}.ca_charge", terms, "nA*ms", scale=1e-2)
                comp.add_probe(f"{sp.name}.ca_conc", conc_terms, "mM")
                comp.add_weight(f"{sp.name}.ampa_weight", ampa)
            inst = pathway.instance(sp.name, spine=sp.name)
            head_volume_um3 = math.pi * (sp.head.diam / 2.0) ** 2 * sp.head.L
            calcium = self._coupling_class(
                comp, inst,
                charge_port=f"{sp.name}.ca_charge", concentration_port=f"{sp.name}.ca_conc",
                head_volume_um3=head_volume_um3, pathway_volume_l=volume_l,
                pump_vmax=self._pump, leak_vmax=self._leak, sample_span_ms=self._sample_span_ms,
                local_electrical=local,
            )  # fmt: skip
            weight = WeightCoupling(inst, comp, weight_port=f"{sp.name}.ampa_weight",
                                    local_electrical=local)  # fmt: skip
            self._records[sp.name] = (inst, calcium, weight)
            self.spines[sp.name] = sp
            inputs = list(self._conns.get(sp.name, {}).values())
            links.append(Link(sp.name, inst, calcium, weight, inputs, conc_terms,
                              series_capacity=pathway.series_capacity(calcium.ca_in_port),
                              share_key=id(pathway)))  # fmt: skip
        self.sync = Synchronizer(comp, links, self.scheduler, start_ms=self.equilibrate_ms,
                                 bio_t0_s=self.equilibrate_biochem_s, comm=self.comm)  # fmt: skip

    # ------------------------------------------------------------------ running
    def initialize(self) -> None:
        """Build the couplings, equilibrate the pathways, initialize the electrical model."""
        if self.sync is None:
            self._build()
        self.sync.equilibrate(self.equilibrate_biochem_s)
        self._attach_traces()
        self.sync.initialize()
        self.sync.refresh_inputs()

    def advance_to(self, t_ms: float) -> None:
        """Run to ``t_ms`` [ms]; any split into several calls gives the same result."""
        if self.sync is None:
            raise InvalidModelError("call initialize() before advance_to()")
        self.sync.advance_to(t_ms)

    def finish(self) -> None:
        """Bring every pathway and weight up to the current time (once, at the end)."""
        if self.sync is not None:
            self.sync.finish()
            if self.sync.size > 1:
                self._collected = self.sync.collect()

    def run(self, t_stop_ms: float) -> dict:
        """initialize (if needed), advance to ``t_stop_ms``, finish; returns :meth:`stats`."""
        if self.sync is None or not self.sync.started and self.sync.now == 0:
            self.initialize()
        self.advance_to(t_stop_ms)
        self.finish()
        return self.stats()

    @property
    def t_ms(self) -> float:
        return self.electrical.t_ms

    @property
    def biochemical(self) -> list[str]:
        """Names of the biochemical spines (after initialize)."""
        return [lk.name for lk in self.sync.links] if self.sync else []

    def _link(self, spine):
        sp = self._spine(spine)
        for lk in self.sync.links if self.sync else ():
            if lk.name == sp.name:
                return lk
        raise InvalidModelError(f"{sp.name} is not a biochemical spine (biochemical: {self.biochemical})")

    def instance(self, spine: int | str | Spine):
        """The pathway instance of a biochemical spine (after initialize)."""
        return self._records[self._link(spine).name][0]

    def couplings(self, spine: int | str | Spine) -> tuple[CalciumCoupling, WeightCoupling]:
        """(calcium coupling, weight coupling) of a biochemical spine (after initialize)."""
        return self._records[self._link(spine).name][1:]

    def weights(self, spine: int | str | Spine):
        """(t_ms, weight) arrays: the AMPA weight of a biochemical spine at each exchange."""
        lk = self._link(spine)
        if not lk.local_bio:
            if self._collected is None:
                raise InvalidModelError(
                    f"{lk.name}'s pathway runs on another rank; its weights are here after "
                    "finish() (called on every rank)"
                )
            r = self._collected[lk.name]
            return np.asarray(r["t_ms"], dtype=float), np.asarray(r["w"], dtype=float)
        w = lk.weight
        return np.asarray(w.history_t_ms, dtype=float), np.asarray(w.history_w, dtype=float)

    def stats(self) -> dict:
        """Exchanges per spine, pathway calls, wall time per component, calcium balance."""
        return self.sync.stats() if self.sync else {}

    def save_state(self) -> bytes:
        """The whole co-simulation state (restore into an identically built Cosimulation)."""
        if self.sync is None:
            raise InvalidModelError("save_state() before initialize()")
        return self.sync.save_state()

    def restore_state(self, blob: bytes) -> None:
        if self.sync is None:
            self._build()
            self._attach_traces()
        self.sync.restore_state(blob)

    def __repr__(self) -> str:
        return (
            f"<Cosimulation mode={self.msn.mode} biochemical={len(self.biochemical)} "
            f"coupling={self.coupling} scheduler={self.scheduler!r} t_ms={self.t_ms:g}>"
        )
