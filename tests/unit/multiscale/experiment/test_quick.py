"""--quick: inputs moved and the run shortened."""

from __future__ import annotations

import numpy as np
import pytest

from multiscale import experiment as ex

from ....conftest import REPO
from ._shared import MINIMAL


def test_quick_moves_inputs_and_shortens_the_run():
    exp = ex.load(REPO / "examples" / "experiments" / "long_tstop_allbranch_cpm_two_branches_stims_20_Hz.toml",
                  check_files=False)  # fmt: skip
    q = ex.apply_quick(exp)
    assert q.is_quick and q.quick_shift_ms == 1900.0
    assert q.first_input_ms() == pytest.approx(exp.simulation.equilibrate_ms + ex.QUICK_LEAD_MS)
    assert q.simulation.t_stop_ms == pytest.approx(
        q.first_input_ms() + ex.QUICK_AFTER_FIRST_INPUT_MS, abs=q.simulation.dt_ms
    )
    assert q.simulation.equilibrate_biochem_s == ex.QUICK_BIOCHEM_EQUILIBRATION_S
    # the same spikes, moved: the intervals do not change
    full = {(n, s): t for n, s, t, _, _ in exp.input_events()}
    for n, s, t, _, _ in q.input_events():
        np.testing.assert_allclose(np.diff(t), np.diff(full[(n, s)]), atol=1e-9)
    assert q.biochemical_spines() == exp.biochemical_spines()
    assert q.digest() != exp.digest()


def test_quick_keeps_a_run_that_ends_before_its_inputs():
    exp = ex.load(REPO / "examples" / "experiments" / "short_tstop_double_stim.toml")
    q = ex.apply_quick(exp)
    assert q.simulation.t_stop_ms == exp.simulation.t_stop_ms and q.quick_shift_ms == 0.0


def test_quick_table_overrides_the_defaults():
    q = ex.apply_quick(
        ex.loads(MINIMAL + "[quick]\nafter_first_input_ms = 50.0\nshift_inputs = false\n")
    )
    assert q.quick_shift_ms == 0.0 and q.simulation.t_stop_ms == pytest.approx(200.0)
