"""Units and physical constants shared by every package: parsing, comparison, named conversions.

This is the one home of the Faraday and Avogadro constants and of unit-string parsing;
``electrical``, ``biochem``, ``sync`` and ``multiscale`` all import it (it imports none
of them).

Unit strings are products and quotients of symbols with optional integer exponents,
e.g. ``"M"``, ``"mol/(L*s)"``, ``"1/(M*s)"``, ``"um^3"``, ``"dimensionless"``.  They are
compared by dimension and scale (:func:`same_unit`) when ports are declared, never in a
hot loop.  Conversions between the electrical side and a pathway are named functions
with the arithmetic written out.
"""

from __future__ import annotations

import math
import re

from .errors import did_you_mean

__all__ = [
    "AVOGADRO_PER_MOL",
    "FARADAY_C_PER_MOL",
    "ca_current_to_molar_flux",
    "molar_to_molecules",
    "molecule_flux_to_molar_flux",
    "molecules_to_molar",
    "parse_unit",
    "same_unit",
    "um3_to_litre",
]

FARADAY_C_PER_MOL = 96485.33212  # CODATA 2018
AVOGADRO_PER_MOL = 6.02214076e23  # CODATA 2018 (the spine pathway keeps E-Cell's 6.0221367e23)

# symbol -> (factor to SI, exponents of (mol, m, s, A))
_SYMBOLS: dict[str, tuple[float, tuple[int, int, int, int]]] = {
    "dimensionless": (1.0, (0, 0, 0, 0)),
    "1": (1.0, (0, 0, 0, 0)),
    "mol": (1.0, (1, 0, 0, 0)),
    "mmol": (1e-3, (1, 0, 0, 0)),
    "umol": (1e-6, (1, 0, 0, 0)),
    "nmol": (1e-9, (1, 0, 0, 0)),
    "pmol": (1e-12, (1, 0, 0, 0)),
    "item": (1.0 / AVOGADRO_PER_MOL, (1, 0, 0, 0)),
    "L": (1e-3, (0, 3, 0, 0)),
    "mL": (1e-6, (0, 3, 0, 0)),
    "uL": (1e-9, (0, 3, 0, 0)),
    "fL": (1e-18, (0, 3, 0, 0)),
    "M": (1e3, (1, -3, 0, 0)),
    "mM": (1.0, (1, -3, 0, 0)),
    "uM": (1e-3, (1, -3, 0, 0)),
    "nM": (1e-6, (1, -3, 0, 0)),
    "pM": (1e-9, (1, -3, 0, 0)),
    "s": (1.0, (0, 0, 1, 0)),
    "ms": (1e-3, (0, 0, 1, 0)),
    "us": (1e-6, (0, 0, 1, 0)),
    "min": (60.0, (0, 0, 1, 0)),
    "h": (3600.0, (0, 0, 1, 0)),
    "m": (1.0, (0, 1, 0, 0)),
    "cm": (1e-2, (0, 1, 0, 0)),
    "mm": (1e-3, (0, 1, 0, 0)),
    "um": (1e-6, (0, 1, 0, 0)),
    "nm": (1e-9, (0, 1, 0, 0)),
    "A": (1.0, (0, 0, 0, 1)),
    "nA": (1e-9, (0, 0, 0, 1)),
    "C": (1.0, (0, 0, 1, 1)),
}

_TOKEN = re.compile(r"\s*(?:([A-Za-z]+)(\d*)|(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|(\^-?\d+)|([*/()]))")


def parse_unit(text: str) -> tuple[float, tuple[int, int, int, int]]:
    """Parse a unit string into (factor to SI, exponents of (mol, m, s, A)).

    Parameters
    ----------
    text : str
        e.g. ``"mol/(L*s)"``, ``"1/(M*s)"``, ``"um3"`` (trailing digits are an exponent).

    Raises
    ------
    ValueError
        The string has an unknown symbol or bad syntax.
    """
    pos = 0
    tokens: list[tuple[str, object]] = []
    s = text.strip()
    if s == "":
        raise ValueError("empty unit string; write 'dimensionless' for a pure number")
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot parse unit {text!r} at {s[pos:]!r}")
        pos = m.end()
        sym, digits, number, power, op = m.groups()
        if sym is not None:
            if sym not in _SYMBOLS:
                raise ValueError(
                    f"unknown unit symbol {sym!r} in {text!r}{did_you_mean(sym, _SYMBOLS)}"
                )
            tokens.append(("u", (sym, int(digits) if digits else 1)))
        elif number is not None:
            tokens.append(("n", float(number)))
        elif power is not None:
            tokens.append(("p", int(power[1:])))
        else:
            tokens.append(("o", op))

    def unit_pow(u, e):
        return (u[0] ** e, tuple(d * e for d in u[1]))

    def mul(a, b, sign=1):
        return (a[0] * b[0] ** sign, tuple(x + sign * y for x, y in zip(a[1], b[1])))

    i = 0

    def factor():
        nonlocal i
        if i >= len(tokens):
            raise ValueError(f"unit {text!r} ends unexpectedly")
        kind, val = tokens[i]
        i += 1
        if kind == "u":
            sym, e = val
            u = unit_pow(_SYMBOLS[sym], e)
        elif kind == "n":
            u = (val, (0, 0, 0, 0))
        elif kind == "o" and val == "(":
            u = expr()
            if i >= len(tokens) or tokens[i] != ("o", ")"):
                raise ValueError(f"unbalanced parentheses in unit {text!r}")
            i += 1
        else:
            raise ValueError(f"unexpected {val!r} in unit {text!r}")
        if i < len(tokens) and tokens[i][0] == "p":
            u = unit_pow(u, tokens[i][1])
            i += 1
        return u

    def expr():
        nonlocal i
        u = factor()
        while i < len(tokens) and tokens[i][0] == "o" and tokens[i][1] in "*/":
            op = tokens[i][1]
            i += 1
            u = mul(u, factor(), 1 if op == "*" else -1)
        return u

    out = expr()
    if i != len(tokens):
        raise ValueError(f"unexpected {tokens[i][1]!r} in unit {text!r}")
    return out


def same_unit(a: str, b: str, rtol: float = 1e-12) -> bool:
    """True if two unit strings have the same dimension and scale (``"M"`` == ``"mol/L"``)."""
    fa, da = parse_unit(a)
    fb, db = parse_unit(b)
    return da == db and math.isclose(fa, fb, rel_tol=rtol)


def um3_to_litre(volume_um3: float) -> float:
    """Volume [um3] -> [L]."""
    # 1 um3 = (1e-6 m)^3 = 1e-18 m3 = 1e-15 L
    return volume_um3 * 1e-15


def molecules_to_molar(n_molecules: float, volume_l: float, avogadro_per_mol: float) -> float:
    """Molecule count in a volume [L] -> concentration [M]."""
    # n / N_A = mol; / V [L] = mol/L
    return n_molecules / (avogadro_per_mol * volume_l)


def molar_to_molecules(conc_m: float, volume_l: float, avogadro_per_mol: float) -> float:
    """Concentration [M] in a volume [L] -> molecule count."""
    # mol/L * L = mol; * N_A = molecules
    return conc_m * volume_l * avogadro_per_mol


def molecule_flux_to_molar_flux(
    flux_per_s: float, volume_l: float, avogadro_per_mol: float
) -> float:
    """Flux [molecules/s] into a volume [L] -> [M/s] (e.g. the spine pathway's ``ca_in``)."""
    # molecules/s / N_A = mol/s; / V [L] = M/s
    return flux_per_s / (avogadro_per_mol * volume_l)


def ca_current_to_molar_flux(i_ca_a: float, volume_l: float) -> float:
    """Ca2+ current [A, inward < 0] into a volume [L] -> Ca input flux [M/s]."""
    # A = C/s; / (2 F) = mol/s (charge 2 per Ca2+); / V [L] = M/s; inward (negative) -> positive
    return -i_ca_a / (2.0 * FARADAY_C_PER_MOL * volume_l)
