"""SBML pathways as co-simulation components.

A :class:`Pathway` is an SBML (Level 2 or 3) or Antimony model compiled once by
libroadrunner, with named ports.  A :class:`PathwayInstance` is one copy of its state
(one per spine, a few KiB); all instances of a pathway share the compiled model.
:meth:`Pathway.spine` gives the shipped CaM/CaMKII/PP2B/PP1/AMPAR spine pathway.

Units inside ``biochem`` are the SBML model's own (M and s for the spine pathway);
conversion to the electrical side's ms and mM happens in the coupling layer.
"""

from biochem.errors import (
    BiochemError,
    InstanceArgumentError,
    IntegrationError,
    InternalError,
    InvalidSBMLError,
    InvalidStateError,
    MissingInitialValueError,
    OverrideError,
    PathwayFileNotFoundError,
    PortSpecError,
    UnknownElementError,
    UnknownPortError,
    UnknownVariantError,
    UnsupportedSBMLError,
)
from biochem.instance import PathwayInstance
from biochem.integrator import IntegratorSettings
from biochem.pathway import SPINE_PORTS, Pathway
from biochem.ports import Port, PortSpec

__all__ = [
    "SPINE_PORTS",
    "BiochemError",
    "InstanceArgumentError",
    "IntegrationError",
    "IntegratorSettings",
    "InternalError",
    "InvalidSBMLError",
    "InvalidStateError",
    "MissingInitialValueError",
    "OverrideError",
    "Pathway",
    "PathwayFileNotFoundError",
    "PathwayInstance",
    "Port",
    "PortSpec",
    "PortSpecError",
    "UnknownElementError",
    "UnknownPortError",
    "UnknownVariantError",
    "UnsupportedSBMLError",
]
