"""Unit-conversion factors of NEURON's unit database (share/nmodl/nrnunits.lib).

NMODL writes physical constants as factors, ``FARADAY = (faraday) (coulomb)``:
the value of the first unit expressed in the second.  nocmodl evaluates them
from nrnunits.lib (NEURON 9: the 2019 SI exact values).  The factors the
importer knows are listed here with their arithmetic; a test compiles each one
with nrnivmodl and checks that nocmodl emits the same number.
"""

from __future__ import annotations

__all__ = ["FACTORS", "factor"]

# nrnunits.lib: e = 1.602176634e-19 coul, mole = 6.02214076e23, faraday = e-mole,
# boltzmann = 1.380649e-23 joule/K, k = boltzmann, degC = K
_E_C = 1.602176634e-19
_AVOGADRO = 6.02214076e23
_FARADAY_C_PER_MOL = _E_C * _AVOGADRO  # 96485.33212331001
_K_J_PER_K = 1.380649e-23

#: (unit, in unit) -> value.  Keys are normalised: lower case, no blanks.
FACTORS: dict[tuple[str, str], float] = {
    ("faraday", "coulomb"): _FARADAY_C_PER_MOL,
    ("faraday", "coulombs"): _FARADAY_C_PER_MOL,
    ("faraday", "coul"): _FARADAY_C_PER_MOL,
    ("faraday", "kilocoulombs"): _FARADAY_C_PER_MOL / 1000.0,
    ("faraday", "kilocoulomb"): _FARADAY_C_PER_MOL / 1000.0,
    # gas constant R: "k" is Boltzmann's constant in nrnunits.lib (not kilo), so
    # k-mole = k * N_A = 8.314... J/K
    ("k-mole", "joule/degc"): _K_J_PER_K * _AVOGADRO,
    ("k-mole", "joule/k"): _K_J_PER_K * _AVOGADRO,
    ("e", "coulomb"): _E_C,
    ("e", "coulombs"): _E_C,
}


def factor(unit: str, in_unit: str) -> float | None:
    """The value of ``unit`` in ``in_unit``, or None when the pair is not known."""
    key = (unit.replace(" ", "").lower(), in_unit.replace(" ", "").lower())
    return FACTORS.get(key)
