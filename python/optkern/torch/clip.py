"""``clip_grad_norm_`` with torch's formula, in place on NumPy grads."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import _core
from .._params import check_no_overlap, check_number


def _leaves(grads: Any, label: str, arrays: list, labels: list, depth: int = 0) -> None:
    """Collect the arrays of a grads structure (an array, or lists, tuples and
    dicts of them nested in any way, such as one list or dict per param group)."""
    if isinstance(grads, np.ndarray):
        arrays.append(grads)
        labels.append(label)
    elif depth > 32:
        raise ValueError(f"grads{label} is nested too deeply")
    elif isinstance(grads, Mapping):
        for k, v in grads.items():
            _leaves(v, f"{label}[{k!r}]", arrays, labels, depth + 1)
    elif isinstance(grads, (list, tuple)):
        for i, v in enumerate(grads):
            _leaves(v, f"{label}[{i}]", arrays, labels, depth + 1)
    else:
        raise TypeError(
            f"grads{label} must be a float32 or float64 numpy.ndarray (or a list, "
            f"tuple or dict of them), got {type(grads).__name__}"
        )


def _number_or_inf(name: str, value: Any, low_open: bool) -> float:
    """A real number >= 0 (> 0 with low_open), or +inf."""
    if isinstance(value, (float, np.floating)) and value == math.inf:
        return math.inf
    return check_number(name, value, low_open=low_open)


def clip_grad_norm_(
    grads: Any, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> float:
    r"""Scale grads in place so that their total norm is at most ``max_norm``.

    ``torch.nn.utils.clip_grad_norm_`` maths:

    .. code-block:: text

        N = (Σ_tensors Σ_elements |g|^p)^(1/p)     (p = inf: max |g|)
        g <- g * min(1, max_norm / (N + 1e-6))

    N is accumulated in double (p = 2 by optkern's deterministic native
    reduction); a NaN N makes the grads NaN, as in torch.

    Parameters
    ----------
    grads : ndarray, or list, tuple or dict of them, nested in any way
        float32/float64, writeable; scaled in place. Every layout ``step``
        takes works, e.g. one list or dict per param group; the norm is over
        all arrays together. No two may share memory.
    max_norm : float >= 0, or inf (no clipping: only the norm is computed)
    norm_type : float > 0, default 2.0 (``inf`` for the max norm)
    error_if_nonfinite : bool, default False
        Raise RuntimeError instead when N is NaN or inf.

    Returns
    -------
    float
        The total norm N before clipping.
    """
    arrays: list = []
    paths: list = []
    _leaves(grads, "", arrays, paths)
    labels = [p[1:-1] for p in paths]  # "grads[0]['W']" is labelled "0]['W'"
    for a, label in zip(arrays, labels):
        if a.dtype not in (np.float32, np.float64):
            raise TypeError(
                f"grads[{label}] must be a float32 or float64 numpy.ndarray, got dtype {a.dtype}"
            )
        if not a.flags.writeable:
            raise ValueError(f"grads[{label}] is read-only; clip_grad_norm_ scales in place")
    check_no_overlap(arrays, labels, "grads")  # a shared array would be scaled twice
    max_norm = _number_or_inf("max_norm", max_norm, low_open=False)
    p = _number_or_inf("norm_type", norm_type, low_open=True)
    if not arrays:
        return 0.0
    if p == 2.0:
        norm = math.sqrt(
            math.fsum(_core.sum_squares([np.ascontiguousarray(a) for a in arrays], labels))
        )
    elif p == math.inf:
        norm = max((float(np.max(np.abs(a))) if a.size else 0.0) for a in arrays)
    else:
        total = math.fsum(float(np.sum(np.abs(a.astype(np.float64)) ** p)) for a in arrays)
        norm = total ** (1.0 / p)
    if error_if_nonfinite and not math.isfinite(norm):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is "
            f"non-finite ({norm}), so it cannot be clipped"
        )
    coef = max_norm / (norm + 1e-6)
    if not coef >= 1.0:
        for a in arrays:
            np.multiply(a, coef, out=a)
    return norm
