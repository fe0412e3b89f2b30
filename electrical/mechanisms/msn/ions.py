"""The MSN's second calcium pool ``cal`` (a user ion of valence 2).

Mattioni & Le Novere (2013), PLoS ONE 8:e66811 (after Wolf et al. 2005):
L-type (Cav1.2, Cav1.3) and T-type channels and the synaptic Ca current feed
a pool separate from ``ca``.  Defaults (MODEL.md sections 2 and 4.1):
cali0 = 1e-3 mM, calo0 = 5 mM.  No mechanism reads ``ecal`` (all Ca currents
are GHK or, for the synapses, driven towards 0 mV), so its default is left at
0 mV: the same declaration is made by :mod:`electrical.mechanisms.synapses`,
and :func:`define_ion` accepts a repeated declaration only if it is identical.
:func:`nernst_mV` gives the Nernst value (about 113 mV at 35 degC) if wanted.
"""

from __future__ import annotations

import math

from ..base import define_ion
from .ghk import FARADAY_C_PER_MOL, R_J_PER_MOL_K, ZERO_CELSIUS_K

__all__ = ["CAL", "CALI0_MM", "CALO0_MM", "MODEL_CELSIUS"]

CALI0_MM = 1e-3
CALO0_MM = 5.0
#: Temperature of the MSN model [degC] (MODEL.md section 2).
MODEL_CELSIUS = 35.0


def nernst_mV(ci_mM: float, co_mM: float, valence: int, celsius: float) -> float:
    """Nernst potential [mV] = 1e3 R T/(z F) ln(co/ci)."""
    # J/(mol K) * K / (C/mol) = V; *1e3 -> mV
    return 1e3 * R_J_PER_MOL_K * (celsius + ZERO_CELSIUS_K) / (valence * FARADAY_C_PER_MOL) * (
        math.log(co_mM / ci_mM)
    )


#: Default ecal [mV]; unused by every MSN mechanism (see the module docstring).
ECAL0_MV = 0.0

CAL = define_ion("cal", valence=2, ci_mM=CALI0_MM, co_mM=CALO0_MM, e_mV=ECAL0_MV)
