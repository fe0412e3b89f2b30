"""The cable engine: NEURON-exact compartmental models in compiled code.

Describe a model with :class:`Cell` and :class:`Section`, insert density
mechanisms and place point processes, then run it with :class:`Simulation`.
"""

# numba/LLVM tuning: process-wide, so set once here, before anything compiles
from ._numba_config import configure_numba

configure_numba()

from . import events
from .errors import (
    ElectricalError,
    LocationError,
    ModelError,
    SimulationError,
    TopologyError,
    UnknownMechanismError,
    UnknownParameterError,
    UnknownVariableError,
)
from .mechanisms import (
    HH,
    ION_TABLE,
    Catalogue,
    DensityMechanism,
    IClamp,
    Param,
    Pas,
    PlayCurrent,
    PointProcess,
    default_catalogue,
    define_ion,
    register,
)
from .morphology import Cell, Location, PointInstance, Section
from .morphology_io import MorphologyError, load_morphology
from .nmodl import load_nmodl
from .simulation import METHODS, Connection, Integral, Probe, Simulation, Trace

__all__ = [
    "events",
    "configure_numba",
    "Cell",
    "Section",
    "Location",
    "PointInstance",
    "Simulation",
    "Trace",
    "Integral",
    "Probe",
    "Connection",
    "METHODS",
    "Param",
    "DensityMechanism",
    "PointProcess",
    "Catalogue",
    "default_catalogue",
    "register",
    "define_ion",
    "ION_TABLE",
    "load_nmodl",
    "HH",
    "Pas",
    "IClamp",
    "PlayCurrent",
    "ElectricalError",
    "ModelError",
    "TopologyError",
    "LocationError",
    "SimulationError",
    "UnknownMechanismError",
    "UnknownParameterError",
    "UnknownVariableError",
    "MorphologyError", "load_morphology",
]
