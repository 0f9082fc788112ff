"""Small helpers over an mpi4py communicator: imports, byte messages without
pickle, and agreeing on an error so that every rank raises (never a hang)."""

from __future__ import annotations

from typing import Any

import numpy as np

_MPI: Any = None


def mpi() -> Any:
    """``mpi4py.MPI``, imported on first use (``import optkern`` never imports it)."""
    global _MPI
    if _MPI is None:
        try:
            from mpi4py import MPI
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError(
                "optkern.distributed needs mpi4py and an MPI library: "
                "pip install 'optkern[mpi]' (mpi4py and the mpich wheel)"
            ) from e
        _MPI = MPI
    return _MPI


def mpi_type(dtype: np.dtype) -> Any:
    MPI = mpi()
    return MPI.FLOAT if dtype == np.float32 else MPI.DOUBLE


def check_comm(comm: Any) -> Any:
    MPI = mpi()
    if comm is None:
        return MPI.COMM_WORLD
    if not isinstance(comm, MPI.Intracomm):
        raise TypeError(
            f"comm must be an mpi4py intracommunicator (e.g. MPI.COMM_WORLD), "
            f"got {type(comm).__name__}"
        )
    return comm


def allgather_bytes(comm: Any, data: bytes) -> list[bytes]:
    """Every rank's ``data``, in rank order (plain bytes: no pickle)."""
    MPI = mpi()
    size = comm.Get_size()
    counts = np.zeros(size, np.int64)
    comm.Allgather(np.array([len(data)], np.int64), counts)
    displs = np.zeros(size, np.int64)
    np.cumsum(counts[:-1], out=displs[1:])
    out = np.empty(max(int(counts.sum()), 1), np.uint8)
    send = np.frombuffer(data, np.uint8) if data else np.empty(0, np.uint8)
    comm.Allgatherv([send, MPI.BYTE], [out, (counts.tolist(), displs.tolist()), MPI.BYTE])
    return [out[d : d + c].tobytes() for d, c in zip(displs.tolist(), counts.tolist())]


def bcast_bytes(comm: Any, data: bytes | None, root: int = 0) -> bytes:
    """``data`` of ``root`` on every rank (the other ranks' ``data`` is ignored)."""
    mine = data if comm.Get_rank() == root else None
    n = np.array([0 if mine is None else len(mine)], np.int64)
    comm.Bcast(n, root=root)
    buf = np.empty(int(n[0]), np.uint8)
    if mine is not None:
        buf[:] = np.frombuffer(mine, np.uint8)
    if n[0]:
        comm.Bcast(buf, root=root)
    return buf.tobytes()


_KINDS = {"ValueError": ValueError, "TypeError": TypeError, "KeyError": KeyError}


def agree(comm: Any, error: BaseException | None, what: str) -> None:
    """Collective: raise on every rank if ``error`` is set on any rank.

    A rank that failed re-raises its own exception; the others raise the
    same type (ValueError, TypeError, else RuntimeError) naming the first
    failing rank and its message.
    """
    text = b"" if error is None else f"{type(error).__name__}\0{error}".encode("utf-8", "replace")
    gathered = allgather_bytes(comm, text)
    failed = [(r, m) for r, m in enumerate(gathered) if m]
    if not failed:
        return
    if error is not None:
        raise error
    rank, message = failed[0]
    kind, _, reason = message.decode("utf-8", "replace").partition("\0")
    raise _KINDS.get(kind, RuntimeError)(f"{what} failed on rank {rank}: {reason}")
