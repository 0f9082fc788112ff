"""``latest_checkpoint``: the newest optkern checkpoint in a directory, without a manager."""

from __future__ import annotations

import os

from . import _ownership
from ._errors import CorruptCheckpointError
from ._ownership import ANY_CHECKPOINT, check_name
from ._state import read_state, vouched

__all__ = ["latest_checkpoint"]


def latest_checkpoint(directory, checkpoint_name=None):
    """Path of the newest committed checkpoint in ``directory``, or None.

    The newest is the highest checkpoint number, never the newest mtime.
    Temporary files of unfinished writes are never returned, nor files that
    are named like checkpoints but are not optkern checkpoints of this name
    (see :class:`CheckpointManager`); only their manifests are read. The data
    is not verified here; restoring it is (a damaged checkpoint raises
    :class:`CorruptCheckpointError` rather than falling back to an older one).

    Parameters
    ----------
    directory : str or os.PathLike
        The checkpoint directory. A missing directory gives None.
    checkpoint_name : str, optional
        The file prefix (``"ckpt"`` for ``ckpt-7.npz``). By default the one
        recorded in the manager's state file, else the only prefix of the
        optkern checkpoints present.

    Returns
    -------
    str or None

    Raises
    ------
    ValueError
        If ``checkpoint_name`` is not given and several prefixes are present
        without a state file naming one.
    CorruptCheckpointError
        If ``checkpoint_name`` is not given and the state file is damaged.
    """
    directory = os.fspath(directory)
    if checkpoint_name is not None:
        check_name(checkpoint_name)
    if not os.path.isdir(directory):
        return None
    if checkpoint_name is None:
        state = read_state(directory)
        if state is not None:
            checkpoint_name = state["checkpoint_name"]
        else:
            prefixes = set()
            with os.scandir(directory) as it:
                for entry in it:
                    m = ANY_CHECKPOINT.match(entry.name)
                    if (
                        m
                        and not entry.name.startswith(".")
                        and m.group(1) not in prefixes
                        and entry.is_file()
                        and _ownership.inspect(entry.path, m.group(1)).verdict == _ownership.OURS
                    ):
                        prefixes.add(m.group(1))
            if not prefixes:
                return None
            if len(prefixes) > 1:
                raise ValueError(
                    f"{directory!r} holds checkpoints with several prefixes "
                    f"{sorted(prefixes)}; pass checkpoint_name"
                )
            checkpoint_name = prefixes.pop()
    else:
        try:
            state = read_state(directory)
        except CorruptCheckpointError:
            state = None  # a damaged hint vouches for nothing; the manifests still decide
    ours, _ = _ownership.claim_checkpoints(
        directory, checkpoint_name, vouched(state, checkpoint_name)
    )
    if not ours:
        return None
    return os.path.join(directory, ours[max(ours)][0])
