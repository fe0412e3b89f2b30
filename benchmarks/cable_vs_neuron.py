"""Time the cable engine against NEURON on the same hh models, in one run.

Two models of about 10,000 segments with ``hh`` everywhere (celsius 6.3, Ra 100,
cm 1, dt 0.025 ms, 100 ms, an IClamp driving spikes):

- ``unbranched``: one cable, 1 um diameter, nseg = 10,001;
- ``branched``: a random binary-ish tree of sections (seeded), 10,000 segments.

Both simulators build the model from the same description; the timed part is
``finitialize + run`` in NEURON and ``initialize + advance`` here (after one
warm-up run that compiles or loads the cached step function).  The machines
are shared and noisy: compare the *ratio* ours/NEURON, measured back to back,
best of ``--repeats``.

Usage::

    python benchmarks/cable_vs_neuron.py [--json PATH] [--quick] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

from electrical import Cell, IClamp, Simulation  # noqa: E402

DT_MS = 0.025
CELSIUS = 6.3


def random_tree_spec(
    n_segments: int, seed: int = 1
) -> list[tuple[str, int, float, float, int, float]]:
    """(name, parent index, L [um], diam [um], nseg, parent x) per section; roots have parent -1."""
    rng = np.random.default_rng(seed)
    spec = [("soma", -1, 20.0, 20.0, 1, 0.0)]
    total = 1
    while total < n_segments:
        nseg = int(min(rng.integers(3, 30) | 1, n_segments - total)) or 1
        parent = int(rng.integers(0, len(spec)))
        x = float(rng.choice([1.0, 0.5, rng.uniform(0.05, 0.95)]))
        spec.append(
            (
                f"sec{len(spec)}",
                parent,
                float(rng.uniform(20, 200)),
                float(rng.uniform(0.5, 3.0)),
                nseg,
                x,
            )
        )
        total += nseg
    return spec


def unbranched_spec(n_segments: int) -> list[tuple[str, int, float, float, int, float]]:
    return [("cable", -1, n_segments * 2.0, 1.0, n_segments, 0.0)]


def build_ours(spec):
    cell = Cell("bench")
    secs = []
    for name, parent, L, diam, nseg, x in spec:
        sec = cell.section(name, L=L, diam=diam, nseg=nseg, Ra=100.0, cm=1.0)
        if parent >= 0:
            sec.connect(secs[parent], x)
        sec.insert("hh")
        secs.append(sec)
    cell.place(secs[0](0.5), IClamp(delay=1.0, dur=95.0, amp=2.0))
    return cell


def build_neuron(h, spec):
    secs = []
    for name, parent, L, diam, nseg, x in spec:
        sec = h.Section(name=name)
        sec.L, sec.diam, sec.nseg, sec.Ra, sec.cm = L, diam, nseg, 100.0, 1.0
        if parent >= 0:
            sec.connect(secs[parent](x), 0)
        sec.insert("hh")
        secs.append(sec)
    stim = h.IClamp(secs[0](0.5))
    stim.delay, stim.dur, stim.amp = 1.0, 95.0, 2.0
    return secs, stim


def time_ours(spec, t_stop_ms, repeats):
    sim = Simulation(build_ours(spec), dt_ms=DT_MS, celsius=CELSIUS)
    v = sim.record("v", sim.tree.sections[0](0.5))
    sim.initialize(-65.0)
    sim.advance(1.0)  # warm-up: compile or load the cached step
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        sim.initialize(-65.0)
        sim.advance(t_stop_ms)
        best = min(best, time.perf_counter() - t0)
    return best, sim.n_segments, v.values


def time_neuron(spec, t_stop_ms, repeats):
    from neuron import h

    h.load_file("stdrun.hoc")
    secs, stim = build_neuron(h, spec)
    vec = h.Vector().record(secs[0](0.5)._ref_v)
    h.celsius, h.dt, h.secondorder = CELSIUS, DT_MS, 0
    h.cvode_active(0)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        h.finitialize(-65.0)
        h.continuerun(t_stop_ms)
        best = min(best, time.perf_counter() - t0)
    out = np.array(vec)
    nseg = sum(s.nseg for s in secs)
    del secs, stim, vec
    return best, nseg, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    ap.add_argument("--quick", action="store_true", help="1,000 segments and 20 ms")
    ap.add_argument("--repeats", type=int, default=3, help="best of N runs (default 3)")
    args = ap.parse_args(argv)
    n_seg = 1_001 if args.quick else 10_001
    t_stop = 20.0 if args.quick else 100.0
    results = {}
    for label, spec in (
        ("unbranched", unbranched_spec(n_seg)),
        ("branched", random_tree_spec(n_seg - 1)),
    ):
        ours_s, nseg_o, v_o = time_ours(spec, t_stop, args.repeats)
        nrn_s, nseg_n, v_n = time_neuron(spec, t_stop, args.repeats)
        steps = round(t_stop / DT_MS)
        results[label] = {
            "segments": nseg_o,
            "steps": steps,
            "ours_s": ours_s,
            "neuron_s": nrn_s,
            "ratio": ours_s / nrn_s,
            "ours_ns_per_segment_step": 1e9 * ours_s / (nseg_o * steps),
            "neuron_ns_per_segment_step": 1e9 * nrn_s / (nseg_n * steps),
            "max_abs_dv_mV": float(np.max(np.abs(v_o - v_n))),
        }
    print(
        f"{'model':<12}{'segments':>10}{'ours [s]':>11}{'NEURON [s]':>12}{'ratio':>8}"
        f"{'ours ns/seg-step':>18}{'NEURON ns/seg-step':>20}{'max|dV| mV':>12}"
    )
    for label, r in results.items():
        print(
            f"{label:<12}{r['segments']:>10}{r['ours_s']:>11.3f}{r['neuron_s']:>12.3f}"
            f"{r['ratio']:>8.3f}{r['ours_ns_per_segment_step']:>18.1f}"
            f"{r['neuron_ns_per_segment_step']:>20.1f}{r['max_abs_dv_mV']:>12.2e}"
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
