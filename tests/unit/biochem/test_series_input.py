"""Series inputs: a parameter that follows a continuous course within one advance."""

from __future__ import annotations

import numpy as np
import pytest

from biochem import IntegratorSettings, Pathway, Port
from biochem.errors import InstanceArgumentError, PortSpecError, UnsupportedSBMLError

# The meter integrates its input (total' = ca_in); with rtol 1e-12 CVODE's error on a
# continuous piecewise-quadratic input is ~1e-12 of the total (kinks at the edges).
INTEGRAL_RTOL = 1e-9
# Reading the input back through the assignment rule: round-off of the quadratic.
VALUE_RTOL = 1e-12

METER = """model meter
  unit substance = mole
  unit volume = litre
  unit time_unit = second
  compartment Spine = 1e-15
  species total in Spine = 0
  ca_in = 0
  J: -> total; Spine * ca_in
end"""


def _meter(bins: int = 8) -> Pathway:
    return Pathway.from_antimony(
        METER,
        ports={"ca_in": Port("ca_in", unit="M/s", direction="in"),
               "total": Port("total", "concentration", unit="M")},
        series_inputs={"ca_in": bins},
        integrator=IntegratorSettings(relative_tolerance=1e-12, absolute_tolerance_conc=1e-30),
    )  # fmt: skip


def _quadratic(d0, d1, m, u):
    return d0 * (1 - u) + d1 * u + 6 * (m - (d0 + d1) / 2) * u * (1 - u)


def test_a_course_delivers_each_bin_mean_exactly_and_is_continuous():
    pw = _meter()
    inst = pw.instance("a")
    inst.initialize(0.0)
    inst.set("ca_in", 2.0)  # a constant first: the port still works as before
    inst.advance_to(1.0)
    assert inst.get("total") == pytest.approx(2.0, rel=INTEGRAL_RTOL)
    edges = np.array([1.0, 1.001, 1.003, 1.004, 1.010])
    means = np.array([5.0, 1.0, 0.0, 0.25])
    knots = np.array([2.0, 3.0, 0.5, 0.0, 0.25])
    inst.set_series("ca_in", edges, means, knots)
    # inside bin 1, at u = 0.25 and on an edge (the quadratic reaches the knot)
    inst.advance_to(1.0015)
    assert inst.get("ca_in") == pytest.approx(_quadratic(3.0, 0.5, 1.0, 0.25), rel=VALUE_RTOL)
    inst.advance_to(1.003)
    assert inst.get("ca_in") == pytest.approx(0.5, rel=VALUE_RTOL)
    inst.advance_to(1.010)
    expected = 2.0 + float(np.sum(means * np.diff(edges)))
    assert inst.get("total") == pytest.approx(expected, rel=INTEGRAL_RTOL)
    # after the course the input holds the last knot, until set() makes it a constant
    inst.advance_to(1.5)
    assert inst.get("ca_in") == pytest.approx(0.25, rel=VALUE_RTOL)
    inst.set("ca_in", 0.0)
    before = inst.get("total")
    inst.advance_to(2.0)
    assert inst.get("total") == before


def test_the_course_is_part_of_the_saved_state():
    pw = _meter()
    a = pw.instance("a")
    a.initialize(0.0)
    a.set_series("ca_in", [0.0, 0.5, 1.0], [1.0, 3.0], [0.0, 2.0, 3.0])
    a.advance_to(0.25)
    b = pw.instance("b")
    b.restore_state(a.save_state())
    a.advance_to(1.0)
    b.advance_to(1.0)
    assert b.get("total") == a.get("total")
    assert a.get("total") == pytest.approx(0.5 * 1.0 + 0.5 * 3.0, rel=INTEGRAL_RTOL)


def test_bad_courses_are_clear_errors():
    pw = _meter(bins=2)
    inst = pw.instance("a")
    assert pw.series_capacity("ca_in") == 2 and pw.series_capacity("total") == 0
    with pytest.raises(InstanceArgumentError, match="1 to 2"):
        inst.set_series("ca_in", [0, 1, 2, 3], [1, 1, 1], [1, 1, 1, 1])
    with pytest.raises(InstanceArgumentError, match="2 edges and 2 knots"):
        inst.set_series("ca_in", [0, 1, 2], [1], [1, 1])
    with pytest.raises(InstanceArgumentError, match="increase"):
        inst.set_series("ca_in", [0, 0], [1], [1, 1])
    with pytest.raises(InstanceArgumentError, match="finite"):
        inst.set_series("ca_in", [0, 1], [np.nan], [1, 1])
    with pytest.raises(PortSpecError, match="series_inputs"):
        inst.set_series("total", [0, 1], [1], [1, 1])


def test_only_plain_parameters_can_be_series_inputs():
    with pytest.raises(UnsupportedSBMLError, match="no global parameter 'nope'"):
        Pathway.from_antimony(METER, series_inputs={"nope": 4})
    ruled = METER.replace("ca_in = 0", "ca_in := 2 * time")
    with pytest.raises(UnsupportedSBMLError, match="rule or an event"):
        Pathway.from_antimony(ruled, series_inputs={"ca_in": 4})


def test_with_series_inputs_keeps_ports_and_settings():
    plain = Pathway.from_antimony(METER, ports={"ca_in": Port("ca_in", unit="M/s")},
                                  integrator=IntegratorSettings(relative_tolerance=1e-10))  # fmt: skip
    assert plain.series_capacity("ca_in") == 0
    series = plain.with_series_inputs({"ca_in": 16})
    assert series.series_capacity("ca_in") == 16
    assert series.integrator == plain.integrator and list(series.ports()) == ["ca_in"]
