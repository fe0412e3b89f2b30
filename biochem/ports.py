"""Ports of a pathway: the species and parameters that other components read or write.

A port names one SBML element, says explicitly whether a species is read as an amount or
a concentration, and carries a unit string (the SBML model's own unit).  Shorthands:

* ``"[ca]"``: species ``ca`` as a concentration (roadrunner's notation);
* ``"ca_in"``: parameter ``ca_in`` (its value);
* a bare species id is refused: write ``"[ca]"`` or ``Port("ca", quantity="amount")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Direction", "Port", "PortSpec", "Quantity"]

Quantity = Literal["concentration", "amount", "value"]
Direction = Literal["in", "out", "inout"]
_QUANTITIES = ("concentration", "amount", "value")
_DIRECTIONS = ("in", "out", "inout")


@dataclass(frozen=True)
class Port:
    """A port declaration, as written by the user.

    Parameters
    ----------
    target : str
        SBML id of a species, a global parameter or a compartment.
    quantity : {"concentration", "amount", "value"} or None
        Required for species (``concentration`` in substance/volume units, ``amount``
        in substance units); ``value`` (the default) for parameters and compartments.
    unit : str or None
        Unit of the port (e.g. ``"M"``, ``"mol/(L*s)"``).  If the SBML declares a unit
        it must agree (checked once, at load).  Required if the SBML declares none.
    direction : {"in", "out", "inout"}
        ``in`` ports are written by other components, ``out`` ports are read.  Elements
        defined by assignment rules can only be ``out``.
    doc : str
        One line of documentation.
    """

    target: str
    quantity: Quantity | None = None
    unit: str | None = None
    direction: Direction = "inout"
    doc: str = ""


@dataclass(frozen=True)
class PortSpec:
    """A resolved port: what :meth:`Pathway.ports` returns.

    Attributes
    ----------
    name : str
        Port name used by ``get``/``set``.
    target : str
        SBML id.
    element : {"species", "parameter", "compartment"}
        Kind of SBML element.
    quantity : {"concentration", "amount", "value"}
        How the value is read and written.
    unit : str
        Unit string (the SBML model's unit).
    direction : {"in", "out", "inout"}
        Data direction seen from the pathway.
    doc : str
        Documentation.
    assigned : bool
        True if the element is defined by an assignment rule (read-only).
    """

    name: str
    target: str
    element: Literal["species", "parameter", "compartment"]
    quantity: Quantity
    unit: str
    direction: Direction
    doc: str = ""
    assigned: bool = False

    @property
    def writable(self) -> bool:
        """True if other components may ``set`` this port."""
        return self.direction in ("in", "inout") and not self.assigned
