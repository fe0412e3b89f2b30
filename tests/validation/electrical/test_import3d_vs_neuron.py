"""Morphologies from files against NEURON's Import3d, run live (subprocess per file).

For each file: the same section names, parents and connection points, the
same 3-D points, lengths, segment areas and diameters (within 1e-9 relative),
``cell.distance`` equal to ``h.distance`` from soma[0](0.5) at every segment
centre and at both ends, and the d-lambda nseg equal to NEURON's ``fixnseg``
rule.  The Hsu 2018 CA1 file lists samples 10648 and 10649 before sample 4
(its parent ids are not smaller than the ids), which NEURON's Import3d rejects
(it fails in check_pid); the reference is NEURON's import of the same samples
renumbered in file order, the order our reader uses for such files.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("neuron", reason="the NEURON simulator (PyPI 'neuron') is the reference")

from electrical import Cell
from electrical.discretize import section_geometry

pytestmark = [pytest.mark.validation, pytest.mark.neuron]

HERE = Path(__file__).resolve().parent
DATA = Path(__file__).resolve().parents[2] / "data" / "morphologies"
HSU_SWC = Path("modeldb", "hsu2018", "FullModel", "morphologies", "EB2-late-bifurcation.swc")
GENERATED = sorted([*DATA.glob("*.swc"), *DATA.glob("*.asc")])

#: relative difference of lengths, diameters and areas: both sides integrate the
#: same single-precision 3-D points in double precision (differences ~1e-15)
GEOMETRY_RTOL = 1e-9
#: path distance [um]: sums of the same lengths in another order (~1e-13 um)
DISTANCE_ATOL_UM = 1e-9
#: segments per section in the comparison (interior nodes, not only centres)
NSEG = 3
#: NEURON subtracts consecutive 3-D coordinates in single precision (its Pt3d holds
#: floats) before summing arc lengths in double; Section.points and
#: discretize.section_geometry subtract in double.  Where consecutive coordinates
#: straddle 0 the lengths differ by ~5e-9 relative (branched_irregular_soma.asc):
#: the bound for that file until the engine subtracts in single precision too
FLOAT32_ARC_RTOL = 1e-8
#: the same effect on path distances [um] (~2e-7 um over ~100 um)
FLOAT32_ARC_ATOL_UM = 1e-6
#: files whose coordinates straddle 0 between consecutive points (see above)
STRADDLING = {"branched_irregular_soma.asc"}

TABLE: list[tuple[str, int, float, float]] = []


def _neuron_import(path: Path) -> list[dict]:
    proc = subprocess.run(
        [sys.executable, str(HERE / "_import3d_reference.py"), str(path), str(NSEG)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"NEURON Import3d failed on {path}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.split("--- json ---\n")[-1])


def _renumbered_in_file_order(src: Path, dst: Path) -> None:
    rows = [
        line.split()
        for line in src.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    new = {r[0]: str(i + 1) for i, r in enumerate(rows)}
    dst.write_text(
        "\n".join(" ".join([new[r[0]], *r[1:6], new.get(r[6], r[6])]) for r in rows) + "\n"
    )


def _compare(
    ours_path: Path,
    ref_path: Path,
    label: str,
    rtol: float = GEOMETRY_RTOL,
    atol_um: float = DISTANCE_ATOL_UM,
) -> None:
    ref = _neuron_import(ref_path)
    cell = Cell.from_morphology(ours_path)
    ours = {s.name: s for s in cell.sections}
    assert sorted(ours) == sorted(r["name"] for r in ref)
    max_area = max_dist = 0.0
    for r in ref:
        sec = ours[r["name"]]
        sec.nseg = NSEG
        assert (sec.parent.name if sec.parent else None) == r["parent"], r["name"]
        if sec.parent is not None:
            assert sec.parent_x == r["parent_x"], r["name"]
        np.testing.assert_array_equal(sec.points, np.array(r["points"]), err_msg=r["name"])
        np.testing.assert_allclose(sec.L, r["L"], rtol=rtol, err_msg=r["name"])
        area, _, _, diam = section_geometry(sec)
        np.testing.assert_allclose(area, r["area"], rtol=rtol, err_msg=r["name"])
        np.testing.assert_allclose(diam, r["diam"], rtol=rtol, err_msg=r["name"])
        dist = [cell.distance(seg) for seg in sec.segments()]
        dist += [cell.distance(sec(0)), cell.distance(sec(1))]
        np.testing.assert_allclose(dist, r["distance"], rtol=0, atol=atol_um)
        max_area = max(max_area, float(np.max(np.abs(area / np.array(r["area"]) - 1))))
        max_dist = max(max_dist, float(np.max(np.abs(np.array(dist) - r["distance"]))))
    nseg = cell.set_nseg_dlambda(freq_hz=100, d_lambda=0.1)
    assert nseg == {r["name"]: r["dlambda_nseg"] for r in ref}
    TABLE.append((label, len(ref), max_area, max_dist))


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(
            p,
            marks=pytest.mark.xfail(
                strict=True,
                reason="engine arc lengths subtract 3-D coordinates in double, NEURON in "
                "single precision (~5e-9 relative here); see FLOAT32_ARC_RTOL",
            ),
        )
        if p.name in STRADDLING
        else p
        for p in GENERATED
    ],
    ids=[p.name for p in GENERATED],
)
def test_generated_files_equal_import3d(path):
    _compare(path, path, path.name)


@pytest.mark.parametrize("name", sorted(STRADDLING))
def test_straddling_coordinates_within_single_precision_arc(name):
    """Names, parents and 3-D points exactly; lengths within FLOAT32_ARC_RTOL."""
    _compare(DATA / name, DATA / name, f"{name} (*)", FLOAT32_ARC_RTOL, FLOAT32_ARC_ATOL_UM)


def test_hsu2018_swc_equal_import3d(tmp_path, reference_dir):
    swc = reference_dir / HSU_SWC
    if not swc.is_file():
        pytest.skip(f"Hsu 2018 morphology not found at {swc}")
    renum = tmp_path / "hsu_file_order.swc"
    _renumbered_in_file_order(swc, renum)
    _compare(swc, renum, swc.name)


def _reference_module():
    spec = importlib.util.spec_from_file_location(
        "_import3d_reference", HERE / "_import3d_reference.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


#: passive models: both codes solve the same linear system; only round-off differs
PASSIVE_ATOL_MV = 1e-6
TABLE_PASSIVE: list[tuple[str, int, float]] = []


def _passive(path: Path, ref_path: Path, name: str) -> None:
    """The whole chain: import, d-lambda nseg, a pas rule by path distance, a run."""
    from electrical import IClamp, Simulation

    ref = _reference_module()
    cell = Cell.from_morphology(path, Ra=ref.RA_OHM_CM, cm=1.0)
    cell.set_nseg_dlambda(freq_hz=100, d_lambda=0.1)
    for sec in cell.sections:
        sec.insert("pas", e=ref.E_PAS_MV)
    cell.set_by_distance("all", "pas.g", lambda d: ref.G0_S_CM2 * (1 + d / ref.RULE_UM))
    cell.place(cell["soma[0]"](0.5), IClamp(**ref.STIM))
    sites = [(s.name, x) for s in cell.sections for x in (0.5, 1.0)]
    sim = Simulation(cell, dt_ms=ref.DT_MS, method="backward_euler", celsius=6.3)
    traces = [sim.record("v", cell[n](x)) for n, x in sites]
    sim.initialize(ref.E_PAS_MV)
    sim.advance(ref.T_STOP_MS)
    ours = np.array([t.values for t in traces])
    proc = subprocess.run(
        [
            sys.executable,
            str(HERE / "_import3d_reference.py"),
            str(ref_path),
            "--passive",
            json.dumps(sites),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    theirs = np.array(json.loads(proc.stdout.split("--- json ---\n")[-1]))
    assert ours.shape == theirs.shape
    assert np.ptp(theirs[0]) > 1.0  # the stimulus moves the soma by more than 1 mV
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=PASSIVE_ATOL_MV)
    TABLE_PASSIVE.append((name, len(sites), float(np.max(np.abs(ours - theirs)))))


@pytest.mark.parametrize("name", ["one_point_soma.swc", "contour_soma.asc"])
def test_passive_run_with_distance_rule_equals_neuron(name):
    _passive(DATA / name, DATA / name, name)


def test_hsu2018_passive_run_with_distance_rule_equals_neuron(tmp_path, reference_dir):
    swc = reference_dir / HSU_SWC
    if not swc.is_file():
        pytest.skip(f"Hsu 2018 morphology not found at {swc}")
    renum = tmp_path / "hsu_file_order.swc"
    _renumbered_in_file_order(swc, renum)
    _passive(swc, renum, swc.name)


def test_zz_print_table():
    """The report table (runs last in this module): file, sections, deviations."""
    if not TABLE:
        pytest.skip("no comparison ran")
    print(
        "\nfile                                   sections  max rel area diff  max distance diff [um]"
    )
    for label, n, a, d in TABLE:
        print(f"{label:38s} {n:8d}  {a:17.3e}  {d:22.3e}")
    print("(*) lengths from single-precision coordinate differences: see FLOAT32_ARC_RTOL")
    for label, n, dv in TABLE_PASSIVE:
        print(f"passive run with a distance rule, {label}: {n} sites, max |dv| {dv:.3e} mV")
