"""Regression losses beyond MSE/MAE/Huber: mean absolute percentage error, mean
squared logarithmic error, log-cosh and cosine similarity (Keras 3)."""

from __future__ import annotations

from ._axis import _AxisLoss, check_axis
from ._base import Loss, per_sample, register_function

__all__ = [
    "MAPE",
    "MSLE",
    "CosineSimilarity",
    "LogCosh",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "cosine_similarity",
    "log_cosh",
    "logcosh",
    "mape",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "msle",
]


class MeanAbsolutePercentageError(Loss):
    """Mean absolute percentage error (Keras ``MeanAbsolutePercentageError``).

    L = 100·mean(|y_true − y_pred| / max(|y_true|, ε), axis=−1), ε = 1e-7;
    ∂L/∂y_pred = 100·sign(y_pred − y_true)/max(|y_true|, ε)/d (0 where
    y_pred = y_true), d the size of the last axis. Reductions as in :class:`Loss`.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> y = np.array([[1., 2.], [4., 5.]], np.float32)
    >>> p = np.array([[1.5, 2.], [3., 5.]], np.float32)
    >>> round(ok.losses.MeanAbsolutePercentageError()(y, p), 4)
    18.75
    """

    _kind = "mean_absolute_percentage_error"
    _default_name = "mean_absolute_percentage_error"

    def __init__(self, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name)


class MeanSquaredLogarithmicError(Loss):
    """Mean squared logarithmic error (Keras ``MeanSquaredLogarithmicError``).

    a = log(max(y_pred, ε) + 1), b = log(max(y_true, ε) + 1);
    L = mean((a − b)², axis=−1); ∂L/∂y_pred = 2(a − b)/(y_pred + 1)/d where
    y_pred ≥ ε, and 0 below ε (where Keras clips).

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> y = np.array([[0., 1.], [0., 0.]], np.float32)
    >>> p = np.array([[1., 1.], [1., 0.]], np.float32)
    >>> round(ok.losses.MeanSquaredLogarithmicError()(y, p), 4)
    0.2402
    """

    _kind = "mean_squared_logarithmic_error"
    _default_name = "mean_squared_logarithmic_error"

    def __init__(self, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name)


class LogCosh(Loss):
    """Logarithm of the hyperbolic cosine of the error (Keras ``LogCosh``).

    x = y_pred − y_true; L = mean(log cosh x, axis=−1), evaluated in Keras's
    overflow-free form x + softplus(−2x) − log 2; ∂L/∂y_pred = tanh(x)/d.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> y = np.array([[0., 1.], [0., 0.]], np.float32)
    >>> p = np.array([[1., 1.], [0., 0.]], np.float32)
    >>> round(ok.losses.LogCosh()(y, p), 3)
    0.108
    """

    _kind = "log_cosh"
    _default_name = "log_cosh"

    def __init__(self, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name)


class CosineSimilarity(_AxisLoss):
    """Negative cosine similarity along an axis (Keras ``CosineSimilarity``).

    With Keras's L2 normalisation u = y_true/max(‖y_true‖, ε) and
    v = y_pred/max(‖y_pred‖, ε) along ``axis``: L = −Σ u·v (−1 for equal
    directions, 0 when either side is a zero vector). ∂L/∂y_pred =
    −(u − (u·y_pred)·y_pred/‖y_pred‖²)/‖y_pred‖ where ‖y_pred‖ ≥ ε, and −u/ε
    where it is smaller. The sums are taken in double.

    Parameters
    ----------
    axis : int
        The axis of the vectors (default −1, the last). Another axis is moved
        last first (a copy of both inputs, and of the gradient back); y_true
        and y_pred must then have the same shape.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> y = np.array([[0., 1.], [1., 1.], [1., 1.]], np.float32)
    >>> p = np.array([[1., 0.], [1., 1.], [-1., -1.]], np.float32)
    >>> ok.losses.CosineSimilarity(reduction=None)(y, p).round(4)
    array([-0., -1.,  1.], dtype=float32)
    """

    _kind = "cosine_similarity"
    _default_name = "cosine_similarity"

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name=None):
        self.axis = check_axis(axis)
        super().__init__(reduction=reduction, name=name)

    def _config(self) -> dict:
        return {"axis": self.axis}


@register_function("mape", "MAPE")
def mean_absolute_percentage_error(y_true, y_pred):
    """Per-sample 100·mean(|y_true − y_pred| / max(|y_true|, ε), axis=−1)."""
    return per_sample(MeanAbsolutePercentageError, y_true, y_pred)


@register_function("msle", "MSLE")
def mean_squared_logarithmic_error(y_true, y_pred):
    """Per-sample mean((log(max(y_pred, ε) + 1) − log(max(y_true, ε) + 1))², axis=−1)."""
    return per_sample(MeanSquaredLogarithmicError, y_true, y_pred)


@register_function("logcosh")
def log_cosh(y_true, y_pred):
    """Per-sample mean(log cosh(y_pred − y_true), axis=−1)."""
    return per_sample(LogCosh, y_true, y_pred)


@register_function()
def cosine_similarity(y_true, y_pred, axis=-1):
    """Per-sample −Σ l2_normalize(y_true)·l2_normalize(y_pred) along ``axis`` (−1)."""
    return per_sample(CosineSimilarity, y_true, y_pred, axis=axis)


mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
logcosh = log_cosh
