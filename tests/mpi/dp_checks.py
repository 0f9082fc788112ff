"""Checks of optkern.distributed run under ``mpiexec -n W python -m mpi4py dp_checks.py
SCENARIO OUT_DIR``; an assertion error aborts the job (non-zero exit). Rank 0 prints
``PASS <scenario>`` at the end. tests/test_distributed_mpi.py runs them."""

from __future__ import annotations

import hashlib
import os
import signal
import sys

import numpy as np
from mpi4py import MPI

import optkern as ok
from optkern.distributed import DataParallel, _parallel

comm = MPI.COMM_WORLD
RANK, W = comm.Get_rank(), comm.Get_size()


def make_params(seed=0):
    rng = np.random.default_rng(seed)
    return {"W": rng.standard_normal((30, 40)).astype(np.float32),
            "big": rng.standard_normal(20000).astype(np.float32),  # cut by ZeRO slices
            "empty": np.zeros((0, 3), np.float32),
            "b": rng.standard_normal(7),                            # float64: its own buffer
            "v": rng.standard_normal(9000).astype(np.float32)}


def rank_grads(params, step, rank):
    rng = np.random.default_rng(1000 * step + rank)
    return {k: rng.standard_normal(p.shape).astype(p.dtype) for k, p in params.items()}


def digest(params):
    h = hashlib.sha256()
    for k in sorted(params):
        h.update(params[k].tobytes())
    return h.digest()


def same_on_all_ranks(params):
    from optkern.distributed._comm import allgather_bytes
    d = digest(params)
    return all(x == d for x in allgather_bytes(comm, d))


CONFIGS = [
    ("keras Adam", lambda p: ok.Adam(p, learning_rate=0.01)),
    ("keras Adam clipnorm", lambda p: ok.Adam(p, learning_rate=0.01, clipnorm=0.5)),
    ("keras AdamW global_clipnorm", lambda p: ok.AdamW(p, learning_rate=0.01, global_clipnorm=1.0)),
    ("keras SGD nesterov", lambda p: ok.SGD(p, learning_rate=0.05, momentum=0.9, nesterov=True)),
    ("keras RMSprop centered", lambda p: ok.RMSprop(p, centered=True, momentum=0.5)),
    ("torch Adam amsgrad", lambda p: ok.torch.Adam(p, lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("torch SGD momentum", lambda p: ok.torch.SGD(p, lr=0.05, momentum=0.9, dampening=0.1)),
    ("torch RMSprop", lambda p: ok.torch.RMSprop(p, lr=0.01, centered=True)),
    ("torch groups", lambda p: ok.torch.Adam(
        [{"params": {"W": p["W"], "b": p["b"]}, "lr": 0.02},
         {"params": [p["big"], p["empty"], p["v"]]}], lr=0.01)),
    ("keras groups", lambda p: ok.Adam(
        [{"params": {"W": p["W"], "big": p["big"]}, "learning_rate": 0.02},
         {"params": [p["empty"], p["b"], p["v"]], "weight_decay": 0.01}])),
]


def grads_for(opt, g):
    """``g`` (a dict by name) in the layout of opt's params (named by ``opt._names``)."""
    if opt._groups.kind == "dict":
        return g
    res = []
    for group, names in zip(opt._groups.groups, opt._groups._member_names):
        if names is not None:
            res.append({n: g[n] for n in names})
        else:
            res.append([g[opt._names[id(a)]] for a in group["params"]])
    return res


def build_named(build, params):
    opt = build(params)
    opt._names = {id(a): k for k, a in params.items()}
    return opt


def train(build, zero, steps=4, clip_grad_norm=None, shared=True):
    """``shared=False``: ZeRO-1 by messages even on one node (as across nodes)."""
    params = make_params()
    opt = build_named(build, params)
    _parallel._SHARED = shared
    try:
        dp = DataParallel(opt, zero=zero)
    finally:
        _parallel._SHARED = True
    assert dp._shared == (zero and shared and W > 1)
    for s in range(steps):
        dp.step(grads_for(opt, rank_grads(params, s, RANK)), clip_grad_norm=clip_grad_norm)
    return params, dp


def single(build, steps=4, clip_grad_norm=None):
    """One process, applying the documented reduction by hand."""
    params = make_params()
    opt = build_named(build, params)
    for s in range(steps):
        gs = [rank_grads(params, s, r) for r in range(W)]
        avg = {}
        for k in params:
            acc = gs[0][k].copy()
            for r in range(1, W):
                acc += gs[r][k]
            avg[k] = acc / W if W > 1 else acc
        if clip_grad_norm is not None:
            ok.torch.clip_grad_norm_(list(avg.values()), clip_grad_norm)
        opt.step(grads_for(opt, avg))
    return params, opt


def check_sd_equal(a, b, what):
    assert list(a) == list(b), (what, list(a), list(b))
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y), (what, k)
        else:
            assert x == y, (what, k, x, y)


def scenario_train(out):
    for name, build in CONFIGS:
        for clip in (None, 0.5) if name in ("torch Adam amsgrad", "keras SGD nesterov") else (None,):
            p_dp, dp = train(build, False, clip_grad_norm=clip)
            p_z, z = train(build, True, clip_grad_norm=clip)
            p_m, m = train(build, True, clip_grad_norm=clip, shared=False)
            p_1, opt1 = single(build, clip_grad_norm=clip)
            assert same_on_all_ranks(p_dp), name
            assert same_on_all_ranks(p_z), name
            assert same_on_all_ranks(p_m), name
            for k in p_dp:
                assert np.array_equal(p_dp[k], p_z[k]), (name, clip, "zero", k)
                assert np.array_equal(p_dp[k], p_m[k]), (name, clip, "zero by messages", k)
                assert np.array_equal(p_dp[k], p_1[k]), (name, clip, "single", k)
            # ZeRO-1 state: each element's state on exactly one rank
            mine = sum(a.nbytes for arrays in z._inner._state.values() for a in arrays
                       if a is not None)
            full = sum(a.nbytes for arrays in opt1._state.values() for a in arrays
                       if a is not None)
            total = np.zeros(1, np.int64)
            comm.Allreduce(np.array([mine], np.int64), total)
            assert total[0] == full and (W == 1 or mine < full), (name, mine, full)
            sd_dp, sd_z, sd_1 = dp.state_dict(), z.state_dict(), opt1.state_dict()
            check_sd_equal(sd_dp, sd_1, name)
            check_sd_equal(sd_z, sd_1, name)
            check_sd_equal(m.state_dict(), sd_1, name)
            # gathered to rank 0 only
            r0 = z.state_dict(root=0)
            assert (r0 is None) == (RANK != 0)
            # a round trip through load_state_dict keeps training identical
            z.load_state_dict(sd_1)
            dp.load_state_dict(sd_1)
            g = grads_for(dp.optimizer, rank_grads(p_dp, 99, RANK))
            dp.step(g)
            z.step(grads_for(z.optimizer, rank_grads(p_z, 99, RANK)))
            for k in p_dp:
                assert np.array_equal(p_dp[k], p_z[k]), (name, "after load", k)
    # a model smaller than a piece: some ranks own nothing
    for build in (lambda p: ok.Adam(p, clipnorm=0.1), lambda p: ok.torch.SGD(p, momentum=0.5)):
        res = []
        for zero in (False, True):
            tiny = {"a": np.arange(10, dtype=np.float32), "b": np.ones(3, np.float32)}
            d = DataParallel(build(tiny), zero=zero)
            for step in range(3):
                d.step({k: np.full_like(v, RANK + step) for k, v in tiny.items()})
            res.append((tiny, d.state_dict()))
        for k in res[0][0]:
            assert np.array_equal(res[0][0][k], res[1][0][k]), k
        check_sd_equal(res[0][1], res[1][1], "tiny")
    # a bad state dict raises on every rank and changes nothing
    p_z, z = train(CONFIGS[0][1], True)
    sd = z.state_dict()
    before = z.state_dict()
    bad = dict(sd)
    bad["momentum/big"] = np.zeros(3, np.float32)
    try:
        z.load_state_dict(bad)
        raise AssertionError("no error")
    except ValueError as e:
        assert "momentum/big" in str(e), e
    check_sd_equal(z.state_dict(), before, "refused load")
    # close() frees the shared memory and the requests (collective, idempotent);
    # the objects left open are freed at exit, in creation order on every rank
    z.close()
    z.close()
    try:
        z.step(rank_grads(p_z, 0, RANK))
        raise AssertionError("stepped after close")
    except RuntimeError as e:
        assert "closed" in str(e), e
    if RANK == 0:
        print("PASS train")


def exact_grads(params, step, rank):
    """Per-sample gradients 12*k/64 (k in -8..8) of a global batch of 12, this
    rank's share averaged: every reduction of them is exact."""
    rng = np.random.default_rng(step)
    per_sample = {k: (rng.integers(-8, 9, size=(12,) + p.shape) * (12 / 64)).astype(p.dtype)
                  for k, p in params.items()}
    b = 12 // W
    return {k: v[rank * b:(rank + 1) * b].sum(axis=0) / b for k, v in per_sample.items()}


def scenario_exact(out):
    """Data-parallel equals one process on the concatenated batch, bit for bit."""
    for zero in (False, True):
        params = make_params()
        dp = DataParallel(ok.Adam(params, learning_rate=0.01, global_clipnorm=50.0), zero=zero)
        ref = make_params()
        opt = ok.Adam(ref, learning_rate=0.01, global_clipnorm=50.0)
        for s in range(5):
            dp.step(exact_grads(params, s, RANK))
            rng = np.random.default_rng(s)
            full = {k: (rng.integers(-8, 9, size=(12,) + p.shape) * (12 / 64)).astype(p.dtype)
                    for k, p in ref.items()}
            opt.step({k: v.sum(axis=0) / 12 for k, v in full.items()})
        for k in params:
            assert np.array_equal(params[k], ref[k]), (zero, k)
    if RANK == 0:
        print("PASS exact")


def scenario_model(out):
    """Softmax regression: W ranks vs one process on the whole batch, rtol 1e-5."""
    rng = np.random.default_rng(5)
    n, d, c = 48, 20, 5
    X = rng.standard_normal((n, d)).astype(np.float32)
    y = rng.integers(0, c, n)
    loss = ok.losses.SparseCategoricalCrossentropy(from_logits=True)

    def grads(p, idx):
        logits = X[idx] @ p["W"] + p["b"]
        _, dl = loss.value_and_grad(y[idx], logits)
        return {"W": X[idx].T @ dl, "b": dl.sum(axis=0)}

    def init():
        r = np.random.default_rng(6)
        return {"W": (0.1 * r.standard_normal((d, c))).astype(np.float32),
                "b": np.zeros(c, np.float32)}

    for zero in (False, True):
        p, ref = init(), init()
        dp = DataParallel(ok.Adam(p, learning_rate=0.01), zero=zero)
        opt = ok.Adam(ref, learning_rate=0.01)
        for epoch in range(10):
            mine = np.sort(ok.distributed.shard(n, comm, seed=1, epoch=epoch, shuffle=False))
            dp.step(grads(p, mine))
            opt.step(grads(ref, np.arange(n)))
        for k in p:
            np.testing.assert_allclose(p[k], ref[k], rtol=1e-5, atol=1e-6)
        assert same_on_all_ranks(p)
    if RANK == 0:
        print("PASS model")


def scenario_alloc(out):
    """After the first step, a step allocates no buffers (only small objects)."""
    import tracemalloc
    for zero in (False, True):
        rng = np.random.default_rng(0)
        p = {"a": rng.standard_normal(300_000).astype(np.float32),
             "b": rng.standard_normal((300, 100))}
        dp = DataParallel(ok.Adam(p, clipnorm=1.0), zero=zero)
        g = {k: np.ones_like(v) for k, v in p.items()}
        dp.step(g, clip_grad_norm=1.0)  # the first step with each option may import
        tracemalloc.start()
        dp.step(g)
        dp.step(g, clip_grad_norm=1.0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 100_000, (zero, peak)  # the buffers are > 1 MB
    if RANK == 0:
        print("PASS alloc")


def scenario_mismatch(out):
    cases = {
        "shape": ("'big'", lambda p: ok.Adam({**p, "big": p["big"][:100].copy()} if RANK == 1 else p)),
        "hyper": ("beta_1", lambda p: ok.Adam(p, beta_1=0.8 if RANK == 1 else 0.9)),
        "lr": ("'lr'", lambda p: ok.torch.Adam(p, lr=0.1 if RANK == 1 else 0.01)),
        "class": ("optimizer class", lambda p: ok.SGD(p) if RANK == 1 else ok.Adam(p)),
        "dtype": ("dtype", lambda p: ok.Adam({**p, "b": p["b"].astype(np.float32)}
                                              if RANK == 1 else p)),
        "step": ("step counter", None),
    }
    for name, (needle, build) in cases.items():
        params = make_params()
        if build is None:
            opt = ok.Adam(params)
            opt.iterations = 3 if RANK == 1 else 0
        else:
            opt = build(params)
        try:
            DataParallel(opt, zero=(name == "lr"))
            raise AssertionError(f"{name}: no error on rank {RANK}")
        except ValueError as e:
            assert needle in str(e) and "rank 1" in str(e), (name, str(e))
    # the zero flag itself must agree
    try:
        DataParallel(ok.Adam(make_params()), zero=(RANK == 1))
        raise AssertionError("zero flag: no error")
    except ValueError as e:
        assert "zero" in str(e), e
    # a bad gradient on one rank is an error on every rank
    params = make_params()
    dp = DataParallel(ok.Adam(params))
    g = rank_grads(params, 0, RANK)
    if RANK == W - 1:
        g["W"] = g["W"].T.copy()
    before = digest(params)
    try:
        dp.step(g)
        raise AssertionError("bad grads: no error")
    except ValueError as e:
        assert "grads" in str(e), e
    assert digest(params) == before
    if RANK == 0:
        print("PASS mismatch")


def exact_run(zero, steps, start_dir=None, save_dir=None, kill=None):
    """Adam on exact gradients from step ``iterations``; optionally restore first
    and save after."""
    params = make_params()
    dp = DataParallel(ok.Adam(params, learning_rate=0.01, global_clipnorm=50.0), zero=zero)
    ckpt = ok.Checkpoint(model=params, optimizer=dp)
    if start_dir is not None:
        with ok.CheckpointManager(ckpt, start_dir) as m:
            assert m.restore_or_initialize() is not None
    for _ in range(steps):
        s = dp.iterations
        if kill == "step" and s == 2 and RANK == W - 1:
            os.kill(os.getpid(), signal.SIGKILL)
        dp.step(exact_grads(params, s, RANK))
    if save_dir is not None:
        with ok.CheckpointManager(ckpt, save_dir, max_to_keep=2) as m:
            path = m.save()
            assert m.latest_checkpoint == path, (RANK, m.latest_checkpoint, path)
            if kill == "gather" and RANK == W - 1:
                os.kill(os.getpid(), signal.SIGKILL)
            if kill in ("save", "gather"):
                if RANK == 0:
                    from optkern.checkpoint import _format
                    real = _format.write_checkpoint

                    def dying(f, *a, **k):
                        real(f, *a, **k)
                        f.flush()
                        os.kill(os.getpid(), signal.SIGKILL)
                    _format.write_checkpoint = dying
                dp.step(exact_grads(params, dp.iterations, RANK))
                m.save()
    return params, dp


def scenario_save(out):
    """Train 3 steps on W ranks (ZeRO), save, then 3 more; rank 0 writes the result."""
    params, dp = exact_run(True, 3, save_dir=os.path.join(out, "ckpt"))
    for _ in range(3):
        dp.step(exact_grads(params, dp.iterations, RANK))
    # Checkpoint.write without a manager: rank 0 writes, every rank returns after it
    ckpt = ok.Checkpoint(model=params, optimizer=dp)
    path = ckpt.write(os.path.join(out, "plain", "w"))
    assert os.path.exists(path)
    # a failed write on rank 0 is an error on every rank
    if RANK == 0:
        with open(os.path.join(out, "blocker"), "w"):
            pass
    comm.Barrier()
    try:
        ckpt.write(os.path.join(out, "blocker", "w"))
        raise AssertionError("no error")
    except (OSError, RuntimeError) as e:
        assert RANK == 0 or "rank 0" in str(e), e
    # a file one rank cannot open: an error on every rank, nothing restored
    before = digest(params)
    try:
        ckpt.restore(path if RANK == 0 else os.path.join(out, "missing.npz"))
        raise AssertionError("no error")
    except (OSError, RuntimeError) as e:
        assert RANK != 0 or "rank 1" in str(e), e
    assert digest(params) == before
    if RANK == 0:
        np.savez(os.path.join(out, "final.npz"), **params)
        print("PASS save")


def scenario_resume(out):
    """Restore on W ranks (both modes) and train 3 steps: the saved run's result."""
    final = np.load(os.path.join(out, "final.npz"))
    for zero in (False, True):
        params, dp = exact_run(zero, 3, start_dir=os.path.join(out, "ckpt"))
        assert dp.iterations == 6
        for k in params:
            assert np.array_equal(params[k], final[k]), (zero, k)
        assert same_on_all_ranks(params)
    if RANK == 0:
        print("PASS resume")


def scenario_kill_step(out):
    exact_run(True, 5, kill="step")


def scenario_kill_save(out):
    """Rank 0 dies while writing the second checkpoint."""
    exact_run(True, 2, save_dir=os.path.join(out, "ckpt"), kill="save")


def scenario_kill_gather(out):
    """The last rank dies as the second save gathers the state."""
    exact_run(True, 2, save_dir=os.path.join(out, "ckpt"), kill="gather")


if __name__ == "__main__":
    for name in sys.argv[1].split(","):
        globals()["scenario_" + name](sys.argv[2] if len(sys.argv) > 2 else ".")
