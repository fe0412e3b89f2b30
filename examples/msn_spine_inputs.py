"""Spines of the TimeScales MSN receiving synaptic input trains.

What it shows: the MSN of :mod:`multiscale.msn` with explicit spines (mode
two by default: spine1 and spine2 on dend3_1[1] at x = 0.3 and 0.5), input
trains delivered to the AMPA and NMDA synapses of chosen spines either as the
original model's stimulus description (``--t-stim-s``, ``--number``,
``--delay-s``: spikes at t_stim + k delay, k = 1..number, so the first spike
is one interval *after* t_stim; MODEL.md 5.2) or as plain spike times
(``--times``), each reaching the synapses through a 1-ms connection delay.
It reports the somatic spikes and, per stimulated spine, the peaks (from
the first input on) of the head voltage and of the head's two calcium pools (cai: N/Q/R channels; cali:
L-type channels and the synaptic Ca current, arriving from the PSD).  A single
weight-1 input takes the head from -88 to about -67 mV and cai + cali to
about 2.6 uM (MODEL.md 4.4).

Runtime: about 3 s for the default 400 ms in mode two (add ~30-60 s once for
numba to compile the step, cached after); --quick simulates 250 ms.

Outputs: a summary on stdout; ``--json PATH`` writes ``{"spike_times_ms":
[...], "spines": {"spine1": {"inputs_ms": [...], "head_v_peak_mV": ...,
"head_cai_peak_mM": ..., "head_cali_peak_mM": ..., "head_ca_peak_mM": ...}}}``
(head_ca = cai + cali, the value the original sends to the biochemistry);
``--plot PATH`` shows soma V, spine-head V and spine-head Ca.

Usage::

    python examples/msn_spine_inputs.py [--spines two|onebranch|all] [--stim 1 2]
        [--t-stim-s S --number N --delay-s S | --times MS MS ...] [--weight W]
        [--tstop MS] [--json PATH] [--plot PATH] [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from electrical import events
from multiscale.msn import MSN
from multiscale.stimulation import connect_spine_inputs


def spike_times_ms(t_ms: np.ndarray, v_mV: np.ndarray, threshold_mV: float = 0.0) -> np.ndarray:
    """Upward threshold crossings [ms], linearly interpolated between samples."""
    i = np.nonzero((v_mV[1:] > threshold_mV) & (v_mV[:-1] <= threshold_mV))[0]
    return t_ms[i] + (threshold_mV - v_mV[i]) / (v_mV[i + 1] - v_mV[i]) * (t_ms[i + 1] - t_ms[i])


def run(spines: str, stim: list[int], inputs_ms: np.ndarray, weight: float, tstop_ms: float,
        positions_dir: str | None = None) -> dict:
    """Simulate; returns traces of the soma and of every stimulated spine head."""
    msn = MSN(spines, positions_dir=positions_dir)
    sim = msn.simulation()
    v = sim.record("v", msn.soma(0.5))
    heads = {}
    for n in stim:
        spine = msn.spine(n)
        connect_spine_inputs(sim, spine, inputs_ms, weight=weight)
        h = spine.head(0.5)
        heads[spine.name] = {k: sim.record(k, h) for k in ("v", "cai", "cali")}
    msn.initialize(sim)
    sim.advance(tstop_ms)
    return {
        "msn": msn, "t_ms": v.t_ms, "soma_v_mV": v.values,
        "heads": {name: {k: tr.values for k, tr in rec.items()} for name, rec in heads.items()},
    }


def summary(res: dict, inputs_ms: np.ndarray) -> dict:
    """The JSON content: somatic spike times and the head peaks per stimulated spine."""
    out = {"spike_times_ms": [float(s) for s in spike_times_ms(res["t_ms"], res["soma_v_mV"])],
           "spines": {}}
    # Peaks from the first input on: the spine Ca shells start at 1e-3 mM and relax to
    # the pump equilibrium over the first ~100 ms (MODEL.md 4.3, first-step artefact).
    after = res["t_ms"] >= (inputs_ms[0] if len(inputs_ms) else res["t_ms"][-1])
    for name, h in res["heads"].items():
        out["spines"][name] = {
            "inputs_ms": [float(x) for x in inputs_ms],
            "head_v_peak_mV": float(h["v"][after].max()),
            "head_cai_peak_mM": float(h["cai"][after].max()),
            "head_cali_peak_mM": float(h["cali"][after].max()),
            "head_ca_peak_mM": float((h["cai"] + h["cali"])[after].max()),
        }
    return out


def plot(res: dict, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = res["t_ms"]
    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    axes[0].plot(t, res["soma_v_mV"], color="k")
    axes[0].set_ylabel("soma V [mV]")
    for name, h in res["heads"].items():
        axes[1].plot(t, h["v"], label=name)
        line, = axes[2].plot(t, 1e3 * (h["cai"] + h["cali"]), label=f"{name} cai + cali")
        axes[2].plot(t, 1e3 * h["cali"], ls="--", color=line.get_color(), label=f"{name} cali")
    axes[1].set_ylabel("spine head V [mV]")
    axes[2].set_ylabel("spine head Ca [uM]")
    axes[2].set_xlabel("t [ms]")
    axes[1].legend(fontsize=8)
    axes[2].legend(fontsize=8)
    axes[0].set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="TimeScales MSN spines receiving input trains.")
    ap.add_argument("--spines", default="two", choices=["two", "onebranch", "all"],
                    help="spine mode")
    ap.add_argument("--positions-dir", help="folder of spine_positions.csv (onebranch, all)")
    ap.add_argument("--stim", type=int, nargs="+", default=[1], help="spine numbers to stimulate")
    ap.add_argument("--t-stim-s", type=float, default=0.1, help="stimulus reference time [s]")
    ap.add_argument("--number", type=int, default=5, help="number of inputs")
    ap.add_argument("--delay-s", type=float, default=0.02, help="inter-input interval [s]")
    ap.add_argument("--times", type=float, nargs="+", metavar="MS",
                    help="plain input times [ms] (instead of the stimulus description)")
    ap.add_argument("--weight", type=float, default=1.0, help="connection weight")
    ap.add_argument("--tstop", type=float, default=400.0, help="simulated time [ms]")
    ap.add_argument("--quick", action="store_true", help="250 ms, 3 inputs")
    ap.add_argument("--json", metavar="PATH", help="write spikes and head peaks as JSON")
    ap.add_argument("--plot", metavar="PATH", help="write the figure (PNG)")
    ap.add_argument("--out", metavar="DIR", help="directory for default output names")
    args = ap.parse_args(argv)
    if args.quick:
        args.tstop, args.number = 250.0, 3
    if args.times:
        inputs = events.spike_times(args.times)
    else:
        inputs = events.timescales_stimulus(args.t_stim_s, args.number, delay_s=args.delay_s)
    res = run(args.spines, args.stim, inputs, args.weight, args.tstop, args.positions_dir)
    info = summary(res, inputs)
    print(f"{res['msn']!r}; inputs [ms]: {', '.join(f'{x:g}' for x in inputs)} (+1 ms delay)")
    print(f"somatic spikes: {len(info['spike_times_ms'])}")
    for name, s in info["spines"].items():
        print(f"{name}: head V peak {s['head_v_peak_mV']:.2f} mV, cai + cali peak "
              f"{1e3 * s['head_ca_peak_mM']:.3f} uM (cai {1e3 * s['head_cai_peak_mM']:.3f}, "
              f"cali {1e3 * s['head_cali_peak_mM']:.3f} uM)")
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    json_path = args.json or (str(out / "msn_spine_inputs.json") if out else None)
    plot_path = args.plot or (str(out / "msn_spine_inputs.png") if out else None)
    if json_path:
        Path(json_path).write_text(json.dumps(info, indent=2))
    if plot_path:
        plot(res, plot_path, f"MSN ({args.spines}), inputs to spine(s) {args.stim}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
