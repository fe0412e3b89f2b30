"""The cache of generated step modules: one file per model structure, imported once.

The source of a model's step (:func:`electrical.codegen.generate_source`)
depends only on its *structure* (which mechanisms, in which order, which
ions), not on sizes or values, so every model with the same mechanism set
shares one compiled module.  It is written to a cache directory
(:func:`cache_dir`) and imported as a module so that numba's ``cache=True``
works; the file name carries a hash of the generated source and of every
mechanism module's source, so editing a mechanism never reuses a stale
compilation.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import sys
from pathlib import Path

from .codegen import generate_source
from .layout import Layout

__all__ = ["cache_dir", "load_step_module"]

#: Step modules imported in this process, by key.
_loaded: dict[str, object] = {}


def cache_dir() -> Path:
    """Directory for generated step modules (``$MULTISCALE_CACHE_DIR`` or ~/.cache)."""
    root = os.environ.get("MULTISCALE_CACHE_DIR")
    base = Path(root) if root else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    path = (base if root else base / "multiscale") / "codegen"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _mechanism_fingerprint(lay: Layout) -> str:
    """Hash of the source of every module the kernels may call into.

    numba's cache does not notice edits to functions that a cached function
    calls from other files, so the generated module's name carries this hash:
    the mechanism modules, every module of their packages, and the engine's
    own ``electrical`` modules.
    """
    h = hashlib.sha256()
    prefixes = {"electrical."}
    for e in lay.blocks:
        mod = e.cls.__module__
        prefixes.add(mod.rpartition(".")[0] + "." if "." in mod else mod)
    names = sorted(
        n for n in list(sys.modules) if any(n == p.rstrip(".") or n.startswith(p) for p in prefixes)
    )
    for name in names:
        mod = sys.modules.get(name)
        try:
            h.update(name.encode())
            h.update(inspect.getsource(mod).encode())
        except (OSError, TypeError):  # no source (built-in or interactive): key on identity
            h.update(repr(id(mod)).encode())
    for e in lay.blocks:
        if e.cls.__module__ == "__main__" or "<locals>" in e.cls.__qualname__:
            h.update(repr(id(e.cls)).encode())
    return h.hexdigest()


def load_step_module(lay: Layout):
    """Generate (or reuse) the step module for this layout and import it."""
    src = generate_source(lay)
    key = hashlib.sha256((src + _mechanism_fingerprint(lay)).encode()).hexdigest()[:20]
    if key in _loaded:
        return _loaded[key]
    path = cache_dir() / f"step_{key}.py"
    if not path.exists() or path.read_text() != src:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(src)
        os.replace(tmp, path)
    name = f"_electrical_step_{key}"
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    _loaded[key] = mod
    return mod
