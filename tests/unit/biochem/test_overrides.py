"""Parameter overrides (``parameters={id: value}``) and species without an initial value."""

from __future__ import annotations

import math

import libsbml
import pytest

from biochem import (
    MissingInitialValueError,
    OverrideError,
    Pathway,
    Port,
    UnknownElementError,
)

MODEL = """model ov
  unit substance = mole
  unit volume = litre
  unit time_unit = second
  compartment C = 2
  species A in C = 1
  species B in C = 0
  k = 2
  k2 := 2*k
  J: A -> B; k*A
end"""

# default CVODE rtol 1e-8: a 0.5-s exponential is within 1e-6 of exp()
DECAY_RTOL = 1e-6


def _ports():
    return {"A": "[A]", "B": "[B]", "k": Port("k", unit="mol/s")}


def test_overrides_set_parameter_species_and_compartment():
    pw = Pathway.from_antimony(MODEL, ports=_ports(), parameters={"k": 4.0, "A": 0.5, "C": 4.0})
    assert dict(pw.overrides) == {"k": 4.0, "A": 0.5, "C": 4.0}
    inst = pw.instance("o")
    assert inst.get("A") == 0.5 and inst.get("k") == 4.0
    assert inst.value("C") == 4.0 and inst.value("k2") == 8.0
    inst.advance_to(0.5)
    # d[A]/dt = -k [A] (amount flux k*A over volume C): exp(-4 * 0.5 / 4)
    assert inst.get("A") == pytest.approx(0.5 * math.exp(-0.5), rel=DECAY_RTOL)
    # the model text itself is unchanged without overrides
    plain = Pathway.from_antimony(MODEL, ports=_ports())
    assert plain.instance("p").get("k") == 2.0
    # overrides survive a recompilation with series inputs
    assert pw.with_series_inputs({"k": 2}).instance("s").get("A") == 0.5


def test_override_wins_over_an_initial_assignment():
    doc = libsbml.readSBMLFromString(Pathway.from_antimony(MODEL).sbml)
    ia = doc.getModel().createInitialAssignment()
    ia.setSymbol("k")
    ia.setMath(libsbml.parseL3Formula("3"))
    text = libsbml.writeSBMLToString(doc)
    assert Pathway(text, ports=_ports()).instance("a").get("k") == 3.0
    assert Pathway(text, ports=_ports(), parameters={"k": 5}).instance("b").get("k") == 5.0


def test_override_errors_name_the_id_and_the_fix():
    with pytest.raises(
        UnknownElementError, match=r"ov.xml: parameters: no .* 'kk'.*did you mean 'k'"
    ):
        Pathway.from_antimony(MODEL, source="ov.xml", parameters={"kk": 1.0})
    with pytest.raises(OverrideError, match="k2 is defined by the assignment rule k2 = 2 \\* k"):
        Pathway.from_antimony(MODEL, parameters={"k2": 1.0})
    with pytest.raises(OverrideError, match="must be a number"):
        Pathway.from_antimony(MODEL, parameters={"k": "fast"})
    with pytest.raises(OverrideError, match="must be finite"):
        Pathway.from_antimony(MODEL, parameters={"k": float("nan")})
    with pytest.raises(OverrideError, match="species A = -1.0; it must be >= 0"):
        Pathway.from_antimony(MODEL, parameters={"A": -1.0})
    with pytest.raises(OverrideError, match="compartment C = 0.0; it must be > 0"):
        Pathway.from_antimony(MODEL, parameters={"C": 0.0})


def _without_initial(sid: str) -> str:
    doc = libsbml.readSBMLFromString(Pathway.from_antimony(MODEL).sbml)
    s = doc.getModel().getSpecies(sid)
    s.unsetInitialConcentration()
    s.unsetInitialAmount()
    return libsbml.writeSBMLToString(doc)


def test_missing_initial_value_is_an_error_at_load(tmp_path):
    path = tmp_path / "noinit.xml"
    path.write_text(_without_initial("B"))
    with pytest.raises(MissingInitialValueError) as e:
        Pathway.from_file(path)
    msg = str(e.value)
    assert str(path) in msg and "'B'" in msg and "parameters={'B': <concentration>}" in msg
    assert e.value.species == ("B",) and "\n" not in msg
    # the override is the fix
    assert Pathway.from_file(path, ports={"B": "[B]"}, parameters={"B": 0.25}).instance(
        "b").get("B") == 0.25  # fmt: skip


def test_species_set_by_a_rule_or_initial_assignment_needs_no_value():
    doc = libsbml.readSBMLFromString(_without_initial("B"))
    ia = doc.getModel().createInitialAssignment()
    ia.setSymbol("B")
    ia.setMath(libsbml.parseL3Formula("2 * k"))
    pw = Pathway(libsbml.writeSBMLToString(doc), ports={"B": "[B]"})
    assert pw.instance("i").get("B") == 4.0
