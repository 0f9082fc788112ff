"""Keras-convention SGD with momentum and Nesterov momentum."""

from __future__ import annotations

from typing import Any

from . import _core
from ._params import check_flag, check_number
from .optimizer import DECOUPLED_KERAS, KERAS, Fixed, LearningRate, Optimizer


class SGD(Optimizer):
    r"""Stochastic gradient descent, Keras 3 maths (``keras.optimizers.SGD``).

    With η the learning rate and μ the momentum, per element:

    - μ = 0: ``p <- p - η*g``
    - μ > 0: ``m <- μ*m - η*g``, then ``p <- p + m``, or with
      ``nesterov=True`` ``p <- p + (μ*m - η*g)``

    after clipping and decoupled weight decay (see `optkern.Optimizer`).

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
        Updated in place. Groups may override ``learning_rate``, ``weight_decay``.
    learning_rate : float or callable, default 0.01
    momentum : float in [0, 1], default 0.0
    nesterov : bool, default False
    weight_decay, clipnorm, clipvalue, global_clipnorm : float, optional

    State slots: ``momentum`` (only when μ > 0).
    ``state_dict()`` also holds ``iterations`` and, when it is a number,
    ``learning_rate``. A params dict must keep its keys bound to the arrays
    given here: replacing one (``params["W"] = new``) makes the next step a
    ValueError naming the key; see `optkern.Optimizer`.
    """

    momentum = Fixed()
    nesterov = Fixed()

    def __init__(self, params: Any, learning_rate: LearningRate = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None):
        self._momentum = check_number("momentum", momentum, 0.0, 1.0)
        self._nesterov = check_flag("nesterov", nesterov)
        self._slots = ("momentum",) if self._momentum > 0 else ()
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue,
                         global_clipnorm)
        # Per-group tuples for the kernels (the learning rates come per step).
        self._kernel_groups = [(count, self._momentum, 0.0, wd, self._clip, KERAS,
                                DECOUPLED_KERAS, self._nesterov, False, False)
                               for count, wd in zip(self._counts, self._group_decays)]
        self._buffers = self._state["momentum"] if self._slots else None

    def _apply(self, grads: list, lrs: list[float], grad_scales: Any) -> None:
        _core.sgd_step(self._kernel_groups, lrs, self._groups.params, grads, self._buffers,
                       grad_scales, self._groups.labels)
