"""``clip_grad_norm_`` with torch's formula, in place on NumPy grads."""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from .. import _core


def _as_list(grads: Any) -> list:
    if isinstance(grads, np.ndarray):
        return [grads]
    if isinstance(grads, Mapping):
        return list(grads.values())
    return list(grads)


def clip_grad_norm_(grads: Any, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> float:
    r"""Scale grads in place so that their total norm is at most ``max_norm``.

    ``torch.nn.utils.clip_grad_norm_`` maths:

    .. code-block:: text

        N = (Σ_tensors Σ_elements |g|^p)^(1/p)     (p = inf: max |g|)
        g <- g * min(1, max_norm / (N + 1e-6))

    N is accumulated in double (p = 2 by optkern's deterministic native
    reduction); a NaN N makes the grads NaN, as in torch.

    Parameters
    ----------
    grads : ndarray, list or dict of ndarray
        float32/float64, writeable; scaled in place.
    max_norm : float
    norm_type : float, default 2.0 (``inf`` for the max norm)
    error_if_nonfinite : bool, default False
        Raise RuntimeError instead when N is NaN or inf.

    Returns
    -------
    float
        The total norm N before clipping.
    """
    arrays = _as_list(grads)
    labels = [str(i) for i in range(len(arrays))]
    for a, label in zip(arrays, labels):
        if not isinstance(a, np.ndarray) or a.dtype not in (np.float32, np.float64):
            raise TypeError(f"grads[{label}] must be a float32 or float64 numpy.ndarray")
        if not a.flags.writeable:
            raise ValueError(f"grads[{label}] is read-only; clip_grad_norm_ scales in place")
    max_norm = float(max_norm)
    p = float(norm_type)
    if not arrays:
        return 0.0
    if p == 2.0:
        norm = math.sqrt(math.fsum(_core.sum_squares(
            [np.ascontiguousarray(a) for a in arrays], labels)))
    elif p == math.inf:
        norm = max((float(np.max(np.abs(a))) if a.size else 0.0) for a in arrays)
    else:
        total = math.fsum(float(np.sum(np.abs(a.astype(np.float64)) ** p)) for a in arrays)
        norm = total ** (1.0 / p)
    if error_if_nonfinite and not math.isfinite(norm):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is "
                           f"non-finite ({norm}), so it cannot be clipped")
    coef = max_norm / (norm + 1e-6)
    if not coef >= 1.0:
        for a in arrays:
            np.multiply(a, coef, out=a)
    return norm
