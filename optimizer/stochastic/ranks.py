"""MPI ranks for two-stage runs: which scenarios' re-plans this process does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


# --------------------------------------------------------------------------- MPI
class Ranks:
    """This process's rank among MPI ranks (one rank without mpi4py or mpiexec)."""

    def __init__(self, use_mpi: bool = True) -> None:
        self.comm: Any = None
        self.rank, self.size = 0, 1
        if not use_mpi:
            return
        try:
            from mpi4py import MPI
        except ImportError:
            return
        self.comm = MPI.COMM_WORLD
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()

    def share(self, n: int, work: Callable[[int], T]) -> list[T]:
        """``[work(i) for i in range(n)]``, rank r doing i = r, r + K, ..., gathered."""
        mine = {i: work(i) for i in range(self.rank, n, self.size)}
        if self.size == 1:
            return [mine[i] for i in range(n)]
        merged: dict[int, T] = {}
        for part in self.comm.allgather(mine):
            merged.update(part)
        return [merged[i] for i in range(n)]
