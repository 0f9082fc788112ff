"""``Checkpoint``: save and restore NumPy training state, in place."""

from __future__ import annotations

import os
import time

from . import _distributed, _format
from ._async import Writer
from ._atomic import atomic_write
from ._tree import apply_restore, flatten, object_kind, plan_restore

__all__ = ["Checkpoint", "CheckpointLoadStatus"]

_RESERVED = frozenset({"save_counter", "write", "save", "read", "restore", "wait_until_finished"})


def _npz_path(path):
    path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(
            f"checkpoint path must be str or os.PathLike of str, got {type(path).__name__}"
        )
    return path if path.endswith(".npz") else path + ".npz"


def _existing_path(save_path):
    """Resolve ``save_path`` as given, or with ``.npz`` appended (TF-style prefixes)."""
    path = os.fspath(save_path)
    if not isinstance(path, str):
        raise TypeError(f"save_path must be str or os.PathLike of str, got {type(path).__name__}")
    if not os.path.exists(path) and not path.endswith(".npz") and os.path.exists(path + ".npz"):
        return path + ".npz"
    return path


class CheckpointLoadStatus:
    """What a :meth:`Checkpoint.restore` or :meth:`Checkpoint.read` did.

    Mirrors the status object of ``tf.train.Checkpoint.restore``. A strict
    restore (the default) has already raised if anything did not match, so
    its assertions always pass; they matter after ``strict=False``.

    Attributes
    ----------
    save_path : str or None
        The file restored from (None for ``restore(None)``).
    restored : list of str
        Paths whose values were restored.
    missing_keys : list of str
        Paths the objects expect that the file lacks (left unchanged).
    unexpected_keys : list of str
        Paths in the file that no object used.
    manifest : dict or None
        The file's manifest (time, step, save_counter, entries...).
    """

    def __init__(self, save_path, restored, missing, unexpected, manifest):
        self.save_path = save_path
        self.restored = list(restored)
        self.missing_keys = list(missing)
        self.unexpected_keys = list(unexpected)
        self.manifest = manifest

    def __repr__(self):
        return (
            f"CheckpointLoadStatus(save_path={self.save_path!r}, restored={len(self.restored)}, "
            f"missing_keys={len(self.missing_keys)}, unexpected_keys={len(self.unexpected_keys)})"
        )

    def _nothing(self):
        if self.save_path is None:
            raise AssertionError(
                "no checkpoint was specified (save_path=None): nothing was restored"
            )

    def assert_consumed(self):
        """Assert that every value in the file was used and every object entry restored.

        Returns
        -------
        CheckpointLoadStatus
            ``self``, for chaining.

        Raises
        ------
        AssertionError
            Naming the unmatched paths.
        """
        self._nothing()
        if self.missing_keys or self.unexpected_keys:
            raise AssertionError(
                f"checkpoint not fully consumed: missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys}"
            )
        return self

    def assert_existing_objects_matched(self):
        """Assert that every entry of the checkpointed objects was restored.

        Values in the file that no object uses are allowed.

        Returns
        -------
        CheckpointLoadStatus
            ``self``.

        Raises
        ------
        AssertionError
            Naming the entries the file lacks.
        """
        self._nothing()
        if self.missing_keys:
            raise AssertionError(
                f"objects not restored from {self.save_path!r}: {self.missing_keys}"
            )
        return self

    def assert_nontrivial_match(self):
        """Assert that at least one value was restored.

        Returns
        -------
        CheckpointLoadStatus
            ``self``.

        Raises
        ------
        AssertionError
            If nothing matched.
        """
        self._nothing()
        if not self.restored:
            raise AssertionError(f"nothing in {self.save_path!r} matched the checkpointed objects")
        return self

    def expect_partial(self):
        """Mark a partial restore as intended (TF compatibility); returns ``self``.

        optkern never warns about partial restores after the fact: a strict
        restore raises instead, and ``strict=False`` states the intent up front.
        """
        return self


class Checkpoint:
    """Group NumPy training state for saving and in-place restoring.

    The NumPy counterpart of ``tf.train.Checkpoint``: each keyword names an
    object to track. Files are ``.npz`` archives readable with
    ``np.load(path, allow_pickle=False)`` plus a JSON manifest holding a
    CRC-32 per array; every write is atomic (temporary file, fsync,
    ``os.replace``, directory fsync).

    Parameters
    ----------
    **objects
        The state to track. Each value is one of:

        * a ``numpy.ndarray`` - restored in place;
        * a ``dict`` (``str`` keys, nesting allowed) or ``list``/``tuple`` of
          arrays and numbers - arrays restored in place, numbers replaced in
          the container;
        * a number (``int``, ``float``, ``bool``, ``complex`` or NumPy scalar) -
          restore replaces the attribute: read it back as ``ckpt.<name>``;
        * any object with ``state_dict()`` and ``load_state_dict(sd)``, such as
          every optkern optimizer - restore passes it a state dict built from
          the file and it copies the arrays into its own state.

        Names must be identifiers not starting with ``_`` and not one of the
        method names or ``save_counter``. Objects are also available, and can
        be added or replaced, as attributes (``ckpt.model``).

    Attributes
    ----------
    save_counter : int
        Number of :meth:`save` calls (restored by :meth:`restore`); numbers
        the files ``<prefix>-<save_counter>.npz``.

    Notes
    -----
    With an ``optkern.distributed.DataParallel`` tracked (on more than one
    rank), every rank calls ``save``/``write``/``restore``: the state is
    gathered to rank 0, which alone writes (always blocking), and an error
    there is raised on every rank; restoring reads the file on every rank.

    Arrays are stored under their object paths: ``Checkpoint(model={"W1": w},
    optimizer=opt)`` writes ``model/W1``, ``optimizer/iterations``,
    ``optimizer/momentum/W1``... Object arrays and other dtypes that would need
    pickle are refused at save time.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> params = {"W1": np.zeros((3, 4), np.float32)}
    >>> opt = ok.Adam(params, learning_rate=1e-3)
    >>> ckpt = ok.Checkpoint(model=params, optimizer=opt, epoch=0)
    >>> path = ckpt.save("checkpoints/ckpt")       # checkpoints/ckpt-1.npz
    >>> status = ckpt.restore(path)                # params updated in place
    """

    def __init__(self, **objects):
        object.__setattr__(self, "_objects", {})
        object.__setattr__(self, "_save_counter", 0)
        object.__setattr__(self, "_writer", Writer())
        for name, obj in objects.items():
            self._track(name, obj)

    # ------------------------------------------------------------ objects

    def _track(self, name, obj):
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise ValueError(
                f"invalid checkpoint object name {name!r}: use an identifier "
                "that does not start with '_'"
            )
        if name in _RESERVED or hasattr(type(self), name):
            raise ValueError(f"invalid checkpoint object name {name!r}: reserved by Checkpoint")
        try:
            object_kind(obj)
        except TypeError as e:
            raise TypeError(f"cannot track {name!r}: {e}") from None
        self._objects[name] = obj

    def __getattr__(self, name):
        objects = self.__dict__.get("_objects", {})
        if name in objects:
            return objects[name]
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute or tracked object {name!r}"
        )

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        elif name == "save_counter":
            type(self).save_counter.fset(self, value)
        else:
            self._track(name, value)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._objects))

    def __repr__(self):
        inner = ", ".join(f"{k}=<{object_kind(v)}>" for k, v in self._objects.items())
        return f"Checkpoint({inner})"

    @property
    def save_counter(self):
        """Number of :meth:`save` calls so far (int)."""
        return self._save_counter

    @save_counter.setter
    def save_counter(self, value):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"save_counter must be a non-negative int, got {value!r}")
        object.__setattr__(self, "_save_counter", value)

    # ------------------------------------------------------------- saving

    def _write(self, path, *, meta, compress, blocking, on_commit=None):
        """Write to ``path`` atomically; the core of write/save and the manager."""
        if not isinstance(compress, bool):
            raise TypeError(f"compress must be a bool, got {compress!r}")
        if not isinstance(blocking, bool):
            raise TypeError(f"blocking must be a bool, got {blocking!r}")
        directory = os.path.dirname(os.path.abspath(path))
        objects = dict(self._objects)
        kinds = {name: object_kind(obj) for name, obj in objects.items()}
        comm = _distributed.comm_of(objects)
        if comm is not None:
            return self._write_distributed(
                comm, objects, kinds, path, directory, meta, compress, on_commit
            )
        with self._writer.lock:
            self._writer.wait()  # surface an earlier async failure; never two writes at once
            entries = flatten(objects, copy=not blocking)  # validates; snapshot if async

            def job():
                os.makedirs(directory, exist_ok=True)
                # With on_commit (the manager), the directory fsync comes after the state file,
                # making both renames durable at once.
                atomic_write(
                    path,
                    lambda f: _format.write_checkpoint(f, entries, kinds, meta, compress),
                    sync_directory=on_commit is None,
                )
                if on_commit is not None:
                    on_commit()

            if blocking:
                job()
            else:
                self._writer.submit(job, path)
        return path

    def _write_distributed(self, comm, objects, kinds, path, directory, meta, compress, on_commit):
        """Collective save: state gathered to rank 0, which writes; always blocking."""
        rank = comm.Get_rank()
        with self._writer.lock:
            error = None
            try:
                self._writer.wait()
            except Exception as e:  # noqa: BLE001 - raised on every rank below
                error = e
            _distributed.agree(comm, error, "saving the checkpoint")
            objects = _distributed.gather_states(comm, objects)
            error = None
            if rank == 0:
                try:
                    entries = flatten(objects)
                    os.makedirs(directory, exist_ok=True)
                    atomic_write(
                        path,
                        lambda f: _format.write_checkpoint(f, entries, kinds, meta, compress),
                        sync_directory=on_commit is None,
                    )
                    if on_commit is not None:
                        on_commit()
                except Exception as e:  # noqa: BLE001 - raised on every rank below
                    error = e
            _distributed.agree(comm, error, "writing the checkpoint on rank 0")
        return path

    def write(self, file_prefix, *, compress=False, blocking=True):
        """Write a checkpoint file without touching ``save_counter``.

        Parameters
        ----------
        file_prefix : str or os.PathLike
            Target file; ``.npz`` is appended unless present. Parent
            directories are created.
        compress : bool, default False
            Deflate the arrays (smaller, slower), like ``np.savez_compressed``.
        blocking : bool, default True
            If False, snapshot the state now and write on a background thread;
            an error surfaces at the next save or :meth:`wait_until_finished`.

        Returns
        -------
        str
            The path of the file written (or being written).
        """
        path = _npz_path(file_prefix)
        meta = {"time": time.time(), "step": None, "save_counter": self._save_counter}
        return self._write(path, meta=meta, compress=compress, blocking=blocking)

    def save(self, file_prefix, *, compress=False, blocking=True):
        """Save a numbered checkpoint ``<file_prefix>-<save_counter>.npz``.

        Increments ``save_counter`` (kept in the file, restored by
        :meth:`restore`). For rotation and a state file use
        :class:`CheckpointManager`. The manifest records the prefix's last
        component (``"ckpt"``) as the checkpoint name, so a manager of that
        name in that directory counts the file as its own.

        Parameters
        ----------
        file_prefix : str or os.PathLike
            Prefix such as ``"checkpoints/ckpt"``.
        compress : bool, default False
            Deflate the arrays.
        blocking : bool, default True
            If False, snapshot now and write in the background (the counter is
            incremented at call time).

        Returns
        -------
        str
            The path of the new file, e.g. ``"checkpoints/ckpt-1.npz"``.
        """
        prefix = os.fspath(file_prefix)
        if not isinstance(prefix, str):
            raise TypeError(
                f"file_prefix must be str or os.PathLike of str, got {type(prefix).__name__}"
            )
        with self._writer.lock:
            self._writer.wait()
            number = self._save_counter + 1
            path = f"{prefix}-{number}.npz"
            meta = {
                "time": time.time(),
                "step": None,
                "save_counter": number,
                "checkpoint_name": os.path.basename(prefix) or None,
            }
            self._write(path, meta=meta, compress=compress, blocking=blocking)
            object.__setattr__(self, "_save_counter", number)
        return path

    def wait_until_finished(self):
        """Block until a background save has finished; re-raise its error, if any.

        Raises
        ------
        Exception
            Whatever the background save raised (reported once).
        """
        self._writer.wait()

    # ----------------------------------------------------------- restoring

    def _load(self, save_path, strict, restore_counter):
        if not isinstance(strict, bool):
            raise TypeError(f"strict must be a bool, got {strict!r}")
        if save_path is None:
            return CheckpointLoadStatus(None, [], [], [], None)
        path = _existing_path(save_path)
        self._writer.join()  # never read while our own write is in flight (its error stays pending)
        objects = dict(self._objects)
        comm = _distributed.comm_of(objects)
        if comm is None:
            reader = _format.CheckpointReader(path)
        else:  # every rank opens the file before the objects' collective calls below
            reader, error = None, None
            try:
                reader = _format.CheckpointReader(path)
            except Exception as e:  # noqa: BLE001 - raised on every rank
                error = e
            try:
                _distributed.agree(comm, error, "opening the checkpoint")
            except BaseException:
                if reader is not None:
                    reader.close()
                raise
        with reader:
            entries = reader.entries
            plan, missing, unexpected = plan_restore(objects, entries, strict, self._objects)
            if strict:
                names = set(reader.manifest["objects"])
                if names != set(objects):
                    raise ValueError(
                        f"checkpoint {path!r} holds objects {sorted(names)}, this Checkpoint tracks "
                        f"{sorted(objects)} (strict restore); pass strict=False to restore the overlap"
                    )
            counter = reader.manifest.get("save_counter")
            if (
                restore_counter
                and counter is not None
                and (isinstance(counter, bool) or not isinstance(counter, int) or counter < 0)
            ):
                raise reader.corrupt(f"bad save_counter {counter!r} in the manifest")
            skip = set(unexpected)
            wanted = [p for p in entries if p not in skip]
            arrays = reader.read_arrays(wanted)  # every byte verified before any change
            manifest = reader.manifest
        restored = apply_restore(plan, arrays, entries)
        if restore_counter and counter is not None:
            object.__setattr__(self, "_save_counter", counter)
        return CheckpointLoadStatus(path, restored, missing, unexpected, manifest)

    def restore(self, save_path, *, strict=True):
        """Restore the tracked objects and ``save_counter`` from a checkpoint, in place.

        Every key, shape and dtype is validated and every array's CRC-32
        verified before anything is modified; on any error nothing changes.

        Parameters
        ----------
        save_path : str, os.PathLike or None
            A file written by :meth:`save`, :meth:`write` or a
            :class:`CheckpointManager` (``.npz`` may be omitted). ``None``
            restores nothing, so ``ckpt.restore(manager.latest_checkpoint)``
            works on a fresh start, as in TensorFlow.
        strict : bool, default True
            Require the file and the objects to match exactly (same object
            names and entry paths). With False, restore the overlap and report
            the rest in the returned status (shapes and dtypes of the overlap
            must still match).

        Returns
        -------
        CheckpointLoadStatus

        Raises
        ------
        CorruptCheckpointError
            If the file is damaged or not an optkern checkpoint.
        FileNotFoundError
            If ``save_path`` does not exist.
        ValueError, TypeError
            On a mismatch of keys (strict), kinds, shapes or dtypes, or a
            read-only target array.

        Notes
        -----
        Arrays (also inside dicts and lists) are updated with ``np.copyto``.
        Numbers cannot change in place: a top-level number replaces the
        attribute (read ``ckpt.epoch`` afterwards), a number in a dict or list
        replaces that item. Objects with ``load_state_dict`` get a fresh state
        dict and copy it into their own arrays.
        """
        return self._load(save_path, strict, restore_counter=True)

    def read(self, save_path, *, strict=True):
        """Like :meth:`restore`, but leave ``save_counter`` unchanged.

        The counterpart of :meth:`write` (as ``tf.train.Checkpoint.read``).

        Parameters
        ----------
        save_path : str, os.PathLike or None
            The file to read.
        strict : bool, default True
            See :meth:`restore`.

        Returns
        -------
        CheckpointLoadStatus
        """
        return self._load(save_path, strict, restore_counter=False)
