"""Keras-convention SGD with momentum and Nesterov momentum."""

from __future__ import annotations

from typing import Any

from .._params import check_flag, check_number
from .optimizer import Fixed, LearningRate, Optimizer


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
    ``learning_rate``. The arrays are held as `optkern.Optimizer` says.
    """

    _kernel = "sgd"
    _slots = ("momentum",)

    momentum = Fixed()
    nesterov = Fixed()

    def __init__(
        self,
        params: Any,
        learning_rate: LearningRate = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ):
        self._momentum = check_number("momentum", momentum, 0.0, 1.0)
        self._nesterov = check_flag("nesterov", nesterov)
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)

    def _slot_needed(self, slot: str, group: dict | None) -> bool:
        return self._momentum > 0

    def _kernel_fields(self, group: dict | None) -> dict:
        return dict(momentum=self._momentum, nesterov=self._nesterov)
