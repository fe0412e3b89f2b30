"""Boundary species of every kind (constant, plain, assignment rule, rate rule) in instances."""

from __future__ import annotations

import antimony
import libsbml
import numpy as np
import pytest
import roadrunner

from biochem import Pathway, Port, PortSpecError

BOUNDARY = """model bnd
  unit substance = mole
  unit volume = litre
  unit time_unit = second
  compartment C = 2
  species A in C = 1
  species $K in C = 3
  species $P in C = 4
  species $R in C
  R := 0.5 + time
  species $Q in C = 1
  Q' = -0.1*Q
  J: A -> ; k*A*K*P*Q/(1 + R)
  k = 0.1
end"""

# R := 0.5 + time is evaluated exactly at the output times given here (binary fractions).
RULE_RTOL = 1e-15


def _sbml() -> str:
    """BOUNDARY as SBML with K constant (Antimony writes no constant species)."""
    assert antimony.loadAntimonyString(BOUNDARY) >= 0
    doc = libsbml.readSBMLFromString(antimony.getSBMLString("bnd"))
    doc.getModel().getSpecies("K").setConstant(True)
    return libsbml.writeSBMLToString(doc)


@pytest.fixture(scope="module")
def boundary() -> Pathway:
    return Pathway(
        _sbml(),
        ports={"A": "[A]", "K": "[K]", "P": "[P]", "Q": "[Q]",
               "R": Port("R", "concentration", direction="out")},
    )  # fmt: skip


def _separate(pw: Pathway) -> roadrunner.RoadRunner:
    rr = roadrunner.RoadRunner(pw.sbml)
    rr.integrator.relative_tolerance = pw.integrator.relative_tolerance
    rr.integrator.absolute_tolerance = list(pw.engine.rr.integrator.getAbsoluteToleranceVector())
    return rr


def test_every_kind_is_part_of_the_model(boundary):
    kinds = {s.id: (s.boundary, s.constant) for s in boundary.species}
    assert kinds == {"A": (False, False), "K": (True, True), "P": (True, False),
                     "R": (True, False), "Q": (True, False)}  # fmt: skip
    assert {r.variable: r.kind for r in boundary.rules} == {"R": "assignment", "Q": "rate"}


def test_instances_with_boundary_species_equal_separate_roadrunners_bitwise(boundary):
    """Advancing works (it raised a TypeError) and set() of constant/plain ones takes effect."""
    a, b = boundary.instances(2)
    ra, rb = _separate(boundary), _separate(boundary)
    t = 0.0
    for k, t1 in enumerate([0.5, 1.0, 1.5, 2.0]):
        if k == 1:
            b.set("P", 2.0)
            rb["[P]"] = 2.0
            b.set("K", 1.0)
            rb["[K]"] = 1.0
        for inst, rr in ((a, ra), (b, rb)):
            inst.advance_to(t1)
            rr.simulate(t, t1, 2)
            for port in ("A", "K", "P", "Q", "R"):
                assert inst.get(port) == rr[f"[{port}]"]
        t = t1
    assert b.get("P") == 2.0 and a.get("P") == 4.0
    assert b.get("K") == 1.0 and a.get("K") == 3.0
    assert a.get("R") == pytest.approx(2.5, rel=RULE_RTOL)
    assert a.get("A") != b.get("A")  # the set values changed the course


def test_save_restore_keeps_boundary_values(boundary):
    inst = boundary.instance("s")
    inst.set("P", 7.0)
    inst.advance_to(0.25)
    blob = inst.save_state()
    inst.advance_to(1.0)
    later = inst.values(["[A]", "[Q]", "[P]"])
    other = boundary.instance("o")
    other.restore_state(blob)
    assert other.get("P") == 7.0
    other.advance_to(1.0)
    np.testing.assert_array_equal(other.values(["[A]", "[Q]", "[P]"]), later)


def test_rule_defined_boundary_species_is_read_only(boundary):
    inst = boundary.instance("r")
    with pytest.raises(PortSpecError, match="cannot be set"):
        inst.set("R", 1.0)
    with pytest.raises(PortSpecError, match=r"driven_species=\['R'\]"):
        Pathway(_sbml(), ports={"R": "[R]"})
