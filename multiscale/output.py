"""HDF5 results: the writer (incremental, flushed after every chunk), checkpoints, a reader.

The layout is documented in ``docs/output.md``.  In short:

``/``
    attributes: ``format``, ``format_version``, the resolved experiment
    (``experiment_toml``, ``experiment_json``), ``versions`` (JSON), ``git_sha``,
    ``seed``, ``rank_count``, ``status``, ``t_done_ms``, ...
``/electrical/t_ms`` and ``/electrical/<section>/<variable>``
    electrical traces at ``section(x)`` (``x`` attribute; 0.5 unless the group name
    says ``name(x)``).
``/spines/<spineN>/``
    per spine: ``t_ms`` and ``species/<id>`` (pathway species), ``weight_t_ms`` and
    ``weight`` (AMPA weight), attributes ``number``, ``section``, ``x``.
``/events/``
    every synaptic input: ``t_ms`` (presynaptic spike), ``spine``, ``synapse``,
    ``delay_ms``.
``/sync/``
    what the scheduler did (exchanges per spine, wall time per component).
``/morphology/``
    sections (name, parent, parent_x, L_um, diam_um, nseg) and spines (number,
    section, x) for pictures.

Every dataset has a ``unit`` attribute (``"1"`` for dimensionless numbers and
counts, ``"text"`` for labels) and a ``description``.  Time series grow along their
first axis and are flushed after every chunk of simulated time, so a killed run
leaves a readable file holding everything up to its last flush.  Checkpoints live
beside the file (``<file>.checkpoint``), written atomically (temporary file, then
rename).
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Self

import numpy as np

from .errors import ResultsError

__all__ = [
    "ELECTRICAL",
    "ELECTRICAL_T",
    "EVENTS",
    "FORMAT",
    "FORMAT_VERSION",
    "MORPHOLOGY",
    "SPINES",
    "SYNC",
    "Results",
    "ResultsError",
    "ResultsWriter",
    "checkpoint_path",
    "electrical_group",
    "electrical_trace",
    "events_path",
    "morphology_path",
    "read_checkpoint",
    "spine_group",
    "spine_species",
    "spine_t",
    "spine_weight",
    "spine_weight_t",
    "sync_path",
    "versions",
    "write_checkpoint",
]

FORMAT = "multiscale-results"
FORMAT_VERSION = 1
#: Rows per HDF5 chunk of a growing dataset (64 KiB of float64).
CHUNK_ROWS = 8192
#: Unit attribute of labels (text datasets) and of dimensionless numbers or counts.
TEXT_UNIT = "text"
DIMENSIONLESS = "1"

# ----------------------------------------------------------------------------- layout
# Every path of the file, in one place: the runner writes with these, Results and the
# plots read with them (docs/output.md describes the layout).

ELECTRICAL = "electrical"
#: Time of the electrical samples (shared by every trace).
ELECTRICAL_T = "electrical/t_ms"
EVENTS = "events"
MORPHOLOGY = "morphology"
SPINES = "spines"
SYNC = "sync"


def electrical_group(location: str) -> str:
    """The group of one recorded location (``soma``, ``dend1(0.3)``, ``spine1_head``)."""
    return f"{ELECTRICAL}/{location}"


def electrical_trace(location: str, variable: str) -> str:
    return f"{ELECTRICAL}/{location}/{variable}"


def spine_group(spine: int | str) -> str:
    """``spines/spineN`` of spine N (or of its name ``"spineN"``)."""
    return f"{SPINES}/{spine}" if isinstance(spine, str) else f"{SPINES}/spine{spine}"


def spine_weight(spine: int | str) -> str:
    return f"{spine_group(spine)}/weight"


def spine_weight_t(spine: int | str) -> str:
    return f"{spine_group(spine)}/weight_t_ms"


def spine_t(spine: int | str) -> str:
    """Time of a spine's species samples."""
    return f"{spine_group(spine)}/t_ms"


def spine_species(spine: int | str, name: str) -> str:
    return f"{spine_group(spine)}/species/{name}"


def events_path(name: str) -> str:
    return f"{EVENTS}/{name}"


def morphology_path(group: str, name: str) -> str:
    """``morphology/sections/<name>`` or ``morphology/spines/<name>``."""
    return f"{MORPHOLOGY}/{group}/{name}"


def sync_path(key: str) -> str:
    return f"{SYNC}/{key}"


# ----------------------------------------------------------------------------- versions

#: (label, distribution) of every library whose version is reported and stored.
_LIBRARIES = (
    ("numpy", "numpy"), ("scipy", "scipy"), ("numba", "numba"), ("networkx", "networkx"),
    ("h5py", "h5py"), ("libroadrunner", "libroadrunner"), ("python-libsbml", "python-libsbml"),
    ("antimony", "antimony"), ("tellurium", "tellurium"), ("mpi4py", "mpi4py"),
    ("neuron (validation only)", "neuron"),
)  # fmt: skip


def versions(mpi_library: bool = False) -> dict[str, str]:
    """Versions of Python, multiscale-neuro and the component libraries (installed metadata).

    ``mpi_library`` adds the MPI library's version string (imports mpi4py).
    """
    import platform
    from importlib import metadata

    from . import __version__

    out = {"python": platform.python_version(), "multiscale-neuro": __version__}
    for label, dist in _LIBRARIES:
        try:
            out[label] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[label] = "not installed"
    if mpi_library:
        from .distribute import mpi_library_version

        out["MPI library"] = mpi_library_version()
    return out


_STR = None  # set lazily: h5py.string_dtype()


def _h5py():
    import h5py

    return h5py


def _string_dtype():
    global _STR
    if _STR is None:
        _STR = _h5py().string_dtype("utf-8")
    return _STR


# ----------------------------------------------------------------------------- writer


class ResultsWriter:
    """Writes one results file; call :meth:`flush` after every chunk.

    Parameters
    ----------
    path : path
        The HDF5 file.
    mode : {"w", "r+"}
        ``"w"`` creates (or replaces) the file; ``"r+"`` reopens it (resume).
    """

    def __init__(self, path: str | os.PathLike, mode: str = "w"):
        h5py = _h5py()
        self.path = Path(path)
        if mode == "w":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.f = h5py.File(self.path, mode)
        except (OSError, ValueError) as exc:
            raise ResultsError(f"{self.path}: cannot open for writing ({exc})") from None
        self._series: dict[str, Any] = {}
        if mode == "r+":
            self._find_series()

    # -- structure ---------------------------------------------------------------
    def _find_series(self) -> None:
        def visit(name, obj):
            if isinstance(obj, _h5py().Dataset) and obj.maxshape and obj.maxshape[0] is None:
                self._series[name] = obj

        self.f.visititems(visit)

    def series(
        self,
        name: str,
        *,
        unit: str,
        description: str = "",
        dtype: Any = "f8",
        columns: int | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> None:
        """Create a growing dataset ``name`` (if absent): shape (0,) or (0, columns)."""
        if name in self._series:
            return
        if name in self.f:
            self._series[name] = self.f[name]
            return
        shape = (0,) if columns is None else (0, columns)
        maxshape = (None,) if columns is None else (None, columns)
        chunks = (CHUNK_ROWS,) if columns is None else (max(1, CHUNK_ROWS // columns), columns)
        if dtype is str:
            dtype = _string_dtype()
        ds = self.f.create_dataset(name, shape=shape, maxshape=maxshape, chunks=chunks,
                                   dtype=dtype)  # fmt: skip
        ds.attrs["unit"] = unit
        ds.attrs["description"] = description
        for k, v in (attrs or {}).items():
            ds.attrs[k] = v
        self._series[name] = ds

    def append(self, name: str, values: Any) -> None:
        """Append rows to a growing dataset."""
        ds = self._series[name]
        arr = np.asarray(values)
        if arr.dtype.kind in "UO":
            arr = arr.astype(object)
        n = arr.shape[0] if arr.ndim else 1
        if n == 0:
            return
        old = ds.shape[0]
        ds.resize(old + n, axis=0)
        ds[old : old + n] = arr

    def write(
        self,
        name: str,
        data: Any,
        *,
        unit: str,
        description: str = "",
        attrs: Mapping[str, Any] | None = None,
    ) -> None:
        """Create or replace a fixed dataset."""
        if name in self.f:
            del self.f[name]
        arr = np.asarray(data)
        if arr.dtype.kind in "UO":
            arr = np.asarray([str(x) for x in np.ravel(arr)], dtype=object).reshape(arr.shape)
            ds = self.f.create_dataset(name, data=arr, dtype=_string_dtype())
        else:
            ds = self.f.create_dataset(name, data=arr)
        ds.attrs["unit"] = unit
        ds.attrs["description"] = description
        for k, v in (attrs or {}).items():
            ds.attrs[k] = v

    def group(self, name: str, attrs: Mapping[str, Any] | None = None):
        g = self.f.require_group(name)
        for k, v in (attrs or {}).items():
            g.attrs[k] = v
        return g

    def set_attrs(self, **attrs: Any) -> None:
        """Root attributes (None values are skipped)."""
        for k, v in attrs.items():
            if v is not None:
                self.f.attrs[k] = v

    def link(self, name: str, target: str) -> None:
        """A soft link ``name`` -> ``target`` (absolute path in the file)."""
        if name not in self.f:
            self.f[name] = _h5py().SoftLink(target)

    # -- growth, truncation, flush ------------------------------------------------------
    def lengths(self) -> dict[str, int]:
        """Rows of every growing dataset (stored with checkpoints)."""
        return {name: int(ds.shape[0]) for name, ds in self._series.items()}

    def truncate(self, lengths: Mapping[str, int]) -> None:
        """Cut every growing dataset back to the rows it had at a checkpoint."""
        for name, ds in self._series.items():
            n = int(lengths.get(name, 0))
            if ds.shape[0] != n:
                ds.resize(n, axis=0)

    def flush(self, **attrs: Any) -> None:
        """Update root attributes (e.g. ``t_done_ms``) and write everything to disk."""
        self.set_attrs(**attrs)
        self.f.flush()

    def close(self, **attrs: Any) -> None:
        if not self.f.id.valid:
            return
        self.set_attrs(**attrs)
        self.f.flush()
        self.f.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ----------------------------------------------------------------------------- checkpoints


def checkpoint_path(results: str | os.PathLike) -> Path:
    """Where the checkpoint of a results file lives: ``<file>.checkpoint`` beside it."""
    p = Path(results)
    return p.with_name(p.name + ".checkpoint")


def write_checkpoint(path: str | os.PathLike, payload: Mapping[str, Any]) -> None:
    """Write a checkpoint atomically: a temporary file in the same folder, then rename."""
    p = Path(path)
    data = pickle.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, **payload},
                        protocol=pickle.HIGHEST_PROTOCOL)  # fmt: skip
    fd, tmp = tempfile.mkstemp(prefix=p.name + ".", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by :func:`write_checkpoint`."""
    p = Path(path)
    try:
        payload = pickle.loads(p.read_bytes())
    except FileNotFoundError:
        raise ResultsError(f"{p}: no checkpoint") from None
    except Exception as exc:  # noqa: BLE001 - any corruption means "not usable"
        raise ResultsError(f"{p}: unreadable checkpoint ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ResultsError(f"{p}: not a multiscale checkpoint")
    return payload


# ----------------------------------------------------------------------------- reader


def _text(x: Any) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)


class Results:
    """Read a results file.

    >>> with Results("quickstart.h5") as r:                      # doctest: +SKIP
    ...     t, v = r.trace("soma", "v")
    ...     tw, w = r.weights("spine1")
    """

    def __init__(self, path: str | os.PathLike):
        h5py = _h5py()
        self.path = Path(path)
        if not self.path.is_file():
            raise ResultsError(f"{self.path}: file not found")
        try:
            self.f = h5py.File(self.path, "r")
        except OSError as exc:
            raise ResultsError(f"{self.path}: not a readable HDF5 file ({exc})") from None
        if _text(self.f.attrs.get("format", "")) != FORMAT:
            self.f.close()
            raise ResultsError(f"{self.path}: not a multiscale results file (no format={FORMAT})")

    def close(self) -> None:
        self.f.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- metadata ------------------------------------------------------------------
    @property
    def attrs(self) -> dict[str, Any]:
        return {k: (_text(v) if isinstance(v, bytes) else v) for k, v in self.f.attrs.items()}

    @property
    def experiment(self) -> dict:
        """The resolved experiment the file was written with."""
        return json.loads(_text(self.f.attrs["experiment_json"]))

    @property
    def status(self) -> str:
        return _text(self.f.attrs.get("status", "unknown"))

    @property
    def t_done_ms(self) -> float:
        return float(self.f.attrs.get("t_done_ms", 0.0))

    # -- electrical ------------------------------------------------------------------
    def locations(self) -> list[str]:
        """Recorded locations (group names under /electrical)."""
        g = self.f.get(ELECTRICAL)
        return [k for k in g if isinstance(g[k], _h5py().Group)] if g is not None else []

    def variables(self, location: str) -> list[str]:
        return list(self.f[ELECTRICAL][location])

    def trace(self, location: str, variable: str) -> tuple[np.ndarray, np.ndarray]:
        """(t [ms], values) of an electrical trace; the unit is ``unit(...)``."""
        t = self.f[ELECTRICAL_T][()]
        v = self.f[electrical_trace(location, variable)][()]
        n = min(t.size, v.size)  # a killed run may stop between two appends
        return t[:n], v[:n]

    def unit(self, name: str) -> str:
        return _text(self.f[name].attrs["unit"])

    # -- spines ------------------------------------------------------------------------
    def spines(self) -> list[str]:
        """Spine groups, in spine-number order."""
        g = self.f.get("spines")
        if g is None:
            return []
        return sorted(g, key=lambda s: int(g[s].attrs.get("number", 0)))

    def spine_attrs(self, spine: str) -> dict[str, Any]:
        return {k: (_text(v) if isinstance(v, bytes) else v)
                for k, v in self.f[spine_group(spine)].attrs.items()}  # fmt: skip

    def weights(self, spine: str) -> tuple[np.ndarray, np.ndarray]:
        g = self.f[spine_group(spine)]
        if "weight" not in g:
            return np.zeros(0), np.zeros(0)
        t, w = g["weight_t_ms"][()], g["weight"][()]
        n = min(t.size, w.size)
        return t[:n], w[:n]

    def species_names(self, spine: str) -> list[str]:
        g = self.f[spine_group(spine)]
        return list(g["species"]) if "species" in g else []

    def species(self, spine: str, name: str) -> tuple[np.ndarray, np.ndarray]:
        g = self.f[spine_group(spine)]
        t, v = g["t_ms"][()], g[f"species/{name}"][()]
        n = min(t.size, v.size)
        return t[:n], v[:n]

    # -- the rest ----------------------------------------------------------------------
    def events(self) -> dict[str, np.ndarray]:
        g = self.f.get("events")
        if g is None:
            return {}
        return {k: (np.array([_text(x) for x in g[k][()]]) if g[k].dtype.kind in "OS"
                    else g[k][()]) for k in g}  # fmt: skip

    def morphology(self) -> dict[str, np.ndarray]:
        out = {}
        for grp in ("sections", "spines"):
            g = self.f.get(f"{MORPHOLOGY}/{grp}")
            if g is None:
                continue
            for k in g:
                v = g[k][()]
                out[f"{grp}/{k}"] = (
                    np.array([_text(x) for x in v]) if g[k].dtype.kind in "OS" else v
                )
        return out

    def sync(self) -> dict:
        g = self.f.get(SYNC)
        if g is None or "stats_json" not in g.attrs:
            return {}
        return json.loads(_text(g.attrs["stats_json"]))


def iter_datasets(f) -> Iterable[tuple[str, Any]]:
    """(name, dataset) of every dataset in an open h5py file (links followed once)."""
    out = []

    def visit(name, obj):
        if isinstance(obj, _h5py().Dataset):
            out.append((name, obj))

    f.visititems(visit)
    return out
