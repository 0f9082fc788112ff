"""Focal cross-entropies: binary and categorical (Keras 3)."""

from __future__ import annotations

import math

import numpy as np

from .. import _core
from ._axis import _AxisLoss, check_axis
from ._base import check_probability_smoothing, per_sample, register_function

__all__ = [
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
]


def check_gamma(gamma) -> float:
    """``gamma`` as a finite float ≥ 0, else a TypeError/ValueError."""
    try:
        g = float(gamma)
    except (TypeError, ValueError):
        raise TypeError(f"gamma must be a float, got {gamma!r}") from None
    if not (g >= 0.0 and math.isfinite(g)):
        raise ValueError(f"gamma must be a finite number >= 0, got {gamma!r}")
    return g


def check_alpha(alpha) -> float:
    """``alpha`` as a finite float (one factor for every class), else an error."""
    if isinstance(alpha, (str, bytes)) or np.ndim(alpha) != 0:
        raise TypeError(
            f"alpha must be a single float (per-class alphas are not supported), got {alpha!r}"
        )
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise TypeError(f"alpha must be a float, got {alpha!r}") from None
    if not math.isfinite(a):
        raise ValueError(f"alpha must be finite, got {alpha!r}")
    return a


class _FocalLoss(_AxisLoss):
    """Shared arguments of the focal losses and their native parameters."""

    # Set by each focal loss's __init__.
    from_logits: bool
    label_smoothing: float
    alpha: float
    gamma: float

    def _native_kind(self) -> str:
        return self._kind + ("_from_logits" if self.from_logits else "")

    def _native_params(self) -> _core.LossParams:
        params = _core.LossParams()
        params.label_smoothing = self.label_smoothing
        params.alpha = self.alpha
        params.gamma = self.gamma
        params.apply_class_balancing = getattr(self, "apply_class_balancing", False)
        return params


class BinaryFocalCrossentropy(_FocalLoss):
    """Binary focal cross-entropy (Keras ``BinaryFocalCrossentropy``).

    t = y_true(1 − ls) + ls/2; p = sigmoid(y_pred) with ``from_logits``, else
    y_pred; q = clip(p, ε, 1 − ε); bce = −(t·log q + (1 − t)·log(1 − q));
    1 − p_t = t(1 − p) + (1 − t)p; L = mean(w·(1 − p_t)^γ·bce, axis=−1) with
    w = t·α + (1 − t)(1 − α) under ``apply_class_balancing``, else 1.
    ∂L/∂p = w·(γ(1 − p_t)^(γ−1)(1 − 2t)·bce + (1 − p_t)^γ·(q − t)/(q(1 − q)))/d,
    the second term 0 where p is clipped; from logits times p(1 − p).

    Parameters
    ----------
    apply_class_balancing : bool
        Weigh class 1 by α and class 0 by 1 − α.
    alpha : float
        The balancing factor (default 0.25).
    gamma : float
        The focusing exponent, ≥ 0 (default 2.0; 0 gives the cross-entropy).
    from_logits : bool
        Whether y_pred holds logits.
    label_smoothing : float
        In [0, 1]; squeezes the labels towards 0.5.
    axis : int
        The axis averaged over (default −1). Another axis is moved last
        first (copies of the inputs, and of the gradient back).

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> y = np.array([[0., 1.], [0., 0.]], np.float32)
    >>> p = np.array([[0.6, 0.4], [0.4, 0.6]], np.float32)
    >>> ok.losses.binary_focal_crossentropy(y, p).round(3)
    array([0.33 , 0.206], dtype=float32)
    """

    _kind = "binary_focal_crossentropy"
    _default_name = "binary_focal_crossentropy"

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name=None,
    ):
        self.apply_class_balancing = bool(apply_class_balancing)
        self.alpha = check_alpha(alpha)
        self.gamma = check_gamma(gamma)
        self.from_logits = bool(from_logits)
        self.label_smoothing = check_probability_smoothing(label_smoothing)
        self.axis = check_axis(axis)
        super().__init__(reduction=reduction, name=name)

    def _config(self) -> dict:
        return {
            "apply_class_balancing": self.apply_class_balancing,
            "alpha": self.alpha,
            "gamma": self.gamma,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class CategoricalFocalCrossentropy(_FocalLoss):
    """Categorical focal cross-entropy (Keras ``CategoricalFocalCrossentropy``).

    t = y_true(1 − ls) + ls/K; r = softmax(y_pred) with ``from_logits``, else
    y_pred/Σy_pred; o = clip(r, ε, 1 − ε); L = Σ α·(1 − o)^γ·(−t·log o) over the
    last axis (summed in double). The gradient goes through the clip (0 where r
    is clipped), the normalisation and, from logits, the softmax.

    Parameters
    ----------
    alpha : float
        One balancing factor for every class (default 0.25).
    gamma : float
        The focusing exponent, ≥ 0 (default 2.0).
    from_logits : bool
        Whether y_pred holds logits.
    label_smoothing : float
        In [0, 1].
    axis : int
        The axis of the classes (default −1). Another axis is moved last
        first (copies of the inputs, and of the gradient back).

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> y = np.array([[0., 1., 0.], [0., 0., 1.]], np.float32)
    >>> p = np.array([[0.05, 0.95, 0.], [0.1, 0.8, 0.1]], np.float32)
    >>> round(ok.losses.CategoricalFocalCrossentropy()(y, p), 4)
    0.2332
    """

    _kind = "categorical_focal_crossentropy"
    _default_name = "categorical_focal_crossentropy"

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name=None,
    ):
        self.alpha = check_alpha(alpha)
        self.gamma = check_gamma(gamma)
        self.from_logits = bool(from_logits)
        self.label_smoothing = check_probability_smoothing(label_smoothing)
        self.axis = check_axis(axis)
        super().__init__(reduction=reduction, name=name)

    def _config(self) -> dict:
        return {
            "alpha": self.alpha,
            "gamma": self.gamma,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


@register_function()
def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Per-sample binary focal cross-entropy (see :class:`BinaryFocalCrossentropy`)."""
    return per_sample(
        BinaryFocalCrossentropy,
        y_true,
        y_pred,
        apply_class_balancing=apply_class_balancing,
        alpha=alpha,
        gamma=gamma,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
        axis=axis,
    )


@register_function()
def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Per-sample categorical focal cross-entropy (see :class:`CategoricalFocalCrossentropy`)."""
    return per_sample(
        CategoricalFocalCrossentropy,
        y_true,
        y_pred,
        alpha=alpha,
        gamma=gamma,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
        axis=axis,
    )
