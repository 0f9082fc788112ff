"""optkern.distributed under mpiexec: tests/mpi/dp_checks.py runs on 1, 2 and 3
ranks in subprocesses (each with a timeout, so a hang fails instead of blocking)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py")

import optkern as ok

SCRIPT = Path(__file__).parent / "mpi" / "dp_checks.py"
TIMEOUT = 120


def _mpiexec():
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = _mpiexec()
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="mpiexec is not installed")


def run(n, scenarios, out, expect_ok=True):
    """``mpiexec -n n python -m mpi4py dp_checks.py scenarios out``."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([MPIEXEC, "-n", str(n), sys.executable, "-m", "mpi4py", str(SCRIPT),
                           scenarios, str(out)], capture_output=True, text=True, timeout=TIMEOUT,
                          env=env)
    if expect_ok:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        for name in scenarios.split(","):
            assert f"PASS {name}" in proc.stdout, proc.stdout
    return proc


@pytest.mark.parametrize("n", [2, 3])
def test_ranks_identical_zero_equals_data_parallel_and_formula(n, tmp_path):
    # every optimizer family and front-end, clipping included: parameters
    # bit-identical on every rank, ZeRO-1 == data-parallel == one process
    # applying ((g0 + g1) + g2) / W; a mismatched configuration raises on every
    # rank; a small model stays within rtol 1e-5 of one process; steps after the
    # first allocate no buffers
    run(n, "train,exact,model,mismatch,alloc", tmp_path)


def test_exact_gradients_one_rank(tmp_path):
    run(1, "exact", tmp_path)


def test_save_on_two_restore_on_one_two_three(tmp_path):
    run(2, "save", tmp_path)
    for n in (1, 2, 3):
        run(n, "resume", tmp_path)
    # the file is an ordinary checkpoint: a plain optimizer on one process
    # restores it and continues identically
    final = np.load(tmp_path / "final.npz")
    params = _make_params()
    opt = ok.Adam(params, learning_rate=0.01, global_clipnorm=50.0)
    ok.Checkpoint(model=params, optimizer=opt).restore(ok.latest_checkpoint(tmp_path / "ckpt"))
    assert opt.iterations == 3
    for s in range(3, 6):
        opt.step(_exact_grads(params, s))
    for k in params:
        np.testing.assert_array_equal(params[k], final[k])


def _make_params(seed=0):
    rng = np.random.default_rng(seed)
    return {"W": rng.standard_normal((30, 40)).astype(np.float32),
            "big": rng.standard_normal(20000).astype(np.float32),
            "empty": np.zeros((0, 3), np.float32),
            "b": rng.standard_normal(7),
            "v": rng.standard_normal(9000).astype(np.float32)}


def _exact_grads(params, step):
    rng = np.random.default_rng(step)
    full = {k: (rng.integers(-8, 9, size=(12,) + p.shape) * (12 / 64)).astype(p.dtype)
            for k, p in params.items()}
    return {k: v.sum(axis=0) / 12 for k, v in full.items()}


@pytest.mark.parametrize("scenario", ["kill_step", "kill_save", "kill_gather"])
def test_killed_rank_ends_the_job(scenario, tmp_path):
    proc = run(2, scenario, tmp_path, expect_ok=False)  # a hang would raise TimeoutExpired
    assert proc.returncode != 0
    if scenario != "kill_step":
        # the first checkpoint is intact and still the latest; the second never appeared
        directory = tmp_path / "ckpt"
        assert not (directory / "ckpt-2.npz").exists()
        latest = ok.latest_checkpoint(directory)
        assert latest is not None and latest.endswith("ckpt-1.npz")
        params = _make_params()
        opt = ok.Adam(params, learning_rate=0.01, global_clipnorm=50.0)
        ok.Checkpoint(model=params, optimizer=opt).restore(latest)
        assert opt.iterations == 2


def test_bench_distributed_runs_under_mpiexec():
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([MPIEXEC, "-n", "2", sys.executable, "-m", "optkern", "bench",
                           "distributed", "--quick", "--no-torch", "--elements", "100000",
                           "--tensors", "7"], capture_output=True, text=True, timeout=TIMEOUT,
                          env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "| DataParallel step, zero=True |" in out and "docs/distributed.md" in out
    assert "x of one process's" in out
    for word in ("PASS", "MISS", "issue", "Issue"):
        assert word not in out + proc.stderr
