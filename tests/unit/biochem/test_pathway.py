"""Pathway: loading (SBML L2/L3, string, Antimony), description, ports and load-time errors."""

from __future__ import annotations

import math
import textwrap

import pytest

from biochem import (
    BiochemError,
    IntegratorSettings,
    InvalidSBMLError,
    Pathway,
    PathwayFileNotFoundError,
    Port,
    PortSpecError,
    UnknownPortError,
    UnsupportedSBMLError,
)
from biochem import spine_pathway as sp

DECAY = "model decay\n  unit substance = mole\n  unit volume = litre\n  unit time_unit = second\n  compartment C = 2\n  species A in C = 1\n  k = 2\n  J: A -> ; k*A\nend\n"

# default CVODE rtol 1e-8; the error of a 0.25-s exponential decay stays well below 1e-6
DECAY_RTOL = 1e-6

RULES_AND_EVENTS = textwrap.dedent(
    """
    model re
      compartment C = 1
      species S in C = 0
      x' = 1
      x = 0
      k = 1
      total := S + x
      J0: -> S; k
      E1: at (S > 2.5): S = 0, k = k + 1
    end
    """
)


@pytest.fixture(scope="module")
def decay() -> Pathway:
    return Pathway.from_antimony(DECAY, ports={"A": "[A]", "k": Port("k", unit="1/s")})


def test_antimony_and_sbml_string_and_file(tmp_path, decay):
    assert decay.name == "decay"
    from_sbml = Pathway.from_string(decay.sbml, ports={"A": "[A]"})
    path = tmp_path / "decay.xml"
    path.write_text(decay.sbml)
    from_file = Pathway.from_file(path, ports={"A": "[A]"})
    ant_file = tmp_path / "decay.ant"
    ant_file.write_text(DECAY)
    from_ant_file = Pathway.from_file(ant_file)
    for pw in (from_sbml, from_file, from_ant_file):
        assert [s.id for s in pw.species] == ["A"]
        assert pw.source
    assert from_file.source == str(path)


def test_sbml_level2_loads(decay):
    import libsbml

    doc = libsbml.readSBMLFromString(decay.sbml)
    assert doc.setLevelAndVersion(2, 4)
    pw = Pathway(libsbml.writeSBMLToString(doc), ports={"A": "[A]"})
    assert (pw.info.level, pw.info.version) == (2, 4)
    inst = pw.instance("l2")
    inst.advance_to(0.25)
    # d[A]/dt = -k [A] / C (the Antimony rate k*A is an amount flux): exp(-2 * 0.25 / 2)
    assert inst.get("A") == pytest.approx(math.exp(-0.25), rel=DECAY_RTOL)


def test_description_lists_everything():
    pw = Pathway.from_antimony(RULES_AND_EVENTS)
    assert [s.id for s in pw.species] == ["S"]
    assert {p.id: p.rule for p in pw.parameters} == {"x": "rate", "k": None, "total": "assignment"}
    assert [c.id for c in pw.compartments] == ["C"]
    assert {(r.kind, r.variable) for r in pw.rules} == {("rate", "x"), ("assignment", "total")}
    (ev,) = pw.events
    assert ev.trigger == "S > 2.5" and set(ev.assignments) == {"S", "k"} and ev.delay is None
    assert pw.reactions == ("J0",)
    assert isinstance(pw.units, dict)
    assert repr(pw).startswith("<Pathway name=re n_species=1")


def test_spine_ports_and_units():
    pw = Pathway.spine()
    ports = pw.ports()
    assert set(ports) == {"ca", "ca_in", "ca_pump_vmax", "ca_leak_vmax", "AMPAR_P"}
    assert ports["ca"].quantity == "concentration" and ports["ca"].unit == "M"
    assert ports["ca_in"].unit == "M/s" and ports["ca_in"].writable
    assert not ports["AMPAR_P"].writable
    assert pw.units["substance"] == "mol" and pw.units["time"] == "s"
    assert {p.id: p.unit for p in pw.parameters}["kon_ca"] == "L/(mol*s)"
    assert len(pw.species) == 129 and len(pw.reactions) == 576


def test_port_unknown_target_did_you_mean(decay):
    with pytest.raises(
        UnknownPortError, match=r"no species, parameter or compartment 'kk'.*did you mean 'k'"
    ):
        Pathway.from_string(decay.sbml, ports={"x": "kk"})
    with pytest.raises(LookupError, match="did you mean 'ca_in'"):
        Pathway.spine(ports={"input": "ca_inn"})


def test_port_species_needs_explicit_quantity(decay):
    with pytest.raises(PortSpecError, match=r"needs an explicit quantity.*'\[A\]'"):
        Pathway.from_string(decay.sbml, ports={"A": "A"})
    amount = Pathway.from_string(decay.sbml, ports={"A": Port("A", quantity="amount")})
    assert amount.ports()["A"].unit == "mol"


def test_port_unit_mismatch_and_missing_unit(decay):
    with pytest.raises(PortSpecError, match="does not match the model's"):
        Pathway.spine(ports={"ca_mM": Port("ca", "concentration", unit="mM")})
    with pytest.raises(PortSpecError, match="declares no unit"):
        Pathway.from_string(decay.sbml, ports={"k": "k"})
    with pytest.raises(PortSpecError, match="unknown unit symbol 'Mol'"):
        Pathway.from_string(decay.sbml, ports={"k": Port("k", unit="Mol/s")})


def test_assigned_port_must_be_output():
    with pytest.raises(PortSpecError, match="assignment rule.*direction='out'"):
        Pathway.spine(ports={"CaMKIIbar": Port("CaMKIIbar", unit="dimensionless")})
    pw = Pathway.spine(ports={"CaMKIIbar": Port("CaMKIIbar", direction="out")})
    assert pw.ports()["CaMKIIbar"].assigned


def test_unknown_port_name(decay):
    with pytest.raises(UnknownPortError, match="no port 'a'; did you mean 'A'"):
        decay.port("a")


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.xml"
    with pytest.raises(PathwayFileNotFoundError, match="nope.xml' does not exist") as info:
        Pathway.from_file(missing)
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, BiochemError)


def test_invalid_sbml_reports_line(decay):
    bad = decay.sbml.replace("<listOfSpecies>", "<listOfSpecies><species/>", 1)
    with pytest.raises(InvalidSBMLError, match=r"invalid SBML: line \d+:"):
        Pathway.from_string(bad, source="bad.xml")
    with pytest.raises(InvalidSBMLError, match="line"):
        Pathway.from_string("<sbml><model></sbml>")
    with pytest.raises(ValueError, match="not valid Antimony"):
        Pathway.from_antimony("model m\n  J: A -> ; k*\nend\n")


def test_unsupported_constructs():
    algebraic = textwrap.dedent(
        """
        model alg
          species A = 1, B = 0
          J: A -> ; A
          0 = A + B - 1
        end
        """
    )
    with pytest.raises(UnsupportedSBMLError, match="algebraic rule"):
        Pathway.from_antimony(algebraic)
    delayed = "model d\n  species A = 1\n  J: A -> ; A\n  E: at 1 after (time > 0.5): A = 2\nend\n"
    with pytest.raises(UnsupportedSBMLError, match="has a delay"):
        Pathway.from_antimony(delayed)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"relative_tolerance": 0.0},
        {"relative_tolerance": float("nan")},
        {"absolute_tolerance_conc": -1e-18},
        {"maximum_time_step_s": -1.0},
        {"maximum_num_steps": 0},
    ],
)
def test_integrator_settings_nonsense(kwargs):
    with pytest.raises(ValueError, match="IntegratorSettings"):
        IntegratorSettings(**kwargs)


def test_constructor_nonsense():
    with pytest.raises(InvalidSBMLError, match="must be a str"):
        Pathway(b"<sbml/>")  # type: ignore[arg-type]
    with pytest.raises(InvalidSBMLError, match="empty"):
        Pathway("   ")
    with pytest.raises(PortSpecError, match="IntegratorSettings"):
        Pathway(DECAY, integrator={"relative_tolerance": 1e-8})  # type: ignore[arg-type]
    with pytest.raises(PortSpecError, match="direction"):
        Pathway(DECAY, ports={"A": Port("A", "concentration", direction="both")})  # type: ignore[arg-type]


def test_integrator_defaults_shared_and_replaceable(decay):
    assert decay.integrator == IntegratorSettings()
    decay.set_integrator(IntegratorSettings(relative_tolerance=1e-6))
    assert decay._rr.integrator.relative_tolerance == 1e-6
    decay.set_integrator(IntegratorSettings())
    # vector absolute tolerance: atol [conc] * compartment volume (C = 2)
    assert list(decay._rr.integrator.getAbsoluteToleranceVector()) == [1e-18 * 2]


def test_spine_variants_have_their_volumes():
    assert Pathway.spine("corrected").compartments[0].size == pytest.approx(
        sp.SPINE_HEAD_VOLUME_L, rel=1e-14
    )
    assert Pathway.spine("timescales").compartments[0].size == 1e-15
