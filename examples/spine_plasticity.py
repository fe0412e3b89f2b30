"""One spine of the TimeScales MSN learning: a train of inputs, calcium, CaMKII and the AMPA weight.

What it shows: the MSN in mode 'two' with spine1 (dend3_1[1], x = 0.3)
biochemical, i.e. running the default spine pathway (CaM / CaMKII / PP2B /
PP1 / AMPAR phosphorylation), coupled to the electrical spine by
:class:`multiscale.cosim.Cosimulation`: the spine's calcium drives the
pathway, and the pathway's AMPAR_P / baseline becomes the AMPA weight.  The
protocol is that of MODEL.md 14.3: after 100 ms of electrical and 300 s of
biochemical equilibration, ``--pulses`` inputs at ``--freq`` Hz, the first
at 2 s + 1/f (the original's t_stim = 2 s), each reaching AMPA and NMDA
through a 1-ms connection delay; the run ends at least 1 s after the last
input (6.1 s at 8 Hz, 4.1 s at 20 and 50 Hz, as in MODEL.md 14.3).

Couplings: ``influx`` (default; the calcium that entered head and PSD through
their calcium currents, mass-conserving) or ``concentration-difference`` (the
original's rule, pump and leak off in windows).  The scheduler is
EventDriven(window 10 ms, exchange every 1 ms) unless ``--fixed-interval-ms``
is given.  MODEL.md 14.3 reports, for the original (concentration-difference):
weights at the end of the train 1.50 / 1.28 / 1.10 and at the end of the run
1.91 / 1.92 / 2.24 at 8 / 20 / 50 Hz.

Runtime: about 50 s for 20 pulses at 8 Hz (6.1 s simulated, the electrical
model dominates); --quick (3 pulses from 150 ms, 450 ms simulated) about 5 s.

Outputs: a summary on stdout; ``--json PATH`` writes ``{"weight": [...],
"weight_times_ms": [...], "final_weight", "weight_end_of_train", "exchanges",
"pathway_calls", "inputs_ms", "camkii_final", "pp2b_final", "wall_s"}``;
``--plot PATH`` shows spine V, spine calcium (electrical and biochemical),
CaMKIIbar, PP2Bbar and the weight.

Usage::

    python examples/spine_plasticity.py --freq HZ --pulses N
        --coupling influx|concentration-difference [--window-ms MS]
        [--exchange-interval-ms MS | --fixed-interval-ms MS]
        [--sample-span-ms MS] [--pathway timescales|corrected] [--t-stop-ms MS] [--json PATH] [--plot PATH]
        [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from biochem import Pathway
from multiscale.cosim import Cosimulation
from multiscale.msn import MSN
from sync import EventDriven, FixedInterval


def protocol(freq_hz: float, pulses: int, first_ms: float | None = None) -> np.ndarray:
    """Input times [ms]: ``pulses`` at ``freq_hz``, the first at 2 s + 1/f (MODEL.md 14.3)."""
    interval = 1000.0 / freq_hz
    start = 2000.0 + interval if first_ms is None else first_ms
    return start + interval * np.arange(pulses)


def default_t_stop_ms(inputs_ms: np.ndarray) -> float:
    """At least 1 s after the last input, in whole seconds of protocol, plus the 100-ms equilibration."""
    return 100.0 + 1000.0 * math.ceil(inputs_ms[-1] / 1000.0 + 1.0)


def run(freq_hz: float, pulses: int, coupling: str, scheduler, pathway_variant: str,
        t_stop_ms: float | None, first_ms: float | None = None,
        record_every_ms: float = 1.0, sample_span_ms: float | None = None) -> dict:  # fmt: skip
    inputs = protocol(freq_hz, pulses, first_ms)
    t_stop = default_t_stop_ms(inputs) if t_stop_ms is None else t_stop_ms
    msn = MSN("two")
    cs = Cosimulation(msn, pathway=Pathway.spine(pathway_variant), biochemical=[1],
                      coupling=coupling, scheduler=scheduler,
                      sample_span_ms=sample_span_ms)  # fmt: skip
    spine = msn.spine(1)
    every = max(1, round(record_every_ms / cs.electrical.dt_ms))
    v = cs.electrical.record("v", spine.head(0.5), every=every)
    cai = cs.electrical.record("cai", spine.head(0.5), every=every)
    cali = cs.electrical.record("cali", spine.head(0.5), every=every)
    bio = cs.record_species(1, ["[ca]", "CaMKIIbar", "PP2Bbar"], every_ms=record_every_ms)
    cs.stimulate(1, inputs)
    t0 = time.perf_counter()
    cs.initialize()
    cs.advance_to(t_stop)
    cs.finish()
    wall = time.perf_counter() - t0
    tw, w = cs.weights(1)
    stats = cs.stats()
    last_arrival = inputs[-1] + 1.0  # the last input reaches the synapses 1 ms later
    return {
        "inputs_ms": inputs,
        "t_stop_ms": t_stop,
        "weight_t_ms": tw,
        "weight": w,
        "weight_end_of_train": float(w[tw <= last_arrival + 1e-9][-1]),
        "t_ms": v.t_ms,
        "head_v_mV": v.values,
        "head_ca_mM": cai.values + cali.values,
        "bio_t_ms": bio.t_ms,
        "bio": bio.values,
        "stats": stats,
        "wall_s": wall,
    }


def summary(res: dict) -> dict:
    stats = res["stats"]
    return {
        "inputs_ms": [float(x) for x in res["inputs_ms"]],
        "weight": [float(x) for x in res["weight"]],
        "weight_times_ms": [float(x) for x in res["weight_t_ms"]],
        "final_weight": float(res["weight"][-1]),
        "weight_end_of_train": res["weight_end_of_train"],
        "exchanges": int(stats["exchanges"]["spine1"]),
        "pathway_calls": int(stats["pathway_calls"]),
        "camkii_final": float(res["bio"][-1, 1]),
        "pp2b_final": float(res["bio"][-1, 2]),
        "ca_entered_mol": stats["ca_entered_mol"]["spine1"],
        "ca_delivered_mol": stats["ca_delivered_mol"]["spine1"],
        "wall_s": res["wall_s"],
    }


def plot(res: dict, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t_s = res["t_ms"] / 1000.0
    bt_s = res["bio_t_ms"] / 1000.0
    fig, ax = plt.subplots(5, 1, figsize=(9, 11), sharex=True)
    ax[0].plot(t_s, res["head_v_mV"], color="k", lw=0.6)
    ax[0].set_ylabel("spine head V [mV]")
    ax[1].plot(t_s, 1e3 * res["head_ca_mM"], lw=0.6, label="electrical head cai + cali")
    ax[1].plot(bt_s, 1e6 * res["bio"][:, 0], lw=0.6, label="pathway free Ca")
    ax[1].set_ylabel("Ca [uM]")
    ax[1].legend(fontsize=8)
    ax[2].plot(bt_s, res["bio"][:, 1], color="C2")
    ax[2].set_ylabel("CaMKIIbar")
    ax[3].plot(bt_s, res["bio"][:, 2], color="C3")
    ax[3].set_ylabel("PP2Bbar")
    ax[4].step(res["weight_t_ms"] / 1000.0, res["weight"], where="post", color="C4")
    ax[4].set_ylabel("AMPA weight")
    ax[4].set_xlabel("t [s]")
    ax[0].set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="One biochemical spine of the MSN under a train.")
    ap.add_argument("--freq", type=float, default=20.0, help="input frequency [Hz]")
    ap.add_argument("--pulses", type=int, default=20, help="number of inputs")
    ap.add_argument(
        "--coupling",
        default="influx",
        choices=["influx", "concentration-difference"],
        help="calcium coupling",
    )
    ap.add_argument("--window-ms", type=float, default=10.0, help="EventDriven window [ms]")
    ap.add_argument(
        "--exchange-interval-ms", type=float, default=1.0, help="EventDriven exchange interval [ms]"
    )
    ap.add_argument(
        "--delivery",
        default="per-exchange",
        choices=["per-exchange", "batched"],
        help="EventDriven delivery: one pathway call per exchange (the original's) "
        "or per input, the calcium as a continuous course (faster)",
    )
    ap.add_argument(
        "--fixed-interval-ms", type=float, help="use FixedInterval(MS) instead of EventDriven"
    )
    ap.add_argument(
        "--sample-span-ms",
        type=float,
        help="concentration-difference: sample the Ca change over the last MS of "
        "each interval (0.9 = the original's sampling)",
    )
    ap.add_argument("--pathway", default="timescales", choices=["timescales", "corrected"])
    ap.add_argument("--t-stop-ms", type=float, help="end of the run [ms] (default: see above)")
    ap.add_argument(
        "--quick", action="store_true", help="3 inputs from 150 ms, run to 450 ms (a smoke test)"
    )
    ap.add_argument("--json", metavar="PATH", help="write the weights and counts as JSON")
    ap.add_argument("--plot", metavar="PATH", help="write the figure (PNG)")
    ap.add_argument("--out", metavar="DIR", help="directory for default output names")
    args = ap.parse_args(argv)
    if not (args.freq > 0 and args.pulses >= 1):
        ap.error("--freq must be > 0 and --pulses >= 1")
    first = None
    if args.quick:
        args.pulses, first = min(args.pulses, 3), 150.0
        if args.t_stop_ms is None:
            args.t_stop_ms = 450.0
    if args.fixed_interval_ms:
        scheduler = FixedInterval(args.fixed_interval_ms)
    else:
        scheduler = EventDriven(args.window_ms, args.exchange_interval_ms, delivery=args.delivery)
    res = run(args.freq, args.pulses, args.coupling, scheduler, args.pathway, args.t_stop_ms,
              first, sample_span_ms=args.sample_span_ms)  # fmt: skip
    info = summary(res)
    print(
        f"spine1, {args.pulses} inputs at {args.freq:g} Hz from {res['inputs_ms'][0]:g} ms, "
        f"{args.coupling}, {scheduler}"
    )
    print(
        f"AMPA weight: {info['weight_end_of_train']:.4f} at the end of the train, "
        f"{info['final_weight']:.4f} at {res['t_stop_ms']:g} ms"
    )
    print(
        f"CaMKIIbar {info['camkii_final']:.4f}, PP2Bbar {info['pp2b_final']:.4f} at the end; "
        f"{info['exchanges']} exchanges, {info['pathway_calls']} pathway calls, "
        f"{info['wall_s']:.1f} s"
    )
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    json_path = args.json or (str(out / "spine_plasticity.json") if out else None)
    plot_path = args.plot or (str(out / "spine_plasticity.png") if out else None)
    if json_path:
        Path(json_path).write_text(json.dumps(info, indent=2))
    if plot_path:
        plot(res, plot_path, f"spine1, {args.pulses} inputs at {args.freq:g} Hz ({args.coupling})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
