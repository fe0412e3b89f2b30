"""Distributing a model over MPI ranks: whole cells, or cells split into subtrees.

DESIGN.md section 7, level 1.  Two layouts, chosen by :func:`partition`:

- ``"cells"`` (at least as many cells as ranks): whole cells are dealt out,
  heaviest first, to the least loaded rank.  Cells do not couple electrically,
  so ranks never communicate during a step.
- ``"split"`` (fewer cells than ranks): every cell is cut into a small
  *trunk*, replicated on every rank, and *subtrees* hanging off trunk nodes,
  each owned whole by one rank.  The trunk starts as the root section (the
  soma); while the ranks are unbalanced, the root section of the heaviest
  subtree that has children joins the trunk (so its children, e.g. the spines
  on a dendrite, become subtrees of their own).  A spine (neck, head, PSD) is
  one subtree of its dendrite.  Each step, every rank eliminates its subtrees
  into the trunk nodes (Hines, leaves first); the trunk terms of all ranks
  are summed (one collective of 2 x trunk-node doubles); every rank solves
  the trunk identically and back-substitutes its own subtrees.  The results
  equal the serial solver's to round-off (the order of the sums differs).

Load: a section costs ``nseg * (1 + sum of its density mechanisms' cost)``
plus the cost of its point processes (:attr:`Mechanism.cost`, relative cost
of one instance per step, 1 by default).  The trunk counts on every rank.

The partition depends only on the model description, so every rank computes
the same one (the engine checks that with one ``allgather``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from .errors import ModelError
from .morphology import Cell, Section

__all__ = ["BALANCE_TOL", "MAX_TRUNK_FRACTION", "Partition", "partition", "split_order"]

#: Stop deepening the trunk when the most loaded rank carries at most this fraction
#: more than the mean (a 5% imbalance costs 5% of the parallel speed-up).
BALANCE_TOL = 0.05
#: ... or when the trunk, computed by every rank, reaches this fraction of the cost.
MAX_TRUNK_FRACTION = 0.25


def section_cost(sec: Section, points_by_section: dict[int, list]) -> float:
    """Estimated cost of a section per step (see the module docstring)."""
    per_seg = 1.0 + sum(sec.mechanism_class(m).cost for m in sec.mechs)
    return sec.nseg * per_seg + sum(p.mech.cost for p in points_by_section.get(id(sec), ()))


@dataclass
class Partition:
    """Which rank computes which section.

    Attributes
    ----------
    nranks : int
        Number of ranks.
    mode : {"serial", "cells", "split"}
        See the module docstring.
    owner : dict
        id(section) -> rank that computes it, or -1 for a trunk section
        (computed by every rank).
    trunk : set of int
        ids of the trunk sections (empty unless ``mode == "split"``).
    loads : list of dict
        Per rank: ``compartments`` (segments computed, trunk included),
        ``cost`` (estimated, same unit as :func:`section_cost`), ``subtrees``
        (subtrees or cells owned) and ``trunk_compartments``.
    """

    nranks: int
    mode: str
    owner: dict[int, int] = field(default_factory=dict)
    trunk: set[int] = field(default_factory=set)
    loads: list[dict] = field(default_factory=list)

    def owner_of(self, sec: Section) -> int:
        """Rank that computes ``sec``; -1 for a trunk section (every rank)."""
        try:
            return self.owner[id(sec)]
        except KeyError:
            raise ModelError(f"section '{sec.name}' is not part of the simulated model") from None

    def computes(self, sec: Section, rank: int) -> bool:
        """True when ``rank`` computes ``sec`` (its own sections and the trunk)."""
        own = self.owner_of(sec)
        return own == rank or own == -1

    def signature(self) -> tuple:
        """A summary that equal partitions of equal models share (checked across ranks)."""
        return (
            self.nranks,
            self.mode,
            len(self.owner),
            len(self.trunk),
            tuple(round(ld["cost"], 6) for ld in self.loads),
        )

    def __repr__(self) -> str:
        costs = ", ".join(f"{ld['cost']:.0f}" for ld in self.loads)
        return f"<Partition mode={self.mode} nranks={self.nranks} cost_per_rank=[{costs}]>"


def _lpt(costs: list[float], nranks: int, base: float = 0.0) -> tuple[list[int], np.ndarray]:
    """Longest processing time first: item -> rank, and the rank loads."""
    loads = np.full(nranks, base)
    assign = [0] * len(costs)
    for k in sorted(range(len(costs)), key=lambda k: (-costs[k], k)):
        r = int(np.argmin(loads))  # lowest rank among equals: deterministic
        assign[k] = r
        loads[r] += costs[k]
    return assign, loads


def _subtree_sections(root: Section) -> list[Section]:
    out, stack = [], [root]
    while stack:
        sec = stack.pop()
        out.append(sec)
        stack.extend(reversed(sec.children))
    return out


def partition(cells: list[Cell], nranks: int) -> Partition:
    """Partition ``cells`` over ``nranks`` ranks (see the module docstring)."""
    nranks = int(nranks)
    if nranks < 1:
        raise ModelError(f"partition: nranks = {nranks} must be >= 1")
    points: dict[int, list] = {}
    for cell in cells:
        for inst in cell.point_processes:
            points.setdefault(id(inst.location.section), []).append(inst)
    cost = {id(s): section_cost(s, points) for c in cells for s in c.sections}
    nseg = {id(s): s.nseg for c in cells for s in c.sections}
    part = Partition(nranks, "serial")
    if nranks == 1:
        part.owner = {id(s): 0 for c in cells for s in c.sections}
        total = sum(cost.values())
        part.loads = [{"compartments": sum(nseg.values()), "cost": total,
                       "subtrees": len(cells), "trunk_compartments": 0}]
        return part
    if len(cells) >= nranks:
        part.mode = "cells"
        ccost = [sum(cost[id(s)] for s in c.sections) for c in cells]
        assign, loads = _lpt(ccost, nranks)
        part.loads = [{"compartments": 0, "cost": 0.0, "subtrees": 0, "trunk_compartments": 0}
                      for _ in range(nranks)]
        for c, r in zip(cells, assign):
            for s in c.sections:
                part.owner[id(s)] = r
                part.loads[r]["compartments"] += s.nseg
                part.loads[r]["cost"] += cost[id(s)]
            part.loads[r]["subtrees"] += 1
        return part
    part.mode = "split"
    total = sum(cost.values())
    trunk: list[Section] = [c.root() for c in cells]
    in_trunk = {id(s) for s in trunk}
    sub_cost: dict[int, float] = {}

    def cost_of(root: Section) -> float:
        if id(root) not in sub_cost:
            sub_cost[id(root)] = sum(cost[id(s)] for s in _subtree_sections(root))
        return sub_cost[id(root)]

    while True:
        roots = [ch for t in trunk for ch in t.children if id(ch) not in in_trunk]
        tcost = sum(cost[id(s)] for s in trunk)
        costs = [cost_of(r) for r in roots]
        assign, loads = _lpt(costs, nranks, base=tcost)
        if loads.max() <= (1.0 + BALANCE_TOL) * loads.mean():
            break
        expandable = [k for k, r in enumerate(roots) if r.children]
        if not expandable:
            break
        k = max(expandable, key=lambda k: (costs[k], -k))
        if tcost + cost[id(roots[k])] > MAX_TRUNK_FRACTION * total:
            break
        trunk.append(roots[k])
        in_trunk.add(id(roots[k]))
    part.trunk = set(in_trunk)
    for root in roots:  # longitudinal diffusion may not cross a cut
        up = root.parent
        for m in set(root.mechs) & set(up.mechs):
            if root.mechanism_class(m).diffusion:
                raise ModelError(
                    f"cannot split cell between '{up.name}' and '{root.name}': mechanism '{m}' "
                    "diffuses along the cable across the cut; run this model on fewer ranks"
                )
    tcomp = sum(s.nseg for s in trunk)
    part.loads = [{"compartments": tcomp, "cost": tcost, "subtrees": 0,
                   "trunk_compartments": tcomp} for _ in range(nranks)]
    for s in trunk:
        part.owner[id(s)] = -1
    for root, r in zip(roots, assign):
        for s in _subtree_sections(root):
            part.owner[id(s)] = r
            part.loads[r]["compartments"] += s.nseg
            part.loads[r]["cost"] += cost[id(s)]
        part.loads[r]["subtrees"] += 1
    return part


def split_order(parent: np.ndarray, ncell: int, is_trunk: np.ndarray):
    """Node order of a rank's part of a split model (parents before children).

    Roots first, then the other trunk nodes (breadth first from the roots),
    then the roots of the subtrees (nodes off the trunk whose parent is a
    trunk node), then the remaining subtree nodes level by level.  Returns
    (perm, ntrunk, nsr) with ``perm[new] = old``: nodes [0, ntrunk) are the
    trunk, [ntrunk, ntrunk + nsr) the subtree roots.
    """
    n = parent.size
    children: list[list[int]] = [[] for _ in range(n)]
    for c in range(ncell, n):
        children[int(parent[c])].append(c)
    order = list(range(ncell))
    queue = deque(order)
    sub_roots: list[int] = []
    while queue:
        u = queue.popleft()
        for c in children[u]:
            if is_trunk[c]:
                order.append(c)
                queue.append(c)
            else:
                sub_roots.append(c)
    ntrunk = len(order)
    level = sub_roots
    while level:
        order.extend(level)
        level = [c for u in level for c in children[u]]
    if len(order) != n or any(is_trunk[u] for u in order[ntrunk:]):
        raise ModelError("split_order: the trunk is not connected to the roots; please report")
    return np.array(order, dtype=np.int64), ntrunk, len(sub_roots)
