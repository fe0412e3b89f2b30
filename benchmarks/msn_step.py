"""Cost of one time step of the TimeScales MSN electrical model, per spine mode.

Builds the MSN of :mod:`multiscale.msn` in modes none (221 compartments),
onebranch (103 spines, 736) and all (1504 spines, 7741), runs it at dt =
0.025 ms from v_init -87.75 mV, and reports the wall-clock milliseconds per
step, measured over ``--steps`` steps after a warm-up (so numba compilation
and the initial Ca relaxation are excluded; best of ``--repeat`` runs).

The original model's NMODL files cannot be run here, so NEURON is not timed:
the NEURON column gives the figures quoted in the issue (0.19, 1.53 and 20.4
ms per step for the original model in NEURON) as reference numbers, not
measurements.  Target: every mode <= 2 ms per step.

Usage::

    python benchmarks/msn_step.py [--steps N] [--repeat R] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from multiscale.msn import MSN

MODES = ("none", "onebranch", "all")
#: NEURON ms per step for the original model, as quoted in the issue (not measured here).
NEURON_QUOTED_MS_PER_STEP = {"none": 0.19, "onebranch": 1.53, "all": 20.4}
TARGET_MS_PER_STEP = 2.0
DT_MS = 0.025
WARMUP_MS = 10.0


def time_mode(mode: str, steps: int, repeat: int, positions_dir: str | None = None) -> dict:
    """Milliseconds per step (best of ``repeat``) and the model size for one mode."""
    msn = MSN(mode, positions_dir=positions_dir)
    t0 = time.perf_counter()
    sim = msn.simulation(dt_ms=DT_MS)
    msn.initialize(sim)
    sim.advance(WARMUP_MS)  # compiles (or loads) the step on the first call
    setup_s = time.perf_counter() - t0
    best = float("inf")
    for _ in range(repeat):
        t1 = time.perf_counter()
        sim.advance_steps(steps)
        best = min(best, time.perf_counter() - t1)
    return {
        "ms_per_step": 1e3 * best / steps,
        "n_spines": len(msn.spines),
        "n_compartments": msn.n_compartments,
        "steps": steps,
        "setup_s": setup_s,
        "neuron_quoted_ms_per_step": NEURON_QUOTED_MS_PER_STEP[mode],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="MSN electrical model: ms per 0.025-ms step.")
    ap.add_argument("--steps", type=int, default=4000, help="timed steps per repeat")
    ap.add_argument("--repeat", type=int, default=3, help="repeats (best is reported)")
    ap.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    ap.add_argument("--positions-dir", help="folder of spine_positions.csv")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    args = ap.parse_args(argv)
    if args.steps < 1 or args.repeat < 1:
        ap.error("--steps and --repeat must be >= 1")
    results = {m: time_mode(m, args.steps, args.repeat, args.positions_dir) for m in args.modes}
    print(f"MSN electrical model, dt = {DT_MS} ms, {args.steps} steps, best of {args.repeat}")
    print(f"{'mode':<10} {'spines':>6} {'comps':>6} {'ours ms/step':>13} "
          f"{'NEURON ms/step (quoted, not measured)':>38} {'target':>8}")
    for m, r in results.items():
        ok = "ok" if r["ms_per_step"] <= TARGET_MS_PER_STEP else "MISSED"
        print(f"{m:<10} {r['n_spines']:>6} {r['n_compartments']:>6} {r['ms_per_step']:>13.3f} "
              f"{r['neuron_quoted_ms_per_step']:>38.2f} {ok:>8}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
