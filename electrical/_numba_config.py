"""Process-wide numba/LLVM tuning for the cable engine: :func:`configure_numba`.

Called once, explicitly, at the top of ``electrical/__init__.py`` (before any
kernel compiles); calling it again does nothing.  It sets two things that apply
to everything numba compiles in this process:

- LLVM's limits on the runtime alias checks of its loop vectoriser
  (:data:`VECTORIZER_MEMORY_CHECKS`);
- on AVX-512 hosts, numba's CPU feature string gets ``-prefer-256-bit``
  (unless ``NUMBA_CPU_FEATURES`` or ``MULTISCALE_VECTOR_WIDTH=256`` is set).

Neither changes results, only speed.
"""

from __future__ import annotations

import os

__all__ = ["VECTORIZER_MEMORY_CHECKS", "VECTOR_WIDTH_ENV", "configure_numba"]

#: Runtime alias checks LLVM's loop vectoriser may emit for one loop (its defaults, 8
#: and 128, are meant for loops over a few arrays).  Loops over a block of mechanism
#: instances read and write tens of separate state and parameter arrays, which numba
#: cannot mark as non-aliasing; with the default limits LLVM leaves them scalar
#: ("too many memory checks needed").  The checks run once per loop entry, not per
#: element, and only decide between the vector and the scalar loop, so raising the
#: limit changes speed, never results.  Set by :func:`configure_numba`, before any
#: kernel compiles; it applies to every loop numba compiles in this process.
VECTORIZER_MEMORY_CHECKS = 4096

#: Environment variable: ``256`` keeps LLVM's preferred vector width on AVX-512
#: hosts (see :func:`_prefer_full_width_vectors`).
VECTOR_WIDTH_ENV = "MULTISCALE_VECTOR_WIDTH"

_configured: dict[str, bool] = {}


def _allow_vectorizer_memory_checks(n: int = VECTORIZER_MEMORY_CHECKS) -> None:
    import llvmlite.binding as llvm

    llvm.set_option("", f"-runtime-memory-check-threshold={n}")
    llvm.set_option("", f"-vectorize-memory-check-threshold={n}")


def _prefer_full_width_vectors() -> bool:
    """Let LLVM vectorise with 512-bit registers on AVX-512 hosts; True if set.

    LLVM's tuning for recent Intel server cores prefers 256-bit vectors; the gate
    loops (tables read as gathers, :func:`~electrical.mechanisms.numerics.vexp`) run
    about 20% faster per segment-step at 512 bits here
    (``benchmarks/cable_vs_neuron.py``).  The vector lanes do the same IEEE
    operations as the scalar code, so results do not change.  It is numba's CPU
    feature string, so it applies to everything numba compiles in this process; it
    is left alone when the user set ``NUMBA_CPU_FEATURES``, when
    ``MULTISCALE_VECTOR_WIDTH=256``, and once numba has built its CPU target (its
    machine is fixed then).
    """
    import numba
    from numba.core import codegen, registry

    if numba.config.CPU_FEATURES is not None or os.environ.get(VECTOR_WIDTH_ENV) == "256":
        return False
    if "_toplevel_target_context" in vars(registry.cpu_target):  # target already built
        return False
    features = codegen.get_host_cpu_features()
    if "+avx512f" not in features.split(","):
        return False
    numba.config.CPU_FEATURES = features + ",-prefer-256-bit"
    return True


def configure_numba() -> dict[str, bool]:
    """Apply the engine's numba/LLVM tuning once per process (idempotent).

    Returns what was done the first time: ``{"memory_checks": True,
    "full_width_vectors": bool}``.  Call it before anything compiles
    (``import electrical`` does).
    """
    if not _configured:
        _allow_vectorizer_memory_checks()
        _configured["memory_checks"] = True
        _configured["full_width_vectors"] = _prefer_full_width_vectors()
    return dict(_configured)
