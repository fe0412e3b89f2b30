"""The split-cell partition of the full MSN (1504 spines) on many ranks (no MPI needed)."""

from __future__ import annotations

from electrical._split import MAX_TRUNK_FRACTION, partition, serial_root_sections
from electrical.discretize import compile_tree
from multiscale.msn import MSN


def test_more_ranks_never_make_the_slowest_rank_slower():
    """A deeper cut repeats more trunk on every rank; the partitioner keeps the best cut.

    Before, 32 ranks got a deeper cut whose slowest rank was 1.44x slower than with
    16 ranks (the trunk had grown to 221 compartments).
    """
    msn = MSN("all")
    cells = [msn.cell]
    required = serial_root_sections(compile_tree(cells, msn.params.celsius, None,
                                                 mechanisms=False))  # fmt: skip
    total = partition(cells, 1).loads[0]["cost"]
    previous = total
    for n in (2, 4, 8, 16, 32, 64):
        part = partition(cells, n, required)
        slowest = max(ld["cost"] for ld in part.loads)
        assert slowest <= previous, f"{n} ranks: slowest rank {slowest} > {previous}"
        # every section is computed once, the trunk by every rank (within its cap)
        trunk_cost = (sum(ld["cost"] for ld in part.loads) - total) / (n - 1)
        assert 0 <= trunk_cost <= MAX_TRUNK_FRACTION * total
        previous = slowest
    assert previous < total / 10  # 64 ranks still divide the work by more than 10
