"""The co-simulation core: component protocols, generic couplings and schedulers.

(DESIGN.md section 5.)  ``sync`` imports neither ``electrical`` nor ``biochem``:

- :class:`Component`, :class:`SteppedComponent`, :class:`PathwayComponent`: the
  protocols the synchroniser drives (implemented by
  ``electrical.component.ElectricalComponent`` and ``biochem.PathwayInstance``);
- :class:`IntervalCoupling` and :class:`BaselineReadout`: the generic couplings
  (the MSN's calcium and weight rules are in :mod:`multiscale.couplings`);
- schedulers :class:`EventDriven` and :class:`FixedInterval`, with all times in
  integer ticks of the stepped component's step (:class:`Clock`);
- :class:`Synchronizer`, which runs them over :class:`Link` s and reports statistics.

The MSN assembly that uses all of this is :class:`multiscale.cosim.Cosimulation`.
"""

from .clock import Clock
from .component import Component, PathwayComponent, SteppedComponent
from .coupling import BaselineReadout, IntervalCoupling, series_knots
from .errors import CouplingError, SchedulerError, SyncError
from .schedulers import EventDriven, FixedInterval
from .synchronizer import Link, SpeciesTrace, Synchronizer

__all__ = [
    "BaselineReadout",
    "Clock",
    "Component",
    "CouplingError",
    "EventDriven",
    "FixedInterval",
    "IntervalCoupling",
    "Link",
    "PathwayComponent",
    "SchedulerError",
    "SpeciesTrace",
    "SteppedComponent",
    "SyncError",
    "Synchronizer",
    "series_knots",
]
