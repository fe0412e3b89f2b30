"""The co-simulation core: component protocol, couplings and schedulers (DESIGN.md section 5).

- :class:`Component`: the protocol every component implements
  (``biochem.PathwayInstance`` directly, the electrical model through
  :class:`ElectricalComponent`);
- :class:`CalciumCoupling` (``influx`` or ``concentration-difference``) and
  :class:`WeightCoupling`, unit-checked when built;
- schedulers :class:`EventDriven` and :class:`FixedInterval`, with all times in
  integer ticks of the electrical step (:class:`Clock`);
- :class:`Synchronizer`, which runs them and reports statistics.

The MSN assembly that uses all of this is :class:`multiscale.cosim.Cosimulation`.
"""

from .clock import Clock
from .component import Component, ElectricalComponent, ElectricalPort
from .coupling import (
    COUPLING_MODES,
    CalciumCoupling,
    WeightCoupling,
    charge_to_mol,
    concentration_change_to_mol,
)
from .errors import CouplingError, SchedulerError, SyncError
from .schedulers import EventDriven, FixedInterval
from .synchronizer import Link, SpeciesTrace, Synchronizer

__all__ = [
    "COUPLING_MODES",
    "CalciumCoupling",
    "Clock",
    "Component",
    "CouplingError",
    "ElectricalComponent",
    "ElectricalPort",
    "EventDriven",
    "FixedInterval",
    "Link",
    "SchedulerError",
    "SpeciesTrace",
    "SyncError",
    "Synchronizer",
    "WeightCoupling",
    "charge_to_mol",
    "concentration_change_to_mol",
]
