"""--set overrides: values, tables, list items, removal, and their problems."""

from __future__ import annotations

import pytest

from multiscale import experiment as ex

from ....conftest import REPO
from ._shared import MINIMAL


def test_set_overrides_values_tables_and_list_items():
    exp = ex.loads(MINIMAL, overrides=[
        "simulation.t_stop_ms=500", "model.spines=none", "model.spines=two",
        "stimuli.train[0].number=5", "pathway.spines=[1, 2]", "coupling.calcium=concentration-difference",
    ])  # fmt: skip
    assert exp.simulation.t_stop_ms == 500.0
    assert exp.stimuli.train[0].number == 5
    assert exp.biochemical_spines() == (1, 2)
    assert exp.coupling.calcium == "concentration-difference"
    assert exp.overrides[0] == "simulation.t_stop_ms=500"


def test_set_with_an_empty_value_removes_the_key():
    path = REPO / "examples" / "experiments" / "long_tstop.toml"
    exp = ex.load(path, check_files=False)
    assert exp.coupling.sample_span_ms == 0.9
    with pytest.raises(ex.ExperimentError, match="coupling.sample_span_ms"):
        ex.load(path, ["coupling.calcium=influx"], check_files=False)
    exp = ex.load(path, ["coupling.calcium=influx", "coupling.sample_span_ms="], check_files=False)
    assert exp.coupling.calcium == "influx" and exp.coupling.sample_span_ms is None


def test_set_problems_name_the_override_not_the_file():
    with pytest.raises(ex.ExperimentError) as err:
        ex.loads(MINIMAL, source="mini.toml", overrides=["simulation.dt_ms=-1"])
    (p,) = err.value.problems
    assert p.file == "--set simulation.dt_ms=-1" and p.key == "simulation.dt_ms"
    assert str(p).startswith("--set simulation.dt_ms=-1: simulation.dt_ms = -1.0 ms")
