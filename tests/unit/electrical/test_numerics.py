"""The vectorisable exp and the vectorised gate loops (electrical.mechanisms.numerics)."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import llvmlite.binding as llvm
import numpy as np
import pytest
from numba import njit

from electrical import Cell, IClamp, Simulation
from electrical.mechanisms.numerics import table_index, vexp

#: vexp is a degree-13 polynomial plus an exact scaling, against glibc's nearly
#: correctly rounded exp: they may differ in the last bit, never by more.
MAX_ULP = 1.0
#: Share of arguments where the two agree to the bit (about 0.90 measured); far
#: lower would mean the polynomial or the reduction lost accuracy.
MIN_IDENTICAL_SHARE = 0.8
SAMPLES = 200_000


@njit(cache=True)
def _vexp_all(xs, out):
    for j in range(xs.size):
        out[j] = vexp(xs[j])


@njit(cache=True)
def _libm_all(xs, out):
    for j in range(xs.size):
        out[j] = math.exp(xs[j])


def _ulp_error(xs):
    a, b = np.empty_like(xs), np.empty_like(xs)
    _vexp_all(xs, a)
    _libm_all(xs, b)
    finite = np.isfinite(b) & (b != 0.0)
    ulp = np.abs(a[finite] - b[finite]) / np.spacing(np.abs(b[finite]))
    return a, b, ulp


@pytest.mark.parametrize(
    "lo, hi",
    [(-3.0, 0.0), (-0.4, 0.4), (-50.0, 50.0), (-708.0, 709.7), (-745.0, -708.5)],
    ids=["gate-range", "reduced", "moderate", "full", "subnormal"],
)
def test_vexp_within_one_ulp_of_libm(lo, hi):
    xs = np.random.default_rng(7).uniform(lo, hi, SAMPLES)
    a, b, ulp = _ulp_error(xs)
    assert ulp.max() <= MAX_ULP
    assert np.mean(a == b) >= MIN_IDENTICAL_SHARE


def test_vexp_special_values():
    xs = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 709.78, 709.79, -745.1, -746.0, 1e-300])
    a = np.empty_like(xs)
    _vexp_all(xs, a)
    with np.errstate(over="ignore"):
        ref = np.exp(xs)
    assert np.isnan(a[0])
    np.testing.assert_array_equal(a[1:], ref[1:])


def test_table_index_clamps_without_branches():
    # the branch-free clamp must give what testing both ends gave: (0, 0) below,
    # (ntab, 0) above, (floor, fraction) inside
    assert table_index(-150.0, -100.0, 1.0, 200) == (0, 0.0)
    assert table_index(-100.0, -100.0, 1.0, 200) == (0, 0.0)
    assert table_index(100.0, -100.0, 1.0, 200) == (200, 0.0)
    assert table_index(250.0, -100.0, 1.0, 200) == (200, 0.0)
    i, th = table_index(-64.75, -100.0, 1.0, 200)
    assert (i, th) == (35, 0.25)


def _has_avx2() -> bool:
    return "+avx2" in llvm.get_host_cpu_features().flatten().split(",")


@pytest.mark.slow
@pytest.mark.skipif(not _has_avx2(), reason="checks x86 vector gathers: needs an AVX2 host")
def test_hh_gate_loop_is_vectorised():
    """The generated step reads the hh rate tables with vector gathers.

    Only the vectorised advance loop gathers (the scalar code loads one value at a
    time), so this fails if the loop falls back to scalar code: for instance when
    a kernel gains a call that is not inlined.  numba shows no machine code for a
    function loaded from its cache, so the step is compiled once more here
    (slow: half a minute).
    """
    cell = Cell("vec")
    sec = cell.section("cable", L=200.0, diam=1.0, nseg=131)  # two chunks and a remainder
    sec.insert("hh")
    cell.place(sec(0.5), IClamp(delay=0.1, dur=1.0, amp=0.5))
    sim = Simulation(cell, dt_ms=0.025, celsius=6.3)
    sim.initialize(-65.0)
    sim.advance(0.5)
    run = sim._mod.run
    fresh = njit(error_model="numpy")(run.py_func)
    sig = run.signatures[0]
    fresh.compile(sig)
    asm = fresh.inspect_asm(sig)
    assert "vgather" in asm


def _features_after_import(env_extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CPU_FEATURES"}
    env.update(env_extra)
    code = "import electrical, numba; print(numba.config.CPU_FEATURES)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_full_width_vectors_only_on_avx512_and_opt_out():
    host = llvm.get_host_cpu_features().flatten().split(",")
    default = _features_after_import({})
    if "+avx512f" in host:
        assert default.endswith(",-prefer-256-bit")
    else:
        assert default == "None"
    assert _features_after_import({"MULTISCALE_VECTOR_WIDTH": "256"}) == "None"


def test_configure_numba_is_explicit_and_idempotent():
    import electrical
    from electrical._numba_config import VECTORIZER_MEMORY_CHECKS

    first = electrical.configure_numba()  # already called by `import electrical`
    assert first["memory_checks"] is True
    assert electrical.configure_numba() == first
    from electrical.mechanisms import numerics

    assert numerics.VECTORIZER_MEMORY_CHECKS == VECTORIZER_MEMORY_CHECKS
