"""The MPI partitioner (electrical._split): balance, every section computed exactly once.

No MPI is needed: :func:`partition` is a pure function of the model description,
and :func:`compile_tree` builds one rank's part from it.
"""

from __future__ import annotations

import numpy as np
import pytest

from electrical import Cell
from electrical._split import BALANCE_TOL, partition, serial_root_sections, split_order
from electrical.discretize import compile_tree
from electrical.errors import InternalError, ModelError


def _tree_cell(name="c", seed=0, nsec=40):
    """A soma with 4 random dendritic trees and a few 3-section 'spines' on them."""
    rng = np.random.default_rng(seed)
    cell = Cell(name)
    soma = cell.section("soma", L=15, diam=15)
    soma.insert("pas")
    secs = [soma]
    for k in range(nsec):
        par = secs[0] if k < 4 else secs[int(rng.integers(1, len(secs)))]
        sec = cell.section(f"d{k}", L=50, diam=1, nseg=int(rng.integers(1, 12)),
                           parent=par(float(rng.choice([0.5, 1.0]))))
        sec.insert("pas")
        if rng.random() < 0.3:
            sec.insert("hh")
        secs.append(sec)
    for k in range(15):  # spines: neck, head, psd
        host = secs[int(rng.integers(1, len(secs)))]
        neck = cell.section(f"neck{k}", L=1, diam=0.1, nseg=3, parent=host(rng.uniform(0.05, 1)))
        head = cell.section(f"head{k}", L=1, diam=1, parent=neck(1))
        psd = cell.section(f"psd{k}", L=0.05, diam=0.5, parent=head(1))
        for s in (neck, head, psd):
            s.insert("pas")
    return cell


@pytest.mark.parametrize("nranks", [2, 3, 4, 7])
def test_every_section_computed_once_and_trunk_everywhere(nranks):
    cell = _tree_cell()
    part = partition([cell], nranks)
    assert part.mode == "split"
    for sec in cell.sections:
        ranks = [r for r in range(nranks) if part.computes(sec, r)]
        if id(sec) in part.trunk:
            assert ranks == list(range(nranks))
        else:
            assert len(ranks) == 1
    # every subtree is whole: a non-trunk section is computed where its parent is,
    # unless its parent is in the trunk
    for sec in cell.sections:
        if sec.parent is not None and id(sec) not in part.trunk and id(sec.parent) not in part.trunk:
            assert part.owner_of(sec) == part.owner_of(sec.parent)
    # the trunk is connected from the root
    for sid in part.trunk:
        sec = next(s for s in cell.sections if id(s) == sid)
        assert sec.parent is None or id(sec.parent) in part.trunk
    # the load figures add up: every segment is counted once plus the trunk per rank
    trunk_segs = sum(s.nseg for s in cell.sections if id(s) in part.trunk)
    total = sum(s.nseg for s in cell.sections)
    comps = [ld["compartments"] for ld in part.loads]
    assert sum(comps) == total + (nranks - 1) * trunk_segs
    assert all(ld["trunk_compartments"] == trunk_segs for ld in part.loads)


@pytest.mark.parametrize("nranks", [2, 3, 4])
def test_load_is_balanced(nranks):
    part = partition([_tree_cell(seed=3, nsec=80)], nranks)
    costs = np.array([ld["cost"] for ld in part.loads])
    assert costs.max() <= (1 + BALANCE_TOL) * costs.mean()


def test_spines_of_a_trunk_dendrite_are_subtrees_of_their_own():
    """One dendrite carrying all spines: the dendrite joins the trunk, the spines spread."""
    cell = Cell("spiny")
    soma = cell.section("soma", L=15, diam=15)
    dend = cell.section("dend", L=200, diam=1, nseg=11, parent=soma(1))
    other = cell.section("other", L=20, diam=1, nseg=1, parent=soma(0))
    for k in range(40):
        neck = cell.section(f"neck{k}", L=1, diam=0.1, nseg=3, parent=dend((k + 0.5) / 40))
        head = cell.section(f"head{k}", L=1, diam=1, parent=neck(1))
        cell.section(f"psd{k}", L=0.05, diam=0.5, parent=head(1))
    part = partition([cell], 2)
    assert id(dend) in part.trunk and id(other) not in part.trunk
    owners = {part.owner_of(cell[f"neck{k}"]) for k in range(40)}
    assert owners == {0, 1}
    for k in range(40):  # a spine stays whole
        assert part.owner_of(cell[f"head{k}"]) == part.owner_of(cell[f"neck{k}"])
        assert part.owner_of(cell[f"psd{k}"]) == part.owner_of(cell[f"neck{k}"])


def test_whole_cells_first():
    cells = [_tree_cell(f"c{k}", seed=k, nsec=10 + 5 * k) for k in range(5)]
    part = partition(cells, 3)
    assert part.mode == "cells" and not part.trunk
    for cell in cells:
        assert len({part.owner_of(s) for s in cell.sections}) == 1
    assert sorted(ld["subtrees"] for ld in part.loads) == [1, 2, 2]
    assert sum(ld["compartments"] for ld in part.loads) == sum(
        s.nseg for c in cells for s in c.sections)


def test_one_rank_is_serial():
    part = partition([_tree_cell()], 1)
    assert part.mode == "serial" and part.loads[0]["subtrees"] == 1


def test_nonsense_rank_count():
    with pytest.raises(ModelError, match="nranks"):
        partition([_tree_cell()], 0)


@pytest.mark.parametrize("nranks", [2, 3])
def test_split_trees_have_the_trunk_first_and_cover_the_cell(nranks):
    """compile_tree of each rank's part: trunk nodes first, then subtree roots, parents first,
    every node with its serial parent and coefficients; the parts cover the cell once
    (trunk on every rank)."""
    cell = _tree_cell(seed=5)
    serial = compile_tree([cell], 6.3, mechanisms=False)
    part = partition([cell], nranks, serial_root_sections(serial))
    covered = np.zeros(serial.n, dtype=int)
    for r in range(nranks):
        secs = {id(s) for s in cell.sections if part.computes(s, r)}
        tree = compile_tree([cell], 6.3, sections=secs, trunk=part.trunk, serial=serial)
        assert np.all(tree.parent[1:] < np.arange(1, tree.n))
        trunk_nodes = set()
        for s in tree.sections:
            if id(s) in part.trunk:
                trunk_nodes.update(tree.sec_centres[id(s)].tolist())
                trunk_nodes.add(tree.sec_end[id(s)])
        trunk_nodes.add(tree.sec_parentnode[id(cell.root())])
        assert trunk_nodes == set(range(tree.ntrunk))
        roots = tree.parent[tree.ntrunk:tree.ntrunk + tree.nsr]
        assert np.all(roots < tree.ntrunk)
        assert np.all(tree.parent[tree.ntrunk + tree.nsr:] >= tree.ntrunk)
        k = tree.serial_index  # same parent and coefficients as in the serial tree
        np.testing.assert_array_equal(serial.parent[k[1:]], k[tree.parent[1:]])
        np.testing.assert_array_equal(serial.a[k], tree.a)
        np.testing.assert_array_equal(serial.b[k], tree.b)
        covered[k[tree.ntrunk:]] += 1
        covered[k[:tree.ntrunk]] += 1 if r == 0 else 0
    np.testing.assert_array_equal(covered, 1)


def test_split_order_rejects_a_disconnected_trunk():
    parent = np.array([-1, 0, 1, 2], dtype=np.int64)
    coef = np.ones(4)
    with pytest.raises(InternalError, match="not connected"):
        split_order(parent, coef, coef, 1, [0], np.array([True, False, True, False]),
                    np.arange(4))
