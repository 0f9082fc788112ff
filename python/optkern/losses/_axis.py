"""Losses that reduce an axis other than the last: the axis is moved last.

The kernels reduce the last axis of C-contiguous arrays. A loss given another
``axis`` (Keras's CosineSimilarity and focal cross-entropies take one) moves
that axis last in copies of both inputs, runs the kernel, and moves the
gradient back.
"""

from __future__ import annotations

import numpy as np

from ._base import Loss


def check_axis(axis) -> int:
    """``axis`` as an int, else a TypeError."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an int, got {axis!r}")
    return int(axis)


def check_grad_out(grad_out, y_pred) -> None:
    """The native call's checks of ``grad_out``, for a gradient that is
    computed elsewhere and copied in."""
    if not isinstance(grad_out, np.ndarray):
        raise TypeError("grad_out must be a numpy.ndarray")
    if grad_out.dtype != y_pred.dtype:
        raise TypeError(f"grad_out has dtype {grad_out.dtype} but y_pred has {y_pred.dtype}")
    if grad_out.shape != y_pred.shape:
        raise ValueError(f"grad_out has shape {grad_out.shape} but y_pred has shape {y_pred.shape}")
    if not grad_out.flags.c_contiguous:
        raise ValueError("grad_out must be C-contiguous, aligned and in native byte order")
    if not grad_out.flags.writeable:
        raise ValueError("grad_out is read-only")


class _AxisLoss(Loss):
    """A loss over ``self.axis`` (set by the subclass before ``__init__``)."""

    axis: int = -1

    def _axis_last(self, y_true, y_pred):
        """(y_true, y_pred, axis): the inputs with ``axis`` moved last, and the
        axis to move the gradient back to (None when it already is last)."""
        if self.axis == -1:
            return y_true, y_pred, None
        y_pred = np.asarray(y_pred)
        ndim = y_pred.ndim
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"axis {self.axis} is out of range for y_pred of shape {y_pred.shape}")
        axis = self.axis % ndim
        if axis == ndim - 1:
            return y_true, y_pred, None
        y_true = np.asarray(y_true)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"y_true has shape {y_true.shape} but y_pred has shape "
                f"{y_pred.shape}; they must match when axis={self.axis}"
            )
        return (
            np.ascontiguousarray(np.moveaxis(y_true, axis, -1)),
            np.ascontiguousarray(np.moveaxis(y_pred, axis, -1)),
            axis,
        )

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred, _ = self._axis_last(y_true, y_pred)
        return super().__call__(y_true, y_pred, sample_weight)

    def value_and_grad(self, y_true, y_pred, sample_weight=None, grad_out=None):
        moved_true, moved_pred, axis = self._axis_last(y_true, y_pred)
        if axis is None:
            return super().value_and_grad(moved_true, moved_pred, sample_weight, grad_out)
        if grad_out is not None:
            check_grad_out(grad_out, np.asarray(y_pred))
        value, grad = super().value_and_grad(moved_true, moved_pred, sample_weight)
        grad = np.moveaxis(grad, -1, axis)
        if grad_out is None:
            return value, np.ascontiguousarray(grad)
        np.copyto(grad_out, grad)
        return value, grad_out
