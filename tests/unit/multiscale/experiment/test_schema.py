"""The schema: every key documented, the dataclasses frozen."""

from __future__ import annotations

import dataclasses

import pytest

from multiscale import experiment as ex

from ....conftest import REPO
from ._shared import MINIMAL


def test_schema_keys_are_documented():
    doc = (REPO / "docs" / "experiments.md").read_text()
    missing = [k for k in ex.schema_keys() if f"`{k.rsplit('.', 1)[-1]}`" not in doc]
    assert not missing, f"docs/experiments.md does not mention {missing}"
    for table in ("[experiment]", "[model]", "[pathway]", "[coupling]", "[scheduler]",
                  "[simulation]", "[[stimuli.iclamp]]", "[[stimuli.spikes]]", "[[stimuli.train]]",
                  "[[stimuli.poisson]]", "[[stimuli.timescales]]", "[recording]", "[output]",
                  "[quick]"):  # fmt: skip
        assert table in doc


def test_experiment_dataclasses_are_frozen():
    exp = ex.loads(MINIMAL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        exp.simulation.t_stop_ms = 1.0  # type: ignore[misc]
