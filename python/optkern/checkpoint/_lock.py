"""An exclusive lock on a checkpoint directory: one writing manager at a time."""

from __future__ import annotations

import os
import threading

__all__ = ["LOCK_NAME", "DirectoryLock"]

LOCK_NAME = ".optkern-checkpoint.lock"

from typing import Any

fcntl: Any
try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None
    import msvcrt

# The locks this process holds, by (st_dev, st_ino) of the lock file, so that a newer
# lock on the same directory can take over (a re-run notebook cell) instead of failing.
_held: dict[tuple[int, int], DirectoryLock] = {}
_held_mutex = threading.Lock()


def _forget_after_fork():
    # A forked child shares its parent's lock (same open file), but holds none of its own:
    # another manager in the child must be refused, not take the parent's lock over.
    global _held_mutex
    _held_mutex = threading.Lock()
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _read_pid(fd):
    try:
        return int(os.pread(fd, 32, 0).decode("ascii").strip())
    except (AttributeError, OSError, ValueError, UnicodeDecodeError):
        return None


def _record_pid(fd):
    # Only a hint for the message another process shows; failing to write it is harmless.
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    except (AttributeError, OSError):  # pragma: no cover - Windows, or a full disk
        pass


def _held_elsewhere(directory, pid):
    if pid == os.getpid():  # pragma: no cover - e.g. a second copy of optkern imported
        return (
            f"checkpoint directory {directory!r} is locked by this process (pid {pid}) through "
            "a lock this CheckpointManager cannot take over; close() the manager holding it"
        )
    who = (
        f"pid {pid}, as recorded in its lock file {LOCK_NAME}" if pid else "its pid is not recorded"
    )
    return (
        f"checkpoint directory {directory!r} is in use by a CheckpointManager in another "
        f"process ({who}); only one manager may save to a directory at a time. Wait for that "
        "process to finish or stop it (its lock goes when it exits, even if killed), or give "
        "this manager another directory. To read the checkpoints meanwhile, restore without a "
        f"manager: ckpt.restore(optkern.latest_checkpoint({directory!r}))"
    )


class DirectoryLock:
    """Hold an advisory lock file in ``directory`` until :meth:`release`.

    Uses ``flock`` (POSIX) or ``msvcrt.locking`` (Windows). The kernel drops
    the lock when the process dies, so a killed trainer never leaves a stale
    lock behind. The lock file itself is left in place (deleting it would
    race with other processes); it records the holder's pid for the message
    another process gets.

    Within one process, a newer lock on the same directory takes over:
    ``before_takeover()`` of the older one is called first (its manager
    finishes a save in flight), then the older one is :attr:`superseded`.

    Parameters
    ----------
    directory : str
    before_takeover : callable, optional

    Raises
    ------
    RuntimeError
        If another process holds the lock.
    OSError
        If the lock file cannot be opened (a read-only directory, ...).
    """

    def __init__(self, directory, before_takeover=None):
        self.directory = directory
        self.path = os.path.join(directory, LOCK_NAME)
        self.superseded = False
        self._before_takeover = before_takeover
        self._fd = None
        self._pid = os.getpid()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            st = os.fstat(fd)
            self._key = (st.st_dev, st.st_ino)
            with _held_mutex:
                old = _held.get(self._key)
                if old is not None and old._fd is not None:
                    if old._before_takeover is not None:
                        old._before_takeover()
                    os.close(fd)
                    fd, old._fd = old._fd, None  # the lock passes on without a gap
                    old.superseded = True
                else:
                    try:
                        if fcntl is not None:
                            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        else:  # pragma: no cover
                            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                    except OSError:
                        raise RuntimeError(_held_elsewhere(directory, _read_pid(fd))) from None
                    _record_pid(fd)
                self._fd = fd
                _held[self._key] = self
        except BaseException:
            if self._fd is None:
                os.close(fd)
            raise

    @property
    def held(self):
        """True while this lock, in the process that took it, holds the directory."""
        return self._fd is not None and self._pid == os.getpid()

    @property
    def inherited(self):
        """True in a forked child: the lock belongs to the parent process."""
        return self._pid != os.getpid()

    def release(self):
        with _held_mutex:
            fd, self._fd = self._fd, None
            if fd is None:
                return
            if _held.get(self._key) is self:
                del _held[self._key]
        # A forked child's copy must leave the parent's lock alone.
        if self._pid == os.getpid() and fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
