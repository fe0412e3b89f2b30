"""Node orders of the tree solver: the serial order and a rank's part of a split model.

Both re-root the tree (NEURON's node tree, parents before children) at chosen
nodes and renumber it; :func:`_reorder` is the one loop that carries the
parent links and the coefficients a, b over to a new order (swapping them
along the re-rooted paths).  Used by :mod:`electrical.discretize` (serial
order) and :mod:`electrical._split` (split order); imports neither.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .errors import InternalError

__all__ = ["solver_order", "split_order"]


def _adjacency(parent: np.ndarray, a: np.ndarray, b: np.ndarray, ncell: int):
    """(coef, nbrs): coef[(row, col)] of the tree matrix and each node's neighbours.

    In the original tree, b[c] multiplies v[parent] in row c and a[c]
    multiplies v[c] in row parent.
    """
    n = parent.size
    coef: dict[tuple[int, int], float] = {}
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for c in range(ncell, n):
        p = int(parent[c])
        coef[(c, p)] = b[c]
        coef[(p, c)] = a[c]
        nbrs[c].append(p)
        nbrs[p].append(c)
    return coef, nbrs


def _reorder(perm: np.ndarray, new_par_old: np.ndarray, coef: dict):
    """Parent links and coefficients in the order ``perm`` (``perm[new] = old``).

    ``new_par_old[old]`` is the node's parent (old numbering) in the re-rooted
    tree, -1 for a root.  Returns (parent, a, b) in the new numbering.
    """
    n = perm.size
    inv = np.empty(n, dtype=np.int64)
    inv[perm] = np.arange(n)
    new_parent = np.full(n, -1, dtype=np.int64)
    new_a = np.zeros(n)
    new_b = np.zeros(n)
    for new_i, old_i in enumerate(perm):
        p_old = new_par_old[old_i]
        if p_old < 0:
            continue
        new_parent[new_i] = inv[p_old]
        new_b[new_i] = coef[(int(old_i), int(p_old))]
        new_a[new_i] = coef[(int(p_old), int(old_i))]
    return new_parent, new_a, new_b


def solver_order(parent: np.ndarray, a: np.ndarray, b: np.ndarray, ncell: int):
    """Re-root each tree at its centre and order nodes by level (roots first).

    The tree system has one solution whatever node is the root; only the order
    of Hines elimination changes (and round-off, at 1e-15 relative).  Rooting
    at the centre and numbering by level makes consecutive nodes of the
    elimination loops belong to different branches, so their divisions overlap
    in the CPU pipeline instead of forming one serial chain (an unbranched
    cable becomes two interleaved chains of half the length).

    Returns (perm, parent, a, b) in the new order: ``perm[new] = old``.
    Re-rooting swaps a and b along the re-rooted path (:func:`_adjacency`).
    """
    n = parent.size
    coef, nbrs = _adjacency(parent, a, b, ncell)
    new_par_old = np.full(n, -1, dtype=np.int64)
    levels: list[list[int]] = []
    for r in range(ncell):
        comp = _bfs(r, nbrs)
        centre = _centre(comp, nbrs)
        lev = [centre]
        seen = {centre}
        depth = 0
        while lev:
            if len(levels) <= depth:
                levels.append([])
            levels[depth].extend(lev)
            nxt = []
            for u in lev:
                for w in nbrs[u]:
                    if w not in seen:
                        seen.add(w)
                        new_par_old[w] = u
                        nxt.append(w)
            lev = nxt
            depth += 1
    perm = np.array([u for lev in levels for u in lev], dtype=np.int64)
    return (perm, *_reorder(perm, new_par_old, coef))


def _bfs(r: int, nbrs: list[list[int]]) -> list[int]:
    seen = {r}
    out = [r]
    k = 0
    while k < len(out):
        for w in nbrs[out[k]]:
            if w not in seen:
                seen.add(w)
                out.append(w)
        k += 1
    return out


def _centre(comp: list[int], nbrs: list[list[int]]) -> int:
    """A node of minimal eccentricity (middle of a longest path)."""
    far = _bfs(comp[0], nbrs)[-1]
    # BFS from far with parents to recover the longest path
    par = {far: -1}
    queue = [far]
    k = 0
    while k < len(queue):
        u = queue[k]
        for w in nbrs[u]:
            if w not in par:
                par[w] = u
                queue.append(w)
        k += 1
    end = queue[-1]
    path = [end]
    while par[path[-1]] != -1:
        path.append(par[path[-1]])
    return path[len(path) // 2]


def split_order(parent, a, b, ncell, centres, is_trunk, key):
    """Orientation and node order of a rank's part of a split model.

    The part (trunk + owned subtrees) is re-rooted at ``centres`` (the local
    nodes that are the roots of the serial solver's tree) exactly as the serial
    solver re-roots the whole cell, so every node has the serial parent and
    coefficients.  Order: trunk nodes, then the subtree roots (off the trunk,
    parent in the trunk), then the other subtree nodes, each group by ``key``
    (the node's index in the serial order, so parents come first).

    Returns (perm, parent, a, b, ntrunk, nsr) in the new order, ``perm[new] = old``.
    Inconsistent input is a bug of the engine (:class:`InternalError`).
    """
    n = parent.size
    coef, nbrs = _adjacency(parent, a, b, ncell)
    new_par_old = np.full(n, -1, dtype=np.int64)
    seen = {int(c) for c in centres}
    queue = deque(int(c) for c in centres)
    while queue:
        u = queue.popleft()
        for w in nbrs[u]:
            if w not in seen:
                seen.add(w)
                new_par_old[w] = u
                queue.append(w)
    if len(seen) != n:
        raise InternalError("split_order: a rank's part is not connected; please report")
    group = np.where(is_trunk, 0, 2)
    sub_root = (~is_trunk) & (new_par_old >= 0) & is_trunk[np.maximum(new_par_old, 0)]
    group[sub_root] = 1
    cset = {int(c) for c in centres}
    if any(is_trunk[u] and not is_trunk[new_par_old[u]] for u in range(n) if u not in cset):
        raise InternalError("split_order: the trunk is not connected to the roots; please report")
    perm = np.lexsort((key, group)).astype(np.int64)
    new_parent, new_a, new_b = _reorder(perm, new_par_old, coef)
    if np.any(new_parent[ncell:] >= np.arange(ncell, n)) or np.any(new_parent[:ncell] != -1):
        raise InternalError("split_order: a parent follows its child; please report")
    ntrunk = int(is_trunk.sum())
    return perm, new_parent, new_a, new_b, ntrunk, int(sub_root.sum())
