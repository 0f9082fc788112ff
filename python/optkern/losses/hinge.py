"""Hinge losses: hinge, squared hinge and categorical hinge (Keras 3)."""

from __future__ import annotations

import numpy as np

from .. import _core
from ._base import Loss, per_sample, register_function

__all__ = [
    "CategoricalHinge",
    "Hinge",
    "SquaredHinge",
    "categorical_hinge",
    "hinge",
    "squared_hinge",
]


def labels_are_binary(y_true) -> bool:
    """Whether every label is 0 or 1 (then Keras maps them to −1/+1)."""
    y = np.asarray(y_true)
    if y.dtype == np.bool_:
        return True
    return bool(np.all((y == 0) | (y == 1)))


class _BinaryLabelsHinge(Loss):
    """A hinge loss whose labels become y' = 2y − 1 when they are all 0 or 1
    (decided over the whole ``y_true`` of a call, as Keras), else stay as given."""

    def __init__(self, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name)
        _, params, reduction_ = self._native
        self._native_binary = (
            getattr(_core.LossKind, self._kind + "_binary_labels"),
            params,
            reduction_,
        )

    def _native_for(self, y_true):
        return self._native_binary if labels_are_binary(y_true) else self._native


class Hinge(_BinaryLabelsHinge):
    """Hinge loss (Keras ``Hinge``).

    Labels y are expected in {−1, 1}; when all of ``y_true`` is 0 or 1 they are
    mapped to y' = 2y − 1 first. L = mean(max(1 − y'·y_pred, 0), axis=−1);
    ∂L/∂y_pred = −y'/d where 1 − y'·y_pred > 0, else 0 (0 at the kink).

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> y = np.array([[0., 1.], [0., 0.]], np.float32)
    >>> p = np.array([[0.6, 0.4], [0.4, 0.6]], np.float32)
    >>> round(ok.losses.Hinge()(y, p), 2)
    1.3
    """

    _kind = "hinge"
    _default_name = "hinge"


class SquaredHinge(_BinaryLabelsHinge):
    """Squared hinge loss (Keras ``SquaredHinge``).

    Labels as :class:`Hinge`. L = mean(max(1 − y'·y_pred, 0)², axis=−1);
    ∂L/∂y_pred = −2y'·max(1 − y'·y_pred, 0)/d.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> y = np.array([[0., 1.], [0., 0.]], np.float32)
    >>> p = np.array([[0.6, 0.4], [0.4, 0.6]], np.float32)
    >>> round(ok.losses.SquaredHinge()(y, p), 2)
    1.86
    """

    _kind = "squared_hinge"
    _default_name = "squared_hinge"


class CategoricalHinge(Loss):
    """Categorical hinge loss (Keras ``CategoricalHinge``), labels used as given.

    pos = Σ y·y_pred, neg = max((1 − y)·y_pred) over the last axis;
    L = max(neg − pos + 1, 0). Where L > 0: ∂L/∂y_pred = −y, plus (1 − y_k) at
    k, the first index attaining neg; 0 where L = 0. pos is summed in double.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> y = np.array([[0., 1.], [0., 0.]], np.float32)
    >>> p = np.array([[0.6, 0.4], [0.4, 0.6]], np.float32)
    >>> round(ok.losses.CategoricalHinge()(y, p), 2)
    1.4
    """

    _kind = "categorical_hinge"
    _default_name = "categorical_hinge"

    def __init__(self, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name)


@register_function()
def hinge(y_true, y_pred):
    """Per-sample mean(max(1 − y'·y_pred, 0), axis=−1); 0/1 labels become −1/+1."""
    return per_sample(Hinge, y_true, y_pred)


@register_function()
def squared_hinge(y_true, y_pred):
    """Per-sample mean(max(1 − y'·y_pred, 0)², axis=−1); 0/1 labels become −1/+1."""
    return per_sample(SquaredHinge, y_true, y_pred)


@register_function()
def categorical_hinge(y_true, y_pred):
    """Per-sample max(max((1 − y)·y_pred) − Σ y·y_pred + 1, 0)."""
    return per_sample(CategoricalHinge, y_true, y_pred)
