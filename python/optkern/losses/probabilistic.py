"""Probabilistic losses beyond the cross-entropies: Kullback-Leibler divergence
and Poisson (Keras 3)."""

from __future__ import annotations

from ._base import Loss, per_sample, register_function

__all__ = [
    "KLD",
    "KLDivergence",
    "Poisson",
    "kl_divergence",
    "kld",
    "kullback_leibler_divergence",
    "poisson",
]


class KLDivergence(Loss):
    """Kullback-Leibler divergence (Keras ``KLDivergence``).

    t = clip(y_true, ε, 1), q = clip(y_pred, ε, 1); L = Σ t·log(t/q) over the
    last axis (a sum, as Keras); ∂L/∂y_pred = −t/q where ε ≤ y_pred ≤ 1, and 0
    outside (where Keras clips).

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> y = np.array([[0., 1.], [0., 0.]], np.float32)
    >>> p = np.array([[0.6, 0.4], [0.4, 0.6]], np.float32)
    >>> round(ok.losses.KLDivergence()(y, p), 3)
    0.458
    """

    _kind = "kl_divergence"
    _default_name = "kl_divergence"

    def __init__(self, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name)


class Poisson(Loss):
    """Poisson loss (Keras ``Poisson``).

    L = mean(y_pred − y_true·log(y_pred + ε), axis=−1); ∂L/∂y_pred =
    (1 − y_true/(y_pred + ε))/d. No clipping, as Keras: y_pred < −ε gives NaN.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> y = np.array([[0., 1.], [0., 0.]], np.float32)
    >>> p = np.array([[1., 1.], [0., 0.]], np.float32)
    >>> round(ok.losses.Poisson()(y, p), 3)
    0.5
    """

    _kind = "poisson"
    _default_name = "poisson"

    def __init__(self, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name)


@register_function("kld", "KLD", "kullback_leibler_divergence")
def kl_divergence(y_true, y_pred):
    """Per-sample Σ t·log(t/q), t = clip(y_true, ε, 1), q = clip(y_pred, ε, 1)."""
    return per_sample(KLDivergence, y_true, y_pred)


@register_function()
def poisson(y_true, y_pred):
    """Per-sample mean(y_pred − y_true·log(y_pred + ε), axis=−1)."""
    return per_sample(Poisson, y_true, y_pred)


kld = KLD = kullback_leibler_divergence = kl_divergence
