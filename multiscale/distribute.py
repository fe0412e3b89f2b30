"""MPI layout.  The only module of the project that imports mpi4py.

Everything else receives a communicator-like object; :class:`SerialComm` is
the stand-in for runs without MPI (rank 0 of 1); it lives in
:mod:`common.comm` so that ``sync`` uses the same one.
"""

from __future__ import annotations

import time

from common.comm import SerialComm

__all__ = ["SerialComm", "barrier", "mpi_library_version", "world"]

#: How often a rank waiting in :func:`barrier` looks whether the others arrived [s]
#: (short against a chunk of a run, long enough to leave the core to the rank that works).
BARRIER_POLL_S = 0.005


def world():
    """MPI.COMM_WORLD when running under mpiexec with mpi4py, else a :class:`SerialComm`."""
    try:
        from mpi4py import MPI
    except ImportError:
        return SerialComm()
    return MPI.COMM_WORLD


def barrier(comm, poll_s: float = BARRIER_POLL_S) -> None:
    """Wait until every rank of ``comm`` arrives here, sleeping while waiting.

    MPICH's blocking ``Barrier`` spins a core at 100 %; while rank 0 writes the
    file (or runs something alone) the waiting ranks would take the cores it
    needs.  A non-blocking barrier polled every ``poll_s`` [s] leaves them free.
    """
    ibarrier = getattr(comm, "Ibarrier", None)
    if ibarrier is None:
        comm.Barrier()
        return
    request = ibarrier()
    while not request.Test():
        time.sleep(poll_s)


def mpi_library_version() -> str:
    """First line of the MPI library's version string, or why there is none."""
    try:
        from mpi4py import MPI
    except Exception as exc:  # noqa: BLE001 - report any failure to load MPI
        return f"not available ({type(exc).__name__}: {exc})"
    return " ".join(MPI.Get_library_version().split())[:80]
