"""Morphology files -> sections, exactly as NEURON's Import3d builds them.

:func:`load_morphology` (``Cell.from_morphology``) reads an SWC file (``.swc``)
or a Neurolucida ASCII file (``.asc``) and builds a :class:`Cell` whose
sections, names, 3-D points and connections are those NEURON's Import3d
(``Import3d_SWC_read`` / ``Import3d_Neurolucida3`` + ``Import3d_GUI.instantiate``,
neuron 9.0.2, ``share/nrn/lib/hoc/import3d``) creates from the same file:

- SWC samples in file order (NEURON sorts by id; for files whose ids increase
  that is the same order, and files whose parents come first in the file but
  with larger ids, which NEURON rejects, are read in file order); a section is
  an unbranched run of samples of one type, cut at branch points and at type
  changes;
- names ``soma[i]``, ``axon[i]``, ``dend[i]``, ``apic[i]`` (SWC types 1-4)
  and ``dend_N[i]`` for a custom type N, numbered per type in section order;
- section lists ``somatic``, ``axonal``, ``basal``, ``apical``,
  ``dendritic_N`` (custom types; ``type_names`` adds an alias) and ``all``;
- somata: a one-point SWC soma becomes a 3-point cylinder with L = diam
  along x (children attach at 0.5 by a "wire": their first 3-D point is their
  own first sample); the NeuroMorpho three-point soma (uniform diameter,
  middle point as root, length = diameter) is treated the same way; a
  multi-point soma is a chain of cylinders (children at 0, at 0.5 from
  interior points, or at 1); a Neurolucida CellBody outline becomes NEURON's
  21-point centroid along its principal axis (``contour2centroid``) and every
  tree joins it at 0.5 by a wire;
- a child's first 3-D point is its parent's point (SWC: with the diameter of
  its own first sample when the parent is a soma point; ASC: with its own first
  diameter unless the file repeats the branch point), except over a wire;
- one-point sections and two-point sections of zero length are dropped and
  their children reattached, as NEURON's ``chk_valid`` does;
- 3-D points go through NEURON's ``%.8g`` text and its single-precision
  ``pt3dadd`` storage, so lengths and frustum areas are NEURON's.

Both formats are read by MorphIO (a maintained reader).  For SWC the
sections are built from the sample table, because Import3d's rules depend on
which sample a neurite leaves from (the soma point it attaches to) and on
sample order, which MorphIO's section model does not keep; MorphIO still reads
the file and its errors are reported.  For ASC the sections come from MorphIO
(single-precision values are mapped back to the file's decimals, exact for
numbers of up to 7 significant digits).  Departures from NEURON: a marker
inside a Neurolucida branch is not a point of that branch (NEURON's reader
appends it); a Neurolucida tree without a Dendrite/Apical/Axon label is taken
by MorphIO as a marker and skipped (NEURON makes a ``dend_0`` section); a
stack of soma outlines is refused.

Bad files raise :class:`MorphologyError` with one line ``file:line: what and
the fix`` (the line where it is known).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ._morphology_base import (
    SWC_LIST_NAMES,
    SWC_TYPE_NAMES,
    MorphologyError,
    _check_with_morphio,
    _chk_valid,
    _err,
    _fmt8,
    _I3dSec,
    _list_name,
    _Samples,
    _type_name,
)
from .errors import ModelError

__all__ = ["SWC_LIST_NAMES", "SWC_TYPE_NAMES", "MorphologyError", "load_morphology"]


def _read_swc_table(path: str) -> _Samples:
    """Samples of an SWC file, checked; parents come before children."""
    try:
        with open(path, encoding="utf-8", errors="strict") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise _err(path, None, "no such file") from None
    except IsADirectoryError:
        raise _err(path, None, "is a folder, not an SWC file") from None
    except UnicodeDecodeError as exc:
        raise _err(path, None, f"not a text file ({exc.reason}); give an SWC text file") from None
    except OSError as exc:
        raise _err(path, None, f"cannot be read ({exc.strerror})") from None
    rows: list[tuple[float, ...]] = []
    lines: list[int] = []
    for k, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        fields = s.split()
        if len(fields) < 7:
            raise _err(
                path, k, f"expected 7 fields 'id type x y z radius parent', got {len(fields)}"
            )
        vals = []
        for name, f in zip(("id", "type", "x", "y", "z", "radius", "parent"), fields[:7]):
            try:
                v = float(f)
            except ValueError:
                raise _err(path, k, f"{name} field {f!r} is not a number") from None
            if not math.isfinite(v):
                raise _err(path, k, f"{name} field {f!r} is not a finite number")
            vals.append(v)
        for name, v in (("id", vals[0]), ("type", vals[1]), ("parent", vals[6])):
            if v != int(v):
                raise _err(path, k, f"{name} {v:g} is not an integer")
        if vals[0] < 0:
            raise _err(path, k, f"id {int(vals[0])} is negative; ids are non-negative integers")
        if vals[1] < 1:
            raise _err(
                path,
                k,
                f"unknown sample type {int(vals[1])}: use 1 soma, 2 axon, 3 basal, "
                "4 apical or a custom type >= 5",
            )
        if vals[5] <= 0:
            raise _err(path, k, f"radius {vals[5]:g} um: must be positive")
        rows.append(tuple(vals))
        lines.append(k)
    if not rows:
        raise _err(path, None, "no samples (empty file or only comments); nothing to build")
    tab = np.array(rows, dtype=float)
    ids = tab[:, 0].astype(np.int64)
    pids = tab[:, 6].astype(np.int64)
    line = np.array(lines, dtype=np.int64)
    idl, pl = ids.tolist(), pids.tolist()  # plain lists: fast scalar access
    n = len(idl)
    pos: dict[int, int] = {}
    for i, sid in enumerate(idl):
        if sid in pos:
            raise _err(path, lines[i], f"duplicate id {sid} (first at line {int(line[pos[sid]])})")
        pos[sid] = i
    roots = [i for i in range(n) if pl[i] < 0]
    for i in range(n):
        p = pl[i]
        if p >= 0 and p not in pos:
            raise _err(path, lines[i], f"parent id {p} of sample {idl[i]} does not exist")
        if p == idl[i]:
            raise _err(path, lines[i], f"sample {p} is its own parent (a cycle)")
    # cycles: a sample whose parent chain never reaches a root
    state = [0] * n  # 0 unknown, 1 on stack, 2 reaches a root
    for i0 in range(n):
        chain = []
        i = i0
        while i >= 0 and state[i] == 0:
            state[i] = 1
            chain.append(i)
            p = pl[i]
            i = pos[p] if p >= 0 else -1
        if i >= 0 and state[i] == 1:
            cyc = [idl[j] for j in chain[chain.index(i) :]]
            raise _err(
                path,
                lines[i],
                f"the parents form a cycle through ids {' -> '.join(map(str, cyc + [cyc[0]]))}",
            )
        for j in chain:
            state[j] = 2
    if len(roots) > 1:
        raise _err(
            path,
            int(line[roots[1]]),
            f"a second root (parent -1; the first is at line {int(line[roots[0]])}): "
            "a file must hold one tree",
        )
    if not roots:  # unreachable: without a root every chain is a cycle
        raise _err(path, None, "no root sample (parent -1)")
    # order: file order when every parent comes first (NEURON's order for files
    # whose ids increase); else id order when parents have smaller ids (NEURON sorts)
    file_ok = all(pl[i] < 0 or pos[pl[i]] < i for i in range(n))
    if file_ok:
        order = list(range(n))
    elif all(pl[i] < idl[i] for i in range(n)):
        order = np.argsort(ids, kind="stable").tolist()
    else:
        bad = next(i for i in range(n) if pl[i] >= 0 and pos[pl[i]] > i)
        raise _err(
            path,
            lines[bad],
            f"parent {pl[bad]} of sample {idl[bad]} comes later in the file and "
            "has a larger id; list parents before their children",
        )
    newpos = [0] * n
    for k, i in enumerate(order):
        newpos[i] = k
    pidx = np.array([-1 if pl[i] < 0 else newpos[pos[pl[i]]] for i in order], dtype=np.int64)
    t = tab[order]
    return _Samples(
        path=path,
        id=ids[order],
        type=t[:, 1].astype(np.int64),
        x=t[:, 2].copy(),
        y=t[:, 3].copy(),
        z=t[:, 4].copy(),
        d=t[:, 5] * 2.0,
        pid=pidx,
        line=line[order],
    )


def _import3d_sections(s: _Samples) -> list[_I3dSec]:
    """Import3d_SWC_read's sectionify + mksections, then chk_valid."""
    n = len(s.id)
    typ = s.type.tolist()
    pid = s.pid.tolist()  # parent index per point (NEURON's pix2ix)

    # mark_branch: number of children (+.01 when non-contiguous or of another type)
    nchild = [0.0] * n
    connect2prox = [0] * n
    for i in range(n):
        p = pid[i]
        if p >= 0:
            nchild[p] += 1
            if p != i - 1:
                nchild[p] += 0.01
                if p > 1:
                    if typ[p] != 1 and typ[pid[p]] == 1:
                        connect2prox[i] = 1
                        nchild[p] = 1
                elif p == 0 and typ[p] != 1:
                    connect2prox[i] = 1
                    nchild[p] = 1
            if typ[p] != typ[i]:
                nchild[p] += 0.01
    nchild_soma = [0] * n
    nsoma = 1 if typ[0] == 1 else 0
    for i in range(1, n):
        if typ[i] == 1:
            nsoma += 1
            p = pid[i]
            if p >= 0 and typ[p] == 1:
                nchild_soma[p] += 1
    soma3geom = False
    if (
        nsoma == 3
        and n >= 3
        and pid[1] == 0
        and pid[2] == 0
        and nchild[1] == 0
        and nchild[2] == 0
        and s.d[1] == s.d[0]
        and s.d[2] == s.d[0]
    ):
        length = 0.0
        for i in (1, 2):
            length += math.sqrt(
                (s.x[i] - s.x[0]) ** 2 + (s.y[i] - s.y[0]) ** 2 + (s.z[i] - s.z[0]) ** 2
            )
        if abs(length / s.d[0] - 1) < 0.01:
            soma3geom = True
            pid[2] = 1  # NeuroMorpho sphere: one soma section, its first point only
    for i in range(n - 1):
        # contiguous soma points continue a section unless the parent branches
        if typ[i] == 1 and typ[i + 1] == 1 and pid[i + 1] == i and (i == 0 or nchild_soma[i] <= 1):
            nchild[i] = 1
    ends = [i for i in range(n) if nchild[i] != 1]
    point2sec = [0] * n
    si = 0
    for i in range(1, n):
        if i > ends[si]:
            si += 1
        point2sec[i] = si

    secs: list[_I3dSec] = []

    def mksection(isec: int, first: int, i: int) -> None:
        if isec == 0:
            if soma3geom:
                i = 1
            sec = _I3dSec(first_pt=first, cols=list(range(first, i)), type=typ[first])
        else:
            pf = pid[first]
            psec = secs[point2sec[pf]]
            sec = _I3dSec(first_pt=first, cols=[pf, *range(first, i)], type=typ[first])
            sec.parent = psec
            den_con_soma = psec.type == 1 and typ[first] != 1
            con_soma = psec.type == 1
            handled = False
            if psec is secs[0]:
                handled = True
                if den_con_soma and len(psec.cols) == 1:
                    sec.parentx = 0.5
                    if i - first > 1:
                        sec.first = 1
                elif pf == psec.first_pt:
                    sec.parentx = 0.0
                    if typ[first] != 1 and nchild_soma[pf] > 1:
                        sec.first = 1
                else:
                    handled = False
            if not handled and con_soma:
                offset = -1 if psec.first_pt == 0 else -2
                if pf < psec.first_pt + len(psec.cols) + offset:
                    sec.parentx = 0.5
                    if den_con_soma and i - first > 1:
                        sec.first = 1
                elif i - first > 1 and nchild_soma[pf] > 1 and typ[first] != 1:
                    sec.first = 1
        secs.append(sec)
        if sec.parent is not None and sec.parent.type == 1 and sec.type != 1:
            sec.d0 = float(s.d[sec.cols[1]])
        if connect2prox[first]:
            sec.parentx = 0.0

    isec = 0
    first = 0
    for i in range(n):
        if point2sec[i] > isec:
            mksection(isec, first, i)
            isec += 1
            first = i
    mksection(isec, first, n)

    for sec in secs:
        sec.raw = np.column_stack([s.x[sec.cols], s.y[sec.cols], s.z[sec.cols], s.d[sec.cols]])
        if sec.d0 is not None:
            sec.raw[0, 3] = sec.d0
        sec.line = int(s.line[sec.first_pt])
    return _chk_valid(secs)


def _points(sec: _I3dSec) -> np.ndarray:
    """The section's pt3dadd arguments, as Import3d_GUI.instantiate writes them."""
    rows = sec.raw[sec.first :].tolist()
    if len(rows) == 1:  # sphere_rep: a 3-point cylinder along x with L = diam
        x0, y0, z0, d0 = rows[0]
        rows = [[x0 - d0 / 2, y0, z0, d0], [x0, y0, z0, d0], [x0 + d0 / 2, y0, z0, d0]]
    return np.array([[_fmt8(v) for v in r] for r in rows])


def load_morphology(
    path: str | os.PathLike,
    name: str | None = None,
    *,
    type_names: Mapping[int, str] | None = None,
    Ra: float = 35.4,
    cm: float = 1.0,
):
    """Build a :class:`~electrical.morphology.Cell` from a morphology file as NEURON's Import3d.

    Parameters
    ----------
    path : str or path
        An SWC (``.swc``) or Neurolucida ASCII (``.asc``) file.
    name : str, optional
        Cell name (default: the file's stem).
    type_names : mapping int -> str, optional
        Extra section-list names for SWC types (``{5: "trunk", 6: "tuft"}``);
        the NEURON names (``somatic``, ``dendritic_5``, ...) are always there.
    Ra : float
        Axial resistivity of every section [ohm*cm] (NEURON's default 35.4).
    cm : float
        Specific membrane capacitance [uF/cm2] (NEURON's default 1).
    """
    from .morphology import Cell, Section

    p = str(path)
    suffix = Path(p).suffix.lower()
    if suffix == ".swc":
        samples = _read_swc_table(p)
        if len(samples.id) < 2:
            raise _err(
                p, int(samples.line[0]), "only one sample; a morphology needs at least two samples"
            )
        _check_with_morphio(p)
        secs = _import3d_sections(samples)
    elif suffix == ".asc":
        from ._morphology_asc import _asc_sections

        secs = _asc_sections(p)
    else:
        raise MorphologyError(
            f"{p}: unknown morphology format '{suffix or '(no suffix)'}'; "
            "give an SWC (.swc) or Neurolucida ASCII (.asc) file"
        )
    # names: numbered per type in section order (set_nameindex)
    counts: dict[int, int] = {}
    for sec in secs:
        sec.nameindex = counts.get(sec.type, 0)
        counts[sec.type] = sec.nameindex + 1
    cell = Cell(name or Path(p).stem)
    built: dict[int, Section] = {}
    lists: dict[str, list[str]] = {"all": []}
    for sec in secs:
        sname = f"{_type_name(sec.type)}[{sec.nameindex}]"
        try:
            section = Section(sname, points=_points(sec), Ra=Ra, cm=cm)
        except ModelError as exc:
            where = "starting here" if sec.line is not None else "of the file"
            raise _err(p, sec.line, f"section {sname} {where}: {exc}") from None
        built[id(sec)] = section
        cell.add(section)
        if sec.parent is not None:
            section.connect(built[id(sec.parent)], sec.parentx)
        lists["all"].append(sname)
    # NEURON's allsec order: types in increasing order, then index
    order = sorted(secs, key=lambda q: (q.type, q.nameindex))
    lists["all"] = [f"{_type_name(q.type)}[{q.nameindex}]" for q in order]
    for q in order:
        names = [_list_name(q.type)]
        if type_names and q.type in type_names:
            names.append(str(type_names[q.type]))
        for ln in names:
            lists.setdefault(ln, []).append(f"{_type_name(q.type)}[{q.nameindex}]")
    cell._section_lists = lists  # read by Cell.sections_in
    cell.morphology_file = p
    return cell


# -- Neurolucida ASCII (.asc) --------------------------------------------------------------
