"""Crash safety: SIGKILL a saving process at random moments and at every write step.

After each kill, the latest checkpoint must load, verify, and equal one of the
saves the child attempted (at least the last one that returned); no partial file
is ever listed.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import optkern as ok

sys.path.insert(0, os.path.dirname(__file__))
import checkpoint_child as child  # noqa: E402

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(signal, "SIGKILL"),
                                reason="needs fork and SIGKILL")


def _verify(path):
    """Restore ``path`` into fresh objects; return its number after checking the content."""
    n = int(os.path.basename(path)[len("ckpt-"):-len(".npz")])
    model, ckpt = child.make_checkpoint()
    ckpt.restore(path)
    expect = child.expected_state(n)
    assert np.array_equal(model["W"], expect["W"]) and np.array_equal(model["b"], expect["b"])
    assert ckpt.step == n
    return n


def _check_directory(d, last_returned):
    latest = ok.latest_checkpoint(d)
    if latest is None:
        assert last_returned == 0, "a save returned but no checkpoint is visible"
        return 0
    n = _verify(latest)
    # the latest is the last save that returned, or the one in flight if it had committed
    assert n in (last_returned, last_returned + 1), (n, last_returned)
    model, ckpt = child.make_checkpoint()
    with ok.CheckpointManager(ckpt, d, max_to_keep=3) as m:
        assert m.latest_checkpoint == latest
        for p in m.checkpoints:  # nothing partial is ever listed
            _verify(p)
    return n


def _finish(d, last):
    """A save that completes prunes whatever the crashes left beyond max_to_keep."""
    model, ckpt = child.make_checkpoint()
    with ok.CheckpointManager(ckpt, d, max_to_keep=3) as m:
        m.restore_or_initialize()
        child.set_state(model, ckpt, last + 1)
        m.save()
        assert len(m.checkpoints) == 3
        for p in m.checkpoints:
            _verify(p)
    assert not [f for f in os.listdir(d) if f.endswith(".tmp")]
    assert sorted(f for f in os.listdir(d) if not f.startswith(".")) == sorted(
        ["checkpoint.json"] + [os.path.basename(p) for p in m.checkpoints])


def _fork_child(target):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 1
        try:
            os.close(r)
            target(w)
        except BaseException:
            pass
        finally:
            os._exit(code)
    os.close(w)
    return pid, r


def _read_all(fd):
    chunks = []
    while True:
        b = os.read(fd, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(fd)
    return b"".join(chunks).decode()


def test_sigkill_at_random_moments(tmp_path):
    d = str(tmp_path / "ckpts")
    rng = random.Random(1234)
    last_returned = 0
    kills = 0
    for _ in range(60):
        pid, r = _fork_child(lambda w: child.run(d, lambda n: os.write(w, f"{n}\n".encode())))
        time.sleep(rng.uniform(0.0, 0.05))  # a save takes ~10-20 ms here (3 fsyncs)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, "child died on its own"
        kills += 1
        returned = [int(x) for x in _read_all(r).split()]
        if returned:
            assert returned[0] == last_returned + 1 or returned[0] == last_returned + 2
            last_returned = returned[-1]
        last_returned = _check_directory(d, last_returned)
    assert kills >= 50
    assert last_returned >= 5  # the loop made progress across restarts
    _finish(d, last_returned)


def _count_calls(d, name):
    model, ckpt = child.make_checkpoint()
    real = getattr(os, name)
    calls = [0]

    def counting(*a, **k):
        calls[0] += 1
        return real(*a, **k)

    with ok.CheckpointManager(ckpt, d, max_to_keep=3) as m:
        m.restore_or_initialize()
        child.set_state(model, ckpt, ckpt.save_counter + 1)
        setattr(os, name, counting)
        try:
            m.save()
        finally:
            setattr(os, name, real)
    return calls[0]


@pytest.mark.parametrize("name", ["write", "fsync", "replace", "unlink"])
def test_sigkill_at_every_write_step(tmp_path, name):
    d = str(tmp_path / "ckpts")
    # three committed checkpoints, so the next save also prunes
    model, ckpt = child.make_checkpoint()
    with ok.CheckpointManager(ckpt, d, max_to_keep=3) as m:
        for n in (1, 2, 3):
            child.set_state(model, ckpt, n)
            m.save()
    probe = str(tmp_path / "probe")
    os.makedirs(probe)
    for f in os.listdir(d):
        if f.endswith(".npz") or f == "checkpoint.json":
            with open(os.path.join(d, f), "rb") as src, open(os.path.join(probe, f), "wb") as dst:
                dst.write(src.read())
    n_calls = _count_calls(probe, name)
    assert n_calls >= 1
    last = 3
    for k in range(n_calls):
        def crash_at_k(w, k=k):
            model, ckpt = child.make_checkpoint()
            with ok.CheckpointManager(ckpt, d, max_to_keep=3) as m:
                m.restore_or_initialize()
                child.set_state(model, ckpt, ckpt.save_counter + 1)
                real = getattr(os, name)
                calls = [0]

                def killer(*a, **kw):
                    if calls[0] == k:
                        os.kill(os.getpid(), signal.SIGKILL)
                    calls[0] += 1
                    return real(*a, **kw)

                setattr(os, name, killer)
                m.save()
                os.write(w, b"returned\n")

        pid, r = _fork_child(crash_at_k)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status), f"child exited without being killed at {name} #{k}"
        assert _read_all(r) == ""
        last = _check_directory(d, last)
    assert last >= 4 or name == "write"  # once the rename happened, the new checkpoint is the latest
    _finish(d, last)


def test_sigkill_real_subprocess(tmp_path):
    """The same with a separately started interpreter running tests/checkpoint_child.py."""
    d = str(tmp_path / "ckpts")
    env = dict(os.environ)
    pkg_root = os.path.dirname(os.path.dirname(ok.__file__))
    env["PYTHONPATH"] = pkg_root + os.pathsep + env.get("PYTHONPATH", "")
    script = os.path.join(os.path.dirname(__file__), "checkpoint_child.py")
    rng = random.Random(99)
    last_returned = 0
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, script, d], stdout=subprocess.PIPE, env=env)
        lines = []
        assert proc.stdout.readline() == b"ready\n"
        deadline = time.monotonic() + rng.uniform(0.05, 0.3)
        while time.monotonic() < deadline:
            if select.select([proc.stdout], [], [], 0.005)[0]:
                lines.append(proc.stdout.readline())
        proc.kill()
        proc.wait()
        lines += proc.stdout.read().splitlines()
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        returned = [int(x) for x in lines if x.strip()]
        if returned:
            last_returned = returned[-1]
        last_returned = _check_directory(d, last_returned)
    assert last_returned >= 1
    _finish(d, last_returned)
