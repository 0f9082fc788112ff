"""Keras gradient clipping, as factors in double (``g * c / max(N, c)``)."""

from __future__ import annotations

import math

import numpy as np


def l2_norm(g: np.ndarray) -> float:
    """‖g‖₂ accumulated in double."""
    return math.sqrt(float(np.sum(np.square(g, dtype=np.float64))))


def scale_factor(norm: float, clip: float) -> float:
    """``c / max(N, c)``; a NaN norm gives NaN."""
    if math.isnan(norm):
        return math.nan
    return clip / max(norm, clip)


def keras_clip(grads: list, clipnorm=None, clipvalue=None, global_clipnorm=None) -> list:
    """Return clipped copies of ``grads`` (Keras 3 ``_clip_gradients``)."""
    if clipnorm is not None:
        return [g * scale_factor(l2_norm(g), clipnorm) for g in grads]
    if clipvalue is not None:
        return [np.clip(g, -clipvalue, clipvalue) for g in grads]
    if global_clipnorm is not None:
        norm = math.sqrt(math.fsum(l2_norm(g) ** 2 for g in grads))
        s = scale_factor(norm, global_clipnorm) if math.isfinite(norm) else math.nan
        return [g * s for g in grads]
    return list(grads)
