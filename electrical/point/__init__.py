"""Point neurons: small ODE systems with receptor ports and a threshold rule.

The second model category of the engine beside cables (DESIGN.md 3).  A model
(:class:`HTNeuron`, the Hill-Tononi neuron of NEST) is integrated for a whole
population in one compiled loop, with NEST's adaptive RKF45 scheme inside each
resolution step (:mod:`electrical.point._ht_kernel`).  Build a :class:`Network`,
create populations, connect sources (Poisson, spike and current generators) to
receptor ports, add a multimeter and a spike recorder, ``run``, and read the
results as arrays (``multiscale.point_output.write_point_results`` writes them to
the experiments' HDF5 results format).
"""

from .models import (
    PARAM_NAMES,
    RECEPTORS,
    RECORDABLES,
    STATE_NAMES,
    HTNeuron,
    beta_normalization_factor,
)
from .network import (
    Connection,
    CurrentSource,
    Multimeter,
    Network,
    PoissonGenerator,
    Population,
    SpikeGenerator,
    SpikeRecorder,
    UnknownReceptorError,
)

__all__ = [
    "PARAM_NAMES",
    "RECEPTORS",
    "RECORDABLES",
    "STATE_NAMES",
    "Connection",
    "CurrentSource",
    "HTNeuron",
    "Multimeter",
    "Network",
    "PoissonGenerator",
    "Population",
    "SpikeGenerator",
    "SpikeRecorder",
    "UnknownReceptorError",
    "beta_normalization_factor",
]
