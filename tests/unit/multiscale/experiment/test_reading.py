"""Reading experiment files: every problem at once, in line order, with its key line."""

from __future__ import annotations

import pytest

from multiscale import experiment as ex

from ._shared import MINIMAL


def test_all_problems_are_reported_at_once_in_line_order():
    text = (
        MINIMAL.replace('spines = "two"', 'spines = "tow"\nkir_gkbar = -1.0')
        + "[scheduler]\nwindw_ms = 3\n"
    )
    with pytest.raises(ex.ExperimentError) as err:
        ex.loads(text, source="x.toml")
    keys = [p.key for p in err.value.problems]
    assert keys == ["model.spines", "model.kir_gkbar", "scheduler.windw_ms"]
    lines = [p.line for p in err.value.problems]
    assert lines == sorted(lines) and lines[0] == 3


def test_key_lines_follow_arrays_of_tables_and_inline_tables():
    text = """
[model]
spines = "two"   # a comment with key = value inside
[[stimuli.train]]
spines = [1]
[[stimuli.train]]
spines = [
  2,
]
number = 3
[pathway]
ports = {ca_in = "J", AMPAR_P = "[P]"}
description = \"\"\"
fake = 1
\"\"\"
"""
    lines = ex.key_lines(text)
    assert lines["model.spines"] == 3
    assert lines["stimuli.train[0].spines"] == 5
    assert lines["stimuli.train[1]"] == 6
    assert lines["stimuli.train[1].number"] == 10
    assert lines["pathway.ports.AMPAR_P"] == 12
    assert "pathway.fake" not in lines and "fake" not in lines
