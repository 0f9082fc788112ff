"""The base of every loss: reductions, sample weights, the native call, config.

A loss is a thin Python object over one native kernel: ``__call__`` and
``value_and_grad`` make a single call into ``optkern._core``, which computes
the per-sample losses, the reduced value and the gradient with respect to
``y_pred`` in one pass (Keras 3 semantics; see ``docs/losses.md``).

Adding a loss
-------------
1. C++: a kernel header and two one-line registrations (the steps are at the
   top of ``cpp/include/optkern/losses.hpp``). The kernel is then
   ``_core.LossKind.<kind>``.
2. Python: a subclass of :class:`Loss` in a module of this package whose
   ``__all__`` lists it (``__init__.py`` star-imports each module)::

       @register_function("mse", "MSE")
       def mean_squared_error(y_true, y_pred):
           return _per_sample(MeanSquaredError, y_true, y_pred)

       class MeanSquaredError(Loss):
           _kind = "mean_squared_error"      # the native kernel
           _default_name = "mean_squared_error"

           def __init__(self, reduction="sum_over_batch_size", name=None):
               super().__init__(reduction=reduction, name=name)

   A loss with arguments sets them before calling ``super().__init__`` and
   overrides ``_native_kind`` (when an argument picks the kernel, e.g.
   ``from_logits``), ``_native_params`` (filling ``_core.LossParams``) and
   ``_config`` (its arguments, for ``get_config``). Subclasses register
   themselves by class name for ``optkern.losses.get``; functions register
   with :func:`register_function`.
3. Tests: a row in the tests' case table, and the NumPy reference in
   ``optkern.reference.losses``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core

_REDUCTIONS = {
    None: _core.Reduction.none,
    "none": _core.Reduction.none,
    "sum": _core.Reduction.sum,
    "sum_over_batch_size": _core.Reduction.sum_over_batch_size,
    "mean": _core.Reduction.mean,
    "mean_with_sample_weight": _core.Reduction.mean_with_sample_weight,
}

# Name -> Loss subclass or function, for optkern.losses.get.
CLASSES: dict[str, Any] = {}
FUNCTIONS: dict[str, object] = {}

_native_loss = _core.loss
_native_value_and_grad = _core.loss_value_and_grad


def register_function(*aliases: str):
    """Registers a functional form under its own name and ``aliases``."""

    def register(fn):
        FUNCTIONS[fn.__name__] = fn
        for alias in aliases:
            FUNCTIONS[alias] = fn
        return fn

    return register


def _native_reduction(reduction):
    try:
        return _REDUCTIONS[reduction]
    except (KeyError, TypeError):
        valid = ", ".join(repr(r) for r in _REDUCTIONS)
        raise ValueError(f"reduction must be one of {valid}; got {reduction!r}") from None


def check_probability_smoothing(label_smoothing) -> float:
    """``label_smoothing`` as a float in [0, 1], else a ValueError."""
    try:
        ls = float(label_smoothing)
    except (TypeError, ValueError):
        raise TypeError(f"label_smoothing must be a float, got {label_smoothing!r}") from None
    if not 0.0 <= ls <= 1.0:  # NaN fails too
        raise ValueError(f"label_smoothing must lie in [0, 1], got {label_smoothing!r}")
    return ls


class Loss:
    """Base class of optkern's losses (Keras ``keras.losses.Loss``).

    Parameters
    ----------
    reduction : str or None
        ``"sum_over_batch_size"`` (default) and ``"mean"``: Σ(L·w)/n with n the
        number of per-sample losses (the valid ones under a mask); ``"sum"``:
        Σ(L·w); ``"mean_with_sample_weight"``: Σ(L·w)/Σw; ``None`` or
        ``"none"``: the array L·w. A zero divisor gives 0.
    name : str, optional
        Defaults to the loss's Keras name.
    """

    _kind: str = ""
    _default_name: str = ""
    _targets = "dense"  # or "labels": one integer class label per row

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            CLASSES[cls.__name__] = cls

    def __init__(self, reduction="sum_over_batch_size", name=None):
        self._reduction = _native_reduction(reduction)
        self.reduction = reduction
        self.name = self._default_name if name is None else str(name)
        self._native = (
            getattr(_core.LossKind, self._native_kind()),
            self._native_params(),
            self._reduction,
        )

    # ---- hooks for subclasses ------------------------------------------------
    def _native_kind(self) -> str:
        return self._kind

    def _native_params(self) -> _core.LossParams:
        return _core.LossParams()

    def _config(self) -> dict:
        return {}

    def _native_for(self, y_true) -> tuple:
        """(kind, params, reduction) of one call; a loss whose kernel depends on
        the labels (Hinge: labels all 0 or 1) overrides it."""
        return self._native

    # ---- the calls -----------------------------------------------------------
    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss as a float, or the per-sample losses L·w (an array of
        ``y_pred``'s dtype) when ``reduction`` is ``None``/``"none"``."""
        kind, params, reduction = self._native_for(y_true)
        if sample_weight is None:
            return _native_loss(kind, params, reduction, y_true, y_pred, None)
        y_pred, weight, shape = self._aligned_weight(y_true, y_pred, sample_weight)
        value = _native_loss(kind, params, reduction, y_true, y_pred, weight)
        return (
            value.reshape(shape) if shape is not None and isinstance(value, np.ndarray) else value
        )

    def value_and_grad(self, y_true, y_pred, sample_weight=None, grad_out=None):
        """``(value, grad)``: the value of ``__call__`` and d(value)/d(y_pred), from
        one pass. For ``reduction=None`` the gradient is that of Σ(L·w).

        ``grad_out``, when given, receives the gradient and is returned: a
        C-contiguous, writeable array of ``y_pred``'s shape and dtype, which may
        be ``y_pred`` itself (each element is read before it is overwritten).
        """
        kind, params, reduction = self._native_for(y_true)
        if sample_weight is None:
            return _native_value_and_grad(kind, params, reduction, y_true, y_pred, None, grad_out)
        y_pred, weight, shape = self._aligned_weight(y_true, y_pred, sample_weight)
        value, grad = _native_value_and_grad(
            kind, params, reduction, y_true, y_pred, weight, grad_out
        )
        if shape is not None and isinstance(value, np.ndarray):
            value = value.reshape(shape)
        return value, grad

    # ---- sample weights ------------------------------------------------------
    def _sample_shape(self, y_true, y_pred) -> tuple:
        """The shape of the per-sample losses (y_pred's without the class axis,
        after Keras's rule for ranks that differ by one)."""
        p = y_pred.shape
        if self._targets == "labels" or len(p) == 0:
            return p[:-1]
        t = np.shape(y_true)
        if len(t) == len(p) + 1 and t[-1] == 1 and t[:-1] == p:
            return p if len(p) == 1 else p[:-1]
        if len(p) == len(t) + 1 and p[-1] == 1 and p[:-1] == t:
            return t if len(t) == 1 else t[:-1]
        return p[:-1]

    def _aligned_weight(self, y_true, y_pred, sample_weight):
        """Keras's alignment of a sample weight with the per-sample losses L:
        a trailing axis of size 1 beyond L's axes is dropped (a 1-D L then
        reports shape (B, 1) for ``"none"``), and one L has beyond w's is given
        to w; then w broadcasts to L's shape.
        Returns (y_pred, weight for the kernel, shape for "none" or None)."""
        if not isinstance(y_pred, np.ndarray):
            y_pred = np.asarray(y_pred)
        dtype = y_pred.dtype if y_pred.dtype in (np.float32, np.float64) else np.float64
        try:
            w = np.asarray(sample_weight, dtype=dtype)
        except (TypeError, ValueError):
            raise TypeError("sample_weight must be an array of numbers") from None
        shape = self._sample_shape(y_true, y_pred)
        out_shape = None
        if w.ndim == len(shape) + 1 and w.shape[-1] == 1:
            w = w[..., 0]
            if len(shape) == 1:
                out_shape = shape + (1,)
        elif w.ndim >= 1 and len(shape) == w.ndim + 1 and shape[-1] == 1:
            w = w[..., None]  # L ends in a unit axis that w lacks
        if w.size == 1:
            return y_pred, w.reshape(1), out_shape
        try:
            w = np.broadcast_to(w, shape)
        except ValueError:
            raise ValueError(
                f"sample_weight of shape {np.shape(sample_weight)} does not broadcast to the "
                f"per-sample losses' shape {shape}"
            ) from None
        return y_pred, np.ascontiguousarray(w), out_shape

    # ---- config --------------------------------------------------------------
    def get_config(self) -> dict:
        """``name``, ``reduction`` and the loss's own arguments."""
        return {"name": self.name, "reduction": self.reduction, **self._config()}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def per_sample(cls, y_true, y_pred, **kwargs):
    """The per-sample losses of ``cls(**kwargs)`` (the functional forms)."""
    return cls(reduction=None, **kwargs)(y_true, y_pred)
