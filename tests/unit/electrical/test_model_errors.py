"""Nonsense arguments to every public constructor give clear errors naming the object."""

from __future__ import annotations

import math

import numpy as np
import pytest

from electrical import (
    Cell,
    IClamp,
    LocationError,
    ModelError,
    PlayCurrent,
    Section,
    Simulation,
    SimulationError,
    TopologyError,
    UnknownMechanismError,
    UnknownParameterError,
    UnknownVariableError,
)


@pytest.mark.parametrize(
    "field,value",
    [
        ("L", 0),
        ("L", -5),
        ("diam", 0),
        ("diam", -1),
        ("Ra", 0),
        ("cm", -1),
        ("L", math.nan),
        ("diam", math.inf),
        ("L", "long"),
    ],
)
def test_bad_geometry_names_section_and_value(field, value):
    with pytest.raises(ModelError, match=rf"dend\.{field}"):
        Section("dend", **{field: value})


@pytest.mark.parametrize("nseg", [0, -3, 2.5, True, "5"])
def test_bad_nseg(nseg):
    with pytest.raises(ModelError, match=r"dend\.nseg"):
        Section("dend", nseg=nseg)


@pytest.mark.parametrize("x", [-0.1, 1.5, math.nan, "middle"])
def test_location_outside_unit_interval(x):
    sec = Section("soma")
    with pytest.raises(LocationError, match="soma"):
        sec(x)


def test_connected_twice_and_loops():
    cell = Cell("c")
    a = cell.section("a")
    b = cell.section("b", parent=a(1))
    c = cell.section("c", parent=b(0.5))
    with pytest.raises(TopologyError, match="already connected to 'a'"):
        b.connect(a(0.5))
    with pytest.raises(TopologyError, match="loop"):
        a.connect(c(1))
    with pytest.raises(TopologyError, match="loop"):
        Section("self").connect(Section("other")) if False else _self_loop()


def _self_loop():
    s = Section("s")
    s.connect(s(1))


def test_unknown_mechanism_did_you_mean():
    sec = Section("soma")
    with pytest.raises(UnknownMechanismError, match="did you mean 'hh'"):
        sec.insert("hhh")
    with pytest.raises(LookupError):
        sec.insert("nonexistent_mechanism_xyz")


def test_unknown_parameter_and_bounds():
    sec = Section("soma")
    with pytest.raises(UnknownParameterError, match="did you mean 'gnabar'"):
        sec.insert("hh", gnabr=0.1)
    with pytest.raises(ModelError, match=r"hh\.gnabar = -1"):
        sec.insert("hh", gnabar=-1)
    sec.insert("hh")
    with pytest.raises(UnknownParameterError, match="not inserted here"):
        sec.set("pas.g", 1e-3)
    with pytest.raises(ModelError, match="got 2 values for nseg = 1"):
        sec.set("hh.gnabar", [0.1, 0.2])


def test_point_process_inserted_as_density_is_refused():
    with pytest.raises(ModelError, match="point process"):
        Section("soma").insert("IClamp")


def test_bad_dt_method_and_unknown_record():
    cell = Cell("c")
    soma = cell.section("soma", L=10, diam=10)
    soma.insert("pas")
    for dt in (0, -0.025, math.nan, "x"):
        with pytest.raises(ModelError, match="dt_ms"):
            Simulation(cell, dt_ms=dt)
    with pytest.raises(ModelError, match="did you mean 'crank_nicolson'"):
        Simulation(cell, method="crank_nicholson")
    sim = Simulation(cell)
    with pytest.raises(
        UnknownVariableError, match="mechanism 'pas' has no variable 'gg'; did you mean 'g'"
    ):
        sim.record("pas.gg", soma(0.5))
    with pytest.raises(UnknownVariableError, match="'hh' is not present"):
        sim.record("hh.m", soma(0.5))
    with pytest.raises(UnknownVariableError, match="no such variable"):
        sim.record("voltage", soma(0.5))
    with pytest.raises(SimulationError, match="initialize"):
        sim.advance(1.0)
    with pytest.raises(ModelError, match="positive integer"):
        sim.record("v", soma(0.5), every=0)


def test_cell_needs_single_root_and_unique_names():
    cell = Cell("c")
    cell.section("a")
    cell.section("b")
    with pytest.raises(TopologyError, match="exactly one root"):
        Simulation(cell)
    with pytest.raises(ModelError, match="already has a section named 'a'"):
        cell.add(Section("a"))


def test_play_current_validation():
    with pytest.raises(ModelError, match="same length"):
        PlayCurrent([0, 1, 2], [0, 1])
    with pytest.raises(ModelError, match="non-decreasing"):
        PlayCurrent([0, 2, 1], [0, 1, 2])


def test_iclamp_bounds():
    with pytest.raises(ModelError, match=r"IClamp\.dur = -1"):
        IClamp(dur=-1)
    with pytest.raises(UnknownParameterError, match="did you mean 'delay'"):
        IClamp(dely=1)


def test_points_shape_checked():
    with pytest.raises(ModelError, match="points"):
        Section("s", points=np.zeros((1, 4)))
    with pytest.raises(ModelError, match="points"):
        Section("s", points=[[0, 0, 0]])


def test_non_numbers_for_ion_values_and_stop_time():
    cell = Cell("c")
    soma = cell.section("soma", L=10, diam=10)
    soma.insert("pas")
    with pytest.raises(ModelError, match=r"soma\.ek = 'x' is not a number \[mV\]"):
        soma.set("ek", "x")
    with pytest.raises(ModelError, match=r"soma\.cai = -1"):
        soma.set("cai", -1)
    sim = Simulation(cell)
    sim.initialize(-65)
    with pytest.raises(ModelError, match="t_stop_ms = 'ten' is not a number"):
        sim.advance("ten")
    with pytest.raises(ModelError, match="not finite"):
        sim.advance(math.inf)
