"""The original TimeScales coupled runs reproduced (MODEL.md 14.3).

'two' mode, spine1 biochemical with the ``timescales`` pathway, the original's
``concentration-difference`` coupling with its 0.9-ms sampling span, pump and
leak 4e-3 M/s switched off in windows, EventDriven(window 10 ms, exchange
every 1 ms); 20 inputs at 8, 20 and 50 Hz from 2 s + 1/f.  The AMPA weight at
the end of the train and of the run must be within 5% of MODEL.md 14.3.

How these runs differ from the original, on purpose (MODEL.md 8.3, 11.1):
exchanges are exactly 1 ms apart (the original's floating-point window test
made them 1.025 ms, 9 per window), every window lasts its full 10 ms (the
original never passed the last ~0.75 ms of a window to E-Cell, so its
biochemical clock drifted), and no input is skipped (none is at these
frequencies anyway).  The pathway therefore sees its pump off for 10 ms per
window instead of ~9.2 ms, which makes our weights a few per cent higher.
Without the 0.9-ms sampling span (i.e. the change over the whole interval)
the weights come out ~9% higher at the end of the run.
"""

from __future__ import annotations

import numpy as np
import pytest

from biochem import Pathway
from multiscale.cosim import Cosimulation
from multiscale.msn import MSN
from sync import EventDriven

pytestmark = [pytest.mark.slow, pytest.mark.validation]

#: Issue 5: within 5% of MODEL.md 14.3 (itself "indicative": an LSODA replay of E-Cell).
WEIGHT_RTOL = 0.05
#: MODEL.md 14.3: frequency -> (weight at the end of the train, at the end of the run, t_stop)
REFERENCE = {8.0: (1.50, 1.91, 6100.0), 20.0: (1.28, 1.92, 4100.0), 50.0: (1.10, 2.24, 4100.0)}
ORIGINAL_SAMPLE_SPAN_MS = 0.9  # MODEL.md 8.3, "sampling mismatch"


@pytest.fixture(scope="module")
def pathway() -> Pathway:
    return Pathway.spine("timescales")


@pytest.mark.parametrize("freq_hz", sorted(REFERENCE))
def test_weights_match_the_original(freq_hz, pathway):
    end_of_train_ref, final_ref, t_stop = REFERENCE[freq_hz]
    interval = 1000.0 / freq_hz
    inputs = 2000.0 + interval * np.arange(1, 21)
    cs = Cosimulation(MSN("two"), pathway=pathway, biochemical=[1],
                      coupling="concentration-difference", scheduler=EventDriven(10.0, 1.0),
                      ca_pump_vmax=4e-3, ca_leak_vmax=4e-3,
                      sample_span_ms=ORIGINAL_SAMPLE_SPAN_MS)  # fmt: skip
    cs.stimulate(1, inputs)
    cs.initialize()
    cs.advance_to(t_stop)
    cs.finish()
    t, w = cs.weights(1)
    end_of_train = w[t <= inputs[-1] + 1.0][-1]  # at the last input's arrival
    assert end_of_train == pytest.approx(end_of_train_ref, rel=WEIGHT_RTOL)
    assert w[-1] == pytest.approx(final_ref, rel=WEIGHT_RTOL)
    # 20 windows of 11 exchanges (the last one by finish())
    assert cs.stats()["exchanges"]["spine1"] == 20 * 11 + 1
