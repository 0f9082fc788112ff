"""``CheckpointManager``: numbered, rotated checkpoints in one directory."""

from __future__ import annotations

import errno
import math
import numbers
import operator
import os
import re
import threading
import time
import warnings
import weakref

from . import _distributed, _ownership, _state
from ._atomic import fsync_directory, temp_name_pattern
from ._errors import CorruptCheckpointError
from ._lock import DirectoryLock
from ._ownership import check_name, numbered_files
from ._state import STATE_NAME, read_state, vouched
from .checkpoint import Checkpoint
from .latest import latest_checkpoint

__all__ = ["STATE_NAME", "CheckpointManager", "latest_checkpoint"]

# A directory that cannot be written: permission denied, or a read-only file system.
_READ_ONLY_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def _describe(others):
    return ", ".join(f"{filename} ({reason})" for _, (filename, reason) in sorted(others.items()))


def _finish_before_takeover(manager):
    # Only a weak reference: the lock must not keep its manager alive (its finalizer unlocks).
    ref = weakref.ref(manager)

    def finish():
        m = ref()
        if m is not None:
            m._finish_writing()

    return finish


class CheckpointManager:
    """Keep numbered checkpoints in a directory and delete old ones.

    The NumPy counterpart of ``tf.train.CheckpointManager``. Files are
    ``<directory>/<checkpoint_name>-<number>.npz``; a JSON state file
    ``checkpoint.json`` lists them with their save times. Each save is atomic
    and durable, the state file is rewritten (atomically) after the data, and
    old checkpoints are deleted only after that.

    One manager at a time saves to a directory, enforced by a lock file. In
    the same process a newer manager on the directory takes over (running a
    notebook cell again just works) and the older one refuses to save from
    then on; a manager in another process is refused while this one lives.
    Use it as a context manager, ``with CheckpointManager(...) as manager:``,
    or call :meth:`close`, to release the directory when done.

    Parameters
    ----------
    checkpoint : Checkpoint
        What to save.
    directory : str or os.PathLike
        Where; created if missing.
    max_to_keep : int or None, default 5
        How many recent checkpoints to keep; None keeps all. Must be >= 1.
    keep_checkpoint_every_n_hours : float, optional
        Additionally keep, forever, one checkpoint per this many hours (as in
        TensorFlow: a checkpoint leaving the recent set is kept if it is at
        least this much newer than the last one kept). Kept files leave
        :attr:`checkpoints` and are never deleted.
    checkpoint_name : str, default "ckpt"
        File name prefix.
    step_counter : callable or 0-d integer array, optional
        The training step, e.g. ``lambda: opt.iterations``. Numbers the
        checkpoints when ``save`` gets no ``checkpoint_number``, and is
        required by ``checkpoint_interval``.
    checkpoint_interval : int, optional
        With ``step_counter``: ``save()`` writes only if at least this many
        steps passed since the last checkpoint (otherwise returns None).
    init_fn : callable, optional
        Called by :meth:`restore_or_initialize` when there is no checkpoint.
    clock : callable, optional
        Keyword-only; returns the current time in seconds (default
        ``time.time``). For tests of ``keep_checkpoint_every_n_hours``.

    Raises
    ------
    RuntimeError
        If a manager in another process holds the directory.
    CorruptCheckpointError
        If the state file is damaged (it is never silently ignored).

    Notes
    -----
    After a restart the list is rebuilt by scanning the directory for
    ``<checkpoint_name>-<n>.npz`` (the state file only supplies times and the
    kept-forever set); checkpoints are ordered by number, never by mtime.

    A name proves nothing, so a file counts as one of this manager's
    checkpoints only if its manifest (read alone, without the arrays) is an
    optkern manifest that records this ``checkpoint_name``, or records none
    (files of :meth:`Checkpoint.write` and of optkern versions that did not
    record it). A file the state file lists that has become unreadable is
    still ours, and restoring it raises :class:`CorruptCheckpointError`.
    Any other file named like a checkpoint is left alone with a warning:
    never listed, restored, deleted or overwritten. Rotation reads a file's
    manifest again just before deleting it, and deletes nothing else except
    stale temporaries of its own interrupted writes.

    Checkpoint numbers must grow: a save whose number is not above every
    file named ``<checkpoint_name>-<n>.npz`` is refused (on a fresh start,
    restore first with :meth:`restore_or_initialize`).

    Examples
    --------
    >>> ckpt = ok.Checkpoint(model=params, optimizer=opt)
    >>> with ok.CheckpointManager(ckpt, "checkpoints", max_to_keep=3) as manager:
    ...     manager.restore_or_initialize()      # the newest checkpoint, if any
    ...     for epoch in range(10):
    ...         train_one_epoch()
    ...         manager.save()                   # checkpoints/ckpt-<n>.npz
    ...     print(manager.checkpoints)           # the 3 newest, oldest first
    """

    def __init__(
        self,
        checkpoint,
        directory,
        max_to_keep=5,
        keep_checkpoint_every_n_hours=None,
        checkpoint_name="ckpt",
        step_counter=None,
        checkpoint_interval=None,
        init_fn=None,
        *,
        clock=None,
    ):
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(
                f"checkpoint must be an optkern Checkpoint, got {type(checkpoint).__name__}"
            )
        directory = os.fspath(directory)
        if not isinstance(directory, str):
            raise TypeError(
                f"directory must be str or os.PathLike of str, got {type(directory).__name__}"
            )
        if max_to_keep is not None:
            if isinstance(max_to_keep, bool) or not isinstance(max_to_keep, numbers.Integral):
                raise TypeError(f"max_to_keep must be an int or None, got {max_to_keep!r}")
            if max_to_keep < 1:
                raise ValueError(
                    f"max_to_keep must be >= 1 (or None to keep all), got {max_to_keep}"
                )
            max_to_keep = int(max_to_keep)
        if keep_checkpoint_every_n_hours is not None:
            h = keep_checkpoint_every_n_hours
            if (
                isinstance(h, bool)
                or not isinstance(h, numbers.Real)
                or not (math.isfinite(h) and h > 0)
            ):
                raise ValueError(
                    f"keep_checkpoint_every_n_hours must be a positive number, got {h!r}"
                )
        check_name(checkpoint_name)
        if step_counter is not None and not callable(step_counter):
            if isinstance(step_counter, numbers.Integral):
                raise TypeError(
                    "step_counter must change as training runs: pass a callable "
                    "(e.g. lambda: opt.iterations) or a 0-d integer array, not an int"
                )
            try:
                operator.index(step_counter)
            except TypeError:
                raise TypeError(
                    f"step_counter must be a callable or a 0-d integer array, "
                    f"got {type(step_counter).__name__}"
                ) from None
        if checkpoint_interval is not None:
            if isinstance(checkpoint_interval, bool) or not isinstance(
                checkpoint_interval, numbers.Integral
            ):
                raise TypeError(f"checkpoint_interval must be an int, got {checkpoint_interval!r}")
            if checkpoint_interval < 1:
                raise ValueError(f"checkpoint_interval must be >= 1, got {checkpoint_interval}")
            if step_counter is None:
                raise ValueError("checkpoint_interval needs a step_counter")
        if init_fn is not None and not callable(init_fn):
            raise TypeError(f"init_fn must be callable, got {type(init_fn).__name__}")
        if clock is not None and not callable(clock):
            raise TypeError(f"clock must be callable, got {type(clock).__name__}")

        self._checkpoint = checkpoint
        self._directory = directory
        self._max_to_keep = max_to_keep
        self._keep_hours = keep_checkpoint_every_n_hours
        self._name = checkpoint_name
        self._step_counter = step_counter
        self._checkpoint_interval = checkpoint_interval
        self._init_fn = init_fn
        self._clock = clock or time.time
        self._mutex = threading.Lock()
        self._last_checkpoint_step = None
        self._lock = None
        self._read_only_error = None
        self._closed = False
        self._others = {}  # {number: (filename, reason)}: named like ours, provably or possibly not
        self._others_reported = set()
        # Distributed state (optkern.distributed): rank 0 holds the directory and writes;
        # the other ranks (followers) only take part in saves and restores.
        self._comm = _distributed.comm_of(checkpoint._objects)
        self._follower = self._comm is not None and self._comm.Get_rank() != 0
        error = None
        try:
            self._open()
        except BaseException as e:
            if self._comm is None:
                raise
            error = e
        if self._comm is not None:
            _distributed.agree(self._comm, error, "opening the CheckpointManager")

    def _open(self):
        if self._follower:
            self._recover()
            return
        try:
            os.makedirs(self._directory, exist_ok=True)
            self._lock = DirectoryLock(
                self._directory, before_takeover=_finish_before_takeover(self)
            )
        except OSError as e:
            if e.errno not in _READ_ONLY_ERRNOS:
                raise
            # Nothing can be written here: list and restore only; save() says why it cannot.
            # Without the lock, temporaries may be another writer's: leave them all alone.
            self._read_only_error = e
        try:
            self._recover()
            if self._lock is not None:
                self._remove_stale_temporaries()
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise

    # ------------------------------------------------------------ recovery

    def _recover(self):
        """Rebuild the lists from the directory; the state file adds times and the kept set."""
        now = self._clock()
        state = read_state(self._directory)
        times, kept, last_kept = {}, set(), None
        if state is not None and state["checkpoint_name"] == self._name:
            for item in state["checkpoints"] + state["preserved"]:
                times[item["file"]] = float(item["time"])
            kept = {item["file"] for item in state["preserved"]}
            last_kept = min(float(state["last_preserved_time"]), now)
        ours, others = _ownership.claim_checkpoints(
            self._directory, self._name, vouched(state, self._name)
        )
        managed, preserved = [], []
        for number, (filename, manifest_time) in sorted(ours.items()):
            t = times.get(filename)
            if t is None:  # not in the state file: saved just before a crash, or no state file
                t = manifest_time
            t = now if t is None else min(t, now)
            (preserved if filename in kept else managed).append((number, filename, t))
        if last_kept is None:
            last_kept = min((t for _, _, t in managed), default=now)
        self._managed, self._preserved, self._last_preserved_time = managed, preserved, last_kept
        self._others = others
        unseen = {n: item for n, item in others.items() if item[0] not in self._others_reported}
        if unseen:
            self._others_reported.update(item[0] for item in unseen.values())
            warnings.warn(
                f"{len(unseen)} file(s) in {self._directory!r} named like checkpoints of "
                f"{self._name!r} are not optkern checkpoints of this manager: {_describe(unseen)}. "
                "They are left alone: never listed, restored or deleted. New checkpoint numbers "
                "must be above theirs (a file is never overwritten); move them out of the "
                "directory if they do not belong there.",
                UserWarning,
                stacklevel=3,
            )

    def _remove_stale_temporaries(self):
        # Only our own naming: .<name>-<n>.npz.<16 hex>.tmp and .checkpoint.json.<16 hex>.tmp.
        # We hold the directory lock, so no other manager is writing them.
        ours = re.compile(
            r"\." + re.escape(self._name) + r"-(0|[1-9][0-9]*)\.npz\.[0-9a-f]{16}\.tmp\Z"
        )
        state_tmp = temp_name_pattern(STATE_NAME)
        removed = False
        with os.scandir(self._directory) as it:
            for entry in it:
                if (ours.match(entry.name) or state_tmp.match(entry.name)) and entry.is_file():
                    try:
                        os.unlink(entry.path)
                        removed = True
                    except FileNotFoundError:
                        pass
        if removed:
            fsync_directory(self._directory)

    # ---------------------------------------------------------- properties

    @property
    def directory(self):
        """The checkpoint directory (str)."""
        return self._directory

    @property
    def checkpoint(self):
        """The managed :class:`Checkpoint`."""
        return self._checkpoint

    @property
    def checkpoint_interval(self):
        """Minimum steps between saves, or None."""
        return self._checkpoint_interval

    @property
    def checkpoints(self):
        """Paths of the managed checkpoints, oldest first (list of str).

        Only committed files appear (an asynchronous save appears once it is
        written). Checkpoints kept by ``keep_checkpoint_every_n_hours`` are
        not listed (they are never deleted).
        """
        with self._mutex:
            return [os.path.join(self._directory, f) for _, f, _ in self._managed]

    @property
    def latest_checkpoint(self):
        """Path of the newest committed checkpoint (highest number), or None."""
        with self._mutex:
            items = self._managed or self._preserved
            return os.path.join(self._directory, items[-1][1]) if items else None

    def __repr__(self):
        return (
            f"CheckpointManager(directory={self._directory!r}, checkpoint_name={self._name!r}, "
            f"max_to_keep={self._max_to_keep}, checkpoints={len(self._managed)}"
            + (", read_only=True)" if self.read_only else ")")
        )

    # ---------------------------------------------------------------- save

    def _step(self):
        value = self._step_counter() if callable(self._step_counter) else self._step_counter
        try:
            return operator.index(value)
        except TypeError:
            raise TypeError(f"step_counter gave {value!r}, expected an integer") from None

    def _check_open(self, writing):
        lock = self._lock
        if lock is not None and lock.superseded:
            raise RuntimeError(
                f"this CheckpointManager for {self._directory!r} was superseded by a newer "
                "CheckpointManager on the same directory in this process (created after it, e.g. "
                "by running a notebook cell again); it cannot save or restore any more: use the "
                "newer manager"
            )
        if lock is not None and lock.inherited:
            raise RuntimeError(
                f"this CheckpointManager for {self._directory!r} was created in the parent of this "
                "forked process and is not this process's; create a new CheckpointManager here "
                "(it is refused while the parent's manager holds the directory)"
            )
        if self._closed or (lock is not None and not lock.held):
            raise RuntimeError(
                f"this CheckpointManager for {self._directory!r} is closed; "
                "create a new one to go on"
            )
        if writing and lock is None and not self._follower:
            e = self._read_only_error
            raise PermissionError(
                e.errno,
                f"cannot save a checkpoint: the directory {self._directory!r} is not "
                f"writable ({e.strerror or e}), so this CheckpointManager was opened read-only, to "
                "list and restore checkpoints; save with a manager on a writable directory",
            )

    @property
    def read_only(self):
        """True if the directory could not be written when the manager was created.

        Such a manager (an evaluation job, a read-only mount) lists and
        restores checkpoints but takes no lock, deletes nothing, and its
        :meth:`save` raises :class:`PermissionError`.
        """
        return self._read_only_error is not None

    def _finish_writing(self):
        """Let a save in flight (from any thread) finish; a newer manager takes over after it."""
        ckpt = self._checkpoint
        with ckpt._writer.lock:
            ckpt._writer.join()

    def save(self, checkpoint_number=None, check_interval=True, *, blocking=True, compress=False):
        """Save a new checkpoint, then delete the ones beyond ``max_to_keep``.

        Parameters
        ----------
        checkpoint_number : int, optional
            Number for the file name. Default: ``step_counter`` if given, else
            the checkpoint's ``save_counter`` after incrementing it. It must be
            greater than every existing checkpoint number of this prefix.
        check_interval : bool, default True
            Honour ``checkpoint_interval`` (skip the save if too few steps
            passed). False saves regardless.
        blocking : bool, default True
            False snapshots the state now and writes, updates the state file
            and rotates on a background thread; errors surface at the next
            save or at :meth:`wait_until_finished`.
        compress : bool, default False
            Deflate the arrays.

        Returns
        -------
        str or None
            Path of the new checkpoint, or None if skipped by the interval.

        Raises
        ------
        ValueError
            If the checkpoint number is not above the newest existing one.
        """
        self._check_open(writing=True)
        if not isinstance(check_interval, bool):
            raise TypeError(f"check_interval must be a bool, got {check_interval!r}")
        if checkpoint_number is not None:
            if isinstance(checkpoint_number, bool):
                raise TypeError("checkpoint_number must be an int, got a bool")
            try:
                checkpoint_number = operator.index(checkpoint_number)
            except TypeError:
                raise TypeError(
                    f"checkpoint_number must be an int, got {checkpoint_number!r}"
                ) from None
            if checkpoint_number < 0:
                raise ValueError(f"checkpoint_number must be >= 0, got {checkpoint_number}")
        ckpt = self._checkpoint
        if self._comm is not None:
            return self._save_distributed(checkpoint_number, check_interval, compress)
        with ckpt._writer.lock:
            plan = self._plan_save(checkpoint_number, check_interval)
            if plan is None:
                return None
            number, filename, path, now, meta, counter, step = plan

            def on_commit():
                object.__setattr__(ckpt, "_save_counter", max(ckpt.save_counter, counter))
                self._commit(number, filename, now)

            ckpt._write(path, meta=meta, compress=compress, blocking=blocking, on_commit=on_commit)
            if not blocking:
                object.__setattr__(ckpt, "_save_counter", counter)
            if step is not None:
                self._last_checkpoint_step = step
        return path

    def _plan_save(self, checkpoint_number, check_interval):
        """Number, file and manifest of the next save; None when the interval skips it.

        Call with the checkpoint's writer lock held."""
        ckpt = self._checkpoint
        self._check_open(writing=True)  # again: a newer manager may have taken over meanwhile
        ckpt._writer.wait()  # an earlier async failure surfaces here; the list is now current
        step = self._step() if self._step_counter is not None else None
        if self._checkpoint_interval is not None and check_interval:
            last = self._last_checkpoint_step
            if last is not None and step < last + self._checkpoint_interval:
                return None
        counter = ckpt.save_counter + 1
        if checkpoint_number is not None:
            number = checkpoint_number
        else:
            number = step if step is not None else counter
        self._check_number(number)
        filename = f"{self._name}-{number}.npz"
        path = os.path.join(self._directory, filename)
        now = self._clock()
        meta = {
            "time": now,
            "step": step if step is not None else number,
            "save_counter": counter,
            "checkpoint_name": self._name,
        }  # proves later that the file is this manager's
        return number, filename, path, now, meta, counter, step

    def _save_distributed(self, checkpoint_number, check_interval, compress):
        """Every rank calls save: rank 0 plans and writes, the others take part in
        gathering the state and learn the outcome and the new list (blocking)."""
        comm, ckpt = self._comm, self._checkpoint
        plan, error = None, None
        try:
            if self._follower:
                self._check_open(writing=True)
            else:
                with ckpt._writer.lock:
                    plan = self._plan_save(checkpoint_number, check_interval)
        except Exception as e:  # noqa: BLE001 - raised on every rank
            error = e
        _distributed.agree(comm, error, "CheckpointManager.save")
        plan = _distributed.bcast_json(comm, plan)
        if plan is None:
            return None
        number, filename, path, now, meta, counter, step = plan
        path = os.path.join(self._directory, filename)

        def on_commit():
            object.__setattr__(ckpt, "_save_counter", max(ckpt.save_counter, counter))
            self._commit(number, filename, now)

        ckpt._write(
            path,
            meta=meta,
            compress=compress,
            blocking=True,
            on_commit=None if self._follower else on_commit,
        )
        with self._mutex:
            lists = _distributed.bcast_json(
                comm, [self._managed, self._preserved, self._last_preserved_time]
            )
            if self._follower:
                object.__setattr__(ckpt, "_save_counter", max(ckpt.save_counter, counter))
                self._managed = [tuple(x) for x in lists[0]]
                self._preserved = [tuple(x) for x in lists[1]]
                self._last_preserved_time = lists[2]
        if step is not None:
            self._last_checkpoint_step = step
        return path

    def _check_number(self, number):
        """Refuse a number not above every file named ``<name>-<n>.npz`` (ours or not)."""
        on_disk = numbered_files(self._directory, self._name)
        with self._mutex:
            listed = {n for n, _, _ in self._managed + self._preserved}
        newest = max(listed | set(on_disk), default=None)
        if newest is None or number > newest:
            return
        filename = f"{self._name}-{newest}.npz"
        claim = None
        if newest not in listed:
            claim = _ownership.inspect(os.path.join(self._directory, filename), self._name)
        if claim is None or claim.verdict == _ownership.OURS:
            raise ValueError(
                f"checkpoint number {number} is not above the newest checkpoint {filename} in "
                f"{self._directory!r}. Numbers come from checkpoint_number, else step_counter, "
                "else the save counter (which restore_or_initialize() restores): on a fresh start "
                f"restore first, else pass checkpoint_number={newest + 1} or larger"
            )
        raise ValueError(
            f"checkpoint number {number} is not above {filename} in {self._directory!r}, a file "
            f"that is not an optkern checkpoint of this manager ({claim.reason}); it is left "
            "alone and never overwritten. Move it out of the directory, give this manager another "
            f"checkpoint_name or directory, or pass checkpoint_number={newest + 1} or larger"
        )

    def _commit(self, number, filename, t):
        """Record a committed checkpoint: state file first, then delete old files.

        The save has succeeded once the data file is committed; failing to
        delete an old file afterwards is a RuntimeWarning (retried next save),
        failing to write the state file is an error.
        """
        with self._mutex:
            new = (number, filename, t)
            managed = self._managed + [new]
            preserved = list(self._preserved)
            last_kept = self._last_preserved_time
            doomed = []
            if self._max_to_keep is not None:
                while len(managed) > self._max_to_keep:
                    old = managed.pop(0)
                    if (
                        self._keep_hours is not None
                        and old[2] - self._keep_hours * 3600.0 >= last_kept
                    ):
                        last_kept = old[2]
                        preserved.append(old)
                    else:
                        doomed.append(old)
            # The data file is committed: list it even if the state file write fails.
            self._managed = self._managed + [new]
            self._write_state(managed, preserved, last_kept)
            self._managed, self._preserved, self._last_preserved_time = (
                managed,
                preserved,
                last_kept,
            )
        if doomed:
            failed = []
            for item in doomed:
                path = os.path.join(self._directory, item[1])
                claim = _ownership.inspect(path, self._name)
                if claim.verdict != _ownership.OURS:  # deleted only on the manifest's word
                    if claim.verdict != _ownership.MISSING:
                        warnings.warn(
                            f"old checkpoint {item[1]!r} in {self._directory!r} was not "
                            "deleted: it is no longer provably an optkern checkpoint of "
                            f"this manager ({claim.reason}); it is left alone",
                            UserWarning,
                            stacklevel=4,
                        )
                    continue
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
                except OSError as e:
                    failed.append(item)
                    warnings.warn(
                        f"could not delete old checkpoint {item[1]!r} in {self._directory!r} "
                        f"({e}); will retry at the next save",
                        RuntimeWarning,
                        stacklevel=4,
                    )
            if failed:  # keep them managed (oldest first) so the next save retries
                with self._mutex:
                    self._managed = failed + self._managed
            # No directory fsync: an unlink lost in a crash only brings back an old
            # checkpoint, which the next save prunes again.

    def _write_state(self, managed, preserved, last_kept):
        # Its directory fsync also makes the new checkpoint's rename durable (same directory).
        _state.write_state(self._directory, self._name, managed, preserved, last_kept)

    # ------------------------------------------------------------- restore

    def restore_or_initialize(self):
        """Restore the latest checkpoint, or call ``init_fn`` if there is none.

        The directory is scanned again first, so files moved in or out since
        the manager was created are taken into account. Only optkern
        checkpoints of this manager count: files that are merely named like
        them are skipped with a warning.

        Returns
        -------
        str or None
            The path restored, or None if initialised.

        Raises
        ------
        CorruptCheckpointError
            If the latest checkpoint is damaged. There is no fallback to an
            older one (and ``init_fn`` is not called): move the damaged file
            out of the directory and call this again to restore the one before.
        """
        self._check_open(writing=False)
        ckpt = self._checkpoint
        error, items = None, []
        try:
            with ckpt._writer.lock:
                ckpt._writer.join()  # a write in flight finishes first (its error stays pending)
                with self._mutex:
                    self._recover()
                    items = self._managed + self._preserved
                    items.sort()
        except Exception as e:
            if self._comm is None:
                raise
            error = e
        if self._comm is not None:  # every rank restores the file rank 0 found
            _distributed.agree(self._comm, error, "CheckpointManager.restore_or_initialize")
            items = [tuple(x) for x in _distributed.bcast_json(self._comm, items)]
        if items:
            latest = os.path.join(self._directory, items[-1][1])
            try:
                self._checkpoint.restore(latest)
            except CorruptCheckpointError as e:
                if e.path != latest:
                    raise
                after = (
                    f"restores the one before it, {items[-2][1]}"
                    if len(items) > 1
                    else "then initializes (it is the only one)"
                )
                raise CorruptCheckpointError(
                    latest,
                    f"{e.reason}. The manager does not fall back to an older checkpoint on "
                    "its own: if the file cannot be repaired, move it out of "
                    f"{self._directory!r} and call restore_or_initialize() again, which "
                    f"{after}",
                ) from e
            if self._step_counter is not None:
                self._last_checkpoint_step = self._step()
            return latest
        if self._others:
            skipped = ", ".join(f for _, (f, _) in sorted(self._others.items()))
            warnings.warn(
                f"no optkern checkpoint of {self._name!r} in {self._directory!r} to "
                f"restore; skipped files that are not optkern checkpoints of this "
                f"manager: {skipped}" + ("; calling init_fn" if self._init_fn else ""),
                UserWarning,
                stacklevel=2,
            )
        if self._init_fn is not None:
            self._init_fn()
        return None

    def wait_until_finished(self):
        """Block until a background save has finished; re-raise its error, if any.

        Raises
        ------
        Exception
            Whatever the background save raised (reported once).
        """
        self._checkpoint.wait_until_finished()

    def close(self):
        """Wait for a pending save, then release the directory lock.

        Idempotent. The manager cannot save after this. ``with
        CheckpointManager(...) as manager:`` calls it at the end of the block.
        A manager superseded by a newer one on the same directory holds
        nothing any more, so closing it leaves the newer one's lock alone.
        """
        self._closed = True
        lock = self._lock
        if lock is None:
            return
        if not lock.held:
            lock.release()  # a forked child's copy: closes its file, the parent keeps its lock
            return
        try:
            self._checkpoint.wait_until_finished()
        finally:
            lock.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        lock = getattr(self, "_lock", None)
        if lock is not None:
            try:
                lock.release()  # no-op once closed or superseded
            except Exception:  # noqa: BLE001 S110 (best effort while closing)
                pass
