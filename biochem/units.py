"""SBML unit definitions as unit strings; the unit arithmetic itself lives in :mod:`common.units`."""

from __future__ import annotations

import libsbml

from common.units import (
    AVOGADRO_PER_MOL,
    FARADAY_C_PER_MOL,
    ca_current_to_molar_flux,
    molar_to_molecules,
    molecule_flux_to_molar_flux,
    molecules_to_molar,
    parse_unit,
    same_unit,
    um3_to_litre,
)

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
    "unit_definition_to_string",
]


_KIND = {
    libsbml.UNIT_KIND_MOLE: "mol",
    libsbml.UNIT_KIND_LITRE: "L",
    libsbml.UNIT_KIND_LITER: "L",
    libsbml.UNIT_KIND_SECOND: "s",
    libsbml.UNIT_KIND_METRE: "m",
    libsbml.UNIT_KIND_METER: "m",
    libsbml.UNIT_KIND_DIMENSIONLESS: "dimensionless",
    libsbml.UNIT_KIND_ITEM: "item",
    libsbml.UNIT_KIND_AMPERE: "A",
    libsbml.UNIT_KIND_COULOMB: "C",
}


def unit_definition_to_string(ud: libsbml.UnitDefinition | None) -> str:
    """Write an SBML unit definition as a unit string (``"L/(mol*s)"``); ``""`` if unknown."""
    if ud is None:
        return ""
    num, den, factor = [], [], 1.0
    for k in range(ud.getNumUnits()):
        u = ud.getUnit(k)
        name = _KIND.get(u.getKind())
        if name is None:
            return ""  # a kind we do not name (kelvin, candela...): leave undeclared
        e = u.getExponentAsDouble()
        if e != int(e):
            return ""
        e = int(e)
        factor *= (u.getMultiplier() * 10.0 ** u.getScale()) ** e
        if name == "dimensionless" or e == 0:
            continue
        part = name if abs(e) == 1 else f"{name}^{abs(e)}"
        (num if e > 0 else den).append(part)
    top = "*".join(num) if num else "1"
    if factor != 1.0:
        top = f"{factor:.15g}*{top}" if num else f"{factor:.15g}"
    if not den:
        return top if (num or factor != 1.0) else "dimensionless"
    bottom = den[0] if len(den) == 1 else "(" + "*".join(den) + ")"
    return f"{top}/{bottom}"


# --- named conversions ------------------------------------------------------------------
