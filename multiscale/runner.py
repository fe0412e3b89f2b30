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

import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from common.errors import InternalError

from .distribute import barrier
from .errors import BuildError, ResultsError, RunError
from .experiment import TIMESCALES_ORIGIN, Experiment
from .output import (
    DIMENSIONLESS,
    ResultsWriter,
    checkpoint_path,
    read_checkpoint,
    write_checkpoint,
)
from .progress import Progress
from .run_output import Streams, create_layout, location, write_stats

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
            sec, x, _ = location(msn, c.section, c.x)
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
            sec, x, group = location(msn, text)
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


# ----------------------------------------------------------------------------- file


def default_output(exp: Experiment) -> Path:
    """``output.file``, else ``<name>.h5`` (``<name>_quick.h5`` for --quick) in the cwd."""
    if exp.output.file:
        return Path(exp.output.file)
    return Path(f"{exp.name}_quick.h5" if exp.is_quick else f"{exp.name}.h5")


def _global_stats(cs: Any, comm: Any) -> dict:
    """``cs.stats()`` (collective: counts are totals), plus every rank's wall times on rank 0."""
    stats = cs.stats()
    if comm.Get_size() > 1:
        walls = comm.gather(stats.get("wall_s", {}), root=0)
        if walls is not None:
            stats["rank_wall_s"] = {f"rank{r}.{k}": float(v) for r, wall in enumerate(walls)
                                    for k, v in wall.items()}  # fmt: skip
    return stats


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
    streams = Streams(b, comm)
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
                create_layout(w, b, size, command)
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
                write_stats(writer, stats)
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
