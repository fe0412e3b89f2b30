"""Seed 000: NEST's "intrinsic currents spiking" -- a Hill-Tononi neuron driven by Poisson input.

What it shows: a point-neuron population (:mod:`electrical.point`) with one
``HTNeuron`` (NEST's ``ht_neuron``: intrinsic currents I_NaP, I_KNa, I_T, I_h and
beta-function AMPA, NMDA, GABA_A, GABA_B receptors), four Poisson generators of
100 Hz, one per receptor, with weights AMPA 30, NMDA 30, GABA_A 5, GABA_B 10 and
the default 1-ms delay, a multimeter at 0.1 ms recording V_m, theta, the four
conductances and the four intrinsic currents, 250 ms (SEEDS.md 0.9).  The
``subthreshold`` protocol is the companion example: DC alternating +10 for 20 ms
and -5 for 20 * 2^n ms (n = 0..4), cut at 500 ms (the total of SEEDS.md 0.9).

The model uses NEST's numerical scheme and equals NEST 3.10 to round-off on the same
input spike times (tests/validation/point/test_ht_vs_nest.py).  Model "currents"
are in mV and conductances dimensionless (the axis labels "nS"/"pA" are NEST's
nominal ones).

Runtime: about 5 s the first time (numba compiles the integrator; cached after),
well under 1 s after.  Outputs: the spike count on stdout; ``--json PATH`` writes
``{"n_spikes", "spike_times_ms", "mean_g": {"g_AMPA", ...}}`` (mean over the run);
``--plot PATH`` the three-panel figure (two panels for ``subthreshold``);
``--out DIR`` writes ``seed000_<protocol>.json``, ``.png`` and ``.h5`` there.

Usage::

    python examples/seed000_ht_neuron.py [--seed N] [--protocol spiking|subthreshold]
        [--quick] [--json PATH] [--plot PATH] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from electrical import point
from multiscale.point_output import write_point_results

RATE_HZ = 100.0
WEIGHTS = {"AMPA": 30.0, "NMDA": 30.0, "GABA_A": 5.0, "GABA_B": 10.0}
T_SPIKING_MS = 250.0
T_SUBTHRESHOLD_MS = 500.0
RESOLUTION_MS = 0.1
G_NAMES = ("g_AMPA", "g_NMDA", "g_GABA_A", "g_GABA_B")


def spiking(seed: int, t_ms: float = T_SPIKING_MS):
    """The seed protocol; returns (network, multimeter, spike recorder)."""
    net = point.Network(RESOLUTION_MS)
    pop = net.create(point.HTNeuron(), 1, name="ht_neuron")
    for k, (rec, w) in enumerate(WEIGHTS.items()):
        pg = net.poisson_generator(RATE_HZ, seed=seed * 4 + k)
        net.connect(pg, pop, weight=w, delay_ms=1.0, receptor=rec)
    mm = net.multimeter(pop, tuple(point.RECORDABLES), interval_ms=RESOLUTION_MS)
    sr = net.spike_recorder(pop)
    net.run(t_ms)
    return net, mm, sr


def subthreshold_current(t_ms: float = T_SUBTHRESHOLD_MS):
    """(times_ms, amplitudes) of the alternating DC: +10 for 20 ms, -5 for 20*2^n ms."""
    times, amps, t = [], [], 0.0
    for n in range(5):
        for dur, amp in ((20.0, 10.0), (20.0 * 2**n, -5.0)):
            if t < t_ms:
                times.append(t)
                amps.append(amp)
            t += dur
    return times, amps


def subthreshold(t_ms: float = T_SUBTHRESHOLD_MS):
    """The companion protocol; returns (network, multimeter, spike recorder)."""
    net = point.Network(RESOLUTION_MS)
    pop = net.create(point.HTNeuron(), 1, name="ht_neuron")
    times, amps = subthreshold_current(t_ms)
    net.connect(net.step_current_generator(times, amps), pop)
    mm = net.multimeter(pop, tuple(point.RECORDABLES), interval_ms=RESOLUTION_MS)
    sr = net.spike_recorder(pop)
    net.run(t_ms)
    return net, mm, sr


def texify(name: str) -> str:
    head, tail = name.split("_", 1)
    return rf"${head}_{{\mathrm{{{tail}}}}}$"


def plot(mm, protocol: str, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = mm.times_ms
    d = mm.data
    if protocol == "spiking":
        fig, (vax, gax, iax) = plt.subplots(3, 1, sharex=True, figsize=(8, 8))
        vax.plot(t, d["V_m"][:, 0], "b", lw=2, label=r"$V_m$")
        vax.plot(t, d["theta"][:, 0], "g", lw=2, label=r"$\Theta$")
        vax.set_ylabel("Potential [mV]")
        vax.legend(fontsize="small")
        vax.set_title("ht_neuron driven by Poisson processes")
        for g in G_NAMES:
            gax.plot(t, d[g][:, 0], lw=2, label=texify(g))
        gax.set_ylabel("Conductance [nS]")
        gax.legend(fontsize="small")
    else:
        fig, iax = plt.subplots(1, 1, figsize=(8, 4))
        vax = iax
        vax.plot(t, d["V_m"][:, 0], "b", lw=2, label=r"$V_m$")
        vax.plot(t, d["theta"][:, 0], "g", lw=2, label=r"$\Theta$")
        vax.set_ylim(-80.0, 0.0)
        vax.set_ylabel("Potential [mV]")
        vax.legend(loc="upper left", fontsize="small")
        vax.set_title("ht_neuron driven by DC current")
        iax = vax.twinx()
        iax.set_ylim(-10.0, 15.0)
    for name, color in (
        ("I_h", "maroon"),
        ("I_T", "orange"),
        ("I_NaP", "crimson"),
        ("I_KNa", "aqua"),
    ):
        iax.plot(t, d[name][:, 0], color=color, lw=2, label=texify(name))
    iax.set_ylabel("Current [pA]")
    iax.legend(loc="upper right", fontsize="small")
    (iax if protocol == "spiking" else vax).set_xlabel("Time [ms]")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summary(mm, sr) -> dict:
    return {
        "n_spikes": int(sr.times_ms.size),
        "spike_times_ms": [float(x) for x in sr.times_ms],
        "mean_g": {g: float(np.mean(mm.data[g][:, 0])) for g in G_NAMES},
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0, help="seed of the Poisson inputs (>= 0)")
    ap.add_argument("--protocol", choices=("spiking", "subthreshold"), default="spiking")
    ap.add_argument("--quick", action="store_true", help="shorter run (100 ms)")
    ap.add_argument("--json", metavar="PATH", help="write spike count, times and mean g")
    ap.add_argument("--plot", metavar="PATH", help="write the figure (PNG)")
    ap.add_argument("--out", metavar="DIR", help="write json, png and h5 into DIR")
    args = ap.parse_args(argv)
    if args.seed < 0:
        ap.error(f"--seed {args.seed}: must be >= 0")
    if args.protocol == "spiking":
        net, mm, sr = spiking(args.seed, 100.0 if args.quick else T_SPIKING_MS)
    else:
        net, mm, sr = subthreshold(200.0 if args.quick else T_SUBTHRESHOLD_MS)
    res = summary(mm, sr)
    print(
        f"{args.protocol}: {res['n_spikes']} spikes in {net.t_ms:g} ms; mean g: "
        + ", ".join(f"{k} {v:.3f}" for k, v in res["mean_g"].items())
    )
    targets_json = [args.json] if args.json else []
    targets_png = [args.plot] if args.plot else []
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        stem = out / f"seed000_{args.protocol}"
        targets_json.append(stem.with_suffix(".json"))
        targets_png.append(stem.with_suffix(".png"))
        write_point_results(stem.with_suffix(".h5"), net, overwrite=True)
    for p in targets_json:
        Path(p).write_text(json.dumps(res, indent=1))
    for p in targets_png:
        plot(mm, args.protocol, p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
