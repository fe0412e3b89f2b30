"""Benchmark: N Hill-Tononi neurons with four 100-Hz Poisson inputs, ours vs NEST.

Each neuron receives an independent Poisson train of 100 Hz on each of its AMPA,
NMDA, GABA_A and GABA_B receptors (weights 30, 30, 5, 10, delay 1 ms; the seed
protocol of examples/seed000_ht_neuron.py), 1 s simulated at resolution 0.1 ms.
NEST 3.10 runs single-threaded (``local_num_threads = 1``; one poisson_generator per
receptor, which draws one independent train per target).  Wall time is measured from
building the network to the end of the simulation, for both; ours after a warm-up
that compiles the numba kernel (cached on disk after the first run).  The CPU time of
the process (``time.process_time``) is printed beside the wall time: on a shared
machine it is the fairer figure.

Target (issue 17): ratio ours/NEST <= 1 at N >= 1000.

Usage::

    python benchmarks/point_neurons_vs_nest.py [--n 1 100 1000 10000] [--t-ms 1000]
        [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from electrical import point

RATE_HZ = 100.0
WEIGHTS = {"AMPA": 30.0, "NMDA": 30.0, "GABA_A": 5.0, "GABA_B": 10.0}


def run_ours(n: int, t_ms: float, seed: int = 1) -> tuple[float, float, int]:
    t0, c0 = time.perf_counter(), time.process_time()
    net = point.Network(0.1)
    pop = net.create(point.HTNeuron(), n)
    for k, (rec, w) in enumerate(WEIGHTS.items()):
        net.connect(net.poisson_generator(RATE_HZ, seed=seed * 4 + k), pop, w, 1.0, rec)
    sr = net.spike_recorder(pop)
    net.run(t_ms)
    return time.perf_counter() - t0, time.process_time() - c0, int(sr.times_ms.size)


def run_nest(n: int, t_ms: float, seed: int = 1) -> tuple[float, float, int]:
    import nest

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.local_num_threads = 1
    nest.resolution = 0.1
    nest.rng_seed = seed + 1
    t0, c0 = time.perf_counter(), time.process_time()
    nrn = nest.Create("ht_neuron", n)
    codes = nest.GetDefaults("ht_neuron")["receptor_types"]
    for rec, w in WEIGHTS.items():
        pg = nest.Create("poisson_generator", params={"rate": RATE_HZ})
        nest.Connect(pg, nrn, syn_spec={"receptor_type": codes[rec], "weight": w, "delay": 1.0})
    sr = nest.Create("spike_recorder")
    nest.Connect(nrn, sr)
    nest.Simulate(t_ms)
    return time.perf_counter() - t0, time.process_time() - c0, int(sr.get("n_events"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1, 100, 1000, 10000])
    ap.add_argument("--t-ms", type=float, default=1000.0)
    ap.add_argument("--json", metavar="PATH")
    ap.add_argument("--no-nest", action="store_true", help="time ours only")
    args = ap.parse_args(argv)
    run_ours(1, 10.0)  # compile / load the cached kernel
    results = {}
    print(
        f"{'N':>6} {'ours_s':>9} {'nest_s':>9} {'ratio':>7} {'ours_cpu':>9} {'nest_cpu':>9}"
        f" {'cpu_ratio':>9} {'rate ours':>10} {'rate NEST':>10}"
    )
    for n in args.n:
        ours, ours_cpu, n_ours = run_ours(n, args.t_ms)
        nan = float("nan")
        nest_s, nest_cpu, n_nest = (nan, nan, 0) if args.no_nest else run_nest(n, args.t_ms)
        ratio = ours / nest_s
        # spikes per neuron per second = count / n / (t_ms / 1000)
        r_o = n_ours / n / (args.t_ms / 1000.0)
        r_n = n_nest / n / (args.t_ms / 1000.0)
        print(
            f"{n:>6} {ours:>9.3f} {nest_s:>9.3f} {ratio:>7.3f} {ours_cpu:>9.3f} {nest_cpu:>9.3f}"
            f" {ours_cpu / nest_cpu:>9.3f} {r_o:>8.1f}Hz {r_n:>8.1f}Hz"
        )
        results[str(n)] = {
            "ours_s": ours,
            "nest_s": nest_s,
            "ratio": ratio,
            "ours_cpu_s": ours_cpu,
            "nest_cpu_s": nest_cpu,
            "rate_ours_hz": r_o,
            "rate_nest_hz": r_n,
        }
        sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
