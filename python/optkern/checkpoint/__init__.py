"""Crash-safe NumPy checkpoints with rotation.

``Checkpoint`` and ``CheckpointManager`` mirror ``tf.train.Checkpoint`` and
``tf.train.CheckpointManager`` for NumPy state: arrays, dicts and lists of
arrays, numbers, and objects with ``state_dict()`` / ``load_state_dict()``
(every optkern optimizer). Files are ``.npz`` archives readable with
``np.load(path, allow_pickle=False)``, carrying a JSON manifest with a CRC-32
per array; writes are atomic and durable; restores are verified and in place.

This package imports only the standard library and NumPy.
"""

from ._errors import CorruptCheckpointError
from .checkpoint import Checkpoint
from .manager import CheckpointManager, latest_checkpoint

__all__ = ["Checkpoint", "CheckpointManager", "CorruptCheckpointError", "latest_checkpoint"]
