"""The block kernel of catrack/caltrack (``advance_block``) and its API.

:func:`catrack.radial_block` advances every segment of a block in vectorised
loops; it must give exactly (bit for bit) what the scalar NEURON-``sparse``
step :func:`catrack.kinetic_step` gives for each segment, whatever number of
Newton iterations each segment needs, including NEURON's non-convergence exit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit

from electrical.errors import ModelError
from electrical.mechanisms.base import Catalogue, DensityMechanism, Param
from electrical.mechanisms.msn import catrack

DT_MS = 0.025
CAO_MM = 5.0
CA0_MM = 1e-3
#: MODEL.md 4.3 constants
PARAMS = {"DCa": 0.6, "k1buf": 100.0, "k2buf": 0.1, "k1": 1.0, "k2": 0.005, "k3": 1.0,
          "k4": 0.005, "TotalPump": 1e-11}
#: spine neck, head and PSD diameters [um] (MODEL.md 6.1)
DIAMS_UM = (0.1, 1.175, 0.5)


def _initial(ci=CA0_MM):
    c, cb, b, pm, pc = catrack.initial_state(ci, PARAMS["k1buf"], PARAMS["k2buf"], 0.003,
                                             PARAMS["k1"], PARAMS["k2"], PARAMS["TotalPump"])
    return np.array([c] * 4 + [cb] * 4 + [b] * 4 + [pm, pc])


def _scalar(x, ica, diam):
    p = PARAMS
    return catrack.kinetic_step(*x, ica, CAO_MM, diam, p["DCa"], p["k1buf"], p["k2buf"], p["k1"],
                                p["k2"], p["k3"], p["k4"], p["TotalPump"], DT_MS)


def _trajectory(diam, nsteps, pulse=(), x=None):
    """States and pool currents before each of ``nsteps`` scalar steps (pump current fed back)."""
    x = _initial() if x is None else x
    ipmp = 0.0
    out = []
    for k in range(nsteps):
        ica = ipmp + (-0.05 if k in pulse else 0.0)
        out.append((x.copy(), ica, diam))
        r = _scalar(x, ica, diam)
        x, ipmp = np.array(r[:14]), r[14]
    return out, x


def _block_vs_scalar(cases):
    """Run radial_block on the cases (shuffled into one block) and kinetic_step on each."""
    rng = np.random.default_rng(11)
    cases = [cases[k] for k in rng.permutation(len(cases))]
    m = len(cases)
    states = [np.array([c[0][q] for c in cases]) for q in range(14)]
    ipump = np.zeros(m)
    ica = np.array([c[1] for c in cases])
    diam = np.array([c[2] for c in cases])
    # the block reads and writes ion arrays per node: use a shuffled node numbering
    nodes = rng.permutation(m + 3)[:m].astype(np.int64)
    ica_n = np.full(m + 3, np.nan)
    ica_n[nodes] = ica
    cao_n = np.full(m + 3, CAO_MM)
    cai_n = np.full(m + 3, -1.0)
    par = [np.full(m, PARAMS[k]) for k in ("DCa", "k1buf", "k2buf", "k1", "k2", "k3", "k4",
                                           "TotalPump")]
    work = np.full(catrack.BLOCK_WORK * m, np.nan)  # the kernel must not rely on its contents
    catrack.radial_block(nodes, *states, ipump, ica_n, cai_n, cao_n, diam, *par, DT_MS, work)
    iters = []
    for j, (x, i_ca, d) in enumerate(cases):
        ref = _scalar(x, i_ca, d)
        got = [s[j] for s in states] + [ipump[j], cai_n[nodes[j]]]
        np.testing.assert_array_equal(got, ref[:16], err_msg=f"instance {j}, {ref[16]} iterations")
        iters.append(ref[16])
    untouched = np.setdiff1d(np.arange(m + 3), nodes)
    np.testing.assert_array_equal(cai_n[untouched], -1.0)
    return np.array(iters)


def test_block_equals_scalar_step_during_the_initial_relaxation():
    """Many segments iterate several times (vectorised passes) and the thin neck hits
    NEURON's non-convergence exit (instance-by-instance tail)."""
    cases = []
    for diam in DIAMS_UM:
        traj, _ = _trajectory(diam, 40)
        cases += traj
    iters = _block_vs_scalar(cases)
    assert np.mean(iters >= 2) > catrack._VECTOR_PASS_FRACTION  # the masked passes ran
    assert iters.max() == catrack.MAX_NEWTON  # and the non-convergence exit
    assert len(np.unique(iters)) >= 3  # segments with different iteration counts side by side


def test_block_equals_scalar_step_when_few_segments_iterate():
    """Mostly quiet segments (one iteration) and a few hit by a Ca pulse."""
    cases = []
    for diam in DIAMS_UM:
        _, rest = _trajectory(diam, 4000)
        quiet, _ = _trajectory(diam, 30, x=rest)
        cases += quiet
        hit, _ = _trajectory(diam, 6, pulse=range(6), x=rest)
        cases += hit[1:3]
    iters = _block_vs_scalar(cases)
    assert np.mean(iters >= 2) < catrack._VECTOR_PASS_FRACTION
    assert iters.max() >= 2


# ----------------------------------------------------------------------------- API checks
@njit(cache=True)
def _adv(t, v, c, cai, D, aux, celsius, dt):
    return (c, cai)


@njit(cache=True)
def _blk(nodes, t, v, c, cai, D, aux, celsius, dt, work):
    pass


@njit(cache=True)
def _blk_bad(nodes, t, v, c, D, aux, celsius, dt):
    pass


def _cls(**extra):
    base = {
        "name": "blk_test",
        "params": {"D": Param(1.0, "um2/ms", (0.0, math.inf))},
        "states": {"c": Param(0.0, "mM")},
        "reads": ("cai",),
        "writes": ("cai",),
        "advance": staticmethod(_adv),
        "advance_block": staticmethod(_blk),
        "__doc__": "x",
    }
    base.update(extra)
    return type("Blk", (DensityMechanism,), base)


def test_a_valid_block_kernel_registers():
    assert Catalogue("t").register(_cls()).block_work == 0


@pytest.mark.parametrize(
    "extra, msg",
    [
        ({"advance_block": staticmethod(_blk_bad)}, "expected"),
        ({"reads": (), "advance": staticmethod(njit(lambda t, v, c, D, aux, celsius, dt: (c, 0.0)))},
         "must also be in reads"),
        ({"block_work": -1}, "block_work"),
        ({"block_work": 2.5}, "block_work"),
        ({"is_point": True}, "density mechanism"),
    ],
)
def test_bad_block_kernels_are_rejected(extra, msg):
    with pytest.raises(ModelError, match=msg):
        Catalogue("t").register(_cls(**extra))


def test_catrack_classes_use_the_block_kernel():
    for cls in (catrack.CaTrack, catrack.CalTrack):
        assert cls.advance_block is not None
        assert cls.block_work == catrack.BLOCK_WORK

