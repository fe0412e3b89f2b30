"""The ``multiscale`` command line.

Subcommands (more arrive with the experiment runner):

``multiscale info``
    Versions of Python and of every component library, and the MPI library.
``multiscale inspect PATHWAY``
    Species, parameters, compartments, rules and events of an SBML or Antimony
    file, and the ports it suggests (species to read, non-constant parameters
    to write).

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


def _cmd_inspect(args: argparse.Namespace) -> int:
    from biochem import BiochemError, Pathway

    try:
        pw = Pathway.from_file(args.pathway)
    except BiochemError as exc:
        print(f"multiscale inspect: {exc}", file=sys.stderr)
        return 2
    print(
        f"{args.pathway}: {len(pw.species)} species, {len(pw.parameters)} parameters, "
        f"{len(pw.reactions)} reactions, {len(pw.rules)} rules, {len(pw.events)} events"
    )
    print("\ncompartments:")
    for c in pw.compartments:
        print(f"  {c.id:<24} size {c.size:g} {c.unit}")
    shown = pw.species if args.all else pw.species[: args.limit]
    print("\nspecies (initial value):")
    for sp in shown:
        unit = sp.substance_unit if sp.initial_quantity == "amount" else sp.concentration_unit
        flags = " boundary" if sp.boundary else ""
        print(f"  {sp.id:<24} {sp.initial:<12g} {unit} ({sp.initial_quantity}){flags}")
    if len(shown) < len(pw.species):
        print(f"  ... {len(pw.species) - len(shown)} more (--all lists them)")
    print("\nparameters:")
    for par in pw.parameters if args.all else pw.parameters[: args.limit]:
        kind = "constant" if par.constant else ("rule" if par.rule else "variable")
        print(f"  {par.id:<24} {par.value:<12g} {par.unit} ({kind})")
    if pw.rules:
        print("\nrules:")
        for r in pw.rules[: None if args.all else args.limit]:
            print(f"  {r.kind:<11} {r.variable} = {r.formula[:70]}")
    if pw.events:
        print("\nevents:")
        for ev in pw.events:
            print(f"  {ev.id}: when {ev.trigger}: {ev.assignments}")
    inputs = [p.id for p in pw.parameters if not p.constant and not p.rule]
    print("\nsuggested ports:")
    print(
        "  read (species, concentration): "
        + ", ".join(f"[{s.id}]" for s in pw.species[:8])
        + (" ..." if len(pw.species) > 8 else "")
    )
    print("  write (non-constant parameters): " + (", ".join(inputs) if inputs else "none"))
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
    p_insp = sub.add_parser("inspect", help="list what an SBML/Antimony pathway contains")
    p_insp.add_argument("pathway", help="SBML (.xml) or Antimony (.ant) file")
    p_insp.add_argument("--all", action="store_true", help="list every element")
    p_insp.add_argument("--limit", type=int, default=20, help="rows per list (default 20)")
    p_insp.set_defaults(func=_cmd_inspect)
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
