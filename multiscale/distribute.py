"""MPI layout.  The only module of the project that imports mpi4py.

Everything else receives a communicator-like object; :class:`SerialComm` is
the stand-in for runs without MPI (rank 0 of 1).
"""

from __future__ import annotations

from typing import Any

__all__ = ["SerialComm", "world", "mpi_library_version"]


class SerialComm:
    """The one-rank communicator used when mpi4py is absent or not wanted."""

    rank = 0
    size = 1

    def Get_rank(self) -> int:  # noqa: N802 - mpi4py names
        return 0

    def Get_size(self) -> int:  # noqa: N802
        return 1

    def bcast(self, obj: Any, root: int = 0) -> Any:
        return obj

    def allreduce(self, obj: Any, op: Any = None) -> Any:
        return obj

    def gather(self, obj: Any, root: int = 0) -> list:
        return [obj]

    def Barrier(self) -> None:  # noqa: N802
        return None

    def Abort(self, code: int = 1) -> None:  # noqa: N802
        raise SystemExit(code)


def world():
    """MPI.COMM_WORLD when running under mpiexec with mpi4py, else a :class:`SerialComm`."""
    try:
        from mpi4py import MPI
    except ImportError:
        return SerialComm()
    return MPI.COMM_WORLD


def mpi_library_version() -> str:
    """First line of the MPI library's version string, or why there is none."""
    try:
        from mpi4py import MPI
    except Exception as exc:  # noqa: BLE001 - report any failure to load MPI
        return f"not available ({type(exc).__name__}: {exc})"
    return " ".join(MPI.Get_library_version().split())[:80]
