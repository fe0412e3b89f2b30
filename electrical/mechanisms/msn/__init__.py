"""Membrane mechanisms of the striatal medium spiny neuron (MSN).

The channel set of Wolf et al. (2005) J Neurosci 25:9080 as used by the
multiscale model of Mattioni & Le Novere (2013) PLoS ONE 8:e66811 (the
specification is MODEL.md, sections 2-4).  Importing this package registers,
in the default catalogue:

- Na: ``naf``, ``nap`` (:mod:`.sodium`);
- K: ``kaf``, ``kas``, ``kir``, ``krp`` (:mod:`.potassium`);
- Ca (GHK, :mod:`.ghk`): ``caL``, ``caL13``, ``cat`` (pool ``cal``), ``can``,
  ``caq``, ``car`` (pool ``ca``) (:mod:`.calcium`);
- K(Ca): ``bkkca``, ``skkca`` (:mod:`.kca`);
- Ca shells: ``cadyn`` (``ca``), ``caldyn`` (``cal``) (:mod:`.cadyn`);
- spine Ca with radial and longitudinal diffusion, buffer and pump:
  ``catrack`` (``ca``), ``caltrack`` (``cal``) (:mod:`.catrack`).

It also declares the user ion ``cal`` (:mod:`.ions`).
"""

from . import cadyn, calcium, catrack, ghk, ions, kca, potassium, sodium  # noqa: F401  (registration)
from .cadyn import CaDyn, CalDyn
from .calcium import CaL, CaL13, CaN, CaQ, CaR, CaT
from .catrack import CalTrack, CaTrack
from .ghk import FARADAY_C_PER_MOL, R_J_PER_MOL_K
from .kca import BKKCa, SKKCa
from .potassium import Kaf, Kas, Kir, Krp
from .sodium import Naf, Nap

__all__ = [
    "FARADAY_C_PER_MOL",
    "R_J_PER_MOL_K",
    "BKKCa",
    "CaDyn",
    "CaL",
    "CaL13",
    "CaN",
    "CaQ",
    "CaR",
    "CaT",
    "CaTrack",
    "CalDyn",
    "CalTrack",
    "Kaf",
    "Kas",
    "Kir",
    "Krp",
    "Naf",
    "Nap",
    "SKKCa",
]
