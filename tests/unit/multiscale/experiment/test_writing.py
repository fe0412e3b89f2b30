"""The resolved experiment written back as TOML loads to the same experiment."""

from __future__ import annotations

import tomllib

from multiscale import experiment as ex

from ....conftest import REPO


def test_resolved_toml_loads_back_to_the_same_experiment():
    exp = ex.load(REPO / "examples" / "experiments" / "neighbouring_spine_20Hz_reduced.toml",
                  check_files=False)  # fmt: skip
    again = ex.loads(exp.to_toml(), source=exp.source, check_files=False)
    assert again.to_dict() == exp.to_dict()
    assert again.digest() == exp.digest()


def test_dumps_toml_round_trips_nested_tables_and_arrays_of_tables():
    data = {"a": 1, "s": 'x "q"', "t": {"f": 0.1, "l": [1, 2], "u": {"b": True}},
            "arr": [{"k": 1}, {"k": 2, "v": [0.5]}]}  # fmt: skip
    assert tomllib.loads(ex.dumps_toml(data)) == data
