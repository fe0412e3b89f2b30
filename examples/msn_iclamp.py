"""MSN under a somatic current step: the TimeScales cell's firing (Mattioni & Le Novere 2013).

What it shows: building the medium spiny neuron of the TimeScales model
(:mod:`multiscale.msn`: 29 sections, the MODEL.md 3.4 channel set, kir 1.6e-4
S/cm2, 35 degC, v_init -87.75 mV) in one of the spine modes none / two /
onebranch / all, injecting a current step at soma(0.5) and listing the spikes
(upward 0-mV crossings, interpolated between steps).  With the defaults
(0.248 nA from 100 ms for 500 ms) the original model in NEURON 9.0.2 fires 19
spikes, the first at 123.54 ms; this engine reproduces every spike time to
within 0.001 ms (tests/validation/electrical/test_msn_traces.py).

Runtime: about 10 s in mode none (700 ms simulated; add ~30 s once for numba
to compile the step, cached after); --quick simulates 200 ms (about 3 s).
Mode all (1504 spines) costs about 4 ms per 0.025-ms step (benchmarks/msn_step.py).  The onebranch
and all modes read the published spine positions from
../shared/reference/msn (``--positions-dir`` to change).

Outputs: spike times on stdout; ``--json PATH`` writes
``{"spike_times_ms": [...], "soma_v_rest_mV": ...}`` (rest = soma V at the
step onset); ``--plot PATH`` the soma and distal-dendrite voltage.

Usage::

    python examples/msn_iclamp.py [--amp NA] [--delay MS] [--dur MS] [--tstop MS]
        [--spines none|two|onebranch|all] [--json PATH] [--plot PATH] [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from electrical import IClamp
from multiscale.msn import MODES, MSN


def spike_times_ms(t_ms: np.ndarray, v_mV: np.ndarray, threshold_mV: float = 0.0) -> np.ndarray:
    """Upward threshold crossings [ms], linearly interpolated between samples."""
    i = np.nonzero((v_mV[1:] > threshold_mV) & (v_mV[:-1] <= threshold_mV))[0]
    return t_ms[i] + (threshold_mV - v_mV[i]) / (v_mV[i + 1] - v_mV[i]) * (t_ms[i + 1] - t_ms[i])


def run(amp_nA: float, delay_ms: float, dur_ms: float, tstop_ms: float, spines: str,
        positions_dir: str | None = None) -> dict:
    """Simulate; returns t [ms], soma and dend3_1[1](0.5) V [mV], spike times, rest."""
    msn = MSN(spines, positions_dir=positions_dir)
    msn.cell.place(msn.soma(0.5), IClamp(delay=delay_ms, dur=dur_ms, amp=amp_nA))
    sim = msn.simulation()
    v = sim.record("v", msn.soma(0.5))
    vd = sim.record("v", msn["dend3_1[1]"](0.5))
    msn.initialize(sim)
    sim.advance(tstop_ms)
    t = v.t_ms
    rest_i = min(int(np.searchsorted(t, delay_ms)), t.size - 1)
    return {"t_ms": t, "soma_v_mV": v.values, "dend_v_mV": vd.values,
            "spike_times_ms": spike_times_ms(t, v.values),
            "soma_v_rest_mV": float(v.values[rest_i]), "msn": msn}


def plot(res: dict, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(res["t_ms"], res["soma_v_mV"], label="soma(0.5)")
    ax.plot(res["t_ms"], res["dend_v_mV"], label="dend3_1[1](0.5)", lw=0.8)
    ax.set_xlabel("t [ms]")
    ax.set_ylabel("V [mV]")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="TimeScales MSN with a somatic IClamp.")
    ap.add_argument("--amp", type=float, default=0.248, help="step amplitude [nA]")
    ap.add_argument("--delay", type=float, default=100.0, help="step onset [ms]")
    ap.add_argument("--dur", type=float, default=500.0, help="step duration [ms]")
    ap.add_argument("--tstop", type=float, default=700.0, help="simulated time [ms]")
    ap.add_argument("--spines", default="none", choices=[*MODES, "zero"], help="spine mode")
    ap.add_argument("--positions-dir", help="folder of spine_positions.csv (onebranch, all)")
    ap.add_argument("--quick", action="store_true", help="200 ms: step from 50 to 200 ms")
    ap.add_argument("--json", metavar="PATH", help="write spike times and rest as JSON")
    ap.add_argument("--plot", metavar="PATH", help="write the voltage figure (PNG)")
    ap.add_argument("--out", metavar="DIR", help="directory for default output names")
    args = ap.parse_args(argv)
    if args.quick:
        args.delay, args.dur, args.tstop = 50.0, 150.0, 200.0
    if args.tstop <= 0 or args.dur < 0:
        ap.error("--tstop must be > 0 and --dur >= 0 [ms]")
    res = run(args.amp, args.delay, args.dur, args.tstop, args.spines, args.positions_dir)
    spikes = res["spike_times_ms"]
    print(f"{res['msn']!r}")
    print(f"IClamp {args.amp:g} nA from {args.delay:g} ms for {args.dur:g} ms: "
          f"rest {res['soma_v_rest_mV']:.3f} mV, {spikes.size} spikes")
    if spikes.size:
        print("spike times [ms]: " + ", ".join(f"{s:.3f}" for s in spikes))
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    json_path = args.json or (str(out / "msn_iclamp.json") if out else None)
    plot_path = args.plot or (str(out / "msn_iclamp.png") if out else None)
    if json_path:
        Path(json_path).write_text(json.dumps(
            {"spike_times_ms": [float(s) for s in spikes],
             "soma_v_rest_mV": res["soma_v_rest_mV"]}, indent=2))
    if plot_path:
        plot(res, plot_path, f"MSN ({args.spines} spines), IClamp {args.amp:g} nA")
    return 0


if __name__ == "__main__":
    sys.exit(main())
