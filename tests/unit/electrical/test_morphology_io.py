"""Reading SWC files into cells (electrical.morphology_io): structure, names, lists, errors.

The geometry against NEURON's Import3d is in
tests/validation/electrical/test_import3d_vs_neuron.py; here the rules are
checked on small files without NEURON.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from electrical import Cell, ElectricalError
from electrical.morphology_io import MorphologyError, load_morphology

DATA = Path(__file__).resolve().parents[2] / "data" / "morphologies"
BAD = DATA / "bad"
REPO = Path(__file__).resolve().parents[3]


def test_one_point_soma_names_and_connections():
    cell = Cell.from_morphology(DATA / "one_point_soma.swc")
    names = sorted(s.name for s in cell.sections)
    assert names == sorted(
        ["soma[0]"]
        + [f"dend[{i}]" for i in range(5)]
        + [f"apic[{i}]" for i in range(3)]
        + ["axon[0]", "dend_7[0]"]
    )
    soma = cell["soma[0]"]
    # a one-point soma is a 3-point cylinder along x with L = diam = 13 um
    np.testing.assert_array_equal(soma.points[:, 0], [93.5, 100.0, 106.5])
    assert soma.L == 13.0
    for child in soma.children:
        assert child.parent_x == 0.5
    # children leave through a wire: their first 3-D point is their own first sample
    # (3-D points are single precision, as NEURON keeps them)
    np.testing.assert_array_equal(
        cell["dend[0]"].points[0], np.float32([106.0, 200.0, 50.0, 2.4]).astype(float)
    )
    # a branch's first point is its parent sample (sample 4, diameter 1.6)
    np.testing.assert_array_equal(
        cell["dend[2]"].points[0], np.float32([140.0, 210.0, 52.5, 1.6]).astype(float)
    )
    assert cell["dend[2]"].parent is cell["dend[1]"] and cell["dend[2]"].parent_x == 1.0


def test_numbering_follows_sample_order():
    cell = Cell.from_morphology(DATA / "one_point_soma.swc")
    # sample 3 branches (to 4 and 18), sample 4 too (to 5 and 6): dend[0] is samples
    # 2-3, dend[1] 4, dend[2] 5, dend[3] 6-7, then apic and axon; dend[4] is 18 (from 3)
    assert [len(cell[f"dend[{i}]"].points) for i in range(5)] == [2, 2, 2, 3, 2]
    assert cell["dend[4]"].parent is cell["dend[0]"]
    assert cell["dend[3]"].parent is cell["dend[1]"]
    np.testing.assert_array_equal(cell["dend[4]"].points[-1, :3], [125.0, 190.0, 60.0])


def test_section_lists_and_custom_type_alias():
    cell = load_morphology(DATA / "two_cylinder_soma.swc", type_names={5: "trunk", 6: "tuft"})
    assert [s.name for s in cell.sections_in("somatic")] == ["soma[0]", "soma[1]"]
    assert [s.name for s in cell.sections_in("trunk")] == ["dend_5[0]"]
    assert [s.name for s in cell.sections_in("dendritic_6")] == [
        "dend_6[0]",
        "dend_6[1]",
        "dend_6[2]",
    ]
    assert cell.sections_in("tuft") == cell.sections_in("dendritic_6")
    assert len(cell.sections_in("all")) == len(cell.sections)
    with pytest.raises(LookupError, match="did you mean 'apical'"):
        cell.sections_in("apicl")


def test_two_cylinder_soma_joined_at_zero():
    cell = Cell.from_morphology(DATA / "two_cylinder_soma.swc")
    assert cell["soma[1]"].parent is cell["soma[0]"] and cell["soma[1]"].parent_x == 0.0
    assert cell["dend[0]"].parent_x == 0.0  # leaves from the root sample


def test_three_point_soma_is_a_sphere():
    cell = Cell.from_morphology(DATA / "three_point_soma.swc")
    soma = cell["soma[0]"]
    assert soma.L == 10.0 and len(soma.points) == 3
    assert [s.name for s in cell.sections if s.name.startswith("soma")] == ["soma[0]"]


def test_multi_point_soma_connection_points():
    cell = Cell.from_morphology(DATA / "multi_point_soma.swc")
    xs = {s.name: s.parent_x for s in cell.sections if s.parent is not None}
    # from the first soma point: 0; from interior points: 0.5; from the last: 1
    assert xs["dend[0]"] == 0.0 and xs["axon[0]"] == 0.0
    assert xs["dend[3]"] == 0.5 and xs["dend[4]"] == 0.5
    assert xs["apic[0]"] == 1.0


def test_unsorted_ids_use_file_order(tmp_path):
    src = (DATA / "one_point_soma.swc").read_text().splitlines()
    rows = [r for r in src if r and not r.startswith("#")]
    # renumber so that ids decrease down the file but parents still come first
    n = len(rows)
    new = {r.split()[0]: str(1000 - i) for i, r in enumerate(rows)}
    body = []
    for r in rows:
        f = r.split()
        body.append(" ".join([new[f[0]], *f[1:6], new.get(f[6], f[6])]))
    p = tmp_path / "renumbered.swc"
    p.write_text("\n".join(body) + "\n")
    a, b = Cell.from_morphology(DATA / "one_point_soma.swc"), Cell.from_morphology(p)
    assert n == 18
    for s, t in zip(a.sections, b.sections):
        assert s.name == t.name
        np.testing.assert_array_equal(s.points, t.points)


def test_cell_name_defaults_to_stem_and_options():
    cell = Cell.from_morphology(DATA / "three_point_soma.swc", "n1", Ra=150.0, cm=0.75)
    assert cell.name == "n1"
    assert all(s.Ra == 150.0 and s.cm == 0.75 for s in cell.sections)
    assert Cell.from_morphology(str(DATA / "three_point_soma.swc")).name == "three_point_soma"


# (file, line or None, fragment of the message)
BAD_CASES = [
    ("empty.swc", None, "no samples"),
    ("comments_only.swc", None, "no samples"),
    ("non_numeric_field.swc", 2, "z field 'abc' is not a number"),
    ("too_few_fields.swc", 2, "expected 7 fields"),
    ("missing_parent.swc", 3, "parent id 7 of sample 3 does not exist"),
    ("cycle.swc", 2, "cycle through ids"),
    ("self_parent.swc", 2, "its own parent"),
    ("zero_radius.swc", 3, "radius 0 um: must be positive"),
    ("negative_radius.swc", 2, "radius -1 um: must be positive"),
    ("unknown_type.swc", 2, "unknown sample type 0"),
    ("non_integer_type.swc", 2, "type 3.5 is not an integer"),
    ("duplicate_id.swc", 3, "duplicate id 2 (first at line 2)"),
    ("two_roots.swc", 3, "a second root"),
    ("parent_after_child.swc", 2, "comes later in the file"),
    ("one_sample.swc", 1, "only one sample"),
    ("nan_coordinate.swc", 2, "y field 'nan' is not a finite number"),
    ("zero_length_section.swc", 2, "section dend[0] starting here"),
    ("binary.swc", None, "not a text file"),
    ("wrong_suffix.txt", None, "unknown morphology format '.txt'"),
    ("does_not_exist.swc", None, "no such file"),
    ("asc_empty.asc", None, "no contours or trees"),
    ("asc_syntax_error.asc", 9, 'MorphIO: Error converting: "oops"'),
    ("asc_unclosed.asc", 10, "MorphIO: Hit end of file"),
    ("asc_zero_diameter.asc", 9, "has zero diameter"),
    ("asc_two_point_soma.asc", 1, "soma of 2 points"),
    ("asc_two_trees_no_soma.asc", None, "2 trees and no CellBody outline"),
    ("asc_soma_stack.asc", 12, "MorphIO: A soma is already defined"),
    ("does_not_exist.asc", None, "no such file"),
]


@pytest.mark.parametrize(("name", "line", "fragment"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_files_one_line_error_with_line(name, line, fragment):
    path = BAD / name
    with pytest.raises(MorphologyError) as info:
        Cell.from_morphology(path)
    msg = str(info.value)
    assert "\n" not in msg
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert msg.startswith(where), msg
    assert fragment in msg, msg
    assert isinstance(info.value, ElectricalError) and isinstance(info.value, ValueError)


def test_bad_file_message_without_traceback_in_a_subprocess():
    """As a command line would print it: 'error: <one line>' and nothing else."""
    code = (
        "import sys\n"
        "from electrical import Cell, ElectricalError\n"
        "try:\n"
        f"    Cell.from_morphology({str(BAD / 'cycle.swc')!r})\n"
        "except ElectricalError as exc:\n"
        "    print(f'error: {exc}', file=sys.stderr)\n"
        "    sys.exit(1)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith(f"error: {BAD / 'cycle.swc'}:2: the parents form a cycle")


def test_asc_contour_soma_and_trees():
    cell = Cell.from_morphology(DATA / "branched_irregular_soma.asc")
    soma = cell["soma[0]"]
    assert len(soma.points) == 21  # NEURON's centroid of the outline
    roots = [s for s in cell.sections if s.parent is soma]
    assert sorted(s.name for s in roots) == ["apic[0]", "axon[0]", "dend[0]"]
    assert all(s.parent_x == 0.5 for s in roots)
    # a tree's first 3-D point is its own first point (the wire to the centre is dropped)
    np.testing.assert_array_equal(
        cell["dend[0]"].points[0], np.float32([-4.10, 8.80, -3.90, 2.35]).astype(float)
    )
    # a branch starts at its parent's last point with its own first diameter ...
    np.testing.assert_array_equal(
        cell["dend[2]"].points[0], np.float32([-21.05, 49.95, 2.10, 0.90]).astype(float)
    )
    # ... unless the file repeats that point (then the file's diameter is kept)
    np.testing.assert_array_equal(
        cell["dend[3]"].points[0], np.float32([-21.05, 49.95, 2.10, 1.05]).astype(float)
    )
    assert len(cell["dend[3]"].points) == 3
    assert [s.name for s in cell.sections_in("apical")] == ["apic[0]", "apic[1]", "apic[2]"]


def test_asc_marker_inside_a_branch_is_not_a_point():
    """Departure from NEURON: Import3d_Neurolucida3 appends a marker's point to the
    branch being read; MorphIO (and so this reader) keeps markers out of the sections."""
    a = Cell.from_morphology(DATA / "branched_irregular_soma.asc")
    b = Cell.from_morphology(DATA / "departures" / "marker_in_branch.asc")
    assert [s.name for s in a.sections] == [s.name for s in b.sections]
    for s, t in zip(a.sections, b.sections):
        np.testing.assert_array_equal(s.points, t.points)


def test_swc_special_cases_of_import3d():
    cell = Cell.from_morphology(DATA / "edge_cases.swc")
    # a type change without a branch starts a new section (dend -> dend_5)
    assert cell["dend_5[0]"].parent is cell["dend[0]"] and cell["dend_5[0]"].parent_x == 1.0
    # a branch from the first sample of a wire-joined dendrite joins that dendrite at 0
    assert cell["dend[2]"].parent is cell["dend[1]"] and cell["dend[2]"].parent_x == 0.0
    # the zero-length section 14-30 is dropped; its children join its parent at 1
    assert len(cell.sections) == 8
    for name in ("dend[3]", "dend[4]", "dend[5]"):
        assert cell[name].parent is cell["dend[1]"] and cell[name].parent_x == 1.0
    assert cell.sections_in("dendritic_5") == [cell["dend_5[0]"]]


def test_branched_soma_becomes_several_soma_sections():
    cell = Cell.from_morphology(DATA / "branched_soma.swc")
    somata = cell.sections_in("somatic")
    assert [s.name for s in somata] == ["soma[0]", "soma[1]", "soma[2]", "soma[3]"]
    assert cell["soma[1]"].parent is cell["soma[0]"] and cell["soma[1]"].parent_x == 0.0
    assert {cell["soma[2]"].parent.name, cell["soma[3]"].parent.name} == {"soma[1]"}
    assert cell["dend[2]"].parent_x == 0.5  # from an interior soma point


def test_soma_less_swc(tmp_path):
    p = tmp_path / "dendrite_only.swc"
    p.write_text("1 3 0 0 0 1 -1\n2 3 10 0 0 1 1\n3 3 20 5 0 0.5 2\n4 3 20 -5 0 0.5 2\n")
    cell = Cell.from_morphology(p)
    assert sorted(s.name for s in cell.sections) == ["dend[0]", "dend[1]", "dend[2]"]
    with pytest.raises(LookupError, match="no section 'soma"):
        cell.distance(cell["dend[1]"](1))
    assert cell.distance(cell["dend[1]"](1), origin=cell["dend[0]"](0)) == pytest.approx(
        10 + math.hypot(10, 5), rel=1e-7
    )


def test_shuffled_lines_use_id_order(tmp_path):
    """Lines out of order but parents with smaller ids: the order NEURON means (it sorts
    by id; neuron 9.0.2 then stops in check_pid, which sorts the diameters by the
    section variable ``diam`` instead of its vector ``d``)."""
    rows = [
        r for r in (DATA / "one_point_soma.swc").read_text().splitlines() if not r.startswith("#")
    ]
    shuffled = [rows[i] for i in np.random.default_rng(7).permutation(len(rows))]
    assert shuffled != rows
    p = tmp_path / "shuffled.swc"
    p.write_text("\n".join(shuffled) + "\n")
    a, b = Cell.from_morphology(DATA / "one_point_soma.swc"), Cell.from_morphology(p)
    assert [s.name for s in a.sections] == [s.name for s in b.sections]
    for s, t in zip(a.sections, b.sections):
        np.testing.assert_array_equal(s.points, t.points)
        assert (s.parent and s.parent.name, s.parent_x) == (t.parent and t.parent.name, t.parent_x)
