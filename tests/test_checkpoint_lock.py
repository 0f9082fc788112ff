"""One writing manager per directory: a newer manager in the same process takes over
(a re-run notebook cell); another process is refused with a message that fits."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import optkern as ok

fcntl = pytest.importorskip("fcntl")

LOCK = ".optkern-checkpoint.lock"


def _lock_is_free(d):
    """Probe the directory lock from a fresh open file, as another process would."""
    fd = os.open(os.path.join(d, LOCK), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # also drops the probe's own lock
    return True


def test_rerun_cell_takes_over_and_the_old_manager_refuses_to_save(tmp_path):
    d = tmp_path / "c"
    w = np.zeros(3)
    ckpt = ok.Checkpoint(w=w)
    manager = ok.CheckpointManager(ckpt, d, max_to_keep=2)
    manager.save()
    old = manager
    manager = ok.CheckpointManager(ckpt, d, max_to_keep=2)  # the same cell, run again
    assert [os.path.basename(p) for p in manager.checkpoints] == ["ckpt-1.npz"]
    with pytest.raises(RuntimeError, match="superseded by a newer CheckpointManager") as info:
        old.save()
    assert os.fspath(d) in str(info.value)
    with pytest.raises(RuntimeError, match="superseded"):
        old.restore_or_initialize()
    old.close()  # must not release the lock the new manager now holds
    assert not _lock_is_free(d)
    assert manager.save().endswith("ckpt-2.npz")
    del old
    gc.collect()  # nor may the old one's finalizer
    assert not _lock_is_free(d)
    assert manager.save().endswith("ckpt-3.npz")
    manager.close()
    assert _lock_is_free(d)


def test_takeover_with_another_name_and_a_save_in_flight(tmp_path):
    d = tmp_path / "c"
    w = np.ones(1 << 20)
    first = ok.CheckpointManager(ok.Checkpoint(w=w), d)
    first.save(blocking=False)  # still writing when the new manager arrives
    second = ok.CheckpointManager(ok.Checkpoint(w=np.zeros(1 << 20)), d)
    assert [os.path.basename(p) for p in second.checkpoints] == ["ckpt-1.npz"]
    assert not [f for f in os.listdir(d) if f.endswith(".tmp")]
    with pytest.raises(RuntimeError, match="superseded"):
        first.save()
    first.close()
    third = ok.CheckpointManager(ok.Checkpoint(w=np.zeros(1 << 20)), d, checkpoint_name="other")
    with pytest.raises(RuntimeError, match="superseded"):
        second.save()
    third.save()
    third.close()
    assert _lock_is_free(d)


def test_with_statement_releases_the_directory(tmp_path):
    d = tmp_path / "c"
    w = np.zeros(2)
    with ok.CheckpointManager(ok.Checkpoint(w=w), d) as manager:
        assert isinstance(manager, ok.CheckpointManager)
        manager.save()
        assert not _lock_is_free(d)
    assert _lock_is_free(d)
    with pytest.raises(RuntimeError, match="closed"):
        manager.save()


_HOLDER = textwrap.dedent("""
    import sys
    import numpy as np
    import optkern as ok
    manager = ok.CheckpointManager(ok.Checkpoint(w=np.zeros(2)), sys.argv[1])
    manager.save()
    print("ready", flush=True)
    sys.stdin.readline()
""")


def _env():
    env = dict(os.environ)
    pkg_root = os.path.dirname(os.path.dirname(ok.__file__))
    env["PYTHONPATH"] = pkg_root + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.parametrize("ending", ["exit", "kill"])
def test_another_process_holds_the_directory(tmp_path, ending):
    d = str(tmp_path / "c")
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, d], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=_env())
    try:
        assert proc.stdout.readline() == b"ready\n"
        with pytest.raises(RuntimeError, match="another process") as info:
            ok.CheckpointManager(ok.Checkpoint(w=np.zeros(2)), d)
        msg = str(info.value)
        assert f"pid {proc.pid}" in msg and d in msg
        assert "close()" not in msg  # another process's manager cannot be closed from here
        assert "latest_checkpoint" in msg  # how to read meanwhile
        # what the message says works: reading without a manager
        w = np.ones(2)
        ok.Checkpoint(w=w).restore(ok.latest_checkpoint(d))
        assert not w.any()
    finally:
        if ending == "kill":
            proc.kill()
        else:
            proc.stdin.write(b"\n")
            proc.stdin.flush()
        proc.wait(30)
        proc.stdin.close()
        proc.stdout.close()
    # once that process is gone, even killed, the directory is free
    with ok.CheckpointManager(ok.Checkpoint(w=np.zeros(2)), d) as m:
        assert m.restore_or_initialize().endswith("ckpt-1.npz")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_neither_takes_over_nor_unlocks_the_parent(tmp_path):
    d = str(tmp_path / "c")
    manager = ok.CheckpointManager(ok.Checkpoint(w=np.zeros(2)), d)
    pid = os.fork()
    if pid == 0:  # child: a manager inherited through fork is not this process's
        code = 1
        try:
            try:
                ok.CheckpointManager(ok.Checkpoint(w=np.zeros(2)), d)
            except RuntimeError as e:
                code = 0 if f"pid {os.getppid()}" in str(e) and "another process" in str(e) else 3
            else:
                code = 2
            manager.close()  # closing the inherited copy must leave the parent's lock alone
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert not _lock_is_free(d)
    assert manager.save().endswith("ckpt-1.npz")
    manager.close()
    assert _lock_is_free(d)
