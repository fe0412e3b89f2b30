"""The experiment schema: frozen dataclasses, one per TOML table, and :class:`Experiment`.

Every field carries its kind, unit (also in its key name: ``t_stop_ms``), bounds and a
one-line description in its metadata (:func:`schema_keys`; ``docs/experiments.md``).
Facts about the model come from the model kind (:mod:`multiscale.models`), the MSN's
from :mod:`multiscale.msn`.
"""

# _f returns a dataclasses.field (with the schema metadata), not a shared default
# ruff: noqa: RUF009

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..msn import MODES as _SPINE_MODES
from ..spine import SYNAPSES as _SYNAPSES

__all__ = [
    "DEFAULT_SPECIES",
    "PATHWAY_ROLES",
    "QUICK_AFTER_FIRST_INPUT_MS",
    "QUICK_BIOCHEM_EQUILIBRATION_S",
    "QUICK_LEAD_MS",
    "Experiment",
    "SynapticInput",
    "schema_keys",
]

#: ``--quick`` keeps this much simulated time after the first input [ms].
QUICK_AFTER_FIRST_INPUT_MS = 250.0
#: ``--quick`` moves the first input to this long after the equilibration [ms].
QUICK_LEAD_MS = 50.0
#: ``--quick`` shortens the pathway equilibration to at most this [s].
QUICK_BIOCHEM_EQUILIBRATION_S = 30.0

#: Species recorded per biochemical spine when the shipped pathway is used (roadrunner
#: selections: ``[X]`` is a species concentration, a bare id an amount or a parameter value).
DEFAULT_SPECIES = ("[ca]", "CaMKIIbar", "PP2Bbar", "PP1abar", "[AMPAR]", "[AMPAR_P]")

#: Ports the coupling reads or writes; a user SBML file maps each to one of its ids.
PATHWAY_ROLES = {
    "ca_in": "Ca2+ input flux, a parameter (M/s or mol/s)",
    "AMPAR_P": "the weight read-out, a species concentration such as '[AMPAR_P]'",
    "ca_pump_vmax": "Ca pump Vmax, a parameter (needed by concentration-difference)",
    "ca_leak_vmax": "Ca leak Vmax, a parameter (needed by concentration-difference)",
}
_REQUIRED_ROLES = {"influx": ("ca_in", "AMPAR_P"),
                   "concentration-difference": tuple(PATHWAY_ROLES)}  # fmt: skip

# ----------------------------------------------------------------------------- schema

_REQUIRED = dataclasses.MISSING


def _f(
    default: Any = _REQUIRED,
    *,
    kind: str,
    doc: str,
    unit: str = "",
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    choices: Sequence[str] | None = None,
    cls: type | None = None,
    required_table: bool = False,
    omit_default: bool = False,
) -> Any:
    """A schema field: kind, unit, bounds and documentation in the dataclass metadata."""
    md = {"kind": kind, "doc": doc, "unit": unit, "ge": ge, "gt": gt, "le": le,
          "choices": tuple(choices) if choices else None, "cls": cls,
          "required_table": required_table, "omit_default": omit_default}  # fmt: skip
    if default is _REQUIRED:
        return field(metadata=md)
    if isinstance(default, (list, dict, tuple)) and kind not in ("table",):
        value = tuple(default) if isinstance(default, (list, tuple)) else dict(default)
        return field(default_factory=lambda: value, metadata=md)
    if kind == "table":
        return field(default_factory=cls, metadata=md)
    return field(default=default, metadata=md)


@dataclass(frozen=True, kw_only=True)
class ExperimentInfo:
    """``[experiment]``: name, description, provenance and seed."""

    name: str = _f("", kind="str", doc="name of the run (default: the file name without .toml)")
    description: str = _f("", kind="str", doc="what the experiment shows")
    original: str = _f(
        "", kind="str", doc="the original TimeScales parameter file it reproduces (MODEL.md 8.5)"
    )
    seed: int = _f(0, kind="int", ge=0, doc="seed of every random draw (Poisson trains)")


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """``[model]``: the cell, its spines and parameter overrides."""

    kind: str = _f(
        "msn", kind="str", omit_default=True,
        doc="the model kind: 'msn' (the TimeScales MSN, the keys below) or 'python' "
        "(factory, parameters, celsius); multiscale.models lists the registered kinds",
    )  # fmt: skip
    factory: str = _f(
        "", kind="str", omit_default=True,
        doc="kind = 'python': 'module:function' returning an object with .cell "
        "(electrical.Cell) and .spines (multiscale.spine.Spine, numbered 1, 2, ...); the "
        "module is importable or a .py file beside the experiment file",
    )  # fmt: skip
    parameters: dict | None = _f(
        None, kind="map", doc="kind = 'python': keyword arguments of the factory"
    )
    celsius: float | None = _f(
        None, kind="float", unit="degC",
        doc="kind = 'python': temperature (default NEURON's 6.3 degC)",
    )  # fmt: skip
    cell: str = _f("msn", kind="enum", choices=("msn",), doc="the cell model")
    spines: str = _f(
        "two", kind="enum", choices=tuple(_SPINE_MODES),
        doc="spine mode: none (0), two (2), onebranch (103) or all (1504) spines (MODEL.md 6.2)",
    )  # fmt: skip
    spine_variant: str = _f(
        "timescales", kind="enum", choices=("timescales", "corrected"),
        doc="the original spine (quirks included) or the corrected one (MODEL.md 11.3)",
    )  # fmt: skip
    kir_gkbar: float = _f(
        1.6e-4, kind="float", unit="S/cm2", ge=0.0,
        doc="kir maximal conductance in every section that has kir, spines included",
    )  # fmt: skip
    cell_parameters: dict = _f(
        {}, kind="map", doc="overrides of multiscale.msn.MSNParameters (e.g. g_pas, soma_diam)"
    )
    spine_parameters: dict = _f(
        {}, kind="map", doc="overrides of multiscale.spine.SpineParameters (e.g. head_Ra)"
    )
    positions_dir: str = _f(
        "", kind="str",
        doc="folder with spine_positions.csv (default: $MSN_SPINE_POSITIONS_DIR or "
        "../shared/reference/msn beside the checkout)",
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class PathwaySpec:
    """``[pathway]``: the SBML pathway of every biochemical spine."""

    sbml: str = _f(
        "default", kind="str",
        doc="'default' (the shipped spine pathway) or an SBML/Antimony file, relative to the "
        "experiment file",
    )  # fmt: skip
    variant: str = _f(
        "timescales", kind="enum", choices=("timescales", "corrected"),
        doc="variant of the shipped pathway (only with sbml = 'default')",
    )  # fmt: skip
    spines: tuple = _f(
        ("stimulated",), kind="selection", choices=("stimulated", "all"),
        doc="which spines carry a pathway: a list of numbers/'spineN', 'stimulated', 'all' or "
        "'none' ([] = electrical only)",
    )  # fmt: skip
    ports: dict = _f(
        {}, kind="ports",
        doc="for a user SBML file: role -> id ('[species]' or a parameter), roles "
        + ", ".join(PATHWAY_ROLES),
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class CouplingSpec:
    """``[coupling]``: how calcium and weights cross between the two sides."""

    calcium: str = _f(
        "influx", kind="enum", choices=("influx", "concentration-difference"),
        doc="'influx' (the Ca charge that entered, mass-conserving) or the TimeScales "
        "'concentration-difference' rule",
    )  # fmt: skip
    ca_pump_vmax_M_per_s: float = _f(
        4e-3, kind="float", unit="M/s", ge=0.0, doc="pathway Ca pump Vmax (MODEL.md 8.4)"
    )
    ca_leak_vmax_M_per_s: float = _f(
        4e-3, kind="float", unit="M/s", ge=0.0, doc="pathway Ca leak Vmax (MODEL.md 8.4)"
    )
    sample_span_ms: float | None = _f(
        None, kind="float", unit="ms", gt=0.0,
        doc="concentration-difference only: measure each change of head calcium over the "
        "last sample_span_ms of the exchange interval (0.9 reproduces the original; default "
        "the whole interval)",
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class SchedulerSpec:
    """``[scheduler]``: when the two sides exchange."""

    kind: str = _f(
        "event-driven", kind="enum", choices=("event-driven", "fixed-interval"),
        doc="'event-driven' (TimeScales: exchange only in windows after inputs) or "
        "'fixed-interval' (exchange everything every interval)",
    )  # fmt: skip
    window_ms: float | None = _f(
        None, kind="float", unit="ms", gt=0.0,
        doc="event-driven only: how long after each input the sides exchange (default 10)",
    )  # fmt: skip
    exchange_interval_ms: float = _f(
        1.0, kind="float", unit="ms", gt=0.0,
        doc="time between exchanges; a whole number of dt_ms",
    )  # fmt: skip
    calcium_rest_tolerance: float | None = _f(
        None, kind="float", unit="1", gt=0.0,
        doc="event-driven only: a spine whose head calcium is away from rest by more than "
        "this fraction joins the exchanges of a window (default 0.5)",
    )  # fmt: skip
    delivery: str | None = _f(
        None, kind="enum", choices=("per-exchange", "batched"),
        doc="event-driven only: 'per-exchange' (one pathway call per exchange, the original) "
        "or 'batched' (calcium measured every exchange interval, delivered as a continuous "
        "course in one call per input; default 'per-exchange')",
    )  # fmt: skip
    batch_bins: int | None = _f(
        None, kind="int", ge=1, le=1024,
        doc="event-driven, batched only: most exchange intervals in one pathway call "
        "(default 64)",
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class SimulationSpec:
    """``[simulation]``: the clock."""

    t_stop_ms: float = _f(kind="float", unit="ms", gt=0.0, doc="end of the run")
    dt_ms: float = _f(0.025, kind="float", unit="ms", gt=0.0, doc="electrical time step")
    v_init_mV: float = _f(-87.75, kind="float", unit="mV", doc="initial membrane potential")
    equilibrate_ms: float = _f(
        100.0, kind="float", unit="ms", ge=0.0,
        doc="electrical pre-run [0, equilibrate_ms] with no input; inputs come after it",
    )  # fmt: skip
    equilibrate_biochem_s: float = _f(
        300.0, kind="float", unit="s", ge=0.0,
        doc="pathway pre-run without calcium input; the AMPA weight baseline is taken after it",
    )  # fmt: skip


_SYN_DOC = "which synapses of the spine receive the spikes"
_DELAY_DOC = "connection delay from spike to synapse (the original NetCon delay is 1 ms)"


@dataclass(frozen=True, kw_only=True)
class IClampSpec:
    """``[[stimuli.iclamp]]``: a current pulse."""

    section: str = _f("soma", kind="location", doc="section name, optionally with (x)")
    x: float = _f(0.5, kind="float", ge=0.0, le=1.0, doc="position along the section")
    delay_ms: float = _f(kind="float", unit="ms", ge=0.0, doc="onset")
    dur_ms: float = _f(kind="float", unit="ms", ge=0.0, doc="duration")
    amp_nA: float = _f(kind="float", unit="nA", doc="amplitude (positive depolarises)")


@dataclass(frozen=True, kw_only=True)
class SpikesSpec:
    """``[[stimuli.spikes]]``: explicit presynaptic spike times."""

    spines: tuple = _f(kind="spines", doc="spine numbers or 'spineN' names")
    times_ms: tuple = _f(kind="floats", unit="ms", doc="spike times")
    synapses: tuple = _f(_SYNAPSES, kind="strs", choices=_SYNAPSES, doc=_SYN_DOC)
    delay_ms: float = _f(1.0, kind="float", unit="ms", ge=0.0, doc=_DELAY_DOC)


@dataclass(frozen=True, kw_only=True)
class TrainSpec:
    """``[[stimuli.train]]``: a regular train (NetStim without noise)."""

    spines: tuple = _f(kind="spines", doc="spine numbers or 'spineN' names")
    start_ms: float = _f(kind="float", unit="ms", doc="time of the first spike")
    number: int = _f(kind="int", ge=0, doc="number of spikes")
    frequency_hz: float | None = _f(
        None, kind="float", unit="Hz", gt=0.0, doc="frequency (or give interval_ms)"
    )
    interval_ms: float | None = _f(
        None, kind="float", unit="ms", gt=0.0, doc="inter-spike interval (or give frequency_hz)"
    )
    synapses: tuple = _f(_SYNAPSES, kind="strs", choices=_SYNAPSES, doc=_SYN_DOC)
    delay_ms: float = _f(1.0, kind="float", unit="ms", ge=0.0, doc=_DELAY_DOC)


@dataclass(frozen=True, kw_only=True)
class PoissonSpec:
    """``[[stimuli.poisson]]``: a Poisson train per spine, drawn from the experiment seed."""

    spines: tuple = _f(kind="spines", doc="spine numbers or 'spineN' names")
    rate_hz: float = _f(kind="float", unit="Hz", ge=0.0, doc="mean rate")
    start_ms: float = _f(kind="float", unit="ms", doc="start of the interval")
    stop_ms: float = _f(kind="float", unit="ms", doc="end of the interval")
    synapses: tuple = _f(_SYNAPSES, kind="strs", choices=_SYNAPSES, doc=_SYN_DOC)
    delay_ms: float = _f(1.0, kind="float", unit="ms", ge=0.0, doc=_DELAY_DOC)


@dataclass(frozen=True, kw_only=True)
class TimescalesSpec:
    """``[[stimuli.timescales]]``: an original stimulus description (MODEL.md 5.2, 8.4).

    Spikes at ``1000 t_stim_s + k 1000 delay_s`` ms for k = 1..numbers: the first
    one is one interval after ``t_stim_s``; 1-ms connection delay.
    """

    name: str = _f("", kind="str", doc="label, e.g. the original's 's1'")
    spines: tuple = _f(kind="spines", doc="spine numbers or 'spineN' names")
    t_stim_s: float = _f(
        kind="float", unit="s", doc="reference time; first spike one interval later"
    )
    numbers: int = _f(kind="int", ge=0, doc="number of spikes")
    delay_s: float | None = _f(
        None, kind="float", unit="s", gt=0.0,
        doc="inter-spike interval (the original's 'delay'; or give frequency_hz)",
    )  # fmt: skip
    frequency_hz: float | None = _f(
        None, kind="float", unit="Hz", gt=0.0, doc="frequency (or give delay_s)"
    )
    synapses: tuple = _f(_SYNAPSES, kind="strs", choices=_SYNAPSES, doc=_SYN_DOC)


@dataclass(frozen=True, kw_only=True)
class StimuliSpec:
    """``[stimuli]``: arrays of tables, one per kind of input."""

    iclamp: tuple = _f((), kind="tables", cls=IClampSpec, doc="current pulses")
    spikes: tuple = _f((), kind="tables", cls=SpikesSpec, doc="explicit spike times")
    train: tuple = _f((), kind="tables", cls=TrainSpec, doc="regular trains")
    poisson: tuple = _f((), kind="tables", cls=PoissonSpec, doc="Poisson trains")
    timescales: tuple = _f(
        (), kind="tables", cls=TimescalesSpec, doc="original stimulus descriptions"
    )


@dataclass(frozen=True, kw_only=True)
class RecordingSpec:
    """``[recording]``: electrical traces and pathway species."""

    interval_ms: float = _f(
        0.1, kind="float", unit="ms", gt=0.0, doc="electrical sampling interval (whole dt_ms)"
    )
    variables: tuple = _f(
        ("v", "cai", "cali", "ica"), kind="strs",
        doc="electrical variables: v, an ion variable (cai, ica, ...) or mechanism.variable",
    )  # fmt: skip
    sections: tuple = _f(("soma",), kind="locations", doc="sections recorded at 0.5, or 'name(x)'")
    spine_heads: tuple = _f(
        ("stimulated", "biochemical"), kind="selection",
        choices=("stimulated", "biochemical", "all"),
        doc="spines whose head (0.5) is recorded: numbers, 'stimulated', 'biochemical', 'all'",
    )  # fmt: skip
    species: tuple | None = _f(
        None, kind="strs",
        doc="pathway species/parameters per biochemical spine (default for the shipped "
        "pathway: " + ", ".join(DEFAULT_SPECIES) + "; none for a user file)",
    )  # fmt: skip
    species_interval_ms: float = _f(
        10.0, kind="float", unit="ms", gt=0.0, doc="species sampling interval"
    )


@dataclass(frozen=True, kw_only=True)
class OutputSpec:
    """``[output]``: the HDF5 file, flushes and checkpoints."""

    file: str = _f(
        "", kind="str", doc="HDF5 file (default <name>.h5 in the working directory; -o wins)"
    )
    flush_interval_ms: float = _f(
        100.0, kind="float", unit="ms", gt=0.0,
        doc="simulated time between writes to the file (a killed run keeps them)",
    )  # fmt: skip
    checkpoint_interval_ms: float = _f(
        1000.0, kind="float", unit="ms", ge=0.0,
        doc="simulated time between checkpoints for --resume (0 = none)",
    )  # fmt: skip
    plots: bool = _f(False, kind="bool", doc="write the PNG plots next to the file at the end")


@dataclass(frozen=True, kw_only=True)
class QuickSpec:
    """``[quick]``: what ``--quick`` runs instead (see :func:`apply_quick`)."""

    after_first_input_ms: float = _f(
        QUICK_AFTER_FIRST_INPUT_MS, kind="float", unit="ms", gt=0.0,
        doc="simulated time kept after the first input",
    )  # fmt: skip
    shift_inputs: bool = _f(
        True, kind="bool",
        doc=f"move every input earlier so that the first one comes {QUICK_LEAD_MS:g} ms after "
        "the equilibration",
    )  # fmt: skip
    equilibrate_biochem_s: float | None = _f(
        None, kind="float", unit="s", ge=0.0,
        doc=f"pathway pre-run of the quick run (default: at most {QUICK_BIOCHEM_EQUILIBRATION_S:g})",
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Experiment:
    """A validated experiment.  Build it with :func:`load` or :func:`loads`."""

    experiment: ExperimentInfo = _f(kind="table", cls=ExperimentInfo, doc="name and seed")
    model: ModelSpec = _f(kind="table", cls=ModelSpec, doc="the cell")
    pathway: PathwaySpec = _f(kind="table", cls=PathwaySpec, doc="the pathway")
    coupling: CouplingSpec = _f(kind="table", cls=CouplingSpec, doc="the coupling")
    scheduler: SchedulerSpec = _f(kind="table", cls=SchedulerSpec, doc="the scheduler")
    simulation: SimulationSpec = _f(
        kind="table", cls=SimulationSpec, required_table=True, doc="the clock"
    )
    stimuli: StimuliSpec = _f(kind="table", cls=StimuliSpec, doc="the inputs")
    recording: RecordingSpec = _f(kind="table", cls=RecordingSpec, doc="what to record")
    output: OutputSpec = _f(kind="table", cls=OutputSpec, doc="the file")
    quick: QuickSpec = _f(kind="table", cls=QuickSpec, doc="the --quick variant")
    #: Where the experiment came from (not part of the schema).
    source: str = field(default="<string>", metadata={"internal": True})
    #: The ``--set`` overrides applied, in order (not part of the schema).
    overrides: tuple = field(default=(), metadata={"internal": True})
    #: True when :func:`apply_quick` made this the ``--quick`` variant.
    is_quick: bool = field(default=False, metadata={"internal": True})
    #: How much earlier :func:`apply_quick` moved every input [ms].
    quick_shift_ms: float = field(default=0.0, metadata={"internal": True})

    # -- derived -----------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.experiment.name

    @property
    def n_spines(self) -> int:
        """Spines of the model (0 when the model kind cannot say, see :meth:`model_facts`)."""
        facts = self.model_facts()
        return 0 if isinstance(facts, tuple) else facts.n_spines

    def model_facts(self) -> Any:
        """:class:`multiscale.models.ModelFacts` of the model, or ``(key, problem)``."""
        from ..models import model_kind

        try:
            kind = model_kind(self.model.kind)
        except LookupError as exc:
            return ("model.kind", str(exc))
        return kind.facts(self)

    def stimulated_spines(self) -> tuple[int, ...]:
        """Spines named by any synaptic stimulus (even one with no spike), sorted."""
        s = self.stimuli
        out = {n for group in (s.spikes, s.train, s.poisson, s.timescales) for st in group
               for n in st.spines}  # fmt: skip
        return tuple(sorted(out))

    def biochemical_spines(self) -> tuple[int, ...]:
        """Spines that carry a pathway instance, sorted."""
        return _select(self.pathway.spines, self, allow_biochemical=False)

    def recorded_heads(self) -> tuple[int, ...]:
        """Spines whose head is recorded electrically, sorted."""
        return _select(self.recording.spine_heads, self, allow_biochemical=True)

    def species(self) -> tuple[str, ...]:
        """Species recorded per biochemical spine."""
        if self.recording.species is not None:
            return tuple(self.recording.species)
        return DEFAULT_SPECIES if self.pathway.sbml == "default" else ()

    def pathway_path(self) -> Path | None:
        """The user SBML file, resolved relative to the experiment file (None = shipped)."""
        if self.pathway.sbml == "default":
            return None
        p = Path(self.pathway.sbml).expanduser()
        if not p.is_absolute() and self.source not in ("", "<string>"):
            p = Path(self.source).resolve().parent / p
        return p

    def synaptic_inputs(self) -> tuple[SynapticInput, ...]:
        """Every synaptic input, computed once per experiment (the runner and checks use it).

        In table order: ``[[stimuli.spikes]]``, ``train``, ``poisson`` (drawn from
        ``default_rng([seed, k, spine])`` for the k-th table), then the original
        descriptions ``[[stimuli.timescales]]``, merged and de-duplicated per spine and
        synapse as in the original (MODEL.md 5.2), spines and synapses in file order.
        """
        cached = self.__dict__.get("_inputs")
        if cached is None:
            cached = tuple(_synaptic_inputs(self))
            object.__setattr__(self, "_inputs", cached)  # frozen: a cache, not state
        return cached

    def input_events(self) -> list[SynapticInput]:
        """:meth:`synaptic_inputs` as a list; each unpacks as (spine, synapse, times, delay,
        origin)."""
        return list(self.synaptic_inputs())

    def first_input_ms(self) -> float | None:
        """The earliest synaptic spike or current onset [ms], or None without inputs."""
        times = [float(t[0]) for _, _, t, _, _ in self.input_events() if len(t)]
        times += [c.delay_ms for c in self.stimuli.iclamp]
        return min(times) if times else None

    # -- serialisation -----------------------------------------------------------
    def to_dict(self) -> dict:
        """The resolved experiment (defaults filled in) as plain TOML-able data.

        ``[model]`` holds the keys of its kind only (multiscale.models).
        """
        from ..models import model_kind

        out = _to_dict(self)
        try:
            keys = model_kind(self.model.kind).keys
        except LookupError:
            return out
        out["model"] = {k: v for k, v in out["model"].items() if k == "kind" or k in keys}
        return out

    def to_toml(self) -> str:
        """The resolved experiment as TOML text (loads back to the same experiment)."""
        from .writing import dumps_toml

        return dumps_toml(self.to_dict())

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def digest(self, exclude: Iterable[str] = ("output",)) -> str:
        """SHA-256 of the resolved experiment without the given tables (resume checks)."""
        d = {k: v for k, v in self.to_dict().items() if k not in set(exclude)}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()


class SynapticInput(NamedTuple):
    """One synaptic input: spikes to one synapse of one spine."""

    spine: int
    synapse: str
    #: presynaptic spike times [ms], sorted
    times_ms: np.ndarray
    #: connection delay [ms]
    delay_ms: float
    #: the table it came from ("stimuli.train[0]", "stimuli.timescales")
    origin: str


#: ``SynapticInput.origin`` of the merged original descriptions ([[stimuli.timescales]]).
TIMESCALES_ORIGIN = "stimuli.timescales"
#: The delay of the original descriptions' connections (the NetCon delay) [ms].
TIMESCALES_DELAY_MS = 1.0


def _synaptic_inputs(exp: Experiment) -> Iterable[SynapticInput]:
    from electrical import events as ev

    s = exp.stimuli
    for k, st in enumerate(s.spikes):
        t = ev.spike_times(st.times_ms)
        for n in st.spines:
            for syn in st.synapses:
                yield SynapticInput(n, syn, t, st.delay_ms, f"stimuli.spikes[{k}]")
    for k, st in enumerate(s.train):
        t = ev.regular_train(st.start_ms, st.number, st.interval_ms, st.frequency_hz)
        for n in st.spines:
            for syn in st.synapses:
                yield SynapticInput(n, syn, t, st.delay_ms, f"stimuli.train[{k}]")
    for k, st in enumerate(s.poisson):
        for n in st.spines:
            rng = np.random.default_rng([exp.experiment.seed, k, n])
            t = ev.poisson_train(st.rate_hz, st.start_ms, st.stop_ms, seed=rng)
            for syn in st.synapses:
                yield SynapticInput(n, syn, t, st.delay_ms, f"stimuli.poisson[{k}]")
    # the original descriptions of one spine are merged (electrical.events takes them in
    # the original's dictionary form: {t_stim [s], numbers, delay [s], type})
    per_spine: dict[int, list[dict]] = {}
    for st in s.timescales:
        delay = st.delay_s if st.delay_s is not None else 1.0 / st.frequency_hz
        for n in st.spines:
            per_spine.setdefault(n, []).extend(
                {"t_stim": st.t_stim_s, "numbers": st.numbers, "delay": delay, "type": syn}
                for syn in st.synapses
            )
    for n, per_syn in per_spine.items():
        for syn, times in ev.timescales_inputs(per_syn).items():
            yield SynapticInput(n, syn, times, TIMESCALES_DELAY_MS, TIMESCALES_ORIGIN)


def _select(items: Sequence, exp: Experiment, allow_biochemical: bool) -> tuple[int, ...]:
    out: set[int] = set()
    for it in items:
        if isinstance(it, int):
            out.add(it)
        elif it == "stimulated":
            out.update(exp.stimulated_spines())
        elif it == "all":
            out.update(range(1, exp.n_spines + 1))
        elif it == "biochemical" and allow_biochemical:
            out.update(exp.biochemical_spines())
    return tuple(sorted(n for n in out if 1 <= n <= exp.n_spines))


def _to_dict(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        out = {}
        for f in dataclasses.fields(obj):
            if f.metadata.get("internal"):
                continue
            value = getattr(obj, f.name)
            if value is None or (f.metadata.get("omit_default") and value == f.default):
                continue
            out[f.name] = _to_dict(value)
        return out
    if isinstance(obj, (list, tuple)):
        return [_to_dict(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _to_dict(v) for k, v in obj.items()}
    return obj


def schema_keys() -> dict[str, dict]:
    """Every key of the schema: dotted path -> {kind, unit, doc, default} (for the docs)."""
    out: dict[str, dict] = {}

    def walk(cls: type, prefix: str) -> None:
        for f in dataclasses.fields(cls):
            if f.metadata.get("internal"):
                continue
            md = f.metadata
            path = f"{prefix}{f.name}"
            if md["kind"] in ("table", "tables"):
                walk(md["cls"], path + ("[]." if md["kind"] == "tables" else "."))
                continue
            default = f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING else None)  # fmt: skip
            out[path] = {"kind": md["kind"], "unit": md["unit"], "doc": md["doc"],
                         "default": default,
                         "required": f.default is dataclasses.MISSING
                         and f.default_factory is dataclasses.MISSING}  # fmt: skip

    walk(Experiment, "")
    return out
