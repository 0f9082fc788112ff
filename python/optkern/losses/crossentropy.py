"""Cross-entropy losses: binary, categorical and sparse categorical (Keras 3)."""

from __future__ import annotations

from .. import _core
from ._base import Loss, check_probability_smoothing, per_sample, register_function

__all__ = [
    "BCE",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "bce",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
]


def _check_z_loss(z_loss) -> float:
    try:
        z = float(z_loss)
    except (TypeError, ValueError):
        raise TypeError(f"z_loss must be a float, got {z_loss!r}") from None
    if not 0.0 <= z < float("inf"):
        raise ValueError(f"z_loss must be a finite float >= 0, got {z_loss!r}")
    return z


def _check_axis(axis):
    if axis != -1:
        raise ValueError(f"axis must be -1 (the class axis is the last one), got {axis!r}")


class BinaryCrossentropy(Loss):
    """Binary cross-entropy (Keras ``BinaryCrossentropy``), the mean over the
    last axis of the elementwise loss, with y' = y·(1 − label_smoothing) +
    ½·label_smoothing.

    From logits x: max(x, 0) − x·y' + log1p(e^−|x|); gradient (σ(x) − y')/d.
    From probabilities: q = clip(y_pred, 1e-7, 1 − 1e-7),
    −(y'·log q + (1 − y')·log(1 − q)); gradient (q − y')/(q(1 − q))/d, 0 where
    y_pred was clipped.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> x = np.array([[1e4, -1e4, 30.0, 0.0]])
    >>> float(ok.losses.BinaryCrossentropy(from_logits=True)(np.array([[0., 1., 0., 1.]]), x))
    5007.673286795147
    """

    _default_name = "binary_crossentropy"

    def __init__(
        self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size", name=None
    ):
        self.from_logits = bool(from_logits)
        self.label_smoothing = check_probability_smoothing(label_smoothing)
        super().__init__(reduction=reduction, name=name)

    def _native_kind(self):
        return "binary_crossentropy_from_logits" if self.from_logits else "binary_crossentropy"

    def _native_params(self):
        params = _core.LossParams()
        params.label_smoothing = self.label_smoothing
        return params

    def _config(self):
        return {"from_logits": self.from_logits, "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(Loss):
    """Categorical cross-entropy over the last (class) axis (Keras
    ``CategoricalCrossentropy``), y' = y·(1 − label_smoothing) + label_smoothing/K.

    From logits x: L = −Σ y'·log_softmax(x) (a zero target times a −inf logit
    counts 0) plus ``z_loss``·logsumexp(x)²; gradient softmax(x)·(Σy' +
    2·z_loss·logsumexp(x)) − y'.
    From probabilities: q = clip(y_pred/Σy_pred, 1e-7, 1 − 1e-7), L = −Σ y'·log q;
    the gradient goes through the normalisation, 0 where q was clipped.

    ``z_loss`` (an optkern addition, logits only, default 0) keeps the logits'
    log-normaliser near 0.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> loss = ok.losses.CategoricalCrossentropy(from_logits=True)
    >>> value, dlogits = loss.value_and_grad(np.eye(3), np.zeros((3, 3)))
    >>> round(value, 6)
    1.098612
    """

    _default_name = "categorical_crossentropy"

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        z_loss=0.0,
        reduction="sum_over_batch_size",
        name=None,
    ):
        self.from_logits = bool(from_logits)
        self.label_smoothing = check_probability_smoothing(label_smoothing)
        self.z_loss = _check_z_loss(z_loss)
        if self.z_loss and not self.from_logits:
            raise ValueError("z_loss applies to logits only; pass from_logits=True")
        super().__init__(reduction=reduction, name=name)

    def _native_kind(self):
        if self.from_logits:
            return "categorical_crossentropy_from_logits"
        return "categorical_crossentropy"

    def _native_params(self):
        params = _core.LossParams()
        params.label_smoothing = self.label_smoothing
        params.z_loss = self.z_loss
        return params

    def _config(self):
        return {
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "z_loss": self.z_loss,
        }


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy with integer class labels (Keras
    ``SparseCategoricalCrossentropy``): y_true holds one label per row, of any
    integer dtype, shape ``y_pred.shape[:-1]`` (or with a trailing 1).

    From logits x: L = logsumexp(x) − x[label] plus ``z_loss``·logsumexp(x)²;
    gradient softmax(x)·(1 + 2·z_loss·logsumexp(x)) − onehot(label).
    From probabilities: L = −log clip(y_pred/Σy_pred, 1e-7, 1 − 1e-7)[label].
    Rows whose label is ``ignore_class`` count 0 and the mean divides by the
    number of the other rows. Labels outside [0, K) are a ValueError.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> logits = np.array([[8., 1, 1], [0, 9, 1], [2, 3, 5]], np.float32)
    >>> loss = ok.losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> round(loss(np.array([0, 1, 2]), logits), 6)
    0.057376
    """

    _default_name = "sparse_categorical_crossentropy"
    _targets = "labels"

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        z_loss=0.0,
        reduction="sum_over_batch_size",
        name=None,
    ):
        self.from_logits = bool(from_logits)
        if ignore_class is not None:
            if isinstance(ignore_class, bool) or not isinstance(ignore_class, int):
                try:
                    import numpy as np

                    if not isinstance(ignore_class, np.integer):
                        raise TypeError
                except TypeError:
                    raise TypeError(
                        f"ignore_class must be an int or None, got {ignore_class!r}"
                    ) from None
            ignore_class = int(ignore_class)
        self.ignore_class = ignore_class
        self.z_loss = _check_z_loss(z_loss)
        if self.z_loss and not self.from_logits:
            raise ValueError("z_loss applies to logits only; pass from_logits=True")
        super().__init__(reduction=reduction, name=name)

    def _native_kind(self):
        if self.from_logits:
            return "sparse_categorical_crossentropy_from_logits"
        return "sparse_categorical_crossentropy"

    def _native_params(self):
        params = _core.LossParams()
        params.z_loss = self.z_loss
        if self.ignore_class is not None:
            params.has_ignore_class = True
            params.ignore_class = self.ignore_class
        return params

    def _config(self):
        return {
            "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
            "z_loss": self.z_loss,
        }


@register_function("bce", "BCE")
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary cross-entropy (see :class:`BinaryCrossentropy`)."""
    _check_axis(axis)
    return per_sample(
        BinaryCrossentropy, y_true, y_pred, from_logits=from_logits, label_smoothing=label_smoothing
    )


@register_function()
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample categorical cross-entropy (see :class:`CategoricalCrossentropy`)."""
    _check_axis(axis)
    return per_sample(
        CategoricalCrossentropy,
        y_true,
        y_pred,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
    )


@register_function()
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-sample sparse categorical cross-entropy (see
    :class:`SparseCategoricalCrossentropy`)."""
    _check_axis(axis)
    return per_sample(
        SparseCategoricalCrossentropy,
        y_true,
        y_pred,
        from_logits=from_logits,
        ignore_class=ignore_class,
    )


bce = BCE = binary_crossentropy
