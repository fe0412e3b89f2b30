"""A model of the flagship co-simulation's scaling to 64 MPI ranks, from measured costs.

Reads the JSON of ``benchmarks/mpi_scaling.py`` (measured at 1 and 2 ranks)
and predicts the wall time on N = 1, 2, 4, ..., 64 ranks:

    T(N) = steps x [c_el x max_r cost_r(N) + t_allreduce(N)]      electrical
         + T_bio(1) x max_r pathway_cost_r(N) / sum pathway_cost   biochemistry
         + ticks x t_sync(N)                                        exchanges

- ``cost_r(N)``: the estimated per-step cost of rank r's compartments
  (:func:`electrical._split.partition` of the real MSN('all') model on N
  ranks, trunk included: the trunk is computed by every rank);
  ``c_el`` = measured electrical seconds per step at 1 rank / total cost.
- ``t_allreduce(N)``: one small Allreduce per step (4 numbers per cut
  subtree), measured at 2 ranks and scaled by ceil(log2 N) (recursive
  doubling, the latency-bound regime of such tiny messages on one node or a
  low-latency network) plus the per-step cost of the split solver's
  extra work measured at 2 ranks (electrical ms/step at 2 ranks minus the
  ideal max-cost share).
- ``pathway_cost_r(N)``: the synchroniser's expected cost per spine
  (:func:`sync.synchronizer.assign_by_cost` with the measured run's costs),
  spread over N ranks; the measured biochemical time at 1 rank is split in
  proportion.  With 18 stimulated spines, no rank can hold less than one.
- ``t_sync(N)``: per exchange tick, two Allreduce calls of one double per
  spine (weights; charges and concentrations), as ``t_allreduce`` scaled by
  message size, plus the measured synchroniser bookkeeping per tick at 1 rank.

Every input is measured on this machine; the log2 growth of the Allreduce
latency is the one assumption, stated in the output.

Usage::

    python benchmarks/mpi_scaling.py --json m.json
    python benchmarks/mpi_scaling_model.py m.json [--json model.json]
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
from pathlib import Path

RANKS = (1, 2, 4, 8, 16, 32, 64)


@functools.cache
def _msn_cells():
    """The MSN('all') cell, its serial tree's root sections and its total cost (built once)."""
    from electrical._split import partition, serial_root_sections
    from electrical.discretize import compile_tree
    from multiscale.msn import MSN

    msn = MSN("all")
    cells = [msn.cell]
    serial = compile_tree(cells, msn.params.celsius, None, mechanisms=False)
    return cells, serial_root_sections(serial), partition(cells, 1).loads[0]["cost"]


def _partition_costs(n: int) -> tuple[float, float, str, int]:
    """(max rank cost, total cost, mode, trunk compartments) of MSN('all') on n ranks."""
    from electrical._split import partition

    cells, required, total = _msn_cells()
    part = partition(cells, n, required if n > 1 else [])
    mx = max(ld["cost"] for ld in part.loads)
    return mx, total, part.mode, int(part.loads[0]["trunk_compartments"])


def model(measured: dict) -> dict:
    from sync.synchronizer import assign_by_cost

    steps = measured["steps"]
    ticks = measured["exchange_ticks"]
    p1, p2 = measured["per_rank_1"], measured["per_rank_2"]
    el1 = p1[0]["wall_by_component_s"]["electrical"]
    bio1 = p1[0]["wall_by_component_s"]["biochemical"]
    sync1 = p1[0]["wall_by_component_s"]["sync"]
    init1 = p1[0]["initialize_s"]
    allreduce2_us = max(pr["allreduce_us"] for pr in p2)
    el2 = max(pr["wall_by_component_s"]["electrical"] for pr in p2)
    costs = measured["pathway_costs"]
    n_links = len(costs)
    _, total, _, _ = _partition_costs(1)
    c_el = el1 / steps / total  # s per cost unit per step
    mx2, _, _, _ = _partition_costs(2)
    # split overhead per step at 2 ranks beyond the ideal max-cost share, allreduce excluded
    split_over = max(el2 / steps - c_el * mx2 - allreduce2_us * 1e-6, 0.0)
    rows = []
    for n in RANKS:
        mx, _, mode, trunk = _partition_costs(n)
        hops = math.ceil(math.log2(n)) if n > 1 else 0
        t_ar = allreduce2_us * 1e-6 * hops
        t_el = steps * (c_el * mx + (t_ar + split_over if n > 1 else 0.0))
        owner = assign_by_cost(costs, n)
        per_rank = [0.0] * n
        for o, c in zip(owner, costs):
            per_rank[o] += c
        t_bio = bio1 * max(per_rank) / sum(costs)
        # two Allreduce calls of n_links doubles per tick (bandwidth negligible at 12 kB)
        t_sync = sync1 + (ticks * 2 * t_ar if n > 1 else 0.0)
        t_init = init1 * max(per_rank) / sum(costs) if n > 1 else init1
        wall = t_el + t_bio + t_sync + t_init
        rows.append({
            "ranks": n, "partition": mode, "trunk_compartments": trunk,
            "electrical_max_cost_fraction": mx / total,
            "electrical_s": t_el, "biochemical_s": t_bio, "sync_s": t_sync,
            "initialize_s": t_init, "wall_s": wall,
        })  # fmt: skip
    w1 = rows[0]["wall_s"]
    for r in rows:
        r["speedup"] = w1 / r["wall_s"]
        r["efficiency"] = r["speedup"] / r["ranks"]
    return {
        "inputs": {
            "steps": steps, "exchange_ticks": ticks, "electrical_s_1": el1,
            "biochemical_s_1": bio1, "sync_s_1": sync1, "initialize_s_1": init1,
            "allreduce_us_2": allreduce2_us, "electrical_s_2": el2,
            "split_overhead_us_per_step": split_over * 1e6, "links": n_links,
            "measured_wall_s_1": measured["wall_s_1"], "measured_wall_s_2": measured["wall_s_2"],
        },
        "assumption": "Allreduce latency grows as ceil(log2 N) x its 2-rank value",
        "rows": rows,
    }  # fmt: skip


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("measured", help="JSON written by benchmarks/mpi_scaling.py --json")
    ap.add_argument("--json", metavar="PATH", help="write the model as JSON")
    args = ap.parse_args(argv)
    measured = json.loads(Path(args.measured).read_text())
    if "pathway_costs" not in measured:
        print(f"{args.measured}: no 'pathway_costs'; rerun benchmarks/mpi_scaling.py "
              "(this version records them)", file=sys.stderr)  # fmt: skip
        return 2
    res = model(measured)
    inp = res["inputs"]
    print(f"measured at 1 rank: electrical {inp['electrical_s_1']:.1f} s over {inp['steps']} "
          f"steps, biochemical {inp['biochemical_s_1']:.1f} s, sync {inp['sync_s_1']:.1f} s; "
          f"2 ranks: Allreduce {inp['allreduce_us_2']:.1f} us, split overhead "
          f"{inp['split_overhead_us_per_step']:.1f} us/step")  # fmt: skip
    print(f"assumption: {res['assumption']}")
    print(
        f"{'ranks':>5} {'partition':>9} {'trunk':>6} {'el max':>7} {'electrical':>11} "
        f"{'biochem':>8} {'sync':>6} {'wall [s]':>9} {'speed-up':>9} {'eff.':>6}"
    )
    for r in res["rows"]:
        print(f"{r['ranks']:>5} {r['partition']:>9} {r['trunk_compartments']:>6} "
              f"{r['electrical_max_cost_fraction']:>7.3f} {r['electrical_s']:>11.1f} "
              f"{r['biochemical_s']:>8.1f} {r['sync_s']:>6.1f} {r['wall_s']:>9.1f} "
              f"{r['speedup']:>9.2f} {r['efficiency']:>6.2f}")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
