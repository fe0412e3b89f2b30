"""``load_nmodl``: .mod files -> mechanism classes registered in a catalogue."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

from ..step_cache import cache_dir
from ..mechanisms.base import ION_TABLE, Catalogue, Mechanism, default_catalogue, define_ion
from ._codegen import GENERATOR_VERSION, generate
from ._parse import parse_file
from .errors import NmodlError

__all__ = ["load_nmodl", "mod_files"]

#: NEURON's defaults for an ion it does not know (ion_reg): 1 mM inside and out, e = 0.
NEW_ION_CONC_MM = 1.0


def mod_files(paths) -> list[Path]:
    """The .mod files named by ``paths`` (files, or folders: every .mod in them, sorted)."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out += sorted(p.glob("*.mod"))
        elif p.is_file():
            out.append(p)
        else:
            raise NmodlError(p, None, "no such file or folder")
    return out


def _declare_ions(mf, define: bool = True) -> None:
    for ion, _r, _w, valence in mf.ions:
        if ion in ION_TABLE:
            if valence is not None and int(valence) != ION_TABLE[ion].valence:
                raise mf.error(
                    rf"\bUSEION\s+{ion}\b",
                    f"ion '{ion}' has valence "
                    f"{ION_TABLE[ion].valence}, the file says VALENCE {valence:g}",
                )
            continue
        if valence is None:
            raise mf.error(
                rf"\bUSEION\s+{ion}\b",
                f"unknown ion '{ion}': give its VALENCE "
                "in the USEION statement or declare it with electrical.define_ion()",
            )
        if define:
            define_ion(ion, int(valence), NEW_ION_CONC_MM, NEW_ION_CONC_MM, 0.0)


def _import_generated(src: str, key: str):
    folder = cache_dir().parent / "nmodl"
    folder.mkdir(parents=True, exist_ok=True)
    modname = f"_nmodl_{key}"
    if modname in sys.modules:
        return sys.modules[modname]
    path = folder / f"{modname}.py"
    if not path.exists() or path.read_text() != src:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(src)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    try:
        spec.loader.exec_module(mod)
    except Exception:
        del sys.modules[modname]
        raise
    return mod


def compile_file(path, name: str) -> type[Mechanism]:
    """Parse and generate one file; the class is registered nowhere."""
    mf = parse_file(path)
    _declare_ions(mf)
    src = generate(mf, name or mf.name)
    key = hashlib.sha256((GENERATOR_VERSION + "\0" + name + "\0" + mf.text).encode()).hexdigest()[
        :20
    ]
    try:
        mod = _import_generated(src, key)
    except SyntaxError as exc:  # a name the generator could not translate
        raise NmodlError(path, None, f"generated code does not compile ({exc.msg})") from None
    cls = mod.Mechanism
    cls.__qualname__ = "Mechanism"
    cls.source_file = str(path)
    return cls


def load_nmodl(*paths, catalogue: Catalogue | None = None, prefix: str = "") -> dict:
    """Compile .mod files (or every .mod of a folder) into registered mechanism classes.

    Parameters
    ----------
    *paths : str or Path
        Files or folders.
    catalogue : Catalogue, optional
        Where to register them (default: the default catalogue).
    prefix : str
        Prepended to each SUFFIX, so that an imported ``naf`` can sit beside a
        hand-written one (``prefix="nmodl_"`` gives ``nmodl_naf``).

    Returns
    -------
    dict
        ``{name: class}`` of the mechanisms registered.

    Raises
    ------
    NmodlError
        One line naming the file, the line and the construct.
    """
    cat = default_catalogue if catalogue is None else catalogue
    out: dict[str, type[Mechanism]] = {}
    for f in mod_files(paths):
        mf_name = parse_file(f).name
        name = prefix + mf_name
        if name in cat:
            existing = cat[name]
            if getattr(existing, "source_file", None) == str(f):
                out[name] = existing
                continue
        cls = compile_file(f, name)
        cat.register(cls, name)
        out[name] = cls
    return out
