"""What a run writes: the layout of a new results file, the new samples of every
recording (gathered to rank 0 under MPI) and the scheduler's statistics.

The paths come from :mod:`multiscale.output` (the layout's one home); the runner
(:mod:`multiscale.runner`) calls :func:`create_layout` once, :class:`Streams` after
every chunk and :func:`write_stats` with the statistics.
"""

from __future__ import annotations

import datetime as _dt
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import output as layout
from .output import DIMENSIONLESS, FORMAT, FORMAT_VERSION, TEXT_UNIT, ResultsWriter, versions

if TYPE_CHECKING:  # pragma: no cover
    from .runner import Built

__all__ = ["Streams", "create_layout", "location", "write_stats"]


def location(msn, text: str, x_default: float = 0.5):
    """(section, x, group name) of 'name' or 'name(x)'."""
    name, _, rest = text.partition("(")
    name = name.strip()
    x = float(rest.rstrip(")").strip()) if rest else x_default
    group = name if x == 0.5 else f"{name}({x:g})"
    return msn[name], x, group


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


def create_layout(w: ResultsWriter, b: Built, comm_size: int, command: str) -> None:
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
    w.write(
        layout.morphology_path("sections", "L_um"),
        [s.L for s in secs],
        unit="um",
        description="length",
    )
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
    w.write(
        layout.events_path("synapse"),
        [r[2] for r in rows],
        unit=TEXT_UNIT,
        description="ampa or nmda",
    )
    w.write(
        layout.events_path("delay_ms"),
        [r[3] for r in rows],
        unit="ms",
        description="connection delay",
    )
    # electrical
    if b.traces:
        w.group(layout.ELECTRICAL, {"interval_ms": float(exp.recording.interval_ms)})
        w.series(layout.ELECTRICAL_T, unit="ms", description="time of the electrical samples")
        for group, var, tr in b.traces:
            sec, x, _ = location(msn, group)
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


class Streams:
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


def write_stats(w: ResultsWriter, stats: dict) -> None:
    g = w.group(layout.SYNC)
    g.attrs["stats_json"] = json.dumps(stats, sort_keys=True, default=str)
    g.attrs["scheduler"] = str(stats.get("scheduler", ""))
    for key, value in stats.items():
        if isinstance(value, dict) and value and all(
            isinstance(x, (int, float)) for x in value.values()):  # fmt: skip
            names = list(value)
            unit = "s" if key.endswith("_s") else ("mol" if key.endswith("_mol") else "1")
            w.write(
                layout.sync_path(f"{key}/name"), names, unit=TEXT_UNIT, description=f"keys of {key}"
            )
            w.write(layout.sync_path(f"{key}/value"), np.asarray([value[k] for k in names], dtype=float),
                    unit=unit, description=key.replace("_", " "))  # fmt: skip
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            w.write(layout.sync_path(key), value, unit="1", description=key.replace("_", " "))
