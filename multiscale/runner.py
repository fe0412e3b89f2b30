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

Errors: :class:`BuildError` (bad input found while building: exit 2 in the CLI)
and :class:`RunError` (the run failed or was interrupted: exit 1).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from .experiment import Experiment
from .output import (
    DIMENSIONLESS,
    TEXT_UNIT,
    ResultsError,
    ResultsWriter,
    checkpoint_path,
    read_checkpoint,
    write_checkpoint,
)
from .progress import Progress

__all__ = ["BuildError", "RunError", "RunResult", "build", "default_output", "run"]

#: Distributions whose versions go into the file (read from the installed metadata).
_DISTRIBUTIONS = ("multiscale-neuro", "numpy", "scipy", "numba", "h5py", "libroadrunner",
                  "python-libsbml", "antimony", "tellurium", "mpi4py")  # fmt: skip


class BuildError(ValueError):
    """The experiment cannot be built (bad input); the message names the key and the fix."""


class RunError(RuntimeError):
    """The run failed or was interrupted; the file keeps what was flushed."""

    def __init__(self, message: str, t_done_ms: float | None = None):
        super().__init__(message)
        self.t_done_ms = t_done_ms


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
    except BuildError:
        raise
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
    from .msn import MSN, MSNParameters
    from .spine import CORRECTED_SPINE, TIMESCALES_SPINE

    m = exp.model
    sim = exp.simulation
    cell_kw: dict[str, Any] = {}
    defaults = MSNParameters()
    for key, value in m.cell_parameters.items():
        cell_kw[key] = {**getattr(defaults, key), **value} if key.endswith("_channels") else value
    params = MSNParameters(kir_gkbar=m.kir_gkbar, dt_ms=sim.dt_ms, v_init=sim.v_init_mV,
                           **cell_kw)  # fmt: skip
    base = CORRECTED_SPINE if m.spine_variant == "corrected" else TIMESCALES_SPINE
    spine_params = dataclasses.replace(base, kir_gkbar=m.kir_gkbar, **m.spine_parameters)
    return MSN(m.spines, params=params, spine_params=spine_params,
               positions_dir=m.positions_dir or None)  # fmt: skip


def _pathway(exp: Experiment):
    from biochem import Pathway, Port

    if exp.pathway.sbml == "default":
        return Pathway.spine(exp.pathway.variant)
    ports = {}
    for role, decl in exp.pathway.ports.items():
        target, unit = (decl["id"], decl.get("unit")) if isinstance(decl, dict) else (decl, None)
        conc = target.startswith("[") and target.endswith("]")
        tid = target[1:-1] if conc else target
        direction = "out" if role == "AMPAR_P" else "in"
        ports[role] = Port(tid, "concentration" if conc else None, unit, direction)
    return Pathway.from_file(exp.pathway_path(), ports=ports)


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


def build(exp: Experiment) -> Built:
    """Build the model, pathway, co-simulation, stimuli and recordings of an experiment."""
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
                                    calcium_rest_tolerance=sch.calcium_rest_tolerance)  # fmt: skip
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
            sample_span_ms=cp.sample_span_ms,
        )  # fmt: skip
    inputs = exp.input_events()
    with _stage(exp, "stimuli"):
        for n, per_syn in exp.timescales_by_spine().items():
            cs.stimulate_timescales(n, per_syn)
        for n, syn, times, delay, origin in inputs:
            if origin != "stimuli.timescales":
                cs.stimulate(n, times, synapses=(syn,), delay_ms=delay)
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


def _versions() -> str:
    out = {"python": sys.version.split()[0]}
    for dist in _DISTRIBUTIONS:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return json.dumps(out, sort_keys=True)


def _git_sha() -> str:
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return "unknown"
    try:
        res = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty",
                              "--abbrev=40"], capture_output=True, text=True, timeout=10)  # fmt: skip
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
        format="multiscale-results", format_version=1,
        experiment_toml=exp.to_toml(), experiment_json=exp.to_json(),
        experiment_name=exp.name, experiment_file=str(exp.source),
        overrides=json.dumps(list(exp.overrides)), quick=bool(exp.is_quick),
        quick_shift_ms=float(exp.quick_shift_ms), seed=int(exp.experiment.seed),
        rank_count=int(comm_size), versions=_versions(), git_sha=_git_sha(),
        created_utc=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        command=command, status="running", t_stop_ms=float(exp.simulation.t_stop_ms),
        t_done_ms=0.0, digest=exp.digest(),
    )  # fmt: skip
    # morphology: every section, and where the spines sit
    msn = b.msn
    secs = msn.cell.sections
    index = {s.name: i for i, s in enumerate(secs)}
    w.group("morphology", {"description": "sections and spine positions (no 3-D points)"})
    w.write("morphology/sections/name", [s.name for s in secs], unit=TEXT_UNIT,
            description="section names")  # fmt: skip
    w.write("morphology/sections/parent",
            [index[s.parent.name] if s.parent is not None else -1 for s in secs],
            unit=DIMENSIONLESS, description="row of the parent section (-1: root)")  # fmt: skip
    w.write("morphology/sections/parent_x",
            [float(s.parent_x) if s.parent is not None else 0.0 for s in secs],
            unit=DIMENSIONLESS, description="where on the parent the section's 0 end attaches")  # fmt: skip
    w.write("morphology/sections/L_um", [s.L for s in secs], unit="um", description="length")
    w.write("morphology/sections/diam_um", [s.diam for s in secs], unit="um",
            description="diameter")  # fmt: skip
    w.write("morphology/sections/nseg", [s.nseg for s in secs], unit=DIMENSIONLESS,
            description="segments")  # fmt: skip
    w.write("morphology/spines/number", [sp.number for sp in msn.spines], unit=DIMENSIONLESS,
            description="spine number N of spineN")  # fmt: skip
    w.write("morphology/spines/section", [sp.location.section.name for sp in msn.spines],
            unit=TEXT_UNIT, description="dendrite the spine neck attaches to")  # fmt: skip
    w.write("morphology/spines/x", [sp.location.x for sp in msn.spines], unit=DIMENSIONLESS,
            description="position on that dendrite")  # fmt: skip
    # events: every synaptic input, sorted by time
    rows = sorted((float(t), n, syn, d) for n, syn, ts, d, _ in b.inputs for t in ts)
    w.write("events/t_ms", [r[0] for r in rows], unit="ms",
            description="presynaptic spike time (it acts delay_ms later)")  # fmt: skip
    w.write("events/spine", np.asarray([r[1] for r in rows], dtype=np.int64),
            unit=DIMENSIONLESS, description="spine number")  # fmt: skip
    w.write("events/synapse", [r[2] for r in rows], unit=TEXT_UNIT, description="ampa or nmda")
    w.write("events/delay_ms", [r[3] for r in rows], unit="ms", description="connection delay")
    # electrical
    if b.traces:
        w.group("electrical", {"interval_ms": float(exp.recording.interval_ms)})
        w.series("electrical/t_ms", unit="ms", description="time of the electrical samples")
        for group, var, tr in b.traces:
            sec, x, _ = _location(msn, group)
            w.group(f"electrical/{group}", {"section": sec.name, "x": float(x)})
            w.series(f"electrical/{group}/{var}", unit=tr.unit,
                     description=f"{var} at {sec.name}({x:g})")  # fmt: skip
    # spines
    stimulated = set(exp.stimulated_spines())
    heads = {g for g, _, _ in b.traces}
    for n in sorted(set(b.biochemical) | stimulated):
        sp = msn.spine(n)
        g = f"spines/spine{n}"
        w.group(g, {"number": n, "section": sp.location.section.name,
                    "x": float(sp.location.x), "biochemical": n in b.biochemical,
                    "stimulated": n in stimulated})  # fmt: skip
        if f"spine{n}_head" in heads:
            w.link(f"{g}/electrical", f"/electrical/spine{n}_head")
        if n in b.biochemical:
            w.series(f"{g}/weight_t_ms", unit="ms", description="time of each weight update")
            w.series(f"{g}/weight", unit=DIMENSIONLESS,
                     description="AMPA weight = AMPAR_P / its value after the equilibration")  # fmt: skip
        if n in b.species:
            _, units = b.species[n]
            w.series(f"{g}/t_ms", unit="ms", description="time of the species samples")
            for name, unit, quantity in units:
                w.series(f"{g}/species/{name}", unit=unit, attrs={"quantity": quantity},
                         description=f"pathway {quantity} of {name}")  # fmt: skip


class _Streams:
    """What is new in each recording since the previous write."""

    def __init__(self, b: Built):
        self.b = b
        self.consumed: dict[str, int] = {}

    def sources(self) -> Iterator[tuple[str, Callable[[], tuple[np.ndarray, ...]]]]:
        b = self.b
        for group, var, tr in b.traces:
            yield f"electrical/{group}/{var}", (lambda tr=tr: (tr.t_ms, tr.values))
        for n in b.biochemical:
            yield f"spines/spine{n}/weight", (lambda n=n: b.cs.weights(n))
        for n, (tr, _) in b.species.items():
            yield f"spines/spine{n}/species", (lambda tr=tr: (tr.t_ms, tr.values))

    def skip_existing(self) -> None:
        """After a restore: what the sources hold already is in the file (or was cut)."""
        for name, get in self.sources():
            self.consumed[name] = len(get()[0])

    def write(self, w: ResultsWriter | None) -> None:
        b = self.b
        t_written = False
        for name, get in self.sources():
            t, v = get()
            k = self.consumed.get(name, 0)
            self.consumed[name] = len(t)
            if w is None or len(t) == k:
                continue
            if name.startswith("electrical/"):
                if not t_written:
                    w.append("electrical/t_ms", t[k:])
                    t_written = True
                w.append(name, v[k:])
            elif name.endswith("/weight"):
                w.append(name + "_t_ms", t[k:])
                w.append(name, v[k:])
            else:
                g = name.rsplit("/", 1)[0]
                w.append(f"{g}/t_ms", t[k:])
                n = int(g.rsplit("spine", 1)[1])
                for j, (ds, _, _) in enumerate(b.species[n][1]):
                    w.append(f"{g}/species/{ds}", v[k:, j])


def _write_stats(w: ResultsWriter, stats: dict) -> None:
    g = w.group("sync")
    g.attrs["stats_json"] = json.dumps(stats, sort_keys=True, default=str)
    g.attrs["scheduler"] = str(stats.get("scheduler", ""))
    for key, value in stats.items():
        if isinstance(value, dict) and value and all(
            isinstance(x, (int, float)) for x in value.values()):  # fmt: skip
            names = list(value)
            unit = "s" if key.endswith("_s") else ("mol" if key.endswith("_mol") else "1")
            w.write(f"sync/{key}/name", names, unit=TEXT_UNIT, description=f"keys of {key}")
            w.write(f"sync/{key}/value", np.asarray([value[k] for k in names], dtype=float),
                    unit=unit, description=key.replace("_", " "))  # fmt: skip
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            w.write(f"sync/{key}", value, unit="1", description=key.replace("_", " "))


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


def _exchanges(stats: dict) -> int:
    ex = stats.get("exchanges", {})
    return int(sum(ex.values())) if isinstance(ex, dict) else 0


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
        Continue from the checkpoint beside ``out``.
    quiet : bool
        No progress bar.
    comm : communicator, optional
        MPI communicator (default :func:`multiscale.distribute.world`); only rank 0
        writes and shows progress.
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
        The experiment cannot be built (bad input).
    RunError
        The run failed, was interrupted, or cannot be resumed.
    """
    from .distribute import world

    comm = world() if comm is None else comm
    rank, size = comm.Get_rank(), comm.Get_size()
    root = rank == 0
    path = Path(out) if out is not None else default_output(exp)
    ckpt_path = checkpoint_path(path)
    stream = sys.stderr if stream is None else stream
    ckpt = None
    if resume:
        ckpt = _load_checkpoint(path, ckpt_path, exp) if root else None
        ckpt = comm.bcast(ckpt, root=0)
        if ckpt == "complete":
            return RunResult(path, "complete", exp.simulation.t_stop_ms, 0.0, {})
    b = build(exp)
    cs = b.cs
    wall0 = time.monotonic()
    with _stage(exp, "stimuli"):
        cs.initialize()
    streams = _Streams(b)
    writer = None
    t_from = 0.0
    if ckpt is not None:
        cs.restore_state(ckpt["blobs"][rank if len(ckpt["blobs"]) > 1 else 0])
        t_from = float(ckpt["t_ms"])
        streams.skip_existing()
    if root:
        try:
            if ckpt is not None:
                writer = ResultsWriter(path, "r+")
                writer.truncate(ckpt["lengths"])
                writer.flush(status="running", t_done_ms=t_from, resumed_from_ms=t_from)
            else:
                ckpt_path.unlink(missing_ok=True)
                writer = ResultsWriter(path, "w")
                _create_layout(writer, b, size, command)
                streams.write(writer)  # the samples at t = 0
                writer.flush()
        except (ResultsError, OSError) as exc:
            raise RunError(f"{path}: {exc}") from None
    else:
        if ckpt is None:
            streams.write(None)
    progress = Progress(t_from, exp.simulation.t_stop_ms, stream=stream,
                        enabled=root and not quiet)  # fmt: skip
    t_done = t_from
    status = "running"
    try:
        for t_end, do_ckpt in _chunk_ends(t_from, exp):
            cs.advance_to(t_end)
            t_done = t_end
            last = t_end >= exp.simulation.t_stop_ms
            if last:
                cs.finish()
            streams.write(writer)
            stats = cs.stats()
            if writer is not None:
                _write_stats(writer, stats)
                writer.flush(t_done_ms=t_done, wall_s=time.monotonic() - wall0)
            if do_ckpt:
                blobs = comm.gather(cs.save_state(), root=0)
                if root:
                    write_checkpoint(ckpt_path, {"t_ms": t_end, "blobs": blobs,
                                                 "lengths": writer.lengths(),
                                                 "digest": exp.digest()})  # fmt: skip
            progress.update(t_end, _exchanges(stats))
            if stop_after_ms is not None and t_end >= stop_after_ms and not last:
                progress.close()
                if writer is not None:
                    writer.f.close()  # as if killed: status stays 'running'
                return RunResult(path, "running", t_done, time.monotonic() - wall0, stats,
                                 t_from if ckpt else None)  # fmt: skip
        status = "complete"
    except KeyboardInterrupt:
        status = "interrupted"
        raise RunError(_stopped_message(path, ckpt_path, "interrupted", t_done), t_done) from None
    except Exception as exc:  # noqa: BLE001 - a failed run is reported, not a traceback
        status = "failed"
        if writer is not None:
            writer.set_attrs(error=f"{type(exc).__name__}: {exc}")
        msg = " ".join(str(exc).split())
        raise RunError(
            _stopped_message(path, ckpt_path, f"failed at t = {t_done:g} ms "
                             f"({type(exc).__name__}: {msg})", t_done), t_done)  # fmt: skip
    finally:
        progress.close()
        if writer is not None and writer.f.id.valid:
            writer.close(status=status, t_done_ms=t_done, wall_s=time.monotonic() - wall0)
    stats = cs.stats()
    if root and status == "complete":
        ckpt_path.unlink(missing_ok=True)
        if exp.output.plots:
            from .plots import plot_results

            plot_results(path)
    return RunResult(path, status, t_done, time.monotonic() - wall0, stats,
                     t_from if ckpt else None)  # fmt: skip


def _stopped_message(path: Path, ckpt_path: Path, what: str, t_done: float) -> str:
    msg = f"{path}: run {what}; the file holds everything up to t = {t_done:g} ms"
    if ckpt_path.is_file():
        try:
            t = read_checkpoint(ckpt_path)["t_ms"]
        except ResultsError:
            return msg
        msg += f"; continue from the checkpoint at t = {t:g} ms with --resume"
    return msg


def _load_checkpoint(path: Path, ckpt_path: Path, exp: Experiment):
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


def estimate_steps(exp: Experiment) -> int:
    """Electrical steps of the run (for messages)."""
    return math.ceil(exp.simulation.t_stop_ms / exp.simulation.dt_ms)
