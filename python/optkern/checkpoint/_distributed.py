"""Checkpoints of state spread over MPI ranks (``optkern.distributed.DataParallel``).

A tracked object exposing ``_checkpoint_comm`` (a communicator of more than one
rank) makes saving collective: every rank calls ``save``; the objects' state
dicts are gathered to rank 0 (``state_dict(root=0)``), rank 0 alone writes the
file, and every rank learns the outcome (an error on rank 0 is raised on every
rank). Restoring reads the file on every rank and hands each object the whole
state dict; the object keeps what its rank needs. mpi4py is imported by
whoever created the communicator, never here.
"""

from __future__ import annotations

from typing import Any


def comm_of(objects: dict) -> Any:
    """The communicator of the first distributed object, if it has > 1 rank."""
    for obj in objects.values():
        comm = getattr(type(obj), "_checkpoint_comm", None) and obj._checkpoint_comm
        if comm is not None and comm.Get_size() > 1:
            return comm
    return None


class _Snapshot:
    """A state dict gathered on rank 0, standing in for its object while writing."""

    def __init__(self, sd: dict):
        self._sd = sd

    def state_dict(self) -> dict:
        return self._sd

    def load_state_dict(self, sd: dict) -> None:  # pragma: no cover - never restored into
        raise RuntimeError("a snapshot is not restored into")


def gather_states(comm: Any, objects: dict) -> dict:
    """Collective: the distributed objects' state dicts gathered to rank 0, as
    snapshots in a copy of ``objects`` (on other ranks the copy is unused)."""
    out = dict(objects)
    for name, obj in objects.items():
        if (
            getattr(type(obj), "_checkpoint_comm", None) is not None
            and obj._checkpoint_comm is comm
        ):
            sd = obj.state_dict(root=0)
            if comm.Get_rank() == 0:
                out[name] = _Snapshot(sd)
    return out


def agree(comm: Any, error: BaseException | None, what: str) -> None:
    from ..distributed._comm import agree as _agree

    _agree(comm, error, what)


def bcast_json(comm: Any, value: Any) -> Any:
    """Rank 0's JSON-able ``value`` on every rank."""
    import json

    from ..distributed._comm import bcast_bytes

    data = json.dumps(value).encode("utf-8") if comm.Get_rank() == 0 else None
    return json.loads(bcast_bytes(comm, data).decode("utf-8"))
