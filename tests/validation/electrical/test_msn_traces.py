"""The TimeScales MSN against the original model run in NEURON 9.0.2.

Every trace in ``../shared/reference/msn/neuron_traces/`` is re-run with the
protocol of its first comment line (JSON: ``iclamp`` = [delay, dur, amp] at
soma(0.5); ``spines`` = section, x, input times, weight; ``tstop``), with the
MSN of :mod:`multiscale.msn` (no spine mode; the protocol's spines are added
as spine1, spine2, ...), and compared column by column:

- the same number of somatic spikes, each upward 0-mV crossing (interpolated
  between the 0.1-ms samples) within :data:`SPIKE_TIME_ATOL_MS`;
- every membrane potential away from spikes within :data:`V_ATOL_MV`;
- every Ca concentration within :data:`CA_PEAK_RTOL` of the column's peak.

Spine traces need spine calcium (``catrack``/``caltrack``, MODEL.md 4.3): the
head's skkca reads cai, so without it neither spine V nor Ca can match; those
traces skip with that reason until the mechanisms are in the catalogue.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from electrical import IClamp
from multiscale.msn import MSN
from multiscale.spine import spine_calcium_available
from multiscale.stimulation import connect_spine_inputs

from ...conftest import REFERENCE

pytestmark = pytest.mark.validation

TRACE_DIR = REFERENCE / "msn" / "neuron_traces"
TRACES = sorted(TRACE_DIR.glob("*.csv")) if TRACE_DIR.is_dir() else []

#: Issue 3: spike times within 0.1 ms (4 steps of 0.025 ms) of NEURON's.
SPIKE_TIME_ATOL_MS = 0.1
#: Issue 3: V away from spikes within 0.5 mV of NEURON's.
V_ATOL_MV = 0.5
#: Issue 3: Ca concentrations within 2 % of the column's peak.
CA_PEAK_RTOL = 0.02
#: Samples from 1 ms before to 4 ms after each spike's upstroke count as "at a spike":
#: a 0.1-ms shift of a ~300 mV/ms upstroke alone is 30 mV.
SPIKE_WINDOW_MS = (-1.0, 4.0)
#: Reference sampling interval [ms] (README: sampled every 0.1 ms = 4 steps).
SAMPLE_MS = 0.1
#: Times of our samples and the CSV's agree to the CSV's printed precision [ms].
TIME_ATOL_MS = 1e-9

_DEND = re.compile(r"^(dend\d_\d)_(\d)_x([0-9.]+)_(v)_mV$")
_SPINE = re.compile(r"^spine(\d+)_head_(v|cai|cali)_(mV|mM)$")


def _read(path: Path):
    with path.open() as fh:
        first = fh.readline()
        header = fh.readline().lstrip("# ").strip().split(",")
    protocol = json.loads(first.split("protocol:", 1)[1])
    data = np.loadtxt(path, delimiter=",", comments="#")
    return protocol, header, data


def _column_location(msn: MSN, name: str):
    """(variable, location) of a CSV column, e.g. 'dend3_1_1_x0.5_v_mV' -> v at dend3_1[1](0.5)."""
    if name in ("soma_v_mV", "soma_cai_mM"):
        return name.split("_")[1], msn.soma(0.5)
    m = _DEND.match(name)
    if m:
        return m.group(4), msn[f"{m.group(1)}[{m.group(2)}]"](float(m.group(3)))
    m = _SPINE.match(name)
    if m:
        return m.group(2), msn.spine(int(m.group(1))).head(0.5)
    raise ValueError(f"unknown reference column '{name}'")


def run_protocol(protocol: dict, header: list[str], corrections: bool = False):
    """Simulate a reference protocol; returns column name -> samples every 0.1 ms."""
    msn = MSN("none", corrections=corrections)
    for s in protocol.get("spines", []):
        msn.add_spine((s["section"], s["x"]))
    if "iclamp" in protocol:
        delay, dur, amp = protocol["iclamp"]
        msn.cell.place(msn.soma(0.5), IClamp(delay=delay, dur=dur, amp=amp))
    sim = msn.simulation()
    every = round(SAMPLE_MS / sim.dt_ms)
    traces = {"t_ms": None}
    for col in header[1:]:
        var, loc = _column_location(msn, col)
        traces[col] = sim.record(var, loc, every=every)
    for spine, s in zip(msn.spines, protocol.get("spines", [])):
        connect_spine_inputs(sim, spine, s["inputs_ms"], weight=s.get("weight", 1.0))
    msn.initialize(sim)
    sim.advance(protocol["tstop"])
    out = {k: tr.values for k, tr in traces.items() if tr is not None}
    out["t_ms"] = traces[header[1]].t_ms
    return out


def upward_crossings_ms(t_ms: np.ndarray, v_mV: np.ndarray, threshold_mV: float = 0.0):
    """Upward threshold crossings [ms], linearly interpolated between samples."""
    i = np.nonzero((v_mV[1:] > threshold_mV) & (v_mV[:-1] <= threshold_mV))[0]
    return t_ms[i] + (threshold_mV - v_mV[i]) / (v_mV[i + 1] - v_mV[i]) * (t_ms[i + 1] - t_ms[i])


def _needs_spine_calcium(protocol: dict) -> bool:
    return bool(protocol.get("spines"))


@pytest.fixture(scope="module", params=TRACES, ids=[p.stem for p in TRACES])
def compared(request):
    protocol, header, ref = _read(request.param)
    if _needs_spine_calcium(protocol) and not spine_calcium_available():
        pytest.skip(
            "spine calcium (catrack/caltrack, MODEL.md 4.3) is not in the catalogue yet; "
            "the spine head's skkca reads cai, so spine traces cannot match without it"
        )
    ours = run_protocol(protocol, header)
    n = ref.shape[0]
    assert ours["t_ms"].size >= n
    ours = {k: v[:n] for k, v in ours.items()}
    return request.param.stem, header, ref, ours


def test_reference_traces_present():
    if not TRACE_DIR.is_dir():
        pytest.skip(f"reference traces not found at {TRACE_DIR} (../shared beside the checkout)")
    assert len(TRACES) >= 3


def test_sample_times(compared):
    _, _, ref, ours = compared
    np.testing.assert_allclose(ours["t_ms"], ref[:, 0], atol=TIME_ATOL_MS)


def test_spike_count_and_times(compared):
    name, header, ref, ours = compared
    t = ref[:, 0]
    want = upward_crossings_ms(t, ref[:, header.index("soma_v_mV")])
    got = upward_crossings_ms(t, ours["soma_v_mV"])
    assert got.size == want.size, f"{name}: {got.size} spikes, NEURON {want.size}"
    np.testing.assert_allclose(got, want, atol=SPIKE_TIME_ATOL_MS, rtol=0)


def _away_from_spikes(t: np.ndarray, spikes: np.ndarray) -> np.ndarray:
    keep = np.ones(t.size, dtype=bool)
    for ts in spikes:
        keep &= ~((t >= ts + SPIKE_WINDOW_MS[0]) & (t <= ts + SPIKE_WINDOW_MS[1]))
    return keep


def test_voltages_away_from_spikes(compared):
    name, header, ref, ours = compared
    t = ref[:, 0]
    spikes = upward_crossings_ms(t, ref[:, header.index("soma_v_mV")])
    keep = _away_from_spikes(t, spikes)
    for k, col in enumerate(header):
        if col.endswith("_v_mV"):
            err = np.abs(ours[col] - ref[:, k])[keep]
            assert err.max() <= V_ATOL_MV, f"{name}.{col}: max |dV| {err.max():.4g} mV"


def test_calcium(compared):
    name, header, ref, ours = compared
    for k, col in enumerate(header):
        if col.endswith("_mM"):
            peak = np.abs(ref[:, k]).max()
            err = np.abs(ours[col] - ref[:, k]).max()
            assert err <= CA_PEAK_RTOL * peak, f"{name}.{col}: max |dCa| {err:.3g} mM, peak {peak:.3g}"


def deviations(compared) -> dict[str, float]:
    """Measured deviations of one trace (for reports): max |dV| away from spikes etc."""
    _name, header, ref, ours = compared
    t = ref[:, 0]
    spikes = upward_crossings_ms(t, ref[:, header.index("soma_v_mV")])
    got = upward_crossings_ms(t, ours["soma_v_mV"])
    keep = _away_from_spikes(t, spikes)
    out = {"n_spikes_ref": float(spikes.size), "n_spikes": float(got.size)}
    if got.size == spikes.size and spikes.size:
        out["max_spike_dt_ms"] = float(np.abs(got - spikes).max())
    for k, col in enumerate(header[1:], start=1):
        d = np.abs(ours[col] - ref[:, k])
        if col.endswith("_v_mV"):
            out[col] = float(d[keep].max())
        else:
            out[col + "_rel_peak"] = float(d.max() / np.abs(ref[:, k]).max())
    return out


def test_report_deviations(compared, record_property):
    """Not a check: records the measured deviations (``-rA`` / junit shows them)."""
    for k, v in deviations(compared).items():
        record_property(k, v)
    print(compared[0], deviations(compared))



#: The corrected spine (MODEL.md 11.3) changes one spine's head V only a little (its
#: membrane conductance is tiny next to the neck's); the comparison must still resolve it:
#: more than this [mV], 2e4 times the CSV's rounding (5e-8 mV).
CORRECTION_EFFECT_MIN_MV = 1e-3
#: MODEL.md 14.1 quotes the rests to 0.01 mV.
REST_ATOL_MV = 0.01
#: MODEL.md 14.1: soma V [mV] after 100 ms from v_init -87.75 mV, per spine mode.
REST_MV = {"none": -88.04, "two": -88.03, "onebranch": -87.50, "all": -83.34}


@pytest.mark.slow
def test_corrected_spine_changes_the_one_spine_trace():
    """Negative control: the MODEL.md 11.3 corrections are resolved by the comparison."""
    path = TRACE_DIR / "msn_one_spine_train.csv"
    if not path.is_file():
        pytest.skip(f"reference trace not found: {path}")
    if not spine_calcium_available():
        pytest.skip("spine calcium (catrack/caltrack) is not in the catalogue yet")
    protocol, header, ref = _read(path)
    ours = run_protocol(protocol, header, corrections=True)
    col = "spine1_head_v_mV"
    err = np.abs(ours[col][: ref.shape[0]] - ref[:, header.index(col)])
    assert err.max() > CORRECTION_EFFECT_MIN_MV


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(REST_MV))
def test_rest_per_mode(mode):
    """MODEL.md 14.1: rest after 100 ms; the leak-free spines depolarise 'all' to -83.34 mV."""
    if mode in ("onebranch", "all") and not (REFERENCE / "msn" / "spine_positions.csv").is_file():
        pytest.skip("published spine positions not found (../shared beside the checkout)")
    if mode != "none" and not spine_calcium_available():
        pytest.skip("spine calcium (catrack/caltrack) is not in the catalogue yet")
    msn = MSN(mode)
    sim = msn.simulation()
    v = sim.record("v", msn.soma(0.5), every=4000)
    msn.initialize(sim)
    sim.advance(100.0)
    assert v.values[-1] == pytest.approx(REST_MV[mode], abs=REST_ATOL_MV)
