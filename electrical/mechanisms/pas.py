"""The passive leak ``pas`` (NEURON's built-in): i = g (v - e)."""

from __future__ import annotations

import math

from numba import njit

from .base import DensityMechanism, Param, register


@njit(cache=True)
def _pas_current(t, v, g, e, aux, celsius):
    return (g * (v - e),)


@register
class Pas(DensityMechanism):
    """Passive membrane leak (NEURON ``pas``)."""

    name = "pas"
    params = {
        "g": Param(0.001, "S/cm2", (0.0, math.inf), "leak conductance density"),
        "e": Param(-70.0, "mV", doc="leak reversal potential"),
    }
    currents = {"i": None}
    current = staticmethod(_pas_current)
