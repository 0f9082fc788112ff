"""The exception raised for unreadable checkpoint files."""

from __future__ import annotations

import os

__all__ = ["CorruptCheckpointError"]


class CorruptCheckpointError(ValueError):
    """A checkpoint or checkpoint state file is damaged or is not one of ours.

    Raised for truncated, bit-flipped or empty files, a zero-length or
    malformed manager state file, an unsupported format version, or a file
    written by another program. It is never swallowed: optkern does not fall
    back silently to an older checkpoint.

    Parameters
    ----------
    path : str or os.PathLike
        The file that failed verification.
    reason : str
        What was wrong with it.

    Attributes
    ----------
    path : str
        The file that failed verification.
    reason : str
        What was wrong with it.

    Examples
    --------
    >>> import optkern as ok
    >>> try:
    ...     ok.Checkpoint(w=w).restore("checkpoints/ckpt-3.npz")
    ... except ok.CorruptCheckpointError as err:
    ...     print("bad file:", err.path)                       # doctest: +SKIP
    """

    def __init__(self, path, reason):
        self.path = os.fspath(path)
        self.reason = str(reason)
        super().__init__(f"corrupt checkpoint file {self.path!r}: {self.reason}")

    def __reduce__(self):  # keep the two-argument constructor picklable
        return (type(self), (self.path, self.reason))
