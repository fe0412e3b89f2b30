"""Run a validated experiment: build the co-simulation, advance in chunks, write the results.

:func:`run` builds the MSN, the pathway and the :class:`multiscale.cosim.Cosimulation`
from an :class:`~multiscale.experiment.Experiment`, places its stimuli and
recordings, and advances in chunks of ``output.flush_interval_ms`` of simulated
time.  After every chunk the new samples are appended to the HDF5 file and the
file is flushed (a killed run keeps everything up to its last flush); every
``output.checkpoint_interval_ms`` the whole co-simulation state is saved beside
the file (``<file>.checkpoint``).  ``resume=True`` rebuilds the same run,
restores the checkpoint, cuts the file back to what it held at that checkpoint
and continues: the final file equals that of an uninterrupted run (splitting a
run into chunks changes nothing, DESIGN.md 9).

Under MPI (``comm`` of several ranks, ``mpiexec -n N multiscale run``) every
rank builds the same experiment; the :class:`~multiscale.cosim.Cosimulation`
splits the cell across the ranks and distributes the spines' pathways.  After
every chunk the new samples travel to rank 0 (one gather: each recording from
the rank that fills it), and rank 0 alone writes the file, which equals the
serial run's.  Checkpoints hold one state per rank, so ``--resume`` needs the
same number of ranks.

Errors: :class:`BuildError` (bad input found while building: exit 2 in the CLI)
and :class:`RunError` (the run failed or was interrupted: exit 1).  Under MPI a
:class:`BuildError`, and a :class:`RunError` with ``everywhere`` set, is raised
identically on every rank (found before the run, or agreed on in a collective);
any other failure happens on one rank while the others wait in a collective,
so the caller must end the job (the CLI prints the message with the rank and
calls ``comm.Abort``).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from common.errors import InternalError

from . import output as layout
from .distribute import barrier
from .errors import BuildError, ResultsError, RunError
from .experiment import TIMESCALES_ORIGIN, Experiment
from .output import (
    DIMENSIONLESS,
    FORMAT,
    FORMAT_VERSION,
    TEXT_UNIT,
    ResultsWriter,
    checkpoint_path,
    read_checkpoint,
    versions,
    write_checkpoint,
)
from .progress import Progress

__all__ = ["BuildError", "RunError", "RunResult", "build", "default_output", "run"]

#: Test-only fault injection: ``"RANK:T_MS"`` makes rank RANK raise an error once it has
#: advanced to the first chunk end at or after T_MS, as a failing pathway would
#: (tests/mpi/test_runner_mpi.py: one failing rank must end the whole MPI job).
FAIL_AT_ENV = "MULTISCALE_TEST_FAIL_AT"

@dataclass
class RunResult:
    """What a finished run reports."""

    path: Path
    status: str
    t_done_ms: float
    wall_s: float
    stats: dict
    resumed_from_ms: float | None = None


# ----------------------------------------------------------------------------- building


@dataclass
class Built:
    """A co-simulation built from an experiment, with its recordings."""

    exp: Experiment
    msn: Any
    cs: Any
    pathway: Any
    biochemical: tuple[int, ...]
    #: (group name, variable, Trace) of every electrical recording
    traces: list
    #: spine number -> (SpeciesTrace, [(dataset name, unit, quantity)])
    species: dict
    #: (spine, synapse, times, delay, origin) of every input
    inputs: list


@contextmanager
def _stage(exp: Experiment, key: str) -> Iterator[None]:
    """Turn a user error raised while building into a :class:`BuildError` naming ``key``."""
    try:
        yield
    except (BuildError, InternalError):
        raise  # an internal fault is a bug, never reported as bad input
    except (ValueError, LookupError, FileNotFoundError) as exc:
        msg = " ".join(str(exc).split())
        raise BuildError(f"{exp.source}: {key}: {msg}") from exc


def _location(msn, text: str, x_default: float = 0.5):
    """(section, x, group name) of 'name' or 'name(x)'."""
    name, _, rest = text.partition("(")
    name = name.strip()
    x = float(rest.rstrip(")").strip()) if rest else x_default
    group = name if x == 0.5 else f"{name}({x:g})"
    return msn[name], x, group


def _model(exp: Experiment):
    """The cell model of the experiment's model kind (multiscale.models)."""
    from .models import model_kind

    return model_kind(exp.model.kind).build(exp)


def _pathway(exp: Experiment):
    from biochem import Pathway, Port
    from biochem.errors import UnsupportedSBMLError

    sch = exp.scheduler
    batch = sch.batch_bins if sch.kind == "event-driven" and sch.delivery == "batched" else 0
    if exp.pathway.sbml == "default":
        return Pathway.spine(exp.pathway.variant,
                             series_inputs={"ca_in": batch} if batch else None)  # fmt: skip
    ports = {}
    for role, decl in exp.pathway.ports.items():
        target, unit = (decl["id"], decl.get("unit")) if isinstance(decl, dict) else (decl, None)
        conc = target.startswith("[") and target.endswith("]")
        tid = target[1:-1] if conc else target
        direction = "out" if role == "AMPAR_P" else "in"
        ports[role] = Port(tid, "concentration" if conc else None, unit, direction)
    series = {ports["ca_in"].target: batch} if batch and "ca_in" in ports else None
    try:
        return Pathway.from_file(exp.pathway_path(), ports=ports, series_inputs=series)
    except UnsupportedSBMLError as exc:
        if series and "series input" in str(exc):
            raise ValueError(f"{exc}; batched delivery needs ca_in to be a plain global "
                             "parameter, or use scheduler.delivery = 'per-exchange'") from None
        raise


def _species_units(pathway, names) -> list[tuple[str, str, str]]:
    """(dataset name, unit, quantity) of each roadrunner selection."""
    sp = {s.id: s for s in pathway.species}
    par = {p.id: p for p in pathway.parameters}
    comp = {c.id: c for c in pathway.compartments}
    out = []
    for name in names:
        if name.startswith("[") and name.endswith("]"):
            s = sp[name[1:-1]]
            out.append((s.id, s.concentration_unit or "", "concentration"))
        elif name in sp:
            out.append((name, sp[name].substance_unit or "", "amount"))
        else:
            info = par.get(name) or comp.get(name)
            out.append((name, info.unit if info is not None else "", "value"))
    return [(n, DIMENSIONLESS if u in ("", "dimensionless") else u, q) for n, u, q in out]


def build(exp: Experiment, comm: Any = None) -> Built:
    """Build the model, pathway, co-simulation, stimuli and recordings of an experiment.

    ``comm`` (several ranks) distributes the co-simulation; every rank must call
    this with the same experiment.  Bad input raises the same :class:`BuildError`
    on every rank, before any communication that depends on it.
    """
    from electrical import IClamp
    from sync import EventDriven, FixedInterval

    from .cosim import Cosimulation

    with _stage(exp, "model"):
        msn = _model(exp)
    with _stage(exp, "stimuli.iclamp"):
        for c in exp.stimuli.iclamp:
            sec, x, _ = _location(msn, c.section, c.x)
            msn.cell.place(sec(x), IClamp(delay=c.delay_ms, dur=c.dur_ms, amp=c.amp_nA))
    biochemical = exp.biochemical_spines()
    pathway = None
    if biochemical:
        with _stage(exp, "pathway.sbml" if exp.pathway.sbml != "default" else "pathway.variant"):
            pathway = _pathway(exp)
    sch = exp.scheduler
    with _stage(exp, "scheduler"):
        if sch.kind == "event-driven":
            scheduler = EventDriven(window_ms=sch.window_ms,
                                    exchange_interval_ms=sch.exchange_interval_ms,
                                    calcium_rest_tolerance=sch.calcium_rest_tolerance,
                                    delivery=sch.delivery, batch_bins=sch.batch_bins)  # fmt: skip
        else:
            scheduler = FixedInterval(interval_ms=sch.exchange_interval_ms)
    sim = exp.simulation
    cp = exp.coupling
    with _stage(exp, "coupling"):
        cs = Cosimulation(
            msn, pathway=pathway, biochemical=list(biochemical), coupling=cp.calcium,
            scheduler=scheduler, dt_ms=sim.dt_ms, v_init_mV=sim.v_init_mV,
            equilibrate_ms=sim.equilibrate_ms, equilibrate_biochem_s=sim.equilibrate_biochem_s,
            ca_pump_vmax=cp.ca_pump_vmax_M_per_s if pathway is not None else None,
            ca_leak_vmax=cp.ca_leak_vmax_M_per_s if pathway is not None else None,
            sample_span_ms=cp.sample_span_ms, comm=comm,
        )  # fmt: skip
    inputs = list(exp.synaptic_inputs())
    with _stage(exp, "stimuli"):
        # the merged original descriptions connect first (as they always have), then the rest
        merged = [i for i in inputs if i.origin == TIMESCALES_ORIGIN]
        for inp in merged + [i for i in inputs if i.origin != TIMESCALES_ORIGIN]:
            cs.stimulate(inp.spine, inp.times_ms, synapses=(inp.synapse,), delay_ms=inp.delay_ms)
    rec = exp.recording
    every = max(1, round(rec.interval_ms / sim.dt_ms))
    traces = []
    locations = [(_loc, f"recording.sections[{i}]") for i, _loc in enumerate(rec.sections)]
    locations += [(f"spine{n}_head", "recording.spine_heads") for n in exp.recorded_heads()]
    seen = set()
    for text, key in locations:
        with _stage(exp, key):
            sec, x, group = _location(msn, text)
        if group in seen:
            continue
        seen.add(group)
        for i, var in enumerate(rec.variables):
            with _stage(exp, f"recording.variables[{i}] at {group}"):
                traces.append((group, var, cs.electrical.record(var, sec(x), every=every)))
    species: dict[int, tuple] = {}
    names = exp.species()
    if biochemical and names:
        with _stage(exp, "recording.species"):
            units = _species_units(pathway, names)
            for n in biochemical:
                tr = cs.record_species(n, list(names), every_ms=rec.species_interval_ms)
                species[n] = (tr, units)
    return Built(exp, msn, cs, pathway, biochemical, traces, species, inputs)


# ----------------------------------------------------------------------------- file layout


def _git_sha() -> str:
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return "unknown"
    try:
        res = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty",
                              "--abbrev=40"], check=False, capture_output=True, text=True,
                             timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return res.stdout.strip() or "unknown"


def default_output(exp: Experiment) -> Path:
    """``output.file``, else ``<name>.h5`` (``<name>_quick.h5`` for --quick) in the cwd."""
    if exp.output.file:
        return Path(exp.output.file)
    return Path(f"{exp.name}_quick.h5" if exp.is_quick else f"{exp.name}.h5")


def _create_layout(w: ResultsWriter, b: Built, comm_size: int, command: str) -> None:
    exp = b.exp
    w.set_attrs(
        format=FORMAT, format_version=FORMAT_VERSION,
        experiment_toml=exp.to_toml(), experiment_json=exp.to_json(),
        experiment_name=exp.name, experiment_file=str(exp.source),
        overrides=json.dumps(list(exp.overrides)), quick=bool(exp.is_quick),
        quick_shift_ms=float(exp.quick_shift_ms), seed=int(exp.experiment.seed),
        rank_count=int(comm_size), versions=json.dumps(versions(), sort_keys=True), git_sha=_git_sha(),
        created_utc=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        command=command, status="running", t_stop_ms=float(exp.simulation.t_stop_ms),
        t_done_ms=0.0, digest=exp.digest(),
    )  # fmt: skip
    # morphology: every section, and where the spines sit
    msn = b.msn
    secs = msn.cell.sections
    index = {s.name: i for i, s in enumerate(secs)}
    w.group(layout.MORPHOLOGY, {"description": "sections and spine positions (no 3-D points)"})
    w.write(layout.morphology_path("sections", "name"), [s.name for s in secs], unit=TEXT_UNIT,
            description="section names")  # fmt: skip
    w.write(layout.morphology_path("sections", "parent"),
            [index[s.parent.name] if s.parent is not None else -1 for s in secs],
            unit=DIMENSIONLESS, description="row of the parent section (-1: root)")  # fmt: skip
    w.write(layout.morphology_path("sections", "parent_x"),
            [float(s.parent_x) if s.parent is not None else 0.0 for s in secs],
            unit=DIMENSIONLESS, description="where on the parent the section's 0 end attaches")  # fmt: skip
    w.write(layout.morphology_path("sections", "L_um"), [s.L for s in secs], unit="um", description="length")
    w.write(layout.morphology_path("sections", "diam_um"), [s.diam for s in secs], unit="um",
            description="diameter")  # fmt: skip
    w.write(layout.morphology_path("sections", "nseg"), [s.nseg for s in secs], unit=DIMENSIONLESS,
            description="segments")  # fmt: skip
    w.write(layout.morphology_path("spines", "number"), [sp.number for sp in msn.spines], unit=DIMENSIONLESS,
            description="spine number N of spineN")  # fmt: skip
    w.write(layout.morphology_path("spines", "section"), [sp.location.section.name for sp in msn.spines],
            unit=TEXT_UNIT, description="dendrite the spine neck attaches to")  # fmt: skip
    w.write(layout.morphology_path("spines", "x"), [sp.location.x for sp in msn.spines], unit=DIMENSIONLESS,
            description="position on that dendrite")  # fmt: skip
    # events: every synaptic input, sorted by time
    rows = sorted((float(t), n, syn, d) for n, syn, ts, d, _ in b.inputs for t in ts)
    w.write(layout.events_path("t_ms"), [r[0] for r in rows], unit="ms",
            description="presynaptic spike time (it acts delay_ms later)")  # fmt: skip
    w.write(layout.events_path("spine"), np.asarray([r[1] for r in rows], dtype=np.int64),
            unit=DIMENSIONLESS, description="spine number")  # fmt: skip
    w.write(layout.events_path("synapse"), [r[2] for r in rows], unit=TEXT_UNIT, description="ampa or nmda")
    w.write(layout.events_path("delay_ms"), [r[3] for r in rows], unit="ms", description="connection delay")
    # electrical
    if b.traces:
        w.group(layout.ELECTRICAL, {"interval_ms": float(exp.recording.interval_ms)})
        w.series(layout.ELECTRICAL_T, unit="ms", description="time of the electrical samples")
        for group, var, tr in b.traces:
            sec, x, _ = _location(msn, group)
            w.group(layout.electrical_group(group), {"section": sec.name, "x": float(x)})
            w.series(layout.electrical_trace(group, var), unit=tr.unit,
                     description=f"{var} at {sec.name}({x:g})")  # fmt: skip
    # spines
    stimulated = set(exp.stimulated_spines())
    heads = {g for g, _, _ in b.traces}
    for n in sorted(set(b.biochemical) | stimulated):
        sp = msn.spine(n)
        g = layout.spine_group(n)
        w.group(g, {"number": n, "section": sp.location.section.name,
                    "x": float(sp.location.x), "biochemical": n in b.biochemical,
                    "stimulated": n in stimulated})  # fmt: skip
        if f"spine{n}_head" in heads:
            w.link(f"{g}/{layout.ELECTRICAL}", "/" + layout.electrical_group(f"spine{n}_head"))
        if n in b.biochemical:
            w.series(layout.spine_weight_t(n), unit="ms", description="time of each weight update")
            w.series(layout.spine_weight(n), unit=DIMENSIONLESS,
                     description="AMPA weight = AMPAR_P / its value after the equilibration")  # fmt: skip
        if n in b.species:
            _, units = b.species[n]
            w.series(layout.spine_t(n), unit="ms", description="time of the species samples")
            for name, unit, quantity in units:
                w.series(layout.spine_species(n, name), unit=unit, attrs={"quantity": quantity},
                         description=f"pathway {quantity} of {name}")  # fmt: skip


class _Streams:
    """What is new in each recording since the previous write, gathered to rank 0.

    Under MPI each recording is filled on one rank: an electrical trace on the rank
    that computes its location (``trace.owner``; the replicated trunk counts as
    rank 0's), a spine's weights and species on the rank that integrates its
    pathway.  :meth:`collect` is collective (one gather); only rank 0 writes.
    """

    def __init__(self, b: Built, comm: Any):
        self.b = b
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.consumed: dict[str, int] = {}
        cs = b.cs
        self._bio_here = {lk.name: lk.local_bio for lk in cs.sync.links} if cs.sync else {}
        #: dataset -> ("electrical" | "weight" | "species", spine number or None)
        self.kinds: dict[str, tuple[str, int | None]] = {
            **{layout.electrical_trace(g, var): ("electrical", None) for g, var, _ in b.traces},
            **{layout.spine_weight(n): ("weight", n) for n in b.biochemical},
            **{layout.spine_group(n) + "/species": ("species", n) for n in b.species},
        }

    def _pathway_here(self, n: int) -> bool:
        return self._bio_here[self.b.msn.spine(n).name]

    def sources(self) -> Iterator[tuple[str, bool, Callable[[], tuple[np.ndarray, ...]]]]:
        """(dataset, filled on this rank?, getter of (t, values)) of every recording."""
        b = self.b
        for group, var, tr in b.traces:
            here = bool(tr.local) and tr.owner == self.rank
            yield layout.electrical_trace(group, var), here, (lambda tr=tr: (tr.t_ms, tr.values))
        for n in b.biochemical:
            yield (layout.spine_weight(n), self._pathway_here(n),
                   (lambda n=n: b.cs.weights(n)))  # fmt: skip
        for n, (tr, _) in b.species.items():
            yield (layout.spine_group(n) + "/species", self._pathway_here(n),
                   (lambda tr=tr: (tr.t_ms, tr.values)))  # fmt: skip

    def skip_existing(self) -> None:
        """After a restore: what the sources hold already is in the file (or was cut)."""
        for name, here, get in self.sources():
            if here:
                self.consumed[name] = len(get()[0])

    def collect(self) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
        """The new samples of every recording, on rank 0 (None elsewhere).  Collective."""
        new = {}
        for name, here, get in self.sources():
            if not here:
                continue
            t, v = get()
            k = self.consumed.get(name, 0)
            self.consumed[name] = len(t)
            if len(t) > k:
                new[name] = (np.asarray(t[k:]), np.asarray(v[k:]))
        if self.size == 1:
            return new
        parts = self.comm.gather(new, root=0)
        if parts is None:
            return None
        merged: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for part in parts:
            merged.update(part)
        return merged

    def write(self, w: ResultsWriter, new: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Append what :meth:`collect` returned (rank 0)."""
        t_written = False
        for name, _, _ in self.sources():
            if name not in new:
                continue
            t, v = new[name]
            what, n = self.kinds[name]
            if what == "electrical":
                if not t_written:  # every electrical trace has the same sample times
                    w.append(layout.ELECTRICAL_T, t)
                    t_written = True
                w.append(name, v)
            elif what == "weight":
                w.append(layout.spine_weight_t(n), t)
                w.append(name, v)
            else:
                w.append(layout.spine_t(n), t)
                for j, (ds, _, _) in enumerate(self.b.species[n][1]):
                    w.append(layout.spine_species(n, ds), v[:, j])


def _global_stats(cs: Any, comm: Any) -> dict:
    """``cs.stats()`` (collective: counts are totals), plus every rank's wall times on rank 0."""
    stats = cs.stats()
    if comm.Get_size() > 1:
        walls = comm.gather(stats.get("wall_s", {}), root=0)
        if walls is not None:
            stats["rank_wall_s"] = {f"rank{r}.{k}": float(v) for r, wall in enumerate(walls)
                                    for k, v in wall.items()}  # fmt: skip
    return stats


def _write_stats(w: ResultsWriter, stats: dict) -> None:
    g = w.group(layout.SYNC)
    g.attrs["stats_json"] = json.dumps(stats, sort_keys=True, default=str)
    g.attrs["scheduler"] = str(stats.get("scheduler", ""))
    for key, value in stats.items():
        if isinstance(value, dict) and value and all(
            isinstance(x, (int, float)) for x in value.values()):  # fmt: skip
            names = list(value)
            unit = "s" if key.endswith("_s") else ("mol" if key.endswith("_mol") else "1")
            w.write(layout.sync_path(f"{key}/name"), names, unit=TEXT_UNIT, description=f"keys of {key}")
            w.write(layout.sync_path(f"{key}/value"), np.asarray([value[k] for k in names], dtype=float),
                    unit=unit, description=key.replace("_", " "))  # fmt: skip
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            w.write(layout.sync_path(key), value, unit="1", description=key.replace("_", " "))


def _chunk_ends(t_from: float, exp: Experiment) -> list[tuple[float, bool]]:
    """(end of chunk [ms], checkpoint after it?) from ``t_from`` to t_stop."""
    sim, out = exp.simulation, exp.output
    dt = sim.dt_ms
    stop_tick = round(sim.t_stop_ms / dt)
    flush = max(1, round(out.flush_interval_ms / dt))
    ckpt = round(out.checkpoint_interval_ms / dt) if out.checkpoint_interval_ms > 0 else 0
    tick = round(t_from / dt)
    ends: list[tuple[float, bool]] = []
    while tick < stop_tick:
        nxt = min(stop_tick, (tick // flush + 1) * flush)
        if ckpt:
            nxt = min(nxt, (tick // ckpt + 1) * ckpt)
        tick = nxt
        ends.append((tick * dt, bool(ckpt) and tick % ckpt == 0 and tick < stop_tick))
    return ends


def _exchanges_so_far(cs: Any) -> int:
    """Pathway exchanges of every spine so far (each rank counts every spine's)."""
    return int(sum(lk.exchanges for lk in cs.sync.links)) if cs.sync is not None else 0


# ----------------------------------------------------------------------------- running


def run(
    exp: Experiment,
    out: str | Path | None = None,
    *,
    resume: bool = False,
    quiet: bool = False,
    comm: Any = None,
    stream: TextIO | None = None,
    command: str = "",
    stop_after_ms: float | None = None,
) -> RunResult:
    """Run an experiment to ``simulation.t_stop_ms`` and write its HDF5 file.

    Parameters
    ----------
    exp : Experiment
        A validated experiment (:func:`multiscale.experiment.load`).
    out : path, optional
        The HDF5 file (default :func:`default_output`).
    resume : bool
        Continue from the checkpoint beside ``out`` (with as many ranks as the
        run that wrote it).
    quiet : bool
        No progress bar.
    comm : communicator, optional
        MPI communicator (default :func:`multiscale.distribute.world`).  Every
        rank calls ``run`` with the same arguments; the co-simulation is
        distributed over the ranks, and only rank 0 writes and shows progress.
    stream : file, optional
        Where progress goes (default stderr).
    command : str
        The command line, stored in the file.
    stop_after_ms : float, optional
        Stop (as if killed: the file says ``running``) after the first chunk that
        ends at or after this time; for tests of ``resume``.

    Raises
    ------
    BuildError
        The experiment cannot be built (bad input); on every rank.
    RunError
        The run failed, was interrupted, or cannot be resumed.  Unless
        ``everywhere`` is set, only this rank failed and the others wait for it
        in a collective: end the job (``comm.Abort``).
    """
    from .distribute import world

    comm = world() if comm is None else comm
    rank, size = comm.Get_rank(), comm.Get_size()
    root = rank == 0
    path = Path(out) if out is not None else default_output(exp)
    ckpt_path = checkpoint_path(path)
    stream = sys.stderr if stream is None else stream
    fail_at = _fail_at(rank)
    ckpt = None  # the checkpoint (rank 0: with every rank's state)
    meta = None  # its time, on every rank
    if resume:
        ckpt = _on_root(comm, lambda: _load_checkpoint(path, ckpt_path, exp, size))
        meta = ckpt if size == 1 else comm.bcast(
            ckpt if not isinstance(ckpt, dict) else {"t_ms": ckpt["t_ms"]}, root=0)  # fmt: skip
        if meta == "complete":
            return RunResult(path, "complete", exp.simulation.t_stop_ms, 0.0, {})
    b = _everywhere(comm, lambda: build(exp, comm))
    cs = b.cs
    wall0 = time.monotonic()

    def initialize() -> None:
        with _stage(exp, "stimuli"):
            cs.initialize()

    _everywhere(comm, initialize)
    streams = _Streams(b, comm)
    t_from = 0.0
    if meta is not None:
        blob = comm.scatter(ckpt["blobs"] if root else None, root=0)
        _everywhere(comm, lambda: _restore(cs, blob, ckpt_path))
        t_from = float(meta["t_ms"])
        streams.skip_existing()
        first = None
    else:
        first = streams.collect()  # the samples at t = 0

    def open_file() -> ResultsWriter:
        try:
            if meta is not None:
                w = ResultsWriter(path, "r+")
                w.truncate(ckpt["lengths"])
                w.flush(status="running", t_done_ms=t_from, resumed_from_ms=t_from)
            else:
                ckpt_path.unlink(missing_ok=True)
                w = ResultsWriter(path, "w")
                _create_layout(w, b, size, command)
                streams.write(w, first)
                w.flush()
        except (ResultsError, OSError) as exc:
            raise RunError(f"{path}: {exc}") from None
        return w

    writer = _on_root(comm, open_file)
    progress = Progress(t_from, exp.simulation.t_stop_ms, stream=stream,
                        enabled=root and not quiet)  # fmt: skip
    t_done = t_from  # the file holds everything up to here (flushed; on every rank)
    status = "running"
    stats: dict = {}
    try:
        for t_end, do_ckpt in _chunk_ends(t_from, exp):
            cs.advance_to(t_end)
            if fail_at is not None and t_end >= fail_at:
                raise RuntimeError(f"failure injected by {FAIL_AT_ENV}="
                                   f"{os.environ[FAIL_AT_ENV]!r} (a test of the MPI abort)")  # fmt: skip
            last = t_end >= exp.simulation.t_stop_ms
            stopping = stop_after_ms is not None and t_end >= stop_after_ms and not last
            if last:
                cs.finish()
            new = streams.collect()
            stats = _global_stats(cs, comm)  # per-spine counters only: cheap under MPI
            blobs = comm.gather(cs.save_state(), root=0) if do_ckpt else None
            if writer is not None:
                streams.write(writer, new)
                _write_stats(writer, stats)
                writer.flush(t_done_ms=t_end, wall_s=time.monotonic() - wall0)
                if do_ckpt:
                    write_checkpoint(ckpt_path, {"t_ms": t_end, "blobs": blobs, "ranks": size,
                                                 "lengths": writer.lengths(),
                                                 "digest": exp.digest()})  # fmt: skip
            if size > 1:
                barrier(comm)  # no rank goes on (and may fail) while rank 0 writes
            t_done = t_end
            progress.update(t_end, _exchanges_so_far(cs))
            if stopping:
                progress.close()
                if writer is not None:
                    writer.f.close()  # as if killed: status stays 'running'
                return RunResult(path, "running", t_done, time.monotonic() - wall0, stats,
                                 t_from if meta else None)  # fmt: skip
        status = "complete"
    except KeyboardInterrupt:
        status = "interrupted"
        raise RunError(_stopped_message(path, ckpt_path, f"interrupted at t = {_t_now(cs):g} ms",
                                        t_done, size), t_done) from None  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - a failed run is reported, not a traceback
        status = "failed"
        if writer is not None:
            writer.set_attrs(error=f"{type(exc).__name__}: {exc}")
        msg = " ".join(str(exc).split())
        raise RunError(
            _stopped_message(path, ckpt_path, f"failed at t = {_t_now(cs):g} ms "
                             f"({type(exc).__name__}: {msg})", t_done, size), t_done) from None  # fmt: skip
    finally:
        progress.close()
        if writer is not None and writer.f.id.valid:
            writer.close(status=status, t_done_ms=t_done, wall_s=time.monotonic() - wall0)
    if not stats:  # no chunk was left to run
        stats = _global_stats(cs, comm)
    if root and status == "complete":
        ckpt_path.unlink(missing_ok=True)
        if exp.output.plots:
            from .plots import plot_results

            plot_results(path)
    return RunResult(path, status, t_done, time.monotonic() - wall0, stats,
                     t_from if meta else None)  # fmt: skip


def _everywhere(comm: Any, fn: Callable[[], Any]) -> Any:
    """Call ``fn`` on every rank; a BuildError or RunError of any rank is raised on all.

    Collective (one allgather after ``fn``): a rank whose input is bad does not
    leave the others waiting.  The error of the lowest failing rank is raised.
    """
    err: BuildError | RunError | None = None
    try:
        value = fn()
    except (BuildError, RunError) as exc:
        err, value = exc, None
    if comm.Get_size() == 1:
        if isinstance(err, RunError):
            err.everywhere = True
        if err is not None:
            raise err
        return value
    found = comm.allgather(None if err is None else (isinstance(err, BuildError), str(err)))
    first = next((f for f in found if f is not None), None)
    if first is None:
        return value
    is_build, msg = first
    if is_build:
        raise BuildError(msg) from None
    raise RunError(msg, everywhere=True) from None


def _on_root(comm: Any, fn: Callable[[], Any]) -> Any:
    """Call ``fn`` on rank 0 only and return its value there (None elsewhere).

    A :class:`RunError` of ``fn`` is raised on every rank (the message travels by
    broadcast), so nobody waits for a rank 0 that gave up.
    """
    value, msg = None, None
    if comm.Get_rank() == 0:
        try:
            value = fn()
        except RunError as exc:
            msg = str(exc)
    if comm.Get_size() > 1:
        msg = comm.bcast(msg, root=0)
    if msg is not None:
        raise RunError(msg, everywhere=True)
    return value


def _restore(cs: Any, blob: bytes, ckpt_path: Path) -> None:
    try:
        cs.restore_state(blob)
    except Exception as exc:  # noqa: BLE001 - whatever is wrong, the checkpoint cannot be used
        msg = " ".join(str(exc).split())
        raise RunError(f"cannot resume from {ckpt_path}: {msg}; run again without --resume")


def _fail_at(rank: int) -> float | None:
    """T_MS of ``MULTISCALE_TEST_FAIL_AT="RANK:T_MS"`` when RANK is this rank (tests only)."""
    spec = os.environ.get(FAIL_AT_ENV, "").strip()
    if not spec:
        return None
    r, _, t = spec.partition(":")
    try:
        at_rank, t_ms = int(r), float(t)
    except ValueError:
        raise RunError(f"{FAIL_AT_ENV}={spec!r}: expected RANK:T_MS, e.g. 1:150 (a test "
                       "setting; unset it for real runs)", everywhere=True) from None  # fmt: skip
    return t_ms if at_rank == rank else None


def _t_now(cs: Any) -> float:
    """Where this rank's electrical model stands [ms] (where a run stopped)."""
    try:
        return float(cs.t_ms)
    except Exception:  # noqa: BLE001 - only for a message
        return math.nan


def _stopped_message(path: Path, ckpt_path: Path, what: str, t_done: float,
                     ranks: int = 1) -> str:  # fmt: skip
    msg = f"{path}: run {what}; the file holds everything up to t = {t_done:g} ms"
    if ckpt_path.is_file():
        try:
            t = read_checkpoint(ckpt_path)["t_ms"]
        except ResultsError:
            return msg
        how = f" under mpiexec -n {ranks}" if ranks > 1 else ""
        msg += f"; continue from the checkpoint at t = {t:g} ms with --resume{how}"
    return msg


def _load_checkpoint(path: Path, ckpt_path: Path, exp: Experiment, ranks: int = 1):
    """The checkpoint to resume from, 'complete', or a RunError saying why not."""
    from .output import Results

    if not path.is_file():
        raise RunError(f"{path}: nothing to resume (no such file); run without --resume")
    try:
        with Results(path) as r:
            status, digest = r.status, str(r.attrs.get("digest", ""))
            old = r.experiment
    except ResultsError as exc:
        raise RunError(f"cannot resume: {exc}; run again without --resume") from None
    if digest and digest != exp.digest():
        new = exp.to_dict()
        diff = sorted(_diff_keys(old, new))
        raise RunError(
            f"{path} was written by a different experiment (differences: "
            f"{', '.join(diff[:6]) or 'none shown'}); resume with the same file and --set "
            "values, or run without --resume"
        )
    if status == "complete":
        return "complete"
    try:
        ckpt = read_checkpoint(ckpt_path)
    except ResultsError as exc:
        raise RunError(
            f"cannot resume {path}: {exc} (the run stopped before its first checkpoint, "
            "output.checkpoint_interval_ms); run again without --resume"
        ) from None
    if ckpt.get("digest") != exp.digest():
        raise RunError(f"{ckpt_path} belongs to another experiment; run without --resume")
    saved = len(ckpt.get("blobs", ()))
    if saved != ranks:
        how = (
            f"mpiexec -n {saved} multiscale run ..."
            if saved > 1
            else "multiscale run ... (no mpiexec)"
        )
        raise RunError(
            f"{ckpt_path} holds the state of a run on {saved} MPI rank(s) and this run has "
            f"{ranks}; resume with the original rank count ({how} --resume), or run again "
            "without --resume"
        )
    return ckpt


def _diff_keys(a: Any, b: Any, prefix: str = "") -> set[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: set[str] = set()
        for k in set(a) | set(b):
            if k == "output":
                continue
            out |= _diff_keys(a.get(k), b.get(k), f"{prefix}{k}.")
        return out
    return set() if a == b else {prefix.rstrip(".")}
