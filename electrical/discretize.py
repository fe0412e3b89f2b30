"""Cells -> arrays: NEURON's spatial discretisation.

Each section of ``nseg`` segments has a node at every segment centre and one
zero-area node at its 1 end; its 0 end is the parent's node at the connection
point (NEURON's ``node_exact``: x = 0 the parent's own connection node, x = 1
its end node, otherwise the centre of segment ``int(nseg*x)``).  A root
section's 0 end is a zero-area root node.

Per node (NEURON ``nrn_area_ri`` and ``connection_coef``, treeset.cpp):

- area [um2]: pi*diam*dx for a centre (frustum integration with 3-D points);
  1e2 for zero-area nodes, which makes their equation one in nA and uS.
- rinv [uS] to the parent node: 1/(left half of this segment + right half of
  the previous one), with half-segment resistances 1e-2*Ra*(dx/2)/(pi*d^2/4)
  [MOhm]; the first centre sees only its own left half, the end node only
  the last right half.
- b = -1e2*rinv/area(node) (effect of the parent on this node's equation),
  a = -1e2*rinv/area(parent) (effect of this node on the parent's equation),
  both in S/cm2 (uS for zero-area nodes).

Root nodes come first (``ncell`` of them), then every other node after its
parent, so Hines elimination runs from the last node back to ``ncell``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._ordering import solver_order, split_order
from .errors import InternalError, ModelError, TopologyError
from .mechanisms.base import ION_TABLE, Mechanism, ion_of_variable
from .morphology import Cell, Location, PointInstance, Section

__all__ = [
    "CompiledTree",
    "MechBlock",
    "compile_tree",
    "diffusion_neighbours",
    "section_geometry",
]

ZERO_AREA_UM2 = 1e2  # NEURON's convention for nodes without membrane


def _half_resistance_MOhm(Ra: float, length_um: float, diam_um: float) -> float:
    # ohm*cm * um / um^2 = 1e4 ohm = 1e-2 MOhm
    return 1e-2 * Ra * length_um / (math.pi * diam_um * diam_um / 4.0)


def _frustum_integrals(arc: np.ndarray, d: np.ndarray, s0: float, s1: float):
    """Integrate the piecewise-linear diameter over [s0, s1].

    Returns (sum of (d1+d2)*Delta, resistance sum Delta/(d1*d2), area sum
    (d1+d2)*sqrt(Delta^2 + ((d2-d1)/2)^2)), with NEURON's guards for zero
    lengths and diameters (diam_from_list in treeset.cpp).
    """
    inner = arc[(arc > s0) & (arc < s1)]
    s = np.concatenate([[s0], inner, [s1]])
    y = np.interp(s, arc, np.abs(d))
    dsum = rsum = asum = 0.0
    for k in range(len(s) - 1):
        delta = s[k + 1] - s[k]
        y1, y2 = y[k], y[k + 1]
        dsum += (y2 + y1) * delta
        delta_r = max(delta, 1e-15)
        temp = y2 * y1 / delta_r
        rsum += 1.0 / (temp if temp != 0 else 1e-15)
        asum += (y2 + y1) * math.sqrt(delta * delta + (0.5 * (y2 - y1)) ** 2)
    return dsum, rsum, asum


def section_geometry(sec: Section):
    """(area [um2] per segment, rinv [uS] per centre, rinv of the end node, diam per segment)."""
    n = sec.nseg
    area = np.empty(n)
    rinv = np.empty(n)
    diam = np.empty(n)
    if sec.points is None:
        dx = sec.L / n
        rleft = _half_resistance_MOhm(sec.Ra, dx / 2.0, sec.diam)
        area[:] = math.pi * sec.diam * dx
        diam[:] = sec.diam
        rright = 0.0
        for j in range(n):
            rinv[j] = 1.0 / (rleft + rright)
            rright = rleft
        return area, rinv, 1.0 / rright, diam
    pts = sec.points
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts[:, :3], axis=0), axis=1))])
    ds = arc[-1] / n
    rparent = 0.0
    rfac = sec.Ra / math.pi * (4.0 * 0.01)  # MOhm per (um / um^2)
    for j in range(n):
        si = j * ds
        d1, r1, a1 = _frustum_integrals(arc, pts[:, 3], si, si + ds / 2)
        d2, r2, a2 = _frustum_integrals(arc, pts[:, 3], si + ds / 2, si + ds)
        rleft, rright = r1 * rfac, r2 * rfac
        rinv[j] = 1.0 / (rparent + rleft)
        diam[j] = (d1 + d2) * 0.5 / ds
        area[j] = (a1 + a2) * 0.5 * math.pi
        if diam[j] <= 0:
            raise ModelError(f"{sec.name}: segment {j} has zero diameter from its 3-D points")
        rparent = rright
    return area, rinv, 1.0 / rparent, diam


@dataclass
class MechBlock:
    """All instances of one mechanism in a model, as structure-of-arrays."""

    cls: type[Mechanism]
    nodes: np.ndarray  # int64, node index of each instance
    params: dict[str, np.ndarray]
    states: dict[str, np.ndarray]
    currents: dict[str, np.ndarray]
    aux: np.ndarray
    instances: list[PointInstance] = field(default_factory=list)
    #: the mechanism's global values in this model (defaults and the user's)
    globals: dict[str, float] = field(default_factory=dict)
    area_factor: np.ndarray | None = None  # 1e2/area for point processes
    where: list[str] = field(default_factory=list)  # "sec(x)" per instance
    #: longitudinal diffusion (density mechanisms with ``diffusion``): per instance the
    #: instance index of the adjacent parent segment that carries the mechanism, or -1;
    #: a permutation with parents before children; cross-section pi*diam^2/4 [um2];
    #: L/nseg [um] (:func:`diffusion_neighbours`).
    diff_parent: np.ndarray | None = None
    diff_order: np.ndarray | None = None
    diff_area: np.ndarray | None = None
    diff_dx: np.ndarray | None = None


@dataclass
class CompiledTree:
    """The discretised model: tree matrix coefficients and mechanism blocks."""

    n: int
    ncell: int
    parent: np.ndarray
    a: np.ndarray
    b: np.ndarray
    area: np.ndarray
    cm: np.ndarray  # uF/cm2 at nodes with membrane, 0 elsewhere
    sec_centres: dict[int, np.ndarray]
    sec_end: dict[int, int]
    sec_parentnode: dict[int, int]
    sections: list[Section]
    cells: list[Cell]
    blocks: list[MechBlock]
    ions: dict[str, dict[str, np.ndarray]]  # ion -> {"e","i","o","cur"} per node
    celsius: float
    #: split solver (one rank's part): nodes [0, ntrunk) are the replicated trunk and
    #: [ntrunk, ntrunk + nsr) the roots of this rank's subtrees; -1 for a serial tree
    ntrunk: int = -1
    nsr: int = 0
    #: split solver: index of each node in the serial order of the whole model
    serial_index: np.ndarray | None = None

    def node_of(self, loc: Location) -> int:
        """Node index of a location (NEURON ``node_exact``)."""
        return _node_exact(self.sec_centres, self.sec_end, self.sec_parentnode, loc)

    def block(self, name: str) -> MechBlock | None:
        for blk in self.blocks:
            if blk.cls.name == name:
                return blk
        return None


def _ordered_sections(cell: Cell, include: set[int] | None = None) -> list[Section]:
    root = cell.root()
    order: list[Section] = []
    stack = [root] if include is None or id(root) in include else []
    while stack:
        sec = stack.pop()
        order.append(sec)
        stack.extend(c for c in reversed(sec.children) if include is None or id(c) in include)
    if include is not None:
        if len(order) != sum(id(s) in include for s in cell.sections):
            raise InternalError(f"cell '{cell.name}': a rank's sections are not connected")
    elif len(order) != len(cell.sections):
        missing = sorted(s.name for s in cell.sections if s not in order)
        raise TopologyError(
            f"cell '{cell.name}': sections not connected to the root: {missing[:5]}"
        )
    return order


def compile_tree(
    cells: list[Cell],
    celsius: float,
    mech_globals: dict[str, dict[str, float]] | None = None,
    *,
    sections: set[int] | None = None,
    trunk: set[int] | None = None,
    serial: CompiledTree | None = None,
    mechanisms: bool = True,
) -> CompiledTree:
    """Discretise ``cells`` and gather the mechanisms into structure-of-arrays blocks.

    ``sections`` (ids) restricts the model to those sections and the point
    processes on them: one rank's part of a split model, a connected part of
    each cell that contains its root.  ``trunk`` (ids) orders the nodes for
    the split solver (:func:`electrical._ordering.split_order`), oriented as in
    ``serial`` (the whole model's tree in the serial order) instead of the
    serial solver order; ``ntrunk``, ``nsr`` and ``serial_index`` of the
    result then give the trunk and subtree-root ranges and each node's index
    in ``serial``.  ``mechanisms=False`` skips the mechanism blocks (topology only).
    """
    mech_globals = mech_globals or {}
    names = [c.name for c in cells]
    if len(set(names)) != len(names):
        raise ModelError(f"cell names must be unique, got {names}")
    ordered = [_ordered_sections(c, sections) for c in cells]
    ncell = len(cells)
    parent: list[int] = [-1] * ncell
    area: list[float] = [ZERO_AREA_UM2] * ncell
    cm: list[float] = [0.0] * ncell
    rinv: list[float] = [0.0] * ncell
    sec_centres: dict[int, np.ndarray] = {}
    sec_end: dict[int, int] = {}
    sec_parentnode: dict[int, int] = {}
    all_secs: list[Section] = []
    for ci, secs in enumerate(ordered):
        for sec in secs:
            all_secs.append(sec)
            if sec.parent is None:
                pnode = ci
            else:
                pnode = _node_exact(
                    sec_centres, sec_end, sec_parentnode, Location(sec.parent, sec.parent_x)
                )
            sec_parentnode[id(sec)] = pnode
            seg_area, seg_rinv, end_rinv, _ = section_geometry(sec)
            first = len(parent)
            for j in range(sec.nseg):
                parent.append(pnode if j == 0 else first + j - 1)
                area.append(seg_area[j])
                cm.append(sec.cm)
                rinv.append(seg_rinv[j])
            sec_centres[id(sec)] = np.arange(first, first + sec.nseg)
            parent.append(first + sec.nseg - 1)
            area.append(ZERO_AREA_UM2)
            cm.append(0.0)
            rinv.append(end_rinv)
            sec_end[id(sec)] = first + sec.nseg
    n = len(parent)
    par = np.array(parent, dtype=np.int64)
    ar = np.array(area)
    ri = np.array(rinv)
    a = np.zeros(n)
    b = np.zeros(n)
    nonroot = np.arange(ncell, n)
    if np.any(par[nonroot] >= nonroot):
        raise InternalError("node order: a parent follows its child; please report")
    b[nonroot] = -1e2 * ri[nonroot] / ar[nonroot]
    a[nonroot] = -1e2 * ri[nonroot] / ar[par[nonroot]]
    ntrunk, nsr = -1, 0
    serial_index = None
    if trunk is None:
        # Solver order: re-root every cell at its centre and number nodes by level.
        perm, par, a, b = solver_order(par, a, b, ncell)
    else:
        # Split order (electrical._split): oriented as the serial solver's tree, trunk first.
        if serial is None:
            raise InternalError("compile_tree(trunk=...) needs the serial tree; please report")
        is_trunk = np.zeros(n, dtype=bool)
        is_trunk[:ncell] = True
        key = np.empty(n, dtype=np.int64)  # index of each node in the serial order
        for ci, cell in enumerate(cells):
            key[ci] = serial.sec_parentnode[id(cell.root())]
        for sec in all_secs:
            key[sec_centres[id(sec)]] = serial.sec_centres[id(sec)]
            key[sec_end[id(sec)]] = serial.sec_end[id(sec)]
            if id(sec) in trunk:
                is_trunk[sec_centres[id(sec)]] = True
                is_trunk[sec_end[id(sec)]] = True
        where = {int(k): i for i, k in enumerate(key)}
        centres = [where[c] for c in range(serial.ncell)]  # serial roots come first
        perm, par, a, b, ntrunk, nsr = split_order(par, a, b, ncell, centres, is_trunk, key)
        serial_index = key[perm]
    inv = np.empty(n, dtype=np.int64)
    inv[perm] = np.arange(n)
    ar = ar[perm]
    cm = list(np.asarray(cm)[perm])
    sec_centres = {k: inv[v] for k, v in sec_centres.items()}
    sec_end = {k: int(inv[v]) for k, v in sec_end.items()}
    sec_parentnode = {k: int(inv[v]) for k, v in sec_parentnode.items()}

    tree = CompiledTree(
        n=n,
        ncell=ncell,
        parent=par,
        a=a,
        b=b,
        area=ar,
        cm=np.array(cm),
        sec_centres=sec_centres,
        sec_end=sec_end,
        sec_parentnode=sec_parentnode,
        sections=all_secs,
        cells=list(cells),
        blocks=[],
        ions={},
        celsius=float(celsius),
        ntrunk=ntrunk,
        nsr=nsr,
        serial_index=serial_index,
    )
    if mechanisms:
        _compile_mechanisms(tree, mech_globals, sections)
    return tree


def _node_exact(sec_centres, sec_end, sec_parentnode, loc: Location) -> int:
    """Node index of a location (NEURON ``node_exact``): 0 end, 1 end or segment centre."""
    key = id(loc.section)
    if key not in sec_centres:
        raise TopologyError(f"{loc} is not part of the simulated model")
    if loc.x == 0.0:
        return sec_parentnode[key]
    if loc.x == 1.0:
        return sec_end[key]
    return int(sec_centres[key][loc.segment_index()])


def _attach_segment(parent: Section | None, x: float) -> tuple[Section, int] | None:
    """The segment whose node a child attached at ``parent(x)`` connects to, or None.

    x = 1 is the parent's zero-area end node, which joins its last segment;
    x = 0 is the parent's own connection node (recursively); a root's 0 end
    is a zero-area root node with no segment.
    """
    while parent is not None:
        if x == 1.0:
            return parent, parent.nseg - 1
        if x > 0.0:
            return parent, Location(parent, x).segment_index()
        parent, x = parent.parent, parent.parent_x
    return None


def diffusion_neighbours(
    pairs: list[tuple[Section, int]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Neighbour structure of the instances (section, segment) of one density mechanism.

    Returns ``(parent, order, area_um2, dx_um)``: for each instance the index
    of the instance on the adjacent segment towards the root if that segment
    carries the mechanism too, else -1; a permutation of the instances in
    which every parent precedes its children (by depth); the cross-section
    pi*diam^2/4 [um2] and the length L/nseg [um] of each instance's segment.
    """
    index = {(id(s), j): k for k, (s, j) in enumerate(pairs)}
    parent = np.full(len(pairs), -1, dtype=np.int64)
    area = np.empty(len(pairs))
    dx = np.empty(len(pairs))
    diams: dict[int, np.ndarray] = {}
    for k, (sec, j) in enumerate(pairs):
        if id(sec) not in diams:
            diams[id(sec)] = section_geometry(sec)[3]
        area[k] = math.pi * diams[id(sec)][j] ** 2 / 4.0
        dx[k] = sec.L / sec.nseg
        up = (sec, j - 1) if j > 0 else _attach_segment(sec.parent, sec.parent_x)
        if up is not None and (id(up[0]), up[1]) in index:
            parent[k] = index[(id(up[0]), up[1])]
    depth = np.zeros(len(pairs), dtype=np.int64)
    for k in range(len(pairs)):
        p, n = parent[k], 0
        while p >= 0:
            p, n = parent[p], n + 1
            if n > len(pairs):
                raise InternalError("diffusion neighbours form a cycle; please report")
        depth[k] = n
    if np.all(parent < np.arange(len(pairs))):  # storage order already has parents first
        order = np.arange(len(pairs), dtype=np.int64)  # (node order: the walks go forwards)
    else:
        order = np.argsort(depth, kind="stable").astype(np.int64)
    return parent, order, area, dx


def _compile_mechanisms(
    tree: CompiledTree,
    mech_globals: dict[str, dict[str, float]],
    sections: set[int] | None = None,
) -> None:
    density: dict[str, list[tuple[Section, int]]] = {}
    classes: dict[str, type[Mechanism]] = {}
    for sec in tree.sections:
        for mname in sec.mechs:
            cls = sec.mechanism_class(mname)
            if mname in classes and classes[mname] is not cls:
                raise ModelError(f"two different mechanism classes are named '{mname}'")
            classes[mname] = cls
            for j in range(sec.nseg):
                density.setdefault(mname, []).append((sec, j))
    points: dict[str, list[PointInstance]] = {}
    for cell in tree.cells:
        for inst in cell.point_processes:
            if sections is not None and id(inst.location.section) not in sections:
                continue  # on a section another rank computes
            if id(inst.location.section) not in tree.sec_centres:
                raise TopologyError(f"{inst.name} sits at {inst.location}, outside the model")
            cls = inst.mech
            if cls.name in classes and classes[cls.name] is not cls:
                raise ModelError(f"two different mechanism classes are named '{cls.name}'")
            classes[cls.name] = cls
            points.setdefault(cls.name, []).append(inst)

    # ions used anywhere
    used_ions: set[str] = set()
    for cls in classes.values():
        used_ions.update(cls.ions())
    for ion in sorted(used_ions):
        arrs = {}
        spec = ION_TABLE[ion]
        for kind, default in (("e", spec.e_mV), ("i", spec.ci_mM), ("o", spec.co_mM)):
            arr = np.full(tree.n, default)
            var = {"e": f"e{ion}", "i": f"{ion}i", "o": f"{ion}o"}[kind]
            for sec in tree.sections:
                if var in sec.ion_values:
                    arr[tree.sec_centres[id(sec)]] = sec.ion_values[var]
            arrs[kind] = arr
        arrs["cur"] = np.zeros(tree.n)
        tree.ions[ion] = arrs

    order = sorted(classes, key=lambda m: (classes[m].priority, classes[m].is_point, m))
    for mname in order:
        cls = classes[mname]
        globs = {k: p.default for k, p in cls.globals.items()}
        for k, v in mech_globals.get(mname, {}).items():
            if k not in cls.globals:
                from .errors import UnknownParameterError, did_you_mean

                raise UnknownParameterError(
                    f"mechanism '{mname}' has no global '{k}'{did_you_mean(k, cls.globals)}"
                )
            globs[k] = cls.globals[k].check(v, f"{mname}.{k}")
        if cls.is_point:
            insts = points[mname]
            aux = np.ascontiguousarray(cls.make_aux(tree.celsius, globs, insts), dtype=np.float64)
            nodes = np.array([tree.node_of(i.location) for i in insts], dtype=np.int64)
            params = {
                p: np.array([i.spec.values.get(p, spec.default) for i in insts])
                for p, spec in cls.params.items()
            }
            blk = MechBlock(
                cls,
                nodes,
                params,
                {},
                {},
                aux,
                instances=list(insts),
                area_factor=1e2 / tree.area[nodes],
                where=[str(i.location) for i in insts],
            )
        else:
            # instances in node order: the step loop then walks every array forwards
            pairs = sorted(density[mname], key=lambda sj: tree.sec_centres[id(sj[0])][sj[1]])
            aux = np.ascontiguousarray(cls.make_aux(tree.celsius, globs, []), dtype=np.float64)
            nodes = np.array([tree.sec_centres[id(s)][j] for s, j in pairs], dtype=np.int64)
            params = {p: np.array([s.mechs[mname][p][j] for s, j in pairs]) for p in cls.params}
            if "diam" in cls.geometry:  # from the morphology, not from the user
                geo = {id(s): section_geometry(s)[3] for s, _ in pairs}
                params["diam"] = np.array([geo[id(s)][j] for s, j in pairs])
            blk = MechBlock(
                cls,
                nodes,
                params,
                {},
                {},
                aux,
                where=[f"{s.name}({(j + 0.5) / s.nseg:g})" for s, j in pairs],
            )
            if cls.diffusion:
                (blk.diff_parent, blk.diff_order, blk.diff_area, blk.diff_dx) = (
                    diffusion_neighbours(pairs)
                )
        m = len(nodes)
        blk.globals = dict(globs)
        blk.states = {s: np.full(m, spec.default) for s, spec in cls.states.items()}
        blk.currents = {c: np.zeros(m) for c in cls.currents}
        for var in (*cls.reads, *cls.writes):
            ion_of_variable(var)
        tree.blocks.append(blk)
