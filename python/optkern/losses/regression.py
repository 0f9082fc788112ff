"""Regression losses: mean squared error, mean absolute error, Huber (Keras 3)."""

from __future__ import annotations

from .. import _core
from ._base import Loss, per_sample, register_function

__all__ = [
    "MAE",
    "MSE",
    "Huber",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "huber",
    "mae",
    "mean_absolute_error",
    "mean_squared_error",
    "mse",
]


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


class MeanAbsoluteError(Loss):
    """Mean of the absolute errors over the last axis (Keras ``MeanAbsoluteError``).

    L = mean(|y_true − y_pred|, axis=−1); ∂L/∂y_pred = sign(y_pred − y_true)/d,
    0 where they are equal.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> ok.losses.MeanAbsoluteError()(np.array([[0., 1.]]), np.array([[1., 1.]]))
    0.5
    """

    _kind = "mean_absolute_error"
    _default_name = "mean_absolute_error"

    def __init__(self, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name)


class Huber(Loss):
    """Huber loss (Keras ``Huber``), the mean over the last axis of, with
    e = y_pred − y_true: ½e² where |e| ≤ delta, else delta·|e| − ½delta².
    ∂/∂y_pred: e, or delta·sign(e), divided by the last axis' size.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> ok.losses.Huber(delta=1.0)(np.array([[0., 0.]]), np.array([[0.5, 3.]]))
    1.3125
    """

    _kind = "huber"
    _default_name = "huber_loss"

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name=None):
        delta = float(delta)
        if not delta >= 0.0 or delta == float("inf"):
            raise ValueError(f"delta must be a finite float >= 0, got {delta!r}")
        self.delta = delta
        super().__init__(reduction=reduction, name=name)

    def _native_params(self):
        params = _core.LossParams()
        params.delta = self.delta
        return params

    def _config(self):
        return {"delta": self.delta}


@register_function("mae", "MAE")
def mean_absolute_error(y_true, y_pred):
    """Per-sample mean absolute error: mean(|y_true − y_pred|, axis=−1)."""
    return per_sample(MeanAbsoluteError, y_true, y_pred)


@register_function()
def huber(y_true, y_pred, delta=1.0):
    """Per-sample Huber loss (see :class:`Huber`)."""
    return per_sample(Huber, y_true, y_pred, delta=delta)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
