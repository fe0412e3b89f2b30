"""The one serial communicator: rank 0 of 1, with the mpi4py methods the framework uses.

``multiscale.distribute`` (the only importer of mpi4py) hands out either
``MPI.COMM_WORLD`` or a :class:`SerialComm`; ``sync`` falls back to one when it is
given no communicator.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SerialComm"]


class SerialComm:
    """The one-rank communicator used when mpi4py is absent or not wanted."""

    rank = 0
    size = 1

    def Get_rank(self) -> int:
        return 0

    def Get_size(self) -> int:
        return 1

    def bcast(self, obj: Any, root: int = 0) -> Any:
        return obj

    def allreduce(self, obj: Any, op: Any = None) -> Any:
        return obj

    def gather(self, obj: Any, root: int = 0) -> list:
        return [obj]

    def allgather(self, obj: Any) -> list:
        return [obj]

    def scatter(self, objs: list, root: int = 0) -> Any:
        return objs[0]

    def Barrier(self) -> None:
        return None

    def Abort(self, code: int = 1) -> None:
        raise SystemExit(code)
