"""Goldman-Hodgkin-Katz calcium flux shared by the MSN calcium channels.

Equations (Goldman 1943; Hodgkin & Katz 1949; in the form used by the MSN
model of Wolf et al. 2005, J Neurosci 25:9080, and Mattioni & Le Novere 2013,
PLoS ONE 8:e66811; MODEL.md section 3.0):

- z = 2 F V 1e-3 / (R T), V in mV, T = celsius + 273.15 K
- eps(z) = z / (exp(z) - 1) for |z| >= 1e-4, and exactly 1 - z/2 otherwise
- ghk(V, ci, co) = 2 F 1e-3 [ci eps(-z) - co eps(z)]   [mC/cm3 for mM]

so that P [cm/s] * ghk is a current density in mA/cm2 (outward positive,
inward Ca entry negative).

Physical constants are the exact SI (CODATA 2018) values that NEURON >= 8
uses in its units library: F = e N_A and R = k_B N_A.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = ["FARADAY_C_PER_MOL", "R_J_PER_MOL_K", "ZERO_CELSIUS_K", "efun", "ghk"]

#: Elementary charge [C] (SI 2019 exact, CODATA 2018).
ELEMENTARY_CHARGE_C = 1.602176634e-19
#: Avogadro constant [1/mol] (SI 2019 exact, CODATA 2018).
AVOGADRO_PER_MOL = 6.02214076e23
#: Boltzmann constant [J/K] (SI 2019 exact, CODATA 2018).
BOLTZMANN_J_PER_K = 1.380649e-23
#: Faraday constant F = e N_A [C/mol]; NEURON >= 8 ``FARADAY`` (96485.33212...).
FARADAY_C_PER_MOL = ELEMENTARY_CHARGE_C * AVOGADRO_PER_MOL
#: Molar gas constant R = k_B N_A [J/(mol K)]; NEURON >= 8 ``R`` (8.314462618...).
R_J_PER_MOL_K = BOLTZMANN_J_PER_K * AVOGADRO_PER_MOL
#: 0 degC in kelvin.
ZERO_CELSIUS_K = 273.15

_F = FARADAY_C_PER_MOL
_R = R_J_PER_MOL_K


@njit(cache=True, inline="always")
def efun(z):
    """z/(exp(z) - 1), with the model's branch 1 - z/2 for |z| < 1e-4 (dimensionless)."""
    if abs(z) < 1e-4:
        return 1.0 - z / 2.0
    return z / (math.exp(z) - 1.0)


@njit(cache=True, inline="always")
def ghk(v, ci, co, celsius):
    """GHK driving term of a divalent ion [mC/cm3; times P in cm/s gives mA/cm2].

    Parameters
    ----------
    v : float
        Membrane potential [mV].
    ci, co : float
        Inner and outer concentration [mM].
    celsius : float
        Temperature [degC].
    """
    z = 1e-3 * 2.0 * _F * v / (_R * (celsius + ZERO_CELSIUS_K))
    return 1e-3 * 2.0 * _F * (ci * efun(-z) - co * efun(z))
