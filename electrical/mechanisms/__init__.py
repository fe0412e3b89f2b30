"""Mechanism library and plug-in API (see :mod:`electrical.mechanisms.base`).

Importing this package registers the built-in mechanisms in the default
catalogue: ``pas``, ``hh``, ``IClamp``, ``PlayCurrent``, the synapses
(``ExpSyn``, ``Exp2Syn``, ``AMPA``, ``NMDA``, ``GABAA``) and the MSN set
(:mod:`electrical.mechanisms.msn`).
"""

from . import (  # noqa: F401  (registration side effects)
    hodgkin1952,
    msn,
    pas,
    stimuli,
    synapses,
)
from .base import (
    ION_TABLE,
    Catalogue,
    DensityMechanism,
    Ion,
    Mechanism,
    Param,
    PointProcess,
    default_catalogue,
    define_ion,
    register,
)
from .hodgkin1952 import HH
from .pas import Pas
from .stimuli import IClamp, PlayCurrent
from .synapses import AMPA, GABAA, NMDA, Exp2Syn, ExpSyn

__all__ = [
    "Param",
    "Ion",
    "ION_TABLE",
    "Mechanism",
    "DensityMechanism",
    "PointProcess",
    "Catalogue",
    "default_catalogue",
    "register",
    "define_ion",
    "HH",
    "Pas",
    "IClamp",
    "PlayCurrent",
    "ExpSyn",
    "Exp2Syn",
    "AMPA",
    "NMDA",
    "GABAA",
]
