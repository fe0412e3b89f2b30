"""Exceptions of the ``biochem`` package.

One root, :class:`BiochemError`.  User errors also subclass the matching builtin
(``LookupError``, ``ValueError``, ``FileNotFoundError``), so that generic handlers keep
working; bugs raise :class:`InternalError`.  Every message says what went wrong, where
(file, element id, instance), the offending value and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable

from common.errors import InternalError as _CommonInternalError
from common.errors import did_you_mean

__all__ = [
    "BiochemError",
    "InstanceArgumentError",
    "IntegrationError",
    "InternalError",
    "InvalidSBMLError",
    "InvalidStateError",
    "MissingInitialValueError",
    "OverrideError",
    "PathwayFileNotFoundError",
    "PortSpecError",
    "UnknownElementError",
    "UnknownPortError",
    "UnknownVariantError",
    "UnsupportedSBMLError",
    "did_you_mean",
]


class BiochemError(Exception):
    """Root of every error raised by ``biochem``."""


class PathwayFileNotFoundError(BiochemError, FileNotFoundError):
    """The SBML/Antimony file of a pathway does not exist."""

    def __init__(self, path: str):
        self.path = path
        super().__init__(
            f"pathway file {path!r} does not exist; check the path (relative paths are "
            "resolved from the current directory) or pass the SBML text with Pathway.from_string"
        )

    def __str__(self) -> str:  # FileNotFoundError would print errno-style otherwise
        return self.args[0]


class InvalidSBMLError(BiochemError, ValueError):
    """The model text is not valid SBML (or Antimony); the message carries libsbml's errors."""


class UnsupportedSBMLError(BiochemError, ValueError):
    """The SBML is valid but uses a construct that ``biochem`` cannot run."""


class MissingInitialValueError(InvalidSBMLError):
    """Species of the model have no initial value (libroadrunner would start them at 0)."""

    def __init__(self, source: str, species: Iterable[str]):
        self.source = source
        self.species = tuple(species)
        ids = ", ".join(repr(s) for s in self.species)
        first = self.species[0]
        super().__init__(
            f"{source}: species {ids} {'has' if len(self.species) == 1 else 'have'} no initial "
            "value (no initialConcentration, initialAmount, initial assignment or assignment "
            f"rule); give {'it' if len(self.species) == 1 else 'each'} one in the SBML file, or "
            f"set it when loading: parameters={{{first!r}: <concentration>}}"
        )


class UnknownElementError(BiochemError, LookupError):
    """An id given to a pathway (parameter override, driven species) is not in the model."""


class OverrideError(BiochemError, ValueError):
    """A parameter override has a bad value or names an element that cannot be overridden."""


class UnknownPortError(BiochemError, LookupError):
    """A port (or a model element named by a port) does not exist."""


class PortSpecError(BiochemError, ValueError):
    """A port declaration is malformed (wrong quantity, element kind, direction...)."""


class UnknownVariantError(BiochemError, LookupError):
    """An unknown variant of the shipped spine pathway was requested."""

    def __init__(self, variant: str, variants: Iterable[str]):
        variants = tuple(variants)
        super().__init__(
            f"no spine-pathway variant {variant!r}{did_you_mean(variant, variants)} "
            f"(available: {', '.join(variants)})"
        )


class IntegrationError(BiochemError, RuntimeError):
    """CVODE failed while advancing an instance; names the instance, spine and model time."""


class InvalidStateError(BiochemError, ValueError):
    """A saved state blob does not belong to this pathway or is corrupt."""


class InstanceArgumentError(BiochemError, ValueError):
    """A nonsense argument to an instance method (time going backwards, NaN value...)."""


class InternalError(BiochemError, _CommonInternalError):
    """A bug in ``biochem``: please report it with the message and the model."""
