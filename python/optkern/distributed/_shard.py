"""`shard`: this rank's sample indices for an epoch (as torch's DistributedSampler)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np


def _count(name: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__}") from None
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {v}")
    return v


def shard(
    n_samples: int,
    comm: Any = None,
    seed: int = 0,
    epoch: int = 0,
    *,
    shuffle: bool = True,
    drop_last: bool = False,
) -> np.ndarray:
    """This rank's sample indices for one epoch (int64, in the order to visit them).

    The rule of ``torch.utils.data.DistributedSampler``:

    .. code-block:: text

        order = permutation of 0..n-1 from numpy.random.default_rng(seed + epoch)
                (0..n-1 in order when shuffle=False)
        W ranks; drop_last=False: m = ceil(n / W), and order is padded to W*m
                 by repeating its own beginning (so W-1 samples at most appear
                 twice in an epoch);
                 drop_last=True:  m = floor(n / W), and order is cut to W*m
        rank r gets order[r], order[r + W], ..., order[r + (m-1)*W]

    Every rank gets m indices; over the ranks they cover every sample (all
    but the n - W*m dropped with drop_last) and are disjoint apart from the
    padding. The same (n_samples, seed, epoch, W) give the same split on any
    machine; pass the epoch number so that each epoch is shuffled afresh.

    Parameters
    ----------
    n_samples : int >= 0
    comm : mpi4py communicator, optional
        Default ``MPI.COMM_WORLD``. Anything with ``Get_rank()`` and
        ``Get_size()`` works (no communication happens).
    seed, epoch : int >= 0
    shuffle : bool, default True
    drop_last : bool, default False
    """
    n = _count("n_samples", n_samples)
    seed = _count("seed", seed)
    epoch = _count("epoch", epoch)
    if comm is None:
        from ._comm import mpi

        comm = mpi().COMM_WORLD
    rank, size = int(comm.Get_rank()), int(comm.Get_size())
    if shuffle:
        order = np.random.default_rng(seed + epoch).permutation(n).astype(np.int64)
    else:
        order = np.arange(n, dtype=np.int64)
    if drop_last:
        m = n // size
        order = order[: m * size]
    else:
        m = -(-n // size)
        if m * size > n and n:
            order = np.resize(order, m * size)  # repeats the beginning
    if n == 0:
        return np.zeros(0, np.int64)
    return np.ascontiguousarray(order[rank::size][:m])
