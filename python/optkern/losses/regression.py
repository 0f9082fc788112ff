"""Regression losses: mean squared error, mean absolute error, Huber (Keras 3)."""

from __future__ import annotations

from ._base import Loss, per_sample, register_function

__all__ = ["MeanSquaredError", "mean_squared_error", "mse", "MSE"]


class MeanSquaredError(Loss):
    """Mean of the squared errors over the last axis (Keras ``MeanSquaredError``).

    L = mean((y_true − y_pred)², axis=−1); ∂L/∂y_pred = 2(y_pred − y_true)/d,
    d the size of the last axis. Reductions as in :class:`Loss`.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> y = np.array([[0., 1.], [0., 0.]], np.float32)
    >>> p = np.array([[1., 1.], [1., 0.]], np.float32)
    >>> ok.losses.MeanSquaredError()(y, p)
    0.5
    """

    _kind = "mean_squared_error"
    _default_name = "mean_squared_error"

    def __init__(self, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name)


@register_function("mse", "MSE")
def mean_squared_error(y_true, y_pred):
    """Per-sample mean squared error: mean((y_true − y_pred)², axis=−1)."""
    return per_sample(MeanSquaredError, y_true, y_pred)


mse = MSE = mean_squared_error
