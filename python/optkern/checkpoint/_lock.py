"""An exclusive, process-lifetime lock on a checkpoint directory."""

from __future__ import annotations

import os

__all__ = ["DirectoryLock", "LOCK_NAME"]

LOCK_NAME = ".optkern-checkpoint.lock"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None
    import msvcrt


class DirectoryLock:
    """Hold an advisory lock file in ``directory`` until :meth:`release`.

    Uses ``flock`` (POSIX) or ``msvcrt.locking`` (Windows). The kernel drops
    the lock when the process dies, so a killed trainer never leaves a stale
    lock behind. The lock file itself is left in place (deleting it would
    race with other processes).

    Raises
    ------
    RuntimeError
        If another manager (in this or another process) holds the lock.
    """

    def __init__(self, directory):
        self.path = os.path.join(directory, LOCK_NAME)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:  # pragma: no cover
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            os.close(fd)
            raise RuntimeError(
                f"checkpoint directory {directory!r} is already managed by another "
                f"CheckpointManager (lock {self.path!r} is held); close() the other manager, "
                "or give this one another directory"
            ) from None
        self._fd = fd

    @property
    def held(self):
        return self._fd is not None

    def release(self):
        fd, self._fd = self._fd, None
        if fd is not None:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
