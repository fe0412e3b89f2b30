"""Point-neuron networks (``electrical.point``) written by the experiments' writer.

The file is an ordinary results file (:class:`multiscale.output.ResultsWriter`: root
attributes ``format``, ``format_version``, ``versions``, ``status``; every dataset with a
``unit`` and a ``description``), with the point-neuron part under ``/point``::

    /point/<population>/t_ms            (S,)   multimeter sample times [ms]
    /point/<population>/neurons         (R,)   recorded neuron indices [1]
    /point/<population>/<recordable>    (S, R) e.g. V_m [mV], g_AMPA [1], I_h [mV]
    /point/spikes/t_ms                  (k,)   spike times [ms]
    /point/spikes/neuron                (k,)   neuron index in its population [1]
    /point/spikes/population            (k,)   population name [text]

``electrical`` may not import ``multiscale`` (the layering of DESIGN.md), so the writer
of a network lives here, in the assembly layer, and reads the network through its public
API only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ResultsError
from .output import DIMENSIONLESS, FORMAT, FORMAT_VERSION, TEXT_UNIT, ResultsWriter, versions

__all__ = ["POINT", "read_point_results", "write_point_results"]

#: Group of the point-neuron data in a results file.
POINT = "point"


def write_point_results(path: str | os.PathLike, network, *, overwrite: bool = False) -> Path:
    """Write the multimeter and spike-recorder data of ``network`` to ``path``.

    An existing file is refused (:class:`ResultsError`) unless ``overwrite`` is true:
    nothing the caller did not ask to replace is touched.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise ResultsError(
            f"{path}: the file exists; choose another path or pass overwrite=True to replace it"
        )
    with ResultsWriter(path, "w") as w:
        w.set_attrs(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            kind="point",
            versions=json.dumps(versions(), sort_keys=True),
        )
        w.group(POINT, {"resolution_ms": network.resolution_ms, "t_ms": network.t_ms})
        spikes_t, spikes_n, spikes_p = [], [], []
        for pop in network.populations:
            mm = pop.multimeter
            if mm is not None:
                g = f"{POINT}/{pop.name}"
                w.group(g, {"model": pop.model.name, "interval_ms": mm.interval_ms})
                w.write(f"{g}/t_ms", mm.times_ms, unit="ms", description="sample times")
                w.write(f"{g}/neurons", mm.neurons, unit=DIMENSIONLESS,
                        description="recorded neurons (index in the population)")  # fmt: skip
                for name, arr in mm.data.items():
                    w.write(f"{g}/{name}", arr, unit=mm.units[name],
                            description=f"{name} (samples x recorded neurons)")  # fmt: skip
            if pop.spike_recorders:
                sr = pop.spike_recorders[0]  # every recorder of a population holds the same
                spikes_t.append(sr.times_ms)
                spikes_n.append(sr.senders)
                spikes_p += [pop.name] * sr.times_ms.size
        g = f"{POINT}/spikes"
        w.write(f"{g}/t_ms", np.concatenate(spikes_t) if spikes_t else np.zeros(0),
                unit="ms", description="spike times")  # fmt: skip
        w.write(f"{g}/neuron",
                np.concatenate(spikes_n) if spikes_n else np.zeros(0, np.int64),
                unit=DIMENSIONLESS, description="spiking neuron (index in its population)")  # fmt: skip
        w.write(f"{g}/population", np.array(spikes_p, dtype=object), unit=TEXT_UNIT,
                description="population of the spiking neuron")  # fmt: skip
        w.close(status="complete", t_done_ms=float(network.t_ms))
    return path


def read_point_results(path: str | os.PathLike) -> dict[str, Any]:
    """The ``/point`` part of a results file as arrays, with units.

    Returns ``{"populations": {name: {dataset: array}}, "spikes": {dataset: array},
    "units": {path: unit}}``.
    """
    import h5py

    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ResultsError(f"{path}: not a readable HDF5 file ({exc})") from None
    with f:
        if POINT not in f:
            raise ResultsError(f"{path}: no point-neuron data ('/{POINT}' is missing)")
        out: dict[str, Any] = {"populations": {}, "spikes": {}, "units": {}}
        for name, grp in f[POINT].items():
            target = out["spikes"] if name == "spikes" else out["populations"].setdefault(name, {})
            for key, ds in grp.items():
                data = ds[()]
                if ds.attrs.get("unit") == TEXT_UNIT:
                    data = np.array([x.decode() if isinstance(x, bytes) else x for x in data])
                target[key] = data
                out["units"][f"{name}/{key}"] = ds.attrs["unit"]
        return out
