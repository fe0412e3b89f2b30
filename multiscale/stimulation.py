"""Synaptic input to MSN spines: spike-time lists or TimeScales stimulus descriptions.

In the original model (Mattioni & Le Novere 2013; MODEL.md 5.2) each stimulated
spine gets a VecStim whose spikes reach the spine's AMPA and NMDA synapses
through NetCons with a 1-ms delay and weight 1 (the AMPA weight later follows
the biochemistry).  Here :meth:`electrical.Simulation.connect` plays the role of
VecStim + NetCon:

- :func:`connect_spine_inputs`: the same spike times [ms] to a spine's AMPA and
  NMDA (the reference traces' protocol);
- :func:`connect_timescales_stimuli`: stimulus dictionaries
  ``{"t_stim": s, "numbers": n, "delay": s, "type": "ampa" | "nmda"}`` (first
  spike at t_stim + delay; MODEL.md 5.2), merged per synapse type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from electrical import Connection, Simulation, events

from .errors import InvalidModelError
from .spine import SYNAPSES as _SYNAPSES
from .spine import Spine

__all__ = ["NETCON_DELAY_MS", "connect_spine_inputs", "connect_timescales_stimuli"]

#: NetCon delay of every synaptic input of the original model [ms] (MODEL.md 5.2).
NETCON_DELAY_MS = 1.0



def _check_spine(spine) -> None:
    if not isinstance(spine, Spine):
        raise InvalidModelError(f"expected a Spine (e.g. msn.spine(1)), got {spine!r}")


def connect_spine_inputs(
    sim: Simulation,
    spine: Spine,
    times_ms: Iterable[float],
    weight: float = 1.0,
    delay_ms: float = NETCON_DELAY_MS,
    synapses: Iterable[str] = _SYNAPSES,
) -> dict[str, Connection]:
    """Deliver presynaptic spikes at ``times_ms`` to a spine's AMPA and NMDA synapses.

    Parameters
    ----------
    sim : electrical.Simulation
        A simulation of the cell that holds ``spine``.
    spine : Spine
    times_ms : iterable of float
        Presynaptic spike times [ms]; each reaches the synapses ``delay_ms`` later.
    weight : float
        Connection weight (dimensionless; rescales the conductance, MODEL.md 5.1).
    delay_ms : float
        Connection delay [ms] (1 ms in the original).
    synapses : iterable of {"ampa", "nmda"}
        Which synapses receive the spikes (both by default).

    Returns
    -------
    dict
        ``{"ampa": Connection, "nmda": Connection}`` (the requested ones).
    """
    _check_spine(spine)
    times = events.spike_times(times_ms)
    out = {}
    for syn in synapses:
        if syn not in _SYNAPSES:
            raise InvalidModelError(f"synapse {syn!r}: use 'ampa' or 'nmda'")
        target = spine.ampa if syn == "ampa" else spine.nmda
        out[syn] = sim.connect(target, times, weight=weight, delay_ms=delay_ms)
    return out


def connect_timescales_stimuli(
    sim: Simulation,
    spine: Spine,
    stimuli: Iterable[Mapping],
    weight: float = 1.0,
    delay_ms: float = NETCON_DELAY_MS,
) -> dict[str, Connection]:
    """Connect TimeScales stimulus descriptions to a spine (MODEL.md 5.2, 8.4).

    Parameters
    ----------
    sim : electrical.Simulation
    spine : Spine
    stimuli : iterable of mapping
        ``{"t_stim": s, "numbers": n, "delay": s, "type": "ampa" | "nmda"}``; the
        spikes are at 1000 t_stim + k 1000 delay ms, k = 1..numbers (the first one
        interval *after* t_stim); times of the same type are merged and
        de-duplicated.  An empty mapping adds nothing (a "neighbour" spine).
    weight : float
        Connection weight of both synapses (dimensionless).
    delay_ms : float
        Connection delay [ms].

    Returns
    -------
    dict
        ``{"ampa": Connection, "nmda": Connection}``; a synapse without stimuli
        still gets a connection with no events (so its weight can be set later).
    """
    _check_spine(spine)
    per_type = events.timescales_inputs(list(stimuli))
    unknown = set(per_type) - set(_SYNAPSES)
    if unknown:
        raise InvalidModelError(f"stimulus type(s) {sorted(unknown)}: a spine has 'ampa' and 'nmda'")
    out = {}
    for syn in _SYNAPSES:
        target = spine.ampa if syn == "ampa" else spine.nmda
        out[syn] = sim.connect(target, per_type.get(syn, ()), weight=weight, delay_ms=delay_ms)
    return out
