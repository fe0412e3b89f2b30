"""Experiment files: the TOML schema, loading, ``--set`` overrides and validation.

An experiment file says everything a run needs: the model (cell, spine mode,
parameter overrides), the pathway (the shipped one or an SBML file, its ports,
which spines carry one), the coupling and the scheduler, the stimuli, what to
record, the output and the seed.  The schema is the set of frozen dataclasses
below; every field carries its unit (also in its key name: ``t_stop_ms``), its
bounds and a one-line description, and ``docs/experiments.md`` documents them.

>>> exp = loads('''
... [model]
... spines = "two"
... [simulation]
... t_stop_ms = 300.0
... [[stimuli.train]]
... spines = [1]
... start_ms = 150.0
... number = 3
... frequency_hz = 20.0
... ''', name="demo")
>>> exp.simulation.t_stop_ms, exp.biochemical_spines(), exp.scheduler.window_ms
(300.0, (1,), 10.0)

Loading never raises on the first problem: every problem of the file (and of the
``--set`` overrides) is collected, each with the file, the line, the dotted key and
the fix, and :class:`ExperimentError` carries them all (``multiscale validate``
prints one line per problem and exits with 2).

Times: every time in an experiment is on the simulation clock, which starts at 0
with the electrical equilibration ``[0, simulation.equilibrate_ms]``; inputs must
come after it, and the run ends at ``simulation.t_stop_ms``.  The original
parameter files' ``tStop`` is therefore ``t_stop_ms - equilibrate_ms``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from common.errors import did_you_mean
from common.steps import whole_steps

from .spine import SYNAPSES as _SYNAPSES

__all__ = [
    "DEFAULT_SPECIES",
    "PATHWAY_ROLES",
    "QUICK_AFTER_FIRST_INPUT_MS",
    "QUICK_BIOCHEM_EQUILIBRATION_S",
    "QUICK_LEAD_MS",
    "Experiment",
    "ExperimentError",
    "Problem",
    "apply_quick",
    "dumps_toml",
    "load",
    "loads",
    "schema_keys",
    "validate",
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

_SPINE_MODES = {"none": 0, "two": 2, "onebranch": 103, "all": 1504}
_MODE_ALIASES = {"zero": "none"}
_ION_VARIABLES = (
    "ena", "nai", "nao", "ina", "ek", "ki", "ko", "ik",
    "eca", "cai", "cao", "ica", "ecal", "cali", "calo", "ical",
)  # fmt: skip
_CELL_SECTIONS = (
    ["soma", "dend1", "dend2", "dend3", "dend4"]
    + [f"dend{b}_{k}[0]" for b in range(1, 5) for k in (1, 2)]
    + [f"dend{b}_{k}[{i}]" for b in range(1, 5) for k in (1, 2) for i in (1, 2)]
)
_SPINE_PARTS = ("neck", "head", "psd")


# ----------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One problem of an experiment: where, which key, what and the fix."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if not self.key:
            return f"{where}: {self.message}"
        sep = " " if self.message.startswith("= ") else ": "
        return f"{where}: {self.key}{sep}{self.message}"


class ExperimentError(ValueError):
    """An experiment file (or its ``--set`` overrides) has problems; ``problems`` lists all."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


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
) -> Any:
    """A schema field: kind, unit, bounds and documentation in the dataclass metadata."""
    md = {"kind": kind, "doc": doc, "unit": unit, "ge": ge, "gt": gt, "le": le,
          "choices": tuple(choices) if choices else None, "cls": cls,
          "required_table": required_table}  # fmt: skip
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
        return _SPINE_MODES[self.model.spines]

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

    def input_events(self) -> list[tuple[int, str, np.ndarray, float, str]]:
        """Every synaptic input: (spine, synapse, spike times [ms], delay [ms], origin).

        Timescales descriptions of one spine and synapse are merged and de-duplicated as
        in the original (MODEL.md 5.2); Poisson trains are drawn from
        ``default_rng([seed, k, spine])`` for the k-th ``[[stimuli.poisson]]`` table.
        """
        from electrical import events as ev

        out = []
        for k, st in enumerate(self.stimuli.spikes):
            t = ev.spike_times(st.times_ms)
            out += [(n, syn, t, st.delay_ms, f"stimuli.spikes[{k}]")
                    for n in st.spines for syn in st.synapses]  # fmt: skip
        for k, st in enumerate(self.stimuli.train):
            t = ev.regular_train(st.start_ms, st.number, st.interval_ms, st.frequency_hz)
            out += [(n, syn, t, st.delay_ms, f"stimuli.train[{k}]")
                    for n in st.spines for syn in st.synapses]  # fmt: skip
        for k, st in enumerate(self.stimuli.poisson):
            for n in st.spines:
                rng = np.random.default_rng([self.experiment.seed, k, n])
                t = ev.poisson_train(st.rate_hz, st.start_ms, st.stop_ms, seed=rng)
                out += [(n, syn, t, st.delay_ms, f"stimuli.poisson[{k}]") for syn in st.synapses]
        for n, per_syn in self.timescales_by_spine().items():
            merged = ev.timescales_inputs(per_syn)
            for syn in _SYNAPSES:
                if syn in merged:
                    out.append((n, syn, merged[syn], 1.0, "stimuli.timescales"))
        return out

    def timescales_by_spine(self) -> dict[int, list[dict]]:
        """spine -> the original stimulus dictionaries (one per synapse type), in file order."""
        out: dict[int, list[dict]] = {}
        for st in self.stimuli.timescales:
            delay = st.delay_s if st.delay_s is not None else 1.0 / st.frequency_hz
            for n in st.spines:
                out.setdefault(n, []).extend(
                    {"t_stim": st.t_stim_s, "numbers": st.numbers, "delay": delay, "type": syn}
                    for syn in st.synapses
                )
        return out

    def first_input_ms(self) -> float | None:
        """The earliest synaptic spike or current onset [ms], or None without inputs."""
        times = [float(t[0]) for _, _, t, _, _ in self.input_events() if len(t)]
        times += [c.delay_ms for c in self.stimuli.iclamp]
        return min(times) if times else None

    # -- serialisation -----------------------------------------------------------
    def to_dict(self) -> dict:
        """The resolved experiment (defaults filled in) as plain TOML-able data."""
        return _to_dict(self)

    def to_toml(self) -> str:
        """The resolved experiment as TOML text (loads back to the same experiment)."""
        return dumps_toml(self.to_dict())

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def digest(self, exclude: Iterable[str] = ("output",)) -> str:
        """SHA-256 of the resolved experiment without the given tables (resume checks)."""
        d = {k: v for k, v in self.to_dict().items() if k not in set(exclude)}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()


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
            if value is None:
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


# ----------------------------------------------------------------------------- TOML lines


def _strip_strings(line: str, state: dict) -> str:
    """The line with string contents and comments removed (multi-line strings tracked)."""
    out = []
    i = 0
    while i < len(line):
        if state.get("ml"):
            end = line.find(state["ml"], i)
            if end < 0:
                return "".join(out)
            i = end + 3
            state["ml"] = None
            out.append('""')
            continue
        ch = line[i]
        if line.startswith('"""', i) or line.startswith("'''", i):
            state["ml"] = line[i : i + 3]
            i += 3
            continue
        if ch in "\"'":
            j = i + 1
            while j < len(line) and line[j] != ch:
                j += 2 if (ch == '"' and line[j] == "\\") else 1
            out.append('""')
            i = j + 1
            continue
        if ch == "#":
            break
        out.append(ch)
        i += 1
    return "".join(out)


def _split_key(key: str) -> list[str]:
    return [p.strip().strip("\"'") for p in key.split(".")]


def key_lines(text: str) -> dict[str, int]:
    """Dotted key path (``stimuli.train[1].number``) -> line number, for messages."""
    lines: dict[str, int] = {}
    current: list[str] = []
    aot: dict[str, int] = {}
    depth = 0
    state: dict = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        in_ml = bool(state.get("ml"))
        s = _strip_strings(raw, state).strip()
        if in_ml or not s:
            continue
        if depth == 0 and s.startswith("[["):
            name = ".".join(_split_key(s[2 : s.find("]]")]))
            idx = aot.get(name, -1) + 1
            aot[name] = idx
            path = f"{_resolve_aot(name, aot, last=False)}[{idx}]"
            current = [path]
            lines.setdefault(name, lineno)
            lines[path] = lineno
            continue
        if depth == 0 and s.startswith("["):
            name = ".".join(_split_key(s[1 : s.find("]")]))
            path = _resolve_aot(name, aot, last=True)
            current = [path]
            lines.setdefault(path, lineno)
            continue
        if depth == 0 and "=" in s:
            key, _, rest = s.partition("=")
            path = ".".join(current + _split_key(key))
            lines.setdefault(path, lineno)
            for m in re.finditer(r"([A-Za-z0-9_\-]+)\s*=", rest):
                lines.setdefault(f"{path}.{m.group(1)}", lineno)
            depth += rest.count("[") + rest.count("{") - rest.count("]") - rest.count("}")
            continue
        depth += s.count("[") + s.count("{") - s.count("]") - s.count("}")
        depth = max(depth, 0)
    return lines


def _resolve_aot(name: str, aot: dict[str, int], last: bool) -> str:
    """Insert the current index of every array-of-tables prefix of a header name."""
    parts = name.split(".")
    out = []
    for i in range(len(parts)):
        prefix = ".".join(parts[: i + 1])
        out.append(parts[i])
        if prefix in aot and (last or i < len(parts) - 1):
            out[-1] += f"[{aot[prefix]}]"
    return ".".join(out)


# ----------------------------------------------------------------------------- context


class _Ctx:
    """Collects problems and knows where each key came from."""

    def __init__(self, source: str, lines: Mapping[str, int], origins: Mapping[str, str]):
        self.source = source
        self.lines = lines
        self.origins = origins  # dotted path -> "--set k=v"
        self.problems: list[Problem] = []
        self.present: set[str] = set()  # dotted paths given explicitly

    def where(self, path: str) -> tuple[str, int | None]:
        for p in _prefixes(path):
            if p in self.origins:
                return self.origins[p], None
        for p in _prefixes(path):
            if p in self.lines:
                return self.source, self.lines[p]
        return self.source, None

    def add(self, path: str, message: str) -> None:
        f, line = self.where(path)
        self.problems.append(Problem(f, line, path, message))


def _prefixes(path: str) -> list[str]:
    out = [path]
    while True:
        if path.endswith("]"):
            path = path[: path.rfind("[")]
        elif "." in path:
            path = path.rsplit(".", 1)[0]
        else:
            break
        out.append(path)
    return out


# ----------------------------------------------------------------------------- conversion


def _type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a table"
    return type(v).__name__


def _show(v: Any) -> str:
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{...}"
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def _number(v: Any, path: str, md: Mapping, ctx: _Ctx, integer: bool = False) -> Any:
    unit = md["unit"]
    u = f" {unit}" if unit else ""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        hint = ""
        if isinstance(v, str) and re.match(r"^\s*[-+0-9.eE]+\s*[A-Za-z/]+", v):
            hint = f"; write the bare number (the unit, {unit or 'none'}, is in the key name)"
        ctx.add(path, f"= {_show(v)} is {_type_name(v)}; expected "
                      f"{'a whole number' if integer else 'a number'}{' [' + unit + ']' if unit else ''}{hint}")  # fmt: skip
        return None
    if integer and not isinstance(v, int):
        if float(v).is_integer():
            v = int(v)
        else:
            ctx.add(path, f"= {_show(v)}: expected a whole number")
            return None
    if not integer:
        v = float(v)
        if not math.isfinite(v):
            ctx.add(path, f"= {v}: must be finite{u}")
            return None
    if md["gt"] is not None and not v > md["gt"]:
        ctx.add(path, f"= {_show(v)}{u}: must be > {md['gt']:g}{u}")
        return None
    if md["ge"] is not None and not v >= md["ge"]:
        ctx.add(path, f"= {_show(v)}{u}: must be >= {md['ge']:g}{u}")
        return None
    if md["le"] is not None and not v <= md["le"]:
        ctx.add(path, f"= {_show(v)}{u}: must be <= {md['le']:g}{u}")
        return None
    return v




_SPINE_RE = re.compile(r"^spine(\d+)$")


def _spine_ref(v: Any, path: str, ctx: _Ctx) -> int | None:
    if isinstance(v, int) and not isinstance(v, bool):
        if v >= 1:
            return v
        ctx.add(path, f"= {v}: spine numbers start at 1 (spine1)")
        return None
    if isinstance(v, str):
        m = _SPINE_RE.match(v.strip())
        if m and int(m.group(1)) >= 1:
            return int(m.group(1))
    ctx.add(path, f"= {_show(v)}: expected a spine number (1) or name ('spine1')")
    return None


def _convert_value(v: Any, path: str, md: Mapping, ctx: _Ctx) -> Any:
    """Convert one raw TOML value; returns None (and records a problem) when invalid."""
    kind = md["kind"]
    if kind == "float":
        return _number(v, path, md, ctx)
    if kind == "int":
        return _number(v, path, md, ctx, integer=True)
    if kind == "bool":
        if isinstance(v, bool):
            return v
        ctx.add(path, f"= {_show(v)} is {_type_name(v)}; expected true or false")
        return None
    if kind in ("str", "location"):
        if isinstance(v, str):
            return v
        ctx.add(path, f"= {_show(v)} is {_type_name(v)}; expected a string")
        return None
    if kind == "enum":
        if isinstance(v, str):
            v2 = _MODE_ALIASES.get(v, v) if "none" in md["choices"] else v
            if v2 in md["choices"]:
                return v2
        ctx.add(path, f"= {_show(v)}: use one of {', '.join(repr(c) for c in md['choices'])}"
                      f"{did_you_mean(str(v), md['choices']) if isinstance(v, str) else ''}")  # fmt: skip
        return None
    if kind in ("floats", "strs", "spines", "locations", "selection"):
        if kind == "selection" and isinstance(v, str):
            v = [] if v == "none" else [v]
        if not isinstance(v, list):
            ctx.add(path, f"= {_show(v)} is {_type_name(v)}; expected a list, e.g. [1, 2]"
                    if kind in ("spines", "selection") else
                    f"= {_show(v)} is {_type_name(v)}; expected a list")  # fmt: skip
            return None
        out = []
        ok = True
        for i, item in enumerate(v):
            ipath = f"{path}[{i}]"
            if kind == "floats":
                x = _number(item, ipath, {**md, "gt": None, "ge": None, "le": None}, ctx)
            elif kind in ("strs", "locations"):
                x = item if isinstance(item, str) else None
                if x is None:
                    ctx.add(ipath, f"= {_show(item)} is {_type_name(item)}; expected a string")
                elif md["choices"] and x not in md["choices"]:
                    ctx.add(ipath, f"= {_show(x)}: use one of {', '.join(repr(c) for c in md['choices'])}"
                                   f"{did_you_mean(x, md['choices'])}")  # fmt: skip
                    x = None
            elif kind == "spines":
                x = _spine_ref(item, ipath, ctx)
            else:  # selection: spine refs or keywords
                if isinstance(item, str) and item in md["choices"]:
                    x = item
                elif isinstance(item, str) and not _SPINE_RE.match(item):
                    ctx.add(ipath, f"= {_show(item)}: use spine numbers, 'spineN' or one of "
                                   f"{', '.join(repr(c) for c in md['choices'])}"
                                   f"{did_you_mean(item, md['choices'])}")  # fmt: skip
                    x = None
                else:
                    x = _spine_ref(item, ipath, ctx)
            ok = ok and x is not None
            out.append(x)
        if kind == "spines" and not v:
            ctx.add(path, "= []: name at least one spine")
            return None
        if kind == "strs" and md["choices"] and ok and len(set(out)) != len(out):
            ctx.add(path, f"= {_show(v)}: each entry once")
            return None
        return tuple(out) if ok else None
    if kind in ("map", "ports"):
        if not isinstance(v, dict):
            ctx.add(path, f"= {_show(v)} is {_type_name(v)}; expected a table")
            return None
        if kind == "ports":
            bad = False
            for k, x in v.items():
                if isinstance(x, str):
                    continue
                if isinstance(x, dict) and isinstance(x.get("id"), str) and set(x) <= {
                    "id", "unit"} and isinstance(x.get("unit", ""), str):  # fmt: skip
                    continue
                bad = True
                ctx.add(f"{path}.{k}", f"= {_show(x)}: expected an SBML id ('[species]' or a "
                                       "parameter id) or a table {id = \"...\", unit = \"M/s\"}")  # fmt: skip
            return None if bad else dict(v)
        return dict(v)
    raise AssertionError(f"unknown schema kind {kind}")  # pragma: no cover - schema bug


def _build(cls: type, raw: Any, path: str, ctx: _Ctx, quiet: bool = False) -> Any:
    """Instantiate a schema dataclass from a raw TOML table, collecting problems.

    ``quiet`` skips "missing required key" problems (the table itself was reported).
    """
    prefix = f"{path}." if path else ""
    if not isinstance(raw, dict):
        ctx.add(path, f"= {_show(raw)} is {_type_name(raw)}; expected a table [{path}]")
        raw = {}
        quiet = True  # one problem for the table, not one per missing key
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    kwargs: dict[str, Any] = {}
    meant: set[str] = set()  # known keys an unknown key was probably meant to be
    for key in raw:
        if key not in fields:
            msg = _unknown_key_message(key, cls, path)
            ctx.add(f"{prefix}{key}", msg)
            m = re.search(r"(?:did you mean|in the key name:) '([^']+)'", msg)
            if m:
                meant.add(m.group(1))
    for name, f in fields.items():
        md = f.metadata
        kpath = f"{prefix}{name}"
        if md["kind"] == "table":
            if name not in raw and md.get("required_table") and name not in meant:
                ctx.add(kpath, f"missing table [{name}]; add it (it needs at least "
                               f"{_required_keys(md['cls'])})")  # fmt: skip
            absent = name not in raw and md.get("required_table")
            kwargs[name] = _build(md["cls"], raw.get(name, {}), kpath, ctx, quiet=bool(absent))
            continue
        if md["kind"] == "tables":
            items = raw.get(name, [])
            if isinstance(items, dict):
                ctx.add(kpath, f"is a table; write [[{kpath}]] (an array of tables), once per "
                               "item")  # fmt: skip
                items = []
            elif not isinstance(items, list):
                ctx.add(kpath, f"= {_show(items)}: expected [[{kpath}]] tables")
                items = []
            kwargs[name] = tuple(
                _build(md["cls"], it, f"{kpath}[{i}]", ctx) for i, it in enumerate(items)
            )
            continue
        if name in raw:
            ctx.present.add(kpath)
            kwargs[name] = _convert_value(raw[name], kpath, md, ctx)
            if kwargs[name] is None and f.default is not dataclasses.MISSING:
                kwargs[name] = f.default
            elif kwargs[name] is None and f.default_factory is not dataclasses.MISSING:
                kwargs[name] = f.default_factory()
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            unit = f" [{md['unit']}]" if md["unit"] else ""
            if not quiet and name not in meant:  # a misspelt key was reported already
                ctx.add(kpath, f"missing required key; add {name} = ...{unit} ({md['doc']})")
            kwargs[name] = None
    return cls(**kwargs)


def _required_keys(cls: type) -> str:
    names = [f.name for f in dataclasses.fields(cls)
             if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]  # fmt: skip
    return ", ".join(names) or "nothing"


def _all_tables() -> dict[str, type]:
    out: dict[str, type] = {}

    def walk(cls: type, prefix: str) -> None:
        for f in dataclasses.fields(cls):
            md = f.metadata
            if md.get("internal") or md["kind"] not in ("table", "tables"):
                continue
            name = f"{prefix}{f.name}"
            out[name] = md["cls"]
            walk(md["cls"], name + ".")

    walk(Experiment, "")
    return out


def _unknown_key_message(key: str, cls: type, path: str) -> str:
    names = [f.name for f in dataclasses.fields(cls) if not f.metadata.get("internal")]
    where = f"[{path}]" if path else "the top level"
    msg = f"unknown key in {where}"
    hint = did_you_mean(key, names)
    for suffix in ("_ms", "_s", "_hz", "_nA", "_mV", "_M_per_s"):
        if key + suffix in names:
            hint = f"; give the unit in the key name: '{key + suffix}'"
    if not hint:
        for tname, tcls in _all_tables().items():
            if tname != path and key in {f.name for f in dataclasses.fields(tcls)}:
                hint = f"; '{key}' belongs in [{tname}]"
                break
    return f"{msg}{hint or '; known keys: ' + ', '.join(names)}"


# ----------------------------------------------------------------------------- checks


def _locations_ok(loc: str, n_spines: int) -> tuple[str, float] | str:
    """(section, x) of 'name' or 'name(x)', or an error message."""
    m = re.match(r"^\s*([A-Za-z0-9_\[\]]+)\s*(?:\(\s*([^)]*)\s*\))?\s*$", loc)
    if not m:
        return "expected 'section' or 'section(x)', e.g. 'dend3_1[1](0.3)'"
    sec, xs = m.group(1), m.group(2)
    x = 0.5
    if xs is not None:
        try:
            x = float(xs)
        except ValueError:
            return f"x = {xs!r} is not a number in [0, 1]"
        if not 0.0 <= x <= 1.0:
            return f"x = {x:g} is outside [0, 1]"
    known = _section_names(n_spines)
    if sec not in known:
        sm = re.match(r"^spine(\d+)_(neck|head|psd)$", sec)
        if sm:
            return (f"section '{sec}' does not exist: spine {sm.group(1)} is not in this spine "
                    f"mode ({n_spines} spines)")  # fmt: skip
        return f"no section '{sec}' in the MSN{did_you_mean(sec, known)}"
    return sec, x


def _section_names(n_spines: int) -> list[str]:
    return _CELL_SECTIONS + [f"spine{n}_{p}" for n in range(1, n_spines + 1) for p in _SPINE_PARTS]


def _multiple_of(value: float, step: float) -> bool:
    return whole_steps(value, step) is not None


def _check(exp: Experiment, ctx: _Ctx, check_files: bool) -> None:
    """Cross-field checks on a structurally valid experiment."""
    sim = exp.simulation
    n = exp.n_spines
    mode = exp.model.spines
    # clock
    if sim.t_stop_ms is not None and sim.t_stop_ms <= sim.equilibrate_ms:
        ctx.add("simulation.t_stop_ms",
                f"= {sim.t_stop_ms:g} ms: must be after the equilibration "
                f"(equilibrate_ms = {sim.equilibrate_ms:g} ms); the run ends at t_stop_ms on the "
                "same clock")  # fmt: skip
    dt = sim.dt_ms
    for path, value in (
        ("simulation.t_stop_ms", sim.t_stop_ms),
        ("simulation.equilibrate_ms", sim.equilibrate_ms),
        ("scheduler.exchange_interval_ms", exp.scheduler.exchange_interval_ms),
        ("scheduler.window_ms", exp.scheduler.window_ms),
        ("recording.interval_ms", exp.recording.interval_ms),
        ("output.flush_interval_ms", exp.output.flush_interval_ms),
        ("output.checkpoint_interval_ms", exp.output.checkpoint_interval_ms),
        ("coupling.sample_span_ms", exp.coupling.sample_span_ms),
    ):
        if value is not None and value > 0 and not _multiple_of(value, dt):
            ctx.add(path, f"= {value:g} ms is not a whole number of steps of "
                          f"simulation.dt_ms = {dt:g} ms; use a multiple of dt_ms")  # fmt: skip
    sch = exp.scheduler
    if sch.kind == "fixed-interval":
        for key in ("window_ms", "calcium_rest_tolerance", "delivery", "batch_bins"):
            if getattr(sch, key) is not None:
                ctx.add(f"scheduler.{key}", "applies to kind = 'event-driven' only; remove it "
                                            "(a fixed-interval scheduler exchanges every spine "
                                            "every interval)")  # fmt: skip
    if sch.window_ms is not None and sch.window_ms < sch.exchange_interval_ms:
        ctx.add("scheduler.window_ms", f"= {sch.window_ms:g} ms is shorter than "
                                       f"exchange_interval_ms = {sch.exchange_interval_ms:g} ms; "
                                       "a window needs at least one exchange")  # fmt: skip
    span = exp.coupling.sample_span_ms
    if span is not None:
        if exp.coupling.calcium != "concentration-difference":
            ctx.add("coupling.sample_span_ms", "applies to calcium = 'concentration-difference' "
                                               "only; remove it")  # fmt: skip
        elif span > sch.exchange_interval_ms:
            ctx.add("coupling.sample_span_ms", f"= {span:g} ms is longer than the exchange "
                                               f"interval ({sch.exchange_interval_ms:g} ms)")  # fmt: skip
    # model parameters
    _check_parameters(exp, ctx)
    if check_files and mode in ("onebranch", "all"):
        from .msn import SpinePositionsError, load_spine_positions

        try:
            load_spine_positions(exp.model.positions_dir or None)
        except SpinePositionsError as exc:
            ctx.add("model.spines" if not exp.model.positions_dir else "model.positions_dir",
                    f"= {_show(mode)} needs the published spine positions: {exc}")  # fmt: skip
    # spines in stimuli
    groups = (("spikes", exp.stimuli.spikes), ("train", exp.stimuli.train),
              ("poisson", exp.stimuli.poisson), ("timescales", exp.stimuli.timescales))  # fmt: skip
    for gname, group in groups:
        for k, st in enumerate(group):
            for i, s in enumerate(st.spines or ()):
                if s is not None and s > n:
                    ctx.add(f"stimuli.{gname}[{k}].spines[{i}]", _no_spine(s, mode, n))
    for path, items in (("pathway.spines", exp.pathway.spines),
                        ("recording.spine_heads", exp.recording.spine_heads)):  # fmt: skip
        for i, s in enumerate(items):
            if isinstance(s, int) and s > n:
                ctx.add(f"{path}[{i}]", _no_spine(s, mode, n))

    # train and timescales: exactly one of two rate keys (unless one of them was invalid)
    def reported(prefix: str) -> bool:
        return any(p.key.startswith(prefix) for p in ctx.problems)

    for k, st in enumerate(exp.stimuli.train):
        if (st.frequency_hz is None) == (st.interval_ms is None) and not reported(
                f"stimuli.train[{k}]."):  # fmt: skip
            ctx.add(f"stimuli.train[{k}]", "give exactly one of frequency_hz and interval_ms")
    for k, st in enumerate(exp.stimuli.timescales):
        if (st.delay_s is None) == (st.frequency_hz is None) and not reported(
                f"stimuli.timescales[{k}]."):  # fmt: skip
            ctx.add(f"stimuli.timescales[{k}]", "give exactly one of delay_s (the original "
                                                "'delay', an interval) and frequency_hz")  # fmt: skip
    for k, st in enumerate(exp.stimuli.poisson):
        if st.start_ms is not None and st.stop_ms is not None and st.stop_ms < st.start_ms:
            ctx.add(f"stimuli.poisson[{k}].stop_ms",
                    f"= {st.stop_ms:g} ms is before start_ms = {st.start_ms:g} ms")  # fmt: skip
    # inputs after the equilibration (only when the stimuli and the clock are complete)
    if not any(p.key.startswith(("stimuli", "simulation", "experiment.seed"))
               for p in ctx.problems):  # fmt: skip
        eq = sim.equilibrate_ms
        for spine, syn, times, _, origin in exp.input_events():
            if len(times) and times[0] < eq:
                ctx.add(origin, f"spike at {times[0]:g} ms to spine{spine} {syn} is inside the "
                                f"electrical equilibration [0, {eq:g}] ms; inputs must come "
                                "after simulation.equilibrate_ms")  # fmt: skip
                break
        for k, c in enumerate(exp.stimuli.iclamp):
            if 0 < c.dur_ms and c.amp_nA != 0 and c.delay_ms < eq:
                ctx.add(f"stimuli.iclamp[{k}].delay_ms",
                        f"= {c.delay_ms:g} ms is inside the electrical equilibration "
                        f"[0, {eq:g}] ms; start the pulse after simulation.equilibrate_ms")  # fmt: skip
    # locations
    for k, c in enumerate(exp.stimuli.iclamp):
        if c.section is None:
            continue
        r = _locations_ok(c.section, n)
        if isinstance(r, str):
            ctx.add(f"stimuli.iclamp[{k}].section", f"= {_show(c.section)}: {r}")
    for i, loc in enumerate(exp.recording.sections):
        r = _locations_ok(loc, n)
        if isinstance(r, str):
            ctx.add(f"recording.sections[{i}]", f"= {_show(loc)}: {r}")
    for i, var in enumerate(exp.recording.variables):
        if var == "v" or var in _ION_VARIABLES:
            continue
        if re.match(r"^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$", var):
            continue  # mechanism.variable: checked where it is recorded, when the model is built
        ctx.add(f"recording.variables[{i}]",
                f"= {_show(var)}: use 'v', an ion variable ({', '.join(_ION_VARIABLES[8:12])}, "
                f"...) or 'mechanism.variable'{did_you_mean(var, ('v',) + _ION_VARIABLES)}")  # fmt: skip
    _check_pathway(exp, ctx, check_files)


def _no_spine(s: int, mode: str, n: int) -> str:
    have = f"spines 1..{n}" if n else "no spines"
    return (
        f"= {s}: there is no spine{s} in spine mode '{mode}' ({have}); use a spine that "
        "exists or change model.spines"
    )


def _check_parameters(exp: Experiment, ctx: _Ctx) -> None:
    from electrical.errors import ModelError

    from .msn import MSNParameters
    from .spine import SpineParameters

    for path, cls, mapping, excluded in (
        ("model.cell_parameters", MSNParameters, exp.model.cell_parameters,
         {"kir_gkbar": "model.kir_gkbar", "dt_ms": "simulation.dt_ms",
          "v_init": "simulation.v_init_mV"}),
        ("model.spine_parameters", SpineParameters, exp.model.spine_parameters,
         {"kir_gkbar": "model.kir_gkbar"}),
    ):  # fmt: skip
        names = [f.name for f in dataclasses.fields(cls)]
        for key, value in mapping.items():
            kp = f"{path}.{key}"
            if key in excluded:
                ctx.add(kp, f"is set by {excluded[key]}; set it there")
                continue
            if key not in names:
                ctx.add(kp, f"unknown parameter of {cls.__name__}{did_you_mean(key, names)}")
                continue
            if key.endswith("_channels"):
                if not isinstance(value, dict):
                    ctx.add(kp, f"= {_show(value)}: expected a table channel -> maximal value")
                    continue
                default = getattr(cls(), key)
                value = {**default, **value}
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                ctx.add(kp, f"= {_show(value)} is {_type_name(value)}; expected a number")
                continue
            try:
                cls(**{key: value})
            except ModelError as exc:
                msg = str(exc).split(": ", 1)[-1] if ": " in str(exc) else str(exc)
                ctx.add(kp, msg)
            except (TypeError, ValueError) as exc:
                ctx.add(kp, str(exc))


def _sbml_ids(path: Path) -> tuple[set[str], set[str], set[str]] | str:
    """(species, parameters, assignment-rule variables) of an SBML file, or an error."""
    try:
        import libsbml
    except ImportError:  # pragma: no cover - a dependency
        return "python-libsbml is not installed"
    doc = libsbml.readSBMLFromFile(str(path))
    if doc.getNumErrors(libsbml.LIBSBML_SEV_FATAL) + doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR):
        err = doc.getError(0)
        return f"invalid SBML (line {err.getLine()}: {err.getShortMessage()})"
    model = doc.getModel()
    if model is None:
        return "the SBML file has no model"
    species = {s.getId() for s in model.getListOfSpecies()}
    params = {p.getId() for p in model.getListOfParameters()}
    params |= {c.getId() for c in model.getListOfCompartments()}
    rules = {r.getVariable() for r in model.getListOfRules()}
    return species, params, rules


_SBML_CACHE: dict[tuple[str, float], Any] = {}


def _pathway_ids(path: Path) -> tuple[set[str], set[str], set[str]] | str:
    key = (str(path), path.stat().st_mtime)
    if key not in _SBML_CACHE:
        if path.suffix.lower() in (".xml", ".sbml"):
            _SBML_CACHE[key] = _sbml_ids(path)
        else:  # Antimony: let biochem convert it
            from biochem import BiochemError, Pathway

            try:
                pw = Pathway.from_file(path)
            except BiochemError as exc:
                _SBML_CACHE[key] = str(exc)
            else:
                _SBML_CACHE[key] = ({s.id for s in pw.species},
                                    {p.id for p in pw.parameters},
                                    {r.variable for r in pw.rules})  # fmt: skip
    return _SBML_CACHE[key]


def _check_pathway(exp: Experiment, ctx: _Ctx, check_files: bool) -> None:
    pw = exp.pathway
    user = pw.sbml != "default"
    if user and "pathway.variant" in ctx.present:
        ctx.add("pathway.variant", "applies to the shipped pathway only (sbml = 'default'); "
                                   "remove it")  # fmt: skip
    if not user and pw.ports:
        ctx.add("pathway.ports", "the shipped pathway has its ports already; ports are for a "
                                 "user SBML file (pathway.sbml = 'my_pathway.xml')")  # fmt: skip
    for role in pw.ports:
        if role not in PATHWAY_ROLES:
            ctx.add(f"pathway.ports.{role}", f"unknown port role{did_you_mean(role, PATHWAY_ROLES)}"
                                             f"; roles: {', '.join(PATHWAY_ROLES)}")  # fmt: skip
    if not check_files:
        return
    if user:
        path = exp.pathway_path()
        if not path.is_file():
            ctx.add("pathway.sbml", f"= {_show(pw.sbml)}: file not found ({path}); give a path "
                                    "relative to the experiment file, or 'default'")  # fmt: skip
            return
        ids = _pathway_ids(path)
        if isinstance(ids, str):
            ctx.add("pathway.sbml", f"= {_show(pw.sbml)}: {ids}")
            return
        species, params, _ = ids
        for role in _REQUIRED_ROLES[exp.coupling.calcium]:
            if role not in pw.ports and exp.biochemical_spines():
                ctx.add("pathway.ports", f"missing port '{role}' ({PATHWAY_ROLES[role]}); add "
                                         f"{role} = \"...\" to [pathway.ports]")  # fmt: skip
        for role, target in pw.ports.items():
            target = target["id"] if isinstance(target, dict) else target
            tid = target[1:-1] if target.startswith("[") and target.endswith("]") else target
            if tid not in species and tid not in params:
                ctx.add(f"pathway.ports.{role}", f"= {_show(target)}: no species or parameter "
                                                 f"'{tid}' in {path.name}"
                                                 f"{did_you_mean(tid, species | params)}")  # fmt: skip
    else:
        from biochem.spine_pathway import shipped_path

        ids = _pathway_ids(shipped_path(pw.variant))
        if isinstance(ids, str):  # pragma: no cover - the shipped files are valid
            ctx.add("pathway.variant", ids)
            return
        species, params, _ = ids
    known = species | params
    seen: set[str] = set()
    for i, name in enumerate(exp.recording.species or ()):
        conc = name.startswith("[") and name.endswith("]")
        sid = name[1:-1] if conc else name
        if sid in seen:
            ctx.add(f"recording.species[{i}]", f"= {_show(name)}: '{sid}' is recorded twice; "
                                               "keep one of X (amount) and [X] (concentration)")  # fmt: skip
        seen.add(sid)
        if conc and sid not in species:
            ctx.add(f"recording.species[{i}]",
                    f"= {_show(name)}: no species '{sid}' in the pathway (a concentration [X] "
                    f"needs a species){did_you_mean(sid, species)}")  # fmt: skip
        elif sid not in known:
            hint = did_you_mean(sid, known) or "; write [X] for a species concentration"
            ctx.add(
                f"recording.species[{i}]",
                f"= {_show(name)}: no species or parameter of that id in the pathway{hint}",
            )


# ----------------------------------------------------------------------------- overrides

_INDEX_RE = re.compile(r"^([A-Za-z0-9_\-]+)((?:\[\d+\])*)$")


def _parse_override(text: str) -> tuple[list, Any] | str:
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        return "expected key=value, e.g. --set simulation.t_stop_ms=500"
    parts: list = []
    for part in key.split("."):
        m = _INDEX_RE.match(part.strip())
        if not m:
            return f"'{key}' is not a dotted key (e.g. stimuli.train[0].number)"
        parts.append(m.group(1))
        parts += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    value = value.strip()
    if not value:
        return parts, _REMOVE  # --set key= : back to the default
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value  # a bare word is a string: --set model.spines=all
    return parts, parsed


_REMOVE = object()


def _path_str(parts: Sequence) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def _apply_overrides(raw: dict, overrides: Sequence[str], problems: list[Problem]) -> dict:
    origins: dict[str, str] = {}
    for text in overrides:
        parsed = _parse_override(text)
        if isinstance(parsed, str):
            problems.append(Problem(f"--set {text}", None, "", parsed))
            continue
        parts, value = parsed
        node: Any = raw
        ok = True
        for i, p in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if isinstance(p, int):
                if not isinstance(node, list) or p >= len(node):
                    have = len(node) if isinstance(node, list) else 0
                    problems.append(Problem(f"--set {text}", None, _path_str(parts[: i + 1]),
                                            f"there is no item {p} (the file has {have}); "
                                            "--set can change items, not add them"))  # fmt: skip
                    ok = False
                    break
                node = node[p]
            else:
                if not isinstance(node, dict):
                    ok = False
                    problems.append(Problem(f"--set {text}", None, _path_str(parts[: i + 1]),
                                            "is not a table"))  # fmt: skip
                    break
                if p not in node:
                    node[p] = [] if isinstance(nxt, int) else {}
                node = node[p]
        if not ok:
            continue
        last = parts[-1]
        if isinstance(last, int):
            if not isinstance(node, list) or last >= len(node):
                problems.append(Problem(f"--set {text}", None, _path_str(parts),
                                        "no such list item; --set can change items, not add "
                                        "them"))  # fmt: skip
                continue
            if value is _REMOVE:
                problems.append(Problem(f"--set {text}", None, _path_str(parts),
                                        "list items cannot be removed"))  # fmt: skip
                continue
            node[last] = value
        elif isinstance(node, dict) and value is _REMOVE:
            node.pop(last, None)
        elif isinstance(node, dict):
            node[last] = value
        else:
            problems.append(Problem(f"--set {text}", None, _path_str(parts[:-1]),
                                    "is not a table"))  # fmt: skip
            continue
        origins[_path_str(parts)] = f"--set {text}"
    return origins


# ----------------------------------------------------------------------------- public API


def _parse(text: str, source: str) -> dict | Problem:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        return Problem(source, line, "", f"not valid TOML: {msg}; see https://toml.io "
                                         "(strings need quotes, keys = values)")  # fmt: skip


def loads(
    text: str,
    *,
    source: str = "<string>",
    name: str | None = None,
    overrides: Sequence[str] = (),
    check_files: bool = True,
) -> Experiment:
    """Validate experiment TOML text; raise :class:`ExperimentError` with every problem.

    Parameters
    ----------
    text : str
        The TOML text.
    source : str
        File name used in messages and to resolve relative paths.
    name : str, optional
        Default for ``experiment.name`` (the file stem).
    overrides : sequence of str
        ``key=value`` strings (``--set``), applied in order before validation.
    check_files : bool
        Also check files the experiment needs (SBML, spine positions).
    """
    raw = _parse(text, source)
    if isinstance(raw, Problem):
        raise ExperimentError([raw])
    problems: list[Problem] = []
    origins = _apply_overrides(raw, overrides, problems)
    ctx = _Ctx(source, key_lines(text), origins)
    ctx.problems.extend(problems)
    exp = _build(Experiment, raw, "", ctx)
    _check(exp, ctx, check_files)
    if ctx.problems:
        # --set problems first, then the file's in line order
        order = sorted(ctx.problems, key=lambda p: (p.file == source, p.line or 0))
        raise ExperimentError(order)
    info = exp.experiment
    if not info.name:
        info = dataclasses.replace(info, name=name or "experiment")
    sch = exp.scheduler
    if sch.kind == "event-driven":
        sch = dataclasses.replace(
            sch,
            window_ms=10.0 if sch.window_ms is None else sch.window_ms,
            calcium_rest_tolerance=(_default_rest_tolerance() if sch.calcium_rest_tolerance
                                    is None else sch.calcium_rest_tolerance),
            delivery="per-exchange" if sch.delivery is None else sch.delivery,
            batch_bins=64 if sch.batch_bins is None else sch.batch_bins,
        )  # fmt: skip
    rec = exp.recording
    if rec.species is None:
        rec = dataclasses.replace(rec, species=exp.species())
    return dataclasses.replace(exp, experiment=info, scheduler=sch, recording=rec,
                               source=source, overrides=tuple(overrides))  # fmt: skip


def _default_rest_tolerance() -> float:
    from sync import EventDriven

    return EventDriven().calcium_rest_tolerance


def load(
    path: str | Path, overrides: Sequence[str] = (), *, check_files: bool = True
) -> Experiment:
    """Load and validate an experiment file (see :func:`loads`)."""
    p = Path(path)
    if not p.is_file():
        hint = ""
        if p.suffix != ".toml" and p.with_suffix(".toml").is_file():
            hint = f"; did you mean {p.with_suffix('.toml')}?"
        raise ExperimentError([Problem(str(path), None, "", f"file not found{hint}")])
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExperimentError(
            [Problem(str(path), None, "", f"cannot read the file: {exc}")]
        ) from None
    return loads(text, source=str(path), name=p.stem, overrides=overrides, check_files=check_files)


def validate(path: str | Path, overrides: Sequence[str] = ()) -> list[Problem]:
    """Every problem of an experiment file (empty when it is valid)."""
    try:
        load(path, overrides)
    except ExperimentError as exc:
        return exc.problems
    return []


def apply_quick(exp: Experiment) -> Experiment:
    """The ``--quick`` variant of an experiment: the same model, a short protocol.

    - every input (spikes, trains, Poisson trains, original descriptions, current
      pulses) moves earlier by the same whole number of ms, so that the first one
      comes :data:`QUICK_LEAD_MS` after the equilibration (``quick.shift_inputs``);
    - the run ends ``quick.after_first_input_ms`` (default
      :data:`QUICK_AFTER_FIRST_INPUT_MS`) after that first input, never later than the
      full run would (a run that ends before its first input keeps its end);
    - the pathway pre-run lasts ``quick.equilibrate_biochem_s`` (default: at most
      :data:`QUICK_BIOCHEM_EQUILIBRATION_S`).

    Everything else (model, spines, which spines are biochemical, recording) is kept.
    """
    sim = exp.simulation
    q = exp.quick
    dt = sim.dt_ms
    eq = sim.equilibrate_ms
    first = exp.first_input_ms()
    shift = 0.0
    if first is None or first >= sim.t_stop_ms:
        t_stop = min(sim.t_stop_ms, eq + q.after_first_input_ms)
    else:
        if q.shift_inputs:
            shift = float(max(0.0, math.floor(first - (eq + QUICK_LEAD_MS))))
        t_stop = min(sim.t_stop_ms - shift, first - shift + q.after_first_input_ms)
    t_stop = math.ceil(t_stop / dt - 1e-9) * dt
    eq_bio = q.equilibrate_biochem_s
    if eq_bio is None:
        eq_bio = min(sim.equilibrate_biochem_s, QUICK_BIOCHEM_EQUILIBRATION_S)
    sim = dataclasses.replace(sim, t_stop_ms=t_stop, equilibrate_biochem_s=eq_bio)
    stimuli = exp.stimuli
    if shift:
        r = dataclasses.replace
        st = stimuli
        stimuli = r(
            st,
            iclamp=tuple(r(c, delay_ms=c.delay_ms - shift) for c in st.iclamp),
            spikes=tuple(r(c, times_ms=tuple(t - shift for t in c.times_ms)) for c in st.spikes),
            train=tuple(r(c, start_ms=c.start_ms - shift) for c in st.train),
            poisson=tuple(r(c, start_ms=c.start_ms - shift, stop_ms=c.stop_ms - shift)
                          for c in st.poisson),
            timescales=tuple(r(c, t_stim_s=c.t_stim_s - shift / 1000.0)  # ms -> s
                             for c in st.timescales),
        )  # fmt: skip
    return dataclasses.replace(exp, simulation=sim, stimuli=stimuli, is_quick=True,
                               quick_shift_ms=shift)  # fmt: skip


# ----------------------------------------------------------------------------- TOML writer


def _toml_key(k: str) -> str:
    return k if re.match(r"^[A-Za-z0-9_\-]+$", k) else json.dumps(k)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"TOML cannot hold {v}")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _is_aot(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def dumps_toml(data: Mapping[str, Any]) -> str:
    """TOML text of nested tables, arrays of tables and plain values (``tomllib`` reads it)."""
    lines: list[str] = []

    def table(prefix: str, tbl: Mapping[str, Any], header: str | None) -> None:
        scalars = [(k, v) for k, v in tbl.items() if not isinstance(v, dict) and not _is_aot(v)]
        if header is not None:
            lines.append("")
            lines.append(header)
        for k, v in scalars:
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in tbl.items():
            name = f"{prefix}{_toml_key(k)}"
            if isinstance(v, dict):
                table(name + ".", v, f"[{name}]")
            elif _is_aot(v):
                for item in v:
                    table(name + ".", item, f"[[{name}]]")

    table("", data, None)
    return "\n".join(lines).lstrip("\n") + "\n"
