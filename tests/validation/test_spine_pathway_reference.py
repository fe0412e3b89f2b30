"""The generated ``timescales`` spine pathway against the shared reference time courses.

Protocols (../shared/reference/sbml/README.md): (a) 300-s equilibration from the initial
values; (b) 20 Ca pulses at 20 Hz (5e-3 M/s for 2 ms) then 5 s; (c) 2e-4 M/s for 1 s then
3 s.  (b) and (c) start from our own end of (a).  The instance is driven exactly as the
co-simulation drives it: ``set`` the input, ``advance_to`` the next output time (CVODE is
restarted at every output time, with the package's default tolerances).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from biochem import IntegratorSettings, Pathway

pytestmark = pytest.mark.validation

REPO = Path(__file__).resolve().parents[2]
REF_DIR = REPO.parent / "shared" / "reference" / "sbml"

# The requirement: 1e-4 relative in ca, AMPAR_P, CaMKIIbar and PP2Bbar.
REL_TOL = 1e-4
# Read-outs compared (SBML selection, reference column).
QUANTITIES = {"ca": "[ca]", "AMPAR_P": "[AMPAR_P]", "CaMKIIbar": "CaMKIIbar", "PP2Bbar": "PP2Bbar"}
# Extra read-outs that the reference files also hold (same tolerance).
EXTRA = {"PP1abar": "PP1abar", "Dpbar": "Dpbar", "AMPAR": "[AMPAR]"}
# Baseline of the synaptic weight (README: AMPAR_P at 300 s); 1e-4 relative like the rest.
BASELINE_AMPAR_P_M = 4.1534108e-8


def _read(name: str) -> dict[str, np.ndarray]:
    path = REF_DIR / name
    if not path.is_file():
        pytest.skip(f"reference file {path} is absent (../shared/reference beside the checkout)")
    lines = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    header = lines[0].split(",")
    data = np.loadtxt(lines[1:], delimiter=",", ndmin=2)
    return {h: data[:, k] for k, h in enumerate(header)}


@pytest.fixture(scope="module")
def pathway() -> Pathway:
    return Pathway.spine("timescales")


@pytest.fixture(scope="module")
def equilibrated(pathway):
    """Run protocol (a); return (instance state at 300 s, recorded read-outs, times)."""
    ref = _read("ref_equilibration.csv")
    inst = pathway.instance("spine_eq")
    ids = list(QUANTITIES.values()) + list(EXTRA.values())
    out = [inst.values(ids)]
    for t in ref["t"][1:]:
        inst.advance_to(float(t))
        out.append(inst.values(ids))
    return inst.save_state(), np.array(out), ref


def _run_protocol(pathway, state: bytes, ref, ca_in_of_t) -> np.ndarray:
    inst = pathway.instance("spine_protocol")
    inst.restore_state(state)
    t_start = inst.t_s
    ids = list(QUANTITIES.values()) + list(EXTRA.values())
    times = ref["t"]
    out = [inst.values(ids)]
    for t0, t1 in itertools.pairwise(times):
        inst.set("ca_in", ca_in_of_t(0.5 * (t0 + t1)))
        inst.advance_to(t_start + float(t1))
        out.append(inst.values(ids))
    return np.array(out)


def _train(t: float) -> float:
    k = int(t // 0.050)
    return 5e-3 if (k < 20 and t - 0.050 * k < 0.002) else 0.0


def _constant(t: float) -> float:
    return 2e-4 if t < 1.0 else 0.0


def _max_rel(ours: np.ndarray, ref: np.ndarray) -> float:
    scale = np.abs(ref)
    mask = scale > 0
    return float(np.max(np.abs(ours[mask] - ref[mask]) / scale[mask]))


def _compare(out: np.ndarray, ref: dict[str, np.ndarray], label: str) -> dict[str, float]:
    cols = list(QUANTITIES) + list(EXTRA)
    errors = {}
    for k, col in enumerate(cols):
        errors[col] = _max_rel(out[:, k], ref[col])
        np.testing.assert_allclose(
            out[:, k], ref[col], rtol=REL_TOL, atol=0, err_msg=f"{label} {col}"
        )
    print(
        f"\n{label}: max relative deviation " + ", ".join(f"{c} {e:.2e}" for c, e in errors.items())
    )
    return errors


def test_equilibration(equilibrated):
    _, out, ref = equilibrated
    _compare(out, ref, "(a) equilibration")


def test_baseline_ampar_p(equilibrated):
    _, out, _ = equilibrated
    assert out[-1, 1] == pytest.approx(BASELINE_AMPAR_P_M, rel=REL_TOL)


def test_train_20hz(pathway, equilibrated):
    state, _, _ = equilibrated
    ref = _read("ref_train_20Hz.csv")
    out = _run_protocol(pathway, state, ref, _train)
    _compare(out, ref, "(b) 20 Hz train")
    weight = out[:, 1] / out[0, 1]
    np.testing.assert_allclose(weight, ref["weight"], rtol=REL_TOL, atol=0)


def test_constant_flux(pathway, equilibrated):
    state, _, _ = equilibrated
    ref = _read("ref_constant_flux.csv")
    out = _run_protocol(pathway, state, ref, _constant)
    _compare(out, ref, "(c) constant flux")


@pytest.mark.slow
def test_reference_tolerances_converge(pathway, equilibrated):
    """At the references' own tolerances (rtol 1e-10) the deviation shrinks further."""
    ref = _read("ref_equilibration.csv")
    tight = Pathway.spine("timescales", integrator=IntegratorSettings(relative_tolerance=1e-10))
    inst = tight.instance("spine_tight")
    out = [inst.values(QUANTITIES.values())]
    for t in ref["t"][1:]:
        inst.advance_to(float(t))
        out.append(inst.values(QUANTITIES.values()))
    out = np.array(out)
    for k, col in enumerate(QUANTITIES):
        # rtol 1e-10 vs the reference's rtol 1e-10: integration error ~1e-8 (README)
        np.testing.assert_allclose(out[:, k], ref[col], rtol=1e-6, atol=0, err_msg=col)
