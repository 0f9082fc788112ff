"""A manager lists, restores and deletes only checkpoints it can prove are its own.

Files that merely look like checkpoints by name (another program's ``ckpt-5.npz``,
a plain ``np.savez`` file, a checkpoint of another prefix renamed) are left alone,
with a warning, and never block a way forward.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
import zipfile

import numpy as np
import pytest

import optkern as ok
from optkern.checkpoint import CorruptCheckpointError


def _names(paths):
    return [os.path.basename(p) for p in paths]


def _foreign_directory(d):
    """The first-time user's directory: a text file and a plain np.savez file."""
    d.mkdir()
    (d / "ckpt-3.npz").write_text("my notes, not a checkpoint\n")
    np.savez(d / "ckpt-5.npz", w=np.arange(3.0))
    return {f: (d / f).read_bytes() for f in ("ckpt-3.npz", "ckpt-5.npz")}


def _strip_manifest_key(path, key):
    """Rewrite a checkpoint as optkern wrote it before ``key`` existed in the manifest."""
    with zipfile.ZipFile(path) as zf:
        members = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for info, data in members:
            if info.filename == "__manifest__.json":
                m = json.loads(data)
                m.pop(key, None)
                data = json.dumps(m).encode()
            zf.writestr(info, data)


def test_foreign_files_are_left_alone_by_rotation(tmp_path):
    d = tmp_path / "c"
    before = _foreign_directory(d)
    calls = []
    w = np.zeros(3)
    ckpt = ok.Checkpoint(w=w)
    with pytest.warns(UserWarning, match=r"ckpt-3\.npz.*ckpt-5\.npz.*left alone"):
        m = ok.CheckpointManager(ckpt, d, max_to_keep=2, init_fn=lambda: calls.append(1))
    with m:
        assert m.checkpoints == [] and m.latest_checkpoint is None
        # nothing of ours to restore: the foreign files are skipped, with a warning, and init_fn runs
        with pytest.warns(UserWarning, match="not optkern checkpoints"):
            assert m.restore_or_initialize() is None
        assert calls == [1]
        for n in (6, 7, 8, 9):
            w[:] = n
            m.save(checkpoint_number=n)
        assert _names(m.checkpoints) == ["ckpt-8.npz", "ckpt-9.npz"]
    assert {f: (d / f).read_bytes() for f in before} == before
    assert sorted(f for f in os.listdir(d) if f.endswith(".npz")) == [
        "ckpt-3.npz", "ckpt-5.npz", "ckpt-8.npz", "ckpt-9.npz"]
    assert ok.latest_checkpoint(d) == os.path.join(d, "ckpt-9.npz")
    # a restart lists only ours, restores the newest of ours and still leaves the others alone
    w2 = np.zeros(3)
    with pytest.warns(UserWarning, match="left alone"):
        m = ok.CheckpointManager(ok.Checkpoint(w=w2), d, max_to_keep=1)
    with m:
        assert _names(m.checkpoints) == ["ckpt-8.npz", "ckpt-9.npz"]
        assert m.restore_or_initialize() == os.path.join(d, "ckpt-9.npz") and np.all(w2 == 9)
        m.save(checkpoint_number=10)
        assert _names(m.checkpoints) == ["ckpt-10.npz"]
    assert {f: (d / f).read_bytes() for f in before} == before


def test_number_blocked_by_a_foreign_file_says_what_works(tmp_path):
    d = tmp_path / "c"
    _foreign_directory(d)
    ckpt = ok.Checkpoint(w=np.zeros(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ok.CheckpointManager(ckpt, d)
        m.restore_or_initialize()
    with m:
        with pytest.raises(ValueError, match="not an optkern checkpoint") as info:
            m.save()  # would be ckpt-1.npz, below the foreign ckpt-5.npz
        msg = str(info.value)
        assert "restore_or_initialize" not in msg  # restoring cannot help: the file is not ours
        suggested = int(re.search(r"checkpoint_number=(\d+)", msg).group(1))
        assert suggested == 6 and ckpt.save_counter == 0
        assert "move it out" in msg.lower() and "checkpoint_name" in msg
        assert m.save(checkpoint_number=suggested).endswith("ckpt-6.npz")  # one piece of advice works
    # the other: move the foreign files away, and default numbering works from a fresh start
    d2 = tmp_path / "fresh"
    _foreign_directory(d2)
    for f in ("ckpt-3.npz", "ckpt-5.npz"):
        os.rename(d2 / f, tmp_path / f)
    with ok.CheckpointManager(ok.Checkpoint(w=np.zeros(3)), d2) as m:
        assert m.save().endswith("ckpt-1.npz")


def test_renamed_checkpoint_of_another_prefix_is_foreign(tmp_path):
    d = tmp_path / "c"
    with ok.CheckpointManager(ok.Checkpoint(w=np.ones(2)), d, checkpoint_name="best") as m:
        best = m.save()
    shutil.copy(best, d / "ckpt-1.npz")  # named like ours, but its manifest says "best"
    with pytest.warns(UserWarning, match=r"ckpt-1\.npz.*'best'"):
        m = ok.CheckpointManager(ok.Checkpoint(w=np.zeros(2)), d, max_to_keep=1)
    with m:
        assert m.checkpoints == []
        m.save(checkpoint_number=2)
        m.save(checkpoint_number=3)
    assert (d / "ckpt-1.npz").exists() and (d / "best-1.npz").exists()


def test_manifest_records_the_checkpoint_name(tmp_path):
    with ok.CheckpointManager(ok.Checkpoint(w=np.ones(2)), tmp_path / "c", checkpoint_name="run") as m:
        status = ok.Checkpoint(w=np.zeros(2)).restore(m.save())
    assert status.manifest["checkpoint_name"] == "run"
    p = ok.Checkpoint(w=np.ones(2)).save(tmp_path / "s" / "model")
    assert ok.Checkpoint(w=np.zeros(2)).restore(p).manifest["checkpoint_name"] == "model"


def test_checkpoints_from_before_the_name_field_are_still_ours(tmp_path):
    d = tmp_path / "c"
    w = np.zeros(2)
    with ok.CheckpointManager(ok.Checkpoint(w=w), d, max_to_keep=None) as m:
        for n in (1, 2, 3):
            w[:] = n
            m.save()
    for n in (1, 2, 3):
        _strip_manifest_key(d / f"ckpt-{n}.npz", "checkpoint_name")
    (d / "checkpoint.json").unlink()  # no state file to vouch for them either
    w2 = np.zeros(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about: they are ours
        m = ok.CheckpointManager(ok.Checkpoint(w=w2), d, max_to_keep=2)
    with m:
        assert _names(m.checkpoints) == ["ckpt-1.npz", "ckpt-2.npz", "ckpt-3.npz"]
        assert m.restore_or_initialize().endswith("ckpt-3.npz") and np.all(w2 == 3)
        m.save()
        assert _names(m.checkpoints) == ["ckpt-3.npz", "ckpt-4.npz"]
    assert sorted(os.listdir(d)) == [".optkern-checkpoint.lock", "checkpoint.json", "ckpt-3.npz", "ckpt-4.npz"]


def test_file_replaced_by_a_foreign_one_is_not_deleted_by_rotation(tmp_path):
    d = tmp_path / "c"
    with ok.CheckpointManager(ok.Checkpoint(w=np.zeros(2)), d, max_to_keep=2) as m:
        m.save()
        m.save()
        np.savez(d / "ckpt-1.npz", mine=np.ones(4))  # someone overwrote it since it was listed
        with pytest.warns(UserWarning, match=r"ckpt-1\.npz.*not deleted"):
            m.save()
        assert _names(m.checkpoints) == ["ckpt-2.npz", "ckpt-3.npz"]
    assert np.array_equal(np.load(d / "ckpt-1.npz")["mine"], np.ones(4))


def test_corrupt_checkpoint_of_ours_still_raises_and_the_advice_works(tmp_path):
    d = tmp_path / "c"
    w = np.zeros(2)
    with ok.CheckpointManager(ok.Checkpoint(w=w), d, max_to_keep=3) as m:
        for n in (1, 2):
            w[:] = n
            newest = m.save()
    with open(newest, "r+b") as f:
        f.truncate(100)  # damaged on disk: unreadable, yet the state file says it is ours
    calls = []
    w2 = np.zeros(2)
    with ok.CheckpointManager(ok.Checkpoint(w=w2), d, init_fn=lambda: calls.append(1)) as m:
        assert m.latest_checkpoint == newest
        with pytest.raises(CorruptCheckpointError, match="ckpt-2.npz") as info:
            m.restore_or_initialize()  # never a silent fallback, never init_fn
        assert calls == [] and not w2.any()
        assert "move it" in str(info.value) and "ckpt-1.npz" in str(info.value)
        os.rename(newest, d / "damaged-ckpt-2.bak")  # what the message says to do
        assert m.restore_or_initialize().endswith("ckpt-1.npz") and np.all(w2 == 1)
        assert m.save().endswith("ckpt-2.npz")


def test_latest_checkpoint_function_skips_foreign_files(tmp_path):
    d = tmp_path / "c"
    with ok.CheckpointManager(ok.Checkpoint(w=np.zeros(2)), d) as m:
        ours = m.save()
    np.savez(d / "ckpt-5.npz", w=np.zeros(2))
    (d / "notes-1.npz").write_text("not a checkpoint")
    assert ok.latest_checkpoint(d) == ours
    assert ok.latest_checkpoint(d, checkpoint_name="ckpt") == ours
    (d / "checkpoint.json").unlink()  # the prefix is then inferred from our files only
    assert ok.latest_checkpoint(d) == ours
    assert ok.latest_checkpoint(d, checkpoint_name="notes") is None


def test_ownership_reads_only_the_manifest(tmp_path, monkeypatch):
    d = tmp_path / "c"
    with ok.CheckpointManager(ok.Checkpoint(w=np.zeros(1000)), d, max_to_keep=1) as m:
        m.save()
    from optkern.checkpoint import _format

    def no_arrays(*a, **k):
        raise AssertionError("array data read while only checking ownership")

    monkeypatch.setattr(_format.CheckpointReader, "read_arrays", no_arrays)
    with ok.CheckpointManager(ok.Checkpoint(w=np.zeros(1000)), d, max_to_keep=1) as m:
        assert len(m.checkpoints) == 1
        assert ok.latest_checkpoint(d) == m.latest_checkpoint
