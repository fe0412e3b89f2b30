"""MPI smoke tests: run under `mpiexec -n 2 python -m pytest -m mpi tests/mpi`.

They check that the MPI stack installed from PyPI (mpi4py + the mpich wheel)
works, and that the cable engine gives bitwise identical results on every rank.
"""

from __future__ import annotations

import numpy as np
import pytest

from electrical import Cell, IClamp, Simulation
from multiscale.distribute import world

comm = world()
pytestmark = [
    pytest.mark.mpi,
    pytest.mark.skipif(comm.Get_size() < 2, reason="needs mpiexec -n 2 (or more ranks)"),
]


def test_ranks_see_each_other():
    ranks = comm.allgather(comm.Get_rank())
    assert ranks == list(range(comm.Get_size()))


def test_same_model_same_numbers_on_every_rank():
    cell = Cell("c")
    soma = cell.section("soma", L=20, diam=20)
    dend = cell.section("dend", L=200, diam=1, nseg=9, parent=soma(1))
    soma.insert("hh")
    dend.insert("pas", g=1e-4)
    cell.place(dend(1), IClamp(delay=1, dur=2, amp=0.5))
    sim = Simulation(cell)
    v = sim.record("v", soma(0.5))
    sim.initialize(-65)
    sim.advance(10)
    mine = v.values
    root = comm.bcast(mine, root=0)
    np.testing.assert_array_equal(mine, root)
