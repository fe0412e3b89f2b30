"""Species taken over from outside (``driven_species``): the concentration-coupling input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from biochem import (
    IntegratorSettings,
    Pathway,
    Port,
    PortSpecError,
    UnknownElementError,
    UnsupportedSBMLError,
)

# Ca follows a time course by an assignment rule, as in published models; B is
# phosphorylated at a rate proportional to Ca; X buffers a plain species Y.
MODEL = """model drv
  unit substance = mole
  unit volume = litre
  unit time_unit = second
  compartment C = 1e-15
  species $Ca in C
  Ca := 1e-7 + 1e-6*exp(-time)
  species B in C = 1e-6
  species Bp in C = 0
  species Y in C = 2e-6
  species X in C = 1e-6
  species XY in C = 0
  species R in C = 1
  R' = -R
  kb = 1e6
  kx = 1e6
  J1: B -> Bp; C*kb*Ca*B
  J2: X + Y -> XY; C*kx*X*Y
end"""

# Tight CVODE settings for the analytic comparisons below.
SETTINGS = IntegratorSettings(relative_tolerance=1e-11, absolute_tolerance_conc=1e-22)
# A constant driven Ca gives B(t) = B0 exp(-kb Ca t); CVODE with rtol 1e-11 is far closer.
ANALYTIC_RTOL = 1e-7


def _pw(driven, series=None) -> Pathway:
    return Pathway.from_antimony(
        MODEL,
        ports={"ca": "[Ca]", "B": "[B]", "Y": "[Y]", "XY": "[XY]", "R": "[R]"},
        driven_species=driven,
        series_inputs=series,
        integrator=SETTINGS,
    )


def test_a_rule_species_cannot_be_written_unless_taken_over():
    with pytest.raises(PortSpecError, match=r"take it over \(driven_species=\['Ca'\]\)"):
        Pathway.from_antimony(MODEL, ports={"ca": "[Ca]"})


def test_taking_over_removes_the_rule_and_starts_at_its_value():
    pw = _pw(["Ca", "Y", "R"])
    assert dict(pw.driven_species) == {
        "Ca": "assignment rule Ca = 1e-7 + 1e-6 * exp(-time)",
        "Y": "",
        "R": "rate rule dR/dt = -R",
    }
    assert not any(r.variable in ("Ca", "R") for r in pw.rules)
    assert pw.port("ca").writable and not pw.port("ca").assigned
    inst = pw.instance("d")
    assert inst.get("ca") == pytest.approx(1.1e-6, rel=1e-15)  # the rule at t = 0
    inst.advance_to(0.5)
    assert inst.get("ca") == pytest.approx(1.1e-6, rel=1e-15)  # nothing changes it now
    assert inst.get("Y") == 2e-6  # reactions no longer consume it
    assert inst.get("R") == 1.0  # its rate rule is gone
    assert inst.get("XY") > 0  # but it still drives its reactions


def test_set_each_exchange_drives_the_reactions():
    inst = _pw(["Ca"]).instance("d")
    b0 = inst.get("B")
    t, log_b = 0.0, 0.0
    for k, ca in enumerate([2e-7, 5e-6, 1e-6, 0.0]):
        inst.set("ca", ca)
        assert inst.get("ca") == ca
        t1 = 0.1 * (k + 1)
        inst.advance_to(t1)
        assert inst.get("ca") == ca
        log_b -= 1e6 * ca * (t1 - t)
        t = t1
    assert inst.get("B") == pytest.approx(b0 * math.exp(log_b), rel=ANALYTIC_RTOL)
    blob = inst.save_state()
    other = _pw(["Ca"]).instance("o")
    other.restore_state(blob)
    assert other.get("ca") == 0.0 and other.get("B") == inst.get("B")


def test_a_driven_species_takes_a_continuous_course():
    pw = _pw(["Ca"], series={"Ca": 4})
    assert pw.series_capacity("ca") == 4
    inst = pw.instance("s")
    assert inst.get("ca") == pytest.approx(1.1e-6, rel=1e-15)  # hold = the start value
    b0 = inst.get("B")
    edges = np.array([0.0, 0.01, 0.03, 0.05])
    means = np.array([1e-6, 3e-6, 2e-6])
    knots = np.array([1e-6, 2e-6, 2.5e-6, 1.5e-6])
    inst.set_series("ca", edges, means, knots, hold=1.5e-6)
    inst.advance_to(0.03)
    assert inst.get("ca") == pytest.approx(2.5e-6, rel=1e-12)  # a knot
    inst.advance_to(0.08)
    assert inst.get("ca") == 1.5e-6  # the hold after the course
    integral = float(np.sum(means * np.diff(edges))) + 1.5e-6 * 0.03
    assert inst.get("B") == pytest.approx(b0 * math.exp(-1e6 * integral), rel=ANALYTIC_RTOL)
    inst.set("ca", 0.0)  # a constant again
    inst.advance_to(0.1)
    assert inst.get("ca") == 0.0
    # with_driven_species gives the same recompiled pathway
    again = Pathway.from_antimony(MODEL, ports={"ca": "[Ca]"}, driven_species=["Ca"])
    assert again.with_driven_species([], series_inputs={"Ca": 2}).series_capacity("ca") == 2


def test_driven_species_errors():
    with pytest.raises(UnknownElementError, match=r"driven_species: no species 'ca'.*'Ca'"):
        Pathway.from_antimony(MODEL, driven_species=["ca"])
    with pytest.raises(UnknownElementError, match="'kb' is a parameter"):
        Pathway.from_antimony(MODEL, driven_species=["kb"])
    with pytest.raises(UnsupportedSBMLError, match="not taken over; add it to driven_species"):
        Pathway.from_antimony(MODEL, series_inputs={"Y": 2})
    evented = MODEL.replace("end", "  E1: at (time > 1): Y = 0\nend")
    with pytest.raises(UnsupportedSBMLError, match="assigned by event"):
        Pathway.from_antimony(evented, driven_species=["Y"])
    with pytest.raises(PortSpecError, match="output port"):
        Pathway.from_antimony(MODEL, ports={"ca": Port("Ca", "concentration", direction="out")},
                              driven_species=["Ca"]).instance("o").set("ca", 1.0)  # fmt: skip
