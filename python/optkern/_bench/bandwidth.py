"""The memory-bandwidth bound, measured in the same run as the kernels it judges.

How a suite uses it
-------------------
.. code-block:: python

    runs = [measure_bandwidth(timer, 1 << 26, threads, budget_s=1.0)]   # before the cases
    ...                                                                  # the cases
    runs.append(measure_bandwidth(timer, 1 << 26, threads, budget_s=1.0))  # after them
    best, bound = bandwidth_bound(runs)           # GB/s per kernel, and the best of all
    fraction = bytes_moved / median_seconds / 1e9 / bound

Count ``bytes_moved`` as the bytes a call must read and write (Adam float32:
28 per element). Only working sets well beyond the caches (`CACHE_FREE_BYTES`)
are bandwidth-bound; below that a fraction of the bound means nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from .timing import Timer

CACHE_FREE_BYTES = 64 << 20  # working sets at least this big are bandwidth-bound
ADD_BYTES_PER_ELEMENT = 12  # np.add over float32: read a, b; write c


def _threaded(n_threads: int, work) -> None:
    """Run work(i) for i in range(n_threads) on n_threads Python threads."""
    if n_threads <= 1:
        work(0)
        return
    ts = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def measure_bandwidth(timer: Timer, elements: int, threads: int, budget_s: float) -> dict:
    """GB/s (1e9 B/s) of np.add over float32 arrays of ``elements`` elements.

    Four kernels, each timed in a quiet block: ``np.add(a, b, out=c)`` and the
    in-place ``np.add(a, b, out=a)`` (the access pattern of an optimizer step,
    no write-allocate traffic), each on one thread and split over ``threads``
    Python threads (NumPy releases the GIL), so the bound reflects what that
    many cores can pull. Both count 12 bytes per element. Returns kernel name
    -> ``dict(gbs, seconds, samples, foreign_load)``.
    """
    a = np.full(elements, 1.0, dtype=np.float32)
    b = np.full(elements, 1e-6, dtype=np.float32)
    c = np.empty_like(a)
    c.fill(0.0)
    bounds = np.linspace(0, elements, threads + 1).astype(np.int64)
    sl = [slice(int(bounds[i]), int(bounds[i + 1])) for i in range(threads)]
    kernels: dict[str, Callable[[], object]] = {
        "add_out (1 thread)": lambda: np.add(a, b, out=c),
        "add_inplace (1 thread)": lambda: np.add(a, b, out=a),
    }
    if threads > 1:
        kernels[f"add_out ({threads} threads)"] = lambda: _threaded(
            threads, lambda i: np.add(a[sl[i]], b[sl[i]], out=c[sl[i]])
        )
        kernels[f"add_inplace ({threads} threads)"] = lambda: _threaded(
            threads, lambda i: np.add(a[sl[i]], b[sl[i]], out=a[sl[i]])
        )
    out = {}
    for name, fn in kernels.items():
        r = timer.quiet_block(fn, budget_s, min_samples=5, max_samples=30)
        out[name] = dict(
            gbs=ADD_BYTES_PER_ELEMENT * elements / r["median"] / 1e9,
            seconds=r["median"],
            samples=r["samples"],
            foreign_load=r["foreign_load"],
        )
    return out  # the arrays are freed with this frame


def bandwidth_bound(runs: list[dict]) -> tuple[dict[str, float], float]:
    """The best GB/s of each kernel over several `measure_bandwidth` runs, and the
    bound: the best of them all."""
    best = {k: max(r[k]["gbs"] for r in runs) for k in runs[0]}
    return best, max(best.values())
