"""The ``multiscale`` command line.

Subcommands (more arrive with the experiment runner):

``multiscale info``
    Versions of Python and of every component library, and the MPI library.

Exit codes: 0 done, 1 failure, 2 bad input (usage).
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys

__all__ = ["main", "versions"]

_COMPONENTS = [
    ("numpy", "numpy"),
    ("scipy", "scipy"),
    ("numba", "numba"),
    ("networkx", "networkx"),
    ("h5py", "h5py"),
    ("libroadrunner", "roadrunner"),
    ("tellurium", "tellurium"),
    ("python-libsbml", "libsbml"),
    ("mpi4py", "mpi4py"),
    ("neuron (validation only)", "neuron"),
]


def _version_of(module: str) -> str:
    if module == "neuron":
        os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 - any import failure means "not usable"
        kind = "not installed" if isinstance(exc, ModuleNotFoundError) else f"unusable ({exc})"
        return kind
    if module == "roadrunner":
        return getattr(mod, "__version__", None) or mod.getVersionStr()
    if module == "libsbml":
        return mod.getLibSBMLDottedVersion()
    return str(getattr(mod, "__version__", "unknown"))


def _mpi_library() -> str:
    from .distribute import mpi_library_version

    return mpi_library_version()


def versions() -> dict[str, str]:
    """Versions of Python, the project and its component libraries."""
    from . import __version__

    out = {"python": platform.python_version(), "multiscale-neuro": __version__}
    for label, module in _COMPONENTS:
        out[label] = _version_of(module)
    out["MPI library"] = _mpi_library()
    return out


def _cmd_info(args: argparse.Namespace) -> int:
    width = max(len(k) for k in versions())
    for key, val in versions().items():
        print(f"{key:<{width}}  {val}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``multiscale`` console script."""
    parser = argparse.ArgumentParser(
        prog="multiscale",
        description="Multiscale co-simulation of neurons (electrical + biochemical).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_info = sub.add_parser("info", help="print versions of Python, the libraries and MPI")
    p_info.set_defaults(func=_cmd_info)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
