"""Atomic, durable file replacement.

``atomic_write(path, fill)`` creates a unique temporary file next to ``path``,
lets ``fill`` write into it, flushes and fsyncs it, renames it over ``path``
with ``os.replace`` and fsyncs the directory, so that after a crash at any
moment either the old file or the complete new file is visible, never a
partial one. Temporary files are named ``.<name>.<random>.tmp``; checkpoint
scans never list them.

All writes go through ``os.write`` on a raw file descriptor (no Python-level
buffering, so a large array is written straight from its memory), which also
lets tests inject failures by monkeypatching ``os.write``, ``os.fsync`` or
``os.replace``.
"""

from __future__ import annotations

import errno
import os
import re

__all__ = ["RawWriter", "atomic_write", "fsync_directory", "temp_name_pattern"]


class RawWriter:
    """Minimal seekable binary writer on a file descriptor, for zipfile.

    Every ``write`` is a loop of ``os.write`` calls (partial writes are
    resumed); there is no buffer, so ``flush`` is a no-op.
    """

    def __init__(self, fd):
        self._fd = fd
        self._pos = 0

    def write(self, data):
        view = memoryview(data)
        if view.ndim != 1 or view.format not in ("B", "b", "c"):
            view = view.cast("B")
        total = view.nbytes
        done = 0
        while done < total:
            n = os.write(self._fd, view[done:])
            if n <= 0:  # pragma: no cover - a regular file never does this
                raise OSError(errno.EIO, "os.write wrote nothing")
            done += n
        self._pos += total
        return total

    def tell(self):
        return self._pos

    def seek(self, offset, whence=os.SEEK_SET):
        self._pos = os.lseek(self._fd, offset, whence)
        return self._pos

    def seekable(self):
        return True

    def flush(self):
        pass


def fsync_directory(directory):
    """fsync a directory so that a rename or unlink inside it is durable.

    A no-op on platforms that cannot open directories (Windows).
    """
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except (PermissionError, IsADirectoryError):  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_name_pattern(basename):
    """Regex matching the temporary files ``atomic_write`` makes for ``basename``."""
    return re.compile(r"\." + re.escape(basename) + r"\.[0-9a-f]{16}\.tmp\Z")


def _open_temp(directory, basename):
    for _ in range(100):
        name = f".{basename}.{os.urandom(8).hex()}.tmp"
        tmp = os.path.join(directory, name)
        try:
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
            )
        except FileExistsError:  # pragma: no cover - 64 random bits
            continue
        return fd, tmp
    raise FileExistsError(
        errno.EEXIST, "could not create a unique temporary file", directory
    )  # pragma: no cover


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def atomic_write(path, fill, sync_directory=True):
    """Write ``path`` atomically and durably.

    Parameters
    ----------
    path : str
        Final file name; its directory must exist.
    fill : callable
        ``fill(writer)`` writes the whole content through ``writer`` (a
        :class:`RawWriter`) and returns any value, which is returned.
    sync_directory : bool, default True
        fsync the directory after the rename. A caller that renames several
        files into one directory may pass False for all but the last, whose
        directory fsync then makes every rename durable.

    Notes
    -----
    On any failure the temporary file is removed and the exception propagates;
    a file that already existed at ``path`` is left untouched unless the
    failure comes after ``os.replace`` (only the directory fsync remains then).
    If the directory fsync fails and ``path`` did not exist before, the new
    file is removed again, so a failed call leaves the directory as it was.
    """
    path = os.fspath(path)
    directory, basename = os.path.split(os.path.abspath(path))
    existed = os.path.lexists(path)
    fd, tmp = _open_temp(directory, basename)
    try:
        try:
            result = fill(RawWriter(fd))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    if not sync_directory:
        return result
    try:
        fsync_directory(directory)
    except BaseException:
        if not existed:
            _unlink_quietly(path)
        raise
    return result
