"""A quick self-check of every optimizer kernel against optkern.reference.

Runs each case of the registry (every optimizer and configuration, both front
ends) for a few steps on small float32 and float64 arrays (sizes around the
SIMD widths) under every available ISA and compares the parameters with the
pure-NumPy reference: bit for bit, or to a tight tolerance for the cases whose
norm is summed in another order (clipnorm).
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._registry import CASES

SIZES = (0, 1, 7, 8, 9, 15, 16, 17, 33, 1001)
STEPS = 5


def _run(cls, kwargs, params, grads):
    arrays = [p.copy() for p in params]
    opt = cls(arrays, **kwargs)
    for g in grads:
        opt.step(g)
    return arrays


def self_check() -> list[tuple[str, str, str, bool]]:
    """Rows ``(optimizer, dtype, isa, ok)`` for every case, dtype and ISA."""
    rows = []
    previous = _core.isa()
    try:
        for dtype in (np.float32, np.float64):
            rng = np.random.default_rng(0)
            params = [rng.standard_normal(n).astype(dtype) for n in SIZES]
            grads = [[rng.standard_normal(n).astype(dtype) for n in SIZES] for _ in range(STEPS)]
            for case in CASES:
                with np.errstate(all="ignore"):
                    want = _run(case.reference, case.kwargs, params, grads)
                for isa in _core.available_isas():
                    _core.set_isa(isa)
                    got = _run(case.cls, case.kwargs, params, grads)
                    if case.exact:
                        same = all(np.array_equal(a, b) for a, b in zip(got, want))
                    else:
                        same = all(
                            np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(got, want)
                        )
                    rows.append((case.id, np.dtype(dtype).name, isa, same))
    finally:
        _core.set_isa(previous)
    return rows
