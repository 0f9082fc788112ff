"""Damaged, foreign and unfinished files: always CorruptCheckpointError, never a fallback."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

import optkern as ok
from optkern.checkpoint import CorruptCheckpointError


def _state():
    rng = np.random.default_rng(3)
    return {"W": rng.standard_normal((4, 5)).astype(np.float32), "b": np.arange(5.0)}


def _targets():
    return {"W": np.zeros((4, 5), np.float32), "b": np.zeros(5)}


def _write(tmp_path, name="ckpt-1.npz", **kw):
    return ok.Checkpoint(model=_state(), epoch=3).write(tmp_path / name, **kw)


def _restore_into_fresh(path):
    t = _targets()
    ckpt = ok.Checkpoint(model=t, epoch=0)
    ckpt.restore(path)
    return t, ckpt


def _assert_corrupt_and_untouched(path, match=None):
    t = _targets()
    ckpt = ok.Checkpoint(model=t, epoch=0)
    with pytest.raises(CorruptCheckpointError, match=match) as info:
        ckpt.restore(path)
    assert info.value.path == os.fspath(path)
    assert os.fspath(path) in str(info.value)
    assert not t["W"].any() and not t["b"].any() and ckpt.epoch == 0
    return info.value


def test_empty_file(tmp_path):
    p = tmp_path / "ckpt-1.npz"
    p.write_bytes(b"")
    _assert_corrupt_and_untouched(p, "empty")


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_truncated(tmp_path, keep):
    p = _write(tmp_path)
    data = open(p, "rb").read()
    with open(p, "wb") as f:
        f.write(data[: int(len(data) * keep)])
    _assert_corrupt_and_untouched(p)


def test_every_single_byte_flip_is_caught_or_harmless(tmp_path):
    """Flip each byte of a small checkpoint: restore raises CorruptCheckpointError or
    (for bytes nothing depends on, such as zip timestamps) restores the exact data."""
    p = _write(tmp_path)
    good = open(p, "rb").read()
    expect = _state()
    harmless = 0
    for i in range(len(good)):
        bad = bytearray(good)
        bad[i] ^= 0x55
        with open(p, "wb") as f:
            f.write(bad)
        try:
            t, ckpt = _restore_into_fresh(p)
        except CorruptCheckpointError:
            continue
        harmless += 1
        assert np.array_equal(t["W"], expect["W"]) and np.array_equal(t["b"], expect["b"]), i
        assert ckpt.epoch == 3
    # the array data, npy headers, names and manifest are all covered
    assert harmless < len(good) // 4


def test_flip_in_array_data_names_the_array(tmp_path):
    p = _write(tmp_path)
    data = bytearray(open(p, "rb").read())
    W = _state()["W"]
    at = bytes(data).find(W.tobytes()[:16])
    data[at + 5] ^= 1
    open(p, "wb").write(data)
    err = _assert_corrupt_and_untouched(p, "CRC-32 mismatch in array 'model/W'")
    assert "model/W" in err.reason


def test_flip_in_compressed_file(tmp_path):
    p = _write(tmp_path, compress=True)
    data = bytearray(open(p, "rb").read())
    data[len(data) // 3] ^= 0x10
    open(p, "wb").write(data)
    _assert_corrupt_and_untouched(p)


def test_plain_npz_from_numpy_is_foreign(tmp_path):
    p = tmp_path / "ckpt-1.npz"
    np.savez(p, **{"model/W": _state()["W"]})
    _assert_corrupt_and_untouched(p, "not an optkern checkpoint")


@pytest.mark.parametrize("content", [b"hello, world\n" * 10, b"PK\x03\x04" + b"\0" * 100,
                                     b"\x93NUMPY\x01\x00"])
def test_other_programs_files(tmp_path, content):
    p = tmp_path / "ckpt-1.npz"
    p.write_bytes(content)
    _assert_corrupt_and_untouched(p)


def _rewrite_manifest(path, edit):
    with zipfile.ZipFile(path) as zf:
        members = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for info, data in members:
            if info.filename == "__manifest__.json":
                m = json.loads(data)
                edit(m)
                data = json.dumps(m).encode()
            zf.writestr(info, data)


def test_wrong_format_version(tmp_path):
    p = _write(tmp_path)
    _rewrite_manifest(p, lambda m: m.update(version=99))
    _assert_corrupt_and_untouched(p, "format version 99")


def test_manifest_crc_disagrees_with_data(tmp_path):
    p = _write(tmp_path)
    _rewrite_manifest(p, lambda m: m["entries"]["model/b"].update(crc32=12345))
    _assert_corrupt_and_untouched(p, "model/b")


def test_manifest_lists_an_absent_array(tmp_path):
    p = _write(tmp_path)
    _rewrite_manifest(p, lambda m: m["entries"].update({"model/ghost": m["entries"]["model/b"]}))
    _assert_corrupt_and_untouched(p, "do not match the manifest")


def test_corrupt_latest_is_not_skipped_for_an_older_one(tmp_path):
    d = tmp_path / "ckpts"
    params = _state()
    with ok.CheckpointManager(ok.Checkpoint(model=params, epoch=3), d, max_to_keep=3) as m:
        m.save()
        newest = m.save()
    with open(newest, "r+b") as f:
        f.truncate(100)
    assert ok.latest_checkpoint(d) == newest
    t = _targets()
    with ok.CheckpointManager(ok.Checkpoint(model=t, epoch=0), d) as m:
        assert m.latest_checkpoint == newest
        with pytest.raises(CorruptCheckpointError, match="ckpt-2.npz"):
            m.restore_or_initialize()
    assert not t["W"].any()


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"format": "something-else"}',
                                     b'{"format": "optkern.checkpoint.state", "version": 7}',
                                     b'{"format": "optkern.checkpoint.state", "version": 1}'])
def test_bad_state_file(tmp_path, content):
    d = tmp_path / "ckpts"
    with ok.CheckpointManager(ok.Checkpoint(x=np.zeros(2)), d) as m:
        m.save()
    (d / "checkpoint.json").write_bytes(content)
    with pytest.raises(CorruptCheckpointError, match="checkpoint.json") as info:
        ok.CheckpointManager(ok.Checkpoint(x=np.zeros(2)), d)
    assert info.value.path == os.path.join(d, "checkpoint.json")
    with pytest.raises(CorruptCheckpointError):
        ok.latest_checkpoint(d)
    assert ok.latest_checkpoint(d, checkpoint_name="ckpt") == os.path.join(d, "ckpt-1.npz")
    # the lock was released by the failed constructor
    (d / "checkpoint.json").unlink()
    ok.CheckpointManager(ok.Checkpoint(x=np.zeros(2)), d).close()


def test_temporaries_and_lookalikes_are_never_listed(tmp_path):
    d = tmp_path / "ckpts"
    with ok.CheckpointManager(ok.Checkpoint(x=np.zeros(2)), d) as m:
        m.save()
    for junk in [".ckpt-9.npz.0123456789abcdef.tmp", "ckpt-9.npz.tmp", "ckpt-09.npz", "ckpt-9.npz.bak",
                 "ckpt-x.npz", "ckptt-9.npz"]:
        (d / junk).write_bytes(b"partial")
    assert ok.latest_checkpoint(d) == os.path.join(d, "ckpt-1.npz")
    with ok.CheckpointManager(ok.Checkpoint(x=np.zeros(2)), d) as m:
        assert m.checkpoints == [os.path.join(d, "ckpt-1.npz")]
    # the manager removed only its own stale temporary
    left = sorted(os.listdir(d))
    assert ".ckpt-9.npz.0123456789abcdef.tmp" not in left
    assert {"ckpt-9.npz.tmp", "ckpt-09.npz", "ckpt-9.npz.bak", "ckpt-x.npz", "ckptt-9.npz"} <= set(left)
