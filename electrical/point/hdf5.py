"""HDF5 output of point-neuron recordings (h5py), every dataset with a ``unit``.

Layout (to move into the experiments' writer later)::

    /point/<population>/t_ms            (S,)   multimeter sample times [ms]
    /point/<population>/neurons         (R,)   recorded neuron indices [1]
    /point/<population>/<recordable>    (S, R) e.g. V_m [mV], g_AMPA [1], I_h [mV]
    /point/spikes/t_ms                  (k,)   spike times [ms]
    /point/spikes/neuron                (k,)   neuron index in its population [1]
    /point/spikes/population            (k,)   population name [text]
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

__all__ = ["write_hdf5"]


def write_hdf5(path, network, mode: str = "w") -> Path:
    """Write the multimeter and spike-recorder data of ``network`` to ``path``."""
    path = Path(path)
    with h5py.File(path, mode) as f:
        g = f.require_group("point")
        g.attrs["resolution_ms"] = network.resolution_ms
        g.attrs["t_ms"] = network.t_ms
        t_all, n_all, p_all = [], [], []
        for pop in network.populations:
            mm = pop._multimeter
            if mm is not None:
                pg = g.create_group(pop.name)
                pg.attrs["model"] = pop.model.name
                pg.attrs["interval_ms"] = mm.interval_ms
                d = pg.create_dataset("t_ms", data=mm.times_ms)
                d.attrs["unit"] = "ms"
                d = pg.create_dataset("neurons", data=mm.neurons)
                d.attrs["unit"] = "1"
                for name, arr in mm.data.items():
                    d = pg.create_dataset(name, data=arr)
                    d.attrs["unit"] = mm.units[name]
            for sr in pop._spike_recorders[:1]:
                t_all.append(sr.times_ms)
                n_all.append(sr.senders)
                p_all += [pop.name] * sr.times_ms.size
        sg = g.create_group("spikes")
        d = sg.create_dataset("t_ms", data=np.concatenate(t_all) if t_all else np.zeros(0))
        d.attrs["unit"] = "ms"
        d = sg.create_dataset(
            "neuron", data=np.concatenate(n_all) if n_all else np.zeros(0, np.int64)
        )
        d.attrs["unit"] = "1"
        d = sg.create_dataset("population", data=np.array(p_all, dtype=h5py.string_dtype()))
        d.attrs["unit"] = "text"
    return path
