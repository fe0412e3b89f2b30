"""Dendritic calcium shells ``cadyn`` (pool ``ca``) and ``caldyn`` (pool ``cal``).

Source: the submembrane shell of Wolf et al. (2005) J Neurosci 25:9080
(after Destexhe et al. 1993's ``cadecay``), used for both pools by Mattioni &
Le Novere (2013) PLoS ONE 8:e66811; MODEL.md section 4.2:

dC/dt = drive_channel + pump drive_pump + (cainf - C)/taur,
drive_channel = max(0, -drive ica/(2 F' depth)) [mM/ms] (ica in mA/cm2, depth in
um, drive = 1e4 the unit factor, F' = 96489 C/mol hard-coded in the model),
drive_pump = -kt C/(C + kd).

Discretisation as NEURON's ``cnexp`` on the original statements: the two
drives are constants over the step (from the pool current of the step and
C_n), only -C/taur is integrated exactly:
C_{n+1} = C_n + (1 - exp(-dt/taur)) [taur (drive_channel + pump drive_pump) + cainf - C_n].
Initial C = cainf.  ``priority = -10``: updated before the K(Ca) gates.
"""

from __future__ import annotations

import math

from numba import njit

from ..base import DensityMechanism, Param, register
from . import ions  # noqa: F401  (defines the 'cal' ion)

__all__ = ["FARADAY_CADYN", "CaDyn", "CalDyn", "shell_cinf", "shell_step"]

#: Faraday constant hard-coded in the model's shell mechanisms [C/mol] (MODEL.md 4.2).
FARADAY_CADYN = 96489.0


@njit(cache=True)
def shell_step(c, ica, depth, taur, cainf, kt, kd, pump, drive, dt):
    """One step of the shell: C_n [mM], pool current [mA/cm2] -> C_{n+1} [mM]."""
    drive_channel = -drive * ica / (2.0 * FARADAY_CADYN * depth)
    drive_channel = max(drive_channel, 0.0)
    drive_pump = -kt * c / (c + kd)
    return c + (1.0 - math.exp(-dt / taur)) * (
        taur * (drive_channel + pump * drive_pump) + cainf - c
    )


def shell_cinf(ica, depth, taur, cainf, kt, kd, pump, drive) -> float:
    """Fixed point of :func:`shell_step` for a constant pool current [mM] (bisection)."""
    dch = max(0.0, -drive * ica / (2.0 * FARADAY_CADYN * depth))

    def f(c):
        return dch - pump * kt * c / (c + kd) + (cainf - c) / taur

    lo, hi = 0.0, cainf + taur * dch + 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


_PARAMS = {
    "depth": Param(0.1, "um", (0.0, math.inf), "shell depth"),
    "taur": Param(43.0, "ms", (0.0, math.inf), "relaxation time constant"),
    "cainf": Param(1e-5, "mM", (0.0, math.inf), "resting concentration"),
    "kt": Param(1e-4, "mM/ms", (0.0, math.inf), "maximal pump rate"),
    "kd": Param(1e-4, "mM", (0.0, math.inf), "pump half-saturation"),
    "pump": Param(0.02, "1", (0.0, math.inf), "pump weight (CA_PUMP)"),
    "drive": Param(1e4, "1", (0.0, math.inf), "unit conversion of the channel drive"),
}


@njit(cache=True)
def _cadyn_init(t, v, ica, cai, depth, taur, cainf, kt, kd, pump, drive, aux, celsius):
    return (cainf,)


@njit(cache=True)
def _cadyn_advance(t, v, ica, cai, depth, taur, cainf, kt, kd, pump, drive, aux, celsius, dt):
    return (shell_step(cai, ica, depth, taur, cainf, kt, kd, pump, drive, dt),)


@njit(cache=True)
def _caldyn_init(t, v, ical, cali, depth, taur, cainf, kt, kd, pump, drive, aux, celsius):
    return (cainf,)


@njit(cache=True)
def _caldyn_advance(t, v, ical, cali, depth, taur, cainf, kt, kd, pump, drive, aux, celsius,
                    dt):
    return (shell_step(cali, ical, depth, taur, cainf, kt, kd, pump, drive, dt),)


@register
class CaDyn(DensityMechanism):
    """Submembrane shell of the ``ca`` pool (can, caq, car entry; pump; relaxation)."""

    name = "cadyn"
    params = _PARAMS
    reads = ("ica", "cai")
    writes = ("cai",)
    priority = -10
    init = staticmethod(_cadyn_init)
    advance = staticmethod(_cadyn_advance)


@register
class CalDyn(DensityMechanism):
    """Submembrane shell of the ``cal`` pool (caL, caL13, cat entry; pump; relaxation)."""

    name = "caldyn"
    params = _PARAMS
    reads = ("ical", "cali")
    writes = ("cali",)
    priority = -10
    init = staticmethod(_caldyn_init)
    advance = staticmethod(_caldyn_advance)
