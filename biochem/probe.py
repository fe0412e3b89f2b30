"""What an SBML or Antimony file contains, without compiling it (fast; for validation).

:func:`probe` reads a model file with the same reader as :class:`biochem.Pathway`
(libsbml, Antimony converted by the antimony library) but does not build a
roadrunner model, so checking an experiment file stays quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from biochem import _sbml

__all__ = ["ModelIds", "probe"]


@dataclass(frozen=True)
class ModelIds:
    """The ids of a model's elements."""

    species: frozenset[str]
    #: parameters and compartments (anything with a value)
    parameters: frozenset[str]
    #: variables set by rules
    rule_variables: frozenset[str]


def probe(path: str | Path) -> ModelIds:
    """The element ids of an SBML (text starting with ``<``) or Antimony file.

    Raises :class:`biochem.PathwayFileNotFoundError` (no such file) or
    :class:`biochem.InvalidSBMLError` (not valid SBML or Antimony).
    """
    text = _sbml.read_source(path)
    if not text.lstrip("\ufeff \t\r\n").startswith("<"):
        text = _sbml.antimony_to_sbml(text, str(path))
    info = _sbml.describe(_sbml.parse_sbml(text, str(path)))
    return ModelIds(
        frozenset(s.id for s in info.species),
        frozenset(p.id for p in info.parameters) | frozenset(c.id for c in info.compartments),
        frozenset(r.variable for r in info.rules),
    )
