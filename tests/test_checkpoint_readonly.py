"""A manager on a directory it cannot write (an evaluation job) lists and restores;
only save() fails, naming the directory.

Tests run as root here, where permission bits do not stop writes, so the read-only
directory is simulated by failing every write-side call into it, and, where the
system allows, made real with a read-only bind mount in a private mount namespace.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import optkern as ok

STALE = ".ckpt-9.npz.0123456789abcdef.tmp"


def _make_checkpoints(d):
    w = np.zeros(3)
    with ok.CheckpointManager(ok.Checkpoint(w=w), d, max_to_keep=2) as m:
        for n in (1, 2, 3):
            w[:] = n
            m.save()
    (d / STALE).write_bytes(b"another writer's file in progress")  # must not be touched


def _snapshot(d):
    return {f: (d / f).read_bytes() for f in sorted(os.listdir(d))}


def _make_read_only(monkeypatch, d, err):
    """Every call that would create, change or delete something in ``d`` fails with ``err``."""
    d = os.fspath(d)
    inside = lambda p: os.path.dirname(os.path.abspath(os.fspath(p))) == d  # noqa: E731
    real_open = os.open
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC

    def open_(path, flags, *args, **kwargs):
        if inside(path) and flags & writing:
            raise OSError(err, os.strerror(err), os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    def refuse(name):
        real = getattr(os, name)

        def call(path, *args, **kwargs):
            if inside(path):
                raise OSError(err, os.strerror(err), os.fspath(path))
            return real(path, *args, **kwargs)
        return call

    monkeypatch.setattr(os, "open", open_)
    for name in ("unlink", "replace", "rename", "mkdir"):
        monkeypatch.setattr(os, name, refuse(name))


@pytest.mark.parametrize("err", [errno.EACCES, errno.EROFS])
def test_restore_through_a_manager_from_a_read_only_directory(tmp_path, monkeypatch, err):
    d = tmp_path / "c"
    _make_checkpoints(d)
    os.unlink(d / ".optkern-checkpoint.lock")  # as if copied without it: nothing to open either way
    before = _snapshot(d)
    _make_read_only(monkeypatch, d, err)
    w = np.zeros(3)
    ckpt = ok.Checkpoint(w=w)
    with ok.CheckpointManager(ckpt, d, max_to_keep=2) as manager:
        assert manager.read_only
        assert [os.path.basename(p) for p in manager.checkpoints] == ["ckpt-2.npz", "ckpt-3.npz"]
        assert manager.restore_or_initialize() == os.path.join(d, "ckpt-3.npz")
        assert np.all(w == 3) and ckpt.save_counter == 3
        ckpt.restore(manager.checkpoints[0])
        assert np.all(w == 2)
        with pytest.raises(PermissionError, match="read-only") as info:
            manager.save()
        assert os.fspath(d) in str(info.value)
        assert ckpt.save_counter == 2  # refused before anything changed
        with pytest.raises(PermissionError):
            manager.save(checkpoint_number=10, blocking=False)
    assert _snapshot(d) == before
    with pytest.raises(RuntimeError, match="closed"):
        manager.restore_or_initialize()


def test_missing_directory_that_cannot_be_created(tmp_path, monkeypatch):
    parent = tmp_path / "ro"
    parent.mkdir()
    _make_read_only(monkeypatch, parent, errno.EROFS)
    calls = []
    m = ok.CheckpointManager(ok.Checkpoint(w=np.zeros(1)), parent / "c", init_fn=lambda: calls.append(1))
    assert m.read_only and m.checkpoints == [] and m.latest_checkpoint is None
    assert m.restore_or_initialize() is None and calls == [1]
    with pytest.raises(PermissionError, match="read-only"):
        m.save()
    m.close()
    assert not (parent / "c").exists()


def test_writable_directory_is_not_read_only(tmp_path):
    with ok.CheckpointManager(ok.Checkpoint(w=np.zeros(1)), tmp_path / "c") as m:
        assert not m.read_only
        m.save()


_EVAL_JOB = textwrap.dedent("""
    import errno, os, sys
    import numpy as np
    import optkern as ok
    d = sys.argv[1]
    try:
        os.close(os.open(os.path.join(d, "probe"), os.O_WRONLY | os.O_CREAT))
    except OSError as e:
        assert e.errno == errno.EROFS, e
    else:
        sys.exit(77)  # not read-only after all: this test could not fail
    print("read-only", flush=True)
    w = np.zeros(3)
    manager = ok.CheckpointManager(ok.Checkpoint(w=w), d)
    assert manager.read_only
    assert manager.restore_or_initialize().endswith("ckpt-3.npz") and np.all(w == 3)
    try:
        manager.save()
    except PermissionError as e:
        assert d in str(e), e
    else:
        raise AssertionError("save() did not fail")
    print("ok", flush=True)
""")


@pytest.mark.skipif(sys.platform != "linux" or shutil.which("unshare") is None,
                    reason="needs Linux mount namespaces (unshare)")
def test_real_read_only_bind_mount(tmp_path):
    d = tmp_path / "c"
    _make_checkpoints(d)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(ok.__file__)) + os.pathsep + env.get("PYTHONPATH", "")
    # a private mount namespace: the read-only mount vanishes with the process
    script = ('mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" || exit 78; '
              'exec "$2" -c "$3" "$1"')
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                           os.fspath(d), sys.executable, _EVAL_JOB],
                          capture_output=True, env=env, timeout=120)
    out = proc.stdout.decode()
    if "read-only" not in out:
        pytest.skip(f"no read-only bind mount here (exit {proc.returncode}): {proc.stderr.decode()[-300:]}")
    assert proc.returncode == 0 and out.endswith("ok\n"), (out, proc.stderr.decode())
