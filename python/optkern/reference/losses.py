"""Keras 3 losses in plain NumPy: the oracle for ``optkern.losses``.

Written for reading, not speed. Every function computes in float64 from the
formulas, whatever the input dtype, and returns its result in the dtype of
``y_pred`` (float32 or float64; other dtypes give float64). Class axis last,
``EPSILON = 1e-7``, and the clip bounds ε and 1 - ε are exact (float64) for
either dtype.

Three layers:

* per-sample functions named like Keras's functional forms
  (``mean_squared_error(y_true, y_pred)`` ...) returning the per-sample loss L
  (the input's shape without its last axis), each with ``<name>_grad``
  returning dL/dy_pred (shaped like ``y_pred``; since L[i] depends only on
  row i this is also the gradient of ΣL);
* :func:`reduce_weighted`: the sample-weight alignment, the mask and the
  reductions, returning the value and d(value)/dL;
* classes with the public API's names and constructor arguments, whose
  ``value_and_grad`` chains the two. For ``reduction="none"`` the gradient
  returned is that of Σ(L·w).

Rules kept on purpose, each a safer choice than Keras's: labels outside
[0, K) (other than ``ignore_class``) are a ValueError; a zero target times an
infinite logit counts 0; the gradient of |e| at e = 0 is 0; an empty batch
reduces to 0. Where a clip is applied, the gradient is 0 strictly outside
the clip interval and passes through on it.

>>> import numpy as np
>>> from optkern.reference import losses as R
>>> y = np.array([[1., 9, 2], [-5, -2, 6]], np.float32)
>>> p = np.array([[4., 8, 12], [8, 1, 3]], np.float32)
>>> float(R.MeanSquaredError()(y, p))
49.5
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# ----------------------------------------------------------------- helpers


def _out_dtype(y_pred) -> np.dtype:
    dt = np.asarray(y_pred).dtype
    return dt if dt in (np.float32, np.float64) else np.dtype(np.float64)


def _times(c, x):
    """``c * x`` where a zero coefficient wins over an infinite ``x``."""
    c, x = np.broadcast_arrays(np.asarray(c, np.float64), np.asarray(x, np.float64))
    out = np.zeros(c.shape)
    nz = c != 0
    out[nz] = c[nz] * x[nz]
    return out


def _sigmoid(x):
    x = np.asarray(x, np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _logsumexp(x):
    x = np.asarray(x, np.float64)
    m = np.max(x, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return (m + np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True)))[..., 0]


def _softmax(x):
    x = np.asarray(x, np.float64)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _check_fraction(value, name):
    value = float(value)
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


def _align_dense(y_true, y_pred):
    """Keras's rank alignment of targets and predictions, then equal shapes.

    If one has exactly one more axis, of size 1: a 1-D other is expanded to
    (B, 1), else that axis is squeezed. Returns float64 arrays and the
    original shape of ``y_pred`` (for the gradient)."""
    yt = np.asarray(y_true, np.float64)
    yp = np.asarray(y_pred, np.float64)
    shape = yp.shape
    if yt.ndim == yp.ndim + 1 and yt.shape[-1] == 1:
        yp = yp[..., None] if yp.ndim == 1 else yp
        yt = yt if yp.ndim == yt.ndim else yt[..., 0]
    elif yp.ndim == yt.ndim + 1 and yp.shape[-1] == 1:
        yt = yt[..., None] if yt.ndim == 1 else yt
        yp = yp if yp.ndim == yt.ndim else yp[..., 0]
    if yt.shape != yp.shape:
        raise ValueError(f"y_true shape {np.shape(y_true)} does not match y_pred shape {shape}")
    if yp.ndim == 0:
        raise ValueError("y_pred must have at least one axis")
    return yt, yp, shape


def _sparse_labels(y_true, y_pred, ignore_class):
    """Integer labels of shape y_pred.shape[:-1] (a trailing 1 is squeezed),
    the validity mask, and the labels with ignored rows set to 0."""
    labels = np.asarray(y_true)
    yp = np.asarray(y_pred, np.float64)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"y_true must hold integer labels, got dtype {labels.dtype}")
    if yp.ndim < 1:
        raise ValueError("y_pred must have a class axis")
    if labels.ndim == yp.ndim and labels.shape[-1:] == (1,):
        labels = labels[..., 0]
    if labels.shape != yp.shape[:-1]:
        raise ValueError(
            f"y_true shape {np.shape(y_true)} does not match "
            f"y_pred shape {yp.shape} without its class axis"
        )
    k = yp.shape[-1]
    valid = np.ones(labels.shape, bool) if ignore_class is None else labels != ignore_class
    bad = valid & ((labels < 0) | (labels >= k))
    if bad.any():
        raise ValueError(
            f"y_true holds labels outside [0, {k}): {labels[bad].ravel()[:5].tolist()}"
        )
    return np.where(valid, labels, 0).astype(np.int64), valid, yp


def _onehot(labels, k):
    return (labels[..., None] == np.arange(k)).astype(np.float64)


def _through_normalisation(g, r, s):
    """d/dŷ of f(ŷ/Σŷ) given g = df/dr, r = ŷ/Σŷ, s = Σŷ (keepdims)."""
    return (g - np.sum(g * r, axis=-1, keepdims=True)) / s


def _cast(x, like):
    return np.asarray(x, np.float64).astype(_out_dtype(like))


def _cast_grad(g, like):
    """A gradient in the aligned shape, returned in y_pred's own shape."""
    return _cast(g, like).reshape(np.shape(like))


# ----------------------------------------- per-sample losses: float64 core
# Each ``_name(y_true, y_pred, ...)`` returns (L, dL/dŷ) in float64, the
# gradient in the aligned shape (same size as y_pred).


def _mse(y_true, y_pred):
    yt, yp, _ = _align_dense(y_true, y_pred)
    d = yp.shape[-1]
    e = yp - yt
    return np.mean(e * e, axis=-1), (2.0 * e / d)


def _mae(y_true, y_pred):
    yt, yp, _ = _align_dense(y_true, y_pred)
    e = yp - yt
    return np.mean(np.abs(e), axis=-1), (np.sign(e) / yp.shape[-1])


def _mape(y_true, y_pred):
    yt, yp, _ = _align_dense(y_true, y_pred)
    scale = np.maximum(np.abs(yt), EPSILON)
    e = yp - yt
    loss = 100.0 * np.mean(np.abs(e) / scale, axis=-1)
    return loss, (100.0 * np.sign(e) / scale / yp.shape[-1])


def _msle(y_true, y_pred):
    yt, yp, _ = _align_dense(y_true, y_pred)
    a = np.log(np.maximum(yp, EPSILON) + 1.0)
    b = np.log(np.maximum(yt, EPSILON) + 1.0)
    passes = yp >= EPSILON
    grad = np.where(passes, 2.0 * (a - b) / (np.maximum(yp, EPSILON) + 1.0), 0.0)
    return np.mean((a - b) ** 2, axis=-1), (grad / yp.shape[-1])


def _huber(y_true, y_pred, delta=1.0):
    delta = float(delta)
    if not delta >= 0.0:
        raise ValueError(f"delta must be >= 0, got {delta}")
    yt, yp, _ = _align_dense(y_true, y_pred)
    e = yp - yt
    quadratic = np.abs(e) <= delta
    loss = np.where(quadratic, 0.5 * e * e, delta * np.abs(e) - 0.5 * delta * delta)
    grad = np.where(quadratic, e, delta * np.sign(e))
    return np.mean(loss, axis=-1), (grad / yp.shape[-1])


def _log_cosh(y_true, y_pred):
    yt, yp, _ = _align_dense(y_true, y_pred)
    x = yp - yt
    # log cosh x = |x| + log1p(e^(-2|x|)) - log 2, exact for every finite x
    loss = np.abs(x) + np.log1p(np.exp(-2.0 * np.abs(x))) - math.log(2.0)
    return np.mean(loss, axis=-1), (np.tanh(x) / yp.shape[-1])


def _hinge_labels(yt):
    """Keras: labels that are all 0 or 1 (over the whole array) become -1/+1."""
    if np.all((yt == 0) | (yt == 1)):
        return 2.0 * yt - 1.0
    return yt


def _hinge(y_true, y_pred):
    yt, yp, _ = _align_dense(y_true, y_pred)
    yt = _hinge_labels(yt)
    margin = 1.0 - yt * yp
    grad = np.where(margin > 0, -yt, 0.0)
    return np.mean(np.maximum(margin, 0.0), axis=-1), (grad / yp.shape[-1])


def _squared_hinge(y_true, y_pred):
    yt, yp, _ = _align_dense(y_true, y_pred)
    yt = _hinge_labels(yt)
    m = np.maximum(1.0 - yt * yp, 0.0)
    return np.mean(m * m, axis=-1), (-2.0 * yt * m / yp.shape[-1])


def _categorical_hinge(y_true, y_pred):
    yt, yp, _ = _align_dense(y_true, y_pred)
    pos = np.sum(yt * yp, axis=-1)
    others = (1.0 - yt) * yp
    neg = np.max(others, axis=-1)
    loss = np.maximum(neg - pos + 1.0, 0.0)
    top = _onehot(np.argmax(others, axis=-1), yp.shape[-1])  # first maximum
    grad = np.where((loss > 0)[..., None], (1.0 - yt) * top - yt, 0.0)
    return loss, grad


def _kl_divergence(y_true, y_pred):
    yt, yp, _ = _align_dense(y_true, y_pred)
    t = np.clip(yt, EPSILON, 1.0)
    q = np.clip(yp, EPSILON, 1.0)
    passes = (yp >= EPSILON) & (yp <= 1.0)
    return np.sum(t * np.log(t / q), axis=-1), np.where(passes, -t / q, 0.0)


def _poisson(y_true, y_pred):
    yt, yp, _ = _align_dense(y_true, y_pred)
    loss = np.mean(yp - yt * np.log(yp + EPSILON), axis=-1)
    return loss, ((1.0 - yt / (yp + EPSILON)) / yp.shape[-1])


def _cosine_similarity(y_true, y_pred, axis=-1):
    yt, yp, _ = _align_dense(y_true, y_pred)
    yt, yp = np.moveaxis(yt, axis, -1), np.moveaxis(yp, axis, -1)
    u = yt / np.maximum(np.linalg.norm(yt, axis=-1, keepdims=True), EPSILON)
    n = np.linalg.norm(yp, axis=-1, keepdims=True)
    big = n >= EPSILON
    nn = np.maximum(n, EPSILON)
    loss = -np.sum(u * yp / nn, axis=-1)
    dot = np.sum(u * yp, axis=-1, keepdims=True)
    # d/dŷ of -u·ŷ/max(‖ŷ‖, ε): the norm term exists only where ‖ŷ‖ ≥ ε
    grad = np.where(big, -(u - dot * yp / (nn * nn)) / nn, -u / EPSILON)
    return loss, np.moveaxis(grad, -1, axis)


def _bce(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    ls = _check_fraction(label_smoothing, "label_smoothing")
    yt, x, _ = _align_dense(y_true, y_pred)
    t = yt * (1.0 - ls) + 0.5 * ls
    d = x.shape[-1]
    if from_logits:
        # max(x,0) - x·t + log1p(e^-|x|), written so that a zero coefficient
        # times an infinite logit counts 0
        loss = np.where(x >= 0, _times(1.0 - t, x), _times(-t, x)) + np.log1p(np.exp(-np.abs(x)))
        grad = _sigmoid(x) - t
    else:
        q = np.clip(x, EPSILON, 1.0 - EPSILON)
        loss = -(t * np.log(q) + (1.0 - t) * np.log(1.0 - q))
        passes = (x >= EPSILON) & (x <= 1.0 - EPSILON)
        grad = np.where(passes, (q - t) / (q * (1.0 - q)), 0.0)
    return np.mean(loss, axis=-1), (grad / d)


def _along_axis(core, y_true, y_pred, axis, *args):
    """Run a core that reduces the last axis along ``axis`` instead: that axis
    is moved last and the gradient moved back."""
    moved = [np.moveaxis(np.asarray(a), axis, -1) for a in (y_true, y_pred)]
    L, G = core(*moved, *args)
    return L, np.moveaxis(G, -1, axis)


def _binary_focal(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    if axis != -1:
        return _along_axis(
            _binary_focal,
            y_true,
            y_pred,
            axis,
            apply_class_balancing,
            alpha,
            gamma,
            from_logits,
            label_smoothing,
        )
    ls = _check_fraction(label_smoothing, "label_smoothing")
    gamma, alpha = float(gamma), float(alpha)
    if not gamma >= 0.0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    yt, x, _ = _align_dense(y_true, y_pred)
    t = yt * (1.0 - ls) + 0.5 * ls
    p = _sigmoid(x) if from_logits else x
    q = np.clip(p, EPSILON, 1.0 - EPSILON)
    log_q, log_1mq = np.log(q), np.log(1.0 - q)
    if from_logits:
        # log σ(x) = -softplus(-x), log(1 - σ(x)) = -softplus(x), clipped like q:
        # 1 - σ(x) itself cancels for large x
        bounds = (math.log(EPSILON), math.log(1.0 - EPSILON))
        with np.errstate(invalid="ignore"):  # a NaN logit stays NaN
            log_q = np.clip(-np.logaddexp(0.0, -x), *bounds)
            log_1mq = np.clip(-np.logaddexp(0.0, x), *bounds)
    bce = -(t * log_q + (1.0 - t) * log_1mq)
    dbce = np.where((p >= EPSILON) & (p <= 1.0 - EPSILON), (q - t) / (q * (1.0 - q)), 0.0)
    one_minus_pt = t + p - 2.0 * t * p  # 1 - (t·p + (1-t)(1-p))
    focal = one_minus_pt**gamma
    dfocal = gamma * one_minus_pt ** (gamma - 1.0) * (1.0 - 2.0 * t) if gamma else 0.0 * p
    balance = t * alpha + (1.0 - t) * (1.0 - alpha) if apply_class_balancing else 1.0
    loss = balance * focal * bce
    grad = balance * (dfocal * bce + focal * dbce)
    if from_logits:
        grad = grad * p * (1.0 - p)
    return np.mean(loss, axis=-1), (grad / x.shape[-1])


def _cce(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    ls = _check_fraction(label_smoothing, "label_smoothing")
    yt, x, _ = _align_dense(y_true, y_pred)
    k = x.shape[-1]
    t = yt * (1.0 - ls) + ls / k
    if from_logits:
        log_softmax = x - _logsumexp(x)[..., None]
        loss = -np.sum(_times(t, log_softmax), axis=-1)
        grad = _softmax(x) * np.sum(t, axis=-1, keepdims=True) - t
    else:
        s = np.sum(x, axis=-1, keepdims=True)
        r = x / s
        q = np.clip(r, EPSILON, 1.0 - EPSILON)
        loss = -np.sum(t * np.log(q), axis=-1)
        g = np.where((r >= EPSILON) & (r <= 1.0 - EPSILON), -t / q, 0.0)
        grad = _through_normalisation(g, r, s)
    return loss, grad


def _categorical_focal(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    if axis != -1:
        return _along_axis(
            _categorical_focal, y_true, y_pred, axis, alpha, gamma, from_logits, label_smoothing
        )
    ls = _check_fraction(label_smoothing, "label_smoothing")
    gamma, alpha = float(gamma), float(alpha)
    if not gamma >= 0.0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    yt, x, _ = _align_dense(y_true, y_pred)
    k = x.shape[-1]
    t = yt * (1.0 - ls) + ls / k
    p = _softmax(x) if from_logits else x
    s = np.sum(p, axis=-1, keepdims=True)
    r = p / s
    q = np.clip(r, EPSILON, 1.0 - EPSILON)
    cce = -t * np.log(q)
    focal = (1.0 - q) ** gamma
    loss = np.sum(alpha * focal * cce, axis=-1)
    dfocal = -gamma * (1.0 - q) ** (gamma - 1.0) if gamma else 0.0 * q
    g = alpha * (dfocal * cce + focal * (-t / q))
    g = np.where((r >= EPSILON) & (r <= 1.0 - EPSILON), g, 0.0)
    h = _through_normalisation(g, r, s)  # d loss / d p
    if from_logits:
        h = p * (h - np.sum(h * p, axis=-1, keepdims=True))
    return loss, h


def _sparse_cce(y_true, y_pred, from_logits=False, ignore_class=None):
    labels, valid, x = _sparse_labels(y_true, y_pred, ignore_class)
    k = x.shape[-1]
    onehot = _onehot(labels, k)
    if from_logits:
        picked = np.sum(_times(onehot, x), axis=-1)
        loss = _logsumexp(x) - picked
        grad = _softmax(x) - onehot
    else:
        s = np.sum(x, axis=-1, keepdims=True)
        r = x / s
        q = np.clip(r, EPSILON, 1.0 - EPSILON)
        loss = -np.log(np.sum(onehot * q, axis=-1))
        g = np.where((r >= EPSILON) & (r <= 1.0 - EPSILON), -onehot / q, 0.0)
        grad = _through_normalisation(g, r, s)
    loss = np.where(valid, loss, 0.0)
    grad = np.where(valid[..., None], grad, 0.0)
    return loss, grad, valid


def _z_loss(logits, z):
    """z·logsumexp(x)² per row and its gradient 2z·logsumexp(x)·softmax(x)."""
    x = np.asarray(logits, np.float64)
    lse = _logsumexp(x)
    return z * lse * lse, 2.0 * z * lse[..., None] * _softmax(x)


# ------------------------------------ per-sample losses: public functions


def mean_squared_error(y_true, y_pred):
    """``mean((y - ŷ)², axis=-1)``."""
    return _cast(_mse(y_true, y_pred)[0], y_pred)


def mean_squared_error_grad(y_true, y_pred):
    """``2(ŷ - y)/d``, d the last-axis size."""
    return _cast_grad(_mse(y_true, y_pred)[1], y_pred)


def mean_absolute_error(y_true, y_pred):
    """``mean(|y - ŷ|, axis=-1)``."""
    return _cast(_mae(y_true, y_pred)[0], y_pred)


def mean_absolute_error_grad(y_true, y_pred):
    """``sign(ŷ - y)/d``, 0 where ŷ = y."""
    return _cast_grad(_mae(y_true, y_pred)[1], y_pred)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100·mean(|y - ŷ| / max(|y|, ε), axis=-1)``."""
    return _cast(_mape(y_true, y_pred)[0], y_pred)


def mean_absolute_percentage_error_grad(y_true, y_pred):
    """``100·sign(ŷ - y)/max(|y|, ε)/d``."""
    return _cast_grad(_mape(y_true, y_pred)[1], y_pred)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(max(ŷ,ε)+1) - log(max(y,ε)+1))², axis=-1)``."""
    return _cast(_msle(y_true, y_pred)[0], y_pred)


def mean_squared_logarithmic_error_grad(y_true, y_pred):
    """``2(a - b)/(ŷ + 1)/d`` where ŷ ≥ ε, else 0."""
    return _cast_grad(_msle(y_true, y_pred)[1], y_pred)


def huber(y_true, y_pred, delta=1.0):
    """e = ŷ - y: ``½e²`` if ``|e| ≤ δ`` else ``δ|e| - ½δ²``; mean over the last axis."""
    return _cast(_huber(y_true, y_pred, delta)[0], y_pred)


def huber_grad(y_true, y_pred, delta=1.0):
    """``e/d`` if ``|e| ≤ δ`` else ``δ·sign(e)/d``."""
    return _cast_grad(_huber(y_true, y_pred, delta)[1], y_pred)


def log_cosh(y_true, y_pred):
    """``mean(log cosh(ŷ - y), axis=-1)``."""
    return _cast(_log_cosh(y_true, y_pred)[0], y_pred)


def log_cosh_grad(y_true, y_pred):
    """``tanh(ŷ - y)/d``."""
    return _cast_grad(_log_cosh(y_true, y_pred)[1], y_pred)


def hinge(y_true, y_pred):
    """``mean(max(1 - y·ŷ, 0), axis=-1)``; all-0/1 labels become -1/+1 first."""
    return _cast(_hinge(y_true, y_pred)[0], y_pred)


def hinge_grad(y_true, y_pred):
    """``-y/d`` where ``1 - y·ŷ > 0``, else 0."""
    return _cast_grad(_hinge(y_true, y_pred)[1], y_pred)


def squared_hinge(y_true, y_pred):
    """``mean(max(1 - y·ŷ, 0)², axis=-1)``; all-0/1 labels become -1/+1 first."""
    return _cast(_squared_hinge(y_true, y_pred)[0], y_pred)


def squared_hinge_grad(y_true, y_pred):
    """``-2y·max(1 - y·ŷ, 0)/d``."""
    return _cast_grad(_squared_hinge(y_true, y_pred)[1], y_pred)


def categorical_hinge(y_true, y_pred):
    """``max(max((1-y)·ŷ) - Σ y·ŷ + 1, 0)``."""
    return _cast(_categorical_hinge(y_true, y_pred)[0], y_pred)


def categorical_hinge_grad(y_true, y_pred):
    """Where the loss is positive: ``(1-y)·onehot(argmax (1-y)·ŷ) - y`` (first
    maximum on ties); else 0."""
    return _cast_grad(_categorical_hinge(y_true, y_pred)[1], y_pred)


def kl_divergence(y_true, y_pred):
    """``Σ t·log(t/q)``, t = clip(y, ε, 1), q = clip(ŷ, ε, 1)."""
    return _cast(_kl_divergence(y_true, y_pred)[0], y_pred)


def kl_divergence_grad(y_true, y_pred):
    """``-t/q`` where ε ≤ ŷ ≤ 1, else 0."""
    return _cast_grad(_kl_divergence(y_true, y_pred)[1], y_pred)


def poisson(y_true, y_pred):
    """``mean(ŷ - y·log(ŷ + ε), axis=-1)``."""
    return _cast(_poisson(y_true, y_pred)[0], y_pred)


def poisson_grad(y_true, y_pred):
    """``(1 - y/(ŷ + ε))/d``."""
    return _cast_grad(_poisson(y_true, y_pred)[1], y_pred)


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-Σ y/max(‖y‖, ε) · ŷ/max(‖ŷ‖, ε)`` along ``axis``."""
    return _cast(_cosine_similarity(y_true, y_pred, axis)[0], y_pred)


def cosine_similarity_grad(y_true, y_pred, axis=-1):
    """With u = y/max(‖y‖, ε), n = ‖ŷ‖: ``-(u - (u·ŷ)ŷ/n²)/n`` if n ≥ ε, else ``-u/ε``."""
    return _cast_grad(_cosine_similarity(y_true, y_pred, axis)[1], y_pred)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """t = y(1-ls) + ½ls. Logits: ``max(x,0) - x·t + log1p(e^-|x|)``;
    probabilities: q = clip(ŷ, ε, 1-ε), ``-(t log q + (1-t) log(1-q))``;
    mean over the last axis."""
    return _cast(_bce(y_true, y_pred, from_logits, label_smoothing)[0], y_pred)


def binary_crossentropy_grad(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Logits: ``(σ(x) - t)/d``; probabilities: ``(q - t)/(q(1-q))/d``, 0 where clipped."""
    return _cast_grad(_bce(y_true, y_pred, from_logits, label_smoothing)[1], y_pred)


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
    """t smoothed as for BCE; p = σ(x) or ŷ; ``mean(w·(1 - p_t)^γ·bce(t, p))``
    along ``axis``, with p_t = t·p + (1-t)(1-p), bce on clip(p, ε, 1-ε), and
    w = t·α + (1-t)(1-α) under class balancing, else 1."""
    return _cast(
        _binary_focal(
            y_true, y_pred, apply_class_balancing, alpha, gamma, from_logits, label_smoothing, axis
        )[0],
        y_pred,
    )


def binary_focal_crossentropy_grad(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """``w·(γ(1-p_t)^(γ-1)(1-2t)·bce + (1-p_t)^γ·dbce/dp)/d``, times σ'(x) from logits."""
    return _cast_grad(
        _binary_focal(
            y_true, y_pred, apply_class_balancing, alpha, gamma, from_logits, label_smoothing, axis
        )[1],
        y_pred,
    )


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """t = y(1-ls) + ls/K. Logits: ``-Σ t·log_softmax(x)`` (zero target times
    -inf counts 0); probabilities: ``-Σ t·log clip(ŷ/Σŷ, ε, 1-ε)``."""
    return _cast(_cce(y_true, y_pred, from_logits, label_smoothing)[0], y_pred)


def categorical_crossentropy_grad(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Logits: ``softmax(x)·Σt - t``; probabilities: through the normalisation,
    0 where clipped."""
    return _cast_grad(_cce(y_true, y_pred, from_logits, label_smoothing)[1], y_pred)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """t smoothed as for CCE; q = clip(p/Σp, ε, 1-ε), p = softmax(x) or ŷ;
    ``Σ α·(1-q)^γ·(-t log q)`` along ``axis``."""
    return _cast(
        _categorical_focal(y_true, y_pred, alpha, gamma, from_logits, label_smoothing, axis)[0],
        y_pred,
    )


def categorical_focal_crossentropy_grad(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Chain rule through the clip (0 where clipped), the normalisation and,
    from logits, the softmax."""
    return _cast_grad(
        _categorical_focal(y_true, y_pred, alpha, gamma, from_logits, label_smoothing, axis)[1],
        y_pred,
    )


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None):
    """Logits: ``logsumexp(x) - x[label]``; probabilities:
    ``-log clip(ŷ/Σŷ, ε, 1-ε)[label]``; rows labelled ``ignore_class`` give 0."""
    return _cast(_sparse_cce(y_true, y_pred, from_logits, ignore_class)[0], y_pred)


def sparse_categorical_crossentropy_grad(y_true, y_pred, from_logits=False, ignore_class=None):
    """Logits: ``softmax(x) - onehot(label)``; ignored rows 0."""
    return _cast_grad(_sparse_cce(y_true, y_pred, from_logits, ignore_class)[1], y_pred)


def z_loss(logits, z):
    """``z·logsumexp(x)²`` per row, the auxiliary term of the logits cross-entropies."""
    return _cast(_z_loss(logits, float(z))[0], logits)


def z_loss_grad(logits, z):
    """``2z·logsumexp(x)·softmax(x)``."""
    return _cast_grad(_z_loss(logits, float(z))[1], logits)


# ---------------------------------------------------------------- reduction


def align_sample_weight(losses, sample_weight):
    """Keras's alignment of a sample weight with the per-sample loss L.

    If w has one more axis than L and that axis has size 1: L becomes (B, 1)
    when it is 1-D, else w is squeezed. Symmetrically, if L has one more axis
    of size 1: a 1-D w becomes (B, 1), else L is squeezed (a scalar w never
    reshapes L). Then w must broadcast to L's shape. Returns (L, w) in float64, w broadcast to L."""
    L = np.asarray(losses, np.float64)
    if sample_weight is None:
        return L, np.ones(L.shape)
    w = np.asarray(sample_weight, np.float64)
    if w.ndim == L.ndim + 1 and w.shape[-1] == 1:
        if L.ndim == 1:
            L = L[:, None]
        else:
            w = w[..., 0]
    elif w.ndim >= 1 and L.ndim == w.ndim + 1 and L.shape[-1] == 1:
        if w.ndim == 1:
            w = w[:, None]
        else:
            L = L[..., 0]
    try:
        w = np.broadcast_to(w, L.shape)
    except ValueError:
        raise ValueError(
            f"sample_weight shape {np.shape(sample_weight)} does not "
            f"broadcast to the per-sample loss shape {np.shape(losses)}"
        ) from None
    return L, w


def check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return "none" if reduction is None else reduction


def reduce_weighted(losses, sample_weight=None, reduction="sum_over_batch_size", mask=None):
    """Reduce the per-sample loss L; return ``(value, dvalue_dL)`` in float64.

    ``mask`` (True = valid, L's shape) is folded into the weight first:
    w ← w·mask. Then ``"sum"``: Σ(L·w); ``"sum_over_batch_size"``/``"mean"``:
    Σ(L·w)/n with n = L.size, or the number of valid entries under a mask;
    ``"mean_with_sample_weight"``: Σ(L·w)/Σw (w broadcast to L); ``"none"``:
    L·w (in the aligned shape), whose gradient is taken as that of Σ(L·w).
    A zero weight removes its sample even when its loss is infinite.
    A zero divisor gives 0, so an empty batch reduces to 0. ``dvalue_dL`` has
    L's original shape."""
    reduction = check_reduction(reduction)
    shape = np.shape(losses)
    L, w = align_sample_weight(losses, sample_weight)
    if mask is not None:
        w = w * np.asarray(mask, bool).reshape(L.shape)
    weighted = _times(w, L)
    total = float(np.sum(weighted))
    if reduction == "none":
        return weighted, w.reshape(shape)
    if reduction == "sum":
        divisor = 1.0
    elif reduction == "mean_with_sample_weight":
        divisor = float(np.sum(w))
    elif mask is not None:
        divisor = float(np.count_nonzero(mask))
    else:
        divisor = float(L.size)
    if divisor == 0.0:
        return 0.0, np.zeros(shape)
    return total / divisor, (w / divisor).reshape(shape)


# ------------------------------------------------------------------ classes


class Loss:
    """Keras-style loss: ``__call__`` gives the reduced value,
    ``value_and_grad`` the value and d(value)/d(y_pred)."""

    default_name = "loss"

    def __init__(self, reduction="sum_over_batch_size", name=None):
        self.reduction = reduction
        check_reduction(reduction)
        self.name = self.default_name if name is None else name

    def per_sample(self, y_true, y_pred):
        """Before reduction, in float64: the per-sample loss L, dL/dŷ in the
        aligned shape, and the validity mask (None when nothing is masked)."""
        raise NotImplementedError

    def _arguments(self):
        return {}

    def _class_axis(self):
        """The axis of y_pred that the per-sample loss reduces."""
        return -1

    def value_and_grad(self, y_true, y_pred, sample_weight=None):
        out = _out_dtype(y_pred)
        L, dL, mask = self.per_sample(y_true, y_pred)
        value, dvalue_dL = reduce_weighted(L, sample_weight, self.reduction, mask)
        grad = np.expand_dims(dvalue_dL, self._class_axis()) * dL
        value = np.asarray(value, np.float64).astype(out)
        value = value if value.ndim else out.type(value)
        return value, grad.astype(out).reshape(np.shape(y_pred))

    def __call__(self, y_true, y_pred, sample_weight=None):
        return self.value_and_grad(y_true, y_pred, sample_weight)[0]

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction, **self._arguments()}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _Dense(Loss):
    """A loss whose per-sample function takes (y_true, y_pred, **arguments)."""

    _fn: Any = None  # the per-sample function, a staticmethod of each subclass

    def __init__(self, reduction="sum_over_batch_size", name=None, **arguments):
        super().__init__(reduction, name)
        self._kw = arguments

    def _arguments(self):
        return dict(self._kw)

    def per_sample(self, y_true, y_pred):
        L, G = type(self)._fn(y_true, y_pred, **self._kw)
        return L, G, None


class MeanSquaredError(_Dense):
    default_name, _fn = "mean_squared_error", staticmethod(_mse)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(reduction, name)


class MeanAbsoluteError(_Dense):
    default_name, _fn = "mean_absolute_error", staticmethod(_mae)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(reduction, name)


class MeanAbsolutePercentageError(_Dense):
    default_name, _fn = "mean_absolute_percentage_error", staticmethod(_mape)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error"):
        super().__init__(reduction, name)


class MeanSquaredLogarithmicError(_Dense):
    default_name, _fn = "mean_squared_logarithmic_error", staticmethod(_msle)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error"):
        super().__init__(reduction, name)


class Huber(_Dense):
    default_name, _fn = "huber_loss", staticmethod(_huber)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(reduction, name, delta=delta)


class LogCosh(_Dense):
    default_name, _fn = "log_cosh", staticmethod(_log_cosh)

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh"):
        super().__init__(reduction, name)


class Hinge(_Dense):
    default_name, _fn = "hinge", staticmethod(_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="hinge"):
        super().__init__(reduction, name)


class SquaredHinge(_Dense):
    default_name, _fn = "squared_hinge", staticmethod(_squared_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge"):
        super().__init__(reduction, name)


class CategoricalHinge(_Dense):
    default_name, _fn = "categorical_hinge", staticmethod(_categorical_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge"):
        super().__init__(reduction, name)


class KLDivergence(_Dense):
    default_name, _fn = "kl_divergence", staticmethod(_kl_divergence)

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence"):
        super().__init__(reduction, name)


class Poisson(_Dense):
    default_name, _fn = "poisson", staticmethod(_poisson)

    def __init__(self, reduction="sum_over_batch_size", name="poisson"):
        super().__init__(reduction, name)


class CosineSimilarity(_Dense):
    default_name, _fn = "cosine_similarity", staticmethod(_cosine_similarity)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity"):
        super().__init__(reduction, name, axis=axis)

    def _class_axis(self):
        return self._kw["axis"]


class BinaryCrossentropy(_Dense):
    default_name, _fn = "binary_crossentropy", staticmethod(_bce)

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
    ):
        _check_fraction(label_smoothing, "label_smoothing")
        super().__init__(reduction, name, from_logits=from_logits, label_smoothing=label_smoothing)


class BinaryFocalCrossentropy(_Dense):
    default_name, _fn = "binary_focal_crossentropy", staticmethod(_binary_focal)

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
    ):
        _check_fraction(label_smoothing, "label_smoothing")
        super().__init__(
            reduction,
            name,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )

    def _class_axis(self):
        return self._kw["axis"]


class CategoricalFocalCrossentropy(_Dense):
    default_name, _fn = "categorical_focal_crossentropy", staticmethod(_categorical_focal)

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
    ):
        _check_fraction(label_smoothing, "label_smoothing")
        super().__init__(
            reduction,
            name,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )

    def _class_axis(self):
        return self._kw["axis"]


def _check_z_loss(z_loss, from_logits):
    z = float(z_loss)
    if not (z >= 0.0 and math.isfinite(z)):
        raise ValueError(f"z_loss must be a finite number >= 0, got {z_loss}")
    if z and not from_logits:
        raise ValueError("z_loss needs from_logits=True")
    return z


class CategoricalCrossentropy(Loss):
    """Adds ``z_loss·logsumexp(x)²`` per row when ``z_loss > 0`` (logits only)."""

    default_name = "categorical_crossentropy"

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        z_loss=0.0,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
    ):
        super().__init__(reduction, name)
        self.from_logits = from_logits
        self.label_smoothing = _check_fraction(label_smoothing, "label_smoothing")
        self.z_loss = _check_z_loss(z_loss, from_logits)

    def _arguments(self):
        return {
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "z_loss": self.z_loss,
        }

    def per_sample(self, y_true, y_pred):
        L, G = _cce(y_true, y_pred, self.from_logits, self.label_smoothing)
        if self.z_loss:
            zL, zG = _z_loss(y_pred, self.z_loss)
            L, G = L + zL, G + zG
        return L, G, None


class SparseCategoricalCrossentropy(Loss):
    """Adds ``z_loss·logsumexp(x)²`` per valid row when ``z_loss > 0`` (logits only)."""

    default_name = "sparse_categorical_crossentropy"

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        z_loss=0.0,
        reduction="sum_over_batch_size",
        name="sparse_categorical_crossentropy",
    ):
        super().__init__(reduction, name)
        if ignore_class is not None and (
            isinstance(ignore_class, bool) or not isinstance(ignore_class, (int, np.integer))
        ):
            raise TypeError(f"ignore_class must be an int or None, got {ignore_class!r}")
        self.from_logits = from_logits
        self.ignore_class = None if ignore_class is None else int(ignore_class)
        self.z_loss = _check_z_loss(z_loss, from_logits)

    def _arguments(self):
        return {
            "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
            "z_loss": self.z_loss,
        }

    def per_sample(self, y_true, y_pred):
        L, G, valid = _sparse_cce(y_true, y_pred, self.from_logits, self.ignore_class)
        if self.z_loss:
            zL, zG = _z_loss(y_pred, self.z_loss)
            L = L + np.where(valid, zL, 0.0)
            G = G + np.where(valid[..., None], zG, 0.0)
        return L, G, (None if self.ignore_class is None else valid)


LOSSES = {
    cls.__name__: cls
    for cls in (
        MeanSquaredError,
        MeanAbsoluteError,
        MeanAbsolutePercentageError,
        MeanSquaredLogarithmicError,
        Huber,
        LogCosh,
        Hinge,
        SquaredHinge,
        CategoricalHinge,
        KLDivergence,
        Poisson,
        CosineSimilarity,
        BinaryCrossentropy,
        BinaryFocalCrossentropy,
        CategoricalCrossentropy,
        CategoricalFocalCrossentropy,
        SparseCategoricalCrossentropy,
    )
}
"""Every loss class by name."""
