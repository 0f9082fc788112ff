"""optkern.distributed in one process: the partition, the norms from pieces,
shard(), and DataParallel on a world of one rank (no mpiexec needed)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import optkern as ok
from optkern import _core
from optkern.distributed import shard
from optkern.distributed._layout import PIECE, Layout
from optkern.distributed._norms import LANES, add_lanes, piece_lanes


def test_import_optkern_never_imports_mpi():
    code = ("import sys, optkern, optkern.distributed, optkern.checkpoint; "
            "optkern.distributed.shard(10, type('C', (), {'Get_rank': lambda s: 0, "
            "'Get_size': lambda s: 2})(), 0, 0); "
            "assert 'mpi4py' not in sys.modules, 'mpi4py imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


class FakeComm:
    def __init__(self, rank, size):
        self.rank, self.size = rank, size

    def Get_rank(self):
        return self.rank

    def Get_size(self):
        return self.size


@pytest.mark.parametrize("n", [0, 1, 7, 10, 11, 12, 100])
@pytest.mark.parametrize("world", [1, 2, 3, 4])
def test_shard_disjoint_covering_deterministic(n, world):
    parts = [shard(n, FakeComm(r, world), seed=3, epoch=2) for r in range(world)]
    m = -(-n // world)
    assert all(p.dtype == np.int64 and p.shape == (m,) for p in parts)
    together = np.concatenate(parts)
    assert set(together.tolist()) == set(range(n))
    assert len(together) - n == (m * world - n if n else 0)  # only the padding repeats
    again = [shard(n, FakeComm(r, world), seed=3, epoch=2) for r in range(world)]
    assert all(np.array_equal(a, b) for a, b in zip(parts, again))
    # torch's rule: rank r takes every W-th index of the padded permutation
    order = np.random.default_rng(5).permutation(n)
    if n:
        padded = np.resize(order, m * world)
        for r in range(world):
            np.testing.assert_array_equal(parts[r], padded[r::world])


def test_shard_epochs_drop_last_no_shuffle_and_errors():
    a = shard(100, FakeComm(0, 3), seed=1, epoch=0)
    b = shard(100, FakeComm(0, 3), seed=1, epoch=1)
    assert not np.array_equal(a, b)
    parts = [shard(10, FakeComm(r, 3), drop_last=True) for r in range(3)]
    together = np.concatenate(parts)
    assert all(len(p) == 3 for p in parts) and len(set(together.tolist())) == 9
    np.testing.assert_array_equal(shard(5, FakeComm(1, 2), shuffle=False), [1, 3, 0])
    with pytest.raises(ValueError, match="n_samples"):
        shard(-1, FakeComm(0, 1))
    with pytest.raises(TypeError, match="epoch"):
        shard(3, FakeComm(0, 1), epoch=1.5)
    with pytest.raises(TypeError, match="seed"):
        shard(3, FakeComm(0, 1), seed=True)


@pytest.mark.parametrize("world", [1, 2, 3, 5, 8])
def test_partition_cuts_on_pieces_and_covers(world):
    shapes = [(3, 4), (40000,), (0,), (5,), (3, 10000), (17000,)]
    layouts = [Layout(np.dtype(np.float32), list(range(len(shapes))), shapes, world, r)
               for r in range(world)]
    L = layouts[0]
    assert L.bounds[0] == 0 and L.bounds[-1] == L.total
    assert all(a <= b for a, b in zip(L.bounds, L.bounds[1:]))
    covered = [[] for _ in shapes]
    for r in range(world):
        for k, a, b in L.owner_ranges(r):
            assert a % PIECE == 0 or a == 0
            assert b % PIECE == 0 or b == L.sizes[k]
            covered[k].append((a, b))
    for k, ranges in enumerate(covered):
        ranges.sort()
        assert ranges[0][0] == 0 and ranges[-1][1] == L.sizes[k]
        assert all(x[1] == y[0] for x, y in zip(ranges, ranges[1:]))
        assert len(ranges) >= 1
    # each cut lies within half a piece of its ideal place
    for r in range(1, world):
        assert abs(L.bounds[r] - r * L.total / world) <= PIECE / 2 + 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 8191, 8192, 8193, 3 * 8192 + 13, 100_001])
def test_sums_from_pieces_equal_the_native_sum_squares(n, dtype):
    x = np.random.default_rng(n).standard_normal(n).astype(dtype) * 1e3
    lanes = np.zeros((max(-(-n // PIECE), 1), LANES))
    scratch = np.empty(PIECE)
    for i, s in enumerate(range(0, n, PIECE)):
        piece_lanes(x[s:s + PIECE], scratch, lanes[i])
    acc = np.add.reduce(lanes, axis=0) if n else np.zeros(LANES)
    assert add_lanes(acc) == _core.sum_squares([x], ["x"])[0]


mpi4py = pytest.importorskip("mpi4py")


def _params():
    rng = np.random.default_rng(0)
    return {"W": rng.standard_normal((20, 30)).astype(np.float32),
            "big": rng.standard_normal(20000).astype(np.float32),
            "b": rng.standard_normal(5)}


@pytest.mark.parametrize("zero", [False, True])
@pytest.mark.parametrize("make", [
    lambda p: ok.Adam(p, learning_rate=0.01, clipnorm=1.0),
    lambda p: ok.torch.SGD(p, lr=0.1, momentum=0.9),
    lambda p: ok.torch.RMSprop(p, centered=True),
])
def test_one_rank_equals_the_plain_optimizer(zero, make, tmp_path):
    from optkern.distributed import DataParallel

    p, q = _params(), _params()
    dp = DataParallel(make(p), zero=zero)
    opt = make(q)
    for s in range(3):
        g = {k: np.random.default_rng(s).standard_normal(v.shape).astype(v.dtype)
             for k, v in p.items()}
        assert dp.step(g) is None
        opt.step(g)
    for k in p:
        np.testing.assert_array_equal(p[k], q[k])
    a, b = dp.state_dict(), opt.state_dict()
    assert list(a) == list(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    # a checkpoint of the wrapper restores into a plain optimizer and back
    path = ok.Checkpoint(model=p, optimizer=dp).save(tmp_path / "ckpt")
    r = _params()
    plain = make(r)
    ok.Checkpoint(model=r, optimizer=plain).restore(path)
    for k in p:
        np.testing.assert_array_equal(p[k], r[k])
    dp.load_state_dict(plain.state_dict())
    assert dp.iterations == 3


def test_clip_grad_norm_returns_the_norm_as_torch_clip():
    from optkern.distributed import DataParallel

    p, q = _params(), _params()
    dp = DataParallel(ok.torch.Adam(p), zero=True)
    opt = ok.torch.Adam(q)
    g = {k: 10 * np.ones_like(v) for k, v in p.items()}
    n1 = dp.step(g, clip_grad_norm=1.0)
    g2 = {k: v.copy() for k, v in g.items()}
    n2 = ok.torch.clip_grad_norm_(list(g2.values()), 1.0)
    opt.step(g2)
    assert n1 == n2
    for k in p:
        np.testing.assert_array_equal(p[k], q[k])


def test_refusals_and_released_state():
    from optkern.distributed import DataParallel

    with pytest.raises(TypeError, match="optkern optimizer"):
        DataParallel(object())
    p = _params()
    with pytest.raises(TypeError, match="comm"):
        DataParallel(ok.Adam(p), comm="world")
    with pytest.raises(TypeError, match="zero"):
        DataParallel(ok.Adam(p), zero=1)
    opt = ok.Adam(p)
    dp = DataParallel(opt, zero=True)
    assert all(a.base is not None and a.strides == (0,) * a.ndim
               for arrays in opt._state.values() for a in arrays if a.ndim)
    with pytest.raises(ValueError, match="grads"):
        dp.step({"W": p["W"]})
    with pytest.raises(ValueError, match="shape"):
        dp.step({k: np.zeros(3, v.dtype) for k, v in p.items()})
    assert "zero=True" in repr(dp)


@pytest.mark.parametrize("zero", [False, True])
def test_steps_after_the_first_allocate_no_buffers(zero):
    import tracemalloc

    from optkern.distributed import DataParallel

    rng = np.random.default_rng(0)
    p = {"a": rng.standard_normal(300_000).astype(np.float32),
         "b": rng.standard_normal((300, 100))}
    dp = DataParallel(ok.Adam(p, global_clipnorm=1.0), zero=zero)
    g = {k: np.ones_like(v) for k, v in p.items()}
    dp.step(g)
    tracemalloc.start()
    try:
        dp.step(g)
        dp.step(g)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100_000  # the buffers are > 1 MB; only small Python objects remain


@pytest.mark.parametrize("torch_style", [False, True])
def test_hyperparameters_changed_on_the_wrapped_optimizer_reach_the_shards(torch_style):
    from optkern.distributed import DataParallel

    def make(p):
        return ok.torch.Adam(p, lr=0.01) if torch_style else ok.Adam(p, learning_rate=0.01)

    p, q = _params(), _params()
    dp = DataParallel(make(p), zero=True)
    opt = make(q)
    for s in range(4):
        if s == 2:
            for o in (dp.optimizer, opt):
                if torch_style:
                    o.param_groups[0]["lr"] = 0.5
                    o.param_groups[0]["betas"] = (0.5, 0.9)
                else:
                    o.learning_rate = lambda step: 0.5 / (step + 1)
        g = {k: np.full_like(v, s - 1.5) for k, v in p.items()}
        dp.step(g)
        opt.step(g)
    for k in p:
        np.testing.assert_array_equal(p[k], q[k])
    with pytest.raises(ValueError):
        dp.optimizer.step(g)  # the wrapped optimizer's state is released
