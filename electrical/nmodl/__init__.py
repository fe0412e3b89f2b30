"""The NMODL importer: NEURON .mod files compiled into mechanisms of the engine.

>>> from electrical import load_nmodl             # doctest: +SKIP
>>> load_nmodl("mod/")                            # doctest: +SKIP
{'naf': <class '_nmodl_....Mechanism'>, ...}

Parsing is NEURON's (``neuron.nmodl``); the numerical update is generated to
equal what nocmodl emits (:mod:`electrical.nmodl._codegen`).  See docs/nmodl.md.
"""

from ._load import load_nmodl
from .describe import describe
from .errors import NmodlError

__all__ = ["NmodlError", "describe", "load_nmodl"]
