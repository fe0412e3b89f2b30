"""Model time units: our side speaks seconds, the model its own unit (s, ms, min, h)."""

from __future__ import annotations

import numpy as np
import pytest

from biochem import IntegratorSettings, Pathway, Port, UnsupportedSBMLError

# The requirement for the same model written in s, ms and min.
SAME_COURSE_RTOL = 1e-6
# Tight CVODE settings so that the three runs differ by far less than that.
SETTINGS = IntegratorSettings(relative_tolerance=1e-11, absolute_tolerance_conc=1e-16)

# (Antimony unit definition, length of the unit in s, the unit in port strings)
UNITS = {"s": ("second", 1.0, "s"), "ms": ("1e-3 second", 1e-3, "ms"),
         "min": ("60 second", 60.0, "min")}  # fmt: skip


def _model(unit: str) -> Pathway:
    decl, seconds, short = UNITS[unit]
    k = 2.0 * seconds  # 2 per second, written per model time unit
    text = f"""model decay_{unit}
      unit time_unit = {decl}
      unit substance = mole
      unit volume = litre
      compartment C = 1
      species A in C = 1
      species B in C = 0
      k = {k!r}
      inflow = 0
      J1: A -> B; k*A
      J2: -> A; C*inflow
    end"""
    return Pathway.from_antimony(
        text,
        ports={"A": "[A]", "B": "[B]", "inflow": Port("inflow", unit=f"M/{short}")},
        series_inputs={"inflow": 4},
        integrator=SETTINGS,
    )


@pytest.fixture(scope="module")
def pathways() -> dict[str, Pathway]:
    return {u: _model(u) for u in UNITS}


def _course(pw: Pathway) -> np.ndarray:
    per_s = pw.seconds_per_time_unit  # a rate of x/s is x * (s per unit) per model unit
    inst = pw.instance("t")
    inst.initialize(0.0)
    out = []
    for t in (0.1, 0.25, 0.5):
        inst.advance_to(t)
        out.append(inst.values(["[A]", "[B]"]))
    inst.set("inflow", 3.0 * per_s)  # 3 M/s
    inst.advance_to(0.75)
    out.append(inst.values(["[A]", "[B]"]))
    edges = [0.8, 0.85, 0.9, 1.0]
    means = np.array([1.0, 4.0, 2.0]) * per_s  # M/s
    knots = np.array([0.0, 2.0, 3.0, 2.0]) * per_s
    inst.set_series("inflow", edges, means, knots, hold=0.0)
    for t in (0.8, 0.87, 1.0, 1.5):
        inst.advance_to(t)
        out.append(inst.values(["[A]", "[B]"]))
    assert inst.t_s == pytest.approx(1.5, rel=1e-15)
    return np.array(out)


def test_time_unit_is_read(pathways):
    assert [(pw.time_unit, pw.seconds_per_time_unit) for pw in pathways.values()] == [
        ("s", 1.0), ("ms", 1e-3), ("min", 60.0)]  # fmt: skip
    assert all(pw.time_unit_declared for pw in pathways.values())


def test_same_model_in_s_ms_min_gives_the_same_course(pathways):
    ref = _course(pathways["s"])
    assert ref[-1, 1] > 0.5  # something happened
    for unit in ("ms", "min"):
        np.testing.assert_allclose(_course(pathways[unit]), ref, rtol=SAME_COURSE_RTOL)


def test_model_time_and_step_sizes_are_converted():
    pw = Pathway.from_antimony(
        "model m\n unit time_unit = 1e-3 second\n compartment C = 1\n species A in C = 1\n"
        " J: A -> ; 0.001*A\nend",
        integrator=IntegratorSettings(maximum_time_step_s=0.002, initial_time_step_s=1e-6),
    )
    integ = pw.engine.rr.integrator
    assert integ.maximum_time_step == 2.0  # ms
    assert integ.initial_time_step == pytest.approx(1e-3, rel=1e-15)
    inst = pw.instance("m")
    inst.initialize(0.25)
    assert inst.t_s == 0.25 and inst.value("time") == 250.0
    inst.advance_to(0.5)
    assert inst.value("time") == 500.0 and repr(inst).endswith("t_s=0.5>")


def test_hours_and_undeclared_units():
    hours = Pathway.from_antimony("model h\n unit time_unit = 3600 second\n x' = 1\n x = 0\nend")
    assert (hours.time_unit, hours.seconds_per_time_unit) == ("h", 3600.0)
    inst = hours.instance("h")
    inst.advance_to(1800.0)
    assert inst.value("x") == pytest.approx(0.5, rel=1e-9)
    bare = Pathway.from_antimony("model b\n x' = 1\n x = 0\nend")
    assert bare.time_unit == "s" and not bare.time_unit_declared


def test_a_time_unit_that_is_not_a_time_is_refused():
    with pytest.raises(UnsupportedSBMLError, match="time unit 'mol' is not a time"):
        Pathway.from_antimony("model b\n unit time_unit = mole\n x' = 1\n x = 0\nend")
