"""Path distance, parameters by distance, section lists and d-lambda (electrical.paths)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from electrical import Cell, LocationError, ModelError, TopologyError

DATA = Path(__file__).resolve().parents[2] / "data" / "morphologies"

#: sums of a few lengths [um]: exact up to rounding
DIST_ATOL_UM = 1e-12


def _two_sections(nseg: int) -> Cell:
    """a (L 100) with b (L 50) attached at a(0.3), both with ``nseg`` segments."""
    cell = Cell("ab")
    a = cell.section("a", L=100, diam=2, nseg=nseg)
    cell.section("b", L=50, diam=1, nseg=nseg, parent=a(0.3))
    return cell


# h.distance(a(0.5), b(0.2)), h.distance(a(0.5), a(0.77)), h.distance(a(0.1), b(0)),
# h.distance(a(0.5), b(1)) measured with NEURON 9.0.2 on the same two sections:
# locations and the connection point are moved to their nodes
NEURON_DISTANCES = {
    1: (25.0, 0.0, 0.0, 50.0),
    3: (41.66666666666667, 33.33333333333334, 0.0, 83.33333333333334),
    10: (32.50000000000001, 19.999999999999993, 20.0, 70.0),
}


@pytest.mark.parametrize("nseg", sorted(NEURON_DISTANCES))
def test_distance_moves_locations_to_nodes_as_neuron(nseg):
    cell = _two_sections(nseg)
    a, b = cell["a"], cell["b"]
    got = (
        cell.distance(b(0.2), a(0.5)),
        cell.distance(a(0.77), a(0.5)),
        cell.distance(b(0.0), a(0.1)),
        cell.distance(b(1.0), a(0.5)),
    )
    np.testing.assert_allclose(got, NEURON_DISTANCES[nseg], rtol=0, atol=DIST_ATOL_UM)


def test_distance_is_symmetric_and_zero_at_origin():
    cell = Cell.from_morphology(DATA / "one_point_soma.swc")
    d1, a0 = cell["dend[3]"], cell["apic[2]"]
    assert cell.distance(cell["soma[0]"](0.5)) == 0.0
    assert cell.distance(d1(1), a0(0.5)) == pytest.approx(
        cell.distance(a0(0.5), d1(1)), abs=DIST_ATOL_UM
    )
    # through the soma centre: the sum of both distances to soma(0.5)
    assert cell.distance(d1(1), a0(0.5)) == pytest.approx(
        cell.distance(d1(1)) + cell.distance(a0(0.5)), abs=DIST_ATOL_UM
    )


def test_distance_default_origin_needs_a_soma():
    cell = _two_sections(1)
    with pytest.raises(LookupError, match="no section 'soma\\[0\\]' or 'soma'"):
        cell.distance(cell["b"](1))
    other = _two_sections(1)
    with pytest.raises(TopologyError, match="not a location of cell"):
        cell.distance(other["b"](1), cell["a"](0))
    with pytest.raises(LocationError, match="must be a location"):
        cell.distance("b(1)", cell["a"](0))


def test_set_by_distance_one_and_two_arguments():
    cell = Cell.from_morphology(DATA / "one_point_soma.swc")
    cell.set_nseg_dlambda(freq_hz=100, d_lambda=0.05)
    for sec in cell.sections:
        sec.insert("pas")
    n = cell.set_by_distance("apic*", "pas.g", lambda d: 1e-5 * math.exp(d / 100))
    apic = cell.select("apic*")
    assert n == sum(s.nseg for s in apic)
    for sec in apic:
        want = [1e-5 * math.exp(cell.distance(seg) / 100) for seg in sec.segments()]
        np.testing.assert_array_equal(sec.get("pas.g"), want)
    # a hot zone by distance and section name
    zone = []

    def rule(d, name):
        zone.append(name)
        return 2e-4 if 60 <= d <= 120 and name != "apic[0]" else 1e-5

    cell.set_by_distance("apical", "pas.g", rule)
    assert set(zone) == {"apic[0]", "apic[1]", "apic[2]"}
    for sec in apic:
        want = [rule(cell.distance(seg), sec.name) for seg in sec.segments()]
        np.testing.assert_array_equal(sec.get("pas.g"), want)
    assert 2e-4 in cell["apic[2]"].get("pas.g")
    # a number sets every segment; dendrites are unchanged
    cell.set_by_distance("basal", "pas.g", 3e-5)
    assert all(np.all(s.get("pas.g") == 3e-5) for s in cell.sections_in("basal"))
    assert all(np.all(s.get("pas.g") != 3e-5) for s in apic)


def test_set_by_distance_errors():
    cell = Cell.from_morphology(DATA / "one_point_soma.swc")
    cell["apic[0]"].insert("pas")
    with pytest.raises(LookupError, match="no section or section list matches 'apx\\*'"):
        cell.set_by_distance("apx*", "pas.g", 1e-4)
    with pytest.raises(ModelError, match=r"the rule raised ZeroDivisionError.*apic\[0\]\(0\.5\)"):
        cell.set_by_distance("apic[0]", "pas.g", lambda d: 1 / 0)
    with pytest.raises(ModelError, match="pas.g"):
        cell.set_by_distance("apic[0]", "pas.g", lambda d: -1.0)  # below the bound 0
    with pytest.raises(LookupError, match="not inserted"):
        cell.set_by_distance("apic[1]", "pas.g", 1e-4)


def test_sections_in_hand_built_cell():
    cell = _two_sections(1)
    assert cell.sections_in("all") == cell.sections
    with pytest.raises(LookupError, match="no section lists"):
        cell.sections_in("apical")


def test_dlambda_cylinder_formula():
    cell = Cell("c")
    sec = cell.section("soma", L=1000, diam=2, Ra=100, cm=1)
    lam = 1e5 * math.sqrt(2 / (4 * math.pi * 100 * 100 * 1))  # NEURON's lambda_f [um]
    want = int((1000 / (0.1 * lam) + 0.9) / 2) * 2 + 1
    assert cell.set_nseg_dlambda(100, 0.1) == {"soma": want}
    assert sec.nseg == want and want % 2 == 1
    with pytest.raises(ModelError, match="d_lambda = 0"):
        cell.set_nseg_dlambda(100, 0)
    with pytest.raises(ModelError, match="freq_hz = 'x'"):
        cell.set_nseg_dlambda("x", 0.1)


def test_dlambda_zero_capacitance_gives_one_segment():
    cell = Cell("c")
    cell.section("soma", L=1000, diam=2, cm=0, nseg=9)
    assert cell.set_nseg_dlambda() == {"soma": 1}
