"""Failure injected at every write step leaves earlier checkpoints byte-identical and loadable."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

import optkern as ok

STEPS = ["write", "fsync", "replace", "unlink"]


def _state(i):
    return {"W": np.full((8, 8), i, np.float32), "b": np.arange(5.0) + i}


class Inject:
    """Wrap os.<name>: count calls; raise ENOSPC/EIO at call number ``fail_at``."""

    def __init__(self, monkeypatch, name, fail_at=None):
        self.name, self.fail_at, self.calls = name, fail_at, 0
        real = getattr(os, name)

        def wrapper(*args, **kwargs):
            self.calls += 1
            if self.calls - 1 == self.fail_at:
                raise OSError(errno.ENOSPC if name == "write" else errno.EIO, f"injected {name} failure")
            return real(*args, **kwargs)

        monkeypatch.setattr(os, name, wrapper)


def _setup(d):
    params = _state(0)
    ckpt = ok.Checkpoint(model=params, epoch=0)
    manager = ok.CheckpointManager(ckpt, d, max_to_keep=2)
    for i in (1, 2):
        params["W"][:], params["b"][:] = _state(i)["W"], _state(i)["b"]
        ckpt.epoch = i
        manager.save()
    params["W"][:], params["b"][:] = _state(3)["W"], _state(3)["b"]
    ckpt.epoch = 3
    return manager


def _bytes(d):
    return {f: open(os.path.join(d, f), "rb").read() for f in os.listdir(d) if f != ".optkern-checkpoint.lock"}


def _check_loads(path, i):
    t = {"W": np.zeros((8, 8), np.float32), "b": np.zeros(5)}
    ckpt = ok.Checkpoint(model=t, epoch=-1)
    ckpt.restore(path)
    assert np.array_equal(t["W"], _state(i)["W"]) and np.array_equal(t["b"], _state(i)["b"]) and ckpt.epoch == i


def _count(tmp_path, monkeypatch, name):
    with monkeypatch.context() as mp:
        m = _setup(tmp_path / "count")
        inj = Inject(mp, name)
        m.save()
        m.close()
    return inj.calls


@pytest.mark.parametrize("name", STEPS)
def test_failure_at_every_call(tmp_path, monkeypatch, name):
    n_calls = _count(tmp_path, monkeypatch, name)
    assert n_calls >= 1
    for k in range(n_calls):
        d = tmp_path / f"{name}-{k}"
        manager = _setup(d)
        before = _bytes(d)
        with monkeypatch.context() as mp:
            inj = Inject(mp, name, fail_at=k)
            if name == "unlink":
                # pruning after the commit: the save succeeded, the failure is a warning
                with pytest.warns(RuntimeWarning, match="injected"):
                    manager.save()
            else:
                with pytest.raises(OSError, match="injected"):
                    manager.save()
            assert inj.calls > k
        after = _bytes(d)
        # no temporary left behind, no earlier file changed
        assert not [f for f in after if f.endswith(".tmp")], (name, k, sorted(after))
        committed = "ckpt-3.npz" in after
        for f, data in before.items():
            if f == "checkpoint.json" and committed:
                continue  # rewritten after the new data, atomically
            if f == "ckpt-1.npz" and f not in after:
                assert committed  # pruned only after the new checkpoint is committed
                continue
            assert after[f] == data, (name, k, f)
        _check_loads(d / "ckpt-2.npz", 2)
        if "ckpt-1.npz" in after:
            _check_loads(d / "ckpt-1.npz", 1)
        if committed:
            _check_loads(d / "ckpt-3.npz", 3)
        # the manager in memory agrees with the disk, and goes on working
        listed = [os.path.basename(p) for p in manager.checkpoints]
        assert set(listed) <= set(after), (listed, sorted(after))
        assert ("ckpt-3.npz" in listed) == committed
        next_path = manager.save()
        assert next_path.endswith("ckpt-4.npz" if committed else "ckpt-3.npz")
        assert manager.latest_checkpoint == next_path
        manager.close()
        # a restarted manager sees a consistent directory
        with ok.CheckpointManager(ok.Checkpoint(model=_state(0), epoch=0), d, max_to_keep=2) as m2:
            assert m2.latest_checkpoint == next_path
            assert len(m2.checkpoints) == 2
            _check_loads(next_path, 3)


def test_failed_overwrite_keeps_the_old_file(tmp_path, monkeypatch):
    x = np.arange(10.0)
    ckpt = ok.Checkpoint(x=x)
    path = ckpt.write(tmp_path / "model")
    old = open(path, "rb").read()
    x[:] = -5
    for name in ("write", "fsync", "replace"):
        with monkeypatch.context() as mp:
            Inject(mp, name, fail_at=0)
            with pytest.raises(OSError, match="injected"):
                ckpt.write(path)
        assert open(path, "rb").read() == old
        assert os.listdir(tmp_path) == ["model.npz"]


def test_failure_during_async_save_keeps_everything(tmp_path, monkeypatch):
    manager = _setup(tmp_path / "a")
    before = _bytes(tmp_path / "a")
    with monkeypatch.context() as mp:
        Inject(mp, "fsync", fail_at=0)
        manager.save(blocking=False)
        with pytest.raises(OSError, match="injected"):
            manager.wait_until_finished()
    assert _bytes(tmp_path / "a") == before
    manager.close()
