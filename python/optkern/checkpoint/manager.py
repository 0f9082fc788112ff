"""``CheckpointManager``: numbered, rotated checkpoints in one directory."""

from __future__ import annotations

import json
import math
import numbers
import operator
import os
import re
import threading
import time
import warnings
import zipfile

from . import _format
from ._atomic import atomic_write, fsync_directory, temp_name_pattern
from ._errors import CorruptCheckpointError
from ._lock import DirectoryLock
from .checkpoint import Checkpoint

__all__ = ["CheckpointManager", "latest_checkpoint", "STATE_NAME"]

STATE_NAME = "checkpoint.json"
STATE_FORMAT = "optkern.checkpoint.state"
STATE_VERSION = 1

_ANY_CKPT = re.compile(r"(.+)-(0|[1-9][0-9]*)\.npz\Z")


def _name_pattern(name):
    return re.compile(re.escape(name) + r"-(0|[1-9][0-9]*)\.npz\Z")


def _scan(directory, name):
    """``{number: filename}`` of the committed checkpoints ``<name>-<n>.npz``.

    Only exact names count: temporaries (``.<name>-<n>.npz.<hex>.tmp``), other
    prefixes and other suffixes are never listed.
    """
    pattern = _name_pattern(name)
    found = {}
    try:
        entries = os.scandir(directory)
    except FileNotFoundError:
        return found
    with entries:
        for entry in entries:
            m = pattern.match(entry.name)
            if m and entry.is_file():
                found[int(m.group(1))] = entry.name
    return found


def _read_state(directory):
    """The parsed state file, None if absent; CorruptCheckpointError if unreadable."""
    path = os.path.join(directory, STATE_NAME)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return None

    def corrupt(reason):
        return CorruptCheckpointError(
            path, f"{reason}; it is only a hint: delete it and the manager rebuilds its list "
                  "from the checkpoint files")

    if not raw:
        return _raise(corrupt("the state file is empty (0 bytes)"))
    try:
        state = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise corrupt(f"the state file is not valid JSON ({e})") from e
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise corrupt(f"not an optkern checkpoint state file (format is not {STATE_FORMAT!r})")
    if state.get("version") != STATE_VERSION:
        raise corrupt(f"unsupported state file version {state.get('version')!r}")
    name = state.get("checkpoint_name")
    lpt = state.get("last_preserved_time")
    ok = isinstance(name, str) and isinstance(lpt, (int, float)) and not isinstance(lpt, bool)
    for key in ("checkpoints", "preserved"):
        items = state.get(key)
        ok = ok and isinstance(items, list) and all(
            isinstance(i, dict) and isinstance(i.get("file"), str) and _ANY_CKPT.match(i["file"])
            and isinstance(i.get("time"), (int, float)) and not isinstance(i.get("time"), bool)
            for i in items)
    if not ok:
        raise corrupt("malformed state file")
    return state


def _raise(exc):
    raise exc


def _manifest_time(path):
    """The save time recorded in a checkpoint's manifest, or None if unreadable."""
    try:
        with zipfile.ZipFile(path) as zf:
            t = json.loads(zf.read(_format.MANIFEST_MEMBER))["time"]
        return float(t) if math.isfinite(t) else None
    except Exception:
        return None


def latest_checkpoint(directory, checkpoint_name=None):
    """Path of the newest committed checkpoint in ``directory``, or None.

    The newest is the highest checkpoint number, never the newest mtime.
    Temporary files of unfinished writes are never returned. The file is not
    verified here; restoring it is (a damaged file raises
    :class:`CorruptCheckpointError` rather than falling back to an older one).

    Parameters
    ----------
    directory : str or os.PathLike
        The checkpoint directory. A missing directory gives None.
    checkpoint_name : str, optional
        The file prefix (``"ckpt"`` for ``ckpt-7.npz``). By default the one
        recorded in the manager's state file, else the only prefix present.

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
    if checkpoint_name is None:
        if not os.path.isdir(directory):
            return None
        state = _read_state(directory)
        if state is not None:
            checkpoint_name = state["checkpoint_name"]
        else:
            prefixes = set()
            with os.scandir(directory) as it:
                for entry in it:
                    m = _ANY_CKPT.match(entry.name)
                    if m and not entry.name.startswith(".") and entry.is_file():
                        prefixes.add(m.group(1))
            if not prefixes:
                return None
            if len(prefixes) > 1:
                raise ValueError(f"{directory!r} holds checkpoints with several prefixes "
                                 f"{sorted(prefixes)}; pass checkpoint_name")
            checkpoint_name = prefixes.pop()
    else:
        _check_name(checkpoint_name)
    found = _scan(directory, checkpoint_name)
    if not found:
        return None
    return os.path.join(directory, found[max(found)])


def _check_name(name):
    if not isinstance(name, str):
        raise TypeError(f"checkpoint_name must be a str, got {type(name).__name__}")
    if not name or name.startswith(".") or "/" in name or os.sep in name or "\x00" in name:
        raise ValueError(f"invalid checkpoint_name {name!r}: use a plain file name prefix "
                         "(no path separators, not starting with '.')")


class CheckpointManager:
    """Keep numbered checkpoints in a directory and delete old ones.

    The NumPy counterpart of ``tf.train.CheckpointManager``. Files are
    ``<directory>/<checkpoint_name>-<number>.npz``; a JSON state file
    ``checkpoint.json`` lists them with their save times. Each save is atomic
    and durable, the state file is rewritten (atomically) after the data, and
    old checkpoints are deleted only after that. A lock file keeps a second
    manager (in any process) off the same directory.

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
        If another manager holds the directory.
    CorruptCheckpointError
        If the state file is damaged (it is never silently ignored).

    Notes
    -----
    After a restart the list is rebuilt by scanning the directory for
    ``<checkpoint_name>-<n>.npz`` (the state file only supplies times and the
    kept-forever set); checkpoints are ordered by number, never by mtime. The
    manager only ever deletes such files of its own prefix, plus stale
    temporaries of its own interrupted writes. Checkpoint numbers must grow:
    a save whose number is not above the newest existing one is refused
    (restore first, e.g. with :meth:`restore_or_initialize`).

    Examples
    --------
    >>> ckpt = ok.Checkpoint(model=params, optimizer=opt)
    >>> manager = ok.CheckpointManager(ckpt, "checkpoints", max_to_keep=3)
    >>> manager.restore_or_initialize()
    >>> for epoch in range(10):
    ...     train_one_epoch()
    ...     manager.save()                       # checkpoints/ckpt-<n>.npz
    >>> manager.checkpoints                      # the 3 newest, oldest first
    """

    def __init__(self, checkpoint, directory, max_to_keep=5, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None, init_fn=None,
                 *, clock=None):
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(f"checkpoint must be an optkern Checkpoint, got {type(checkpoint).__name__}")
        directory = os.fspath(directory)
        if not isinstance(directory, str):
            raise TypeError(f"directory must be str or os.PathLike of str, got {type(directory).__name__}")
        if max_to_keep is not None:
            if isinstance(max_to_keep, bool) or not isinstance(max_to_keep, numbers.Integral):
                raise TypeError(f"max_to_keep must be an int or None, got {max_to_keep!r}")
            if max_to_keep < 1:
                raise ValueError(f"max_to_keep must be >= 1 (or None to keep all), got {max_to_keep}")
            max_to_keep = int(max_to_keep)
        if keep_checkpoint_every_n_hours is not None:
            h = keep_checkpoint_every_n_hours
            if isinstance(h, bool) or not isinstance(h, numbers.Real) or not (math.isfinite(h) and h > 0):
                raise ValueError(f"keep_checkpoint_every_n_hours must be a positive number, got {h!r}")
        _check_name(checkpoint_name)
        if step_counter is not None and not callable(step_counter):
            if isinstance(step_counter, numbers.Integral):
                raise TypeError("step_counter must change as training runs: pass a callable "
                                "(e.g. lambda: opt.iterations) or a 0-d integer array, not an int")
            try:
                operator.index(step_counter)
            except TypeError:
                raise TypeError(f"step_counter must be a callable or a 0-d integer array, "
                                f"got {type(step_counter).__name__}") from None
        if checkpoint_interval is not None:
            if isinstance(checkpoint_interval, bool) or not isinstance(checkpoint_interval, numbers.Integral):
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

        os.makedirs(directory, exist_ok=True)
        self._lock = DirectoryLock(directory)
        try:
            self._recover()
            self._remove_stale_temporaries()
        except BaseException:
            self._lock.release()
            raise

    # ------------------------------------------------------------ recovery

    def _recover(self):
        now = self._clock()
        state = _read_state(self._directory)
        times, kept, last_kept = {}, set(), None
        if state is not None and state["checkpoint_name"] == self._name:
            for item in state["checkpoints"] + state["preserved"]:
                times[item["file"]] = float(item["time"])
            kept = {item["file"] for item in state["preserved"]}
            last_kept = min(float(state["last_preserved_time"]), now)
        managed, preserved = [], []
        for number, filename in sorted(_scan(self._directory, self._name).items()):
            t = times.get(filename)
            if t is None:  # not in the state file: saved just before a crash, or no state file
                t = _manifest_time(os.path.join(self._directory, filename))
            t = now if t is None else min(t, now)
            (preserved if filename in kept else managed).append((number, filename, t))
        if last_kept is None:
            last_kept = min((t for _, _, t in managed), default=now)
        self._managed, self._preserved, self._last_preserved_time = managed, preserved, last_kept

    def _remove_stale_temporaries(self):
        # Only our own naming: .<name>-<n>.npz.<16 hex>.tmp and .checkpoint.json.<16 hex>.tmp.
        # We hold the directory lock, so no other manager is writing them.
        ours = re.compile(r"\." + re.escape(self._name) + r"-(0|[1-9][0-9]*)\.npz\.[0-9a-f]{16}\.tmp\Z")
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
        return (f"CheckpointManager(directory={self._directory!r}, checkpoint_name={self._name!r}, "
                f"max_to_keep={self._max_to_keep}, checkpoints={len(self._managed)})")

    # ---------------------------------------------------------------- save

    def _step(self):
        value = self._step_counter() if callable(self._step_counter) else self._step_counter
        try:
            return operator.index(value)
        except TypeError:
            raise TypeError(f"step_counter gave {value!r}, expected an integer") from None

    def _check_open(self):
        if self._lock is None or not self._lock.held:
            raise RuntimeError(f"this CheckpointManager for {self._directory!r} is closed")

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
        self._check_open()
        if not isinstance(check_interval, bool):
            raise TypeError(f"check_interval must be a bool, got {check_interval!r}")
        if checkpoint_number is not None:
            if isinstance(checkpoint_number, bool):
                raise TypeError("checkpoint_number must be an int, got a bool")
            try:
                checkpoint_number = operator.index(checkpoint_number)
            except TypeError:
                raise TypeError(f"checkpoint_number must be an int, got {checkpoint_number!r}") from None
            if checkpoint_number < 0:
                raise ValueError(f"checkpoint_number must be >= 0, got {checkpoint_number}")
        ckpt = self._checkpoint
        with ckpt._writer.lock:
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
            on_disk = _scan(self._directory, self._name)
            with self._mutex:
                known = [n for n, _, _ in self._managed + self._preserved] + list(on_disk)
            newest = max(known, default=None)
            if newest is not None and number <= newest:
                raise ValueError(
                    f"checkpoint number {number} is not above the newest checkpoint "
                    f"{self._name}-{newest}.npz in {self._directory!r}; restore it first "
                    "(restore_or_initialize()) or pass a larger checkpoint_number")
            filename = f"{self._name}-{number}.npz"
            path = os.path.join(self._directory, filename)
            now = self._clock()
            meta = {"time": now, "step": step if step is not None else number, "save_counter": counter}

            def on_commit():
                object.__setattr__(ckpt, "_save_counter", max(ckpt.save_counter, counter))
                self._commit(number, filename, now)

            ckpt._write(path, meta=meta, compress=compress, blocking=blocking, on_commit=on_commit)
            if not blocking:
                object.__setattr__(ckpt, "_save_counter", counter)
            if step is not None:
                self._last_checkpoint_step = step
        return path

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
                    if self._keep_hours is not None and old[2] - self._keep_hours * 3600.0 >= last_kept:
                        last_kept = old[2]
                        preserved.append(old)
                    else:
                        doomed.append(old)
            # The data file is committed: list it even if the state file write fails.
            self._managed = self._managed + [new]
            self._write_state(managed, preserved, last_kept)
            self._managed, self._preserved, self._last_preserved_time = managed, preserved, last_kept
        if doomed:
            failed = []
            for item in doomed:
                try:
                    os.unlink(os.path.join(self._directory, item[1]))
                except FileNotFoundError:
                    pass
                except OSError as e:
                    failed.append(item)
                    warnings.warn(f"could not delete old checkpoint {item[1]!r} in {self._directory!r} "
                                  f"({e}); will retry at the next save", RuntimeWarning, stacklevel=4)
            if failed:  # keep them managed (oldest first) so the next save retries
                with self._mutex:
                    self._managed = failed + self._managed
            # No directory fsync: an unlink lost in a crash only brings back an old
            # checkpoint, which the next save prunes again.

    def _write_state(self, managed, preserved, last_kept):
        state = {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "checkpoint_name": self._name,
            "latest_checkpoint": managed[-1][1] if managed else None,
            "checkpoints": [{"file": f, "number": n, "time": t} for n, f, t in managed],
            "preserved": [{"file": f, "number": n, "time": t} for n, f, t in preserved],
            "last_preserved_time": last_kept,
        }
        data = json.dumps(state, indent=1).encode("utf-8")
        # Its directory fsync also makes the new checkpoint's rename durable (same directory).
        atomic_write(os.path.join(self._directory, STATE_NAME), lambda f: f.write(data))

    # ------------------------------------------------------------- restore

    def restore_or_initialize(self):
        """Restore the latest checkpoint, or call ``init_fn`` if there is none.

        Returns
        -------
        str or None
            The path restored, or None if initialised.

        Raises
        ------
        CorruptCheckpointError
            If the latest checkpoint is damaged (no fallback to an older one).
        """
        self._check_open()
        latest = self.latest_checkpoint
        if latest is not None:
            self._checkpoint.restore(latest)
            if self._step_counter is not None:
                self._last_checkpoint_step = self._step()
            return latest
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

        Idempotent. The manager cannot save after this.
        """
        lock = self._lock
        if lock is None or not lock.held:
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
        if lock is not None and lock.held:
            try:
                lock.release()
            except Exception:
                pass
