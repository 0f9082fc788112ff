"""CheckpointManager: rotation, recovery after restart, timing rules, locking, async saves."""

from __future__ import annotations

import json
import os
import threading

import numpy as np
import pytest

import optkern as ok


def _names(paths):
    return [os.path.basename(p) for p in paths]


def _files(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".npz"))


def test_seed_flow_max_to_keep_3(tmp_path):
    d = tmp_path / "checkpoints"
    encoder, decoder = {"W": np.zeros((3, 3), np.float32)}, {"W": np.zeros((3, 2), np.float32)}
    ckpt = ok.Checkpoint(encoder=encoder, decoder=decoder, step=0)
    with ok.CheckpointManager(ckpt, d, max_to_keep=3) as manager:
        assert manager.latest_checkpoint is None and manager.checkpoints == []
        assert manager.directory == os.fspath(d)
        for i in range(1, 4):
            encoder["W"][:] = i
            ckpt.step = i
            assert manager.save() == os.path.join(d, f"ckpt-{i}.npz")
        assert _names(manager.checkpoints) == ["ckpt-1.npz", "ckpt-2.npz", "ckpt-3.npz"]
        encoder["W"][:] = 4
        ckpt.step = 4
        manager.save()
        assert _names(manager.checkpoints) == ["ckpt-2.npz", "ckpt-3.npz", "ckpt-4.npz"]
        assert not os.path.exists(d / "ckpt-1.npz")
        assert manager.latest_checkpoint == os.path.join(d, "ckpt-4.npz")
        held = encoder["W"]
        encoder["W"][:] = -1
        ckpt.step = -1
        ckpt.restore(manager.latest_checkpoint)
        assert encoder["W"] is held and np.all(held == 4) and ckpt.step == 4
    state = json.loads((d / "checkpoint.json").read_text())
    assert state["latest_checkpoint"] == "ckpt-4.npz"
    assert [c["file"] for c in state["checkpoints"]] == ["ckpt-2.npz", "ckpt-3.npz", "ckpt-4.npz"]
    assert ok.latest_checkpoint(d) == os.path.join(d, "ckpt-4.npz")


def test_restart_recovers_by_scanning(tmp_path):
    d = tmp_path / "c"
    x = np.zeros(4)
    with ok.CheckpointManager(ok.Checkpoint(x=x), d, max_to_keep=2) as m:
        for i in range(3):
            x[:] = i
            m.save()
    # the state file is a hint: lose it, the list is rebuilt from the files
    (d / "checkpoint.json").unlink()
    y = np.zeros(4)
    ckpt = ok.Checkpoint(x=y)
    with ok.CheckpointManager(ckpt, d, max_to_keep=2) as m:
        assert _names(m.checkpoints) == ["ckpt-2.npz", "ckpt-3.npz"]
        assert m.restore_or_initialize() == os.path.join(d, "ckpt-3.npz")
        assert np.all(y == 2) and ckpt.save_counter == 3
        m.save()
        assert _names(m.checkpoints) == ["ckpt-3.npz", "ckpt-4.npz"]
    # a checkpoint committed but missing from the state file (crash between the two) is found
    ok.Checkpoint(x=y).write(d / "ckpt-9.npz")
    with ok.CheckpointManager(ok.Checkpoint(x=y), d, max_to_keep=2) as m:
        assert _names(m.checkpoints) == ["ckpt-3.npz", "ckpt-4.npz", "ckpt-9.npz"]
        assert m.latest_checkpoint.endswith("ckpt-9.npz")
        m.save(checkpoint_number=10)
        assert _names(m.checkpoints) == ["ckpt-9.npz", "ckpt-10.npz"]


def test_latest_is_by_number_not_mtime(tmp_path):
    d = tmp_path / "c"
    with ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), d, max_to_keep=None) as m:
        for n in (2, 10, 11):
            m.save(checkpoint_number=n)
    os.utime(d / "ckpt-2.npz", (4e9, 4e9))  # newest mtime on the oldest file
    assert ok.latest_checkpoint(d) == os.path.join(d, "ckpt-11.npz")
    with ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), d, max_to_keep=None) as m:
        assert _names(m.checkpoints) == ["ckpt-2.npz", "ckpt-10.npz", "ckpt-11.npz"]


def test_never_deletes_other_files(tmp_path):
    d = tmp_path / "c"
    d.mkdir()
    others = ["best-1.npz", "ckpt-1.npz.bak", "notes.txt", "ckpt.npz", "ckpt-01.npz", "ckpt_2.npz"]
    for f in others:
        (d / f).write_bytes(b"keep me")
    with ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), d, max_to_keep=1) as m:
        for _ in range(4):
            m.save()
    assert sorted(os.listdir(d)) == sorted(others + [".optkern-checkpoint.lock", "checkpoint.json",
                                                     "ckpt-4.npz"])
    # named like a checkpoint of "best", but not an optkern checkpoint: not listed, left alone
    with pytest.warns(UserWarning, match="best-1.npz"):
        m = ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), d, checkpoint_name="best", max_to_keep=1)
    with m:
        assert m.checkpoints == []
        m.save(checkpoint_number=2)
        m.save(checkpoint_number=3)
    assert (d / "best-1.npz").read_bytes() == b"keep me"


def test_max_to_keep_none_keeps_all_and_bad_values(tmp_path):
    with ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), tmp_path / "a", max_to_keep=None) as m:
        for _ in range(7):
            m.save()
        assert len(m.checkpoints) == 7
    for bad in (0, -1):
        with pytest.raises(ValueError, match="max_to_keep"):
            ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), tmp_path / "b", max_to_keep=bad)
    with pytest.raises(TypeError, match="max_to_keep"):
        ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), tmp_path / "b", max_to_keep=2.5)
    assert not (tmp_path / "b").exists()  # refused before touching the disk


@pytest.mark.parametrize("kwargs, exc", [
    ({"checkpoint_name": "a/b"}, ValueError), ({"checkpoint_name": ""}, ValueError),
    ({"checkpoint_name": ".hidden"}, ValueError), ({"keep_checkpoint_every_n_hours": 0}, ValueError),
    ({"checkpoint_interval": 5}, ValueError), ({"step_counter": 3}, TypeError),
    ({"step_counter": "x"}, TypeError), ({"init_fn": 3}, TypeError),
    ({"step_counter": lambda: 0, "checkpoint_interval": 0}, ValueError),
])
def test_argument_validation(tmp_path, kwargs, exc):
    with pytest.raises(exc, match=next(iter(kwargs)) if "checkpoint_interval" not in kwargs else "interval"):
        ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), tmp_path / "v", **kwargs)
    with pytest.raises(TypeError, match="Checkpoint"):
        ok.CheckpointManager({"x": np.zeros(1)}, tmp_path / "v")


def test_keep_checkpoint_every_n_hours_with_injected_clock(tmp_path):
    d = tmp_path / "c"
    now = [1_000_000.0]
    clock = lambda: now[0]  # noqa: E731
    kw = dict(max_to_keep=2, keep_checkpoint_every_n_hours=1, clock=clock)
    with ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), d, **kw) as m:
        for _ in range(12):  # one save every 20 minutes
            now[0] += 1200
            m.save()
        kept = _names(m.checkpoints)
    # as in TF: a checkpoint leaving the recent set is kept if >= 1 h newer than the last kept one
    # (the first reference time is the manager's creation)
    assert kept == ["ckpt-11.npz", "ckpt-12.npz"]
    assert _files(d) == ["ckpt-11.npz", "ckpt-12.npz", "ckpt-3.npz", "ckpt-6.npz", "ckpt-9.npz"]
    # restart: kept-forever files stay out of rotation and are never deleted
    with ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), d, **kw) as m:
        assert _names(m.checkpoints) == kept
        m.restore_or_initialize()
        for _ in range(2):
            now[0] += 60
            m.save()
        assert _names(m.checkpoints) == ["ckpt-13.npz", "ckpt-14.npz"]
    # ckpt-12 (4 h after creation, 1 h after ckpt-9) is kept when it leaves; ckpt-11 is not
    assert _files(d) == ["ckpt-12.npz", "ckpt-13.npz", "ckpt-14.npz", "ckpt-3.npz", "ckpt-6.npz",
                         "ckpt-9.npz"]


def test_step_counter_and_checkpoint_interval(tmp_path):
    step = np.zeros((), np.int64)  # a 0-d array works as a live counter
    with ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), tmp_path / "c", max_to_keep=None,
                              step_counter=step, checkpoint_interval=10) as m:
        saved = []
        for s in range(0, 35, 5):
            step[...] = s
            saved.append(m.save())
        assert _names([p for p in saved if p]) == ["ckpt-0.npz", "ckpt-10.npz", "ckpt-20.npz", "ckpt-30.npz"]
        assert saved[1] is None
        step[...] = 31
        assert m.save(check_interval=False).endswith("ckpt-31.npz")
        assert m.checkpoint_interval == 10


def test_numbers_must_grow(tmp_path):
    d = tmp_path / "c"
    with ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), d) as m:
        m.save(checkpoint_number=5)
        with pytest.raises(ValueError, match="not above the newest"):
            m.save(checkpoint_number=5)
        with pytest.raises(TypeError):
            m.save(checkpoint_number=True)
        with pytest.raises(ValueError):
            m.save(checkpoint_number=-1)
    # a fresh process that forgot to restore is refused rather than writing ckpt-1 below ckpt-5
    ckpt = ok.Checkpoint(x=np.zeros(1))
    with ok.CheckpointManager(ckpt, d) as m:
        with pytest.raises(ValueError, match="restore"):
            m.save()
        assert _files(d) == ["ckpt-5.npz"] and ckpt.save_counter == 0
        m.restore_or_initialize()
        assert ckpt.save_counter == 1  # the manager's saves counted one
        m.save(checkpoint_number=6)


def test_restore_or_initialize_calls_init_fn(tmp_path):
    calls = []
    w = np.zeros(2)
    with ok.CheckpointManager(ok.Checkpoint(w=w), tmp_path / "c", init_fn=lambda: calls.append(1)) as m:
        assert m.restore_or_initialize() is None and calls == [1]
        w[:] = 3
        path = m.save()
        w[:] = 0
        assert m.restore_or_initialize() == path and calls == [1] and np.all(w == 3)


def test_two_managers_on_one_directory(tmp_path):
    d = tmp_path / "c"
    m0 = ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), d, checkpoint_name="other")
    # in one process the newer manager takes over (another process is refused: test_checkpoint_lock)
    m1 = ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), d)
    with pytest.raises(RuntimeError, match="superseded"):
        m0.save()
    m1.save()
    m1.close()
    m1.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        m1.save()
    with ok.CheckpointManager(ok.Checkpoint(x=np.zeros(1)), d) as m2:
        assert len(m2.checkpoints) == 1


def test_async_save_snapshots_at_call_time(tmp_path):
    w = np.zeros(100_000)
    ckpt = ok.Checkpoint(w=w, n=0)
    with ok.CheckpointManager(ckpt, tmp_path / "c", max_to_keep=2) as m:
        for i in range(1, 5):
            w[:] = i
            ckpt.n = i
            path = m.save(blocking=False)
            w[:] = -1  # modified while the write may still run
            assert path.endswith(f"ckpt-{i}.npz")
        m.wait_until_finished()
        assert _names(m.checkpoints) == ["ckpt-3.npz", "ckpt-4.npz"]
        for i, p in ((3, m.checkpoints[0]), (4, m.checkpoints[1])):
            ckpt.restore(p)
            assert np.all(w == i) and ckpt.n == i
    p = ckpt.write(tmp_path / "direct", blocking=False)
    ckpt.wait_until_finished()
    assert os.path.exists(p)


def test_async_error_surfaces_at_next_save(tmp_path, monkeypatch):
    w = np.ones(10)
    ckpt = ok.Checkpoint(w=w)
    m = ok.CheckpointManager(ckpt, tmp_path / "c")
    m.save()
    real_replace = os.replace
    gate = threading.Event()

    def failing_replace(src, dst):
        gate.wait(5)
        if dst.endswith(".npz"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    m.save(blocking=False)
    gate.set()
    with pytest.raises(OSError, match="No space"):
        m.save()  # the earlier failure surfaces; this save is not performed
    monkeypatch.setattr(os, "replace", real_replace)
    assert _names(m.checkpoints) == ["ckpt-1.npz"]
    assert _files(tmp_path / "c") == ["ckpt-1.npz"]
    assert not [f for f in os.listdir(tmp_path / "c") if f.endswith(".tmp")]
    assert m.save().endswith("ckpt-3.npz")  # the failed save used number 2
    m.close()

    monkeypatch.setattr(os, "replace", failing_replace)
    ckpt.write(tmp_path / "x", blocking=False)
    with pytest.raises(OSError):
        ckpt.wait_until_finished()
    ckpt.wait_until_finished()  # reported once


def test_restore_during_failed_async_save_keeps_the_error_pending(tmp_path, monkeypatch):
    w = np.ones(10)
    ckpt = ok.Checkpoint(w=w)
    m = ok.CheckpointManager(ckpt, tmp_path / "c")
    first = m.save()
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "injected EIO")))
    w[:] = 2
    m.save(blocking=False)
    ckpt.restore(first)  # waits for the background write, does not raise its error
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert np.all(w == 1)
    with pytest.raises(OSError, match="injected EIO"):
        m.wait_until_finished()
    assert m.checkpoints == [first]
    m.close()
