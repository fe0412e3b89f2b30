"""The ``multiscale`` command line.

``multiscale run EXP.toml [-o results.h5] [--set key=value ...] [--quick] [--resume] [--quiet]``
    Run an experiment and write its HDF5 results (docs/experiments.md, docs/output.md).
``multiscale validate EXP.toml [--set key=value ...]``
    Check an experiment file; every problem on its own line (file:line: key ...).
``multiscale plot results.h5 [--out-dir DIR]``
    PNG figures next to the results file (multiscale.plots).
``multiscale info``
    Versions of Python and of every component library, and the MPI library.
``multiscale inspect PATHWAY``
    Species, parameters, compartments, rules and events of an SBML or Antimony
    file, and the ports it suggests (species to read, non-constant parameters
    to write).

Exit codes: 0 done, 1 failed run, 2 bad input (usage, experiment file, values).
Messages are one line each and never a traceback (``--debug`` shows one for
an internal error).

Under ``mpiexec -n N multiscale run ...`` every rank runs the same command.  Bad
input is found identically on every rank: rank 0 prints it and every rank exits
with 2.  A failure on one rank during the run is printed by that rank, prefixed
``rank R of N:``, and ends the whole job (``MPI_Abort``) instead of leaving the
other ranks waiting; rank 0's file keeps everything up to its last flush.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main", "versions"]

_DEBUG_HELP = "show the traceback of an internal error (a bug: please report it)"


def versions() -> dict[str, str]:
    """Versions of Python, the project, its component libraries and the MPI library."""
    from .output import versions as _versions

    return _versions(mpi_library=True)


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


def _load_experiment(args: argparse.Namespace, prog: str, show: bool = True):
    from .experiment import ExperimentError, apply_quick, load

    try:
        exp = load(args.experiment, args.set or ())
    except ExperimentError as exc:
        if show:
            for p in exc.problems:
                print(str(p), file=sys.stderr)
        return None
    return apply_quick(exp) if getattr(args, "quick", False) else exp


def _internal(prog: str, exc: BaseException, debug: bool) -> int:
    if debug:
        import traceback

        traceback.print_exception(exc)
    print(f"{prog}: internal error: {type(exc).__name__}: {' '.join(str(exc).split())} "
          "(please report it; --debug shows the traceback)", file=sys.stderr)  # fmt: skip
    return 1


def _cmd_validate(args: argparse.Namespace) -> int:
    exp = _load_experiment(args, "multiscale validate")
    if exp is None:
        return 2
    bio = exp.biochemical_spines()
    model = f"{exp.model.spines} mode" if exp.model.kind == "msn" else f"{exp.model.kind} model"
    print(
        f"{args.experiment}: valid ({model}, {exp.n_spines} spines, "
        f"{len(exp.stimulated_spines())} stimulated, {len(bio)} biochemical, "
        f"t_stop {exp.simulation.t_stop_ms:g} ms"
        + (f"; --quick: t_stop {exp.simulation.t_stop_ms:g} ms" if exp.is_quick else "")
        + ")"
    )
    return 0


def _abort(comm, prog: str, message: str) -> int:
    """This rank failed alone: say so, then end every rank of the job (exit code 1)."""
    rank, size = comm.Get_rank(), comm.Get_size()
    print(f"{prog}: rank {rank} of {size}: {message}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    comm.Abort(1)  # does not return under MPI
    return 1


def _cmd_run(args: argparse.Namespace) -> int:
    from .distribute import world
    from .runner import BuildError, RunError, run

    prog = "multiscale run"
    comm = world()
    root = comm.Get_rank() == 0
    mpi = comm.Get_size() > 1
    exp = _load_experiment(args, prog, show=root)  # the same file: the same problems on every rank
    if exp is None:
        return 2
    try:
        res = run(exp, args.output, resume=args.resume, quiet=args.quiet, comm=comm,
                  command=" ".join(["multiscale", *sys.argv[1:]]) if args.argv is None
                  else " ".join(["multiscale", *args.argv]))  # fmt: skip
    except BuildError as exc:  # raised on every rank alike
        if root:
            print(" ".join(str(exc).split()), file=sys.stderr)
        return 2
    except RunError as exc:
        msg = " ".join(str(exc).split())
        if mpi and not exc.everywhere:  # the other ranks wait for this one in a collective
            return _abort(comm, prog, msg)
        if root:
            print(f"{prog}: {msg}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - no tracebacks for users
        if mpi:
            if args.debug:
                import traceback

                traceback.print_exception(exc)
            return _abort(comm, prog, f"internal error: {type(exc).__name__}: "
                          f"{' '.join(str(exc).split())} (please report it; --debug shows "
                          "the traceback)")  # fmt: skip
        return _internal(prog, exc, args.debug)
    if root and not args.quiet:
        ex = res.stats.get("exchanges", {}) if res.stats else {}
        n_ex = sum(ex.values()) if isinstance(ex, dict) else 0
        how = "already complete" if not res.stats and args.resume else (
            f"t = {res.t_done_ms:g} ms in {res.wall_s:.1f} s wall, {n_ex} exchanges"
            + (f", resumed from {res.resumed_from_ms:g} ms" if res.resumed_from_ms else ""))  # fmt: skip
        print(f"wrote {res.path} ({how}); plot it with: multiscale plot {res.path}")
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from .output import ResultsError

    prog = "multiscale plot"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(f"{prog}: matplotlib is not installed; pip install 'multiscale-neuro[plot]'",
              file=sys.stderr)  # fmt: skip
        return 1
    from .plots import plot_results

    try:
        written = plot_results(args.results, args.out_dir)
    except ResultsError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001
        return _internal(prog, exc, args.debug)
    for p in written:
        print(p)
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
    p_insp.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    p_insp.set_defaults(func=_cmd_inspect)
    p_run = sub.add_parser("run", help="run an experiment (TOML) and write its HDF5 results")
    p_run.add_argument("experiment", help="experiment file (.toml)")
    p_run.add_argument(
        "-o", "--output", metavar="FILE", help="results file (default: output.file, else <name>.h5)"
    )
    p_run.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a value, e.g. --set simulation.t_stop_ms=500 (repeatable)",
    )
    p_run.add_argument(
        "--quick",
        action="store_true",
        help="a short version: inputs moved to just after the equilibration, "
        "250 ms after the first one, 30 s pathway pre-run "
        "(docs/experiments.md)",
    )
    p_run.add_argument(
        "--resume", action="store_true", help="continue the results file from its last checkpoint"
    )
    p_run.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    p_run.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    p_run.set_defaults(func=_cmd_run)
    p_val = sub.add_parser("validate", help="check an experiment file; list every problem")
    p_val.add_argument("experiment", help="experiment file (.toml)")
    p_val.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="check with these overrides, as run would apply them",
    )
    p_val.add_argument("--quick", action="store_true", help="also show the --quick variant")
    p_val.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    p_val.set_defaults(func=_cmd_validate)
    p_plot = sub.add_parser("plot", help="PNG figures of a results file, next to it")
    p_plot.add_argument("results", help="results file (.h5)")
    p_plot.add_argument("--out-dir", metavar="DIR", help="folder for the PNGs")
    p_plot.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    p_plot.set_defaults(func=_cmd_plot)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    args.argv = argv
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("multiscale: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug (InternalError or not): exit 1, no traceback
        return _internal(f"multiscale {args.command}", exc, getattr(args, "debug", False))


if __name__ == "__main__":
    sys.exit(main())
