"""What .mod files define, for the CLI command ``multiscale nmodl FILE_OR_DIR``."""

from __future__ import annotations

from ._codegen import _Gen, generate
from ._load import _declare_ions, mod_files
from ._parse import parse_file
from .errors import NmodlError

__all__ = ["describe"]


def describe(paths) -> list[str]:
    """One block of text per file (or one line per problem), in file order."""
    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        paths = [paths]
    try:
        files = mod_files(paths)
    except NmodlError as exc:
        return [str(exc)]
    out: list[str] = []
    for f in files:
        try:
            mf = parse_file(f)
            _declare_ions(mf, define=False)
            g = _Gen(mf)
            generate(mf, mf.name)  # the whole translation: every problem, one line
        except NmodlError as exc:
            out.append(str(exc))
            continue
        lines = [f"{f}: {mf.kind} mechanism '{mf.name}'" + (f" ({mf.title})" if mf.title else "")]
        reads = [r for _i, rs, _w, _v in mf.ions for r in rs]
        writes = [w for _i, _r, ws, _v in mf.ions for w in ws] + list(mf.nonspecific)
        lines.append(f"  ions read: {', '.join(reads) or '-'}; written: {', '.join(writes) or '-'}")
        for p in g.params:
            var = mf.params.get(p)
            if var is None:
                lines.append(f"  parameter {p} [um] (segment diameter)")
            else:
                lines.append(f"  parameter {p} = {var.default:g} [{var.unit or '1'}]")
        for p in g.globals:
            var = mf.params[p]
            lines.append(f"  global {p} = {var.default:g} [{var.unit or '1'}]")
        states = ", ".join(g.states) or "-"
        lines.append(f"  states: {states}")
        solves = (
            ", ".join(
                f"{b} ({m or 'derivimplicit' if b in mf.derivatives else 'procedure'})"
                for b, m in g.solves
            )
            or "-"
        )
        lines.append(f"  solve: {solves}")
        out.append("\n".join(lines))
    return out
