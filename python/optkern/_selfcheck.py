"""A quick self-check of every optimizer kernel against optkern.reference.

Runs each optimizer for a few steps on small float32 and float64 arrays
(sizes around the SIMD widths) under every available ISA and compares the
parameters with the pure-NumPy reference bit for bit.
"""

from __future__ import annotations

import numpy as np

from . import _core

SIZES = (0, 1, 7, 8, 9, 15, 16, 17, 33, 1001)
STEPS = 5


def _cases():
    import optkern as ok
    from optkern import reference as R

    return [
        ("SGD(momentum, nesterov, weight_decay)", ok.SGD, R.keras.SGD,
         dict(learning_rate=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
        ("Adam(amsgrad, clipvalue)", ok.Adam, R.keras.Adam,
         dict(learning_rate=0.01, amsgrad=True, clipvalue=0.5)),
        ("AdamW", ok.AdamW, R.keras.AdamW, dict(learning_rate=0.01)),
        ("torch.SGD(momentum, dampening, weight_decay, maximize)", ok.torch.SGD, R.torch.SGD,
         dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01, maximize=True)),
        ("torch.Adam(amsgrad, weight_decay)", ok.torch.Adam, R.torch.Adam,
         dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
        ("torch.AdamW(maximize)", ok.torch.AdamW, R.torch.AdamW,
         dict(lr=0.01, maximize=True)),
    ]


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
            grads = [[rng.standard_normal(n).astype(dtype) for n in SIZES]
                     for _ in range(STEPS)]
            for name, ok_cls, ref_cls, kwargs in _cases():
                want = _run(ref_cls, kwargs, params, grads)
                for isa in _core.available_isas():
                    _core.set_isa(isa)
                    got = _run(ok_cls, kwargs, params, grads)
                    same = all(np.array_equal(a, b) for a, b in zip(got, want))
                    rows.append((name, np.dtype(dtype).name, isa, same))
    finally:
        _core.set_isa(previous)
    return rows
