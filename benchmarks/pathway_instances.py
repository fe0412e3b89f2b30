"""Benchmark: many instances of the default spine pathway sharing one compiled model.

Usage::

    python benchmarks/pathway_instances.py [--json PATH] [--variant timescales]

Measures, on the shipped spine pathway with the default integrator settings:

``load_s``
    Loading and compiling the pathway (first load in the process).
``exchange_1ms_us``
    One 1-ms advance right after ``ca_in`` was set, averaged over the exchanges of the
    first 200 ms of the 20-Hz train protocol (ca_in = 5e-3 M/s during 2-ms pulses, 0
    otherwise), starting from the 300-s baseline.  Every exchange swaps the instance
    in, restarts CVODE and swaps it out, as the co-simulation does.
``quiet_1s_us``
    One 1-s advance from the baseline without input.
``memory_per_instance_kib``
    Growth of the process RSS divided by N when N instances are created and each is
    advanced once, for N = 10, 100 and 1504 (the scalar is the N = 1504 figure).

and, to show where the exchange time goes: the swap alone, the first CVODE step after a
restart (error-test and initial Jacobian + LU), one right-hand-side evaluation, the
number of CVODE steps in a 1-ms exchange, and the exchange time for a quiet spine, a
pulse and a constant flux.  Targets (issue 4): <= 64 KiB per instance, <= 1000 us per
1-ms exchange.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from biochem import Pathway

TRAIN_PULSE_M_PER_S = 5e-3
CONSTANT_FLUX_M_PER_S = 2e-4
N_MEMORY = (10, 100, 1504)


def rss_kib() -> float:
    """Resident set size of this process [KiB] (Linux /proc)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return float(line.split()[1])
    return float("nan")


def timed(fn, n: int) -> float:
    """Mean wall time of ``fn()`` over ``n`` calls [us]."""
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def train_input(t_s: float) -> float:
    k = round(t_s * 1000) // 50
    return TRAIN_PULSE_M_PER_S if (round(t_s * 1000) - 50 * k) < 2 else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path, help="write the results as JSON to this path")
    ap.add_argument("--variant", default="timescales", choices=("timescales", "corrected"))
    args = ap.parse_args(argv)

    res: dict[str, object] = {}
    t0 = time.perf_counter()
    pw = Pathway.spine(args.variant)
    res["load_s"] = time.perf_counter() - t0
    s = pw.integrator
    res["settings"] = {
        "relative_tolerance": s.relative_tolerance,
        "absolute_tolerance_M": s.absolute_tolerance_conc,
    }

    base = pw.instance("baseline")
    t0 = time.perf_counter()
    base.advance_to(300.0)
    res["equilibration_300s_s"] = time.perf_counter() - t0
    baseline = base.save_state()
    inst = pw.instance("spine_0000", spine=0)

    # -- exchange: 200 x 1 ms of the 20-Hz train, set ca_in before each advance ----------
    inst.restore_state(baseline)
    n_ex = 200
    t_start = inst.t_s
    times = []
    for k in range(n_ex):
        inst.set("ca_in", train_input(k * 1e-3))
        a = time.perf_counter()
        inst.advance_to(t_start + (k + 1) * 1e-3)
        times.append(time.perf_counter() - a)
    res["exchange_1ms_us"] = float(np.mean(times) * 1e6)
    res["exchange_1ms_median_us"] = float(np.median(times) * 1e6)

    # -- breakdown by situation (each from the baseline, input set before the advance) ----
    def exchange_from_baseline(ca_in: float) -> float:
        def one():
            inst.restore_state(baseline)
            inst.set("ca_in", ca_in)
            inst.advance_to(inst.t_s + 1e-3)

        swap = timed(lambda: inst.restore_state(baseline), 200)
        return timed(one, 50) - swap

    res["exchange_1ms_quiet_us"] = exchange_from_baseline(0.0)
    res["exchange_1ms_pulse_us"] = exchange_from_baseline(TRAIN_PULSE_M_PER_S)
    res["exchange_1ms_flux_us"] = exchange_from_baseline(CONSTANT_FLUX_M_PER_S)

    # swap in + out without integration
    eng = pw.engine
    st = eng.initial_state()

    def swap():
        eng.load(st)
        eng.store(st, st.t)

    res["swap_us"] = timed(swap, 2000)

    # restart + the first CVODE step (error test, initial Jacobian and LU)
    def first_step():
        inst.restore_state(baseline)
        inst.advance_to(inst.t_s + 1e-9)

    res["restart_first_step_us"] = timed(first_step, 50) - timed(
        lambda: inst.restore_state(baseline), 200
    )
    m = eng.rr.model
    eng.load(st)
    res["rhs_eval_us"] = timed(lambda: m.getFloatingSpeciesConcentrationRates(), 2000)
    res["n_state_variables"] = len(eng.state_species)

    # CVODE internal steps for a 1-ms exchange (one step per call in variable-step mode)
    def count_steps(ca_in: float) -> int:
        inst.restore_state(baseline)
        inst.set("ca_in", ca_in)
        eng.load(inst._state)  # the instance's own state, as advance_to loads it
        integ = pw._rr.integrator
        integ.variable_step_size = True
        t = inst.t_s
        t_end = t + 1e-3
        integ.restart(t)
        n = 0
        while t < t_end and n < 100000:
            t = integ.integrate(t, t_end - t)
            n += 1
        integ.variable_step_size = False
        return n

    res["cvode_steps_1ms_quiet"] = count_steps(0.0)
    res["cvode_steps_1ms_pulse"] = count_steps(TRAIN_PULSE_M_PER_S)

    # -- quiet 1 s ----------------------------------------------------------------------
    def quiet():
        inst.restore_state(baseline)
        inst.advance_to(inst.t_s + 1.0)

    res["quiet_1s_us"] = timed(quiet, 20) - timed(lambda: inst.restore_state(baseline), 200)

    # -- memory -------------------------------------------------------------------------
    by_n = {}
    for n in N_MEMORY:
        gc.collect()
        before = rss_kib()
        many = pw.instances(n)
        for x in many:
            x.restore_state(baseline)
            x.advance_to(x.t_s + 1e-3)
        gc.collect()
        by_n[str(n)] = (rss_kib() - before) / n
        del many, x
        gc.collect()
    res["memory_per_instance_kib_by_n"] = by_n
    res["memory_per_instance_kib"] = by_n[str(N_MEMORY[-1])]
    res["state_bytes_per_instance"] = inst.nbytes()
    res["saved_state_bytes"] = len(baseline)

    gc.collect()
    before = rss_kib()
    import roadrunner

    n_naive = 10  # what the naive design (one roadrunner per spine) costs per spine
    extra = [roadrunner.RoadRunner(pw.sbml) for _ in range(n_naive)]
    for rr in extra:
        rr.simulate(0, 1e-3, 2)
    res["one_roadrunner_mib"] = (rss_kib() - before) / 1024 / n_naive
    del extra

    import roadrunner as _rr

    res["versions"] = {
        "python": platform.python_version(),
        "libroadrunner": _rr.__version__,
        "numpy": np.__version__,
    }

    rows = [
        ("load_s", "s", 3),
        ("equilibration_300s_s", "s", 3),
        ("exchange_1ms_us", "us", 0),
        ("exchange_1ms_median_us", "us", 0),
        ("exchange_1ms_quiet_us", "us", 0),
        ("exchange_1ms_flux_us", "us", 0),
        ("exchange_1ms_pulse_us", "us", 0),
        ("restart_first_step_us", "us", 0),
        ("swap_us", "us", 1),
        ("rhs_eval_us", "us", 1),
        ("cvode_steps_1ms_quiet", "", 0),
        ("cvode_steps_1ms_pulse", "", 0),
        ("quiet_1s_us", "us", 0),
        ("memory_per_instance_kib", "KiB", 2),
        ("state_bytes_per_instance", "B", 0),
        ("saved_state_bytes", "B", 0),
        ("one_roadrunner_mib", "MiB", 2),
    ]
    print(f"pathway_instances ({args.variant}, rtol {s.relative_tolerance:g}, "
          f"atol {s.absolute_tolerance_conc:g} M)")  # fmt: skip
    for key, unit, digits in rows:
        print(f"  {key:<28s} {res[key]:>12.{digits}f} {unit}")
    print("  memory_per_instance_kib by N: " + ", ".join(f"{k}: {v:.2f}" for k, v in by_n.items()))
    print(
        "  targets: memory <= 64 KiB/instance: "
        + ("met" if res["memory_per_instance_kib"] <= 64 else "NOT met")
        + "; exchange <= 1000 us: "
        + ("met" if res["exchange_1ms_us"] <= 1000 else "NOT met")
    )
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
